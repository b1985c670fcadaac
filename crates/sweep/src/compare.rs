//! Comparing two run folders of the same sweep (e.g. one backend against another): do they
//! agree on which configs reach the threshold, and how far apart are their losses?
//!
//! Two correct backends do not give equal losses: float order differs, and a solved config
//! sits at rounding noise (1e-16 in one run, 1e-25 or exactly 0 in the other), or at a residual
//! that training's float order moves by several times (1e-8 in one run, 5e-8 in the other).
//! So losses (the exact ones where the data has them, like the report's) under the threshold
//! by [`SOLVED_MARGIN`] or more count as that floor, and the per-config distance is the
//! ratio of the geometric means of the instances' losses.

use anyhow::{Context, Result, ensure};
use report::{Aggregate, RunRow, SummaryRow, is_diverged};
use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use crate::config::AnalysisConfig;

/// A loss this many times under the threshold counts as solved, and its ratio across runs as
/// noise. Measured on an H100: the deep sweep's d5-h22 solved every instance to 3e-9..2e-8 on
/// the fused CPU engine and to 4e-9..1.1e-7 on tch-cuda, one instance 13× apart between them
/// and 10× apart between two tch-cuda runs differing only in float order (docs/gpu.md).
pub const SOLVED_MARGIN: f64 = 100.0;

/// One config in both runs.
#[derive(Debug, Clone, PartialEq)]
pub struct CellComparison {
    /// The config.
    pub config_id: String,
    /// The aggregate across instances, in run A and run B.
    pub value: (f64, f64),
    /// Geometric mean of the instances' finite losses, each floored at threshold /
    /// [`SOLVED_MARGIN`].
    pub geomean: (f64, f64),
    /// Whether the config passes the threshold (the report's pass rule), in A and in B.
    pub passes: (bool, bool),
    /// Whether the config decodes every possible sample under the aggregate
    /// ([`SummaryRow::decodes`]; `None` without exact evaluation), in A and in B.
    pub decodes: (Option<bool>, Option<bool>),
    /// Which loss the statistics are of ([`SummaryRow::loss`]: `exact` or `sampled`), in A and B.
    pub loss: (String, String),
    /// Diverged instances, in A and in B.
    pub diverged: (u32, u32),
    /// Instances, in A and in B.
    pub instances: (u32, u32),
}

impl CellComparison {
    /// max(a/b, b/a) of the geometric means: 1 is identical.
    pub fn ratio(&self) -> f64 {
        let (a, b) = self.geomean;
        (a / b).max(b / a)
    }

    /// What differs, or nothing: passing or decoding in one run only, a ratio above
    /// `max_ratio`, exact losses in one run only, or a different number of instances or of
    /// diverged instances.
    pub fn differences(&self, max_ratio: f64) -> Vec<String> {
        let mut out = Vec::new();
        if self.passes.0 != self.passes.1 {
            let who = if self.passes.0 { "A" } else { "B" };
            out.push(format!("passes in {who} only"));
        }
        if let (Some(a), Some(b)) = self.decodes
            && a != b
        {
            let who = if a { "A" } else { "B" };
            out.push(format!("decodes every sample in {who} only"));
        }
        if self.loss.0 != self.loss.1 {
            out.push(format!(
                "{} loss in A, {} in B (a folder from before exact evaluation gets it when its \
                 sweep command runs again)",
                self.loss.0, self.loss.1
            ));
        }
        // NaN when every instance of a run diverged: the counts below tell those apart.
        if self.ratio() > max_ratio {
            out.push(format!("ratio {:.3} > {max_ratio}", self.ratio()));
        }
        if self.instances.0 != self.instances.1 {
            out.push(format!(
                "instances {}/{}",
                self.instances.0, self.instances.1
            ));
        }
        if self.diverged.0 != self.diverged.1 {
            out.push(format!("diverged {}/{}", self.diverged.0, self.diverged.1));
        }
        out
    }
}

