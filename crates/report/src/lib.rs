//! Analysis tables, plots and a self-contained `index.html` for one tmh run folder.
//!
//! This crate is a pure function of the CSV files in a run folder: it knows nothing of burn,
//! models, training or backends, so `cargo xtask report runs/<name>` can rebuild everything
//! from the CSVs alone. It also owns the run-folder CSV schema ([`RunRow`], [`CurveRow`],
//! [`SummaryRow`], [`MinHiddenRow`]) and the atomic file writer ([`write_atomic`],
//! [`write_table`]) that the sweep crate writes with.
//!
//! # Run folder
//!
//! | file | written by | contents |
//! | --- | --- | --- |
//! | `runs.csv` | sweep | one [`RunRow`] per (config, instance); `wall_s` is the whole group's wall time, repeated on each of its rows; `feature_probability` the mean over features of their marginals |
//! | `curves.csv` | sweep (the report works without it) | one [`CurveRow`] per logged step and instance; `step` is the 0-based index of the step whose train loss (before its update) is logged |
//! | `summary.csv` | [`build`] | one [`SummaryRow`] per config ([`summarize`]) |
//! | `min_hidden.csv` | [`build`] | one [`MinHiddenRow`] per series, depth and aggregate ([`min_hidden`]) |
//! | `plots/*.svg`, `plots/*.png` | [`build`] | the charts, 1000×700, PNG rendered from the SVG |
//! | `figures/*.svg`, `figures/*.png`, `figures/.tmh-figures` | [`build`] | figures for a paper: the answer, loss and heatmap at one column's size (3.25 × 2.4 in, 7–9 pt text, no titles; see below), and the list of them |
//! | `plots/geometry.json`, `plots/geometry_*` | geometry crate (optional) | figures listed as [`ManifestEntry`] |
//! | `geometry*.csv` | geometry crate (optional) | geometry tables, linked from the report |
//! | `index.html` | [`build`] | the report, charts inline, no external reference |
//!
//! # Series
//!
//! Charts and tables group configs into series ([`Series`]): everything but the row and
//! `n_hidden`. A tree series (depth ≥ 1) has its depths as rows, which fix n_features and the
//! feature probabilities. A config of depth 0 has no tree (structure `sparse`, TMS-style
//! features): its data set ([`DataSet`]: n_features, feature probabilities, correlated and
//! anticorrelated pairs, and the data set's id, [`DataSetId`], from `runs.csv`'s `group`) is
//! part of the key, its one row reads `n_features = F`, and the series reads e.g.
//! `sparse F=5, p=0.01, importance 0.9^i, uniform, seed 0`. Two data sets that agree on those
//! columns (a per-feature list and a constant with the same mean, say) are still two series;
//! their labels and file names then name the data set (`sparse F=3, p=0.2, data set
//! f3-plist-1a2b3c4d, uniform, seed 0`). `min_hidden.csv` names it in its `data_set` column
//! (empty for a tree); `summary.csv` names it in `config_id`.
//! Importance is part of every key and named wherever it is not `1`; its label is opaque
//! (`list-<hash>` for a list). Tables and charts that span series keep
//! tree series and series without a tree apart (their rows differ).
//!
//! When the instances of a config differ in feature probability (a per-instance p sweep), the
//! statistics across instances (min, mean, median, sum) mix data sets. Such series stay out of the headline
//! min-hidden table and charts and out of the comparison charts; instead of the heatmap and
//! the loss-vs-n_hidden chart they get a per-instance table (instance, p, 1/p, eval loss per
//! n_hidden) and a chart of eval loss vs 1/(1−S). `summary.csv` and `min_hidden.csv` still
//! list them, with `feature_probability_min` < `feature_probability_max`.
//!
//! # Aggregates and the pass rule
//!
//! A config has several instances; [`Aggregate`] names the statistic across them that is
//! compared with the threshold: `min` (best instance), `mean`, `median` (both over the
//! non-diverged instances) and `sum` (over all instances). The pass rule
//! ([`SummaryRow::passes`]) is the same everywhere (`min_hidden.csv`, heatmap ✓ marks,
//! highlighted summary rows): the value is strictly below the threshold and, for mean, median
//! and sum, no instance diverged; the min may pass beside diverged instances.
//!
//! `sum` is the seed notebook's exact rule: its `calculate_loss` takes the per-instance loss
//! (mean over batch and features) and SUMS it over its 5 instances, and `loss < 1e-5` is applied
//! to that sum, although its note speaks of the average. The headline aggregate
//! ([`ReportOptions::aggregate`], default `mean`, which is what the note intends) decides what
//! the heatmaps, highlighted rows and comparison charts show; `summary.csv` has every statistic
//! and `min_hidden.csv` a row per aggregate whatever the headline.
//!
//! # Relative losses
//!
//! With [`ReportOptions::relative_loss`] every loss (eval, exact, train and the curves') is
//! divided by its instance's bias-only loss (`runs.csv`'s `bias_only_loss`: the loss of the
//! best model without hidden units) as soon as the files are read, so the threshold, the
//! statistics, the charts and the tables all see that ratio; `summary.csv` and
//! `min_hidden.csv` say so in their `relative` column, and titles call it `relative exact
//! loss`. A fixed threshold is looser in deeper trees, whose bias-only loss is smaller.
//!
//! # Pooled seeds
//!
//! With [`ReportOptions::pool_seeds`] the configs that differ only in their seed become one
//! config as soon as the files are read ([`pool_seeds`]): its instances are all of theirs, its
//! id reads `-s0+1+2` and its `seed` column `0+1+2`, so every statistic, table and chart judges
//! them together. `runs.csv` and `curves.csv` keep them apart, and `summary.csv` and
//! `min_hidden.csv` (with the answer tables and charts drawn from it) keep each seed's own
//! rows after the pooled ones.
//!
//! # Figures from other crates
//!
//! When `plots/geometry.json` exists, [`build`] adds a Geometry section that shows every figure
//! it lists (grouped by kind, with title and caption; kinds the report has no heading for,
//! such as a new one, follow the known ones under their own name) and links the geometry
//! tables. The report still reads files only: the manifest is JSON ([`read_manifest`]), the
//! figures are the listed `plots/<stem>.svg` / `.png`. Listed figures without files are left out (and
//! named); a stem that is not a plain file name is an error. An SVG up to 256 KiB is inlined;
//! a larger one (a Gram matrix of 126 features is about 1.5 MB of rectangles) is embedded as
//! its PNG in a `data:` URI instead, so the page stays self-contained, and small (a few MB
//! for a 42-config sweep). Every figure links to both of its files.
//!
//! Other crates draw such figures with this crate's toolkit, [`draw`], so they look alike.
//!
//! # Rounding noise: the display floor
//!
//! Eval losses below [`display_floor`] (= [`NOISE_FLOOR`] × threshold, `1e-8` for the default
//! threshold) are rounding noise of a solved config. Every loss axis and colour scale stops
//! there: such losses are drawn at the floor with a ▼ marker (shifted sideways per series, so
//! that series which all sit at the floor stay visible), the bottom tick reads `≤ 1e-8`, a
//! heatmap cell reads `≤1e-8`, and the figure's footer says so. The CSV files and the HTML
//! tables keep the exact values.
//!
//! # Loss convention
//!
//! Losses are the importance-weighted squared error, MEAN over batch and features, per
//! instance. The TMS paper and other tools SUM over features, so their thresholds are
//! n_features times larger than the ones here.
//!
//! # Figures for a paper
//!
//! The charts are screen pictures. Besides them [`build`] writes `figures/`: the headline answer
//! by depth (`min_hidden`), and per series the loss vs n_hidden (`loss_vs_hidden_<series>`) and
//! the heatmap (`heatmap_<series>`), drawn at the size of one column of a two-column paper (3.25
//! × 2.4 in, the SVG sized in inches, the PNG at 300 dpi), with 8 pt tick labels and legends,
//! 9 pt axis labels, colour-blind-safe colours and no title or footer, so that the caption goes
//! in the paper. `figures/.tmh-figures` lists the figures written, so that a later build
//! removes those it no longer draws and nothing else.
//!
//! # Fonts
//!
//! PNGs are rendered with resvg from the SVG, using DejaVu Sans embedded in the binary
//! (`assets/`, Bitstream Vera licence): no system fonts or fontconfig are needed
//! ([`draw::svg_to_png`]).

