//! The TMS axes of a grid: sparse data sets without a tree (`grid.features`) and feature
//! importance (`grid.importance`). Their forms in experiment files, their checks, their labels
//! in ids and `runs.csv`, and what they become: a [`SparseSpec`] and an importance vector.

use toml::Value;
use tree_data::{DataSpec, Features, Pairs, SparseError, SparseSpec, StableHasher};

use crate::config::{ConfigError, MAX_SWEEP_FEATURES, check_positive, toml_float};

/// How likely each feature of a sparse data set is to be on.
#[derive(Debug, Clone, PartialEq)]
pub enum FeatureProbability {
    /// The same for every feature and instance: `feature_probability = 0.01`.
    Constant(f64),
    /// One per feature, the same for every instance: `feature_probability = [0.1, 0.2, 0.3]`.
    PerFeature(Vec<f64>),
    /// One per instance (`train.instances` of them), the same for every feature:
    /// `feature_probability = { per_instance = [1.0, 0.1] }`.
    PerInstance(Vec<f64>),
    /// Instance `k` of `n` has `from · (to / from)^(k / (n − 1))`, the same for every feature:
    /// `feature_probability = { log_space = [1.0, 0.02] }` is ARENA's `50^−linspace(0, 1, n)`.
    LogSpace {
        /// Instance 0's probability.
        from: f64,
        /// Instance `n − 1`'s probability.
        to: f64,
    },
}

const PROBABILITY_FORMS: &str = "a number, a list with one number per feature, \
     { per_instance = [p, ...] } or { log_space = [from, to] }";

const IMPORTANCE_FORMS: &str =
    "a number, a list with one number per feature, { decay = r } or { level_decay = r }";

impl FeatureProbability {
    /// The probability rows of [`SparseSpec::new`]: one row, or one per instance.
    pub fn rows(&self, n_features: usize, instances: usize) -> Vec<Vec<f64>> {
        match self {
            FeatureProbability::Constant(p) => vec![vec![*p; n_features]],
            FeatureProbability::PerFeature(p) => vec![p.clone()],
            FeatureProbability::PerInstance(_) | FeatureProbability::LogSpace { .. } => self
                .per_instance(instances)
                .unwrap_or_default()
                .into_iter()
                .map(|p| vec![p; n_features])
                .collect(),
        }
    }

    /// Each instance's probability (of every feature) for the per-instance forms, `None` for
    /// the others.
    pub fn per_instance(&self, instances: usize) -> Option<Vec<f64>> {
        match *self {
            FeatureProbability::PerInstance(ref p) => Some(p.clone()),
            FeatureProbability::LogSpace { from, to } => {
                let last = instances.saturating_sub(1).max(1) as f64;
                let ratio = to / from;
                Some(
                    (0..instances)
                        .map(|k| from * ratio.powf(k as f64 / last))
                        .collect(),
                )
            }
            _ => None,
        }
    }

    /// Label in ids: `p0.01`, `plist-<hash>`, `pinst-<hash>`, `plog1-0.02`.
    fn label(&self) -> String {
        match self {
            FeatureProbability::Constant(p) => format!("p{p}"),
            FeatureProbability::PerFeature(p) => format!("plist-{}", short_hash(p)),
            FeatureProbability::PerInstance(p) => format!("pinst-{}", short_hash(p)),
            FeatureProbability::LogSpace { from, to } => format!("plog{from}-{to}"),
        }
    }

    /// The value as TOML text.
    fn to_toml(&self) -> String {
        match self {
            FeatureProbability::Constant(p) => toml_float(*p),
            FeatureProbability::PerFeature(p) => toml_list(p),
            FeatureProbability::PerInstance(p) => format!("{{ per_instance = {} }}", toml_list(p)),
            FeatureProbability::LogSpace { from, to } => {
                format!("{{ log_space = {} }}", toml_list(&[*from, *to]))
            }
        }
    }

