//! Pure analysis: per-config statistics and the smallest width that reaches the threshold.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use crate::draw::sanitize;
use crate::schema::{Aggregate, MinHiddenRow, RunRow, SummaryRow};

/// A series: everything that defines a configuration except depth and `n_hidden`.
///
/// Heatmaps and loss curves are drawn per series; comparison charts put several side by side.
#[derive(Debug, Clone)]
pub struct Series {
    /// Branching factor.
    pub branching: u32,
    /// Feature structure (`tree`, `independent`).
    pub structure: String,
    /// Stop probability.
    pub stop_prob: f64,
    /// Feature magnitudes (`binary`, `uniform`).
    pub magnitude: String,
    /// Base seed.
    pub seed: u64,
}

impl Series {
    /// The series a summary row belongs to.
    pub fn of_summary(row: &SummaryRow) -> Series {
        Series {
            branching: row.branching,
            structure: row.structure.clone(),
            stop_prob: row.stop_prob,
            magnitude: row.magnitude.clone(),
            seed: row.seed,
        }
    }

    /// The series a `min_hidden.csv` row belongs to.
    pub fn of_min_hidden(row: &MinHiddenRow) -> Series {
        Series {
            branching: row.branching,
            structure: row.structure.clone(),
            stop_prob: row.stop_prob,
            magnitude: row.magnitude.clone(),
            seed: row.seed,
        }
    }

    /// `tree (stop_prob 0.5)`: structure and stop probability only.
    pub fn structure_label(&self) -> String {
        format!("{} (stop_prob {})", self.structure, self.stop_prob)
    }

    /// `tree (stop_prob 0.5), b=2, binary, seed 0`.
    pub fn label(&self) -> String {
        format!(
            "{}, b={}, {}, seed {}",
            self.structure_label(),
            self.branching,
            self.magnitude,
            self.seed
        )
    }

    /// File-name-safe id, e.g. `tree-s0.5_b2_binary_seed0`.
    pub fn slug(&self) -> String {
        let raw = format!(
            "{}-s{}_b{}_{}_seed{}",
            self.structure, self.stop_prob, self.branching, self.magnitude, self.seed
        );
        sanitize(&raw)
    }

    /// Everything but structure and stop probability: the key of a comparison chart.
    pub(crate) fn comparison_key(&self) -> (u32, String, u64) {
        (self.branching, self.magnitude.clone(), self.seed)
    }
}

impl Ord for Series {
    fn cmp(&self, other: &Self) -> Ordering {
        self.structure
            .cmp(&other.structure)
            .then(self.stop_prob.total_cmp(&other.stop_prob))
            .then(self.branching.cmp(&other.branching))
            .then(self.magnitude.cmp(&other.magnitude))
            .then(self.seed.cmp(&other.seed))
    }
}

