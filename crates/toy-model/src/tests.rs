use super::*;

#[allow(deprecated)] // ndarray is the design card's reference CPU backend
fn device() -> Device {
    Device::ndarray().autodiff()
}

fn key(seed: u64) -> StreamKey {
    StreamKey {
        seed,
        config: 7,
        instance: 0,
    }
}

/// The loss of one instance in f64, written out in loops: the reference for gradients.
fn reference_loss(w: &[f64], b: &[f64], x: &[f64], h: usize, f: usize, batch: usize) -> f64 {
    let mut total = 0.0;
    for s in 0..batch {
        let xs = &x[s * f..(s + 1) * f];
        let hidden: Vec<f64> = (0..h)
            .map(|k| (0..f).map(|j| w[k * f + j] * xs[j]).sum())
            .collect();
        for j in 0..f {
            let z = b[j] + (0..h).map(|k| w[k * f + j] * hidden[k]).sum::<f64>();
            total += (xs[j] - z.max(0.0)).powi(2);
        }
    }
    total / (batch * f) as f64
}

#[test]
fn init_std_matches_pytorch_xavier_normal_on_the_seed_tensor() {
    // fan_in = n_hidden·n_features, fan_out = n_instances·n_features.
    let (i, h, f) = (5usize, 4usize, 14usize);
    let fan_in = (h * f) as f64;
    let fan_out = (i * f) as f64;
    assert_eq!(
        xavier_normal_std(i, h, f),
        (2.0 / (fan_in + fan_out)).sqrt()
    );
    assert!((xavier_normal_std(5, 2, 2) - (2.0f64 / 14.0).sqrt()).abs() < 1e-15);

    // The drawn weights have that std (8·64·126 samples: relative s.e. of std ≈ 0.4%).
    let model = ToyModelConfig::new(8, 64, 126).init(key(1), &device());
    let (w, _) = model.to_host();
    let n = w.len() as f64;
    let mean = w.iter().map(|&v| v as f64).sum::<f64>() / n;
    let std = (w.iter().map(|&v| (v as f64 - mean).powi(2)).sum::<f64>() / n).sqrt();
    let expected = xavier_normal_std(8, 64, 126);
    assert!(mean.abs() < 3.0 * expected / n.sqrt(), "mean {mean}");
    assert!(
        (std / expected - 1.0).abs() < 0.02,
        "std {std} vs {expected}"
    );
}

#[test]
fn forward_and_loss_match_the_reference_loops() {
    let device = device();
    let (n_i, h, f, batch) = (2, 3, 6, 5);
    let model = ToyModelConfig::new(n_i, h, f).init(key(2), &device);
    let x: Vec<f32> = (0..batch * n_i * f)
        .map(|v| ((v * 7 % 5) as f32) / 4.0)
        .collect();
    let xt = Tensor::<3>::from_data(TensorData::new(x.clone(), [batch, n_i, f]), &device);
    let loss: Vec<f32> = model
        .loss_per_instance(model.forward(xt.clone()), xt)
        .into_data()
        .try_into_vec_as::<f32>()
        .unwrap();
    let (w, b) = model.to_host();
    for i in 0..n_i {
        let wi: Vec<f64> = w[i * h * f..(i + 1) * h * f]
            .iter()
            .map(|&v| v as f64)
            .collect();
        let bi: Vec<f64> = b[i * f..(i + 1) * f].iter().map(|&v| v as f64).collect();
        let xi: Vec<f64> = (0..batch)
            .flat_map(|s| {
                x[(s * n_i + i) * f..(s * n_i + i + 1) * f]
                    .iter()
                    .map(|&v| v as f64)
            })
            .collect();
        let expected = reference_loss(&wi, &bi, &xi, h, f, batch);
        assert!(
            (loss[i] as f64 - expected).abs() < 1e-5 * expected.max(1e-3),
            "{i}"
        );
    }
}

