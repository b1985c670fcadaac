//! Run folders: resume, parallel groups, refusals, shards and merge, weights, divergence.

mod common;

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::{bytes, engine, runs_without_wall, tiny};
use report::{RunRow, Table};
use sweep::{
    Aggregate, AnalysisChange, CONFIG_FILE, Criterion, GroupInfo, NoopObserver, Observer,
    RunOptions, SweepConfig, merge, read_weights, rebuild_report, record_path, run, weights_path,
};
use sweep::{FolderState, plan};
use train::{Engine, Job, JobResult, Progress};

/// Records what happened and cancels the sweep after `stop_after` finished groups.
#[derive(Default)]
struct Recorder {
    stop_after: Option<usize>,
    finished: AtomicUsize,
    steps: AtomicUsize,
    events: Mutex<Vec<String>>,
    /// Each finished group's reported wall time.
    walls: Mutex<Vec<(String, f64)>>,
}

impl Recorder {
    fn stopping_after(n: usize) -> Recorder {
        Recorder {
            stop_after: Some(n),
            ..Recorder::default()
        }
    }
    fn events(&self) -> Vec<String> {
        self.events.lock().unwrap().clone()
    }
}

impl Observer for Recorder {
    fn sweep_started(&self, groups: &[GroupInfo]) {
        self.events
            .lock()
            .unwrap()
            .push(format!("sweep {}", groups.len()));
    }
    fn group_started(&self, group: &GroupInfo) {
        self.events
            .lock()
            .unwrap()
            .push(format!("start {}", group.id));
    }
    fn step(&self, _group: &GroupInfo, _progress: &Progress<'_>) {
        self.steps.fetch_add(1, Ordering::SeqCst);
    }
    fn pack_finished(&self, groups: &[GroupInfo], _wall_s: f64) {
        let ids: Vec<&str> = groups.iter().map(|g| g.id.as_str()).collect();
        self.events
            .lock()
            .unwrap()
            .push(format!("pack {}", ids.join(" ")));
    }
    fn group_finished(&self, group: &GroupInfo, wall_s: f64) {
        assert!(wall_s >= 0.0);
        (self.walls.lock().unwrap()).push((group.id.clone(), wall_s));
        self.finished.fetch_add(1, Ordering::SeqCst);
        self.events
            .lock()
            .unwrap()
            .push(format!("finish {}", group.id));
    }
    fn group_skipped(&self, group: &GroupInfo) {
        self.events
            .lock()
            .unwrap()
            .push(format!("skip {}", group.id));
    }
    fn cancelled(&self) -> bool {
        self.stop_after
            .is_some_and(|n| self.finished.load(Ordering::SeqCst) >= n)
    }
}

fn opts() -> RunOptions {
    RunOptions {
        version: "0.0.0-test".to_string(),
        git_commit: "cafebabe".to_string(),
        ..RunOptions::default()
    }
}

fn sharded(k: usize, n: usize) -> RunOptions {
    RunOptions {
        shard: Some((k, n)),
        ..opts()
    }
}

fn assert_same_results(a: &Path, b: &Path, config: &SweepConfig) {
    assert_eq!(
        runs_without_wall(a),
        runs_without_wall(b),
        "runs.csv of {} and {}",
        a.display(),
        b.display()
    );
    assert_eq!(bytes(&a.join("curves.csv")), bytes(&b.join("curves.csv")));
    for cell in config.cells() {
        let (wa, wb) = (
            read_weights(&weights_path(a, &cell.id)).unwrap(),
            read_weights(&weights_path(b, &cell.id)).unwrap(),
        );
        assert_eq!(wa, wb, "weights of {}", cell.id);
    }
}

#[test]
fn interrupted_run_resumes_to_the_same_results() {
    let config = tiny();
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    let engine = engine();

    let full = run(&config, &a, &engine, &opts(), &NoopObserver).unwrap();
    assert_eq!((full.groups, full.trained, full.skipped), (2, 2, 0));
    assert!(full.complete);
    assert_eq!(full.report, Some(a.join("index.html")));
    for file in [
        "config.toml",
        "runs.csv",
        "curves.csv",
        "summary.csv",
        "min_hidden.csv",
        "index.html",
    ] {
        assert!(a.join(file).is_file(), "{file}");
    }

    let stop = Recorder::stopping_after(1);
    let partial = run(&config, &b, &engine, &opts(), &stop).unwrap();
    assert_eq!(
        (partial.trained, partial.complete, partial.report.clone()),
        (1, false, None)
    );
    assert_eq!(
        stop.events(),
        [
            "sweep 2",
            "start d1-b2-tree0.5-binary",
            "finish d1-b2-tree0.5-binary"
        ],
        "sequential runs go in grid order"
    );
    assert_eq!(stop.steps.load(Ordering::SeqCst), 60);
    assert!(record_path(&b, "d1-b2-tree0.5-binary").is_file());
    assert!(!record_path(&b, "d2-b2-tree0.5-binary").exists());
    assert!(!b.join("index.html").exists());
    assert_eq!(
        report::read_runs(&b).unwrap().len(),
        2,
        "runs.csv already has the finished group"
    );

    let resume = Recorder::default();
    let rest = run(&config, &b, &engine, &opts(), &resume).unwrap();
    assert_eq!((rest.trained, rest.skipped, rest.complete), (1, 1, true));
    assert_eq!(
        resume.events(),
        [
            "sweep 2",
            "skip d1-b2-tree0.5-binary",
            "start d2-b2-tree0.5-binary",
            "finish d2-b2-tree0.5-binary"
        ]
    );
    assert!(b.join("index.html").is_file());
    assert_same_results(&a, &b, &config);

    // Nothing left to do: everything is skipped and the report is rebuilt.
    let again = run(&config, &b, &engine, &opts(), &NoopObserver).unwrap();
    assert_eq!((again.trained, again.skipped, again.complete), (0, 2, true));
}

#[test]
fn parallel_groups_give_the_same_results() {
    let config = tiny();
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    let engine = engine();
    run(&config, &a, &engine, &opts(), &NoopObserver).unwrap();
    let parallel = RunOptions {
        parallel_groups: 3,
        ..opts()
    };
    let observer = Recorder::default();
    let summary = run(&config, &b, &engine, &parallel, &observer).unwrap();
    assert_eq!((summary.trained, summary.complete), (2, true));
    assert_eq!(observer.finished.load(Ordering::SeqCst), 2);
    assert_same_results(&a, &b, &config);
}

/// The device engine with node-count uploads, noting the size of every `run_pack` call.
struct Packing {
    inner: train::DeviceEngine,
    calls: Mutex<Vec<usize>>,
}

impl Engine for Packing {
    fn name(&self) -> String {
        self.inner.name()
    }
    fn run(&self, job: &Job, on_step: &mut dyn FnMut(Progress)) -> JobResult {
        self.inner.run(job, on_step)
    }
    fn can_pack(&self, job: &Job) -> bool {
        self.inner.can_pack(job)
    }
    fn run_pack(&self, jobs: &[Job], on_step: &mut dyn FnMut(usize, Progress)) -> Vec<JobResult> {
        self.calls.lock().unwrap().push(jobs.len());
        self.inner.run_pack(jobs, on_step)
    }
}

