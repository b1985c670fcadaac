//! The record of one finished group, `groups/<group_id>.json`: its `runs.csv` and `curves.csv`
//! rows. Writing it (one atomic rename) is the moment the group counts as done.
//!
//! JSON has no NaN or infinity, and a diverged run has them, so every float of the record is
//! written as a number when finite and as the string `"NaN"`, `"inf"` or `"-inf"` otherwise.

use std::fmt;
use std::path::Path;

use anyhow::{Context, Result, bail, ensure};
use report::{CurveRow, RunRow};
use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::grid::{Cell, CellResult, Group};
use crate::run::weights_path;
use crate::weights::read_weights;
use train::ExactEval;
use tree_data::Support;

/// One config's instances judged on every possible sample (`train::evaluate_exact`).
fn evaluate_exact(support: &Support, cell: &Cell, w: &[f32], b_final: &[f32]) -> Vec<ExactEval> {
    let importance = cell.importance_vector();
    train::evaluate_exact(support, &importance, w, b_final, cell.n_hidden)
}

/// Version of the record layout; a record of another version is refused.
///
/// Format 1 lacked the data columns `feature_probability`, `correlated_pairs`,
/// `anticorrelated_pairs` and `importance`; it could only hold tree data with unit importance,
/// whose columns [`RunEntry::describe`] fills in from the group when such a record is read.
/// Format 2 later gained the optional `exact_loss`, `decoded` and then `max_error`: a record
/// without them gets them from its saved weights when read (a tmh from before them refuses
/// records that have them). Then `bias_only_loss`. Every read fills the data columns
/// (`RunEntry::describe`) from the group's configs, so a record of format 1, one without
/// `bias_only_loss` or one with an older importance label reads like a new one.
const FORMAT: u32 = 2;

/// An f64 that survives JSON when it is not finite.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
struct Real(f64);

impl Serialize for Real {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let v = self.0;
        if v.is_finite() {
            s.serialize_f64(v)
        } else if v.is_nan() {
            s.serialize_str("NaN")
        } else if v > 0.0 {
            s.serialize_str("inf")
        } else {
            s.serialize_str("-inf")
        }
    }
}

