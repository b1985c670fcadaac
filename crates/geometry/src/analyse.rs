//! One config's analysis: read its weights, compute every instance's geometry, and turn it
//! into table rows.

use std::path::Path;

use anyhow::{Context, Result, ensure};
use report::{RunRow, fmt_p, is_diverged};
use tree_data::{Pairs, TreeSpec};

use crate::features::{FeatureGeometry, Gram};
use crate::hierarchy::{DEAD_NORM, HierarchyStats};
use crate::plots::{loss_key, subtree_of};
use crate::schema::{FeatureRow, GeometryRow, InstanceRow, read_weights, weights_path};

/// One analysed instance.
pub(crate) struct InstanceGeo {
    pub instance: u32,
    /// [`report::RunRow::loss`]: exact where the data has it.
    pub eval_loss: f64,
    /// The loss it is judged and ranked by: `eval_loss`, or that divided by its bias-only
    /// loss (`runs.csv`) when the threshold is relative ([`Analysed::relative_loss`]).
    pub judged_loss: f64,
    /// Fraction of the possible samples decoded, where the data has exact evaluation.
    pub decoded: Option<f64>,
    /// Mean feature probability `p = 1 − S` (from `runs.csv`).
    pub feature_probability: f64,
    /// `[n_hidden, n_features]` row-major.
    pub w: Vec<f32>,
    pub bias: Vec<f32>,
    /// `‖W‖_F²`.
    pub frobenius_sq: f64,
    /// `WᵀW`, kept only by the config's best instance ([`Analysed::best`]), which the Gram
    /// chart draws: at 8 F² bytes an instance, the others' would hold gigabytes in sweeps of
    /// thousands of features.
    pub gram: Option<Gram>,
    pub features: Vec<FeatureGeometry>,
    pub hierarchy: HierarchyStats,
}

/// One analysed config: its `runs.csv` columns, its tree, and its analysed instances.
pub(crate) struct Analysed {
    /// The config's first `runs.csv` row (its config columns; instance columns are not used).
    pub config: RunRow,
    pub tree: Option<TreeSpec>,
    /// Non-empty, sorted by instance.
    pub instances: Vec<InstanceGeo>,
    /// Index into `instances` of the lowest judged loss (ties: lowest instance).
    pub best: usize,
    /// Whether losses are judged relative to the bias-only loss.
    pub relative_loss: bool,
    /// The distinct feature probabilities of all the config's `runs.csv` rows (diverged
    /// instances included), as `f64::to_bits`, sorted: part of the key charts are grouped by.
    pub probability_bits: Vec<u64>,
}

/// The `structure` of TMS-style runs: independent sparse features without a tree.
pub(crate) const SPARSE: &str = "sparse";

impl Analysed {
    pub fn best_instance(&self) -> &InstanceGeo {
        &self.instances[self.best]
    }

    /// An instance's loss in words: `exact loss 6.2e-5`, and where the threshold is relative
    /// also the ratio it is judged by: `exact loss 6.2e-5, 9.4e-3 of the bias-only loss`.
    pub fn loss_text(&self, inst: &InstanceGeo) -> String {
        let fmt_loss = report::draw::fmt_loss;
        let loss = format!("{} {}", self.loss_word(), fmt_loss(inst.eval_loss));
        if self.relative_loss {
            format!(
                "{loss}, {} of the bias-only loss",
                fmt_loss(inst.judged_loss)
            )
        } else {
            loss
        }
    }

    /// What its loss is called: `exact loss` where the data has exact evaluation, else
    /// `eval loss` (a sampled batch's), as in the report.
    pub fn loss_word(&self) -> &'static str {
        if self.config.exact_loss.is_some() {
            "exact loss"
        } else {
            "eval loss"
        }
    }

    /// Whether the config is a TMS-style run (`structure = sparse`).
    pub fn is_sparse(&self) -> bool {
        self.config.structure == SPARSE
    }

    /// The config's feature pairs; none when it has a tree.
    pub fn pairs(&self) -> Pairs {
        if self.tree.is_some() {
            Pairs::default()
        } else {
            pairs_of(&self.config)
        }
    }

    /// The data set of a config without a tree: `runs.csv`'s `group` less its magnitude
    /// (`f3-plist-1a2b3c4d`), which names it exactly; empty with a tree.
    pub fn data_set(&self) -> String {
        if self.tree.is_some() {
            String::new()
        } else {
            report::DataSetId::of_run(&self.config).name
        }
    }

    /// Whether the analysed instances have different feature probabilities.
    pub fn probabilities_differ(&self) -> bool {
        let p0 = self.instances[0].feature_probability;
        self.instances
            .iter()
            .any(|i| i.feature_probability.to_bits() != p0.to_bits())
    }

    /// `p = 0.01` or `p from 0.02 to 1` over the analysed instances.
    pub fn probability_label(&self) -> String {
        let (lo, hi) = self
            .instances
            .iter()
            .map(|i| i.feature_probability)
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), p| {
                (l.min(p), h.max(p))
            });
        if self.probabilities_differ() {
            format!("p from {} to {}", fmt_p(lo), fmt_p(hi))
        } else {
            format!("p = {}", fmt_p(self.instances[0].feature_probability))
        }
    }
}

