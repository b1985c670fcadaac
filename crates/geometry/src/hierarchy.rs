//! Hierarchy-aware cosine statistics: how the embeddings of siblings, of ancestor–descendant
//! pairs and of unrelated features are arranged, level by level.
//!
//! Every unordered pair of distinct features `{i, j}` falls in exactly one [`PairClass`]:
//!
//! | relation | `level` | `other_level` |
//! | --- | --- | --- |
//! | [`Relation::Sibling`]: same parent (level 1: both children of the root) | their common level | the same |
//! | [`Relation::Ancestor`]: one is an ancestor of the other | the **descendant's** level | the ancestor's level |
//! | [`Relation::Unrelated`]: anything else | the **deeper** node's level | the shallower node's level |
//!
//! Without a tree (TMS-like runs) every pair is unrelated, with `level = other_level = 0`.
//!
//! Per-level views pool the cells of a relation over `other_level`
//! ([`HierarchyStats::by_level`]: by descendant / deeper level, the convention of the plots)
//! or over `level` ([`HierarchyStats::by_other_level`]: by ancestor / shallower level).
//!
//! Pairs where either column has norm below [`DEAD_NORM`] have no meaningful direction: they
//! are skipped and counted in [`CosineStats::n_dead_pairs`] of their class.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use tree_data::TreeSpec;

use crate::features::Gram;

/// A feature whose column norm is below this is "dead": its pairs are skipped.
pub const DEAD_NORM: f64 = 1e-6;

/// How two distinct features are related in the tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Relation {
    /// Same parent (the root counts as a parent, so all level-1 features are siblings).
    Sibling,
    /// One feature is an ancestor of the other.
    Ancestor,
    /// Neither siblings nor ancestor and descendant (also every pair when there is no tree).
    Unrelated,
}

impl Relation {
    /// All relations, in file order.
    pub const ALL: [Relation; 3] = [Relation::Sibling, Relation::Ancestor, Relation::Unrelated];

    /// Lower-case name, as written in `geometry.csv`.
    pub fn as_str(self) -> &'static str {
        match self {
            Relation::Sibling => "sibling",
            Relation::Ancestor => "ancestor",
            Relation::Unrelated => "unrelated",
        }
    }
}

impl fmt::Display for Relation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The cell a pair is counted in; see the module docs for what the levels mean.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PairClass {
    /// How the two features are related.
    pub relation: Relation,
    /// The descendant's (ancestor pairs) or deeper node's level; 0 without a tree.
    pub level: u32,
    /// The ancestor's (ancestor pairs) or shallower node's level; 0 without a tree.
    pub other_level: u32,
}

/// Classifies the unordered pair `{i, j}`.
///
/// # Panics
///
/// When `i == j` or, with a tree, when either is not a feature of it.
pub fn classify(tree: Option<&TreeSpec>, i: usize, j: usize) -> PairClass {
    assert_ne!(i, j, "a pair needs two distinct features");
    let Some(tree) = tree else {
        return PairClass {
            relation: Relation::Unrelated,
            level: 0,
            other_level: 0,
        };
    };
    let (li, lj) = (tree.level(i), tree.level(j));
    let ((deep, deep_level), (shallow, shallow_level)) = if li >= lj {
        ((i, li), (j, lj))
    } else {
        ((j, lj), (i, li))
    };
    let relation = if deep_level == shallow_level {
        if tree.parent(deep) == tree.parent(shallow) {
            Relation::Sibling
        } else {
            Relation::Unrelated
        }
    } else {
        // The deep node's ancestor at the shallow node's level.
        let mut node = deep;
        for _ in shallow_level..deep_level {
            node = tree
                .parent(node)
                .expect("a node below level 1 has a parent feature");
        }
        if node == shallow {
            Relation::Ancestor
        } else {
            Relation::Unrelated
        }
    };
    PairClass {
        relation,
        level: deep_level,
        other_level: shallow_level,
    }
}

/// Cosine statistics of the pairs of one cell (or of pooled cells).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CosineStats {
    n_pairs: u64,
    n_dead_pairs: u64,
    sum: f64,
    sum_abs: f64,
    min: f64,
    max: f64,
}

