#!/usr/bin/env python3
"""Compares a tmh run folder with scripts/notebook_reference.py's CSV: does tmh give the same
science as the notebook's PyTorch procedure? Standard library only.

    python scripts/notebook_compare.py --tmh RUN_DIR --reference reference.csv

The two sides draw different random numbers, so instance i of a config is a different model on
each side: only distributions and answers can agree. Per cell (depth, n_hidden) it pools every
seed's instances (3 seeds × 5 instances = 15 a side by default) and compares:

- the passing counts k/n (instance exact loss < threshold) by a two-sided Fisher exact test.
  Under "same science" both sides' instances pass with the same unknown probability, and given
  the total number of passes the count on one side is hypergeometric; the p-value sums the
  probabilities of every split at most as likely as the one seen. A cell fails below p = 0.01.
  The test is exact for any counts (no large-sample approximation, which 15 a side would not
  support) and conservative; most cells are 0/15 or 15/15 on both sides, where p = 1. With ~25
  cells the chance that some cell falls below 0.01 by luck alone is at most ~25 %, and in
  practice far less, since only the few cells with mixed counts can fail at all.
- the answers per depth, the smallest tested n_hidden whose aggregate over the instances is
  below the threshold, for the median, mean, min and sum. The median's answers must be equal
  or one tested width apart ("none", no width passes, counts as the width after the last).

Exit status: 0 AGREE, 1 DISAGREE, 2 unusable input, 3 INCONCLUSIVE (every instance on both
sides fails the threshold, or every one passes: nothing to tell apart).
"""

import argparse
import csv
import math
import statistics
import sys


def read_tmh(path, stop_prob):
    """{(depth, n_hidden): {seed: [exact loss per instance]}} from a tmh runs.csv; a diverged
    instance counts as an infinite loss (it fails every aggregate but the min)."""
    cells = {}
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            if row["structure"] != "tree" or float(row["stop_prob"]) != stop_prob:
                continue
            if row["branching"] != "2" or row["magnitude"] != "binary" or row["importance"] != "1":
                continue
            if row["exact_loss"] == "":
                sys.exit(f"{path}: {row['config_id']} has no exact_loss")
            loss = float(row["exact_loss"])
            if row["diverged"] == "true" or not math.isfinite(loss):
                loss = math.inf
            key = (int(row["depth"]), int(row["n_hidden"]))
            cells.setdefault(key, {}).setdefault(int(row["seed"]), []).append(loss)
    return cells


def read_reference(path):
    cells = {}
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            loss = float(row["exact_loss"])
            if not math.isfinite(loss):
                loss = math.inf
            key = (int(row["depth"]), int(row["n_hidden"]))
            cells.setdefault(key, {}).setdefault(int(row["seed"]), []).append(loss)
    return cells


def fisher_two_sided(k1, n1, k2, n2):
    """Two-sided Fisher exact test of the table [[k1, n1 − k1], [k2, n2 − k2]]: the probability,
    given both margins, of a split at most as likely as the one seen. Exact integer arithmetic
    (every split's probability has the same denominator C(n1 + n2, n1))."""
    passes = k1 + k2
    total = n1 + n2

    def weight(x):
        return math.comb(passes, x) * math.comb(total - passes, n1 - x)

    seen = weight(k1)
    low, high = max(0, passes - n2), min(passes, n1)
    tail = sum(w for w in (weight(x) for x in range(low, high + 1)) if w <= seen)
    return tail / math.comb(total, n1)


def aggregates(by_seed):
    """The four aggregates of one cell. median, mean, min: over every pooled instance. sum: the
    notebook's rule (the sum of one seed's instances' losses) per seed, then the median over
    the seeds, so that the cell passes when most seeds pass the notebook's own test."""
    losses = [loss for seed in sorted(by_seed) for loss in by_seed[seed]]
    return {
        "median": statistics.median(losses),
        "mean": math.fsum(losses) / len(losses) if all(map(math.isfinite, losses)) else math.inf,
        "min": min(losses),
        "sum": statistics.median(math.fsum(by_seed[s]) for s in sorted(by_seed)),
    }


def answer(depth_cells, widths, aggregate, threshold):
    """The smallest tested width whose aggregate passes, or None."""
    for width in widths:
        if depth_cells[width][aggregate] < threshold:
            return width
    return None


