//! `cargo xtask`: the project's automation, in plain Rust (see matklad's cargo-xtask).
//!
//! It orchestrates cargo: it picks the cargo features that a `--backend` needs, builds the `tmh`
//! binary in release mode with them, and runs it. It has no dependencies, so it builds in seconds.

use std::env;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

/// The torch release that burn-tch 0.22 (tch / torch-sys 0.22) is written against.
const TORCH: &str = "2.9.0";
/// Other torch releases tmh's tch build is known to compile, link and agree with ndarray on
/// (`test-tch`), with torch-sys's version check bypassed: 2.11.0 is the lent GPU machine's.
const TORCH_ALSO_WORKS: &[&str] = &["2.11.0"];
const VENV: &str = "$XDG_CACHE_HOME/tmh/libtorch-venv (or ~/.cache/...)";

const HELP: &str = "\
cargo xtask <task> [args]

tasks:
  sweep [--config FILE] [--out DIR] [--backend NAME] [--device cuda:N] [--upload dense|sparse|counts]
        [--gradients autodiff|by-hand] [--threads N] [--parallel-groups N] [--pack-groups N]
        [--shard K/N] [--dry-run] [--quiet]
                      run a sweep (default: the seed's full experiment) into runs/<name>/
  report DIR [--threshold T] [--aggregate min|mean|median|sum] [--criterion loss|decoded]
        [--relative-loss true|false] [--pool-seeds true|false] [--label KEY=NAME ...]
                      rebuild the tables, plots and index.html of a run folder from its CSVs,
                      first changing its [analysis] as asked (saved; nothing retrains)
  merge DIRS... --out DIR
                      combine the folders of `sweep --shard K/N` runs
  compare A B [--max-ratio R]
                      compare two run folders' eval losses cell by cell (e.g. two backends)
  backends            list the training backends and how to enable them
  setup-libtorch [--venv DIR] [--torch VERSION]
                      create (or reuse) a Python venv with torch {TORCH} (or VERSION: also 2.11.0)
                      from PyPI, the libtorch that the `tch` backends build and run against
                      (default venv: {VENV})
  gpu-carry [--out DIR]
                      prepare the real-GPU check (scripts/gpu-check.sh): a stripped `tmh --features
                      tch` built against the set-up libtorch, and a CPU run of the seed sweep to
                      compare with, in DIR (default gpu-carry/, git-ignored)
  test-tch            run examples/quick.toml on ndarray, on tch-cpu, and on tch-cpu with the
                      GPU defaults (by hand, counts, packs), and compare each tch run with ndarray
  check-notebook [--depths 1,2,3,4] [--seeds 0,1,2] [--steps 10000] [--jobs 2] [--out DIR]
        [--backend NAME]
                      train the seed's sweep (n_hidden 2..10, 5 instances) with tmh and with the
                      notebook's own procedure in plain PyTorch (scripts/notebook_reference.py,
                      the setup-libtorch venv's Python), compare pass counts and answers
                      (scripts/notebook_compare.py; exit 1 if they disagree, 3 if nothing tells
                      them apart) and time both
                      (default DIR: runs/check-notebook; about 45 min on 2 cores)
  bench [--full] [--fused-steps N] [--reference-steps N] [--reference NAME[,NAME...]]
                      time the fused CPU engine against burn backends per depth group of the
                      seed sweep (--full: also the whole sweep end to end, with peak memory);
                      --reference ndarray,flex times each reference in turn on every group and
                      compares them too (builds with the features they need; default ndarray);
                      NAME+OPTION sets --gradients or --upload, e.g. tch-cpu+by-hand+counts;
                      prints the table and writes it to docs/PERFORMANCE.md
";

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    let Some((task, rest)) = args.split_first() else {
        eprint!("{}", help());
        return ExitCode::FAILURE;
    };
    let result = match task.as_str() {
        "sweep" | "report" | "merge" | "compare" | "backends" => run_tmh(task, rest),
        "bench" => bench(rest),
        "-h" | "--help" | "help" => {
            print!("{}", help());
            Ok(())
        }
        "setup-libtorch" => setup_libtorch(rest),
        "gpu-carry" => gpu_carry(rest),
        "test-tch" => test_tch(),
        "check-notebook" => check_notebook(rest),
        other => Err(format!("unknown task {other:?}\n\n{}", help())),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}

fn help() -> String {
    HELP.replace("{TORCH}", TORCH).replace("{VENV}", VENV)
}

/// Cargo features of the `tmh` package that a backend needs.
fn features_for(backend: &str) -> Vec<&'static str> {
    match backend {
        "flex" => vec!["flex"],
        b if b.starts_with("tch") => vec!["tch"],
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

/// Runs `tmh bench`, shows its table and keeps it as docs/PERFORMANCE.md. The build has the
/// features of every backend in `--reference A,B,...`.
fn bench(args: &[String]) -> Result<(), String> {
    let mut features: Vec<&str> = Vec::new();
    // Every `--reference` given (tmh accepts the flag more than once, too).
    let lists = args
        .iter()
        .enumerate()
        .filter_map(|(i, a)| match a.as_str() {
            "--reference" => args.get(i + 1).map(String::as_str),
            _ => a.strip_prefix("--reference="),
        });
    // A reference may carry options (`tch-cpu+by-hand`): the backend is what precedes them.
    let backends = lists.flat_map(|list| list.split(',').map(|r| r.split('+').next().unwrap_or(r)));
    for backend in backends {
        for feature in features_for(backend) {
            if !features.contains(&feature) {
                features.push(feature);
            }
        }
    }
    let table = run_tmh_captured(tmh_command_with("bench", args, &features), "bench")?;
    print!("{table}");
    let path = project_root().join("docs").join("PERFORMANCE.md");
    let old = std::fs::read_to_string(&path).unwrap_or_default();
    std::fs::write(&path, with_kept_tail(&table, &old))
        .map_err(|e| format!("writing {}: {e}", path.display()))?;
    eprintln!("wrote {}", path.display());
    Ok(())
}

/// In docs/PERFORMANCE.md, this line and what follows are figures measured by other commands
/// (check-notebook, the GPU scripts): `cargo xtask bench` rewrites only the table above it.
const KEPT_BELOW: &str =
    "<!-- Measured by other commands: `cargo xtask bench` keeps this part. -->";

/// The bench's `table`, followed by the part of the `old` file from [`KEPT_BELOW`] on.
fn with_kept_tail(table: &str, old: &str) -> String {
    match old.find(KEPT_BELOW) {
        Some(at) => format!("{}\n\n{}", table.trim_end(), &old[at..]),
        None => table.to_owned(),
    }
}

/// Runs `cargo`, a `tmh <task>` command, and returns what it printed to stdout.
fn run_tmh_captured(mut cargo: Command, task: &str) -> Result<String, String> {
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
    run_status(tmh_command(task, args), task)
}

/// `cargo run --release` of `tmh <task> <args>`, with the cargo features the backend needs.
fn tmh_command(task: &str, args: &[String]) -> Command {
    let features = flag_value(args, "--backend")
        .map(features_for)
        .unwrap_or_default();
    tmh_command_with(task, args, &features)
}

/// `cargo run --release` of `tmh <task> <args>` built with `features`.
fn tmh_command_with(task: &str, args: &[String], features: &[&str]) -> Command {
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
    if features.contains(&"tch") {
        match libtorch_env() {
            Ok(env) => {
                cargo.envs(env);
            }
            // tmh itself cannot start without libtorch: say how to get it instead.
            Err(message) => {
                eprintln!("xtask: {message}");
                std::process::exit(1);
            }
        }
    }
    cargo.arg("--").arg(task).args(args);
    cargo
}

fn cache_dir() -> PathBuf {
    match env::var_os("XDG_CACHE_HOME") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env::var_os("HOME").unwrap_or_default()).join(".cache"),
    }
    .join("tmh")
}

