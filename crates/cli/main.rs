//! `tmh`: the thin binary on top of the tmh crates.
//!
//! It parses arguments, picks the backend (the only code that names one), draws progress, and
//! hands everything else to the `sweep`, `train` and `report` crates.

/// `eprintln!` that ignores a closed stderr (`tmh sweep … 2>&1 | head`) instead of panicking:
/// the run folder is a sweep's result, and losing its log must not stop it.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

/// `println!` that ignores a closed stdout, as [`say!`] does for stderr.
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

mod backend;
mod bench;
mod interrupt;
mod progress;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use std::path::PathBuf;

// burn's allocation-heavy autodiff path runs about twice as fast on mimalloc.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "tmh",
    version,
    about = "Toy models of hierarchy: how much hidden width a tied ReLU autoencoder needs to store a feature tree"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a sweep (the seed's full experiment by default) into a run folder.
    Sweep(SweepArgs),
    /// Rebuild summary tables, plots and index.html of a run folder from its CSV files alone.
    ///
    /// The options change the folder's `[analysis]` first (saved in its config.toml; no
    /// training): e.g. `--criterion decoded`, `--aggregate min`, `--relative-loss true`,
    /// `--pool-seeds true` or `--label tree0="no early stopping"`.
    Report {
        /// The run folder.
        dir: PathBuf,
        /// Loss threshold (analysis.threshold).
        #[arg(long)]
        threshold: Option<f64>,
        /// Headline statistic across instances (analysis.aggregate): min, mean, median or sum.
        #[arg(long)]
        aggregate: Option<report::Aggregate>,
        /// Headline criterion (analysis.criterion): `loss` (the aggregate's loss below the
        /// threshold) or `decoded` (its instances decode every possible sample; binary tree paths,
        /// or up to 16 binary independent features).
        #[arg(long)]
        criterion: Option<report::Criterion>,
        /// Whether the threshold applies to each loss divided by its instance's bias-only
        /// loss, the loss without hidden units (analysis.relative_loss): true or false.
        #[arg(long, value_name = "BOOL")]
        relative_loss: Option<bool>,
        /// Whether configs that differ only in their seed are judged as one, whose instances
        /// are all of theirs (analysis.pool_seeds): true or false.
        #[arg(long, value_name = "BOOL")]
        pool_seeds: Option<bool>,
        /// Name a series in tables, legends and titles (analysis.labels): KEY as config ids
        /// name its structure or data set (`tree0`, `tree0.5`, `indep0.5`, `f5-p0.01`);
        /// an empty NAME gives back tmh's own. Repeatable.
        #[arg(long = "label", value_name = "KEY=NAME", value_parser = parse_label)]
        labels: Vec<(String, String)>,
    },
    /// Combine the run folders of `--shard K/N` runs of one config into one.
    Merge {
        /// The shard folders.
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        /// Where the merged run folder goes.
        #[arg(long)]
        out: PathBuf,
    },
    /// Compare the eval losses of two run folders of the same sweep (e.g. two backends).
    Compare {
        /// Run folder A.
        a: PathBuf,
        /// Run folder B.
        b: PathBuf,
        /// Largest allowed per-cell ratio of geometric-mean eval losses.
        #[arg(long, default_value_t = 2.0)]
        max_ratio: f64,
    },
    /// List the backends and whether this binary has them.
    Backends,
    /// Time the fused CPU engine against burn backends per depth group of the seed sweep.
    Bench {
        /// Steps timed per group on the fused engine.
        #[arg(long, default_value_t = 300)]
        fused_steps: u64,
        /// Steps timed per group on each reference backend.
        #[arg(long, default_value_t = 20)]
        reference_steps: u64,
        /// The reference backends, comma-separated (e.g. ndarray,flex): each is timed on every
        /// group, taking turns with the fused engine, and the later ones are also compared
        /// with the first. `NAME+OPTION` sets a `--gradients` or `--upload` value, e.g.
        /// tch-cpu,tch-cpu+by-hand.
        #[arg(long, value_delimiter = ',', default_value = "ndarray")]
        reference: Vec<String>,
        /// Also run the full seed sweep end to end and report its wall time and peak memory.
        #[arg(long)]
        full: bool,
    },
}

