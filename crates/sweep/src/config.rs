//! Experiment files: parsing, defaults, validation, the resolved TOML, its hash and diffs.
//!
//! Parsing goes through "raw" mirrors whose numbers are signed and whose keys are optional, so
//! that a negative size or a missing key is ours to explain (serde would only say "expected
//! usize"), then through [`SweepConfig::validate`], which every public entry point runs.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use report::{Aggregate, Criterion, PassRule};
use serde::Deserialize;
use train::{Schedule, TrainConfig};
use tree_data::{Magnitude, Structure, TreeSpec};

use crate::features::{Importance, RawFeatures, SparseFeatures};

/// The most features (tree nodes without the root) one configuration of a sweep may have.
///
/// Much lower than [`tree_data::MAX_FEATURES`]: a dense `[batch, instances, n_features]` batch
/// and `W` of this width are already far beyond what the seed's question needs.
pub const MAX_SWEEP_FEATURES: usize = 4096;

/// The largest `train.batch` and `train.eval_batch`: with at most [`MAX_SWEEP_FEATURES`]
/// features per row, one instance's batch then has at most 2^31 entries, within the sparse
/// batches' u32 offsets. (A batch of all instances together is bounded by memory long before.)
pub const MAX_BATCH: usize = 1 << 19;

/// Why an experiment file, a shard spec or a run folder was refused.
///
/// `Display` is one line that names the field, the value and what is allowed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConfigError {
    /// The TOML did not parse or did not fit the schema (unknown key, wrong type, unknown
    /// variant); the message is serde's, with the line and its text.
    #[error("{0}")]
    Parse(String),
    /// A size or count below its minimum (also negative values).
    #[error("{field} = {value} must be at least {min}")]
    TooSmall {
        /// Dotted path of the key, e.g. `train.steps` or `grid.depths[2]`.
        field: String,
        /// The value as written.
        value: i64,
        /// The smallest allowed value.
        min: i64,
    },
    /// An integer too large for its type.
    #[error("{field} = {value} is too large")]
    TooLarge {
        /// Dotted path of the key.
        field: String,
        /// The value as written.
        value: i64,
    },
    /// A value above a fixed limit.
    #[error("{field} = {value} is more than the limit {limit}")]
    AboveLimit {
        /// Dotted path of the key.
        field: String,
        /// The value.
        value: u64,
        /// The largest allowed value.
        limit: u64,
    },
    /// A real number that must be finite and positive.
    #[error("{field} = {value} must be a finite number greater than 0")]
    NotPositive {
        /// Dotted path of the key.
        field: String,
        /// The value as written.
        value: f64,
    },
    /// A stop probability outside `[0, 1)` (or NaN).
    #[error("{field} = {value} is outside [0, 1)")]
    StopProb {
        /// Dotted path of the key, e.g. `grid.structure[1].stop_prob`.
        field: String,
        /// The value as written.
        value: f64,
    },
    /// A grid axis with no values.
    #[error("{field} is empty; list at least one value")]
    EmptyAxis {
        /// Dotted path of the axis.
        field: String,
    },
    /// A grid axis that lists a value twice (it would give two configs the same id).
    #[error("{field} lists {value} more than once; list each value once")]
    Duplicate {
        /// Dotted path of the axis.
        field: String,
        /// The repeated value.
        value: String,
    },
    /// A depth and branching whose tree is wider than [`MAX_SWEEP_FEATURES`].
    #[error(
        "grid.depths = {depth} with grid.branching = {branching} gives n_features = {n_features}, \
         more than the sweep limit MAX_SWEEP_FEATURES = {limit}"
    )]
    TooManyFeatures {
        /// The depth.
        depth: u32,
        /// The branching factor.
        branching: u32,
        /// `Σ branching^l` for `l = 1..=depth`, as text (it may not fit any integer type).
        n_features: String,
        /// [`MAX_SWEEP_FEATURES`].
        limit: usize,
    },
    /// `grid.max_features` below every tree of the grid.
    #[error(
        "grid.max_features = {max_features} skips every tree of grid.depths × grid.branching \
         (the smallest has {smallest} features); raise it, or leave it out"
    )]
    NoTree {
        /// The limit.
        max_features: usize,
        /// n_features of the smallest tree, as text.
        smallest: String,
    },
    /// A `features` data set wider than `grid.max_features`.
    #[error(
        "{field} = {n_features} is more than grid.max_features = {max}; remove the data set or \
         raise grid.max_features"
    )]
    AboveMaxFeatures {
        /// Dotted path, e.g. `grid.features[0].n_features`.
        field: String,
        /// Its n_features.
        n_features: usize,
        /// `grid.max_features`.
        max: usize,
    },
    /// A schedule name that does not exist.
    #[error("train.schedule = {value:?} does not exist; use one of {allowed}")]
    UnknownSchedule {
        /// The name as written.
        value: String,
        /// The names that exist, comma-separated.
        allowed: String,
    },
    /// `name` cannot name a run folder.
    #[error("name = {value:?} {why}")]
    BadName {
        /// The name as written.
        value: String,
        /// What is wrong with it.
        why: &'static str,
    },
    /// Every config was skipped because `n_hidden > n_features`.
    #[error(
        "the grid is empty: every grid.n_hidden {n_hidden:?} is wider than n_features of every \
         data set (grid.depths {depths:?} × grid.branching {branching:?}, grid.features with \
         n_features {features:?}; at most {max_features}), and \
         grid.skip_wider_than_features = true; add a smaller n_hidden or wider data"
    )]
    EmptyGrid {
        /// The `n_hidden` axis.
        n_hidden: Vec<usize>,
        /// The `depths` axis.
        depths: Vec<u32>,
        /// The `branching` axis.
        branching: Vec<u32>,
        /// `n_features` of each `grid.features` data set.
        features: Vec<usize>,
        /// The widest data set of the grid.
        max_features: usize,
    },
    /// A value that has none of its key's forms (e.g. a string where a number or a list goes).
    #[error("{field} = {value} has no allowed form; use {allowed}")]
    BadForm {
        /// Dotted path of the key, e.g. `grid.importance[1]`.
        field: String,
        /// The value as TOML text.
        value: String,
        /// The forms the key takes.
        allowed: &'static str,
    },
    /// A `grid.features` data set that tree-data's [`tree_data::SparseSpec`] refuses.
    #[error("{field}: {error}")]
    Sparse {
        /// Dotted path, e.g. `grid.features[2].feature_probability`.
        field: String,
        /// What is wrong, naming the value and what is allowed.
        error: tree_data::SparseError,
    },
    /// A `per_instance` feature probability whose length is not `train.instances`.
    #[error("{field} has {len} values; give one per instance (train.instances = {instances})")]
    PerInstanceLength {
        /// Dotted path, e.g. `grid.features[2].feature_probability.per_instance`.
        field: String,
        /// Its length.
        len: usize,
        /// `train.instances`.
        instances: usize,
    },
    /// A number outside its interval (or NaN).
    #[error("{field} = {value} is outside {range}")]
    OutsideRange {
        /// Dotted path, e.g. `grid.features[3].feature_probability.log_space[1]`.
        field: String,
        /// The value.
        value: f64,
        /// The allowed interval, e.g. `(0, 1]`.
        range: &'static str,
    },
    /// An importance that cannot weigh a loss: negative, not finite, empty or all zero.
    #[error("{field} = {value} {why}")]
    BadImportance {
        /// Dotted path, e.g. `grid.importance[1]` or `grid.importance[1][4]`.
        field: String,
        /// The value as TOML text.
        value: String,
        /// What is wrong and what is allowed.
        why: &'static str,
    },
    /// `analysis.criterion = "decoded"` on a grid with data that has no exact evaluation.
    #[error(
        "analysis.criterion = \"decoded\" needs exact evaluation of every config, which only \
         binary tree paths have (and binary independent features up to 16 of them), but \
         {field} = {value} has none; use analysis.criterion = \
         \"loss\" or drop that data"
    )]
    NoDecoding {
        /// Dotted path of the data that cannot be decoded, e.g. `grid.magnitude[1]`.
        field: String,
        /// Its value as TOML text.
        value: String,
    },
    /// `analysis.relative_loss = true` on a config whose bias-only loss is 0.
    #[error(
        "analysis.relative_loss = true divides each loss by the loss without hidden units, \
         which is 0 for config {config_id} instance {instance}: none of its features ever \
         varies (each is always on or always off, or weighs 0); set analysis.relative_loss = \
         false or give those features a probability strictly between 0 and 1"
    )]
    ConstantData {
        /// The config whose data never varies.
        config_id: String,
        /// Its instance (per-instance feature probabilities differ between instances).
        instance: u32,
    },
    /// Two different values of one axis whose names in run ids are equal: their lists' 32-bit
    /// hashes collided.
    #[error(
        "{first} and {second} differ but would both be named `{name}` in run ids (the short \
         hash of their lists collided); change one of their values slightly"
    )]
    IdClash {
        /// Dotted path of the first, e.g. `grid.features[0]`.
        first: String,
        /// Dotted path of the second.
        second: String,
        /// The shared name.
        name: String,
    },
    /// A list importance whose length is not some data set's `n_features`.
    #[error(
        "{field} has {len} values but {data} has n_features = {n_features}; give one importance \
         per feature (a list suits only grids whose data sets all have that many features)"
    )]
    ImportanceLength {
        /// Dotted path, e.g. `grid.importance[1]`.
        field: String,
        /// The list's length.
        len: usize,
        /// The data set, e.g. `grid.features[0]` or `grid.depths = 3 with grid.branching = 2`.
        data: String,
        /// Its number of features.
        n_features: usize,
    },
    /// `level_decay` in a grid with a sparse data set, whose features have no levels.
    #[error(
        "{field} = {value} weighs tree levels, but {data} is sparse data without levels; use \
         {{ decay = r }} or a list there"
    )]
    LevelDecayWithoutTree {
        /// Dotted path, e.g. `grid.importance[0]`.
        field: String,
        /// The value as TOML text.
        value: String,
        /// The sparse data set, e.g. `grid.features[1]`.
        data: String,
    },
    /// A `--shard K/N` that is not `K/N` with `1 <= K <= N`.
    #[error("--shard {value:?} {why}; write K/N with 1 <= K <= N, e.g. 2/8")]
    Shard {
        /// The shard spec as given.
        value: String,
        /// What is wrong with it.
        why: &'static str,
    },
    /// A folder that already holds a run of another config (or another engine).
    #[error(
        "{dir} already holds a run of a different {what} ({diff}); rerun with the {what} that wrote it to resume it{}, or choose another output folder or remove it",
        if *what == "config" { " (or with more values on its grid axes, to extend it)" } else { "" }
    )]
    FolderMismatch {
        /// The folder.
        dir: String,
        /// `config` or `engine`.
        what: &'static str,
        /// The differences, `key: theirs → ours`, joined with `; `.
        diff: String,
    },
    /// An error in a named file.
    ///
    /// The inner error is part of the message, not a `source`: error reporters that print the
    /// source chain (anyhow's `{:#}`, as `tmh` does) would otherwise show it twice.
    #[error("{path}: {error}")]
    InFile {
        /// The file.
        path: String,
        /// What was wrong in it.
        error: Box<ConfigError>,
    },
    /// A bad `analysis.labels` entry.
    #[error("analysis.labels.{key} {why}")]
    BadLabel {
        /// The entry's key, quoted as TOML writes it.
        key: String,
        /// What is wrong and what to do.
        why: String,
    },
    /// A file that could not be read.
    #[error("{path}: {message}")]
    Io {
        /// The file.
        path: String,
        /// The OS error.
        message: String,
    },
}

