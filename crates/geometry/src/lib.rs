//! Geometry of trained tied ReLU autoencoders (`h = W x`, `out = ReLU(Wᵀh + b)`) whose
//! features are the nodes of a tree, or (TMS-style runs, `structure = sparse`) independent
//! sparse features without one: how the columns of `W` are arranged.
//!
//! The crate knows the feature tree ([`tree_data::TreeSpec`]) and the trained weights as
//! plain `f32` arrays, read from a run folder's `runs.csv` and
//! `weights/<config_id>.safetensors`. It knows nothing of burn, models, training, engines or
//! the sweep's grid logic: those crates produce the run folder, this one only reads it.
//!
//! # Analysis (pure functions, one instance's `W` as a row-major `[n_hidden, n_features]` slice)
//!
//! - [`gram`] / [`Gram`]: `WᵀW`; [`feature_norms`]; [`superposition`]
//!   (`Σ_{j≠i} (Ŵ_i · W_j)²`); [`dims_per_feature`] (`‖W_i‖⁴ / Σ_j (W_i · W_j)²`, TMS);
//!   [`total_dims`] (`n_hidden / ‖W‖_F²`).
//! - [`hierarchy_stats`] / [`HierarchyStats`]: cosine statistics of sibling,
//!   ancestor–descendant and unrelated pairs per level (see [`hierarchy`] for which level a
//!   pair counts at): count, mean, mean |cosine|, min, quartiles, median and max
//!   ([`CosineStats`]), skipping pairs with a dead feature (norm < [`DEAD_NORM`]). With
//!   `tree = None` (TMS-like runs) every pair is unrelated, at level 0.
//! - [`dims_points`] / [`dims_line`]: the data of the dimensions-per-feature chart, computed
//!   from `geometry_instances.csv` and `geometry_features.csv` rows alone.
//!
//! # Files [`build`] writes into a run folder
//!
//! | file | rows | schema |
//! | --- | --- | --- |
//! | `geometry.csv` | one per (config, instance, relation, level, other level): pair counts and the cosines' mean, mean absolute value, min, max, quartiles and median | [`GeometryRow`] |
//! | `geometry_features.csv` | one per (config, instance, feature) | [`FeatureRow`] |
//! | `geometry_instances.csv` | one per (config, instance), with its `feature_probability` | [`InstanceRow`] |
//! | `plots/geometry_*.svg`, `.png` | the charts below | |
//! | `plots/geometry.json` | one [`ManifestEntry`] per chart | JSON list |
//!
//! Every analysed instance appears in all three tables. Configs without a weights file and
//! instances that diverged (flag set, non-finite eval loss, or non-finite `W`) are not
//! analysed; [`GeometryFiles::notes`] says which. Structure `independent` configs still have
//! their tree (their marginals come from it), so they get hierarchy statistics too, as a
//! baseline. A config's tree is `TreeSpec::new(depth, branching, stop_prob)` when that has
//! `n_features` features; otherwise (every `sparse` config: depth 0) it is analysed without
//! a tree, and its `level` columns are 0.
//!
//! `plots/geometry.json` is a JSON array of objects
//! `{"stem", "title", "caption", "kind", "config_id"}` (`config_id` may be `null`); each stem
//! has `plots/<stem>.svg` and `plots/<stem>.png`. It lists only the charts of the last build,
//! which also removes stale `geometry_{features2d,gram,norms,cosines,dims}_*` files.
//!
//! # Charts (which configs)
//!
//! Configs are grouped by series (branching, structure, stop_prob, magnitude, seed,
//! n_features, correlated and anticorrelated pairs, importance) and depth; configs without a
//! tree also by their data set (`runs.csv`'s `group` less its magnitude, e.g.
//! `f3-plist-1a2b3c4d`, so two data sets with the same mean `p` never share a group) and their
//! feature probabilities (the distinct `feature_probability` values of their `runs.csv`
//! rows), so each `p` of a TMS sweep is a group of its own. Where two data sets' groups would
//! read alike, the captions name the data set. In each group the
//! **selected** config is the smallest `n_hidden` whose best instance has eval loss below the
//! threshold (default [`report::DEFAULT_THRESHOLD`], 1e-5), or, by the decoding criterion
//! ([`GeometryOptions::criterion`]), at which an instance decodes every possible sample; when
//! none does, the config with the lowest best-instance loss. Per group (manifest `kind` in brackets):
//!
//! - `geometry_features2d_<config>` (`features2d`): every config with `n_hidden = 2`: `W`'s
//!   columns as arrows, one panel per instance, all on one scale, with the dashed circle of
//!   norm 1 when the longest arrow is at least half that long (the axes then stretch to show
//!   it; the legend and caption list it only then). The feature index at each tip: for every
//!   feature up to 40 features, beyond that for the top tree levels that fit in 40 (none
//!   without a tree), leaving out any number that would print over another; footer and
//!   caption say which. With a tree: at most 8 panels, the lowest losses, coloured by
//!   level-1 subtree, lighter and thinner by level. Without: one hue per correlated pair
//!   (its second feature lighter), one hue per anticorrelated pair (its second feature with a
//!   dashed shaft), one hue per independent feature; when the instances differ in `p`, at
//!   most 8 panels spread evenly over `p` (densest first), each titled with its `p` and eval
//!   loss (the TMS pentagon figure);
//! - `geometry_gram_<config>` (`gram`): the selected config's best instance: `WᵀW` heatmap
//!   with a diverging scale centred at 0 and a colour bar; with a tree in tree order with level
//!   boundaries, without one in index order with boxes around the pairs' 2 × 2 blocks (solid:
//!   correlated, dashed: anticorrelated); past 128 features in pooled blocks
//!   ([`Gram::pooled`]: each block's entry of largest magnitude), as footer and caption say;
//! - `geometry_norms_<config>` (`norms`): the same instance's feature norms as bars coloured
//!   by superposition; level boundaries marked with a tree, pairs shaded without one;
//! - `geometry_cosines_<config>` (`cosines`): the selected config, only if it has a tree: mean
//!   cosine of siblings, ancestor–descendant and unrelated pairs per level, bars pooled over
//!   the instances with eval loss below the threshold (by the decoding criterion: that decode
//!   every sample; all of them when none does; the caption says which), with a dot per pooled
//!   instance; right of each bar, a narrow dark-grey box plot of the same pooled pairs'
//!   cosines (box from the first to the third quartile, line at the median, whiskers to the
//!   minimum and maximum: [`CosineStats::quantile`]), since a mean near 0 can hide cosines
//!   spread from −0.7 to +0.7.
//!
//! And per sparse series (structure `sparse`; same n_features, pairs, importance, magnitude,
//! seed and n_hidden, any config) whose analysed instances have at least two distinct feature
//! probabilities:
//!
//! - `geometry_dims_<series>` (`dims`): the TMS paper's feature dimensionality figure,
//!   [`plot_dims_per_feature`] of [`dims_points`]: x = `1/(1−S) = 1/p` on a log axis; per
//!   instance `n_hidden / ‖W‖_F²` (a dot, and a line through the mean at each `p`) and each
//!   live feature's `D_i` (small translucent dots); dashed reference lines at 1, 3/4, 2/3,
//!   1/2, 2/5 and 3/8 labelled as fractions. Its manifest `config_id` is the config of the
//!   point with the smallest x, so the report files it under the series it belongs to.
//!
//! # Drawing
//!
//! Charts are drawn with the report crate's toolkit, [`report::draw`]: its embedded DejaVu
//! Sans for layout and PNG rendering (no system font needed), its palettes, axes, legends and
//! colour bars, and its atomic SVG + PNG writer. They therefore look like the report's own
//! charts, and [`report::build`] embeds them in `index.html` from the manifest, whose schema
//! ([`ManifestEntry`]) the report crate owns.