#[derive(clap::Args)]
struct SweepArgs {
    /// Experiment file (TOML); without it, the seed's sweep.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Run folder; default runs/<name from the config>.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Training backend (see `tmh backends`).
    #[arg(long, default_value = backend::DEFAULT)]
    backend: String,
    /// Device for GPU backends, e.g. cuda:1 (default cuda:0).
    #[arg(long)]
    device: Option<String>,
    /// How the burn backends move a batch to the device: `dense` (built on the host),
    /// `sparse` (entries only, scattered on the device) or `counts` (tree paths: the distinct
    /// rows stay on the device, each step sends how many samples end at each node; other data
    /// as `sparse`). Default: counts on GPUs, else dense.
    #[arg(long, value_parser = ["dense", "sparse", "counts"])]
    upload: Option<String>,
    /// How the burn backends get gradients: `autodiff` (burn's autodiff and Adam: the
    /// reference) or `by-hand` (derived by hand in tensor ops, Adam in tensor ops: fewer ops a
    /// step and no graph, the same results up to float order). Default: by-hand on tch-cuda
    /// and tch-mps, autodiff elsewhere.
    #[arg(long, value_parser = ["autodiff", "by-hand"])]
    gradients: Option<String>,
    /// Worker threads (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
    /// Groups trained at the same time.
    #[arg(long, default_value_t = 1)]
    parallel_groups: usize,
    /// Up to this many groups train as one padded model: those on tree paths with binary
    /// magnitudes, on the burn backends with `--upload counts`. On a GPU, where a step
    /// costs its ops' dispatch, that saves steps. Default: 8 on tch-cuda and tch-mps with
    /// counts (their default upload), else 1.
    #[arg(long)]
    pack_groups: Option<usize>,
    /// Run only shard K of N (1-based), a cost-balanced share of the groups, e.g. 2/8.
    #[arg(long, value_parser = parse_shard)]
    shard: Option<(usize, usize)>,
    /// No progress output.
    #[arg(long)]
    quiet: bool,
    /// Train nothing: print the groups and configs, which of them the run folder already
    /// records, and whether it would take this config.
    #[arg(long)]
    dry_run: bool,
}

/// A folder of another engine gets a hint on the flags that name one: the engine names of the
/// run folders (`tch-cuda:0+by-hand`) are the backend and its `--gradients`.
fn engine_hint(error: anyhow::Error) -> anyhow::Error {
    match error.downcast_ref::<sweep::ConfigError>() {
        Some(sweep::ConfigError::FolderMismatch { what: "engine", .. }) => anyhow::anyhow!(
            "{error:#}\nhint: an engine named NAME+by-hand trained with `--backend NAME \
             --gradients by-hand`, one without `+by-hand` with `--gradients autodiff`; a \
             GPU's engine NAME:N is `--backend NAME --device cuda:N`"
        ),
        _ => error,
    }
}

