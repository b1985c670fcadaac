//! The run-folder CSV schema: one serde struct per file, with its exact column list, plus
//! atomic reading and writing helpers shared with the sweep crate.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::{Context, Result, bail};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A CSV file of a run folder: its file name and its columns, in order.
///
/// [`write_table`] writes exactly [`Table::COLUMNS`] as the header (also when there are no
/// rows) and [`read_table`] refuses a file whose header differs, so schema drift between the
/// sweep (writer) and the report (reader) fails loudly instead of silently.
pub trait Table: Serialize + DeserializeOwned {
    /// File name inside the run folder, e.g. `runs.csv`.
    const FILE_NAME: &'static str;
    /// Column names, in file order; equal to the serde field names of the struct.
    const COLUMNS: &'static [&'static str];
    /// Columns added after run folders existed, batch by batch, oldest first: a file that
    /// lacks exactly the columns of the last batches (and has the others in order) is read too,
    /// the missing fields taking their serde defaults.
    const ADDED: &'static [&'static [&'static str]] = &[];
}

/// One trained instance of one configuration: a row of `runs.csv`, written by the sweep engine.
///
/// Two columns are easy to misread: `wall_s` is the wall time of the whole fused group that
/// trained the config, repeated on every instance row (summing it overcounts), and
/// `feature_probability` is a mean over features of their marginal probabilities.
///
/// `structure` is `"tree"`, `"independent"` or `"sparse"` and `magnitude` is `"binary"` or
/// `"uniform"`; the report treats both as opaque labels, so it needs no change when a new kind
/// is added. What it does read is `depth`: a config of depth 0 has no tree, and its series is
/// keyed and labelled by its data set instead (see [`crate::Series`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRow {
    /// Configuration id, e.g. `d3-h4-b2-tree0.5-binary-s0`; identical for all its instances.
    pub config_id: String,
    /// Id of the fused group of configurations this instance trained in: the data
    /// distribution and the magnitude, e.g. `d3-b2-tree0.5-binary`, or for `sparse` features
    /// the data set and the magnitude (`f5-p0.01-uniform`, `f3-plist-1a2b3c4d-uniform`), which
    /// names the data set exactly (see [`DataSetId`]).
    pub group: String,
    /// Depth of the feature tree.
    pub depth: u32,
    /// Branching factor of the feature tree.
    pub branching: u32,
    /// Feature structure: `tree`, `independent` (tree marginals without the tree) or `sparse`
    /// (TMS-style features without a tree; `depth` and `branching` are then 0).
    pub structure: String,
    /// Stop probability of the feature sampler (0 for `sparse`).
    pub stop_prob: f64,
    /// Feature magnitudes: `binary` or `uniform`.
    pub magnitude: String,
    /// This instance's mean feature activation probability (`1 - S` in TMS terms): the mean
    /// over its features of their marginal probabilities. For tree (and `independent`) configs
    /// that is the mean over the tree's features of their marginals `((1 − stop_prob)/b)^level`,
    /// so deep trees give small values although every sample activates a whole path; it is not
    /// the probability of any one feature.
    pub feature_probability: f64,
    /// Feature pairs that are both on or both off (`sparse` only, else 0).
    pub correlated_pairs: u32,
    /// Feature pairs that are never both on (`sparse` only, else 0).
    pub anticorrelated_pairs: u32,
    /// The importance rule as a label: `1`, `0.7` (constant), `0.9^i` (decay by feature index),
    /// `0.5^(level-1)` (decay by tree level, 1 at level 1) or `list-<hash>` (a list; the hash
    /// tells lists apart).
    /// The report never parses it: it is an opaque key and printed as is.
    pub importance: String,
    /// Width of the hidden layer.
    pub n_hidden: u32,
    /// Number of features (tree nodes).
    pub n_features: u32,
    /// Base seed of the configuration (several, `0+1+2`, once the report pools seeds).
    pub seed: Seeds,
    /// Instance index within the configuration.
    pub instance: u32,
    /// Final train loss.
    pub train_loss: f64,
    /// Eval loss on a sampled batch of `train.eval_batch` (see the loss convention in the crate
    /// docs).
    pub eval_loss: f64,
    /// The exact expected loss over every sample the data can produce (tree paths with binary
    /// magnitudes have at most `n_features + 1`), the quantity `eval_loss` estimates; empty for
    /// other data (and in folders written before tmh computed it). Where every instance of a
    /// config has it, the summary's statistics use it.
    #[serde(default)]
    pub exact_loss: Option<f64>,
    /// The fraction of those possible samples that the instance decodes (every output within
    /// 0.5 of its target); 1 when it stores the whole tree. Empty where `exact_loss` is.
    #[serde(default)]
    pub decoded: Option<f64>,
    /// The largest `|output − input|` over those possible samples and every feature: below 0.5
    /// exactly when `decoded` is 1, and the margin by which it is. Empty where `exact_loss` is
    /// (and in folders written before tmh computed it).
    #[serde(default)]
    pub max_error: Option<f64>,
    /// The loss of this instance's best model without hidden units (`W = 0`, `b = E[x]`): the
    /// importance-weighted mean over features of their variances, in the loss's convention.
    /// Every width can reach it (with `W = 0`), so a trained instance ends below it;
    /// `analysis.relative_loss` divides the losses by it. Empty in folders written before tmh
    /// computed it.
    #[serde(default)]
    pub bias_only_loss: Option<f64>,
    /// Wall seconds of the whole fused group (`group`) that trained this config, all its
    /// configs and instances together, repeated on every row of the group: summing the column
    /// overcounts; take one value per `group` and sum those for the run's training time
    /// (a packed group shows an equal share of its pack's time, so the sum still holds).
    pub wall_s: f64,
    /// Whether the run diverged: a non-finite train or eval loss, or a non-finite weight.
    pub diverged: bool,
}

impl RunRow {
    /// The loss the report judges this instance by: the exact expected loss where the data
    /// has one, else the sampled eval loss.
    pub fn loss(&self) -> f64 {
        self.exact_loss.unwrap_or(self.eval_loss)
    }

    /// [`RunRow::loss`], divided by the bias-only loss where the threshold is `relative`
    /// (NaN without one).
    pub fn judged_loss(&self, relative: bool) -> f64 {
        if relative {
            self.loss() / self.bias_only_loss.unwrap_or(f64::NAN)
        } else {
            self.loss()
        }
    }

