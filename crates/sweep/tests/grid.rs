//! Grid expansion, fused groups, slicing results and shards.

mod common;

use std::collections::HashSet;

use sweep::{CellResult, Group, StructureSpec, SweepConfig, shard_groups, stream_config_hash};
use toy_model::xavier_normal_std;
use train::{Engine, Job, JobResult};
use tree_data::{Magnitude, Structure};

fn config(text: &str) -> SweepConfig {
    SweepConfig::from_toml_str(text).unwrap()
}

#[test]
fn cells_come_in_grid_order_with_their_own_init_and_streams() {
    let c = config(
        r#"
        [grid]
        depths = [2, 1]
        n_hidden = [3, 2]
        structure = [{ kind = "tree" }, { kind = "independent", stop_prob = 0.25 }]
        magnitude = ["binary", "uniform"]
        seeds = [0, 9]
        [train]
        instances = 3
        "#,
    );
    let cells = c.cells();
    let ids: Vec<&str> = cells.iter().map(|c| c.id.as_str()).collect();
    // structure, magnitude, branching, seed, depth, n_hidden; d1 (2 features) skips h3.
    let mut expected = Vec::new();
    for s in ["tree0.5", "indep0.25"] {
        for m in ["binary", "uniform"] {
            for seed in [0, 9] {
                expected.push(format!("d2-h3-b2-{s}-{m}-s{seed}"));
                expected.push(format!("d2-h2-b2-{s}-{m}-s{seed}"));
                expected.push(format!("d1-h2-b2-{s}-{m}-s{seed}"));
            }
        }
    }
    assert_eq!(ids, expected);

    let cell = &cells[0];
    assert_eq!(
        (
            cell.depth(),
            cell.n_hidden,
            cell.branching(),
            cell.seed,
            cell.instances
        ),
        (2, 3, 2, 0, 3)
    );
    assert_eq!(cell.n_features, 6);
    assert_eq!(cell.data.n_features(), 6);
    assert_eq!(cell.init_std, xavier_normal_std(3, 3, 6));
    assert_eq!(cell.group, "d2-b2-tree0.5-binary");
    let spec = StructureSpec {
        kind: Structure::Tree,
        stop_prob: 0.5,
    };
    assert_eq!(
        cell.stream_config,
        stream_config_hash(2, 2, &spec, Magnitude::Binary, 3)
    );
    let inits = cell.instance_inits();
    assert_eq!(inits.len(), 3);
    assert_eq!(
        inits[2].key,
        tree_data::StreamKey {
            seed: 0,
            config: cell.stream_config,
            instance: 2
        }
    );
    assert_eq!(inits[2].n_hidden, 3);

    // Every instance of the sweep has its own stream.
    let keys: HashSet<_> = cells
        .iter()
        .flat_map(|c| c.instance_inits())
        .map(|i| i.key)
        .collect();
    assert_eq!(keys.len(), cells.len() * 3);
    let indep = cells
        .iter()
        .find(|c| c.structure_name() == "independent")
        .unwrap();
    assert_eq!(indep.data.tree_spec().unwrap().stop_prob(), 0.25);
}

/// Stable hash of everything that fixes a sweep's results: cell and group ids, stream keys,
/// init stds and group costs, in grid order.
fn layout_hash(config: &SweepConfig) -> String {
    let mut h = tree_data::StableHasher::new();
    for cell in config.cells() {
        h.write_str(&cell.id)
            .write_str(&cell.group)
            .write_u64(cell.stream_config);
    }
    for group in config.groups() {
        h.write_str(&group.info.id).write_u64(group.info.cost);
        for init in group.instance_inits() {
            h.write_u64(init.key.seed)
                .write_u64(init.key.config)
                .write_u64(init.key.instance.into())
                .write_u64(init.n_hidden as u64)
                .write_f64(init.init_std);
        }
    }
    format!("{:016x}", h.finish())
}