fn parse_shard(s: &str) -> Result<(usize, usize), String> {
    let err = || format!("--shard {s:?}: expected K/N with 1 <= K <= N, e.g. 2/8");
    let (k, n) = s.split_once('/').ok_or_else(err)?;
    let (k, n): (usize, usize) = (k.parse().map_err(|_| err())?, n.parse().map_err(|_| err())?);
    if k == 0 || n == 0 || k > n {
        return Err(err());
    }
    Ok((k, n))
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    match run(cli.command) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            // The whole context chain on one line, and never a backtrace: these are user errors.
            say!("tmh: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run(command: Command) -> Result<()> {
    match command {
        Command::Sweep(args) => run_sweep(args),
        Command::Report {
            dir,
            threshold,
            aggregate,
            criterion,
            relative_loss,
            pool_seeds,
            labels,
        } => {
            let change = sweep::AnalysisChange {
                threshold,
                aggregate,
                criterion,
                relative_loss,
                pool_seeds,
                labels,
            };
            let index = sweep::rebuild_report(&dir, &change)?;
            say!("report: {}", index.display());
            if relative_loss == Some(true) && threshold.is_none() {
                say!(
                    "note: the folder's threshold now applies to loss ÷ bias-only loss, a ratio: \
                     pick one for it with --threshold (docs/science.md compares 1e-3 and 1e-4)"
                );
            }
            print_answer(&dir);
            Ok(())
        }
        Command::Merge { dirs, out } => {
            sweep::merge(&dirs, &out)?;
            say!("merged {} shards into {}", dirs.len(), out.display());
            print_answer(&out);
            Ok(())
        }
        Command::Bench {
            fused_steps,
            reference_steps,
            reference,
            full,
        } => {
            let args = bench::BenchArgs {
                fused_steps,
                reference_steps,
                full,
            };
            // Every engine up front, so that a backend missing from this binary fails at once.
            let fused = backend::engine("fused-cpu")?;
            let mut references = Vec::new();
            for (i, name) in reference.iter().enumerate() {
                anyhow::ensure!(!name.is_empty(), "--reference: an empty backend name");
                anyhow::ensure!(
                    !reference[..i].contains(name),
                    "--reference names {name:?} twice"
                );
                references.push(
                    backend::engine_spec(name).with_context(|| format!("--reference {name}"))?,
                );
            }
            let labels: Vec<String> = (reference.iter())
                .zip(&references)
                .map(|(spec, engine)| backend::spec_label(spec, engine.as_ref()))
                .collect();
            let references: Vec<(&str, &dyn train::Engine)> = (labels.iter())
                .zip(&references)
                .map(|(label, engine)| (label.as_str(), engine.as_ref()))
                .collect();
            out!(
                "{}",
                bench::run(&args, fused.as_ref(), &references)?.trim_end()
            );
            Ok(())
        }
        Command::Compare { a, b, max_ratio } => {
            let (config, _) = sweep::SweepConfig::load_with_run(&a.join(sweep::CONFIG_FILE))?;
            let comparison = sweep::compare(&a, &b, &config.analysis, max_ratio)?;
            out!("{comparison}");
            anyhow::ensure!(
                comparison.agrees(),
                "{} and {} differ",
                a.display(),
                b.display()
            );
            Ok(())
        }
        Command::Backends => {
            out!("{}", backend::list().trim_end());
            Ok(())
        }
    }
}

fn run_sweep(args: SweepArgs) -> Result<()> {
    let config = match &args.config {
        Some(path) => sweep::SweepConfig::load(path)?,
        None => sweep::SweepConfig::default(),
    };
    let options = backend::EngineOptions {
        device: args.device.as_deref(),
        upload: args.upload.as_deref(),
        gradients: args.gradients.as_deref(),
    };
    let engine = backend::engine_with(&args.backend, options);
    let moved = earlier_folder(&args, &config);
    if args.dry_run {
        return dry_run(&args, &config, engine, moved);
    }
    let engine = engine?;
    if let Some(message) = moved {
        anyhow::bail!(message);
    }
    if let Some(threads) = args.threads {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build_global()
            .context("setting --threads")?;
    }
    let out = args.out.unwrap_or_else(|| sweep::default_out(&config));
    let options = sweep::RunOptions {
        shard: args.shard,
        parallel_groups: args.parallel_groups.max(1),
        pack_groups: args
            .pack_groups
            .unwrap_or_else(|| backend::default_pack_groups(&args.backend, args.upload.as_deref()))
            .max(1),
        version: env!("CARGO_PKG_VERSION").to_string(),
        git_commit: git_commit(),
    };
    let reporter = progress::Reporter::new(progress::Mode::pick(args.quiet));
    interrupt::install();
    let summary =
        sweep::run(&config, &out, engine.as_ref(), &options, &reporter).map_err(engine_hint)?;
    reporter.finish(summary.complete);
    out!("{summary}");
    if interrupt::requested() && !summary.complete {
        // stdout's summary already says how to resume.
        say!("interrupted");
        std::process::exit(interrupt::exit_status());
    }
    if let (0, Some((k, n))) = (summary.groups, args.shard) {
        say!("note: shard {k}/{n} has no groups: this sweep has fewer than {n}; nothing to train");
    }
    if let Some(index) = &summary.report {
        out!("report: {}", index.display());
        match args.shard {
            // A shard's tables hold its own groups only: the answer is the merge's.
            Some((k, n)) => out!("shard {k}/{n}: `tmh merge` the shards for the whole answer"),
            None => print_answer(&out),
        }
    }
    Ok(())
}

/// Where a file without `name` ran before such files were named after themselves: a message
/// that says how to resume there, when the default folder does not exist and that one holds
/// this sweep or a smaller one.
fn earlier_folder(args: &SweepArgs, config: &sweep::SweepConfig) -> Option<String> {
    let nameless = (args.config.as_deref()).is_some_and(|p| !sweep::SweepConfig::file_sets_name(p));
    if args.out.is_some() || !nameless {
        return None;
    }
    let earlier = sweep::earlier_default_out(config)?;
    let now = sweep::default_out(config);
    Some(format!(
        "{} does not exist, but {} holds this sweep or a smaller one (tmh used to run a file \
         without `name` there): pass --out {} to resume it there, or --out {} to start anew",
        now.display(),
        earlier.display(),
        earlier.display(),
        now.display()
    ))
}

/// `tmh sweep --dry-run`: the plan, and nothing trained or written.
fn dry_run(
    args: &SweepArgs,
    config: &sweep::SweepConfig,
    engine: Result<Box<dyn train::Engine>>,
    moved: Option<String>,
) -> Result<()> {
    if let Some(note) = moved {
        out!("note: {note}");
    }
    let out = (args.out.clone()).unwrap_or_else(|| sweep::default_out(config));
    // A backend this binary or machine lacks (a GPU's, planned from a login node) is no error
    // here; a misspelt one is.
    let engine = match engine {
        Err(e) if !backend::all().iter().any(|b| b.name == args.backend) => return Err(e),
        engine => engine.ok(),
    };
    let name = engine.as_ref().map(|e| e.name());
    let plan = sweep::plan(config, &out, args.shard, name.as_deref())?;
    out!("{plan}");
    let to_train = plan.groups.iter().any(|g| g.to_train() > 0);
    match engine {
        // Refused folders train nothing; neither does a finished one.
        Some(engine) if to_train && plan.folder.trains() => {
            let chosen = sweep::estimate(config, &plan, engine.as_ref())?;
            out!("{chosen}");
            // On a GPU node too, the fused engine on the CPU cores is often faster
            // (docs/gpu.md): say so with numbers, not a rule of thumb.
            if args.backend != backend::DEFAULT {
                let fused = backend::engine(backend::DEFAULT)?;
                let fused = sweep::estimate(config, &plan, fused.as_ref())?;
                out!(
                    "{}",
                    faster_of(&args.backend, chosen.seconds, fused.seconds)
                );
            }
        }
        None if to_train => out!(
            "no estimate: backend {} is not available here to time it",
            args.backend
        ),
        _ => {}
    }
    Ok(())
}

/// The dry run's line comparing `backend`'s estimate with the fused CPU engine's.
fn faster_of(backend: &str, seconds: f64, fused_seconds: f64) -> String {
    let fused = backend::DEFAULT;
    let (a, b) = (seconds.max(0.01), fused_seconds.max(0.01));
    let verdict = if b < a {
        format!("{fused} would be {:.1}× faster", a / b)
    } else {
        format!("{backend} would be {:.1}× faster", b / a)
    };
    // Both estimates time groups one after another; GPUs pack them by default.
    let packs = match backend {
        "tch-cuda" | "tch-mps" => " (packs, on by default here, train faster than that)",
        _ => "",
    };
    format!(
        "on {fused} (this machine's CPU cores): about {:.0} s; {verdict}, as estimated \
         here{packs}",
        fused_seconds.max(1.0)
    )
}

/// The run folder's answer on stdout: the smallest n_hidden per series and depth, with the
/// folder's headline aggregate first. Quietly nothing when the folder has no table yet.
fn print_answer(dir: &std::path::Path) {
    let config = sweep::SweepConfig::load_with_run(&dir.join(sweep::CONFIG_FILE));
    let rows = report::read_table::<report::MinHiddenRow>(dir);
    if let (Ok((config, _)), Ok(rows)) = (config, rows) {
        let text = report::min_hidden_text(&rows, &config.analysis.rule());
        if !text.is_empty() {
            out!("\n{}", text.trim_end());
        }
    }
}

/// The commit this binary was built from (see `build.rs`).
fn git_commit() -> String {
    env!("TMH_GIT_COMMIT").to_string()
}

/// `--label KEY=NAME` as (key, name).
fn parse_label(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((key, name)) if !key.trim().is_empty() => {
            Ok((key.trim().to_owned(), name.trim().to_owned()))
        }
        _ => Err(format!(
            "{text:?} is not KEY=NAME; write e.g. --label tree0=\"no early stopping\""
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::faster_of;

    #[test]
    fn the_dry_run_names_the_faster_engine() {
        assert_eq!(
            faster_of("ndarray", 1740.0, 8.0),
            "on fused-cpu (this machine's CPU cores): about 8 s; fused-cpu would be 217.5× \
             faster, as estimated here"
        );
        let gpu = faster_of("tch-cuda", 40.0, 64.0);
        assert!(
            gpu.contains("about 64 s; tch-cuda would be 1.6× faster"),
            "{gpu}"
        );
        assert!(gpu.ends_with("(packs, on by default here, train faster than that)"));
    }
}
