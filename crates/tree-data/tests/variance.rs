//! `DataSpec::feature_variances`: exact against the support where there is one, and within
//! sampling error of the sampler's own values elsewhere.

mod common;

use common::{N_SE, data, keys};
use tree_data::{DataSpec, Magnitude, Pairs, Purpose, SparseSpec, Structure, TreeSpec};

/// Tree paths with binary magnitudes: the variance of each feature over the support's rows,
/// weighted by their probabilities, is the closed form's to rounding.
#[test]
fn binary_tree_variances_are_those_of_the_support() {
    for (depth, branching, stop_prob) in [(4, 2, 0.5), (5, 2, 0.0), (3, 3, 0.3)] {
        let spec = data(depth, branching, stop_prob, Structure::Tree);
        let support = spec.support().unwrap();
        let mut mean = vec![0.0; spec.n_features()];
        for (row, p) in support.rows.iter().zip(&support.probability) {
            for &f in row {
                mean[f as usize] += p;
            }
        }
        // x is 0 or 1, so E[x²] = E[x].
        let expected: Vec<f64> = mean.iter().map(|m| m - m * m).collect();
        let got = spec.feature_variances(0);
        for (f, (g, e)) in got.iter().zip(&expected).enumerate() {
            assert!((g - e).abs() < 1e-14, "{spec:?} feature {f}: {g} vs {e}");
        }
    }
}

/// Per instance and feature, the sample variance of a large batch is within N_SE standard
/// errors of `feature_variances`.
fn assert_variances_match_samples(spec: &DataSpec, instances: u32, batch: usize) {
    let samples = spec.sample(&keys(7, instances), Purpose::Train, 0, batch);
    let n = spec.n_features();
    let m4 = match spec.magnitude {
        Magnitude::Binary => 1.0,
        Magnitude::Uniform => 0.2,
    };
    for i in 0..instances {
        let (mut sum, mut sum_sq) = (vec![0.0f64; n], vec![0.0f64; n]);
        for s in 0..batch {
            let (indices, values) = samples.row(i as usize, s);
            for (&f, &v) in indices.iter().zip(values) {
                sum[f as usize] += f64::from(v);
                sum_sq[f as usize] += f64::from(v) * f64::from(v);
            }
        }
        let (m1, m2) = spec.magnitude.moments();
        let expected = spec.feature_variances(i);
        for (f, p) in spec.marginals(i).into_iter().enumerate() {
            let b = batch as f64;
            let (mean, mean_sq) = (sum[f] / b, sum_sq[f] / b);
            // Standard errors of the two moments, from their exact variances.
            let se_mean = (p * m2 - (p * m1).powi(2)).max(0.0).sqrt() / b.sqrt();
            let se_sq = (p * m4 - (p * m2).powi(2)).max(0.0).sqrt() / b.sqrt();
            let tolerance = N_SE * (se_sq + 2.0 * p * m1 * se_mean) + (N_SE * se_mean).powi(2);
            let observed = mean_sq - mean * mean;
            assert!(
                (observed - expected[f]).abs() <= tolerance + 1e-12,
                "{spec:?} instance {i} feature {f}: sampled {observed:.6} vs {:.6} (± {tolerance:.1e})",
                expected[f]
            );
        }
    }
}

#[test]
fn uniform_tree_and_independent_variances_match_samples() {
    for structure in [Structure::Tree, Structure::Independent] {
        let tree = TreeSpec::new(3, 2, 0.5).unwrap();
        let spec = DataSpec::tree(tree, structure, Magnitude::Uniform);
        assert_variances_match_samples(&spec, 2, 100_000);
    }
}

#[test]
fn sparse_variances_match_samples_with_pairs_and_per_instance_rows() {
    let probability = vec![
        vec![0.3, 0.3, 0.2, 0.2, 0.05, 0.6],
        vec![0.1, 0.1, 0.5, 0.5, 1.0, 0.0],
    ];
    let pairs = Pairs {
        correlated: 1,
        anticorrelated: 1,
    };
    let sparse = SparseSpec::new(6, probability, pairs).unwrap();
    for magnitude in [Magnitude::Binary, Magnitude::Uniform] {
        let spec = DataSpec::sparse(sparse.clone(), magnitude);
        assert_variances_match_samples(&spec, 2, 100_000);
    }
}
