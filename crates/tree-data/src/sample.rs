//! What a sample looks like (tree path or independent features) and the batched,
//! parallel, deterministic sampler.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::batch::{InstanceRows, SparseBatch};
use crate::lanes;
use crate::rng::{Purpose, Rng, StreamKey};
use crate::sparse::{Pairs, Run, SparseSpec};
use crate::spec::TreeSpec;

/// How active features relate to each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Structure {
    /// A sample is one path down from the root: each active node stops with
    /// probability `stop_prob`, else activates exactly one child chosen uniformly.
    Tree,
    /// Every feature is active independently with its tree marginal (the baseline
    /// without hierarchy).
    Independent,
}

/// Value of an active feature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Magnitude {
    /// Always 1.0.
    Binary,
    /// Uniform in `(0, 1]`, independently per active feature.
    Uniform,
}

impl Magnitude {
    /// `(E[m], E[m²])` of an active feature's value `m`.
    pub fn moments(self) -> (f64, f64) {
        match self {
            Magnitude::Binary => (1.0, 1.0),
            Magnitude::Uniform => (0.5, 1.0 / 3.0),
        }
    }

    fn draw(self, rng: &mut Rng) -> f32 {
        match self {
            Magnitude::Binary => 1.0,
            // 1 - U[0, 1) keeps an active feature from having value 0.
            Magnitude::Uniform => 1.0 - rng.uniform_f32(),
        }
    }
}

/// Where the features come from and how they co-occur.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", tag = "kind")]
pub enum Features {
    /// The nodes of a tree: root-to-node paths, or independent with the paths' marginals.
    Tree {
        /// Shape of the feature tree and its stopping rule.
        tree: TreeSpec,
        /// Tree paths or independent features.
        structure: Structure,
    },
    /// TMS-style sparse features without a tree.
    Sparse(SparseSpec),
}

/// Everything that defines the data distribution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataSpec {
    /// Which features exist and how they co-occur.
    pub features: Features,
    /// Value of an active feature.
    pub magnitude: Magnitude,
}

impl DataSpec {
    /// Tree data: paths (`Structure::Tree`) or independent nodes with the same marginals.
    pub fn tree(tree: TreeSpec, structure: Structure, magnitude: Magnitude) -> DataSpec {
        DataSpec {
            features: Features::Tree { tree, structure },
            magnitude,
        }
    }

    /// TMS-style sparse data.
    pub fn sparse(spec: SparseSpec, magnitude: Magnitude) -> DataSpec {
        DataSpec {
            features: Features::Sparse(spec),
            magnitude,
        }
    }

    /// The feature tree, if the features are a tree's nodes.
    pub fn tree_spec(&self) -> Option<&TreeSpec> {
        match &self.features {
            Features::Tree { tree, .. } => Some(tree),
            Features::Sparse(_) => None,
        }
    }

    /// Number of features (tree nodes without the root, or the sparse features).
    pub fn n_features(&self) -> usize {
        match &self.features {
            Features::Tree { tree, .. } => tree.n_features(),
            Features::Sparse(spec) => spec.n_features(),
        }
    }

    /// Per-feature activation probability of instance `instance` (only sparse data with
    /// per-instance rows depends on it; both tree structures share the tree's marginals).
    pub fn marginals(&self, instance: u32) -> Vec<f64> {
        match &self.features {
            Features::Tree { tree, .. } => tree.marginals(),
            Features::Sparse(spec) => spec.probability(instance).to_vec(),
        }
    }

    /// Per-feature variance of instance `instance`'s values: `p·E[m²] − (p·E[m])²` for a
    /// feature on with probability `p` and magnitude `m` ([`Magnitude::moments`]). Whatever
    /// couples the features (tree paths, pairs) leaves each one's marginal, so its variance,
    /// unchanged.
    pub fn feature_variances(&self, instance: u32) -> Vec<f64> {
        let (mean, mean_sq) = self.magnitude.moments();
        self.marginals(instance)
            .into_iter()
            .map(|p| p * mean_sq - (p * mean).powi(2))
            .collect()
    }

    /// Draws `batch` samples for each key. Instance `i`'s rows depend only on
    /// `Rng::new(keys[i], purpose, step)`, not on the other keys or the thread count.
    pub fn sample(
        &self,
        keys: &[StreamKey],
        purpose: Purpose,
        step: u64,
        batch: usize,
    ) -> SparseBatch {
        let mut out = SparseBatch::new();
        self.sample_into(keys, purpose, step, batch, &mut out);
        out
    }

