//! The grid's configs ("cells"), their fusion into one training job per data distribution, and
//! slicing a job's result back into per-config results.

use anyhow::{Result, ensure};
use serde::{Deserialize, Serialize};
use toy_model::{InstanceInit, xavier_normal_std};
use train::JobResult;
use tree_data::{DataSpec, Magnitude, Pairs, StableHasher, StreamKey, TreeSpec};

use crate::config::{StructureSpec, SweepConfig, magnitude_name, n_features_within};
use crate::features::{Importance, SparseFeatures};

/// Where a config's features come from: a tree of the grid's tree axes, or one of its
/// `grid.features` data sets.
#[derive(Debug, Clone, PartialEq)]
pub enum DataSource {
    /// The nodes of a tree (paths, or independent with the paths' marginals).
    Tree {
        /// Tree depth.
        depth: u32,
        /// Branching factor.
        branching: u32,
        /// Structure and stop probability.
        structure: StructureSpec,
    },
    /// A TMS-style sparse data set.
    Sparse(SparseFeatures),
}

impl DataSource {
    /// Id of the group of this data with `magnitude`: `d3-b2-tree0.5-binary`, `f5-p0.01-uniform`.
    fn group_id(&self, magnitude: Magnitude) -> String {
        match self {
            DataSource::Tree {
                depth,
                branching,
                structure,
            } => Group::id_for(*depth, *branching, structure, magnitude),
            DataSource::Sparse(features) => {
                format!("{}-{}", features.label(), magnitude_name(magnitude))
            }
        }
    }

    /// Id of a config with default importance: `d3-h4-b2-tree0.5-binary-s0`,
    /// `f5-p0.01-h2-uniform-s0`.
    fn cell_id(&self, n_hidden: usize, magnitude: Magnitude, seed: u64) -> String {
        let magnitude = magnitude_name(magnitude);
        match self {
            DataSource::Tree {
                depth,
                branching,
                structure,
            } => format!(
                "d{depth}-h{n_hidden}-b{branching}-{}-{magnitude}-s{seed}",
                structure.label()
            ),
            DataSource::Sparse(features) => {
                format!("{}-h{n_hidden}-{magnitude}-s{seed}", features.label())
            }
        }
    }

    fn stream_config(&self, magnitude: Magnitude, n_hidden: usize) -> u64 {
        match self {
            DataSource::Tree {
                depth,
                branching,
                structure,
            } => stream_config_hash(*depth, *branching, structure, magnitude, n_hidden),
            DataSource::Sparse(features) => {
                sparse_stream_config_hash(features, magnitude, n_hidden)
            }
        }
    }
}

/// One config of the grid: a data distribution, a hidden width, an importance, a seed and its
/// instances.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    /// E.g. `d3-h4-b2-tree0.5-binary-s0`, `f5-p0.01-h2-uniform-s0-imp0.9i`.
    pub id: String,
    /// Id of the [`Group`] it trains in, e.g. `d3-b2-tree0.5-binary` or `f5-p0.01-uniform`.
    pub group: String,
    /// Where its features come from.
    pub source: DataSource,
    /// Magnitude of active features.
    pub magnitude: Magnitude,
    /// Hidden width.
    pub n_hidden: usize,
    /// How much each feature weighs in the loss.
    pub importance: Importance,
    /// Seed of the random streams.
    pub seed: u64,
    /// Independent instances.
    pub instances: usize,
    /// The data distribution.
    pub data: DataSpec,
    /// Number of features.
    pub n_features: usize,
    /// Std of the init: `xavier_normal_std(instances, n_hidden, n_features)` with this config's
    /// own instance count, as the seed's `xavier_normal_` on its own tensor.
    pub init_std: f64,
    /// `StreamKey::config`: [`stream_config_hash`] for trees, [`sparse_stream_config_hash`] for
    /// sparse data; the seed goes into `StreamKey::seed`.
    ///
    /// The importance is deliberately not part of it: configs that differ only in importance
    /// see the same init and the same batches, so comparing them is a controlled experiment.
    pub stream_config: u64,
}

impl Cell {
    /// Tree depth (0 for sparse data).
    pub fn depth(&self) -> u32 {
        match self.source {
            DataSource::Tree { depth, .. } => depth,
            DataSource::Sparse(_) => 0,
        }
    }