fn default_venv() -> PathBuf {
    cache_dir().join("libtorch-venv")
}

/// Where `setup-libtorch` records the venv it set up.
fn venv_record() -> PathBuf {
    cache_dir().join("libtorch-venv.path")
}

/// torch's version and lib folder, as the venv's Python reports them.
fn torch_in(venv: &Path) -> Result<(String, PathBuf), String> {
    let python = venv.join("bin").join("python");
    let script = "import torch, os; print(torch.__version__.split('+')[0]); print(os.path.join(os.path.dirname(torch.__file__), 'lib'))";
    let output = Command::new(&python)
        .args(["-c", script])
        .output()
        .map_err(|e| format!("cannot run {}: {e}", python.display()))?;
    if !output.status.success() {
        return Err(format!(
            "torch is not importable from {}: {}",
            python.display(),
            String::from_utf8_lossy(&output.stderr)
                .lines()
                .last()
                .unwrap_or("")
        ));
    }
    let text = String::from_utf8_lossy(&output.stdout);
    let mut lines = text.lines();
    let version = lines.next().unwrap_or_default().to_string();
    let lib = PathBuf::from(lines.next().unwrap_or_default());
    Ok((version, lib))
}

/// The environment that builds and runs `tmh --features tch` against the venv's libtorch.
fn libtorch_env() -> Result<Vec<(String, String)>, String> {
    let venv = fs_read(&venv_record())
        .map(|s| PathBuf::from(s.trim()))
        .unwrap_or_else(|_| default_venv());
    let fix = "run `cargo xtask setup-libtorch` (it installs torch from PyPI into a venv)";
    if !venv.join("bin").join("python").exists() {
        return Err(format!(
            "libtorch is not set up: no venv at {}; {fix}",
            venv.display()
        ));
    }
    let (version, lib) = torch_in(&venv).map_err(|e| format!("{e}; {fix}"))?;
    check_torch_version(&version).map_err(|e| {
        format!(
            "the venv {} has torch {version}: {e}; {fix}",
            venv.display()
        )
    })?;
    let path = format!(
        "{}:{}",
        venv.join("bin").display(),
        env::var("PATH").unwrap_or_default()
    );
    let ld = match env::var("LD_LIBRARY_PATH") {
        Ok(old) if !old.is_empty() => format!("{}:{old}", lib.display()),
        _ => lib.display().to_string(),
    };
    let mut vars: Vec<(String, String)> = Vec::new();
    if version != TORCH {
        // torch-sys refuses any torch but its own; the other known-good ones pass it this way
        // (it tests only whether the variable is set, so it must stay unset otherwise).
        vars.push(("LIBTORCH_BYPASS_VERSION_CHECK".into(), "1".into()));
    }
    vars.extend([
        ("LIBTORCH_USE_PYTORCH".into(), "1".into()),
        ("PATH".into(), path),
        ("LD_LIBRARY_PATH".into(), ld.clone()),
        ("DYLD_LIBRARY_PATH".into(), ld),
    ]);
    Ok(vars)
}

