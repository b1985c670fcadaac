//! The fused CPU engine: the hand-derived kernel of `toy_model::fused` in tmh's training loop.
//!
//! The loop is the same as [`train`](crate::train)'s: same batches, same init, same schedule and
//! Adam; only the gradient computation differs (no tensors, no autodiff graph, sparse inputs).

use crate::{ADAM_BETAS, ADAM_EPSILON, Engine, Job, JobResult, Progress, final_loss, pytorch_adam};
use burn::optim::GradientsParams;
use burn::prelude::*;
use toy_model::fused::{self, FusedGrads, Shape, SparseRows};
use toy_model::{ToyModel, initial_weights};
use tree_data::{Purpose, SparseBatch};

/// Which Adam applies the fused gradients. Both compute the same update formula.
#[derive(Debug, Clone)]
pub enum FusedOptimizer {
    /// A host-side Adam operation for operation identical to burn's (faster: no tensors).
    Native,
    /// burn's own Adam, fed through `GradientsParams`, with the parameters on `Device`.
    Burn(Device),
}

/// Trains with the fused CPU kernel. The default on CPU.
#[derive(Debug, Clone)]
pub struct FusedCpuEngine {
    /// Who applies Adam.
    pub optimizer: FusedOptimizer,
}

impl Default for FusedCpuEngine {
    fn default() -> Self {
        Self {
            optimizer: FusedOptimizer::Native,
        }
    }
}

fn rows(batch: &SparseBatch) -> SparseRows<'_> {
    SparseRows {
        batch: batch.batch,
        offsets: &batch.offsets,
        indices: &batch.indices,
        values: &batch.values,
    }
}

/// The parameters and the optimiser state, on whichever side Adam runs.
enum Params {
    Native {
        w: Vec<f32>,
        b: Vec<f32>,
        adam_w: fused::Adam,
        adam_b: fused::Adam,
    },
    Burn {
        model: Box<ToyModel>,
        optimizer: burn::optim::ModuleOptimizer,
        device: Device,
    },
}

impl Params {
    fn new(job: &Job, optimizer: &FusedOptimizer) -> Self {
        let n_features = job.data.n_features();
        match optimizer {
            FusedOptimizer::Native => {
                let w = initial_weights(job.instances, n_features);
                let b = vec![0.0; job.instances.len() * n_features];
                let adam = |n| fused::Adam::new(n, ADAM_BETAS.0, ADAM_BETAS.1, ADAM_EPSILON);
                Params::Native {
                    adam_w: adam(w.len()),
                    adam_b: adam(b.len()),
                    w,
                    b,
                }
            }
            FusedOptimizer::Burn(device) => Params::Burn {
                model: Box::new(ToyModel::from_instances(
                    job.instances,
                    n_features,
                    job.importance,
                    device,
                )),
                optimizer: pytorch_adam().init(),
                device: device.clone(),
            },
        }
    }

    /// `W` and `b_final` on the host.
    fn host(&self) -> (Vec<f32>, Vec<f32>) {
        match self {
            Params::Native { w, b, .. } => (w.clone(), b.clone()),
            Params::Burn { model, .. } => model.to_host(),
        }
    }

    /// Evaluates the kernel at the current parameters, then takes one Adam step of rate `lr`.
    fn step(
        &mut self,
        lr: f64,
        grads: &mut FusedGrads,
        kernel: &dyn Fn(&[f32], &[f32], &mut FusedGrads),
    ) {
        match self {
            Params::Native {
                w,
                b,
                adam_w,
                adam_b,
            } => {
                kernel(w, b, grads);
                adam_w.step(lr as f32, w, &grads.dw);
                adam_b.step(lr as f32, b, &grads.db);
            }
            Params::Burn {
                model,
                optimizer,
                device,
            } => {
                let (w, b) = model.to_host();
                kernel(&w, &b, grads);
                let [n_instances, n_hidden, n_features] = model.dims();
                let device = &*device;
                let mut params = GradientsParams::new();
                let dw = TensorData::new(grads.dw.clone(), [n_instances, n_hidden, n_features]);
                let db = TensorData::new(grads.db.clone(), [n_instances, n_features]);
                params.register(model.w.id, Tensor::<3>::from_data(dw, device));
                params.register(model.b_final.id, Tensor::<2>::from_data(db, device));
                let stepped = optimizer.step(lr, (**model).clone(), params);
                **model = stepped;
            }
        }
    }
}

impl Engine for FusedCpuEngine {
    fn name(&self) -> String {
        match self.optimizer {
            FusedOptimizer::Native => "fused-cpu".into(),
            FusedOptimizer::Burn(_) => "fused-cpu+burn-adam".into(),
        }
    }

    fn run(&self, job: &Job, on_step: &mut dyn FnMut(Progress)) -> JobResult {
        let config = job.config;
        let shape = Shape {
            n_instances: job.instances.len(),
            n_hidden: job.n_hidden(),
            n_features: job.data.n_features(),
        };
        let active_hidden: Vec<u32> = job.instances.iter().map(|i| i.n_hidden as u32).collect();
        let keys = job.keys();

        let mut params = Params::new(job, &self.optimizer);
        let mut grads = FusedGrads::new(shape);
        let mut batch = SparseBatch::new();
        let mut curve = Vec::new();
        for step in 0..config.steps {
            let lr = config.lr_at(step);
            job.data
                .sample_into(&keys, Purpose::Train, step, config.batch, &mut batch);
            let kernel = |w: &[f32], b: &[f32], out: &mut FusedGrads| {
                fused::loss_and_grads(
                    &shape,
                    w,
                    b,
                    job.importance,
                    &active_hidden,
                    &rows(&batch),
                    out,
                )
            };
            params.step(lr, &mut grads, &kernel);

            let loss = config.logs(step).then(|| grads.loss.clone());
            on_step(Progress {
                step: step + 1,
                steps: config.steps,
                lr,
                loss: loss.as_deref(),
            });
            curve.extend(loss.map(|loss| (step, loss)));
        }

        let (w, b_final) = params.host();
        let eval = job.data.sample(&keys, Purpose::Eval, 0, config.eval_batch);
        let eval_loss = fused::loss_per_instance(
            &shape,
            &w,
            &b_final,
            job.importance,
            &active_hidden,
            &rows(&eval),
        );
        JobResult {
            w,
            b_final,
            final_loss: final_loss(&curve),
            curve,
            eval_loss,
        }
    }
}
