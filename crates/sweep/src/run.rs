//! Running a sweep into a resumable run folder, and merging shards' folders.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use report::{CurveRow, ReportOptions, RunRow, write_atomic, write_table};
use toy_model::InstanceInit;
use train::{Engine, Job, JobResult, Progress};

use crate::config::{ConfigError, RunInfo, SweepConfig, analysis_diff, diff, is_analysis_change};
use crate::grid::{Cell, Group, GroupInfo};
use crate::plan::{FolderState, folder_state};
use crate::record::{GroupRecord, untrained_rows};
use crate::shard::shard_groups;
use crate::weights;

/// The resolved config plus the `[run]` table.
pub const CONFIG_FILE: &str = "config.toml";
/// One record per finished group.
pub const GROUPS_DIR: &str = "groups";
/// One safetensors file per config.
pub const WEIGHTS_DIR: &str = "weights";

/// `runs/<name>`: where a sweep goes unless told otherwise.
pub fn default_out(config: &SweepConfig) -> PathBuf {
    Path::new("runs").join(&config.name)
}

/// The folder an earlier tmh would have used for `config`, read from a file without `name`,
/// when that is not [`default_out`] and holds this sweep or one it extends: tmh named such a
/// file "seed" (so its folder was `runs/seed`) before it named it after itself. `None` when
/// `default_out` exists or `runs/seed` holds something this sweep would refuse.
pub fn earlier_default_out(config: &SweepConfig) -> Option<PathBuf> {
    let seed = SweepConfig {
        name: SweepConfig::default().name,
        ..config.clone()
    };
    let (earlier, now) = (default_out(&seed), default_out(config));
    if earlier == now || now.exists() {
        return None;
    }
    let folder = folder_state(&earlier, &seed, None).ok()?;
    let takes = matches!(
        folder.state,
        FolderState::Same { .. } | FolderState::Renamed { .. } | FolderState::Grows { .. }
    );
    takes.then_some(earlier)
}

/// Where a finished group's record lives.
pub fn record_path(out: &Path, group_id: &str) -> PathBuf {
    out.join(GROUPS_DIR).join(format!("{group_id}.json"))
}

/// Where a config's weights live.
pub fn weights_path(out: &Path, config_id: &str) -> PathBuf {
    out.join(WEIGHTS_DIR)
        .join(format!("{config_id}.safetensors"))
}

/// How to run a sweep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunOptions {
    /// `Some((k, n))`: run only shard `k` of `n` (1-based `k`), see [`crate::shard_groups`].
    pub shard: Option<(usize, usize)>,
    /// Groups (or packs) trained at once; 1 (or 0) trains them one after another in grid order
    /// (packs first, see `pack_groups`), more takes them in decreasing cost. Results are the
    /// same either way.
    pub parallel_groups: usize,
    /// Up to this many groups that the engine [`Engine::can_pack`] train as one model
    /// ([`Engine::run_pack`]: the GPU route), taken in decreasing size; 1 (or 0) trains every
    /// group alone. A packed group's results equal its results alone up to float order, which
    /// depends on its pack-mates. Each group is recorded on its own, when its pack finishes: an
    /// interrupted run loses its packs in flight.
    pub pack_groups: usize,
    /// tmh version, recorded in `config.toml` and the report.
    pub version: String,
    /// Git commit of tmh, recorded likewise.
    pub git_commit: String,
}

impl Default for RunOptions {
    fn default() -> Self {
        Self {
            shard: None,
            parallel_groups: 1,
            pack_groups: 1,
            version: env!("CARGO_PKG_VERSION").to_string(),
            git_commit: "unknown".to_string(),
        }
    }
}