    /// Branching factor (0 for sparse data).
    pub fn branching(&self) -> u32 {
        match self.source {
            DataSource::Tree { branching, .. } => branching,
            DataSource::Sparse(_) => 0,
        }
    }

    /// `tree`, `independent` or `sparse`.
    pub fn structure_name(&self) -> &'static str {
        match &self.source {
            DataSource::Tree { structure, .. } => structure.kind_name(),
            DataSource::Sparse(_) => "sparse",
        }
    }

    /// The tree's stop probability (0 for sparse data).
    pub fn stop_prob(&self) -> f64 {
        match &self.source {
            DataSource::Tree { structure, .. } => structure.stop_prob,
            DataSource::Sparse(_) => 0.0,
        }
    }

    /// The pairs among the features (none for trees).
    pub fn pairs(&self) -> Pairs {
        match &self.source {
            DataSource::Tree { .. } => Pairs::default(),
            DataSource::Sparse(features) => features.pairs,
        }
    }

    /// Mean activation probability of instance `instance`'s features.
    pub fn feature_probability(&self, instance: u32) -> f64 {
        // A running mean is exact when every feature has the same probability (a plain sum
        // would turn six times 0.05 into 0.049999999999999996 in runs.csv).
        let mut mean = 0.0;
        for (k, p) in self.data.marginals(instance).into_iter().enumerate() {
            mean += (p - mean) / (k + 1) as f64;
        }
        mean
    }

    /// The importance of each feature (the same for every instance).
    pub fn importance_vector(&self) -> Vec<f32> {
        self.importance.vector(&self.data)
    }

    /// The loss of instance `instance`'s best model without hidden units
    /// ([`train::bias_only_loss`]): what `analysis.relative_loss` divides by.
    pub fn bias_only_loss(&self, instance: u32) -> f64 {
        train::bias_only_loss(
            &self.data.feature_variances(instance),
            &self.importance_vector(),
        )
    }

    /// The random stream of instance `instance`.
    pub fn key(&self, instance: u32) -> StreamKey {
        StreamKey {
            seed: self.seed,
            config: self.stream_config,
            instance,
        }
    }

    /// How each instance is initialised, in instance order.
    pub fn instance_inits(&self) -> Vec<InstanceInit> {
        (0..self.instances as u32)
            .map(|i| InstanceInit {
                n_hidden: self.n_hidden,
                init_std: self.init_std,
                key: self.key(i),
            })
            .collect()
    }
}

/// Stable hash of the fields that make a tree config's random streams its own.
pub fn stream_config_hash(
    depth: u32,
    branching: u32,
    structure: &StructureSpec,
    magnitude: Magnitude,
    n_hidden: usize,
) -> u64 {
    StableHasher::new()
        .write_u64(depth.into())
        .write_u64(branching.into())
        .write_str(structure.kind_name())
        .write_f64(structure.stop_prob)
        .write_str(magnitude_name(magnitude))
        .write_u64(n_hidden as u64)
        .finish()
}

/// Stable hash of the fields that make a sparse config's random streams its own: the data
/// set's whole description as written (not the probabilities it resolves to), the magnitude
/// and `n_hidden`.
pub fn sparse_stream_config_hash(
    features: &SparseFeatures,
    magnitude: Magnitude,
    n_hidden: usize,
) -> u64 {
    let mut h = StableHasher::new();
    features.hash_into(&mut h);
    h.write_str(magnitude_name(magnitude))
        .write_u64(n_hidden as u64)
        .finish()
}

/// What a UI needs to know about a group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupInfo {
    /// E.g. `d6-b2-tree0.5-binary`.
    pub id: String,
    /// Ids of its configs, in grid order.
    pub configs: Vec<String>,
    /// Instances of all its configs together.
    pub instances: usize,
    /// The module width: the widest config's `n_hidden` (narrower ones are padded).
    pub n_hidden: usize,
    /// Number of features.
    pub n_features: usize,
    /// Optimiser steps.
    pub steps: u64,
    /// `instances · n_hidden · n_features · steps`: the work, for balancing.
    pub cost: u64,
}

/// Configs that share a data distribution, trained as one batched job.
///
/// The loss is a sum over instances and Adam is elementwise, so every config in a group trains
/// exactly as it would alone; fusing only saves per-step overhead. Configs that differ only in
/// importance share the group too: the job's importance has a row per instance.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    /// Id, configs, size and cost.
    pub info: GroupInfo,
    /// The shared data distribution.
    pub data: DataSpec,
    /// Its configs, in grid order.
    pub cells: Vec<Cell>,
}

