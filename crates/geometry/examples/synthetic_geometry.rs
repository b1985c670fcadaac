//! Writes a synthetic run folder (runs.csv, curves.csv and weights with plausible geometry: 42
//! configs, tree and independent features × depths 1..6 × n_hidden 2..5, 5 instances), builds
//! its geometry, adds a TMS-style dimensions-per-feature chart from made-up points, and builds
//! the HTML report, to look at the charts without training:
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

    let start = Instant::now();
    let out = geometry::build(&dir)?;
    for n in &out.notes {
        println!("note: {n}");
    }
    // The TMS-style chart, from made-up points, added to the manifest so the report shows it.
    let mut rng = synthetic::rng("dims", 0, Purpose::Eval);
    let points: Vec<(f64, f64)> = (0..200)
        .map(|k| {
            let x = 10f64.powf(k as f64 / 60.0);
            let stick = [1.0, 0.75, 2.0 / 3.0, 0.5, 0.4, 0.375][k % 6];
            (x, stick + 0.02 * (rng.uniform_f64() - 0.5))
        })
        .collect();
    let dims = geometry::plot_dims_per_feature(&points, "synthetic")?;
    let plot_dir = dir.join("plots");
    geometry::write_figures(&plot_dir, std::slice::from_ref(&dims))?;
    let mut entries = geometry::read_manifest(&plot_dir)?;
    entries.push(dims.entry);
    geometry::write_manifest(&plot_dir, &entries)?;
    println!(
        "geometry: {} figures in {:.1} s",
        entries.len(),
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
