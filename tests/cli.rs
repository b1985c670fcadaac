//! End-to-end tests through the real `tmh` binary: what a researcher runs, checked file by file.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

fn tmh() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tmh"));
    cmd.env("NO_COLOR", "1");
    cmd
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn sweep(config: &Path, out: &Path, extra: &[&str]) -> Output {
    tmh()
        .args(["sweep", "--quiet", "--config"])
        .arg(config)
        .arg("--out")
        .arg(out)
        .args(extra)
        .output()
        .expect("tmh runs")
}

fn assert_ok(output: &Output) {
    assert!(
        output.status.success(),
        "tmh failed: {}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

fn write_config(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    fs::write(&path, text).unwrap();
    path
}

/// A CSV file's header and data rows.
fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader =
        csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let header = reader.headers().unwrap().iter().map(String::from).collect();
    let rows = reader
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect();
    (header, rows)
}

/// runs.csv without the wall-clock column, which differs between any two runs.
fn runs_without_wall(dir: &Path) -> Vec<Vec<String>> {
    let (header, rows) = read_csv(&dir.join("runs.csv"));
    let wall = header
        .iter()
        .position(|h| h == "wall_s")
        .expect("wall_s column");
    rows.into_iter()
        .map(|mut r| {
            r.remove(wall);
            r
        })
        .collect()
}

fn quick() -> PathBuf {
    root().join("examples/quick.toml")
}

#[test]
fn quick_sweep_writes_the_whole_run_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("quick");
    let output = sweep(&quick(), &out, &[]);
    assert_ok(&output);
    // The answer on stdout: at 300 steps no loss passes (the table's own test checks passes),
    // depth 1 still learns fast (↓), but every possible sample of it already decodes.
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("smallest n_hidden with exact loss < 1.0e-5\n  depth             1     2\n  n_features        2     6\n  mean *        none↓  none"),
        "{stdout}"
    );
    assert!(
        stdout.contains("\n  decoded, all     ≤2  none\n"),
        "{stdout}"
    );

    // quick.toml: depths 1, 2 × n_hidden 2, 3 with n_hidden <= n_features → 3 configs, 2 instances.
    let expect_rows = [("runs.csv", 6), ("summary.csv", 3)];
    for (file, n) in expect_rows {
        let (_, rows) = read_csv(&out.join(file));
        assert_eq!(rows.len(), n, "{file} rows");
    }
    let (header, _) = read_csv(&out.join("runs.csv"));
    for column in [
        "config_id",
        "depth",
        "n_hidden",
        "structure",
        "stop_prob",
        "seed",
        "instance",
        "train_loss",
        "eval_loss",
        "wall_s",
        "diverged",
    ] {
        assert!(
            header.iter().any(|h| h == column),
            "runs.csv lacks {column}: {header:?}"
        );
    }
    let (header, rows) = read_csv(&out.join("min_hidden.csv"));
    assert!(header.iter().any(|h| h == "min_n_hidden"), "{header:?}");
    assert_eq!(
        rows.len(),
        2 * 4,
        "2 depths × aggregates min, mean, median, sum"
    );
    let (header, rows) = read_csv(&out.join("curves.csv"));
    assert_eq!(header, ["config_id", "instance", "step", "loss"]);
    assert_eq!(
        rows.len(),
        6 * 7,
        "steps 0, 50, ..., 250 and 299 per instance"
    );
    for config in [
        "d1-h2-b2-tree0.5-binary-s0",
        "d2-h2-b2-tree0.5-binary-s0",
        "d2-h3-b2-tree0.5-binary-s0",
    ] {
        let weights = out.join("weights").join(format!("{config}.safetensors"));
        assert!(weights.is_file(), "{}", weights.display());
    }
    let config = fs::read_to_string(out.join("config.toml")).unwrap();
    assert!(
        config.contains("steps = 300") && config.contains("engine = \"fused-cpu\""),
        "{config}"
    );

    let svgs: Vec<PathBuf> = fs::read_dir(out.join("plots"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "svg"))
        .collect();
    assert!(
        svgs.len() >= 3,
        "heatmap, lines, min n_hidden at least: {svgs:?}"
    );
    for svg in &svgs {
        let text = fs::read_to_string(svg).unwrap();
        roxmltree::Document::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", svg.display()));
        assert!(
            svg.with_extension("png").is_file(),
            "PNG beside {}",
            svg.display()
        );
    }

    // The report is self-contained: everything it references exists.
    let html = fs::read_to_string(out.join("index.html")).unwrap();
    for attr in ["src=\"", "href=\""] {
        for piece in html.split(attr).skip(1) {
            let target = piece.split('"').next().unwrap();
            if target.starts_with("data:") || target.starts_with('#') {
                continue;
            }
            assert!(
                out.join(target).exists(),
                "index.html references missing {target}"
            );
        }
    }
}

