//! A made-up run folder: plausible losses without any training, for tests and the demo.

use std::path::Path;

use report::{CurveRow, RunRow, write_table};

/// Shape of a synthetic run.
pub struct Synthetic {
    pub depths: std::ops::RangeInclusive<u32>,
    pub hiddens: std::ops::RangeInclusive<u32>,
    pub instances: u32,
    /// (structure, stop_prob) pairs: one tree series each.
    pub structures: Vec<(&'static str, f64)>,
    /// Data sets without a tree (structure `sparse`): one series each, over `hiddens`.
    pub sparse: Vec<SparseSet>,
    pub curves: bool,
}

/// A TMS-style data set: independent sparse features, no tree.
pub struct SparseSet {
    pub n_features: u32,
    /// Feature probability of every instance (for a per-feature list, its mean); `None`:
    /// ARENA's per-instance `p = 50^-linspace(0, 1, instances)`.
    pub p: Option<f64>,
    /// Importance label, as in `runs.csv`.
    pub importance: &'static str,
    /// The probability's label in ids, as the sweep writes it (`plist-1a2b3c4d` for a
    /// per-feature list); `None`: `p<p>`, or `plog1-0.02` for the per-instance sweep.
    pub p_label: Option<&'static str>,
}

impl Default for SparseSet {
    fn default() -> Self {
        SparseSet {
            n_features: 5,
            p: Some(0.01),
            importance: "1",
            p_label: None,
        }
    }
}

impl SparseSet {
    /// Feature probability of `instance` out of `instances`.
    pub fn p(&self, instance: u32, instances: u32) -> f64 {
        self.p.unwrap_or_else(|| {
            let t = instance as f64 / (instances.max(2) - 1) as f64;
            50f64.powf(-t)
        })
    }
}

/// Deterministic noise in [-1, 1) from a few integers (splitmix64 finaliser).
fn noise(parts: &[u64]) -> f64 {
    let mut z = parts.iter().fold(0x9e37_79b9_7f4a_7c15_u64, |acc, p| {
        acc.rotate_left(17) ^ p.wrapping_mul(0xbf58_476d_1ce4_e5b9)
    });
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 52) as f64 - 1.0
}

/// Log10 of a loss that falls from 1e-2 to 1e-7 as `n_hidden` passes `need`.
fn level(n_hidden: u32, need: f64) -> f64 {
    -2.0 - 5.0 / (1.0 + (-(n_hidden as f64 - need) * 1.6).exp())
}

impl Synthetic {
    /// Writes `runs.csv` (and `curves.csv`) into `dir`; returns the rows written.
    pub fn write(&self, dir: &Path) -> Vec<RunRow> {
        let mut runs = Vec::new();
        for (s, (structure, stop_prob)) in self.structures.iter().enumerate() {
            for depth in self.depths.clone() {
                let n_features = (1u32 << (depth + 1)) - 2;
                for n_hidden in self.hiddens.clone() {
                    if n_hidden > n_features {
                        continue;
                    }
                    // Trees need about depth + 1 dimensions, independent features more.
                    let need = depth as f64 + 1.0 + s as f64 * 0.8 * depth as f64;
                    for instance in 0..self.instances {
                        let z = noise(&[s as u64, depth as u64, n_hidden as u64, instance as u64]);
                        let mut eval_loss = 10f64.powf(level(n_hidden, need) + 0.6 * z);
                        // One lucky instance: min and mean disagree.
                        if instance == 0 && n_hidden as f64 + 1.0 >= need {
                            eval_loss *= 1e-3;
                        }
                        let diverged = s == 0 && depth == 2 && n_hidden == 2 && instance == 1;
                        runs.push(RunRow {
                            config_id: format!(
                                "d{depth}-h{n_hidden}-b2-{structure}{stop_prob}-binary-s0"
                            ),
                            group: format!("{structure}-d{depth}"),
                            depth,
                            branching: 2,
                            structure: (*structure).to_owned(),
                            stop_prob: *stop_prob,
                            magnitude: "binary".to_owned(),
                            feature_probability: 0.25,
                            correlated_pairs: 0,
                            anticorrelated_pairs: 0,
                            importance: "1".into(),
                            n_hidden,
                            n_features,
                            seed: 0.into(),
                            instance,
                            train_loss: 0.0,
                            eval_loss: if diverged { f64::NAN } else { eval_loss },
                            exact_loss: None,
                            decoded: None,
                            max_error: None,
                            // Shrinks with depth, as a tree's does.
                            bias_only_loss: Some(0.4 * 0.6f64.powi(depth as i32)),
                            wall_s: 2.0 + depth as f64,
                            diverged,
                        });
                    }
                }
            }
        }
        for (k, set) in self.sparse.iter().enumerate() {
            let f = set.n_features;
            let mut p_label = match (set.p_label, set.p) {
                (Some(label), _) => label.to_owned(),
                (None, Some(p)) => format!("p{p}"),
                (None, None) => "plog1-0.02".to_owned(),
            };
            // The sweep's group: the data set and the magnitude (not importance or seed).
            let group = format!("f{f}-{p_label}-uniform");
            if set.importance != "1" {
                p_label.push_str(&format!("-imp{}", set.importance.replace('^', "")));
            }
            for n_hidden in self.hiddens.clone().filter(|h| *h <= f) {
                for instance in 0..self.instances {
                    let p = set.p(instance, self.instances);
                    // Sparser features fit more per dimension (superposition).
                    let need = 1.0 + f as f64 * p.sqrt();
                    let z = noise(&[100 + k as u64, n_hidden as u64, instance as u64]);
                    runs.push(RunRow {
                        config_id: format!("f{f}-{p_label}-h{n_hidden}-uniform-s0"),
                        group: group.clone(),
                        depth: 0,
                        branching: 0,
                        structure: "sparse".to_owned(),
                        stop_prob: 0.0,
                        magnitude: "uniform".to_owned(),
                        feature_probability: p,
                        correlated_pairs: 0,
                        anticorrelated_pairs: 0,
                        importance: set.importance.to_owned(),
                        n_hidden,
                        n_features: f,
                        seed: 0.into(),
                        instance,
                        train_loss: 0.0,
                        eval_loss: 10f64.powf(level(n_hidden, need) + 0.3 * z),
                        exact_loss: None,
                        decoded: None,
                        max_error: None,
                        // Uniform magnitudes: p·E[m²] − (p·E[m])².
                        bias_only_loss: Some(p / 3.0 - p * p / 4.0),
                        wall_s: 1.0,
                        diverged: false,
                    });
                }
            }
        }
        let mut curves = Vec::new();
        for row in &mut runs {
            row.train_loss = row.eval_loss * 0.97;
            if self.curves && !row.diverged {
                for k in 0..=20u64 {
                    let t = k as f64 / 20.0;
                    let log = (-0.5) * (1.0 - t).powi(2)
                        + row.train_loss.log10() * (1.0 - (1.0 - t).powi(2));
                    curves.push(CurveRow {
                        config_id: row.config_id.clone(),
                        instance: row.instance,
                        step: k * 100,
                        loss: 10f64.powf(log + 0.05 * noise(&[k, row.instance as u64])),
                    });
                }
            }
        }
        write_table(dir, &runs).unwrap();
        if self.curves {
            write_table(dir, &curves).unwrap();
        }
        runs
    }
}