/// Groups packed into one model with gradients by hand (the GPU route) record what they record
/// alone with autodiff (the reference), up to float order, each on its own; progress reaches
/// every group.
#[test]
fn packed_groups_give_the_results_of_groups_alone() {
    let config = tiny();
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    let packing = |gradients| Packing {
        inner: train::DeviceEngine {
            upload: train::Upload::NodeCounts,
            gradients,
            ..engine()
        },
        calls: Mutex::new(Vec::new()),
    };
    let reference = packing(train::Gradients::Autodiff);
    run(&config, &a, &reference, &opts(), &NoopObserver).unwrap();
    assert_eq!(
        *reference.calls.lock().unwrap(),
        [1, 1],
        "alone: one group per call"
    );
    let counts = packing(train::Gradients::ByHand);
    let packed = RunOptions {
        pack_groups: 2,
        ..opts()
    };
    let observer = Recorder::default();
    let summary = run(&config, &b, &counts, &packed, &observer).unwrap();
    assert_eq!(
        *counts.calls.lock().unwrap(),
        [2],
        "both groups in one pack"
    );
    assert_eq!((summary.trained, summary.complete), (2, true));
    // Largest tree first; the pack is announced, then each of its groups.
    let (d1, d2) = ("d1-b2-tree0.5-binary", "d2-b2-tree0.5-binary");
    let tail: Vec<String> = observer.events().split_off(3);
    assert_eq!(
        tail,
        [
            format!("pack {d2} {d1}"),
            format!("finish {d2}"),
            format!("finish {d1}")
        ]
    );
    assert_eq!(observer.finished.load(Ordering::SeqCst), 2);
    let steps = config.train.steps as usize * config.groups().len();
    assert_eq!(observer.steps.load(Ordering::SeqCst), steps);

    let close = |x: f64, y: f64| (x - y).abs() <= 1e-7 + 1e-4 * y.abs();
    let (alone, together) = (runs_without_wall(&a), runs_without_wall(&b));
    assert_eq!(alone.len(), together.len());
    for (x, y) in alone.iter().zip(&together) {
        assert_eq!((&x.config_id, x.instance), (&y.config_id, y.instance));
        assert!(close(x.train_loss, y.train_loss), "{x:?} vs {y:?}");
        assert!(close(x.eval_loss, y.eval_loss), "{x:?} vs {y:?}");
    }
    let (alone, together) = (
        report::read_curves(&a).unwrap(),
        report::read_curves(&b).unwrap(),
    );
    assert_eq!(alone.len(), together.len());
    for (x, y) in alone.iter().zip(&together) {
        assert_eq!(
            (&x.config_id, x.instance, x.step),
            (&y.config_id, y.instance, y.step)
        );
        assert!(close(x.loss, y.loss), "{x:?} vs {y:?}");
    }
    for cell in config.cells() {
        let (x, y) = (
            read_weights(&weights_path(&a, &cell.id)).unwrap(),
            read_weights(&weights_path(&b, &cell.id)).unwrap(),
        );
        assert_eq!(x.w_shape, y.w_shape);
        let pairs = x.w.iter().zip(&y.w).chain(x.b_final.iter().zip(&y.b_final));
        assert!(
            pairs.into_iter().all(|(&p, &q)| close(p.into(), q.into())),
            "{}",
            cell.id
        );
    }

    // Dense uploads cannot pack: every group trains alone whatever `pack_groups` says.
    let dense = Packing {
        inner: engine(),
        calls: Mutex::new(Vec::new()),
    };
    run(
        &config,
        &tmp.path().join("c"),
        &dense,
        &packed,
        &NoopObserver,
    )
    .unwrap();
    assert_eq!(*dense.calls.lock().unwrap(), [1, 1]);
}

#[test]
fn folder_of_another_config_or_engine_is_refused() {
    let config = tiny();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("run");
    let stop_at_once = Recorder::stopping_after(0);
    let first = run(&config, &dir, &engine(), &opts(), &stop_at_once).unwrap();
    assert_eq!((first.trained, first.complete), (0, false));
    let written = SweepConfig::load_with_run(&dir.join(CONFIG_FILE)).unwrap();
    assert_eq!(written.0, config);
    let info = written.1.unwrap();
    assert_eq!(
        (
            info.engine.as_str(),
            info.version.as_str(),
            info.git_commit.as_str()
        ),
        ("ndarray", "0.0.0-test", "cafebabe")
    );
    assert_eq!(info.config_hash, config.hash());

    let mut other = config.clone();
    other.train.steps = 61;
    other.grid.n_hidden = vec![2];
    let err = run(&other, &dir, &engine(), &opts(), &NoopObserver)
        .unwrap_err()
        .to_string();
    assert!(err.contains(&dir.display().to_string()), "{err}");
    assert!(
        err.contains("grid.n_hidden: [2, 3] → [2]") && err.contains("train.steps: 60 → 61"),
        "{err}"
    );
    assert!(!err.contains('\n'), "{err}");

    let err = run(&config, &dir, &NanEngine, &opts(), &NoopObserver)
        .unwrap_err()
        .to_string();
    assert!(err.contains("engine: ndarray → nan"), "{err}");

    // A different version of tmh may resume.
    let newer = RunOptions {
        version: "9.9.9".to_string(),
        ..opts()
    };
    run(&config, &dir, &engine(), &newer, &stop_at_once).unwrap();

    // Nothing was trained by the refused runs.
    assert!(
        std::fs::read_dir(dir.join("groups"))
            .unwrap()
            .next()
            .is_none()
    );
}

