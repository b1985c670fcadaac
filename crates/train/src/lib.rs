//! Training: Adam with PyTorch's defaults, the seed's learning-rate schedules, and the loop
//! that trains a [`ToyModel`] on batches drawn from a [`DataSpec`].
//!
//! Gradients come from burn's autodiff (the reference), by hand in tensor ops (fewer ops, for
//! GPUs), or from the fused CPU kernel: see [`Engine`].
//!
//! This crate knows the model and the data, not sweeps or grids, and it picks no backend: the
//! caller passes a `Device`.

mod by_hand;
mod engine;
mod exact;
mod fused;
mod node_counts;
mod node_rows;
mod pack;
mod schedule;

pub use engine::{DeviceEngine, Engine, Job, JobResult};
pub use exact::{DECODE_TOLERANCE, ExactEval, bias_only_loss, evaluate_exact};
pub use fused::{FusedCpuEngine, FusedOptimizer};
pub use schedule::{Schedule, UnknownSchedule};

use burn::optim::{AdamConfig, GradientsParams};
use burn::prelude::*;
use burn::tensor::IndexingUpdateOp;
use node_rows::NodeRows;
use serde::{Deserialize, Serialize};
use toy_model::ToyModel;
use toy_model::by_hand::Stacked;
use tree_data::{DataSpec, Purpose, SparseBatch, StreamKey};

/// Hyperparameters of one training run (the seed's values are the defaults).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TrainConfig {
    /// Optimiser steps.
    pub steps: u64,
    /// Samples per step and instance.
    pub batch: usize,
    /// Peak learning rate.
    pub lr: f64,
    /// Learning-rate schedule applied on top of `lr`.
    pub schedule: Schedule,
    /// Record the per-instance train loss every this many steps (and at the last step).
    pub log_every: u64,
    /// Samples per instance in the fresh evaluation batch.
    pub eval_batch: usize,
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            steps: 10_000,
            batch: 1024,
            lr: 1e-3,
            schedule: Schedule::Constant,
            log_every: 100,
            eval_batch: 500,
        }
    }
}

impl TrainConfig {
    /// The learning rate of `step` (0-based): `lr` times the schedule's factor.
    pub fn lr_at(&self, step: u64) -> f64 {
        self.lr * self.schedule.factor(step, self.steps)
    }

    /// Whether `step` (0-based) records its loss: every `log_every` steps, and the last step.
    pub fn logs(&self, step: u64) -> bool {
        step.is_multiple_of(self.log_every) || step + 1 == self.steps
    }
}

/// PyTorch's Adam defaults: β = (0.9, 0.999), ε = 1e-8 (burn's default ε is 1e-5), no decay.
pub const ADAM_BETAS: (f32, f32) = (0.9, 0.999);
/// PyTorch's Adam ε (see [`ADAM_BETAS`]).
pub const ADAM_EPSILON: f32 = 1e-8;

/// burn's Adam set up as PyTorch's (see [`ADAM_BETAS`]).
pub fn pytorch_adam() -> AdamConfig {
    AdamConfig::new()
        .with_beta_1(ADAM_BETAS.0)
        .with_beta_2(ADAM_BETAS.1)
        .with_epsilon(ADAM_EPSILON)
}

/// What the loop reports to its caller (a progress bar, a log) after each step.
#[derive(Debug, Clone, Copy)]
pub struct Progress<'a> {
    /// Steps done so far (1-based after the first step).
    pub step: u64,
    /// Total steps.
    pub steps: u64,
    /// The learning rate used by this step.
    pub lr: f64,
    /// Per-instance train loss of this step, when it was read back (every `log_every` steps).
    pub loss: Option<&'a [f32]>,
}

/// The result of [`train`].
#[derive(Debug)]
pub struct TrainOutput {
    /// The trained model.
    pub model: ToyModel,
    /// `(step, per-instance train loss)` every `log_every` steps and at the last step.
    pub curve: Vec<(u64, Vec<f32>)>,
    /// Per-instance train loss of the last step.
    pub final_loss: Vec<f32>,
    /// Per-instance loss on a fresh batch of `eval_batch` samples.
    pub eval_loss: Vec<f32>,
}

/// Where one run's batches come from: the data distribution and one random stream per instance.
#[derive(Debug, Clone)]
pub struct Batches<'a> {
    /// The distribution of feature vectors.
    pub data: &'a DataSpec,
    /// One stream per model instance, in the model's instance order.
    pub keys: &'a [StreamKey],
    /// How a batch reaches the device.
    pub upload: Upload,
}

/// How [`Batches`] moves a batch to the device.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Upload {
    /// Build the dense batch on the host and upload it: cheapest where host and device share
    /// memory (CPU backends, where a scatter costs more than the copy it saves).
    #[default]
    Dense,
    /// Upload only the entries of short rows and scatter them into the dense batch on the
    /// device: for GPUs, where the upload is the cost (a tenth of the bytes at depth 6).
    Sparse,
    /// For tree paths with binary magnitudes: keep the possible rows (one per tree node) on the
    /// device and upload only how many samples end at each node, as row weights, 8 steps at a
    /// time (see `node_rows.rs`): the same loss and gradients as the batch up to float order,
    /// on `n_features + 1` rows instead of `batch`. Other data, and trees whose rows are more
    /// than half the batch, train as with `Sparse`.
    NodeCounts,
}