#![warn(missing_docs)]

mod analyse;
mod dims;
mod features;
pub mod hierarchy;
mod plots;
mod schema;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use rayon::prelude::*;
use report::{Criterion, RunRow, read_runs, write_table};

pub use dims::{DIMS_FRACTIONS, DimsPoint, dims_line, dims_points, plot_dims_per_feature};
pub use features::{
    FeatureGeometry, Gram, dims_per_feature, feature_norms, gram, superposition, total_dims,
};
pub use hierarchy::{
    CosineStats, DEAD_NORM, HierarchyStats, PairClass, Relation, classify, hierarchy_stats,
};
pub use plots::Figure;
pub use report::ManifestEntry;
pub use schema::{
    ConfigWeights, FeatureRow, GeometryRow, InstanceRow, WEIGHTS_DIR, read_weights, weights_path,
};

use analyse::Analysed;

/// File name of the chart manifest inside `plots/`.
pub const MANIFEST: &str = report::GEOMETRY_MANIFEST;

/// Options of [`build_with`].
#[derive(Debug, Clone)]
pub struct GeometryOptions {
    /// Eval-loss threshold (strict `<`, best instance) that picks each group's plotted config.
    pub threshold: f64,
    /// The report's criterion: by [`Criterion::Decoded`], the plotted config is the smallest
    /// `n_hidden` whose best instance decodes every possible sample instead, and the cosine
    /// bars pool the instances that do.
    pub criterion: Criterion,
    /// Whether the threshold applies to the loss divided by the instance's bias-only loss
    /// (the report's `relative_loss`); the tables keep the losses themselves.
    pub relative_loss: bool,
}