/// One config's share of a [`JobResult`], with padding removed.
#[derive(Debug, Clone, PartialEq)]
pub struct CellResult {
    /// `[instances, n_hidden, n_features]` with the config's own `n_hidden`.
    pub w: Vec<f32>,
    /// `[instances, n_features]`.
    pub b_final: Vec<f32>,
    /// `(step, per-instance train loss)`.
    pub curve: Vec<(u64, Vec<f32>)>,
    /// Per-instance train loss at the last step.
    pub final_loss: Vec<f32>,
    /// Per-instance evaluation loss.
    pub eval_loss: Vec<f32>,
}

impl Group {
    /// Id of a data distribution's group, e.g. `d6-b2-tree0.5-binary`.
    pub fn id_for(
        depth: u32,
        branching: u32,
        structure: &StructureSpec,
        magnitude: Magnitude,
    ) -> String {
        format!(
            "d{depth}-b{branching}-{}-{}",
            structure.label(),
            magnitude_name(magnitude)
        )
    }

    /// Fills the info's configs, instances, width and cost from the cells.
    fn count(&mut self) {
        let info = &mut self.info;
        info.configs = self.cells.iter().map(|c| c.id.clone()).collect();
        info.instances = self.cells.iter().map(|c| c.instances).sum();
        info.n_hidden = self.cells.iter().map(|c| c.n_hidden).max().unwrap_or(0);
        info.cost = (info.instances as u64)
            .saturating_mul(info.n_hidden as u64)
            .saturating_mul(info.n_features as u64)
            .saturating_mul(info.steps);
    }

    /// The group of the configs `ids` alone, in that order (the same id and data): a config
    /// trains in it exactly as in the whole group. `None` when an id is not one of its configs,
    /// or is listed twice.
    pub fn subset(&self, ids: &[&str]) -> Option<Group> {
        let mut cells = Vec::with_capacity(ids.len());
        for (k, id) in ids.iter().enumerate() {
            if ids[..k].contains(id) {
                return None;
            }
            cells.push(self.cells.iter().find(|c| c.id == *id)?.clone());
        }
        let mut group = Group {
            info: self.info.clone(),
            data: self.data.clone(),
            cells,
        };
        group.count();
        Some(group)
    }

    /// Every instance of every config, concatenated in grid order.
    pub fn instance_inits(&self) -> Vec<InstanceInit> {
        self.cells.iter().flat_map(Cell::instance_inits).collect()
    }

    /// Every instance's importance row, `[instances, n_features]`: each config's own.
    pub fn importance(&self) -> Vec<f32> {
        let mut rows = Vec::with_capacity(self.info.instances * self.info.n_features);
        for cell in &self.cells {
            let row = cell.importance_vector();
            for _ in 0..cell.instances {
                rows.extend_from_slice(&row);
            }
        }
        rows
    }

    /// Splits the group's job result into one result per config, in grid order.
    ///
    /// Errors (instead of panicking) when the result's shapes do not match the group.
    pub fn split(&self, result: &JobResult) -> Result<Vec<CellResult>> {
        let (n, h, f) = (
            self.info.instances,
            self.info.n_hidden,
            self.info.n_features,
        );
        ensure!(
            result.w.len() == n * h * f,
            "{}: W has {} values, expected {n}·{h}·{f}",
            self.info.id,
            result.w.len()
        );
        ensure!(
            result.b_final.len() == n * f,
            "{}: b_final has {} values, expected {n}·{f}",
            self.info.id,
            result.b_final.len()
        );
        ensure!(
            result.final_loss.len() == n,
            "{}: {} final losses, expected {n}",
            self.info.id,
            result.final_loss.len()
        );
        ensure!(
            result.eval_loss.len() == n,
            "{}: {} eval losses, expected {n}",
            self.info.id,
            result.eval_loss.len()
        );
        for (step, losses) in &result.curve {
            ensure!(
                losses.len() == n,
                "{}: step {step} has {} losses, expected {n}",
                self.info.id,
                losses.len()
            );
        }

        let mut out = Vec::with_capacity(self.cells.len());
        let mut first = 0;
        for cell in &self.cells {
            let range = first..first + cell.instances;
            let mut w = Vec::with_capacity(cell.instances * cell.n_hidden * f);
            for instance in range.clone() {
                let block = &result.w[instance * h * f..(instance + 1) * h * f];
                w.extend_from_slice(&block[..cell.n_hidden * f]);
            }
            out.push(CellResult {
                w,
                b_final: result.b_final[range.start * f..range.end * f].to_vec(),
                curve: result
                    .curve
                    .iter()
                    .map(|(step, l)| (*step, l[range.clone()].to_vec()))
                    .collect(),
                final_loss: result.final_loss[range.clone()].to_vec(),
                eval_loss: result.eval_loss[range].to_vec(),
            });
            first += cell.instances;
        }
        Ok(out)
    }
}

