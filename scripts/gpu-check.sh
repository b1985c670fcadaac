#!/usr/bin/env bash
# The real-GPU check, run in one call on the lent GPU machine (it has no Rust toolchain and no
# network, and torch in /opt/torch/.venv). Build here first, then carry the binary and a CPU run:
#
#   cargo xtask setup-libtorch --torch 2.11.0    # the device's torch (built and checked here)
#   cargo xtask gpu-carry                        # gpu-carry/tmh (stripped, 17 MB) + gpu-carry/seed-cpu
#   (device tool) run: bash scripts/gpu-check.sh    carry: ["gpu-carry"]    timeout_s: 300
#
# A dry run on any machine with the same torch, with tch-cuda's defaults spelled out:
# BACKEND=tch-cpu UPLOAD=counts DEFAULT_FLAGS="--gradients by-hand --pack-groups 8"
# SEED_CONFIG=examples/quick.toml CPU_RUN=<a quick CPU run> TORCH_PYTHON=<venv>/bin/python
# OUT=/tmp/gpu-check-out bash scripts/gpu-check.sh
#
# What it does, in order of value, within BUDGET_S seconds of its own time:
#  1. the quick sweep, then the full seed sweep on tch-cuda with its defaults (gradients by hand,
#     node counts, the 6 groups packed into one model), with the GPU's utilisation sampled;
#  2. compares that run with the carried CPU run folder (same cells under threshold, per-cell
#     geometric-mean ratio within 2×);
#  3. `tmh bench`: per-group steps/s unpacked, autodiff against by hand (session 4's table);
#  4. the seed sweep again unpacked, with autodiff (packed), in packs of 3, and with autodiff
#     unpacked (session 4's setting), each compared with the first, while time allows;
#  5. a summary: training seconds (the sum of the groups' wall_s) per setting, the verdicts,
#     and whether the target (≤ 30 s of training) is met.
# The device tool returns the last 12,000 characters of output and at most 8 files: the sweeps'
# logs stay in files, stdout gets their key lines, and $OUT gets summary.txt and runs.tgz (every
# run folder without plots and weights, the logs and the comparisons).
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${TMH_BIN:-gpu-carry/tmh}
CPU_RUN=${CPU_RUN:-gpu-carry/seed-cpu}
OUT=${OUT:-/tmp/tmh-gpu-check}
WORK=${WORK:-/tmp/tmh-gpu-work}
PYTHON=${TORCH_PYTHON:-/opt/torch/.venv/bin/python}
BACKEND=${BACKEND:-tch-cuda}
SEED_CONFIG=${SEED_CONFIG:-}      # empty: the full seed sweep
UPLOAD=${UPLOAD:-}                # empty: the backend's default (counts on GPUs)
DEFAULT_FLAGS=${DEFAULT_FLAGS:-}  # more flags for the default run (empty on the GPU)
BUDGET_S=${BUDGET_S:-200}         # start no optional run that may end past this
TARGET_S=30

# shellcheck source=scripts/gpu-common.sh
. scripts/gpu-common.sh

ROWS=()
seed() { # name, then extra sweep flags: the seed sweep into $WORK/seed-<name>, compared with the default
  local name=$1; shift
  local training=FAILED against=""
  # A failed run is reported and the check goes on: one call must bring back every timing.
  if run "seed-$name" "$BIN" sweep ${SEED_CONFIG:+--config "$SEED_CONFIG"} --backend "$BACKEND" \
    ${UPLOAD:+--upload "$UPLOAD"} "$@" --out "$WORK/seed-$name"; then
    training=$(training_s "$WORK/seed-$name")
    if [ "$name" != default ]; then
      against="default: $(verdict "$name" "$WORK/seed-default" "$WORK/seed-$name")"
    fi
  fi
  ROWS+=("$(printf '%-18s %10s %8s   %s' "$name" "$training" "$LAST_WALL" "$against")")
  LAST_TRAINING=$training
}

run quick "$BIN" sweep --config examples/quick.toml --backend "$BACKEND" --out "$WORK/quick" || true

