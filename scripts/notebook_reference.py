#!/usr/bin/env python3
"""The seed notebook's procedure in plain PyTorch: the reference `cargo xtask check-notebook`
compares tmh with.

Written from the notebook's text (../shared/seed/notebook.txt, cells In [4] Model, In [5]
generate_batch, In [6] calculate_loss, In [52] the sweep), with torch and the standard library
only. What it keeps from the notebook, on purpose:

- the sampler's loop: per level, per sibling pair, with early stopping two uniforms `one`, `two`
  (child A = one and not two, child B = two and not one, neither 50 %), without it one uniform
  (child A or else child B); children multiplied by their parent; the root column dropped;
- `nn.init.xavier_normal_` on the `(n_instances, n_hidden, n_features)` tensor (its fans, and so
  its scale, depend on the instance count), `b_final` zeros;
- `h = W x`, `out = relu(Wᵀ h + b_final)`; loss = importance (1) × squared error, mean over batch
  and features per instance, summed over instances; `torch.optim.Adam(lr=1e-3)` with PyTorch's
  defaults, a constant learning rate, batch 1024;
- the notebook's evaluation: one fresh batch of 500, the per-instance loss on it (`sampled_loss`).

It adds the exact per-instance loss (`exact_loss`): the expectation over every sample the sampler
can produce (the root-only sample, and the path to each node), each weighed by its probability,
the quantity tmh's `exact_loss` column holds. The data's random draws are torch's, not tmh's, so
an instance here and the same instance in tmh share nothing but their distribution.

    python scripts/notebook_reference.py --depths 1,2,3,4 --seeds 0,1,2 --jobs 2 --out ref.csv
    python scripts/notebook_reference.py --self-test
"""

import argparse
import csv
import math
import multiprocessing
import os
import sys
import tempfile
import time
import warnings

# torch warns at import when numpy is missing; nothing here uses numpy.
warnings.filterwarnings("ignore", message="Failed to initialize NumPy")
import torch  # noqa: E402
from torch import nn  # noqa: E402
from torch.nn import functional as F  # noqa: E402

BRANCHING = 2  # the notebook's sampler loop is written for binary trees only


def n_features_of(depth):
    return BRANCHING ** (depth + 1) - 2


def generate_batch(depth, n_instances, batch_size, early_stopping):
    """The notebook's `generate_batch` (In [5]), step for step: heap-ordered nodes, root kept
    while sampling and dropped at the end."""
    n_nodes = BRANCHING ** (depth + 1) - 1
    feat = torch.zeros((batch_size, n_instances, n_nodes))
    rand_shape = (batch_size, n_instances)
    for level in range(depth + 1):
        if level == 0:
            feat[:, :, 0] = torch.ones(rand_shape)
            continue
        start_idx = 2**level - 1
        for i in range(2 ** (level - 1)):
            a, b = start_idx + 2 * i, start_idx + 2 * i + 1
            if early_stopping:
                one = (torch.rand(rand_shape) > 0.5).to(torch.int)
                two = (torch.rand(rand_shape) > 0.5).to(torch.int)
                feat[:, :, a] = ((one - two) == 1).to(torch.int)
                feat[:, :, b] = ((two - one) == 1).to(torch.int)
            else:
                feat[:, :, a] = (torch.rand(rand_shape) > 0.5).to(torch.int)
                feat[:, :, b] = 1 - feat[:, :, a]
            parent_idx = (a - 1) // 2
            feat[:, :, a] *= feat[:, :, parent_idx]
            feat[:, :, b] *= feat[:, :, parent_idx]
    return feat[:, :, 1:]


