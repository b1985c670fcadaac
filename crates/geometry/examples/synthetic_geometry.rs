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
    synthetic::write_sparse(&dir);

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
