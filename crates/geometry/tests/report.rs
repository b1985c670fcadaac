//! geometry::build, then report::build, on a synthetic 42-config run folder: the report's
//! Geometry section shows every listed figure, links only files that exist, and stays small.

mod support;

use std::collections::BTreeSet;
use std::fs;

use report::{ReportOptions, Table};
use support::synthetic::Synthetic;

#[test]
fn report_shows_the_geometry_figures_of_a_42_config_sweep() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let runs = Synthetic {
        depths: 1..=6,
        hiddens: 2..=5,
        instances: 5,
        structures: vec!["tree", "independent"],
    }
    .write(dir);
    let configs: BTreeSet<&str> = runs.iter().map(|r| r.config_id.as_str()).collect();
    assert_eq!(configs.len(), 42);

    let geo = geometry::build(dir).unwrap();
    assert!(geo.notes.is_empty(), "{:?}", geo.notes);
    let kinds: BTreeSet<&str> = geo.figures.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds,
        BTreeSet::from(["cosines", "features2d", "gram", "norms"])
    );
    let files = report::build(dir, &ReportOptions::default()).unwrap();
    let html = fs::read_to_string(&files.index).unwrap();

    // The section, in the navigation, with the explanation, its groups and every figure.
    assert!(html.contains("<h2 id=\"geometry\">"));
    assert!(html.contains("href=\"#geometry\""));
    for term in [
        "Cosine",
        "Siblings",
        "Ancestor–descendant",
        "Unrelated",
        "Dimensions per feature",
    ] {
        let strong = format!("<strong>{term}</strong>");
        assert!(html.contains(&strong), "{term} is not explained");
    }
    // Figures grouped by series within a kind, both series present.
    assert_eq!(html.matches("<h4>").count(), 4 * 2);
    for kind in &kinds {
        assert!(html.contains(&format!("id=\"geometry-{kind}\"")), "{kind}");
    }
    let refs = report::links(&html);
    for e in &geo.figures {
        assert!(html.contains(&format!("<figure id=\"plot-{}\">", e.stem)));
        assert!(refs.contains(&format!("plots/{}.svg", e.stem)));
        assert!(refs.contains(&format!("plots/{}.png", e.stem)));
        // Titles and captions appear escaped.
        let title = e.title.replace('&', "&amp;").replace('<', "&lt;");
        assert!(html.contains(&title), "{}", e.title);
    }
    for table in [
        geometry::GeometryRow::FILE_NAME,
        geometry::FeatureRow::FILE_NAME,
        geometry::InstanceRow::FILE_NAME,
    ] {
        assert!(refs.contains(&table.to_owned()), "{table} not linked");
    }

    // Every reference is an existing local file, an anchor on the page or an embedded PNG.
    assert_eq!(report::broken_links(dir).unwrap(), Vec::<String>::new());
    let embedded: Vec<&String> = refs.iter().filter(|r| r.starts_with("data:")).collect();
    for r in &embedded {
        assert!(r.starts_with("data:image/png;base64,iVBORw0KGgo"));
    }

    // Large SVGs (the depth-5 and depth-6 Gram matrices at least) go in as PNG, the rest inline.
    let big = geo
        .figures
        .iter()
        .filter(|e| {
            let svg = dir.join("plots").join(format!("{}.svg", e.stem));
            fs::metadata(svg).unwrap().len() > 256 * 1024
        })
        .count();
    assert!(big >= 4, "only {big} large SVGs");
    // The report's figures for a paper (`figures/`) go in as PNG too.
    let in_plots = |f: &&std::path::PathBuf| f.parent() == Some(&dir.join("plots"));
    let svgs = |f: &&std::path::PathBuf| f.extension().is_some_and(|e| e == "svg");
    let paper = files
        .files
        .iter()
        .filter(svgs)
        .filter(|f| !in_plots(f))
        .count();
    assert_eq!(
        paper,
        1 + 2 * 2,
        "the answer, and a loss figure and heatmap per series"
    );
    assert_eq!(embedded.len(), big + paper);
    let report_charts = files.files.iter().filter(svgs).filter(in_plots).count();
    assert_eq!(
        html.matches("<svg").count(),
        report_charts + geo.figures.len() - big
    );

    // Reasonably small for a page with 42 configs' figures.
    let size = fs::metadata(&files.index).unwrap().len();
    assert!(size < 5_000_000, "index.html is {size} bytes");
}
