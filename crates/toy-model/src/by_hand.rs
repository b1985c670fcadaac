//! The model's loss gradients derived by hand, in tensor ops on any burn `Device`.
//!
//! burn's autodiff records every op of the forward pass, replays a backward op or two for each,
//! and its Adam issues 13 ops per parameter: about 70 ops a step. On a GPU these models are so
//! small that a step costs its ops' dispatch, not their arithmetic, so fewer ops is faster.
//! Here a step is 15 ops for the gradients (and a few views) and, because `W` and `b_final` are
//! stacked into one tensor, one Adam over one tensor; no graph is recorded. It is the math of
//! [`crate::fused`] (which does it on the host, on sparse rows), written in tensors, and tested
//! against burn's autodiff on the same model.
//!
//! For a batch of rows `x` (instance `i`'s row `r` standing for a weight `c[i, r]` of its
//! batch; for a plain batch every `c` is `1 / batch`):
//!
//! ```text
//! hidden = x Wᵀ                pre = hidden W + b           d = ReLU(pre) − x
//! loss   = Σ_r c Σ_f imp·d² / F
//! g      = [pre > 0] · 2 c imp d / F                         (∂loss/∂pre)
//! ∂W     = hiddenᵀ g + (g Wᵀ)ᵀ x     ∂b = Σ_r g
//! ```
//!
//! A padded hidden row of `W` (a narrower instance of a group) is zero, so its `hidden` column
//! and its `g Wᵀ` column are zero, so is its gradient, and Adam leaves it at zero: no mask is
//! needed.

use crate::ToyModel;
use burn::prelude::*;
use burn::tensor::activation::relu;

/// A [`ToyModel`]'s parameters stacked for hand-derived training, with its loss constants.
#[derive(Debug, Clone)]
pub struct Stacked {
    /// `[instances, n_hidden + 1, n_features]`: rows `0..n_hidden` are `W` (padded rows zero),
    /// row `n_hidden` is `b_final`. One tensor, so that one optimiser update covers both.
    pub params: Tensor<3>,
    /// `2 · importance / n_features`, `[instances, 1, n_features]`: `∂loss/∂out` per `d·c`.
    grad_scale: Tensor<3>,
    n_hidden: usize,
}

impl Stacked {
    /// `model`'s parameters and constants, on its device. Padded rows are zeroed.
    pub fn new(model: &ToyModel) -> Self {
        let [instances, n_hidden, n_features] = model.dims();
        let b = model.b_final.val().reshape([instances, 1, n_features]);
        let params = Tensor::cat(vec![model.masked_w(), b], 1);
        let grad_scale = model
            .importance
            .clone()
            .reshape([instances, 1, n_features])
            .mul_scalar(2.0 / n_features as f64);
        Self {
            params,
            grad_scale,
            n_hidden,
        }
    }

    /// `[instances, n_hidden + 1, n_features]`.
    pub fn dims(&self) -> [usize; 3] {
        self.params.dims()
    }

    /// `(W, b_final)` as views of [`Stacked::params`]: `[i, h, f]` and `[i, 1, f]`.
    fn split(&self) -> (Tensor<3>, Tensor<3>) {
        let [instances, rows, n_features] = self.dims();
        let w = self
            .params
            .clone()
            .slice([0..instances, 0..self.n_hidden, 0..n_features]);
        let b = (self.params.clone()).slice([0..instances, self.n_hidden..rows, 0..n_features]);
        (w, b)
    }

    /// The factor [`Stacked::gradients`] takes for rows of weights `c`, `[instances, rows]`.
    pub fn row_scale(&self, weights: Tensor<2>) -> Tensor<3> {
        weights.unsqueeze_dim::<3>(2) * self.grad_scale.clone()
    }

    /// The factor [`Stacked::gradients`] takes for a plain batch of `batch` rows (`c = 1/batch`).
    pub fn batch_scale(&self, batch: usize) -> Tensor<3> {
        self.grad_scale.clone().div_scalar(batch as f64)
    }

    /// The gradient of the loss summed over instances with respect to [`Stacked::params`],
    /// for rows `x: [instances, rows, n_features]` scaled by `scale` (from
    /// [`Stacked::row_scale`] or [`Stacked::batch_scale`]); and, when `with_loss`, each
    /// instance's loss (a few more ops: leave it out of steps that do not log).
    pub fn gradients(
        &self,
        x: Tensor<3>,
        scale: Tensor<3>,
        with_loss: bool,
    ) -> (Tensor<3>, Option<Tensor<1>>) {
        let (w, b) = self.split();
        let wt = w.clone().swap_dims(1, 2);
        let hidden = x.clone().matmul(wt.clone()); // [i, r, h]
        let pre = hidden.clone().matmul(w) + b; // [i, r, f]
        let d = relu(pre.clone()) - x.clone();
        let g_out = d.clone() * scale;
        // loss = Σ c·imp·d²/F = ½ Σ d·g_out, before the ReLU's mask.
        let loss = with_loss.then(|| {
            let instances = d.dims()[0];
            (d * g_out.clone())
                .sum_dim(2)
                .sum_dim(1)
                .reshape([instances])
                .mul_scalar(0.5)
        });
        let g = g_out.mask_fill(pre.lower_equal_elem(0.0), 0.0);
        let g_hidden = g.clone().matmul(wt); // [i, r, h]
        let grad_w = hidden.swap_dims(1, 2).matmul(g.clone()) + g_hidden.swap_dims(1, 2).matmul(x);
        let grad_b = g.sum_dim(1);
        (Tensor::cat(vec![grad_w, grad_b], 1), loss)
    }

