//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use burn::prelude::Device;
use report::RunRow;
use sweep::SweepConfig;
use train::DeviceEngine;

/// burn's reference CPU backend with autodiff.
#[allow(deprecated)] // ndarray is the design card's reference CPU backend
pub fn engine() -> DeviceEngine {
    DeviceEngine {
        name: "ndarray".to_string(),
        device: Device::ndarray().autodiff(),
        upload: train::Upload::Dense,
        gradients: train::Gradients::Autodiff,
    }
}

/// The repository's `examples/` folder.
pub fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples")
}

/// `examples/quick.toml` made quicker still: 2 groups (3 configs), 60 steps of 32 samples.
pub fn tiny() -> SweepConfig {
    let mut config = SweepConfig::load(&examples().join("quick.toml")).unwrap();
    config.train.steps = 60;
    config.train.batch = 32;
    config.train.eval_batch = 64;
    config.train.log_every = 20;
    config
}

/// `runs.csv` of a folder with the `wall_s` column blanked out.
pub fn runs_without_wall(dir: &Path) -> Vec<RunRow> {
    let mut rows = report::read_runs(dir).unwrap();
    for row in &mut rows {
        row.wall_s = 0.0;
    }
    rows
}

/// The bytes of a file.
pub fn bytes(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every config and group id of `config` is unique and safe as a file name.
pub fn assert_ids_unique_and_safe(config: &SweepConfig) {
    let cells = config.cells();
    let groups = config.groups();
    let ids: Vec<&str> = cells
        .iter()
        .map(|c| c.id.as_str())
        .chain(groups.iter().map(|g| g.info.id.as_str()))
        .collect();
    let unique: std::collections::HashSet<&str> = ids.iter().copied().collect();
    assert_eq!(unique.len(), ids.len(), "duplicate ids in {ids:?}");
    for id in ids {
        assert!(
            !id.is_empty()
                && id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')),
            "{id} is not a safe file name"
        );
    }
}
