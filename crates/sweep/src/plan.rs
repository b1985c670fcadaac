//! What a sweep would do, without doing it (`tmh sweep --dry-run`): its groups and configs,
//! which of them the run folder already records, and whether the folder would take the config
//! at all. Reads the folder; writes nothing.

use std::fmt;
use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::config::{RunInfo, SweepConfig, analysis_diff, diff, is_analysis_change};
use crate::grid::Group;
use crate::record::GroupRecord;
use crate::run::{CONFIG_FILE, folder_record_hashes, record_path, training_diff};
use crate::shard::shard_groups;

/// The plan of a sweep into a run folder.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// The run folder.
    pub out: PathBuf,
    /// What the folder holds, and what the sweep would make of it.
    pub folder: FolderState,
    /// This run's groups (its shard's, with `--shard`), in training order.
    pub groups: Vec<GroupPlan>,
    /// The shard, if any, and the sweep's group count.
    pub shard: Option<(usize, usize, usize)>,
    /// Whether the folder names an engine that was not compared with the sweep's (its
    /// backend is not available here).
    pub engine_unchecked: bool,
}

/// What the run folder holds, and what a sweep of a given config would make of it.
#[derive(Debug, Clone, PartialEq)]
pub enum FolderState {
    /// No `config.toml` yet: a new run folder.
    New,
    /// This config (its training part); `analysis` lists how the analysis would change.
    Same {
        /// `key: old → new` per changed `[analysis]` key.
        analysis: Vec<String>,
    },
    /// This config under another name: nothing more trains, the folder takes the new name.
    Renamed {
        /// `key: old → new` per changed key (the name, maybe the analysis).
        changes: Vec<String>,
    },
    /// A config this one extends: only the new configs would train.
    Grows {
        /// `key: old → new` per changed key.
        changes: Vec<String>,
    },
    /// Another config: the sweep would be refused.
    Refused {
        /// The keys that differ in what trains.
        diff: String,
    },
    /// The same config (or one it extends) trained by another engine: refused too.
    RefusedEngine {
        /// `engine: old → new`.
        diff: String,
    },
}

impl FolderState {
    /// Whether a sweep would train into the folder at all (it is not refused).
    pub fn trains(&self) -> bool {
        !matches!(
            self,
            FolderState::Refused { .. } | FolderState::RefusedEngine { .. }
        )
    }
}

/// A run folder as [`folder_state`] finds it.
pub(crate) struct Folder {
    /// What a sweep would make of it.
    pub state: FolderState,
    /// Its config and `[run]` facts, when it has a `config.toml`.
    pub existing: Option<(SweepConfig, Option<RunInfo>)>,
}

/// What the run folder `out` holds for a sweep of `config` trained by `engine` (not checked
/// when `None`): the one decision behind both a sweep's start and a dry run.
pub(crate) fn folder_state(
    out: &Path,
    config: &SweepConfig,
    engine: Option<&str>,
) -> Result<Folder> {
    let path = out.join(CONFIG_FILE);
    if !path.exists() {
        return Ok(Folder {
            state: FolderState::New,
            existing: None,
        });
    }
    let (existing, info) = SweepConfig::load_with_run(&path)?;
    let mut state = if existing.hash() == config.hash() {
        FolderState::Same {
            analysis: analysis_diff(&existing, config),
        }
    } else if config.extends(&existing) {
        let changes = diff(&existing, config);
        if (changes.iter()).all(|line| line.starts_with("name:") || is_analysis_change(line)) {
            FolderState::Renamed { changes }
        } else {
            FolderState::Grows { changes }
        }
    } else {
        FolderState::Refused {
            diff: training_diff(&existing, config),
        }
    };
    if let (Some(engine), Some(info)) = (engine, &info)
        && !info.engine.is_empty()
        && info.engine != engine
        && !matches!(state, FolderState::Refused { .. })
    {
        state = FolderState::RefusedEngine {
            diff: format!("engine: {} → {engine}", info.engine),
        };
    }
    Ok(Folder {
        state,
        existing: Some((existing, info)),
    })
}

/// One group of the plan.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupPlan {
    /// Group id.
    pub id: String,
    /// Features of its data.
    pub n_features: usize,
    /// Its configs' widths, in grid order.
    pub n_hidden: Vec<usize>,
    /// Its distinct seeds, ascending.
    pub seeds: Vec<u64>,
    /// How many distinct importance rules its configs have.
    pub importances: usize,
    /// Instances of all its configs together.
    pub instances: usize,
    /// Optimiser steps.
    pub steps: u64,
    /// How many of its configs the folder records (0 to all); `None` for a record that
    /// cannot be read (the sweep would stop there and name it).
    pub recorded: Option<usize>,
}

impl GroupPlan {
    /// Its distinct widths, then what repeats them: `2 3 4`, `2 3 4 × seeds 0 1 2`,
    /// `2 3 4 × 2 importances`.
    pub fn widths_text(&self) -> String {
        let words = |v: Vec<String>| v.join(" ");
        let mut text = words(
            distinct(self.n_hidden.iter())
                .iter()
                .map(|w| w.to_string())
                .collect(),
        );
        if self.seeds.len() > 1 {
            text.push_str(" × seeds ");
            text.push_str(&words(self.seeds.iter().map(u64::to_string).collect()));
        }
        if self.importances > 1 {
            text.push_str(&format!(" × {} importances", self.importances));
        }
        text
    }

