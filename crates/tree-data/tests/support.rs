//! The support of binary tree data (paths, or independent features): every possible sample
//! and its exact probability.

mod common;

use std::collections::HashMap;

use common::{assert_binomial, data, many_samples, rows};
use tree_data::{DataSpec, Magnitude, Pairs, SparseSpec, Structure, TreeSpec};

const CONFIGS: [(u32, u32, f64); 4] = [(1, 2, 0.5), (4, 2, 0.5), (5, 2, 0.0), (3, 3, 0.3)];

#[test]
fn depth_one_has_three_samples() {
    let support = data(1, 2, 0.5, Structure::Tree).support().unwrap();
    assert_eq!(support.rows, vec![vec![], vec![0], vec![1]]);
    assert_eq!(support.probability, vec![0.5, 0.25, 0.25]);
    assert_eq!(support.n_features, 2);
}

/// Rows are the root-to-node paths; probabilities sum to 1 and give each feature its marginal.
#[test]
fn rows_are_paths_and_probabilities_give_the_marginals() {
    for (depth, branching, stop_prob) in CONFIGS {
        let spec = data(depth, branching, stop_prob, Structure::Tree);
        let tree = *spec.tree_spec().unwrap();
        let support = spec.support().unwrap();
        if stop_prob > 0.0 {
            assert_eq!(support.len(), tree.n_features() + 1);
            assert!(support.rows[0].is_empty());
        } else {
            // Every path runs to a leaf: the other samples cannot occur.
            assert_eq!(support.len(), tree.level_range(depth).len());
            assert!(support.rows.iter().all(|r| r.len() == depth as usize));
        }
        assert!(support.probability.iter().all(|&p| p > 0.0));
        let total: f64 = support.probability.iter().sum();
        assert!((total - 1.0).abs() < 1e-12, "{spec:?}: total {total}");
        let mut marginal = vec![0.0; tree.n_features()];
        for (row, p) in support.rows.iter().zip(&support.probability) {
            let Some(&deepest) = row.last() else { continue };
            let f = deepest as usize;
            assert_eq!(row.len() as u32, tree.level(f), "{spec:?} row of {f}");
            for pair in row.windows(2) {
                assert_eq!(tree.parent(pair[1] as usize), Some(pair[0] as usize));
            }
            for &a in row {
                marginal[a as usize] += p;
            }
        }
        for (f, m) in marginal.iter().enumerate() {
            let expected = tree.marginal(tree.level(f));
            assert!(
                (m - expected).abs() < 1e-12,
                "{spec:?} feature {f}: {m} vs {expected}"
            );
        }
    }
}

/// The sampler draws each row with the support's probability (within 5 standard errors),
/// tree paths and independent features alike.
#[test]
fn the_sampler_draws_rows_with_their_probabilities() {
    const N: usize = 200_000;
    let trees = CONFIGS.map(|(d, b, s)| (d, b, s, Structure::Tree));
    let independent =
        [(1, 2, 0.5), (2, 2, 0.5), (2, 2, 0.0)].map(|(d, b, s)| (d, b, s, Structure::Independent));
    for (depth, branching, stop_prob, structure) in trees.into_iter().chain(independent) {
        let spec = data(depth, branching, stop_prob, structure);
        let support = spec.support().unwrap();
        let index: HashMap<&[u32], usize> = (support.rows.iter().enumerate())
            .map(|(i, r)| (r.as_slice(), i))
            .collect();
        let mut counts = vec![0; support.len()];
        let batch = many_samples(&spec, N);
        for (indices, values) in rows(&batch) {
            let row = index
                .get(indices)
                .unwrap_or_else(|| panic!("{indices:?} is not a row"));
            assert!(values.iter().all(|&v| v == 1.0));
            counts[*row] += 1;
        }
        for (row, &count) in counts.iter().enumerate() {
            let what = format!("{spec:?} row {row}");
            assert_binomial(&what, count, N, support.probability[row]);
        }
    }
}

/// Independent features: every subset, its probability the product of the marginals, which
/// they give back; all 2^14 at depth 3, none enumerated beyond 16 features.
#[test]
fn independent_features_have_every_subset_up_to_sixteen() {
    let spec = data(3, 2, 0.5, Structure::Independent);
    let support = spec.support().unwrap();
    assert_eq!(support.len(), 1 << 14);
    let total: f64 = support.probability.iter().sum();
    assert!((total - 1.0).abs() < 1e-12, "total {total}");
    let p = spec.marginals(0);
    let mut marginal = [0.0; 14];
    for (row, prob) in support.rows.iter().zip(&support.probability) {
        let want: f64 = (0..14)
            .map(|f| {
                if row.contains(&f) {
                    p[f as usize]
                } else {
                    1.0 - p[f as usize]
                }
            })
            .product();
        assert!((prob - want).abs() <= 1e-15 * want.max(1e-300), "{row:?}");
        for &f in row {
            marginal[f as usize] += prob;
        }
    }
    for (f, m) in marginal.iter().enumerate() {
        assert!((m - p[f]).abs() < 1e-12, "feature {f}: {m} vs {}", p[f]);
    }
    // Without early stopping some marginals are 1/2; none are 0 or 1, so no row is dropped.
    assert_eq!(
        data(2, 2, 0.0, Structure::Independent)
            .support()
            .unwrap()
            .len(),
        64
    );
    assert_eq!(
        data(4, 2, 0.5, Structure::Independent).support(),
        None,
        "30 features"
    );
}

#[test]
fn only_binary_tree_data_has_a_support() {
    let tree = TreeSpec::new(3, 2, 0.5).unwrap();
    let uniform = DataSpec::tree(tree, Structure::Tree, Magnitude::Uniform);
    let uniform_independent = DataSpec::tree(tree, Structure::Independent, Magnitude::Uniform);
    let sparse = DataSpec::sparse(
        SparseSpec::new(5, vec![vec![0.1; 5]], Pairs::default()).unwrap(),
        Magnitude::Binary,
    );
    for spec in [uniform, uniform_independent, sparse] {
        assert_eq!(spec.support(), None, "{spec:?}");
    }
}