/// Ok for the torch releases the tch build is known to work with.
fn check_torch_version(version: &str) -> Result<(), String> {
    if version == TORCH || TORCH_ALSO_WORKS.contains(&version) {
        Ok(())
    } else {
        Err(format!(
            "the tch backends need torch {TORCH} (or {})",
            TORCH_ALSO_WORKS.join(", ")
        ))
    }
}

fn fs_read(path: &Path) -> std::io::Result<String> {
    std::fs::read_to_string(path)
}

/// `cargo xtask setup-libtorch`: a venv with the matching torch, reused when it is already right.
fn setup_libtorch(args: &[String]) -> Result<(), String> {
    let venv = flag_value(args, "--venv")
        .map(PathBuf::from)
        .unwrap_or_else(default_venv);
    let torch = flag_value(args, "--torch").unwrap_or(TORCH);
    check_torch_version(torch).map_err(|e| format!("--torch {torch}: {e}"))?;
    let run = |cmd: &mut Command| -> Result<(), String> {
        let status = cmd.status().map_err(|e| format!("running {cmd:?}: {e}"))?;
        if status.success() {
            Ok(())
        } else {
            Err(format!("{cmd:?} failed ({status})"))
        }
    };
    match torch_in(&venv) {
        Ok((version, _)) if version == torch => {
            eprintln!("torch {torch} already in {}", venv.display())
        }
        _ => {
            if !venv.join("bin").join("python").exists() {
                eprintln!("creating venv {}", venv.display());
                run(Command::new("python3").arg("-m").arg("venv").arg(&venv))
                    .map_err(|e| format!("{e} (is python3 with the venv module installed?)"))?;
            }
            // The PyPI wheel pulls its CUDA libraries as dependencies: several GB. `--no-deps`
            // does not work, since libtorch links against them.
            eprintln!("installing torch=={torch} from PyPI (several GB)");
            run(Command::new(venv.join("bin").join("pip")).args([
                "install",
                "--quiet",
                &format!("torch=={torch}"),
            ]))?;
        }
    }
    let (version, lib) = torch_in(&venv)?;
    std::fs::create_dir_all(cache_dir()).map_err(|e| e.to_string())?;
    std::fs::write(venv_record(), venv.display().to_string()).map_err(|e| e.to_string())?;
    println!("libtorch: torch {version} in {}", venv.display());
    println!(
        "`cargo xtask sweep --backend tch-cpu|tch-cuda|tch-mps` now uses it. To run the binary by hand:"
    );
    let bypass = if version == TORCH {
        ""
    } else {
        " LIBTORCH_BYPASS_VERSION_CHECK=1"
    };
    println!(
        "  export LIBTORCH_USE_PYTORCH=1{bypass} PATH={}:$PATH LD_LIBRARY_PATH={}",
        venv.join("bin").display(),
        lib.display()
    );
    println!(
        "  cargo build --release --features tch && ./target/release/tmh sweep --backend tch-cuda"
    );
    Ok(())
}

