//! Whether training had finished: configs whose train loss was still falling at the end, and
//! the min-width answers that more steps might lower.
//!
//! A width that fails at 10,000 steps may pass at 20,000. The answer tables mark an answer
//! whose narrower widths were still learning when training stopped ([`mark_still_falling`]),
//! so that a reader knows the answer is "at this many steps".

use std::collections::{BTreeMap, HashMap};

use crate::analysis::Series;
use crate::schema::{CurveRow, MinHiddenRow, SummaryRow};

/// How many times lower an instance's train loss must be over the last fifth of its logged
/// steps than over the fifth before for it to count as still learning (geometric means).
pub const FALL_FACTOR: f64 = 2.0;

/// Per config, how many instances were still learning when training stopped: their train
/// loss, floored at `floor(config)` (progress below it cannot change a verdict), had a
/// geometric mean over the last fifth of the logged steps at least [`FALL_FACTOR`] times below
/// the one over the fifth before, and its last logged value is still above the floor. An
/// instance with a non-finite loss, or without a logged step in either window, does not
/// count.
pub fn still_falling(curves: &[CurveRow], floor: impl Fn(&str) -> f64) -> HashMap<String, u32> {
    let mut by_instance: BTreeMap<(&str, u32), Vec<(u64, f64)>> = BTreeMap::new();
    for c in curves {
        by_instance
            .entry((c.config_id.as_str(), c.instance))
            .or_default()
            .push((c.step, c.loss));
    }
    let mut out: HashMap<String, u32> = HashMap::new();
    for ((config, _), points) in by_instance {
        let count = out.entry(config.to_owned()).or_default();
        if falls(&points, floor(config)) {
            *count += 1;
        }
    }
    out
}

/// Whether one instance's curve fell by [`FALL_FACTOR`] from the fourth fifth to the last and
/// still ends above `floor`: one that got below it late has finished what matters.
fn falls(points: &[(u64, f64)], floor: f64) -> bool {
    if points.iter().any(|p| !p.1.is_finite()) {
        return false;
    }
    let end = points.iter().max_by_key(|p| p.0);
    if end.is_none_or(|p| p.1 <= floor) {
        return false;
    }
    let last = points.iter().map(|p| p.0).max().unwrap_or(0) as f64;
    // Geometric mean over the logged steps in `[from, to)`.
    let mean_log = |from: f64, to: f64| -> Option<f64> {
        let logs: Vec<f64> = (points.iter())
            .filter(|(s, _)| (from..to).contains(&(*s as f64)))
            .map(|(_, l)| l.max(floor).ln())
            .collect();
        (!logs.is_empty()).then(|| logs.iter().sum::<f64>() / logs.len() as f64)
    };
    match (
        mean_log(0.6 * last, 0.8 * last),
        mean_log(0.8 * last, f64::INFINITY),
    ) {
        (Some(before), Some(end)) => before - end >= FALL_FACTOR.ln(),
        _ => false,
    }
}

/// Sets each row's `still_falling` (and, where it decodes, `still_falling_decoded`): how many
/// tested widths narrower than its answer (every tested width when there is none) had an
/// instance still learning ([`still_falling`]), so that more steps might lower the answer.
pub fn mark_still_falling(
    rows: &mut [MinHiddenRow],
    summary: &[SummaryRow],
    falling: &HashMap<String, u32>,
) {
    for row in rows {
        let series = Series::of_min_hidden(row);
        let narrower_falling = |answer: Option<u32>| -> u32 {
            summary
                .iter()
                .filter(|s| s.depth == row.depth && Series::of_summary(s) == series)
                .filter(|s| answer.is_none_or(|a| s.n_hidden < a))
                .filter(|s| falling.get(&s.config_id).is_some_and(|n| *n > 0))
                .count() as u32
        };
        row.still_falling = Some(narrower_falling(row.min_n_hidden));
        row.still_falling_decoded = row.min_n_hidden_decoded.map(narrower_falling);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{Aggregate, RunRow};

    fn curve(config: &str, instance: u32, losses: impl Fn(u64) -> f64) -> Vec<CurveRow> {
        (0..=100)
            .map(|k| CurveRow {
                config_id: config.into(),
                instance,
                step: k * 10,
                loss: losses(k * 10),
            })
            .collect()
    }

    #[test]
    fn an_instance_counts_when_its_loss_halves_over_the_last_fifth() {
        let mut curves = Vec::new();
        // Falls 10× per 1,000 steps: 10^(-0.2) per fifth, 1.58× < 2: not counted.
        curves.extend(curve("slow", 0, |s| 10f64.powf(-(s as f64) / 1000.0)));
        // Falls 10× per 250 steps: 6.3× per fifth.
        curves.extend(curve("fast", 0, |s| 10f64.powf(-(s as f64) / 250.0)));
        curves.extend(curve("fast", 1, |_| 1e-3));
        // Falls fast, but far below the floor: rounding noise, not learning.
        curves.extend(curve("solved", 0, |s| 10f64.powf(-10.0 - s as f64 / 100.0)));
        // Diverged.
        curves.extend(curve("nan", 0, |s| if s > 900 { f64::NAN } else { 1.0 }));
        let falling = still_falling(&curves, |_| 1e-8);
        assert_eq!(falling["slow"], 0);
        assert_eq!(falling["fast"], 1);
        assert_eq!(falling["solved"], 0);
        assert_eq!(falling["nan"], 0);
        // Fell fast but got below the floor before the end: done with what matters.
        let late = curve("late", 0, |s| if s < 900 { 1e-3 } else { 1e-12 });
        assert_eq!(still_falling(&late, |_| 1e-8)["late"], 0);
        // A floor per config: "fast" falls from 1e-3 to 1e-6, all below a floor of 1e-2.
        let falling = still_falling(&curves, |c| if c == "fast" { 1e-2 } else { 1e-8 });
        assert_eq!(falling["fast"], 0);
    }

    #[test]
    fn answers_are_marked_when_a_narrower_width_was_still_learning() {
        // Depth 2: width 2 fails and was still learning, 3 fails, 4 passes.
        let runs: Vec<RunRow> = [(2, 1e-3), (3, 1e-4), (4, 1e-7)]
            .into_iter()
            .map(|(h, loss)| RunRow::seed_example(2, h, 0, loss))
            .collect();
        let summary = crate::summarize(&runs);
        let mut rows = crate::min_hidden(&summary, 1e-5);
        let falling: HashMap<String, u32> = summary
            .iter()
            .map(|s| (s.config_id.clone(), u32::from(s.n_hidden == 2)))
            .collect();
        mark_still_falling(&mut rows, &summary, &falling);
        let mean = rows
            .iter()
            .find(|r| r.aggregate == Aggregate::Mean)
            .unwrap();
        assert_eq!(mean.min_n_hidden, Some(4));
        assert_eq!(mean.still_falling, Some(1));
        assert_eq!(mean.still_falling_decoded, None, "no exact evaluation");
        // Nothing narrower than the answer learning: no mark.
        let falling: HashMap<String, u32> = summary
            .iter()
            .map(|s| (s.config_id.clone(), u32::from(s.n_hidden == 4)))
            .collect();
        mark_still_falling(&mut rows, &summary, &falling);
        assert!(rows.iter().all(|r| r.still_falling == Some(0)));
    }
}
