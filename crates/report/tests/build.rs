//! `build` on a synthetic run folder: every file exists, parses and is referenced correctly.

mod support;

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

use report::{
    ManifestEntry, MinHiddenRow, PLOT_HEIGHT, PLOT_WIDTH, ReportOptions, RunRow, SummaryRow, Table,
    broken_links, build, links, read_runs, write_table,
};
use support::synthetic::Synthetic;

/// 2 structures × depths 1..3 × n_hidden 2..4 (configs with n_hidden > n_features skipped).
fn small(curves: bool) -> Synthetic {
    Synthetic {
        depths: 1..=3,
        hiddens: 2..=4,
        instances: 3,
        structures: vec![("tree", 0.5), ("independent", 0.5)],
        curves,
    }
}

const SLUGS: [&str; 2] = [
    "tree-s0.5_b2_binary_seed0",
    "independent-s0.5_b2_binary_seed0",
];

fn expected_stems(curves: bool) -> BTreeSet<String> {
    let mut stems: BTreeSet<String> = [
        "min_hidden_min",
        "min_hidden_mean",
        "compare_b2_binary_seed0",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for slug in SLUGS {
        stems.insert(format!("heatmap_{slug}"));
        stems.insert(format!("loss_vs_hidden_{slug}"));
        if curves {
            stems.insert(format!("curves_{slug}"));
        }
    }
    stems
}

fn options() -> ReportOptions {
    ReportOptions {
        title: "Synthetic <test> run".to_owned(),
        config_toml: Some("depths = [1, 2, 3]\nname = \"a & b\"\n".to_owned()),
        notes: vec!["backend: none".to_owned()],
        ..ReportOptions::default()
    }
}

fn csv_lines(path: &Path) -> Vec<String> {
    fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn build_writes_every_file_and_they_all_parse() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let runs = small(true).write(dir);
    let files = build(dir, &options()).unwrap();

    // Every reported file exists; the plots folder holds exactly the expected charts.
    for f in &files.files {
        assert!(f.is_file(), "{} missing", f.display());
    }
    assert_eq!(files.index, dir.join("index.html"));
    let stems = expected_stems(true);
    let mut want: BTreeSet<String> = BTreeSet::new();
    for s in &stems {
        want.insert(format!("{s}.svg"));
        want.insert(format!("{s}.png"));
    }
    let got: BTreeSet<String> = fs::read_dir(dir.join("plots"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(got, want);
    assert_eq!(files.files.len(), 2 + want.len() + 1);

    // No temporary file left anywhere.
    for folder in [dir.to_path_buf(), dir.join("plots")] {
        for e in fs::read_dir(folder).unwrap() {
            let name = e.unwrap().file_name().into_string().unwrap();
            assert!(!name.contains(".tmp-"), "{name}");
        }
    }

    // summary.csv: header and one row per config.
    let configs: BTreeSet<&str> = runs.iter().map(|r| r.config_id.as_str()).collect();
    let summary = csv_lines(&dir.join("summary.csv"));
    assert_eq!(summary[0], SummaryRow::COLUMNS.join(","));
    assert_eq!(summary.len() - 1, configs.len());
    // Depth 1 has 2 features, so only n_hidden 2; depths 2, 3 have 2..4: 7 per structure.
    assert_eq!(configs.len(), 2 * 7);

    // min_hidden.csv: header and a row per (series, depth, aggregate).
    let min_hidden = csv_lines(&dir.join("min_hidden.csv"));
    assert_eq!(min_hidden[0], MinHiddenRow::COLUMNS.join(","));
    assert_eq!(min_hidden.len() - 1, 2 * 3 * 3);

    // Every SVG is well-formed XML with the chart size; every PNG decodes at that size.
    for stem in &stems {
        let svg = fs::read_to_string(dir.join("plots").join(format!("{stem}.svg"))).unwrap();
        let doc = roxmltree::Document::parse(&svg).unwrap_or_else(|e| panic!("{stem}.svg: {e}"));
        let root = doc.root_element();
        assert_eq!(root.tag_name().name(), "svg");
        assert_eq!(
            root.attribute("width"),
            Some(PLOT_WIDTH.to_string().as_str())
        );
        assert_eq!(
            root.attribute("height"),
            Some(PLOT_HEIGHT.to_string().as_str())
        );
        assert!(
            doc.descendants().any(|n| n.has_tag_name("text")),
            "{stem}: no text"
        );

        let file = fs::File::open(dir.join("plots").join(format!("{stem}.png"))).unwrap();
        let mut reader = png::Decoder::new(std::io::BufReader::new(file))
            .read_info()
            .unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let frame = reader.next_frame(&mut buf).unwrap();
        assert_eq!(
            (frame.width, frame.height),
            (PLOT_WIDTH, PLOT_HEIGHT),
            "{stem}.png"
        );
        // Not blank: text and lines put dark pixels on the white canvas.
        let dark = buf[..frame.buffer_size()]
            .chunks(frame.line_size / frame.width as usize)
            .filter(|px| px[..3].iter().all(|c| *c < 80))
            .count();
        assert!(dark > 500, "{stem}.png looks blank ({dark} dark pixels)");
    }

    // index.html: only existing local files, only existing anchors, nothing from the network.
    let html = fs::read_to_string(&files.index).unwrap();
    let refs = links(&html);
    assert!(!refs.is_empty());
    assert_eq!(broken_links(dir).unwrap(), Vec::<String>::new());
    for stem in &stems {
        assert!(
            refs.contains(&format!("plots/{stem}.svg")),
            "{stem}.svg not linked"
        );
        assert!(
            refs.contains(&format!("plots/{stem}.png")),
            "{stem}.png not linked"
        );
    }
    assert!(!html.contains("https://") && !html.contains("<link") && !html.contains("<script"));
    // No geometry manifest, no Geometry section.
    assert!(!html.contains("id=\"geometry\""));
    // Charts are inline.
    assert_eq!(html.matches("<svg").count(), stems.len());
    // The min_hidden table, with "none" spelled out, and the summary table.
    assert!(html.contains("<table class=\"min-hidden\">"));
    assert!(html.contains("none (&gt; max tested"));
    assert!(html.contains("<table class=\"summary\">"));
    assert!(html.contains("d3-h4-b2-tree0.5-binary-s0"));
    // Options are shown, escaped.
    assert!(html.contains("<title>Synthetic &lt;test&gt; run</title>"));
    assert!(html.contains("name = &quot;a &amp; b&quot;"));
    assert!(html.contains("backend: none"));
    assert!(html.contains("MEAN") || html.contains("averaged"));
}

#[test]
fn build_without_curves_skips_curve_charts() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    small(false).write(dir);
    let files = build(dir, &options()).unwrap();
    let charts = files
        .files
        .iter()
        .filter(|f| f.extension().is_some_and(|e| e == "svg"))
        .count();
    assert_eq!(charts, expected_stems(false).len());
    let html = fs::read_to_string(&files.index).unwrap();
    assert!(!links(&html).iter().any(|r| r.contains("curves")));
}

#[test]
fn single_series_has_no_comparison_chart() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    Synthetic {
        structures: vec![("tree", 0.5)],
        ..small(false)
    }
    .write(dir);
    let files = build(dir, &ReportOptions::default()).unwrap();
    assert!(
        !files
            .files
            .iter()
            .any(|f| f.to_string_lossy().contains("compare_"))
    );
}

#[test]
fn bad_inputs_are_errors_that_name_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();

    let err = format!("{:#}", build(dir, &ReportOptions::default()).unwrap_err());
    assert!(err.contains("runs.csv"), "{err}");

    write_table::<RunRow>(dir, &[]).unwrap();
    let err = format!("{:#}", build(dir, &ReportOptions::default()).unwrap_err());
    assert!(err.contains("no rows"), "{err}");

    let mut runs = small(false).write(dir);
    runs.push(runs[0].clone());
    write_table(dir, &runs).unwrap();
    let err = format!("{:#}", build(dir, &ReportOptions::default()).unwrap_err());
    assert!(
        err.contains("appears twice") && err.contains("runs.csv"),
        "{err}"
    );

    runs.pop();
    write_table(dir, &runs).unwrap();
    fs::write(
        dir.join("curves.csv"),
        "config_id,instance,step,loss\nx,0,oops,1\n",
    )
    .unwrap();
    let err = format!("{:#}", build(dir, &ReportOptions::default()).unwrap_err());
    assert!(
        err.contains("curves.csv") && err.contains("line 2"),
        "{err}"
    );

    let bad = ReportOptions {
        threshold: 0.0,
        ..ReportOptions::default()
    };
    assert!(build(dir, &bad).is_err());
    assert_eq!(read_runs(dir).unwrap().len(), runs.len());
}

