//! Pure analysis: per-config statistics and the smallest width that reaches the threshold.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use crate::draw::sanitize;
use crate::schema::{
    Aggregate, Criterion, DataSetId, MinHiddenRow, PassRule, RunRow, Seeds, SummaryRow,
    decoding_instances, decoding_label,
};

/// A series: everything that defines a configuration except its row (depth) and `n_hidden`.
///
/// Heatmaps and loss curves are drawn per series; comparison charts put several side by side.
/// The rows of a tree series are its depths, which fix n_features and the feature
/// probabilities. A config of depth 0 has no tree (structure `sparse`): its data set is chosen
/// freely, so it is part of the key ([`DataSet`]: n_features, probabilities, pairs and the
/// data set's id), its only row is its n_features, and it is labelled `n_features = F`, never
/// by depth.
#[derive(Debug, Clone)]
pub struct Series {
    /// Branching factor (0 without a tree).
    pub branching: u32,
    /// Feature structure (`tree`, `independent`, `sparse`).
    pub structure: String,
    /// Stop probability.
    pub stop_prob: f64,
    /// Feature magnitudes (`binary`, `uniform`).
    pub magnitude: String,
    /// Base seed, or the pooled seeds (`analysis.pool_seeds`).
    pub seed: Seeds,
    /// Importance rule label (`1`: every feature weighs the same).
    pub importance: String,
    /// The data set of a series without a tree; `None` for tree features.
    pub data: Option<DataSet>,
    /// The name its rows carry ([`SummaryRow::label`]); empty: tmh's own. Not part of the
    /// key: a name is given to a key.
    pub label: String,
}

/// The data set of a series without a tree: the columns that a tree's depth would fix, and
/// the data set's id, which tells apart data sets whose columns agree.
#[derive(Debug, Clone)]
pub struct DataSet {
    /// Number of features.
    pub n_features: u32,
    /// Smallest feature probability over the instances.
    pub p_min: f64,
    /// Largest feature probability over the instances (above `p_min` when p is swept per
    /// instance).
    pub p_max: f64,
    /// Feature pairs that are both on or both off.
    pub correlated_pairs: u32,
    /// Feature pairs that are never both on.
    pub anticorrelated_pairs: u32,
    /// The data set's id (from `runs.csv`'s `group`), named in labels and file names only
    /// when another data set of the run would print alike.
    pub id: DataSetId,
}

impl DataSet {
    /// Whether the instances differ in feature probability, so that statistics across
    /// instances mix data sets.
    pub fn per_instance_p(&self) -> bool {
        differ(self.p_min, self.p_max)
    }

    /// `p=0.01`, or `p=0.02…1 per instance`.
    pub fn p_label(&self) -> String {
        format!("p={}", p_range(self.p_min, self.p_max))
    }

    fn cmp(&self, other: &Self) -> Ordering {
        self.n_features
            .cmp(&other.n_features)
            .then(p_key(self.p_min).total_cmp(&p_key(other.p_min)))
            .then(p_key(self.p_max).total_cmp(&p_key(other.p_max)))
            .then(self.correlated_pairs.cmp(&other.correlated_pairs))
            .then(self.anticorrelated_pairs.cmp(&other.anticorrelated_pairs))
            .then(self.id.name.cmp(&other.id.name))
    }
}

/// A feature probability as it is printed ([`fmt_p`]). Probabilities that print alike are
/// the same: series keys, labels and slugs agree, and f32 noise splits no series.
pub(crate) fn p_key(p: f64) -> f64 {
    fmt_p(p).parse().unwrap_or(p)
}

/// Whether two feature probabilities differ ([`p_key`]).
fn differ(a: f64, b: f64) -> bool {
    p_key(a).total_cmp(&p_key(b)).is_ne()
}

/// A feature probability (or its inverse) with 4 significant digits: `0.02`, `0.0015`, `50`.
/// Every caption and label of a run prints p with it (the geometry crate's too).
pub fn fmt_p(p: f64) -> String {
    if !p.is_finite() || p == 0.0 {
        return format!("{p}");
    }
    let decimals = (3 - p.abs().log10().floor() as i32).max(0) as usize;
    let s = format!("{p:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        s
    }
}

/// `0.01`, or `0.02…1 per instance` when the instances differ.
pub(crate) fn p_range(min: f64, max: f64) -> String {
    if differ(min, max) {
        format!("{}…{} per instance", fmt_p(min), fmt_p(max))
    } else {
        fmt_p(min)
    }
}

/// Whether a config of this depth has a tree: a `sparse` config has depth 0.
pub(crate) fn has_tree(depth: u32) -> bool {
    depth > 0
}

/// The row of a series' tables and charts: `depth 3 (n_features 14)`, or `n_features = 5`
/// without a tree.
pub(crate) fn row_label(depth: u32, n_features: u32) -> String {
    if has_tree(depth) {
        format!("depth {depth} (n_features {n_features})")
    } else {
        format!("n_features = {n_features}")
    }
}

/// The row, shorter: `depth 3`, or `n_features = 5` without a tree.
pub(crate) fn row_name(depth: u32, n_features: u32) -> String {
    if has_tree(depth) {
        format!("depth {depth}")
    } else {
        format!("n_features = {n_features}")
    }
}

/// The series of a [`SummaryRow`] or [`MinHiddenRow`]: both carry the same key columns.
macro_rules! series_of_row {
    ($row:expr) => {{
        let r = $row;
        Series {
            branching: r.branching,
            structure: r.structure.clone(),
            stop_prob: r.stop_prob,
            magnitude: r.magnitude.clone(),
            seed: r.seed.clone(),
            importance: r.importance.clone(),
            data: (!has_tree(r.depth)).then(|| DataSet {
                n_features: r.n_features,
                p_min: r.feature_probability_min,
                p_max: r.feature_probability_max,
                correlated_pairs: r.correlated_pairs,
                anticorrelated_pairs: r.anticorrelated_pairs,
                id: r.data_set.clone(),
            }),
            label: r.label.clone(),
        }
    }};
}

impl Series {
    /// The series a summary row belongs to.
    pub fn of_summary(row: &SummaryRow) -> Series {
        series_of_row!(row)
    }

    /// The series a `min_hidden.csv` row belongs to.
    pub fn of_min_hidden(row: &MinHiddenRow) -> Series {
        series_of_row!(row)
    }

    /// Whether the instances differ in feature probability ([`DataSet::per_instance_p`]):
    /// such a series is shown per instance, not by statistics across instances.
    pub fn per_instance_p(&self) -> bool {
        self.data.as_ref().is_some_and(DataSet::per_instance_p)
    }

    /// The series' name ([`Series::label`]), or tmh's own: `tree (stop_prob 0.5)`, structure
    /// and stop probability; without a tree, structure and data set: `sparse F=5, p=0.01`,
    /// with pairs when there are any, and the data set's id when another data set of the run
    /// would print alike (`sparse F=3, p=0.2, data set f3-plist-1a2b3c4d`).
    pub fn structure_label(&self) -> String {
        if !self.label.is_empty() {
            return self.label.clone();
        }
        match &self.data {
            None => tree_label(&self.structure, self.stop_prob),
            Some(d) => {
                let mut label = format!("{} F={}, {}", self.structure, d.n_features, d.p_label());
                for (n, kind) in [
                    (d.correlated_pairs, "correlated"),
                    (d.anticorrelated_pairs, "anticorrelated"),
                ] {
                    if n > 0 {
                        let s = if n == 1 { "" } else { "s" };
                        label.push_str(&format!(", {n} {kind} pair{s}"));
                    }
                }
                if d.id.in_label {
                    label.push_str(&format!(", data set {}", d.id.name));
                }
                label
            }
        }
    }

    /// `, importance 0.9^i`, or nothing for unit importance.
    fn importance_label(&self) -> String {
        if self.importance == "1" {
            String::new()
        } else {
            format!(", importance {}", self.importance)
        }
    }

    /// [`Series::label`] without the seed: `tree (stop_prob 0.5), b=2, binary`,
    /// `sparse F=5, p=0.01, importance 0.9^i, uniform`.
    pub fn label_without_seed(&self) -> String {
        let branching = match self.data {
            None => format!(", b={}", self.branching),
            Some(_) => String::new(),
        };
        format!(
            "{}{branching}{}, {}",
            self.structure_label(),
            self.importance_label(),
            self.magnitude
        )
    }

    /// `tree (stop_prob 0.5), b=2, binary, seed 0`; `sparse F=5, p=0.01, importance 0.9^i,
    /// uniform, seed 0`.
    pub fn label(&self) -> String {
        format!("{}, {}", self.label_without_seed(), self.seed.label())
    }