    /// Configs left to train.
    pub fn to_train(&self) -> usize {
        self.n_hidden.len() - self.recorded.unwrap_or(0)
    }
}

/// The plan of `config` (shard `shard`, if given) into `out`, for a sweep trained by
/// `engine` (whether the folder was trained by another is not checked when `None`).
pub fn plan(
    config: &SweepConfig,
    out: &Path,
    shard: Option<(usize, usize)>,
    engine: Option<&str>,
) -> Result<Plan> {
    config.validate()?;
    let groups = config.groups();
    let selected: Vec<&Group> = match shard {
        Some((k, n)) => shard_groups(&groups, k, n)?,
        None => groups.iter().collect(),
    };
    let found = folder_state(out, config, engine)?;
    let folder_engine = (found.existing.as_ref()).and_then(|(_, info)| info.as_ref());
    let engine_unchecked = engine.is_none() && folder_engine.is_some_and(|i| !i.engine.is_empty());
    let folder = found.state;
    let all_groups = groups.len();
    let hashes = folder_record_hashes(out, config);
    let groups = selected
        .iter()
        .map(|group| {
            let path = record_path(out, &group.info.id);
            let recorded = if path.exists() {
                (GroupRecord::read(&path, group, &hashes).ok()).map(|r| r.configs().len())
            } else {
                Some(0)
            };
            GroupPlan {
                id: group.info.id.clone(),
                n_features: group.info.n_features,
                n_hidden: group.cells.iter().map(|c| c.n_hidden).collect(),
                seeds: distinct(group.cells.iter().map(|c| c.seed)),
                importances: distinct(group.cells.iter().map(|c| c.importance.label())).len(),
                instances: group.info.instances,
                steps: group.info.steps,
                recorded,
            }
        })
        .collect();
    Ok(Plan {
        out: out.to_path_buf(),
        folder,
        groups,
        shard: shard.map(|(k, n)| (k, n, all_groups)),
        engine_unchecked,
    })
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let out = self.out.display();
        match &self.folder {
            FolderState::New => writeln!(f, "{out}: a new run folder")?,
            FolderState::Same { analysis } if analysis.is_empty() => {
                writeln!(f, "{out}: holds this sweep; recorded groups resume")?
            }
            FolderState::Same { analysis } => writeln!(
                f,
                "{out}: holds this sweep; recorded groups resume; the analysis changes: {}",
                analysis.join("; ")
            )?,
            FolderState::Renamed { changes } => writeln!(
                f,
                "{out}: holds this sweep under another name, which it takes: {}",
                changes.join("; ")
            )?,
            FolderState::Grows { changes } => writeln!(
                f,
                "{out}: grows (only the new configs train): {}",
                changes.join("; ")
            )?,
            FolderState::Refused { diff } => writeln!(
                f,
                "{out}: holds another sweep, so this one would be refused: {diff}"
            )?,
            FolderState::RefusedEngine { diff } => writeln!(
                f,
                "{out}: was trained by another engine, so this sweep would be refused: {diff}"
            )?,
        }
        if self.engine_unchecked {
            writeln!(
                f,
                "(the folder's engine was not compared: this backend is not available here)"
            )?;
        }
        if let Some((k, n, all)) = self.shard {
            writeln!(
                f,
                "shard {k}/{n}: {} of the sweep's {all} groups",
                self.groups.len()
            )?;
        }
        writeln!(
            f,
            "{:<28} {:>10} {:>9} {:>7}  {:<16} n_hidden",
            "group", "n_features", "instances", "steps", "recorded"
        )?;
        for g in &self.groups {
            let recorded = match g.recorded {
                None => "not usable".to_owned(),
                Some(k) => format!("{k} of {} configs", g.n_hidden.len()),
            };
            writeln!(
                f,
                "{:<28} {:>10} {:>9} {:>7}  {:<16} {}",
                g.id,
                g.n_features,
                g.instances,
                g.steps,
                recorded,
                g.widths_text()
            )?;
        }
        let configs: usize = self.groups.iter().map(|g| g.n_hidden.len()).sum();
        let to_train: usize = self.groups.iter().map(GroupPlan::to_train).sum();
        let groups_to_train = self.groups.iter().filter(|g| g.to_train() > 0).count();
        write!(
            f,
            "{configs} config(s) in {} group(s); to train: {to_train} config(s) in \
             {groups_to_train} group(s)",
            self.groups.len()
        )
    }
}

/// The distinct values of `values`, ascending.
fn distinct<T: Ord>(values: impl Iterator<Item = T>) -> Vec<T> {
    let set: std::collections::BTreeSet<T> = values.collect();
    set.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_are_listed_once_with_what_repeats_them() {
        let group = |n_hidden: Vec<usize>, seeds: Vec<u64>, importances: usize| GroupPlan {
            id: "d2-b2-tree0.5-binary".into(),
            n_features: 6,
            n_hidden,
            seeds,
            importances,
            instances: 5,
            steps: 100,
            recorded: Some(0),
        };
        assert_eq!(group(vec![2, 3, 4], vec![0], 1).widths_text(), "2 3 4");
        let repeated = group(vec![2, 3, 2, 3, 2, 3], vec![0, 1, 2], 1);
        assert_eq!(repeated.widths_text(), "2 3 × seeds 0 1 2");
        assert_eq!(repeated.to_train(), 6, "every config still counts");
        let both = group(vec![3, 2, 3, 2], vec![0, 1], 2);
        assert_eq!(both.widths_text(), "2 3 × seeds 0 1 × 2 importances");
    }
}