/// A chart drawn with the toolkit: `cells × cells` heatmap squares (1 cell: a small SVG;
/// 120: well over the inline limit).
fn toolkit_chart(title: &str, cells: usize) -> String {
    use plotters::prelude::*;
    use report::draw;
    draw::svg_document(draw::PLOT_WIDTH, draw::PLOT_HEIGHT, |root| {
        let area = draw::titled(root, title)?;
        let area = draw::with_footer(&area, "footer")?;
        let (plot, side) = draw::side_column(&area, draw::LEGEND_WIDTH);
        let side_len = 600 / cells as i32;
        for k in 0..cells * cells {
            let (i, j) = ((k / cells) as i32, (k % cells) as i32);
            let colour = draw::diverging(((i + j) % 7) as f64 / 3.0 - 1.0);
            plot.draw(&Rectangle::new(
                [
                    (j * side_len, i * side_len),
                    ((j + 1) * side_len, (i + 1) * side_len),
                ],
                colour.filled(),
            ))?;
        }
        draw::legend(
            &side,
            "Legend",
            &[(
                "a patch".to_owned(),
                draw::Mark::patch(draw::categorical(0)),
            )],
        )?;
        Ok(())
    })
    .unwrap()
}

fn entry(stem: &str, kind: &str, config_id: Option<&str>) -> ManifestEntry {
    ManifestEntry {
        stem: stem.to_owned(),
        title: format!("Title of {stem} <&>"),
        caption: format!("Caption of {stem}."),
        kind: kind.to_owned(),
        config_id: config_id.map(str::to_owned),
    }
}