impl Batches<'_> {
    /// The batch as a dense `[batch, instances, n_features]` tensor on `device`.
    fn dense(&self, purpose: Purpose, step: u64, batch: usize, device: &Device) -> Tensor<3> {
        let sparse: SparseBatch = self.data.sample(self.keys, purpose, step, batch);
        match self.upload {
            Upload::Dense => host_dense(&sparse, device),
            Upload::Sparse | Upload::NodeCounts => densify(&sparse, device),
        }
    }
}

/// `sparse` built dense on the host, then uploaded.
fn host_dense(sparse: &SparseBatch, device: &Device) -> Tensor<3> {
    let shape = [sparse.batch, sparse.n_instances, sparse.n_features];
    Tensor::from_data(TensorData::new(sparse.to_dense(), shape), device)
}

/// `sparse` as a dense `[batch, instances, n_features]` tensor on `device`. Where rows are
/// short (tree paths: at most `depth` of `n_features` entries), only the entries travel, padded
/// to the longest row, and a scatter builds the dense batch on the device: a GPU then receives
/// about `2·depth / n_features` of the dense bytes (a tenth at depth 6) and the host skips the
/// dense copy. Otherwise the dense batch is built on the host and uploaded.
fn densify(sparse: &SparseBatch, device: &Device) -> Tensor<3> {
    let (batch, instances, n_features) = (sparse.batch, sparse.n_instances, sparse.n_features);
    let longest = (0..sparse.n_rows())
        .map(|r| (sparse.offsets[r + 1] - sparse.offsets[r]) as usize)
        .max()
        .unwrap_or(0);
    if 2 * longest >= n_features {
        return host_dense(sparse, device);
    }
    // Rows are instance-major in the batch, sample-major in the tensor. Padding entries point
    // at an extra column `n_features` (value 0), dropped after the scatter.
    let width = longest.max(1);
    let mut indices = vec![n_features as i64; batch * instances * width];
    let mut values = vec![0.0f32; batch * instances * width];
    for instance in 0..instances {
        for sample in 0..batch {
            let (features, magnitudes) = sparse.row(instance, sample);
            let at = (sample * instances + instance) * width;
            for (k, (&f, &v)) in features.iter().zip(magnitudes).enumerate() {
                indices[at + k] = i64::from(f);
                values[at + k] = v;
            }
        }
    }
    let shape = [batch, instances, width];
    let indices = Tensor::<3, Int>::from_data(TensorData::new(indices, shape), device);
    let values = Tensor::<3>::from_data(TensorData::new(values, shape), device);
    Tensor::<3>::zeros([batch, instances, n_features + 1], device)
        .scatter(2, indices, values, IndexingUpdateOp::Add)
        .slice([0..batch, 0..instances, 0..n_features])
}

/// Trains `model` on `device` with `gradients`: burn's autodiff and Adam (the device must have
/// autodiff enabled), or the gradients derived by hand and Adam in tensor ops (on a device
/// without autodiff); both give the same results up to float order.
///
/// Step `t` sees the batch drawn from `(key, Purpose::Train, t)` for each instance, so the run is
/// a pure function of the model's init, the keys and `config`.
pub fn train(
    gradients: Gradients,
    model: ToyModel,
    batches: &Batches,
    config: &TrainConfig,
    device: &Device,
    on_step: &mut dyn FnMut(Progress),
) -> TrainOutput {
    assert_eq!(
        device.is_autodiff(),
        gradients == Gradients::Autodiff,
        "autodiff needs an autodiff device; by hand, a device without it"
    );
    let feed = match NodeRows::for_batches(batches, config.batch, device) {
        Some(rows) => Feed::Rows(rows),
        None => Feed::Dense(batches, None),
    };
    let (model, curve) = fit(gradients, model, feed, config, device, on_step);
    let eval_loss = evaluate(&model, batches, config.eval_batch, device);
    TrainOutput {
        model,
        final_loss: final_loss(&curve),
        curve,
        eval_loss,
    }
}

/// Where the training batches come from: a run's distinct tree rows, or its dense batches (with
/// their loss scale for [`Gradients::ByHand`], made on the first step).
#[allow(clippy::large_enum_variant)] // one per run
enum Feed<'a> {
    Rows(NodeRows<'a>),
    Dense(&'a Batches<'a>, Option<Tensor<3>>),
}