impl PartialOrd for Series {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Series {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Series {}

/// Legend labels for a set of series: structure and stop probability always, and branching,
/// magnitude or seed only where they differ between the series.
pub(crate) fn short_labels(series: &[Series]) -> Vec<String> {
    let varies = |f: &dyn Fn(&Series) -> String| {
        series
            .iter()
            .map(f)
            .collect::<std::collections::BTreeSet<_>>()
            .len()
            > 1
    };
    let b = varies(&|s| s.branching.to_string());
    let m = varies(&|s| s.magnitude.clone());
    let seed = varies(&|s| s.seed.to_string());
    series
        .iter()
        .map(|s| {
            let mut label = s.structure_label();
            if b {
                label.push_str(&format!(", b={}", s.branching));
            }
            if m {
                label.push_str(&format!(", {}", s.magnitude));
            }
            if seed {
                label.push_str(&format!(", seed {}", s.seed));
            }
            label
        })
        .collect()
}

impl SummaryRow {
    /// The statistic named by `aggregate`.
    pub fn aggregate(&self, aggregate: Aggregate) -> f64 {
        match aggregate {
            Aggregate::Min => self.min,
            Aggregate::Mean => self.mean,
            Aggregate::Median => self.median,
        }
    }
}

/// Whether an instance counts as diverged: flagged, or its eval loss is not finite.
pub fn is_diverged(row: &RunRow) -> bool {
    row.diverged || !row.eval_loss.is_finite()
}

/// One [`SummaryRow`] per `config_id`, sorted by series, depth, `n_hidden`.
///
/// Config columns come from the config's first row. Diverged instances ([`is_diverged`]) are
/// counted in `n_diverged` and excluded from the statistics (NaN when all diverged); `std` is
/// the population standard deviation.
pub fn summarize(runs: &[RunRow]) -> Vec<SummaryRow> {
    let mut by_config: BTreeMap<&str, Vec<&RunRow>> = BTreeMap::new();
    for row in runs {
        by_config.entry(&row.config_id).or_default().push(row);
    }
    let mut out: Vec<SummaryRow> = by_config
        .into_values()
        .map(|rows| {
            let first = rows[0];
            let mut losses: Vec<f64> = rows
                .iter()
                .filter(|r| !is_diverged(r))
                .map(|r| r.eval_loss)
                .collect();
            losses.sort_by(f64::total_cmp);
            let stats = Stats::of_sorted(&losses);
            SummaryRow {
                config_id: first.config_id.clone(),
                depth: first.depth,
                branching: first.branching,
                structure: first.structure.clone(),
                stop_prob: first.stop_prob,
                magnitude: first.magnitude.clone(),
                n_hidden: first.n_hidden,
                n_features: first.n_features,
                seed: first.seed,
                n_instances: rows.len() as u32,
                mean: stats.mean,
                min: stats.min,
                median: stats.median,
                max: stats.max,
                std: stats.std,
                n_diverged: (rows.len() - losses.len()) as u32,
            }
        })
        .collect();
    out.sort_by(|a, b| {
        Series::of_summary(a)
            .cmp(&Series::of_summary(b))
            .then(a.depth.cmp(&b.depth))
            .then(a.n_hidden.cmp(&b.n_hidden))
            .then(a.config_id.cmp(&b.config_id))
    });
    out
}

struct Stats {
    mean: f64,
    min: f64,
    median: f64,
    max: f64,
    std: f64,
}

impl Stats {
    fn of_sorted(values: &[f64]) -> Stats {
        let n = values.len();
        if n == 0 {
            return Stats {
                mean: f64::NAN,
                min: f64::NAN,
                median: f64::NAN,
                max: f64::NAN,
                std: f64::NAN,
            };
        }
        let mean = values.iter().sum::<f64>() / n as f64;
        let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n as f64;
        let median = if n % 2 == 1 {
            values[n / 2]
        } else {
            (values[n / 2 - 1] + values[n / 2]) / 2.0
        };
        Stats {
            mean,
            min: values[0],
            median,
            max: values[n - 1],
            std: var.sqrt(),
        }
    }
}

/// For every (series, depth) and every [`Aggregate`]: the smallest tested `n_hidden` whose
/// aggregate eval loss is strictly below `threshold`, or `None` when no tested width reaches it.
///
/// Rows are sorted by series, depth, then aggregate (min, mean, median). NaN aggregates (all
/// instances diverged) never reach the threshold.
pub fn min_hidden(summary: &[SummaryRow], threshold: f64) -> Vec<MinHiddenRow> {
    let mut groups: BTreeMap<(Series, u32), Vec<&SummaryRow>> = BTreeMap::new();
    for row in summary {
        groups
            .entry((Series::of_summary(row), row.depth))
            .or_default()
            .push(row);
    }
    let mut out = Vec::new();
    for ((series, depth), mut rows) in groups {
        rows.sort_by_key(|r| r.n_hidden);
        let max_tested = rows.last().map_or(0, |r| r.n_hidden);
        for aggregate in Aggregate::ALL {
            let min_n_hidden = rows
                .iter()
                .find(|r| r.aggregate(aggregate) < threshold)
                .map(|r| r.n_hidden);
            out.push(MinHiddenRow {
                depth,
                branching: series.branching,
                structure: series.structure.clone(),
                stop_prob: series.stop_prob,
                magnitude: series.magnitude.clone(),
                seed: series.seed,
                aggregate,
                threshold,
                min_n_hidden,
                max_tested,
            });
        }
    }
    out
}

/// Distinct series of a summary, sorted.
pub(crate) fn series_of(summary: &[SummaryRow]) -> Vec<Series> {
    let mut all: Vec<Series> = summary.iter().map(Series::of_summary).collect();
    all.sort();
    all.dedup();
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(depth: u32, n_hidden: u32, instance: u32, eval_loss: f64) -> RunRow {
        RunRow {
            config_id: format!("d{depth}-h{n_hidden}-b2-tree0.5-binary-s0"),
            group: format!("g{depth}"),
            depth,
            branching: 2,
            structure: "tree".into(),
            stop_prob: 0.5,
            magnitude: "binary".into(),
            feature_probability: 0.25,
            correlated_pairs: 0,
            anticorrelated_pairs: 0,
            importance: "1".into(),
            n_hidden,
            n_features: (1 << (depth + 1)) - 2,
            seed: 0,
            instance,
            train_loss: eval_loss,
            eval_loss,
            wall_s: 1.0,
            diverged: false,
        }
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-12 * b.abs().max(1.0)
    }

    #[test]
    fn statistics_on_a_hand_made_set() {
        // Odd count: 4, 1, 3, 2, 10 -> sorted 1 2 3 4 10.
        let runs: Vec<RunRow> = [4.0, 1.0, 3.0, 2.0, 10.0]
            .iter()
            .enumerate()
            .map(|(i, &l)| run(2, 3, i as u32, l))
            .collect();
        let s = summarize(&runs);
        assert_eq!(s.len(), 1);
        let s = &s[0];
        assert_eq!(s.n_instances, 5);
        assert_eq!(s.n_diverged, 0);
        assert!(close(s.mean, 4.0));
        assert!(close(s.min, 1.0));
        assert!(close(s.median, 3.0));
        assert!(close(s.max, 10.0));
        // Population variance: (9 + 4 + 1 + 0 + 36) / 5 = 10.
        assert!(close(s.std, 10f64.sqrt()), "{}", s.std);
        assert_eq!(s.n_features, 6);

        // Even count: the median is the mean of the middle two.
        let runs: Vec<RunRow> = [4.0, 1.0, 3.0, 2.0]
            .iter()
            .enumerate()
            .map(|(i, &l)| run(2, 3, i as u32, l))
            .collect();
        assert!(close(summarize(&runs)[0].median, 2.5));
    }

    #[test]
    fn diverged_are_excluded_and_counted() {
        let mut runs = vec![
            run(1, 2, 0, 1.0),
            run(1, 2, 1, 3.0),
            run(1, 2, 2, 1e9),
            run(1, 2, 3, f64::NAN),
        ];
        runs[2].diverged = true; // flagged (its finite loss must not count)
        runs[3].diverged = false; // not flagged, but non-finite: still diverged
        let s = &summarize(&runs)[0];
        assert_eq!(s.n_instances, 4);
        assert_eq!(s.n_diverged, 2);
        assert!(close(s.mean, 2.0));
        assert!(close(s.max, 3.0));
        assert!(close(s.std, 1.0));

        let all_bad = vec![run(1, 3, 0, f64::INFINITY), run(1, 3, 1, f64::NAN)];
        let s = &summarize(&all_bad)[0];
        assert_eq!(s.n_diverged, 2);
        for v in [s.mean, s.min, s.median, s.max, s.std] {
            assert!(v.is_nan());
        }
    }

    #[test]
    fn summary_is_sorted_numerically_not_by_id() {
        let runs = vec![run(1, 10, 0, 1.0), run(1, 2, 0, 1.0), run(2, 3, 0, 1.0)];
        let order: Vec<(u32, u32)> = summarize(&runs)
            .iter()
            .map(|r| (r.depth, r.n_hidden))
            .collect();
        assert_eq!(order, vec![(1, 2), (1, 10), (2, 3)]);
    }

    fn pick(rows: &[MinHiddenRow], depth: u32, aggregate: Aggregate) -> Option<u32> {
        let found: Vec<_> = rows
            .iter()
            .filter(|r| r.depth == depth && r.aggregate == aggregate)
            .collect();
        assert_eq!(found.len(), 1);
        found[0].min_n_hidden
    }

    #[test]
    fn min_hidden_picks_smallest_and_says_none() {
        let t = 1e-5;
        let runs = vec![
            // depth 1: width 2 fails, 3 and 4 pass -> 3 (not the largest, not the last).
            run(1, 4, 0, 1e-7),
            run(1, 2, 0, 1e-3),
            run(1, 3, 0, 1e-6),
            // depth 2: nothing passes -> none, even though width 4 is the largest tested.
            run(2, 2, 0, 1e-2),
            run(2, 3, 0, 1e-3),
            run(2, 4, 0, 2e-5),
            // depth 3: exactly at the threshold does not count (strict <).
            run(3, 2, 0, 1e-5),
            run(3, 3, 0, 9.99e-6),
        ];
        let rows = min_hidden(&summarize(&runs), t);
        assert_eq!(rows.len(), 3 * 3);
        for agg in Aggregate::ALL {
            assert_eq!(pick(&rows, 1, agg), Some(3));
            assert_eq!(pick(&rows, 2, agg), None);
            assert_eq!(pick(&rows, 3, agg), Some(3));
        }
        let d2: Vec<_> = rows.iter().filter(|r| r.depth == 2).collect();
        assert!(d2.iter().all(|r| r.max_tested == 4 && r.threshold == t));
        let d3 = rows.iter().find(|r| r.depth == 3).unwrap();
        assert_eq!(d3.max_tested, 3);
    }

    #[test]
    fn min_and_mean_can_differ() {
        let t = 1e-5;
        let runs = vec![
            // Width 2: one lucky instance passes, the mean does not.
            run(1, 2, 0, 1e-7),
            run(1, 2, 1, 1e-2),
            run(1, 2, 2, 1e-2),
            // Width 3: two of three pass; the mean is dragged over by the third, the median not.
            run(1, 3, 0, 1e-7),
            run(1, 3, 1, 1e-7),
            run(1, 3, 2, 1e-3),
            // Width 4: all pass.
            run(1, 4, 0, 1e-7),
            run(1, 4, 1, 2e-7),
            run(1, 4, 2, 3e-7),
        ];
        let rows = min_hidden(&summarize(&runs), t);
        assert_eq!(pick(&rows, 1, Aggregate::Min), Some(2));
        assert_eq!(pick(&rows, 1, Aggregate::Median), Some(3));
        assert_eq!(pick(&rows, 1, Aggregate::Mean), Some(4));
    }

    #[test]
    fn all_diverged_width_never_reaches_threshold() {
        let mut runs = vec![run(1, 2, 0, 0.0), run(1, 3, 0, 1e-9)];
        runs[0].diverged = true;
        let rows = min_hidden(&summarize(&runs), 1e-5);
        assert_eq!(pick(&rows, 1, Aggregate::Mean), Some(3));
    }

    #[test]
    fn series_are_kept_apart() {
        let mut other = run(1, 2, 0, 1e-9);
        other.structure = "independent".into();
        other.config_id = "d1-h2-b2-independent0.5-binary-s0".into();
        let runs = vec![run(1, 2, 0, 1.0), other];
        let summary = summarize(&runs);
        assert_eq!(series_of(&summary).len(), 2);
        let rows = min_hidden(&summary, 1e-5);
        let mean: Vec<_> = rows
            .iter()
            .filter(|r| r.aggregate == Aggregate::Mean)
            .map(|r| (r.structure.as_str(), r.min_n_hidden))
            .collect();
        assert_eq!(mean, vec![("independent", Some(2)), ("tree", None)]);
    }

    #[test]
    fn slugs_and_labels() {
        let s = Series {
            branching: 2,
            structure: "tree".into(),
            stop_prob: 0.5,
            magnitude: "binary".into(),
            seed: 0,
        };
        assert_eq!(s.slug(), "tree-s0.5_b2_binary_seed0");
        assert_eq!(s.label(), "tree (stop_prob 0.5), b=2, binary, seed 0");
        let t = Series {
            magnitude: "uniform".into(),
            ..s.clone()
        };
        assert_eq!(
            short_labels(&[s, t]),
            vec![
                "tree (stop_prob 0.5), binary".to_string(),
                "tree (stop_prob 0.5), uniform".to_string()
            ]
        );
    }
}