    /// Instance `instance` of the seed sweep's config of `depth` and `n_hidden` (binary tree,
    /// stop_prob 0.5, binary magnitudes, importance 1, seed 0), with train and eval loss `loss`
    /// and a wall time of 1 s: the base that tests and examples adjust with struct update
    /// syntax (`RunRow { eval_loss: f64::NAN, diverged: true, ..RunRow::seed_example(2, 3, 0, 0.0) }`).
    pub fn seed_example(depth: u32, n_hidden: u32, instance: u32, loss: f64) -> RunRow {
        let n_features = (1u32 << (depth + 1)) - 2;
        // Level l holds 2^l features of marginal 0.25^l, so it adds 0.5^l to the sum, and
        // 0.5^l (1 − 0.25^l) to the sum of their variances.
        let marginal_sum: f64 = (1..=depth).map(|l| 0.5f64.powi(l as i32)).sum();
        let variance_sum: f64 = (1..=depth)
            .map(|l| 0.5f64.powi(l as i32) * (1.0 - 0.25f64.powi(l as i32)))
            .sum();
        RunRow {
            config_id: format!("d{depth}-h{n_hidden}-b2-tree0.5-binary-s0"),
            group: format!("d{depth}-b2-tree0.5-binary"),
            depth,
            branching: 2,
            structure: "tree".into(),
            stop_prob: 0.5,
            magnitude: "binary".into(),
            feature_probability: marginal_sum / f64::from(n_features),
            correlated_pairs: 0,
            anticorrelated_pairs: 0,
            importance: "1".into(),
            n_hidden,
            n_features,
            seed: 0.into(),
            instance,
            train_loss: loss,
            eval_loss: loss,
            exact_loss: None,
            decoded: None,
            max_error: None,
            bias_only_loss: Some(variance_sum / f64::from(n_features)),
            wall_s: 1.0,
            diverged: false,
        }
    }
}

impl Table for RunRow {
    const FILE_NAME: &'static str = "runs.csv";
    const COLUMNS: &'static [&'static str] = &[
        "config_id",
        "group",
        "depth",
        "branching",
        "structure",
        "stop_prob",
        "magnitude",
        "feature_probability",
        "correlated_pairs",
        "anticorrelated_pairs",
        "importance",
        "n_hidden",
        "n_features",
        "seed",
        "instance",
        "train_loss",
        "eval_loss",
        "exact_loss",
        "decoded",
        "max_error",
        "bias_only_loss",
        "wall_s",
        "diverged",
    ];
    const ADDED: &'static [&'static [&'static str]] = &[
        &["exact_loss", "decoded"],
        &["max_error"],
        &["bias_only_loss"],
    ];
}

/// One point of one instance's training curve: a row of `curves.csv`.
///
/// `step` is 0-based and `loss` is measured before that step's update, so a curve starts at
/// the loss at init and ends at step `steps − 1`, before the last update; progress lines count
/// completed steps (1..=steps).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CurveRow {
    /// Configuration id, as in `runs.csv`.
    pub config_id: String,
    /// Instance index, as in `runs.csv`.
    pub instance: u32,
    /// 0-based index of the optimiser step whose train loss is logged (every `log_every`
    /// steps, and the last step, `steps − 1`). Progress lines count completed steps instead
    /// (1..=steps), so this row's step is one less than the progress count after it.
    pub step: u64,
    /// Train loss of that step's batch, computed before that step's update (step 0: the loss
    /// at init).
    pub loss: f64,
}

impl Table for CurveRow {
    const FILE_NAME: &'static str = "curves.csv";
    const COLUMNS: &'static [&'static str] = &["config_id", "instance", "step", "loss"];
}

/// Loss statistics of one configuration across its instances: a row of `summary.csv`. The loss
/// is the exact expected loss where every instance has one (`loss` = `exact`), else the sampled
/// eval loss.
///
/// Diverged instances (flag set, or eval loss not finite) are counted in `n_diverged` and left
/// out of the statistics; when every instance diverged the statistics are NaN. `sum` is the
/// exception: it is the seed notebook's statistic over ALL instances, so one diverged instance
/// makes it NaN. `std` is the POPULATION standard deviation (divide by n, like numpy's
/// default), so one instance gives 0. Whether a row reaches a threshold is
/// [`SummaryRow::passes`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SummaryRow {
    /// Configuration id.
    pub config_id: String,
    /// Depth of the feature tree.
    pub depth: u32,
    /// Branching factor.
    pub branching: u32,
    /// Feature structure.
    pub structure: String,
    /// Stop probability.
    pub stop_prob: f64,
    /// Feature magnitudes.
    pub magnitude: String,
    /// Importance rule label, as in `runs.csv`.
    pub importance: String,
    /// Hidden width.
    pub n_hidden: u32,
    /// Number of features.
    pub n_features: u32,
    /// Mean over all instances (diverged ones included) of their feature probability.
    pub feature_probability: f64,
    /// Smallest instance feature probability.
    pub feature_probability_min: f64,
    /// Largest instance feature probability; differs from the smallest when p is swept per
    /// instance, and then the statistics below mix data sets.
    pub feature_probability_max: f64,
    /// Feature pairs that are both on or both off.
    pub correlated_pairs: u32,
    /// Feature pairs that are never both on.
    pub anticorrelated_pairs: u32,
    /// Base seed; with `analysis.pool_seeds`, every seed whose instances the row pools:
    /// `0+1+2`.
    pub seed: Seeds,
    /// Number of instances (rows in `runs.csv`), diverged ones included.
    pub n_instances: u32,
    /// Mean loss over the non-diverged instances (the loss of `loss` below, divided by the
    /// bias-only loss where `relative`; the same for the statistics that follow).
    pub mean: f64,
    /// Sum of the loss over ALL instances: the seed notebook's statistic (its
    /// `calculate_loss` sums the per-instance losses over its 5 instances, and its threshold
    /// applies to that sum). NaN when any instance diverged. Equals `mean · n_instances` when
    /// none did.
    pub sum: f64,
    /// Smallest loss.
    pub min: f64,
    /// Median loss (mean of the two middle values for an even count).
    pub median: f64,
    /// Largest loss.
    pub max: f64,
    /// Population standard deviation of the loss.
    pub std: f64,
    /// Number of diverged instances.
    pub n_diverged: u32,
    /// Which loss the statistics above are of: `exact` (every instance's `exact_loss`: tree
    /// paths with binary magnitudes) or `sampled` (`eval_loss`, from an evaluation batch).
    pub loss: String,
    /// Whether the statistics above are of each instance's loss divided by its
    /// `bias_only_loss` (`analysis.relative_loss`) rather than of the loss itself.
    pub relative: bool,
    /// Mean over the instances of their bias-only loss (`runs.csv`'s `bias_only_loss`): the
    /// loss of a model without hidden units, which the relative statistics divide by. Empty
    /// where `runs.csv` lacks it.
    pub bias_only_loss: Option<f64>,
    /// Smallest fraction of possible samples decoded by a non-diverged instance (`runs.csv`'s
    /// `decoded`); empty without exact evaluation, NaN when every instance diverged.
    pub decoded_min: Option<f64>,
    /// Median of that fraction.
    pub decoded_median: Option<f64>,
    /// Largest: the best instance's.
    pub decoded_max: Option<f64>,
    /// Smallest worst error (`runs.csv`'s `max_error`) of a non-diverged instance: the best
    /// instance's margin, decoded when below 0.5; empty without it, NaN when all diverged.
    pub max_error_min: Option<f64>,
    /// Largest: the worst instance's.
    pub max_error_max: Option<f64>,
    /// How many instances pass the report's threshold alone: not diverged, their loss (as in
    /// the statistics above) strictly below `min_hidden.csv`'s `threshold`. Empty until the
    /// report judges the rows.
    pub n_passing: Option<u32>,
    /// How many instances decode every possible sample (`decoded` = 1); empty without exact
    /// evaluation.
    pub n_decoded: Option<u32>,
    /// The series' name in the report's tables and legends: the experiment file's
    /// `analysis.labels` entry for its structure or data set, else tmh's own
    /// (`tree (stop_prob 0.5)`, `sparse F=5, p=0.01`; [`crate::Series::structure_label`]).
    /// Empty in rows read from a folder written before the column existed.
    #[serde(default)]
    pub label: String,
    /// The data set of a config without a tree (from `runs.csv`'s `group`); empty for tree
    /// configs. Not a column: `summary.csv` names the data set in `config_id`.
    #[serde(skip)]
    pub data_set: DataSetId,
}