/// `cargo xtask gpu-carry`: what scripts/gpu-check.sh needs on the GPU machine (which has no Rust
/// toolchain): `tmh` with the tch backends, stripped to fit the 64 MiB the device tool carries,
/// and the seed sweep's CPU run folder to compare with.
fn gpu_carry(args: &[String]) -> Result<(), String> {
    let root = project_root();
    let out = flag_value(args, "--out").map_or_else(|| root.join("gpu-carry"), PathBuf::from);
    std::fs::create_dir_all(&out).map_err(|e| format!("creating {}: {e}", out.display()))?;
    let env = libtorch_env()?;
    let target = env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
    let mut cargo = Command::new(env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cargo
        .args([
            "build",
            "--release",
            "--package",
            "tmh",
            "--bin",
            "tmh",
            "--features",
            "tch",
        ])
        .arg("--manifest-path")
        .arg(root.join("Cargo.toml"))
        .envs(env);
    run_status(cargo, "build")?;
    let binary = out.join("tmh");
    let built = target.join("release").join("tmh");
    let stripped = Command::new("strip")
        .arg("-o")
        .arg(&binary)
        .arg(&built)
        .status()
        .is_ok_and(|s| s.success());
    if !stripped {
        std::fs::copy(&built, &binary).map_err(|e| format!("copying {}: {e}", built.display()))?;
        eprintln!("xtask: `strip` failed; copied the unstripped binary (check it fits in 64 MiB)");
    }
    // The CPU reference: the seed sweep on the default engine (resumes if already there).
    let cpu_run = out.join("seed-cpu");
    let args = [
        "--out".to_string(),
        cpu_run.display().to_string(),
        "--quiet".to_string(),
    ];
    run_status(tmh_command_with("sweep", &args, &[]), "sweep")?;
    println!(
        "ready in {}: tmh and seed-cpu/. On the GPU machine (device tool):",
        out.display()
    );
    println!("  run: bash scripts/gpu-check.sh   carry: [\"gpu-carry\"]");
    Ok(())
}

/// `cargo xtask test-tch`: the quick sweep on tch-cpu, with autodiff and with the GPU backends'
/// defaults (gradients by hand, node counts, packs), each compared cell by cell with ndarray.
fn test_tch() -> Result<(), String> {
    let out = env::temp_dir().join(format!("tmh-test-tch-{}", std::process::id()));
    let quick = project_root().join("examples").join("quick.toml");
    let gpu_defaults = [
        "--gradients",
        "by-hand",
        "--upload",
        "counts",
        "--pack-groups",
        "8",
    ];
    let runs: [(&str, &str, &[&str]); 3] = [
        ("ndarray", "ndarray", &[]),
        ("tch-cpu", "tch-cpu", &[]),
        ("tch-cpu-gpu-defaults", "tch-cpu", &gpu_defaults),
    ];
    for (name, backend, extra) in runs {
        let dir = out.join(name).display().to_string();
        let quick = quick.display().to_string();
        let mut args: Vec<String> = ["--config", &quick, "--out", &dir, "--backend", backend]
            .map(String::from)
            .to_vec();
        args.extend(extra.iter().map(|a| a.to_string()));
        args.push("--quiet".into());
        // One build (with tch, which keeps ndarray) serves every run and comparison.
        run_status(tmh_command_with("sweep", &args, &["tch"]), "sweep")?;
    }
    for (name, _, _) in &runs[1..] {
        let mut args = [out.join(name), out.join("ndarray")]
            .map(|p| p.display().to_string())
            .to_vec();
        args.extend(["--max-ratio".to_string(), "2".to_string()]);
        run_status(tmh_command_with("compare", &args, &["tch"]), "compare")
            .map_err(|_| format!("{name} and ndarray disagree (table above)"))?;
    }
    Ok(())
}

/// `cargo xtask check-notebook`: the seed's sweep on a narrower grid, trained by tmh and by the
/// notebook's procedure in plain PyTorch (scripts/notebook_reference.py), then compared
/// statistically by scripts/notebook_compare.py, whose exit status this passes on. The two use
/// different random numbers, so only distributions and answers can agree, not losses.
fn check_notebook(args: &[String]) -> Result<(), String> {
    const FLAGS: [&str; 6] = [
        "--depths",
        "--seeds",
        "--steps",
        "--jobs",
        "--out",
        "--backend",
    ];
    for arg in args.iter().filter(|a| a.starts_with("--")) {
        let name = arg.split('=').next().unwrap_or(arg);
        if !FLAGS.contains(&name) {
            return Err(format!(
                "check-notebook: unknown option {arg:?} (known: {})",
                FLAGS.join(" ")
            ));
        }
    }
    let root = project_root();
    let list = |name: &str, default: &str| -> Result<Vec<u32>, String> {
        let text = flag_value(args, name).unwrap_or(default);
        let values = text
            .split(',')
            .map(|v| v.trim().parse::<u32>())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("{name} {text:?}: {e} (expected e.g. {default})"))?;
        if values.is_empty() {
            return Err(format!("{name}: no values"));
        }
        Ok(values)
    };
    let number = |name: &str, default: &str| -> Result<u32, String> {
        let text = flag_value(args, name).unwrap_or(default);
        match text.parse::<u32>() {
            Ok(n) if n > 0 => Ok(n),
            _ => Err(format!("{name} {text:?}: expected a positive integer")),
        }
    };
    let depths = list("--depths", "1,2,3,4")?;
    if let Some(bad) = depths.iter().find(|&&d| d == 0 || d > 10) {
        return Err(format!("--depths: {bad} is out of 1..=10"));
    }
    let seeds = list("--seeds", "0,1,2")?;
    let steps = number("--steps", "10000")?;
    let jobs = number("--jobs", "2")?;
    let out = flag_value(args, "--out")
        .map_or_else(|| root.join("runs").join("check-notebook"), PathBuf::from);
    let backend = flag_value(args, "--backend");
    let join = |v: &[u32], sep: &str| v.iter().map(u32::to_string).collect::<Vec<_>>().join(sep);

    // Torch first: better to stop now than after the tmh sweep.
    let venv = fs_read(&venv_record())
        .map(|s| PathBuf::from(s.trim()))
        .unwrap_or_else(|_| default_venv());
    let (torch, _) = torch_in(&venv).map_err(|e| {
        format!(
            "the PyTorch reference needs torch, and {e}: run `cargo xtask setup-libtorch` \
             (it installs torch from PyPI into a venv)"
        )
    })?;
    let python = venv.join("bin").join("python");

    std::fs::create_dir_all(&out).map_err(|e| format!("creating {}: {e}", out.display()))?;
    let run_dir = out.join("tmh");
    // A finished folder would resume without training, and time nothing: start afresh, but
    // only over a run folder (one with a config.toml), never over something else.
    if run_dir.exists() {
        if !run_dir.join("config.toml").exists() {
            return Err(format!(
                "{} exists and is not a tmh run folder; pick another --out",
                run_dir.display()
            ));
        }
        std::fs::remove_dir_all(&run_dir)
            .map_err(|e| format!("removing the old {}: {e}", run_dir.display()))?;
    }
    // examples/seed.toml with the grid narrowed: every value the reference hard-codes
    // (batch 1024, lr 1e-3, 5 instances, 500 eval samples) is spelled out here too.
    let config = format!(
        "# written by `cargo xtask check-notebook`: examples/seed.toml on a narrower grid\n\
         name = \"check-notebook\"\n\n\
         [grid]\n\
         depths = [{depths}]\n\
         n_hidden = [2, 3, 4, 5, 6, 7, 8, 9, 10]\n\
         branching = [2]\n\
         structure = [{{ kind = \"tree\", stop_prob = 0.5 }}]\n\
         magnitude = [\"binary\"]\n\
         seeds = [{seeds}]\n\
         skip_wider_than_features = true\n\n\
         [train]\n\
         instances = 5\n\
         steps = {steps}\n\
         batch = 1024\n\
         lr = 1e-3\n\
         schedule = \"constant\"\n\
         eval_batch = 500\n\
         log_every = 100\n\n\
         [analysis]\n\
         threshold = 1e-5\n\
         aggregate = \"median\"\n\
         criterion = \"loss\"\n\
         pool_seeds = true\n",
        depths = join(&depths, ", "),
        seeds = join(&seeds, ", "),
    );
    let config_path = out.join("check-notebook.toml");
    std::fs::write(&config_path, config)
        .map_err(|e| format!("writing {}: {e}", config_path.display()))?;

    // Build first (cargo run of `tmh --version`), so that the timing is the sweep's alone.
    let features = backend.map(features_for).unwrap_or_default();
    run_status(tmh_command_with("--version", &[], &features), "--version")?;
    let target = env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
    let mut sweep = Command::new(target.join("release").join("tmh"));
    sweep
        .arg("sweep")
        .arg("--config")
        .arg(&config_path)
        .arg("--out")
        .arg(&run_dir)
        .arg("--quiet");
    if let Some(backend) = backend {
        sweep.args(["--backend", backend]);
    }
    if features.contains(&"tch") {
        sweep.envs(libtorch_env()?);
    }
    eprintln!(
        "== tmh sweep ({}), depths {}, seeds {}, {steps} steps",
        backend.unwrap_or("default backend"),
        join(&depths, ","),
        join(&seeds, ",")
    );
    let start = std::time::Instant::now();
    run_status(sweep, "sweep")?;
    let tmh_s = start.elapsed().as_secs_f64();
    eprintln!("tmh sweep: {tmh_s:.1} s");

    let reference_csv = out.join("reference.csv");
    let mut reference = Command::new(&python);
    reference
        .arg(root.join("scripts").join("notebook_reference.py"))
        .args(["--depths", &join(&depths, ",")])
        .args(["--n-hidden", "2,3,4,5,6,7,8,9,10"])
        .args(["--seeds", &join(&seeds, ",")])
        .args(["--steps", &steps.to_string()])
        .args(["--instances", "5", "--stop-prob", "0.5"])
        .args(["--jobs", &jobs.to_string()])
        .arg("--out")
        .arg(&reference_csv);
    eprintln!(
        "== the notebook's procedure in PyTorch {torch} ({}), {jobs} jobs of one thread",
        python.display()
    );
    let start = std::time::Instant::now();
    match run_code(reference)? {
        0 => {}
        code => return Err(format!("notebook_reference.py failed (exit status {code})")),
    }
    let torch_s = start.elapsed().as_secs_f64();
    eprintln!("PyTorch reference: {torch_s:.1} s");

    let mut compare = Command::new(&python);
    compare
        .arg(root.join("scripts").join("notebook_compare.py"))
        .arg("--tmh")
        .arg(&run_dir)
        .arg("--reference")
        .arg(&reference_csv)
        .args(["--threshold", "1e-5"]);
    println!();
    let code = run_code(compare)?;
    println!();
    println!(
        "wall time (one run each, this machine): tmh sweep {tmh_s:.1} s, PyTorch reference \
         {torch_s:.1} s ({jobs} processes): the reference took {:.0}× as long",
        torch_s / tmh_s
    );
    println!("files: {}, {}", run_dir.display(), reference_csv.display());
    if code != 0 {
        std::process::exit(code);
    }
    Ok(())
}

