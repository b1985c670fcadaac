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
//!
//! A cell keeps its pairs' cosines themselves, so besides the mean it gives their spread:
//! minimum, quartiles, median and maximum ([`CosineStats::quantile`]), also for cells pooled
//! over levels or instances.

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
///
/// Quantiles ([`CosineStats::quantile`]) interpolate linearly between the two nearest ranks,
/// as numpy's default (`method="linear"`, Hyndman and Fan's type 7): with the `n` cosines
/// sorted as `x[0] ≤ … ≤ x[n−1]`, the `p`-quantile is `x[k] + f · (x[k+1] − x[k])` where
/// `k + f = p · (n − 1)`, `k` an integer and `0 ≤ f < 1`. So `quantile(0)` is the minimum,
/// `quantile(1)` the maximum, and the median of an even count is the mean of the middle two.
#[derive(Debug, Clone, PartialEq)]
pub struct CosineStats {
    /// Every counted cosine, sorted ([`f64::total_cmp`]). Kept whole rather than binned so
    /// that quantiles are exact and pool exactly under [`CosineStats::merge`]; a cell holds
    /// at most `F (F − 1) / 2` values, half the size of the Gram matrix the instance keeps.
    cosines: Vec<f64>,
    n_dead_pairs: u64,
    sum: f64,
    sum_abs: f64,
}

impl Default for CosineStats {
    fn default() -> Self {
        CosineStats {
            cosines: Vec::new(),
            n_dead_pairs: 0,
            sum: 0.0,
            sum_abs: 0.0,
        }
    }
}

impl CosineStats {
    /// The statistics of the live pairs with cosines `cosines` (any order) and of
    /// `n_dead_pairs` skipped ones.
    pub fn of(cosines: Vec<f64>, n_dead_pairs: u64) -> CosineStats {
        let mut out = CosineStats {
            sum: cosines.iter().sum(),
            sum_abs: cosines.iter().map(|c| c.abs()).sum(),
            cosines,
            n_dead_pairs,
        };
        out.cosines.sort_by(f64::total_cmp);
        out
    }

    /// Counts one live pair with cosine `cos`. Keeps the cosines sorted by inserting, `O(n)`:
    /// to count many pairs at once, [`CosineStats::of`] sorts them once.
    pub fn add(&mut self, cos: f64) {
        let at = self.cosines.partition_point(|c| c.total_cmp(&cos).is_le());
        self.cosines.insert(at, cos);
        self.sum += cos;
        self.sum_abs += cos.abs();
    }

    /// Counts one skipped pair (a column below [`DEAD_NORM`]).
    pub fn add_dead(&mut self) {
        self.n_dead_pairs += 1;
    }

    /// Pools `other` into `self` (pair-weighted): the statistics of both cells' pairs together.
    pub fn merge(&mut self, other: &CosineStats) {
        self.n_dead_pairs += other.n_dead_pairs;
        self.sum += other.sum;
        self.sum_abs += other.sum_abs;
        self.cosines.extend_from_slice(&other.cosines);
        // Two sorted runs: the stable sort finds them and merges them in linear time.
        self.cosines.sort_by(f64::total_cmp);
    }

    /// Pairs whose cosine was counted.
    pub fn n_pairs(&self) -> u64 {
        self.cosines.len() as u64
    }

    /// Pairs skipped because a column was dead.
    pub fn n_dead_pairs(&self) -> u64 {
        self.n_dead_pairs
    }

    /// The counted cosines, sorted in increasing order.
    pub fn cosines(&self) -> &[f64] {
        &self.cosines
    }

    fn or_nan(&self, v: f64) -> f64 {
        if self.cosines.is_empty() { f64::NAN } else { v }
    }

    /// Mean cosine; NaN without live pairs.
    pub fn mean(&self) -> f64 {
        self.or_nan(self.sum / self.cosines.len() as f64)
    }

    /// Mean absolute cosine; NaN without live pairs.
    pub fn mean_abs(&self) -> f64 {
        self.or_nan(self.sum_abs / self.cosines.len() as f64)
    }

    /// Smallest cosine; NaN without live pairs.
    pub fn min(&self) -> f64 {
        self.quantile(0.0)
    }

    /// Largest cosine; NaN without live pairs.
    pub fn max(&self) -> f64 {
        self.quantile(1.0)
    }

    /// The `p`-quantile of the cosines, `p` in `0..=1`, by linear interpolation between the
    /// nearest ranks (see [`CosineStats`]); NaN without live pairs.
    ///
    /// # Panics
    ///
    /// When `p` is not in `0..=1`.
    pub fn quantile(&self, p: f64) -> f64 {
        assert!((0.0..=1.0).contains(&p), "quantile {p} is not in 0..=1");
        let x = &self.cosines;
        let Some(last) = x.len().checked_sub(1) else {
            return f64::NAN;
        };
        let rank = p * last as f64;
        let k = (rank.floor() as usize).min(last);
        let f = rank - k as f64;
        match x.get(k + 1) {
            // `f = 0` takes `x[k]` exactly, also where `x[k + 1]` is far from it.
            Some(next) if f > 0.0 => x[k] + f * (next - x[k]),
            _ => x[k],
        }
    }

    /// First quartile (the 0.25-quantile); NaN without live pairs.
    pub fn q25(&self) -> f64 {
        self.quantile(0.25)
    }

    /// Median (the 0.5-quantile); NaN without live pairs.
    pub fn median(&self) -> f64 {
        self.quantile(0.5)
    }

