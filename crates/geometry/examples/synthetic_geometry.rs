//! Writes a synthetic run folder (runs.csv, curves.csv and weights with plausible geometry: 42
//! configs, tree and independent features × depths 1..6 × n_hidden 2..5, 5 instances, plus
//! TMS-style sparse configs whose instances sweep the feature probability), builds its
//! geometry and the HTML report, to look at the charts without training:
//!
//! ```text
//! cargo run -p geometry --example synthetic_geometry -- /tmp/geo
//! ```

#[path = "../tests/support/synthetic.rs"]
mod synthetic;

use std::fs;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::Result;
use report::{RunRow, read_runs, write_table};
use tree_data::Purpose;

fn main() -> Result<()> {
    let dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "/tmp/geo".to_owned()),
    );
    fs::create_dir_all(&dir)?;
    synthetic::Synthetic {
        depths: 1..=6,
        hiddens: 2..=5,
        instances: 5,
        structures: vec!["tree", "independent"],
    }
    .write(&dir);
    write_sparse(&dir);

    let start = Instant::now();
    let out = geometry::build(&dir)?;
    for n in &out.notes {
        println!("note: {n}");
    }
    println!(
        "geometry: {} figures in {:.1} s",
        out.figures.len(),
        start.elapsed().as_secs_f64()
    );

    let start = Instant::now();
    let opts = report::ReportOptions {
        title: "Synthetic run with geometry (made-up losses and weights)".to_owned(),
        notes: vec!["Backend: none (synthetic data)".to_owned()],
        ..report::ReportOptions::default()
    };
    let files = report::build(&dir, &opts)?;
    println!(
        "report: {} files in {:.1} s; {} is {} bytes",
        files.files.len(),
        start.elapsed().as_secs_f64(),
        files.index.display(),
        fs::metadata(&files.index)?.len()
    );
    Ok(())
}

/// Appends TMS-style configs to the run folder: 5 features in 2 dimensions over 8 feature
/// probabilities (ARENA's `50^(−k/7)`), drifting from two orthogonal features through
/// antipodal pairs to the pentagon as features get sparser; and 6 features with a correlated
/// and an anticorrelated pair.
fn write_sparse(dir: &std::path::Path) {
    let mut runs: Vec<RunRow> = read_runs(dir).unwrap();
    let id = "f5-plog1-0.02-h2-uniform-s0";
    let ps = synthetic::arena_probabilities(8);
    let mut ws = Vec::new();
    for (k, p) in ps.iter().enumerate() {
        let k = k as u32;
        let z = synthetic::rng(id, k, Purpose::Eval).uniform_f64();
        let w = if *p > 0.3 {
            synthetic::orthogonal_2d(3)
        } else if *p > 0.08 {
            synthetic::polygon_2d(4, 1, 0.4 * z)
        } else {
            synthetic::polygon_2d(5, 0, z)
        };
        // Features not quite unit length, so the per-feature dots scatter a little.
        let shrink = 1.0 - 0.08 * (z as f32 - 0.5);
        ws.push(
            w.iter()
                .enumerate()
                .map(|(i, v)| if i % 5 == 0 { v * shrink } else { *v })
                .collect(),
        );
        runs.push(synthetic::sparse_row(id, 5, 2, k, *p, 0.1 * p * (1.0 + z)));
    }
    synthetic::write_weights(dir, id, 2, 5, &ws);

    let id = "f6-p0.05-h2-uniform-s0-pairs";
    let w = synthetic::cols_2d(&[
        (1.0, 0.0),
        (0.95, 0.3),
        (0.0, 1.0),
        (0.0, -1.0),
        (-0.7, 0.7),
        (-0.7, -0.7),
    ]);
    synthetic::write_weights(dir, id, 2, 6, &[w.clone(), w]);
    for k in 0..2 {
        let mut r = synthetic::sparse_row(id, 6, 2, k, 0.05, 0.004 * f64::from(k + 1));
        r.correlated_pairs = 1;
        r.anticorrelated_pairs = 1;
        runs.push(r);
    }
    write_table(dir, &runs).unwrap();
}