    /// Like [`DataSpec::sample`], overwriting `out` and reusing its allocations.
    pub fn sample_into(
        &self,
        keys: &[StreamKey],
        purpose: Purpose,
        step: u64,
        batch: usize,
        out: &mut SparseBatch,
    ) {
        let n_instances = keys.len();
        out.batch = batch;
        out.n_instances = n_instances;
        out.n_features = self.n_features();
        if out.staging.len() < n_instances {
            out.staging.resize_with(n_instances, InstanceRows::default);
        }
        // A tree sample has at most `depth` entries, so this bound makes tree paths' steady state
        // allocation-free (the independent samplers also build a small table of runs per call).
        let tree_bound = match &self.features {
            Features::Tree {
                tree,
                structure: Structure::Tree,
            } => batch * tree.depth() as usize,
            _ => 0,
        };

        out.staging[..n_instances]
            .par_iter_mut()
            .zip(keys.par_iter())
            .for_each(|(rows, &key)| {
                rows.clear();
                let mut rng = Rng::new(key, purpose, step);
                self.push_rows(
                    &mut rng,
                    key.instance,
                    batch,
                    &mut rows.row_ends,
                    &mut rows.indices,
                    &mut rows.values,
                );
            });

        let staged = &out.staging[..n_instances];
        let total: usize = staged.iter().map(|rows| rows.indices.len()).sum();
        assert!(
            u32::try_from(total).is_ok(),
            "batch has {total} entries, more than u32 offsets can address"
        );
        out.offsets.clear();
        out.indices.clear();
        out.values.clear();
        out.offsets.reserve(n_instances * batch + 1);
        out.indices.reserve(total.max(tree_bound * n_instances));
        out.values.reserve(total.max(tree_bound * n_instances));
        out.offsets.push(0);
        for rows in staged {
            let base = out.indices.len() as u32;
            out.offsets
                .extend(rows.row_ends.iter().map(|&end| base + end));
            out.indices.extend_from_slice(&rows.indices);
            out.values.extend_from_slice(&rows.values);
        }
    }

    /// Like [`DataSpec::sample_into`] for one key, filling `out` directly: for callers that
    /// already run one instance per thread. The rows are those of `key` in
    /// [`DataSpec::sample`].
    pub fn sample_instance_into(
        &self,
        key: StreamKey,
        purpose: Purpose,
        step: u64,
        batch: usize,
        out: &mut SparseBatch,
    ) {
        out.batch = batch;
        out.n_instances = 1;
        out.n_features = self.n_features();
        out.offsets.clear();
        out.indices.clear();
        out.values.clear();
        out.offsets.push(0);
        let mut rng = Rng::new(key, purpose, step);
        self.push_rows(
            &mut rng,
            key.instance,
            batch,
            &mut out.offsets,
            &mut out.indices,
            &mut out.values,
        );
    }

    /// Whether a sample is fixed by its deepest active node (tree paths with binary
    /// magnitudes), so that [`DataSpec::sample_node_counts`] can describe a batch.
    pub fn samples_are_nodes(&self) -> bool {
        matches!(
            self.features,
            Features::Tree {
                structure: Structure::Tree,
                ..
            }
        ) && self.magnitude == Magnitude::Binary
    }

    /// The tree of tree-path data; panics otherwise (callers have checked the structure).
    fn path_tree(&self) -> &TreeSpec {
        match &self.features {
            Features::Tree { tree, .. } => tree,
            Features::Sparse(_) => unreachable!("sparse data has no tree paths"),
        }
    }

    /// The batch of `key` in [`DataSpec::sample`], as the number of its samples that end
    /// at each tree node, in breadth-first order: `counts[0]` for the root (empty rows),
    /// `counts[f + 1]` for rows whose deepest feature is `f`. A batch of any size thus
    /// takes `n_features + 1` numbers.
    ///
    /// Panics unless [`DataSpec::samples_are_nodes`].
    pub fn sample_node_counts(
        &self,
        key: StreamKey,
        purpose: Purpose,
        step: u64,
        batch: usize,
        counts: &mut Vec<u32>,
    ) {
        self.check_node_counts(batch);
        counts.clear();
        counts.resize(self.n_features() + 1, 0);
        let mut rng = Rng::new(key, purpose, step);
        let tree = self.path_tree();
        let stop_below = stop_below(tree);
        for _ in 0..batch {
            let node = draw_path(tree, &mut rng, stop_below, |_, _| {});
            counts[node as usize] += 1;
        }
    }