    /// `model` holding these parameters (its constants and mask are kept).
    pub fn into_model(self, mut model: ToyModel) -> ToyModel {
        let (w, b) = self.split();
        let [instances, _, n_features] = b.dims();
        model.w = model.w.map(|_| w);
        model.b_final = model.b_final.map(|_| b.reshape([instances, n_features]));
        model
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::InstanceInit;
    use burn::module::Param;
    use tree_data::StreamKey;

    #[allow(deprecated)] // ndarray is the design card's reference CPU backend
    fn device() -> Device {
        Device::ndarray()
    }

    /// Two instances of widths 2 and 4 (so instance 0 has two padded rows), decaying
    /// importance and a bias that puts outputs on both sides of the ReLU.
    fn model(device: &Device) -> ToyModel {
        let f = 6;
        let inits: Vec<InstanceInit> = [2, 4]
            .iter()
            .zip(0u32..)
            .map(|(&n_hidden, instance)| InstanceInit {
                n_hidden,
                init_std: 0.5,
                key: StreamKey {
                    seed: 11,
                    config: 3,
                    instance,
                },
            })
            .collect();
        // A different importance for every feature of every instance.
        let importance: Vec<f32> = (0..2 * f).map(|k| 0.9f32.powi(k as i32)).collect();
        let mut model = ToyModel::from_instances(&inits, f, &importance, device);
        let bias: Vec<f32> = (0..2 * f).map(|j| 0.15 * (j as f32 % 6.0 - 2.5)).collect();
        model.b_final = Param::from_data(TensorData::new(bias, [2, f]), device);
        model
    }

    fn host<const D: usize>(t: Tensor<D>) -> Vec<f32> {
        t.into_data().try_into_vec_as::<f32>().unwrap()
    }

    fn assert_close(what: &str, a: &[f32], b: &[f32]) {
        assert_eq!(a.len(), b.len(), "{what} length");
        for (k, (x, y)) in a.iter().zip(b).enumerate() {
            assert!(
                (x - y).abs() <= 1e-6 + 1e-5 * y.abs(),
                "{what}[{k}]: by hand {x} vs autodiff {y}"
            );
        }
    }

    /// Rows `[rows, instances, f]` with 0/1 entries, and weights `[rows, instances]`.
    fn rows(device: &Device) -> (Tensor<3>, Tensor<2>) {
        let (r, i, f) = (5, 2, 6);
        let x: Vec<f32> = (0..r * i * f)
            .map(|k| ((k * 7 + k / 5) % 3 == 0) as u8 as f32)
            .collect();
        let w: Vec<f32> = (0..r * i).map(|k| (1 + k % 4) as f32 / 10.0).collect();
        (
            Tensor::from_data(TensorData::new(x, [r, i, f]), device),
            Tensor::from_data(TensorData::new(w, [r, i]), device),
        )
    }

    /// autodiff's `(loss, ∂W, ∂b)` of the weighted rows, or of the plain batch.
    fn autodiff(weighted: bool) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
        let device = device().autodiff();
        let model = model(&device);
        let (x, w) = rows(&device);
        let loss = if weighted {
            model.weighted_loss_per_instance(model.forward(x.clone()), x, w)
        } else {
            model.loss_per_instance(model.forward(x.clone()), x)
        };
        let grads = loss.clone().sum().backward();
        let dw = model.w.val().grad(&grads).unwrap();
        let db = model.b_final.val().grad(&grads).unwrap();
        (host(loss.inner()), host(dw), host(db))
    }

    /// The same from [`Stacked::gradients`], split back into `(loss, ∂W, ∂b)`.
    fn by_hand(weighted: bool) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
        let device = device();
        let stacked = Stacked::new(&model(&device));
        let (x, w) = rows(&device);
        let [n_rows, i, f] = x.dims();
        let scale = if weighted {
            stacked.row_scale(w.swap_dims(0, 1))
        } else {
            stacked.batch_scale(n_rows)
        };
        let (grad, loss) = stacked.gradients(x.swap_dims(0, 1), scale, true);
        let h = stacked.dims()[1] - 1;
        let dw = grad.clone().slice([0..i, 0..h, 0..f]);
        let db = grad.slice([0..i, h..h + 1, 0..f]);
        (host(loss.expect("asked for")), host(dw), host(db))
    }

    #[test]
    fn gradients_by_hand_match_autodiff_on_weighted_rows_and_plain_batches() {
        for weighted in [true, false] {
            let (loss_a, dw_a, db_a) = autodiff(weighted);
            let (loss_h, dw_h, db_h) = by_hand(weighted);
            assert_close("loss", &loss_h, &loss_a);
            assert_close("dW", &dw_h, &dw_a);
            assert_close("db", &db_h, &db_a);
            assert!(dw_a.iter().filter(|&&g| g != 0.0).count() > dw_a.len() / 2);
        }
    }

    #[test]
    fn the_rows_reach_both_sides_of_the_relu() {
        let device = device();
        let model = model(&device);
        let out = host(model.forward(rows(&device).0));
        assert!(out.contains(&0.0) && out.iter().any(|&v| v > 0.0));
    }

    #[test]
    fn padded_rows_get_exactly_zero_gradient_by_hand() {
        let (_, dw, _) = by_hand(true);
        let f = 6;
        // Instance 0 has width 2 of 4: rows 2 and 3 are padding.
        assert!(dw[2 * f..4 * f].iter().all(|&g| g == 0.0), "{dw:?}");
        assert!(dw[4 * f..].iter().any(|&g| g != 0.0));
    }

    #[test]
    fn stacking_and_unstacking_keeps_the_parameters() {
        let device = device();
        let model = model(&device);
        let before = model.to_host();
        let template = model.clone();
        let after = Stacked::new(&model).into_model(template).to_host();
        assert_eq!(before, after);
    }
}
