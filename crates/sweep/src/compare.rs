//! Comparing two run folders of the same sweep (e.g. one backend against another): do they
//! agree on which cells reach the threshold, and how far apart are their losses?

use anyhow::{Result, ensure};
use report::RunRow;
use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

/// One config's losses in both runs.
#[derive(Debug, Clone, PartialEq)]
pub struct CellComparison {
    /// The config.
    pub config_id: String,
    /// Geometric mean of the instances' eval losses, in run A and run B.
    pub geomean: (f64, f64),
    /// Whether the config's best instance is below the threshold, in A and in B.
    pub below: (bool, bool),
}

impl CellComparison {
    /// max(a/b, b/a) of the geometric means: 1 is identical.
    pub fn ratio(&self) -> f64 {
        let (a, b) = self.geomean;
        (a / b).max(b / a)
    }
}

/// The comparison of two run folders.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// Per config, in config order.
    pub cells: Vec<CellComparison>,
    /// The threshold used for `below`.
    pub threshold: f64,
    /// The largest per-cell ratio allowed by [`Comparison::agrees`].
    pub max_ratio: f64,
}

impl Comparison {
    /// Same cells below the threshold, and every per-cell ratio within `max_ratio`.
    pub fn agrees(&self) -> bool {
        self.cells
            .iter()
            .all(|c| c.below.0 == c.below.1 && c.ratio() <= self.max_ratio)
    }
}

fn geomeans(runs: &[RunRow]) -> BTreeMap<String, (f64, f64)> {
    let mut per_config: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for row in runs {
        per_config
            .entry(row.config_id.clone())
            .or_default()
            .push(row.eval_loss);
    }
    per_config
        .into_iter()
        .map(|(id, losses)| {
            let log_mean =
                losses.iter().map(|l| l.max(1e-30).ln()).sum::<f64>() / losses.len() as f64;
            let best = losses.iter().copied().fold(f64::INFINITY, f64::min);
            (id, (log_mean.exp(), best))
        })
        .collect()
}

/// Compares the eval losses of the run folders `a` and `b`, which must hold the same configs.
pub fn compare(a: &Path, b: &Path, threshold: f64, max_ratio: f64) -> Result<Comparison> {
    let (ga, gb) = (
        geomeans(&report::read_runs(a)?),
        geomeans(&report::read_runs(b)?),
    );
    ensure!(
        ga.keys().eq(gb.keys()),
        "{} and {} hold different configs",
        a.display(),
        b.display()
    );
    let cells = ga
        .iter()
        .map(|(id, &(mean_a, best_a))| {
            let (mean_b, best_b) = gb[id];
            CellComparison {
                config_id: id.clone(),
                geomean: (mean_a, mean_b),
                below: (best_a < threshold, best_b < threshold),
            }
        })
        .collect();
    Ok(Comparison {
        cells,
        threshold,
        max_ratio,
    })
}

impl fmt::Display for Comparison {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{:<32} {:>12} {:>12} {:>7}  below {:e}",
            "config", "geomean A", "geomean B", "ratio", self.threshold
        )?;
        for c in &self.cells {
            let mark = if c.below.0 == c.below.1 && c.ratio() <= self.max_ratio {
                ""
            } else {
                "  <-- differs"
            };
            writeln!(
                f,
                "{:<32} {:>12.3e} {:>12.3e} {:>7.2}  {}/{}{mark}",
                c.config_id,
                c.geomean.0,
                c.geomean.1,
                c.ratio(),
                c.below.0,
                c.below.1
            )?;
        }
        let verdict = if self.agrees() { "AGREE" } else { "DIFFER" };
        write!(
            f,
            "{verdict}: same cells below threshold and every ratio <= {}",
            self.max_ratio
        )
    }
}