#[test]
fn autodiff_gradients_match_central_finite_differences() {
    let device = device();
    let (h, f, batch) = (3, 6, 8);
    let mut model = ToyModelConfig::new(1, h, f).init(key(3), &device);
    // A non-zero bias so that some outputs sit on each side of the ReLU.
    let bias: Vec<f32> = (0..f).map(|j| 0.1 * (j as f32 - 2.5)).collect();
    model.b_final = Param::from_data(TensorData::new(bias, [1, f]), &device);
    let x: Vec<f32> = (0..batch * f).map(|v| ((v * 5 % 3) as f32) / 2.0).collect();
    let xt = Tensor::<3>::from_data(TensorData::new(x.clone(), [batch, 1, f]), &device);

    let loss = model.loss_per_instance(model.forward(xt.clone()), xt).sum();
    let grads = loss.backward();
    let dw: Vec<f32> = model
        .w
        .val()
        .grad(&grads)
        .unwrap()
        .into_data()
        .try_into_vec_as::<f32>()
        .unwrap();
    let db: Vec<f32> = model
        .b_final
        .val()
        .grad(&grads)
        .unwrap()
        .into_data()
        .try_into_vec_as::<f32>()
        .unwrap();

    let (w, b) = model.to_host();
    let w: Vec<f64> = w.iter().map(|&v| v as f64).collect();
    let b: Vec<f64> = b.iter().map(|&v| v as f64).collect();
    let x: Vec<f64> = x.iter().map(|&v| v as f64).collect();
    let eps = 1e-6;
    let central = |wp: &[f64], bp: &[f64], wm: &[f64], bm: &[f64]| {
        (reference_loss(wp, bp, &x, h, f, batch) - reference_loss(wm, bm, &x, h, f, batch))
            / (2.0 * eps)
    };
    for p in 0..w.len() {
        let (mut wp, mut wm) = (w.clone(), w.clone());
        wp[p] += eps;
        wm[p] -= eps;
        let fd = central(&wp, &b, &wm, &b);
        assert!(
            (dw[p] as f64 - fd).abs() < 1e-4 + 1e-3 * fd.abs(),
            "dW[{p}] {} vs {fd}",
            dw[p]
        );
    }
    for p in 0..b.len() {
        let (mut bp, mut bm) = (b.clone(), b.clone());
        bp[p] += eps;
        bm[p] -= eps;
        let fd = central(&w, &bp, &w, &bm);
        assert!(
            (db[p] as f64 - fd).abs() < 1e-4 + 1e-3 * fd.abs(),
            "db[{p}] {} vs {fd}",
            db[p]
        );
    }
}

#[test]
fn padded_rows_start_at_zero_and_get_zero_gradient() {
    let device = device();
    let f = 6;
    let inits = [
        InstanceInit {
            n_hidden: 2,
            init_std: 0.3,
            key: key(4),
        },
        InstanceInit {
            n_hidden: 4,
            init_std: 0.3,
            key: StreamKey {
                instance: 1,
                ..key(4)
            },
        },
    ];
    let model = ToyModel::from_instances(&inits, f, &[1.0; 12], &device);
    assert_eq!(model.dims(), [2, 4, f]);
    let x = Tensor::<3>::ones([3, 2, f], &device);
    let grads = model
        .loss_per_instance(model.forward(x.clone()), x)
        .sum()
        .backward();
    let dw: Vec<f32> = model
        .w
        .val()
        .grad(&grads)
        .unwrap()
        .into_data()
        .try_into_vec_as::<f32>()
        .unwrap();
    let (w, _) = model.to_host();
    let padded = 2 * f..4 * f; // rows 2 and 3 of instance 0
    assert!(w[padded.clone()].iter().all(|&v| v == 0.0));
    assert!(dw[padded].iter().all(|&v| v == 0.0));
    assert!(
        dw[4 * f..].iter().any(|&v| v != 0.0),
        "instance 1 trains all rows"
    );
}

