//! Statistical properties of the samplers, checked against closed forms.

mod common;

use common::{N_SE, assert_binomial, data, many_samples, rows};
use tree_data::{DataSpec, Magnitude, Purpose, Structure};

const N_SAMPLES: usize = 200_000;

const CONFIGS: [(u32, u32, f64); 3] = [(4, 2, 0.5), (5, 2, 0.0), (4, 3, 0.3)];

fn feature_counts(spec: &DataSpec, n_samples: usize) -> Vec<usize> {
    let batch = many_samples(spec, n_samples);
    let mut counts = vec![0; spec.n_features()];
    for &f in &batch.indices {
        counts[f as usize] += 1;
    }
    counts
}

/// Each node's frequency within N_SE s.e. of ((1-s)/b)^l, and each level's average too.
fn check_marginals(structure: Structure) {
    for (depth, branching, stop_prob) in CONFIGS {
        let spec = data(depth, branching, stop_prob, structure);
        let counts = feature_counts(&spec, N_SAMPLES);
        let tree = *spec.tree_spec().unwrap();
        for level in 1..=depth {
            let p = ((1.0 - stop_prob) / f64::from(branching)).powi(level as i32);
            assert!((tree.marginal(level) - p).abs() < 1e-15);
            let range = tree.level_range(level);
            let width = range.len();
            for f in range.clone() {
                assert_binomial(&format!("{spec:?} feature {f}"), counts[f], N_SAMPLES, p);
            }
            let level_total: usize = counts[range].iter().sum();
            match structure {
                // At most one node per level is active, so the level total is
                // Binomial(N, b^l p) and the level average has that s.e. / b^l.
                Structure::Tree => assert_binomial(
                    &format!("{spec:?} level {level}"),
                    level_total,
                    N_SAMPLES,
                    p * width as f64,
                ),
                // Independent nodes: Binomial(N * b^l, p).
                Structure::Independent => assert_binomial(
                    &format!("{spec:?} level {level}"),
                    level_total,
                    N_SAMPLES * width,
                    p,
                ),
            }
        }
    }
}

#[test]
fn tree_marginals_match_closed_form() {
    check_marginals(Structure::Tree);
}

#[test]
fn independent_marginals_match_tree_marginals() {
    check_marginals(Structure::Independent);
    for (depth, branching, stop_prob) in CONFIGS {
        let tree = data(depth, branching, stop_prob, Structure::Tree);
        let independent = data(depth, branching, stop_prob, Structure::Independent);
        assert_eq!(tree.marginals(0), independent.marginals(0));
    }
}

#[test]
fn tree_samples_are_paths() {
    for (depth, branching, stop_prob) in CONFIGS {
        let spec = data(depth, branching, stop_prob, Structure::Tree);
        let tree = *spec.tree_spec().unwrap();
        let batch = many_samples(&spec, 40_000);
        let mut active = vec![false; spec.n_features()];
        for (indices, _) in rows(&batch) {
            for &f in indices {
                active[f as usize] = true;
            }
            for (k, &f) in indices.iter().enumerate() {
                let f = f as usize;
                // Top-down order: the k-th entry is at level k + 1.
                assert_eq!(tree.level(f) as usize, k + 1);
                // A child is never active without its parent.
                if let Some(parent) = tree.parent(f) {
                    assert!(active[parent], "feature {f} active without parent {parent}");
                }
                // Siblings are never both active.
                for s in tree.siblings(f) {
                    assert!(!active[s], "siblings {f} and {s} both active");
                }
            }
            for &f in indices {
                active[f as usize] = false;
            }
        }
    }
}

#[test]
fn path_length_distribution() {
    for (depth, branching, stop_prob) in CONFIGS {
        let spec = data(depth, branching, stop_prob, Structure::Tree);
        let batch = many_samples(&spec, N_SAMPLES);
        let mut length_counts = vec![0; depth as usize + 1];
        for (indices, _) in rows(&batch) {
            length_counts[indices.len()] += 1;
        }
        let go_on = 1.0 - stop_prob;
        for (k, &count) in length_counts.iter().enumerate() {
            let p = if k < depth as usize {
                go_on.powi(k as i32) * stop_prob
            } else {
                go_on.powi(depth as i32)
            };
            assert_binomial(&format!("{spec:?} length {k}"), count, N_SAMPLES, p);
        }
        if stop_prob == 0.0 {
            assert_eq!(length_counts[depth as usize], N_SAMPLES);
        }
    }
}