#[test]
fn tree_ids_and_streams_are_pinned() {
    // Pinned before importance and sparse data existed: finished run folders (their records,
    // weights files and seeds of randomness) depend on every one of these.
    let seed = SweepConfig::default();
    assert_eq!(layout_hash(&seed), "b2ce13a1f8451d9c");
    let cells = seed.cells();
    assert_eq!(cells[0].id, "d1-h2-b2-tree0.5-binary-s0");
    assert_eq!(cells[0].stream_config, 0xc3ae_81fa_0170_0d2a);
    assert_eq!(cells[41].id, "d6-h10-b2-tree0.5-binary-s0");
    assert_eq!(cells[41].stream_config, 0x9494_9829_c0bf_826d);
    let wide = config(
        r#"
        [grid]
        depths = [3, 1]
        n_hidden = [2, 4]
        branching = [3, 2]
        structure = [{ kind = "independent", stop_prob = 0.25 }, { kind = "tree", stop_prob = 0 }]
        magnitude = ["uniform", "binary"]
        seeds = [7, 0]
        [train]
        instances = 3
        "#,
    );
    assert_eq!(layout_hash(&wide), "f2b10281591eaeb5");
    assert_eq!(wide.hash(), "a29b8f44f24b9b25", "{}", wide.to_toml());
}

#[test]
fn configs_sharing_a_distribution_fuse_into_one_group() {
    let c = config(
        "[grid]\ndepths = [1, 3]\nn_hidden = [2, 5, 3]\nseeds = [0, 1]\n[train]\ninstances = 2\nsteps = 7",
    );
    let groups = c.groups();
    let ids: Vec<&str> = groups.iter().map(|g| g.info.id.as_str()).collect();
    assert_eq!(ids, ["d1-b2-tree0.5-binary", "d3-b2-tree0.5-binary"]);
    let d3 = &groups[1].info;
    assert_eq!(
        d3.configs,
        [
            "d3-h2-b2-tree0.5-binary-s0",
            "d3-h5-b2-tree0.5-binary-s0",
            "d3-h3-b2-tree0.5-binary-s0",
            "d3-h2-b2-tree0.5-binary-s1",
            "d3-h5-b2-tree0.5-binary-s1",
            "d3-h3-b2-tree0.5-binary-s1",
        ]
    );
    assert_eq!(
        (d3.instances, d3.n_hidden, d3.n_features, d3.steps),
        (12, 5, 14, 7)
    );
    assert_eq!(d3.cost, 12 * 5 * 14 * 7);
    let inits = groups[1].instance_inits();
    assert_eq!(inits.len(), 12);
    assert_eq!(
        inits.iter().map(|i| i.n_hidden).collect::<Vec<_>>(),
        [2, 2, 5, 5, 3, 3, 2, 2, 5, 5, 3, 3]
    );
    assert_eq!(
        inits[2].init_std,
        xavier_normal_std(2, 5, 14),
        "each config keeps its own std"
    );
    assert_eq!(groups[1].importance().len(), 12 * 14);
    assert_eq!(
        groups[0].info.n_hidden, 2,
        "d1 has 2 features: h5 and h3 are skipped"
    );
}

