//! The exact expected loss of trained weights, and which samples they decode, over every sample
//! the data can produce: for tree paths with binary magnitudes there are at most
//! `n_features + 1`, for a few independent binary features every subset (see [`Support`]), so
//! no evaluation batch and no sampling noise are needed.

use rayon::prelude::*;
use tree_data::Support;

/// A sample counts as decoded when every output is within this of its target: rounding the
/// output to 0 or 1 then gives the sample back.
pub const DECODE_TOLERANCE: f64 = 0.5;

/// One instance, judged on every possible sample.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ExactEval {
    /// The expected loss: `Σ_rows p(row) · mean_f importance_f · (out_f − x_f)²`, the quantity
    /// an evaluation batch estimates (the same convention: mean over features).
    pub loss: f64,
    /// The fraction of the possible samples (each counted once, whatever its probability)
    /// whose every output is within [`DECODE_TOLERANCE`] of its target; 1 when the instance
    /// stores the whole tree.
    pub decoded: f64,
    /// The largest `|out_f − x_f|` over every possible sample and feature: below
    /// [`DECODE_TOLERANCE`] exactly when every sample decodes, and how far from the edge (a
    /// model at 0.45 decodes by a hair, one at 1e-3 with a wide margin). NaN for NaN weights.
    pub max_error: f64,
}

/// [`ExactEval`] of every instance of `w` (`[instances, n_hidden, n_features]`) and `b_final`
/// (`[instances, n_features]`), with `importance` (`[n_features]`) weighting the loss, in f64.
pub fn evaluate_exact(
    support: &Support,
    importance: &[f32],
    w: &[f32],
    b_final: &[f32],
    n_hidden: usize,
) -> Vec<ExactEval> {
    let n_features = support.n_features;
    assert_eq!(importance.len(), n_features, "importance shape");
    assert_eq!(b_final.len() % n_features, 0, "bias shape");
    let instances = b_final.len() / n_features;
    assert_eq!(w.len(), instances * n_hidden * n_features, "weights shape");
    (0..instances)
        .into_par_iter()
        .map(|i| {
            let w = &w[i * n_hidden * n_features..][..n_hidden * n_features];
            let b = &b_final[i * n_features..][..n_features];
            instance(support, importance, w, b, n_hidden)
        })
        .collect()
}

/// The loss of the best model without hidden units, `W = 0` and `b = E[x]`: the importance-
/// weighted mean of the feature variances, `mean_f importance_f · Var(x_f)`, in the same
/// convention as the loss (mean over features). Every width can reach it (`W = 0` is one of
/// its models), so a trained one ends below it, and `loss / bias_only_loss` compares trees of
/// different depths (their bias-only losses differ 28-fold between depths 1 and 6 of the
/// seed's tree). `variances` from `DataSpec::feature_variances`.
pub fn bias_only_loss(variances: &[f64], importance: &[f32]) -> f64 {
    assert_eq!(variances.len(), importance.len(), "importance shape");
    let weighted: f64 = (variances.iter().zip(importance))
        .map(|(v, &i)| f64::from(i) * v)
        .sum();
    weighted / variances.len() as f64
}