impl Default for GeometryOptions {
    fn default() -> Self {
        GeometryOptions {
            threshold: report::DEFAULT_THRESHOLD,
            criterion: Criterion::Loss,
            relative_loss: false,
        }
    }
}

/// When an instance counts as solved, by the report's criterion.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Solved {
    criterion: Criterion,
    threshold: f64,
    relative_loss: bool,
}

impl Solved {
    /// Whether `instance` is solved: its loss (exact where the data allows; divided by its
    /// bias-only loss where the threshold is relative) is below the threshold, or it decodes
    /// every possible sample.
    pub(crate) fn instance(&self, instance: &analyse::InstanceGeo) -> bool {
        match self.criterion {
            Criterion::Loss => instance.judged_loss < self.threshold,
            Criterion::Decoded => instance.decoded == Some(1.0),
        }
    }

    /// A verb phrase for one instance whose loss is called `word` ([`Analysed::loss_word`]):
    /// `has exact loss < 1.0e-5`, `has relative exact loss < 1.0e-3`.
    pub(crate) fn has(&self, word: &str) -> String {
        match self.criterion {
            Criterion::Loss => format!("has {}", self.below(word)),
            Criterion::Decoded => "decodes every possible sample".to_owned(),
        }
    }

    /// `exact loss < 1.0e-5`, `relative exact loss < 1.0e-3`.
    fn below(&self, word: &str) -> String {
        let word = report::relative_word(self.relative_loss, word);
        format!("{word} < {}", report::draw::fmt_loss(self.threshold))
    }

    /// Why a config was picked: `whose best instance has exact loss < 1.0e-5`.
    pub(crate) fn picked(&self, word: &str) -> String {
        match self.criterion {
            Criterion::Loss => format!("whose best instance {}", self.has(word)),
            Criterion::Decoded => "at which an instance decodes every possible sample (the \
                                   figures show the lowest-loss instance)"
                .to_owned(),
        }
    }

    /// A phrase after a noun: `with exact loss < 1.0e-5`.
    pub(crate) fn with(&self, word: &str) -> String {
        match self.criterion {
            Criterion::Loss => format!("with {}", self.below(word)),
            Criterion::Decoded => "decoding every possible sample".to_owned(),
        }
    }

    /// A legend entry's words for one solved instance, on two lines.
    pub(crate) fn legend(&self) -> String {
        match self.criterion {
            Criterion::Loss => {
                format!("one instance with\n{}", self.below("loss"))
            }
            Criterion::Decoded => "one instance decoding\nevery sample".to_owned(),
        }
    }
}

#[cfg(test)]
impl Solved {
    /// Solved by the loss threshold `threshold`.
    pub(crate) fn by_loss(threshold: f64) -> Solved {
        Solved {
            criterion: Criterion::Loss,
            threshold,
            relative_loss: false,
        }
    }

    /// Solved by decoding every possible sample.
    pub(crate) fn by_decoding() -> Solved {
        Solved {
            criterion: Criterion::Decoded,
            threshold: report::DEFAULT_THRESHOLD,
            relative_loss: false,
        }
    }
}

/// What [`build`] wrote.
#[derive(Debug, Clone)]
pub struct GeometryFiles {
    /// `geometry.csv`.
    pub geometry_csv: PathBuf,
    /// `geometry_features.csv`.
    pub features_csv: PathBuf,
    /// `geometry_instances.csv`.
    pub instances_csv: PathBuf,
    /// `plots/geometry.json`.
    pub manifest: PathBuf,
    /// The charts, as listed in the manifest.
    pub figures: Vec<ManifestEntry>,
    /// Every file written, in writing order.
    pub files: Vec<PathBuf>,
    /// What was not analysed and why (missing weights, diverged instances).
    pub notes: Vec<String>,
}

/// [`build_with`] with the default options.
pub fn build(dir: &Path) -> Result<GeometryFiles> {
    build_with(dir, &GeometryOptions::default())
}

