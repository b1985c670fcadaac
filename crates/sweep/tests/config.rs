//! Experiment files: defaults, examples, round trips, hashes, diffs and every refusal.

mod common;

use sweep::{Aggregate, ConfigError, StructureSpec, SweepConfig, diff, parse_shard};
use train::Schedule;
use tree_data::{Magnitude, Structure};

/// The error message for `text`, checked to be a single line.
fn error(text: &str) -> String {
    let err = SweepConfig::from_toml_str(text)
        .expect_err(text)
        .to_string();
    assert!(!err.contains('\n'), "error is not one line: {err}");
    err
}

fn assert_names(text: &str, parts: &[&str]) {
    let err = error(text);
    for part in parts {
        assert!(
            err.contains(part),
            "error for {text:?} does not mention {part:?}: {err}"
        );
    }
}

#[test]
fn default_is_the_seed_sweep() {
    let config = SweepConfig::default();
    assert_eq!(config.name, "seed");
    assert_eq!(config.grid.depths, vec![1, 2, 3, 4, 5, 6]);
    assert_eq!(config.grid.n_hidden, (2..=10).collect::<Vec<_>>());
    assert_eq!(config.grid.branching, vec![2]);
    assert_eq!(
        config.grid.structure,
        vec![StructureSpec {
            kind: Structure::Tree,
            stop_prob: 0.5
        }]
    );
    assert_eq!(config.grid.magnitude, vec![Magnitude::Binary]);
    assert_eq!(config.grid.seeds, vec![0]);
    assert!(config.grid.skip_wider_than_features);
    let t = &config.train;
    assert_eq!(
        (t.instances, t.steps, t.batch, t.eval_batch, t.log_every),
        (5, 10_000, 1024, 500, 100)
    );
    assert_eq!(t.lr, 1e-3);
    assert_eq!(t.schedule, Schedule::Constant);
    assert_eq!(config.analysis.threshold, 1e-5);
    assert_eq!(config.analysis.aggregate, Aggregate::Mean);
    assert_eq!(config.cells().len(), 42);
    assert_eq!(config.groups().len(), 6);
    assert_eq!(SweepConfig::from_toml_str("").unwrap(), config);
}

#[test]
fn examples_parse() {
    let seed = SweepConfig::load(&common::examples().join("seed.toml")).unwrap();
    assert_eq!(seed, SweepConfig::default());

    let quick = SweepConfig::load(&common::examples().join("quick.toml")).unwrap();
    assert_eq!(quick.name, "quick");
    assert_eq!(quick.cells().len(), 3, "d1-h2, d2-h2, d2-h3");
    assert_eq!(quick.groups().len(), 2);

    let compare = SweepConfig::load(&common::examples().join("compare.toml")).unwrap();
    let kinds: Vec<String> = compare
        .grid
        .structure
        .iter()
        .map(StructureSpec::label)
        .collect();
    assert_eq!(kinds, ["tree0.5", "tree0", "indep0.5"]);
    assert_eq!(compare.cells().len(), 3 * 42);
    assert_eq!(compare.groups().len(), 3 * 6);
    let mut expected = SweepConfig {
        name: "compare".to_string(),
        ..SweepConfig::default()
    };
    expected.grid.structure = compare.grid.structure.clone();
    assert_eq!(compare, expected, "compare.toml is the seed grid otherwise");
}

#[test]
fn resolved_toml_round_trips_and_its_hash_is_stable() {
    let default = SweepConfig::default();
    assert_eq!(
        SweepConfig::from_toml_str(&default.to_toml()).unwrap(),
        default
    );
    // Pinned: run folders are matched by this hash, so it must never change by accident.
    assert_eq!(default.hash(), "0fc273d2f3204b02", "{}", default.to_toml());

    let text = r#"
        name = "odd \"name\""
        [grid]
        depths = [3, 1]
        n_hidden = [4]
        branching = [3, 2]
        structure = [{ kind = "independent" }, { kind = "tree", stop_prob = 0.25 }]
        magnitude = ["uniform", "binary"]
        seeds = [7, 0]
        skip_wider_than_features = false
        [train]
        lr = 3
        schedule = "cosine"
        [analysis]
        threshold = 2.5e-7
        aggregate = "median"
    "#;
    let config = SweepConfig::from_toml_str(text).unwrap();
    assert_eq!(
        config.grid.structure[0],
        StructureSpec {
            kind: Structure::Independent,
            stop_prob: 0.5
        }
    );
    assert_eq!(config.train.lr, 3.0);
    let resolved = config.to_toml();
    assert_eq!(
        SweepConfig::from_toml_str(&resolved).unwrap(),
        config,
        "{resolved}"
    );
    assert_ne!(config.hash(), default.hash());
    assert_eq!(config.hash().len(), 16);
}