#[test]
fn split_removes_padding() {
    let c = config("[grid]\ndepths = [1]\nn_hidden = [1, 2]\n[train]\ninstances = 2");
    let group = &c.groups()[0];
    let (n, h, f) = (4, 2, 2);
    let w: Vec<f32> = (0..n * h * f).map(|i| i as f32).collect();
    let result = JobResult {
        w,
        b_final: (0..n * f).map(|i| -(i as f32)).collect(),
        curve: vec![
            (0, vec![1.0, 2.0, 3.0, 4.0]),
            (5, vec![5.0, 6.0, 7.0, f32::NAN]),
        ],
        final_loss: vec![0.1, 0.2, 0.3, 0.4],
        eval_loss: vec![1.1, 1.2, 1.3, f32::INFINITY],
    };
    let parts = group.split(&result).unwrap();
    assert_eq!(parts.len(), 2);
    // h1: instance 0 row 0 = [0, 1], instance 1 row 0 = [4, 5].
    assert_eq!(parts[0].w, [0.0, 1.0, 4.0, 5.0]);
    assert_eq!(parts[1].w, (8..16).map(|i| i as f32).collect::<Vec<_>>());
    assert_eq!(parts[0].b_final, [0.0, -1.0, -2.0, -3.0]);
    assert_eq!(parts[1].final_loss, [0.3, 0.4]);
    assert_eq!(parts[1].eval_loss[1], f32::INFINITY);
    assert_eq!(
        parts[0].curve,
        vec![(0, vec![1.0, 2.0]), (5, vec![5.0, 6.0])]
    );
    assert!(parts[1].curve[1].1[1].is_nan());

    let mut short = result.clone();
    short.eval_loss.pop();
    assert!(
        group
            .split(&short)
            .unwrap_err()
            .to_string()
            .contains("eval losses")
    );
}

fn shard_fixture() -> Vec<Group> {
    config(
        r#"
        [grid]
        depths = [1, 2, 3, 4, 5]
        branching = [2, 3]
        structure = [{ kind = "tree" }, { kind = "independent" }]
        seeds = [0, 1]
        "#,
    )
    .groups()
}

#[test]
fn every_group_lands_in_exactly_one_shard() {
    let groups = shard_fixture();
    assert_eq!(groups.len(), 20);
    for n in 1..=7 {
        let mut seen: Vec<&str> = Vec::new();
        let mut loads = Vec::new();
        for k in 1..=n {
            let shard = shard_groups(&groups, k, n).unwrap();
            assert_eq!(shard, shard_groups(&groups, k, n).unwrap(), "deterministic");
            loads.push(shard.iter().map(|g| g.info.cost).sum::<u64>());
            seen.extend(shard.iter().map(|g| g.info.id.as_str()));
        }
        let mut all: Vec<&str> = groups.iter().map(|g| g.info.id.as_str()).collect();
        seen.sort_unstable();
        all.sort_unstable();
        assert_eq!(seen, all, "n = {n}");
        // LPT: no bin exceeds the lightest by more than the largest single job.
        let biggest = groups.iter().map(|g| g.info.cost).max().unwrap();
        let (lo, hi) = (loads.iter().min().unwrap(), loads.iter().max().unwrap());
        assert!(hi - lo <= biggest, "n = {n}: loads {loads:?}");
    }
    // More shards than groups: some shards are empty, none is lost.
    let total: usize = (1..=25)
        .map(|k| shard_groups(&groups, k, 25).unwrap().len())
        .sum();
    assert_eq!(total, 20);
    assert!(shard_groups(&groups, 0, 2).is_err());
    assert!(shard_groups(&groups, 3, 2).is_err());
}

#[test]
fn fused_group_trains_exactly_like_separate_configs() {
    let c = config(
        "[grid]\ndepths = [2]\nn_hidden = [2, 3, 4]\n[train]\ninstances = 2\nsteps = 500\nbatch = 64\neval_batch = 64\nlog_every = 100",
    );
    assert_eq!(c.groups()[0].cells.len(), 3);
    assert_fused_trains_like_alone(&c);
}