/// Analyses every config of the run folder `dir` and writes the tables, the charts and the
/// manifest described in the crate docs, each atomically.
///
/// Fails, naming the file, when `runs.csv` is missing or malformed, lists a (config,
/// instance) twice or has rows of one config that disagree on its columns
/// ([`report::check_runs`]), or when a weights file is malformed or disagrees with
/// `runs.csv`.
pub fn build_with(dir: &Path, opts: &GeometryOptions) -> Result<GeometryFiles> {
    report::check_threshold(opts.threshold)?;
    let runs = read_runs(dir)?;
    report::check_runs(&runs).with_context(|| {
        format!(
            "checking {}",
            dir.join(<RunRow as report::Table>::FILE_NAME).display()
        )
    })?;
    if opts.relative_loss {
        report::check_relative(&runs)?;
    }
    let configs = group_runs(&runs);

    let results: Vec<(Option<Analysed>, Vec<String>)> = configs
        .par_iter()
        .map(|rows| analyse::analyse_config(dir, rows, opts.relative_loss))
        .collect::<Result<_>>()?;
    let mut notes = Vec::new();
    let mut analysed = Vec::new();
    for (a, n) in results {
        notes.extend(n);
        analysed.extend(a);
    }

    let mut files = Vec::new();
    let geometry: Vec<GeometryRow> = analysed.iter().flat_map(analyse::geometry_rows).collect();
    let geometry_csv = write_table(dir, &geometry)?;
    let features: Vec<FeatureRow> = analysed.iter().flat_map(analyse::feature_rows).collect();
    let features_csv = write_table(dir, &features)?;
    let instances: Vec<InstanceRow> = analysed.iter().flat_map(analyse::instance_rows).collect();
    let instances_csv = write_table(dir, &instances)?;
    files.extend([
        geometry_csv.clone(),
        features_csv.clone(),
        instances_csv.clone(),
    ]);

    let plot_dir = dir.join("plots");
    let mut stems = Stems::default();
    let solved = Solved {
        criterion: opts.criterion,
        threshold: opts.threshold,
        relative_loss: opts.relative_loss,
    };
    let mut jobs = chart_jobs(&analysed, solved, &mut stems);
    jobs.extend(dims_jobs(&analysed, &instances, &features, &mut stems));
    let figures: Vec<Figure> = jobs.par_iter().map(Job::draw).collect::<Result<_>>()?;
    files.extend(write_figures(&plot_dir, &figures)?);
    let entries: Vec<ManifestEntry> = figures.iter().map(|f| f.entry.clone()).collect();
    let manifest = write_manifest(&plot_dir, &entries)?;
    files.push(manifest.clone());
    remove_stale(&plot_dir, &entries)?;

    Ok(GeometryFiles {
        geometry_csv,
        features_csv,
        instances_csv,
        manifest,
        figures: entries,
        files,
        notes,
    })
}

/// Rows per config, configs in order of first appearance, instances sorted (the rows are
/// checked by [`report::check_runs`]).
fn group_runs(runs: &[RunRow]) -> Vec<Vec<&RunRow>> {
    let mut index: HashMap<&str, usize> = HashMap::new();
    let mut configs: Vec<Vec<&RunRow>> = Vec::new();
    for r in runs {
        let k = *index.entry(&r.config_id).or_insert_with(|| {
            configs.push(Vec::new());
            configs.len() - 1
        });
        configs[k].push(r);
    }
    for rows in &mut configs {
        rows.sort_by_key(|r| r.instance);
    }
    configs
}

