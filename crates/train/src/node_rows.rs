//! [`Upload::NodeCounts`](crate::Upload::NodeCounts): a tree-path batch as its distinct rows.
//!
//! With binary magnitudes a tree sample is fixed by its deepest node, so a batch's samples are
//! `n_features + 1` possible rows. The rows live on the device once, as a constant
//! `[instances, n_features + 1, n_features]` tensor; the model computes exactly those rows every
//! step, and their weights (how many of each instance's samples end at each node, over the
//! batch size) make the model's weighted loss
//! ([`toy_model::ToyModel::weighted_loss_per_instance`]) the batch's loss, with the same
//! gradients. At depth 6 that is 127 rows instead of 1024. It only pays while the rows are well
//! fewer than the batch: otherwise [`NodeRows::new`] declines. The weights of
//! [`LANES`](tree_data::LANES) steps travel together, so the host waits on the device
//! (libtorch's copies from host memory block) once per [`LANES`](tree_data::LANES) steps, not
//! every step.
//!
//! Instances may come from different trees (a pack of jobs, see `pack.rs`): each has its own
//! spec, and rows and features are padded to the largest. A padded row has weight 0 and a
//! padded feature is 0 in every row, so neither reaches the loss of an instance without them.

use crate::node_counts::NodeCountsAhead;
use crate::{Batches, Upload};
use burn::prelude::*;
use rayon::prelude::*;
use std::ops::Range;
use tree_data::{DataSpec, StreamKey};

/// The distinct rows of a run's tree-path batches, and the node counts of the next steps.
pub(crate) struct NodeRows<'a> {
    /// Per instance, the distribution it trains on.
    specs: Vec<&'a DataSpec>,
    keys: &'a [StreamKey],
    /// `[instances, rows, n_features]`: row `r` is the path that ends at heap node `r` (row 0:
    /// the empty sample).
    rows: Tensor<3>,
    /// Per instance, the node counts of the next steps.
    ahead: Vec<NodeCountsAhead>,
    /// The steps of `weights`, and the batch size they are for.
    weights_steps: Range<u64>,
    weights_batch: usize,
    /// The row weights of those steps on the device, `[steps, instances, rows]`.
    weights: Option<Tensor<3>>,
}

impl<'a> NodeRows<'a> {
    /// The rows of `batches` when they upload [`Upload::NodeCounts`] and [`NodeRows::pays`].
    pub(crate) fn for_batches(
        batches: &Batches<'a>,
        batch: usize,
        device: &Device,
    ) -> Option<Self> {
        let specs = vec![batches.data; batches.keys.len()];
        (batches.upload == Upload::NodeCounts)
            .then(|| Self::new(specs, batches.keys, batch, device))
            .flatten()
    }

    /// The rows of the instances' tree paths on `device` (`specs[i]` is instance `i`'s), or
    /// `None` unless [`NodeRows::pays`] for every instance.
    pub(crate) fn new(
        specs: Vec<&'a DataSpec>,
        keys: &'a [StreamKey],
        batch: usize,
        device: &Device,
    ) -> Option<Self> {
        assert_eq!(specs.len(), keys.len(), "one spec per instance");
        if !specs.iter().all(|data| Self::pays(data, batch)) {
            return None;
        }
        let instances = keys.len();
        let n_features = specs.iter().map(|d| d.n_features()).max().unwrap_or(0);
        let n_rows = n_features + 1;
        let mut x = vec![0.0f32; n_rows * instances * n_features];
        let mut paths = Vec::new();
        for (instance, &data) in specs.iter().enumerate() {
            if instance == 0 || !std::ptr::eq(data, specs[instance - 1]) {
                paths = crate::fused::node_paths(data);
            }
            for (node, path) in paths.iter().enumerate() {
                let row = &mut x[(instance * n_rows + node) * n_features..][..n_features];
                for &f in path {
                    row[f as usize] = 1.0;
                }
            }
        }
        let shape = [instances, n_rows, n_features];
        Some(NodeRows {
            specs,
            keys,
            rows: Tensor::from_data(TensorData::new(x, shape), device),
            ahead: vec![NodeCountsAhead::default(); instances],
            weights_steps: 0..0,
            weights_batch: 0,
            weights: None,
        })
    }