    /// [`DataSpec::sample_node_counts`] of the `counts.len()` (at most [`LANES`](crate::LANES))
    /// consecutive steps from `first_step`: `counts[l]` gets step `first_step + l`'s counts, the
    /// same numbers, drawn side by side in AVX-512 lanes where the CPU has them (1.2–2.5×
    /// faster, `cargo bench -p tree-data`), else one step at a time.
    ///
    /// Panics unless [`DataSpec::samples_are_nodes`].
    pub fn sample_node_counts_steps(
        &self,
        key: StreamKey,
        purpose: Purpose,
        first_step: u64,
        batch: usize,
        counts: &mut [Vec<u32>],
    ) {
        self.check_node_counts(batch);
        assert!(
            counts.len() <= crate::LANES,
            "at most {} steps at once",
            crate::LANES
        );
        let tree = self.path_tree();
        let drawn = lanes::node_counts(
            tree,
            stop_below(tree),
            key,
            purpose,
            first_step,
            batch,
            counts,
        );
        if !drawn {
            for (l, c) in counts.iter_mut().enumerate() {
                self.sample_node_counts(key, purpose, first_step + l as u64, batch, c);
            }
        }
    }

    /// What [`DataSpec::sample_node_counts`] and its several-step form need.
    fn check_node_counts(&self, batch: usize) {
        assert!(
            self.samples_are_nodes(),
            "only tree samples with binary magnitudes are fixed by their deepest node"
        );
        assert!(u32::try_from(batch).is_ok(), "batch must fit in u32");
    }

    /// Draws `batch` samples from `rng` into empty `indices` and `values`, appending each
    /// row's end to `ends`.
    #[allow(clippy::too_many_arguments)]
    fn push_rows(
        &self,
        rng: &mut Rng,
        instance: u32,
        batch: usize,
        ends: &mut Vec<u32>,
        indices: &mut Vec<u32>,
        values: &mut Vec<f32>,
    ) {
        debug_assert!(indices.is_empty() && values.is_empty());
        ends.reserve(batch);
        let (pairs, runs) = match &self.features {
            Features::Tree {
                tree,
                structure: Structure::Tree,
            } => return self.push_tree_rows(tree, rng, batch, ends, indices, values),
            Features::Tree {
                tree,
                structure: Structure::Independent,
            } => (None, level_runs(tree)),
            Features::Sparse(spec) => (
                Some((spec.pairs(), spec.probability(instance))),
                spec.runs(instance),
            ),
        };
        for _ in 0..batch {
            if let Some((pairs, p)) = pairs {
                self.push_pairs(rng, pairs, p, indices, values);
            }
            self.push_independent_sample(rng, &runs, indices, values);
            let end = u32::try_from(indices.len())
                .expect("one instance's batch has more than u32::MAX entries");
            ends.push(end);
        }
    }

    /// Appends the active features of the pairs (see [`Pairs`]): one draw per pair, plus a
    /// fair coin for which feature of an active anticorrelated pair is on.
    fn push_pairs(
        &self,
        rng: &mut Rng,
        pairs: Pairs,
        p: &[f64],
        indices: &mut Vec<u32>,
        values: &mut Vec<f32>,
    ) {
        for k in 0..pairs.correlated {
            let first = 2 * k;
            if rng.uniform_f64() < p[first] {
                for feature in [first, first + 1] {
                    indices.push(feature as u32);
                    values.push(self.magnitude.draw(rng));
                }
            }
        }
        for k in 0..pairs.anticorrelated {
            let first = 2 * (pairs.correlated + k);
            if rng.uniform_f64() < 2.0 * p[first] {
                let feature = first + (rng.next_u64() >> 63) as usize;
                indices.push(feature as u32);
                values.push(self.magnitude.draw(rng));
            }
        }
    }

    /// Tree rows: each a root-to-node path, top level first; O(depth) per sample.
    fn push_tree_rows(
        &self,
        tree: &TreeSpec,
        rng: &mut Rng,
        batch: usize,
        ends: &mut Vec<u32>,
        indices: &mut Vec<u32>,
        values: &mut Vec<f32>,
    ) {
        let depth = tree.depth() as usize;
        let bound = batch * depth;
        assert!(
            u32::try_from(bound).is_ok(),
            "one instance's batch may have more than u32::MAX entries"
        );
        // Room for the longest rows, trimmed at the end: the loop writes without growing.
        indices.resize(bound, 0);
        values.resize(bound, 0.0);
        let stop_below = stop_below(tree);
        let mut n = 0;
        for _ in 0..batch {
            draw_path(tree, rng, stop_below, |heap_node, rng| {
                indices[n] = heap_node - 1;
                values[n] = self.magnitude.draw(rng);
                n += 1;
            });
            ends.push(n as u32);
        }
        indices.truncate(n);
        values.truncate(n);
    }