mod analysis;
pub mod draw;
mod falling;
mod html;
mod manifest;
mod paper;
mod plots;
mod pool;
mod relative;
mod schema;
mod text;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail, ensure};

pub use analysis::{
    DataSet, Named, Series, SeriesName, count_passing, fmt_p, is_diverged, min_hidden, name_series,
    summarize, tree_label,
};
pub use draw::{PLOT_HEIGHT, PLOT_WIDTH};
pub use falling::{FALL_FACTOR, mark_still_falling, still_falling};
pub use html::{broken_links, links};
pub use manifest::{GEOMETRY_MANIFEST, ManifestEntry, read_manifest, write_manifest};
pub use pool::{Pooled, pool_seeds};
pub use relative::{check_relative, divide_by_bias_only, worse_than_bias_only};
pub use schema::{
    Aggregate, Criterion, CurveRow, DataSetId, MinHiddenRow, PassRule, RunRow, Seeds, SummaryRow,
    Table, read_curves, read_runs, read_table, relative_word, table_to_csv, write_atomic,
    write_table,
};
pub use text::{AnswerTable, Answers, answers, min_hidden_text};

/// The geometry crate's tables, linked from the Geometry section when present.
const GEOMETRY_TABLES: [&str; 3] = [
    "geometry.csv",
    "geometry_features.csv",
    "geometry_instances.csv",
];