impl Table for SummaryRow {
    const FILE_NAME: &'static str = "summary.csv";
    const COLUMNS: &'static [&'static str] = &[
        "config_id",
        "depth",
        "branching",
        "structure",
        "stop_prob",
        "magnitude",
        "importance",
        "n_hidden",
        "n_features",
        "feature_probability",
        "feature_probability_min",
        "feature_probability_max",
        "correlated_pairs",
        "anticorrelated_pairs",
        "seed",
        "n_instances",
        "mean",
        "sum",
        "min",
        "median",
        "max",
        "std",
        "n_diverged",
        "loss",
        "relative",
        "bias_only_loss",
        "decoded_min",
        "decoded_median",
        "decoded_max",
        "max_error_min",
        "max_error_max",
        "n_passing",
        "n_decoded",
        "label",
    ];
    const ADDED: &'static [&'static [&'static str]] = &[&["n_passing", "n_decoded"], &["label"]];
}

/// The data set a config without a tree (structure `sparse`) draws from: part of its series'
/// key ([`crate::Series`]), so two data sets never share a series, even when their
/// n_features, mean feature probabilities and pairs agree (a per-feature list and a constant
/// with the same mean, a per-instance list and its permutation, `0.01` and `0.010001`).
///
/// Not a column of any file: [`crate::summarize`] fills it from `runs.csv`'s `group`.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DataSetId {
    /// The sweep's group id minus its magnitude suffix, which names the data set exactly:
    /// `f5-p0.01`, `f3-plist-1a2b3c4d`, `f5-plog1-0.02`, `f5-p0.01-c1-a1`. Empty for a config
    /// with a tree.
    pub name: String,
    /// Whether labels and file names name it: set when another data set of the run would
    /// otherwise print the same series label.
    pub in_label: bool,
}

impl DataSetId {
    /// The data set of a `runs.csv` row without a tree: its `group` less `-<magnitude>`.
    pub fn of_run(row: &RunRow) -> DataSetId {
        let group = row.group.as_str();
        let name = group
            .strip_suffix(row.magnitude.as_str())
            .and_then(|g| g.strip_suffix('-'))
            .filter(|g| !g.is_empty())
            .unwrap_or(group);
        DataSetId {
            name: name.to_owned(),
            in_label: false,
        }
    }
}

/// The base seeds a row stands for: one, or with `analysis.pool_seeds` every seed of a
/// config whose instances the report pools. Sorted and distinct; written `0`, or `0+1+2`, so
/// a folder without pooling keeps its plain integer column.
///
/// Pooled seeds sort before single ones, so a pooled answer comes before its seeds' own.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Seeds(Vec<u64>);

impl Ord for Seeds {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (other.is_pooled().cmp(&self.is_pooled())).then_with(|| self.0.cmp(&other.0))
    }
}

impl PartialOrd for Seeds {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Seeds {
    /// The seeds of `seeds`, sorted and distinct; `None` when it is empty.
    pub fn new(seeds: impl IntoIterator<Item = u64>) -> Option<Seeds> {
        let mut all: Vec<u64> = seeds.into_iter().collect();
        all.sort_unstable();
        all.dedup();
        (!all.is_empty()).then_some(Seeds(all))
    }

    /// The seeds, ascending.
    pub fn as_slice(&self) -> &[u64] {
        &self.0
    }

    /// Whether this stands for more than one seed.
    pub fn is_pooled(&self) -> bool {
        self.0.len() > 1
    }

    /// The seeds joined by `sep`: `0, 1, 2`.
    pub fn join(&self, sep: &str) -> String {
        let words: Vec<String> = self.0.iter().map(u64::to_string).collect();
        words.join(sep)
    }

    /// `seed 0`, or `seeds 0+1+2`.
    pub fn label(&self) -> String {
        let s = if self.is_pooled() { "s" } else { "" };
        format!("seed{s} {self}")
    }
}

impl From<u64> for Seeds {
    fn from(seed: u64) -> Seeds {
        Seeds(vec![seed])
    }
}

impl std::fmt::Display for Seeds {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.join("+"))
    }
}

impl std::str::FromStr for Seeds {
    type Err = String;

    fn from_str(text: &str) -> std::result::Result<Seeds, String> {
        let seeds = (text.split('+'))
            .map(|w| w.trim().parse::<u64>())
            .collect::<std::result::Result<Vec<u64>, _>>()
            .map_err(|_| {
                format!("expected a seed (0) or seeds joined by + (0+1+2), got {text:?}")
            })?;
        Seeds::new(seeds).ok_or_else(|| format!("expected at least one seed, got {text:?}"))
    }
}

impl Serialize for Seeds {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        match self.0.as_slice() {
            [one] => s.serialize_u64(*one),
            _ => s.collect_str(self),
        }
    }
}