#[test]
fn merged_shards_equal_an_unsharded_run() {
    let config = tiny();
    let tmp = tempfile::tempdir().unwrap();
    let dir = |name: &str| tmp.path().join(name);
    let engine = engine();
    run(&config, &dir("full"), &engine, &opts(), &NoopObserver).unwrap();

    let one = run(&config, &dir("s1"), &engine, &sharded(1, 2), &NoopObserver).unwrap();
    assert_eq!((one.groups, one.complete), (1, true));
    assert!(
        dir("s1").join("index.html").is_file(),
        "a finished shard gets its own report"
    );
    // The costlier group (d2: 4 instances, width 3, 6 features) goes to shard 1.
    assert_eq!(report::read_runs(&dir("s1")).unwrap().len(), 4);

    // One shard alone is not the whole sweep.
    let err = merge(&[dir("s1")], &dir("merged")).unwrap_err().to_string();
    assert!(
        err.contains("missing from every shard") && err.contains("d1-h2-b2-tree0.5-binary-s0"),
        "{err}"
    );

    run(&config, &dir("s2"), &engine, &sharded(2, 2), &NoopObserver).unwrap();
    merge(&[dir("s1"), dir("s2")], &dir("merged")).unwrap();
    assert_same_results(&dir("full"), &dir("merged"), &config);
    assert!(dir("merged").join("index.html").is_file());
    let merged_config = SweepConfig::load(&dir("merged").join(CONFIG_FILE)).unwrap();
    assert_eq!(merged_config, config);

    // Merging into one of the shards works too.
    merge(&[dir("s1"), dir("s2")], &dir("s2")).unwrap();
    assert_same_results(&dir("full"), &dir("s2"), &config);

    // Shards of different configs are refused, showing the difference (the analysis is not
    // part of a config's identity: it may differ).
    let mut other = config.clone();
    other.train.lr = 1e-2;
    other.analysis.threshold = 1e-3;
    run(
        &other,
        &dir("o1"),
        &engine,
        &sharded(1, 2),
        &Recorder::stopping_after(0),
    )
    .unwrap();
    let err = merge(&[dir("s1"), dir("o1")], &dir("m2"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("train.lr: 0.001 → 0.01"), "{err}");
}

#[test]
fn weights_are_unpadded_and_carry_the_config() {
    let config = tiny();
    let tmp = tempfile::tempdir().unwrap();
    run(&config, tmp.path(), &engine(), &opts(), &NoopObserver).unwrap();
    let w = read_weights(&weights_path(tmp.path(), "d2-h2-b2-tree0.5-binary-s0")).unwrap();
    assert_eq!(w.w_shape, [2, 2, 6], "h2 is not padded to its group's h3");
    assert_eq!(w.w.len(), 24);
    assert_eq!(w.b_final.len(), 12);
    assert!(w.w.iter().all(|v| v.is_finite()));
    let meta = &w.metadata;
    assert_eq!(meta["config_id"], "d2-h2-b2-tree0.5-binary-s0");
    assert_eq!(meta["group"], "d2-b2-tree0.5-binary");
    for (key, value) in [
        ("depth", "2"),
        ("n_hidden", "2"),
        ("n_features", "6"),
        ("branching", "2"),
        ("structure", "tree"),
        ("stop_prob", "0.5"),
        ("magnitude", "binary"),
        ("seed", "0"),
        ("instances", "2"),
        ("engine", "ndarray"),
    ] {
        assert_eq!(meta[key], value, "{key}");
    }
    assert_eq!(SweepConfig::from_toml_str(&meta["config"]).unwrap(), config);
    assert_eq!(meta["config_hash"], config.hash());
}

/// An engine whose runs blow up: NaN and infinite losses and weights for alternate instances.
struct NanEngine;

impl Engine for NanEngine {
    fn name(&self) -> String {
        "nan".to_string()
    }

    fn run(&self, job: &Job, on_step: &mut dyn FnMut(Progress)) -> JobResult {
        let (n, h, f) = (job.instances.len(), job.n_hidden(), job.data.n_features());
        let bad = |i: usize, v: f32| if i.is_multiple_of(2) { f32::NAN } else { v };
        for step in 1..=job.config.steps {
            on_step(Progress {
                step,
                steps: job.config.steps,
                lr: job.config.lr,
                loss: None,
            });
        }
        JobResult {
            w: (0..n * h * f).map(|i| bad(i / (h * f), 0.5)).collect(),
            b_final: vec![0.0; n * f],
            curve: vec![(0, (0..n).map(|i| bad(i, 0.25)).collect())],
            final_loss: (0..n).map(|i| bad(i, 0.125)).collect(),
            eval_loss: (0..n)
                .map(|i| {
                    if i.is_multiple_of(2) {
                        f32::INFINITY
                    } else {
                        0.0625
                    }
                })
                .collect(),
        }
    }
}

#[test]
fn diverged_runs_are_flagged_not_fatal() {
    let config = tiny();
    let tmp = tempfile::tempdir().unwrap();
    let summary = run(&config, tmp.path(), &NanEngine, &opts(), &NoopObserver).unwrap();
    assert!(summary.complete);
    assert_eq!(summary.diverged, 3, "instance 0 of each of the 3 configs");
    let rows = report::read_runs(tmp.path()).unwrap();
    assert_eq!(rows.len(), 6);
    for row in &rows {
        let diverged = row.instance == 0;
        assert_eq!(row.diverged, diverged, "{row:?}");
        assert_eq!(row.train_loss.is_nan(), diverged);
        assert_eq!(row.eval_loss.is_infinite(), diverged);
    }
    // The records hold NaN and infinity too: resuming reads them back.
    let again = run(&config, tmp.path(), &NanEngine, &opts(), &NoopObserver).unwrap();
    assert_eq!((again.skipped, again.diverged), (2, 3));
    let curves = report::read_curves(tmp.path()).unwrap();
    assert!(curves.iter().any(|c| c.loss.is_nan()));
}

/// An engine whose odd job instances (instance 1 of each config, with 2 instances) end with
/// a NaN weight but finite losses, as the fused kernel reports a NaN model (its ReLU maps NaN
/// to 0).
struct NanWeightsEngine;

impl Engine for NanWeightsEngine {
    fn name(&self) -> String {
        "nan-weights".to_string()
    }

    fn run(&self, job: &Job, _on_step: &mut dyn FnMut(Progress)) -> JobResult {
        let (n, h, f) = (job.instances.len(), job.n_hidden(), job.data.n_features());
        let mut w = vec![0.5; n * h * f];
        for i in (1..n).step_by(2) {
            w[i * h * f] = f32::NAN;
        }
        JobResult {
            w,
            b_final: vec![0.0; n * f],
            curve: vec![(0, vec![0.25; n])],
            final_loss: vec![0.125; n],
            eval_loss: vec![0.0625; n],
        }
    }
}

#[test]
fn a_nan_model_is_diverged_even_when_its_losses_are_finite() {
    let tmp = tempfile::tempdir().unwrap();
    let summary = run(
        &tiny(),
        tmp.path(),
        &NanWeightsEngine,
        &opts(),
        &NoopObserver,
    )
    .unwrap();
    assert_eq!(summary.diverged, 3, "instance 1 of each of the 3 configs");
    for row in report::read_runs(tmp.path()).unwrap() {
        assert_eq!(row.diverged, row.instance == 1, "{row:?}");
    }
}

#[test]
fn bad_inputs_train_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir: PathBuf = tmp.path().join("run");
    let mut bad = tiny();
    bad.train.lr = f64::NAN;
    let err = run(&bad, &dir, &engine(), &opts(), &NoopObserver)
        .unwrap_err()
        .to_string();
    assert!(err.contains("train.lr"), "{err}");
    let err = run(&tiny(), &dir, &engine(), &sharded(3, 2), &NoopObserver)
        .unwrap_err()
        .to_string();
    assert!(err.contains("--shard \"3/2\""), "{err}");
    assert!(!dir.exists());
}

/// A tree, a TMS data set with per-instance probabilities and a pair, and one with per-feature
/// probabilities, each with two importances: 3 groups of 2 configs.
fn tms() -> SweepConfig {
    SweepConfig::from_toml_str(
        r#"
        name = "tms"
        [grid]
        depths = [1]
        n_hidden = [2]
        magnitude = ["uniform"]
        importance = [1.0, { decay = 0.8 }]
        features = [
          { n_features = 4, feature_probability = { log_space = [0.5, 0.05] }, correlated_pairs = 1 },
          { n_features = 3, feature_probability = [0.1, 0.2, 0.3] },
        ]
        [train]
        instances = 2
        steps = 40
        batch = 32
        eval_batch = 64
        log_every = 20
        "#,
    )
    .unwrap()
}

#[test]
fn sparse_sweeps_record_their_data_and_shard_resume_and_merge_like_trees() {
    let config = tms();
    let tmp = tempfile::tempdir().unwrap();
    let dir = |name: &str| tmp.path().join(name);
    let engine = engine();
    let full = run(&config, &dir("full"), &engine, &opts(), &NoopObserver).unwrap();
    assert_eq!((full.groups, full.complete), (3, true));
    assert!(dir("full").join("index.html").is_file());

    let rows = report::read_runs(&dir("full")).unwrap();
    assert_eq!(rows.len(), 3 * 2 * 2);
    fn columns(r: &report::RunRow) -> (&str, u32, u32, f64, u32, u32, &str) {
        (
            r.structure.as_str(),
            r.depth,
            r.branching,
            r.feature_probability,
            r.correlated_pairs,
            r.anticorrelated_pairs,
            r.importance.as_str(),
        )
    }
    let by_id = |id: &str, instance: u32| {
        rows.iter()
            .find(|r| r.config_id == id && r.instance == instance)
            .unwrap_or_else(|| panic!("no row {id} {instance}"))
    };
    assert_eq!(
        columns(by_id("d1-h2-b2-tree0.5-uniform-s0-imp0.8i", 1)),
        ("tree", 1, 2, 0.25, 0, 0, "0.8^i")
    );
    let log = "f4-plog0.5-0.05-c1-h2-uniform-s0";
    assert_eq!(columns(by_id(log, 0)), ("sparse", 0, 0, 0.5, 1, 0, "1"));
    let last = by_id(&format!("{log}-imp0.8i"), 1);
    assert!((last.feature_probability - 0.05).abs() < 1e-15, "{last:?}");
    assert_eq!(last.importance, "0.8^i");
    let list = rows
        .iter()
        .find(|r| r.config_id.starts_with("f3-plist-"))
        .unwrap();
    assert!((list.feature_probability - 0.2).abs() < 1e-15, "{list:?}");
    let w = read_weights(&weights_path(&dir("full"), log)).unwrap();
    assert_eq!(w.w_shape, [2, 2, 4]);
    assert_eq!(
        (
            w.metadata["structure"].as_str(),
            w.metadata["depth"].as_str(),
            w.metadata["correlated_pairs"].as_str()
        ),
        ("sparse", "0", "1")
    );

    for k in 1..=2 {
        run(
            &config,
            &dir(&format!("s{k}")),
            &engine,
            &sharded(k, 2),
            &NoopObserver,
        )
        .unwrap();
    }
    merge(&[dir("s1"), dir("s2")], &dir("merged")).unwrap();
    assert_same_results(&dir("full"), &dir("merged"), &config);

    // Resuming reads the records back with every column.
    let again = run(&config, &dir("merged"), &engine, &opts(), &NoopObserver).unwrap();
    assert_eq!((again.trained, again.skipped), (0, 3));
    assert_same_results(&dir("full"), &dir("merged"), &config);
}