/// One chart to draw.
enum Job<'a> {
    Features2d(&'a Analysed, String),
    Gram(&'a Analysed, String, String),
    Norms(&'a Analysed, String, String),
    /// Config, stem, "Shown: …" sentence, which instances are solved.
    Cosines(&'a Analysed, String, String, Solved),
    /// Points, series label, stem, sentence appended to the caption.
    Dims(Vec<DimsPoint>, String, String, String),
}

impl Job<'_> {
    fn draw(&self) -> Result<Figure> {
        match self {
            Job::Features2d(a, stem) => plots::features_2d(a, stem.clone()),
            Job::Gram(a, stem, why) => plots::gram_heatmap(a, stem.clone(), why),
            Job::Norms(a, stem, why) => plots::norm_bars(a, stem.clone(), why),
            Job::Cosines(a, stem, why, solved) => plots::cosine_bars(a, stem.clone(), why, *solved),
            Job::Dims(points, label, stem, about) => {
                let mut fig = plot_dims_per_feature(points, label)?;
                fig.entry.stem = stem.clone();
                fig.entry.caption = format!("{} {about}", fig.entry.caption);
                Ok(fig)
            }
        }
    }
}

/// Stem prefixes of the charts [`build`] draws (and may remove when stale).
const BUILD_KINDS: [&str; 5] = ["features2d", "gram", "norms", "cosines", "dims"];

/// Unique chart stems `geometry_<kind>_<id>` (`_2`, `_3`, … appended on a clash).
#[derive(Default)]
struct Stems(HashSet<String>);

impl Stems {
    fn take(&mut self, kind: &str, id: &str) -> String {
        let base = format!("geometry_{kind}_{}", report::draw::sanitize(id));
        let mut s = base.clone();
        let mut k = 2;
        while !self.0.insert(s.clone()) {
            s = format!("{base}_{k}");
            k += 1;
        }
        s
    }
}

/// The groups charts are selected in: the series (branching, structure, stop_prob,
/// magnitude, seed, and for sparse features n_features, pairs and importance) and depth; for
/// configs without a tree also their data set and feature probabilities.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct GroupKey {
    branching: u32,
    structure: String,
    stop_prob: u64,
    magnitude: String,
    seed: report::Seeds,
    depth: u32,
    n_features: u32,
    correlated_pairs: u32,
    anticorrelated_pairs: u32,
    importance: String,
    /// The data set ([`Analysed::data_set`]), which two data sets with the same n_features,
    /// pairs and mean feature probabilities do not share; empty with a tree.
    data_set: String,
    /// Sorted distinct `f64::to_bits` of the rows' feature probabilities; empty with a tree.
    probabilities: Vec<u64>,
}

fn group_key(a: &Analysed) -> GroupKey {
    let r = &a.config;
    GroupKey {
        branching: r.branching,
        structure: r.structure.clone(),
        stop_prob: r.stop_prob.to_bits(),
        magnitude: r.magnitude.clone(),
        seed: r.seed.clone(),
        depth: r.depth,
        n_features: r.n_features,
        correlated_pairs: r.correlated_pairs,
        anticorrelated_pairs: r.anticorrelated_pairs,
        importance: r.importance.clone(),
        data_set: a.data_set(),
        probabilities: if a.tree.is_some() {
            Vec::new()
        } else {
            a.probability_bits.clone()
        },
    }
}

/// Where a group sits, for the "Shown: …" sentence: `at depth 3`, or without a tree
/// `among the configs with 5 features and p = 0.01`, with `of data set f3-plist-1a2b3c4d`
/// inserted when `named` (another data set's groups would read the same).
fn group_place(a: &Analysed, named: bool) -> String {
    if a.tree.is_some() {
        format!("at depth {}", a.config.depth)
    } else {
        let data_set = if named {
            format!(" of data set {}", a.data_set())
        } else {
            String::new()
        };
        format!(
            "among the configs{data_set} with {} features and {}",
            a.config.n_features,
            a.probability_label()
        )
    }
}

/// The charts of the selection described in the crate docs, in report order.
fn chart_jobs<'a>(analysed: &'a [Analysed], solved: Solved, stems: &mut Stems) -> Vec<Job<'a>> {
    let mut groups: BTreeMap<GroupKey, Vec<&Analysed>> = BTreeMap::new();
    for a in analysed {
        groups.entry(group_key(a)).or_default().push(a);
    }
    // Data sets whose groups would read alike in the "Shown: …" sentence are named there.
    let mut data_sets: HashMap<String, HashSet<String>> = HashMap::new();
    for a in analysed.iter().filter(|a| a.tree.is_none()) {
        data_sets
            .entry(group_place(a, false))
            .or_default()
            .insert(a.data_set());
    }
    let named = |a: &Analysed| a.tree.is_none() && data_sets[&group_place(a, false)].len() > 1;
    let mut jobs = Vec::new();
    for members in groups.values_mut() {
        members.sort_by_key(|a| a.config.n_hidden);
        for a in members.iter().filter(|a| a.config.n_hidden == 2) {
            jobs.push(Job::Features2d(
                a,
                stems.take("features2d", &a.config.config_id),
            ));
        }
        let best_loss = |a: &Analysed| plots::loss_key(a.best_instance().judged_loss);
        // Any solved instance: by the loss that is the best one; a decoding instance need not
        // have the lowest loss (the figures still show the lowest-loss instance).
        let (pick, why) = match members
            .iter()
            .find(|a| a.instances.iter().any(|i| solved.instance(i)))
        {
            Some(a) => (
                *a,
                format!(
                    "Shown: the smallest n_hidden ({}) {} {}.",
                    a.config.n_hidden,
                    solved.picked(a.loss_word()),
                    group_place(a, named(a))
                ),
            ),
            None => {
                let a = *members
                    .iter()
                    .min_by(|x, y| best_loss(x).total_cmp(&best_loss(y)))
                    .expect("groups are not empty");
                (
                    a,
                    format!(
                        "No n_hidden's best instance {} {}; shown: the lowest-loss config \
                         (n_hidden {}).",
                        solved.has(a.loss_word()),
                        group_place(a, named(a)),
                        a.config.n_hidden
                    ),
                )
            }
        };
        let id = &pick.config.config_id;
        jobs.push(Job::Gram(pick, stems.take("gram", id), why.clone()));
        jobs.push(Job::Norms(pick, stems.take("norms", id), why.clone()));
        if pick.tree.is_some() {
            jobs.push(Job::Cosines(pick, stems.take("cosines", id), why, solved));
        }
    }
    jobs
}