impl<'de> Deserialize<'de> for Seeds {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Seeds, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

/// Which statistic across instances a [`MinHiddenRow`] thresholds, and which one the report
/// headlines ([`crate::ReportOptions::aggregate`], the sweep's `analysis.aggregate`).
///
/// # Pass rule
///
/// A config reaches the threshold `t` under an aggregate when its value is strictly below `t`
/// and, for [`Aggregate::Mean`], [`Aggregate::Median`] and [`Aggregate::Sum`], no instance
/// diverged ([`SummaryRow::passes`]). [`Aggregate::Min`] picks the best instance, so it may pass
/// while other instances diverged. The one rule decides `min_hidden.csv`, the heatmap's ✓ marks
/// and the summary table's highlighted rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Aggregate {
    /// Best instance (the notebook's note: "I think min is probably better").
    Min,
    /// Mean over instances: what the notebook's note says it looks at ("avg loss across
    /// instances"), and the default headline.
    Mean,
    /// Median over instances.
    Median,
    /// Sum over instances: what the notebook's code thresholds (its `calculate_loss` sums the
    /// per-instance losses over 5 instances). Its scale grows with the instance count.
    Sum,
}

impl Aggregate {
    /// All aggregates, in file order.
    pub const ALL: [Aggregate; 4] = [
        Aggregate::Min,
        Aggregate::Mean,
        Aggregate::Median,
        Aggregate::Sum,
    ];

    /// Lower-case name, as written in `min_hidden.csv` and in the sweep's `analysis.aggregate`.
    pub fn as_str(self) -> &'static str {
        match self {
            Aggregate::Min => "min",
            Aggregate::Mean => "mean",
            Aggregate::Median => "median",
            Aggregate::Sum => "sum",
        }
    }

    /// The name with a capital letter, for titles: `Mean`.
    pub fn title(self) -> &'static str {
        match self {
            Aggregate::Min => "Min",
            Aggregate::Mean => "Mean",
            Aggregate::Median => "Median",
            Aggregate::Sum => "Sum",
        }
    }

    /// Whether a config passes only when none of its instances diverged: every aggregate but
    /// [`Aggregate::Min`] (see the pass rule above).
    pub fn needs_every_instance(self) -> bool {
        self != Aggregate::Min
    }
}

impl std::fmt::Display for Aggregate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Aggregate {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Aggregate::ALL
            .into_iter()
            .find(|a| a.as_str() == s)
            .ok_or_else(|| format!("unknown aggregate {s:?}: expected min, mean, median or sum"))
    }
}

/// What makes a config pass in the report's headline ([`crate::ReportOptions::criterion`], the
/// sweep's `analysis.criterion`): the loss threshold, or decoding every possible sample.
///
/// The loss threshold weighs a sample by its probability, so in a deep tree a width can pass
/// it while every leaf path is lost; decoding asks whether the tree is stored at all, with no
/// threshold. `min_hidden.csv` has both answers whatever the criterion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Criterion {
    /// The aggregate loss is below the threshold ([`SummaryRow::passes`]): the notebook's
    /// rule, and the default.
    #[default]
    Loss,
    /// The instances the aggregate names decode every possible sample
    /// ([`SummaryRow::decodes`]); needs exact evaluation (tree paths, binary magnitudes).
    Decoded,
}

impl Criterion {
    /// Both criteria, default first.
    pub const ALL: [Criterion; 2] = [Criterion::Loss, Criterion::Decoded];

    /// Lower-case name, as written in the sweep's `analysis.criterion`.
    pub fn as_str(self) -> &'static str {
        match self {
            Criterion::Loss => "loss",
            Criterion::Decoded => "decoded",
        }
    }
}

impl std::fmt::Display for Criterion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Criterion {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Criterion::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| format!("unknown criterion {s:?}: expected loss or decoded"))
    }
}

/// The report's headline pass rule: a criterion, the aggregate across instances it reads, and
/// the loss threshold (shown on every loss chart whatever the criterion).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PassRule {
    /// Loss threshold or decoding.
    pub criterion: Criterion,
    /// Which instances count: the best (`min`), the median one, or all (`mean`, `sum`).
    pub aggregate: Aggregate,
    /// Loss threshold (strict `<`).
    pub threshold: f64,
    /// Whether the threshold applies to the loss divided by the bias-only loss.
    pub relative_loss: bool,
}

impl PassRule {
    /// What the threshold applies to: `loss`, or `relative loss`.
    pub fn loss_name(&self) -> &'static str {
        if self.relative_loss {
            "relative loss"
        } else {
            "loss"
        }
    }

    /// `word` (a loss: `train loss`) as the report shows it under this rule
    /// ([`relative_word`]).
    pub fn relative(&self, word: &str) -> String {
        relative_word(self.relative_loss, word)
    }

    /// Whether `row` passes: [`SummaryRow::passes`] for the loss, [`SummaryRow::decodes`]
    /// for decoding (a config without exact evaluation never decodes).
    pub fn passes(&self, row: &SummaryRow) -> bool {
        match self.criterion {
            Criterion::Loss => row.passes(self.aggregate, self.threshold),
            Criterion::Decoded => row.decodes(self.aggregate) == Some(true),
        }
    }

    /// The rule in words, for captions: `mean eval loss < 1e-5`, or `every instance decodes
    /// every possible sample`.
    pub fn describe(&self) -> String {
        match self.criterion {
            Criterion::Loss => format!(
                "{} < {}",
                crate::plots::aggregate_loss(self.aggregate, self.loss_name(), true),
                crate::draw::fmt_loss(self.threshold)
            ),
            Criterion::Decoded => format!(
                "{} decodes every possible sample",
                decoding_instances(self.aggregate)
            ),
        }
    }

    /// Whether the loss row (or column) of `aggregate` in the min-width tables is the headline.
    pub fn headlines_loss(&self, aggregate: Aggregate) -> bool {
        self.criterion == Criterion::Loss && aggregate == self.aggregate
    }

    /// Whether the decoded row of `aggregate` is the headline (`mean` and `sum` share one).
    pub fn headlines_decoded(&self, aggregate: Aggregate) -> bool {
        self.criterion == Criterion::Decoded
            && decoding_label(aggregate) == decoding_label(self.aggregate)
    }

    /// The rule in a few words, for legends: `mean < 1e-5`, `all decode`.
    pub fn short(&self) -> String {
        match self.criterion {
            Criterion::Loss => {
                format!(
                    "{} < {}",
                    self.aggregate,
                    crate::draw::fmt_loss(self.threshold)
                )
            }
            Criterion::Decoded => format!("{} decode", decoding_label(self.aggregate)),
        }
    }
}

/// The pass rule of `criterion` and `aggregate` at the default threshold, on absolute losses:
/// what most tests judge by.
#[cfg(test)]
pub(crate) fn test_rule(criterion: Criterion, aggregate: Aggregate) -> PassRule {
    PassRule {
        criterion,
        aggregate,
        threshold: crate::DEFAULT_THRESHOLD,
        relative_loss: false,
    }
}

/// `word` (a loss: `train loss`) as it is shown where the losses are divided by the bias-only
/// loss (`relative`): `relative train loss`; else `word` itself.
pub fn relative_word(relative: bool, word: &str) -> String {
    if relative {
        format!("relative {word}")
    } else {
        word.to_owned()
    }
}