    /// Appends independent Bernoulli features in increasing index order, jumping
    /// between active ones with geometric gaps: O(#active + #runs).
    fn push_independent_sample(
        &self,
        rng: &mut Rng,
        runs: &[Run],
        indices: &mut Vec<u32>,
        values: &mut Vec<f32>,
    ) {
        for level in runs {
            if level.prob <= 0.0 {
                continue;
            }
            if level.prob >= 1.0 {
                for feature in level.first..level.first + level.count {
                    indices.push(feature);
                    values.push(self.magnitude.draw(rng));
                }
                continue;
            }
            let mut position: u32 = 0;
            loop {
                // P(gap >= k) = P(U <= (1-p)^k) = (1-p)^k with U in (0, 1]: exact geometric.
                let u = 1.0 - rng.uniform_f64();
                if position == 0 && level.surely_empty(u) {
                    break;
                }
                // The ratio is >= 0, so truncation is its floor (without a libm call), and the
                // cast saturates, so huge gaps cannot overflow the position.
                let gap = (u.ln() / level.ln_miss) as u64;
                if gap >= u64::from(level.count - position) {
                    break;
                }
                position += gap as u32;
                indices.push(level.first + position);
                values.push(self.magnitude.draw(rng));
                position += 1;
                if position >= level.count {
                    break;
                }
            }
        }
    }
}

/// One run per tree level: the independent baseline's probabilities.
fn level_runs(tree: &TreeSpec) -> Vec<Run> {
    (1..=tree.depth())
        .map(|level| {
            let range = tree.level_range(level);
            Run::new(range.start as u32, range.len() as u32, tree.marginal(level))
        })
        .collect()
}

/// `uniform_f64() < stop_prob`, with `uniform_f64() = (u >> 11) · 2^-53` exactly, is
/// `u >> 11 < stop_below`: the same decisions as an integer comparison.
pub(crate) fn stop_below(tree: &TreeSpec) -> u64 {
    (tree.stop_prob() * (1u64 << 53) as f64).ceil() as u64
}

