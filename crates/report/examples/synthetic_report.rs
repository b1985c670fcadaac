//! Writes a made-up full-size run folder (depths 1..6 × n_hidden 2..10, 5 instances, tree and
//! independent features) and builds its report, to look at the charts without training:
//!
//! ```text
//! cargo run -p report --example synthetic_report -- /tmp/synthetic-run
//! ```

#[path = "../tests/support/synthetic.rs"]
mod synthetic;

use anyhow::Result;

fn main() -> Result<()> {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "synthetic-run".to_owned());
    let dir = std::path::PathBuf::from(dir);
    std::fs::create_dir_all(&dir)?;
    synthetic::Synthetic {
        depths: 1..=6,
        hiddens: 2..=10,
        instances: 5,
        structures: vec![("tree", 0.5), ("independent", 0.5)],
        sparse: Vec::new(),
        curves: true,
    }
    .write(&dir);
    let opts = report::ReportOptions {
        title: "Synthetic run (made-up losses)".to_owned(),
        config_toml: Some(
            "# synthetic: no training happened\ndepths = [1, 2, 3, 4, 5, 6]\nn_hidden = [2, 3, 4, 5, 6, 7, 8, 9, 10]\ninstances = 5\nthreshold = 1e-5\n"
                .to_owned(),
        ),
        notes: vec!["Backend: none (synthetic data)".to_owned()],
        ..report::ReportOptions::default()
    };
    let start = std::time::Instant::now();
    let files = report::build(&dir, &opts)?;
    println!(
        "wrote {} files in {:.2} s; open {}",
        files.files.len(),
        start.elapsed().as_secs_f64(),
        files.index.display()
    );
    Ok(())
}
