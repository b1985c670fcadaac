//! The fused CPU engine against burn's autodiff, the reference path.
use super::*;
use toy_model::InstanceInit;
use toy_model::fused::{self, FusedGrads, Shape, SparseRows};
use tree_data::{Magnitude, Pairs, SparseSpec, Structure, TreeSpec};

#[allow(deprecated)] // ndarray is the design card's reference CPU backend
fn device() -> Device {
    Device::ndarray().autodiff()
}

/// Every data setting the issue names: depths 1..6, with and without stopping, binary and
/// uniform magnitudes, the independent baseline, and TMS-style sparse features with pairs and
/// per-instance probabilities (appended last: tests below pick specs by index).
fn data_specs() -> Vec<DataSpec> {
    let mut specs = Vec::new();
    for depth in 1..=6 {
        for stop_prob in [0.5, 0.0] {
            for magnitude in [Magnitude::Binary, Magnitude::Uniform] {
                let tree = TreeSpec::new(depth, 2, stop_prob).unwrap();
                specs.push(DataSpec::tree(tree, Structure::Tree, magnitude));
            }
        }
    }
    let tree = TreeSpec::new(3, 2, 0.5).unwrap();
    specs.push(DataSpec::tree(
        tree,
        Structure::Independent,
        Magnitude::Uniform,
    ));
    let probability = [0.4, 0.1, 0.02].iter().map(|&p| vec![p; 12]).collect();
    let pairs = Pairs {
        correlated: 2,
        anticorrelated: 1,
    };
    let sparse = SparseSpec::new(12, probability, pairs).unwrap();
    specs.push(DataSpec::sparse(sparse.clone(), Magnitude::Uniform));
    // Binary data other than tree paths: the engine merges equal feature sets.
    specs.push(DataSpec::sparse(sparse, Magnitude::Binary));
    specs.push(DataSpec::tree(
        tree,
        Structure::Independent,
        Magnitude::Binary,
    ));
    specs
}

/// Three instances of widths 2, 3 and 5: the first two are padded and masked.
fn instances(n_features: usize) -> Vec<InstanceInit> {
    [2, 3, 5]
        .iter()
        .enumerate()
        .map(|(i, &n_hidden)| InstanceInit {
            n_hidden,
            init_std: toy_model::xavier_normal_std(3, n_hidden, n_features),
            key: StreamKey {
                seed: 1,
                config: n_features as u64,
                instance: i as u32,
            },
        })
        .collect()
}

/// Non-uniform importance, so that it is exercised too.
fn importance(n_instances: usize, n_features: usize) -> Vec<f32> {
    (0..n_instances * n_features)
        .map(|k| 0.5 + (k % 7) as f32 / 7.0)
        .collect()
}

fn assert_close(name: &str, got: &[f32], want: &[f32], rel: f64) {
    assert_eq!(got.len(), want.len(), "{name} length");
    let scale = want
        .iter()
        .fold(0.0f64, |m, &v| m.max(v.abs() as f64))
        .max(1e-30);
    for (k, (&g, &w)) in got.iter().zip(want).enumerate() {
        let err = (g as f64 - w as f64).abs();
        assert!(
            err <= rel * scale,
            "{name}[{k}]: {g} vs {w} (scale {scale})"
        );
    }
}

#[test]
fn fused_loss_and_gradients_match_autodiff_on_the_same_batch() {
    let device = device();
    for data in data_specs() {
        let n_features = data.n_features();
        let inits = instances(n_features);
        let importance = importance(inits.len(), n_features);
        let mut model = ToyModel::from_instances(&inits, n_features, &importance, &device);
        // A non-zero bias, so that outputs sit on both sides of the ReLU.
        let bias: Vec<f32> = (0..3 * n_features)
            .map(|k| 0.05 * ((k % 5) as f32 - 2.0))
            .collect();
        model.b_final =
            burn::module::Param::from_data(TensorData::new(bias.clone(), [3, n_features]), &device);
        let keys: Vec<StreamKey> = inits.iter().map(|i| i.key).collect();
        let batch = data.sample(&keys, Purpose::Train, 3, 300);

        let x = Tensor::<3>::from_data(
            TensorData::new(batch.to_dense(), [300, 3, n_features]),
            &device,
        );
        let loss = model.loss_per_instance(model.forward(x.clone()), x);
        let grads = loss.clone().sum().backward();
        let want_dw = model
            .w
            .val()
            .grad(&grads)
            .unwrap()
            .into_data()
            .try_into_vec_as::<f32>()
            .unwrap();
        let want_db = model
            .b_final
            .val()
            .grad(&grads)
            .unwrap()
            .into_data()
            .try_into_vec_as::<f32>()
            .unwrap();
        let want_loss = loss.into_data().try_into_vec_as::<f32>().unwrap();

        let (w, b) = model.to_host();
        let shape = Shape {
            n_instances: 3,
            n_hidden: 5,
            n_features,
        };
        let rows = SparseRows {
            batch: 300,
            offsets: &batch.offsets,
            indices: &batch.indices,
            values: &batch.values,
        };
        let mut out = FusedGrads::new(shape);
        fused::loss_and_grads(&shape, &w, &b, &importance, &[2, 3, 5], &rows, &mut out);
        let what = format!("{data:?}");
        assert_close(&format!("loss {what}"), &out.loss, &want_loss, 1e-5);
        assert_close(&format!("dW {what}"), &out.dw, &want_dw, 1e-5);
        assert_close(&format!("db {what}"), &out.db, &want_db, 1e-5);
    }
}