/// What a UI (progress bars, logs) hears about a running sweep. Every method has a no-op
/// default; calls may come from several threads when groups run in parallel.
pub trait Observer: Sync {
    /// Before anything trains: every group of this run (shard), in grid order.
    fn sweep_started(&self, _groups: &[GroupInfo]) {}
    /// A group starts training.
    fn group_started(&self, _group: &GroupInfo) {}
    /// A group finished one optimiser step.
    fn step(&self, _group: &GroupInfo, _progress: &Progress<'_>) {}
    /// Groups trained as one pack are recorded; `group_finished` follows for each (with its
    /// share of `wall_s`).
    fn pack_finished(&self, _groups: &[GroupInfo], _wall_s: f64) {}
    /// A group is trained and recorded.
    fn group_finished(&self, _group: &GroupInfo, _wall_s: f64) {}
    /// A group already has a record in the run folder (resume) and is not trained again.
    fn group_skipped(&self, _group: &GroupInfo) {}
    /// Asked before each group or pack starts: `true` starts no further one (those in flight still
    /// finish and are recorded), and [`run`] returns with [`RunSummary::complete`] false.
    fn cancelled(&self) -> bool {
        false
    }
}

/// An [`Observer`] that ignores everything.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoopObserver;

impl Observer for NoopObserver {}

/// What [`run`] did.
#[derive(Debug, Clone, PartialEq)]
pub struct RunSummary {
    /// Groups of this run (its shard, or all).
    pub groups: usize,
    /// Groups trained by this call.
    pub trained: usize,
    /// Groups that already had a record.
    pub skipped: usize,
    /// Diverged (non-finite loss or weight) instances among this run's recorded groups.
    pub diverged: usize,
    /// Wall seconds of this call.
    pub wall_s: f64,
    /// Every group of this run has a record.
    pub complete: bool,
    /// `index.html`, when the report was built (a complete run with at least one row).
    pub report: Option<PathBuf>,
    /// How this call changed the folder's `[analysis]` (`key: old → new`): the config given
    /// differs there from the folder's, say after `tmh report` changed the folder's.
    pub analysis_changes: Vec<String>,
    /// Instances among this run's recorded groups that ended above their bias-only loss
    /// ([`report::worse_than_bias_only`]): their training failed.
    pub worse_than_bias_only: usize,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Creates the folder or checks that it holds a run of the same config (and, when `engine` is
/// given, the same engine), or of a config that `config` extends ([`SweepConfig::extends`]:
/// more grid values; only the new configs will train). Returns the `config.toml` text to
/// write: all of it when the folder is new, the new config with the folder's own `[run]`
/// facts when it extends the folder's or only the analysis differs (that changes the report,
/// not the training), else `None`. The caller writes it once it has read the folder's
/// records, whose older hashes the old text names.
fn prepare_folder(
    out: &Path,
    config: &SweepConfig,
    info: &RunInfo,
    check_engine: bool,
) -> Result<Prepared> {
    let folder = folder_state(out, config, check_engine.then_some(info.engine.as_str()))?;
    let mismatch = |what, diff: &String| ConfigError::FolderMismatch {
        dir: out.display().to_string(),
        what,
        diff: diff.clone(),
    };
    let write_config = match &folder.state {
        FolderState::Refused { diff } => return Err(mismatch("config", diff).into()),
        FolderState::RefusedEngine { diff } => return Err(mismatch("engine", diff).into()),
        FolderState::New | FolderState::Grows { .. } | FolderState::Renamed { .. } => true,
        // Only the analysis may differ: that changes the report, not the training.
        FolderState::Same { analysis } => !analysis.is_empty(),
    };
    let (run_info, analysis_changes) = match folder.existing {
        None => (Some(info.clone()), Vec::new()),
        // The folder's run keeps its own facts (version, engine), or none; the hash is
        // today's (the records are upgraded to it first).
        Some((existing, existing_info)) => (
            existing_info.map(|existing| RunInfo {
                config_hash: info.config_hash.clone(),
                ..existing
            }),
            analysis_diff(&existing, config),
        ),
    };
    for dir in [
        out.to_path_buf(),
        out.join(GROUPS_DIR),
        out.join(WEIGHTS_DIR),
    ] {
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    Ok(Prepared {
        config_text: write_config.then(|| config_text(config, run_info.as_ref())),
        analysis_changes,
    })
}

/// What [`prepare_folder`] found.
struct Prepared {
    /// The `config.toml` text to write, if it changes.
    config_text: Option<String>,
    /// How the folder's `[analysis]` changes (`key: old → new`), if it does.
    analysis_changes: Vec<String>,
}

/// The text of a folder's `config.toml`: the resolved config, then its `[run]` facts if any.
fn config_text(config: &SweepConfig, info: Option<&RunInfo>) -> String {
    match info {
        Some(info) => format!("{}\n{}", config.to_toml(), info.to_toml()),
        None => config.to_toml(),
    }
}

/// The differences between two configs that matter to training, `; `-separated: the
/// `[analysis]` is left out, since it may differ.
pub(crate) fn training_diff(a: &SweepConfig, b: &SweepConfig) -> String {
    let lines: Vec<String> = diff(a, b)
        .into_iter()
        .filter(|line| !is_analysis_change(line))
        .collect();
    lines.join("; ")
}

/// The hashes the group records in `out` may carry for `config`: its own
/// ([`SweepConfig::record_hashes`]) and, for records written while the analysis was part of
/// the hash, those of the config the folder holds (whatever its analysis) and its `[run]`
/// hash.
pub(crate) fn folder_record_hashes(out: &Path, config: &SweepConfig) -> Vec<String> {
    let mut hashes = config.record_hashes();
    if let Ok((existing, info)) = SweepConfig::load_with_run(&out.join(CONFIG_FILE)) {
        hashes.extend(existing.record_hashes());
        hashes.extend(info.map(|i| i.config_hash).filter(|h| !h.is_empty()));
    }
    hashes.dedup();
    hashes
}

/// Records of the grid's groups found in `dir`, by group id. A record of one of `hashes`
/// other than `hash` (written while the analysis was part of the hash) is rewritten with
/// `hash`, so that it no longer depends on the analysis.
fn load_records(
    dir: &Path,
    groups: &[Group],
    hash: &str,
    hashes: &[String],
) -> Result<BTreeMap<String, GroupRecord>> {
    let mut records = BTreeMap::new();
    for group in groups {
        let path = record_path(dir, &group.info.id);
        if path.exists() {
            let before =
                std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
            let read = GroupRecord::read(&path, group, hashes)?;
            // In grid order, which a grown grid may have changed.
            let record = GroupRecord::combine(group, vec![read], hash);
            // Saved when reading changed it (today's hash, columns filled from the config or
            // from the weights), so that the next read need not do that work again.
            let json = record.to_json()?;
            if json != before {
                write_atomic(&path, &json)?;
            }
            records.insert(group.info.id.clone(), record);
        }
    }
    Ok(records)
}

/// Rewrites `runs.csv` and `curves.csv` from the records, in grid order; returns the row count.
fn write_tables(
    out: &Path,
    groups: &[Group],
    records: &BTreeMap<String, GroupRecord>,
) -> Result<usize> {
    let ordered: Vec<&GroupRecord> = groups
        .iter()
        .filter_map(|g| records.get(&g.info.id))
        .collect();
    let runs: Vec<RunRow> = ordered.iter().flat_map(|r| r.run_rows()).collect();
    let curves: Vec<CurveRow> = ordered.iter().flat_map(|r| r.curve_rows()).collect();
    write_table(out, &runs)?;
    write_table(out, &curves)?;
    Ok(runs.len())
}

/// Changes to a run folder's `[analysis]` that [`rebuild_report`] makes first; `None` keeps
/// the folder's value.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AnalysisChange {
    /// `analysis.threshold`.
    pub threshold: Option<f64>,
    /// `analysis.aggregate`.
    pub aggregate: Option<report::Aggregate>,
    /// `analysis.criterion`.
    pub criterion: Option<report::Criterion>,
    /// `analysis.relative_loss`.
    pub relative_loss: Option<bool>,
    /// `analysis.pool_seeds`.
    pub pool_seeds: Option<bool>,
    /// `analysis.labels` entries to set, as (key, name); an empty name removes the key's.
    pub labels: Vec<(String, String)>,
}

/// Rebuilds the tables, plots and report of a run folder from its files alone (`tmh report`),
/// after applying `change` to its `[analysis]` and saving that in its `config.toml` (the
/// analysis is not part of the config's hash: no group needs training again).
pub fn rebuild_report(out: &Path, change: &AnalysisChange) -> Result<PathBuf> {
    let path = out.join(CONFIG_FILE);
    if !path.is_file() {
        bail!(
            "{} is not a run folder: it has no {CONFIG_FILE} (a sweep writes one; `tmh sweep \
             --out DIR` makes a run folder)",
            out.display()
        );
    }
    let (mut config, info) = SweepConfig::load_with_run(&path)?;
    let before = config.clone();
    let a = &mut config.analysis;
    a.threshold = change.threshold.unwrap_or(a.threshold);
    a.aggregate = change.aggregate.unwrap_or(a.aggregate);
    a.criterion = change.criterion.unwrap_or(a.criterion);
    a.relative_loss = change.relative_loss.unwrap_or(a.relative_loss);
    a.pool_seeds = change.pool_seeds.unwrap_or(a.pool_seeds);
    for (key, name) in &change.labels {
        if name.is_empty() {
            a.labels.remove(key);
        } else {
            a.labels.insert(key.clone(), name.clone());
        }
    }
    let changed = diff(&before, &config);
    let runs = report::read_runs(out)?;
    let mut notes = Vec::new();
    if !changed.is_empty() {
        // Refused before anything is written: the folder keeps its analysis and report. The
        // `[run]` facts stay, its hash too: the records' hash may still be that one.
        config.validate()?;
        report::check_criterion(config.analysis.criterion, &runs)?;
        report::check_series_names(&runs, &config.series_names())?;
        if config.analysis.relative_loss {
            report::check_relative(&runs)?;
        }
        write_atomic(&path, config_text(&config, info.as_ref()).as_bytes())?;
        notes.push(format!(
            "Analysis changed by `tmh report` (no training): {}.",
            changed.join("; ")
        ));
    }
    if let Some(info) = info {
        notes.push(format!(
            "Engine: {}; tmh {} (commit {}).",
            info.engine, info.version, info.git_commit
        ));
    }
    notes.push("Rebuilt from the run folder's CSV files by `tmh report`.".to_string());
    build_report(out, &config, runs.len(), notes)?
        .with_context(|| format!("{} has no runs to report", out.display()))
}

impl std::fmt::Display for RunSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} group(s): {} trained, {} resumed, in {:.1} s",
            self.groups, self.trained, self.skipped, self.wall_s
        )?;
        if self.diverged > 0 {
            write!(f, "; {} instance(s) diverged", self.diverged)?;
        }
        if self.worse_than_bias_only > 0 {
            write!(
                f,
                "; {} instance(s) ended worse than a model without hidden units (training \
                 failed: see the report)",
                self.worse_than_bias_only
            )?;
        }
        if !self.complete {
            write!(f, " (incomplete: rerun the same command to resume)")?;
        }
        if !self.analysis_changes.is_empty() {
            write!(
                f,
                "\nanalysis changed to this command's (no training): {}",
                self.analysis_changes.join("; ")
            )?;
        }
        Ok(())
    }
}