#[test]
fn records_written_before_the_data_columns_still_resume() {
    let config = tiny();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    run(&config, dir, &engine(), &opts(), &NoopObserver).unwrap();
    let before = runs_without_wall(dir);
    // Make every record what format 1 wrote: no data columns.
    for group in config.groups() {
        let path = record_path(dir, &group.info.id);
        let mut record: serde_json::Value = serde_json::from_slice(&bytes(&path)).unwrap();
        record["format"] = 1.into();
        for row in record["runs"].as_array_mut().unwrap() {
            let row = row.as_object_mut().unwrap();
            for key in [
                "feature_probability",
                "correlated_pairs",
                "anticorrelated_pairs",
                "importance",
            ] {
                assert!(row.remove(key).is_some(), "{key}");
            }
        }
        std::fs::write(&path, serde_json::to_vec(&record).unwrap()).unwrap();
    }
    std::fs::remove_file(dir.join("runs.csv")).unwrap();
    let again = run(&config, dir, &engine(), &opts(), &NoopObserver).unwrap();
    assert_eq!((again.trained, again.skipped), (0, 2));
    assert_eq!(runs_without_wall(dir), before);
    assert!(
        before
            .iter()
            .all(|r| r.importance == "1" && r.feature_probability > 0.0)
    );
}

/// Tree paths with binary magnitudes are judged on every possible sample: `runs.csv` holds the
/// exact loss and decoded fraction of the saved weights, and the summary's statistics use it.
#[test]
fn tree_paths_are_evaluated_exactly_from_the_saved_weights() {
    let config = tiny();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    run(&config, dir, &engine(), &opts(), &NoopObserver).unwrap();
    let runs = report::read_runs(dir).unwrap();
    let summary: Vec<report::SummaryRow> = report::read_table(dir).unwrap();
    for group in config.groups() {
        let support = group
            .data
            .support()
            .expect("tree paths with binary magnitudes");
        for cell in &group.cells {
            let w = read_weights(&weights_path(dir, &cell.id)).unwrap();
            let expected = train::evaluate_exact(
                &support,
                &cell.importance_vector(),
                &w.w,
                &w.b_final,
                cell.n_hidden,
            );
            let rows: Vec<&report::RunRow> =
                runs.iter().filter(|r| r.config_id == cell.id).collect();
            assert_eq!(rows.len(), expected.len());
            for (row, e) in rows.iter().zip(&expected) {
                assert_eq!(row.exact_loss, Some(e.loss), "{}", cell.id);
                assert_eq!(row.decoded, Some(e.decoded), "{}", cell.id);
                assert_eq!(row.max_error, Some(e.max_error), "{}", cell.id);
                // A batch of 64 estimates the same expectation.
                assert!(
                    (row.eval_loss / e.loss).ln().abs() < 1.0,
                    "{}: eval {} vs exact {}",
                    cell.id,
                    row.eval_loss,
                    e.loss
                );
            }
            let s = summary.iter().find(|s| s.config_id == cell.id).unwrap();
            assert_eq!(s.loss, "exact");
            let mean = expected.iter().map(|e| e.loss).sum::<f64>() / expected.len() as f64;
            assert!((s.mean - mean).abs() <= 1e-15 * mean, "{}", cell.id);
            let best = expected.iter().map(|e| e.decoded).fold(0.0, f64::max);
            assert_eq!(s.decoded_max, Some(best));
        }
    }
}

/// Records written before exact evaluation still resume, and get it from the saved weights:
/// the same `runs.csv` as a run that had it all along.
#[test]
fn records_written_before_exact_evaluation_get_it_from_their_weights() {
    let config = tiny();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    run(&config, dir, &engine(), &opts(), &NoopObserver).unwrap();
    let before = runs_without_wall(dir);
    assert!(before.iter().all(|r| r.exact_loss.is_some()));
    // A record as tmh wrote it before exact evaluation.
    let strip = |group: &sweep::Group| {
        let path = record_path(dir, &group.info.id);
        let mut record: serde_json::Value = serde_json::from_slice(&bytes(&path)).unwrap();
        for row in record["runs"].as_array_mut().unwrap() {
            let row = row.as_object_mut().unwrap();
            assert!(row.remove("exact_loss").is_some() && row.remove("decoded").is_some());
            assert!(row.remove("max_error").is_some());
        }
        std::fs::write(&path, serde_json::to_vec(&record).unwrap()).unwrap();
    };
    for group in config.groups() {
        strip(&group);
    }
    std::fs::remove_file(dir.join("runs.csv")).unwrap();
    let again = run(&config, dir, &engine(), &opts(), &NoopObserver).unwrap();
    assert_eq!((again.trained, again.skipped), (0, 2));
    assert_eq!(runs_without_wall(dir), before);
    // The records keep what reading them computed: `strip` finds the values again.
    for group in config.groups() {
        strip(&group);
    }

    // Without its weights a group keeps its sampled losses, and nothing is retrained.
    let lost = "d1-h2-b2-tree0.5-binary-s0";
    std::fs::remove_file(weights_path(dir, lost)).unwrap();
    let again = run(&config, dir, &engine(), &opts(), &NoopObserver).unwrap();
    assert_eq!((again.trained, again.skipped), (0, 2));
    for row in runs_without_wall(dir) {
        assert_eq!(
            row.exact_loss.is_none(),
            row.config_id == lost,
            "{}",
            row.config_id
        );
    }

    // A record with exact values but no worst error keeps them when its weights are gone.
    let group = &config.groups()[1];
    let path = record_path(dir, &group.info.id);
    let mut record: serde_json::Value = serde_json::from_slice(&bytes(&path)).unwrap();
    for row in record["runs"].as_array_mut().unwrap() {
        let row = row.as_object_mut().unwrap();
        row.insert("exact_loss".into(), 1e-3.into());
        row.insert("decoded".into(), 0.5.into());
        row.remove("max_error");
    }
    std::fs::write(&path, serde_json::to_vec(&record).unwrap()).unwrap();
    std::fs::remove_file(weights_path(dir, &group.cells[0].id)).unwrap();
    run(&config, dir, &engine(), &opts(), &NoopObserver).unwrap();
    for row in runs_without_wall(dir)
        .iter()
        .filter(|r| r.group == group.info.id)
    {
        assert_eq!(
            (row.exact_loss, row.decoded, row.max_error),
            (Some(1e-3), Some(0.5), None)
        );
    }
}