/// One value of the structure axis: tree paths or independent features, and the stop
/// probability that fixes the tree's marginals.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StructureSpec {
    /// Tree paths or independent features with the tree's marginals.
    pub kind: Structure,
    /// Probability that an active node has no active child, in `[0, 1)`.
    pub stop_prob: f64,
}

impl StructureSpec {
    /// `tree` or `independent`.
    pub fn kind_name(&self) -> &'static str {
        structure_name(self.kind)
    }

    /// Short label used in ids: `tree0.5`, `indep0.5`.
    pub fn label(&self) -> String {
        let prefix = match self.kind {
            Structure::Tree => "tree",
            Structure::Independent => "indep",
        };
        format!("{prefix}{}", self.stop_prob)
    }
}

/// The name of a structure in experiment files and CSVs.
pub fn structure_name(structure: Structure) -> &'static str {
    match structure {
        Structure::Tree => "tree",
        Structure::Independent => "independent",
    }
}

/// The name of a magnitude in experiment files and CSVs.
pub fn magnitude_name(magnitude: Magnitude) -> &'static str {
    match magnitude {
        Magnitude::Binary => "binary",
        Magnitude::Uniform => "uniform",
    }
}

/// The `[grid]` section: the axes whose product is the set of configs.
#[derive(Debug, Clone, PartialEq)]
pub struct GridConfig {
    /// Tree depths (levels below the root), each >= 1; empty when the grid has only
    /// `features` (no tree data).
    pub depths: Vec<u32>,
    /// Hidden widths, each >= 1.
    pub n_hidden: Vec<usize>,
    /// Branching factors, each >= 2.
    pub branching: Vec<u32>,
    /// Structures (with their stop probabilities).
    pub structure: Vec<StructureSpec>,
    /// TMS-style sparse data sets, each trained besides the trees (empty: none).
    pub features: Vec<SparseFeatures>,
    /// Magnitudes of active features.
    pub magnitude: Vec<Magnitude>,
    /// Feature importances (default: 1 for every feature).
    pub importance: Vec<Importance>,
    /// Seeds of the random streams.
    pub seeds: Vec<u64>,
    /// Skip configs with `n_hidden > n_features`, as the seed does.
    pub skip_wider_than_features: bool,
    /// Skip trees with more features than this (`depths × branching` is a product: b = 4 at
    /// depth 5 has 1,364); `None`: every tree up to [`MAX_SWEEP_FEATURES`]. A `features` data
    /// set above it is refused, not skipped: it is listed by hand.
    pub max_features: Option<usize>,
}

