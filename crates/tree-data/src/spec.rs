//! The tree's shape, its feature numbering and the closed-form marginals.

use std::fmt;
use std::ops::Range;

use serde::{Deserialize, Serialize};

/// The largest number of features (tree nodes, root excluded) a [`TreeSpec`] may have.
pub const MAX_FEATURES: usize = 1 << 16;

/// Bound on the depth [`MAX_FEATURES`] allows (15, with branching 2), so that
/// per-level tables can live on the stack.
pub(crate) const MAX_DEPTH: usize = 16;

/// Shape of the feature tree and the rule that stops a sample's path.
///
/// Features are the tree's nodes without the root, numbered breadth-first in
/// heap order: heap node 0 is the root, heap node `n` has children
/// `n * b + 1 ..= n * b + b`, and feature `i` is heap node `i + 1`.
///
/// Fields are private so that every value has passed [`TreeSpec::new`]
/// (deserialisation checks too); read them with the accessors.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "TreeSpecFields")]
pub struct TreeSpec {
    depth: u32,
    branching: u32,
    stop_prob: f64,
}

/// Unchecked mirror of [`TreeSpec`] that deserialisation goes through.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TreeSpecFields {
    depth: u32,
    branching: u32,
    stop_prob: f64,
}

impl TryFrom<TreeSpecFields> for TreeSpec {
    type Error = SpecError;

    fn try_from(fields: TreeSpecFields) -> Result<Self, SpecError> {
        TreeSpec::new(fields.depth, fields.branching, fields.stop_prob)
    }
}

/// Why a [`TreeSpec`] was rejected; its `Display` names the field, the value and what is allowed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SpecError {
    /// `depth` was 0.
    Depth(u32),
    /// `branching` was below 2.
    Branching(u32),
    /// `stop_prob` was outside `[0, 1)` or NaN.
    StopProb(f64),
    /// `depth` and `branching` give more than [`MAX_FEATURES`] features.
    TooManyFeatures {
        /// The requested depth.
        depth: u32,
        /// The requested branching factor.
        branching: u32,
    },
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            SpecError::Depth(depth) => write!(f, "depth = {depth} must be at least 1"),
            SpecError::Branching(branching) => {
                write!(f, "branching = {branching} must be at least 2")
            }
            SpecError::StopProb(p) => write!(f, "stop_prob = {p} is outside [0, 1)"),
            SpecError::TooManyFeatures { depth, branching } => write!(
                f,
                "depth = {depth} with branching = {branching} gives more than \
                 MAX_FEATURES = {MAX_FEATURES} features"
            ),
        }
    }
}

impl std::error::Error for SpecError {}

impl TreeSpec {
    /// Checks and builds a spec: `depth >= 1`, `branching >= 2`, `stop_prob` in
    /// `[0, 1)` and at most [`MAX_FEATURES`] features.
    pub fn new(depth: u32, branching: u32, stop_prob: f64) -> Result<TreeSpec, SpecError> {
        if depth == 0 {
            return Err(SpecError::Depth(depth));
        }
        if branching < 2 {
            return Err(SpecError::Branching(branching));
        }
        // Written so that NaN fails too.
        if !(0.0..1.0).contains(&stop_prob) {
            return Err(SpecError::StopProb(stop_prob));
        }
        let mut total: usize = 0;
        let mut width: usize = 1;
        for _ in 0..depth {
            // Checked because a huge depth would overflow long before the limit check.
            width = width.saturating_mul(branching as usize);
            total = total.saturating_add(width);
            if total > MAX_FEATURES {
                return Err(SpecError::TooManyFeatures { depth, branching });
            }
        }
        debug_assert!(depth as usize <= MAX_DEPTH);
        Ok(TreeSpec {
            depth,
            branching,
            stop_prob,
        })
    }

    /// Number of levels below the root (>= 1).
    pub fn depth(&self) -> u32 {
        self.depth
    }

    /// Children per internal node (>= 2).
    pub fn branching(&self) -> u32 {
        self.branching
    }

