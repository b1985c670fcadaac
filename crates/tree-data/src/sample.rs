//! What a sample looks like (tree path or independent features) and the batched,
//! parallel, deterministic sampler.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::batch::{InstanceRows, SparseBatch};
use crate::rng::{Purpose, Rng, StreamKey};
use crate::spec::{MAX_DEPTH, TreeSpec};

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
    fn draw(self, rng: &mut Rng) -> f32 {
        match self {
            Magnitude::Binary => 1.0,
            // 1 - U[0, 1) keeps an active feature from having value 0.
            Magnitude::Uniform => 1.0 - rng.uniform_f32(),
        }
    }
}

/// Everything that defines the data distribution.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataSpec {
    /// Shape of the feature tree and its stopping rule.
    pub tree: TreeSpec,
    /// Tree paths or independent features.
    pub structure: Structure,
    /// Value of an active feature.
    pub magnitude: Magnitude,
}

/// One level's features for the independent sampler.
#[derive(Debug, Clone, Copy, Default)]
struct LevelParams {
    first: u32,
    count: u32,
    prob: f64,
    /// ln(1 - prob), the scale of the geometric gaps.
    ln_miss: f64,
}

impl DataSpec {
    /// Number of features (tree nodes without the root).
    pub fn n_features(&self) -> usize {
        self.tree.n_features()
    }

    /// Per-feature activation probability; the same for both structures.
    pub fn marginals(&self) -> Vec<f64> {
        self.tree.marginals()
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
        let levels = self.level_params();
        // A tree sample has at most `depth` entries, so this bound makes steady state allocation-free.
        let tree_bound = match self.structure {
            Structure::Tree => batch * self.tree.depth() as usize,
            Structure::Independent => 0,
        };

        out.staging[..n_instances]
            .par_iter_mut()
            .zip(keys.par_iter())
            .for_each(|(rows, &key)| {
                rows.clear();
                rows.row_ends.reserve(batch);
                rows.indices.reserve(tree_bound);
                rows.values.reserve(tree_bound);
                let mut rng = Rng::new(key, purpose, step);
                for _ in 0..batch {
                    match self.structure {
                        Structure::Tree => self.push_tree_sample(&mut rng, rows),
                        Structure::Independent => {
                            self.push_independent_sample(&mut rng, &levels, rows)
                        }
                    }
                    let end = u32::try_from(rows.indices.len())
                        .expect("one instance's batch has more than u32::MAX entries");
                    rows.row_ends.push(end);
                }
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

    /// Appends one root-to-node path, top level first; O(depth).
    fn push_tree_sample(&self, rng: &mut Rng, rows: &mut InstanceRows) {
        let branching = self.tree.branching();
        let stop_prob = self.tree.stop_prob();
        let mut heap_node: u32 = 0;
        for _ in 0..self.tree.depth() {
            if rng.uniform_f64() < stop_prob {
                break;
            }
            let child = rng.below(branching);
            heap_node = heap_node * branching + 1 + child;
            rows.indices.push(heap_node - 1);
            rows.values.push(self.magnitude.draw(rng));
        }
    }

    /// Appends independent Bernoulli features in increasing index order, jumping
    /// between active ones with geometric gaps: O(#active + depth).
    fn push_independent_sample(
        &self,
        rng: &mut Rng,
        levels: &[LevelParams; MAX_DEPTH],
        rows: &mut InstanceRows,
    ) {
        for level in &levels[..self.tree.depth() as usize] {
            if level.prob <= 0.0 {
                continue;
            }
            if level.prob >= 1.0 {
                for feature in level.first..level.first + level.count {
                    rows.indices.push(feature);
                    rows.values.push(self.magnitude.draw(rng));
                }
                continue;
            }
            let mut position: u32 = 0;
            loop {
                // P(gap >= k) = P(U <= (1-p)^k) = (1-p)^k with U in (0, 1]: exact geometric.
                let u = 1.0 - rng.uniform_f64();
                let gap = (u.ln() / level.ln_miss).floor();
                // Compare in f64 so that huge gaps cannot overflow the position.
                if gap >= f64::from(level.count - position) {
                    break;
                }
                position += gap as u32;
                rows.indices.push(level.first + position);
                rows.values.push(self.magnitude.draw(rng));
                position += 1;
                if position >= level.count {
                    break;
                }
            }
        }
    }

    fn level_params(&self) -> [LevelParams; MAX_DEPTH] {
        let mut levels = [LevelParams::default(); MAX_DEPTH];
        for (i, params) in levels
            .iter_mut()
            .take(self.tree.depth() as usize)
            .enumerate()
        {
            let level = i as u32 + 1;
            let range = self.tree.level_range(level);
            let prob = self.tree.marginal(level);
            *params = LevelParams {
                first: range.start as u32,
                count: range.len() as u32,
                prob,
                ln_miss: (-prob).ln_1p(),
            };
        }
        levels
    }
}
