#!/usr/bin/env bash
# The real-GPU check, run in one call on the lent GPU machine (it has no Rust toolchain and no
# network, and torch in /opt/torch/.venv). Build here first, then carry the binary and a CPU run:
#
#   cargo xtask setup-libtorch --torch 2.11.0    # the device's torch (built and checked here)
#   cargo xtask gpu-carry                        # gpu-carry/tmh (stripped, 15 MB) + gpu-carry/seed-cpu
#   (device tool) run: bash scripts/gpu-check.sh    carry: ["gpu-carry"]    timeout_s: 480
#
# A dry run on any machine with the same torch, with tch-cuda's defaults spelled out:
# BACKEND=tch-cpu UPLOAD=counts DEFAULT_FLAGS="--gradients by-hand --pack-groups 8"
# SEED_CONFIG=examples/quick.toml CPU_RUN=<a quick CPU run> TORCH_PYTHON=<venv>/bin/python
# bash scripts/gpu-check.sh
#
# It runs the quick sweep and the full seed sweep on tch-cuda with its defaults (gradients by
# hand, its 6 groups packed into one model: --pack-groups 8), compares the seed sweep with the
# carried CPU run folder (same cells under threshold, per-cell geometric-mean ratio within 2×),
# and prints wall times and steps/s. Then, while the call has time, the same sweep on the same
# machine with autodiff (packed), unpacked (--pack-groups 1, by hand), with autodiff unpacked
# (session 4's setting) and in packs of 3, each compared with the first, and a summary.
# Results land in $OUT.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${TMH_BIN:-gpu-carry/tmh}
CPU_RUN=${CPU_RUN:-gpu-carry/seed-cpu}
OUT=${OUT:-/tmp/tmh-gpu-check}
PYTHON=${TORCH_PYTHON:-/opt/torch/.venv/bin/python}
BACKEND=${BACKEND:-tch-cuda}
SEED_CONFIG=${SEED_CONFIG:-}   # empty: the full seed sweep
UPLOAD=${UPLOAD:-}             # empty: the backend's default (counts on GPUs)
DEFAULT_FLAGS=${DEFAULT_FLAGS:-}  # more flags for the default run (empty on the GPU)
mkdir -p "$OUT"
# Plots and weights are not needed back (the device tool returns a bounded number of files),
# whatever step ends the script.
trap 'rm -rf "$OUT"/*/plots "$OUT"/*/weights "$OUT"/*/index.html' EXIT

torch_lib=$("$PYTHON" -c 'import os, torch; print(os.path.join(os.path.dirname(torch.__file__), "lib"))')
export LD_LIBRARY_PATH="$torch_lib:${LD_LIBRARY_PATH:-}"
"$PYTHON" -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, "devices", torch.cuda.device_count())'
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
"$BIN" backends

timed() { # name, then the command: prints wall seconds, keeps the log, returns its status
  local name=$1; shift
  local start end rc=0
  start=$(date +%s.%N)
  "$@" 2>&1 | tee "$OUT/$name.log" || rc=$?
  end=$(date +%s.%N)
  LAST_WALL=$("$PYTHON" -c "print(round($end - $start, 2))")
  echo "$name: $LAST_WALL s wall, exit status $rc"
  return "$rc"
}

timed quick "$BIN" sweep --config examples/quick.toml --backend "$BACKEND" --out "$OUT/quick-gpu" \
  || true
seed() { # name, then extra sweep flags: the seed sweep into $OUT/seed-<name>
  local name=$1; shift
  # A failed run is reported and the check goes on: one call must bring back every timing.
  if timed "seed-$name" "$BIN" sweep ${SEED_CONFIG:+--config "$SEED_CONFIG"} --backend "$BACKEND" \
    ${UPLOAD:+--upload "$UPLOAD"} "$@" --out "$OUT/seed-$name"; then
    WALLS="$WALLS $name=${LAST_WALL}s"
  else
    WALLS="$WALLS $name=FAILED"
  fi
}
WALLS=""
# shellcheck disable=SC2086 # DEFAULT_FLAGS is a list of flags
seed default $DEFAULT_FLAGS
echo "per-group steps/s on $BACKEND:"
grep "done in" "$OUT/seed-default.log" || true

if [ -d "$CPU_RUN" ]; then
  # `compare` exits 1 on DIFFER: report it and go on to the timings.
  "$BIN" compare "$CPU_RUN" "$OUT/seed-default" --max-ratio 2 | tee "$OUT/compare-cpu.txt" || true
else
  echo "no CPU run folder at $CPU_RUN: comparison skipped"
fi

# The other settings on the same machine (machines differ by a third: compare within a call),
# each while the call has spent under 4 minutes, each compared with the default run.
VARIANTS=("autodiff --gradients autodiff" "unpacked --pack-groups 1"
  "autodiff-unpacked --gradients autodiff --pack-groups 1" "pack3 --pack-groups 3")
for variant in "${VARIANTS[@]}"; do
  if [ "$SECONDS" -gt 240 ]; then
    echo "skipped ${variant%% *}: $SECONDS s spent"
    continue
  fi
  # shellcheck disable=SC2086 # the variant's words are its name and flags
  seed $variant
  grep "done in" "$OUT/seed-${variant%% *}.log" || true
  "$BIN" compare "$OUT/seed-default" "$OUT/seed-${variant%% *}" --max-ratio 2 \
    > "$OUT/compare-${variant%% *}.txt" || true
done

echo "== summary: seed sweep wall on $BACKEND:$WALLS"
grep -H "group(s)" "$OUT"/seed-*.log | sed "s|^$OUT/||" || true
echo "against the CPU run, then each setting against the default:"
for name in cpu "${VARIANTS[@]%% *}"; do
  f="$OUT/compare-$name.txt"
  echo "compare-$name: $( (grep -h "AGREE\|DIFFER" "$f" 2>/dev/null) || echo none)"
done