/// The threshold of the original notebook: eval loss below 1e-5 counts as "stored".
pub const DEFAULT_THRESHOLD: f64 = 1e-5;

/// Losses below this fraction of the threshold are rounding noise: a solved config ends at
/// 1e-16 in one run, 1e-25 or exactly 0 in another, and those differences mean nothing.
///
/// Charts draw such losses at the *display floor* ([`display_floor`]: this × threshold) with a
/// ▼ marker, and label the bottom of the axis or colour bar `≤ floor`; the CSV files keep the
/// exact values. The sweep's run comparison counts them as the floor too.
pub const NOISE_FLOOR: f64 = 1e-3;

/// The answer tables as Markdown, written by [`build`] beside `min_hidden.csv`.
pub const ANSWERS_MARKDOWN: &str = "min_hidden.md";
/// The answer tables as LaTeX `tabular`s (booktabs), written by [`build`].
pub const ANSWERS_LATEX: &str = "min_hidden.tex";

/// The display floor of `threshold`: [`NOISE_FLOOR`] × threshold (`1e-8` for the default
/// `1e-5`). Losses below it are drawn at it.
pub fn display_floor(threshold: f64) -> f64 {
    NOISE_FLOOR * threshold
}

/// What [`build`] needs besides the run folder.
#[derive(Debug, Clone)]
pub struct ReportOptions {
    /// Eval-loss threshold (strict `<`), in this crate's loss convention (mean over features).
    pub threshold: f64,
    /// The headline statistic across instances (the sweep's `analysis.aggregate`; default
    /// [`Aggregate::Mean`]). It decides the heatmaps' values and ✓ marks, the summary table's
    /// highlighted rows, the comparison charts, the solid line of the loss-vs-n_hidden charts
    /// and which min-n_hidden chart is drawn beside the min's; the min-n_hidden tables show
    /// every aggregate and mark this one. `summary.csv` and `min_hidden.csv` do not depend on
    /// it.
    pub aggregate: Aggregate,
    /// What passes in the headline (the sweep's `analysis.criterion`; default
    /// [`Criterion::Loss`]): the loss threshold, or decoding every possible sample. It decides
    /// what the aggregate decides above, and which min-width row is the headline.
    pub criterion: Criterion,
    /// Whether every loss is divided by its instance's bias-only loss before anything else
    /// (the sweep's `analysis.relative_loss`; see `runs.csv`'s `bias_only_loss`): the threshold
    /// then applies to that ratio, and the statistics, charts and tables show it.
    pub relative_loss: bool,
    /// Whether configs that differ only in their seed are judged as one, whose instances are
    /// all of theirs (the sweep's `analysis.pool_seeds`; see [`pool_seeds`]).
    pub pool_seeds: bool,
    /// Names for series (the sweep's `analysis.labels`; see [`name_series`]).
    pub series_names: Vec<SeriesName>,
    /// Page title.
    pub title: String,
    /// The resolved configuration text, shown verbatim in a `<pre>`.
    pub config_toml: Option<String>,
    /// Extra lines for the notes list: timing, backend, version, …
    pub notes: Vec<String>,
}

