use super::*;
use burn::module::Param;
use toy_model::ToyModelConfig;
use tree_data::{Magnitude, Structure, TreeSpec};

#[allow(deprecated)] // ndarray is the design card's reference CPU backend
fn device() -> Device {
    Device::ndarray().autodiff()
}

fn seed_data(depth: u32) -> DataSpec {
    DataSpec::tree(
        TreeSpec::new(depth, 2, 0.5).unwrap(),
        Structure::Tree,
        Magnitude::Binary,
    )
}

fn keys(n: u32, seed: u64) -> Vec<StreamKey> {
    (0..n)
        .map(|instance| StreamKey {
            seed,
            config: 11,
            instance,
        })
        .collect()
}

#[test]
fn schedules_follow_the_seed_formulas() {
    let steps = 10_000;
    for step in [0u64, 1, 2500, 9999] {
        assert_eq!(Schedule::Constant.factor(step, steps), 1.0);
        assert_eq!(
            Schedule::Linear.factor(step, steps),
            1.0 - step as f64 / steps as f64
        );
        let cos = (0.5 * std::f64::consts::PI * step as f64 / 9999.0).cos();
        assert_eq!(Schedule::Cosine.factor(step, steps), cos);
    }
    assert!(
        Schedule::Cosine.factor(9999, steps).abs() < 1e-15,
        "cosine ends at 0"
    );
    assert_eq!("cosine".parse::<Schedule>(), Ok(Schedule::Cosine));
    let err = "cosin".parse::<Schedule>().unwrap_err().to_string();
    assert!(
        err.contains("schedule") && err.contains("constant, linear, cosine"),
        "{err}"
    );
}

#[test]
fn adam_uses_pytorch_epsilon_not_burns() {
    // One Adam step moves a parameter by lr·g/(|g| + ε). With g = 1e-6, ε = 1e-8 gives
    // ≈ 0.99·lr; burn's default ε = 1e-5 would give ≈ 0.09·lr.
    let device = device();
    let model = ToyModelConfig::new(1, 1, 1).init(keys(1, 0)[0], &device);
    let before = model.to_host().0[0];
    let loss = model.w.val().sum().mul_scalar(1e-6);
    let grads = GradientsParams::from_grads(loss.backward(), &model);
    let after = pytorch_adam().init().step(1e-3, model, grads).to_host().0[0];
    let moved = (before - after) as f64;
    assert!(
        (moved - 1e-3 * 1e-6 / (1e-6 + 1e-8)).abs() < 1e-7,
        "moved {moved}"
    );
}

#[test]
fn depth_one_with_two_hidden_learns_exactly() {
    // The seed reaches exactly 0 here: two exclusive features fit in two dimensions.
    let device = device();
    let data = seed_data(1);
    let keys = keys(5, 42);
    let model = ToyModelConfig::new(5, 2, 2).init(keys[0], &device);
    let config = TrainConfig {
        steps: 2000,
        ..TrainConfig::default()
    };
    let out = train(
        Gradients::Autodiff,
        model,
        &Batches {
            data: &data,
            keys: &keys,
            upload: Upload::Dense,
        },
        &config,
        &device,
        &mut |_| {},
    );
    for (i, loss) in out.eval_loss.iter().enumerate() {
        assert!(*loss < 1e-6, "instance {i}: eval loss {loss}");
    }
    assert_eq!(out.curve.len(), 21, "steps 0, 100, ..., 1900 and 1999");
    assert_eq!(out.final_loss, out.curve.last().unwrap().1);
}

fn train_in_pool(threads: usize) -> Vec<f32> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    pool.install(|| {
        let device = device();
        let data = seed_data(3);
        let keys = keys(3, 7);
        let model = ToyModelConfig::new(3, 4, 14).init(keys[0], &device);
        let config = TrainConfig {
            steps: 200,
            batch: 256,
            ..TrainConfig::default()
        };
        let batches = Batches {
            data: &data,
            keys: &keys,
            upload: Upload::Dense,
        };
        train(
            Gradients::Autodiff,
            model,
            &batches,
            &config,
            &device,
            &mut |_| {},
        )
        .model
        .to_host()
        .0
    })
}

#[test]
fn one_and_two_threads_give_identical_weights() {
    assert_eq!(train_in_pool(1), train_in_pool(2));
}