def support(depth, early_stopping):
    """Every sample the sampler can produce and its exact probability, as (x [S, F] float64,
    p [S] float64). Below an active node the sampler activates child A or child B with
    probability q each and neither with s (early stopping: q = 1/4, s = 1/2; without: q = 1/2,
    s = 0). A sample is the path to the node where it stopped: probability q^level · s, or
    q^depth at a leaf, which has no children to stop above."""
    q, s = (0.25, 0.5) if early_stopping else (0.5, 0.0)
    n_nodes = BRANCHING ** (depth + 1) - 1
    rows, probs = [], []
    for node in range(n_nodes):  # node 0, the root: the all-zero sample
        level = (node + 1).bit_length() - 1
        p = q**level * (1.0 if level == depth else s)
        if p == 0.0:
            continue
        x = [0.0] * (n_nodes - 1)
        n = node
        while n > 0:
            x[n - 1] = 1.0
            n = (n - 1) // 2
        rows.append(x)
        probs.append(p)
    return torch.tensor(rows, dtype=torch.float64), torch.tensor(probs, dtype=torch.float64)


def forward(W, b, x):
    """The notebook's `forward`: x [..., instances, features] → the same shape."""
    hidden = torch.einsum("...if,ihf->...ih", x, W)
    out = torch.einsum("...ih,ihf->...if", hidden, W)
    return F.relu(out + b)


def loss_per_instance(out, batch):
    """The notebook's `calculate_loss_per_instance` (importance 1): mean over batch and
    features."""
    return ((batch - out) ** 2).mean(dim=(0, 2))


def exact_loss(W, b, depth, early_stopping):
    """Σ_s P(s) · mean_f (x_s − out_s)², per instance, in float64."""
    x, p = support(depth, early_stopping)
    W, b = W.detach().double(), b.detach().double()
    out = forward(W, b, x[:, None, :].expand(-1, W.shape[0], -1))
    per_sample = ((x[:, None, :] - out) ** 2).mean(dim=2)  # [S, instances]
    return (p[:, None] * per_sample).sum(dim=0)


def config_seed(seed, depth, n_hidden, early_stopping):
    """One torch seed per (seed, config), so that a config reruns alike alone or in any order."""
    return seed * 1_000_000 + depth * 1_000 + n_hidden * 10 + int(early_stopping)


def train_indexed(indexed):
    index, task = indexed
    return index, train_one(task)


def train_one(task):
    """Trains one config's instances as the notebook does; returns its CSV rows."""
    depth, n_hidden, seed, steps, n_instances, early_stopping = task
    torch.set_num_threads(1)
    torch.manual_seed(config_seed(seed, depth, n_hidden, early_stopping))
    n_features = n_features_of(depth)
    start = time.perf_counter()
    W = nn.Parameter(nn.init.xavier_normal_(torch.empty((n_instances, n_hidden, n_features))))
    b = nn.Parameter(torch.zeros((n_instances, n_features)))
    optimizer = torch.optim.Adam([W, b], lr=1e-3)
    for _ in range(steps):
        optimizer.zero_grad()
        batch = generate_batch(depth, n_instances, 1024, early_stopping)
        loss = loss_per_instance(forward(W, b, batch), batch).sum()
        loss.backward()
        optimizer.step()
    seconds = time.perf_counter() - start
    with torch.no_grad():
        batch = generate_batch(depth, n_instances, 500, early_stopping)
        sampled = loss_per_instance(forward(W, b, batch), batch)
        exact = exact_loss(W, b, depth, early_stopping)
    return [
        {
            "depth": depth,
            "n_features": n_features,
            "n_hidden": n_hidden,
            "seed": seed,
            "instance": i,
            "sampled_loss": repr(float(sampled[i])),
            "exact_loss": repr(float(exact[i])),
            "train_seconds": f"{seconds:.3f}",
        }
        for i in range(n_instances)
    ]


COLUMNS = [
    "depth",
    "n_features",
    "n_hidden",
    "seed",
    "instance",
    "sampled_loss",
    "exact_loss",
    "train_seconds",
]