impl Default for ReportOptions {
    fn default() -> Self {
        ReportOptions {
            threshold: DEFAULT_THRESHOLD,
            aggregate: Aggregate::Mean,
            criterion: Criterion::Loss,
            relative_loss: false,
            pool_seeds: false,
            series_names: Vec::new(),
            title: "tmh run report".to_owned(),
            config_toml: None,
            notes: Vec::new(),
        }
    }
}

impl ReportOptions {
    /// The headline pass rule: criterion, aggregate and threshold.
    pub fn rule(&self) -> PassRule {
        PassRule {
            criterion: self.criterion,
            aggregate: self.aggregate,
            threshold: self.threshold,
            relative_loss: self.relative_loss,
        }
    }
}

/// The files [`build`] wrote.
#[derive(Debug, Clone)]
pub struct ReportFiles {
    /// `index.html`.
    pub index: PathBuf,
    /// Every file written, `index.html` included, in writing order.
    pub files: Vec<PathBuf>,
}

/// Rebuilds the report of the run folder `dir` from its CSV files.
///
/// Reads `runs.csv` (and `curves.csv` when present); writes `summary.csv`, `min_hidden.csv`,
/// the answer tables as `min_hidden.md` and `min_hidden.tex` ([`Answers`]),
/// `plots/<chart>.svg` and `plots/<chart>.png` for every chart, the figures for a paper in
/// `figures/`, and `index.html`, each atomically. When `plots/geometry.json` exists, the page
/// gets a Geometry section with the figures it lists (see the crate docs); a malformed
/// manifest is an error too. Fails, naming the file, when a CSV is missing or malformed, when
/// `runs.csv` is empty or lists a (config, instance) twice, or when a config's rows disagree on
/// its columns.
pub fn build(dir: &Path, opts: &ReportOptions) -> Result<ReportFiles> {
    check_threshold(opts.threshold)?;
    let mut runs = read_runs(dir)?;
    let runs_path = dir.join(RunRow::FILE_NAME);
    if runs.is_empty() {
        bail!("{} has no rows", runs_path.display());
    }
    check_runs(&runs).with_context(|| format!("checking {}", runs_path.display()))?;
    let mut curves = if dir.join(CurveRow::FILE_NAME).exists() {
        Some(read_curves(dir)?)
    } else {
        None
    };

    check_criterion(opts.criterion, &runs)?;
    let worse = worse_than_bias_only(&runs);
    let worse_note = (!worse.is_empty()).then(|| {
        let mut configs: Vec<&str> = worse.iter().map(|r| r.config_id.as_str()).collect();
        configs.dedup();
        format!(
            "Warning: {} instance(s) of {} config(s) ended with an exact loss above their \
             bias-only loss (a model without hidden units does better), so their training \
             failed: check the learning rate and the steps. First: {}.",
            worse.len(),
            configs.len(),
            configs[0]
        )
    });
    if opts.relative_loss {
        relative::divide_by_bias_only(&mut runs, curves.as_deref_mut())
            .with_context(|| format!("reading {}", runs_path.display()))?;
    }
    // Pooled seeds keep their own answers beside the pooled one: is the answer robust?
    let per_seed = opts.pool_seeds.then(|| (runs.clone(), curves.clone()));
    let pooled = if opts.pool_seeds {
        pool_seeds(&mut runs, curves.as_deref_mut())
    } else {
        Pooled::default()
    };
    let summary = judged_summary(&runs, opts)?;
    let mut min_rows = marked_min_hidden(&summary, curves.as_deref(), opts.threshold);
    // The files list the pooled rows first, then each seed's own, as the report apart writes
    // them; the charts and tables draw from the pooled rows.
    let mut summary_rows = summary.clone();
    if let Some((runs, curves)) = per_seed.filter(|_| !pooled.ids.is_empty()) {
        let summary = judged_summary(&runs, opts)?;
        min_rows.extend(marked_min_hidden(
            &summary,
            curves.as_deref(),
            opts.threshold,
        ));
        summary_rows.extend(summary);
    }
    let mut files = vec![
        write_table(dir, &summary_rows)?,
        write_table(dir, &min_rows)?,
    ];
    // The answer tables for a paper or a README, as the terminal prints them.
    let answers = text::answers(&min_rows, &opts.rule());
    for (name, body) in [
        (ANSWERS_MARKDOWN, answers.markdown()),
        (ANSWERS_LATEX, answers.latex()),
    ] {
        write_atomic(&dir.join(name), body.as_bytes())?;
        files.push(dir.join(name));
    }

    let plot_dir = dir.join("plots");
    let plots = plots::all_plots(&summary, &min_rows, &runs, curves.as_deref(), opts.rule())?;
    let charts: Vec<(&str, &str)> = plots
        .iter()
        .map(|p| (p.stem.as_str(), p.svg.as_str()))
        .collect();
    files.extend(draw::write_charts(&plot_dir, &charts)?);
    let keep: std::collections::HashSet<&str> = charts.iter().map(|c| c.0).collect();
    let ours = |stem: &str| plots::KINDS.iter().any(|k| stem.starts_with(k));
    draw::remove_stale_charts(&plot_dir, ours, &keep)?;

    let figure_dir = dir.join(paper::DIR);
    let figures = paper::figures(&summary, &min_rows, opts.rule())?;
    files.extend(paper::write(&figure_dir, &figures)?);
    let paper = html::Paper {
        figures: (figures.iter())
            .map(|f| {
                let png = figure_dir.join(format!("{}.png", f.stem));
                let bytes =
                    std::fs::read(&png).with_context(|| format!("reading {}", png.display()))?;
                Ok((f.stem.clone(), f.title.clone(), bytes))
            })
            .collect::<Result<_>>()?,
        left_out: paper::left_out(&min_rows),
    };

    let mut data_files = vec![RunRow::FILE_NAME.to_owned()];
    if curves.is_some() {
        data_files.push(CurveRow::FILE_NAME.to_owned());
    }
    data_files.push(SummaryRow::FILE_NAME.to_owned());
    data_files.push(MinHiddenRow::FILE_NAME.to_owned());
    data_files.extend([ANSWERS_MARKDOWN, ANSWERS_LATEX].map(str::to_owned));
    let geometry = manifest::load_listed(dir, GEOMETRY_MANIFEST)?.map(|listed| html::Geometry {
        listed,
        data_files: GEOMETRY_TABLES
            .iter()
            .filter(|f| dir.join(f).is_file())
            .map(|f| (*f).to_owned())
            .collect(),
        pooled_ids: pooled.ids.clone(),
    });
    let page = html::Page {
        opts,
        runs: &runs,
        summary: &summary,
        min_hidden: &min_rows,
        plots: &plots,
        facts: (worse_note.into_iter())
            .chain(facts(&runs, &summary, curves.as_deref(), opts, &pooled))
            .collect(),
        data_files,
        geometry,
        paper,
    };
    let index = dir.join("index.html");
    write_atomic(&index, page.render().as_bytes())?;
    files.push(index.clone());
    Ok(ReportFiles { index, files })
}

