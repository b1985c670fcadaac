//! Experiment files: defaults, examples, round trips, hashes, diffs and every refusal.

mod common;

use sweep::{
    Aggregate, ConfigError, Criterion, FeatureProbability, Importance, StructureSpec, SweepConfig,
    diff, parse_shard,
};
use train::Schedule;
use tree_data::{Magnitude, Pairs, Structure};

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
    let names: Vec<&str> = ["tree0.5", "tree0", "indep0.5"]
        .iter()
        .map(|key| compare.analysis.labels[*key].as_str())
        .collect();
    assert_eq!(
        names,
        [
            "early stopping",
            "no early stopping",
            "independent features"
        ]
    );
    expected.analysis.labels = compare.analysis.labels.clone();
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

/// Type errors speak of what to write, not of the Rust types behind the file.
#[test]
fn wrong_types_say_what_to_write() {
    assert_names(
        "[train]\nsteps = 1e4",
        &["line 2", "expected a whole number (10000, not 1e4"],
    );
    assert_names(
        "[grid]\nstructure = [\"tree\"]",
        &["expected an inline table like { kind = \"tree\", stop_prob = 0.5 }"],
    );
    assert_names("grid = 3", &["expected a table ([grid])"]);
    for text in [
        "[train]\nsteps = 1e4",
        "[grid]\nfeatures = [3]",
        "analysis = 1",
    ] {
        assert!(!error(text).contains("Raw"), "{}", error(text));
    }
}

/// A file without `name` is named after itself, so it does not run into the seed's folder.
#[test]
fn a_nameless_file_takes_its_own_name() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("b3-uniform.toml");
    std::fs::write(&path, "[grid]\nbranching = [3]\n").unwrap();
    assert_eq!(SweepConfig::load(&path).unwrap().name, "b3-uniform");
    std::fs::write(&path, "name = \"mine\"\n").unwrap();
    assert_eq!(SweepConfig::load(&path).unwrap().name, "mine");
    assert_eq!(SweepConfig::from_toml_str("").unwrap().name, "seed");
}