def write_csv_atomically(path, rows):
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".notebook_reference.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=COLUMNS)
            writer.writeheader()
            writer.writerows(rows)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def int_list(text):
    return [int(v) for v in text.split(",") if v.strip()]


def self_test():
    """Property checks of the sampler and the exact loss, in a few seconds. Each statistical
    tolerance is 5 standard errors: with ~60 comparisons a false alarm has odds below 1e-4."""
    torch.manual_seed(12345)
    torch.set_num_threads(1)
    z = 5.0
    checks = 0
    for depth, early_stopping in [(3, True), (3, False), (1, True)]:
        x, p = support(depth, early_stopping)
        assert abs(float(p.sum()) - 1.0) < 1e-12, "support probabilities must sum to 1"
        n_instances, batch = 2, 2**16
        n = n_instances * batch
        sample = generate_batch(depth, n_instances, batch, early_stopping).reshape(n, -1)
        assert set(sample.unique().tolist()) <= {0.0, 1.0}, "binary magnitudes"
        # Each sample is one of the support's rows, with the row's probability.
        weights = 2.0 ** torch.arange(x.shape[1], dtype=torch.float64)
        keys = (sample.double() @ weights).long()
        support_keys = (x @ weights).long().tolist()
        seen, counts = keys.unique(return_counts=True)
        unknown = set(seen.tolist()) - set(support_keys)
        assert not unknown, f"depth {depth}: {len(unknown)} sampled rows are not root paths"
        count_of = dict(zip(seen.tolist(), counts.tolist()))
        for key, prob in zip(support_keys, p.tolist()):
            freq = count_of.get(key, 0) / n
            se = math.sqrt(prob * (1 - prob) / n)
            assert abs(freq - prob) <= z * se + 1e-12, (
                f"depth {depth}, early_stopping {early_stopping}: a path sampled with "
                f"frequency {freq:.5f}, exact {prob:.5f} (> {z} SE)"
            )
            checks += 1
        # Per-feature marginals: the sample mean against Σ P(s) over the paths through it.
        marginal = (p[:, None] * x).sum(dim=0)
        empirical = sample.double().mean(dim=0)
        for f, (emp, exact) in enumerate(zip(empirical.tolist(), marginal.tolist())):
            se = math.sqrt(exact * (1 - exact) / n)
            assert abs(emp - exact) <= z * se + 1e-12, (
                f"depth {depth}, early_stopping {early_stopping}, feature {f}: marginal "
                f"{emp:.5f} sampled, {exact:.5f} exact"
            )
            checks += 1
        # Early stopping: level l's nodes are each active with (1/4)^l, as docs/science.md says.
        if early_stopping:
            for node in range(1, x.shape[1] + 1):
                level = (node + 1).bit_length() - 1
                assert abs(float(marginal[node - 1]) - 0.25**level) < 1e-12
                checks += 1

    # The exact loss of a random model against a large sampled loss (its mean over samples,
    # whose standard error the per-sample losses give).
    depth, n_instances, n_hidden = 3, 3, 4
    W = nn.init.xavier_normal_(torch.empty((n_instances, n_hidden, n_features_of(depth))))
    b = 0.3 * torch.randn((n_instances, n_features_of(depth)))
    exact = exact_loss(W, b, depth, True)
    batch = generate_batch(depth, n_instances, 2**17, True)
    per_sample = ((batch - forward(W, b, batch)) ** 2).double().mean(dim=2)  # [B, instances]
    for i in range(n_instances):
        mean = float(per_sample[:, i].mean())
        se = float(per_sample[:, i].std()) / math.sqrt(per_sample.shape[0])
        assert abs(mean - float(exact[i])) <= z * se, (
            f"instance {i}: sampled loss {mean:.6g} ± {se:.2g}, exact {float(exact[i]):.6g}"
        )
        checks += 1

    # The bias-only model (W = 0, b = E[x]) has exact loss mean_f p_f (1 − p_f), analytically;
    # docs/science.md quotes 0.1875 at depth 1 and 0.0265 at depth 4.
    for depth, quoted in [(1, 0.1875), (4, 0.0265)]:
        x, p = support(depth, True)
        marginal = (p[:, None] * x).sum(dim=0)
        W0 = torch.zeros((1, 1, n_features_of(depth)), dtype=torch.float64)
        got = float(exact_loss(W0, marginal[None, :], depth, True)[0])
        want = float((marginal * (1 - marginal)).mean())
        assert abs(got - want) < 1e-12 and abs(got - quoted) < 5e-5, (depth, got, want)
        checks += 1

    # xavier_normal_ on (instances, hidden, features): std √(2 / (F · (H + I))), PyTorch's fans.
    shape = (5, 10, 30)
    W = nn.init.xavier_normal_(torch.empty(shape))
    want = math.sqrt(2.0 / (30 * (10 + 5)))
    assert abs(float(W.std()) / want - 1) < 0.1, (float(W.std()), want)
    checks += 1
    print(f"self-test passed: {checks} checks")


