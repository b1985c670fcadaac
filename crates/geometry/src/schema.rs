//! The CSV files [`crate::build`] writes into the run folder, and the weights file it reads.
//!
//! The rows implement [`report::Table`], so they are written with [`report::write_table`]
//! (header first, even with no rows; atomic) and read back with [`report::read_table`], which
//! refuses a file whose header is neither the current one nor an older one
//! ([`Table::ADDED`]: `geometry.csv` from before its quartile columns reads them as NaN).
//! Statistics without data are written `NaN`; optional integers are written as an empty field.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, ensure};
use report::Table;
use safetensors::tensor::{Dtype, SafeTensors, TensorView};
use serde::{Deserialize, Serialize};

use crate::hierarchy::Relation;

/// One (config, instance, relation, level, other level) cell of cosine statistics: a row of
/// `geometry.csv`. See [`crate::hierarchy`] for which pairs a cell holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GeometryRow {
    /// Configuration id, as in `runs.csv`.
    pub config_id: String,
    /// Instance index, as in `runs.csv`.
    pub instance: u32,
    /// `sibling`, `ancestor` or `unrelated`.
    pub relation: Relation,
    /// Siblings: their level. Ancestor pairs: the descendant's level. Unrelated pairs: the
    /// deeper node's level. 0 when the config has no tree.
    pub level: u32,
    /// Siblings: the same level. Ancestor pairs: the ancestor's level. Unrelated pairs: the
    /// shallower node's level. 0 when the config has no tree.
    pub other_level: u32,
    /// Pairs whose cosine was counted (both columns alive).
    pub n_pairs: u64,
    /// Pairs skipped because a column's norm is below [`crate::DEAD_NORM`].
    pub n_dead_pairs: u64,
    /// Mean cosine of the counted pairs (NaN when `n_pairs` is 0).
    pub mean_cos: f64,
    /// Mean |cosine| of the counted pairs.
    pub mean_abs_cos: f64,
    /// Smallest cosine.
    pub min_cos: f64,
    /// Largest cosine.
    pub max_cos: f64,
    /// First quartile of the cosines, by linear interpolation between the nearest ranks
    /// ([`crate::CosineStats::quantile`]). Read as NaN from files written before it existed.
    #[serde(default = "nan")]
    pub q25_cos: f64,
    /// Median cosine.
    #[serde(default = "nan")]
    pub median_cos: f64,
    /// Third quartile of the cosines.
    #[serde(default = "nan")]
    pub q75_cos: f64,
}

/// A statistic missing from an older file: unknown, as one without data.
fn nan() -> f64 {
    f64::NAN
}

impl Table for GeometryRow {
    const FILE_NAME: &'static str = "geometry.csv";
    const COLUMNS: &'static [&'static str] = &[
        "config_id",
        "instance",
        "relation",
        "level",
        "other_level",
        "n_pairs",
        "n_dead_pairs",
        "mean_cos",
        "mean_abs_cos",
        "min_cos",
        "max_cos",
        "q25_cos",
        "median_cos",
        "q75_cos",
    ];
    const ADDED: &'static [&'static [&'static str]] = &[&["q25_cos", "median_cos", "q75_cos"]];
}

/// One feature of one instance: a row of `geometry_features.csv`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureRow {
    /// Configuration id.
    pub config_id: String,
    /// Instance index.
    pub instance: u32,
    /// Feature index (breadth-first tree order).
    pub feature: u32,
    /// Tree level (1 = children of the root); 0 without a tree.
    pub level: u32,
    /// Parent feature; empty at level 1 and without a tree.
    pub parent: Option<u32>,
    /// Level-1 ancestor (the feature itself at level 1); empty without a tree.
    pub subtree: Option<u32>,
    /// `‖W_i‖`.
    pub norm: f64,
    /// `Σ_{j≠i} (Ŵ_i · W_j)²` (0 for a zero column).
    pub superposition: f64,
    /// Dimensions per feature `‖W_i‖⁴ / Σ_j (W_i · W_j)²` (0 for a zero column).
    pub dims: f64,
    /// `b_final[i]`.
    pub bias: f64,
    /// Whether `norm < DEAD_NORM`.
    pub dead: bool,
}

impl Table for FeatureRow {
    const FILE_NAME: &'static str = "geometry_features.csv";
    const COLUMNS: &'static [&'static str] = &[
        "config_id",
        "instance",
        "feature",
        "level",
        "parent",
        "subtree",
        "norm",
        "superposition",
        "dims",
        "bias",
        "dead",
    ];
}