/// Which instances must decode under `aggregate` ([`SummaryRow::decodes`]).
pub(crate) fn decoding_instances(aggregate: Aggregate) -> &'static str {
    match aggregate {
        Aggregate::Min => "the best instance",
        Aggregate::Median => "the median instance",
        Aggregate::Mean | Aggregate::Sum => "every instance",
    }
}

/// The label of `aggregate`'s decoded row in the min-width tables: `all`, `best`, `median`.
pub(crate) fn decoding_label(aggregate: Aggregate) -> &'static str {
    match aggregate {
        Aggregate::Min => "best",
        Aggregate::Median => "median",
        Aggregate::Mean | Aggregate::Sum => "all",
    }
}

/// The smallest hidden width that reaches the threshold, for one series, depth and aggregate:
/// a row of `min_hidden.csv`.
///
/// The data columns (`n_features` to `anticorrelated_pairs`) are those of the series' configs
/// at this depth, which share one data set (see [`crate::Series`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MinHiddenRow {
    /// Depth of the feature tree (0 without a tree).
    pub depth: u32,
    /// Branching factor.
    pub branching: u32,
    /// Feature structure.
    pub structure: String,
    /// Stop probability.
    pub stop_prob: f64,
    /// Feature magnitudes.
    pub magnitude: String,
    /// Importance rule label.
    pub importance: String,
    /// Number of features.
    pub n_features: u32,
    /// Mean feature probability over the instances ([`SummaryRow::feature_probability`]).
    pub feature_probability: f64,
    /// Smallest instance feature probability.
    pub feature_probability_min: f64,
    /// Largest instance feature probability.
    pub feature_probability_max: f64,
    /// Feature pairs that are both on or both off.
    pub correlated_pairs: u32,
    /// Feature pairs that are never both on.
    pub anticorrelated_pairs: u32,
    /// The data set of a series without a tree, as in [`SummaryRow::data_set`] (its name,
    /// e.g. `f3-plist-1a2b3c4d`); empty for tree series. The column tells apart two data sets
    /// that agree on every other column (a per-feature list and a constant with its mean).
    #[serde(with = "data_set_name")]
    pub data_set: DataSetId,
    /// Base seed, or the pooled seeds ([`SummaryRow::seed`]).
    pub seed: Seeds,
    /// Statistic across instances that is compared with the threshold.
    pub aggregate: Aggregate,
    /// Threshold on the loss (strict `<`).
    pub threshold: f64,
    /// Whether the threshold applies to each instance's loss divided by its bias-only loss
    /// (`analysis.relative_loss`; see [`SummaryRow::relative`]) rather than to the loss.
    pub relative: bool,
    /// Smallest tested `n_hidden` whose aggregate loss is below the threshold; `None`
    /// (written `none`) when no tested width reaches it. Never a fallback to the widest.
    #[serde(with = "none_or_u32")]
    pub min_n_hidden: Option<u32>,
    /// Largest `n_hidden` tested for this series and depth.
    pub max_tested: u32,
    /// Smallest `n_hidden` tested for this series and depth: an answer equal to it (above 1)
    /// is an upper bound, since a narrower width was not tried ([`MinHiddenRow::width_label`]).
    pub min_tested: u32,
    /// Smallest tested `n_hidden` whose instances decode every possible sample
    /// ([`SummaryRow::decodes`] under this row's aggregate): `none` when no tested width does,
    /// empty where the data has no exact evaluation (not binary tree data with a support).
    #[serde(with = "blank_none_or_u32")]
    pub min_n_hidden_decoded: Option<Option<u32>>,
    /// How many tested widths narrower than `min_n_hidden` (all, when it is `none`) had an
    /// instance whose train loss was still falling when training stopped
    /// ([`crate::still_falling`]): more than 0 means more steps might lower the answer. Empty
    /// without `curves.csv`.
    pub still_falling: Option<u32>,
    /// The same for `min_n_hidden_decoded`; empty where that is.
    pub still_falling_decoded: Option<u32>,
    /// How many tested widths wider than `min_n_hidden` do not pass: above 0, the answer is
    /// the first width that passes, not one from which every wider tested width passes (an
    /// instance stuck with a feature lost can fail a wider width). Empty when it is `none`.
    pub wider_failing: Option<u32>,
    /// The same for `min_n_hidden_decoded`; empty where that is empty or `none`.
    pub wider_failing_decoded: Option<u32>,
    /// The series' name, as in [`SummaryRow::label`].
    #[serde(default)]
    pub label: String,
}

impl MinHiddenRow {
    /// An answer as the tables print it: the width, `≤2` when it is the narrowest width
    /// tested (above 1: a narrower one was not tried), or `none`.
    pub fn width_label(&self, width: Option<u32>) -> String {
        match width {
            Some(n) if self.is_bound(width) => format!("≤{n}"),
            Some(n) => n.to_string(),
            None => "none".to_owned(),
        }
    }

    /// Whether `width` (an answer of this row) is only an upper bound: the narrowest width
    /// tested, above 1.
    pub fn is_bound(&self, width: Option<u32>) -> bool {
        width.is_some_and(|n| n == self.min_tested && n > 1)
    }

    /// Whether the loss answer is narrower than the width at which this aggregate's instances
    /// decode every possible sample (or no tested width decodes): the loss passes while some
    /// features are still lost. False without exact evaluation or a loss answer.
    pub fn stores_less_than_it_passes(&self) -> bool {
        match (self.min_n_hidden, self.min_n_hidden_decoded) {
            (Some(loss), Some(Some(decoded))) => decoded > loss,
            (Some(_), Some(None)) => true,
            _ => false,
        }
    }

    /// Whether more steps might lower the answer (`↓`), by the loss or (`decoded`) by decoding.
    pub fn falling(&self, decoded: bool) -> bool {
        let narrower = match decoded {
            false => self.still_falling,
            true => self.still_falling_decoded,
        };
        narrower.is_some_and(|n| n > 0)
    }

    /// Whether a tested width wider than the answer fails again (`↑`), by the loss or
    /// (`decoded`) by decoding.
    pub fn wider_fails(&self, decoded: bool) -> bool {
        let wider = match decoded {
            false => self.wider_failing,
            true => self.wider_failing_decoded,
        };
        wider.is_some_and(|n| n > 0)
    }

    /// The marks the tables print after an answer: `↓` ([`MinHiddenRow::falling`]), then `↑`
    /// ([`MinHiddenRow::wider_fails`]).
    pub fn marks(&self, decoded: bool) -> String {
        let mut marks = String::new();
        if self.falling(decoded) {
            marks.push('↓');
        }
        if self.wider_fails(decoded) {
            marks.push('↑');
        }
        marks
    }
}

