#!/usr/bin/env bash
# Where the GPU pays: the same experiments on tch-cuda and on the fused CPU engine, both on the
# lent GPU machine (its own CPU cores), one after the other, each compared with `tmh compare`.
# The seed sweep's groups are small; branching.toml has 129 configs of up to 126 features,
# deep.toml reaches 510 features and width 32, and wide.toml is one group of 2046 features.
#
#   cargo xtask gpu-carry      # gpu-carry/tmh, built against the device's torch (see gpu-check.sh)
#   (device tool) run: bash scripts/gpu-scale.sh    carry: ["gpu-carry"]    timeout_s: 540
#
# A dry run elsewhere: BACKEND=tch-cpu CONFIGS=examples/quick.toml TORCH_PYTHON=<venv>/bin/python
# OUT=/tmp/gpu-scale-out bash scripts/gpu-scale.sh
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${TMH_BIN:-gpu-carry/tmh}
OUT=${OUT:-/tmp/tmh-gpu-scale}
WORK=${WORK:-/tmp/tmh-gpu-scale-work}
PYTHON=${TORCH_PYTHON:-/opt/torch/.venv/bin/python}
BACKEND=${BACKEND:-tch-cuda}
CONFIGS=${CONFIGS:-examples/seed.toml examples/branching.toml examples/deep.toml examples/wide.toml}
LIMIT_S=${LIMIT_S:-150} # a run still going after this is stopped and reported as FAILED
PACK_EXCLUDE=${PACK_EXCLUDE:-curves.csv geometry.csv geometry_features.csv} # runs.tgz under 8 MB

# shellcheck source=scripts/gpu-common.sh
. scripts/gpu-common.sh
say "cpu: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"

configs_in() { # a run folder's number of configs, from runs.csv
  "$PYTHON" - "$1/runs.csv" <<'EOF'
import csv, sys
print(len({row["config_id"] for row in csv.DictReader(open(sys.argv[1]))}))
EOF
}

ROWS=()
for config in $CONFIGS; do
  name=$(basename "$config" .toml)
  trained=()
  for backend in fused-cpu "$BACKEND"; do
    # Training is recorded before the report is built: a failed report keeps the timing.
    run "$name-$backend" timeout "$LIMIT_S" "$BIN" sweep --config "$config" \
      --backend "$backend" --out "$WORK/$name-$backend" || true
    seconds=FAILED
    if [ -f "$WORK/$name-$backend/runs.csv" ]; then
      seconds=$(training_s "$WORK/$name-$backend")
    fi
    trained+=("$seconds")
  done
  agreement=FAILED
  if [ "${trained[0]}" != FAILED ] && [ "${trained[1]}" != FAILED ]; then
    agreement=$(verdict "$name" "$WORK/$name-fused-cpu" "$WORK/$name-$BACKEND")
    grep -e "<--" -e "^config" "$WORK/compare-$name.txt" | head -n 40 || true
  fi
  configs=-
  if [ -f "$WORK/$name-fused-cpu/runs.csv" ]; then configs=$(configs_in "$WORK/$name-fused-cpu"); fi
  ROWS+=("$(printf '%-12s %8s %14s %14s   %s' "$name" "$configs" "${trained[0]}" \
    "${trained[1]}" "$agreement")")
done

{
  echo "== summary: training seconds (the sum of the groups' wall_s, also where the report failed:"
  echo "   see each run's exit status above), fused-cpu against $BACKEND"
  printf '%-12s %8s %14s %14s   %s\n' config configs fused-cpu "$BACKEND" "compare"
  printf '%s\n' "${ROWS[@]}"
  echo "per-group lines of each run:"
  for log in "$WORK"/*.log; do grep -H "done in" "$log" | sed "s|^$WORK/||" || true; done
  echo "script time: $SECONDS s; files in $OUT: summary.txt, runs.tgz"
} | tee -a "$SUMMARY"