/// Builds the report when the tables have rows.
fn build_report(
    out: &Path,
    config: &SweepConfig,
    rows: usize,
    notes: Vec<String>,
) -> Result<Option<PathBuf>> {
    if rows == 0 {
        return Ok(None);
    }
    let mut notes = notes;
    notes.push(format!("Config hash: {}.", config.hash()));
    // Geometry first: the report embeds the figures its manifest lists.
    let geometry_options = geometry::GeometryOptions {
        threshold: config.analysis.threshold,
        criterion: config.analysis.criterion,
        relative_loss: config.analysis.relative_loss,
    };
    let geometry = geometry::build_with(out, &geometry_options).with_context(|| {
        format!(
            "analysing the geometry of {} (training results are saved)",
            out.display()
        )
    })?;
    notes.extend(geometry.notes);
    let opts = ReportOptions {
        threshold: config.analysis.threshold,
        aggregate: config.analysis.aggregate,
        criterion: config.analysis.criterion,
        relative_loss: config.analysis.relative_loss,
        pool_seeds: config.analysis.pool_seeds,
        series_names: config.series_names(),
        title: format!("tmh sweep: {}", config.name),
        config_toml: Some(config.to_toml()),
        notes,
    };
    let files = report::build(out, &opts).with_context(|| {
        format!(
            "building the report of {} (training results are saved)",
            out.display()
        )
    })?;
    Ok(Some(files.index))
}

