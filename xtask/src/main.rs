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
";

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    let Some((task, rest)) = args.split_first() else {
        eprint!("{HELP}");
        return ExitCode::FAILURE;
    };
    let result = match task.as_str() {
        "sweep" | "report" | "merge" | "backends" => run_tmh(task, rest),
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

/// Builds `tmh` in release mode with the backend's features and runs `tmh <task> <args>`.
fn run_tmh(task: &str, args: &[String]) -> Result<(), String> {
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
    let status = cargo.status().map_err(|e| format!("running cargo: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("tmh {task} failed ({status})"))
    }
}

fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}
