//! The fused CPU engine: the hand-derived kernel of `toy_model::fused` in tmh's training loop.
//!
//! The loop computes what [`train`](crate::train)'s does: same batches, same init, same schedule
//! and Adam; only the gradient computation differs (no tensors, no autodiff graph, sparse
//! inputs). With the native Adam it is also arranged differently, for speed: the loss is a sum
//! over instances and Adam is elementwise, so each instance trains on its own thread-pool task
//! for a round of steps, and with binary magnitudes the equal samples of a batch are merged into
//! one row with a count (the same loss and gradients): tree paths by their deepest node (a few
//! dozen rows rather than a thousand), other binary data by their feature set.

use crate::{
    ADAM_BETAS, ADAM_EPSILON, Engine, Job, JobResult, Progress, final_loss, pytorch_adam,
    report_step,
};
use burn::optim::GradientsParams;
use burn::prelude::*;
use std::collections::HashMap;
use toy_model::fused::{self, CountedRows, FusedGrads, InstanceTrainer, Shape, SparseRows};
use toy_model::{ToyModel, initial_weights};

use crate::node_counts::NodeCountsAhead;
use tree_data::{DataSpec, Magnitude, Purpose, SparseBatch, StreamKey};

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

/// Steps the native path trains each instance on its own between two progress reports.
/// Instances are independent (the loss is a sum over them and Adam is elementwise), so
/// the thread pool is woken once per round rather than several times per step. (A round
/// of the seed's largest group takes about a tenth of a second; 50 was 2-4% slower.)
const ROUND: u64 = 250;

/// One instance's training batch as [`InstanceTrainer::step`] takes it: rows, and how many of
/// the batch's samples each stands for.
#[derive(Debug, Clone, Default)]
struct Batch {
    /// Samples drawn.
    size: usize,
    /// The rows, as a one-instance batch of `rows.batch` rows.
    rows: SparseBatch,
    counts: Vec<u32>,
    /// Samples per tree node of the next steps.
    ahead: NodeCountsAhead,
    /// The drawn samples, before equal ones are merged into `rows`.
    drawn: SparseBatch,
    /// Row content hash → index in `rows` of the first row with that content.
    seen: HashMap<u64, u32>,
}

impl Batch {
    /// Draws the batch of `key` at `step`. With binary magnitudes, equal samples become one
    /// row with a count (the same loss and gradients): tree paths by their deepest node
    /// (`paths[node]`: its features), so a batch of 1024 samples of a depth-6 tree takes about
    /// 65 rows; other binary data by their feature set. Otherwise every sample is a row
    /// (merging the empty rows of uniform TMS data was measured: 5% slower on 5 features, no
    /// gain on 200).
    ///
    /// Tree paths are drawn [`LANES`](tree_data::LANES) steps ahead, up to step `until`
    /// (exclusive).
    fn draw(
        &mut self,
        data: &DataSpec,
        paths: Option<&[Vec<u32>]>,
        key: StreamKey,
        step: u64,
        until: u64,
        size: usize,
    ) {
        self.size = size;
        match paths {
            Some(paths) => {
                let counts = self.ahead.at(data, key, step, until, size);
                Self::draw_paths(&mut self.rows, &mut self.counts, paths, counts);
            }
            None if data.magnitude == Magnitude::Binary => {
                data.sample_instance_into(key, Purpose::Train, step, size, &mut self.drawn);
                self.merge_drawn();
            }
            None => {
                data.sample_instance_into(key, Purpose::Train, step, size, &mut self.rows);
                self.counts.clear();
                self.counts.resize(size, 1);
            }
        }
    }

    /// `rows` and their `counts`: the tree paths (`paths[node]`) drawn `node_counts[node]` times.
    fn draw_paths(
        rows: &mut SparseBatch,
        counts: &mut Vec<u32>,
        paths: &[Vec<u32>],
        node_counts: &[u32],
    ) {
        rows.offsets.clear();
        rows.indices.clear();
        counts.clear();
        rows.offsets.push(0);
        for (path, &count) in paths.iter().zip(node_counts) {
            if count > 0 {
                rows.indices.extend_from_slice(path);
                rows.offsets.push(rows.indices.len() as u32);
                counts.push(count);
            }
        }
        rows.values.clear();
        rows.values.resize(rows.indices.len(), 1.0);
        (rows.batch, rows.n_instances) = (counts.len(), 1);
    }

