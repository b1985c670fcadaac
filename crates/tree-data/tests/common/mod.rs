//! Shared helpers for the statistical tests.

#![allow(dead_code)] // Each test binary uses a different subset.

use tree_data::{DataSpec, Magnitude, Purpose, SparseBatch, StreamKey, Structure, TreeSpec};

/// Deviations beyond this many standard errors fail a test. With fixed seeds the
/// tests are deterministic; 5 s.e. keeps a correct sampler passing for almost any seed.
pub const N_SE: f64 = 5.0;

pub fn data(depth: u32, branching: u32, stop_prob: f64, structure: Structure) -> DataSpec {
    DataSpec::tree(
        TreeSpec::new(depth, branching, stop_prob).unwrap(),
        structure,
        Magnitude::Binary,
    )
}

pub fn keys(config: u64, n: u32) -> Vec<StreamKey> {
    (0..n)
        .map(|instance| StreamKey {
            seed: 2024,
            config,
            instance,
        })
        .collect()
}

/// `n_samples` samples split over 4 instances (all i.i.d.).
pub fn many_samples(spec: &DataSpec, n_samples: usize) -> SparseBatch {
    assert_eq!(n_samples % 4, 0);
    spec.sample(&keys(99, 4), Purpose::Train, 0, n_samples / 4)
}

/// Every row of the batch, as (indices, values).
pub fn rows(batch: &SparseBatch) -> impl Iterator<Item = (&[u32], &[f32])> {
    (0..batch.n_instances).flat_map(move |i| (0..batch.batch).map(move |s| batch.row(i, s)))
}

/// Asserts `successes` out of `trials` Bernoulli(p) trials is within N_SE standard errors.
pub fn assert_binomial(what: &str, successes: usize, trials: usize, p: f64) {
    let observed = successes as f64 / trials as f64;
    let se = (p * (1.0 - p) / trials as f64).sqrt();
    assert!(
        (observed - p).abs() <= N_SE * se + 1e-12,
        "{what}: observed {observed:.6} vs expected {p:.6} (se {se:.2e}, {trials} trials)"
    );
}