#[test]
fn geometry_manifest_figures_are_embedded_and_linked() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    small(false).write(dir);
    let plots = dir.join("plots");
    let small_svg = toolkit_chart("small", 1);
    let big_svg = toolkit_chart("big", 120);
    assert!(big_svg.len() > 256 * 1024 && small_svg.len() < 64 * 1024);
    report::draw::write_charts(
        &plots,
        &[
            ("geometry_cosines_a", &small_svg),
            ("geometry_gram_a", &big_svg),
            ("geometry_custom_x", &small_svg),
        ],
    )
    .unwrap();
    fs::write(dir.join("geometry.csv"), "config_id\n").unwrap();
    let entries = vec![
        entry(
            "geometry_gram_a",
            "gram",
            Some("d3-h4-b2-tree0.5-binary-s0"),
        ),
        entry(
            "geometry_cosines_a",
            "cosines",
            Some("d3-h4-b2-independent0.5-binary-s0"),
        ),
        entry("geometry_custom_x", "custom", None),
        entry("geometry_cosines_a", "cosines", None),
        entry("geometry_gone", "norms", None),
    ];
    report::write_manifest(&plots.join(report::GEOMETRY_MANIFEST), &entries).unwrap();

    let files = build(dir, &options()).unwrap();
    let html = fs::read_to_string(&files.index).unwrap();
    assert!(html.contains("<h2 id=\"geometry\">"));
    // Kinds in the documented order, unknown kinds last; series sub-headings.
    let at = |s: &str| html.find(s).unwrap_or_else(|| panic!("{s} missing"));
    assert!(at("id=\"geometry-cosines\"") < at("id=\"geometry-gram\""));
    assert!(at("id=\"geometry-gram\"") < at("id=\"geometry-custom\""));
    assert!(html.contains("<h4>tree (stop_prob 0.5), b=2, binary, seed 0</h4>"));
    assert!(html.contains("<h4>Not tied to one series</h4>"));
    // Each stem once; the missing one named, not linked; titles escaped.
    assert_eq!(
        html.matches("<figure id=\"plot-geometry_cosines_a\">")
            .count(),
        1
    );
    assert!(html.contains("left out: geometry_gone"));
    assert!(!html.contains("plots/geometry_gone"));
    assert!(html.contains("Title of geometry_gram_a &lt;&amp;&gt;"));
    // The big chart as a PNG data URI, the small ones inline.
    let refs = links(&html);
    let pngs: Vec<&String> = refs.iter().filter(|r| r.starts_with("data:")).collect();
    assert_eq!(pngs.len(), 1);
    assert!(pngs[0].starts_with("data:image/png;base64,iVBORw0KGgo"));
    let report_charts = expected_stems(false).len();
    assert_eq!(html.matches("<svg").count(), report_charts + 2);
    assert!(html.contains("width=\"1000\" height=\"700\" alt=\"Title of geometry_gram_a"));
    // Every other reference is an existing file or anchor; the tables present are linked.
    assert_eq!(broken_links(dir).unwrap(), Vec::<String>::new());
    assert!(refs.contains(&"geometry.csv".to_owned()));
    assert!(!refs.contains(&"geometry_features.csv".to_owned()));
    assert!(refs.contains(&"plots/geometry.json".to_owned()));
    for stem in ["geometry_gram_a", "geometry_cosines_a", "geometry_custom_x"] {
        assert!(refs.contains(&format!("plots/{stem}.svg")), "{stem}");
        assert!(refs.contains(&format!("plots/{stem}.png")), "{stem}");
    }

    // A stem that is not a plain file name is an error naming the manifest.
    let bad = vec![entry("../index", "gram", None)];
    report::write_manifest(&plots.join(report::GEOMETRY_MANIFEST), &bad).unwrap();
    let err = format!("{:#}", build(dir, &options()).unwrap_err());
    assert!(
        err.contains("geometry.json") && err.contains("../index"),
        "{err}"
    );
    fs::write(plots.join(report::GEOMETRY_MANIFEST), "{not json").unwrap();
    let err = format!("{:#}", build(dir, &options()).unwrap_err());
    assert!(err.contains("geometry.json"), "{err}");
}