/// The pairs of a `runs.csv` row, cut to what `n_features` can hold: features
/// `0 .. 2·correlated` are correlated pairs `(2k, 2k+1)`, the next `2·anticorrelated`
/// anticorrelated pairs, the rest independent (the convention of `runs.csv` and tree-data's
/// sparse sampler, [`Pairs`]).
pub(crate) fn pairs_of(row: &RunRow) -> Pairs {
    let max = row.n_features as usize / 2;
    let correlated = (row.correlated_pairs as usize).min(max);
    let anticorrelated = (row.anticorrelated_pairs as usize).min(max - correlated);
    Pairs {
        correlated,
        anticorrelated,
    }
}

/// Where a feature sits among a config's [`Pairs`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PairRole {
    /// A feature of correlated pair `pair`; `second` for the pair's odd feature.
    Correlated { pair: usize, second: bool },
    /// A feature of anticorrelated pair `pair` (counted among the anticorrelated pairs).
    Anticorrelated { pair: usize, second: bool },
    /// An independent feature, `index` among the independent ones.
    Single { index: usize },
}

/// Where features sit among [`Pairs`], for drawing them.
pub(crate) trait PairLayout {
    /// The role of feature `f`.
    fn role(&self, f: usize) -> PairRole;
    /// First feature of every pair and whether the pair is anticorrelated.
    fn blocks(&self) -> impl Iterator<Item = (usize, bool)>;
}

impl PairLayout for Pairs {
    fn role(&self, f: usize) -> PairRole {
        let second = f % 2 == 1;
        if f < 2 * self.correlated {
            PairRole::Correlated {
                pair: f / 2,
                second,
            }
        } else if f < self.n_paired() {
            PairRole::Anticorrelated {
                pair: f / 2 - self.correlated,
                second,
            }
        } else {
            PairRole::Single {
                index: f - self.n_paired(),
            }
        }
    }

    fn blocks(&self) -> impl Iterator<Item = (usize, bool)> {
        let correlated = self.correlated;
        (0..correlated + self.anticorrelated).map(move |k| (2 * k, k >= correlated))
    }
}

/// The tree a config's features are the nodes of, when its columns describe one that has
/// `n_features` features; `None` otherwise (then all pairs count as unrelated).
pub(crate) fn tree_of(row: &RunRow) -> Option<TreeSpec> {
    TreeSpec::new(row.depth, row.branching, row.stop_prob)
        .ok()
        .filter(|t| t.n_features() == row.n_features as usize)
}