impl<'de> Deserialize<'de> for Real {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Real, D::Error> {
        struct RealVisitor;
        impl Visitor<'_> for RealVisitor {
            type Value = Real;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number, \"NaN\", \"inf\" or \"-inf\"")
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Real, E> {
                Ok(Real(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Real, E> {
                Ok(Real(v as f64))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Real, E> {
                Ok(Real(v as f64))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Real, E> {
                match v {
                    "NaN" => Ok(Real(f64::NAN)),
                    "inf" => Ok(Real(f64::INFINITY)),
                    "-inf" => Ok(Real(f64::NEG_INFINITY)),
                    _ => Err(E::invalid_value(de::Unexpected::Str(v), &self)),
                }
            }
        }
        d.deserialize_any(RealVisitor)
    }
}

/// A [`RunRow`] in the record.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RunEntry {
    config_id: String,
    group: String,
    depth: u32,
    branching: u32,
    structure: String,
    stop_prob: Real,
    magnitude: String,
    // Defaults only for format-1 records, which lack these four (see `FORMAT`).
    #[serde(default)]
    feature_probability: Real,
    #[serde(default)]
    correlated_pairs: u32,
    #[serde(default)]
    anticorrelated_pairs: u32,
    #[serde(default)]
    importance: String,
    n_hidden: u32,
    n_features: u32,
    seed: u64,
    instance: u32,
    train_loss: Real,
    eval_loss: Real,
    // Absent for data without exact evaluation, and in records written before tmh had it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    exact_loss: Option<Real>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    decoded: Option<Real>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    max_error: Option<Real>,
    // Absent in records written before tmh computed it; `describe` fills it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    bias_only_loss: Option<Real>,
    wall_s: Real,
    diverged: bool,
}

impl RunEntry {
    /// The row of `instance` of `cell` (of `group`) before training: its config described,
    /// its losses NaN.
    fn untrained(group: &Group, cell: &Cell, instance: u32) -> RunEntry {
        let mut entry = RunEntry {
            config_id: cell.id.clone(),
            group: group.info.id.clone(),
            depth: cell.depth(),
            branching: cell.branching(),
            structure: cell.structure_name().to_string(),
            stop_prob: Real(cell.stop_prob()),
            magnitude: crate::config::magnitude_name(cell.magnitude).to_string(),
            feature_probability: Real::default(),
            correlated_pairs: 0,
            anticorrelated_pairs: 0,
            importance: String::new(),
            n_hidden: cell.n_hidden as u32,
            n_features: cell.n_features as u32,
            seed: cell.seed,
            instance,
            train_loss: Real(f64::NAN),
            eval_loss: Real(f64::NAN),
            exact_loss: None,
            decoded: None,
            max_error: None,
            bias_only_loss: None,
            wall_s: Real(0.0),
            diverged: false,
        };
        entry.describe(cell);
        entry
    }

    /// Fills the columns that describe this instance's data and importance from its config.
    fn describe(&mut self, cell: &Cell) {
        let pairs = cell.pairs();
        self.feature_probability = Real(cell.feature_probability(self.instance));
        self.correlated_pairs = pairs.correlated as u32;
        self.anticorrelated_pairs = pairs.anticorrelated as u32;
        self.importance = cell.importance.label();
        self.bias_only_loss = Some(Real(cell.bias_only_loss(self.instance)));
    }
}

impl From<&RunEntry> for RunRow {
    fn from(r: &RunEntry) -> RunRow {
        RunRow {
            config_id: r.config_id.clone(),
            group: r.group.clone(),
            depth: r.depth,
            branching: r.branching,
            structure: r.structure.clone(),
            stop_prob: r.stop_prob.0,
            magnitude: r.magnitude.clone(),
            feature_probability: r.feature_probability.0,
            correlated_pairs: r.correlated_pairs,
            anticorrelated_pairs: r.anticorrelated_pairs,
            importance: r.importance.clone(),
            n_hidden: r.n_hidden,
            n_features: r.n_features,
            seed: r.seed.into(),
            instance: r.instance,
            train_loss: r.train_loss.0,
            eval_loss: r.eval_loss.0,
            exact_loss: r.exact_loss.map(|v| v.0),
            decoded: r.decoded.map(|v| v.0),
            max_error: r.max_error.map(|v| v.0),
            bias_only_loss: r.bias_only_loss.map(|v| v.0),
            wall_s: r.wall_s.0,
            diverged: r.diverged,
        }
    }
}

/// The `runs.csv` rows `groups` will have, before training: what their report will name
/// and label, with NaN losses.
pub(crate) fn untrained_rows(groups: &[Group]) -> Vec<RunRow> {
    let rows = groups.iter().flat_map(|group| {
        (group.cells.iter()).flat_map(move |cell| {
            (0..cell.instances as u32)
                .map(move |i| RunRow::from(&RunEntry::untrained(group, cell, i)))
        })
    });
    rows.collect()
}

/// A [`CurveRow`] in the record.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct CurveEntry {
    config_id: String,
    instance: u32,
    step: u64,
    loss: Real,
}

/// A finished group: who trained it and its rows.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct GroupRecord {
    format: u32,
    /// The group id.
    pub group: String,
    /// Hash of the sweep config it belongs to.
    pub config_hash: String,
    /// Engine that trained it.
    pub engine: String,
    /// Wall seconds of its training (an equal share of its pack's, when packed).
    pub wall_s: f64,
    runs: Vec<RunEntry>,
    curves: Vec<CurveEntry>,
}