#[test]
fn sparse_cells_and_importances_get_their_own_ids_groups_and_streams() {
    let c = config(
        r#"
        [grid]
        depths = [1]
        n_hidden = [2, 3]
        magnitude = ["uniform"]
        importance = [1.0, { decay = 0.9 }, 0.7, [1.0, 0.5]]
        features = [
          { n_features = 2, feature_probability = 0.01 },
          { n_features = 2, feature_probability = [0.1, 0.2] },
          { n_features = 2, feature_probability = { per_instance = [1.0, 0.1] } },
          { n_features = 2, feature_probability = { log_space = [1.0, 0.02] } },
          { n_features = 2, feature_probability = 0.05, correlated_pairs = 1 },
        ]
        [train]
        instances = 2
        "#,
    );
    common::assert_ids_unique_and_safe(&c);
    let cells = c.cells();
    let per_data = ["", "-imp0.9i", "-imp0.7", "-implist-"];
    let data_ids: Vec<String> = cells
        .iter()
        .step_by(per_data.len())
        .map(|cell| cell.id.clone())
        .collect();
    assert_eq!(data_ids[0], "d1-h2-b2-tree0.5-uniform-s0", "trees first");
    assert_eq!(data_ids[1], "f2-p0.01-h2-uniform-s0");
    assert!(data_ids[2].starts_with("f2-plist-") && data_ids[2].ends_with("-h2-uniform-s0"));
    assert!(data_ids[3].starts_with("f2-pinst-"));
    assert_eq!(data_ids[4], "f2-plog1-0.02-h2-uniform-s0");
    assert_eq!(data_ids[5], "f2-p0.05-c1-h2-uniform-s0");
    assert_eq!(
        cells.len(),
        6 * 4,
        "n_hidden 3 is wider than every data set"
    );
    for chunk in cells.chunks(per_data.len()) {
        for (cell, suffix) in chunk.iter().zip(per_data) {
            assert!(cell.id.starts_with(&chunk[0].id), "{}", cell.id);
            assert!(
                cell.id[chunk[0].id.len()..].starts_with(suffix),
                "{}",
                cell.id
            );
            // Importance is no part of the data: the same group and the same streams.
            assert_eq!(
                (&cell.group, cell.stream_config, &cell.data),
                (&chunk[0].group, chunk[0].stream_config, &chunk[0].data)
            );
        }
        let labels: Vec<String> = chunk.iter().map(|c| c.importance.label()).collect();
        assert_eq!(labels[..3], ["1", "0.9^i", "0.7"]);
        // A list is named by its hash, the one in the id.
        let list_hash = chunk[3].id.rsplit("-implist-").next().unwrap();
        assert_eq!(labels[3], format!("list-{list_hash}"));
    }
    let sparse = &cells[4];
    assert_eq!(
        (
            sparse.depth(),
            sparse.branching(),
            sparse.structure_name(),
            sparse.stop_prob()
        ),
        (0, 0, "sparse", 0.0)
    );
    assert_eq!(sparse.group, "f2-p0.01-uniform");
    let groups = c.groups();
    assert_eq!(groups.len(), 6, "one group per data set");
    assert!(
        groups
            .iter()
            .all(|g| g.cells.len() == 4 && g.info.instances == 8)
    );

    // Every data set has its own streams, stable across versions (pinned).
    let streams: HashSet<u64> = groups.iter().map(|g| g.cells[0].stream_config).collect();
    assert_eq!(streams.len(), 6);
    assert_eq!(
        format!("{:016x}", cells[16].stream_config),
        "a40b8428a49402c9",
        "{}",
        cells[16].id
    );
    let pairs = &cells[20];
    assert_eq!(pairs.pairs().correlated, 1);
    assert_eq!(pairs.feature_probability(0), 0.05);
    let six = config(
        "[grid]\nn_hidden = [2]\nfeatures = [{ n_features = 6, feature_probability = 0.05 }]",
    );
    assert_eq!(
        six.cells()[0].feature_probability(3),
        0.05,
        "exact for equal probabilities"
    );
}

