//! TMS-style sparse features: exact marginals, per-instance probabilities, ARENA's pair
//! semantics and the checks of `SparseSpec::new`.

mod common;

use common::{assert_binomial, keys, rows};
use tree_data::{DataSpec, Magnitude, Pairs, Purpose, SparseBatch, SparseError, SparseSpec};

const PER_INSTANCE: usize = 50_000;

fn spec(n_features: usize, probability: Vec<Vec<f64>>, pairs: Pairs) -> DataSpec {
    DataSpec::sparse(
        SparseSpec::new(n_features, probability, pairs).unwrap(),
        Magnitude::Uniform,
    )
}

fn pairs(correlated: usize, anticorrelated: usize) -> Pairs {
    Pairs {
        correlated,
        anticorrelated,
    }
}

/// Per-instance feature counts and pair co-occurrence counts of one big batch.
struct Counts {
    on: Vec<Vec<usize>>,
    both: Vec<Vec<usize>>,
}

fn count(batch: &SparseBatch, n_pairs: usize) -> Counts {
    let mut on = vec![vec![0; batch.n_features]; batch.n_instances];
    let mut both = vec![vec![0; n_pairs]; batch.n_instances];
    for i in 0..batch.n_instances {
        for s in 0..batch.batch {
            let (indices, values) = batch.row(i, s);
            assert!(
                indices.windows(2).all(|w| w[0] < w[1]),
                "row not strictly increasing: {indices:?}"
            );
            assert!(values.iter().all(|&v| v > 0.0 && v <= 1.0));
            for &f in indices {
                on[i][f as usize] += 1;
            }
            for (k, both_k) in both[i].iter_mut().enumerate() {
                let pair = [2 * k as u32, 2 * k as u32 + 1];
                if pair.iter().all(|f| indices.contains(f)) {
                    *both_k += 1;
                }
            }
        }
    }
    Counts { on, both }
}

#[test]
fn per_feature_and_per_instance_marginals_are_exact() {
    // Three rows (instances 0, 1, 2), a fourth instance reuses row 0; runs of equal
    // probability and the edge cases 0 and 1 included.
    let rows_p = vec![
        vec![0.3, 0.3, 0.3, 0.05, 0.05, 1.0, 0.0, 0.6],
        vec![0.01; 8],
        vec![0.5, 0.2, 0.5, 0.2, 0.9, 0.9, 0.1, 0.4],
    ];
    let data = spec(8, rows_p.clone(), Pairs::default());
    let batch = data.sample(&keys(7, 4), Purpose::Train, 3, PER_INSTANCE);
    let counts = count(&batch, 0);
    for i in 0..4 {
        let p = &rows_p[i % 3];
        assert_eq!(data.marginals(i as u32), *p);
        for (f, (&on, &p_f)) in counts.on[i].iter().zip(p).enumerate() {
            assert_binomial(&format!("instance {i} feature {f}"), on, PER_INSTANCE, p_f);
        }
    }
    // Probability 1 and 0 are exact, not merely likely.
    assert_eq!(counts.on[0][5], PER_INSTANCE);
    assert_eq!(counts.on[0][6], 0);
}

#[test]
fn independent_features_are_independent() {
    let data = spec(4, vec![vec![0.3, 0.3, 0.4, 0.4]], Pairs::default());
    let batch = data.sample(&keys(8, 2), Purpose::Train, 0, PER_INSTANCE);
    let n = 2 * PER_INSTANCE;
    let mut joint = [[0usize; 4]; 4];
    for (indices, _) in rows(&batch) {
        for &a in indices {
            for &b in indices {
                joint[a as usize][b as usize] += 1;
            }
        }
    }
    let p = [0.3, 0.3, 0.4, 0.4];
    for a in 0..4 {
        for b in a + 1..4 {
            assert_binomial(&format!("P({a} and {b})"), joint[a][b], n, p[a] * p[b]);
        }
    }
}