    /// Whether `data`'s batches of `batch` samples train on their distinct rows: a sample must
    /// be fixed by its deepest node ([`DataSpec::samples_are_nodes`]) and the rows at most
    /// half of `batch` (beyond that, computing every row costs more than the batch itself:
    /// depth 9 with a batch of 128 trained 2.9× slower on ndarray than with `Upload::Sparse`).
    pub(crate) fn pays(data: &DataSpec, batch: usize) -> bool {
        data.samples_are_nodes() && 2 * (data.n_features() + 1) <= batch
    }

    /// The training batch of `step` (of `batch` samples; steps end before `until`) as its
    /// distinct rows, `[instances, rows, n_features]`, and their weights, `[instances, rows]`.
    pub(crate) fn at(&mut self, step: u64, until: u64, batch: usize) -> (Tensor<3>, Tensor<2>) {
        let [instances, n_rows, _] = self.rows.dims();
        if !self.weights_steps.contains(&step) || self.weights_batch != batch {
            let (specs, keys) = (&self.specs, self.keys);
            (self.ahead.par_iter_mut())
                .zip(specs.par_iter().zip(keys))
                .for_each(|(ahead, (data, &key))| {
                    ahead.at(data, key, step, until, batch);
                });
            // Every instance's draw covers the same steps: the same step, until and batch.
            let steps = self.ahead[0].steps();
            debug_assert!(self.ahead.iter().all(|a| a.steps() == steps));
            let n = steps.clone().count();
            let mut weights = vec![0.0f32; n * n_rows * instances];
            for (instance, ahead) in self.ahead.iter().enumerate() {
                for (lane, counts) in ahead.counts().iter().enumerate() {
                    for (node, &count) in counts.iter().enumerate() {
                        weights[(lane * instances + instance) * n_rows + node] =
                            count as f32 / batch as f32;
                    }
                }
            }
            let data = TensorData::new(weights, [n, instances, n_rows]);
            self.weights = Some(Tensor::from_data(data, &self.rows.device()));
            (self.weights_steps, self.weights_batch) = (steps, batch);
        }
        let lane = (step - self.weights_steps.start) as usize;
        let weights = self
            .weights
            .clone()
            .expect("drawn above")
            .slice([lane..lane + 1, 0..instances, 0..n_rows])
            .reshape([instances, n_rows]);
        (self.rows.clone(), weights)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tree_data::{Magnitude, Purpose, Structure, TreeSpec};

    /// Two instances of different trees (as in a pack): each step's weights are each
    /// instance's own node counts over the batch, zero on the smaller tree's padded rows, in
    /// order, at the run's end and after a jump back; the rows are the tree paths.
    #[test]
    fn rows_and_weights_are_each_instances_paths_and_counts() {
        #[allow(deprecated)] // ndarray is the design card's reference CPU backend
        let device = Device::ndarray();
        let tree = |depth| {
            let spec = TreeSpec::new(depth, 2, 0.5).unwrap();
            DataSpec::tree(spec, Structure::Tree, Magnitude::Binary)
        };
        let (small, large) = (tree(1), tree(2));
        let keys: Vec<StreamKey> = (0..2)
            .map(|instance| StreamKey {
                seed: 9,
                config: 2,
                instance,
            })
            .collect();
        let (batch, until) = (64, 11);
        let mut rows = NodeRows::new(vec![&small, &large], &keys, batch, &device).unwrap();
        let mut counts = Vec::new();
        for step in (0..until).chain([3, 4]) {
            let (x, weights) = rows.at(step, until, batch);
            assert_eq!(x.dims(), [2, 7, 6]);
            let weights = weights.into_data().try_into_vec_as::<f32>().unwrap();
            for (instance, data) in [&small, &large].into_iter().enumerate() {
                data.sample_node_counts(keys[instance], Purpose::Train, step, batch, &mut counts);
                counts.resize(7, 0); // the small tree's rows 3.. are padding
                let want: Vec<f32> = counts.iter().map(|&c| c as f32 / batch as f32).collect();
                assert_eq!(
                    weights[instance * 7..][..7],
                    want,
                    "step {step}, {instance}"
                );
            }
        }
        // Row 4 of the large tree is node 4 (feature 3, under feature 0): the path 0, 3; the
        // small tree's rows past its 3 nodes are empty.
        let x = rows
            .at(0, until, batch)
            .0
            .into_data()
            .try_into_vec_as::<f32>()
            .unwrap();
        assert_eq!(x[(7 + 4) * 6..][..6], [1.0, 0.0, 0.0, 1.0, 0.0, 0.0]);
        assert!(x[3 * 6..7 * 6].iter().all(|&v| v == 0.0));
    }
}