    /// Copies `drawn` (binary magnitudes) into `rows`, one row per distinct feature set. Rows
    /// keep the order of their first occurrence, so the result, and the summation order
    /// downstream, depend only on the draws.
    fn merge_drawn(&mut self) {
        let (drawn, rows) = (&self.drawn, &mut self.rows);
        rows.offsets.clear();
        rows.indices.clear();
        rows.values.clear();
        self.counts.clear();
        self.seen.clear();
        rows.offsets.push(0);
        for s in 0..drawn.batch {
            let (indices, values) = drawn.row(0, s);
            let hash = row_hash(indices);
            let merged = self.seen.get(&hash).map(|&r| r as usize).filter(|&r| {
                let range = rows.offsets[r] as usize..rows.offsets[r + 1] as usize;
                rows.indices[range] == *indices
            });
            match merged {
                Some(r) => self.counts[r] += 1,
                None => {
                    let r = self.counts.len();
                    self.seen.entry(hash).or_insert(r as u32);
                    rows.indices.extend_from_slice(indices);
                    rows.values.extend_from_slice(values);
                    rows.offsets.push(rows.indices.len() as u32);
                    self.counts.push(1);
                }
            }
        }
        (rows.batch, rows.n_instances, rows.n_features) = (self.counts.len(), 1, drawn.n_features);
    }

    fn rows(&self) -> CountedRows<'_> {
        CountedRows {
            batch: self.size,
            offsets: &self.rows.offsets,
            indices: &self.rows.indices,
            values: &self.rows.values,
            counts: &self.counts,
        }
    }
}

