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