impl Table for MinHiddenRow {
    const FILE_NAME: &'static str = "min_hidden.csv";
    const COLUMNS: &'static [&'static str] = &[
        "depth",
        "branching",
        "structure",
        "stop_prob",
        "magnitude",
        "importance",
        "n_features",
        "feature_probability",
        "feature_probability_min",
        "feature_probability_max",
        "correlated_pairs",
        "anticorrelated_pairs",
        "data_set",
        "seed",
        "aggregate",
        "threshold",
        "relative",
        "min_n_hidden",
        "max_tested",
        "min_tested",
        "min_n_hidden_decoded",
        "still_falling",
        "still_falling_decoded",
        "wider_failing",
        "wider_failing_decoded",
        "label",
    ];
    const ADDED: &'static [&'static [&'static str]] =
        &[&["wider_failing", "wider_failing_decoded"], &["label"]];
}

/// `Option<Option<u32>>` as a CSV field: empty (not applicable), `none` or the number.
mod blank_none_or_u32 {
    use super::*;

    pub fn serialize<S: Serializer>(v: &Option<Option<u32>>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            None => s.serialize_str(""),
            Some(inner) => none_or_u32::serialize(inner, s),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<u32>>, D::Error> {
        let text = String::deserialize(d)?;
        if text.trim().is_empty() {
            return Ok(None);
        }
        let parsed = if text.trim() == "none" {
            None
        } else {
            Some(text.trim().parse().map_err(|_| {
                serde::de::Error::custom(format!(
                    "expected a width, `none` or nothing, got {text:?}"
                ))
            })?)
        };
        Ok(Some(parsed))
    }
}

/// `Option<u32>` as a CSV field: the number, or the string `none`.
mod none_or_u32 {
    use super::*;

    pub fn serialize<S: Serializer>(v: &Option<u32>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(n) => s.serialize_u32(*n),
            None => s.serialize_str("none"),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
        let text = String::deserialize(d)?;
        let text = text.trim();
        if text == "none" {
            return Ok(None);
        }
        text.parse().map(Some).map_err(|_| {
            serde::de::Error::custom(format!("expected a width or `none`, got {text:?}"))
        })
    }
}

/// [`DataSetId`] as a CSV field: its name (empty for a tree); `in_label` is the report's
/// business and is not stored.
mod data_set_name {
    use super::*;

    pub fn serialize<S: Serializer>(v: &DataSetId, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&v.name)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DataSetId, D::Error> {
        Ok(DataSetId {
            name: String::deserialize(d)?,
            in_label: false,
        })
    }
}

/// Reads `dir/T::FILE_NAME`, checking that its header is exactly `T::COLUMNS`.
pub fn read_table<T: Table>(dir: &Path) -> Result<Vec<T>> {
    let path = dir.join(T::FILE_NAME);
    let file = fs::File::open(&path).with_context(|| format!("reading {}", path.display()))?;
    parse_table(file).with_context(|| format!("reading {}", path.display()))
}

fn parse_table<T: Table>(input: impl std::io::Read) -> Result<Vec<T>> {
    let mut reader = csv::Reader::from_reader(input);
    let header: Vec<String> = reader.headers()?.iter().map(str::to_owned).collect();
    // The header of each older schema: without the columns of the batches added after it.
    let older = (0..T::ADDED.len()).map(|k| {
        let later = &T::ADDED[k..];
        T::COLUMNS
            .iter()
            .filter(move |c| !later.iter().any(|batch| batch.contains(c)))
    });
    let mut known = older.map(|cols| header.iter().map(String::as_str).eq(cols.copied()));
    if header != T::COLUMNS && !known.any(|same| same) {
        bail!(
            "unexpected header {:?}; expected {:?}",
            header.join(","),
            T::COLUMNS.join(",")
        );
    }
    let mut rows = Vec::new();
    for (i, row) in reader.deserialize().enumerate() {
        // Line numbers are 1-based and the header is line 1.
        rows.push(row.with_context(|| format!("line {}", i + 2))?);
    }
    Ok(rows)
}

/// Serialises rows as CSV (header `T::COLUMNS` first, even with no rows).
pub fn table_to_csv<T: Table>(rows: &[T]) -> Result<Vec<u8>> {
    let mut writer = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::new());
    writer.write_record(T::COLUMNS)?;
    for row in rows {
        writer.serialize(row)?;
    }
    writer
        .into_inner()
        .map_err(|e| anyhow::anyhow!("flushing CSV: {}", e.error()))
}

/// Writes rows to `dir/T::FILE_NAME` atomically; returns the path written.
pub fn write_table<T: Table>(dir: &Path, rows: &[T]) -> Result<PathBuf> {
    let path = dir.join(T::FILE_NAME);
    let bytes = table_to_csv(rows).with_context(|| format!("encoding {}", path.display()))?;
    write_atomic(&path, &bytes)?;
    Ok(path)
}

/// Reads `dir/runs.csv`.
pub fn read_runs(dir: &Path) -> Result<Vec<RunRow>> {
    read_table(dir)
}

/// Reads `dir/curves.csv`.
pub fn read_curves(dir: &Path) -> Result<Vec<CurveRow>> {
    read_table(dir)
}