/// Whole-instance numbers: a row of `geometry_instances.csv`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InstanceRow {
    /// Configuration id.
    pub config_id: String,
    /// Instance index.
    pub instance: u32,
    /// Hidden width.
    pub n_hidden: u32,
    /// Number of features.
    pub n_features: u32,
    /// This instance's mean feature probability `p = 1 − S`, copied from `runs.csv` (for TMS
    /// sweeps the x axis of the dimensions-per-feature chart is `1/p`).
    pub feature_probability: f64,
    /// The instance's loss from `runs.csv`: `exact_loss` where the data has one, else
    /// `eval_loss` (the loss the report judges it by, [`report::RunRow::loss`]).
    pub eval_loss: f64,
    /// Whether this is the config's plotted instance (lowest loss, divided by its bias-only
    /// loss where the threshold is relative; ties to the lowest index).
    pub best: bool,
    /// Whether the config's features were analysed with their tree (else all pairs are
    /// unrelated, level 0).
    pub has_tree: bool,
    /// `‖W‖_F²`.
    pub frobenius_sq: f64,
    /// The TMS paper's dimensions per feature `n_hidden / ‖W‖_F²` (NaN for `W = 0`).
    pub total_dims: f64,
    /// `Σ_i D_i`, the dimensions the features use between them (at most `n_hidden`).
    pub sum_dims: f64,
    /// Mean superposition over features.
    pub mean_superposition: f64,
    /// Features with norm below [`crate::DEAD_NORM`].
    pub n_dead: u32,
}

impl Table for InstanceRow {
    const FILE_NAME: &'static str = "geometry_instances.csv";
    const COLUMNS: &'static [&'static str] = &[
        "config_id",
        "instance",
        "n_hidden",
        "n_features",
        "feature_probability",
        "eval_loss",
        "best",
        "has_tree",
        "frobenius_sq",
        "total_dims",
        "sum_dims",
        "mean_superposition",
        "n_dead",
    ];
}

/// Folder of the weights files inside a run folder.
pub const WEIGHTS_DIR: &str = "weights";

/// `dir/weights/<config_id>.safetensors`, where the sweep writes a config's weights.
pub fn weights_path(dir: &Path, config_id: &str) -> PathBuf {
    dir.join(WEIGHTS_DIR)
        .join(format!("{config_id}.safetensors"))
}

/// One config's trained weights, all instances.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigWeights {
    /// Number of instances.
    pub instances: usize,
    /// Hidden width.
    pub n_hidden: usize,
    /// Number of features.
    pub n_features: usize,
    /// `W`, `[instances, n_hidden, n_features]` row-major.
    pub w: Vec<f32>,
    /// `b_final`, `[instances, n_features]` row-major.
    pub b_final: Vec<f32>,
}

impl ConfigWeights {
    /// Instance `k`'s `W`, `[n_hidden, n_features]` row-major. Panics when `k` is out of range.
    pub fn instance_w(&self, k: usize) -> &[f32] {
        let size = self.n_hidden * self.n_features;
        &self.w[k * size..(k + 1) * size]
    }

    /// Instance `k`'s `b_final`, `[n_features]`. Panics when `k` is out of range.
    pub fn instance_b(&self, k: usize) -> &[f32] {
        &self.b_final[k * self.n_features..(k + 1) * self.n_features]
    }
}

fn to_f32s(view: &TensorView<'_>, name: &str) -> Result<Vec<f32>> {
    ensure!(
        view.dtype() == Dtype::F32,
        "tensor {name} has dtype {:?}, expected F32",
        view.dtype()
    );
    let mut out = Vec::with_capacity(view.data().len() / 4);
    for bytes in view.data().chunks_exact(4) {
        out.push(f32::from_le_bytes(bytes.try_into().expect("4 bytes")));
    }
    Ok(out)
}

/// Reads a config's weights file: `W` f32 `[instances, n_hidden, n_features]` and `b_final`
/// f32 `[instances, n_features]`; fails, naming the file, when either is missing or their
/// shapes disagree.
pub fn read_weights(path: &Path) -> Result<ConfigWeights> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let decode = || -> Result<ConfigWeights> {
        let tensors = SafeTensors::deserialize(&bytes)?;
        let w_view = tensors.tensor("W").context("tensor W")?;
        let b_view = tensors.tensor("b_final").context("tensor b_final")?;
        let &[instances, n_hidden, n_features] = w_view.shape() else {
            anyhow::bail!("W has shape {:?}, expected 3 dimensions", w_view.shape());
        };
        ensure!(
            b_view.shape() == [instances, n_features],
            "b_final has shape {:?}, expected [{instances}, {n_features}] to match W {:?}",
            b_view.shape(),
            w_view.shape()
        );
        Ok(ConfigWeights {
            instances,
            n_hidden,
            n_features,
            w: to_f32s(&w_view, "W")?,
            b_final: to_f32s(&b_view, "b_final")?,
        })
    };
    decode().with_context(|| format!("reading {}", path.display()))
}
