//! Packs train each job as it trains alone.

use super::*;
use crate::engine::pack_members;
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

/// Four jobs of different trees, widths and importances; job 1 (uniform magnitudes: a sample
/// is not fixed by its deepest node) cannot join a pack.
struct Fixture {
    data: Vec<DataSpec>,
    inits: Vec<Vec<InstanceInit>>,
    importance: Vec<Vec<f32>>,
    config: TrainConfig,
}

impl Fixture {
    fn new() -> Fixture {
        let data = vec![
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
        let importance = (data.iter().zip(&inits))
            .map(|(d, i)| {
                let row = (0..d.n_features()).map(|f| 0.9f32.powi(f as i32));
                (0..i.len()).flat_map(|_| row.clone()).collect()
            })
            .collect();
        let config = TrainConfig {
            steps: 40,
            batch: 64,
            log_every: 5,
            eval_batch: 50,
            ..TrainConfig::default()
        };
        Fixture {
            data,
            inits,
            importance,
            config,
        }
    }

    fn jobs(&self) -> Vec<Job<'_>> {
        (0..self.data.len())
            .map(|j| Job {
                data: &self.data[j],
                instances: &self.inits[j],
                importance: &self.importance[j],
                config: &self.config,
            })
            .collect()
    }
}

fn engine(upload: Upload, gradients: Gradients) -> DeviceEngine {
    DeviceEngine {
        name: "ndarray".to_string(),
        device: device(),
        upload,
        gradients,
    }
}

/// A pack of jobs of different trees, widths and importances gives each job the losses,
/// weights and eval losses it gets alone, up to float order, and reports progress per job.
/// With either way of computing gradients.
#[test]
fn a_pack_trains_each_job_as_it_trains_alone() {
    for gradients in [Gradients::Autodiff, Gradients::ByHand] {
        a_pack_trains_each_job_as_it_trains_alone_with(gradients);
    }
}

fn a_pack_trains_each_job_as_it_trains_alone_with(gradients: Gradients) {
    let fixture = Fixture::new();
    let jobs = fixture.jobs();
    let members = [jobs[0], jobs[2], jobs[3]];
    let engine = engine(Upload::NodeCounts, gradients);
    let mut seen = vec![Vec::new(); members.len()];
    let (device, upload) = (engine.training_device(), engine.upload);
    let packed = pack::train_pack(&members, &device, upload, gradients, &mut |j, p| {
        seen[j].push(p.loss.map(<[f32]>::len));
    });
    let close = |a: &[f32], b: &[f32]| {
        a.len() == b.len()
            && a.iter()
                .zip(b)
                .all(|(x, y)| (x - y).abs() <= 1e-6 + 1e-4 * y.abs())
    };
    for (j, (job, p)) in members.iter().zip(&packed).enumerate() {
        let a = engine.run(job, &mut |_| {});
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
        assert_eq!(seen[j].len(), fixture.config.steps as usize, "job {j}");
        let logged: Vec<usize> = seen[j].iter().flatten().copied().collect();
        assert_eq!(logged.len(), a.curve.len(), "job {j}: logged steps");
        assert!(logged.iter().all(|&n| n == job.instances.len()), "job {j}");
    }
}

/// `run_pack` packs the jobs that can join and trains the others alone, results in job order.
#[test]
fn run_pack_packs_what_can_join_and_trains_the_rest_alone() {
    let fixture = Fixture::new();
    let jobs = fixture.jobs();
    let engine = engine(Upload::NodeCounts, Gradients::ByHand);
    let mut steps = vec![0; jobs.len()];
    let results = engine.run_pack(&jobs, &mut |j, _| steps[j] += 1);
    let members = [jobs[0], jobs[2], jobs[3]];
    let (device, upload) = (engine.training_device(), engine.upload);
    let packed = pack::train_pack(&members, &device, upload, Gradients::ByHand, &mut |_, _| {});
    assert_eq!(
        [&results[0], &results[2], &results[3]],
        [&packed[0], &packed[1], &packed[2]]
    );
    assert_eq!(results[1], engine.run(&jobs[1], &mut |_| {}));
    assert!(steps.iter().all(|&s| s == fixture.config.steps));
}

/// Which jobs pack: those that can and share the first one's config; none when fewer than two.
#[test]
fn pack_members_share_a_config_and_number_at_least_two() {
    let fixture = Fixture::new();
    let mut jobs = fixture.jobs();
    let counts = engine(Upload::NodeCounts, Gradients::Autodiff);
    let can = |job: &Job| counts.can_pack(job);
    assert_eq!(pack_members(&jobs, can), [0, 2, 3]);
    let sparse = engine(Upload::Sparse, Gradients::Autodiff);
    assert!(jobs.iter().all(|j| !sparse.can_pack(j)));
    let other = TrainConfig {
        lr: 3e-3,
        ..fixture.config.clone()
    };
    jobs[2].config = &other;
    assert_eq!(pack_members(&jobs, can), [0, 3]);
    jobs[3].config = &other;
    assert_eq!(pack_members(&jobs, can), Vec::<usize>::new());
}
