# Shared by scripts/gpu-check.sh and scripts/gpu-scale.sh (sourced, not run): sets up $WORK,
# $OUT/summary.txt and libtorch's library path, and defines their helpers. Expects BIN, OUT,
# WORK and PYTHON to be set; PACK_EXCLUDE names more files to leave out of runs.tgz.
rm -rf "$WORK"
mkdir -p "$WORK" "$OUT"
SUMMARY="$OUT/summary.txt"
: > "$SUMMARY"
say() { echo "$*" | tee -a "$SUMMARY"; }
pack_up() { # one archive, whatever step ends the script
  local skip=(--exclude=plots --exclude=weights --exclude=index.html)
  for name in ${PACK_EXCLUDE:-}; do skip+=("--exclude=$name"); done
  tar -czf "$OUT/runs.tgz" -C "$WORK" "${skip[@]}" . 2>/dev/null || true
}
trap pack_up EXIT

torch_lib=$("$PYTHON" -c 'import os, torch; print(os.path.join(os.path.dirname(torch.__file__), "lib"))')
export LD_LIBRARY_PATH="$torch_lib:${LD_LIBRARY_PATH:-}"
say "$("$PYTHON" -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, "devices", torch.cuda.device_count())')"
say "gpu: $(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null || echo none)"

run() { # name, then a command: logs to $WORK/<name>.log, prints its key lines, returns its status
  local name=$1; shift
  local start end rc=0
  start=$(date +%s.%N)
  "$@" > "$WORK/$name.log" 2>&1 || rc=$?
  end=$(date +%s.%N)
  LAST_WALL=$("$PYTHON" -c "print(round($end - $start, 1))")
  grep -h "group(s)\|pack of" "$WORK/$name.log" || true
  if [ "$rc" -ne 0 ]; then tail -n 15 "$WORK/$name.log"; fi
  echo "$name: exit status $rc, $LAST_WALL s wall"
  return "$rc"
}

training_s() { # a run folder's training seconds: the sum of its groups' wall_s
  "$PYTHON" - "$1/runs.csv" <<'EOF'
import csv, sys
walls = {row["group"]: float(row["wall_s"]) for row in csv.DictReader(open(sys.argv[1]))}
print(round(sum(walls.values()), 1))
EOF
}

verdict() { # run folder A, run folder B: AGREE, DIFFER or FAILED, from `tmh compare`
  local name=$1 a=$2 b=$3
  "$BIN" compare "$a" "$b" --max-ratio 2 > "$WORK/compare-$name.txt" 2>&1 || true
  grep -ho "^AGREE\|^DIFFER" "$WORK/compare-$name.txt" | head -n 1 || echo FAILED
}