fn run(engine: &dyn Engine, data: &DataSpec, steps: u64) -> JobResult {
    let n_features = data.n_features();
    let inits = instances(n_features);
    let importance = importance(inits.len(), n_features);
    let config = TrainConfig {
        steps,
        batch: 128,
        log_every: 25,
        eval_batch: 200,
        ..TrainConfig::default()
    };
    let job = Job {
        data,
        instances: &inits,
        importance: &importance,
        config: &config,
    };
    engine.run(&job, &mut |_| {})
}

#[test]
fn fused_and_autodiff_engines_agree_after_100_adam_steps() {
    // The sparse upload, so that the device-side scatter is exercised by a whole run.
    let autodiff = DeviceEngine {
        name: "ndarray".into(),
        device: device(),
        upload: Upload::Sparse,
        gradients: Gradients::Autodiff,
    };
    let fused = FusedCpuEngine::default();
    for data in data_specs() {
        let want = run(&autodiff, &data, 100);
        let got = run(&fused, &data, 100);
        assert_same_training(&got, &want, &format!("{data:?}"));
    }
}

/// Weights to 1e-5, and eval and logged losses to 1e-4, relative.
fn assert_same_training(got: &JobResult, want: &JobResult, what: &str) {
    assert_close(&format!("W {what}"), &got.w, &want.w, 1e-5);
    assert_close(&format!("b {what}"), &got.b_final, &want.b_final, 1e-5);
    let eval = format!("eval {what}");
    assert_close(&eval, &got.eval_loss, &want.eval_loss, 1e-4);
    assert_eq!(got.curve.len(), want.curve.len());
    for ((step, a), (_, b)) in got.curve.iter().zip(&want.curve) {
        assert_close(&format!("loss at {step} {what}"), a, b, 1e-4);
    }
}

/// Gradients by hand in tensor ops give autodiff's training, on every data shape, with the
/// batches scattered on the device and (where they pay) as node rows.
#[test]
fn by_hand_and_autodiff_engines_agree_after_100_adam_steps() {
    for upload in [Upload::Sparse, Upload::NodeCounts] {
        let engine = |gradients| DeviceEngine {
            name: "ndarray".into(),
            device: device(),
            upload,
            gradients,
        };
        let (autodiff, by_hand) = (engine(Gradients::Autodiff), engine(Gradients::ByHand));
        for data in data_specs() {
            let want = run(&autodiff, &data, 100);
            let got = run(&by_hand, &data, 100);
            let what = format!("{upload:?} {data:?}");
            assert_same_training(&got, &want, &what);
            // Padded rows (instances of widths 2 and 3 of 5) stay exactly zero, unmasked.
            let f = data.n_features();
            for (i, h) in [(0, 2), (1, 3)] {
                let padded = &got.w[(i * 5 + h) * f..(i + 1) * 5 * f];
                assert!(padded.iter().all(|&v| v == 0.0), "instance {i} {what}");
            }
        }
    }
}

#[test]
fn native_adam_matches_burns_adam_on_fused_gradients() {
    let data = data_specs()[8].clone(); // depth 3, stop 0.5, binary
    let native = run(&FusedCpuEngine::default(), &data, 100);
    let burn_adam = FusedCpuEngine {
        optimizer: FusedOptimizer::Burn(device()),
    };
    let reference = run(&burn_adam, &data, 100);
    assert_close("W", &native.w, &reference.w, 1e-6);
    assert_close("b", &native.b_final, &reference.b_final, 1e-6);
}

#[test]
fn fused_engine_gives_identical_weights_on_one_and_two_threads() {
    let data = data_specs()[20].clone(); // depth 6, stop 0.5, binary
    let in_pool = |threads| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| run(&FusedCpuEngine::default(), &data, 50))
    };
    assert_eq!(in_pool(1), in_pool(2));
}