#[test]
fn diff_lists_changed_keys() {
    let a = SweepConfig::default();
    let mut b = a.clone();
    assert!(diff(&a, &b).is_empty());
    b.train.steps = 2000;
    b.grid.depths = vec![1, 2];
    assert_eq!(
        diff(&a, &b),
        vec![
            "grid.depths: [1, 2, 3, 4, 5, 6] → [1, 2]",
            "train.steps: 10000 → 2000"
        ]
    );
}

#[test]
fn unknown_keys_are_named() {
    assert_names("[train]\nstep = 5", &["unknown field `step`", "line 2"]);
    assert_names("nmae = \"x\"", &["nmae"]);
    assert_names(
        "[grid]\nstructure = [{ kind = \"tree\", stop = 0.5 }]",
        &["stop"],
    );
    assert_names("[report]\nx = 1", &["report"]);

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("typo.toml");
    std::fs::write(&path, "[analysis]\nthreshhold = 1e-5\n").unwrap();
    let err = SweepConfig::load(&path).unwrap_err().to_string();
    assert!(err.starts_with(&path.display().to_string()), "{err}");
    assert!(err.contains("threshhold") && !err.contains('\n'), "{err}");

    let err = SweepConfig::load(&dir.path().join("missing.toml"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("missing.toml"), "{err}");
}

#[test]
fn sizes_must_be_positive() {
    for key in ["instances", "steps", "batch", "eval_batch", "log_every"] {
        for value in ["0", "-3"] {
            let text = format!("[train]\n{key} = {value}");
            assert_names(&text, &[&format!("train.{key} = {value}"), "at least 1"]);
        }
    }
    for value in ["0", "-1e-3", "nan", "inf"] {
        assert_names(
            &format!("[train]\nlr = {value}"),
            &["train.lr", "greater than 0"],
        );
    }
    assert_names(
        "[grid]\ndepths = [1, 0]",
        &["grid.depths[1] = 0", "at least 1"],
    );
    assert_names("[grid]\ndepths = [-2]", &["grid.depths[0] = -2"]);
    assert_names("[grid]\nn_hidden = [2, -1]", &["grid.n_hidden[1] = -1"]);
    assert_names(
        "[grid]\nn_hidden = [0]",
        &["grid.n_hidden[0] = 0", "at least 1"],
    );
    assert_names(
        "[grid]\nn_hidden = [2, 5000]",
        &["grid.n_hidden[1] = 5000", "limit 4096"],
    );
    assert_names(
        "[grid]\nseeds = [-1]",
        &["grid.seeds[0] = -1", "at least 0"],
    );
    assert_names(
        "[grid]\ndepths = [5000000000]",
        &["grid.depths[0]", "too large"],
    );
    assert_names("[train]\nsteps = 1.5", &["steps = 1.5"]);

    // Hand-built configs go through the same checks.
    let mut config = SweepConfig::default();
    config.train.batch = 0;
    assert_eq!(
        config.validate().unwrap_err().to_string(),
        "train.batch = 0 must be at least 1"
    );
}

#[test]
fn feature_limit_is_enforced() {
    assert_names(
        "[grid]\ndepths = [3, 12]\nbranching = [2]",
        &[
            "grid.depths = 12",
            "grid.branching = 2",
            "n_features = 8190",
            "MAX_SWEEP_FEATURES = 4096",
        ],
    );
    assert_names(
        "[grid]\ndepths = [200]\nbranching = [7]",
        &["grid.depths = 200", "4096"],
    );
    // 2^12 - 2 = 4094 fits.
    SweepConfig::from_toml_str("[grid]\ndepths = [11]").unwrap();
}

#[test]
fn stop_prob_must_be_in_unit_interval() {
    let text = "[grid]\nstructure = [{ kind = \"tree\" }, { kind = \"tree\", stop_prob = 1.5 }]";
    assert_eq!(
        error(text),
        "grid.structure[1].stop_prob = 1.5 is outside [0, 1)"
    );
    for value in ["1.0", "-0.1", "nan"] {
        let text =
            format!("[grid]\nstructure = [{{ kind = \"independent\", stop_prob = {value} }}]");
        assert_names(&text, &["grid.structure[0].stop_prob", "outside [0, 1)"]);
    }
}

#[test]
fn axes_must_be_non_empty_and_distinct() {
    for axis in [
        "depths",
        "n_hidden",
        "branching",
        "structure",
        "magnitude",
        "seeds",
    ] {
        assert_eq!(
            error(&format!("[grid]\n{axis} = []")),
            format!("grid.{axis} is empty; list at least one value")
        );
    }
    assert_names(
        "[grid]\ndepths = [2, 3, 2]",
        &["grid.depths", "2 more than once"],
    );
    assert_names(
        "[grid]\nmagnitude = [\"binary\", \"binary\"]",
        &["grid.magnitude"],
    );
    assert_names(
        "[grid]\nstructure = [{ kind = \"tree\" }, { kind = \"tree\", stop_prob = 0.5 }]",
        &["grid.structure", "more than once"],
    );
}

#[test]
fn threshold_must_be_positive() {
    for value in ["0", "-1e-5", "nan", "-inf"] {
        assert_names(
            &format!("[analysis]\nthreshold = {value}"),
            &["analysis.threshold", "greater than 0"],
        );
    }
    assert_names(
        "[analysis]\naggregate = \"max\"",
        &["max", "min", "mean", "median"],
    );
}

#[test]
fn unknown_names_list_the_alternatives() {
    assert_eq!(
        error("[train]\nschedule = \"cosin\""),
        "train.schedule = \"cosin\" does not exist; use one of constant, linear, cosine"
    );
    assert_names(
        "[grid]\nbranching = [2, 1]",
        &["grid.branching[1] = 1", "at least 2"],
    );
    assert_names(
        "[grid]\nstructure = [{ kind = \"forest\" }]",
        &["forest", "tree", "independent"],
    );
    assert_names(
        "[grid]\nmagnitude = [\"gauss\"]",
        &["gauss", "binary", "uniform"],
    );
}

#[test]
fn grid_empty_after_skipping_is_refused() {
    assert_names(
        "[grid]\ndepths = [1]\nn_hidden = [3, 4]",
        &[
            "grid is empty",
            "grid.n_hidden",
            "grid.depths",
            "grid.branching",
            "skip_wider_than_features",
        ],
    );
    let kept = SweepConfig::from_toml_str(
        "[grid]\ndepths = [1]\nn_hidden = [3, 4]\nskip_wider_than_features = false",
    )
    .unwrap();
    assert_eq!(kept.cells().len(), 2);
}

#[test]
fn names_must_name_a_folder() {
    assert_names("name = \"\"", &["name", "empty"]);
    assert_names("name = \"a/b\"", &["name = \"a/b\""]);
    assert_names("name = \"..\"", &["name"]);
}

#[test]
fn run_table_is_accepted_and_ignored() {
    let text = format!(
        "{}\n[run]\nversion = \"0.1.0\"\ngit_commit = \"abc\"\nengine = \"ndarray\"\nconfig_hash = \"x\"\n",
        SweepConfig::default().to_toml()
    );
    let (config, run) = SweepConfig::parse_with_run(&text).unwrap();
    assert_eq!(config, SweepConfig::default());
    assert_eq!(run.unwrap().engine, "ndarray");
    assert_names("[run]\nengnie = \"x\"", &["engnie"]);
}

#[test]
fn shard_specs_are_checked() {
    assert_eq!(parse_shard("2/8"), Ok((2, 8)));
    assert_eq!(parse_shard("1/1"), Ok((1, 1)));
    for bad in ["0/2", "3/2", "1/0", "2", "a/2", "1/b", ""] {
        let err = parse_shard(bad).unwrap_err();
        assert!(matches!(err, ConfigError::Shard { .. }));
        let text = err.to_string();
        assert!(text.contains("--shard") && text.contains("K/N"), "{text}");
    }
}