/// Everything a group's training needs besides the group.
struct GroupContext<'a> {
    out: &'a Path,
    /// Every group of the grid, whole.
    groups: &'a [Group],
    /// Records of groups whose other configs were trained before: the new ones join them.
    priors: &'a BTreeMap<String, GroupRecord>,
    config_toml: String,
    hash: String,
    engine: &'a dyn Engine,
    engine_name: String,
    train: train::TrainConfig,
    observer: &'a dyn Observer,
}

/// The order and packing of the groups to train: the ones the engine can pack, largest first
/// (by features, then cost: a pack pads to its largest), in as few packs of up to
/// `pack_groups` as possible, of near-equal sizes (9 groups in packs of 8 are 5 + 4, not
/// 8 + 1: the same steps, less padding); then every other group alone, in the order given.
fn packs<'g>(
    pending: Vec<&'g Group>,
    engine: &dyn Engine,
    train: &train::TrainConfig,
    pack_groups: usize,
) -> Vec<Vec<&'g Group>> {
    if pack_groups <= 1 {
        return pending.into_iter().map(|g| vec![g]).collect();
    }
    let can_pack = |group: &Group| {
        let (inits, importance) = (group.instance_inits(), group.importance());
        engine.can_pack(&job(group, &inits, &importance, train))
    };
    let (mut packable, alone): (Vec<&Group>, Vec<&Group>) =
        pending.into_iter().partition(|g| can_pack(g));
    packable.sort_by_key(|g| std::cmp::Reverse((g.info.n_features, g.info.cost)));
    let size = packable
        .len()
        .div_ceil(packable.len().div_ceil(pack_groups).max(1));
    (packable.chunks(size.max(1)).map(<[_]>::to_vec))
        .chain(alone.into_iter().map(|g| vec![g]))
        .collect()
}

fn job<'a>(
    group: &'a Group,
    instances: &'a [InstanceInit],
    importance: &'a [f32],
    config: &'a train::TrainConfig,
) -> Job<'a> {
    Job {
        data: &group.data,
        instances,
        importance,
        config,
    }
}

/// Trains a pack of groups in one engine call (see [`RunOptions::pack_groups`]), then
/// commits each: its weights, then its record (the commit point). A packed group records an
/// equal share of the pack's wall time, so that their sum stays the training time; that share
/// is returned too (a grown group's record also counts its earlier training).
fn train_groups(pack: &[&Group], ctx: &GroupContext<'_>) -> Result<(Vec<GroupRecord>, f64)> {
    for group in pack {
        ctx.observer.group_started(&group.info);
    }
    let inits: Vec<Vec<InstanceInit>> = pack.iter().map(|g| g.instance_inits()).collect();
    let importance: Vec<Vec<f32>> = pack.iter().map(|g| g.importance()).collect();
    let jobs: Vec<Job> = (pack.iter().zip(&inits).zip(&importance))
        .map(|((group, instances), importance)| job(group, instances, importance, &ctx.train))
        .collect();
    let start = Instant::now();
    let results = ctx.engine.run_pack(&jobs, &mut |j, p: Progress<'_>| {
        ctx.observer.step(&pack[j].info, &p)
    });
    if results.len() != pack.len() {
        bail!(
            "engine {} returned {} results for {} groups",
            ctx.engine_name,
            results.len(),
            pack.len()
        );
    }
    let wall_s = start.elapsed().as_secs_f64() / pack.len() as f64;
    let records = (pack.iter().zip(&results))
        .map(|(group, result)| {
            commit_group(group, result, wall_s, ctx)
                .with_context(|| format!("training group {}", group.info.id))
        })
        .collect::<Result<_>>()?;
    Ok((records, wall_s))
}