#[test]
fn broken_links_finds_what_leads_nowhere() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    fs::create_dir(dir.join("plots")).unwrap();
    fs::write(dir.join("plots/a.svg"), "<svg/>").unwrap();
    fs::write(
        dir.join("index.html"),
        "<h2 id=\"top\">x</h2><a href=\"#top\">ok</a><a href=\"#nowhere\">x</a>\
         <a href=\"plots/a.svg\">ok</a><a href=\"plots/b.svg\">x</a>\
         <img src=\"data:image/png;base64,AAAA\"><a href=\"https://example.org/\">x</a>\
         <img src=\"/etc/hostname\">",
    )
    .unwrap();
    assert_eq!(
        broken_links(dir).unwrap(),
        vec![
            "#nowhere",
            "plots/b.svg",
            "https://example.org/",
            "/etc/hostname"
        ]
    );
}

#[test]
fn an_exact_zero_loss_is_a_perfect_fit_not_a_divergence() {
    // The seed reaches exactly 0 at depth 1; a log scale must not turn that into "diverged".
    let tmp = tempfile::tempdir().unwrap();
    let row = |n_hidden: u32, instance: u32, eval_loss: f64| RunRow {
        config_id: format!("d1-h{n_hidden}-b2-tree0.5-binary-s0"),
        group: "d1-b2-tree0.5-binary".into(),
        depth: 1,
        branching: 2,
        structure: "tree".into(),
        stop_prob: 0.5,
        magnitude: "binary".into(),
        feature_probability: 0.25,
        correlated_pairs: 0,
        anticorrelated_pairs: 0,
        importance: "1".into(),
        n_hidden,
        n_features: 2,
        seed: 0,
        instance,
        train_loss: eval_loss,
        eval_loss,
        wall_s: 1.0,
        diverged: false,
    };
    let runs = vec![
        row(1, 0, 0.0),
        row(1, 1, 0.0),
        row(2, 0, 3e-3),
        row(2, 1, f64::NAN),
    ];
    write_table(tmp.path(), &runs).unwrap();
    build(tmp.path(), &options()).unwrap();
    let heatmap = fs::read_to_string(
        tmp.path()
            .join("plots/heatmap_tree-s0.5_b2_binary_seed0.svg"),
    )
    .unwrap();
    assert!(
        heatmap.contains("✓ 0"),
        "the zero cell is ticked and labelled 0"
    );
    let summary = fs::read_to_string(tmp.path().join("min_hidden.csv")).unwrap();
    assert!(
        summary
            .lines()
            .any(|l| l.contains(",min,") && l.contains(",1,")),
        "{summary}"
    );
}