fn instance(
    support: &Support,
    importance: &[f32],
    w: &[f32],
    b: &[f32],
    n_hidden: usize,
) -> ExactEval {
    let n_features = support.n_features;
    let mut hidden = vec![0.0f64; n_hidden];
    let mut x = vec![0.0f64; n_features];
    let (mut loss, mut decoded, mut max_error) = (0.0, 0usize, 0.0f64);
    for (row, &p) in support.rows.iter().zip(&support.probability) {
        // hidden = W x: the sum of W's columns of the active features.
        hidden.fill(0.0);
        for &f in row {
            x[f as usize] = 1.0;
            for (k, h) in hidden.iter_mut().enumerate() {
                *h += f64::from(w[k * n_features + f as usize]);
            }
        }
        let (mut error, mut all_close) = (0.0, true);
        for f in 0..n_features {
            let pre: f64 = (hidden.iter().enumerate())
                .map(|(k, h)| h * f64::from(w[k * n_features + f]))
                .sum::<f64>()
                + f64::from(b[f]);
            // `f64::max` would turn a NaN into 0: a model with NaN weights must not look solved.
            let out = if pre.is_nan() { pre } else { pre.max(0.0) };
            let diff = out - x[f];
            error += f64::from(importance[f]) * diff * diff;
            all_close &= diff.abs() < DECODE_TOLERANCE;
            // NaN wins: `f64::max` alone would drop it.
            max_error = if diff.is_nan() || max_error.is_nan() {
                f64::NAN
            } else {
                max_error.max(diff.abs())
            };
        }
        loss += p * error / n_features as f64;
        decoded += usize::from(all_close);
        for &f in row {
            x[f as usize] = 0.0;
        }
    }
    ExactEval {
        loss,
        decoded: decoded as f64 / support.len() as f64,
        max_error,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::prelude::*;
    use toy_model::{InstanceInit, ToyModel, initial_weights};
    use tree_data::{DataSpec, Magnitude, Rng, StreamKey, Structure, TreeSpec};

    fn support(depth: u32) -> Support {
        let tree = TreeSpec::new(depth, 2, 0.5).unwrap();
        DataSpec::tree(tree, Structure::Tree, Magnitude::Binary)
            .support()
            .unwrap()
    }

    /// `W = 0` with the bias at each feature's mean has exactly the bias-only loss, and any
    /// other bias more (the mean minimises a squared error).
    #[test]
    fn the_mean_as_bias_gives_the_bias_only_loss() {
        let tree = Structure::Tree;
        for (depth, stop_prob, structure) in [
            (1, 0.5, tree),
            (4, 0.5, tree),
            (3, 0.0, tree),
            (3, 0.5, Structure::Independent),
        ] {
            let data = DataSpec::tree(
                TreeSpec::new(depth, 2, stop_prob).unwrap(),
                structure,
                Magnitude::Binary,
            );
            let support = data.support().unwrap();
            let n = data.n_features();
            let importance: Vec<f32> = (0..n).map(|f| 0.9f32.powi(f as i32)).collect();
            let expected = bias_only_loss(&data.feature_variances(0), &importance);
            let mean: Vec<f32> = data.marginals(0).iter().map(|&p| p as f32).collect();
            let w = vec![0.0; 3 * n];
            let got = evaluate_exact(&support, &importance, &w, &mean, 3)[0].loss;
            // The marginals, powers of 1/2, are exact in f32.
            assert!(
                (got - expected).abs() < 1e-12,
                "depth {depth}: {got} vs {expected}"
            );
            for f in [0, n - 1] {
                let mut moved = mean.clone();
                moved[f] += 0.01;
                let worse = evaluate_exact(&support, &importance, &w, &moved, 3)[0].loss;
                assert!(worse > got, "depth {depth}, feature {f}: {worse} <= {got}");
            }
        }
        // The seed's depths 1 and 6, by hand: mean over features of p(1 − p), p = 4^−level.
        let seed = |depth: u32| {
            let tree = TreeSpec::new(depth, 2, 0.5).unwrap();
            let data = DataSpec::tree(tree, Structure::Tree, Magnitude::Binary);
            bias_only_loss(&data.feature_variances(0), &vec![1.0; data.n_features()])
        };
        assert!((seed(1) - 0.1875).abs() < 1e-15);
        let by_hand: f64 = (1..=6)
            .map(|l| 2f64.powi(l) * 0.25f64.powi(l) * (1.0 - 0.25f64.powi(l)))
            .sum::<f64>()
            / 126.0;
        assert!((seed(6) - by_hand).abs() < 1e-15);
    }

    #[test]
    fn depth_one_by_hand() {
        let support = support(1);
        // Nothing stored: the two single-feature samples (p 1/4 each) miss one of 2 features.
        let zero = evaluate_exact(&support, &[1.0, 1.0], &[0.0; 4], &[0.0; 2], 2);
        assert_eq!(
            zero,
            vec![ExactEval {
                loss: 0.25,
                decoded: 1.0 / 3.0,
                max_error: 1.0
            }]
        );
        // W = I stores both; importance does not matter then.
        let identity = [1.0, 0.0, 0.0, 1.0];
        let stored = evaluate_exact(&support, &[0.3, 2.0], &identity, &[0.0; 2], 2);
        assert_eq!(
            stored,
            vec![ExactEval {
                loss: 0.0,
                decoded: 1.0,
                max_error: 0.0
            }]
        );
        // Feature 0 stored with norm 0.5 comes out as 0.25 (off by 0.75) and feature 1 as 0:
        // only the empty sample is decoded.
        let weak = [0.5, 0.0, 0.0, 0.0];
        let e = evaluate_exact(&support, &[1.0, 1.0], &weak, &[0.0; 2], 2)[0];
        assert_eq!(e.loss, 0.25 * (0.75 * 0.75 + 1.0) / 2.0);
        assert_eq!(e.decoded, 1.0 / 3.0);
    }

    /// Random weights and biases (both sides of every ReLU), three instances: the exact
    /// loss is the model's weighted loss over the support rows with their probabilities, and
    /// the decoded fraction counts the rows the model's forward pass gets within 0.5.
    #[test]
    fn matches_the_models_loss_over_the_support() {
        #[allow(deprecated)] // ndarray is the design card's reference CPU backend
        let device = Device::ndarray();
        let (depth, n_hidden) = (3, 4);
        let support = support(depth);
        let (f, rows) = (support.n_features, support.len());
        let inits: Vec<InstanceInit> = (0..3)
            .map(|instance| InstanceInit {
                n_hidden,
                init_std: 0.6,
                key: StreamKey {
                    seed: 5,
                    config: 1,
                    instance,
                },
            })
            .collect();
        let n = inits.len();
        let w = initial_weights(&inits, f);
        let mut rng = Rng::new(inits[0].key, tree_data::Purpose::Eval, 3);
        let b: Vec<f32> = (0..n * f).map(|_| rng.uniform_f32() - 0.6).collect();
        let importance: Vec<f32> = (0..f).map(|j| 0.9f32.powi(j as i32)).collect();
        let got = evaluate_exact(&support, &importance, &w, &b, n_hidden);

        let imp_rows: Vec<f32> = (0..n).flat_map(|_| importance.iter().copied()).collect();
        let model = ToyModel::from_weights(w, b, &[n_hidden; 3], f, &imp_rows, &device);
        let mut x = vec![0.0f32; rows * n * f];
        let mut p = vec![0.0f32; rows * n];
        for (r, row) in support.rows.iter().enumerate() {
            for i in 0..n {
                p[r * n + i] = support.probability[r] as f32;
                for &a in row {
                    x[(r * n + i) * f + a as usize] = 1.0;
                }
            }
        }
        let x = Tensor::<3>::from_data(TensorData::new(x.clone(), [rows, n, f]), &device);
        let p = Tensor::<2>::from_data(TensorData::new(p, [rows, n]), &device);
        let out = model.forward(x.clone());
        let loss = model.weighted_loss_per_instance(out.clone(), x.clone(), p);
        let loss: Vec<f32> = loss.into_data().try_into_vec_as().unwrap();
        let worst: Vec<f32> = (out - x)
            .abs()
            .max_dim(2)
            .into_data()
            .try_into_vec_as()
            .unwrap();
        let mut some_decoded = false;
        for i in 0..n {
            let expected = f64::from(loss[i]);
            assert!(
                (got[i].loss - expected).abs() <= 1e-5 * expected,
                "{i}: {got:?} vs {loss:?}"
            );
            let decoded = (0..rows).filter(|r| worst[r * n + i] < 0.5).count();
            assert_eq!(got[i].decoded, decoded as f64 / rows as f64, "instance {i}");
            let max_error = (0..rows).map(|r| worst[r * n + i]).fold(0.0f32, f32::max);
            assert!(
                (got[i].max_error - f64::from(max_error)).abs() <= 1e-5,
                "instance {i}: {} vs {max_error}",
                got[i].max_error
            );
            assert_eq!(got[i].decoded == 1.0, got[i].max_error < 0.5);
            some_decoded |= decoded > 0 && decoded < rows;
        }
        assert!(
            some_decoded,
            "the test should see decoded and undecoded rows"
        );
    }

    /// A NaN weight makes the loss NaN and decodes nothing, even the empty sample.
    #[test]
    fn nan_weights_are_not_solved() {
        let support = support(2);
        let mut w = vec![0.0f32; 2 * 6];
        w[0] = f32::NAN;
        let e = evaluate_exact(&support, &[1.0; 6], &w, &[0.0; 6], 2)[0];
        assert!(e.loss.is_nan(), "{e:?}");
        assert_eq!(e.decoded, 0.0);
        assert!(e.max_error.is_nan(), "{e:?}");
    }

    /// Without early stopping only the 4 leaf paths of depth 2 can occur, and only they are
    /// judged: `W = I` reproduces each, and dropping a leaf loses one of the 4.
    #[test]
    fn without_early_stopping_only_leaf_paths_count() {
        let tree = TreeSpec::new(2, 2, 0.0).unwrap();
        let support = DataSpec::tree(tree, Structure::Tree, Magnitude::Binary)
            .support()
            .unwrap();
        assert_eq!(support.len(), 4);
        let identity: Vec<f32> = (0..36)
            .map(|i| if i % 7 == 0 { 1.0 } else { 0.0 })
            .collect();
        let e = evaluate_exact(&support, &[1.0; 6], &identity, &[0.0; 6], 6)[0];
        assert_eq!(
            e,
            ExactEval {
                loss: 0.0,
                decoded: 1.0,
                max_error: 0.0
            }
        );
        // Dropping feature 5 (a leaf) loses one of the 4 samples: 1/4 of the mass, 1 of 6 errors.
        let mut dropped = identity.clone();
        dropped[35] = 0.0;
        let e = evaluate_exact(&support, &[1.0; 6], &dropped, &[0.0; 6], 6)[0];
        assert_eq!(
            e,
            ExactEval {
                loss: 0.25 / 6.0,
                decoded: 0.75,
                max_error: 1.0
            }
        );
    }
}