/// Writes a trained group's weights, then its record (the commit point).
fn commit_group(
    group: &Group,
    result: &JobResult,
    wall_s: f64,
    ctx: &GroupContext<'_>,
) -> Result<GroupRecord> {
    let results = group.split(result)?;
    for (cell, cell_result) in group.cells.iter().zip(&results) {
        let mut meta = weights::metadata(cell, &ctx.config_toml, &ctx.hash);
        meta.insert("engine".to_string(), ctx.engine_name.clone());
        let bytes = weights::encode(cell, cell_result, meta)
            .with_context(|| format!("encoding the weights of {}", cell.id))?;
        write_atomic(&weights_path(ctx.out, &cell.id), &bytes)?;
    }
    let mut record = GroupRecord::new(group, &results, wall_s, &ctx.hash, &ctx.engine_name);
    if let Some(prior) = ctx.priors.get(&group.info.id) {
        let whole = (ctx.groups.iter())
            .find(|g| g.info.id == group.info.id)
            .context("a group of configs recorded before is not in the grid")?;
        record = GroupRecord::combine(whole, vec![prior.clone(), record], &ctx.hash);
    }
    write_atomic(&record_path(ctx.out, &group.info.id), &record.to_json()?)?;
    Ok(record)
}

/// A group as `merge` assembles it: its record, and the shard folder of each config's weights.
type MergedGroup<'a> = (&'a Group, GroupRecord, Vec<(&'a Cell, &'a PathBuf)>);

/// Whether `record` holds every config of `group`.
fn covers(record: &GroupRecord, group: &Group) -> bool {
    record.configs().len() == group.cells.len()
}