    /// File-name-safe id, e.g. `tree-s0.5_b2_binary_seed0`, `sparse_F5_p0.01_uniform_seed0`;
    /// with the data set's id where the label has it:
    /// `sparse_F3_p0.2_uniform_seed0_f3-plist-1a2b3c4d`.
    pub fn slug(&self) -> String {
        let mut raw = match &self.data {
            None => format!(
                "{}-s{}_b{}_{}_seed{}",
                self.structure, self.stop_prob, self.branching, self.magnitude, self.seed
            ),
            Some(d) => {
                let mut p = fmt_p(d.p_min);
                if d.per_instance_p() {
                    p = format!("{p}-{}", fmt_p(d.p_max));
                }
                let mut pairs = String::new();
                if d.correlated_pairs > 0 {
                    pairs.push_str(&format!("_c{}", d.correlated_pairs));
                }
                if d.anticorrelated_pairs > 0 {
                    pairs.push_str(&format!("_a{}", d.anticorrelated_pairs));
                }
                let mut raw = format!(
                    "{}_F{}_p{p}{pairs}_{}_seed{}",
                    self.structure, d.n_features, self.magnitude, self.seed
                );
                if d.id.in_label {
                    raw.push_str(&format!("_{}", d.id.name));
                }
                raw
            }
        };
        if self.importance != "1" {
            // As in config ids: `imp0.9i`, `imp0.5lvl`.
            let short = (self.importance.replace("^(level-1)", "lvl")).replace("^i", "i");
            raw.push_str(&format!("_imp{short}"));
        }
        sanitize(&raw)
    }

    /// Everything but structure, data set and importance: the key of a comparison chart.
    /// Series with and without a tree are never compared (their rows differ).
    pub(crate) fn comparison_key(&self) -> (bool, u32, String, Seeds) {
        (
            self.data.is_none(),
            self.branching,
            self.magnitude.clone(),
            self.seed.clone(),
        )
    }
}

/// Tree series first, then series without a tree; within each, by structure first.
impl Ord for Series {
    fn cmp(&self, other: &Self) -> Ordering {
        let data = match (&self.data, &other.data) {
            (Some(a), Some(b)) => a.cmp(b),
            (a, b) => a.is_some().cmp(&b.is_some()),
        };
        self.data
            .is_some()
            .cmp(&other.data.is_some())
            .then(self.structure.cmp(&other.structure))
            .then(self.stop_prob.total_cmp(&other.stop_prob))
            .then(data)
            .then(self.branching.cmp(&other.branching))
            .then(self.magnitude.cmp(&other.magnitude))
            .then(self.importance.cmp(&other.importance))
            .then(self.seed.cmp(&other.seed))
    }
}

impl PartialOrd for Series {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Series {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Series {}

/// Which parts of their key differ between some series: the parts a legend must name to tell
/// them apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Varying {
    /// The name ([`Series::structure_label`]: a user's, or structure, stop probability or
    /// data set).
    pub structure: bool,
    /// The structure itself (`tree`, `independent`).
    pub structure_kind: bool,
    pub stop_prob: bool,
    pub branching: bool,
    pub importance: bool,
    pub magnitude: bool,
    pub seed: bool,
}

impl Varying {
    pub(crate) fn of(series: &[Series]) -> Varying {
        let varies = |f: &dyn Fn(&Series) -> String| {
            series
                .iter()
                .map(f)
                .collect::<std::collections::BTreeSet<_>>()
                .len()
                > 1
        };
        Varying {
            structure: varies(&|s| s.structure_label()),
            structure_kind: varies(&|s| s.structure.clone()),
            stop_prob: varies(&|s| s.stop_prob.to_string()),
            branching: varies(&|s| s.branching.to_string()),
            importance: varies(&|s| s.importance.clone()),
            magnitude: varies(&|s| s.magnitude.clone()),
            seed: varies(&|s| s.seed.to_string()),
        }
    }
}

/// Legend labels for a set of series: structure and stop probability (or data set) always,
/// and branching, importance, magnitude or seed only where they differ between the series
/// (pooled seeds always).
pub(crate) fn short_labels(series: &[Series]) -> Vec<String> {
    let v = Varying::of(series);
    series
        .iter()
        .map(|s| {
            let mut label = s.structure_label();
            if v.branching && s.data.is_none() {
                label.push_str(&format!(", b={}", s.branching));
            }
            if v.importance {
                label.push_str(&format!(", importance {}", s.importance));
            }
            if v.magnitude {
                label.push_str(&format!(", {}", s.magnitude));
            }
            // Pooled seeds are always named: the chart holds more instances than one seed's.
            if v.seed || s.seed.is_pooled() {
                label.push_str(&format!(", {}", s.seed.label()));
            }
            label
        })
        .collect()
}

/// Legend labels for a paper figure, where a legend has a few centimetres: only the parts
/// that differ between the series, each short (`b=3, imp 0.5^(l−1), s1`; pooled seeds
/// `s0+1+2`). A user's name for a series ([`Series::label`]) stays whole; tmh's own names
/// only the structure (`tree`, `independent`) or the stop probability (`stop_prob 0.5`) that
/// differs. A lone series is named in full.
pub(crate) fn compact_labels(series: &[Series]) -> Vec<String> {
    let v = Varying::of(series);
    series
        .iter()
        .map(|s| {
            let mut parts: Vec<String> = Vec::new();
            if v.structure {
                // Rows carry tmh's own name where the user gave none.
                let unnamed = Series {
                    label: String::new(),
                    ..s.clone()
                };
                let own = s.data.is_none() && s.structure_label() == unnamed.structure_label();
                if own && v.structure_kind {
                    parts.push(s.structure.clone());
                }
                if own && v.stop_prob {
                    parts.push(format!("stop_prob {}", s.stop_prob));
                }
                if !own {
                    parts.push(s.structure_label());
                }
            }
            if v.branching && s.data.is_none() {
                parts.push(format!("b={}", s.branching));
            }
            if v.importance {
                // `l` for the level: the figure's caption says what the rule is.
                let rule = s.importance.replace("^(level-1)", "^(l\u{2212}1)");
                parts.push(format!("imp {rule}"));
            }
            if v.magnitude {
                parts.push(s.magnitude.clone());
            }
            if v.seed {
                parts.push(format!("s{}", s.seed));
            }
            if parts.is_empty() {
                s.label()
            } else {
                parts.join(", ")
            }
        })
        .collect()
}

impl SummaryRow {
    /// `depth 3 (n_features 14)`, or `n_features = 5` without a tree.
    pub fn row_label(&self) -> String {
        row_label(self.depth, self.n_features)
    }

    /// The row of its series: the depth, or n_features without a tree.
    pub(crate) fn row_key(&self) -> u32 {
        if has_tree(self.depth) {
            self.depth
        } else {
            self.n_features
        }
    }

    /// The statistic named by `aggregate`.
    pub fn aggregate(&self, aggregate: Aggregate) -> f64 {
        match aggregate {
            Aggregate::Min => self.min,
            Aggregate::Mean => self.mean,
            Aggregate::Median => self.median,
            Aggregate::Sum => self.sum,
        }
    }

    /// Whether this config reaches `threshold` under `aggregate`: the one pass rule of the
    /// report ([`Aggregate`]'s docs). The aggregate's value is strictly below the threshold
    /// (NaN never is) and, for every aggregate but [`Aggregate::Min`], no instance diverged:
    /// four instances at 1e-7 next to a diverged one do not store the tree, although their
    /// mean and median (taken over the non-diverged instances) are small. The min picks the
    /// best instance, so it may pass with diverged siblings.
    pub fn passes(&self, aggregate: Aggregate, threshold: f64) -> bool {
        self.aggregate(aggregate) < threshold
            && !(aggregate.needs_every_instance() && self.n_diverged > 0)
    }