/// The summary of `runs` as the report judges it: with its series' names, `n_passing`, and
/// marked relative.
fn judged_summary(runs: &[RunRow], opts: &ReportOptions) -> Result<Vec<SummaryRow>> {
    let mut summary = summarize(runs);
    name_series(&mut summary, &opts.series_names)?;
    count_passing(&mut summary, runs, opts.threshold);
    if opts.relative_loss {
        relative::mark(&mut summary);
    }
    Ok(summary)
}

/// Fails when `names` would make two series of `runs` read as one ([`name_series`]): checked
/// before a folder's analysis is changed.
pub fn check_series_names(runs: &[RunRow], names: &[SeriesName]) -> Result<()> {
    name_series(&mut summarize(runs), names)
}

/// The `min_hidden.csv` rows of `summary`, with their `↓` marks where there are `curves`.
fn marked_min_hidden(
    summary: &[SummaryRow],
    curves: Option<&[CurveRow]>,
    t: f64,
) -> Vec<MinHiddenRow> {
    let mut rows = min_hidden(summary, t);
    if let Some(curves) = curves {
        // An instance below its share of the threshold (the sum's rule: t / n) cannot turn a
        // failing width into a passing one by learning more; only one above it can.
        let instances: HashMap<&str, u32> = (summary.iter())
            .map(|r| (r.config_id.as_str(), r.n_instances.max(1)))
            .collect();
        let floor =
            |id: &str| display_floor(t).max(t / f64::from(instances.get(id).map_or(1, |n| *n)));
        mark_still_falling(&mut rows, summary, &still_falling(curves, floor));
    }
    rows
}