impl SweepConfig {
    /// The grid's configs in a fixed order: first the trees by structure, magnitude,
    /// branching, seed, depth; then the sparse data sets by magnitude, seed, data set
    /// (outermost first, each axis in file order); within each, n_hidden then importance.
    /// Skips `n_hidden > n_features` when `grid.skip_wider_than_features`, and trees wider
    /// than `grid.max_features`.
    ///
    /// Expects a validated config (every parsed one is); panics on an invalid one.
    pub fn cells(&self) -> Vec<Cell> {
        let g = &self.grid;
        let mut cells = Vec::new();
        for structure in &g.structure {
            for &magnitude in &g.magnitude {
                for &branching in &g.branching {
                    for &seed in &g.seeds {
                        for &depth in &g.depths {
                            let limit = g.max_features.unwrap_or(usize::MAX);
                            if n_features_within(depth, branching, limit).is_none() {
                                continue;
                            }
                            let tree = TreeSpec::new(depth, branching, structure.stop_prob)
                                .expect("validated config");
                            let data = DataSpec::tree(tree, structure.kind, magnitude);
                            let source = DataSource::Tree {
                                depth,
                                branching,
                                structure: *structure,
                            };
                            self.push_cells(&mut cells, &source, &data, seed);
                        }
                    }
                }
            }
        }
        for &magnitude in &g.magnitude {
            for &seed in &g.seeds {
                for features in &g.features {
                    let spec = features
                        .spec(self.train.instances)
                        .expect("validated config");
                    let data = DataSpec::sparse(spec, magnitude);
                    let source = DataSource::Sparse(features.clone());
                    self.push_cells(&mut cells, &source, &data, seed);
                }
            }
        }
        cells
    }

    /// Appends the configs of one data distribution and seed: every n_hidden × importance.
    fn push_cells(&self, cells: &mut Vec<Cell>, source: &DataSource, data: &DataSpec, seed: u64) {
        let g = &self.grid;
        let instances = self.train.instances;
        let n_features = data.n_features();
        let magnitude = data.magnitude;
        for &n_hidden in &g.n_hidden {
            if g.skip_wider_than_features && n_hidden > n_features {
                continue;
            }
            for importance in &g.importance {
                cells.push(Cell {
                    id: source.cell_id(n_hidden, magnitude, seed) + &importance.id_suffix(),
                    group: source.group_id(magnitude),
                    source: source.clone(),
                    magnitude,
                    n_hidden,
                    importance: importance.clone(),
                    seed,
                    instances,
                    data: data.clone(),
                    n_features,
                    init_std: xavier_normal_std(instances, n_hidden, n_features),
                    stream_config: source.stream_config(magnitude, n_hidden),
                });
            }
        }
    }

    /// The configs fused into groups, one per data distribution (all seeds and widths
    /// together), in order of each group's first config.
    pub fn groups(&self) -> Vec<Group> {
        let steps = self.train.steps;
        let mut groups: Vec<Group> = Vec::new();
        for cell in self.cells() {
            match groups.iter_mut().find(|g| g.info.id == cell.group) {
                Some(group) => {
                    // `validate` refuses the short-hash collisions that could break this.
                    assert_eq!(
                        group.data, cell.data,
                        "two data sets share group id {}",
                        cell.group
                    );
                    group.cells.push(cell);
                }
                None => groups.push(Group {
                    info: GroupInfo {
                        id: cell.group.clone(),
                        configs: Vec::new(),
                        instances: 0,
                        n_hidden: 0,
                        n_features: cell.n_features,
                        steps,
                        cost: 0,
                    },
                    data: cell.data.clone(),
                    cells: vec![cell],
                }),
            }
        }
        for group in &mut groups {
            group.count();
        }
        groups
    }
}