fn median_change() -> AnalysisChange {
    AnalysisChange {
        aggregate: Some(Aggregate::Median),
        ..AnalysisChange::default()
    }
}

#[test]
fn a_folder_is_analysed_again_without_training() {
    let config = tiny();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    run(&config, dir, &engine(), &opts(), &NoopObserver).unwrap();
    let before = runs_without_wall(dir);

    // The same sweep under another analysis: nothing trains, the folder takes the new analysis.
    let mut strict = config.clone();
    strict.analysis.threshold = 1e-9;
    strict.analysis.criterion = Criterion::Decoded;
    let again = run(&strict, dir, &engine(), &opts(), &NoopObserver).unwrap();
    assert_eq!((again.trained, again.skipped), (0, 2));
    assert_eq!(runs_without_wall(dir), before);
    // It says so: on stdout and in the report.
    let changes = [
        "analysis.threshold: 1e-5 → 1e-9",
        "analysis.criterion: \"loss\" → \"decoded\"",
    ];
    assert_eq!(again.analysis_changes, changes);
    assert!(again.to_string().contains(&changes.join("; ")));
    let html = std::fs::read_to_string(dir.join("index.html")).unwrap();
    assert!(html.contains("Analysis changed by this sweep command (no training)"));
    let (saved, info) = SweepConfig::load_with_run(&dir.join(CONFIG_FILE)).unwrap();
    assert_eq!(saved, strict);
    assert_eq!(
        info.unwrap().version,
        "0.0.0-test",
        "the run's facts are kept"
    );
    let min_hidden = std::fs::read_to_string(dir.join("min_hidden.csv")).unwrap();
    assert!(min_hidden.contains(",1e-9,"), "{min_hidden}");
    let html = std::fs::read_to_string(dir.join("index.html")).unwrap();
    assert!(html.contains("Headline criterion (analysis.criterion): decoded"));

    // `tmh report` changes it back, saves it, and says so in the report.
    let change = AnalysisChange {
        threshold: Some(1e-5),
        aggregate: Some(Aggregate::Min),
        criterion: Some(Criterion::Loss),
        ..AnalysisChange::default()
    };
    rebuild_report(dir, &change).unwrap();
    let (saved, _) = SweepConfig::load_with_run(&dir.join(CONFIG_FILE)).unwrap();
    let mut expected = config.clone();
    expected.analysis.aggregate = Aggregate::Min;
    assert_eq!(saved, expected);
    let html = std::fs::read_to_string(dir.join("index.html")).unwrap();
    assert!(
        html.contains(
            "Analysis changed by `tmh report` (no training): analysis.threshold: 1e-9 → 1e-5; \
             analysis.aggregate: &quot;mean&quot; → &quot;min&quot;; analysis.criterion: \
             &quot;decoded&quot; → &quot;loss&quot;."
        ),
        "{html}"
    );
    assert!(html.contains("<th class=\"headline\" title=\"headline aggregate\">min</th>"));
    let again = run(&expected, dir, &engine(), &opts(), &NoopObserver).unwrap();
    assert_eq!(again.trained, 0);

    // A change the data cannot take is refused, and the folder keeps its analysis.
    let mut sparse = tms();
    sparse.train.steps = 20;
    let sparse_dir = tmp.path().join("sparse");
    run(&sparse, &sparse_dir, &engine(), &opts(), &NoopObserver).unwrap();
    let decoded = AnalysisChange {
        criterion: Some(Criterion::Decoded),
        ..AnalysisChange::default()
    };
    let err = rebuild_report(&sparse_dir, &decoded)
        .unwrap_err()
        .to_string();
    assert!(err.contains("needs exact evaluation"), "{err}");
    let (saved, _) = SweepConfig::load_with_run(&sparse_dir.join(CONFIG_FILE)).unwrap();
    assert_eq!(saved.analysis.criterion, Criterion::Loss);

    // A folder that is not a run folder is named as such.
    let err = rebuild_report(&tmp.path().join("nothing"), &median_change())
        .unwrap_err()
        .to_string();
    assert!(err.contains("nothing is not a run folder"), "{err}");

    // A folder without `[run]` facts gets none made up.
    std::fs::write(sparse_dir.join(CONFIG_FILE), sparse.to_toml()).unwrap();
    rebuild_report(&sparse_dir, &median_change()).unwrap();
    let (saved, info) = SweepConfig::load_with_run(&sparse_dir.join(CONFIG_FILE)).unwrap();
    assert_eq!((saved.analysis.aggregate, info), (Aggregate::Median, None));
}

#[test]
fn losses_are_judged_relative_to_the_bias_only_loss_on_request() {
    let config = tiny();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    run(&config, dir, &engine(), &opts(), &NoopObserver).unwrap();
    let runs = runs_without_wall(dir);
    let cells = config.cells();
    for row in &runs {
        let cell = cells.iter().find(|c| c.id == row.config_id).unwrap();
        assert_eq!(row.bias_only_loss, Some(cell.bias_only_loss(row.instance)));
        // Depth 1 of the seed's tree: two features of marginal 1/4.
        if row.depth == 1 {
            assert_eq!(row.bias_only_loss, Some(0.1875));
        }
    }

    // Records from before the column get it when read, and an older importance label the
    // current one; nothing trains.
    for group in config.groups() {
        let path = record_path(dir, &group.info.id);
        let mut record: serde_json::Value = serde_json::from_slice(&bytes(&path)).unwrap();
        for row in record["runs"].as_array_mut().unwrap() {
            let row = row.as_object_mut().unwrap();
            row.remove("bias_only_loss");
            row.insert("importance".into(), "an older label".into());
        }
        std::fs::write(&path, serde_json::to_vec(&record).unwrap()).unwrap();
    }
    // And a runs.csv from before it cannot be judged relatively: refused, nothing changed.
    let csv = std::fs::read_to_string(dir.join("runs.csv")).unwrap();
    let column = RunRow::COLUMNS
        .iter()
        .position(|c| *c == "bias_only_loss")
        .unwrap();
    let old_csv: String = csv
        .lines()
        .map(|line| {
            let mut cells: Vec<&str> = line.split(',').collect();
            cells.remove(column);
            cells.join(",") + "\n"
        })
        .collect();
    std::fs::write(dir.join("runs.csv"), old_csv).unwrap();
    let relative = |threshold: f64| AnalysisChange {
        threshold: Some(threshold),
        relative_loss: Some(true),
        ..AnalysisChange::default()
    };
    let err = format!("{:#}", rebuild_report(dir, &relative(1e-2)).unwrap_err());
    assert!(err.contains("Rerun the folder's sweep command"), "{err}");
    let (saved, _) = SweepConfig::load_with_run(&dir.join(CONFIG_FILE)).unwrap();
    assert_eq!(saved, config, "the refused change is not saved");
    let again = run(&config, dir, &engine(), &opts(), &NoopObserver).unwrap();
    assert_eq!((again.trained, again.skipped), (0, 2));
    assert_eq!(runs_without_wall(dir), runs);

    // A threshold between the configs' mean relative losses, so that some pass and some not.
    let mean_relative = |id: &str| {
        let of: Vec<&RunRow> = runs.iter().filter(|r| r.config_id == id).collect();
        of.iter()
            .map(|r| r.exact_loss.unwrap() / r.bias_only_loss.unwrap())
            .sum::<f64>()
            / of.len() as f64
    };
    let mut means: Vec<(String, f64)> = cells
        .iter()
        .map(|c| (c.id.clone(), mean_relative(&c.id)))
        .collect();
    means.sort_by(|a, b| a.1.total_cmp(&b.1));
    let threshold = (means[0].1 * means[1].1).sqrt();
    rebuild_report(dir, &relative(threshold)).unwrap();
    let summary: Vec<report::SummaryRow> = report::read_table(dir).unwrap();
    for row in &summary {
        assert!(row.relative);
        let want = mean_relative(&row.config_id);
        assert!((row.mean - want).abs() <= 1e-12 * want, "{row:?}");
    }
    let min_hidden: Vec<report::MinHiddenRow> = report::read_table(dir).unwrap();
    for row in min_hidden.iter().filter(|r| r.aggregate == Aggregate::Mean) {
        assert!(row.relative && row.threshold == threshold);
        let by_hand = (cells.iter())
            .filter(|c| c.depth() == row.depth && mean_relative(&c.id) < threshold)
            .map(|c| c.n_hidden as u32)
            .min();
        assert_eq!(row.min_n_hidden, by_hand, "depth {}", row.depth);
    }
    let html = std::fs::read_to_string(dir.join("index.html")).unwrap();
    assert!(html.contains("relative exact loss"));
    assert!(
        html.contains("analysis.relative_loss: false → true"),
        "the change is noted"
    );
    let (saved, _) = SweepConfig::load_with_run(&dir.join(CONFIG_FILE)).unwrap();
    assert!(saved.analysis.relative_loss);
}