/// One dimensions-per-feature chart per sparse series whose instances have at least two
/// distinct feature probabilities, its points computed from the table rows.
fn dims_jobs(
    analysed: &[Analysed],
    instances: &[InstanceRow],
    features: &[FeatureRow],
    stems: &mut Stems,
) -> Vec<Job<'static>> {
    dims::dims_series(analysed)
        .into_iter()
        .filter_map(|series| {
            let ids: HashSet<&str> = series
                .configs
                .iter()
                .map(|a| a.config.config_id.as_str())
                .collect();
            let inst: Vec<InstanceRow> = instances
                .iter()
                .filter(|r| ids.contains(r.config_id.as_str()))
                .cloned()
                .collect();
            let feat: Vec<FeatureRow> = features
                .iter()
                .filter(|r| ids.contains(r.config_id.as_str()))
                .cloned()
                .collect();
            let points = dims_points(&inst, &feat);
            let distinct: HashSet<u64> = points.iter().map(|p| p.x.to_bits()).collect();
            (distinct.len() >= 2).then(|| {
                Job::Dims(
                    points,
                    series.label,
                    stems.take("dims", &series.stem_label),
                    series.description,
                )
            })
        })
        .collect()
}

/// Writes each figure as `plot_dir/<stem>.svg` and `plot_dir/<stem>.png` (rendered from the
/// SVG with the embedded font), atomically, with [`report::draw::write_charts`]; returns the
/// paths written.
pub fn write_figures(plot_dir: &Path, figures: &[Figure]) -> Result<Vec<PathBuf>> {
    let charts: Vec<(&str, &str)> = figures
        .iter()
        .map(|f| (f.entry.stem.as_str(), f.svg.as_str()))
        .collect();
    report::draw::write_charts(plot_dir, &charts)
}

/// Writes `plot_dir/geometry.json` (a JSON array of [`ManifestEntry`]) atomically.
pub fn write_manifest(plot_dir: &Path, entries: &[ManifestEntry]) -> Result<PathBuf> {
    let path = plot_dir.join(MANIFEST);
    report::write_manifest(&path, entries)?;
    Ok(path)
}

/// Reads `plot_dir/geometry.json`.
pub fn read_manifest(plot_dir: &Path) -> Result<Vec<ManifestEntry>> {
    report::read_manifest(&plot_dir.join(MANIFEST))
}

/// Removes this crate's chart files that the new manifest does not list.
fn remove_stale(plot_dir: &Path, entries: &[ManifestEntry]) -> Result<()> {
    let keep: HashSet<&str> = entries.iter().map(|e| e.stem.as_str()).collect();
    let ours = |stem: &str| {
        BUILD_KINDS
            .iter()
            .any(|k| stem.starts_with(&format!("geometry_{k}_")))
    };
    report::draw::remove_stale_charts(plot_dir, ours, &keep)
}

#[cfg(test)]
pub(crate) mod testing {
    /// `W` `[2, F]` row-major from its columns given as (x, y).
    pub(crate) fn w_2d(columns: &[(f32, f32)]) -> Vec<f32> {
        let xs = columns.iter().map(|c| c.0);
        let ys = columns.iter().map(|c| c.1);
        xs.chain(ys).collect()
    }
}
