#!/usr/bin/env bash
# The real-GPU check, run in one call on the lent GPU machine (it has no Rust toolchain and no
# network, and torch in /opt/torch/.venv). Build here first, then carry the binary and a CPU run:
#
#   cargo xtask setup-libtorch --torch 2.11.0    # the device's torch (built and checked here)
#   cargo xtask gpu-carry                        # gpu-carry/tmh (stripped, 15 MB) + gpu-carry/seed-cpu
#   (device tool) run: bash scripts/gpu-check.sh    carry: ["gpu-carry"]    timeout_s: 480
#
# A dry run on any machine with the same torch: BACKEND=tch-cpu UPLOAD=counts
# SEED_CONFIG=examples/quick.toml CPU_RUN=<a quick CPU run> TORCH_PYTHON=<venv>/bin/python
# bash scripts/gpu-check.sh
#
# It runs the quick sweep and the full seed sweep on tch-cuda (default: its 6 groups packed into
# one model, --pack-groups 8), compares the seed sweep with the carried CPU run folder (same
# cells under threshold, per-cell geometric-mean ratio within 2×), and prints wall times and
# steps/s; then, time allowing, the seed sweep unpacked (--pack-groups 1, the baseline) and in
# packs of 3, on the same machine, and a summary. Results land in $OUT.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${TMH_BIN:-gpu-carry/tmh}
CPU_RUN=${CPU_RUN:-gpu-carry/seed-cpu}
OUT=${OUT:-/tmp/tmh-gpu-check}
PYTHON=${TORCH_PYTHON:-/opt/torch/.venv/bin/python}
BACKEND=${BACKEND:-tch-cuda}
SEED_CONFIG=${SEED_CONFIG:-}   # empty: the full seed sweep
UPLOAD=${UPLOAD:-}             # empty: the backend's default (counts on GPUs)
mkdir -p "$OUT"
# Plots and weights are not needed back (the device tool returns a bounded number of files),
# whatever step ends the script.
trap 'rm -rf "$OUT"/*/plots "$OUT"/*/weights "$OUT"/*/index.html' EXIT

torch_lib=$("$PYTHON" -c 'import os, torch; print(os.path.join(os.path.dirname(torch.__file__), "lib"))')
export LD_LIBRARY_PATH="$torch_lib:${LD_LIBRARY_PATH:-}"
"$PYTHON" -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, "devices", torch.cuda.device_count())'
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
"$BIN" backends

timed() { # name, then the command: prints wall seconds and keeps the log
  local name=$1; shift
  local start end
  start=$(date +%s.%N)
  "$@" 2>&1 | tee "$OUT/$name.log"
  end=$(date +%s.%N)
  LAST_WALL=$("$PYTHON" -c "print(round($end - $start, 2))")
  echo "$name: $LAST_WALL s wall"
}

timed quick "$BIN" sweep --config examples/quick.toml --backend "$BACKEND" --out "$OUT/quick-gpu"
timed seed "$BIN" sweep ${SEED_CONFIG:+--config "$SEED_CONFIG"} --backend "$BACKEND" \
  ${UPLOAD:+--upload "$UPLOAD"} --pack-groups 8 --out "$OUT/seed-gpu"
echo "per-group steps/s on $BACKEND:"
grep "done in" "$OUT/seed.log" || true

if [ -d "$CPU_RUN" ]; then
  # `compare` exits 1 on DIFFER: report it and go on to the timings.
  "$BIN" compare "$CPU_RUN" "$OUT/seed-gpu" --max-ratio 2 | tee "$OUT/compare.txt" || true
else
  echo "no CPU run folder at $CPU_RUN: comparison skipped"
fi

# The unpacked baseline on the same machine (machines differ by a third: compare within a call).
PACKED_WALL=$LAST_WALL
if "$PYTHON" -c "import sys; sys.exit(0 if $PACKED_WALL < 120 else 1)"; then
  timed seed-unpacked "$BIN" sweep ${SEED_CONFIG:+--config "$SEED_CONFIG"} --backend "$BACKEND" \
    ${UPLOAD:+--upload "$UPLOAD"} --pack-groups 1 --out "$OUT/seed-gpu-unpacked"
  grep "done in" "$OUT/seed-unpacked.log" || true
  echo "packed against unpacked (equal up to float order):"
  "$BIN" compare "$OUT/seed-gpu-unpacked" "$OUT/seed-gpu" --max-ratio 2 \
    | tee "$OUT/compare-packed.txt" | tail -2 || true
  UNPACKED_WALL=$LAST_WALL
  # Packs of 3 (d6-d4, d3-d1): less padding, twice the dispatch. Tells which one bounds a pack.
  timed seed-pack3 "$BIN" sweep ${SEED_CONFIG:+--config "$SEED_CONFIG"} --backend "$BACKEND" \
    ${UPLOAD:+--upload "$UPLOAD"} --pack-groups 3 --out "$OUT/seed-gpu-pack3"
  echo "== summary: seed sweep wall on $BACKEND: --pack-groups 8 $PACKED_WALL s," \
    "--pack-groups 3 $LAST_WALL s, unpacked $UNPACKED_WALL s"
  grep -h "done in\|group(s)" "$OUT/seed.log" "$OUT/seed-pack3.log" "$OUT/seed-unpacked.log" || true
  echo "against the CPU run, then packed against unpacked:"
  grep -h "AGREE\|DIFFER" "$OUT/compare.txt" "$OUT/compare-packed.txt" || true
else
  echo "seed sweep took $PACKED_WALL s: the unpacked baseline skipped"
fi
