//! TMS-style sparse features without a tree: each feature on with its own probability, some of
//! them in correlated or anticorrelated pairs (the semantics of ARENA's toy-models exercises).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::spec::MAX_FEATURES;

/// How many leading features come in pairs.
///
/// Features `0 .. 2·correlated` are correlated pairs `(2k, 2k+1)`: both on or both off. The
/// next `2·anticorrelated` features are anticorrelated pairs: never both on, each on with its
/// own probability `p` (so the pair is active with `2p`, which must be at most 1). The rest
/// are independent. Magnitudes are drawn independently for every active feature.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pairs {
    /// Pairs that are both on or both off.
    pub correlated: usize,
    /// Pairs that are never both on.
    pub anticorrelated: usize,
}

impl Pairs {
    /// Features that belong to a pair.
    pub fn n_paired(&self) -> usize {
        2 * (self.correlated + self.anticorrelated)
    }
}

/// Sparse features with per-feature (and optionally per-instance) probabilities.
///
/// `probability` holds one row of `n_features` probabilities per instance; instance `k`
/// (`StreamKey::instance`) draws with row `k mod n_rows`, so a single row serves every
/// instance and `n_rows = instances` gives each its own (ARENA's `p = 50^-linspace(0, 1, n)`).
///
/// Fields are private so that every value has passed [`SparseSpec::new`] (deserialisation
/// checks too). Serialised, its keys are those [`SparseError`] names: `n_features`,
/// `feature_probability` (rows), `correlated_pairs`, `anticorrelated_pairs`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "SparseSpecFields", into = "SparseSpecFields")]
pub struct SparseSpec {
    n_features: usize,
    probability: Vec<Vec<f64>>,
    pairs: Pairs,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SparseSpecFields {
    n_features: usize,
    feature_probability: Vec<Vec<f64>>,
    #[serde(default)]
    correlated_pairs: usize,
    #[serde(default)]
    anticorrelated_pairs: usize,
}

impl TryFrom<SparseSpecFields> for SparseSpec {
    type Error = SparseError;

    fn try_from(f: SparseSpecFields) -> Result<Self, SparseError> {
        let pairs = Pairs {
            correlated: f.correlated_pairs,
            anticorrelated: f.anticorrelated_pairs,
        };
        SparseSpec::new(f.n_features, f.feature_probability, pairs)
    }
}

impl From<SparseSpec> for SparseSpecFields {
    fn from(spec: SparseSpec) -> Self {
        SparseSpecFields {
            n_features: spec.n_features,
            feature_probability: spec.probability,
            correlated_pairs: spec.pairs.correlated,
            anticorrelated_pairs: spec.pairs.anticorrelated,
        }
    }
}

/// Why a [`SparseSpec`] was rejected; `Display` names the field, the value and what is allowed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SparseError {
    /// `n_features` was 0 or above [`MAX_FEATURES`].
    NFeatures(usize),
    /// No probability row.
    NoRows,
    /// A row whose length is not `n_features`.
    RowLength {
        /// The row (instance).
        row: usize,
        /// Its length.
        len: usize,
        /// `n_features`.
        n_features: usize,
    },
    /// A probability outside `[0, 1]` or NaN.
    Probability {
        /// The row (instance).
        row: usize,
        /// The feature.
        feature: usize,
        /// The value.
        value: f64,
    },
    /// More paired features than features.
    TooManyPairs {
        /// The pairs asked for.
        pairs: Pairs,
        /// `n_features`.
        n_features: usize,
    },
    /// The two features of a pair have different probabilities (a pair is one draw).
    PairMismatch {
        /// The row (instance).
        row: usize,
        /// The pair's first feature.
        feature: usize,
    },
    /// An anticorrelated pair with `p > 0.5` (its two features cannot both have `p`).
    AnticorrelatedAboveHalf {
        /// The row (instance).
        row: usize,
        /// The pair's first feature.
        feature: usize,
        /// The probability.
        value: f64,
    },
}

impl fmt::Display for SparseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            SparseError::NFeatures(n) => write!(
                f,
                "n_features = {n} must be between 1 and MAX_FEATURES = {MAX_FEATURES}"
            ),
            SparseError::NoRows => write!(f, "feature_probability has no values"),
            SparseError::RowLength {
                row,
                len,
                n_features,
            } => write!(
                f,
                "feature_probability row {row} has {len} values; give one per feature \
                 (n_features = {n_features})"
            ),
            SparseError::Probability {
                row,
                feature,
                value,
            } => write!(
                f,
                "feature_probability = {value} (row {row}, feature {feature}) is outside [0, 1]"
            ),
            SparseError::TooManyPairs { pairs, n_features } => write!(
                f,
                "correlated_pairs = {} and anticorrelated_pairs = {} need {} features, more \
                 than n_features = {n_features}",
                pairs.correlated,
                pairs.anticorrelated,
                pairs.n_paired()
            ),
            SparseError::PairMismatch { row, feature } => write!(
                f,
                "feature_probability differs between features {feature} and {} (row {row}), \
                 which form a pair; give a pair's two features the same probability",
                feature + 1
            ),
            SparseError::AnticorrelatedAboveHalf {
                row,
                feature,
                value,
            } => write!(
                f,
                "feature_probability = {value} (row {row}, feature {feature}) is above 0.5 for \
                 an anticorrelated pair, whose features are never both on; use at most 0.5"
            ),
        }
    }
}

