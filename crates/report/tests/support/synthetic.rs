//! A made-up run folder: plausible losses without any training, for tests and the demo.

use std::path::Path;

use report::{CurveRow, RunRow, write_table};

/// Shape of a synthetic run.
pub struct Synthetic {
    pub depths: std::ops::RangeInclusive<u32>,
    pub hiddens: std::ops::RangeInclusive<u32>,
    pub instances: u32,
    /// (structure, stop_prob) pairs: one series each.
    pub structures: Vec<(&'static str, f64)>,
    pub curves: bool,
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

impl Synthetic {
    /// Writes `runs.csv` (and `curves.csv`) into `dir`; returns the rows written.
    pub fn write(&self, dir: &Path) -> Vec<RunRow> {
        let mut runs = Vec::new();
        let mut curves = Vec::new();
        for (s, (structure, stop_prob)) in self.structures.iter().enumerate() {
            for depth in self.depths.clone() {
                let n_features = (1u32 << (depth + 1)) - 2;
                for n_hidden in self.hiddens.clone() {
                    if n_hidden > n_features {
                        continue;
                    }
                    let config_id =
                        format!("d{depth}-h{n_hidden}-b2-{structure}{stop_prob}-binary-s0");
                    // Trees need about depth + 1 dimensions, independent features more.
                    let need = depth as f64 + 1.0 + s as f64 * 0.8 * depth as f64;
                    let level = -2.0 - 5.0 / (1.0 + (-(n_hidden as f64 - need) * 1.6).exp());
                    for instance in 0..self.instances {
                        let z = noise(&[s as u64, depth as u64, n_hidden as u64, instance as u64]);
                        let mut eval_loss = 10f64.powf(level + 0.6 * z);
                        // One lucky instance: min and mean disagree.
                        if instance == 0 && n_hidden as f64 + 1.0 >= need {
                            eval_loss *= 1e-3;
                        }
                        let diverged = s == 0 && depth == 2 && n_hidden == 2 && instance == 1;
                        if diverged {
                            eval_loss = f64::NAN;
                        }
                        let train_loss = if diverged { f64::NAN } else { eval_loss * 0.97 };
                        runs.push(RunRow {
                            config_id: config_id.clone(),
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
                            seed: 0,
                            instance,
                            train_loss,
                            eval_loss,
                            wall_s: 2.0 + depth as f64,
                            diverged,
                        });
                        if self.curves && !diverged {
                            for k in 0..=20u64 {
                                let step = k * 100;
                                let t = k as f64 / 20.0;
                                let log = (-0.5) * (1.0 - t).powi(2)
                                    + train_loss.log10() * (1.0 - (1.0 - t).powi(2));
                                curves.push(CurveRow {
                                    config_id: config_id.clone(),
                                    instance,
                                    step,
                                    loss: 10f64.powf(log + 0.05 * noise(&[k, instance as u64])),
                                });
                            }
                        }
                    }
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