fn run_status(cmd: Command, task: &str) -> Result<(), String> {
    match run_code(cmd)? {
        0 => Ok(()),
        code => Err(format!("tmh {task} failed (exit status {code})")),
    }
}

/// Runs `cmd` to its end and returns its exit status (-1 when a signal ended it); exits xtask
/// at once, with the same status, when Ctrl-C or SIGTERM stopped it.
fn run_code(mut cmd: Command) -> Result<i32, String> {
    leave_signals_to_the_child();
    let program = cmd.get_program().to_string_lossy().into_owned();
    let mut child = cmd.spawn().map_err(|e| format!("running {program}: {e}"))?;
    set_child(child.id() as i32);
    let status = child.wait();
    set_child(0);
    let status = status.map_err(|e| format!("running {program}: {e}"))?;
    match status.code() {
        // Stopped by Ctrl-C or SIGTERM: the child said what it kept; pass its status on.
        Some(code @ (130 | 143)) => std::process::exit(code),
        Some(code) => Ok(code),
        None => Ok(-1),
    }
}

/// The child `run_status` waits for (cargo, then tmh in its place), 0 when there is none.
#[cfg(unix)]
static CHILD: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(0);

fn set_child(pid: i32) {
    #[cfg(unix)]
    CHILD.store(pid, std::sync::atomic::Ordering::SeqCst);
    #[cfg(not(unix))]
    let _ = pid;
}