impl std::error::Error for SparseError {}

impl SparseSpec {
    /// Checks and builds the spec; `probability` has one row per instance (or one row).
    pub fn new(
        n_features: usize,
        probability: Vec<Vec<f64>>,
        pairs: Pairs,
    ) -> Result<SparseSpec, SparseError> {
        if n_features == 0 || n_features > MAX_FEATURES {
            return Err(SparseError::NFeatures(n_features));
        }
        if probability.is_empty() {
            return Err(SparseError::NoRows);
        }
        if pairs.n_paired() > n_features {
            return Err(SparseError::TooManyPairs { pairs, n_features });
        }
        for (row, values) in probability.iter().enumerate() {
            if values.len() != n_features {
                return Err(SparseError::RowLength {
                    row,
                    len: values.len(),
                    n_features,
                });
            }
            for (feature, &value) in values.iter().enumerate() {
                if !(0.0..=1.0).contains(&value) {
                    return Err(SparseError::Probability {
                        row,
                        feature,
                        value,
                    });
                }
            }
            for feature in (0..pairs.n_paired()).step_by(2) {
                if values[feature] != values[feature + 1] {
                    return Err(SparseError::PairMismatch { row, feature });
                }
                if feature >= 2 * pairs.correlated && values[feature] > 0.5 {
                    return Err(SparseError::AnticorrelatedAboveHalf {
                        row,
                        feature,
                        value: values[feature],
                    });
                }
            }
        }
        Ok(SparseSpec {
            n_features,
            probability,
            pairs,
        })
    }

    /// Number of features.
    pub fn n_features(&self) -> usize {
        self.n_features
    }

    /// The paired features.
    pub fn pairs(&self) -> Pairs {
        self.pairs
    }

    /// Number of probability rows.
    pub fn n_rows(&self) -> usize {
        self.probability.len()
    }

    /// The probabilities instance `instance` draws with (row `instance mod n_rows`).
    pub fn probability(&self, instance: u32) -> &[f64] {
        &self.probability[instance as usize % self.probability.len()]
    }

    /// Runs of equal probability among the independent features of one row: what the
    /// geometric-gap sampler walks.
    pub(crate) fn runs(&self, instance: u32) -> Vec<Run> {
        let p = self.probability(instance);
        // (first feature, count, probability) of each run, then the runs with their bounds.
        let mut spans: Vec<(u32, u32, f64)> = Vec::new();
        let first = self.pairs.n_paired();
        for (feature, &prob) in p.iter().enumerate().skip(first) {
            match spans.last_mut() {
                Some((_, count, p)) if *p == prob => *count += 1,
                _ => spans.push((feature as u32, 1, prob)),
            }
        }
        spans
            .into_iter()
            .map(|(first, count, prob)| Run::new(first, count, prob))
            .collect()
    }
}

/// Consecutive independent features `first .. first + count` that share one probability.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Run {
    pub(crate) first: u32,
    pub(crate) count: u32,
    pub(crate) prob: f64,
    /// ln(1 - prob), the scale of the geometric gaps.
    pub(crate) ln_miss: f64,
    /// A uniform `u` below this surely gives a first gap past the run's end (no feature of
    /// the run is on), so that common case needs no logarithm. See [`Run::surely_empty`].
    empty_below: f64,
}

impl Run {
    pub(crate) fn new(first: u32, count: u32, prob: f64) -> Run {
        let ln_miss = (-prob).ln_1p();
        Run {
            first,
            count,
            prob,
            ln_miss,
            // The gap `trunc(ln u / ln_miss)` reaches `count` iff u <= (1 − p)^count exactly;
            // the margin of 1e-9 dwarfs the rounding of ln and of the division (~1e-16
            // relative) wherever the bound does not underflow, so below it the computed gap
            // reaches `count` too, and the draws stay those of the logarithm.
            empty_below: (f64::from(count) * ln_miss).exp() * (1.0 - 1e-9),
        }
    }

    /// Whether the first gap drawn from `u` passes the run's end (decided without a logarithm
    /// when `u` is clearly below the bound; otherwise as the sampler always did).
    #[inline]
    pub(crate) fn surely_empty(&self, u: f64) -> bool {
        u < self.empty_below
    }
}

#[cfg(test)]
mod run_tests {
    use super::Run;

    /// The shortcut agrees with the logarithm it skips, on uniforms right at the bound.
    #[test]
    fn surely_empty_runs_are_empty_by_the_logarithm_too() {
        for (count, prob) in [
            (1, 0.5),
            (2, 0.25),
            (64, 0.015625),
            (200, 0.001),
            (4096, 1e-6),
        ] {
            let run = Run::new(0, count, prob);
            let bound = (f64::from(count) * run.ln_miss).exp();
            let mut checked = 0;
            for k in -3000..3000 {
                let u = bound * (1.0 + f64::from(k) * 1e-12);
                if !(u > 0.0 && u <= 1.0) {
                    continue;
                }
                let gap = (u.ln() / run.ln_miss) as u64;
                if run.surely_empty(u) {
                    assert!(gap >= u64::from(count), "{count} at p {prob}: u = {u}");
                    checked += 1;
                }
            }
            assert!(
                checked >= 1900,
                "the shortcut was taken right below the bound: {checked}"
            );
        }
    }
}
