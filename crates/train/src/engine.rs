//! One interface over the ways tmh can train a group of instances, so that callers (the sweep)
//! never name a backend.

use crate::{Batches, Gradients, Progress, TrainConfig, Upload, pack, train};
use burn::prelude::*;
use toy_model::{InstanceInit, ToyModel};
use tree_data::{DataSpec, StreamKey};

/// One batched training run: instances, possibly from several configs, that share a data
/// distribution. Each instance keeps its own width, init and random stream.
#[derive(Debug, Clone, Copy)]
pub struct Job<'a> {
    /// The distribution every instance trains on.
    pub data: &'a DataSpec,
    /// Per instance: live width, init std and stream key (data and init are drawn from it).
    pub instances: &'a [InstanceInit],
    /// Loss weight per feature, `[instances, n_features]`.
    pub importance: &'a [f32],
    /// Steps, batch, learning rate and evaluation settings.
    pub config: &'a TrainConfig,
}

impl Job<'_> {
    /// The module width: the widest instance; narrower ones are padded with masked rows.
    pub fn n_hidden(&self) -> usize {
        self.instances.iter().map(|i| i.n_hidden).max().unwrap_or(0)
    }

    /// The stream keys, in instance order.
    pub fn keys(&self) -> Vec<StreamKey> {
        self.instances.iter().map(|i| i.key).collect()
    }
}

/// What a [`Job`] produced, on the host.
#[derive(Debug, Clone, PartialEq)]
pub struct JobResult {
    /// `[instances, n_hidden, n_features]`, with `n_hidden` = [`Job::n_hidden`]; padded rows are 0.
    pub w: Vec<f32>,
    /// `[instances, n_features]`.
    pub b_final: Vec<f32>,
    /// `(step, per-instance train loss)` every `log_every` steps and at the last step.
    pub curve: Vec<(u64, Vec<f32>)>,
    /// Per-instance train loss at the last step.
    pub final_loss: Vec<f32>,
    /// Per-instance loss on a fresh evaluation batch.
    pub eval_loss: Vec<f32>,
}

/// A way to train a [`Job`]: burn tensors on some device, or a hand-fused CPU kernel.
pub trait Engine: Sync {
    /// A short name for logs and the run folder (e.g. `ndarray`, `fused-cpu`).
    fn name(&self) -> String;
    /// Trains the job to the end, calling `on_step` after every step.
    fn run(&self, job: &Job, on_step: &mut dyn FnMut(Progress)) -> JobResult;

    /// Whether `job` can share a model with other such jobs of the same [`TrainConfig`] in
    /// [`Engine::run_pack`] (the default engine trains every job alone).
    fn can_pack(&self, _job: &Job) -> bool {
        false
    }

    /// Trains several jobs, calling `on_step(j, progress)` for job `j`; returns one result per
    /// job, in order. An engine may train those it [`Engine::can_pack`] as one model (see
    /// [`DeviceEngine`]); the default trains them one after another.
    fn run_pack(&self, jobs: &[Job], on_step: &mut dyn FnMut(usize, Progress)) -> Vec<JobResult> {
        run_each(self, jobs, on_step)
    }
}

/// The jobs one after another, each alone.
fn run_each<E: Engine + ?Sized>(
    engine: &E,
    jobs: &[Job],
    on_step: &mut dyn FnMut(usize, Progress),
) -> Vec<JobResult> {
    (jobs.iter().enumerate())
        .map(|(j, job)| engine.run(job, &mut |p| on_step(j, p)))
        .collect()
}

/// burn tensors on one device, with burn's autodiff and Adam (the reference path) or with
/// gradients derived by hand (fewer ops, for GPUs).
#[derive(Debug, Clone)]
pub struct DeviceEngine {
    /// Short name of the backend behind `device`.
    pub name: String,
    /// The device; autodiff is switched on or off by `gradients`.
    pub device: Device,
    /// How batches reach the device: [`Upload::NodeCounts`] for GPUs.
    pub upload: Upload,
    /// Autodiff, or by hand.
    pub gradients: Gradients,
}

impl DeviceEngine {
    /// The engine's device, with autodiff exactly when its gradients need it.
    pub(crate) fn training_device(&self) -> Device {
        match self.gradients {
            Gradients::Autodiff => self.device.clone().autodiff(),
            Gradients::ByHand => self.device.clone().inner(),
        }
    }
}

impl Engine for DeviceEngine {
    fn name(&self) -> String {
        match self.gradients {
            Gradients::Autodiff => self.name.clone(),
            Gradients::ByHand => format!("{}+by-hand", self.name),
        }
    }

    fn run(&self, job: &Job, on_step: &mut dyn FnMut(Progress)) -> JobResult {
        let n_features = job.data.n_features();
        let device = self.training_device();
        let model = ToyModel::from_instances(job.instances, n_features, job.importance, &device);
        let keys = job.keys();
        let batches = Batches {
            data: job.data,
            keys: &keys,
            upload: self.upload,
        };
        let out = train(
            self.gradients,
            model,
            &batches,
            job.config,
            &device,
            on_step,
        );
        let (w, b_final) = out.model.to_host();
        JobResult {
            w,
            b_final,
            curve: out.curve,
            final_loss: out.final_loss,
            eval_loss: out.eval_loss,
        }
    }

    /// With [`Upload::NodeCounts`], a job packs when it trains on its node rows.
    fn can_pack(&self, job: &Job) -> bool {
        self.upload == Upload::NodeCounts && pack::can_join(job)
    }

    /// The jobs of `pack_members` train as one padded model (see `pack.rs`): on a GPU, where
    /// a step costs its ops' dispatch rather than their arithmetic, that costs a little over
    /// one job's time while the padding stays small (measured in docs/gpu.md). Every other
    /// job trains alone. Results match training each job alone, up to float order.
    fn run_pack(&self, jobs: &[Job], on_step: &mut dyn FnMut(usize, Progress)) -> Vec<JobResult> {
        let packed = pack_members(jobs, |job| self.can_pack(job));
        if packed.is_empty() {
            return run_each(self, jobs, on_step);
        }
        let pack_jobs: Vec<Job> = packed.iter().map(|&j| jobs[j]).collect();
        let mut results: Vec<Option<JobResult>> = vec![None; jobs.len()];
        let (device, gradients) = (self.training_device(), self.gradients);
        let trained = pack::train_pack(&pack_jobs, &device, self.upload, gradients, &mut |k, p| {
            on_step(packed[k], p)
        });
        for (&j, result) in packed.iter().zip(trained) {
            results[j] = Some(result);
        }
        for (j, job) in jobs.iter().enumerate() {
            if results[j].is_none() {
                results[j] = Some(self.run(job, &mut |p| on_step(j, p)));
            }
        }
        (results.into_iter())
            .map(|r| r.expect("every job trained"))
            .collect()
    }
}

/// The jobs that train as one model: those that `can_pack` and share the first such job's
/// [`TrainConfig`] (a pack steps them together), or none when fewer than two do.
pub(crate) fn pack_members(jobs: &[Job], can_pack: impl Fn(&Job) -> bool) -> Vec<usize> {
    let config = jobs.iter().find(|j| can_pack(j)).map(|j| j.config);
    let members: Vec<usize> = (0..jobs.len())
        .filter(|&j| can_pack(&jobs[j]) && Some(jobs[j].config) == config)
        .collect();
    if members.len() < 2 {
        Vec::new()
    } else {
        members
    }
}