UTIL_PID=
if command -v nvidia-smi > /dev/null; then
  nvidia-smi --query-gpu=utilization.gpu --format=csv,noheader,nounits -lms 200 \
    > "$WORK/utilisation.txt" 2>/dev/null &
  UTIL_PID=$!
fi
# shellcheck disable=SC2086 # DEFAULT_FLAGS is a list of flags
seed default $DEFAULT_FLAGS
DEFAULT_TRAINING=$LAST_TRAINING
DEFAULT_WALL=$LAST_WALL
if [ -n "$UTIL_PID" ]; then kill "$UTIL_PID" 2>/dev/null || true; fi

CPU_VERDICT="no CPU run at $CPU_RUN"
if [ -d "$CPU_RUN" ] && [ -d "$WORK/seed-default" ]; then
  CPU_VERDICT=$(verdict cpu "$CPU_RUN" "$WORK/seed-default")
  grep -v "^d" "$WORK/compare-cpu.txt" || true
fi
ROWS[0]="${ROWS[0]}CPU run: $CPU_VERDICT"

# Per group, unpacked: autodiff against by hand (comparable with session 4's per-group table).
run bench "$BIN" bench --fused-steps 50 --reference-steps 300 \
  --reference "$BACKEND${UPLOAD:++$UPLOAD}+autodiff,$BACKEND${UPLOAD:++$UPLOAD}+by-hand" || true
grep "^| d\|^| group\|^Projected" "$WORK/bench.log" | cut -c1-400 || true

# The other settings on the same machine (machines differ by a third: compare within a call).
# Each starts only if its estimated time (a multiple of the default run's) ends within budget.
for variant in "unpacked 4 --pack-groups 1" "autodiff 3 --gradients autodiff" \
  "pack3 2 --pack-groups 3" "autodiff-unpacked 8 --gradients autodiff --pack-groups 1"; do
  read -r name factor flags <<< "$variant"
  estimate=$("$PYTHON" -c "print(int(max(20, $factor * $DEFAULT_WALL)))")
  if [ $((SECONDS + estimate)) -gt "$BUDGET_S" ]; then
    ROWS+=("$(printf '%-18s %10s %8s   %s' "$name" skipped - "estimated ${estimate} s at ${SECONDS} s")")
    continue
  fi
  # shellcheck disable=SC2086 # the variant's flags
  seed "$name" $flags
done

{
  echo "== summary: seed sweep on $BACKEND ($(grep -h "^engine\|^git_commit" "$WORK/seed-default/config.toml" 2>/dev/null | tr '\n' ' '))"
  printf '%-18s %10s %8s   %s\n' setting training_s wall_s "compared with"
  printf '%s\n' "${ROWS[@]}"
  if [ -s "$WORK/utilisation.txt" ]; then
    "$PYTHON" - "$WORK/utilisation.txt" <<'EOF'
import sys
u = [float(x) for x in open(sys.argv[1]).read().split() if x.replace('.', '', 1).isdigit()]
if u:
    print(f"GPU utilisation during the default run: mean {sum(u) / len(u):.0f} %, max {max(u):.0f} % ({len(u)} samples)")
EOF
  fi
  if [ "$DEFAULT_TRAINING" = FAILED ]; then
    echo "target (≤ $TARGET_S s of training): not measured, the default run failed"
  elif "$PYTHON" -c "import sys; sys.exit(0 if $DEFAULT_TRAINING <= $TARGET_S else 1)"; then
    echo "target (≤ $TARGET_S s of training): met, $DEFAULT_TRAINING s, against the CPU run: $CPU_VERDICT"
  else
    echo "target (≤ $TARGET_S s of training): not met, $DEFAULT_TRAINING s, against the CPU run: $CPU_VERDICT"
  fi
  echo "per-group lines of each setting:"
  for log in "$WORK"/seed-*.log; do grep -H "done in" "$log" | sed "s|^$WORK/||" || true; done
  echo "script time: $SECONDS s; files in $OUT: summary.txt, runs.tgz"
} | tee -a "$SUMMARY"