/// The comparison of two run folders.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// Per config, in the report's order (series, depth, n_hidden).
    pub cells: Vec<CellComparison>,
    /// The threshold of the pass rule.
    pub threshold: f64,
    /// The aggregate across instances that the pass rule judges.
    pub aggregate: Aggregate,
    /// Whether the losses are divided by their bias-only losses (`analysis.relative_loss`).
    pub relative_loss: bool,
    /// The largest per-config ratio allowed by [`Comparison::agrees`].
    pub max_ratio: f64,
}

impl Comparison {
    /// Same configs passing and decoding, the same kind of loss and numbers of instances and of
    /// diverged instances, and every per-config ratio within `max_ratio`.
    pub fn agrees(&self) -> bool {
        self.cells
            .iter()
            .all(|c| c.differences(self.max_ratio).is_empty())
    }
}

/// Compares the eval losses of the run folders `a` and `b`, which must hold the same configs,
/// judging passes as the report does under `analysis` (its threshold, its aggregate, whether
/// the losses are relative to the bias-only loss and whether seeds are pooled; not its
/// criterion: both are shown).
pub fn compare(
    a: &Path,
    b: &Path,
    analysis: &AnalysisConfig,
    max_ratio: f64,
) -> Result<Comparison> {
    let (threshold, aggregate) = (analysis.threshold, analysis.aggregate);
    let (mut runs_a, mut runs_b) = (report::read_runs(a)?, report::read_runs(b)?);
    if analysis.relative_loss {
        for (runs, dir) in [(&mut runs_a, a), (&mut runs_b, b)] {
            report::divide_by_bias_only(runs, None)
                .with_context(|| format!("reading {}", dir.display()))?;
        }
    }
    if analysis.pool_seeds {
        report::pool_seeds(&mut runs_a, None);
        report::pool_seeds(&mut runs_b, None);
    }
    let (sum_a, sum_b) = (report::summarize(&runs_a), report::summarize(&runs_b));
    let ids = |rows: &[SummaryRow]| -> Vec<String> {
        let mut ids: Vec<String> = rows.iter().map(|r| r.config_id.clone()).collect();
        ids.sort();
        ids
    };
    ensure!(
        ids(&sum_a) == ids(&sum_b),
        "{} and {} hold different configs",
        a.display(),
        b.display()
    );
    let floor = threshold / SOLVED_MARGIN;
    let (geo_a, geo_b) = (geomeans(&runs_a, floor), geomeans(&runs_b, floor));
    let by_id: BTreeMap<&str, &SummaryRow> =
        sum_b.iter().map(|r| (r.config_id.as_str(), r)).collect();
    let cells = sum_a
        .iter()
        .map(|ra| {
            let rb = by_id[ra.config_id.as_str()];
            let id = ra.config_id.as_str();
            CellComparison {
                config_id: ra.config_id.clone(),
                value: (ra.aggregate(aggregate), rb.aggregate(aggregate)),
                geomean: (geo_a[id], geo_b[id]),
                passes: (
                    ra.passes(aggregate, threshold),
                    rb.passes(aggregate, threshold),
                ),
                decodes: (ra.decodes(aggregate), rb.decodes(aggregate)),
                loss: (ra.loss.clone(), rb.loss.clone()),
                diverged: (ra.n_diverged, rb.n_diverged),
                instances: (ra.n_instances, rb.n_instances),
            }
        })
        .collect();
    Ok(Comparison {
        cells,
        threshold,
        aggregate,
        relative_loss: analysis.relative_loss,
        max_ratio,
    })
}

/// Per config: the geometric mean of its instances' losses ([`RunRow::loss`]: exact where the
/// data has it), each at least `floor`, over the instances that did not diverge (NaN when all
/// did).
fn geomeans(runs: &[RunRow], floor: f64) -> BTreeMap<&str, f64> {
    let mut logs: BTreeMap<&str, (f64, usize)> = BTreeMap::new();
    for row in runs {
        let entry = logs.entry(row.config_id.as_str()).or_default();
        if !is_diverged(row) {
            entry.0 += row.loss().max(floor).ln();
            entry.1 += 1;
        }
    }
    logs.into_iter()
        .map(|(id, (sum, n))| (id, (sum / n as f64).exp()))
        .collect()
}

