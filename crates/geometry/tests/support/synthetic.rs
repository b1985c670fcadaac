//! A made-up run folder with weights: `runs.csv`, `curves.csv` and
//! `weights/<config>.safetensors` with plausible geometry, without any training. Shared by the
//! tests and the `synthetic_geometry` example.

// Each test binary and the example use a different part of this file.
#![allow(dead_code)]

use std::f64::consts::PI;
use std::fs;
use std::ops::RangeInclusive;
use std::path::Path;

use report::{CurveRow, RunRow, write_table};
use safetensors::tensor::{Dtype, TensorView};
use tree_data::{Purpose, Rng, StreamKey, TreeSpec, hash_str};

/// Shape of a synthetic run: one config per (structure, depth, n_hidden ≤ n_features).
pub struct Synthetic {
    pub depths: RangeInclusive<u32>,
    pub hiddens: RangeInclusive<u32>,
    pub instances: u32,
    /// `tree`, `independent` or both: one series each (branching 2, stop_prob 0.5, binary).
    pub structures: Vec<&'static str>,
}

/// The random stream of one config's instance, from tree-data's counter-based generator.
pub fn rng(config_id: &str, instance: u32, purpose: Purpose) -> Rng {
    let key = StreamKey {
        seed: 0,
        config: hash_str(config_id),
        instance,
    };
    Rng::new(key, purpose, 0)
}

/// Writes `weights/<id>.safetensors`: `W` `[instances, h, f]` from the given row-major `[h, f]`
/// instances, and a small negative `b_final`.
pub fn write_weights(dir: &Path, id: &str, h: usize, f: usize, instances: &[Vec<f32>]) {
    let w: Vec<u8> = instances
        .iter()
        .flatten()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    let mut r = rng(id, u32::MAX, Purpose::Init);
    let b: Vec<u8> = (0..instances.len() * f)
        .flat_map(|_| (-0.05 * r.uniform_f32()).to_le_bytes())
        .collect();
    let tensors = [
        (
            "W",
            TensorView::new(Dtype::F32, vec![instances.len(), h, f], &w).unwrap(),
        ),
        (
            "b_final",
            TensorView::new(Dtype::F32, vec![instances.len(), f], &b).unwrap(),
        ),
    ];
    let bytes = safetensors::serialize(tensors, None).unwrap();
    let path = geometry::weights_path(dir, id);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, bytes).unwrap();
}

/// `n_hidden = 2`: siblings spread evenly around their parent's direction, half as wide per
/// level, shorter deeper; rotated a little per instance.
fn tree_2d(tree: &TreeSpec, instance: u64) -> Vec<f32> {
    let f = tree.n_features();
    let b = tree.branching() as f64;
    let mut angle = vec![0.0f64; f];
    for i in 0..f {
        let level = tree.level(i);
        let base = tree.parent(i).map_or(0.0, |p| angle[p]);
        let start = tree.parent(i).map_or(0, |p| tree.children(p).start);
        let k = (i - start) as f64;
        let width = 2.0 * PI / b.powi(level as i32 - 1);
        let centre = if level > 1 {
            -width / 2.0 + width / (2.0 * b)
        } else {
            0.0
        };
        angle[i] = base + width * (k / b) + 0.3 * instance as f64 + centre;
    }
    let norm = |i: usize| 1.0 - 0.15 * (tree.level(i) - 1) as f64;
    let xs = (0..f).map(|i| (norm(i) * angle[i].cos()) as f32);
    let ys = (0..f).map(|i| (norm(i) * angle[i].sin()) as f32);
    xs.chain(ys).collect()
}

/// `W` `[h, f]` row-major. With `structured`, a child leans towards its parent and siblings
/// push apart (negative sibling cosines, positive ancestor cosines); without, random columns.
/// The last feature of instance 1 is dead.
fn weights(tree: &TreeSpec, h: usize, r: &mut Rng, instance: u32, structured: bool) -> Vec<f32> {
    if h == 2 && structured {
        return tree_2d(tree, instance.into());
    }
    let f = tree.n_features();
    let mut cols: Vec<Vec<f64>> = Vec::with_capacity(f);
    // The push of the current sibling pair: + for the first child, − for the second.
    let mut twin: Vec<f64> = Vec::new();
    for i in 0..f {
        let mut v: Vec<f64> = (0..h).map(|_| r.standard_normal()).collect();
        if structured && let Some(p) = tree.parent(i) {
            let k = i - tree.children(p).start;
            if k == 0 {
                twin = (0..h).map(|_| r.standard_normal()).collect();
            }
            let sign = if k.is_multiple_of(2) { 1.0 } else { -1.0 };
            v = (0..h)
                .map(|d| 0.8 * cols[p][d] + sign * twin[d] + 0.2 * v[d])
                .collect();
        }
        let n = v.iter().map(|x| x * x).sum::<f64>().sqrt().max(1e-9);
        let len = 1.0 - 0.1 * (tree.level(i) - 1) as f64;
        cols.push(v.iter().map(|x| x / n * len).collect());
    }
    if instance == 1 {
        cols[f - 1].iter_mut().for_each(|x| *x = 0.0);
    }
    (0..h)
        .flat_map(|d| cols.iter().map(move |c| c[d] as f32))
        .collect()
}