/// The estimate times what is left to train, and only that, writing nothing.
#[test]
fn an_estimate_times_the_groups_left_to_train() {
    let config = tiny();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("run");
    let fresh = plan(&config, &dir, None, None).unwrap();
    let estimate = sweep::estimate(&config, &fresh, &engine()).unwrap();
    assert_eq!(estimate.groups, 2);
    assert_eq!(estimate.probe_steps, sweep::probe_steps(config.train.steps));
    assert!(
        estimate.seconds > 0.0 && estimate.probe_seconds > 0.0,
        "{estimate:?}"
    );
    assert!(!dir.exists(), "an estimate writes nothing");
    assert!(
        estimate
            .to_string()
            .starts_with("estimated training time: about ")
    );

    run(&config, &dir, &engine(), &opts(), &NoopObserver).unwrap();
    let done = plan(&config, &dir, None, None).unwrap();
    let estimate = sweep::estimate(&config, &done, &engine()).unwrap();
    assert_eq!((estimate.groups, estimate.seconds), (0, 0.0));
}

#[test]
fn seeds_are_pooled_into_one_config_on_request() {
    let mut config = tiny();
    config.grid.seeds = vec![0, 1];
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    run(&config, dir, &engine(), &opts(), &NoopObserver).unwrap();
    let runs = runs_without_wall(dir);
    let apart: Vec<report::SummaryRow> = report::read_table(dir).unwrap();
    let answers_apart: Vec<report::MinHiddenRow> = report::read_table(dir).unwrap();

    let pool = |on: bool| AnalysisChange {
        pool_seeds: Some(on),
        ..AnalysisChange::default()
    };
    rebuild_report(dir, &pool(true)).unwrap();
    assert_eq!(
        runs_without_wall(dir),
        runs,
        "runs.csv keeps the seeds apart"
    );
    let both = report::Seeds::new([0, 1]).unwrap();
    // summary.csv: the pooled rows first, then each seed's own, as the report apart has them.
    let summary: Vec<report::SummaryRow> = report::read_table(dir).unwrap();
    let (pooled, per_seed): (Vec<_>, Vec<_>) =
        summary.iter().cloned().partition(|r| r.seed == both);
    assert_eq!(summary[..pooled.len()], pooled[..]);
    assert_eq!(per_seed, apart);
    assert_eq!(pooled.len() * 2, apart.len());
    for row in &pooled {
        // Every instance of both seeds' configs, by hand from runs.csv.
        let of: Vec<f64> = (runs.iter())
            .filter(|r| r.config_id.replace("-s1", "-s0") == row.config_id.replace("-s0+1", "-s0"))
            .map(RunRow::loss)
            .collect();
        assert_eq!(of.len(), 2 * config.train.instances);
        assert_eq!(row.n_instances as usize, of.len());
        assert!(row.config_id.contains("-s0+1"), "{}", row.config_id);
        assert_eq!(row.seed, both);
        let mean = of.iter().sum::<f64>() / of.len() as f64;
        assert!((row.mean - mean).abs() <= 1e-12 * mean, "{row:?}");
        assert_eq!(row.min, of.iter().copied().fold(f64::INFINITY, f64::min));
        let passing = of
            .iter()
            .filter(|l| **l < config.analysis.threshold)
            .count();
        assert_eq!(row.n_passing, Some(passing as u32));
    }
    let all_answers: Vec<report::MinHiddenRow> = report::read_table(dir).unwrap();
    // Each seed's own answers stay beside the pooled ones, as the report apart gives them.
    let (min_hidden, per_seed): (Vec<_>, Vec<_>) =
        all_answers.into_iter().partition(|r| r.seed == both);
    assert_eq!(per_seed, answers_apart);
    assert_eq!(min_hidden.len() * 2, per_seed.len());
    for row in min_hidden.iter().filter(|r| r.aggregate == Aggregate::Mean) {
        let by_hand = (pooled.iter())
            .filter(|s| s.depth == row.depth && s.mean < row.threshold)
            .map(|s| s.n_hidden)
            .min();
        assert_eq!(row.min_n_hidden, by_hand, "depth {}", row.depth);
    }
    let html = std::fs::read_to_string(dir.join("index.html")).unwrap();
    assert!(
        html.contains("Seeds pooled (analysis.pool_seeds)"),
        "{html}"
    );
    assert!(html.contains("seeds 0+1"));
    assert!(html.contains("analysis.pool_seeds: false → true"));

    // Apart again: the per-seed tables come back as they were.
    rebuild_report(dir, &pool(false)).unwrap();
    let again: Vec<report::SummaryRow> = report::read_table(dir).unwrap();
    assert_eq!(again, apart);
}

#[test]
fn labels_name_the_series_everywhere_without_training_again() {
    let mut config = tiny();
    config.grid.structure.push(sweep::StructureSpec {
        kind: tree_data::Structure::Tree,
        stop_prob: 0.0,
    });
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    run(&config, dir, &engine(), &opts(), &NoopObserver).unwrap();
    let unnamed: Vec<report::SummaryRow> = report::read_table(dir).unwrap();
    assert!(
        unnamed
            .iter()
            .all(|r| r.label.starts_with("tree (stop_prob "))
    );

    config
        .analysis
        .labels
        .insert("tree0".into(), "no early stopping".into());
    let again = run(&config, dir, &engine(), &opts(), &NoopObserver).unwrap();
    assert_eq!(
        (again.trained, again.complete),
        (0, true),
        "names train nothing"
    );
    let named: Vec<report::SummaryRow> = report::read_table(dir).unwrap();
    for (before, after) in unnamed.iter().zip(&named) {
        let expected = if after.stop_prob == 0.0 {
            "no early stopping"
        } else {
            before.label.as_str()
        };
        assert_eq!(after.label, expected, "{}", after.config_id);
        // Only the name changed.
        let relabelled = report::SummaryRow {
            label: before.label.clone(),
            ..after.clone()
        };
        assert_eq!(&relabelled, before);
    }
    let answers: Vec<report::MinHiddenRow> = report::read_table(dir).unwrap();
    assert!(
        (answers.iter())
            .filter(|r| r.stop_prob == 0.0)
            .all(|r| r.label == "no early stopping")
    );
    for file in ["min_hidden.md", "min_hidden.tex", "index.html"] {
        let text = std::fs::read_to_string(dir.join(file)).unwrap();
        assert!(text.contains("no early stopping"), "{file}: {text}");
        assert!(!text.contains("tree (stop_prob 0)"), "{file}: {text}");
    }
    let figure = std::fs::read_to_string(dir.join("figures/min_hidden.svg")).unwrap();
    assert!(figure.contains("no early stopping"), "{figure}");
    // File names keep tmh's series names.
    assert!(
        dir.join("figures/heatmap_tree-s0_b2_binary_seed0.svg")
            .is_file()
    );
}