impl Default for GridConfig {
    fn default() -> Self {
        Self {
            depths: (1..=6).collect(),
            n_hidden: (2..=10).collect(),
            branching: vec![2],
            structure: vec![StructureSpec {
                kind: Structure::Tree,
                stop_prob: 0.5,
            }],
            features: Vec::new(),
            magnitude: vec![Magnitude::Binary],
            importance: vec![Importance::default()],
            seeds: vec![0],
            skip_wider_than_features: true,
            max_features: None,
        }
    }
}

/// The `[train]` section: instances per config and the training hyperparameters.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainSettings {
    /// Independent models per config.
    pub instances: usize,
    /// Optimiser steps.
    pub steps: u64,
    /// Samples per step and instance.
    pub batch: usize,
    /// Peak learning rate.
    pub lr: f64,
    /// Learning-rate schedule.
    pub schedule: Schedule,
    /// Samples per instance in the evaluation batch.
    pub eval_batch: usize,
    /// Record the train loss every this many steps.
    pub log_every: u64,
}

impl Default for TrainSettings {
    fn default() -> Self {
        let seed = TrainConfig::default();
        Self {
            instances: 5,
            steps: seed.steps,
            batch: seed.batch,
            lr: seed.lr,
            schedule: seed.schedule,
            eval_batch: seed.eval_batch,
            log_every: seed.log_every,
        }
    }
}

impl TrainSettings {
    /// The training loop's configuration.
    pub fn train_config(&self) -> TrainConfig {
        TrainConfig {
            steps: self.steps,
            batch: self.batch,
            lr: self.lr,
            schedule: self.schedule,
            log_every: self.log_every,
            eval_batch: self.eval_batch,
        }
    }
}

/// The `[analysis]` section: how the report turns losses into a verdict.
#[derive(Debug, Clone, PartialEq)]
pub struct AnalysisConfig {
    /// A config is "good" when its aggregate loss (exact where the data has one; divided by
    /// the bias-only loss with `relative_loss`) is below this.
    pub threshold: f64,
    /// How instances are combined into the headline number (`min`, `mean`, `median` or `sum`;
    /// `sum` is the seed notebook's own rule).
    pub aggregate: Aggregate,
    /// What passes in the headline: `loss` (the aggregate loss is below the threshold)
    /// or `decoded` (the aggregate's instances decode every possible sample; tree paths with
    /// binary magnitudes only).
    pub criterion: Criterion,
    /// Whether the threshold applies to each instance's loss divided by its bias-only loss
    /// (that of the best model without hidden units: `runs.csv`'s `bias_only_loss`) rather
    /// than to the loss; the report then shows that ratio throughout. A fixed threshold is
    /// looser in deep trees, whose bias-only loss is smaller; a relative one is not.
    pub relative_loss: bool,
    /// Whether configs that differ only in their seed are judged as one config whose instances
    /// are all of theirs (3 seeds of 5 instances: 15), rather than as one series per seed.
    pub pool_seeds: bool,
    /// Names for the report's series, keyed as config ids name them: a structure (`tree0.5`,
    /// `tree0`, `indep0.5`) or a data set (`f5-p0.01`). Tables, legends and titles show them
    /// instead of tmh's own (`tree (stop_prob 0)`); file names keep tmh's.
    pub labels: BTreeMap<String, String>,
}

impl Default for AnalysisConfig {
    fn default() -> Self {
        Self {
            threshold: 1e-5,
            aggregate: Aggregate::Mean,
            criterion: Criterion::Loss,
            relative_loss: false,
            pool_seeds: false,
            labels: BTreeMap::new(),
        }
    }
}

impl AnalysisConfig {
    /// The report's headline pass rule.
    pub fn rule(&self) -> PassRule {
        PassRule {
            criterion: self.criterion,
            aggregate: self.aggregate,
            threshold: self.threshold,
            relative_loss: self.relative_loss,
        }
    }
}

/// A whole sweep: the resolved (every default filled in) and validated experiment file.
///
/// [`SweepConfig::default`] is exactly the seed notebook's sweep: depths 1..=6, n_hidden
/// 2..=10, binary tree with stop probability 0.5, 5 instances, 10 000 steps (42 configs).
#[derive(Debug, Clone, PartialEq)]
pub struct SweepConfig {
    /// The sweep's name; the default run folder is `runs/<name>`.
    pub name: String,
    /// The grid of configs.
    pub grid: GridConfig,
    /// Training settings shared by every config.
    pub train: TrainSettings,
    /// Report settings.
    pub analysis: AnalysisConfig,
}

impl Default for SweepConfig {
    fn default() -> Self {
        Self {
            name: "seed".to_string(),
            grid: GridConfig::default(),
            train: TrainSettings::default(),
            analysis: AnalysisConfig::default(),
        }
    }
}

/// The `[run]` table that a run folder's `config.toml` carries besides the config: provenance,
/// not part of the config or its hash. Experiment files may carry it too; it is then ignored.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RunInfo {
    /// tmh version that started the run.
    pub version: String,
    /// Git commit of that tmh.
    pub git_commit: String,
    /// Name of the training engine.
    pub engine: String,
    /// [`SweepConfig::hash`] of the config.
    pub config_hash: String,
}

