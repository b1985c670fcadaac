//! The grid's configs ("cells"), their fusion into one training job per data distribution, and
//! slicing a job's result back into per-config results.

use anyhow::{Result, ensure};
use serde::{Deserialize, Serialize};
use toy_model::{InstanceInit, xavier_normal_std};
use train::JobResult;
use tree_data::{DataSpec, Magnitude, StableHasher, StreamKey, TreeSpec};

use crate::config::{StructureSpec, SweepConfig, magnitude_name, n_features_within};

/// One config of the grid: a data distribution, a hidden width, a seed and its instances.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    /// E.g. `d3-h4-b2-tree0.5-binary-s0`.
    pub id: String,
    /// Id of the [`Group`] it trains in, e.g. `d3-b2-tree0.5-binary`.
    pub group: String,
    /// Tree depth.
    pub depth: u32,
    /// Branching factor.
    pub branching: u32,
    /// Structure and stop probability.
    pub structure: StructureSpec,
    /// Magnitude of active features.
    pub magnitude: Magnitude,
    /// Hidden width.
    pub n_hidden: usize,
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
    /// `StreamKey::config`: stable hash of (depth, branching, structure, stop_prob, magnitude,
    /// n_hidden); the seed goes into `StreamKey::seed`.
    pub stream_config: u64,
}

impl Cell {
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

/// Stable hash of the fields that make a config's random streams its own.
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
/// exactly as it would alone; fusing only saves per-step overhead.
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

    /// Every instance of every config, concatenated in grid order.
    pub fn instance_inits(&self) -> Vec<InstanceInit> {
        self.cells.iter().flat_map(Cell::instance_inits).collect()
    }

    /// Unit importance, `[instances, n_features]`.
    pub fn importance(&self) -> Vec<f32> {
        vec![1.0; self.info.instances * self.info.n_features]
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
    /// The grid's configs in a fixed order: structure, magnitude, branching, seed, depth,
    /// n_hidden (outermost first, each axis in file order), skipping `n_hidden > n_features`
    /// when `grid.skip_wider_than_features`.
    ///
    /// Expects a validated config (every parsed one is); panics on an invalid one.
    pub fn cells(&self) -> Vec<Cell> {
        let g = &self.grid;
        let instances = self.train.instances;
        let mut cells = Vec::new();
        for structure in &g.structure {
            for &magnitude in &g.magnitude {
                for &branching in &g.branching {
                    for &seed in &g.seeds {
                        for &depth in &g.depths {
                            let tree = TreeSpec::new(depth, branching, structure.stop_prob)
                                .expect("validated config");
                            let n_features =
                                n_features_within(depth, branching, crate::MAX_SWEEP_FEATURES)
                                    .expect("validated config");
                            let data = DataSpec::tree(tree, structure.kind, magnitude);
                            let group = Group::id_for(depth, branching, structure, magnitude);
                            for &n_hidden in &g.n_hidden {
                                if g.skip_wider_than_features && n_hidden > n_features {
                                    continue;
                                }
                                cells.push(Cell {
                                    id: format!(
                                        "d{depth}-h{n_hidden}-b{branching}-{}-{}-s{seed}",
                                        structure.label(),
                                        magnitude_name(magnitude)
                                    ),
                                    group: group.clone(),
                                    depth,
                                    branching,
                                    structure: *structure,
                                    magnitude,
                                    n_hidden,
                                    seed,
                                    instances,
                                    data: data.clone(),
                                    n_features,
                                    init_std: xavier_normal_std(instances, n_hidden, n_features),
                                    stream_config: stream_config_hash(
                                        depth, branching, structure, magnitude, n_hidden,
                                    ),
                                });
                            }
                        }
                    }
                }
            }
        }
        cells
    }

    /// The configs fused into groups, one per data distribution (all seeds and widths
    /// together), in order of each group's first config.
    pub fn groups(&self) -> Vec<Group> {
        let steps = self.train.steps;
        let mut groups: Vec<Group> = Vec::new();
        for cell in self.cells() {
            match groups.iter_mut().find(|g| g.info.id == cell.group) {
                Some(group) => group.cells.push(cell),
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
            let info = &mut group.info;
            info.configs = group.cells.iter().map(|c| c.id.clone()).collect();
            info.instances = group.cells.iter().map(|c| c.instances).sum();
            info.n_hidden = group.cells.iter().map(|c| c.n_hidden).max().unwrap_or(0);
            info.cost = (info.instances as u64)
                .saturating_mul(info.n_hidden as u64)
                .saturating_mul(info.n_features as u64)
                .saturating_mul(steps);
        }
        groups
    }
}
