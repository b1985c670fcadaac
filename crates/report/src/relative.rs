//! `analysis.relative_loss`: every loss divided by its instance's bias-only loss (the loss of
//! the best model without hidden units), so that one threshold means the same fraction of
//! what there is to learn at every depth. A fixed threshold does not: the seed tree's
//! bias-only loss falls 28-fold from depth 1 to depth 6, so `loss < 1e-5` is that much looser
//! at depth 6.
//!
//! The report divides the rows in memory right after reading them; everything downstream
//! (statistics, pass rule, charts, still-falling marks) then works on relative losses, and
//! `summary.csv` and `min_hidden.csv` say so in their `relative` column. `runs.csv` and
//! `curves.csv` keep the losses themselves.

use std::collections::HashMap;

use anyhow::{Result, bail};

use crate::schema::{CurveRow, RunRow, SummaryRow};

/// The bias-only loss of `row`, or why its relative loss is undefined.
fn bias_only_loss(row: &RunRow) -> Result<f64> {
    match row.bias_only_loss {
        None => bail!(
            "analysis.relative_loss needs each instance's bias-only loss (runs.csv column \
             bias_only_loss), which config {} instance {} has not: its folder was written \
             before tmh computed it. Rerun the folder's sweep command (its config.toml as \
             --config, the folder as --out), which fills it without training, or set \
             analysis.relative_loss = false (`tmh report DIR --relative-loss false`)",
            row.config_id,
            row.instance
        ),
        Some(b) if !(b.is_finite() && b > 0.0) => bail!(
            "config {} instance {} has a bias-only loss of {b}: its features never vary, so a \
             loss relative to it is undefined; set analysis.relative_loss = false",
            row.config_id,
            row.instance
        ),
        Some(b) => Ok(b),
    }
}

/// Fails unless every row of `runs` has a positive, finite bias-only loss, naming the first
/// that has not and how to mend it.
pub fn check_relative(runs: &[RunRow]) -> Result<()> {
    runs.iter().try_for_each(|r| bias_only_loss(r).map(drop))
}

/// Divides every loss of `runs` (train, eval, exact) and of `curves` by its instance's
/// bias-only loss, or fails as [`check_relative`] does. Curve points of an instance that
/// `runs` lacks are left as they are (no chart draws them).
pub fn divide_by_bias_only(runs: &mut [RunRow], curves: Option<&mut [CurveRow]>) -> Result<()> {
    let mut by_instance: HashMap<(&str, u32), f64> = HashMap::new();
    for row in runs.iter() {
        by_instance.insert((&row.config_id, row.instance), bias_only_loss(row)?);
    }
    if let Some(curves) = curves {
        for point in curves {
            if let Some(b) = by_instance.get(&(point.config_id.as_str(), point.instance)) {
                point.loss /= b;
            }
        }
    }
    for row in runs.iter_mut() {
        // Checked above: positive and finite.
        let b = row.bias_only_loss.unwrap_or(1.0);
        row.train_loss /= b;
        row.eval_loss /= b;
        row.exact_loss = row.exact_loss.map(|l| l / b);
    }
    Ok(())
}

/// The instances whose exact loss ended above their bias-only loss: a model without hidden
/// units does better, so their training failed (a learning rate too high, too few steps).
/// Trained instances of healthy runs end well below it (at most 0.25 of it in the seed's and
/// `deep.toml`'s sweeps). Only exact losses count: a sampled eval loss of rare features can
/// land above it by sampling noise alone. Diverged instances are counted apart and left out.
pub fn worse_than_bias_only(runs: &[RunRow]) -> Vec<&RunRow> {
    (runs.iter())
        .filter(|r| {
            !crate::is_diverged(r)
                && (r.exact_loss.zip(r.bias_only_loss)).is_some_and(|(loss, b)| loss > b)
        })
        .collect()
}

/// Marks the rows of a summary of divided runs as relative.
pub(crate) fn mark(summary: &mut [SummaryRow]) {
    for row in summary {
        row.relative = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn losses_and_curves_are_divided_per_instance() {
        let mut runs = vec![
            RunRow {
                exact_loss: Some(1e-3),
                bias_only_loss: Some(0.25),
                ..RunRow::seed_example(2, 3, 0, 2e-3)
            },
            RunRow {
                bias_only_loss: Some(0.5),
                ..RunRow::seed_example(2, 3, 1, 2e-3)
            },
        ];
        let point = |instance, loss| CurveRow {
            config_id: runs[0].config_id.clone(),
            instance,
            step: 0,
            loss,
        };
        let mut curves = vec![point(0, 1.0), point(1, 1.0), point(7, 1.0)];
        divide_by_bias_only(&mut runs, Some(&mut curves)).unwrap();
        assert_eq!(runs[0].exact_loss, Some(4e-3));
        assert_eq!((runs[0].eval_loss, runs[0].train_loss), (8e-3, 8e-3));
        assert_eq!((runs[1].eval_loss, runs[1].exact_loss), (4e-3, None));
        assert_eq!(runs[1].bias_only_loss, Some(0.5), "the divisor stays");
        let losses: Vec<f64> = curves.iter().map(|c| c.loss).collect();
        assert_eq!(losses, [4.0, 2.0, 1.0], "instance 7 is not in runs");
    }

    #[test]
    fn instances_above_their_bias_only_loss_are_found() {
        // Depth 2's bias-only loss is 0.1015625; sampled losses do not count.
        let exact = |instance, loss| RunRow {
            exact_loss: Some(loss),
            ..RunRow::seed_example(2, 3, instance, 0.01)
        };
        let runs = [
            exact(0, 0.1),
            exact(1, 0.2),
            RunRow::seed_example(2, 3, 2, 0.25),
            RunRow {
                diverged: true,
                ..exact(3, 0.5)
            },
            RunRow {
                bias_only_loss: None,
                ..exact(4, 0.5)
            },
        ];
        let worse: Vec<u32> = (worse_than_bias_only(&runs).iter())
            .map(|r| r.instance)
            .collect();
        assert_eq!(worse, [1]);
    }

    #[test]
    fn missing_or_zero_bias_only_losses_are_refused_by_name() {
        let old = RunRow {
            bias_only_loss: None,
            ..RunRow::seed_example(3, 4, 2, 1e-3)
        };
        let err = check_relative(&[old]).unwrap_err().to_string();
        assert!(
            err.contains("d3-h4-b2-tree0.5-binary-s0 instance 2"),
            "{err}"
        );
        assert!(err.contains("Rerun the folder's sweep command"), "{err}");
        let constant = RunRow {
            bias_only_loss: Some(0.0),
            ..RunRow::seed_example(3, 4, 0, 1e-3)
        };
        let err = check_relative(&[constant]).unwrap_err().to_string();
        assert!(err.contains("never vary"), "{err}");
        assert!(check_relative(&[RunRow::seed_example(3, 4, 0, 1e-3)]).is_ok());
    }
}
