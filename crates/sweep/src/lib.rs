//! Sweeps: experiment files, the grid of configs, fused training groups, and resumable,
//! shardable run folders.
//!
//! An experiment file ([`SweepConfig`], TOML) names the grid axes (depths, hidden widths,
//! branching, structure, magnitude, seeds), the training settings and the report threshold.
//! Every key is optional; [`SweepConfig::default`] is the seed notebook's sweep. Bad input is
//! refused with one [`ConfigError`] line naming the field, the value and what is allowed.
//!
//! The grid expands into configs ([`Cell`]s) in a fixed order, and configs that share a data
//! distribution are fused into one [`Group`]: one batched training job whose instances keep
//! their own width, init and random stream, so each config trains exactly as it would alone.
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
mod grid;
mod record;
mod run;
mod shard;
mod weights;

pub use compare::{CellComparison, Comparison, compare};
pub use config::{
    AnalysisConfig, ConfigError, GridConfig, MAX_SWEEP_FEATURES, RunInfo, StructureSpec,
    SweepConfig, TrainSettings, diff, magnitude_name, structure_name,
};
pub use grid::{Cell, CellResult, Group, GroupInfo, stream_config_hash};
pub use report::Aggregate;
pub use run::{
    CONFIG_FILE, GROUPS_DIR, NoopObserver, Observer, RunOptions, RunSummary, WEIGHTS_DIR,
    default_out, merge, rebuild_report, record_path, run, weights_path,
};
pub use shard::{assign_shards, check_shard, parse_shard, shard_groups};
pub use weights::{Weights, read_weights};