/// Draws one tree sample: a path down from the root, calling `visit(heap_node, rng)` at each
/// node below the root, top first (where its magnitude is to be drawn). Returns the last heap
/// node (0: the root, an empty row).
#[inline(always)]
fn draw_path(
    tree: &TreeSpec,
    rng: &mut Rng,
    stop_below: u64,
    mut visit: impl FnMut(u32, &mut Rng),
) -> u32 {
    let branching = tree.branching();
    let mut heap_node: u32 = 0;
    for _ in 0..tree.depth() {
        if rng.next_u64() >> 11 < stop_below {
            break;
        }
        heap_node = heap_node * branching + 1 + rng.below(branching);
        visit(heap_node, rng);
    }
    heap_node
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::LANES;

    fn specs() -> Vec<DataSpec> {
        let mut out = Vec::new();
        for (depth, branching) in [(1, 2), (3, 2), (6, 2), (3, 3), (2, 4), (4, 5)] {
            for stop_prob in [0.0, 0.3, 0.5, 0.9] {
                for structure in [Structure::Tree, Structure::Independent] {
                    for magnitude in [Magnitude::Binary, Magnitude::Uniform] {
                        out.push(DataSpec::tree(
                            TreeSpec::new(depth, branching, stop_prob).unwrap(),
                            structure,
                            magnitude,
                        ));
                    }
                }
            }
        }
        out
    }

    fn is_paths(spec: &DataSpec) -> bool {
        matches!(
            spec.features,
            Features::Tree {
                structure: Structure::Tree,
                ..
            }
        )
    }

    fn key(instance: u32) -> StreamKey {
        StreamKey {
            seed: 5,
            config: 77,
            instance,
        }
    }

    /// The tree sampler written the plain way: what the faster one must reproduce.
    fn plain_tree_rows(spec: &DataSpec, rng: &mut Rng, batch: usize) -> Vec<(Vec<u32>, Vec<f32>)> {
        let tree = spec.tree_spec().unwrap();
        (0..batch)
            .map(|_| {
                let (mut indices, mut values) = (Vec::new(), Vec::new());
                let mut heap_node: u32 = 0;
                for _ in 0..tree.depth() {
                    if rng.uniform_f64() < tree.stop_prob() {
                        break;
                    }
                    let b = tree.branching();
                    heap_node = heap_node * b + 1 + rng.below(b);
                    indices.push(heap_node - 1);
                    values.push(spec.magnitude.draw(rng));
                }
                (indices, values)
            })
            .collect()
    }

    #[test]
    fn tree_rows_match_the_plain_sampler() {
        for spec in specs().iter().filter(|s| is_paths(s)) {
            let batch = spec.sample(&[key(0), key(1)], Purpose::Train, 9, 300);
            for i in 0..2 {
                let mut rng = Rng::new(key(i), Purpose::Train, 9);
                for (s, (indices, values)) in
                    plain_tree_rows(spec, &mut rng, 300).iter().enumerate()
                {
                    let (got_i, got_v) = batch.row(i as usize, s);
                    assert_eq!((got_i, got_v), (&indices[..], &values[..]), "{spec:?}");
                }
            }
        }
    }

    #[test]
    fn one_instance_matches_the_batch() {
        let mut alone = SparseBatch::new();
        for spec in specs() {
            let batch = spec.sample(&[key(3), key(4)], Purpose::Eval, 2, 200);
            spec.sample_instance_into(key(4), Purpose::Eval, 2, 200, &mut alone);
            assert_eq!((alone.batch, alone.n_instances), (200, 1));
            for s in 0..200 {
                assert_eq!(alone.row(0, s), batch.row(1, s), "{spec:?}");
            }
            assert_eq!(alone.offsets.len(), 201);
            assert_eq!(*alone.offsets.last().unwrap() as usize, alone.nnz());
        }
    }

    #[test]
    fn node_counts_count_the_rows_deepest_nodes() {
        let mut counts = Vec::new();
        for spec in specs() {
            assert_eq!(
                spec.samples_are_nodes(),
                is_paths(&spec) && spec.magnitude == Magnitude::Binary
            );
            if !spec.samples_are_nodes() {
                continue;
            }
            let batch = spec.sample(&[key(7)], Purpose::Train, 123, 1000);
            let mut want = vec![0u32; spec.n_features() + 1];
            for s in 0..1000 {
                let (indices, values) = batch.row(0, s);
                // A row is the path to its deepest node, so that node stands for it.
                let node = indices.last().map_or(0, |&f| f as usize + 1);
                let mut path: Vec<u32> = match node {
                    0 => Vec::new(),
                    _ => spec
                        .tree_spec()
                        .unwrap()
                        .ancestors(node - 1)
                        .iter()
                        .map(|&a| a as u32)
                        .collect(),
                };
                path.reverse();
                path.extend(indices.last());
                assert_eq!(indices, &path[..]);
                assert!(values.iter().all(|&v| v == 1.0));
                want[node] += 1;
            }
            spec.sample_node_counts(key(7), Purpose::Train, 123, 1000, &mut counts);
            assert_eq!(counts, want, "{spec:?}");
        }
    }

    /// The lanes draw exactly the scalar walk's counts, for every tree shape, stop
    /// probability (0 and near 1 included), odd batch sizes and partly filled lanes.
    #[test]
    fn node_counts_of_several_steps_equal_one_step_at_a_time() {
        let mut scalar = Vec::new();
        for (depth, branching) in [(1, 2), (3, 2), (6, 2), (3, 3), (2, 7), (4, 5), (1, 64)] {
            for stop_prob in [0.0, 0.3, 0.5, 0.999] {
                let tree = TreeSpec::new(depth, branching, stop_prob).unwrap();
                let spec = DataSpec::tree(tree, Structure::Tree, Magnitude::Binary);
                for (steps, batch) in [(LANES, 1024), (3, 1), (1, 517), (LANES, 0)] {
                    let mut counts = vec![vec![7u32; 2]; steps];
                    spec.sample_node_counts_steps(key(2), Purpose::Eval, 40, batch, &mut counts);
                    for (l, c) in counts.iter().enumerate() {
                        spec.sample_node_counts(
                            key(2),
                            Purpose::Eval,
                            40 + l as u64,
                            batch,
                            &mut scalar,
                        );
                        assert_eq!(*c, scalar, "{tree:?}, lane {l} of {steps}, batch {batch}");
                    }
                }
            }
        }
    }
}
