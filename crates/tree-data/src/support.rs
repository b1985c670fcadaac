//! Every sample tree-path data can produce, with its probability: what makes an exact expected
//! loss (rather than one estimated from a sampled batch) possible.

use crate::sample::DataSpec;

/// The finite set of samples of tree paths with binary magnitudes, in node order: the empty
/// sample (the path stops at the root), then the path from the root down to each feature.
/// Samples that cannot occur are left out: with `stop_prob` 0 every path runs to a leaf, so only
/// the leaves' paths remain. The probabilities are positive and sum to 1.
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
    /// Number of possible samples: `n_features + 1`, or the leaves when `stop_prob` is 0.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Never true: some path always has positive probability.
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