/// Runs the sweep (or one shard of it) into the run folder `out`, resuming what is there.
///
/// Refuses, before training anything, an invalid config, a bad shard, or a folder holding a
/// run of another config or engine. Each finished group writes its weights, then its record
/// (the commit point), then `runs.csv` and `curves.csv` again from every record; a killed run
/// loses only the groups (and packs, see [`RunOptions::pack_groups`]) in flight. When every
/// group of this run is recorded, builds the report with [`report::build`].
pub fn run(
    config: &SweepConfig,
    out: &Path,
    engine: &dyn Engine,
    opts: &RunOptions,
    observer: &dyn Observer,
) -> Result<RunSummary> {
    let start = Instant::now();
    config.validate()?;
    let groups = config.groups();
    // A name that reads like another series' own name is refused before anything trains.
    if !config.analysis.labels.is_empty() {
        report::check_series_names(&untrained_rows(&groups), &config.series_names())?;
    }
    let selected: Vec<&Group> = match opts.shard {
        Some((k, n)) => shard_groups(&groups, k, n)?,
        None => groups.iter().collect(),
    };
    let hash = config.hash();
    let engine_name = engine.name();
    let info = RunInfo {
        version: opts.version.clone(),
        git_commit: opts.git_commit.clone(),
        engine: engine_name.clone(),
        config_hash: hash.clone(),
    };
    let hashes = folder_record_hashes(out, config);
    let prepared = prepare_folder(out, config, &info, true)?;
    let new_config = prepared.config_text;
    let records = load_records(out, &groups, &hash, &hashes)?;
    if let Some(text) = new_config {
        write_atomic(&out.join(CONFIG_FILE), text.as_bytes())?;
    }

    // What each group still has to train: all of it, nothing, or (a grid extended with more
    // widths) the configs its record lacks, whose record it then joins ([`commit_group`]).
    let mut to_train: Vec<Group> = Vec::new();
    let mut priors: BTreeMap<String, GroupRecord> = BTreeMap::new();
    let mut done: Vec<&Group> = Vec::new();
    for group in &selected {
        match records.get(&group.info.id) {
            Some(record) if covers(record, group) => done.push(group),
            Some(record) => {
                let recorded = record.configs();
                let missing: Vec<&str> = (group.cells.iter())
                    .map(|c| c.id.as_str())
                    .filter(|id| !recorded.contains(id))
                    .collect();
                to_train.extend(group.subset(&missing));
                priors.insert(group.info.id.clone(), record.clone());
            }
            None => to_train.push((*group).clone()),
        }
    }
    // The work this invocation sees: recorded groups (skipped at once), then what trains.
    let infos: Vec<GroupInfo> = (done.iter().map(|g| g.info.clone()))
        .chain(to_train.iter().map(|g| g.info.clone()))
        .collect();
    observer.sweep_started(&infos);
    for group in &done {
        observer.group_skipped(&group.info);
    }
    let skipped = done.len();
    let mut packs = packs(
        to_train.iter().collect(),
        engine,
        &config.train.train_config(),
        opts.pack_groups,
    );
    if opts.parallel_groups > 1 {
        // Costliest unit first, packs and lone groups alike, so none starts last and holds up
        // the end. Stable: equal costs keep grid order.
        packs.sort_by_key(|pack| std::cmp::Reverse(pack.iter().map(|g| g.info.cost).sum::<u64>()));
    }
    let workers = opts.parallel_groups.clamp(1, packs.len().max(1));

    let ctx = GroupContext {
        out,
        groups: &groups,
        priors: &priors,
        config_toml: config.to_toml(),
        hash: hash.clone(),
        engine,
        engine_name: engine_name.clone(),
        train: config.train.train_config(),
        observer,
    };
    let records = Mutex::new(records);
    let first_error: Mutex<Option<anyhow::Error>> = Mutex::new(None);
    let stop = AtomicBool::new(false);
    let next = AtomicUsize::new(0);
    let trained = AtomicUsize::new(0);
    let fail = |e: anyhow::Error| {
        lock(&first_error).get_or_insert(e);
        stop.store(true, Ordering::SeqCst);
    };
    let work = || {
        loop {
            if stop.load(Ordering::SeqCst) || observer.cancelled() {
                break;
            }
            let Some(pack) = packs.get(next.fetch_add(1, Ordering::SeqCst)) else {
                break;
            };
            match train_groups(pack, &ctx) {
                Ok((new, wall_s)) => {
                    let written = {
                        let mut records = lock(&records);
                        for (group, record) in pack.iter().zip(&new) {
                            records.insert(group.info.id.clone(), record.clone());
                        }
                        write_tables(out, &groups, &records)
                    };
                    trained.fetch_add(new.len(), Ordering::SeqCst);
                    if let Err(e) = written {
                        fail(e);
                    }
                    if pack.len() > 1 {
                        let infos: Vec<GroupInfo> = pack.iter().map(|g| g.info.clone()).collect();
                        observer.pack_finished(&infos, wall_s * pack.len() as f64);
                    }
                    for group in pack {
                        observer.group_finished(&group.info, wall_s);
                    }
                }
                Err(e) => fail(e),
            }
        }
    };
    if workers == 1 {
        work();
    } else {
        std::thread::scope(|scope| {
            for _ in 0..workers {
                scope.spawn(work);
            }
        });
    }
    if let Some(e) = first_error
        .into_inner()
        .unwrap_or_else(PoisonError::into_inner)
    {
        return Err(e);
    }

    let records = records.into_inner().unwrap_or_else(PoisonError::into_inner);
    let rows = write_tables(out, &groups, &records)?;
    let worse_than_bias_only = (selected.iter())
        .filter_map(|g| records.get(&g.info.id))
        .map(|r| report::worse_than_bias_only(&r.run_rows().collect::<Vec<_>>()).len())
        .sum();
    let complete = (selected.iter()).all(|g| records.get(&g.info.id).is_some_and(|r| covers(r, g)));
    let diverged = selected
        .iter()
        .filter_map(|g| records.get(&g.info.id))
        .map(GroupRecord::diverged)
        .sum();
    let trained = trained.into_inner();
    let report = if complete {
        let wall_s = start.elapsed().as_secs_f64();
        let mut notes = vec![
            format!(
                "Engine: {engine_name}; tmh {} (commit {}).",
                opts.version, opts.git_commit
            ),
            format!(
                "This invocation: {wall_s:.1} s wall, {trained} group(s) trained, {skipped} resumed from records."
            ),
        ];
        if !prepared.analysis_changes.is_empty() {
            notes.push(format!(
                "Analysis changed by this sweep command (no training): {}.",
                prepared.analysis_changes.join("; ")
            ));
        }
        if let Some((k, n)) = opts.shard {
            // Shards may share a folder; then it holds more than this shard's groups.
            let others = records.len() - selected.len();
            let held = if others > 0 {
                format!(" This folder also holds {others} group(s) of other shards.")
            } else {
                String::new()
            };
            notes.push(format!(
                "Shard {k}/{n}: {} of the sweep's {} group(s).{held}",
                selected.len(),
                groups.len()
            ));
        }
        build_report(out, config, rows, notes)?
    } else {
        None
    };
    Ok(RunSummary {
        groups: selected.len(),
        trained,
        skipped,
        diverged,
        wall_s: start.elapsed().as_secs_f64(),
        complete,
        report,
        analysis_changes: prepared.analysis_changes,
        worse_than_bias_only,
    })
}