def fmt_answer(width, widths):
    if width is None:
        return f"none≤{widths[-1]}"
    return f"≤{width}" if width == widths[0] else str(width)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tmh", required=True, help="tmh run folder (its runs.csv)")
    parser.add_argument("--reference", required=True, help="notebook_reference.py's CSV")
    parser.add_argument("--threshold", type=float, default=1e-5)
    parser.add_argument("--stop-prob", type=float, default=0.5)
    parser.add_argument("--alpha", type=float, default=0.01, help="Fisher test level per cell")
    args = parser.parse_args()
    thr = args.threshold

    tmh = read_tmh(f"{args.tmh}/runs.csv", args.stop_prob)
    ref = read_reference(args.reference)
    if not tmh or not ref:
        print(f"no rows: tmh {len(tmh)} cells, reference {len(ref)} cells", file=sys.stderr)
        return 2
    if set(tmh) != set(ref):
        only_t, only_r = sorted(set(tmh) - set(ref)), sorted(set(ref) - set(tmh))
        print(f"the grids differ: tmh only {only_t}, reference only {only_r}", file=sys.stderr)
        return 2
    for key in sorted(tmh):
        if sorted(tmh[key]) != sorted(ref[key]):
            print(f"cell {key}: seeds {sorted(tmh[key])} in tmh, {sorted(ref[key])} in the "
                  "reference", file=sys.stderr)
            return 2

    seeds = sorted(next(iter(tmh.values())))
    n_inst = len(next(iter(tmh.values()))[seeds[0]])
    print(f"tmh vs the notebook's procedure in PyTorch: seeds {','.join(map(str, seeds))} "
          f"pooled, {n_inst} instances per seed and side; exact loss, threshold {thr:g}")
    print()
    print("per cell: passing instances (loss < threshold), median loss, Fisher exact p "
          "(two-sided, pass counts)")
    print(f"  {'depth':>5} {'n_hidden':>8}   {'tmh':>6} {'median':>9}   {'torch':>6} "
          f"{'median':>9}   {'Fisher p':>8}")
    failed_cells = []
    depths = sorted({d for d, _ in tmh})
    stats = {"tmh": {}, "torch": {}}
    for depth, width in sorted(tmh):
        row = []
        counts = []
        for side, cells in (("tmh", tmh), ("torch", ref)):
            losses = [loss for s in cells[(depth, width)].values() for loss in s]
            k = sum(loss < thr for loss in losses)
            counts.append((k, len(losses)))
            stats[side].setdefault(depth, {})[width] = aggregates(cells[(depth, width)])
            row.append(f"{k:>3}/{len(losses):<2} {statistics.median(losses):>9.2e}")
        p = fisher_two_sided(counts[0][0], counts[0][1], counts[1][0], counts[1][1])
        mark = ""
        if p < args.alpha:
            failed_cells.append((depth, width, p))
            mark = "  ✗"
        shown = f"{p:>8.3f}" if p >= 0.001 else f"{p:>8.1e}"
        print(f"  {depth:>5} {width:>8}   {row[0]}   {row[1]}   {shown}{mark}")

    print()
    print(f"answers: smallest tested n_hidden with aggregate < {thr:g} (≤w: the narrowest tested "
          "width passes; none≤w: no tested width does)")
    print("  median, mean, min: over all pooled instances of the cell; sum: the notebook's rule,")
    print(f"  the sum of one seed's {n_inst} instance losses, per seed; the cell passes when the "
          "median over the seeds does")
    header = "".join(f"{d:>9}" for d in depths)
    print(f"  {'aggregate':<9} {'side':<6}{header}")
    failed_depths = []
    for aggregate in ("median", "mean", "min", "sum"):
        for side in ("tmh", "torch"):
            line = ""
            for depth in depths:
                widths = sorted(stats[side][depth])
                found = answer(stats[side][depth], widths, aggregate, thr)
                line += f"{fmt_answer(found, widths):>9}"
            print(f"  {aggregate:<9} {side:<6}{line}")
    for depth in depths:
        widths = sorted(stats["tmh"][depth])
        a, b = (answer(stats[s][depth], widths, "median", thr) for s in ("tmh", "torch"))
        # "none" sits one past the widest tested width.
        ia, ib = (widths.index(x) if x is not None else len(widths) for x in (a, b))
        if abs(ia - ib) > 1:
            failed_depths.append((depth, a, b))

    print()
    informative = sum(
        1 for d, w in tmh
        if 0 < sum(l < thr for s in tmh[(d, w)].values() for l in s)
        + sum(l < thr for s in ref[(d, w)].values() for l in s)
        < 2 * n_inst * len(seeds)
    )
    print(f"rule: AGREE when every depth's median answers are equal or one tested width apart, "
          f"and every cell's pass counts have Fisher p ≥ {args.alpha:g} ({informative} of "
          f"{len(tmh)} cells have mixed counts, the only ones that can fail)")
    for depth, a, b in failed_depths:
        print(f"  depth {depth}: median answers tmh {a}, torch {b}: more than one width apart")
    for depth, width, p in failed_cells:
        print(f"  depth {depth}, n_hidden {width}: pass counts differ (Fisher p = {p:.2g})")
    if failed_depths or failed_cells:
        print("verdict: DISAGREE")
        return 1
    # Where every instance fails (or every one passes) on both sides, answers agree trivially.
    losses = [l for side in (tmh, ref) for cell in side.values() for s in cell.values() for l in s]
    if all(l >= thr for l in losses) or all(l < thr for l in losses):
        print("verdict: INCONCLUSIVE: every instance on both sides "
              f"{'fails' if losses[0] >= thr else 'passes'} the threshold, so nothing tells the "
              "two apart; train longer or widen the grid")
        return 3
    print("verdict: AGREE")
    return 0


if __name__ == "__main__":
    sys.exit(main())