    /// Whether this config's instances decode every possible sample, read like
    /// [`SummaryRow::passes`]: for `min` the best instance does, for `median` the median
    /// instance does (at least half of them; both middle ones for an even count), for `mean`
    /// and `sum` every instance (none diverged). `None` without exact evaluation.
    pub fn decodes(&self, aggregate: Aggregate) -> Option<bool> {
        let fraction = match aggregate {
            Aggregate::Min => self.decoded_max,
            Aggregate::Median => self.decoded_median,
            Aggregate::Mean | Aggregate::Sum => self.decoded_min,
        }?;
        Some(fraction == 1.0 && !(aggregate.needs_every_instance() && self.n_diverged > 0))
    }
}

/// [`SummaryRow::loss`] when the statistics are of the exact expected loss.
pub const EXACT: &str = "exact";
/// [`SummaryRow::loss`] when they are of the eval loss of a sampled batch.
pub const SAMPLED: &str = "sampled";

/// The aggregates whose decoded widths the min-width tables show, headline first: every
/// instance (`decoded, all`: the mean's and the sum's rule) and the best one (`decoded,
/// best`), and the median instance (`decoded, median`) only when the headline decodes by it.
pub(crate) fn decoded_aggregates(rule: &PassRule) -> Vec<Aggregate> {
    let mut out = vec![Aggregate::Mean, Aggregate::Min];
    if rule.criterion == Criterion::Decoded {
        match rule.aggregate {
            Aggregate::Median => out.insert(0, Aggregate::Median),
            Aggregate::Min => out.reverse(),
            Aggregate::Mean | Aggregate::Sum => {}
        }
    }
    out
}

/// The label of `aggregate`'s decoded row: `decoded, all`.
pub(crate) fn decoded_name(aggregate: Aggregate) -> String {
    format!("decoded, {}", decoding_label(aggregate))
}

/// What `aggregate`'s decoded row means.
pub(crate) fn decoded_title(aggregate: Aggregate) -> String {
    format!(
        "smallest n_hidden at which {} decodes every possible sample",
        decoding_instances(aggregate)
    )
}

/// What the loss of `rows` is called in titles and axes: `exact loss` when every row's
/// statistics are of the exact expected loss, `eval loss` (a sampled batch's) when none are,
/// `loss` when they mix.
pub(crate) fn loss_word<'r>(rows: impl IntoIterator<Item = &'r SummaryRow>) -> &'static str {
    word_for(rows.into_iter().map(|r| (r.loss == EXACT, r.relative)))
}

/// [`loss_word`] of min-width rows: exact where they have decoded widths (exact evaluation).
pub(crate) fn loss_word_of_answers<'r>(
    rows: impl IntoIterator<Item = &'r MinHiddenRow>,
) -> &'static str {
    word_for(
        rows.into_iter()
            .map(|r| (r.min_n_hidden_decoded.is_some(), r.relative)),
    )
}

/// [`loss_word`] from whether each row is exact and whether it is relative (the rows of one
/// report all are, or none): `relative exact loss` where they are.
fn word_for(rows: impl Iterator<Item = (bool, bool)>) -> &'static str {
    let (mut any_exact, mut any_sampled, mut relative) = (false, false, false);
    for (exact, rel) in rows {
        any_exact |= exact;
        any_sampled |= !exact;
        relative |= rel;
    }
    match (any_exact, any_sampled, relative) {
        (true, false, false) => "exact loss",
        (false, _, false) => "eval loss",
        (true, true, false) => "loss",
        (true, false, true) => "relative exact loss",
        (false, _, true) => "relative eval loss",
        (true, true, true) => "relative loss",
    }
}

/// `Exact loss`: a [`loss_word`] at the start of a title.
pub(crate) fn capitalised(word: &str) -> String {
    let mut out = word.to_owned();
    if let Some(first) = out.get_mut(..1) {
        first.make_ascii_uppercase();
    }
    out
}

/// Whether an instance counts as diverged: flagged, or its eval loss is not finite.
pub fn is_diverged(row: &RunRow) -> bool {
    row.diverged || !row.eval_loss.is_finite()
}

/// One [`SummaryRow`] per `config_id`, sorted by series (in the order their first configs
/// appear in `runs`: the experiment file's), depth, `n_hidden`.
///
/// Config columns come from the config's first row. Diverged instances ([`is_diverged`]) are
/// counted in `n_diverged` and excluded from the statistics (NaN when all diverged), except
/// from `sum`, the sum over all instances, which one diverged instance makes NaN; `std` is
/// the population standard deviation.
pub fn summarize(runs: &[RunRow]) -> Vec<SummaryRow> {
    let mut by_config: BTreeMap<&str, Vec<&RunRow>> = BTreeMap::new();
    for row in runs {
        by_config.entry(&row.config_id).or_default().push(row);
    }
    let mut out: Vec<SummaryRow> = by_config
        .into_values()
        .map(|rows| {
            let first = rows[0];
            let exact = rows
                .iter()
                .all(|r| r.exact_loss.is_some() || is_diverged(r))
                && rows.iter().any(|r| r.exact_loss.is_some());
            let live = || rows.iter().filter(|r| !is_diverged(r));
            let mut losses: Vec<f64> = live().map(|r| r.loss()).collect();
            losses.sort_by(f64::total_cmp);
            let stats = Stats::of_sorted(&losses);
            let mut decoded: Vec<f64> = live().map(|r| r.decoded.unwrap_or(f64::NAN)).collect();
            decoded.sort_by(f64::total_cmp);
            let decoded = exact.then(|| Stats::of_sorted(&decoded));
            let mut worst: Vec<f64> = live().filter_map(|r| r.max_error).collect();
            worst.sort_by(f64::total_cmp);
            let worst = (exact && worst.len() == live().count()).then(|| Stats::of_sorted(&worst));
            let p = rows.iter().map(|r| r.feature_probability);
            let bias_only: Option<Vec<f64>> = rows.iter().map(|r| r.bias_only_loss).collect();
            SummaryRow {
                config_id: first.config_id.clone(),
                depth: first.depth,
                branching: first.branching,
                structure: first.structure.clone(),
                stop_prob: first.stop_prob,
                magnitude: first.magnitude.clone(),
                importance: first.importance.clone(),
                n_hidden: first.n_hidden,
                n_features: first.n_features,
                // A running mean: exactly the value when every instance has the same, so it
                // never falls outside [min, max] by rounding.
                feature_probability: (p.clone().enumerate())
                    .fold(0.0, |mean, (k, v)| mean + (v - mean) / (k + 1) as f64),
                feature_probability_min: p.clone().fold(f64::INFINITY, f64::min),
                feature_probability_max: p.fold(f64::NEG_INFINITY, f64::max),
                correlated_pairs: first.correlated_pairs,
                anticorrelated_pairs: first.anticorrelated_pairs,
                seed: first.seed.clone(),
                n_instances: rows.len() as u32,
                mean: stats.mean,
                // In runs.csv order (instance order), like the notebook's `.sum()`.
                sum: if losses.len() == rows.len() {
                    rows.iter().map(|r| r.loss()).sum()
                } else {
                    f64::NAN
                },
                min: stats.min,
                median: stats.median,
                max: stats.max,
                std: stats.std,
                n_diverged: (rows.len() - losses.len()) as u32,
                loss: if exact { EXACT } else { SAMPLED }.to_string(),
                relative: false,
                bias_only_loss: bias_only.map(|b| b.iter().sum::<f64>() / b.len() as f64),
                decoded_min: decoded.as_ref().map(|d| d.min),
                decoded_median: decoded.as_ref().map(|d| d.median),
                decoded_max: decoded.as_ref().map(|d| d.max),
                max_error_min: worst.as_ref().map(|w| w.min),
                max_error_max: worst.as_ref().map(|w| w.max),
                n_passing: None,
                n_decoded: exact.then(|| live().filter(|r| r.decoded == Some(1.0)).count() as u32),
                // Set below, once the data sets that print alike are known.
                label: String::new(),
                data_set: if has_tree(first.depth) {
                    DataSetId::default()
                } else {
                    DataSetId::of_run(first)
                },
            }
        })
        .collect();
    name_alike_data_sets(&mut out);
    for row in &mut out {
        row.label = Series::of_summary(row).structure_label();
    }
    // Series in the order of the experiment file: runs.csv lists configs in grid order.
    let mut first: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, r) in runs.iter().enumerate() {
        first.entry(&r.config_id).or_insert(i);
    }
    let mut rank: BTreeMap<Series, usize> = BTreeMap::new();
    for row in &out {
        let at = first
            .get(row.config_id.as_str())
            .copied()
            .unwrap_or(usize::MAX);
        let r = rank.entry(Series::of_summary(row)).or_insert(at);
        *r = (*r).min(at);
    }
    out.sort_by(|a, b| {
        let (sa, sb) = (Series::of_summary(a), Series::of_summary(b));
        (rank[&sa].cmp(&rank[&sb]))
            .then(sa.cmp(&sb))
            .then(a.depth.cmp(&b.depth))
            .then(a.n_hidden.cmp(&b.n_hidden))
            .then(a.config_id.cmp(&b.config_id))
    });
    out
}

/// Sets every row's `n_passing`: how many of its instances (`runs`, as summarised) are not
/// diverged and have a loss strictly below `threshold`.
pub fn count_passing(summary: &mut [SummaryRow], runs: &[RunRow], threshold: f64) {
    let mut passing: BTreeMap<&str, u32> = BTreeMap::new();
    for r in runs {
        let n = passing.entry(&r.config_id).or_default();
        *n += u32::from(!is_diverged(r) && r.loss() < threshold);
    }
    for row in summary {
        row.n_passing = Some(passing.get(row.config_id.as_str()).copied().unwrap_or(0));
    }
}