    fn hash_into(&self, h: &mut StableHasher) {
        let (kind, values) = match self {
            FeatureProbability::Constant(p) => ("constant", vec![*p]),
            FeatureProbability::PerFeature(p) => ("per_feature", p.clone()),
            FeatureProbability::PerInstance(p) => ("per_instance", p.clone()),
            FeatureProbability::LogSpace { from, to } => ("log_space", vec![*from, *to]),
        };
        h.write_str(kind).write_u64(values.len() as u64);
        for v in values {
            h.write_f64(v);
        }
    }

    fn from_toml(field: &str, value: &Value) -> Result<FeatureProbability, ConfigError> {
        let bad = || bad_form(field, value, PROBABILITY_FORMS);
        if let Some(p) = number(value) {
            return Ok(FeatureProbability::Constant(p));
        }
        if let Value::Array(items) = value {
            return numbers(items)
                .map(FeatureProbability::PerFeature)
                .ok_or_else(bad);
        }
        match single_key(value) {
            Some(("per_instance", Value::Array(items))) => numbers(items)
                .map(FeatureProbability::PerInstance)
                .ok_or_else(bad),
            Some(("log_space", Value::Array(items))) => match numbers(items).as_deref() {
                Some(&[from, to]) => Ok(FeatureProbability::LogSpace { from, to }),
                _ => Err(bad()),
            },
            _ => Err(bad()),
        }
    }
}

/// One TMS-style data set of `grid.features`: independent sparse features, some of them in
/// correlated or anticorrelated pairs (see [`Pairs`]).
#[derive(Debug, Clone, PartialEq)]
pub struct SparseFeatures {
    /// Number of features.
    pub n_features: usize,
    /// How likely each feature is on.
    pub feature_probability: FeatureProbability,
    /// Pairs among the leading features (`correlated_pairs`, `anticorrelated_pairs`).
    pub pairs: Pairs,
}

impl SparseFeatures {
    /// The data's spec for `instances` instances.
    pub fn spec(&self, instances: usize) -> Result<SparseSpec, SparseError> {
        SparseSpec::new(
            self.n_features,
            self.feature_probability.rows(self.n_features, instances),
            self.pairs,
        )
    }

    /// Label in ids: `f5-p0.01`, `f6-p0.05-c1-a1`.
    pub fn label(&self) -> String {
        let mut label = format!("f{}-{}", self.n_features, self.feature_probability.label());
        if self.pairs.correlated > 0 {
            label += &format!("-c{}", self.pairs.correlated);
        }
        if self.pairs.anticorrelated > 0 {
            label += &format!("-a{}", self.pairs.anticorrelated);
        }
        label
    }

    /// The data set as a TOML inline table, every key present.
    pub fn to_toml(&self) -> String {
        format!(
            "{{ n_features = {}, feature_probability = {}, correlated_pairs = {}, anticorrelated_pairs = {} }}",
            self.n_features,
            self.feature_probability.to_toml(),
            self.pairs.correlated,
            self.pairs.anticorrelated
        )
    }

    /// Feeds the whole description to `h`.
    pub(crate) fn hash_into(&self, h: &mut StableHasher) {
        h.write_str("sparse").write_u64(self.n_features as u64);
        self.feature_probability.hash_into(h);
        h.write_u64(self.pairs.correlated as u64)
            .write_u64(self.pairs.anticorrelated as u64);
    }

    /// Checks the data set `field` (`grid.features[i]`) for `instances` instances.
    pub(crate) fn check(&self, field: &str, instances: usize) -> Result<(), ConfigError> {
        let n = self.n_features;
        if n < 1 {
            return Err(ConfigError::TooSmall {
                field: format!("{field}.n_features"),
                value: 0,
                min: 1,
            });
        }
        if n > MAX_SWEEP_FEATURES {
            return Err(ConfigError::AboveLimit {
                field: format!("{field}.n_features"),
                value: n as u64,
                limit: MAX_SWEEP_FEATURES as u64,
            });
        }
        let probability = format!("{field}.feature_probability");
        match &self.feature_probability {
            FeatureProbability::PerInstance(p) if p.len() != instances => {
                return Err(ConfigError::PerInstanceLength {
                    field: format!("{probability}.per_instance"),
                    len: p.len(),
                    instances,
                });
            }
            FeatureProbability::LogSpace { from, to } => {
                for (i, &value) in [from, to].into_iter().enumerate() {
                    if !(value > 0.0 && value <= 1.0) {
                        return Err(ConfigError::OutsideRange {
                            field: format!("{probability}.log_space[{i}]"),
                            value,
                            range: "(0, 1]",
                        });
                    }
                }
            }
            _ => {}
        }
        self.spec(instances).map(|_| ()).map_err(|error| {
            let key = match error {
                SparseError::NFeatures(_) => ".n_features",
                SparseError::TooManyPairs { .. } => "",
                _ => ".feature_probability",
            };
            ConfigError::Sparse {
                field: format!("{field}{key}"),
                error,
            }
        })
    }