#[test]
fn training_reports_progress_with_the_scheduled_lr() {
    let device = device();
    let data = seed_data(2);
    let keys = keys(2, 3);
    let mut model = ToyModelConfig::new(2, 3, 6).init(keys[0], &device);
    model.b_final = Param::from_data(TensorData::new(vec![0.0f32; 12], [2, 6]), &device);
    let config = TrainConfig {
        steps: 10,
        batch: 8,
        log_every: 4,
        schedule: Schedule::Linear,
        ..TrainConfig::default()
    };
    let mut seen = Vec::new();
    let batches = Batches {
        data: &data,
        keys: &keys,
        upload: Upload::Dense,
    };
    train(
        Gradients::Autodiff,
        model,
        &batches,
        &config,
        &device,
        &mut |p| seen.push((p.step, p.lr, p.loss.is_some())),
    );
    assert_eq!(seen.len(), 10);
    assert_eq!(seen[0], (1, 1e-3, true));
    assert_eq!(seen[4], (5, 1e-3 * 0.6, true));
    assert!(!seen[5].2);
    assert!(seen[9].2, "the last step is always logged");
}

/// The device-side scatter builds exactly the host's dense batch, for short rows (tree paths,
/// sparse TMS data) and long ones (dense TMS data, uploaded as is).
#[test]
fn densify_on_the_device_equals_the_host_dense_batch() {
    let tree = TreeSpec::new(4, 3, 0.3).unwrap();
    let sparse = |p: f64| {
        let spec = tree_data::SparseSpec::new(
            20,
            vec![vec![p; 20], vec![p / 2.0; 20]],
            tree_data::Pairs {
                correlated: 2,
                anticorrelated: 1,
            },
        )
        .unwrap();
        DataSpec::sparse(spec, Magnitude::Uniform)
    };
    for data in [
        DataSpec::tree(tree, Structure::Tree, Magnitude::Uniform),
        DataSpec::tree(tree, Structure::Independent, Magnitude::Binary),
        sparse(0.02),
        sparse(0.5),
    ] {
        let batch = data.sample(&keys(3, 5), Purpose::Train, 2, 64);
        let want = batch.to_dense();
        for device in [device(), device().without_autodiff()] {
            let got = densify(&batch, &device);
            assert_eq!(got.dims(), [64, 3, data.n_features()]);
            let got = got.into_data().try_into_vec_as::<f32>().unwrap();
            assert_eq!(got, want, "{data:?}");
        }
    }
}

/// Training on node counts is training on the batch: per step, the same losses (up to float
/// order), and after 30 steps the same weights, for tree paths of several shapes; for other
/// data `NodeCounts` falls back to the scattered batch exactly.
#[test]
fn node_counts_train_like_the_dense_batch() {
    let device = device();
    let run_with = |data: &DataSpec, upload, batch| {
        let keys = keys(3, 11);
        let model = ToyModelConfig::new(3, 3, data.n_features()).init(keys[0], &device);
        let config = TrainConfig {
            steps: 30,
            batch,
            log_every: 1,
            ..TrainConfig::default()
        };
        let batches = Batches {
            data,
            keys: &keys,
            upload,
        };
        let out = train(
            Gradients::Autodiff,
            model,
            &batches,
            &config,
            &device,
            &mut |_| {},
        );
        (out.curve, out.model.to_host().0)
    };
    let run = |data: &DataSpec, upload| run_with(data, upload, 200);
    let close = |a: &[f32], b: &[f32]| {
        a.iter()
            .zip(b)
            .all(|(x, y)| (x - y).abs() <= 1e-6 + 1e-4 * y.abs())
    };
    for (depth, branching, stop_prob) in [(3, 2, 0.5), (2, 3, 0.0), (1, 2, 0.5)] {
        let data = DataSpec::tree(
            TreeSpec::new(depth, branching, stop_prob).unwrap(),
            Structure::Tree,
            Magnitude::Binary,
        );
        let (counts_curve, counts_w) = run(&data, Upload::NodeCounts);
        let (dense_curve, dense_w) = run(&data, Upload::Dense);
        for ((step, a), (_, b)) in counts_curve.iter().zip(&dense_curve) {
            assert!(close(a, b), "depth {depth}, step {step}: {a:?} vs {b:?}");
        }
        assert!(close(&counts_w, &dense_w), "depth {depth}: weights");
        assert_ne!(counts_curve.first(), counts_curve.last(), "it trained");
    }
    let uniform = DataSpec::tree(
        TreeSpec::new(2, 2, 0.5).unwrap(),
        Structure::Tree,
        Magnitude::Uniform,
    );
    assert_eq!(
        run(&uniform, Upload::NodeCounts),
        run(&uniform, Upload::Sparse)
    );
    // 15 rows are more than half of a batch of 20: the batch itself is cheaper.
    let deep = DataSpec::tree(
        TreeSpec::new(3, 2, 0.5).unwrap(),
        Structure::Tree,
        Magnitude::Binary,
    );
    assert_eq!(
        run_with(&deep, Upload::NodeCounts, 20),
        run_with(&deep, Upload::Sparse, 20)
    );
}