    /// Probability that an active node has no active child, in `[0, 1)`.
    pub fn stop_prob(&self) -> f64 {
        self.stop_prob
    }

    /// Number of features: `Σ_{l=1..depth} branching^l`.
    pub fn n_features(&self) -> usize {
        self.level_range(self.depth).end
    }

    /// Features at `level` (1-based: the root's children are level 1).
    ///
    /// Panics unless `1 <= level <= depth`.
    pub fn level_range(&self, level: u32) -> Range<usize> {
        assert!(
            (1..=self.depth).contains(&level),
            "level {level} is outside 1..={}",
            self.depth
        );
        let b = self.branching as usize;
        let mut start = 0;
        let mut width = b;
        for _ in 1..level {
            start += width;
            width *= b;
        }
        start..start + width
    }

    /// Level of `feature` (1-based). Panics if `feature >= n_features()`.
    pub fn level(&self, feature: usize) -> u32 {
        let b = self.branching as usize;
        let (mut level, mut end, mut width) = (1, b, b);
        while feature >= end {
            assert!(
                level < self.depth,
                "feature {feature} is outside 0..{}",
                self.n_features()
            );
            width *= b;
            end += width;
            level += 1;
        }
        level
    }

    /// Parent of `feature`, or `None` when the parent is the root.
    pub fn parent(&self, feature: usize) -> Option<usize> {
        self.check_feature(feature);
        // Heap node f + 1 has parent heap node f / b, which is feature f / b - 1.
        (feature / self.branching as usize).checked_sub(1)
    }

    /// Children of `feature`; empty for leaves.
    pub fn children(&self, feature: usize) -> Range<usize> {
        self.check_feature(feature);
        let b = self.branching as usize;
        let first = (feature + 1) * b;
        let n = self.n_features();
        if first >= n { n..n } else { first..first + b }
    }

    /// Ancestors of `feature`, nearest first, root excluded.
    pub fn ancestors(&self, feature: usize) -> Vec<usize> {
        let mut out = Vec::with_capacity(self.depth as usize);
        let mut node = self.parent(feature);
        while let Some(p) = node {
            out.push(p);
            node = self.parent(p);
        }
        out
    }

    /// Other children of `feature`'s parent (the root's children for level 1).
    pub fn siblings(&self, feature: usize) -> Vec<usize> {
        let family = match self.parent(feature) {
            Some(p) => self.children(p),
            None => self.level_range(1),
        };
        family.filter(|&s| s != feature).collect()
    }

    /// Probability that a given node at `level` is active: `((1 - stop_prob) / branching)^level`.
    ///
    /// Level 0 is the root, which is always active. Panics if `level > depth`.
    pub fn marginal(&self, level: u32) -> f64 {
        assert!(
            level <= self.depth,
            "level {level} is deeper than depth {}",
            self.depth
        );
        ((1.0 - self.stop_prob) / self.branching as f64).powi(level as i32)
    }

    /// [`TreeSpec::marginal`] of every feature, in feature order.
    pub fn marginals(&self) -> Vec<f64> {
        let mut out = Vec::with_capacity(self.n_features());
        for level in 1..=self.depth {
            let p = self.marginal(level);
            out.extend(self.level_range(level).map(|_| p));
        }
        out
    }

    fn check_feature(&self, feature: usize) {
        let n = self.n_features();
        assert!(feature < n, "feature {feature} is outside 0..{n}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_tree_numbering_is_heap_order_without_root() {
        let t = TreeSpec::new(3, 2, 0.5).unwrap();
        assert_eq!(t.n_features(), 14);
        assert_eq!(t.children(0), 2..4);
        assert_eq!(t.children(1), 4..6);
        assert_eq!(t.children(2), 6..8);
        assert_eq!(t.children(6), 14..14);
        assert_eq!(t.level_range(3), 6..14);
        assert_eq!(t.ancestors(13), vec![5, 1]);
        assert_eq!(t.siblings(13), vec![12]);
    }
}