/// tmh's own name for the series of a tree structure: `tree (stop_prob 0.5)`.
pub fn tree_label(structure: &str, stop_prob: f64) -> String {
    format!("{structure} (stop_prob {stop_prob})")
}

/// A name the experiment file gives the series of one structure or data set (its
/// `analysis.labels`): tables, legends and titles show it in place of tmh's own
/// ([`Series::structure_label`]); file names keep tmh's.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesName {
    /// Whose series it names.
    pub of: Named,
    /// The name, e.g. `no early stopping`.
    pub name: String,
}

/// What a [`SeriesName`] names.
#[derive(Debug, Clone, PartialEq)]
pub enum Named {
    /// Every series with this structure (`tree`, `independent`) and stop probability.
    Structure {
        /// `runs.csv`'s `structure`.
        structure: String,
        /// `runs.csv`'s `stop_prob`.
        stop_prob: f64,
    },
    /// Every series of the data set without a tree of this name ([`DataSetId::name`]).
    DataSet(String),
}

impl Named {
    fn names(&self, row: &SummaryRow) -> bool {
        match self {
            Named::Structure {
                structure,
                stop_prob,
            } => has_tree(row.depth) && row.structure == *structure && row.stop_prob == *stop_prob,
            Named::DataSet(name) => !has_tree(row.depth) && row.data_set.name == *name,
        }
    }
}

/// Gives every row of `summary` that one of `names` names that name as its `label`. Fails
/// when a name reads like another series' label (tmh's own or another name): the two would
/// print as one.
pub fn name_series(summary: &mut [SummaryRow], names: &[SeriesName]) -> anyhow::Result<()> {
    for row in summary.iter_mut() {
        if let Some(n) = names.iter().find(|n| n.of.names(row)) {
            row.label = n.name.clone();
        }
    }
    // What a series is named for: its structure and stop probability, or its data set.
    let named_for = |r: &SummaryRow| match has_tree(r.depth) {
        true => format!("{}, stop_prob {}", r.structure, r.stop_prob),
        false => format!("data set {}", r.data_set.name),
    };
    for n in names {
        let mut owners = (summary.iter())
            .filter(|r| r.label == n.name)
            .map(named_for)
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter();
        if let (Some(a), Some(b)) = (owners.next(), owners.next()) {
            anyhow::bail!(
                "analysis.labels: {:?} would name both {a} and {b}, which would read as one \
                 series; give it another name",
                n.name
            );
        }
    }
    Ok(())
}

/// Sets [`DataSetId::in_label`] on every row of a data set that shares a series label with
/// another data set: the same series but for the data set's id.
fn name_alike_data_sets(summary: &mut [SummaryRow]) {
    let mut names: BTreeMap<Series, std::collections::BTreeSet<&str>> = BTreeMap::new();
    for row in summary.iter().filter(|r| !has_tree(r.depth)) {
        let mut unnamed = Series::of_summary(row);
        if let Some(d) = &mut unnamed.data {
            d.id = DataSetId::default();
        }
        names.entry(unnamed).or_default().insert(&row.data_set.name);
    }
    let alike: std::collections::BTreeSet<String> = names
        .into_values()
        .filter(|n| n.len() > 1)
        .flatten()
        .map(str::to_owned)
        .collect();
    for row in summary.iter_mut() {
        if !has_tree(row.depth) && alike.contains(&row.data_set.name) {
            row.data_set.in_label = true;
        }
    }
}

struct Stats {
    mean: f64,
    min: f64,
    median: f64,
    max: f64,
    std: f64,
}

impl Stats {
    fn of_sorted(values: &[f64]) -> Stats {
        let n = values.len();
        if n == 0 {
            return Stats {
                mean: f64::NAN,
                min: f64::NAN,
                median: f64::NAN,
                max: f64::NAN,
                std: f64::NAN,
            };
        }
        let mean = values.iter().sum::<f64>() / n as f64;
        let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n as f64;
        let median = if n % 2 == 1 {
            values[n / 2]
        } else {
            (values[n / 2 - 1] + values[n / 2]) / 2.0
        };
        Stats {
            mean,
            min: values[0],
            median,
            max: values[n - 1],
            std: var.sqrt(),
        }
    }
}

/// For every (series, depth) and every [`Aggregate`]: the smallest tested `n_hidden` that
/// reaches `threshold` under that aggregate ([`SummaryRow::passes`]: strictly below it, and for
/// mean, median and sum with no diverged instance), or `None` when no tested width reaches it.
///
/// Rows are sorted by series (in the summary's order), depth, then aggregate (min, mean, median,
/// sum). NaN aggregates
/// (all instances diverged; for the sum, any) never reach the threshold. A series without a
/// tree has one row per aggregate (depth 0; its n_features is part of the series). The data
/// columns come from the first config of the group (they share one data set).
pub fn min_hidden(summary: &[SummaryRow], threshold: f64) -> Vec<MinHiddenRow> {
    let mut groups: BTreeMap<(Series, u32), Vec<&SummaryRow>> = BTreeMap::new();
    for row in summary {
        groups
            .entry((Series::of_summary(row), row.depth))
            .or_default()
            .push(row);
    }
    let keys = in_order_of_appearance(summary.iter().map(Series::of_summary));
    let mut out = Vec::new();
    let ordered = keys
        .iter()
        .flat_map(|s| (groups.iter()).filter(move |((series, _), _)| series == s));
    for ((series, depth), rows) in ordered {
        let (series, depth, mut rows) = (series.clone(), *depth, rows.clone());
        rows.sort_by_key(|r| r.n_hidden);
        let max_tested = rows.last().map_or(0, |r| r.n_hidden);
        let min_tested = rows.first().map_or(0, |r| r.n_hidden);
        let data = rows[0];
        for aggregate in Aggregate::ALL {
            let min_n_hidden = rows
                .iter()
                .find(|r| r.passes(aggregate, threshold))
                .map(|r| r.n_hidden);
            let min_n_hidden_decoded =
                (rows.iter().all(|r| r.decodes(aggregate).is_some())).then(|| {
                    (rows.iter())
                        .find(|r| r.decodes(aggregate) == Some(true))
                        .map(|r| r.n_hidden)
                });
            let wider_failing = |answer: Option<u32>, passes: &dyn Fn(&SummaryRow) -> bool| {
                answer.map(|n| {
                    let wider = rows.iter().filter(|r| r.n_hidden > n);
                    wider.filter(|r| !passes(r)).count() as u32
                })
            };
            out.push(MinHiddenRow {
                label: series.structure_label(),
                depth,
                branching: series.branching,
                structure: series.structure.clone(),
                stop_prob: series.stop_prob,
                magnitude: series.magnitude.clone(),
                importance: series.importance.clone(),
                n_features: data.n_features,
                feature_probability: data.feature_probability,
                feature_probability_min: data.feature_probability_min,
                feature_probability_max: data.feature_probability_max,
                correlated_pairs: data.correlated_pairs,
                anticorrelated_pairs: data.anticorrelated_pairs,
                seed: series.seed.clone(),
                aggregate,
                threshold,
                relative: data.relative,
                min_n_hidden,
                max_tested,
                min_tested,
                min_n_hidden_decoded,
                still_falling: None,
                still_falling_decoded: None,
                wider_failing: wider_failing(min_n_hidden, &|r| r.passes(aggregate, threshold)),
                wider_failing_decoded: wider_failing(min_n_hidden_decoded.flatten(), &|r| {
                    r.decodes(aggregate) == Some(true)
                }),
                data_set: data.data_set.clone(),
            });
        }
    }
    out
}

/// Distinct series of a summary, in its order (the experiment file's, see [`summarize`]).
pub(crate) fn series_of(summary: &[SummaryRow]) -> Vec<Series> {
    in_order_of_appearance(summary.iter().map(Series::of_summary))
}

/// A series' answers by column (depth, or n_features without a tree) and aggregate.
pub(crate) type AnswerCells<'a> = BTreeMap<(u32, Aggregate), &'a MinHiddenRow>;

/// `items` grouped by `key`, the groups in the order their first items appear (see
/// [`in_order_of_appearance`]).
pub(crate) fn group_in_order<T, K: PartialEq>(
    items: impl IntoIterator<Item = T>,
    key: impl Fn(&T) -> K,
) -> Vec<(K, Vec<T>)> {
    let mut groups: Vec<(K, Vec<T>)> = Vec::new();
    for item in items {
        let k = key(&item);
        match groups.iter_mut().find(|(g, _)| *g == k) {
            Some((_, members)) => members.push(item),
            None => groups.push((k, vec![item])),
        }
    }
    groups
}