/// A name that reads like another data set's own label (known only from the rows a data set
/// gets) is refused before anything trains.
#[test]
fn a_label_reading_like_another_series_trains_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let unnamed = tmp.path().join("unnamed");
    run(&tms(), &unnamed, &engine(), &opts(), &NoopObserver).unwrap();
    let rows: Vec<report::SummaryRow> = report::read_table(&unnamed).unwrap();
    let own = &rows.iter().find(|r| r.n_features == 3).unwrap().label;
    let mut clash = tms();
    let first = clash.grid.features[0].label();
    clash.analysis.labels.insert(first, own.clone());
    clash.validate().unwrap();
    let dir = tmp.path().join("clash");
    let err = run(&clash, &dir, &engine(), &opts(), &NoopObserver)
        .unwrap_err()
        .to_string();
    assert!(err.contains(&format!("{own:?} would name both")), "{err}");
    assert!(!dir.exists());
}

/// A learning rate far too high kills the outputs: a model without hidden units does better,
/// and the summary and the report say that training failed.
#[test]
fn training_worse_than_no_hidden_units_is_flagged() {
    let mut config = tiny();
    config.train.lr = 10.0;
    let tmp = tempfile::tempdir().unwrap();
    let summary = run(&config, tmp.path(), &engine(), &opts(), &NoopObserver).unwrap();
    let runs = report::read_runs(tmp.path()).unwrap();
    let worse = report::worse_than_bias_only(&runs).len();
    assert!(worse > 0, "{runs:?}");
    assert_eq!(summary.worse_than_bias_only, worse);
    assert!(
        summary
            .to_string()
            .contains("ended worse than a model without hidden units")
    );
    let html = std::fs::read_to_string(tmp.path().join("index.html")).unwrap();
    assert!(html.contains("ended with an exact loss above their bias-only loss"));
    // A healthy run has none.
    let healthy = run(
        &tiny(),
        &tmp.path().join("ok"),
        &engine(),
        &opts(),
        &NoopObserver,
    );
    assert_eq!(healthy.unwrap().worse_than_bias_only, 0);
}

/// Independent binary features with few enough subsets are judged exactly, like tree paths:
/// the exact loss of `W = 0` would be their bias-only loss, and a trained one is below it.
#[test]
fn small_independent_data_gets_an_exact_loss() {
    let mut config = tiny();
    config.grid.structure = vec![sweep::StructureSpec {
        kind: tree_data::Structure::Independent,
        stop_prob: 0.5,
    }];
    let tmp = tempfile::tempdir().unwrap();
    run(&config, tmp.path(), &engine(), &opts(), &NoopObserver).unwrap();
    let runs = report::read_runs(tmp.path()).unwrap();
    assert!(!runs.is_empty());
    for row in &runs {
        let (exact, bias_only) = (row.exact_loss.unwrap(), row.bias_only_loss.unwrap());
        assert!(exact < bias_only, "{row:?}");
        assert!(row.decoded.is_some() && row.max_error.is_some(), "{row:?}");
    }
    let summary: Vec<report::SummaryRow> = report::read_table(tmp.path()).unwrap();
    assert!(summary.iter().all(|r| r.loss == "exact"));
}

/// A dry run says what a sweep would train, and writes nothing.
#[test]
fn a_plan_counts_what_would_train_and_writes_nothing() {
    let config = tiny();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("run");
    let fresh = plan(&config, &dir, None, Some("ndarray")).unwrap();
    assert_eq!(fresh.folder, FolderState::New);
    assert!(!dir.exists(), "a plan writes nothing");
    let widths: Vec<(String, usize)> = (fresh.groups.iter())
        .map(|g| (g.id.clone(), g.to_train()))
        .collect();
    assert_eq!(
        widths,
        [
            ("d1-b2-tree0.5-binary".to_string(), 1),
            ("d2-b2-tree0.5-binary".to_string(), 2)
        ]
    );
    assert!(
        fresh
            .to_string()
            .ends_with("to train: 3 config(s) in 2 group(s)")
    );

    run(&config, &dir, &engine(), &opts(), &NoopObserver).unwrap();
    let files = |dir: &Path| -> Vec<(PathBuf, Vec<u8>)> {
        let mut all = Vec::new();
        for sub in ["", "groups", "weights"] {
            for entry in std::fs::read_dir(dir.join(sub)).unwrap() {
                let path = entry.unwrap().path();
                if path.is_file() {
                    all.push((path.clone(), bytes(&path)));
                }
            }
        }
        all.sort();
        all
    };
    let before = files(&dir);
    let done = plan(&config, &dir, None, Some("ndarray")).unwrap();
    assert_eq!(done.folder, FolderState::Same { analysis: vec![] });
    assert!(done.groups.iter().all(|g| g.to_train() == 0));

    let mut wider = config.clone();
    wider.grid.n_hidden.push(4);
    let grows = plan(&wider, &dir, None, Some("ndarray")).unwrap();
    assert!(matches!(grows.folder, FolderState::Grows { .. }), "{grows}");
    assert_eq!(grows.groups[1].recorded, Some(2));
    assert_eq!(grows.groups[1].to_train(), 1);

    let mut other = config.clone();
    other.train.steps += 1;
    let refused = plan(&other, &dir, None, Some("ndarray")).unwrap();
    assert_eq!(
        refused.folder,
        FolderState::Refused {
            diff: "train.steps: 60 → 61".into()
        }
    );
    let mut renamed = config.clone();
    renamed.name = "another".into();
    let state = plan(&renamed, &dir, None, Some("ndarray")).unwrap().folder;
    assert!(matches!(state, FolderState::Renamed { .. }), "{state:?}");
    // Another engine is refused, as the sweep would be; no engine, no check.
    let state = plan(&config, &dir, None, Some("fused-cpu")).unwrap().folder;
    assert_eq!(
        state,
        FolderState::RefusedEngine {
            diff: "engine: ndarray → fused-cpu".into()
        }
    );
    let unchecked = plan(&config, &dir, None, None).unwrap();
    assert_eq!(unchecked.folder, FolderState::Same { analysis: vec![] });
    assert!(unchecked.to_string().contains("engine was not compared"));
    // A new folder has no engine to compare.
    let new = plan(&config, &tmp.path().join("new"), None, None).unwrap();
    assert!(!new.to_string().contains("engine was not compared"));
    // The same folder after all this: nothing written.
    assert!(files(&dir) == before, "a plan wrote to the folder");
}

