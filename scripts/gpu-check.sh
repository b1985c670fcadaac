#!/usr/bin/env bash
# The real-GPU check, run in one call on the lent GPU machine (it has no Rust toolchain and no
# network, and torch in /opt/torch/.venv). Build here first, then carry the binary and a CPU run:
#
#   cargo xtask setup-libtorch --venv ~/.cache/tmh/torch-device    # with the device's torch version
#   cargo build --release --features tch && mkdir -p gpu-carry && cp target/release/tmh gpu-carry/
#   cargo xtask sweep --out gpu-carry/seed-cpu                      # the CPU reference run folder
#   (device tool) run: bash scripts/gpu-check.sh    carry: ["gpu-carry"]
#
# It runs the quick sweep and the full seed sweep on tch-cuda, compares the seed sweep with the
# carried CPU run folder (same cells under threshold, per-cell geometric-mean ratio within 2×),
# and prints wall times and steps/s. Results land in $OUT.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${TMH_BIN:-gpu-carry/tmh}
CPU_RUN=${CPU_RUN:-gpu-carry/seed-cpu}
OUT=${OUT:-/tmp/tmh-gpu-check}
PYTHON=${TORCH_PYTHON:-/opt/torch/.venv/bin/python}
mkdir -p "$OUT"

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
  echo "$name: $(echo "$end - $start" | bc) s wall"
}

timed quick "$BIN" sweep --config examples/quick.toml --backend tch-cuda --out "$OUT/quick-cuda"
timed seed "$BIN" sweep --backend tch-cuda --out "$OUT/seed-cuda"
echo "per-group steps/s on tch-cuda:"
grep "done in" "$OUT/seed.log" || true

if [ -d "$CPU_RUN" ]; then
  "$BIN" compare "$CPU_RUN" "$OUT/seed-cuda" --max-ratio 2 | tee "$OUT/compare.txt"
else
  echo "no CPU run folder at $CPU_RUN: comparison skipped"
fi