#[test]
fn importance_vectors_follow_their_rule_per_instance() {
    let c = config(
        r#"
        [grid]
        depths = [3]
        n_hidden = [2]
        importance = [{ level_decay = 0.5 }, { decay = 0.9 }, 0.25, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]]
        [train]
        instances = 2
        "#,
    );
    let group = &c.groups()[0];
    assert_eq!(group.cells.len(), 4);
    let tree = group.data.tree_spec().unwrap();
    let level: Vec<f32> = (0..14)
        .map(|f| 0.5f32.powi(tree.level(f) as i32 - 1))
        .collect();
    assert_eq!(&level[..7], [1.0, 1.0, 0.5, 0.5, 0.5, 0.5, 0.25]);
    let expected: [Vec<f32>; 4] = [
        level,
        (0..14).map(|i| 0.9f64.powi(i) as f32).collect(),
        vec![0.25; 14],
        (1..=14).map(|i| i as f32).collect(),
    ];
    for (cell, want) in group.cells.iter().zip(&expected) {
        assert_eq!(&cell.importance_vector(), want, "{}", cell.id);
    }
    // The labels read as the rules do: level 1 weighs 1, index 0 weighs 1.
    let labels: Vec<String> = group.cells.iter().map(|c| c.importance.label()).collect();
    assert_eq!(labels[..3], ["0.5^(level-1)", "0.9^i", "0.25"]);
    // The job's rows: each instance gets its own config's vector.
    let rows = group.importance();
    assert_eq!(rows.len(), 8 * 14);
    for (instance, row) in rows.chunks(14).enumerate() {
        assert_eq!(row, &expected[instance / 2][..], "instance {instance}");
    }
}

#[test]
fn a_group_with_two_importances_trains_each_config_as_alone() {
    let c = config(
        r#"
        [grid]
        n_hidden = [2]
        magnitude = ["uniform"]
        importance = [1.0, { decay = 0.7 }]
        features = [{ n_features = 5, feature_probability = { log_space = [0.5, 0.05] }, anticorrelated_pairs = 1 }]
        [train]
        instances = 2
        steps = 300
        batch = 64
        eval_batch = 64
        log_every = 100
        "#,
    );
    assert_eq!(c.groups()[0].cells.len(), 2);
    let fused = assert_fused_trains_like_alone(&c);
    // Same init and data, different importance: the weights must part ways.
    let apart = fused[0]
        .w
        .iter()
        .zip(&fused[1].w)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    assert!(apart > 1e-3, "importance changed nothing: {apart}");
}

/// Trains the first group of `c` fused, then each of its configs alone with its own
/// importance, and checks that W, b and the eval losses agree; returns the fused results.
fn assert_fused_trains_like_alone(c: &SweepConfig) -> Vec<CellResult> {
    let engine = common::engine();
    let train = c.train.train_config();
    let group = &c.groups()[0];
    let inits = group.instance_inits();
    let importance = group.importance();
    let job = Job {
        data: &group.data,
        instances: &inits,
        importance: &importance,
        config: &train,
    };
    let fused = group.split(&engine.run(&job, &mut |_| {})).unwrap();
    let max_diff = |a: &[f32], b: &[f32]| {
        a.iter()
            .zip(b)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0f32, f32::max)
    };
    for (cell, fused) in group.cells.iter().zip(&fused) {
        let inits = cell.instance_inits();
        let importance: Vec<f32> = (0..cell.instances)
            .flat_map(|_| cell.importance_vector())
            .collect();
        let job = Job {
            data: &cell.data,
            instances: &inits,
            importance: &importance,
            config: &train,
        };
        let alone = engine.run(&job, &mut |_| {});
        assert_eq!(alone.w.len(), fused.w.len());
        let worst = max_diff(&alone.w, &fused.w);
        assert!(worst <= 1e-5, "{}: W differs by {worst}", cell.id);
        let worst_b = max_diff(&alone.b_final, &fused.b_final);
        assert!(worst_b <= 1e-5, "{}: b differs by {worst_b}", cell.id);
        for (a, b) in alone.eval_loss.iter().zip(&fused.eval_loss) {
            assert!((a - b).abs() <= 1e-6, "{}: eval {a} vs {b}", cell.id);
        }
        assert_eq!(alone.curve.len(), fused.curve.len());
    }
    fused
}