impl GroupRecord {
    /// The record of a group's per-config results.
    pub fn new(
        group: &Group,
        results: &[CellResult],
        wall_s: f64,
        config_hash: &str,
        engine: &str,
    ) -> GroupRecord {
        let mut runs = Vec::new();
        let mut curves = Vec::new();
        let support = group.data.support();
        for (cell, result) in group.cells.iter().zip(results) {
            let w_len = cell.n_hidden * cell.n_features;
            let exact = (support.as_ref())
                .map(|support| evaluate_exact(support, cell, &result.w, &result.b_final));
            for instance in 0..cell.instances {
                let judged = exact.as_ref().map(|e| e[instance]);
                let train_loss = f64::from(result.final_loss[instance]);
                let eval_loss = f64::from(result.eval_loss[instance]);
                // Non-finite parameters count too: the fused kernel's ReLU maps NaN to 0, so a
                // NaN model can still report a finite loss there.
                let finite = |v: &[f32]| v.iter().all(|x| x.is_finite());
                let params_finite = finite(&result.w[instance * w_len..][..w_len])
                    && finite(&result.b_final[instance * cell.n_features..][..cell.n_features]);
                let entry = RunEntry {
                    train_loss: Real(train_loss),
                    eval_loss: Real(eval_loss),
                    exact_loss: judged.map(|e| Real(e.loss)),
                    decoded: judged.map(|e| Real(e.decoded)),
                    max_error: judged.map(|e| Real(e.max_error)),
                    wall_s: Real(wall_s),
                    diverged: !(train_loss.is_finite() && eval_loss.is_finite() && params_finite),
                    ..RunEntry::untrained(group, cell, instance as u32)
                };
                runs.push(entry);
                for (step, losses) in &result.curve {
                    curves.push(CurveEntry {
                        config_id: cell.id.clone(),
                        instance: instance as u32,
                        step: *step,
                        loss: Real(f64::from(losses[instance])),
                    });
                }
            }
        }
        GroupRecord {
            format: FORMAT,
            group: group.info.id.clone(),
            config_hash: config_hash.to_string(),
            engine: engine.to_string(),
            wall_s,
            runs,
            curves,
        }
    }

    /// The JSON text.
    pub fn to_json(&self) -> Result<Vec<u8>> {
        let mut bytes = serde_json::to_vec_pretty(self)?;
        bytes.push(b'\n');
        Ok(bytes)
    }

    /// Reads a record and checks that it is `group`'s record for a config of one of
    /// `config_hashes` ([`crate::SweepConfig::record_hashes`]), with one row per (config,
    /// instance) of some of the group's configs, config by config ([`GroupRecord::configs`]:
    /// a grid extended with more widths has more configs than its records). Its data columns
    /// (probabilities, pairs, importance label, bias-only loss) come from the group, and a
    /// record written before exact evaluation gets it from the weights saved beside it (`path`
    /// is `<run folder>/groups/<group>.json`).
    pub fn read(path: &Path, group: &Group, config_hashes: &[String]) -> Result<GroupRecord> {
        let check = || -> Result<GroupRecord> {
            let bytes = std::fs::read(path)?;
            let mut record: GroupRecord = serde_json::from_slice(&bytes)?;
            ensure!(
                record.format == FORMAT || record.format == 1,
                "record format {} is not {FORMAT}",
                record.format
            );
            ensure!(
                record.group == group.info.id,
                "it records group {}, not {}",
                record.group,
                group.info.id
            );
            ensure!(
                config_hashes.contains(&record.config_hash),
                "it belongs to config {}, not {}",
                record.config_hash,
                config_hashes.join(" or ")
            );
            let group = &group.subset(&record.configs()).with_context(|| {
                format!(
                    "it records configs {:?}, not all of group {}'s {:?}",
                    record.configs(),
                    group.info.id,
                    group.info.configs
                )
            })?;
            let expected = group
                .cells
                .iter()
                .flat_map(|c| (0..c.instances as u32).map(move |i| (c.id.as_str(), i)));
            let found = record
                .runs
                .iter()
                .map(|r| (r.config_id.as_str(), r.instance));
            if !expected.eq(found) {
                bail!("its rows do not match the group's configs and instances");
            }
            // The data columns follow from the config: filled anew on every read, so a record
            // of an older format, or from before a label or column changed, reads like a new one.
            let cells = (group.cells.iter()).flat_map(|c| (0..c.instances).map(move |_| c));
            for (entry, cell) in record.runs.iter_mut().zip(cells) {
                entry.describe(cell);
            }
            record.format = FORMAT;
            if let Some(support) = group.data.support()
                && (record.runs.iter()).any(|r| r.exact_loss.is_none() || r.max_error.is_none())
            {
                let out = path
                    .parent()
                    .and_then(Path::parent)
                    .unwrap_or(Path::new("."));
                // Without usable weights the record keeps what it had (its sampled losses, or
                // exact values without the worst error): still a good record.
                let before = record.runs.clone();
                if record.evaluate_exactly(group, &support, out).is_err() {
                    record.runs = before;
                }
            }
            Ok(record)
        };
        check().with_context(|| {
            format!(
                "{} is not a valid group record (delete it to train the group again)",
                path.display()
            )
        })
    }