def main():
    parser = argparse.ArgumentParser(
        description="Train the seed notebook's sweep in plain PyTorch (the reference of "
        "`cargo xtask check-notebook`)."
    )
    parser.add_argument("--depths", type=int_list, default=[1, 2, 3, 4])
    parser.add_argument("--n-hidden", type=int_list, default=list(range(2, 11)))
    parser.add_argument("--seeds", type=int_list, default=[0, 1, 2])
    parser.add_argument("--steps", type=int, default=10_000)
    parser.add_argument("--instances", type=int, default=5)
    parser.add_argument(
        "--stop-prob",
        type=float,
        choices=[0.5, 0.0],
        default=0.5,
        help="0.5: the notebook's early_stopping=True (the seed); 0: early_stopping=False",
    )
    parser.add_argument("--jobs", type=int, default=1, help="configs trained in parallel")
    parser.add_argument("--out", help="CSV to write (atomically)")
    parser.add_argument("--self-test", action="store_true")
    args = parser.parse_args()
    if args.self_test:
        self_test()
        return
    if not args.out:
        parser.error("--out is required (or --self-test)")
    early_stopping = args.stop_prob == 0.5
    tasks = [
        (depth, n_hidden, seed, args.steps, args.instances, early_stopping)
        for seed in args.seeds
        for depth in args.depths
        for n_hidden in args.n_hidden
        if n_hidden <= n_features_of(depth)  # the notebook skips n_hidden > n_features
    ]
    # The slowest first, so that the last job to finish is a short one.
    order = sorted(range(len(tasks)), key=lambda t: (-tasks[t][0], -tasks[t][1]))
    results = {}
    start = time.perf_counter()

    def done(index, rows):
        results[index] = rows
        depth, n_hidden, seed = tasks[index][:3]
        print(
            f"[{len(results)}/{len(tasks)}] depth {depth} n_hidden {n_hidden} seed {seed}: "
            f"{rows[0]['train_seconds']} s, exact losses "
            + " ".join(f"{float(r['exact_loss']):.2e}" for r in rows),
            file=sys.stderr,
            flush=True,
        )

    if args.jobs <= 1:
        for t in order:
            done(t, train_one(tasks[t]))
    else:
        # spawn: fresh interpreters, each with one torch thread (fork after torch's thread pools
        # exist is unsafe).
        with multiprocessing.get_context("spawn").Pool(args.jobs) as pool:
            ordered = [(t, tasks[t]) for t in order]
            for t, rows in pool.imap_unordered(train_indexed, ordered, chunksize=1):
                done(t, rows)
    rows = [row for t in range(len(tasks)) for row in results[t]]
    write_csv_atomically(args.out, rows)
    print(
        f"wrote {args.out}: {len(tasks)} configs, {len(rows)} instances, "
        f"{time.perf_counter() - start:.1f} s",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