impl Synthetic {
    /// Writes the run folder into `dir`; returns the `runs.csv` rows.
    pub fn write(&self, dir: &Path) -> Vec<RunRow> {
        let mut runs = Vec::new();
        let mut curves = Vec::new();
        for (s, structure) in self.structures.iter().enumerate() {
            for depth in self.depths.clone() {
                let tree = TreeSpec::new(depth, 2, 0.5).unwrap();
                let f = tree.n_features();
                for n_hidden in self.hiddens.clone() {
                    if n_hidden as usize > f {
                        continue;
                    }
                    let id = format!("d{depth}-h{n_hidden}-b2-{structure}0.5-binary-s0");
                    let need = depth as f64 + 1.0 + s as f64 * 0.8 * depth as f64;
                    let level = -2.0 - 5.0 / (1.0 + (-(n_hidden as f64 - need) * 1.6).exp());
                    let ws: Vec<Vec<f32>> = (0..self.instances)
                        .map(|k| {
                            let mut r = rng(&id, k, Purpose::Init);
                            weights(&tree, n_hidden as usize, &mut r, k, *structure == "tree")
                        })
                        .collect();
                    write_weights(dir, &id, n_hidden as usize, f, &ws);
                    for instance in 0..self.instances {
                        let z = rng(&id, instance, Purpose::Eval).uniform_f64();
                        let eval_loss = 10f64.powf(level + 0.8 * z - 0.4);
                        runs.push(RunRow {
                            config_id: id.clone(),
                            group: format!("{structure}-d{depth}"),
                            depth,
                            branching: 2,
                            structure: (*structure).to_owned(),
                            stop_prob: 0.5,
                            magnitude: "binary".to_owned(),
                            feature_probability: 0.25,
                            correlated_pairs: 0,
                            anticorrelated_pairs: 0,
                            importance: "1".into(),
                            n_hidden,
                            n_features: f as u32,
                            seed: 0.into(),
                            instance,
                            train_loss: eval_loss * 0.97,
                            exact_loss: None,
                            decoded: None,
                            max_error: None,
                            // The seed tree's: binary, stop_prob 0.5, importance 1.
                            bias_only_loss: RunRow::seed_example(depth, n_hidden, 0, 0.0)
                                .bias_only_loss,
                            eval_loss,
                            wall_s: 2.0 + depth as f64,
                            diverged: false,
                        });
                        for k in 0..=10u64 {
                            let t = k as f64 / 10.0;
                            let log = -0.5 * (1.0 - t) + eval_loss.log10() * t;
                            curves.push(CurveRow {
                                config_id: id.clone(),
                                instance,
                                step: k * 200,
                                loss: 10f64.powf(log),
                            });
                        }
                    }
                }
            }
        }
        write_table(dir, &runs).unwrap();
        write_table(dir, &curves).unwrap();
        runs
    }
}

/// The sweep's group of a sparse config id `f5-p0.01-h2-uniform-s0…`: the data set (what
/// comes before `-h<n_hidden>-`) and the magnitude, `f5-p0.01-uniform`.
pub fn sparse_group(id: &str, n_hidden: u32) -> String {
    let data_set = id.split(&format!("-h{n_hidden}-")).next().unwrap();
    format!("{data_set}-uniform")
}

