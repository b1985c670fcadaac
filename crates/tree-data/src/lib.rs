//! Sampling of sparse feature vectors whose features are the nodes of a tree.
//!
//! A [`TreeSpec`] fixes the tree's shape and how deep a sample's path goes; a
//! [`DataSpec`] adds whether features follow the tree ([`Structure::Tree`]) or
//! are independent with the same marginals ([`Structure::Independent`]), and
//! what magnitude an active feature has. [`DataSpec::sample`] turns a list of
//! [`StreamKey`]s into one [`SparseBatch`] with one instance per key, from a
//! counter-based [`Rng`] so that every instance's rows are a pure function of
//! its key, the purpose and the step.
//!
//! ```
//! use tree_data::{DataSpec, Magnitude, Purpose, StreamKey, Structure, TreeSpec};
//!
//! let spec = DataSpec::tree(TreeSpec::new(3, 2, 0.5)?, Structure::Tree, Magnitude::Uniform);
//! let keys: Vec<StreamKey> = (0..4)
//!     .map(|instance| StreamKey { seed: 0, config: 42, instance })
//!     .collect();
//! let batch = spec.sample(&keys, Purpose::Train, 0, 32);
//! let (features, values) = batch.row(1, 0); // instance 1, sample 0: a top-down path
//! assert!(features.len() <= 3 && features.len() == values.len());
//! let dense = batch.to_dense(); // [batch, instances, features]
//! assert_eq!(dense.len(), 32 * 4 * spec.n_features());
//! # Ok::<(), tree_data::SpecError>(())
//! ```
//!
//! This crate is only about data. It must not know about models, tensors or
//! backends (burn), training loops, sweeps or reports: those crates depend on
//! it, never the other way round.

#![warn(missing_docs)]

mod batch;
mod hash;
mod lanes;
mod rng;
mod sample;
mod sparse;
mod spec;
mod support;

pub use batch::SparseBatch;
pub use hash::{StableHasher, config_hash, hash_str};
pub use lanes::LANES;
pub use rng::{Purpose, Rng, StreamKey};
pub use sample::{DataSpec, Features, Magnitude, Structure};
pub use sparse::{Pairs, SparseError, SparseSpec};
pub use spec::{MAX_FEATURES, SpecError, TreeSpec};
pub use support::{MAX_INDEPENDENT_EXACT, Support};