impl fmt::Display for Comparison {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let agg = self.aggregate.as_str();
        writeln!(
            f,
            "{:<32} {:>12} {:>12} {:>9}  passes ({}< {:e})",
            "config",
            format!("{agg} A"),
            format!("{agg} B"),
            "ratio",
            if self.relative_loss {
                "loss / bias-only loss "
            } else {
                ""
            },
            self.threshold
        )?;
        for c in &self.cells {
            let differences = c.differences(self.max_ratio);
            let mark = if differences.is_empty() {
                String::new()
            } else {
                format!("  <-- {}", differences.join(", "))
            };
            let yes_no = |b: bool| if b { "yes" } else { "no" };
            writeln!(
                f,
                "{:<32} {:>12.3e} {:>12.3e} {:>9.3}  {}/{}{mark}",
                c.config_id,
                c.value.0,
                c.value.1,
                c.ratio(),
                yes_no(c.passes.0),
                yes_no(c.passes.1)
            )?;
        }
        writeln!(
            f,
            "ratio: of the geometric means of the instances' losses (exact where the data \
             allows), each floored at {} (threshold / {SOLVED_MARGIN}: below it a loss is \
             solved, and how far below is float-order noise)",
            report::draw::fmt_bound(self.threshold / SOLVED_MARGIN)
        )?;
        let differing = self
            .cells
            .iter()
            .filter(|c| !c.differences(self.max_ratio).is_empty())
            .count();
        if differing == 0 {
            write!(
                f,
                "AGREE: all {} configs pass alike, decode alike, diverge alike and have ratios <= {}",
                self.cells.len(),
                self.max_ratio
            )
        } else {
            write!(
                f,
                "DIFFER: {differing} of {} configs (marked above)",
                self.cells.len()
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(config_id: &str, n_hidden: u32, instance: u32, eval_loss: f64) -> RunRow {
        RunRow {
            config_id: config_id.into(),
            diverged: !eval_loss.is_finite(),
            ..RunRow::seed_example(2, n_hidden, instance, eval_loss)
        }
    }

    /// Writes a run folder's runs.csv: configs h2, h3 and h10 of depth 2, two instances each.
    fn folder(losses: [[f64; 2]; 3]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let mut rows = Vec::new();
        for (h, pair) in [2, 3, 10].into_iter().zip(losses) {
            for (i, loss) in pair.into_iter().enumerate() {
                let id = format!("d2-h{h}-b2-tree0.5-binary-s0");
                rows.push(row(&id, h, i as u32, loss));
            }
        }
        report::write_table(dir.path(), &rows).unwrap();
        dir
    }

    fn run(a: [[f64; 2]; 3], b: [[f64; 2]; 3]) -> Comparison {
        let (a, b) = (folder(a), folder(b));
        compare(a.path(), b.path(), &AnalysisConfig::default(), 2.0).unwrap()
    }

    /// Depth 2's bias-only loss is 0.1016: 5e-6 passes 1e-5 but not 1e-5 of it (1.0e-6).
    #[test]
    fn a_relative_analysis_judges_the_ratio() {
        let losses = [[5e-6, 5e-6], [5e-6, 5e-6], [1e-8, 1e-8]];
        let (a, b) = (folder(losses), folder(losses));
        let relative = AnalysisConfig {
            relative_loss: true,
            ..AnalysisConfig::default()
        };
        let passes = |analysis: &AnalysisConfig| -> Vec<bool> {
            let c = compare(a.path(), b.path(), analysis, 2.0).unwrap();
            assert!(c.agrees(), "{c}");
            c.cells.iter().map(|c| c.passes.0).collect()
        };
        assert_eq!(passes(&AnalysisConfig::default()), [true, true, true]);
        assert_eq!(passes(&relative), [false, false, true]);
        let c = compare(a.path(), b.path(), &relative, 2.0).unwrap();
        assert!((c.cells[0].value.0 - 5e-6 / 0.1015625).abs() < 1e-15);
        assert!(
            c.to_string()
                .contains("passes (loss / bias-only loss < 1e-5)")
        );
    }

    /// Two seeds: seed 1's instance passes alone; pooled with seed 0's failing one, the mean
    /// does not.
    #[test]
    fn pooled_seeds_are_judged_together() {
        let dir = tempfile::tempdir().unwrap();
        let rows = [(0, 1e-3), (1, 1e-7)].map(|(seed, loss)| report::RunRow {
            seed: seed.into(),
            ..row(&format!("d2-h2-b2-tree0.5-binary-s{seed}"), 2, 0, loss)
        });
        report::write_table(dir.path(), &rows).unwrap();
        let judge = |pool_seeds: bool| {
            let analysis = AnalysisConfig {
                pool_seeds,
                ..AnalysisConfig::default()
            };
            let c = compare(dir.path(), dir.path(), &analysis, 2.0).unwrap();
            (c.cells.iter())
                .map(|c| (c.config_id.clone(), c.passes.0, c.instances.0))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            judge(false),
            [
                ("d2-h2-b2-tree0.5-binary-s0".to_owned(), false, 1),
                ("d2-h2-b2-tree0.5-binary-s1".to_owned(), true, 1)
            ]
        );
        assert_eq!(
            judge(true),
            [("d2-h2-b2-tree0.5-binary-s0+1".to_owned(), false, 2)]
        );
    }

    #[test]
    fn rounding_noise_of_solved_configs_agrees() {
        // Backends solve h3 and h10 to different noise, one to exactly 0.
        let c = run(
            [[3e-2, 4e-2], [1.9e-25, 0.0], [2e-16, 3e-17]],
            [[3.1e-2, 3.9e-2], [1e-16, 4e-20], [0.0, 0.0]],
        );
        assert!(c.agrees(), "{c}");
        assert_eq!(c.cells[1].ratio(), 1.0, "both at the floor");
        // Natural order: h10 after h3.
        let ids: Vec<&str> = c.cells.iter().map(|c| c.config_id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "d2-h2-b2-tree0.5-binary-s0",
                "d2-h3-b2-tree0.5-binary-s0",
                "d2-h10-b2-tree0.5-binary-s0"
            ]
        );
        assert!(c.to_string().ends_with("ratios <= 2"), "{c}");
    }

    /// Solved configs end at a residual that float order moves several times (losses like
    /// those of the deep sweep's d5-h22 on the CPU and on an H100: 5.4× apart in geometric
    /// mean). 100× under the threshold that is noise; nearer it, a ratio above 2 is still a
    /// difference.
    #[test]
    fn residuals_of_solved_configs_agree_but_near_misses_do_not() {
        let c = run(
            [[3e-2, 4e-2], [9.6e-9, 1.9e-8], [5e-7, 6e-7]],
            [[3e-2, 4e-2], [1.1e-7, 4.8e-8], [2e-6, 3e-6]],
        );
        assert!(c.cells[1].differences(2.0).is_empty(), "{c}");
        // A at the floor (1e-7) twice, B at 1.1e-7 and the floor.
        assert!((c.cells[1].ratio() - 1.1f64.sqrt()).abs() < 1e-12, "{c}");
        assert_eq!(c.cells[2].differences(2.0), ["ratio 4.472 > 2"]);
        assert!(
            c.to_string()
                .contains("each floored at 1e-7 (threshold / 100:"),
            "{c}"
        );
    }

    #[test]
    fn each_kind_of_difference_is_named() {
        let c = run(
            [[3e-2, 4e-2], [1e-6, 2e-6], [1e-9, 1e-9]],
            [[9e-2, 9e-2], [1e-6, 5e-5], [1e-9, f64::NAN]],
        );
        assert!(!c.agrees());
        assert_eq!(c.cells[0].differences(2.0), ["ratio 2.598 > 2"]);
        assert_eq!(
            c.cells[1].differences(2.0),
            ["passes in A only", "ratio 5.000 > 2"]
        );
        // B's h10 lost an instance: never a pass for the mean, and diverged differ.
        assert_eq!(
            c.cells[2].differences(2.0),
            ["passes in A only", "diverged 0/1"]
        );
        let text = c.to_string();
        assert!(
            text.ends_with("DIFFER: 3 of 3 configs (marked above)"),
            "{text}"
        );
        assert!(
            text.contains("<-- passes in A only, diverged 0/1"),
            "{text}"
        );
    }

    #[test]
    fn different_configs_are_refused() {
        let a = folder([[1.0, 1.0], [1.0, 1.0], [1.0, 1.0]]);
        let b = tempfile::tempdir().unwrap();
        report::write_table(b.path(), &[row("d2-h4-b2-tree0.5-binary-s0", 4, 0, 1.0)]).unwrap();
        let err = compare(a.path(), b.path(), &AnalysisConfig::default(), 2.0).unwrap_err();
        assert!(err.to_string().contains("hold different configs"), "{err}");
    }

    /// Every instance of A's h2 diverged, and B's h2 has a third instance that diverged too:
    /// the ratio is NaN, the diverged counts differ, and so do the instance counts.
    #[test]
    fn instance_counts_are_compared() {
        let a = folder([[f64::NAN, f64::NAN], [1.0, 1.0], [1.0, 1.0]]);
        let b = folder([[f64::NAN, f64::NAN], [1.0, 1.0], [1.0, 1.0]]);
        let mut rows = report::read_runs(b.path()).unwrap();
        rows.push(row("d2-h2-b2-tree0.5-binary-s0", 2, 2, f64::NAN));
        report::write_table(b.path(), &rows).unwrap();
        let c = compare(a.path(), b.path(), &AnalysisConfig::default(), 2.0).unwrap();
        assert!(c.cells[0].ratio().is_nan());
        assert_eq!(
            c.cells[0].differences(2.0),
            ["instances 2/3", "diverged 2/3"]
        );
        assert!(c.cells[1..].iter().all(|c| c.differences(2.0).is_empty()));
    }

    /// With exact evaluation, decoding in one run only differs, and so does a folder whose
    /// losses are sampled against one whose are exact.
    #[test]
    fn decoding_and_the_kind_of_loss_are_compared() {
        let exact_folder = |decoded: f64, exact: bool| {
            let dir = tempfile::tempdir().unwrap();
            let rows: Vec<RunRow> = (0..2)
                .map(|i| RunRow {
                    exact_loss: exact.then_some(1e-3),
                    decoded: exact.then_some(decoded),
                    ..row("d2-h3-b2-tree0.5-binary-s0", 3, i, 1e-3)
                })
                .collect();
            report::write_table(dir.path(), &rows).unwrap();
            dir
        };
        let (a, b) = (exact_folder(1.0, true), exact_folder(0.9, true));
        let c = compare(a.path(), b.path(), &AnalysisConfig::default(), 2.0).unwrap();
        assert_eq!(c.cells[0].decodes, (Some(true), Some(false)));
        assert_eq!(
            c.cells[0].differences(2.0),
            ["decodes every sample in A only"]
        );
        let sampled = exact_folder(1.0, false);
        let c = compare(a.path(), sampled.path(), &AnalysisConfig::default(), 2.0).unwrap();
        let differences = c.cells[0].differences(2.0);
        assert_eq!(differences.len(), 1, "{differences:?}");
        assert!(
            differences[0].starts_with("exact loss in A, sampled in B"),
            "{differences:?}"
        );
    }
}