impl Default for CosineStats {
    fn default() -> Self {
        CosineStats {
            n_pairs: 0,
            n_dead_pairs: 0,
            sum: 0.0,
            sum_abs: 0.0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
        }
    }
}

impl CosineStats {
    /// Counts one live pair with cosine `cos`.
    pub fn add(&mut self, cos: f64) {
        self.n_pairs += 1;
        self.sum += cos;
        self.sum_abs += cos.abs();
        self.min = self.min.min(cos);
        self.max = self.max.max(cos);
    }

    /// Counts one skipped pair (a column below [`DEAD_NORM`]).
    pub fn add_dead(&mut self) {
        self.n_dead_pairs += 1;
    }

    /// Pools `other` into `self` (pair-weighted).
    pub fn merge(&mut self, other: &CosineStats) {
        self.n_pairs += other.n_pairs;
        self.n_dead_pairs += other.n_dead_pairs;
        self.sum += other.sum;
        self.sum_abs += other.sum_abs;
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
    }

    /// Pairs whose cosine was counted.
    pub fn n_pairs(&self) -> u64 {
        self.n_pairs
    }

    /// Pairs skipped because a column was dead.
    pub fn n_dead_pairs(&self) -> u64 {
        self.n_dead_pairs
    }

    fn or_nan(&self, v: f64) -> f64 {
        if self.n_pairs == 0 { f64::NAN } else { v }
    }

    /// Mean cosine; NaN without live pairs.
    pub fn mean(&self) -> f64 {
        self.or_nan(self.sum / self.n_pairs as f64)
    }

    /// Mean absolute cosine; NaN without live pairs.
    pub fn mean_abs(&self) -> f64 {
        self.or_nan(self.sum_abs / self.n_pairs as f64)
    }

    /// Smallest cosine; NaN without live pairs.
    pub fn min(&self) -> f64 {
        self.or_nan(self.min)
    }

    /// Largest cosine; NaN without live pairs.
    pub fn max(&self) -> f64 {
        self.or_nan(self.max)
    }
}

/// Cosine statistics of one instance, per [`PairClass`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct HierarchyStats {
    n_dead_features: usize,
    cells: BTreeMap<PairClass, CosineStats>,
}

impl HierarchyStats {
    /// Computes the statistics from an instance's Gram matrix.
    ///
    /// Every class that holds at least one pair of the tree has a cell, also when all its pairs
    /// are dead. Cost: `O(F² · depth)`.
    ///
    /// # Panics
    ///
    /// When `tree` has a different number of features than `gram`.
    pub fn of(gram: &Gram, tree: Option<&TreeSpec>) -> HierarchyStats {
        let n = gram.n_features();
        if let Some(t) = tree {
            assert_eq!(
                t.n_features(),
                n,
                "the tree has {} features but W has {n}",
                t.n_features()
            );
        }
        let alive: Vec<bool> = gram.norms().iter().map(|v| *v >= DEAD_NORM).collect();
        let mut cells: BTreeMap<PairClass, CosineStats> = BTreeMap::new();
        for i in 0..n {
            for j in i + 1..n {
                let cell = cells.entry(classify(tree, i, j)).or_default();
                match (alive[i] && alive[j]).then(|| gram.cosine(i, j)).flatten() {
                    Some(cos) => cell.add(cos),
                    None => cell.add_dead(),
                }
            }
        }
        HierarchyStats {
            n_dead_features: alive.iter().filter(|a| !**a).count(),
            cells,
        }
    }

    /// Features whose norm is below [`DEAD_NORM`].
    pub fn n_dead_features(&self) -> usize {
        self.n_dead_features
    }

    /// Every cell, ordered by relation, level, then other level.
    pub fn cells(&self) -> impl Iterator<Item = (PairClass, &CosineStats)> {
        self.cells.iter().map(|(k, v)| (*k, v))
    }

    /// One cell, if the tree has pairs of that class.
    pub fn get(&self, class: PairClass) -> Option<&CosineStats> {
        self.cells.get(&class)
    }

    /// A relation's cells pooled over `other_level`, keyed by `level` (the descendant's level
    /// for ancestor pairs, the deeper node's for unrelated ones).
    pub fn by_level(&self, relation: Relation) -> BTreeMap<u32, CosineStats> {
        self.pool(relation, |c| c.level)
    }