impl RunInfo {
    /// The `[run]` table as TOML text.
    pub fn to_toml(&self) -> String {
        format!(
            "[run]\nversion = {}\ngit_commit = {}\nengine = {}\nconfig_hash = {}\n",
            toml_string(&self.version),
            toml_string(&self.git_commit),
            toml_string(&self.engine),
            toml_string(&self.config_hash),
        )
    }
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    name: Option<String>,
    grid: Option<RawGrid>,
    train: Option<RawTrain>,
    analysis: Option<RawAnalysis>,
    run: Option<RunInfo>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawGrid {
    depths: Option<Vec<i64>>,
    n_hidden: Option<Vec<i64>>,
    branching: Option<Vec<i64>>,
    structure: Option<Vec<RawStructure>>,
    features: Option<Vec<RawFeatures>>,
    magnitude: Option<Vec<Magnitude>>,
    importance: Option<Vec<toml::Value>>,
    seeds: Option<Vec<i64>>,
    skip_wider_than_features: Option<bool>,
    max_features: Option<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStructure {
    kind: Structure,
    stop_prob: Option<f64>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawTrain {
    instances: Option<i64>,
    steps: Option<i64>,
    batch: Option<i64>,
    lr: Option<f64>,
    schedule: Option<String>,
    eval_batch: Option<i64>,
    log_every: Option<i64>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawAnalysis {
    threshold: Option<f64>,
    aggregate: Option<Aggregate>,
    criterion: Option<Criterion>,
    relative_loss: Option<bool>,
    pool_seeds: Option<bool>,
    labels: Option<BTreeMap<String, String>>,
}

/// Checks `value >= min` and converts; `field` names it in the error.
pub(crate) fn at_least<T: TryFrom<i64>>(
    field: &str,
    value: i64,
    min: i64,
) -> Result<T, ConfigError> {
    if value < min {
        return Err(ConfigError::TooSmall {
            field: field.to_string(),
            value,
            min,
        });
    }
    T::try_from(value).map_err(|_| ConfigError::TooLarge {
        field: field.to_string(),
        value,
    })
}

fn axis<T: TryFrom<i64>>(field: &str, values: Vec<i64>, min: i64) -> Result<Vec<T>, ConfigError> {
    values
        .into_iter()
        .enumerate()
        .map(|(i, v)| at_least(&format!("{field}[{i}]"), v, min))
        .collect()
}

pub(crate) fn check_positive(field: &str, value: f64) -> Result<(), ConfigError> {
    if value.is_finite() && value > 0.0 {
        Ok(())
    } else {
        Err(ConfigError::NotPositive {
            field: field.to_string(),
            value,
        })
    }
}

fn check_min(field: &str, value: u64, min: u64) -> Result<(), ConfigError> {
    if value >= min {
        Ok(())
    } else {
        Err(ConfigError::TooSmall {
            field: field.to_string(),
            value: i64::try_from(value).unwrap_or(i64::MAX),
            min: min as i64,
        })
    }
}

fn check_max(field: &str, value: u64, limit: u64) -> Result<(), ConfigError> {
    if value <= limit {
        Ok(())
    } else {
        Err(ConfigError::AboveLimit {
            field: field.to_string(),
            value,
            limit,
        })
    }
}

fn check_axis<T: PartialEq>(
    field: &str,
    values: &[T],
    show: impl Fn(&T) -> String,
) -> Result<(), ConfigError> {
    if values.is_empty() {
        return Err(ConfigError::EmptyAxis {
            field: field.to_string(),
        });
    }
    for (i, v) in values.iter().enumerate() {
        if values[..i].contains(v) {
            return Err(ConfigError::Duplicate {
                field: field.to_string(),
                value: show(v),
            });
        }
    }
    Ok(())
}

/// Refuses two values of one axis that would carry the same name in run ids. Lists are named
/// by a 32-bit hash, so this only fires on a hash collision, which would otherwise merge two
/// data sets (or importances) into one id.
fn check_id_names<T>(
    field: &str,
    values: &[T],
    name: impl Fn(&T) -> String,
) -> Result<(), ConfigError> {
    let names: Vec<String> = values.iter().map(name).collect();
    for (j, b) in names.iter().enumerate() {
        if let Some(i) = names[..j].iter().position(|a| a == b) {
            return Err(ConfigError::IdClash {
                first: format!("{field}[{i}]"),
                second: format!("{field}[{j}]"),
                name: b.clone(),
            });
        }
    }
    Ok(())
}

/// `Σ_{l=1..depth} branching^l`, or `None` when it exceeds `limit`.
pub(crate) fn n_features_within(depth: u32, branching: u32, limit: usize) -> Option<usize> {
    let mut total: usize = 0;
    let mut width: usize = 1;
    for _ in 0..depth {
        width = width.checked_mul(branching as usize)?;
        total = total.checked_add(width)?;
        if total > limit {
            return None;
        }
    }
    Some(total)
}

/// `Σ_{l=1..depth} branching^l` as text, exact when it fits in a u128.
fn n_features_text(depth: u32, branching: u32) -> String {
    let mut total: u128 = 0;
    let mut width: u128 = 1;
    for _ in 0..depth {
        match width.checked_mul(u128::from(branching)).and_then(|w| {
            width = w;
            total.checked_add(w)
        }) {
            Some(t) => total = t,
            None => return "more than 2^128".to_string(),
        }
    }
    total.to_string()
}

/// Turns a TOML/serde error into one line: position, the offending line's text, the message.
fn parse_error(text: &str, err: &toml::de::Error) -> ConfigError {
    let message = plain_words(&err.message().trim().replace('\n', " "));
    let Some(span) = err.span() else {
        return ConfigError::Parse(message);
    };
    let start = span.start.min(text.len());
    let line_no = text[..start].matches('\n').count() + 1;
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
    let line = text[line_start..line_end].trim();
    // `labels = { tree0.5 = "x" }`: TOML reads the dotted key as a table `tree0` holding `5`.
    let message = if line.contains("labels") && message.contains("expected a string") {
        format!(
            "{message}; quote keys with dots, e.g. labels = {{ \"tree0.5\" = \"early stopping\" }}"
        )
    } else {
        message
    };
    ConfigError::Parse(if line.is_empty() {
        format!("line {line_no}: {message}")
    } else {
        format!("line {line_no} `{line}`: {message}")
    })
}

/// serde's message in the file's terms: a table's shape instead of the name of the Rust type
/// behind it, and how to write a whole number.
fn plain_words(message: &str) -> String {
    const TABLES: [(&str, &str); 7] = [
        (
            "struct RawStructure",
            "an inline table like { kind = \"tree\", stop_prob = 0.5 }",
        ),
        (
            "struct RawFeatures",
            "an inline table like { n_features = 5, feature_probability = 0.1 }",
        ),
        ("struct RawConfig", "a table"),
        ("struct RawGrid", "a table ([grid])"),
        ("struct RawTrain", "a table ([train])"),
        ("struct RawAnalysis", "a table ([analysis])"),
        ("struct RunInfo", "a table ([run])"),
    ];
    let mut out = message.to_owned();
    for (rust, toml) in TABLES {
        out = out.replace(rust, toml);
    }
    for int in ["i64", "u64", "u32", "usize"] {
        out = out.replace(
            &format!("expected {int}"),
            "expected a whole number (10000, not 1e4 or 10000.0)",
        );
    }
    out
}

impl SweepConfig {
    /// Parses an experiment file: every section and key is optional (missing ones take the
    /// seed's values), unknown keys are refused, and the result is validated.
    pub fn from_toml_str(text: &str) -> Result<SweepConfig, ConfigError> {
        Self::parse_with_run(text).map(|(config, _)| config)
    }

    /// Like [`SweepConfig::from_toml_str`], also returning the `[run]` table if there is one.
    pub fn parse_with_run(text: &str) -> Result<(SweepConfig, Option<RunInfo>), ConfigError> {
        Self::parse_named(text, None)
    }

    /// [`SweepConfig::parse_with_run`] with the name a file without `name` takes: `fallback`,
    /// else the seed's.
    fn parse_named(
        text: &str,
        fallback: Option<&str>,
    ) -> Result<(SweepConfig, Option<RunInfo>), ConfigError> {
        let raw: RawConfig = toml::from_str(text).map_err(|e| parse_error(text, &e))?;
        let run = raw.run;
        let default = SweepConfig::default();
        let grid = raw.grid.unwrap_or_default();
        let train = raw.train.unwrap_or_default();
        let analysis = raw.analysis.unwrap_or_default();

        let features: Vec<SparseFeatures> = match grid.features {
            Some(v) if v.is_empty() => {
                return Err(ConfigError::EmptyAxis {
                    field: "grid.features".into(),
                });
            }
            Some(v) => v
                .into_iter()
                .enumerate()
                .map(|(i, raw)| SparseFeatures::from_raw(&format!("grid.features[{i}]"), raw))
                .collect::<Result<_, _>>()?,
            None => Vec::new(),
        };
        let grid = GridConfig {
            // Trees come with an explicit `depths`, or by default when there are no `features`.
            depths: match grid.depths {
                Some(v) => axis("grid.depths", v, 1)?,
                None if features.is_empty() => default.grid.depths,
                None => Vec::new(),
            },
            n_hidden: match grid.n_hidden {
                Some(v) => axis("grid.n_hidden", v, 1)?,
                None => default.grid.n_hidden,
            },
            branching: match grid.branching {
                Some(v) => axis("grid.branching", v, 2)?,
                None => default.grid.branching,
            },
            structure: match grid.structure {
                Some(v) => v
                    .into_iter()
                    .map(|s| StructureSpec {
                        kind: s.kind,
                        stop_prob: s.stop_prob.unwrap_or(0.5),
                    })
                    .collect(),
                None => default.grid.structure,
            },
            features,
            magnitude: grid.magnitude.unwrap_or(default.grid.magnitude),
            importance: match grid.importance {
                Some(v) => v
                    .iter()
                    .enumerate()
                    .map(|(i, value)| {
                        Importance::from_toml(&format!("grid.importance[{i}]"), value)
                    })
                    .collect::<Result<_, _>>()?,
                None => default.grid.importance,
            },
            seeds: match grid.seeds {
                Some(v) => axis("grid.seeds", v, 0)?,
                None => default.grid.seeds,
            },
            skip_wider_than_features: grid
                .skip_wider_than_features
                .unwrap_or(default.grid.skip_wider_than_features),
            max_features: (grid.max_features)
                .map(|v| at_least("grid.max_features", v, 1))
                .transpose()?,
        };
        let d = default.train;
        let train = TrainSettings {
            instances: train
                .instances
                .map_or(Ok(d.instances), |v| at_least("train.instances", v, 1))?,
            steps: train
                .steps
                .map_or(Ok(d.steps), |v| at_least("train.steps", v, 1))?,
            batch: train
                .batch
                .map_or(Ok(d.batch), |v| at_least("train.batch", v, 1))?,
            lr: train.lr.unwrap_or(d.lr),
            schedule: match train.schedule {
                Some(name) => name.parse().map_err(|_| ConfigError::UnknownSchedule {
                    value: name,
                    allowed: schedule_names(),
                })?,
                None => d.schedule,
            },
            eval_batch: train
                .eval_batch
                .map_or(Ok(d.eval_batch), |v| at_least("train.eval_batch", v, 1))?,
            log_every: train
                .log_every
                .map_or(Ok(d.log_every), |v| at_least("train.log_every", v, 1))?,
        };
        let analysis = AnalysisConfig {
            threshold: analysis.threshold.unwrap_or(default.analysis.threshold),
            aggregate: analysis.aggregate.unwrap_or(default.analysis.aggregate),
            criterion: analysis.criterion.unwrap_or(default.analysis.criterion),
            relative_loss: (analysis.relative_loss).unwrap_or(default.analysis.relative_loss),
            pool_seeds: (analysis.pool_seeds).unwrap_or(default.analysis.pool_seeds),
            labels: analysis.labels.unwrap_or_default(),
        };
        let config = SweepConfig {
            name: (raw.name)
                .or(fallback.map(str::to_owned))
                .unwrap_or(default.name),
            grid,
            train,
            analysis,
        };
        config.validate()?;
        Ok((config, run))
    }

    /// Whether the experiment file at `path` sets `name` itself (else [`SweepConfig::load`]
    /// names it after the file); false for a file that cannot be read or parsed.
    pub fn file_sets_name(path: &Path) -> bool {
        (std::fs::read_to_string(path).ok())
            .and_then(|text| text.parse::<toml::Table>().ok())
            .is_some_and(|table| table.contains_key("name"))
    }

    /// Reads and parses an experiment file; errors are prefixed with its path. A file without
    /// `name` is named after itself (`b3.toml` runs into `runs/b3`), not after the seed sweep,
    /// whose folder it would otherwise share.
    pub fn load(path: &Path) -> Result<SweepConfig, ConfigError> {
        Self::load_with_run(path).map(|(config, _)| config)
    }

    /// Like [`SweepConfig::load`], also returning the `[run]` table if there is one.
    pub fn load_with_run(path: &Path) -> Result<(SweepConfig, Option<RunInfo>), ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Io {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        let stem = path.file_stem().and_then(|s| s.to_str());
        Self::parse_named(&text, stem).map_err(|e| ConfigError::InFile {
            path: path.display().to_string(),
            error: Box::new(e),
        })
    }

    /// Checks every rule an experiment file must follow; the first broken one is the error.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let name = &self.name;
        let bad_name = |why| {
            Err(ConfigError::BadName {
                value: name.clone(),
                why,
            })
        };
        if name.trim().is_empty() {
            return bad_name("is empty; it names the run folder runs/<name>");
        }
        if name == "."
            || name == ".."
            || name.contains(['/', '\\'])
            || name.contains(char::is_control)
        {
            return bad_name(
                "cannot name a folder; use a name other than '.' and '..' without '/', '\\' or \
                 control characters",
            );
        }

        let g = &self.grid;
        // No depths means no trees, which only a grid of `features` may have.
        if !g.depths.is_empty() || g.features.is_empty() {
            check_axis("grid.depths", &g.depths, u32::to_string)?;
        }
        for (i, &d) in g.depths.iter().enumerate() {
            check_min(&format!("grid.depths[{i}]"), d.into(), 1)?;
        }
        check_axis("grid.n_hidden", &g.n_hidden, usize::to_string)?;
        for (i, &h) in g.n_hidden.iter().enumerate() {
            let field = format!("grid.n_hidden[{i}]");
            check_min(&field, h as u64, 1)?;
            check_max(&field, h as u64, MAX_SWEEP_FEATURES as u64)?;
        }
        check_axis("grid.branching", &g.branching, u32::to_string)?;
        for (i, &b) in g.branching.iter().enumerate() {
            check_min(&format!("grid.branching[{i}]"), b.into(), 2)?;
        }
        for (i, s) in g.structure.iter().enumerate() {
            if !(0.0..1.0).contains(&s.stop_prob) {
                return Err(ConfigError::StopProb {
                    field: format!("grid.structure[{i}].stop_prob"),
                    value: s.stop_prob,
                });
            }
        }
        check_axis("grid.structure", &g.structure, |s| {
            format!(
                "{{ kind = \"{}\", stop_prob = {} }}",
                s.kind_name(),
                s.stop_prob
            )
        })?;
        check_axis("grid.magnitude", &g.magnitude, |m| {
            format!("\"{}\"", magnitude_name(*m))
        })?;
        check_axis("grid.seeds", &g.seeds, u64::to_string)?;

        let t = &self.train;
        check_min("train.instances", t.instances as u64, 1)?;
        check_min("train.steps", t.steps, 1)?;
        check_min("train.batch", t.batch as u64, 1)?;
        check_max("train.batch", t.batch as u64, MAX_BATCH as u64)?;
        check_positive("train.lr", t.lr)?;
        check_min("train.eval_batch", t.eval_batch as u64, 1)?;
        check_max("train.eval_batch", t.eval_batch as u64, MAX_BATCH as u64)?;
        check_min("train.log_every", t.log_every, 1)?;
        check_positive("analysis.threshold", self.analysis.threshold)?;

        if let Some(max) = g.max_features {
            check_max("grid.max_features", max as u64, MAX_SWEEP_FEATURES as u64)?;
        }
        // Every data set of the grid: how errors name it, its n_features, its depth if a tree.
        let mut data_sets: Vec<(String, usize, Option<u32>)> = Vec::new();
        for &depth in &g.depths {
            for &branching in &g.branching {
                let limit = g.max_features.unwrap_or(MAX_SWEEP_FEATURES);
                let Some(n) = n_features_within(depth, branching, limit) else {
                    if g.max_features.is_some() {
                        continue;
                    }
                    return Err(ConfigError::TooManyFeatures {
                        depth,
                        branching,
                        n_features: n_features_text(depth, branching),
                        limit: MAX_SWEEP_FEATURES,
                    });
                };
                // Cannot fail after the checks above; kept so that tree-data's rules stay in force.
                for s in &g.structure {
                    TreeSpec::new(depth, branching, s.stop_prob)
                        .map_err(|e| ConfigError::Parse(format!("grid: {e}")))?;
                }
                let data = format!("grid.depths = {depth} with grid.branching = {branching}");
                data_sets.push((data, n, Some(depth)));
            }
        }
        if !g.depths.is_empty() && data_sets.is_empty() {
            return Err(ConfigError::NoTree {
                max_features: g.max_features.unwrap_or(MAX_SWEEP_FEATURES),
                smallest: n_features_text(
                    g.depths.iter().copied().min().unwrap_or(1),
                    g.branching.iter().copied().min().unwrap_or(2),
                ),
            });
        }
        for (i, features) in g.features.iter().enumerate() {
            let field = format!("grid.features[{i}]");
            features.check(&field, t.instances)?;
            if let Some(max) = g.max_features.filter(|&max| features.n_features > max) {
                return Err(ConfigError::AboveMaxFeatures {
                    field: format!("{field}.n_features"),
                    n_features: features.n_features,
                    max,
                });
            }
            data_sets.push((field, features.n_features, None));
        }
        if !g.features.is_empty() {
            check_axis("grid.features", &g.features, SparseFeatures::to_toml)?;
            check_id_names("grid.features", &g.features, SparseFeatures::label)?;
        }

        check_axis("grid.importance", &g.importance, Importance::to_toml)?;
        check_id_names("grid.importance", &g.importance, Importance::id_suffix)?;
        for (i, importance) in g.importance.iter().enumerate() {
            let field = format!("grid.importance[{i}]");
            importance.check(&field)?;
            for (data, n, depth) in &data_sets {
                // The largest power a decay takes on this data set.
                let (key, rate, power) = match (importance, depth) {
                    (Importance::List(values), _) if values.len() != *n => {
                        return Err(ConfigError::ImportanceLength {
                            field,
                            len: values.len(),
                            data: data.clone(),
                            n_features: *n,
                        });
                    }
                    (Importance::LevelDecay(_), None) => {
                        return Err(ConfigError::LevelDecayWithoutTree {
                            field,
                            value: importance.to_toml(),
                            data: data.clone(),
                        });
                    }
                    (Importance::LevelDecay(r), Some(depth)) => ("level_decay", *r, depth - 1),
                    (Importance::Decay(r), _) => ("decay", *r, *n as u32 - 1),
                    _ => continue,
                };
                if !(rate.powi(power as i32) as f32).is_finite() {
                    return Err(ConfigError::BadImportance {
                        field: format!("{field}.{key}"),
                        value: toml_float(rate),
                        why: "makes some feature's importance overflow f32; use a rate closer \
                              to 1",
                    });
                }
            }
        }

        if self.analysis.criterion == Criterion::Decoded {
            let widest_tree = (data_sets.iter())
                .filter(|d| d.2.is_some())
                .map(|d| d.1)
                .max();
            check_decodable(g, widest_tree.unwrap_or(0))?;
        }

        let max_features = data_sets.iter().map(|d| d.1).max().unwrap_or(0);
        let narrowest = g.n_hidden.iter().copied().min().unwrap_or(0);
        if g.skip_wider_than_features && narrowest > max_features {
            return Err(ConfigError::EmptyGrid {
                n_hidden: g.n_hidden.clone(),
                depths: g.depths.clone(),
                branching: g.branching.clone(),
                features: g.features.iter().map(|f| f.n_features).collect(),
                max_features,
            });
        }
        if self.analysis.relative_loss {
            self.check_data_varies()?;
        }
        self.check_labels()
    }

    /// The keys `analysis.labels` may name: the grid's structures (when it has trees) and data
    /// sets, as config ids name them.
    fn label_keys(&self) -> Vec<(String, report::Named)> {
        let g = &self.grid;
        let trees = (!g.depths.is_empty()).then_some(&g.structure);
        let structures = (trees.into_iter().flatten()).map(|s| {
            let of = report::Named::Structure {
                structure: s.kind_name().to_owned(),
                stop_prob: s.stop_prob,
            };
            (s.label(), of)
        });
        let data_sets = (g.features.iter()).map(|f| (f.label(), report::Named::DataSet(f.label())));
        structures.chain(data_sets).collect()
    }

    /// Fails on a label whose key names no series of the grid, an empty name, or a name given
    /// twice (two series would read as one).
    fn check_labels(&self) -> Result<(), ConfigError> {
        let keyed = self.label_keys();
        let keys: Vec<&String> = keyed.iter().map(|(key, _)| key).collect();
        let mut seen: BTreeMap<&str, &str> = BTreeMap::new();
        for (key, name) in &self.analysis.labels {
            let bad = |why: String| {
                Err(ConfigError::BadLabel {
                    key: toml_string(key),
                    why,
                })
            };
            if !keys.contains(&key) {
                let allowed: Vec<String> = keys.iter().map(|k| toml_string(k)).collect();
                return bad(format!(
                    "names no structure or data set of the grid; use one of {}",
                    allowed.join(", ")
                ));
            }
            if name.trim().is_empty() {
                return bad("is empty; give the series a name, e.g. \"no early stopping\"".into());
            }
            if let Some(other) = seen.insert(name, key) {
                return bad(format!(
                    "= {} names analysis.labels.{} too; give each series its own name",
                    toml_string(name),
                    toml_string(other)
                ));
            }
            // tmh's own name of another tree structure would read as that one.
            let owner = keyed.iter().find_map(|(other, of)| match of {
                report::Named::Structure {
                    structure,
                    stop_prob,
                } if other != key && report::tree_label(structure, *stop_prob) == *name => {
                    Some(other)
                }
                _ => None,
            });
            if let Some(other) = owner {
                return bad(format!(
                    "= {} is tmh's own name of {}; give the series another name",
                    toml_string(name),
                    toml_string(other)
                ));
            }
        }
        Ok(())
    }

    /// `analysis.labels` as the report takes them.
    pub fn series_names(&self) -> Vec<report::SeriesName> {
        (self.label_keys().into_iter())
            .filter_map(|(key, of)| {
                let name = self.analysis.labels.get(&key)?;
                Some(report::SeriesName {
                    of,
                    name: name.clone(),
                })
            })
            .collect()
    }

    /// `(key, value)` pairs of the resolved config, in file order, values as TOML text.
    fn entries(&self) -> Vec<(&'static str, String)> {
        let g = &self.grid;
        let t = &self.train;
        let list = |items: Vec<String>| format!("[{}]", items.join(", "));
        vec![
            ("name", toml_string(&self.name)),
            (
                "grid.depths",
                list(g.depths.iter().map(u32::to_string).collect()),
            ),
            (
                "grid.n_hidden",
                list(g.n_hidden.iter().map(usize::to_string).collect()),
            ),
            (
                "grid.branching",
                list(g.branching.iter().map(u32::to_string).collect()),
            ),
            (
                "grid.structure",
                list(
                    g.structure
                        .iter()
                        .map(|s| {
                            format!(
                                "{{ kind = \"{}\", stop_prob = {} }}",
                                s.kind_name(),
                                toml_float(s.stop_prob)
                            )
                        })
                        .collect(),
                ),
            ),
            (
                "grid.features",
                list(g.features.iter().map(SparseFeatures::to_toml).collect()),
            ),
            (
                "grid.magnitude",
                list(
                    g.magnitude
                        .iter()
                        .map(|&m| format!("\"{}\"", magnitude_name(m)))
                        .collect(),
                ),
            ),
            (
                "grid.importance",
                list(g.importance.iter().map(Importance::to_toml).collect()),
            ),
            (
                "grid.seeds",
                list(g.seeds.iter().map(u64::to_string).collect()),
            ),
            (
                "grid.skip_wider_than_features",
                g.skip_wider_than_features.to_string(),
            ),
            (
                "grid.max_features",
                g.max_features.map_or("none".to_owned(), |n| n.to_string()),
            ),
            ("train.instances", t.instances.to_string()),
            ("train.steps", t.steps.to_string()),
            ("train.batch", t.batch.to_string()),
            ("train.lr", toml_float(t.lr)),
            ("train.schedule", format!("\"{}\"", t.schedule.name())),
            ("train.eval_batch", t.eval_batch.to_string()),
            ("train.log_every", t.log_every.to_string()),
            ("analysis.threshold", toml_float(self.analysis.threshold)),
            (
                "analysis.aggregate",
                format!("\"{}\"", self.analysis.aggregate.as_str()),
            ),
            (
                "analysis.criterion",
                format!("\"{}\"", self.analysis.criterion.as_str()),
            ),
            (
                "analysis.relative_loss",
                self.analysis.relative_loss.to_string(),
            ),
            ("analysis.pool_seeds", self.analysis.pool_seeds.to_string()),
            (
                "analysis.labels",
                inline_table(
                    (self.analysis.labels.iter())
                        .map(|(key, name)| format!("{} = {}", toml_string(key), toml_string(name))),
                ),
            ),
        ]
    }

    /// Fails when some config's data never varies, so that no loss can be relative to its
    /// bias-only loss (0).
    fn check_data_varies(&self) -> Result<(), ConfigError> {
        for cell in self.cells() {
            for instance in 0..cell.instances as u32 {
                if cell.bias_only_loss(instance) <= 0.0 {
                    return Err(ConfigError::ConstantData {
                        config_id: cell.id,
                        instance,
                    });
                }
            }
        }
        Ok(())
    }

    /// The resolved config as TOML: every key present, defaults filled in, no comments.
    /// Parsing it gives back an equal config.
    ///
    /// Only the keys added after the first run folders existed are left out at their defaults
    /// (no `grid.features`, unit `grid.importance`): so the resolved text of every older config,
    /// and with it its [`SweepConfig::hash`], stays what it was.
    pub fn to_toml(&self) -> String {
        const OMITTED_AT_DEFAULT: [(&str, &str); 7] = [
            ("grid.features", "[]"),
            ("grid.importance", "[1.0]"),
            ("grid.max_features", "none"),
            ("analysis.criterion", "\"loss\""),
            ("analysis.relative_loss", "false"),
            ("analysis.pool_seeds", "false"),
            ("analysis.labels", "{}"),
        ];
        let mut out = String::new();
        let mut section = "";
        for (key, value) in self.entries() {
            if OMITTED_AT_DEFAULT.contains(&(key, value.as_str())) {
                continue;
            }
            let (table, name) = key.split_once('.').unwrap_or(("", key));
            if table != section {
                let _ = write!(out, "\n[{table}]\n");
                section = table;
            }
            let _ = writeln!(out, "{name} = {value}");
        }
        out
    }

    /// Stable hash of what the config trains: [`SweepConfig::to_toml`] with `[analysis]` at
    /// its defaults (64-bit FNV-1a, 16 hex digits), the same on every platform and Rust
    /// version, so run folders, shards and group records can be matched by it. The analysis
    /// changes the verdict, not the training, so a run folder can be analysed again under
    /// another threshold, aggregate or criterion without training again.
    pub fn hash(&self) -> String {
        SweepConfig {
            analysis: AnalysisConfig::default(),
            ..self.clone()
        }
        .full_hash()
    }

    /// The hashes a group record of this config may carry: [`SweepConfig::hash`], and the hash
    /// of the whole resolved config, analysis included, which records written before the
    /// analysis left the hash carry (the same two when the analysis is at its defaults).
    pub fn record_hashes(&self) -> Vec<String> {
        let mut hashes = vec![self.hash(), self.full_hash()];
        hashes.dedup();
        hashes
    }

    /// Whether this config is `older` with more values on some grid axes (depths, n_hidden,
    /// branching, structure, features, magnitude, importance, seeds), with
    /// `skip_wider_than_features` turned off, or with a `max_features` that skips none of
    /// `older`'s trees, and nothing else changed but the name and the analysis: then every config of `older` is one of this config's, trained alike, and a
    /// run folder of `older` can grow into this one, training only what is new.
    pub fn extends(&self, older: &SweepConfig) -> bool {
        fn covers<T: PartialEq>(newer: &[T], older: &[T]) -> bool {
            older.iter().all(|v| newer.contains(v))
        }
        let (g, o) = (&self.grid, &older.grid);
        let same_otherwise = SweepConfig {
            name: older.name.clone(),
            grid: o.clone(),
            analysis: older.analysis.clone(),
            ..self.clone()
        } == *older;
        same_otherwise
            && (o.skip_wider_than_features || !g.skip_wider_than_features)
            && self.keeps_the_trees_of(older)
            && covers(&g.depths, &o.depths)
            && covers(&g.n_hidden, &o.n_hidden)
            && covers(&g.branching, &o.branching)
            && covers(&g.structure, &o.structure)
            && covers(&g.features, &o.features)
            && covers(&g.magnitude, &o.magnitude)
            && covers(&g.importance, &o.importance)
            && covers(&g.seeds, &o.seeds)
    }

    /// Whether this config's `max_features` skips none of the trees `older` trains: a limit
    /// added or lowered above every tree of `older` still grows its folder.
    fn keeps_the_trees_of(&self, older: &SweepConfig) -> bool {
        let limit = |c: &SweepConfig| c.grid.max_features.unwrap_or(usize::MAX);
        let o = &older.grid;
        (o.depths.iter()).all(|&depth| {
            o.branching.iter().all(|&branching| {
                n_features_within(depth, branching, limit(older)).is_none_or(|n| n <= limit(self))
            })
        })
    }

    fn full_hash(&self) -> String {
        format!("{:016x}", tree_data::hash_str(&self.to_toml()))
    }
}

/// The keys whose values differ between `a` and `b`, as `key: a's value → b's value`.
pub fn diff(a: &SweepConfig, b: &SweepConfig) -> Vec<String> {
    a.entries()
        .into_iter()
        .zip(b.entries())
        .filter(|((_, x), (_, y))| x != y)
        .map(|((key, x), (_, y))| format!("{key}: {x} → {y}"))
        .collect()
}

/// Whether a [`diff`] line is about `[analysis]`, which changes no training.
pub(crate) fn is_analysis_change(line: &str) -> bool {
    line.starts_with("analysis.")
}

/// The [`diff`] lines of `[analysis]` alone.
pub(crate) fn analysis_diff(a: &SweepConfig, b: &SweepConfig) -> Vec<String> {
    diff(a, b)
        .into_iter()
        .filter(|line| is_analysis_change(line))
        .collect()
}

/// Fails unless every data set of the grid has exact evaluation (binary magnitudes: tree
/// paths, or independent features where the widest tree of the grid, `widest_tree` features,
/// has at most [`tree_data::MAX_INDEPENDENT_EXACT`]), naming the first that has not.
fn check_decodable(g: &GridConfig, widest_tree: usize) -> Result<(), ConfigError> {
    let refuse = |field: String, value: String| Err(ConfigError::NoDecoding { field, value });
    let exact = |s: &StructureSpec| {
        s.kind == Structure::Tree || widest_tree <= tree_data::MAX_INDEPENDENT_EXACT
    };
    if let Some((i, s)) = (g.structure.iter().enumerate()).find(|(_, s)| !exact(s)) {
        return refuse(
            format!("grid.structure[{i}].kind"),
            format!("\"{}\"", s.kind_name()),
        );
    }
    if let Some((i, m)) = (g.magnitude.iter().enumerate()).find(|(_, m)| **m != Magnitude::Binary) {
        return refuse(
            format!("grid.magnitude[{i}]"),
            format!("\"{}\"", magnitude_name(*m)),
        );
    }
    if let Some(f) = g.features.first() {
        return refuse("grid.features[0]".into(), f.to_toml());
    }
    Ok(())
}

fn schedule_names() -> String {
    Schedule::ALL
        .iter()
        .map(|s| s.name())
        .collect::<Vec<_>>()
        .join(", ")
}

/// `{ a = 1, b = 2 }`, or `{}`.
fn inline_table(entries: impl Iterator<Item = String>) -> String {
    let entries: Vec<String> = entries.collect();
    if entries.is_empty() {
        "{}".to_owned()
    } else {
        format!("{{ {} }}", entries.join(", "))
    }
}

/// A TOML basic string.
pub(crate) fn toml_string(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A finite f64 as a TOML float: Rust's shortest round-trip form (`0.001`, `1e-5`, `0.5`),
/// which always has a `.` or an exponent, so it never reads back as an integer.
pub(crate) fn toml_float(value: f64) -> String {
    let text = format!("{value:?}");
    match value {
        v if v.is_nan() => "nan".to_string(),
        v if v.is_infinite() => if v > 0.0 { "inf" } else { "-inf" }.to_string(),
        _ => text,
    }
}