/// Fails when `criterion` is [`Criterion::Decoded`] and a row of `runs` has no decoded
/// fraction, since no width of its config could ever pass: its features are not tree paths
/// with binary magnitudes, or its folder was written before tmh had exact evaluation.
pub fn check_criterion(criterion: Criterion, runs: &[RunRow]) -> Result<()> {
    if criterion == Criterion::Decoded
        && let Some(r) = runs.iter().find(|r| r.decoded.is_none())
    {
        bail!(
            "analysis.criterion = \"decoded\" needs exact evaluation, which config {} has not: \
             tree paths with binary magnitudes have it (independent binary features up to 16 \
             of them), and a group recorded before tmh had \
             it gets it from its saved weights when its sweep command runs again (if they are \
             missing, delete the group's record in groups/ to train it again); else use \
             criterion \"loss\"",
            r.config_id
        );
    }
    Ok(())
}

/// Fails unless `threshold` is a positive finite number (an eval-loss threshold).
pub fn check_threshold(threshold: f64) -> Result<()> {
    ensure!(
        threshold.is_finite() && threshold > 0.0,
        "the threshold must be a positive number, got {threshold}"
    );
    Ok(())
}

/// Checks the rows of `runs.csv`: one seed per row, each (config, instance) once, and every
/// row of a config agreeing on the config columns (all but the instance's own:
/// `feature_probability`, the losses, `wall_s`, `diverged`). Errors give 1-based line numbers of
/// the file.
pub fn check_runs(runs: &[RunRow]) -> Result<()> {
    let mut seen: HashMap<(&str, u32), usize> = HashMap::new();
    let mut first: HashMap<&str, &RunRow> = HashMap::new();
    for (i, r) in runs.iter().enumerate() {
        // Line numbers: 1-based, after the header.
        if r.seed.is_pooled() {
            bail!(
                "config {} has seed {} (line {}): runs.csv holds one seed per row; the report \
                 pools seeds itself (analysis.pool_seeds)",
                r.config_id,
                r.seed,
                i + 2
            );
        }
        if let Some(prev) = seen.insert((&r.config_id, r.instance), i) {
            bail!(
                "config {} instance {} appears twice (lines {} and {})",
                r.config_id,
                r.instance,
                prev + 2,
                i + 2
            );
        }
        let f = first.entry(&r.config_id).or_insert(r);
        let same = f.depth == r.depth
            && f.branching == r.branching
            && f.structure == r.structure
            && f.stop_prob.total_cmp(&r.stop_prob).is_eq()
            && f.magnitude == r.magnitude
            && f.importance == r.importance
            && f.correlated_pairs == r.correlated_pairs
            && f.anticorrelated_pairs == r.anticorrelated_pairs
            && f.n_hidden == r.n_hidden
            && f.n_features == r.n_features
            && f.seed == r.seed;
        if !same {
            bail!(
                "config {} has rows with different config columns (line {})",
                r.config_id,
                i + 2
            );
        }
    }
    Ok(())
}

