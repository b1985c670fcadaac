//! Every sample tree-path data can produce, with its probability: what makes an exact expected
//! loss (rather than one estimated from a sampled batch) possible.

use crate::sample::DataSpec;

/// The finite set of samples of tree paths with binary magnitudes, in node order: row 0 is the
/// empty sample (the path stops at the root), row `f + 1` the path from the root down to
/// feature `f`. Their probabilities sum to 1.
#[derive(Debug, Clone, PartialEq)]
pub struct Support {
    /// Per row, its active features (each with value 1), root side first.
    pub rows: Vec<Vec<u32>>,
    /// Per row, the probability that a sample is exactly that row.
    pub probability: Vec<f64>,
    /// Features per row (the length of a dense row).
    pub n_features: usize,
}

impl Support {
    /// Number of distinct samples: `n_features + 1`.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Never true: the empty sample is always a row.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
}

impl DataSpec {
    /// The samples and their probabilities when there are finitely many (tree paths with
    /// binary magnitudes, see [`DataSpec::samples_are_nodes`]); `None` otherwise.
    ///
    /// A path ends at a node of level `l` with probability `((1 − s)/b)^l · s`, or
    /// `((1 − s)/b)^depth` at a leaf, where it must end; the empty sample has probability `s`.
    pub fn support(&self) -> Option<Support> {
        if !self.samples_are_nodes() {
            return None;
        }
        let tree = self.tree_spec()?;
        let n_features = tree.n_features();
        let mut rows = Vec::with_capacity(n_features + 1);
        let mut probability = Vec::with_capacity(n_features + 1);
        rows.push(Vec::new());
        probability.push(tree.stop_prob());
        for feature in 0..n_features {
            let level = tree.level(feature);
            let mut path: Vec<u32> = tree.ancestors(feature).iter().map(|&a| a as u32).collect();
            path.reverse();
            path.push(feature as u32);
            rows.push(path);
            let stops = if level < tree.depth() {
                tree.stop_prob()
            } else {
                1.0
            };
            probability.push(tree.marginal(level) * stops);
        }
        Some(Support {
            rows,
            probability,
            n_features,
        })
    }
}