impl Feed<'_> {
    /// The per-instance loss of `step`'s batch, for autodiff.
    fn loss(
        &mut self,
        model: &ToyModel,
        step: u64,
        config: &TrainConfig,
        device: &Device,
    ) -> Tensor<1> {
        match self {
            Feed::Rows(rows) => {
                let (x, weights) = rows.at(step, config.steps, config.batch);
                // The instance-major rows in the batch-major layout `forward` takes (views).
                let (x, weights) = (x.swap_dims(0, 1), weights.swap_dims(0, 1));
                model.weighted_loss_per_instance(model.forward(x.clone()), x, weights)
            }
            Feed::Dense(batches, _) => {
                let x = batches.dense(Purpose::Train, step, config.batch, device);
                model.loss_per_instance(model.forward(x.clone()), x)
            }
        }
    }

    /// [`Stacked::gradients`] of `step`'s batch.
    fn gradients(
        &mut self,
        stacked: &Stacked,
        step: u64,
        with_loss: bool,
        config: &TrainConfig,
        device: &Device,
    ) -> (Tensor<3>, Option<Tensor<1>>) {
        match self {
            Feed::Rows(rows) => {
                let (x, weights) = rows.at(step, config.steps, config.batch);
                stacked.gradients(x, stacked.row_scale(weights), with_loss)
            }
            Feed::Dense(batches, scale) => {
                let x = batches.dense(Purpose::Train, step, config.batch, device);
                let scale = scale.get_or_insert_with(|| stacked.batch_scale(config.batch));
                stacked.gradients(x.swap_dims(0, 1), scale.clone(), with_loss)
            }
        }
    }
}

/// `config.steps` Adam steps of `model` on `feed`, with `gradients`; returns the model and the
/// logged `(step, per-instance loss)`.
fn fit(
    gradients: Gradients,
    model: ToyModel,
    mut feed: Feed,
    config: &TrainConfig,
    device: &Device,
    on_step: &mut dyn FnMut(Progress),
) -> (ToyModel, Vec<(u64, Vec<f32>)>) {
    match gradients {
        Gradients::Autodiff => {
            let loss_at = |model: &ToyModel, step| feed.loss(model, step, config, device);
            optimise(model, config, loss_at, on_step)
        }
        Gradients::ByHand => {
            let gradients_at = |stacked: &Stacked, step, with_loss| {
                feed.gradients(stacked, step, with_loss, config, device)
            };
            by_hand::optimise(model, config, gradients_at, on_step)
        }
    }
}

/// How a [`DeviceEngine`] computes gradients.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Gradients {
    /// burn's autodiff and burn's Adam: the reference.
    #[default]
    Autodiff,
    /// Derived by hand in tensor ops (`toy_model::by_hand`), with Adam in tensor ops: fewer
    /// ops a step and no graph, for GPUs.
    ByHand,
}

/// The optimisation loop: `config.steps` Adam steps on the sum over instances of
/// `loss_at(model, step)`; returns the model and the logged `(step, per-instance loss)`.
fn optimise(
    mut model: ToyModel,
    config: &TrainConfig,
    mut loss_at: impl FnMut(&ToyModel, u64) -> Tensor<1>,
    on_step: &mut dyn FnMut(Progress),
) -> (ToyModel, Vec<(u64, Vec<f32>)>) {
    let mut optimizer = pytorch_adam().init();
    let mut curve = Vec::new();
    for step in 0..config.steps {
        let lr = config.lr_at(step);
        let loss_per_instance = loss_at(&model, step);
        let grads = loss_per_instance.clone().sum().backward();
        let grads = GradientsParams::from_grads(grads, &model);
        model = optimizer.step(lr, model, grads);
        let loss = config.logs(step).then(|| to_vec(loss_per_instance));
        report_step(config, step, lr, loss, on_step, &mut curve);
    }
    (model, curve)
}

/// After `step`: reports progress and extends the curve with `loss`, given on the steps that
/// log it (reading a loss back from a device synchronises it).
fn report_step(
    config: &TrainConfig,
    step: u64,
    lr: f64,
    loss: Option<Vec<f32>>,
    on_step: &mut dyn FnMut(Progress),
    curve: &mut Vec<(u64, Vec<f32>)>,
) {
    on_step(Progress {
        step: step + 1,
        steps: config.steps,
        lr,
        loss: loss.as_deref(),
    });
    curve.extend(loss.map(|loss| (step, loss)));
}

/// Per-instance loss on the fresh evaluation batch `(key, Purpose::Eval, 0)`.
pub fn evaluate(
    model: &ToyModel,
    batches: &Batches,
    eval_batch: usize,
    device: &Device,
) -> Vec<f32> {
    let x = batches.dense(Purpose::Eval, 0, eval_batch, device);
    to_vec(model.loss_per_instance(model.forward(x.clone()), x))
}

/// The last logged loss, which is the last step's: [`TrainConfig::logs`] always logs it.
fn final_loss(curve: &[(u64, Vec<f32>)]) -> Vec<f32> {
    curve
        .last()
        .map(|(_, loss)| loss.clone())
        .unwrap_or_default()
}

fn to_vec(t: Tensor<1>) -> Vec<f32> {
    t.into_data().try_into_vec_as::<f32>().expect("f32 loss")
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod tests_fused;

#[cfg(test)]
mod tests_pack;
