//! The toy model of superposition, as a burn [`Module`].
//!
//! Per instance: `h = W x`, `out = ReLU(Wᵀ h + b_final)`, trained to reconstruct `x` under an
//! importance-weighted squared error. Many instances (independent models) live in one module
//! along a leading instance axis, so a whole grid of configs can train as one batched model.
//!
//! [`by_hand`] holds the same loss's gradients derived by hand in tensor ops (fewer ops than
//! autodiff, for GPUs) and [`fused`] the whole step by hand on the host (for CPUs).
//!
//! This crate knows the model, its initialisation, its loss and that loss's gradients (and, for
//! the fused kernel, an Adam of its own). It knows nothing of sweeps, training loops or which
//! backend runs it: every function works on any burn `Device`.

pub mod by_hand;
pub mod fused;

use burn::module::{Module, Param};
use burn::prelude::*;
use burn::tensor::activation::relu;
use tree_data::{Purpose, Rng, StreamKey};

/// Shape and initialisation of a model whose instances all share one `n_hidden`, as in the seed.
#[derive(Config, Debug)]
pub struct ToyModelConfig {
    /// Independent models trained side by side.
    pub n_instances: usize,
    /// Width of the bottleneck.
    pub n_hidden: usize,
    /// Number of input (and output) features.
    pub n_features: usize,
}

/// How one instance is initialised, when instances of several configs share a module.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct InstanceInit {
    /// Live hidden rows of this instance; rows above it (up to the module's width) are masked.
    pub n_hidden: usize,
    /// Standard deviation of its normal init (see [`xavier_normal_std`]).
    pub init_std: f64,
    /// Its random stream: the init is drawn from `(key, Purpose::Init)`.
    pub key: StreamKey,
}

/// The std of PyTorch's `xavier_normal_` on a `(n_instances, n_hidden, n_features)` tensor.
///
/// PyTorch takes fan_in = n_hidden·n_features and fan_out = n_instances·n_features there, so the
/// std depends on the config's own instance count: sqrt(2 / (n_features·(n_hidden + n_instances))).
pub fn xavier_normal_std(n_instances: usize, n_hidden: usize, n_features: usize) -> f64 {
    (2.0 / (n_features as f64 * (n_hidden + n_instances) as f64)).sqrt()
}

/// Tied ReLU autoencoders, one per instance.
#[derive(Module, Debug)]
pub struct ToyModel {
    /// Encoder and (transposed) decoder, `[instances, n_hidden, n_features]`.
    pub w: Param<Tensor<3>>,
    /// Output bias, `[instances, n_features]`.
    pub b_final: Param<Tensor<2>>,
    /// Loss weight per feature, `[instances, n_features]`; a constant, not trained.
    pub importance: Tensor<2>,
    /// 1 for live hidden rows and 0 for padding, `[instances, n_hidden, 1]`; a constant.
    /// Masked rows are multiplied out of the forward pass, so they get zero gradient.
    pub hidden_mask: Option<Tensor<3>>,
}

impl ToyModelConfig {
    /// Initialises the seed's model: every instance of one config, with unit importance.
    /// Instance `i` draws its init from `StreamKey { instance: i, ..key }`.
    pub fn init(&self, key: StreamKey, device: &Device) -> ToyModel {
        let std = xavier_normal_std(self.n_instances, self.n_hidden, self.n_features);
        let instances: Vec<InstanceInit> = (0..self.n_instances as u32)
            .map(|instance| InstanceInit {
                n_hidden: self.n_hidden,
                init_std: std,
                key: StreamKey { instance, ..key },
            })
            .collect();
        let importance = vec![1.0; self.n_instances * self.n_features];
        ToyModel::from_instances(&instances, self.n_features, &importance, device)
    }
}

/// The initial `W`, `[instances, n_hidden, n_features]` row-major with `n_hidden` the widest
/// instance's width; each instance draws its own rows from `(key, Purpose::Init)` and leaves its
/// padded rows at zero. The burn module and the fused CPU engine both start from this.
pub fn initial_weights(instances: &[InstanceInit], n_features: usize) -> Vec<f32> {
    let n_hidden = instances.iter().map(|i| i.n_hidden).max().unwrap_or(0);
    let mut w = vec![0.0f32; instances.len() * n_hidden * n_features];
    for (block, init) in w.chunks_exact_mut(n_hidden * n_features).zip(instances) {
        let mut rng = Rng::new(init.key, Purpose::Init, 0);
        for v in &mut block[..init.n_hidden * n_features] {
            *v = (rng.standard_normal() * init.init_std) as f32;
        }
    }
    w
}

impl ToyModel {
    /// Builds a module whose instances may come from different configs: each keeps its own
    /// width, init std and random stream, and is padded to the widest with masked rows.
    /// `importance` is `[instances, n_features]`, row-major.
    pub fn from_instances(
        instances: &[InstanceInit],
        n_features: usize,
        importance: &[f32],
        device: &Device,
    ) -> Self {
        let widths: Vec<usize> = instances.iter().map(|i| i.n_hidden).collect();
        let w = initial_weights(instances, n_features);
        let b_final = vec![0.0; instances.len() * n_features];
        Self::from_weights(w, b_final, &widths, n_features, importance, device)
    }

