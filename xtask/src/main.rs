//! `cargo xtask`: the project's automation, in plain Rust (see matklad's cargo-xtask).
//!
//! It orchestrates cargo: it picks the cargo features that a `--backend` needs, builds the `tmh`
//! binary in release mode with them, and runs it. It has no dependencies, so it builds in seconds.

use std::env;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

const HELP: &str = "\
cargo xtask <task> [args]

tasks:
  sweep [--config FILE] [--out DIR] [--backend NAME] [--threads N] [--parallel-groups N]
        [--shard K/N] [--quiet]
                      run a sweep (default: the seed's full experiment) into runs/<name>/
  report DIR          rebuild the tables, plots and index.html of a run folder from its CSVs
  merge DIRS... --out DIR
                      combine the folders of `sweep --shard K/N` runs
  backends            list the training backends and how to enable them
  bench [--full] [--fused-steps N] [--reference-steps N] [--reference NAME]
                      time the fused CPU engine against burn autodiff per depth group of the
                      seed sweep (--full: also the whole sweep end to end, with peak memory);
                      prints the table and writes it to docs/PERFORMANCE.md
";

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    let Some((task, rest)) = args.split_first() else {
        eprint!("{HELP}");
        return ExitCode::FAILURE;
    };
    let result = match task.as_str() {
        "sweep" | "report" | "merge" | "backends" => run_tmh(task, rest),
        "bench" => bench(rest),
        "-h" | "--help" | "help" => {
            print!("{HELP}");
            Ok(())
        }
        other => Err(format!("unknown task {other:?}\n\n{HELP}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Cargo features of the `tmh` package that a backend needs.
fn features_for(backend: &str) -> Vec<&'static str> {
    match backend {
        "flex" => vec!["flex"],
        _ => vec![],
    }
}

/// The value of `--name VALUE` or `--name=VALUE` in `args`.
fn flag_value<'a>(args: &'a [String], name: &str) -> Option<&'a str> {
    args.iter().enumerate().find_map(|(i, a)| {
        if a == name {
            args.get(i + 1).map(String::as_str)
        } else {
            a.strip_prefix(name).and_then(|v| v.strip_prefix('='))
        }
    })
}

/// Runs `tmh bench`, shows its table and keeps it as docs/PERFORMANCE.md.
fn bench(args: &[String]) -> Result<(), String> {
    let table = run_tmh_captured("bench", args)?;
    print!("{table}");
    let path = project_root().join("docs").join("PERFORMANCE.md");
    std::fs::write(&path, table).map_err(|e| format!("writing {}: {e}", path.display()))?;
    eprintln!("wrote {}", path.display());
    Ok(())
}

fn run_tmh_captured(task: &str, args: &[String]) -> Result<String, String> {
    let mut cargo = tmh_command(task, args);
    cargo.stdout(std::process::Stdio::piped());
    let output = cargo
        .spawn()
        .and_then(|c| c.wait_with_output())
        .map_err(|e| format!("running cargo: {e}"))?;
    if !output.status.success() {
        return Err(format!("tmh {task} failed ({})", output.status));
    }
    String::from_utf8(output.stdout).map_err(|e| format!("tmh {task} printed non-UTF-8: {e}"))
}

/// Builds `tmh` in release mode with the backend's features and runs `tmh <task> <args>`.
fn run_tmh(task: &str, args: &[String]) -> Result<(), String> {
    let status = tmh_command(task, args)
        .status()
        .map_err(|e| format!("running cargo: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("tmh {task} failed ({status})"))
    }
}

/// `cargo run --release` of `tmh <task> <args>`, with the cargo features the backend needs.
fn tmh_command(task: &str, args: &[String]) -> Command {
    let features = flag_value(args, "--backend")
        .map(features_for)
        .unwrap_or_default();
    let mut cargo = Command::new(env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    // Paths in `args` stay relative to the caller's folder: point cargo at the manifest instead.
    let manifest = project_root().join("Cargo.toml");
    cargo.args([
        "run",
        "--release",
        "--quiet",
        "--package",
        "tmh",
        "--bin",
        "tmh",
    ]);
    cargo.arg("--manifest-path").arg(manifest);
    if !features.is_empty() {
        cargo.args(["--features", &features.join(",")]);
    }
    cargo.arg("--").arg(task).args(args);
    cargo
}

fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}