/// Analyses one config (`rows` are its `runs.csv` rows, sorted by instance).
///
/// `Ok((None, notes))` when there is nothing to analyse (no weights file, or every instance
/// diverged); `notes` say what was left out. Errors for a malformed weights file or one that
/// disagrees with `runs.csv`.
pub(crate) fn analyse_config(
    dir: &Path,
    rows: &[&RunRow],
    relative_loss: bool,
) -> Result<(Option<Analysed>, Vec<String>)> {
    let first = rows[0];
    let id = &first.config_id;
    let path = weights_path(dir, id);
    let mut notes = Vec::new();
    if !path.exists() {
        notes.push(format!(
            "config {id}: no weights file {}, not analysed",
            path.display()
        ));
        return Ok((None, notes));
    }
    let weights = read_weights(&path)?;
    let (h, f) = (first.n_hidden as usize, first.n_features as usize);
    ensure!(
        weights.n_hidden == h && weights.n_features == f,
        "{}: W is [{}, {}, {}] but runs.csv says n_hidden {h}, n_features {f}",
        path.display(),
        weights.instances,
        weights.n_hidden,
        weights.n_features
    );
    let tree = tree_of(first);
    let mut instances = Vec::new();
    let mut left_out = Vec::new();
    for row in rows {
        let k = row.instance as usize;
        ensure!(
            k < weights.instances,
            "{}: runs.csv lists instance {k} but W has {} instance(s)",
            path.display(),
            weights.instances
        );
        let w = weights.instance_w(k);
        if is_diverged(row) || !w.iter().all(|v| v.is_finite()) {
            left_out.push(row.instance.to_string());
            continue;
        }
        let gram = Gram::of(w, h, f);
        instances.push(InstanceGeo {
            instance: row.instance,
            eval_loss: row.loss(),
            // `build_with` checked that every row has a positive bias-only loss.
            judged_loss: row.judged_loss(relative_loss),
            decoded: row.decoded,
            feature_probability: row.feature_probability,
            w: w.to_vec(),
            bias: weights.instance_b(k).to_vec(),
            features: gram.feature_geometry(),
            hierarchy: HierarchyStats::of(&gram, tree.as_ref()),
            frobenius_sq: gram.frobenius_sq(),
            gram: Some(gram),
        });
    }
    if !left_out.is_empty() {
        notes.push(format!(
            "config {id}: diverged or non-finite instance(s) {} not analysed",
            left_out.join(", ")
        ));
    }
    if instances.is_empty() {
        return Ok((None, notes));
    }
    let best = (0..instances.len())
        .min_by(|a, b| {
            loss_key(instances[*a].judged_loss).total_cmp(&loss_key(instances[*b].judged_loss))
        })
        .context("no instance")?;
    for (k, inst) in instances.iter_mut().enumerate() {
        if k != best {
            inst.gram = None;
        }
    }
    let mut probability_bits: Vec<u64> = rows
        .iter()
        .map(|r| r.feature_probability.to_bits())
        .collect();
    probability_bits.sort_unstable();
    probability_bits.dedup();
    Ok((
        Some(Analysed {
            config: first.clone(),
            tree,
            instances,
            best,
            relative_loss,
            probability_bits,
        }),
        notes,
    ))
}

/// `geometry.csv` rows of a config: per instance, every cell of its [`HierarchyStats`].
pub(crate) fn geometry_rows(a: &Analysed) -> Vec<GeometryRow> {
    let mut out = Vec::new();
    for inst in &a.instances {
        for (class, s) in inst.hierarchy.cells() {
            out.push(GeometryRow {
                config_id: a.config.config_id.clone(),
                instance: inst.instance,
                relation: class.relation,
                level: class.level,
                other_level: class.other_level,
                n_pairs: s.n_pairs(),
                n_dead_pairs: s.n_dead_pairs(),
                mean_cos: s.mean(),
                mean_abs_cos: s.mean_abs(),
                min_cos: s.min(),
                max_cos: s.max(),
                q25_cos: s.q25(),
                median_cos: s.median(),
                q75_cos: s.q75(),
            });
        }
    }
    out
}

/// `geometry_features.csv` rows of a config.
pub(crate) fn feature_rows(a: &Analysed) -> Vec<FeatureRow> {
    let tree = a.tree.as_ref();
    let mut out = Vec::new();
    for inst in &a.instances {
        for (i, g) in inst.features.iter().enumerate() {
            out.push(FeatureRow {
                config_id: a.config.config_id.clone(),
                instance: inst.instance,
                feature: i as u32,
                level: tree.map_or(0, |t| t.level(i)),
                parent: tree.and_then(|t| t.parent(i)).map(|p| p as u32),
                subtree: tree.map(|t| subtree_of(t, i) as u32),
                norm: g.norm,
                superposition: g.superposition,
                dims: g.dims,
                bias: f64::from(inst.bias[i]),
                dead: g.norm < DEAD_NORM,
            });
        }
    }
    out
}

/// `geometry_instances.csv` rows of a config.
pub(crate) fn instance_rows(a: &Analysed) -> Vec<InstanceRow> {
    a.instances
        .iter()
        .enumerate()
        .map(|(k, inst)| {
            let frob = inst.frobenius_sq;
            let n = inst.features.len().max(1) as f64;
            InstanceRow {
                config_id: a.config.config_id.clone(),
                instance: inst.instance,
                n_hidden: a.config.n_hidden,
                n_features: a.config.n_features,
                feature_probability: inst.feature_probability,
                eval_loss: inst.eval_loss,
                best: k == a.best,
                has_tree: a.tree.is_some(),
                frobenius_sq: frob,
                total_dims: if frob > 0.0 {
                    f64::from(a.config.n_hidden) / frob
                } else {
                    f64::NAN
                },
                sum_dims: inst.features.iter().map(|g| g.dims).sum(),
                mean_superposition: inst.features.iter().map(|g| g.superposition).sum::<f64>() / n,
                n_dead: inst.hierarchy.n_dead_features() as u32,
            }
        })
        .collect()
}