    /// A module holding given weights: `w` is `[instances, n_hidden, n_features]` row-major with
    /// `n_hidden` the widest of `widths` (instance `i` keeps `widths[i]` live rows; those above
    /// are masked), and `b_final` and `importance` are `[instances, n_features]`.
    pub fn from_weights(
        w: Vec<f32>,
        b_final: Vec<f32>,
        widths: &[usize],
        n_features: usize,
        importance: &[f32],
        device: &Device,
    ) -> Self {
        let n_instances = widths.len();
        assert!(n_instances > 0, "a model needs at least one instance");
        assert_eq!(
            importance.len(),
            n_instances * n_features,
            "importance shape"
        );
        let n_hidden = widths.iter().copied().max().unwrap_or(0);
        assert_eq!(
            w.len(),
            n_instances * n_hidden * n_features,
            "weights shape"
        );
        assert_eq!(b_final.len(), n_instances * n_features, "bias shape");
        let padded = widths.iter().any(|&h| h < n_hidden);
        let hidden_mask = padded.then(|| {
            let mask: Vec<f32> = widths
                .iter()
                .flat_map(|&h| (0..n_hidden).map(move |k| if k < h { 1.0 } else { 0.0 }))
                .collect();
            Tensor::from_data(TensorData::new(mask, [n_instances, n_hidden, 1]), device)
        });

        Self {
            w: Param::from_data(
                TensorData::new(w, [n_instances, n_hidden, n_features]),
                device,
            ),
            b_final: Param::from_data(TensorData::new(b_final, [n_instances, n_features]), device),
            importance: Tensor::from_data(
                TensorData::new(importance.to_vec(), [n_instances, n_features]),
                device,
            ),
            hidden_mask,
        }
    }

    /// `[instances, n_hidden, n_features]`.
    pub fn dims(&self) -> [usize; 3] {
        self.w.val().dims()
    }

    /// `W` with padded rows zeroed: the only way the forward pass sees `W`.
    fn masked_w(&self) -> Tensor<3> {
        match &self.hidden_mask {
            Some(mask) => self.w.val() * mask.clone(),
            None => self.w.val(),
        }
    }

    /// out = ReLU(Wᵀ(W x) + b_final), for `x: [batch, instances, n_features]`.
    pub fn forward(&self, x: Tensor<3>) -> Tensor<3> {
        let w = self.masked_w(); // [i, h, f]
        let x = x.swap_dims(0, 1); // [i, b, f]
        let hidden = x.matmul(w.clone().swap_dims(1, 2)); // [i, b, h]
        let out = hidden.matmul(w) + self.b_final.val().unsqueeze_dim(1); // [i, b, f]
        relu(out).swap_dims(0, 1)
    }

    /// Mean over batch and features of importance·(x − out)², one value per instance.
    ///
    /// The training loss is the sum of these over instances, as in the seed. Note the mean over
    /// features: the TMS paper sums over them, so thresholds differ by a factor `n_features`.
    pub fn loss_per_instance(&self, out: Tensor<3>, x: Tensor<3>) -> Tensor<1> {
        let [batch, _, n_features] = x.dims();
        let error = (x - out).square() * self.importance.clone().unsqueeze_dim(0);
        error
            .sum_dim(2)
            .sum_dim(0)
            .flatten::<1>(0, 2)
            .div_scalar((batch * n_features) as f64)
    }

    /// [`ToyModel::loss_per_instance`] of a batch given as distinct rows `x` with weights
    /// `[rows, instances]`: row `r` of instance `i` stands for `weights[r, i]` of that
    /// instance's batch (its count over the batch size). With a batch's distinct rows and
    /// their frequencies this is the batch's loss, and so are its gradients, at the cost of
    /// the distinct rows only (a tree batch of 1024 paths has at most `n_features + 1`).
    pub fn weighted_loss_per_instance(
        &self,
        out: Tensor<3>,
        x: Tensor<3>,
        weights: Tensor<2>,
    ) -> Tensor<1> {
        let [_, _, n_features] = x.dims();
        let error = (x - out).square() * self.importance.clone().unsqueeze_dim(0);
        (error.sum_dim(2) * weights.unsqueeze_dim(2))
            .sum_dim(0)
            .flatten::<1>(0, 2)
            .div_scalar(n_features as f64)
    }

    /// Copies `W` (`[instances, n_hidden, n_features]`) and `b_final` out to the host.
    pub fn to_host(&self) -> (Vec<f32>, Vec<f32>) {
        let w = self
            .w
            .val()
            .into_data()
            .try_into_vec_as::<f32>()
            .expect("f32 weights");
        let b = self
            .b_final
            .val()
            .into_data()
            .try_into_vec_as::<f32>()
            .expect("f32 bias");
        (w, b)
    }
}

#[cfg(test)]
mod tests;