/// Writes `bytes` to `path` atomically: into a temporary file in the same folder, flushed to
/// disk, then renamed over `path`. Readers see the old file or the new one, never a torn one,
/// and no temporary file is left behind, on success or on error.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let name = path
        .file_name()
        .with_context(|| format!("writing {}: no file name", path.display()))?;
    let tmp_name = format!(
        ".{}.tmp-{}-{}",
        name.to_string_lossy(),
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    );
    let tmp = path.with_file_name(tmp_name);
    let result = (|| -> Result<()> {
        let mut file = fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        fs::rename(&tmp, path)?;
        Ok(())
    })();
    if result.is_err() {
        // Best effort: the temporary file may not even exist.
        let _ = fs::remove_file(&tmp);
    }
    result.with_context(|| format!("writing {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header_of<T: Table>(row: &T) -> Vec<String> {
        let mut writer = csv::Writer::from_writer(Vec::new());
        writer.serialize(row).unwrap();
        let bytes = writer.into_inner().unwrap();
        let text = String::from_utf8(bytes).unwrap();
        text.lines()
            .next()
            .unwrap()
            .split(',')
            .map(str::to_owned)
            .collect()
    }

    fn run_row() -> RunRow {
        RunRow {
            config_id: "d1-h2-b2-tree0.5-binary-s0".into(),
            group: "g0".into(),
            depth: 1,
            branching: 2,
            structure: "tree".into(),
            stop_prob: 0.5,
            magnitude: "binary".into(),
            feature_probability: 0.25,
            correlated_pairs: 0,
            anticorrelated_pairs: 0,
            importance: "1".into(),
            n_hidden: 2,
            n_features: 2,
            seed: 0.into(),
            instance: 0,
            train_loss: 1e-3,
            eval_loss: f64::NAN,
            exact_loss: None,
            decoded: None,
            max_error: None,
            bias_only_loss: Some(0.1875),
            wall_s: 1.5,
            diverged: true,
        }
    }

    #[test]
    fn columns_match_serde_field_names() {
        assert_eq!(header_of(&run_row()), RunRow::COLUMNS);
        let curve = CurveRow {
            config_id: "c".into(),
            instance: 0,
            step: 1,
            loss: 0.5,
        };
        assert_eq!(header_of(&curve), CurveRow::COLUMNS);
        let summary = SummaryRow {
            config_id: "c".into(),
            depth: 1,
            branching: 2,
            structure: "tree".into(),
            stop_prob: 0.5,
            magnitude: "binary".into(),
            importance: "1".into(),
            n_hidden: 2,
            n_features: 2,
            feature_probability: 0.25,
            feature_probability_min: 0.25,
            feature_probability_max: 0.25,
            correlated_pairs: 0,
            anticorrelated_pairs: 0,
            seed: 0.into(),
            n_instances: 1,
            mean: 0.0,
            sum: 0.0,
            min: 0.0,
            median: 0.0,
            max: 0.0,
            std: 0.0,
            n_diverged: 0,
            loss: "sampled".into(),
            relative: false,
            bias_only_loss: Some(0.1875),
            decoded_min: None,
            decoded_median: None,
            decoded_max: None,
            max_error_min: None,
            max_error_max: None,
            n_passing: None,
            n_decoded: None,
            label: "tree (stop_prob 0.5)".into(),
            data_set: DataSetId::default(),
        };
        assert_eq!(header_of(&summary), SummaryRow::COLUMNS);
        // The notebook's statistic sits right after the mean.
        let at = |c: &str| SummaryRow::COLUMNS.iter().position(|x| *x == c).unwrap();
        assert_eq!(at("sum"), at("mean") + 1);
        let min_hidden = MinHiddenRow {
            depth: 1,
            branching: 2,
            structure: "tree".into(),
            stop_prob: 0.5,
            magnitude: "binary".into(),
            importance: "1".into(),
            n_features: 2,
            feature_probability: 0.25,
            feature_probability_min: 0.25,
            feature_probability_max: 0.25,
            correlated_pairs: 0,
            anticorrelated_pairs: 0,
            seed: 0.into(),
            aggregate: Aggregate::Mean,
            threshold: 1e-5,
            relative: false,
            min_n_hidden: None,
            max_tested: 4,
            min_tested: 2,
            min_n_hidden_decoded: None,
            still_falling: None,
            still_falling_decoded: None,
            wider_failing: None,
            wider_failing_decoded: None,
            data_set: DataSetId::default(),
            label: "tree (stop_prob 0.5)".into(),
        };
        assert_eq!(header_of(&min_hidden), MinHiddenRow::COLUMNS);
    }

    #[test]
    fn round_trips_nan_and_none() {
        let dir = tempfile::tempdir().unwrap();
        let row = run_row();
        write_table(dir.path(), std::slice::from_ref(&row)).unwrap();
        let back = read_runs(dir.path()).unwrap();
        assert_eq!(back.len(), 1);
        assert!(back[0].eval_loss.is_nan());
        assert!(back[0].diverged);

        let first = rows_first();
        let rows = vec![
            first.clone(),
            MinHiddenRow {
                aggregate: Aggregate::Median,
                min_n_hidden: Some(3),
                min_n_hidden_decoded: Some(Some(3)),
                still_falling: Some(2),
                still_falling_decoded: Some(0),
                wider_failing: Some(1),
                wider_failing_decoded: Some(0),
                ..first.clone()
            },
            MinHiddenRow {
                aggregate: Aggregate::Sum,
                min_n_hidden: Some(5),
                min_n_hidden_decoded: Some(None),
                wider_failing: Some(0),
                ..first.clone()
            },
            MinHiddenRow {
                depth: 0,
                structure: "sparse".into(),
                data_set: DataSetId {
                    name: "f3-plist-1a2b3c4d".into(),
                    in_label: false,
                },
                ..first
            },
        ];
        let bytes = table_to_csv(&rows).unwrap();
        let text = String::from_utf8(bytes.clone()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        // The decoded width: empty (no exact evaluation), a width, or none.
        // Then the widths still learning: empty without curves, or a count; then the wider
        // widths failing: empty without an answer; then the series' name.
        assert!(
            lines[1].ends_with(",min,0.00001,false,none,4,2,,,,,,tree (stop_prob 0.5)"),
            "{text}"
        );
        assert!(
            lines[2].ends_with(",median,0.00001,false,3,4,2,3,2,0,1,0,tree (stop_prob 0.5)"),
            "{text}"
        );
        assert!(
            lines[3].ends_with(",sum,0.00001,false,5,4,2,none,,,0,,tree (stop_prob 0.5)"),
            "{text}"
        );
        assert!(
            lines[1].contains(",0,0,,0,min,"),
            "a tree has no data set name: {text}"
        );
        assert!(lines[4].contains(",f3-plist-1a2b3c4d,0,min,"), "{text}");
        let back: Vec<MinHiddenRow> = parse_table(bytes.as_slice()).unwrap();
        assert_eq!(back, rows);
    }

    fn rows_first() -> MinHiddenRow {
        MinHiddenRow {
            depth: 2,
            branching: 2,
            structure: "tree".into(),
            stop_prob: 0.5,
            magnitude: "binary".into(),
            importance: "1".into(),
            n_features: 2,
            feature_probability: 0.25,
            feature_probability_min: 0.25,
            feature_probability_max: 0.25,
            correlated_pairs: 0,
            anticorrelated_pairs: 0,
            seed: 0.into(),
            aggregate: Aggregate::Min,
            threshold: 1e-5,
            relative: false,
            min_n_hidden: None,
            max_tested: 4,
            min_tested: 2,
            min_n_hidden_decoded: None,
            still_falling: None,
            still_falling_decoded: None,
            wider_failing: None,
            wider_failing_decoded: None,
            data_set: DataSetId::default(),
            label: "tree (stop_prob 0.5)".into(),
        }
    }

    #[test]
    fn aggregate_names_are_their_serde_names() {
        // `analysis.aggregate` in a sweep file and `min_hidden.csv` both use these names.
        #[derive(Deserialize)]
        struct Holder {
            a: Aggregate,
        }
        let names: Vec<&str> = Aggregate::ALL.iter().map(|a| a.as_str()).collect();
        assert_eq!(names, ["min", "mean", "median", "sum"]);
        for a in Aggregate::ALL {
            let text = format!("a,x\n{a},1\n");
            let mut reader = csv::Reader::from_reader(text.as_bytes());
            let back: Holder = reader.deserialize().next().unwrap().unwrap();
            assert_eq!(back.a, a);
            assert_eq!(a.to_string(), a.as_str());
            assert_eq!(a.title().to_lowercase(), a.as_str());
        }
    }

    #[test]
    fn seeds_are_a_plain_integer_alone_and_joined_by_plus_when_pooled() {
        let dir = tempfile::tempdir().unwrap();
        let pooled = MinHiddenRow {
            seed: Seeds::new([2, 0, 1, 2]).unwrap(),
            ..rows_first()
        };
        write_table(dir.path(), &[rows_first(), pooled.clone()]).unwrap();
        let text = fs::read_to_string(dir.path().join(MinHiddenRow::FILE_NAME)).unwrap();
        let column = |line: &str| {
            let at = MinHiddenRow::COLUMNS
                .iter()
                .position(|c| *c == "seed")
                .unwrap();
            line.split(',').nth(at).unwrap().to_owned()
        };
        let seeds: Vec<String> = text.lines().skip(1).map(column).collect();
        assert_eq!(seeds, ["0", "0+1+2"]);
        let back: Vec<MinHiddenRow> = read_table(dir.path()).unwrap();
        assert_eq!(back, [rows_first(), pooled]);
        assert_eq!(back[1].seed.label(), "seeds 0+1+2");
        assert_eq!(back[0].seed.label(), "seed 0");
        for bad in ["", "0+", "one", "-1"] {
            let err = bad.parse::<Seeds>().unwrap_err();
            assert!(err.contains("seeds joined by +"), "{bad}: {err}");
        }
    }

    #[test]
    fn data_set_id_is_the_group_less_its_magnitude() {
        let row = |group: &str, magnitude: &str| RunRow {
            group: group.into(),
            magnitude: magnitude.into(),
            ..run_row()
        };
        for (group, magnitude, name) in [
            ("f3-plist-1a2b3c4d-uniform", "uniform", "f3-plist-1a2b3c4d"),
            ("f5-plog1-0.02-uniform", "uniform", "f5-plog1-0.02"),
            ("f5-p0.01-c1-a1-binary", "binary", "f5-p0.01-c1-a1"),
            // Not the sweep's form: the whole group.
            ("g0", "binary", "g0"),
            ("uniform", "uniform", "uniform"),
        ] {
            let id = DataSetId::of_run(&row(group, magnitude));
            assert_eq!((id.name.as_str(), id.in_label), (name, false), "{group}");
        }
    }

    #[test]
    fn empty_table_still_has_header() {
        let text = String::from_utf8(table_to_csv::<CurveRow>(&[]).unwrap()).unwrap();
        assert_eq!(text.trim_end(), "config_id,instance,step,loss");
    }

    #[test]
    fn wrong_header_is_an_error_with_the_path() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(
            dir.path().join("curves.csv"),
            "config_id,step,loss\nc,1,0.5\n",
        )
        .unwrap();
        let err = format!("{:#}", read_curves(dir.path()).unwrap_err());
        assert!(err.contains("curves.csv"), "{err}");
        assert!(err.contains("unexpected header"), "{err}");
    }

    #[test]
    fn missing_file_error_names_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let err = format!("{:#}", read_runs(dir.path()).unwrap_err());
        assert!(err.contains("reading") && err.contains("runs.csv"), "{err}");
    }

    #[test]
    fn atomic_write_replaces_and_leaves_no_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.txt");
        write_atomic(&path, b"first").unwrap();
        write_atomic(&path, b"second").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"second");
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("out.txt")]);
    }

    #[test]
    fn failed_atomic_write_leaves_no_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        // Renaming a file over a non-empty directory fails after the temp file was written.
        let target = dir.path().join("occupied");
        fs::create_dir(&target).unwrap();
        fs::write(target.join("keep"), b"x").unwrap();
        assert!(write_atomic(&target, b"data").is_err());
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("occupied")]);
    }

    /// A `runs.csv` from before exact evaluation (no `exact_loss`, `decoded`), before the
    /// worst error or before the bias-only loss reads back with those empty; a file missing
    /// columns out of turn is refused.
    #[test]
    fn runs_without_the_added_columns_still_read() {
        let row = RunRow {
            eval_loss: 2e-7,
            exact_loss: Some(1e-7),
            decoded: Some(1.0),
            max_error: Some(0.25),
            diverged: false,
            ..run_row()
        };
        let text = String::from_utf8(table_to_csv(std::slice::from_ref(&row)).unwrap()).unwrap();
        let drop_columns = |drop: &[usize]| -> String {
            text.lines()
                .map(|line| {
                    let cells: Vec<&str> = line.split(',').collect();
                    let kept: Vec<&str> = (cells.iter().enumerate())
                        .filter(|(i, _)| !drop.contains(i))
                        .map(|(_, c)| *c)
                        .collect();
                    kept.join(",") + "\n"
                })
                .collect()
        };
        let at = |name: &str| RunRow::COLUMNS.iter().position(|c| *c == name).unwrap();
        let (exact, decoded, max_error) = (at("exact_loss"), at("decoded"), at("max_error"));
        let bias_only = at("bias_only_loss");
        // Before exact evaluation: no batch of added columns.
        let oldest: Vec<RunRow> =
            parse_table(drop_columns(&[exact, decoded, max_error, bias_only]).as_bytes()).unwrap();
        assert_eq!(
            oldest,
            vec![RunRow {
                exact_loss: None,
                decoded: None,
                max_error: None,
                bias_only_loss: None,
                ..row.clone()
            }]
        );
        // Before the worst error: the first batch only.
        let older: Vec<RunRow> =
            parse_table(drop_columns(&[max_error, bias_only]).as_bytes()).unwrap();
        assert_eq!(
            older,
            vec![RunRow {
                max_error: None,
                bias_only_loss: None,
                ..row.clone()
            }]
        );
        // Before the bias-only loss.
        let old: Vec<RunRow> = parse_table(drop_columns(&[bias_only]).as_bytes()).unwrap();
        assert_eq!(
            old,
            vec![RunRow {
                bias_only_loss: None,
                ..row.clone()
            }]
        );
        let back: Vec<RunRow> = parse_table(text.as_bytes()).unwrap();
        assert_eq!(back, vec![row]);
        // A column missing out of turn is refused.
        assert!(parse_table::<RunRow>(drop_columns(&[decoded]).as_bytes()).is_err());
        assert!(parse_table::<RunRow>(drop_columns(&[exact, decoded]).as_bytes()).is_err());
        assert!(parse_table::<RunRow>(drop_columns(&[max_error]).as_bytes()).is_err());
    }
}