#[test]
fn an_instance_draws_the_same_init_alone_or_beside_others() {
    let device = device();
    let f = 14;
    let a = InstanceInit {
        n_hidden: 3,
        init_std: 0.2,
        key: key(5),
    };
    let b = InstanceInit {
        n_hidden: 5,
        init_std: 0.1,
        key: StreamKey {
            config: 9,
            ..key(5)
        },
    };
    let alone = ToyModel::from_instances(&[a], f, &[1.0; 14], &device)
        .to_host()
        .0;
    let fused = ToyModel::from_instances(&[b, a], f, &[1.0; 28], &device)
        .to_host()
        .0;
    assert_eq!(&fused[5 * f..5 * f + 3 * f], &alone[..]);
}

/// A batch's distinct rows weighted by their frequencies give the batch's loss and gradients.
#[test]
fn weighted_distinct_rows_give_the_batch_loss_and_gradients() {
    let device = device();
    let (f, h) = (6, 3);
    let inits: Vec<InstanceInit> = (0..2)
        .map(|i| InstanceInit {
            n_hidden: h,
            init_std: 0.4,
            key: StreamKey {
                instance: i,
                ..key(8)
            },
        })
        .collect();
    let importance: Vec<f32> = (0..2 * f).map(|k| 1.0 - 0.05 * k as f32).collect();
    // Distinct rows (the same for both instances) and a batch that repeats them: instance 0
    // draws them 3, 1, 0 times, instance 1 once, 2 and 1 times.
    let rows: [[f32; 6]; 3] = [
        [1.0, 0.0, 0.0, 0.0, 0.0, 0.0],
        [0.0, 1.0, 0.0, 1.0, 0.0, 0.0],
        [1.0, 0.0, 1.0, 0.0, 0.0, 1.0],
    ];
    let counts = [[3usize, 1, 0], [1, 2, 1]];
    let batch = 4;
    let mut dense = vec![0.0f32; batch * 2 * f];
    for (i, per_row) in counts.iter().enumerate() {
        let samples = per_row
            .iter()
            .enumerate()
            .flat_map(|(r, &n)| std::iter::repeat_n(r, n));
        for (s, r) in samples.enumerate() {
            dense[(s * 2 + i) * f..][..f].copy_from_slice(&rows[r]);
        }
    }
    let distinct: Vec<f32> = rows
        .iter()
        .flat_map(|r| r.iter().chain(r))
        .copied()
        .collect();
    let weights: Vec<f32> = (0..3)
        .flat_map(|r| counts.map(|c| c[r] as f32 / batch as f32))
        .collect();

    let loss_and_grads = |weighted: bool| {
        let model = ToyModel::from_instances(&inits, f, &importance, &device);
        let loss = if weighted {
            let x = Tensor::<3>::from_data(TensorData::new(distinct.clone(), [3, 2, f]), &device);
            let w = Tensor::<2>::from_data(TensorData::new(weights.clone(), [3, 2]), &device);
            model.weighted_loss_per_instance(model.forward(x.clone()), x, w)
        } else {
            let x = Tensor::<3>::from_data(TensorData::new(dense.clone(), [batch, 2, f]), &device);
            model.loss_per_instance(model.forward(x.clone()), x)
        };
        let grads = loss.clone().sum().backward();
        let host = |t: Tensor<1>| t.into_data().try_into_vec_as::<f32>().unwrap();
        let dw = model.w.val().grad(&grads).unwrap().flatten::<1>(0, 2);
        let db = model.b_final.val().grad(&grads).unwrap().flatten::<1>(0, 1);
        (host(loss.inner()), host(dw), host(db))
    };
    let (loss_w, dw_w, db_w) = loss_and_grads(true);
    let (loss_d, dw_d, db_d) = loss_and_grads(false);
    let close = |a: &[f32], b: &[f32]| {
        a.iter()
            .zip(b)
            .all(|(x, y)| (x - y).abs() <= 1e-6 + 1e-5 * y.abs())
    };
    assert!(close(&loss_w, &loss_d), "{loss_w:?} vs {loss_d:?}");
    assert!(close(&dw_w, &dw_d), "{dw_w:?} vs {dw_d:?}");
    assert!(close(&db_w, &db_d), "{db_w:?} vs {db_d:?}");
    assert!(dw_d.iter().any(|&g| g != 0.0));
}