/// `tmh sweep … 2>&1 | head -2`: once the reader is gone every log line fails to write, and
/// the sweep must finish its run folder anyway rather than die of it.
#[test]
fn a_sweep_whose_log_pipes_are_closed_still_finishes() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("closed");
    // Not quiet: one plain log line per group and step report.
    let mut child = tmh()
        .args(["sweep", "--config"])
        .arg(quick())
        .arg("--out")
        .arg(&out)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    drop(child.stderr.take());
    let status = child.wait().unwrap();
    assert!(status.success(), "{status}");
    assert!(out.join("index.html").is_file());
    assert_eq!(
        runs_without_wall(&out).len(),
        3 * 2,
        "3 configs x 2 instances"
    );
}

#[test]
fn a_killed_sweep_resumes_to_the_same_results() {
    let tmp = tempfile::tempdir().unwrap();
    // A tiny first group, then a slower one to be killed in.
    let config = write_config(
        tmp.path(),
        "resume.toml",
        "name = \"resume\"\n[grid]\ndepths = [1, 4]\nn_hidden = [2, 3]\n\
         [train]\ninstances = 2\nsteps = 3000\nbatch = 64\neval_batch = 100\nlog_every = 500\n",
    );
    let whole = tmp.path().join("whole");
    assert_ok(&sweep(&config, &whole, &["--threads", "1"]));

    let killed = tmp.path().join("killed");
    let mut child = tmh()
        .args(["sweep", "--quiet", "--threads", "1", "--config"])
        .arg(&config)
        .arg("--out")
        .arg(&killed)
        .spawn()
        .unwrap();
    let records = killed.join("groups");
    let start = Instant::now();
    let count = || fs::read_dir(&records).map(|d| d.count()).unwrap_or(0);
    while count() == 0 {
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "no group finished"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(count(), 1, "killed after the first group");

    let resumed = sweep(&config, &killed, &["--threads", "1"]);
    assert_ok(&resumed);
    assert_eq!(runs_without_wall(&killed), runs_without_wall(&whole));
}

#[test]
fn bad_input_is_refused_naming_the_field() {
    let tmp = tempfile::tempdir().unwrap();
    let cases = [
        ("[grid]\ndepth = [1]\n", "depth"),
        (
            "[grid]\nstructure = [{ kind = \"tree\", stop_prob = 1.5 }]\n",
            "stop_prob",
        ),
        ("[grid]\nn_hidden = [0]\n", "n_hidden"),
        ("[grid]\ndepths = []\n", "depths"),
        ("[train]\nschedule = \"cosin\"\n", "schedule"),
        ("[train]\nsteps = -3\n", "steps"),
        ("[analysis]\nthreshold = 0.0\n", "threshold"),
        ("[grid]\ndepths = [20]\n", "depth"),
        (
            "[grid]\nfeatures = [{ n_features = 5, feature_probability = 1.5 }]\n",
            "grid.features[0].feature_probability",
        ),
        (
            "[grid]\nfeatures = [{ n_features = 5, feature_probability = 0.1 }]\n\
             importance = [{ level_decay = 0.5 }]\n",
            "grid.importance[0]",
        ),
    ];
    for (i, (text, field)) in cases.iter().enumerate() {
        let config = write_config(tmp.path(), &format!("bad{i}.toml"), text);
        let out = tmp.path().join(format!("out{i}"));
        let output = sweep(&config, &out, &[]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{text} was accepted");
        assert!(
            stderr.contains(field),
            "{text}: message does not name {field}: {stderr}"
        );
        assert!(!out.join("runs.csv").exists(), "{text}: nothing may run");
    }
}

#[test]
fn a_folder_of_another_config_is_refused_with_the_difference() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    assert_ok(&sweep(&quick(), &out, &[]));
    let other = fs::read_to_string(quick())
        .unwrap()
        .replace("steps = 300", "steps = 200");
    let other = write_config(tmp.path(), "other.toml", &other);
    let output = sweep(&other, &out, &[]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(
        stderr.contains("steps") && stderr.contains("300") && stderr.contains("200"),
        "{stderr}"
    );
}

#[test]
fn merged_shards_equal_one_unsharded_run() {
    let tmp = tempfile::tempdir().unwrap();
    let whole = tmp.path().join("whole");
    assert_ok(&sweep(&quick(), &whole, &[]));
    let shards: Vec<PathBuf> = (1..=2)
        .map(|k| tmp.path().join(format!("shard{k}")))
        .collect();
    for (k, dir) in shards.iter().enumerate() {
        assert_ok(&sweep(&quick(), dir, &["--shard", &format!("{}/2", k + 1)]));
    }
    let merged = tmp.path().join("merged");
    let output = tmh()
        .arg("merge")
        .args(&shards)
        .arg("--out")
        .arg(&merged)
        .output()
        .unwrap();
    assert_ok(&output);
    assert_eq!(runs_without_wall(&merged), runs_without_wall(&whole));
    assert!(merged.join("index.html").is_file());

    // One folder twice is refused, however it is spelled.
    let twice = tmh()
        .arg("merge")
        .arg(&shards[0])
        .arg(shards[0].join("..").join("shard1"))
        .arg("--out")
        .arg(tmp.path().join("twice"))
        .output()
        .unwrap();
    assert!(!twice.status.success());
    let err = String::from_utf8_lossy(&twice.stderr);
    assert!(
        err.contains("are the same folder; list each shard once"),
        "{err}"
    );

    // The quick sweep has 2 groups: a third shard has nothing to do, and says so.
    let empty = sweep(&quick(), &tmp.path().join("shard3"), &["--shard", "3/3"]);
    assert_ok(&empty);
    let note = String::from_utf8_lossy(&empty.stderr);
    assert!(note.contains("shard 3/3 has no groups"), "{note}");
}

#[test]
fn report_rebuilds_from_the_csvs_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    assert_ok(&sweep(&quick(), &out, &[]));
    fs::remove_dir_all(out.join("plots")).unwrap();
    fs::remove_file(out.join("index.html")).unwrap();
    fs::remove_file(out.join("summary.csv")).unwrap();
    assert_ok(&tmh().arg("report").arg(&out).output().unwrap());
    assert!(out.join("index.html").is_file() && out.join("summary.csv").is_file());
    assert!(fs::read_dir(out.join("plots")).unwrap().count() >= 6);

    // Names for series, saved in the folder's config; an unknown key is refused, listing them.
    let label = |arg: &str| {
        tmh()
            .args(["report", "--label", arg])
            .arg(&out)
            .output()
            .unwrap()
    };
    assert_ok(&label("tree0.5=early stopping"));
    let table = fs::read_to_string(out.join("min_hidden.md")).unwrap();
    assert!(table.contains("early stopping"), "{table}");
    let config = fs::read_to_string(out.join("config.toml")).unwrap();
    assert!(config.contains(r#"labels = { "tree0.5" = "early stopping" }"#));
    let refused = label("tree0=x");
    assert!(!refused.status.success());
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(
        err.contains(r#"analysis.labels."tree0" names no structure"#),
        "{err}"
    );
    assert!(err.contains(r#"use one of "tree0.5""#), "{err}");
    assert!(!label("tree0.5").status.success(), "KEY=NAME is required");
    assert_ok(&label("tree0.5="));
    let config = fs::read_to_string(out.join("config.toml")).unwrap();
    assert!(!config.contains("labels"), "{config}");
}

/// The GPU upload path (entries scattered into the batch on the device) trains exactly as the
/// host-dense one: checked on ndarray, where both run.
#[test]
fn every_upload_gives_the_same_run() {
    let tmp = tempfile::tempdir().unwrap();
    let runs: Vec<_> = ["dense", "sparse", "counts"]
        .iter()
        .map(|upload| {
            let out = tmp.path().join(upload);
            assert_ok(&sweep(
                &quick(),
                &out,
                &["--backend", "ndarray", "--upload", upload],
            ));
            runs_without_wall(&out)
        })
        .collect();
    // The same batches: identical. Node counts: the same batches' rows, summed in another
    // order, so equal within float noise (`tmh compare`).
    assert_eq!(runs[0], runs[1]);
    let compare = tmh()
        .arg("compare")
        .args([tmp.path().join("dense"), tmp.path().join("counts")])
        .output()
        .unwrap();
    assert_ok(&compare);
    assert_ratios_near_one(&String::from_utf8_lossy(&compare.stdout));

    let fused = sweep(&quick(), &tmp.path().join("f"), &["--upload", "sparse"]);
    assert!(!fused.status.success());
    let stderr = String::from_utf8_lossy(&fused.stderr);
    assert!(
        stderr.contains("only apply to the burn backends"),
        "{stderr}"
    );
}

/// Every per-cell ratio of a `tmh compare` table is 1 within float noise.
fn assert_ratios_near_one(table: &str) {
    let rows: Vec<&str> = table.lines().filter(|l| l.starts_with('d')).collect();
    assert!(!rows.is_empty(), "{table}");
    for line in rows {
        let ratio: f64 = line.split_whitespace().nth(3).unwrap().parse().unwrap();
        assert!((ratio - 1.0).abs() < 1e-3, "{line}");
    }
}

/// Gradients derived by hand train as autodiff does, up to float order, on each upload; the
/// run records which way it trained; the fused engine refuses the flag.
#[test]
fn gradients_by_hand_give_the_autodiff_run() {
    let tmp = tempfile::tempdir().unwrap();
    for upload in ["dense", "counts"] {
        let args = |gradients: &'static str| {
            [
                "--backend",
                "ndarray",
                "--upload",
                upload,
                "--gradients",
                gradients,
            ]
        };
        let run = |gradients: &'static str| {
            let out = tmp.path().join(format!("{upload}-{gradients}"));
            assert_ok(&sweep(&quick(), &out, &args(gradients)));
            out
        };
        let (autodiff, by_hand) = (run("autodiff"), run("by-hand"));
        let compare = tmh()
            .arg("compare")
            .args([&autodiff, &by_hand])
            .output()
            .unwrap();
        assert_ok(&compare);
        assert_ratios_near_one(&String::from_utf8_lossy(&compare.stdout));
        let config = fs::read_to_string(by_hand.join("config.toml")).unwrap();
        assert!(config.contains("engine = \"ndarray+by-hand\""), "{config}");
        // Resuming a folder with the other gradients is refused, saying which flag matches.
        let mixed = sweep(&quick(), &autodiff, &args("by-hand"));
        assert!(!mixed.status.success());
        let stderr = String::from_utf8_lossy(&mixed.stderr);
        assert!(stderr.contains("ndarray → ndarray+by-hand"), "{stderr}");
        assert!(stderr.contains("--gradients autodiff"), "{stderr}");
    }
    let fused = sweep(&quick(), &tmp.path().join("f"), &["--gradients", "by-hand"]);
    assert!(!fused.status.success());
    let stderr = String::from_utf8_lossy(&fused.stderr);
    assert!(
        stderr.contains("only apply to the burn backends"),
        "{stderr}"
    );
}

#[test]
fn unknown_backend_lists_the_available_ones() {
    let tmp = tempfile::tempdir().unwrap();
    let output = sweep(
        &quick(),
        &tmp.path().join("x"),
        &["--backend", "cuda-magic"],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(
        stderr.contains("cuda-magic") && stderr.contains("fused-cpu") && stderr.contains("ndarray"),
        "{stderr}"
    );
}

#[test]
fn a_tms_sweep_records_feature_probability_and_importance() {
    let tmp = tempfile::tempdir().unwrap();
    // ARENA's first TMS picture in miniature: p = 50^-linspace(0, 1, 3), importance 0.9^i.
    let config = write_config(
        tmp.path(),
        "tms.toml",
        "name = \"tms\"\n[grid]\nn_hidden = [2]\nmagnitude = [\"uniform\"]\n\
         importance = [{ decay = 0.9 }]\n\
         features = [{ n_features = 5, feature_probability = { log_space = [1.0, 0.02] } }]\n\
         [train]\ninstances = 3\nsteps = 300\nbatch = 64\neval_batch = 100\nlog_every = 100\n",
    );
    let out = tmp.path().join("tms");
    // Not --quiet: the progress log must describe sparse groups without a depth.
    let output = tmh()
        .args(["sweep", "--config"])
        .arg(&config)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert_ok(&output);
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(log.contains("f5-plog1-0.02-uniform"), "{log}");
    assert!(!log.contains("depth"), "{log}");

    let (header, rows) = read_csv(&out.join("runs.csv"));
    let column = |name: &str| header.iter().position(|h| h == name).unwrap();
    assert_eq!(rows.len(), 3);
    for (k, row) in rows.iter().enumerate() {
        assert_eq!(
            row[column("config_id")],
            "f5-plog1-0.02-h2-uniform-s0-imp0.9i"
        );
        assert_eq!(row[column("instance")], k.to_string());
        assert_eq!(row[column("structure")], "sparse");
        assert_eq!(row[column("depth")], "0");
        assert_eq!(row[column("importance")], "0.9^i");
        let p: f64 = row[column("feature_probability")].parse().unwrap();
        let arena = 50f64.powf(-(k as f64) / 2.0);
        assert!((p - arena).abs() < 1e-12, "instance {k}: {p} vs {arena}");
        let loss: f64 = row[column("eval_loss")].parse().unwrap();
        assert!(loss.is_finite() && loss > 0.0, "{row:?}");
    }
    assert!(out.join("index.html").is_file());

    // Rerun: everything resumes; the folder agrees with itself.
    let again = sweep(&config, &out, &[]);
    assert_ok(&again);
    assert!(
        String::from_utf8_lossy(&again.stdout).contains("0 trained, 1 resumed"),
        "{}",
        String::from_utf8_lossy(&again.stdout)
    );
    // A fresh run of the same file gives the same numbers, cell for cell.
    let twin = out.with_file_name("tms-twin");
    assert_ok(&sweep(&config, &twin, &[]));
    let losses = |dir: &Path| -> Vec<String> {
        let (_, rows) = read_csv(&dir.join("runs.csv"));
        rows.iter()
            .map(|r| r[column("eval_loss")].clone())
            .collect()
    };
    assert_eq!(losses(&out), losses(&twin));
    let compare = tmh().arg("compare").arg(&out).arg(&twin).output().unwrap();
    assert_ok(&compare);
    assert!(String::from_utf8_lossy(&compare.stdout).contains("AGREE"));
}

/// Starts a sweep whose first group trains `steps` steps, waits until it trains, then sends
/// SIGINT once per entry of `gaps` after sleeping that long; returns the exit status, stderr,
/// stdout and the number of recorded groups. Fails if tmh has not exited a minute later.
#[cfg(unix)]
fn interrupted_sweep(steps: u64, gaps: &[u64]) -> (Option<i32>, String, String, usize) {
    use std::io::{BufRead, BufReader, Read};
    let tmp = tempfile::tempdir().unwrap();
    let config = write_config(
        tmp.path(),
        "long.toml",
        &format!(
            "[grid]\ndepths = [1, 2]\nn_hidden = [2]\n[train]\ninstances = 1\nsteps = {steps}\nbatch = 64\n"
        ),
    );
    let out = tmp.path().join("run");
    // Not quiet: the plain log (stderr is a pipe) says when the first group starts training.
    let mut child = tmh()
        .args(["sweep", "--config"])
        .arg(&config)
        .arg("--out")
        .arg(&out)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("tmh runs");
    let mut log = String::new();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    for line in lines.by_ref() {
        let line = line.unwrap();
        log.push_str(&line);
        log.push('\n');
        if line.contains("d1-b2-tree0.5-binary: started (") {
            break;
        }
    }
    assert!(
        log.contains(": started ("),
        "the sweep never started: {log}"
    );
    for &gap in gaps {
        std::thread::sleep(std::time::Duration::from_millis(gap));
        // SAFETY: a plain kill(2) of our own child.
        unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) };
    }
    let rest = std::thread::spawn(move || lines.map(|l| l.unwrap() + "\n").collect::<String>());
    let mut stdout_pipe = child.stdout.take().unwrap();
    let stdout = std::thread::spawn(move || {
        let mut text = String::new();
        stdout_pipe.read_to_string(&mut text).unwrap();
        text
    });
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            child.kill().unwrap();
            panic!("tmh did not stop within a minute of the signals: {log}");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    log.push_str(&rest.join().unwrap());
    let records = fs::read_dir(out.join("groups")).map_or(0, |d| d.count());
    (status.code(), log, stdout.join().unwrap(), records)
}

/// Ctrl-C stops a sweep after the group in training, which is recorded; the command says so
/// and exits with 130 (128 + SIGINT). A second signal within moments of the first, as
/// `timeout` sends (to the process, then to its group), is the same request.
#[cfg(unix)]
#[test]
fn ctrl_c_stops_after_the_group_in_training() {
    // The first group trains for about a second (more in debug builds).
    let (code, log, stdout, records) = interrupted_sweep(1_000_000, &[0, 20]);
    assert_eq!(code, Some(130), "{log}");
    assert!(
        log.contains("stopping after the groups in training"),
        "{log}"
    );
    assert!(log.contains("interrupted"), "{log}");
    assert!(
        stdout.contains("(incomplete: rerun the same command to resume)"),
        "{stdout}"
    );
    assert_eq!(
        records, 1,
        "the group in training is recorded, the next not started"
    );
}

/// A second Ctrl-C well after the first stops at once: nothing more is recorded.
#[cfg(unix)]
#[test]
fn a_second_ctrl_c_stops_at_once() {
    // The first group would train for minutes: only the second signal ends it.
    let (code, log, _, records) = interrupted_sweep(1_000_000_000, &[0, 400]);
    assert_eq!(code, Some(130), "{log}");
    assert_eq!(records, 0, "the group in training is lost: {log}");
}

/// `--dry-run` prints the plan and trains and writes nothing; a nameless file's default folder
/// is named after the file.
#[test]
fn a_dry_run_prints_the_plan_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let config = write_config(
        tmp.path(),
        "my-trees.toml",
        "[grid]\ndepths = [1, 2]\nn_hidden = [2, 3]\n[train]\nsteps = 400\nbatch = 64\n",
    );
    let output = tmh()
        .current_dir(tmp.path())
        .args(["sweep", "--dry-run", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.starts_with("runs/my-trees: a new run folder"),
        "{stdout}"
    );
    assert!(
        stdout.contains("to train: 3 config(s) in 2 group(s)"),
        "{stdout}"
    );
    // Timed on the default engine: 4 and 8 of the 400 steps of both groups.
    assert!(
        stdout.contains("estimated training time: about ")
            && stdout.contains("(timed 4 and 8 steps of each of 2 group(s) in "),
        "{stdout}"
    );
    assert!(!tmp.path().join("runs").exists());
    // Planned on another backend, the fused engine is timed too, and the faster one named:
    // burn's autodiff on ndarray is many times slower on the CPU.
    let output = tmh()
        .current_dir(tmp.path())
        .args(["sweep", "--dry-run", "--backend", "ndarray", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = (stdout.lines())
        .find(|l| l.starts_with("on fused-cpu (this machine's CPU cores): about "))
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(line.contains("; fused-cpu would be "), "{line}");
    assert!(!tmp.path().join("runs").exists());
}

/// A file without `name` used to run into `runs/seed`; now it runs into `runs/<file stem>`.
/// Where only the old folder exists and holds its sweep, the command says how to resume it.
#[test]
fn a_nameless_file_points_to_its_earlier_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let grid = "[grid]\ndepths = [1]\nn_hidden = [2]\n[train]\ninstances = 1\nsteps = 20\nbatch = 16\neval_batch = 16\nlog_every = 10\n";
    // The folder an earlier tmh made of it.
    let earlier = write_config(
        tmp.path(),
        "as-seed.toml",
        &format!("name = \"seed\"\n{grid}"),
    );
    let made = tmh()
        .current_dir(tmp.path())
        .args(["sweep", "--quiet", "--config"])
        .arg(&earlier)
        .output()
        .unwrap();
    assert!(made.status.success(), "{made:?}");
    let nameless = write_config(tmp.path(), "mine.toml", grid);
    let run = |extra: &[&str]| {
        tmh()
            .current_dir(tmp.path())
            .args(["sweep", "--quiet", "--config"])
            .arg(&nameless)
            .args(extra)
            .output()
            .unwrap()
    };
    let refused = run(&[]);
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success());
    assert!(
        stderr.contains("runs/mine does not exist, but runs/seed holds this sweep")
            && stderr.contains("pass --out runs/seed to resume it there"),
        "{stderr}"
    );
    assert!(!tmp.path().join("runs/mine").exists());
    let dry = run(&["--dry-run"]);
    assert!(String::from_utf8_lossy(&dry.stdout).starts_with("note: runs/mine does not exist"));
    // A file that names itself never ran into runs/seed: no note.
    let named = write_config(
        tmp.path(),
        "named.toml",
        &format!("name = \"named\"\n{grid}"),
    );
    let dry = tmh()
        .current_dir(tmp.path())
        .args(["sweep", "--dry-run", "--config"])
        .arg(&named)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&dry.stdout);
    assert!(
        stdout.starts_with("runs/named: a new run folder"),
        "{stdout}"
    );
    // As told: it resumes there, training nothing.
    let resumed = run(&["--out", "runs/seed"]);
    let stdout = String::from_utf8_lossy(&resumed.stdout);
    assert!(stdout.contains("0 trained, 1 resumed"), "{stdout}");
}
