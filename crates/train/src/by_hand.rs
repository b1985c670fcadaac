//! The loop with hand-derived gradients ([`toy_model::by_hand`]) and Adam written in tensor ops,
//! on a device without autodiff: the same training as [`optimise`](crate::optimise), up to
//! float order, in fewer ops and with no graph to record (for GPUs, where a step costs its ops'
//! dispatch).

use crate::{ADAM_BETAS, ADAM_EPSILON, Progress, TrainConfig, report_step, to_vec};
use burn::prelude::*;
use toy_model::ToyModel;
use toy_model::by_hand::Stacked;

/// burn's Adam (as [`crate::pytorch_adam`] sets it up) on one tensor, in 12 ops a step
/// (burn's takes 13 per parameter, and the model has two):
///
/// ```text
/// m = β1 m + (1−β1) g;   v = β2 v + (1−β2) g²        (first step: m = (1−β1) g, …)
/// c2 = sqrt(1 − β2^t);   p -= (lr c2 / (1 − β1^t)) m / (sqrt(v) + ε c2)
/// ```
///
/// burn multiplies by `c2 / (1 − β1^t)` and then by `lr` in two ops; here one op does both,
/// so the result is burn's up to float order.
#[derive(Debug, Default)]
pub(crate) struct TensorAdam {
    moments: Option<(Tensor<3>, Tensor<3>)>,
    time: i32,
}

impl TensorAdam {
    /// `params` after one step of rate `lr` along `grad`.
    pub(crate) fn step(&mut self, lr: f64, params: Tensor<3>, grad: Tensor<3>) -> Tensor<3> {
        let (b1, b2) = ADAM_BETAS;
        let (m, v) = match self.moments.take() {
            None => (
                grad.clone().mul_scalar(1.0 - b1),
                grad.square().mul_scalar(1.0 - b2),
            ),
            Some((m, v)) => (
                m.mul_scalar(b1) + grad.clone().mul_scalar(1.0 - b1),
                v.mul_scalar(b2) + grad.square().mul_scalar(1.0 - b2),
            ),
        };
        self.time += 1;
        let c2 = (1.0 - b2.powi(self.time)).sqrt();
        let rate = lr as f32 * c2 / (1.0 - b1.powi(self.time));
        let update = m.clone().mul_scalar(rate) / v.clone().sqrt().add_scalar(ADAM_EPSILON * c2);
        self.moments = Some((m, v));
        params - update
    }
}

/// `config.steps` Adam steps of `model` along `gradients_at(params, step, with_loss)`
/// (see [`Stacked::gradients`]; the loss is asked for only on the steps that log it); returns
/// the model and the logged `(step, per-instance loss)`.
pub(crate) fn optimise(
    model: ToyModel,
    config: &TrainConfig,
    mut gradients_at: impl FnMut(&Stacked, u64, bool) -> (Tensor<3>, Option<Tensor<1>>),
    on_step: &mut dyn FnMut(Progress),
) -> (ToyModel, Vec<(u64, Vec<f32>)>) {
    let mut stacked = Stacked::new(&model);
    let mut adam = TensorAdam::default();
    let mut curve = Vec::new();
    for step in 0..config.steps {
        let lr = config.lr_at(step);
        let (grad, loss) = gradients_at(&stacked, step, config.logs(step));
        stacked.params = adam.step(lr, stacked.params, grad);
        report_step(config, step, lr, loss.map(to_vec), on_step, &mut curve);
    }
    (stacked.into_model(model), curve)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pytorch_adam;
    use burn::module::Param;
    use burn::optim::GradientsParams;

    #[allow(deprecated)] // ndarray is the design card's reference CPU backend
    fn device() -> Device {
        Device::ndarray().autodiff()
    }

    /// A one-parameter module, to drive burn's own Adam.
    #[derive(Module, Debug)]
    struct One {
        p: Param<Tensor<3>>,
    }

    #[test]
    fn tensor_adam_follows_burns_adam() {
        let device = device();
        let shape = [2, 3, 4];
        let values = |k: usize, scale: f32| -> Vec<f32> {
            (0..24)
                .map(|j| scale * (((j * 7 + k * 13) % 11) as f32 - 5.0))
                .collect()
        };
        let tensor = |v: Vec<f32>| Tensor::<3>::from_data(TensorData::new(v, shape), &device);
        let mut one = One {
            p: Param::from_tensor(tensor(values(0, 0.1))),
        };
        let mut burn_adam = pytorch_adam().init();
        let mut params = tensor(values(0, 0.1)).inner();
        let mut adam = TensorAdam::default();
        // Varying gradients (some zero, some large) and rates over enough steps for the
        // bias corrections to move.
        for step in 0..30 {
            let grad = values(step + 1, if step % 7 == 3 { 100.0 } else { 0.01 });
            let lr = 1e-3 * (1.0 + step as f64 / 10.0);
            // burn's Adam, fed the gradient through a loss whose gradient it is: Σ p·g.
            let loss = (one.p.val() * tensor(grad.clone())).sum();
            let grads = GradientsParams::from_grads(loss.backward(), &one);
            one = burn_adam.step(lr, one, grads);
            params = adam.step(lr, params, tensor(grad).inner());
        }
        let host = |t: Tensor<3>| t.into_data().try_into_vec_as::<f32>().unwrap();
        let (burn, ours) = (host(one.p.val().inner()), host(params));
        for (k, (a, b)) in ours.iter().zip(&burn).enumerate() {
            assert!(
                (a - b).abs() <= 1e-6 * b.abs().max(1.0),
                "[{k}]: {a} vs burn {b}"
            );
        }
        assert!(
            ours.iter().zip(values(0, 0.1)).all(|(a, b)| *a != b),
            "every entry moved"
        );
    }

    /// Gradients near ε, where where ε sits in the formula (burn adds `ε·sqrt(1 − β2^t)` to
    /// `sqrt(v)`) decides the step: the updates must match burn's relatively.
    #[test]
    fn tensor_adam_places_epsilon_as_burn_does() {
        let device = device();
        let shape = [1, 2, 4];
        let tensor = |v: Vec<f32>| Tensor::<3>::from_data(TensorData::new(v, shape), &device);
        let grad: Vec<f32> = [1e-9, -3e-9, 1e-8, 5e-8, -1e-7, 2e-9, 1e-6, -4e-9].to_vec();
        let mut one = One {
            p: Param::from_tensor(tensor(vec![0.0; 8])),
        };
        let mut burn_adam = pytorch_adam().init();
        let mut params = tensor(vec![0.0; 8]).inner();
        let mut adam = TensorAdam::default();
        for _ in 0..3 {
            let loss = (one.p.val() * tensor(grad.clone())).sum();
            let grads = GradientsParams::from_grads(loss.backward(), &one);
            one = burn_adam.step(1e-3, one, grads);
            params = adam.step(1e-3, params, tensor(grad.clone()).inner());
        }
        let host = |t: Tensor<3>| t.into_data().try_into_vec_as::<f32>().unwrap();
        let (burn, ours) = (host(one.p.val().inner()), host(params));
        for (k, (a, b)) in ours.iter().zip(&burn).enumerate() {
            assert!((a - b).abs() <= 1e-5 * b.abs(), "[{k}]: {a} vs burn {b}");
        }
        // ε matters here: the smallest gradient moves its parameter far less than lr per step.
        assert!(burn[0].abs() < 0.5 * 3e-3, "{burn:?}");
    }
}
