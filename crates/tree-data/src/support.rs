//! Every sample the data can produce, with its probability, where there are few enough: what
//! makes an exact expected loss (rather than one estimated from a sampled batch) possible.

use crate::sample::{DataSpec, Features, Magnitude, Structure};

/// The finite set of samples of binary data: for tree paths, in node order, the empty sample
/// (the path stops at the root), then the path from the root down to each feature; for
/// independent features (at most [`MAX_INDEPENDENT_EXACT`] of them), every subset, in the order
/// of its bit mask. Samples that cannot occur are left out: with `stop_prob` 0 every path runs
/// to a leaf, so only the leaves' paths remain. The probabilities are positive and sum to 1.
#[derive(Debug, Clone, PartialEq)]
pub struct Support {
    /// Per row, its active features (each with value 1), root side first.
    pub rows: Vec<Vec<u32>>,
    /// Per row, the probability that a sample is exactly that row.
    pub probability: Vec<f64>,
    /// Features per row (the length of a dense row).
    pub n_features: usize,
}

/// Independent binary features have `2^n_features` possible samples: up to this many features
/// (a tree of depth 3 and branching 2 has 14) they are enumerated for an exact loss.
pub const MAX_INDEPENDENT_EXACT: usize = 16;

impl Support {
    /// Number of possible samples: `n_features + 1` for tree paths (the leaves when `stop_prob`
    /// is 0), up to `2^n_features` for independent features.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Never true: some path always has positive probability.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
}

impl DataSpec {
    /// The samples and their probabilities when there are few enough to enumerate: tree paths
    /// with binary magnitudes ([`DataSpec::samples_are_nodes`]), and independent binary
    /// features up to [`MAX_INDEPENDENT_EXACT`] of them; `None` otherwise.
    ///
    /// A path ends at a node of level `l` with probability `((1 − s)/b)^l · s`, or
    /// `((1 − s)/b)^depth` at a leaf, where it must end; the empty sample has probability `s`.
    /// A set of independent features is on, and the others off, with the product of their
    /// marginals `p` and the others' `1 − p`.
    pub fn support(&self) -> Option<Support> {
        if let Features::Tree {
            tree,
            structure: Structure::Independent,
        } = &self.features
            && self.magnitude == Magnitude::Binary
            && tree.n_features() <= MAX_INDEPENDENT_EXACT
        {
            return Some(independent_support(&tree.marginals()));
        }
        if !self.samples_are_nodes() {
            return None;
        }
        let tree = self.tree_spec()?;
        let n_features = tree.n_features();
        let mut rows = Vec::with_capacity(n_features + 1);
        let mut probability = Vec::with_capacity(n_features + 1);
        let mut push = |row: Vec<u32>, p: f64| {
            // With stop_prob 0 only the leaves' paths occur.
            if p > 0.0 {
                rows.push(row);
                probability.push(p);
            }
        };
        push(Vec::new(), tree.stop_prob());
        for feature in 0..n_features {
            let level = tree.level(feature);
            let stops = if level < tree.depth() {
                tree.stop_prob()
            } else {
                1.0
            };
            let mut path: Vec<u32> = tree.ancestors(feature).iter().map(|&a| a as u32).collect();
            path.reverse();
            path.push(feature as u32);
            push(path, tree.marginal(level) * stops);
        }
        Some(Support {
            rows,
            probability,
            n_features,
        })
    }
}

/// Every subset of independent features with marginals `p`, by bit mask, with its probability.
fn independent_support(p: &[f64]) -> Support {
    let n = p.len();
    let (mut rows, mut probability) = (Vec::new(), Vec::new());
    for mask in 0u32..(1 << n) {
        let on = |f: usize| mask >> f & 1 == 1;
        let prob: f64 = (0..n)
            .map(|f| if on(f) { p[f] } else { 1.0 - p[f] })
            .product();
        if prob > 0.0 {
            rows.push((0..n as u32).filter(|&f| on(f as usize)).collect());
            probability.push(prob);
        }
    }
    Support {
        rows,
        probability,
        n_features: n,
    }
}