/// How the report treats seeds: apart, or pooled (`analysis.pool_seeds`) with the instance
/// numbers each seed's instances took.
fn pooling_facts(runs: &[RunRow], pool_seeds: bool, pooled: &Pooled) -> Vec<String> {
    let seeds = Seeds::new(runs.iter().flat_map(|r| r.seed.as_slice().to_vec()));
    let mut facts = match seeds {
        Some(seeds) if pool_seeds && seeds.is_pooled() => vec![format!(
            "Seeds pooled (analysis.pool_seeds): configs that differ only in their seed ({}) \
             are judged as one config whose instances are all of theirs, seed after seed \
             (the smallest seed's instances first, each seed's at the same numbers in every \
             config); runs.csv and curves.csv keep them apart. The sum over instances grows \
             with their number. Each seed's own answers follow the pooled ones (min_hidden.csv \
             rows with one seed), so that the answer's robustness shows.",
            seeds.join(", ")
        )],
        _ if pool_seeds => vec![
            "Seeds pooled (analysis.pool_seeds): the folder has one seed, so there is nothing \
             to pool."
                .to_owned(),
        ],
        Some(seeds) if seeds.is_pooled() => vec![format!(
            "Seeds apart: each of the seeds {} is a series of its own (analysis.pool_seeds = \
             true judges them together).",
            seeds.join(", ")
        )],
        _ => Vec::new(),
    };
    if let Some((id, has)) = pooled.short.first() {
        facts.push(format!(
            "Warning: {} pooled config(s) lack some seeds (an interrupted or growing sweep), so \
             their statistics are over fewer instances than their neighbours'. First: {id}, \
             which has seed(s) {}.",
            pooled.short.len(),
            has.join(", ")
        ));
    }
    facts
}

/// Facts for the notes list, computed from the data.
fn facts(
    runs: &[RunRow],
    summary: &[SummaryRow],
    curves: Option<&[CurveRow]>,
    opts: &ReportOptions,
    pooled: &Pooled,
) -> Vec<String> {
    let diverged = runs.iter().filter(|r| is_diverged(r)).count();
    let mut group_wall: BTreeMap<&str, f64> = BTreeMap::new();
    for r in runs {
        let w = group_wall.entry(&r.group).or_insert(0.0);
        if r.wall_s.is_finite() {
            *w = w.max(r.wall_s);
        }
    }
    let wall: f64 = group_wall.values().sum();
    let mut out = vec![
        format!(
            "Threshold: {} < {} (strict; the exact loss where the data allows, else the eval \
             loss of a sampled batch{}), applied to the min, mean, median and sum over \
             instances; mean, median and sum pass only when no instance diverged.",
            opts.rule().loss_name(),
            draw::fmt_loss(opts.threshold),
            if opts.relative_loss {
                ", divided by the instance's bias-only loss: that of the best model without \
                 hidden units (W = 0, b = E[x]), the importance-weighted mean of the feature \
                 variances (analysis.relative_loss); tables and charts show that ratio"
            } else {
                ""
            }
        ),
        format!(
            "Headline aggregate across instances (analysis.aggregate): {}.",
            opts.aggregate
        ),
        format!(
            "Headline criterion (analysis.criterion): {}: a config passes when {}.",
            opts.criterion,
            opts.rule().describe()
        ),
        format!(
            "Display floor: charts draw {} below {} ({} × threshold: rounding \
             noise of a solved config, exact zeros included) at {} with ▼; tables and CSV files \
             keep the exact values.",
            relative_word(opts.relative_loss, "eval and train losses"),
            draw::fmt_bound(display_floor(opts.threshold)),
            NOISE_FLOOR,
            draw::fmt_bound(display_floor(opts.threshold)),
        ),
        format!(
            "runs.csv: {} instance rows, {} configurations{}, {} series; {} diverged \
             instance(s).",
            runs.len(),
            summary.len(),
            if pooled.ids.is_empty() {
                String::new()
            } else {
                format!(" (pooled from {})", pooled.ids.len())
            },
            analysis::series_of(summary).len(),
            diverged
        ),
        format!(
            "Training wall time: {wall:.1} s in total over {} fused group(s) (sum of each group's wall_s).",
            group_wall.len()
        ),
    ];
    out.extend(pooling_facts(runs, opts.pool_seeds, pooled));
    match curves {
        Some(c) => out.push(format!("curves.csv: {} points.", c.len())),
        None => out.push("curves.csv: absent, so no training-curve charts.".to_owned()),
    }
    out.push(format!(
        "Report built by the report crate {} from the CSV files alone.",
        env!("CARGO_PKG_VERSION")
    ));
    out
}