    /// A relation's cells pooled over `level`, keyed by `other_level` (the ancestor's level for
    /// ancestor pairs, the shallower node's for unrelated ones).
    pub fn by_other_level(&self, relation: Relation) -> BTreeMap<u32, CosineStats> {
        self.pool(relation, |c| c.other_level)
    }

    /// All cells of a relation pooled together.
    pub fn pooled(&self, relation: Relation) -> CosineStats {
        let mut out = CosineStats::default();
        for s in self.by_level(relation).values() {
            out.merge(s);
        }
        out
    }

    fn pool(&self, relation: Relation, key: fn(&PairClass) -> u32) -> BTreeMap<u32, CosineStats> {
        let mut out: BTreeMap<u32, CosineStats> = BTreeMap::new();
        for (class, stats) in self.cells.iter().filter(|(c, _)| c.relation == relation) {
            out.entry(key(class)).or_default().merge(stats);
        }
        out
    }
}

/// [`HierarchyStats::of`] for `w` (`[n_hidden, n_features]`, row-major).
///
/// # Panics
///
/// When `w.len() != n_hidden * n_features`, or when `tree` does not have `n_features`
/// features.
pub fn hierarchy_stats(
    w: &[f32],
    n_hidden: usize,
    n_features: usize,
    tree: Option<&TreeSpec>,
) -> HierarchyStats {
    HierarchyStats::of(&Gram::of(w, n_hidden, n_features), tree)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::w_2d;

    fn class(relation: Relation, level: u32, other_level: u32) -> PairClass {
        PairClass {
            relation,
            level,
            other_level,
        }
    }

    fn d2b2() -> TreeSpec {
        TreeSpec::new(2, 2, 0.5).unwrap()
    }

    #[test]
    fn depth_two_binary_pairs_match_a_hand_count() {
        // Features: 0, 1 at level 1; 2, 3 children of 0; 4, 5 children of 1.
        let tree = d2b2();
        let mut counts: BTreeMap<PairClass, Vec<(usize, usize)>> = BTreeMap::new();
        for i in 0..6 {
            for j in i + 1..6 {
                counts
                    .entry(classify(Some(&tree), i, j))
                    .or_default()
                    .push((i, j));
            }
        }
        use Relation::*;
        let expected: BTreeMap<PairClass, Vec<(usize, usize)>> = [
            (class(Sibling, 1, 1), vec![(0, 1)]),
            (class(Sibling, 2, 2), vec![(2, 3), (4, 5)]),
            (class(Ancestor, 2, 1), vec![(0, 2), (0, 3), (1, 4), (1, 5)]),
            (class(Unrelated, 2, 1), vec![(0, 4), (0, 5), (1, 2), (1, 3)]),
            (class(Unrelated, 2, 2), vec![(2, 4), (2, 5), (3, 4), (3, 5)]),
        ]
        .into_iter()
        .collect();
        assert_eq!(counts, expected);
        // Order does not matter.
        assert_eq!(classify(Some(&tree), 3, 0), classify(Some(&tree), 0, 3));
    }

    #[test]
    fn counts_add_up_on_a_bigger_tree() {
        let tree = TreeSpec::new(3, 3, 0.0).unwrap();
        let n = tree.n_features();
        let w: Vec<f32> = (0..2 * n).map(|k| 1.0 + (k % 5) as f32).collect();
        let stats = hierarchy_stats(&w, 2, n, Some(&tree));
        let total: u64 = stats.cells().map(|(_, s)| s.n_pairs()).sum();
        assert_eq!(total as usize, n * (n - 1) / 2);
        // Siblings: every family of 3 has 3 pairs; 1 + 3 + 9 families.
        assert_eq!(stats.pooled(Relation::Sibling).n_pairs(), 13 * 3);
        // Ancestor pairs: one per (node, proper ancestor) = Σ (level − 1).
        let anc: usize = (0..n).map(|f| tree.ancestors(f).len()).sum();
        assert_eq!(stats.pooled(Relation::Ancestor).n_pairs() as usize, anc);
        let by_anc = stats.by_other_level(Relation::Ancestor);
        assert_eq!(by_anc[&1].n_pairs(), 3 * (3 + 9));
        assert_eq!(by_anc[&2].n_pairs(), 9 * 3);
        // There are no unrelated pairs at level 1.
        assert!(stats.get(class(Relation::Unrelated, 1, 1)).is_none());
    }

    /// 0°, 180° at level 1; each family at level 2 is an antipodal pair on the y axis.
    fn antipodal_siblings() -> Vec<f32> {
        w_2d(&[
            (1.0, 0.0),
            (-1.0, 0.0),
            (0.0, 1.0),
            (0.0, -1.0),
            (0.0, 2.0),
            (0.0, -2.0),
        ])
    }

    #[test]
    fn antipodal_siblings_have_cosine_minus_one() {
        let tree = d2b2();
        let stats = hierarchy_stats(&antipodal_siblings(), 2, 6, Some(&tree));
        let sib = stats.by_level(Relation::Sibling);
        assert_eq!(sib[&1].mean(), -1.0);
        assert_eq!(sib[&2].mean(), -1.0);
        assert_eq!(sib[&2].n_pairs(), 2);
        let anc = stats.by_level(Relation::Ancestor);
        assert_eq!(anc[&2].mean(), 0.0);
        assert_eq!(anc[&2].n_pairs(), 4);
        let same_level = stats.get(class(Relation::Unrelated, 2, 2)).unwrap();
        // Cousins: (2,4) +1, (2,5) −1, (3,4) −1, (3,5) +1.
        assert_eq!((same_level.mean(), same_level.mean_abs()), (0.0, 1.0));
        assert_eq!((same_level.min(), same_level.max()), (-1.0, 1.0));
        assert_eq!(stats.n_dead_features(), 0);
    }

    #[test]
    fn dead_features_are_skipped_and_counted() {
        let tree = d2b2();
        let mut w = antipodal_siblings();
        // Kill feature 3 (a level-2 child of 0): both its entries.
        w[3] = 0.0;
        w[6 + 3] = 5e-7;
        let stats = hierarchy_stats(&w, 2, 6, Some(&tree));
        assert_eq!(stats.n_dead_features(), 1);
        let sib2 = stats.get(class(Relation::Sibling, 2, 2)).unwrap();
        assert_eq!((sib2.n_pairs(), sib2.n_dead_pairs()), (1, 1));
        let anc = stats.get(class(Relation::Ancestor, 2, 1)).unwrap();
        assert_eq!((anc.n_pairs(), anc.n_dead_pairs()), (3, 1));
        let cousins = stats.get(class(Relation::Unrelated, 2, 2)).unwrap();
        assert_eq!((cousins.n_pairs(), cousins.n_dead_pairs()), (2, 2));
        let dead: u64 = stats.cells().map(|(_, s)| s.n_dead_pairs()).sum();
        assert_eq!(dead, 5, "a dead feature is in F − 1 pairs");
        for (_, s) in stats.cells() {
            assert!(s.n_pairs() == 0 || s.mean().is_finite());
        }
    }

    #[test]
    fn all_dead_cell_is_kept_with_nan_statistics() {
        let tree = TreeSpec::new(1, 2, 0.0).unwrap();
        let stats = hierarchy_stats(&w_2d(&[(0.0, 0.0), (1.0, 0.0)]), 2, 2, Some(&tree));
        let sib = stats.get(class(Relation::Sibling, 1, 1)).unwrap();
        assert_eq!((sib.n_pairs(), sib.n_dead_pairs()), (0, 1));
        assert!(sib.mean().is_nan() && sib.min().is_nan());
    }

    #[test]
    fn without_a_tree_every_pair_is_unrelated_at_level_zero() {
        let stats = hierarchy_stats(&antipodal_siblings(), 2, 6, None);
        let cells: Vec<_> = stats.cells().collect();
        assert_eq!(cells.len(), 1);
        assert_eq!(cells[0].0, class(Relation::Unrelated, 0, 0));
        assert_eq!(cells[0].1.n_pairs(), 15);
        assert!(stats.by_level(Relation::Sibling).is_empty());
    }
}