#[test]
fn records_hashed_with_their_analysis_still_resume() {
    // Before the analysis left the hash, a record carried the hash of the whole config.
    let mut config = tiny();
    config.analysis.aggregate = Aggregate::Median;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    run(&config, dir, &engine(), &opts(), &NoopObserver).unwrap();
    let legacy = config.record_hashes()[1].clone();
    assert_ne!(legacy, config.hash());
    for group in config.groups() {
        let path = record_path(dir, &group.info.id);
        let mut record: serde_json::Value = serde_json::from_slice(&bytes(&path)).unwrap();
        record["config_hash"] = legacy.clone().into();
        std::fs::write(&path, serde_json::to_vec(&record).unwrap()).unwrap();
    }
    let text = std::fs::read_to_string(dir.join(CONFIG_FILE)).unwrap();
    let text = text.replace(&config.hash(), &legacy);
    std::fs::write(dir.join(CONFIG_FILE), text).unwrap();
    // `tmh report` changes the analysis; the records keep their hash, the folder names it.
    let min = AnalysisChange {
        aggregate: Some(Aggregate::Min),
        ..AnalysisChange::default()
    };
    rebuild_report(dir, &min).unwrap();
    // A sweep under yet another analysis resumes them and upgrades them to today's hash.
    let mut mean = config.clone();
    mean.analysis.aggregate = Aggregate::Mean;
    let again = run(&mean, dir, &engine(), &opts(), &NoopObserver).unwrap();
    assert_eq!((again.trained, again.skipped), (0, 2));
    for group in config.groups() {
        let record: serde_json::Value =
            serde_json::from_slice(&bytes(&record_path(dir, &group.info.id))).unwrap();
        assert_eq!(record["config_hash"], config.hash().as_str());
    }
    let mut median = config.clone();
    median.analysis.aggregate = Aggregate::Median;
    let again = run(&median, dir, &engine(), &opts(), &NoopObserver).unwrap();
    assert_eq!((again.trained, again.skipped), (0, 2));
    // A record of another config is still refused.
    let path = record_path(dir, &config.groups()[0].info.id);
    let mut record: serde_json::Value = serde_json::from_slice(&bytes(&path)).unwrap();
    record["config_hash"] = "0123456789abcdef".into();
    std::fs::write(&path, serde_json::to_vec(&record).unwrap()).unwrap();
    let err = run(&config, dir, &engine(), &opts(), &NoopObserver).unwrap_err();
    assert!(
        format!("{err:#}").contains("it belongs to config 0123456789abcdef"),
        "{err:#}"
    );
}

#[test]
fn a_folder_grows_into_a_wider_grid_training_only_what_is_new() {
    let config = tiny();
    let mut wider = config.clone();
    wider.grid.n_hidden.push(4);
    wider.grid.depths.push(3);
    assert!(wider.extends(&config) && !config.extends(&wider));
    let tmp = tempfile::tempdir().unwrap();
    let (grown, fresh) = (tmp.path().join("grown"), tmp.path().join("fresh"));
    run(&config, &grown, &engine(), &opts(), &NoopObserver).unwrap();
    // As if d2's first training had taken 1000 s.
    let d2 = record_path(&grown, "d2-b2-tree0.5-binary");
    let mut record: serde_json::Value = serde_json::from_slice(&bytes(&d2)).unwrap();
    record["wall_s"] = 1000.0.into();
    std::fs::write(&d2, serde_json::to_vec(&record).unwrap()).unwrap();

    // d1 (2 features) gains nothing, d2 gains n_hidden 4, d3 is new.
    let observer = Recorder::default();
    let summary = run(&wider, &grown, &engine(), &opts(), &observer).unwrap();
    // Progress reports this training alone; the record counts both.
    let walls = observer.walls.lock().unwrap().clone();
    let (_, new_s) = walls
        .iter()
        .find(|(id, _)| id == "d2-b2-tree0.5-binary")
        .unwrap();
    assert!(*new_s < 1000.0, "{walls:?}");
    let record: serde_json::Value = serde_json::from_slice(&bytes(&d2)).unwrap();
    assert!(record["wall_s"].as_f64().unwrap() >= 1000.0 + new_s);
    assert_eq!(
        (summary.trained, summary.skipped, summary.complete),
        (2, 1, true)
    );
    let events = observer.events();
    assert!(
        events.contains(&"skip d1-b2-tree0.5-binary".to_string()),
        "{events:?}"
    );
    assert!(
        events.contains(&"start d2-b2-tree0.5-binary".to_string()),
        "{events:?}"
    );
    let (saved, _) = SweepConfig::load_with_run(&grown.join(CONFIG_FILE)).unwrap();
    assert_eq!(saved, wider);

    // The same results as the wider grid trained from scratch, in the same order (the weights'
    // metadata names the config that trained them: the narrower one, for the older configs).
    run(&wider, &fresh, &engine(), &opts(), &NoopObserver).unwrap();
    assert_eq!(runs_without_wall(&grown), runs_without_wall(&fresh));
    assert_eq!(
        bytes(&grown.join("curves.csv")),
        bytes(&fresh.join("curves.csv"))
    );
    for cell in wider.cells() {
        let (a, b) = (
            read_weights(&weights_path(&grown, &cell.id)).unwrap(),
            read_weights(&weights_path(&fresh, &cell.id)).unwrap(),
        );
        assert_eq!((a.w, a.b_final), (b.w, b.b_final), "weights of {}", cell.id);
    }
    let again = run(&wider, &grown, &engine(), &opts(), &NoopObserver).unwrap();
    assert_eq!((again.trained, again.skipped), (0, 3));

    // Going back to the narrower grid would hide results: refused, with the way forward.
    let err = run(&config, &grown, &engine(), &opts(), &NoopObserver)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("grid.depths: [1, 2, 3] → [1, 2]")
            && err.contains("or with more values on its grid axes, to extend it"),
        "{err}"
    );
    // A grown group's rows share its whole wall time, as every group's do.
    let rows = report::read_runs(&grown).unwrap();
    for group in wider.groups() {
        let walls: std::collections::BTreeSet<u64> = (rows.iter())
            .filter(|r| r.group == group.info.id)
            .map(|r| r.wall_s.to_bits())
            .collect();
        assert_eq!(walls.len(), 1, "{}", group.info.id);
    }

    // The same values in another order: nothing trains, and the rows follow the new order.
    let mut reordered = wider.clone();
    reordered.grid.n_hidden = vec![3, 2, 4];
    let again = run(&reordered, &grown, &engine(), &opts(), &NoopObserver).unwrap();
    assert_eq!(again.trained, 0);
    let fresh_reordered = tmp.path().join("fresh-reordered");
    run(
        &reordered,
        &fresh_reordered,
        &engine(),
        &opts(),
        &NoopObserver,
    )
    .unwrap();
    assert_eq!(
        runs_without_wall(&grown),
        runs_without_wall(&fresh_reordered)
    );

    // Changing training is no extension; a new name or keeping wider configs is.
    let mut renamed = wider.clone();
    renamed.name = "renamed".into();
    renamed.grid.skip_wider_than_features = false;
    assert!(renamed.extends(&wider) && !wider.extends(&renamed));
    let mut longer = wider.clone();
    longer.train.steps += 1;
    longer.grid.n_hidden.push(5);
    assert!(!longer.extends(&wider));
}

#[test]
fn grown_shards_merge_config_by_config() {
    // Shards of a grid, each grown into a wider grid: the wider grid's shards are balanced
    // afresh, so a group may be recorded in part by one shard and whole by another.
    let config = tiny();
    let mut wider = config.clone();
    wider.grid.n_hidden = vec![4, 2, 3];
    wider.grid.depths.push(3);
    let tmp = tempfile::tempdir().unwrap();
    let dir = |name: &str| tmp.path().join(name);
    for (k, shard) in [(1, "a"), (2, "b")] {
        run(
            &config,
            &dir(shard),
            &engine(),
            &sharded(k, 2),
            &NoopObserver,
        )
        .unwrap();
        run(
            &wider,
            &dir(shard),
            &engine(),
            &sharded(k, 2),
            &NoopObserver,
        )
        .unwrap();
    }
    merge(&[dir("a"), dir("b")], &dir("merged")).unwrap();
    run(&wider, &dir("fresh"), &engine(), &opts(), &NoopObserver).unwrap();
    assert_eq!(
        runs_without_wall(&dir("merged")),
        runs_without_wall(&dir("fresh"))
    );
    assert_eq!(
        bytes(&dir("merged").join("curves.csv")),
        bytes(&dir("fresh").join("curves.csv"))
    );
    let again = run(&wider, &dir("merged"), &engine(), &opts(), &NoopObserver).unwrap();
    assert_eq!(again.trained, 0);
}
