//! [`Upload::NodeCounts`](crate::Upload::NodeCounts): a tree-path batch as its distinct rows.
//!
//! With binary magnitudes a tree sample is fixed by its deepest node, so a batch's samples are
//! `n_features + 1` possible rows. The rows live on the device once, as a constant
//! `[n_features + 1, instances, n_features]` tensor; the model computes exactly those rows every
//! step, and their weights (how many of each instance's samples end at each node, over the
//! batch size) make the model's weighted loss ([`ToyModel::weighted_loss_per_instance`]) the
//! batch's loss, with the same gradients. At depth 6 that is 127 rows instead of 1024. It only
//! pays while the rows are well fewer than the batch: otherwise [`NodeRows::new`] declines.
//! The weights of [`LANES`] steps travel together, so the host waits on the device (libtorch's
//! copies from host memory block) once per [`LANES`] steps, not every step.

use burn::prelude::*;
use rayon::prelude::*;
use toy_model::ToyModel;
use tree_data::{DataSpec, LANES, Purpose, StreamKey};

/// The distinct rows of a run's tree-path batches, and the node counts of the next steps.
pub(crate) struct NodeRows<'a> {
    data: &'a DataSpec,
    keys: &'a [StreamKey],
    /// Row `r` is the path that ends at heap node `r` (row 0: the empty sample), per instance.
    rows: Tensor<3>,
    /// Per instance, the node counts of steps `ahead_from..ahead_from + LANES`.
    ahead: Vec<Vec<Vec<u32>>>,
    ahead_from: Option<u64>,
    /// The row weights of those steps on the device, `[steps, rows, instances]`.
    weights: Option<Tensor<3>>,
}

impl<'a> NodeRows<'a> {
    /// The rows of `data`'s tree paths on `device`, or `None` unless a sample is fixed by its
    /// deepest node ([`DataSpec::samples_are_nodes`]) and the rows are at most half of `batch`
    /// (beyond that, computing every row costs more than the batch itself: depth 9 with a
    /// batch of 128 trained 2.9× slower on ndarray than with `Upload::Sparse`).
    pub(crate) fn new(
        data: &'a DataSpec,
        keys: &'a [StreamKey],
        batch: usize,
        device: &Device,
    ) -> Option<Self> {
        if !data.samples_are_nodes() || 2 * (data.n_features() + 1) > batch {
            return None;
        }
        let (instances, n_features) = (keys.len(), data.n_features());
        let paths = crate::fused::node_paths(data);
        let mut x = vec![0.0f32; paths.len() * instances * n_features];
        for (node, path) in paths.iter().enumerate() {
            for instance in 0..instances {
                let row = &mut x[(node * instances + instance) * n_features..][..n_features];
                for &f in path {
                    row[f as usize] = 1.0;
                }
            }
        }
        let shape = [paths.len(), instances, n_features];
        Some(NodeRows {
            data,
            keys,
            rows: Tensor::from_data(TensorData::new(x, shape), device),
            ahead: vec![vec![Vec::new(); LANES]; instances],
            ahead_from: None,
            weights: None,
        })
    }

    /// The per-instance loss of the training batch of `step` (of `batch` samples; steps end
    /// before `until`), computed on the distinct rows.
    pub(crate) fn loss(
        &mut self,
        model: &ToyModel,
        step: u64,
        until: u64,
        batch: usize,
    ) -> Tensor<1> {
        let fresh = self
            .ahead_from
            .is_some_and(|from| (from..from + LANES as u64).contains(&step));
        let [n_rows, instances, _] = self.rows.dims();
        if !fresh {
            let n = until.saturating_sub(step).clamp(1, LANES as u64) as usize;
            let (data, keys) = (self.data, self.keys);
            self.ahead
                .par_iter_mut()
                .zip(keys)
                .for_each(|(ahead, &key)| {
                    data.sample_node_counts_steps(
                        key,
                        Purpose::Train,
                        step,
                        batch,
                        &mut ahead[..n],
                    );
                });
            let mut weights = vec![0.0f32; n * n_rows * instances];
            for (instance, ahead) in self.ahead.iter().enumerate() {
                for (lane, counts) in ahead[..n].iter().enumerate() {
                    for (node, &count) in counts.iter().enumerate() {
                        weights[(lane * n_rows + node) * instances + instance] =
                            count as f32 / batch as f32;
                    }
                }
            }
            let data = TensorData::new(weights, [n, n_rows, instances]);
            self.weights = Some(Tensor::from_data(data, &self.rows.device()));
            self.ahead_from = Some(step);
        }
        let lane = (step - self.ahead_from.unwrap_or(step)) as usize;
        let weights = self
            .weights
            .clone()
            .expect("drawn above")
            .slice([lane..lane + 1, 0..n_rows, 0..instances])
            .reshape([n_rows, instances]);
        let x = self.rows.clone();
        model.weighted_loss_per_instance(model.forward(x.clone()), x, weights)
    }
}
