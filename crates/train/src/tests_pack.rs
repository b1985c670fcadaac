//! Packs train each job as it trains alone.

use super::*;
use toy_model::{InstanceInit, xavier_normal_std};
use tree_data::{Magnitude, Structure, TreeSpec};

#[allow(deprecated)] // ndarray is the design card's reference CPU backend
fn device() -> Device {
    Device::ndarray().autodiff()
}

fn tree(depth: u32, branching: u32, stop_prob: f64, magnitude: Magnitude) -> DataSpec {
    DataSpec::tree(
        TreeSpec::new(depth, branching, stop_prob).unwrap(),
        Structure::Tree,
        magnitude,
    )
}

/// `count` instances of each width in `widths`, drawn from streams of config `config`.
fn instances(widths: &[usize], count: u32, n_features: usize, config: u64) -> Vec<InstanceInit> {
    let mut out = Vec::new();
    for (c, &n_hidden) in widths.iter().enumerate() {
        for instance in 0..count {
            out.push(InstanceInit {
                n_hidden,
                init_std: xavier_normal_std(count as usize, n_hidden, n_features),
                key: StreamKey {
                    seed: 5,
                    config: config + c as u64,
                    instance,
                },
            });
        }
    }
    out
}

/// Jobs of different trees, widths and importances in one pack (with one job that cannot
/// join: uniform magnitudes are not fixed by their deepest node) give each job the losses,
/// weights and eval losses it gets alone, up to float order, and report progress per job.
#[test]
fn a_pack_trains_each_job_as_it_trains_alone() {
    let engine = AutodiffEngine {
        name: "ndarray".to_string(),
        device: device(),
        upload: Upload::NodeCounts,
    };
    let config = TrainConfig {
        steps: 40,
        batch: 64,
        log_every: 5,
        eval_batch: 50,
        ..TrainConfig::default()
    };
    let data = [
        tree(1, 2, 0.5, Magnitude::Binary),
        tree(2, 2, 0.5, Magnitude::Uniform),
        tree(3, 2, 0.5, Magnitude::Binary),
        tree(2, 3, 0.0, Magnitude::Binary),
    ];
    let widths: [&[usize]; 4] = [&[1, 2], &[2], &[3, 5], &[4]];
    let inits: Vec<Vec<InstanceInit>> = (data.iter().zip(widths).enumerate())
        .map(|(j, (d, w))| instances(w, 2, d.n_features(), 10 * j as u64))
        .collect();
    // Decaying importance, so the padded scaling is exercised beyond a uniform weight.
    let importance: Vec<Vec<f32>> = (data.iter().zip(&inits))
        .map(|(d, i)| {
            let row = (0..d.n_features()).map(|f| 0.9f32.powi(f as i32));
            (0..i.len()).flat_map(|_| row.clone()).collect()
        })
        .collect();
    let jobs: Vec<Job> = (0..data.len())
        .map(|j| Job {
            data: &data[j],
            instances: &inits[j],
            importance: &importance[j],
            config: &config,
        })
        .collect();

    let mut seen = vec![Vec::new(); jobs.len()];
    let packed = engine.run_pack(&jobs, &mut |j, p| {
        seen[j].push((p.step, p.loss.map(<[f32]>::len)));
    });
    let alone: Vec<JobResult> = jobs.iter().map(|job| engine.run(job, &mut |_| {})).collect();

    let close = |a: &[f32], b: &[f32]| {
        a.len() == b.len()
            && a.iter()
                .zip(b)
                .all(|(x, y)| (x - y).abs() <= 1e-6 + 1e-4 * y.abs())
    };
    for (j, (p, a)) in packed.iter().zip(&alone).enumerate() {
        assert_eq!(p.curve.len(), a.curve.len(), "job {j}: curve length");
        for ((step, x), (_, y)) in p.curve.iter().zip(&a.curve) {
            assert!(close(x, y), "job {j}, step {step}: {x:?} vs {y:?}");
        }
        assert!(close(&p.w, &a.w), "job {j}: weights");
        assert!(close(&p.b_final, &a.b_final), "job {j}: bias");
        assert!(close(&p.eval_loss, &a.eval_loss), "job {j}: eval loss");
        assert!(close(&p.final_loss, &a.final_loss), "job {j}: final loss");
        assert_ne!(p.curve.first(), p.curve.last(), "job {j} trained");
        // Every step is reported for every job, with its own instances' losses when logged.
        assert_eq!(seen[j].len(), config.steps as usize, "job {j}: progress");
        let logged = seen[j].iter().filter_map(|(_, n)| *n);
        assert!(logged.clone().all(|n| n == inits[j].len()), "job {j}");
        assert_eq!(logged.count(), a.curve.len(), "job {j}: logged steps");
    }
    // The job that cannot join trains alone, exactly.
    assert_eq!(packed[1], alone[1]);
}