#[test]
fn sizes_must_be_positive() {
    for key in ["instances", "steps", "batch", "eval_batch", "log_every"] {
        for value in ["0", "-3"] {
            let text = format!("[train]\n{key} = {value}");
            assert_names(&text, &[&format!("train.{key} = {value}"), "at least 1"]);
        }
    }
    for key in ["batch", "eval_batch"] {
        assert_eq!(
            error(&format!("[train]\n{key} = 5000000000")),
            format!("train.{key} = 5000000000 is more than the limit 524288")
        );
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

/// The experiment-file forms of `grid.features` and `grid.importance`, all at once.
const TMS: &str = r#"
    name = "tms"
    [grid]
    n_hidden = [2]
    magnitude = ["uniform"]
    importance = [{ decay = 0.9 }, 0.5, 1]
    features = [
      { n_features = 5, feature_probability = 0.01 },
      { n_features = 3, feature_probability = [0.1, 0.2, 0.3] },
      { n_features = 20, feature_probability = { per_instance = [1.0, 0.1] } },
      { n_features = 20, feature_probability = { log_space = [1.0, 0.02] } },
      { n_features = 6, feature_probability = 0.05, correlated_pairs = 1, anticorrelated_pairs = 1 },
    ]
    [train]
    instances = 2
"#;

#[test]
fn sparse_features_and_importance_parse_in_every_form() {
    let config = SweepConfig::from_toml_str(TMS).unwrap();
    let g = &config.grid;
    assert!(g.depths.is_empty(), "only features: no trees");
    assert_eq!(
        g.importance,
        [
            Importance::Decay(0.9),
            Importance::Constant(0.5),
            Importance::Constant(1.0)
        ]
    );
    let probabilities: Vec<&FeatureProbability> =
        g.features.iter().map(|f| &f.feature_probability).collect();
    assert_eq!(
        probabilities,
        [
            &FeatureProbability::Constant(0.01),
            &FeatureProbability::PerFeature(vec![0.1, 0.2, 0.3]),
            &FeatureProbability::PerInstance(vec![1.0, 0.1]),
            &FeatureProbability::LogSpace {
                from: 1.0,
                to: 0.02
            },
            &FeatureProbability::Constant(0.05),
        ]
    );
    assert_eq!(
        g.features.iter().map(|f| f.n_features).collect::<Vec<_>>(),
        [5, 3, 20, 20, 6]
    );
    assert_eq!(g.features[0].pairs, Pairs::default());
    assert_eq!(
        g.features[4].pairs,
        Pairs {
            correlated: 1,
            anticorrelated: 1
        }
    );
    // 5 data sets × 1 width × 3 importances, all sparse.
    let cells = config.cells();
    assert_eq!(cells.len(), 15);
    assert!(cells.iter().all(|c| c.structure_name() == "sparse"));

    // The resolved config says everything, round-trips, and shows in diffs and the hash.
    let resolved = config.to_toml();
    for line in [
        "depths = []",
        "importance = [{ decay = 0.9 }, 0.5, 1.0]",
        "{ n_features = 20, feature_probability = { log_space = [1.0, 0.02] }, correlated_pairs = 0, anticorrelated_pairs = 0 }",
        "{ n_features = 6, feature_probability = 0.05, correlated_pairs = 1, anticorrelated_pairs = 1 }",
    ] {
        assert!(resolved.contains(line), "{line} not in {resolved}");
    }
    assert_eq!(SweepConfig::from_toml_str(&resolved).unwrap(), config);
    let mut other = config.clone();
    other.grid.importance[1] = Importance::List(vec![1.0, 0.5, 0.25, 0.0, 0.0]);
    other.grid.features.truncate(1);
    assert_eq!(SweepConfig::from_toml_str(&other.to_toml()).unwrap(), other);
    assert_ne!(other.hash(), config.hash());
    assert_eq!(
        diff(&config, &other)
            .iter()
            .map(|d| d.split(':').next().unwrap())
            .collect::<Vec<_>>(),
        ["grid.features", "grid.importance"]
    );

    // Explicit depths bring the trees back, with their seed defaults elsewhere.
    let both =
        SweepConfig::from_toml_str(&TMS.replace("n_hidden = [2]", "n_hidden = [2]\ndepths = [2]"))
            .unwrap();
    assert_eq!(both.grid.depths, [2]);
    assert_eq!(both.cells().len(), 15 + 3);
    assert_eq!(SweepConfig::from_toml_str(&both.to_toml()).unwrap(), both);
}

#[test]
fn default_importance_and_no_features_keep_the_resolved_text() {
    // Run folders are matched by the hash of the resolved text: the new keys at their defaults
    // must leave it as it was (the default's hash is pinned above).
    let default = SweepConfig::default();
    let text = default.to_toml();
    assert!(
        !text.contains("\nimportance =") && !text.contains("\nfeatures ="),
        "{text}"
    );
    for same in ["[grid]\nimportance = [1.0]", "[grid]\nimportance = [1]"] {
        let config = SweepConfig::from_toml_str(same).unwrap();
        assert_eq!(config, default);
        assert_eq!(config.to_toml(), text);
    }
    let mut decayed = default.clone();
    decayed.grid.importance = vec![Importance::default(), Importance::LevelDecay(0.5)];
    assert_eq!(
        diff(&default, &decayed),
        ["grid.importance: [1.0] → [1.0, { level_decay = 0.5 }]"]
    );
    assert_eq!(
        SweepConfig::from_toml_str(&decayed.to_toml()).unwrap(),
        decayed
    );
}

#[test]
fn log_space_is_arenas_feature_probability() {
    // ARENA: feature_probability = 50 ** -t.linspace(0, 1, n_instances).
    let n = 5;
    let text = format!(
        "[grid]\nn_hidden = [2]\nfeatures = [{{ n_features = 4, feature_probability = {{ log_space = [1.0, 0.02] }} }}]\n[train]\ninstances = {n}"
    );
    let config = SweepConfig::from_toml_str(&text).unwrap();
    let probability = &config.grid.features[0].feature_probability;
    let arena: Vec<f64> = (0..n)
        .map(|k| 50f64.powf(-(k as f64) / (n - 1) as f64))
        .collect();
    let ours = probability.per_instance(n).unwrap();
    assert_eq!(ours.len(), n);
    for (a, b) in ours.iter().zip(&arena) {
        assert!((a - b).abs() <= 1e-12, "{ours:?} vs {arena:?}");
    }
    assert_eq!(ours[0], 1.0);
    // What the cells train on: instance k draws every feature with p_k.
    let cell = &config.cells()[0];
    for (k, p) in arena.iter().enumerate() {
        let marginals = cell.data.marginals(k as u32);
        assert!(
            marginals.iter().all(|m| (m - p).abs() <= 1e-12),
            "{marginals:?}"
        );
        assert!((cell.feature_probability(k as u32) - p).abs() <= 1e-12);
    }
    assert_eq!(
        probability.per_instance(1).unwrap(),
        [1.0],
        "one instance: `from`"
    );
}

#[test]
fn sparse_data_sets_are_checked_naming_the_field() {
    let sparse = |entry: &str| {
        format!(
            "[grid]\nn_hidden = [2]\nfeatures = [{{ n_features = 5, feature_probability = 0.1 }}, {entry}]\n[train]\ninstances = 2"
        )
    };
    assert_eq!(
        error(&sparse("{ n_features = 5, feature_probability = 1.5 }")),
        "grid.features[1].feature_probability: feature_probability = 1.5 (row 0, feature 0) is outside [0, 1]"
    );
    assert_names(
        &sparse("{ n_features = 3, feature_probability = [0.1, 0.2] }"),
        &[
            "grid.features[1].feature_probability",
            "row 0 has 2 values",
            "n_features = 3",
        ],
    );
    assert_names(
        &sparse("{ n_features = 3, feature_probability = [0.1, 0.2, 0.2], correlated_pairs = 1 }"),
        &[
            "grid.features[1].feature_probability",
            "features 0 and 1",
            "pair",
        ],
    );
    assert_names(
        &sparse(
            "{ n_features = 3, feature_probability = 0.1, correlated_pairs = 1, anticorrelated_pairs = 1 }",
        ),
        &[
            "grid.features[1]:",
            "correlated_pairs = 1",
            "anticorrelated_pairs = 1",
            "need 4 features",
        ],
    );
    assert_names(
        &sparse("{ n_features = 4, feature_probability = 0.6, anticorrelated_pairs = 1 }"),
        &["grid.features[1].feature_probability", "0.6", "at most 0.5"],
    );
    assert_names(
        &sparse("{ n_features = 4, feature_probability = { per_instance = [0.1, 1.2] } }"),
        &["grid.features[1].feature_probability", "1.2 (row 1"],
    );
    assert_eq!(
        error(&sparse(
            "{ n_features = 4, feature_probability = { per_instance = [0.1, 0.2, 0.3] } }"
        )),
        "grid.features[1].feature_probability.per_instance has 3 values; give one per instance (train.instances = 2)"
    );
    for (values, at, value) in [
        ("[1.0, 0.0]", 1, "0"),
        ("[1.5, 0.1]", 0, "1.5"),
        ("[-1, 0.1]", 0, "-1"),
        ("[0.5, nan]", 1, "NaN"),
    ] {
        assert_eq!(
            error(&sparse(&format!(
                "{{ n_features = 4, feature_probability = {{ log_space = {values} }} }}"
            ))),
            format!(
                "grid.features[1].feature_probability.log_space[{at}] = {value} is outside (0, 1]"
            )
        );
    }
    for form in [
        "\"often\"",
        "{ log_space = [1.0] }",
        "{ per_instance = 0.5 }",
        "{ linspace = [1, 0] }",
        "[0.1, \"a\"]",
    ] {
        assert_names(
            &sparse(&format!(
                "{{ n_features = 2, feature_probability = {form} }}"
            )),
            &[
                "grid.features[1].feature_probability",
                "per_instance",
                "log_space",
            ],
        );
    }
    assert_names(
        &sparse("{ n_features = 5000, feature_probability = 0.1 }"),
        &["grid.features[1].n_features = 5000", "limit 4096"],
    );
    assert_names(
        &sparse("{ n_features = 0, feature_probability = 0.1 }"),
        &["grid.features[1].n_features = 0", "at least 1"],
    );
    assert_names(
        &sparse("{ n_features = 4, feature_probability = 0.1, correlated_pairs = -1 }"),
        &["grid.features[1].correlated_pairs = -1", "at least 0"],
    );
    assert_names(
        &sparse("{ n_features = 4, feature_probability = 0.1, correlated = 1 }"),
        &["unknown field `correlated`"],
    );
    assert_names(&sparse("{ feature_probability = 0.1 }"), &["n_features"]);
    assert_eq!(
        error(&sparse("{ n_features = 5, feature_probability = 1e-1 }")),
        "grid.features lists { n_features = 5, feature_probability = 0.1, correlated_pairs = 0, anticorrelated_pairs = 0 } more than once; list each value once"
    );
    assert_eq!(
        error("[grid]\nfeatures = []"),
        "grid.features is empty; list at least one value"
    );
    assert_names(
        "[grid]\nn_hidden = [6]\nfeatures = [{ n_features = 5, feature_probability = 0.1 }]",
        &[
            "grid is empty",
            "grid.n_hidden [6]",
            "grid.features with n_features [5]",
        ],
    );
}

/// Two lists whose 32-bit id hash collides (found by a brute-force search over the second value).
const COLLIDING_LISTS: [&str; 2] = ["[0.1, 0.255535]", "[0.1, 0.317416]"];

#[test]
fn lists_whose_id_hashes_collide_are_refused_naming_both() {
    let [a, b] = COLLIDING_LISTS;
    assert_eq!(
        error(&format!(
            "[grid]\nn_hidden = [1]\nfeatures = [{{ n_features = 2, feature_probability = {a} }}, {{ n_features = 2, feature_probability = {b} }}]"
        )),
        "grid.features[0] and grid.features[1] differ but would both be named `f2-plist-5810e285` in run ids (the short hash of their lists collided); change one of their values slightly"
    );
    assert_names(
        &format!(
            "[grid]\nn_hidden = [1]\nfeatures = [{{ n_features = 2, feature_probability = 0.1 }}]\nimportance = [1.0, {a}, {b}]"
        ),
        &[
            "grid.importance[1] and grid.importance[2]",
            "`-implist-5810e285`",
        ],
    );
}

#[test]
fn importances_are_checked_naming_the_field() {
    let grid = |importance: &str| format!("[grid]\ndepths = [2]\nimportance = [1.0, {importance}]");
    for (value, shown) in [
        ("{ decay = 0 }", "0"),
        ("{ decay = -0.5 }", "-0.5"),
        ("{ decay = nan }", "NaN"),
        ("{ decay = inf }", "inf"),
    ] {
        assert_eq!(
            error(&grid(value)),
            format!("grid.importance[1].decay = {shown} must be a finite number greater than 0")
        );
    }
    assert_names(
        &grid("{ level_decay = -1 }"),
        &["grid.importance[1].level_decay = -1", "greater than 0"],
    );
    assert_eq!(
        error(&grid("-2")),
        "grid.importance[1] = -2.0 must be a finite number >= 0"
    );
    assert_names(&grid("nan"), &["grid.importance[1] = nan", ">= 0"]);
    assert_eq!(
        error(&grid("0")),
        "grid.importance[1] = 0.0 is zero for every feature; give some feature a positive importance"
    );
    assert_names(
        &grid("[1, -0.5, 1, 1, 1, 1]"),
        &["grid.importance[1][1] = -0.5", ">= 0"],
    );
    assert_names(
        &grid("[0, 0, 0, 0, 0, 0]"),
        &["grid.importance[1]", "zero for every feature"],
    );
    assert_names(&grid("[[]]"), &["grid.importance[1]", "no allowed form"]);
    assert_eq!(
        error(&grid("[1, 0.5]")),
        "grid.importance[1] has 2 values but grid.depths = 2 with grid.branching = 2 has n_features = 6; give one importance per feature (a list suits only grids whose data sets all have that many features)"
    );
    // A list must fit every data set of the grid, sparse ones too.
    assert_names(
        "[grid]\ndepths = [2]\nfeatures = [{ n_features = 5, feature_probability = 0.1 }]\nimportance = [[1, 1, 1, 1, 1, 1]]",
        &[
            "grid.importance[0] has 6 values",
            "grid.features[0] has n_features = 5",
        ],
    );
    assert_eq!(
        error(
            "[grid]\nn_hidden = [2]\nfeatures = [{ n_features = 5, feature_probability = 0.1 }]\nimportance = [{ level_decay = 0.5 }]"
        ),
        "grid.importance[0] = { level_decay = 0.5 } weighs tree levels, but grid.features[0] is sparse data without levels; use { decay = r } or a list there"
    );
    assert_names(
        "[grid]\nn_hidden = [2]\nfeatures = [{ n_features = 200, feature_probability = 0.1 }]\nimportance = [{ decay = 2 }]",
        &["grid.importance[0].decay = 2.0", "overflow f32"],
    );
    assert_names(
        "[grid]\ndepths = [3]\nimportance = [{ level_decay = 1e30 }]",
        &["grid.importance[0].level_decay = 1e30", "overflow f32"],
    );
    assert_names(&grid("1e300"), &["grid.importance[1] = 1e300", "finite"]);
    for form in [
        "\"high\"",
        "{ decay = \"fast\" }",
        "{ rate = 0.9 }",
        "{ decay = 0.9, level_decay = 0.5 }",
        "true",
    ] {
        assert_names(
            &grid(form),
            &[
                "grid.importance[1]",
                "no allowed form",
                "{ decay = r }",
                "{ level_decay = r }",
            ],
        );
    }
    assert_eq!(
        error(&grid("1")),
        "grid.importance lists 1.0 more than once; list each value once"
    );
    assert_names(
        &grid("{ decay = 0.9 }, { decay = 0.9 }"),
        &["grid.importance", "{ decay = 0.9 } more than once"],
    );
    assert_eq!(
        error("[grid]\nimportance = []"),
        "grid.importance is empty; list at least one value"
    );
    // Hand-built configs go through the same checks.
    let mut config = SweepConfig::default();
    config.grid.importance = vec![Importance::List(vec![])];
    assert_eq!(
        config.validate().unwrap_err().to_string(),
        "grid.importance[0] = [] is empty; give one value per feature"
    );
}

#[test]
fn every_example_parses_with_unique_file_name_safe_ids() {
    let mut seen = 0;
    for entry in std::fs::read_dir(common::examples()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "toml") {
            continue;
        }
        let config = SweepConfig::load(&path).unwrap_or_else(|e| panic!("{e}"));
        common::assert_ids_unique_and_safe(&config);
        seen += 1;
    }
    assert!(seen >= 4, "{seen} examples");
}

#[test]
fn the_decoding_criterion_needs_data_with_exact_evaluation() {
    let config = SweepConfig::from_toml_str("[analysis]\ncriterion = \"decoded\"").unwrap();
    assert_eq!(config.analysis.criterion, Criterion::Decoded);
    assert!(config.to_toml().contains("criterion = \"decoded\""));
    assert_eq!(
        SweepConfig::from_toml_str(&config.to_toml()).unwrap(),
        config
    );
    // At its default the key stays out of the resolved text (the pinned hash above).
    assert!(!SweepConfig::default().to_toml().contains("criterion"));
    assert_names(
        "[analysis]\ncriterion = \"decode\"",
        &["decode", "loss", "decoded"],
    );
    for (grid, names) in [
        (
            "structure = [{ kind = \"tree\" }, { kind = \"independent\" }]",
            "grid.structure[1].kind = \"independent\"",
        ),
        (
            "magnitude = [\"binary\", \"uniform\"]",
            "grid.magnitude[1] = \"uniform\"",
        ),
        (
            "features = [{ n_features = 5, feature_probability = 0.1 }]",
            "grid.features[0] = { n_features = 5",
        ),
    ] {
        assert_names(
            &format!("[grid]\n{grid}\n[analysis]\ncriterion = \"decoded\""),
            &[
                "analysis.criterion = \"decoded\" needs exact evaluation",
                names,
                "\"loss\"",
            ],
        );
    }
}

#[test]
fn relative_loss_is_refused_where_the_data_never_varies() {
    let config =
        SweepConfig::from_toml_str("[analysis]\nrelative_loss = true\nthreshold = 1e-3").unwrap();
    assert!(config.analysis.relative_loss);
    assert!(config.to_toml().contains("relative_loss = true"));
    assert_eq!(
        SweepConfig::from_toml_str(&config.to_toml()).unwrap(),
        config
    );
    // At its default the key stays out of the resolved text (the pinned hash).
    assert!(!SweepConfig::default().to_toml().contains("relative_loss"));
    // Binary features always on or always off: the bias alone gives every sample back.
    assert_names(
        "[grid]\nmagnitude = [\"binary\"]\nn_hidden = [1]\n\
         features = [{ n_features = 2, feature_probability = [1.0, 0.0] }]\n\
         [analysis]\nrelative_loss = true",
        &[
            "analysis.relative_loss = true",
            "f2-plist-",
            "instance 0",
            "analysis.relative_loss = false",
        ],
    );
    assert_names(
        "[analysis]\nrelative_loss = \"yes\"",
        &["relative_loss", "boolean"],
    );
}

#[test]
fn pooling_seeds_round_trips_and_stays_out_of_older_texts() {
    let config =
        SweepConfig::from_toml_str("[grid]\nseeds = [0, 1]\n[analysis]\npool_seeds = true")
            .unwrap();
    assert!(config.analysis.pool_seeds);
    assert!(config.to_toml().contains("pool_seeds = true"));
    assert_eq!(
        SweepConfig::from_toml_str(&config.to_toml()).unwrap(),
        config
    );
    assert!(!SweepConfig::default().to_toml().contains("pool_seeds"));
    assert_names("[analysis]\npool_seeds = 1", &["pool_seeds", "boolean"]);
}

/// Independent features have exact evaluation, so decoding, while no tree has more than 16.
#[test]
fn small_independent_data_can_be_judged_by_decoding() {
    let small = "[grid]\ndepths = [1, 2, 3]\nstructure = [{ kind = \"independent\" }]\n\
                 [analysis]\ncriterion = \"decoded\"";
    assert!(SweepConfig::from_toml_str(small).is_ok());
    assert_names(
        &small.replace("[1, 2, 3]", "[1, 2, 3, 4]"),
        &["grid.structure[0].kind = \"independent\" has none"],
    );
}

#[test]
fn the_analysis_is_not_part_of_the_hash() {
    // The analysis changes the verdict, not the training: a folder can be analysed again.
    let default = SweepConfig::default();
    let mut other = default.clone();
    other.analysis.threshold = 1e-6;
    other.analysis.aggregate = Aggregate::Min;
    other.analysis.criterion = Criterion::Decoded;
    other.analysis.relative_loss = true;
    other.analysis.pool_seeds = true;
    assert_eq!(other.hash(), default.hash());
    assert_eq!(default.record_hashes(), [default.hash()]);
    // Records written when the analysis was hashed carry the whole config's hash.
    let hashes = other.record_hashes();
    assert_eq!(hashes.len(), 2);
    assert_eq!(hashes[0], default.hash());
    assert_ne!(hashes[1], default.hash());
    assert_eq!(
        diff(&default, &other),
        [
            "analysis.threshold: 1e-5 → 1e-6",
            "analysis.aggregate: \"mean\" → \"min\"",
            "analysis.criterion: \"loss\" → \"decoded\"",
            "analysis.relative_loss: false → true",
            "analysis.pool_seeds: false → true"
        ]
    );
}

#[test]
fn labels_name_the_grid_series_and_stay_out_of_the_hash() {
    let grid = "[grid]\ndepths = [1, 2]\n\
                structure = [{ kind = \"tree\", stop_prob = 0.5 }, { kind = \"tree\", stop_prob = 0.0 }]\n\
                features = [{ n_features = 5, feature_probability = 0.01 }]\n";
    let text = format!(
        "{grid}[analysis]\nlabels = {{ \"tree0\" = \"no early stopping\", \"f5-p0.01\" = \"TMS \\\"pentagon\\\"\" }}"
    );
    let config = SweepConfig::from_toml_str(&text).unwrap();
    assert_eq!(
        SweepConfig::from_toml_str(&config.to_toml()).unwrap(),
        config
    );
    assert!(
        config.to_toml().contains(
            r#"labels = { "f5-p0.01" = "TMS \"pentagon\"", "tree0" = "no early stopping" }"#
        ),
        "{}",
        config.to_toml()
    );
    // Names are presentation: the same training, the same hash.
    let unnamed = SweepConfig::from_toml_str(grid).unwrap();
    assert_eq!(config.hash(), unnamed.hash());
    assert!(!unnamed.to_toml().contains("labels"));
    assert_eq!(
        diff(&unnamed, &config),
        [
            r#"analysis.labels: {} → { "f5-p0.01" = "TMS \"pentagon\"", "tree0" = "no early stopping" }"#
        ]
    );
    assert_eq!(
        config.series_names(),
        [
            report::SeriesName {
                of: report::Named::Structure {
                    structure: "tree".into(),
                    stop_prob: 0.0
                },
                name: "no early stopping".into()
            },
            report::SeriesName {
                of: report::Named::DataSet("f5-p0.01".into()),
                name: "TMS \"pentagon\"".into()
            },
        ]
    );

    let with = |labels: &str| format!("{grid}[analysis]\nlabels = {labels}");
    assert_names(
        &with("{ \"tree0.3\" = \"x\" }"),
        &[
            "analysis.labels.\"tree0.3\" names no structure or data set of the grid",
            "use one of \"tree0.5\", \"tree0\", \"f5-p0.01\"",
        ],
    );
    assert_names(
        &with("{ \"tree0\" = \" \" }"),
        &["analysis.labels.\"tree0\" is empty"],
    );
    assert_names(
        &with("{ \"tree0\" = \"a\", \"tree0.5\" = \"a\" }"),
        &["analysis.labels.\"tree0.5\" = \"a\" names analysis.labels.\"tree0\" too"],
    );
    assert_names(&with("[\"a\"]"), &["labels", "map"]);
    // tmh's own name of the other tree: refused before anything trains.
    assert_names(
        &with("{ \"tree0\" = \"tree (stop_prob 0.5)\" }"),
        &["analysis.labels.\"tree0\" = \"tree (stop_prob 0.5)\" is tmh's own name of \"tree0.5\""],
    );
    assert!(SweepConfig::from_toml_str(&with("{ \"tree0\" = \"tree (stop_prob 0)\" }")).is_ok());
    assert_names(
        &with("{ tree0.5 = \"x\" }"),
        &["quote keys with dots, e.g. labels = { \"tree0.5\" = \"early stopping\" }"],
    );
    // Without depths a grid of `features` has no trees to name.
    assert_names(
        "[grid]\nfeatures = [{ n_features = 5, feature_probability = 0.01 }]\n\
         [analysis]\nlabels = { \"tree0.5\" = \"x\" }",
        &["use one of \"f5-p0.01\""],
    );
}

#[test]
fn max_features_skips_wide_trees_and_refuses_wide_data_sets() {
    let text = "[grid]\ndepths = [1, 2, 3, 4, 5, 7]\nbranching = [2, 4]\nmax_features = 200";
    let config = SweepConfig::from_toml_str(text).unwrap();
    assert_eq!(config.grid.max_features, Some(200));
    assert_eq!(
        SweepConfig::from_toml_str(&config.to_toml()).unwrap(),
        config
    );
    // b = 2: depths 1–7 (254 features at 7: skipped); b = 4: depths 1–3 (84; 340 skipped).
    let trees: std::collections::BTreeSet<(u32, usize)> = (config.cells().iter())
        .map(|c| (if c.group.contains("-b4-") { 4 } else { 2 }, c.n_features))
        .collect();
    let expected: std::collections::BTreeSet<(u32, usize)> = [
        (2, 2),
        (2, 6),
        (2, 14),
        (2, 30),
        (2, 62),
        (4, 4),
        (4, 20),
        (4, 84),
    ]
    .into();
    assert_eq!(trees, expected);
    // Without the limit, b = 4 at depth 7 (21,844 features) is over the sweep's own.
    assert_names(
        &text.replace("max_features = 200", ""),
        &[
            "grid.depths = 7 with grid.branching = 4",
            "MAX_SWEEP_FEATURES",
        ],
    );
    assert!(!SweepConfig::default().to_toml().contains("max_features"));
    assert_names(
        "[grid]\ndepths = [2, 3]\nmax_features = 5",
        &[
            "grid.max_features = 5 skips every tree",
            "the smallest has 6 features",
        ],
    );
    assert_names(
        "[grid]\ndepths = [1]\nmax_features = 10\n\
         features = [{ n_features = 20, feature_probability = 0.1 }]",
        &["grid.features[0].n_features = 20 is more than grid.max_features = 10"],
    );
    assert_names("[grid]\nmax_features = 0", &["grid.max_features"]);
    assert_names(
        "[grid]\nmax_features = 5000",
        &["grid.max_features", "4096"],
    );

    // A higher limit grows a folder; a lower one does not.
    let higher = SweepConfig::from_toml_str(&text.replace("200", "400")).unwrap();
    assert!(higher.extends(&config) && !config.extends(&higher));
    let unlimited =
        SweepConfig::from_toml_str("[grid]\ndepths = [1, 2, 3, 4, 5]\nbranching = [2, 4]").unwrap();
    let limited = SweepConfig::from_toml_str(
        "[grid]\ndepths = [1, 2, 3, 4, 5]\nbranching = [2, 4]\nmax_features = 200",
    )
    .unwrap();
    assert!(unlimited.extends(&limited) && !limited.extends(&unlimited));
    // A limit above every tree of a folder skips nothing of it: the folder grows.
    let small = SweepConfig::from_toml_str("[grid]\ndepths = [1, 2, 3]").unwrap();
    let capped =
        SweepConfig::from_toml_str("[grid]\ndepths = [1, 2, 3, 4]\nmax_features = 100").unwrap();
    assert!(capped.extends(&small));
    let too_low = SweepConfig::from_toml_str("[grid]\ndepths = [1, 2, 3]\nmax_features = 10");
    assert!(
        !too_low.unwrap().extends(&small),
        "depth 3 (14 features) is skipped"
    );
}