/// A `runs.csv` row of a TMS-style config: `structure = sparse`, no tree (depth, branching
/// and stop_prob 0), uniform magnitudes, importance 1, seed 0, no pairs; its group as the
/// sweep writes it ([`sparse_group`]).
pub fn sparse_row(
    id: &str,
    n_features: u32,
    n_hidden: u32,
    instance: u32,
    p: f64,
    eval_loss: f64,
) -> RunRow {
    RunRow {
        config_id: id.to_owned(),
        group: sparse_group(id, n_hidden),
        depth: 0,
        branching: 0,
        structure: "sparse".to_owned(),
        stop_prob: 0.0,
        magnitude: "uniform".to_owned(),
        feature_probability: p,
        correlated_pairs: 0,
        anticorrelated_pairs: 0,
        importance: "1".into(),
        n_hidden,
        n_features,
        seed: 0.into(),
        instance,
        train_loss: eval_loss,
        exact_loss: None,
        decoded: None,
        max_error: None,
        // Uniform magnitudes: p·E[m²] − (p·E[m])².
        bias_only_loss: Some(p / 3.0 - p * p / 4.0),
        eval_loss,
        wall_s: 1.0,
        diverged: !eval_loss.is_finite(),
    }
}

/// `W` `[2, F]` row-major from its columns given as (x, y).
pub fn cols_2d(columns: &[(f32, f32)]) -> Vec<f32> {
    columns
        .iter()
        .map(|c| c.0)
        .chain(columns.iter().map(|c| c.1))
        .collect()
}

/// `W` `[2, n + dead]`: `n` unit vectors evenly around the circle starting at angle `phase`,
/// then `dead` zero columns. `n = 5` is the TMS pentagon (2/5 of a dimension per feature),
/// `n = 4` two antipodal pairs (1/2 each).
pub fn polygon_2d(n: usize, dead: usize, phase: f64) -> Vec<f32> {
    let mut cols: Vec<(f32, f32)> = (0..n)
        .map(|k| {
            let a = phase + 2.0 * PI * k as f64 / n as f64;
            (a.cos() as f32, a.sin() as f32)
        })
        .collect();
    cols.extend(std::iter::repeat_n((0.0, 0.0), dead));
    cols_2d(&cols)
}

/// `W` `[2, 2 + dead]`: two orthogonal unit features, then `dead` zero columns (dimensions per
/// feature 1 for the whole instance: `n_hidden / ‖W‖_F² = 2 / 2`).
pub fn orthogonal_2d(dead: usize) -> Vec<f32> {
    let mut cols = vec![(1.0, 0.0), (0.0, 1.0)];
    cols.extend(std::iter::repeat_n((0.0, 0.0), dead));
    cols_2d(&cols)
}

/// ARENA's feature probabilities for `n` instances: `50^(−k/(n−1))`, from 1 down to 0.02.
pub fn arena_probabilities(n: u32) -> Vec<f64> {
    (0..n)
        .map(|k| 50f64.powf(-(k as f64) / (n.max(2) - 1) as f64))
        .collect()
}

/// Appends TMS-style configs to the run folder: 5 features in 2 dimensions over 8 feature
/// probabilities (ARENA's `50^(−k/7)`), drifting from two orthogonal features through
/// antipodal pairs to the pentagon as features get sparser; and 6 features with a correlated
/// and an anticorrelated pair.
pub fn write_sparse(dir: &Path) {
    let mut runs: Vec<RunRow> = report::read_runs(dir).unwrap();
    let id = "f5-plog1-0.02-h2-uniform-s0";
    let ps = arena_probabilities(8);
    let mut ws = Vec::new();
    for (k, p) in ps.iter().enumerate() {
        let k = k as u32;
        let z = rng(id, k, Purpose::Eval).uniform_f64();
        let w = if *p > 0.3 {
            orthogonal_2d(3)
        } else if *p > 0.08 {
            polygon_2d(4, 1, 0.4 * z)
        } else {
            polygon_2d(5, 0, z)
        };
        // Features not quite unit length, so the per-feature dots scatter a little.
        let shrink = 1.0 - 0.08 * (z as f32 - 0.5);
        ws.push(
            w.iter()
                .enumerate()
                .map(|(i, v)| if i % 5 == 0 { v * shrink } else { *v })
                .collect(),
        );
        runs.push(sparse_row(id, 5, 2, k, *p, 0.1 * p * (1.0 + z)));
    }
    write_weights(dir, id, 2, 5, &ws);

    let id = "f6-p0.05-h2-uniform-s0-pairs";
    let w = cols_2d(&[
        (1.0, 0.0),
        (0.95, 0.3),
        (0.0, 1.0),
        (0.0, -1.0),
        (-0.7, 0.7),
        (-0.7, -0.7),
    ]);
    write_weights(dir, id, 2, 6, &[w.clone(), w]);
    for k in 0..2 {
        let mut r = sparse_row(id, 6, 2, k, 0.05, 0.004 * f64::from(k + 1));
        r.correlated_pairs = 1;
        r.anticorrelated_pairs = 1;
        runs.push(r);
    }
    write_table(dir, &runs).unwrap();
}
