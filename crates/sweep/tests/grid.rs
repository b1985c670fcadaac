//! Grid expansion, fused groups, slicing results and shards.

mod common;

use std::collections::HashSet;

use sweep::{Group, StructureSpec, SweepConfig, shard_groups, stream_config_hash};
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
            cell.depth,
            cell.n_hidden,
            cell.branching,
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
        .find(|c| c.structure.kind == Structure::Independent)
        .unwrap();
    assert_eq!(indep.data.structure, Structure::Independent);
    assert_eq!(indep.data.tree.stop_prob(), 0.25);
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
    let engine = common::engine();
    let train = c.train.train_config();
    let group = &c.groups()[0];
    assert_eq!(group.cells.len(), 3);
    let inits = group.instance_inits();
    let importance = group.importance();
    let job = Job {
        data: &group.data,
        instances: &inits,
        importance: &importance,
        config: &train,
    };
    let fused = group.split(&engine.run(&job, &mut |_| {})).unwrap();

    for (cell, fused) in group.cells.iter().zip(&fused) {
        let inits = cell.instance_inits();
        let importance = vec![1.0; cell.instances * cell.n_features];
        let job = Job {
            data: &cell.data,
            instances: &inits,
            importance: &importance,
            config: &train,
        };
        let alone = engine.run(&job, &mut |_| {});
        assert_eq!(alone.w.len(), fused.w.len());
        let worst = alone
            .w
            .iter()
            .zip(&fused.w)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        assert!(worst <= 1e-5, "{}: W differs by {worst}", cell.id);
        let worst_b = alone
            .b_final
            .iter()
            .zip(&fused.b_final)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        assert!(worst_b <= 1e-5, "{}: b differs by {worst_b}", cell.id);
        for (a, b) in alone.eval_loss.iter().zip(&fused.eval_loss) {
            assert!((a - b).abs() <= 1e-6, "{}: eval {a} vs {b}", cell.id);
        }
        assert_eq!(alone.curve.len(), fused.curve.len());
    }
}