#[test]
fn correlated_pairs_are_both_on_or_both_off() {
    let p = vec![0.2, 0.2, 0.05, 0.05, 0.3];
    let data = spec(5, vec![p.clone()], pairs(2, 0));
    let batch = data.sample(&keys(9, 2), Purpose::Train, 1, PER_INSTANCE);
    let counts = count(&batch, 2);
    for i in 0..2 {
        for k in 0..2 {
            // Both on exactly when either is on: the pair is one draw.
            assert_eq!(counts.on[i][2 * k], counts.both[i][k]);
            assert_eq!(counts.on[i][2 * k + 1], counts.both[i][k]);
            assert_binomial(
                &format!("pair {k}"),
                counts.both[i][k],
                PER_INSTANCE,
                p[2 * k],
            );
        }
        assert_binomial("unpaired", counts.on[i][4], PER_INSTANCE, 0.3);
    }
    // Magnitudes are still drawn per feature, not shared by the pair.
    let differ = rows(&batch)
        .filter(|(indices, _)| indices.starts_with(&[0, 1]))
        .filter(|(_, values)| values[0] != values[1])
        .count();
    assert!(differ > 0);
}

#[test]
fn anticorrelated_pairs_are_never_both_on() {
    let p = vec![0.4, 0.4, 0.5, 0.5, 0.1, 0.1, 0.2];
    let data = spec(7, vec![p.clone()], pairs(1, 2));
    let batch = data.sample(&keys(10, 2), Purpose::Train, 2, PER_INSTANCE);
    let counts = count(&batch, 3);
    for i in 0..2 {
        assert_binomial("correlated pair", counts.both[i][0], PER_INSTANCE, 0.4);
        for k in 1..3 {
            assert_eq!(counts.both[i][k], 0, "anticorrelated pair {k} both on");
            for f in [2 * k, 2 * k + 1] {
                assert_binomial(&format!("feature {f}"), counts.on[i][f], PER_INSTANCE, p[f]);
            }
        }
        // p = 0.5: exactly one of the pair is on in every sample.
        assert_eq!(counts.on[i][2] + counts.on[i][3], PER_INSTANCE);
        assert_binomial("unpaired", counts.on[i][6], PER_INSTANCE, 0.2);
    }
}

#[test]
fn one_instance_matches_the_batch_and_streams_are_reproducible() {
    let data = spec(6, vec![vec![0.3; 6], vec![0.45; 6]], pairs(1, 1));
    let k = keys(11, 2);
    let batch = data.sample(&k, Purpose::Eval, 4, 300);
    assert_eq!(batch, data.sample(&k, Purpose::Eval, 4, 300));
    let mut alone = SparseBatch::new();
    data.sample_instance_into(k[1], Purpose::Eval, 4, 300, &mut alone);
    for s in 0..300 {
        assert_eq!(alone.row(0, s), batch.row(1, s));
    }
    assert_ne!(batch, data.sample(&k, Purpose::Eval, 5, 300));
}

#[test]
fn bad_specs_name_the_field() {
    let cases: Vec<(SparseError, &str)> = vec![
        (
            SparseSpec::new(0, vec![vec![]], Pairs::default()).unwrap_err(),
            "n_features = 0",
        ),
        (
            SparseSpec::new(3, vec![], Pairs::default()).unwrap_err(),
            "feature_probability has no values",
        ),
        (
            SparseSpec::new(3, vec![vec![0.1, 0.2]], Pairs::default()).unwrap_err(),
            "row 0 has 2 values",
        ),
        (
            SparseSpec::new(2, vec![vec![0.1, f64::NAN]], Pairs::default()).unwrap_err(),
            "feature_probability = NaN (row 0, feature 1) is outside [0, 1]",
        ),
        (
            SparseSpec::new(3, vec![vec![0.1; 3]], pairs(1, 1)).unwrap_err(),
            "need 4 features, more than n_features = 3",
        ),
        (
            SparseSpec::new(2, vec![vec![0.1, 0.2]], pairs(1, 0)).unwrap_err(),
            "differs between features 0 and 1",
        ),
        (
            SparseSpec::new(2, vec![vec![0.6, 0.6]], pairs(0, 1)).unwrap_err(),
            "above 0.5 for an anticorrelated pair",
        ),
    ];
    for (err, want) in cases {
        assert!(err.to_string().contains(want), "{err} lacks {want:?}");
    }
}
