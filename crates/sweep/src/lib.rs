//! Sweeps: experiment files, the grid of configs, fused training groups, and resumable,
//! shardable run folders.
//!
//! An experiment file ([`SweepConfig`], TOML) names the grid axes (depths, hidden widths,
//! branching, structure, sparse data sets, magnitude, importance, seeds), the training settings
//! and the report threshold. Every key is optional; [`SweepConfig::default`] is the seed
//! notebook's sweep. Bad input is refused with one [`ConfigError`] line naming the field, the
//! value and what is allowed.
//!
//! # Experiment files
//!
//! ```toml
//! name = "tms"                       # the run folder is runs/<name>
//! [grid]
//! depths = [1, 2, 3]                 # tree depths; default 1..=6 unless `features` is given
//! branching = [2]                    # tree branching factors
//! structure = [{ kind = "tree", stop_prob = 0.5 }, { kind = "independent" }]
//! n_hidden = [2, 3]
//! magnitude = ["binary", "uniform"]
//! seeds = [0]
//! skip_wider_than_features = true    # skip configs with n_hidden > n_features
//! features = [                       # TMS-style sparse data sets (ARENA's semantics)
//!   { n_features = 5, feature_probability = 0.01 },                          # one for all
//!   { n_features = 3, feature_probability = [0.1, 0.2, 0.3] },               # per feature
//!   { n_features = 20, feature_probability = { per_instance = [1.0, 0.1] } }, # per instance
//!   { n_features = 20, feature_probability = { log_space = [1.0, 0.02] } },   # 50^-linspace
//!   { n_features = 6, feature_probability = 0.05, correlated_pairs = 1, anticorrelated_pairs = 1 },
//! ]
//! importance = [1.0, { decay = 0.9 }]  # also [1.0, 0.5, 0.25] or { level_decay = 0.5 } (below)
//! [train]
//! instances = 2
//! steps = 10000
//! batch = 1024
//! lr = 1e-3
//! schedule = "constant"              # or linear, cosine
//! eval_batch = 500
//! log_every = 100
//! [analysis]
//! threshold = 1e-5
//! aggregate = "mean"                 # or min, median, sum (sum: the seed notebook's own rule)
//! ```
//!
//! Tree configs are `depths × branching × structure`; they exist when `features` is absent
//! or `depths` is given explicitly (a file with only `features` has only sparse configs, and
//! its resolved config says `depths = []`). Each `features` entry is one sparse data set
//! ([`SparseFeatures`]): features `0..2c` are `correlated_pairs` (both on or both off), the
//! next `2a` are `anticorrelated_pairs` (never both on), the rest independent.
//! `feature_probability` is a number (every feature and instance), a list (one per feature),
//! `{ per_instance = [...] }` (one per instance, `train.instances` of them) or
//! `{ log_space = [from, to] }`: instance `k` of `n` gets `from · (to/from)^(k/(n−1))`, so
//! `[1.0, 0.02]` is ARENA's `p = 50^−linspace(0, 1, n)` ([`FeatureProbability`]).
//!
//! `importance` is an axis like `n_hidden` (default `[1.0]`); each value is a number (every
//! feature), a list (one per feature: every data set must have that many), `{ decay = r }`
//! (feature `i` gets `r^i`) or `{ level_decay = r }` (a tree node at level `l` gets
//! `r^(l−1)`; tree data only) ([`Importance`]). Configs that differ only in importance train
//! in one group from the same random streams (same init, same batches).
//!
//! Config ids name every axis: `d3-h4-b2-tree0.5-binary-s0` for trees,
//! `f5-p0.01-h2-uniform-s0` for sparse data (`plist-<hash>`, `pinst-<hash>` or
//! `plog1-0.02` for the other probability forms, `-c1-a1` for pairs), with `-imp0.7`,
//! `-imp0.9i`, `-imp0.5lvl` or `-implist-<hash>` appended for an importance other than 1.
//! Sparse configs have depth and branching 0 and structure `sparse` in `runs.csv`, whose
//! `feature_probability` column is each instance's mean feature probability and whose
//! `importance` column is `1`, `0.7`, `0.9^i`, `0.5^(level-1)` or `list-<hash>`.
//!
//! The grid expands into configs ([`Cell`]s) in a fixed order, and configs that share a data
//! distribution are fused into one [`Group`]: one batched training job whose instances keep
//! their own width, importance, init and random stream, so each config trains exactly as it
//! would alone.
//!
//! [`run`] trains the groups through a [`train::Engine`] and writes a run folder; [`merge`]
//! joins the folders of shards run on separate machines.
//!
//! This crate must not know about backends or devices: it receives a `&dyn train::Engine` and
//! never names burn. It does not draw progress bars ([`Observer`] is for the binary's UI), and
//! it does not compute summaries, thresholds or plots: the `report` crate owns the CSV schema
//! and builds `summary.csv`, `min_hidden.csv`, the plots and `index.html` from the CSVs.
//!
//! # Run folder
//!
//! | path | contents |
//! | --- | --- |
//! | `config.toml` | the resolved config (every default filled in) and a `[run]` table: tmh version, git commit, engine, config hash |
//! | `weights/<config_id>.safetensors` | `W` f32 `[instances, n_hidden, n_features]` (unpadded) and `b_final` f32 `[instances, n_features]`; `__metadata__`: every config field as a string, the config id and the resolved config TOML |
//! | `groups/<group_id>.json` | the finished group's `runs.csv` and `curves.csv` rows; written last, so its presence means the group is done |
//! | `runs.csv`, `curves.csv` | rewritten from all group records, in grid order, after each group |
//! | `summary.csv`, `min_hidden.csv`, `plots/`, `index.html` | written by `report::build` once every group of the run is done |
//!
//! Every file is written atomically (a temporary file, then a rename). Running again over the
//! same folder resumes: groups with a record are skipped, so a killed run loses only the groups
//! that were in flight. A folder holding another config (or engine) is refused, showing the
//! differing keys ([`diff`]).
//!
//! # Shards: `--shard K/N`
//!
//! `--shard K/N` (1-based, `1 <= K <= N`) runs only the K-th of N disjoint shares of the
//! sweep's groups, so N machines can each run one. The split is deterministic and depends only
//! on the config: groups, in decreasing cost `instances · n_hidden · n_features · steps` (ties
//! by group id), each go to the least loaded of N bins (ties to the lowest bin)
//! ([`shard_groups`]). Every group lands in exactly one shard; a shard may be empty when N
//! exceeds the number of groups. Run each shard into its own folder (each gets its own
//! `runs.csv` and report of its groups), then [`merge`] the folders: it checks that they hold
//! the same config, copies records and weights, fails naming any group missing from every
//! shard, and builds the full report.

#![warn(missing_docs)]

mod compare;
mod config;
mod estimate;
mod features;
mod grid;
mod plan;
mod record;
mod run;
mod shard;
mod weights;

pub use compare::{CellComparison, Comparison, compare};
pub use config::{
    AnalysisConfig, ConfigError, GridConfig, MAX_SWEEP_FEATURES, RunInfo, StructureSpec,
    SweepConfig, TrainSettings, diff, magnitude_name, structure_name,
};
pub use estimate::{Estimate, estimate, extrapolate, probe_steps, seconds_to_train};
pub use features::{FeatureProbability, Importance, SparseFeatures};
pub use grid::{
    Cell, CellResult, DataSource, Group, GroupInfo, sparse_stream_config_hash, stream_config_hash,
};
pub use plan::{FolderState, GroupPlan, Plan, plan};
pub use report::{Aggregate, Criterion};
pub use run::{
    AnalysisChange, CONFIG_FILE, GROUPS_DIR, NoopObserver, Observer, RunOptions, RunSummary,
    WEIGHTS_DIR, default_out, earlier_default_out, merge, rebuild_report, record_path, run,
    weights_path,
};
pub use shard::{assign_shards, check_shard, parse_shard, shard_groups};
pub use weights::{Weights, read_weights};