    pub(crate) fn from_raw(field: &str, raw: RawFeatures) -> Result<SparseFeatures, ConfigError> {
        let at_least = |key: &str, value: i64, min: i64| -> Result<usize, ConfigError> {
            crate::config::at_least(&format!("{field}.{key}"), value, min)
        };
        Ok(SparseFeatures {
            n_features: at_least("n_features", raw.n_features, 1)?,
            feature_probability: FeatureProbability::from_toml(
                &format!("{field}.feature_probability"),
                &raw.feature_probability,
            )?,
            pairs: Pairs {
                correlated: at_least("correlated_pairs", raw.correlated_pairs.unwrap_or(0), 0)?,
                anticorrelated: at_least(
                    "anticorrelated_pairs",
                    raw.anticorrelated_pairs.unwrap_or(0),
                    0,
                )?,
            },
        })
    }
}

/// A data set of `grid.features` as written (numbers signed so that ours are the errors).
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawFeatures {
    n_features: i64,
    feature_probability: Value,
    correlated_pairs: Option<i64>,
    anticorrelated_pairs: Option<i64>,
}

/// How much each feature's reconstruction error weighs in the loss.
#[derive(Debug, Clone, PartialEq)]
pub enum Importance {
    /// Every feature the same: `importance = [1.0]` (the default) or `0.7`.
    Constant(f64),
    /// One per feature: `[1.0, 0.5, 0.25]`.
    List(Vec<f64>),
    /// Feature `i` (0-based) gets `r^i`: `{ decay = 0.9 }`, ARENA's `0.9 ** arange(n)`.
    Decay(f64),
    /// A tree feature at level `l` gets `r^(l − 1)`: `{ level_decay = 0.5 }` (tree data only).
    LevelDecay(f64),
}

impl Default for Importance {
    fn default() -> Self {
        Importance::Constant(1.0)
    }
}

impl Importance {
    /// The importance of each feature of `data`. Panics for [`Importance::LevelDecay`] on
    /// sparse data and for a list of another length (validation refuses both).
    pub fn vector(&self, data: &DataSpec) -> Vec<f32> {
        let n = data.n_features();
        let values: Vec<f64> = match self {
            Importance::Constant(c) => vec![*c; n],
            Importance::List(values) => {
                assert_eq!(values.len(), n, "one importance per feature");
                values.clone()
            }
            Importance::Decay(r) => (0..n).map(|i| r.powi(i as i32)).collect(),
            Importance::LevelDecay(r) => match &data.features {
                Features::Tree { tree, .. } => {
                    (0..n).map(|f| r.powi(tree.level(f) as i32 - 1)).collect()
                }
                Features::Sparse(_) => panic!("level_decay needs tree data"),
            },
        };
        values.into_iter().map(|v| v as f32).collect()
    }

    /// The rule as a `runs.csv` label: `1`, `0.7`, `0.9^i`, `0.5^(level-1)`, `list-<hash>` (the
    /// hash tells two lists apart, so the report never merges their series).
    pub fn label(&self) -> String {
        match self {
            Importance::Constant(c) => format!("{c}"),
            Importance::List(values) => format!("list-{}", short_hash(values)),
            Importance::Decay(r) => format!("{r}^i"),
            Importance::LevelDecay(r) => format!("{r}^(level-1)"),
        }
    }