/// The distinct values of `items` in the order they first appear: series follow the
/// experiment file (runs.csv is written in grid order), not their sort order.
pub(crate) fn in_order_of_appearance<T: PartialEq>(items: impl IntoIterator<Item = T>) -> Vec<T> {
    let mut out: Vec<T> = Vec::new();
    for item in items {
        if !out.contains(&item) {
            out.push(item);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(depth: u32, n_hidden: u32, instance: u32, eval_loss: f64) -> RunRow {
        RunRow {
            group: format!("g{depth}"),
            ..RunRow::seed_example(depth, n_hidden, instance, eval_loss)
        }
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-12 * b.abs().max(1.0)
    }

    #[test]
    fn statistics_on_a_hand_made_set() {
        // Odd count: 4, 1, 3, 2, 10 -> sorted 1 2 3 4 10.
        let runs: Vec<RunRow> = [4.0, 1.0, 3.0, 2.0, 10.0]
            .iter()
            .enumerate()
            .map(|(i, &l)| run(2, 3, i as u32, l))
            .collect();
        let s = summarize(&runs);
        assert_eq!(s.len(), 1);
        let s = &s[0];
        assert_eq!(s.n_instances, 5);
        assert_eq!(s.n_diverged, 0);
        assert!(close(s.mean, 4.0));
        assert!(close(s.min, 1.0));
        assert!(close(s.median, 3.0));
        assert!(close(s.max, 10.0));
        // Population variance: (9 + 4 + 1 + 0 + 36) / 5 = 10.
        assert!(close(s.std, 10f64.sqrt()), "{}", s.std);
        assert_eq!(s.n_features, 6);
        // Five equal probabilities average to themselves, not below their minimum.
        let p = 0.007812499999999999;
        let same: Vec<RunRow> = (runs.iter())
            .map(|r| RunRow {
                feature_probability: p,
                ..r.clone()
            })
            .collect();
        let s = &summarize(&same)[0];
        assert_eq!((s.feature_probability, s.feature_probability_min), (p, p));

        // Even count: the median is the mean of the middle two.
        let runs: Vec<RunRow> = [4.0, 1.0, 3.0, 2.0]
            .iter()
            .enumerate()
            .map(|(i, &l)| run(2, 3, i as u32, l))
            .collect();
        assert!(close(summarize(&runs)[0].median, 2.5));
    }

    #[test]
    fn diverged_are_excluded_and_counted() {
        let mut runs = vec![
            run(1, 2, 0, 1.0),
            run(1, 2, 1, 3.0),
            run(1, 2, 2, 1e9),
            run(1, 2, 3, f64::NAN),
        ];
        runs[2].diverged = true; // flagged (its finite loss must not count)
        runs[3].diverged = false; // not flagged, but non-finite: still diverged
        let s = &summarize(&runs)[0];
        assert_eq!(s.n_instances, 4);
        assert_eq!(s.n_diverged, 2);
        assert!(close(s.mean, 2.0));
        assert!(close(s.max, 3.0));
        assert!(close(s.std, 1.0));

        let all_bad = vec![run(1, 3, 0, f64::INFINITY), run(1, 3, 1, f64::NAN)];
        let s = &summarize(&all_bad)[0];
        assert_eq!(s.n_diverged, 2);
        for v in [s.mean, s.min, s.median, s.max, s.std] {
            assert!(v.is_nan());
        }
    }

    #[test]
    fn summary_is_sorted_numerically_not_by_id() {
        let runs = vec![run(1, 10, 0, 1.0), run(1, 2, 0, 1.0), run(2, 3, 0, 1.0)];
        let order: Vec<(u32, u32)> = summarize(&runs)
            .iter()
            .map(|r| (r.depth, r.n_hidden))
            .collect();
        assert_eq!(order, vec![(1, 2), (1, 10), (2, 3)]);
    }

    fn pick(rows: &[MinHiddenRow], depth: u32, aggregate: Aggregate) -> Option<u32> {
        let found: Vec<_> = rows
            .iter()
            .filter(|r| r.depth == depth && r.aggregate == aggregate)
            .collect();
        assert_eq!(found.len(), 1);
        found[0].min_n_hidden
    }

    #[test]
    fn min_hidden_picks_smallest_and_says_none() {
        let t = 1e-5;
        let runs = vec![
            // depth 1: width 2 fails, 3 and 4 pass -> 3 (not the largest, not the last).
            run(1, 4, 0, 1e-7),
            run(1, 2, 0, 1e-3),
            run(1, 3, 0, 1e-6),
            // depth 2: nothing passes -> none, even though width 4 is the largest tested.
            run(2, 2, 0, 1e-2),
            run(2, 3, 0, 1e-3),
            run(2, 4, 0, 2e-5),
            // depth 3: exactly at the threshold does not count (strict <).
            run(3, 2, 0, 1e-5),
            run(3, 3, 0, 9.99e-6),
        ];
        let rows = min_hidden(&summarize(&runs), t);
        assert_eq!(rows.len(), 3 * Aggregate::ALL.len());
        for agg in Aggregate::ALL {
            assert_eq!(pick(&rows, 1, agg), Some(3));
            assert_eq!(pick(&rows, 2, agg), None);
            assert_eq!(pick(&rows, 3, agg), Some(3));
        }
        let d2: Vec<_> = rows.iter().filter(|r| r.depth == 2).collect();
        assert!(d2.iter().all(|r| r.max_tested == 4 && r.threshold == t));
        let d3 = rows.iter().find(|r| r.depth == 3).unwrap();
        assert_eq!(d3.max_tested, 3);
    }

    #[test]
    fn passing_and_decoding_instances_are_counted() {
        let loss = [1e-7, 9.99e-6, 1e-5, 1e-3, f64::NAN];
        let runs: Vec<RunRow> = (loss.iter().enumerate())
            .map(|(i, &l)| RunRow {
                exact_loss: Some(l),
                decoded: Some(if l < 1e-4 { 1.0 } else { 0.75 }),
                max_error: Some(0.1),
                diverged: l.is_nan(),
                ..run(2, 3, i as u32, l)
            })
            .collect();
        let mut summary = summarize(&runs);
        assert_eq!(summary[0].n_passing, None, "not judged yet");
        count_passing(&mut summary, &runs, 1e-5);
        // Strictly below: 1e-5 itself fails; the diverged one never passes or decodes.
        assert_eq!(summary[0].n_passing, Some(2));
        assert_eq!(summary[0].n_decoded, Some(3));
        // Sampled data cannot say which decode.
        let sampled: Vec<RunRow> = (0..2).map(|i| run(2, 3, i, 1e-7)).collect();
        assert_eq!(summarize(&sampled)[0].n_decoded, None);
    }

    #[test]
    fn a_wider_width_that_fails_again_is_counted() {
        // Width 3 passes, 4 fails (a stuck instance), 5 passes; decoding from width 4 on.
        let mut runs = Vec::new();
        for (n_hidden, loss, decoded) in [
            (2, 1e-3, 0.5),
            (3, 1e-7, 0.9),
            (4, 1e-2, 1.0),
            (5, 1e-7, 1.0),
        ] {
            runs.push(RunRow {
                exact_loss: Some(loss),
                decoded: Some(decoded),
                max_error: Some(0.1),
                ..run(2, n_hidden, 0, loss)
            });
        }
        let rows = min_hidden(&summarize(&runs), 1e-5);
        for r in &rows {
            assert_eq!((r.min_n_hidden, r.wider_failing), (Some(3), Some(1)));
            assert!(r.wider_fails(false) && r.marks(false) == "↑");
            // Decoded from 4 on: nothing wider fails.
            assert_eq!(r.min_n_hidden_decoded, Some(Some(4)));
            assert_eq!(r.wider_failing_decoded, Some(0));
            assert!(!r.wider_fails(true) && r.marks(true).is_empty());
        }
        // No answer, nothing to count.
        let none = min_hidden(&summarize(&runs), 1e-9);
        assert!(
            none.iter()
                .all(|r| r.min_n_hidden.is_none() && r.wider_failing.is_none())
        );
    }

    #[test]
    fn each_aggregate_picks_its_own_width() {
        let t = 1e-5;
        let runs = vec![
            // Width 2: one lucky instance passes, the mean does not.
            run(1, 2, 0, 1e-7),
            run(1, 2, 1, 1e-2),
            run(1, 2, 2, 1e-2),
            // Width 3: two of three pass; the mean is dragged over by the third, the median not.
            run(1, 3, 0, 1e-7),
            run(1, 3, 1, 1e-7),
            run(1, 3, 2, 1e-3),
            // Width 4: every instance at 4e-6: the mean passes, the sum (1.2e-5) does not.
            run(1, 4, 0, 4e-6),
            run(1, 4, 1, 4e-6),
            run(1, 4, 2, 4e-6),
            // Width 5: the sum passes too.
            run(1, 5, 0, 1e-7),
            run(1, 5, 1, 2e-7),
            run(1, 5, 2, 3e-7),
        ];
        let summary = summarize(&runs);
        let rows = min_hidden(&summary, t);
        assert_eq!(pick(&rows, 1, Aggregate::Min), Some(2));
        assert_eq!(pick(&rows, 1, Aggregate::Median), Some(3));
        assert_eq!(pick(&rows, 1, Aggregate::Mean), Some(4));
        assert_eq!(pick(&rows, 1, Aggregate::Sum), Some(5));
        // Rows come in file order: min, mean, median, sum.
        let order: Vec<Aggregate> = rows.iter().map(|r| r.aggregate).collect();
        assert_eq!(order, Aggregate::ALL);
        let w4 = summary.iter().find(|r| r.n_hidden == 4).unwrap();
        assert!(close(w4.sum, 1.2e-5) && close(w4.mean, 4e-6));
    }

    #[test]
    fn sum_is_the_sum_over_every_instance_and_nan_when_one_diverged() {
        let losses = [3e-6, 1e-6, 4e-6, 1e-6, 5e-6];
        let runs: Vec<RunRow> = losses
            .iter()
            .enumerate()
            .map(|(i, &l)| run(2, 3, i as u32, l))
            .collect();
        let s = &summarize(&runs)[0];
        // Summed in instance order, as the notebook's `.sum()` does: 1.4e-5.
        let by_hand = losses.iter().fold(0.0, |acc, l| acc + l);
        assert!(close(s.sum, by_hand), "{} vs {by_hand}", s.sum);
        assert!(close(s.sum, s.mean * 5.0));
        assert_eq!(s.aggregate(Aggregate::Sum), s.sum);
        // Its mean (2.8e-6) passes 1e-5 and its sum does not: the seed's depth-4 situation.
        assert!(s.passes(Aggregate::Mean, 1e-5) && !s.passes(Aggregate::Sum, 1e-5));

        // One instance diverged (flagged, or a non-finite loss): the sum is NaN, the others
        // are taken over the rest.
        for how in ["flag", "nan", "inf"] {
            let mut runs = runs.clone();
            match how {
                "flag" => runs[2].diverged = true,
                "nan" => runs[2].eval_loss = f64::NAN,
                _ => runs[2].eval_loss = f64::INFINITY,
            }
            let s = &summarize(&runs)[0];
            assert_eq!(s.n_diverged, 1, "{how}");
            assert!(s.sum.is_nan(), "{how}: sum {}", s.sum);
            assert!(close(s.mean, 2.5e-6), "{how}: mean {}", s.mean);
        }
    }

    #[test]
    fn pass_rule_refuses_mean_median_and_sum_beside_a_diverged_instance() {
        let t = 1e-5;
        // Four instances at 1e-7 and one diverged: mean and median (over the four) are tiny,
        // but the config does not store the tree; the best instance does.
        let mut runs: Vec<RunRow> = (0..5).map(|i| run(1, 2, i, 1e-7)).collect();
        runs[4].eval_loss = f64::NAN;
        let s = &summarize(&runs)[0];
        assert!(s.mean < t && s.median < t && s.min < t);
        assert!(s.passes(Aggregate::Min, t));
        for a in [Aggregate::Mean, Aggregate::Median, Aggregate::Sum] {
            assert!(!s.passes(a, t), "{a} passes with a diverged instance");
            assert!(a.needs_every_instance());
        }
        assert!(!Aggregate::Min.needs_every_instance());
        // Without the diverged instance every aggregate passes; at the threshold none does.
        let s = &summarize(&runs[..4])[0];
        assert!(Aggregate::ALL.iter().all(|a| s.passes(*a, t)));
        assert!(Aggregate::ALL.iter().all(|a| !s.passes(*a, 1e-7)));

        // min_hidden applies the rule: width 2 for the min, width 3 (all fine) for the rest.
        runs.extend((0..5).map(|i| run(1, 3, i, 2e-7)));
        let rows = min_hidden(&summarize(&runs), t);
        assert_eq!(pick(&rows, 1, Aggregate::Min), Some(2));
        for a in [Aggregate::Mean, Aggregate::Median, Aggregate::Sum] {
            assert_eq!(pick(&rows, 1, a), Some(3), "{a}");
        }
    }

    #[test]
    fn all_diverged_width_never_reaches_threshold() {
        let mut runs = vec![run(1, 2, 0, 0.0), run(1, 3, 0, 1e-9)];
        runs[0].diverged = true;
        let rows = min_hidden(&summarize(&runs), 1e-5);
        assert_eq!(pick(&rows, 1, Aggregate::Mean), Some(3));
    }

    #[test]
    fn series_are_kept_apart() {
        let mut other = run(1, 2, 0, 1e-9);
        other.structure = "independent".into();
        other.config_id = "d1-h2-b2-independent0.5-binary-s0".into();
        let runs = vec![run(1, 2, 0, 1.0), other];
        let summary = summarize(&runs);
        assert_eq!(series_of(&summary).len(), 2);
        let rows = min_hidden(&summary, 1e-5);
        let mean: Vec<_> = rows
            .iter()
            .filter(|r| r.aggregate == Aggregate::Mean)
            .map(|r| (r.structure.as_str(), r.min_n_hidden))
            .collect();
        // The experiment file's order (runs.csv's), not the series' sort order.
        assert_eq!(mean, vec![("tree", None), ("independent", Some(2))]);
    }

    #[test]
    fn names_replace_the_labels_of_the_series_they_name() {
        let mut independent = run(1, 2, 0, 1e-9);
        independent.structure = "independent".into();
        independent.config_id = "d1-h2-b2-indep0.5-binary-s0".into();
        let mut stops_never = run(1, 2, 0, 1e-9);
        stops_never.stop_prob = 0.0;
        stops_never.config_id = "d1-h2-b2-tree0-binary-s0".into();
        let runs = vec![
            run(1, 2, 0, 1.0),
            stops_never,
            independent,
            sparse(5, 2, 0, 0.01),
        ];
        let mut summary = summarize(&runs);
        let labels =
            |s: &[SummaryRow]| -> Vec<String> { s.iter().map(|r| r.label.clone()).collect() };
        assert_eq!(
            labels(&summary),
            [
                "tree (stop_prob 0.5)",
                "tree (stop_prob 0)",
                "independent (stop_prob 0.5)",
                "sparse F=5, p=0.01"
            ]
        );
        let data_set = summary[3].data_set.name.clone();
        let name = |of: Named, name: &str| SeriesName {
            of,
            name: name.into(),
        };
        let names = [
            name(
                Named::Structure {
                    structure: "tree".into(),
                    stop_prob: 0.0,
                },
                "no early stopping",
            ),
            // Same stop probability, other structure: only the independent series.
            name(
                Named::Structure {
                    structure: "independent".into(),
                    stop_prob: 0.5,
                },
                "no hierarchy",
            ),
            name(Named::DataSet(data_set), "TMS"),
        ];
        // A name that reads like another series' own would print the two as one.
        let clash = [name(
            Named::Structure {
                structure: "tree".into(),
                stop_prob: 0.0,
            },
            "tree (stop_prob 0.5)",
        )];
        let err = name_series(&mut summary.clone(), &clash).unwrap_err();
        assert_eq!(
            err.to_string(),
            "analysis.labels: \"tree (stop_prob 0.5)\" would name both tree, stop_prob 0 and \
             tree, stop_prob 0.5, which would read as one series; give it another name"
        );
        name_series(&mut summary, &names).unwrap();
        assert_eq!(
            labels(&summary),
            [
                "tree (stop_prob 0.5)",
                "no early stopping",
                "no hierarchy",
                "TMS"
            ]
        );
        let series = series_of(&summary);
        assert_eq!(series[1].label(), "no early stopping, b=2, binary, seed 0");
        assert_eq!(
            series[1].slug(),
            "tree-s0_b2_binary_seed0",
            "file names keep tmh's"
        );
        assert_eq!(short_labels(&series[..3])[2], "no hierarchy");
        let rows = min_hidden(&summary, 1e-5);
        assert!(
            rows.iter()
                .any(|r| r.label == "TMS" && r.structure == "sparse")
        );
        assert!(rows.iter().all(|r| r.label != "tree (stop_prob 0)"));
    }

    #[test]
    fn slugs_and_labels() {
        let s = Series {
            branching: 2,
            structure: "tree".into(),
            stop_prob: 0.5,
            magnitude: "binary".into(),
            seed: 0.into(),
            importance: "1".into(),
            data: None,
            label: String::new(),
        };
        assert_eq!(s.slug(), "tree-s0.5_b2_binary_seed0");
        assert_eq!(s.label(), "tree (stop_prob 0.5), b=2, binary, seed 0");
        let t = Series {
            magnitude: "uniform".into(),
            ..s.clone()
        };
        assert_eq!(
            short_labels(&[s, t]),
            vec![
                "tree (stop_prob 0.5), binary".to_string(),
                "tree (stop_prob 0.5), uniform".to_string()
            ]
        );
    }

    /// An instance of a config without a tree: `f{F}-h{n_hidden}`, probability `p`.
    fn sparse(n_features: u32, n_hidden: u32, instance: u32, p: f64) -> RunRow {
        RunRow {
            config_id: format!("f{n_features}-h{n_hidden}"),
            depth: 0,
            branching: 0,
            structure: "sparse".into(),
            stop_prob: 0.0,
            magnitude: "uniform".into(),
            feature_probability: p,
            n_features,
            ..run(1, n_hidden, instance, 1e-3)
        }
    }

    #[test]
    fn data_sets_and_importances_are_separate_series() {
        let mut runs = vec![
            sparse(5, 2, 0, 0.01),
            sparse(5, 3, 0, 0.01),
            sparse(20, 2, 0, 0.01),
            run(1, 2, 0, 1.0),
        ];
        let mut other_p = sparse(5, 2, 0, 0.1);
        other_p.config_id = "f5-p0.1-h2".into();
        let mut weighted = sparse(5, 2, 0, 0.01);
        weighted.config_id = "f5-h2-imp".into();
        weighted.importance = "0.9^i".into();
        let mut paired = sparse(5, 2, 0, 0.01);
        paired.config_id = "f5-h2-pairs".into();
        paired.correlated_pairs = 1;
        let mut tree_weighted = run(1, 2, 0, 1.0);
        tree_weighted.config_id = "tree-imp".into();
        tree_weighted.importance = "0.5^(level-1)".into();
        runs.extend([other_p, weighted, paired, tree_weighted]);
        let summary = summarize(&runs);
        let series = series_of(&summary);
        let labels: Vec<String> = series.iter().map(Series::label).collect();
        // In the order their first rows come in `runs` (the experiment file's).
        assert_eq!(
            labels,
            vec![
                "sparse F=5, p=0.01, uniform, seed 0",
                "sparse F=20, p=0.01, uniform, seed 0",
                "tree (stop_prob 0.5), b=2, binary, seed 0",
                "sparse F=5, p=0.1, uniform, seed 0",
                "sparse F=5, p=0.01, importance 0.9^i, uniform, seed 0",
                "sparse F=5, p=0.01, 1 correlated pair, uniform, seed 0",
                "tree (stop_prob 0.5), b=2, importance 0.5^(level-1), binary, seed 0",
            ]
        );
        let slugs: std::collections::BTreeSet<String> = series.iter().map(Series::slug).collect();
        assert_eq!(slugs.len(), series.len());
        assert!(slugs.contains("sparse_F5_p0.01_c1_uniform_seed0"));
        assert!(slugs.contains("tree-s0.5_b2_binary_seed0_imp0.5lvl"));
        // One min-hidden row per aggregate for each data set, its n_features in the row.
        let rows = min_hidden(&summary, 1e-5);
        assert_eq!(rows.len(), series.len() * Aggregate::ALL.len());
        let f20: Vec<_> = rows.iter().filter(|r| r.n_features == 20).collect();
        assert_eq!(f20.len(), Aggregate::ALL.len());
        assert!(f20.iter().all(|r| r.depth == 0 && r.max_tested == 2));
        let f5 = rows
            .iter()
            .find(|r| r.n_features == 5 && r.correlated_pairs == 0 && r.importance == "1")
            .unwrap();
        assert_eq!((f5.max_tested, f5.feature_probability), (3, 0.01));
        let f5_row = summary.iter().find(|r| r.config_id == "f5-h2").unwrap();
        assert_eq!(f5_row.row_label(), "n_features = 5");
        let tree = summary
            .iter()
            .find(|r| r.config_id == "d1-h2-b2-tree0.5-binary-s0");
        assert_eq!(tree.unwrap().row_label(), "depth 1 (n_features 2)");
    }

    /// A config of `runs.csv` group `group` (data set `group` less `-uniform`) with 3
    /// features, one instance per entry of `p`, each with eval loss `loss`.
    fn of_data_set(group: &str, n_hidden: u32, p: &[f64], loss: f64) -> Vec<RunRow> {
        p.iter()
            .enumerate()
            .map(|(k, p)| RunRow {
                config_id: format!("{}-h{n_hidden}-uniform-s0", &group[..group.len() - 8]),
                group: group.to_owned(),
                eval_loss: loss,
                ..sparse(3, n_hidden, k as u32, *p)
            })
            .collect()
    }

    #[test]
    fn data_sets_that_print_alike_are_separate_series_named_by_their_id() {
        let list = "f3-plist-1a2b3c4d-uniform"; // per-feature [0.1, 0.2, 0.3]: mean 0.2
        let constant = "f3-p0.2-uniform";
        let mut runs = vec![];
        // The list needs 3 dimensions, the constant 2.
        runs.extend(of_data_set(list, 2, &[0.2], 1e-3));
        runs.extend(of_data_set(list, 3, &[0.2], 1e-7));
        runs.extend(of_data_set(constant, 2, &[0.2], 1e-7));
        runs.extend(of_data_set(constant, 3, &[0.2], 1e-7));
        // The constant again with another importance: alone in its series, still named.
        let mut weighted = of_data_set(constant, 2, &[0.2], 1e-7);
        for r in &mut weighted {
            r.config_id.push_str("-imp0.9i");
            r.importance = "0.9^i".into();
        }
        runs.extend(weighted);
        // A per-instance list and its permutation; 0.01 and 0.010001 (printed alike).
        runs.extend(of_data_set(
            "f3-pinst-aaaaaaaa-uniform",
            2,
            &[0.1, 1.0],
            1e-3,
        ));
        runs.extend(of_data_set(
            "f3-pinst-bbbbbbbb-uniform",
            2,
            &[1.0, 0.1],
            1e-3,
        ));
        runs.extend(of_data_set("f3-p0.01-uniform", 2, &[0.01], 1e-3));
        runs.extend(of_data_set("f3-p0.010001-uniform", 2, &[0.010001], 1e-3));
        // A data set like no other: not named.
        runs.extend(of_data_set("f3-p0.5-uniform", 2, &[0.5], 1e-3));
        runs.push(run(1, 2, 0, 1.0));

        let summary = summarize(&runs);
        assert_eq!(summary.len(), 11);
        let tree = summary.iter().find(|r| r.depth == 1).unwrap();
        assert_eq!(tree.data_set, DataSetId::default());
        let series = series_of(&summary);
        let labels: Vec<String> = series.iter().map(Series::label).collect();
        // In the order their first rows come in `runs`.
        assert_eq!(
            labels,
            vec![
                "sparse F=3, p=0.2, data set f3-plist-1a2b3c4d, uniform, seed 0",
                "sparse F=3, p=0.2, data set f3-p0.2, uniform, seed 0",
                "sparse F=3, p=0.2, data set f3-p0.2, importance 0.9^i, uniform, seed 0",
                "sparse F=3, p=0.1…1 per instance, data set f3-pinst-aaaaaaaa, uniform, seed 0",
                "sparse F=3, p=0.1…1 per instance, data set f3-pinst-bbbbbbbb, uniform, seed 0",
                "sparse F=3, p=0.01, data set f3-p0.01, uniform, seed 0",
                "sparse F=3, p=0.01, data set f3-p0.010001, uniform, seed 0",
                "sparse F=3, p=0.5, uniform, seed 0",
                "tree (stop_prob 0.5), b=2, binary, seed 0",
            ]
        );
        let slugs: std::collections::BTreeSet<String> = series.iter().map(Series::slug).collect();
        assert_eq!(slugs.len(), series.len());
        for slug in [
            "sparse_F3_p0.2_uniform_seed0_f3-plist-1a2b3c4d",
            "sparse_F3_p0.2_uniform_seed0_f3-p0.2",
            "sparse_F3_p0.2_uniform_seed0_f3-p0.2_imp0.9i",
            "sparse_F3_p0.5_uniform_seed0",
        ] {
            assert!(slugs.contains(slug), "{slug} not in {slugs:?}");
        }
        let short = short_labels(&series[5..8]);
        assert_eq!(
            short
                .iter()
                .collect::<std::collections::BTreeSet<_>>()
                .len(),
            3,
            "{short:?}"
        );

        // min_hidden keeps the two data sets apart: the constant needs 2, the list 3.
        let rows = min_hidden(&summary, 1e-5);
        assert_eq!(rows.len(), series.len() * Aggregate::ALL.len());
        let mean = |name: &str, importance: &str| -> Vec<Option<u32>> {
            rows.iter()
                .filter(|r| r.data_set.name == name && r.importance == importance)
                .filter(|r| r.aggregate == Aggregate::Mean)
                .map(|r| r.min_n_hidden)
                .collect()
        };
        assert_eq!(mean("f3-plist-1a2b3c4d", "1"), vec![Some(3)]);
        assert_eq!(mean("f3-p0.2", "1"), vec![Some(2)]);
        assert_eq!(mean("f3-p0.2", "0.9^i"), vec![Some(2)]);
        for r in &rows {
            let s = Series::of_min_hidden(r);
            assert!(series.contains(&s));
            assert_eq!(
                s.label(),
                labels[series.iter().position(|x| *x == s).unwrap()]
            );
        }
    }

    #[test]
    fn per_instance_probabilities_are_summarised_and_labelled() {
        let p = [1.0, 0.2, 0.02];
        let runs: Vec<RunRow> = p
            .iter()
            .enumerate()
            .map(|(i, p)| sparse(5, 2, i as u32, *p))
            .collect();
        let s = &summarize(&runs)[0];
        assert!(close(s.feature_probability, 1.22 / 3.0));
        assert_eq!(
            (s.feature_probability_min, s.feature_probability_max),
            (0.02, 1.0)
        );
        let series = Series::of_summary(s);
        assert!(series.per_instance_p());
        assert_eq!(
            series.structure_label(),
            "sparse F=5, p=0.02…1 per instance"
        );
        assert_eq!(series.slug(), "sparse_F5_p0.02-1_uniform_seed0");
        // f32 noise is not a per-instance sweep, nor another data set.
        let same = [sparse(5, 2, 0, 0.01), sparse(5, 2, 1, f64::from(0.01f32))];
        let same = Series::of_summary(&summarize(&same)[0]);
        assert!(!same.per_instance_p());
        let mut f32_config = sparse(5, 3, 0, f64::from(0.01f32));
        f32_config.config_id = "other".into();
        let one = Series::of_summary(&summarize(&[sparse(5, 2, 0, 0.01)])[0]);
        assert_eq!(one, Series::of_summary(&summarize(&[f32_config])[0]));
        assert!(!Series::of_summary(&summarize(&[run(1, 2, 0, 1.0)])[0]).per_instance_p());
    }

    #[test]
    fn probabilities_print_with_four_significant_digits() {
        assert_eq!(fmt_p(1.0), "1");
        assert_eq!(fmt_p(50.0), "50");
        assert_eq!(fmt_p(0.02), "0.02");
        assert_eq!(fmt_p(f64::from(0.02f32)), "0.02");
        assert_eq!(fmt_p(0.0015), "0.0015");
        assert_eq!(fmt_p(1.0 / 50f64.powf(1.0 / 3.0)), "0.2714");
        assert_eq!(fmt_p(13.5720881), "13.57");
        assert_eq!(fmt_p(12345.6), "12346");
        assert_eq!(p_range(0.01, 0.01), "0.01");
        assert_eq!(p_range(0.02, 1.0), "0.02…1 per instance");
    }

    #[test]
    fn short_labels_name_importance_where_it_varies() {
        let s = Series::of_summary(&summarize(&[run(1, 2, 0, 1.0)])[0]);
        let t = Series {
            importance: "0.5^level".into(),
            ..s.clone()
        };
        assert_eq!(
            short_labels(&[s, t]),
            vec![
                "tree (stop_prob 0.5), importance 1".to_string(),
                "tree (stop_prob 0.5), importance 0.5^level".to_string()
            ]
        );
    }

    /// Paper legends name only what differs, each part short, a user's name whole; every
    /// series of 2 importances × 3 seeds (or b × importance, pooled) reads differently.
    #[test]
    fn compact_labels_name_only_what_differs_and_tell_every_series_apart() {
        let s = Series::of_summary(&summarize(&[run(1, 2, 0, 1.0)])[0]);
        let with = |b: u32, importance: &str, seed: Seeds| Series {
            branching: b,
            importance: importance.into(),
            seed,
            ..s.clone()
        };
        let mut grid = Vec::new();
        for seed in 0..3 {
            for importance in ["1", "0.5^(level-1)"] {
                grid.push(with(2, importance, seed.into()));
            }
        }
        let labels = compact_labels(&grid);
        assert_eq!(labels[0], "imp 1, s0");
        assert_eq!(labels[5], "imp 0.5^(l\u{2212}1), s2");
        let distinct: std::collections::BTreeSet<&String> = labels.iter().collect();
        assert_eq!(distinct.len(), grid.len(), "{labels:?}");

        let pooled = Seeds::new([0, 1, 2]).unwrap();
        let pooled: Vec<Series> = [(3, "1"), (3, "0.5^(level-1)"), (4, "1")]
            .map(|(b, i)| with(b, i, pooled.clone()))
            .to_vec();
        assert_eq!(
            compact_labels(&pooled),
            ["b=3, imp 1", "b=3, imp 0.5^(l\u{2212}1)", "b=4, imp 1"]
        );

        // Structures: tmh's own by what differs, a user's name whole.
        let other = |structure: &str, stop_prob: f64, label: &str| Series {
            structure: structure.into(),
            stop_prob,
            label: label.into(),
            ..s.clone()
        };
        let kinds = [s.clone(), other("independent", 0.5, "")];
        assert_eq!(compact_labels(&kinds), ["tree", "independent"]);
        let stops = [s.clone(), other("tree", 0.0, "no early stopping")];
        assert_eq!(
            compact_labels(&stops),
            ["stop_prob 0.5", "no early stopping"]
        );
        assert_eq!(compact_labels(std::slice::from_ref(&s)), [s.label()]);
    }

    /// With exact losses the statistics are of them, not of the sampled eval loss; decoding
    /// reads like the loss threshold: min the best instance, median half, mean and sum all.
    #[test]
    fn exact_losses_and_decoding_follow_the_aggregates() {
        let exact = |instance: u32, loss: f64, decoded: f64| RunRow {
            exact_loss: Some(loss),
            decoded: Some(decoded),
            ..run(2, 2, instance, 1.0)
        };
        let runs = vec![
            exact(0, 1e-6, 1.0),
            exact(1, 2e-6, 1.0),
            exact(2, 3e-6, 0.5),
        ];
        let row = &summarize(&runs)[0];
        assert_eq!(row.loss, EXACT);
        assert!(close(row.mean, 2e-6) && close(row.sum, 6e-6), "{row:?}");
        assert!(row.passes(Aggregate::Mean, 1e-5));
        assert_eq!(
            (row.decoded_min, row.decoded_median, row.decoded_max),
            (Some(0.5), Some(1.0), Some(1.0))
        );
        assert_eq!(row.decodes(Aggregate::Min), Some(true));
        assert_eq!(row.decodes(Aggregate::Median), Some(true));
        assert_eq!(row.decodes(Aggregate::Mean), Some(false));
        assert_eq!(row.decodes(Aggregate::Sum), Some(false));

        // A diverged instance (here one without an exact loss) is left out; the others still
        // decide, but mean and sum need every instance.
        let diverged = RunRow {
            eval_loss: f64::NAN,
            diverged: true,
            ..run(2, 2, 2, 1.0)
        };
        let runs = vec![exact(0, 1e-6, 1.0), exact(1, 2e-6, 1.0), diverged];
        let row = &summarize(&runs)[0];
        assert_eq!((row.loss.as_str(), row.n_diverged), (EXACT, 1));
        assert_eq!(row.decodes(Aggregate::Min), Some(true));
        assert_eq!(row.decodes(Aggregate::Mean), Some(false));

        // Without exact losses: the sampled eval loss, and no decoding.
        let row = &summarize(&[run(2, 2, 0, 3e-3)])[0];
        assert_eq!((row.loss.as_str(), row.mean), ("sampled", 3e-3));
        assert_eq!(row.decodes(Aggregate::Min), None);

        // min_hidden: the decoded width per aggregate; blank without exact evaluation.
        let mut runs = vec![exact(0, 1e-3, 1.0), exact(1, 1e-3, 0.9)];
        runs.extend([exact(0, 1e-3, 1.0), exact(1, 1e-3, 1.0)].map(|r| RunRow {
            config_id: "d2-h3-b2-tree0.5-binary-s0".into(),
            n_hidden: 3,
            ..r
        }));
        let rows = min_hidden(&summarize(&runs), 1e-5);
        let decoded = |a: Aggregate| {
            rows.iter()
                .find(|r| r.aggregate == a)
                .unwrap()
                .min_n_hidden_decoded
        };
        assert_eq!(decoded(Aggregate::Min), Some(Some(2)));
        assert_eq!(decoded(Aggregate::Mean), Some(Some(3)));
        let sampled = min_hidden(&summarize(&[run(2, 2, 0, 1e-3)]), 1e-5);
        assert!(sampled.iter().all(|r| r.min_n_hidden_decoded.is_none()));
    }
}