/// FNV-1a over a row's feature indices: a key for merging; collisions only cost a merge.
fn row_hash(indices: &[u32]) -> u64 {
    indices.iter().fold(0xcbf2_9ce4_8422_2325, |h, &f| {
        (h ^ u64::from(f)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The features of the sample that ends at each heap node (see
/// [`DataSpec::sample_node_counts`]): the path down from the root, top first.
pub(crate) fn node_paths(data: &DataSpec) -> Vec<Vec<u32>> {
    let tree = data
        .tree_spec()
        .expect("node paths exist only for tree data");
    let mut paths = vec![Vec::new()];
    for f in 0..tree.n_features() {
        let mut path: Vec<u32> = tree.ancestors(f).iter().rev().map(|&a| a as u32).collect();
        path.push(f as u32);
        paths.push(path);
    }
    paths
}

fn rows(batch: &SparseBatch) -> SparseRows<'_> {
    SparseRows {
        batch: batch.batch,
        offsets: &batch.offsets,
        indices: &batch.indices,
        values: &batch.values,
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
        let (w, b_final, curve) = match &self.optimizer {
            FusedOptimizer::Native => train_native(job, on_step),
            FusedOptimizer::Burn(device) => train_burn_adam(job, device, on_step),
        };
        let shape = shape(job);
        let eval = job
            .data
            .sample(&job.keys(), Purpose::Eval, 0, job.config.eval_batch);
        let eval_loss = fused::loss_per_instance(
            &shape,
            &w,
            &b_final,
            job.importance,
            &active_hidden(job),
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

fn shape(job: &Job) -> Shape {
    Shape {
        n_instances: job.instances.len(),
        n_hidden: job.n_hidden(),
        n_features: job.data.n_features(),
    }
}

fn active_hidden(job: &Job) -> Vec<u32> {
    job.instances.iter().map(|i| i.n_hidden as u32).collect()
}

/// `W`, `b_final` and the loss curve after training.
type Trained = (Vec<f32>, Vec<f32>, Vec<(u64, Vec<f32>)>);

/// The native path: every instance trains on its own thread-pool task, [`ROUND`] steps at a
/// time, with its own batches and Adam; progress is reported after each round, step by step.
fn train_native(job: &Job, on_step: &mut dyn FnMut(Progress)) -> Trained {
    let config = job.config;
    let Shape {
        n_instances: ni,
        n_hidden: nh,
        n_features: nf,
    } = shape(job);
    let keys = job.keys();
    let w0 = initial_weights(job.instances, nf);
    let adam = (ADAM_BETAS.0, ADAM_BETAS.1, ADAM_EPSILON);
    let mut trainers: Vec<InstanceTrainer> = (0..ni)
        .map(|i| {
            let live = &w0[i * nh * nf..][..job.instances[i].n_hidden * nf];
            let importance = &job.importance[i * nf..][..nf];
            InstanceTrainer::new(nf, live, &vec![0.0; nf], importance, adam)
        })
        .collect();
    let paths = job.data.samples_are_nodes().then(|| node_paths(job.data));
    // Per instance: its batch, and its losses at this round's logged steps.
    let mut per_instance: Vec<(Batch, Vec<f32>)> = vec![Default::default(); ni];

    let mut curve = Vec::new();
    let mut start = 0;
    while start < config.steps {
        let end = (start + ROUND).min(config.steps);
        InstanceTrainer::for_each_parallel(
            &mut trainers,
            &mut per_instance,
            |i, t, (batch, losses)| {
                losses.clear();
                for step in start..end {
                    batch.draw(
                        job.data,
                        paths.as_deref(),
                        keys[i],
                        step,
                        config.steps,
                        config.batch,
                    );
                    let lr = config.lr_at(step) as f32;
                    losses.extend(t.step(&batch.rows(), lr, config.logs(step)));
                }
            },
        );
        let mut logged = 0;
        for step in start..end {
            let loss = config.logs(step).then(|| {
                logged += 1;
                per_instance
                    .iter()
                    .map(|(_, l)| l[logged - 1])
                    .collect::<Vec<_>>()
            });
            report_step(config, step, config.lr_at(step), loss, on_step, &mut curve);
        }
        start = end;
    }

    let (mut w, mut b) = (vec![0.0; ni * nh * nf], vec![0.0; ni * nf]);
    for (i, t) in trainers.iter().enumerate() {
        let live = job.instances[i].n_hidden * nf;
        t.params_into(&mut w[i * nh * nf..][..live], &mut b[i * nf..][..nf]);
    }
    (w, b, curve)
}

/// The fused gradients of the whole stacked model, stepped by burn's Adam on `device`.
fn train_burn_adam(job: &Job, device: &Device, on_step: &mut dyn FnMut(Progress)) -> Trained {
    let config = job.config;
    let shape = shape(job);
    let active_hidden = active_hidden(job);
    let keys = job.keys();
    let mut model =
        ToyModel::from_instances(job.instances, shape.n_features, job.importance, device);
    let mut optimizer = pytorch_adam().init();
    let mut grads = FusedGrads::new(shape);
    let mut batch = SparseBatch::new();
    let mut curve = Vec::new();
    for step in 0..config.steps {
        let lr = config.lr_at(step);
        job.data
            .sample_into(&keys, Purpose::Train, step, config.batch, &mut batch);
        let (w, b) = model.to_host();
        fused::loss_and_grads(
            &shape,
            &w,
            &b,
            job.importance,
            &active_hidden,
            &rows(&batch),
            &mut grads,
        );
        let dims = [shape.n_instances, shape.n_hidden, shape.n_features];
        let mut params = GradientsParams::new();
        let dw = TensorData::new(grads.dw.clone(), dims);
        let db = TensorData::new(grads.db.clone(), [shape.n_instances, shape.n_features]);
        params.register(model.w.id, Tensor::<3>::from_data(dw, device));
        params.register(model.b_final.id, Tensor::<2>::from_data(db, device));
        model = optimizer.step(lr, model, params);

        let loss = config.logs(step).then(|| grads.loss.clone());
        report_step(config, step, lr, loss, on_step, &mut curve);
    }
    let (w, b) = model.to_host();
    (w, b, curve)
}

#[cfg(test)]
mod merge_tests {
    use super::*;
    use tree_data::{Pairs, SparseSpec, Structure, TreeSpec};

    fn key() -> StreamKey {
        StreamKey {
            seed: 3,
            config: 4,
            instance: 1,
        }
    }

    /// The drawn samples, each as (features, magnitudes), sorted: a multiset.
    fn samples(batch: &SparseBatch, counts: &[u32]) -> Vec<(Vec<u32>, Vec<u32>)> {
        let mut out = Vec::new();
        for (r, &count) in counts.iter().enumerate() {
            let (indices, values) = batch.row(0, r);
            let bits: Vec<u32> = values.iter().map(|v| v.to_bits()).collect();
            out.extend((0..count).map(|_| (indices.to_vec(), bits.clone())));
        }
        out.sort();
        out
    }

    /// Rows stand for exactly the drawn samples; with binary magnitudes, one row per feature set.
    #[test]
    fn merged_rows_stand_for_the_drawn_samples() {
        let tree = TreeSpec::new(4, 2, 0.5).unwrap();
        let sparse = SparseSpec::new(
            6,
            vec![vec![0.05; 6]],
            Pairs {
                correlated: 1,
                anticorrelated: 1,
            },
        )
        .unwrap();
        for data in [
            DataSpec::tree(tree, Structure::Independent, Magnitude::Binary),
            DataSpec::tree(tree, Structure::Independent, Magnitude::Uniform),
            DataSpec::sparse(sparse.clone(), Magnitude::Uniform),
            DataSpec::sparse(sparse, Magnitude::Binary),
        ] {
            let mut batch = Batch::default();
            batch.draw(&data, None, key(), 7, 8, 1024);
            let mut plain = SparseBatch::new();
            data.sample_instance_into(key(), Purpose::Train, 7, 1024, &mut plain);
            assert_eq!(
                samples(&batch.rows, &batch.counts),
                samples(&plain, &vec![1; 1024]),
                "{data:?}"
            );
            let rows: Vec<_> = (0..batch.counts.len())
                .map(|r| batch.rows.row(0, r))
                .collect();
            if data.magnitude == Magnitude::Binary {
                assert!(batch.counts.len() < 1024, "nothing merged for {data:?}");
                for (r, &(indices, _)) in rows.iter().enumerate() {
                    assert!(!rows[..r].iter().any(|&(other, _)| other == indices));
                }
            } else {
                assert_eq!(batch.counts, vec![1; 1024]);
            }
        }
    }
}