    /// What a config id gets appended: nothing for the default, else `-imp0.7`, `-imp0.9i`,
    /// `-imp0.5lvl` or `-implist-<hash>`.
    pub fn id_suffix(&self) -> String {
        match self {
            _ if *self == Importance::default() => String::new(),
            Importance::Constant(c) => format!("-imp{c}"),
            Importance::List(values) => format!("-implist-{}", short_hash(values)),
            Importance::Decay(r) => format!("-imp{r}i"),
            Importance::LevelDecay(r) => format!("-imp{r}lvl"),
        }
    }

    /// The value as TOML text.
    pub fn to_toml(&self) -> String {
        match self {
            Importance::Constant(c) => toml_float(*c),
            Importance::List(values) => toml_list(values),
            Importance::Decay(r) => format!("{{ decay = {} }}", toml_float(*r)),
            Importance::LevelDecay(r) => format!("{{ level_decay = {} }}", toml_float(*r)),
        }
    }

    /// Checks the value on its own (`field` is `grid.importance[i]`); what it needs of the
    /// data is checked against each data set by [`SweepConfig::validate`](crate::SweepConfig::validate).
    pub(crate) fn check(&self, field: &str) -> Result<(), ConfigError> {
        let (values, is_list) = match self {
            Importance::Decay(r) => return check_positive(&format!("{field}.decay"), *r),
            Importance::LevelDecay(r) => {
                return check_positive(&format!("{field}.level_decay"), *r);
            }
            Importance::Constant(c) => (std::slice::from_ref(c), false),
            Importance::List(values) => (values.as_slice(), true),
        };
        let bad = |field: String, value: String, why| {
            Err(ConfigError::BadImportance { field, value, why })
        };
        if values.is_empty() {
            return bad(
                field.into(),
                "[]".into(),
                "is empty; give one value per feature",
            );
        }
        for (i, &v) in values.iter().enumerate() {
            // Finite as f32 too: the job's importance is f32.
            if !((v as f32).is_finite() && v >= 0.0) {
                let at = if is_list {
                    format!("{field}[{i}]")
                } else {
                    field.into()
                };
                return bad(at, toml_float(v), "must be a finite number >= 0");
            }
        }
        if values.iter().all(|&v| v == 0.0) {
            return bad(
                field.into(),
                self.to_toml(),
                "is zero for every feature; give some feature a positive importance",
            );
        }
        Ok(())
    }

    pub(crate) fn from_toml(field: &str, value: &Value) -> Result<Importance, ConfigError> {
        let bad = || bad_form(field, value, IMPORTANCE_FORMS);
        if let Some(c) = number(value) {
            return Ok(Importance::Constant(c));
        }
        if let Value::Array(items) = value {
            return numbers(items).map(Importance::List).ok_or_else(bad);
        }
        match single_key(value) {
            Some(("decay", v)) => number(v).map(Importance::Decay).ok_or_else(bad),
            Some(("level_decay", v)) => number(v).map(Importance::LevelDecay).ok_or_else(bad),
            _ => Err(bad()),
        }
    }
}

fn bad_form(field: &str, value: &Value, allowed: &'static str) -> ConfigError {
    ConfigError::BadForm {
        field: field.to_string(),
        value: value.to_string(),
        allowed,
    }
}

/// An integer or float as f64.
fn number(value: &Value) -> Option<f64> {
    match value {
        Value::Integer(i) => Some(*i as f64),
        Value::Float(f) => Some(*f),
        _ => None,
    }
}

fn numbers(items: &[Value]) -> Option<Vec<f64>> {
    items.iter().map(number).collect()
}

/// The only key of an inline table and its value.
fn single_key(value: &Value) -> Option<(&str, &Value)> {
    match value {
        Value::Table(table) if table.len() == 1 => {
            table.iter().next().map(|(k, v)| (k.as_str(), v))
        }
        _ => None,
    }
}

fn toml_list(values: &[f64]) -> String {
    let items: Vec<String> = values.iter().map(|&v| toml_float(v)).collect();
    format!("[{}]", items.join(", "))
}

/// 8 hex digits of the values' stable hash: a short, file-name safe tag for a list in ids.
fn short_hash(values: &[f64]) -> String {
    let mut h = StableHasher::new();
    h.write_u64(values.len() as u64);
    for &v in values {
        h.write_f64(v);
    }
    format!("{:08x}", h.finish() >> 32)
}