/// Ctrl-C reaches every process of the terminal's foreground group: tmh, which stops after
/// the groups in training, and this process, which would die at once and hand the prompt back
/// while tmh still trains and prints. So while a child runs, xtask waits for it: SIGINT is the
/// child's own (the terminal sent it one), and a SIGTERM, which a batch system may send to
/// xtask alone, is passed on. Without a child both end xtask as before. The child starts with
/// the default actions (exec resets handled signals), so cargo building tmh stops on Ctrl-C.
fn leave_signals_to_the_child() {
    #[cfg(unix)]
    {
        extern "C" fn on_signal(signal: libc::c_int) {
            let child = CHILD.load(std::sync::atomic::Ordering::SeqCst);
            if child <= 0 {
                // SAFETY: `_exit` is async-signal-safe.
                unsafe { libc::_exit(128 + signal) };
            }
            if signal == libc::SIGTERM {
                // SAFETY: kill(2) is async-signal-safe.
                unsafe { libc::kill(child, signal) };
            }
        }
        let handler = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
        // SAFETY: the handler reads an atomic and calls kill(2) or _exit, all
        // async-signal-safe.
        unsafe {
            libc::signal(libc::SIGINT, handler);
            libc::signal(libc::SIGTERM, handler);
        }
    }
}

fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bench_keeps_what_other_commands_measured() {
        let old = format!("old table\n\n{KEPT_BELOW}\n\nAgainst PyTorch: 210×.\n");
        assert_eq!(
            with_kept_tail("new table\n", &old),
            format!("new table\n\n{KEPT_BELOW}\n\nAgainst PyTorch: 210×.\n")
        );
        assert_eq!(with_kept_tail("new table\n", "old table\n"), "new table\n");
        let kept = std::fs::read_to_string(project_root().join("docs/PERFORMANCE.md")).unwrap();
        assert!(
            kept.contains(KEPT_BELOW),
            "docs/PERFORMANCE.md lost its marker"
        );
    }
}