#[test]
fn seed_rule_binary_half_stop() {
    // The seed: each child of the root 25%, neither 50%.
    let spec = data(3, 2, 0.5, Structure::Tree);
    let batch = many_samples(&spec, N_SAMPLES);
    let mut firsts = [0usize; 3]; // child 0, child 1, neither
    for (indices, _) in rows(&batch) {
        match indices.first() {
            Some(&f) => firsts[f as usize] += 1,
            None => firsts[2] += 1,
        }
    }
    assert_binomial("child 0", firsts[0], N_SAMPLES, 0.25);
    assert_binomial("child 1", firsts[1], N_SAMPLES, 0.25);
    assert_binomial("neither", firsts[2], N_SAMPLES, 0.5);
}

#[test]
fn independent_features_co_occur_as_products() {
    let spec = data(3, 2, 0.5, Structure::Independent);
    let tree = *spec.tree_spec().unwrap();
    let batch = many_samples(&spec, N_SAMPLES);
    let (p1, p2) = (tree.marginal(1), tree.marginal(2));
    let (mut both_siblings, mut orphan) = (0, 0);
    let child_of_0 = tree.children(0).start;
    for (indices, _) in rows(&batch) {
        let has = |f: usize| indices.contains(&(f as u32));
        both_siblings += usize::from(has(0) && has(1));
        orphan += usize::from(has(child_of_0) && !has(0));
    }
    // Independence: P(both) = p1^2 (impossible in the tree), P(child, no parent) = p2 (1 - p1).
    assert!(both_siblings > 0);
    assert_binomial("siblings 0 and 1", both_siblings, N_SAMPLES, p1 * p1);
    assert_binomial("child without parent", orphan, N_SAMPLES, p2 * (1.0 - p1));
}

#[test]
fn independent_rows_are_sorted_and_unique() {
    let spec = data(4, 3, 0.0, Structure::Independent);
    let batch = many_samples(&spec, 20_000);
    for (indices, _) in rows(&batch) {
        assert!(indices.windows(2).all(|w| w[0] < w[1]), "{indices:?}");
    }
}

#[test]
fn magnitudes() {
    for structure in [Structure::Tree, Structure::Independent] {
        let binary = data(4, 2, 0.2, structure);
        let batch = many_samples(&binary, 40_000);
        assert!(batch.nnz() > 0);
        assert!(batch.values.iter().all(|&v| v == 1.0));

        let uniform = DataSpec {
            magnitude: Magnitude::Uniform,
            ..binary.clone()
        };
        let batch = many_samples(&uniform, 40_000);
        let n = batch.nnz();
        assert!(n > 10_000);
        assert!(batch.values.iter().all(|&v| v > 0.0 && v <= 1.0));
        let mean = batch.values.iter().map(|&v| f64::from(v)).sum::<f64>() / n as f64;
        let se = (1.0 / 12.0 / n as f64).sqrt();
        assert!((mean - 0.5).abs() < N_SE * se, "{structure:?} mean {mean}");
        let below_quarter = batch.values.iter().filter(|&&v| v <= 0.25).count();
        assert_binomial("uniform <= 0.25", below_quarter, n, 0.25);
    }
}

#[test]
fn purposes_give_different_data() {
    let spec = data(4, 2, 0.5, Structure::Tree);
    let keys = common::keys(5, 2);
    let train = spec.sample(&keys, Purpose::Train, 0, 256);
    let eval = spec.sample(&keys, Purpose::Eval, 0, 256);
    let next = spec.sample(&keys, Purpose::Train, 1, 256);
    assert_ne!(train, eval);
    assert_ne!(train, next);
}