/// Merges the run folders of a sweep's shards into `out` (which may be one of them).
///
/// Every shard's `config.toml` must hold the same config (else the error shows the
/// difference), and every config of the sweep must be recorded in some shard (else the error
/// names the missing configs). Assembles each group's record config by config (each from the
/// first shard that records it: a grown shard's records may hold part of a group) and copies
/// those configs' weights, then rewrites `runs.csv` and `curves.csv` and builds the report.
pub fn merge(dirs: &[PathBuf], out: &Path) -> Result<()> {
    let Some(first) = dirs.first() else {
        bail!("merge needs at least one shard folder");
    };
    // The same folder twice (`merge a a`, or `a` and `./a`) is a typo, not two shards.
    let canonical: Vec<PathBuf> = dirs
        .iter()
        .map(|d| {
            d.canonicalize()
                .with_context(|| format!("reading {}", d.display()))
        })
        .collect::<Result<_>>()?;
    for (j, dir) in canonical.iter().enumerate() {
        if let Some(i) = canonical[..j].iter().position(|d| d == dir) {
            bail!(
                "{} and {} are the same folder; list each shard once",
                dirs[i].display(),
                dirs[j].display()
            );
        }
    }
    let load = |dir: &PathBuf| SweepConfig::load_with_run(&dir.join(CONFIG_FILE));
    let (config, first_info) = load(first)?;
    let hash = config.hash();
    let mut record_hashes = Vec::new();
    let mut engines: Vec<String> = Vec::new();
    for dir in dirs {
        let (other, info) = load(dir)?;
        record_hashes.extend(folder_record_hashes(dir, &other));
        if other.hash() != hash {
            bail!(
                "{} holds a different config than {} ({}); only shards of one config can be merged",
                dir.display(),
                first.display(),
                training_diff(&config, &other)
            );
        }
        let engine = info.map(|i| i.engine).unwrap_or_default();
        if !engine.is_empty() && !engines.contains(&engine) {
            engines.push(engine);
        }
    }

    let groups = config.groups();
    // Per group, its record assembled from the shards (a grown folder's record may hold some
    // of a group's configs only: each config comes from the first shard that records it), and
    // where each config's weights are.
    let mut sources: Vec<MergedGroup> = Vec::new();
    let mut missing = Vec::new();
    for group in &groups {
        let mut parts = Vec::new();
        let mut taken: Vec<(&Cell, &PathBuf)> = Vec::new();
        for dir in dirs {
            let path = record_path(dir, &group.info.id);
            if !path.exists() {
                continue;
            }
            let record = GroupRecord::read(&path, group, &record_hashes)?;
            let new: Vec<&str> = (record.configs().into_iter())
                .filter(|id| !taken.iter().any(|(c, _)| c.id == *id))
                .collect();
            for id in &new {
                let cell = group
                    .cells
                    .iter()
                    .find(|c| c.id == *id)
                    .context("checked")?;
                let w = weights_path(dir, id);
                if !w.exists() {
                    bail!(
                        "{} is missing although group {} records it there",
                        w.display(),
                        group.info.id
                    );
                }
                taken.push((cell, dir));
            }
            if !new.is_empty() {
                parts.push(record.restricted(&new));
            }
        }
        let lacking: Vec<&str> = (group.cells.iter())
            .filter(|c| !taken.iter().any(|(t, _)| t.id == c.id))
            .map(|c| c.id.as_str())
            .collect();
        if lacking.is_empty() {
            sources.push((group, GroupRecord::combine(group, parts, &hash), taken));
        } else {
            missing.extend(lacking.into_iter().map(str::to_owned));
        }
    }
    if !missing.is_empty() {
        let shards: Vec<String> = dirs.iter().map(|d| d.display().to_string()).collect();
        bail!(
            "config(s) {} are missing from every shard ({}); finish their shards, then merge again",
            missing.join(", "),
            shards.join(", ")
        );
    }

    let first_info = first_info.unwrap_or_default();
    let info = RunInfo {
        version: first_info.version,
        git_commit: first_info.git_commit,
        engine: engines.join("+"),
        config_hash: hash.clone(),
    };
    if let Some(text) = prepare_folder(out, &config, &info, false)?.config_text {
        write_atomic(&out.join(CONFIG_FILE), text.as_bytes())?;
    }
    let same_folder = |dir: &Path| match (dir.canonicalize(), out.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    let mut records = BTreeMap::new();
    for (group, record, weights) in sources {
        for (cell, dir) in weights {
            if !same_folder(dir) {
                let from = weights_path(dir, &cell.id);
                let bytes =
                    std::fs::read(&from).with_context(|| format!("reading {}", from.display()))?;
                write_atomic(&weights_path(out, &cell.id), &bytes)?;
            }
        }
        // Written as assembled: today's hash, exact evaluation where it was added on reading.
        write_atomic(&record_path(out, &group.info.id), &record.to_json()?)?;
        records.insert(group.info.id.clone(), record);
    }
    let rows = write_tables(out, &groups, &records)?;
    let shards: Vec<String> = dirs.iter().map(|d| d.display().to_string()).collect();
    let notes = vec![
        format!(
            "Merged from {} shard folder(s): {}.",
            dirs.len(),
            shards.join(", ")
        ),
        format!(
            "Engine(s): {}; tmh {} (commit {}).",
            info.engine, info.version, info.git_commit
        ),
    ];
    build_report(out, &config, rows, notes)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use report::Aggregate;

    /// An engine that packs every job (and is never asked to train).
    struct PacksAll;

    impl Engine for PacksAll {
        fn name(&self) -> String {
            "packs-all".to_string()
        }
        fn run(&self, _job: &Job, _on_step: &mut dyn FnMut(Progress)) -> JobResult {
            unreachable!("only packing is planned here")
        }
        fn can_pack(&self, _job: &Job) -> bool {
            true
        }
    }

    #[test]
    fn packs_are_as_few_as_the_cap_allows_and_near_equal_largest_first() {
        let config = SweepConfig::default(); // the seed sweep: depths 1..6, one group each
        let groups = config.groups();
        let train = config.train.train_config();
        // n_features = 2^(d+1) - 2, so its ilog2 is the depth.
        let depths = |cap: usize| -> Vec<Vec<u32>> {
            let pending: Vec<&Group> = groups.iter().collect();
            (packs(pending, &PacksAll, &train, cap).iter())
                .map(|p| p.iter().map(|g| g.info.n_features.ilog2()).collect())
                .collect()
        };
        assert_eq!(depths(8), [vec![6, 5, 4, 3, 2, 1]]);
        assert_eq!(depths(5), [vec![6, 5, 4], vec![3, 2, 1]]);
        assert_eq!(depths(4), [vec![6, 5, 4], vec![3, 2, 1]]);
        assert_eq!(depths(2), [vec![6, 5], vec![4, 3], vec![2, 1]]);
        assert_eq!(
            depths(1),
            [[1], [2], [3], [4], [5], [6]].map(|d| d.to_vec())
        );
    }

    /// The label check before training sees each config as its `runs.csv` rows describe it:
    /// trees and a data set with per-instance probabilities, two importances.
    #[test]
    fn untrained_rows_describe_configs_as_their_trained_rows_do() {
        let config = SweepConfig::from_toml_str(
            r#"
            [grid]
            depths = [1, 2]
            n_hidden = [2]
            magnitude = ["uniform"]
            importance = [1.0, { decay = 0.8 }]
            features = [{ n_features = 3, feature_probability = [0.1, 0.2, 0.3] }]
            [train]
            instances = 3
            steps = 4
            batch = 16
            eval_batch = 16
            log_every = 2
            "#,
        )
        .unwrap();
        let tmp = tempfile::tempdir().unwrap();
        let engine = train::FusedCpuEngine::default();
        run(
            &config,
            tmp.path(),
            &engine,
            &RunOptions::default(),
            &NoopObserver,
        )
        .unwrap();
        // What training adds: losses, decoding, time and the diverged flag.
        let described = |rows: Vec<RunRow>| -> Vec<RunRow> {
            let mut rows: Vec<RunRow> = (rows.into_iter())
                .map(|r| RunRow {
                    train_loss: 0.0,
                    eval_loss: 0.0,
                    exact_loss: None,
                    decoded: None,
                    max_error: None,
                    wall_s: 0.0,
                    diverged: false,
                    ..r
                })
                .collect();
            rows.sort_by(|a, b| (&a.config_id, a.instance).cmp(&(&b.config_id, b.instance)));
            rows
        };
        let trained = described(report::read_table(tmp.path()).unwrap());
        assert_eq!(trained.len(), (2 + 1) * 2 * 3);
        assert_eq!(described(untrained_rows(&config.groups())), trained);
    }

    /// An instance of the depth-2 tree config of width `n_hidden`.
    fn row(n_hidden: u32, instance: u32, eval_loss: f64) -> RunRow {
        RunRow::seed_example(2, n_hidden, instance, eval_loss)
    }

    #[test]
    fn the_rebuilt_report_headlines_the_folders_aggregate() {
        // Width 3: three instances at 4e-6, so the mean passes 1e-5 and the sum (1.2e-5) does
        // not; width 4 passes both.
        let runs: Vec<RunRow> = (0..3)
            .map(|i| row(3, i, 4e-6))
            .chain((0..3).map(|i| row(4, i, 1e-7)))
            .collect();
        for (aggregate, green) in [(Aggregate::Mean, 2), (Aggregate::Sum, 1)] {
            let tmp = tempfile::tempdir().unwrap();
            let dir = tmp.path();
            let mut config = SweepConfig::default();
            config.analysis.aggregate = aggregate;
            std::fs::write(dir.join(CONFIG_FILE), config.to_toml()).unwrap();
            write_table(dir, &runs).unwrap();
            let index = rebuild_report(dir, &AnalysisChange::default()).unwrap();
            let html = std::fs::read_to_string(index).unwrap();
            assert!(html.contains(&format!(
                "Headline aggregate across instances (analysis.aggregate): {aggregate}."
            )));
            assert!(html.contains(&format!(
                "<th class=\"headline\" title=\"headline aggregate\">{aggregate}</th>"
            )));
            assert_eq!(
                html.matches("<tr class=\"pass\">").count(),
                green,
                "{aggregate}"
            );
            assert!(
                dir.join(format!("plots/min_hidden_{aggregate}.svg"))
                    .is_file()
            );
        }
    }
}