    /// Third quartile (the 0.75-quantile); NaN without live pairs.
    pub fn q75(&self) -> f64 {
        self.quantile(0.75)
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
        // Per class: the live pairs' cosines and the dead pairs' count, sorted once at the end.
        let mut pairs: BTreeMap<PairClass, (Vec<f64>, u64)> = BTreeMap::new();
        for i in 0..n {
            for j in i + 1..n {
                let (cosines, dead) = pairs.entry(classify(tree, i, j)).or_default();
                match (alive[i] && alive[j]).then(|| gram.cosine(i, j)).flatten() {
                    Some(cos) => cosines.push(cos),
                    None => *dead += 1,
                }
            }
        }
        HierarchyStats {
            n_dead_features: alive.iter().filter(|a| !**a).count(),
            cells: (pairs.into_iter())
                .map(|(class, (cosines, dead))| (class, CosineStats::of(cosines, dead)))
                .collect(),
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
        // Sorted −1, −1, +1, +1: q25 at rank 0.75 (between the −1s), median halfway.
        assert_eq!(five_numbers(same_level), [-1.0, -1.0, 0.0, 1.0, 1.0]);
        assert_eq!(stats.n_dead_features(), 0);
    }

    /// (min, q25, median, q75, max).
    fn five_numbers(s: &CosineStats) -> [f64; 5] {
        [s.min(), s.q25(), s.median(), s.q75(), s.max()]
    }

    fn assert_close(got: [f64; 5], want: [f64; 5]) {
        let close = got.iter().zip(want).all(|(g, w)| (g - w).abs() < 1e-12);
        assert!(close, "got {got:?}, want {want:?}");
    }

    #[test]
    fn quartiles_interpolate_linearly_between_the_nearest_ranks() {
        // Odd count: the quartiles fall on ranks 1, 2, 3 of 0..4 exactly.
        let odd = CosineStats::of(vec![0.5, -1.0, 1.0, 0.0, -0.5], 0);
        assert_eq!(five_numbers(&odd), [-1.0, -0.5, 0.0, 0.5, 1.0]);
        // Between ranks: 0.1 · 4 = rank 0.4, 40 % of the way from −1 to −0.5.
        assert!((odd.quantile(0.1) + 0.8).abs() < 1e-12);
        // Even count, sorted −0.8, −0.4, 0, 0.8: ranks 0.75, 1.5 and 2.25 of 0..3, as numpy's
        // np.quantile(x, [0.25, 0.5, 0.75]) gives.
        let even = CosineStats::of(vec![0.8, -0.8, 0.0, -0.4], 0);
        assert_close(five_numbers(&even), [-0.8, -0.5, -0.2, 0.2, 0.8]);
        assert_eq!(even.cosines(), &[-0.8, -0.4, 0.0, 0.8]);
        // One pair: every quantile is its cosine.
        let one = CosineStats::of(vec![0.3], 2);
        assert_eq!(five_numbers(&one), [0.3; 5]);
        // Counted one by one, the same statistics.
        let mut added = CosineStats::default();
        for c in [0.0, 0.8, -0.4, -0.8] {
            added.add(c);
        }
        assert_eq!(added, even);
        // No live pairs: NaN.
        let dead = CosineStats::of(Vec::new(), 3);
        assert!(five_numbers(&dead).iter().all(|v| v.is_nan()));
        assert_eq!((dead.n_pairs(), dead.n_dead_pairs()), (0, 3));
    }

    #[test]
    #[should_panic(expected = "not in 0..=1")]
    fn a_quantile_outside_zero_to_one_panics() {
        CosineStats::of(vec![0.0], 0).quantile(1.5);
    }

    #[test]
    fn merging_gives_the_statistics_of_the_union() {
        let a = [0.9, -0.7, 0.1, 0.1, -0.2];
        let b = [0.4, -1.0, 0.6];
        let mut merged = CosineStats::of(a.to_vec(), 1);
        merged.merge(&CosineStats::of(b.to_vec(), 2));
        let union = CosineStats::of(a.iter().chain(&b).copied().collect(), 3);
        assert_eq!(merged.cosines(), union.cosines());
        assert_eq!((merged.n_pairs(), merged.n_dead_pairs()), (8, 3));
        assert_eq!(five_numbers(&merged), five_numbers(&union));
        // Sorted −1, −0.7, −0.2, 0.1, 0.1, 0.4, 0.6, 0.9: q25 at rank 1.75, q75 at 5.25.
        assert_close(five_numbers(&merged), [-1.0, -0.325, 0.1, 0.45, 0.9]);
        assert!((merged.mean() - union.mean()).abs() < 1e-15);
        assert!((merged.mean_abs() - union.mean_abs()).abs() < 1e-15);
        // An empty cell changes nothing, on either side.
        let mut from_empty = CosineStats::default();
        from_empty.merge(&union);
        from_empty.merge(&CosineStats::default());
        assert_eq!(from_empty, union);
        // Pooling an instance's cells over instances, as the cosine chart does: the same as
        // its pairs counted twice.
        let tree = d2b2();
        let stats = hierarchy_stats(&antipodal_siblings(), 2, 6, Some(&tree));
        let mut twice = CosineStats::default();
        for _ in 0..2 {
            twice.merge(&stats.pooled(Relation::Unrelated));
        }
        let once = stats.pooled(Relation::Unrelated);
        let doubled: Vec<f64> = once.cosines().iter().flat_map(|c| [*c, *c]).collect();
        assert_eq!(twice.cosines(), doubled.as_slice());
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