    /// The configs it records, in its order, each once.
    pub fn configs(&self) -> Vec<&str> {
        let mut ids: Vec<&str> = Vec::new();
        for row in &self.runs {
            if ids.last() != Some(&row.config_id.as_str()) {
                ids.push(&row.config_id);
            }
        }
        ids
    }

    /// The record of its configs `keep` alone, with their share of its wall time (by rows,
    /// that is instances).
    pub fn restricted(&self, keep: &[&str]) -> GroupRecord {
        let kept = |id: &str| keep.contains(&id);
        let runs: Vec<RunEntry> = (self.runs.iter())
            .filter(|r| kept(&r.config_id))
            .cloned()
            .collect();
        let share = runs.len() as f64 / self.runs.len().max(1) as f64;
        GroupRecord {
            curves: (self.curves.iter())
                .filter(|c| kept(&c.config_id))
                .cloned()
                .collect(),
            runs,
            wall_s: self.wall_s * share,
            ..self.clone()
        }
    }

    /// One record of `group` from records of disjoint sets of its configs (one recorded
    /// earlier, one trained now, say), rows in the group's config order; its wall time is
    /// theirs summed (and every row's, as `runs.csv` repeats the group's on each of its rows),
    /// its engine theirs joined by `+` where they differ. One part gives it in grid order.
    pub fn combine(group: &Group, parts: Vec<GroupRecord>, config_hash: &str) -> GroupRecord {
        let mut engines: Vec<String> = Vec::new();
        for part in &parts {
            if !engines.contains(&part.engine) {
                engines.push(part.engine.clone());
            }
        }
        let wall_s = parts.iter().map(|p| p.wall_s).sum();
        let (mut runs, mut curves): (Vec<RunEntry>, Vec<CurveEntry>) = (Vec::new(), Vec::new());
        for part in parts {
            runs.extend(part.runs);
            curves.extend(part.curves);
        }
        let order = |id: &str| group.cells.iter().position(|c| c.id == id);
        // Stable sorts: within a config, rows keep their instance and step order.
        runs.sort_by_key(|r| order(&r.config_id));
        curves.sort_by_key(|c| order(&c.config_id));
        for row in &mut runs {
            row.wall_s = Real(wall_s);
        }
        GroupRecord {
            format: FORMAT,
            group: group.info.id.clone(),
            config_hash: config_hash.to_string(),
            engine: engines.join("+"),
            wall_s,
            runs,
            curves,
        }
    }

    /// Fills every row's exact loss and decoded fraction from the group's saved weights (the
    /// rows are in cell and instance order: [`GroupRecord::read`] checked that).
    fn evaluate_exactly(&mut self, group: &Group, support: &Support, out: &Path) -> Result<()> {
        let mut rows = self.runs.iter_mut();
        for cell in &group.cells {
            let weights = read_weights(&weights_path(out, &cell.id))?;
            ensure!(
                weights.w_shape == [cell.instances, cell.n_hidden, cell.n_features]
                    && weights.b_final.len() == cell.instances * cell.n_features,
                "the weights of {} have shape {:?}",
                cell.id,
                weights.w_shape
            );
            for judged in evaluate_exact(support, cell, &weights.w, &weights.b_final) {
                let row = rows.next().context("fewer rows than instances")?;
                row.exact_loss = Some(Real(judged.loss));
                row.decoded = Some(Real(judged.decoded));
                row.max_error = Some(Real(judged.max_error));
            }
        }
        ensure!(rows.next().is_none(), "more rows than instances");
        Ok(())
    }

    /// Its `runs.csv` rows.
    pub fn run_rows(&self) -> impl Iterator<Item = RunRow> + '_ {
        self.runs.iter().map(RunRow::from)
    }

    /// Its `curves.csv` rows.
    pub fn curve_rows(&self) -> impl Iterator<Item = CurveRow> + '_ {
        self.curves.iter().map(|c| CurveRow {
            config_id: c.config_id.clone(),
            instance: c.instance,
            step: c.step,
            loss: c.loss.0,
        })
    }

    /// Instances whose run diverged.
    pub fn diverged(&self) -> usize {
        self.runs.iter().filter(|r| r.diverged).count()
    }
}
