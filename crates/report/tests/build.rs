//! `build` on a synthetic run folder: every file exists, parses and is referenced correctly.

mod support;

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

use report::{
    Aggregate, Criterion, CurveRow, ManifestEntry, MinHiddenRow, PLOT_HEIGHT, PLOT_WIDTH,
    ReportOptions, RunRow, Series, SummaryRow, Table, broken_links, build, links, read_runs,
    read_table, write_table,
};
use support::synthetic::{SparseSet, Synthetic};

/// 2 structures × depths 1..3 × n_hidden 2..4 (configs with n_hidden > n_features skipped).
fn small(curves: bool) -> Synthetic {
    Synthetic {
        depths: 1..=3,
        hiddens: 2..=4,
        instances: 3,
        structures: vec![("tree", 0.5), ("independent", 0.5)],
        sparse: Vec::new(),
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

/// The figures for a paper in `figures/`: the answer, and a loss figure and heatmap per series.
fn expected_figures() -> BTreeSet<String> {
    let mut stems = BTreeSet::from(["min_hidden".to_owned()]);
    for slug in SLUGS {
        stems.insert(format!("loss_vs_hidden_{slug}"));
        stems.insert(format!("heatmap_{slug}"));
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
    // summary, min_hidden, the answers as Markdown and LaTeX, the charts, the figures for a
    // paper, index.html.
    let figures = expected_figures();
    assert_eq!(files.files.len(), 4 + want.len() + 2 * figures.len() + 1);
    let answers = report::min_hidden_text(&report::read_table(dir).unwrap(), &options().rule());
    let markdown = fs::read_to_string(dir.join(report::ANSWERS_MARKDOWN)).unwrap();
    let latex = fs::read_to_string(dir.join(report::ANSWERS_LATEX)).unwrap();
    // The same tables: as many lines as the printed answer has (heads included).
    let rows_of = |text: &str, start: &str| text.lines().filter(|l| l.starts_with(start)).count();
    assert_eq!(
        rows_of(&markdown, "| ") - rows_of(&markdown, "| --- |"),
        rows_of(&answers, "  "),
        "{markdown}"
    );
    assert_eq!(latex.matches("\\begin{tabular}").count(), 2, "{latex}");

    // figures/: each figure's SVG sized in inches and its PNG at 300 dpi.
    let got: BTreeSet<String> = fs::read_dir(dir.join("figures"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    // With the list of the figures written, for the next build's removal of stale ones.
    let want: BTreeSet<String> = (figures.iter())
        .flat_map(|s| [format!("{s}.svg"), format!("{s}.png")])
        .chain([".tmh-figures".to_owned()])
        .collect();
    assert_eq!(got, want);
    for stem in &figures {
        let svg = fs::read_to_string(dir.join("figures").join(format!("{stem}.svg"))).unwrap();
        let doc = roxmltree::Document::parse(&svg).unwrap();
        let root = doc.root_element();
        assert_eq!(root.attribute("width"), Some("3.25in"), "{stem}");
        assert_eq!(root.attribute("height"), Some("2.4in"), "{stem}");
        assert_eq!(root.attribute("viewBox"), Some("0 0 325 240"), "{stem}");
        let file = fs::File::open(dir.join("figures").join(format!("{stem}.png"))).unwrap();
        let reader = png::Decoder::new(std::io::BufReader::new(file))
            .read_info()
            .unwrap();
        assert_eq!(
            (reader.info().width, reader.info().height),
            (975, 720),
            "{stem}"
        );
    }

    // No temporary file left anywhere.
    for folder in [dir.to_path_buf(), dir.join("plots"), dir.join("figures")] {
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
    assert_eq!(min_hidden.len() - 1, 2 * 3 * Aggregate::ALL.len());

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
    // The figures for a paper: linked, shown as PNGs, after the charts.
    let section = &html[html
        .find("<h2 id=\"paper\">Figures for a paper</h2>")
        .unwrap()..];
    assert!(html.find("id=\"summary\"").unwrap() > html.find("id=\"paper\"").unwrap());
    assert!(section.contains("3.25 × 2.4 in") && section.contains("caption goes in the paper"));
    for stem in &figures {
        for ext in ["svg", "png"] {
            let link = format!("figures/{stem}.{ext}");
            assert!(refs.contains(&link), "{link} not linked");
        }
    }
    assert_eq!(
        section.matches("<img src=\"data:image/png;base64,").count(),
        figures.len()
    );
    assert!(!html.contains("https://") && !html.contains("<link") && !html.contains("<script"));
    // No geometry manifest, no Geometry section.
    assert!(!html.contains("id=\"geometry\""));
    // Charts are inline.
    assert_eq!(html.matches("<svg").count(), stems.len());
    // The min_hidden table, with "none" as ">4" and said in its title, and the summary table.
    assert!(html.contains("<table class=\"min-hidden\">"));
    assert!(html.contains(
        "title=\"none: no width up to the largest tested, 4, passes\">&gt;&#8239;4</td>"
    ));
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
        .filter(|f| f.parent() == Some(&dir.join("plots")))
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
    let mut other_importance = runs.clone();
    other_importance[1].importance = "0.7".into();
    write_table(dir, &other_importance).unwrap();
    let err = format!("{:#}", build(dir, &ReportOptions::default()).unwrap_err());
    assert!(err.contains("different config columns"), "{err}");

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

/// Two seeds of two series, pooled: one series each, the per-seed geometry figures under
/// their pooled series, and a config that lacks a seed named.
#[test]
fn pooled_seeds_keep_their_figures_and_name_missing_seeds() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let seed0 = small(false).write(dir);
    let mut runs = seed0.clone();
    for row in &seed0 {
        if row.config_id != "d3-h4-b2-tree0.5-binary-s0" {
            runs.push(RunRow {
                config_id: row.config_id.replace("-s0", "-s1"),
                seed: 1.into(),
                ..row.clone()
            });
        }
    }
    write_table(dir, &runs).unwrap();
    let plots = dir.join("plots");
    let svg = toolkit_chart("small", 1);
    report::draw::write_charts(
        &plots,
        &[("geometry_cosines_a", &svg), ("geometry_gram_b", &svg)],
    )
    .unwrap();
    let entries = vec![
        entry(
            "geometry_cosines_a",
            "cosines",
            Some("d3-h3-b2-tree0.5-binary-s1"),
        ),
        entry(
            "geometry_gram_b",
            "gram",
            Some("d3-h4-b2-independent0.5-binary-s0"),
        ),
    ];
    report::write_manifest(&plots.join(report::GEOMETRY_MANIFEST), &entries).unwrap();
    let opts = ReportOptions {
        pool_seeds: true,
        ..options()
    };
    let files = build(dir, &opts).unwrap();
    let html = fs::read_to_string(&files.index).unwrap();
    for expected in [
        "<h4>tree (stop_prob 0.5), b=2, binary, seeds 0+1</h4>",
        "<h4>independent (stop_prob 0.5), b=2, binary, seeds 0+1</h4>",
        "configurations (pooled from",
        "Seeds pooled (analysis.pool_seeds): configs that differ only in their seed (0, 1)",
        "Warning: 1 pooled config(s) lack some seeds",
        "First: d3-h4-b2-tree0.5-binary-s0+1, which has seed(s) 0.",
    ] {
        assert!(html.contains(expected), "{expected}");
    }
    assert!(!html.contains("Not tied to one series"));
    let summary: Vec<SummaryRow> = read_table(dir).unwrap();
    let instances = |id: &str| {
        summary
            .iter()
            .find(|r| r.config_id == id)
            .unwrap()
            .n_instances
    };
    assert_eq!(instances("d3-h3-b2-tree0.5-binary-s0+1"), 6);
    assert_eq!(instances("d3-h4-b2-tree0.5-binary-s0+1"), 3);

    // runs.csv holds one seed per row: a pooled one is refused, naming the line.
    runs[0].seed = report::Seeds::new([0, 1]).unwrap();
    write_table(dir, &runs).unwrap();
    let err = format!("{:#}", build(dir, &opts).unwrap_err());
    assert!(err.contains("has seed 0+1 (line 2)"), "{err}");
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
    // The figures for a paper come after, as PNGs too.
    assert_eq!(pngs.len(), 1 + expected_figures().len());
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
    let row = |n_hidden: u32, instance: u32, eval_loss: f64| {
        RunRow::seed_example(1, n_hidden, instance, eval_loss)
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
    // Drawn at the display floor (1e-3 × threshold), as rounding noise is.
    assert!(
        heatmap.contains("✓ ≤1e-8"),
        "the zero cell is ticked and labelled as at the floor"
    );
    // runs.csv keeps the exact zero.
    assert_eq!(read_runs(tmp.path()).unwrap()[0].eval_loss, 0.0);
    let summary = fs::read_to_string(tmp.path().join("min_hidden.csv")).unwrap();
    assert!(
        summary
            .lines()
            .any(|l| l.contains(",min,") && l.contains(",1,")),
        "{summary}"
    );
}

/// A run with exact evaluation: the page explains it, the min-width table gets its decoded
/// columns, the summary its decoded range, and the decoded chart is embedded.
#[test]
fn exact_evaluation_shows_in_tables_notes_and_charts() {
    let tmp = tempfile::tempdir().unwrap();
    let row = |n_hidden: u32, instance: u32, decoded: f64| RunRow {
        exact_loss: Some(2e-3),
        decoded: Some(decoded),
        max_error: Some(if decoded == 1.0 {
            0.25
        } else {
            0.5 + 0.1 * f64::from(instance)
        }),
        ..RunRow::seed_example(2, n_hidden, instance, 3e-3)
    };
    // At n_hidden 4 one sample in 2,500 is missed: the summary must not round it up to 1.
    let runs = vec![
        row(2, 0, 0.5),
        row(2, 1, 0.625),
        row(3, 0, 1.0),
        row(3, 1, 1.0),
        row(4, 0, 0.9996),
        row(4, 1, 0.9996),
    ];
    write_table(tmp.path(), &runs).unwrap();
    build(tmp.path(), &options()).unwrap();
    let html = fs::read_to_string(tmp.path().join("index.html")).unwrap();
    for expected in [
        "<strong>Exact evaluation.</strong>",
        // One branching factor: each depth row names its n_features.
        "<th rowspan=\"2\">depth <span class=\"note\">(n_features)</span></th>",
        "<tr><th>2 <span class=\"note\">(6)</span></th>",
        ">decoded, all</th>",
        ">decoded, best</th>",
        // Width 4 misses one sample: 3 is the first width that decodes, not a lasting one.
        "<td class=\"decoded\">3 <span class=\"wider\" title=\"1 tested width(s) wider",
        "<strong>↑: a wider width fails again.</strong>",
        "<td>0.500–0.625</td>",
        "<td>1.000</td>",
        "<td>0.999</td>",
        ">max |error|</th>",
        "<td>0.25</td>",
        "<td>0.50–0.60</td>",
        "decoded_vs_hidden_tree-s0.5_b2_binary_seed0.svg",
        "min_hidden_decoded_mean.svg",
    ] {
        assert!(html.contains(expected), "{expected}");
    }
    let summary: Vec<SummaryRow> = read_table(tmp.path()).unwrap();
    assert!(summary.iter().all(|r| r.loss == "exact" && r.mean == 2e-3));
    assert_eq!(
        html.matches("<tr class=\"pass\">").count(),
        0,
        "no loss passes"
    );
    // Two branching factors: a depth has two n_features, and the rows say none.
    let mixed = tempfile::tempdir().unwrap();
    let b3 = runs.iter().map(|r| RunRow {
        config_id: r.config_id.replace("-b2-", "-b3-"),
        group: r.group.replace("-b2-", "-b3-"),
        branching: 3,
        n_features: 12,
        ..r.clone()
    });
    write_table(
        mixed.path(),
        &runs.iter().cloned().chain(b3).collect::<Vec<_>>(),
    )
    .unwrap();
    build(mixed.path(), &options()).unwrap();
    let page = fs::read_to_string(mixed.path().join("index.html")).unwrap();
    assert!(page.contains("<th rowspan=\"2\">depth</th>") && page.contains("<tr><th>2</th>"));

    // By decoding, the decoded column is the headline and n_hidden 3 passes.
    let opts = ReportOptions {
        criterion: Criterion::Decoded,
        ..options()
    };
    build(tmp.path(), &opts).unwrap();
    let html = fs::read_to_string(tmp.path().join("index.html")).unwrap();
    for expected in [
        "<th class=\"decoded headline\" title=\"headline: smallest n_hidden at which every \
         instance decodes every possible sample\">decoded, all</th>",
        "<td class=\"decoded headline\">3 <span class=\"wider\"",
        "Headline criterion (analysis.criterion): decoded: a config passes when every instance \
         decodes every possible sample.",
        "Green rows: every instance decodes every possible sample.",
    ] {
        assert!(html.contains(expected), "{expected}");
    }
    assert_eq!(html.matches("<th class=\"headline\"").count(), 0);
    assert_eq!(html.matches("<tr class=\"pass\">").count(), 1);
    // Data without exact evaluation cannot be judged by decoding.
    let sampled = tempfile::tempdir().unwrap();
    write_table(sampled.path(), &[RunRow::seed_example(2, 2, 0, 1e-3)]).unwrap();
    let err = build(sampled.path(), &opts).unwrap_err().to_string();
    assert!(
        err.contains("analysis.criterion = \"decoded\" needs exact evaluation"),
        "{err}"
    );
}

/// A tree series next to three data sets without a tree: a per-instance p sweep, a constant p
/// with decaying importance, and the same p with more features.
fn mixed() -> Synthetic {
    Synthetic {
        depths: 1..=2,
        hiddens: 2..=4,
        instances: 4,
        structures: vec![("tree", 0.5)],
        sparse: vec![
            SparseSet {
                n_features: 5,
                p: None,
                importance: "1",
                ..SparseSet::default()
            },
            SparseSet {
                n_features: 5,
                p: Some(0.01),
                importance: "0.9^i",
                ..SparseSet::default()
            },
            SparseSet {
                n_features: 20,
                p: Some(0.01),
                importance: "1",
                ..SparseSet::default()
            },
        ],
        curves: true,
    }
}

const PER_INSTANCE: &str = "sparse F=5, p=0.02…1 per instance, uniform, seed 0";
const PER_INSTANCE_SLUG: &str = "sparse_F5_p0.02-1_uniform_seed0";
const DECAYING: &str = "sparse F=5, p=0.01, importance 0.9^i, uniform, seed 0";
const WIDER: &str = "sparse F=20, p=0.01, uniform, seed 0";
const TREE: &str = "tree (stop_prob 0.5), b=2, binary, seed 0";

#[test]
fn tree_and_sparse_series_are_kept_apart_in_the_tables() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    mixed().write(dir);
    build(dir, &options()).unwrap();

    let summary: Vec<SummaryRow> = read_table(dir).unwrap();
    // Tree: depth 1 (2 features) n_hidden 2, depth 2 n_hidden 2..4; each data set 2..4.
    assert_eq!(summary.len(), 4 + 3 * 3);
    let labels: BTreeSet<String> = summary
        .iter()
        .map(|r| Series::of_summary(r).label())
        .collect();
    let want: BTreeSet<String> = [PER_INSTANCE, DECAYING, WIDER, TREE]
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(labels, want);
    let sweep = summary
        .iter()
        .find(|r| r.config_id == "f5-plog1-0.02-h3-uniform-s0")
        .unwrap();
    assert_eq!(
        (sweep.depth, sweep.n_features, sweep.n_instances),
        (0, 5, 4)
    );
    assert!((sweep.feature_probability_min - 0.02).abs() < 1e-12);
    assert_eq!(sweep.feature_probability_max, 1.0);
    let decaying = summary
        .iter()
        .find(|r| r.config_id == "f5-p0.01-imp0.9i-h2-uniform-s0")
        .unwrap();
    assert_eq!(decaying.importance, "0.9^i");
    assert_eq!(decaying.feature_probability, 0.01);

    let rows: Vec<MinHiddenRow> = read_table(dir).unwrap();
    // Per (series, row): the tree's 2 depths and one row per data set, 4 aggregates each.
    assert_eq!(rows.len(), (2 + 3) * 4);
    let of = |label: &str| -> Vec<&MinHiddenRow> {
        rows.iter()
            .filter(|r| Series::of_min_hidden(r).label() == label)
            .collect()
    };
    assert_eq!(of(TREE).len(), 2 * 4);
    for (label, n_features, importance) in [
        (PER_INSTANCE, 5, "1"),
        (DECAYING, 5, "0.9^i"),
        (WIDER, 20, "1"),
    ] {
        let mine = of(label);
        assert_eq!(mine.len(), 4, "{label}");
        assert!(
            mine.iter().all(|r| r.depth == 0
                && r.n_features == n_features
                && r.importance == importance
                && r.structure == "sparse"),
            "{label}: {mine:?}"
        );
    }
    assert!(
        of(PER_INSTANCE)
            .iter()
            .all(|r| r.feature_probability_min < r.feature_probability_max)
    );
    let header = csv_lines(&dir.join("min_hidden.csv"));
    assert_eq!(header[0], MinHiddenRow::COLUMNS.join(","));
    assert!(rows.iter().any(|r| r.aggregate == Aggregate::Median));
    assert!(rows.iter().any(|r| r.aggregate == Aggregate::Sum));
}

#[test]
fn per_instance_p_series_get_their_own_table_and_chart() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    mixed().write(dir);
    // A new geometry kind and an unknown one: both embedded with title and caption.
    let plots = dir.join("plots");
    let chart = toolkit_chart("geometry", 1);
    report::draw::write_charts(
        &plots,
        &[("geometry_dims_a", &chart), ("geometry_odd_b", &chart)],
    )
    .unwrap();
    let entries = vec![
        entry(
            "geometry_dims_a",
            "dims",
            Some("f5-plog1-0.02-h3-uniform-s0"),
        ),
        entry("geometry_odd_b", "odd", None),
    ];
    report::write_manifest(&plots.join(report::GEOMETRY_MANIFEST), &entries).unwrap();
    let files = build(dir, &options()).unwrap();
    let html = fs::read_to_string(&files.index).unwrap();

    // Nothing is labelled by a depth it does not have.
    assert!(!html.contains("depth 0"), "index.html mentions depth 0");
    for label in [PER_INSTANCE, DECAYING, WIDER, TREE] {
        assert!(html.contains(&format!("Series: {label}")), "{label}");
    }

    // The per-instance table: p = 50^-linspace(0, 1, 4) and 1/p, one loss column per n_hidden.
    let start = html
        .find(&format!("<h3 id=\"instances-{PER_INSTANCE_SLUG}\">"))
        .expect("per-instance table");
    let table = &html[start..start + html[start..].find("</table>").unwrap()];
    for row in [
        "<tr><td>0</td><td>1</td><td>1</td>",
        "<tr><td>1</td><td>0.2714</td><td>3.684</td>",
        "<tr><td>2</td><td>0.07368</td><td>13.57</td>",
        "<tr><td>3</td><td>0.02</td><td>50</td>",
    ] {
        assert!(table.contains(row), "{row} missing from {table}");
    }
    for n_hidden in 2..=4 {
        assert!(table.contains(&format!("eval loss, n_hidden {n_hidden}</th>")));
    }
    assert_eq!(table.matches("<tr><td>").count(), 4);
    // Only that series has one.
    assert_eq!(html.matches("Eval loss per instance</h3>").count(), 1);

    // Its chart is loss vs 1/p; no heatmap or loss-vs-n_hidden of means across instances.
    let stems: BTreeSet<String> = fs::read_dir(&plots)
        .unwrap()
        .filter_map(|e| {
            let name = e.unwrap().file_name().into_string().unwrap();
            name.strip_suffix(".svg").map(str::to_owned)
        })
        .collect();
    let inv_p = format!("loss_vs_inv_p_{PER_INSTANCE_SLUG}");
    assert!(stems.contains(&inv_p), "{stems:?}");
    assert!(!stems.contains(&format!("heatmap_{PER_INSTANCE_SLUG}")));
    assert!(!stems.contains(&format!("loss_vs_hidden_{PER_INSTANCE_SLUG}")));
    assert!(html.contains(&format!("<figure id=\"plot-{inv_p}\">")));
    let svg = fs::read_to_string(plots.join(format!("{inv_p}.svg"))).unwrap();
    assert!(svg.contains("1/(1−S)") && svg.contains("n_hidden = 4"));
    // Constant-p data sets keep the usual charts, by n_features; both min-hidden chart kinds.
    for stem in [
        "heatmap_sparse_F20_p0.01_uniform_seed0",
        "heatmap_sparse_F5_p0.01_uniform_seed0_imp0.9i",
        "heatmap_tree-s0.5_b2_binary_seed0",
        "min_hidden_mean",
        "min_hidden_sparse_mean",
        "compare_sparse_uniform_seed0",
    ] {
        assert!(stems.contains(stem), "{stem} missing: {stems:?}");
    }

    // The headline tables: the tree by depth, the constant-p data sets a row each; the
    // per-instance series only named, with a link to its table.
    let min_start = html.find("<h2 id=\"min-hidden\">").unwrap();
    let min_end = min_start + 1 + html[min_start + 1..].find("<h2 ").unwrap();
    let headline = &html[min_start..min_end];
    assert!(headline.contains("<h3>Features without a tree</h3>"));
    assert!(headline.contains(&format!("<th class=\"label\">{WIDER}</th>")));
    assert!(headline.contains(&format!("<th class=\"label\">{DECAYING}</th>")));
    assert!(!headline.contains(&format!("<th class=\"label\">{PER_INSTANCE}")));
    assert!(headline.contains(&format!("href=\"#instances-{PER_INSTANCE_SLUG}\"")));
    assert!(headline.contains(&format!("<th colspan=\"4\">{TREE}</th>")));

    // Geometry: the dims figure under its heading and series, the unknown kind after it.
    assert!(html.contains("id=\"geometry-dims\""));
    assert!(html.contains("Other: odd"));
    for stem in ["geometry_dims_a", "geometry_odd_b"] {
        assert!(
            html.contains(&format!("<figure id=\"plot-{stem}\">")),
            "{stem}"
        );
        assert!(html.contains(&format!(
            "<strong>Title of {stem} &lt;&amp;&gt;</strong> Caption of {stem}."
        )));
    }
    let dims = html.find("<figure id=\"plot-geometry_dims_a\">").unwrap();
    let heading = html[..dims].rfind("<h4>").unwrap();
    assert!(html[heading..dims].starts_with(&format!("<h4>{PER_INSTANCE}</h4>")));

    // Every chart is well-formed XML; every link leads somewhere.
    for stem in &stems {
        let svg = fs::read_to_string(plots.join(format!("{stem}.svg"))).unwrap();
        roxmltree::Document::parse(&svg).unwrap_or_else(|e| panic!("{stem}.svg: {e}"));
        assert!(!svg.contains("depth 0"), "{stem}.svg mentions depth 0");
    }
    assert_eq!(broken_links(dir).unwrap(), Vec::<String>::new());
}

#[test]
fn tree_importance_is_named_where_it_is_not_one() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let mut runs = Synthetic {
        structures: vec![("tree", 0.5)],
        ..small(false)
    }
    .write(dir);
    // The same tree with importance 0.5^level: a second series, labelled apart.
    let weighted: Vec<RunRow> = runs
        .iter()
        .map(|r| RunRow {
            config_id: format!("{}-imp0.5level", r.config_id),
            importance: "0.5^level".into(),
            ..r.clone()
        })
        .collect();
    runs.extend(weighted);
    write_table(dir, &runs).unwrap();
    let files = build(dir, &options()).unwrap();
    let html = fs::read_to_string(&files.index).unwrap();
    assert!(html.contains(&format!("Series: {TREE}<")));
    assert!(
        html.contains("Series: tree (stop_prob 0.5), b=2, importance 0.5^level, binary, seed 0<")
    );
    assert!(
        dir.join("plots/heatmap_tree-s0.5_b2_binary_seed0_imp0.5-level.svg")
            .is_file()
    );
    // Compared side by side, told apart by importance.
    let compare = fs::read_to_string(dir.join("plots/compare_b2_binary_seed0.svg")).unwrap();
    assert!(compare.contains("importance 0.5^level"));
    let rows: Vec<MinHiddenRow> = read_table(dir).unwrap();
    assert_eq!(rows.len(), 2 * 3 * 4);
}

#[test]
fn data_sets_with_the_same_mean_p_are_two_series() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    // A per-feature list with mean 0.2 and a constant 0.2: same n_features, n_hidden and
    // importance, different data sets (groups `f3-plist-1a2b3c4d-uniform`, `f3-p0.2-uniform`).
    // A third data set, alone, keeps its usual label.
    let set = |p, p_label| SparseSet {
        n_features: 3,
        p: Some(p),
        p_label,
        ..SparseSet::default()
    };
    Synthetic {
        depths: 1..=2,
        hiddens: 2..=3,
        instances: 3,
        structures: vec![("tree", 0.5)],
        sparse: vec![
            set(0.2, Some("plist-1a2b3c4d")),
            set(0.2, None),
            set(0.05, None),
        ],
        curves: true,
    }
    .write(dir);
    let files = build(dir, &options()).unwrap();
    let html = fs::read_to_string(&files.index).unwrap();

    let list = "sparse F=3, p=0.2, data set f3-plist-1a2b3c4d, uniform, seed 0";
    let constant = "sparse F=3, p=0.2, data set f3-p0.2, uniform, seed 0";
    let alone = "sparse F=3, p=0.05, uniform, seed 0";
    let summary = report::summarize(&read_runs(dir).unwrap());
    let labels: BTreeSet<String> = summary
        .iter()
        .map(|r| Series::of_summary(r).label())
        .collect();
    let want: BTreeSet<String> = [TREE, list, constant, alone]
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(labels, want);
    // Every config once in summary.csv: 3 tree configs, 2 per data set.
    let written: Vec<SummaryRow> = read_table(dir).unwrap();
    let keys: BTreeSet<&str> = written.iter().map(|r| r.config_id.as_str()).collect();
    assert_eq!((written.len(), keys.len()), (3 + 3 * 2, 3 + 3 * 2));
    assert!(
        keys.contains("f3-plist-1a2b3c4d-h2-uniform-s0") && keys.contains("f3-p0.2-h2-uniform-s0")
    );

    // min_hidden.csv: one row per aggregate for each data set, the two of mean p 0.2 apart.
    let rows: Vec<MinHiddenRow> = read_table(dir).unwrap();
    assert_eq!(rows.len(), (2 + 3) * 4);
    let p02 = rows
        .iter()
        .filter(|r| r.depth == 0 && (r.feature_probability - 0.2).abs() < 1e-12)
        .count();
    assert_eq!(p02, 2 * 4);
    let computed = report::min_hidden(&summary, options().threshold);
    let named: BTreeSet<String> = computed
        .iter()
        .map(|r| Series::of_min_hidden(r).label())
        .collect();
    assert_eq!(named, want);

    // Each data set has its own charts and sections, under distinct names.
    let list_slug = "sparse_F3_p0.2_uniform_seed0_f3-plist-1a2b3c4d";
    let constant_slug = "sparse_F3_p0.2_uniform_seed0_f3-p0.2";
    for slug in [list_slug, constant_slug, "sparse_F3_p0.05_uniform_seed0"] {
        for kind in ["heatmap", "loss_vs_hidden", "curves"] {
            let stem = format!("{kind}_{slug}");
            assert!(dir.join(format!("plots/{stem}.svg")).is_file(), "{stem}");
            assert!(
                html.contains(&format!("<figure id=\"plot-{stem}\">")),
                "{stem}"
            );
        }
    }
    for label in [list, constant, alone] {
        assert!(html.contains(&format!("Series: {label}<")), "{label}");
        assert!(
            html.contains(&format!("<th class=\"label\">{label}</th>")),
            "{label} in the headline table"
        );
    }
    // The heatmaps show their own data set's losses: they differ.
    let heatmap = |slug: &str| fs::read_to_string(dir.join(format!("plots/heatmap_{slug}.svg")));
    assert_ne!(heatmap(list_slug).unwrap(), heatmap(constant_slug).unwrap());
    let compare = fs::read_to_string(dir.join("plots/compare_sparse_uniform_seed0.svg")).unwrap();
    for id in ["f3-plist-1a2b3c4d", "f3-p0.2"] {
        assert!(
            compare.contains(&format!("data set {id}")),
            "{id} in the legend"
        );
    }
    assert_eq!(broken_links(dir).unwrap(), Vec::<String>::new());
}

/// One tree config's instance for [`headline_rows`].
fn tree_row(depth: u32, n_hidden: u32, instance: u32, eval_loss: f64) -> RunRow {
    RunRow {
        eval_loss: if eval_loss < 0.0 { f64::NAN } else { eval_loss },
        diverged: eval_loss < 0.0,
        ..RunRow::seed_example(depth, n_hidden, instance, eval_loss)
    }
}

/// A tree series whose verdicts depend on the aggregate (threshold 1e-5, 3 instances; a
/// negative loss marks a diverged instance):
///
/// | config | instances | min | mean | median | sum |
/// | --- | --- | --- | --- | --- | --- |
/// | d2-h2 | 1e-7, 1e-2, 1e-2 | ✓ | | | |
/// | d2-h3 | 1e-7, 1e-7, 1e-3 | ✓ | | ✓ | |
/// | d2-h4 | 4e-6 × 3 | ✓ | ✓ | ✓ | |
/// | d2-h5 | 1e-7, 1e-7, diverged | ✓ | | | |
/// | d2-h6 | 1e-7 × 3 | ✓ | ✓ | ✓ | ✓ |
/// | d1-h2 | 0 × 3 | ✓ | ✓ | ✓ | ✓ |
fn headline_rows() -> Vec<RunRow> {
    let mut runs = Vec::new();
    for (n_hidden, losses) in [
        (2, [1e-7, 1e-2, 1e-2]),
        (3, [1e-7, 1e-7, 1e-3]),
        (4, [4e-6, 4e-6, 4e-6]),
        (5, [1e-7, 1e-7, -1.0]),
        (6, [1e-7, 1e-7, 1e-7]),
    ] {
        for (i, l) in losses.iter().enumerate() {
            runs.push(tree_row(2, n_hidden, i as u32, *l));
        }
    }
    for i in 0..3 {
        runs.push(tree_row(1, 2, i, 0.0));
    }
    runs
}

#[test]
fn the_headline_aggregate_decides_ticks_green_rows_and_charts() {
    let heatmap_stem = "heatmap_tree-s0.5_b2_binary_seed0";
    // (aggregate, configs ticked: d1-h2 and these d2 widths).
    let expected: [(Aggregate, &[u32]); 4] = [
        (Aggregate::Min, &[2, 3, 4, 5, 6]),
        (Aggregate::Mean, &[4, 6]),
        (Aggregate::Median, &[3, 4, 6]),
        (Aggregate::Sum, &[6]),
    ];
    let mut csvs = Vec::new();
    for (aggregate, ticked) in expected {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        write_table(dir, &headline_rows()).unwrap();
        let opts = ReportOptions {
            aggregate,
            ..options()
        };
        let files = build(dir, &opts).unwrap();
        let svg = fs::read_to_string(dir.join(format!("plots/{heatmap_stem}.svg"))).unwrap();
        roxmltree::Document::parse(&svg).unwrap();
        // The ✓ cells: every text starting with a tick (the footer's "✓ + orange" aside).
        let ticks = svg.matches("✓ ").count() - svg.matches("✓ + orange").count();
        assert_eq!(ticks, 1 + ticked.len(), "{aggregate}: {ticks} ticks");
        assert!(
            svg.contains(&format!(
                "eval loss ({aggregate} over instances, log scale)"
            )),
            "{aggregate}: colour bar label"
        );
        // d2-h5 has a diverged instance: marked (ticked only for the min); its sum is NaN.
        if aggregate == Aggregate::Sum {
            // It says how many: 1 of its 3 instances.
            assert!(!svg.contains(" †") && svg.contains(">\n1/3 diverged\n<"));
        } else {
            assert!(svg.contains(" †\n</text>"), "{aggregate}: no dagger");
            assert!(svg.contains("†: some diverged"));
            let no_tick = aggregate != Aggregate::Min;
            assert_eq!(svg.contains("†: some diverged (no ✓)."), no_tick);
        }
        // d2-h4 shows the headline's value, with three digits like every cell: 4e-6 for min,
        // mean and median; 1.2e-5 for the sum.
        let cell_h4 = if aggregate == Aggregate::Sum {
            "1.20e-5"
        } else {
            "4.00e-6"
        };
        assert!(
            svg.contains(&format!(
                ">\n{}{cell_h4}\n<",
                if ticked.contains(&4) { "✓ " } else { "" }
            )),
            "{aggregate}: d2-h4 cell {cell_h4} missing"
        );

        // The summary table's green rows are the ticked configs.
        let html = fs::read_to_string(&files.index).unwrap();
        let green: BTreeSet<String> = html
            .lines()
            .filter(|l| l.starts_with("<tr class=\"pass\"><td class=\"id\">"))
            .map(|l| l.split(['>', '<']).nth(4).unwrap().to_owned())
            .collect();
        let want: BTreeSet<String> = std::iter::once("d1-h2-b2-tree0.5-binary-s0".to_owned())
            .chain(
                ticked
                    .iter()
                    .map(|h| format!("d2-h{h}-b2-tree0.5-binary-s0")),
            )
            .collect();
        assert_eq!(green, want, "{aggregate}");
        // The min-hidden table marks the headline's column, and shows all four.
        assert!(html.contains(&format!(
            "<th class=\"headline\" title=\"headline aggregate\">{aggregate}</th>"
        )));
        assert_eq!(html.matches("<th class=\"headline\"").count(), 1);
        assert!(html.contains(&format!(
            "headline aggregate (<code>analysis.aggregate</code>) is the \
             <strong>{aggregate}</strong>"
        )));
        assert!(html.contains("The seed notebook's rule is the sum."));

        // Charts: the headline's min-n_hidden chart first, then the min's; the loss-vs-n_hidden
        // legend names the headline and (unless it is the min) the min.
        let stems: Vec<String> = files
            .files
            .iter()
            .filter(|f| f.extension().is_some_and(|e| e == "svg"))
            .map(|f| f.file_stem().unwrap().to_string_lossy().into_owned())
            .filter(|s| s.starts_with("min_hidden_"))
            .collect();
        let mut want_stems = vec![format!("min_hidden_{aggregate}")];
        if aggregate != Aggregate::Min {
            want_stems.push("min_hidden_min".to_owned());
        }
        assert_eq!(stems, want_stems);
        let lines =
            fs::read_to_string(dir.join("plots/loss_vs_hidden_tree-s0.5_b2_binary_seed0.svg"))
                .unwrap();
        assert!(lines.contains(&format!("{aggregate} over instances")));
        assert!(lines.contains("min over instances"));
        let entries = if aggregate == Aggregate::Min { 1 } else { 2 };
        assert_eq!(lines.matches("over instances").count(), entries);

        csvs.push((
            fs::read(dir.join("summary.csv")).unwrap(),
            fs::read(dir.join("min_hidden.csv")).unwrap(),
        ));
    }
    // The CSV files do not depend on the headline.
    assert!(csvs.windows(2).all(|w| w[0] == w[1]));
    let rows: Vec<MinHiddenRow> = {
        let tmp = tempfile::tempdir().unwrap();
        write_table(tmp.path(), &headline_rows()).unwrap();
        build(tmp.path(), &options()).unwrap();
        read_table(tmp.path()).unwrap()
    };
    let at_depth_2: Vec<(Aggregate, Option<u32>)> = rows
        .iter()
        .filter(|r| r.depth == 2)
        .map(|r| (r.aggregate, r.min_n_hidden))
        .collect();
    assert_eq!(
        at_depth_2,
        vec![
            (Aggregate::Min, Some(2)),
            (Aggregate::Mean, Some(4)),
            (Aggregate::Median, Some(3)),
            (Aggregate::Sum, Some(6)),
        ]
    );
}

#[test]
fn summary_and_min_hidden_headers_name_the_sum() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    write_table(dir, &headline_rows()).unwrap();
    build(dir, &options()).unwrap();
    let summary = csv_lines(&dir.join("summary.csv"));
    assert!(
        summary[0].contains(",n_instances,mean,sum,min,median,max,std,n_diverged"),
        "{}",
        summary[0]
    );
    // d2-h4: three instances at 4e-6 sum to 1.2e-5; d2-h5 has a diverged one: NaN.
    let field = |id: &str, column: &str| -> String {
        let col = SummaryRow::COLUMNS
            .iter()
            .position(|c| *c == column)
            .unwrap();
        let line = summary.iter().find(|l| l.starts_with(id)).unwrap();
        line.split(',').nth(col).unwrap().to_owned()
    };
    let sum_h4: f64 = field("d2-h4-", "sum").parse().unwrap();
    assert!((sum_h4 - 1.2e-5).abs() < 1e-18, "{sum_h4}");
    assert_eq!(field("d2-h5-", "sum"), "NaN");
    assert_eq!(field("d2-h5-", "n_diverged"), "1");
    let min_hidden = csv_lines(&dir.join("min_hidden.csv"));
    assert_eq!(min_hidden[0], MinHiddenRow::COLUMNS.join(","));
    let aggregates: Vec<&str> = min_hidden[1..]
        .iter()
        .filter(|l| l.starts_with("2,"))
        .map(|l| l.split(',').nth(14).unwrap())
        .collect();
    assert_eq!(aggregates, ["min", "mean", "median", "sum"]);
}

/// Solved configs end at rounding noise (1e-16, 1e-25, exactly 0): every chart draws it at the
/// display floor (1e-3 × threshold) and says so, while the CSV files and the tables keep the
/// exact values.
#[test]
fn rounding_noise_is_drawn_at_the_floor_and_kept_exact_in_the_files() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let mut runs = Vec::new();
    for (n_hidden, losses) in [
        (2, [3e-3, 4e-3]),
        (3, [1e-16, 1e-25]),
        (4, [0.0, 0.0]),
        (5, [2e-7, 1e-25]),
    ] {
        for (i, loss) in losses.into_iter().enumerate() {
            runs.push(tree_row(3, n_hidden, i as u32, loss));
        }
    }
    write_table(dir, &runs).unwrap();
    let opts = options();
    let files = build(dir, &opts).unwrap();
    assert_eq!(report::display_floor(opts.threshold), 1e-8);
    assert_eq!(report::NOISE_FLOOR, 1e-3);

    // The files: exact.
    assert_eq!(read_runs(dir).unwrap(), runs);
    let summary: Vec<SummaryRow> = read_table(dir).unwrap();
    let mean = |h: u32| summary.iter().find(|r| r.n_hidden == h).unwrap().mean;
    assert_eq!(mean(3), (1e-16 + 1e-25) / 2.0);
    assert_eq!(mean(4), 0.0);

    // The charts: nothing below the floor, its tick reads `≤ 1e-8`, the footer says why.
    let slug = "tree-s0.5_b2_binary_seed0";
    for stem in [format!("heatmap_{slug}"), format!("loss_vs_hidden_{slug}")] {
        let svg = fs::read_to_string(dir.join("plots").join(format!("{stem}.svg"))).unwrap();
        let doc = roxmltree::Document::parse(&svg).unwrap();
        let texts: Vec<&str> = doc
            .descendants()
            .filter(|n| n.has_tag_name("text"))
            .filter_map(|n| n.text())
            .map(str::trim)
            .collect();
        assert!(texts.contains(&"≤ 1e-8"), "{stem}: {texts:?}");
        assert!(
            texts.iter().any(|t| t.starts_with(
                "Losses below 1e-8 (1e-3 × threshold) are rounding noise and drawn at 1e-8"
            )),
            "{stem}: {texts:?}"
        );
        for noise in ["1e-16", "1e-25", "1e-20", "1e-21", "0"] {
            assert!(!texts.contains(&noise), "{stem} shows {noise}");
        }
    }
    let heatmap = fs::read_to_string(dir.join(format!("plots/heatmap_{slug}.svg"))).unwrap();
    // n_hidden 3 and 4 are ticked at the floor; n_hidden 5's mean (1e-7) is above it.
    assert_eq!(heatmap.matches("✓ ≤1e-8").count(), 2);
    assert!(heatmap.contains("✓ 1.00e-7"));
    // The loss-vs-n_hidden chart marks each floored point (mean and min) with a ▼: n_hidden 3
    // and 4 for both, n_hidden 5 for the min only; plus the legend's.
    let lines = fs::read_to_string(dir.join(format!("plots/loss_vs_hidden_{slug}.svg"))).unwrap();
    assert_eq!(lines.matches("<polygon").count(), 2 + 2 + 1 + 1);

    // The tables: exact.
    let html = fs::read_to_string(&files.index).unwrap();
    assert!(html.contains("<td>5.0e-17</td>"), "the mean of n_hidden 3");
    assert!(html.contains("<td>1.0e-25</td>"), "the min of n_hidden 3");
    assert!(html.contains("Display floor: charts draw eval and train losses below 1e-8"));
}

/// A rebuild under another headline removes the charts of the old one, and only its own kinds.
#[test]
fn a_rebuild_removes_the_charts_it_no_longer_draws() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    write_table(dir, &headline_rows()).unwrap();
    let sum = ReportOptions {
        aggregate: Aggregate::Sum,
        ..options()
    };
    build(dir, &sum).unwrap();
    let plots = dir.join("plots");
    assert!(plots.join("min_hidden_sum.svg").is_file());
    fs::write(plots.join("geometry_gram_x.svg"), "<svg/>").unwrap();
    fs::write(plots.join("notes.txt"), "mine").unwrap();
    // A figure of a series no longer in the run (listed as written before), and files of the
    // user's, some named like figures.
    let figures = dir.join("figures");
    fs::write(figures.join("heatmap_gone.svg"), "<svg/>").unwrap();
    fs::write(figures.join("heatmap_gone.png"), "").unwrap();
    let listed = fs::read_to_string(figures.join(".tmh-figures")).unwrap();
    fs::write(
        figures.join(".tmh-figures"),
        format!("{listed}heatmap_gone\n"),
    )
    .unwrap();
    let mine = ["notes.txt", "heatmap_x_v2.png", "min_hidden_edited.svg"];
    for f in mine {
        fs::write(figures.join(f), "mine").unwrap();
    }
    build(dir, &options()).unwrap();
    assert!(!figures.join("heatmap_gone.svg").exists());
    assert!(!figures.join("heatmap_gone.png").exists());
    assert!(figures.join("min_hidden.svg").is_file());
    for f in mine {
        assert!(figures.join(f).is_file(), "{f}: not written by the report");
    }
    assert!(!plots.join("min_hidden_sum.svg").exists());
    assert!(!plots.join("min_hidden_sum.png").exists());
    assert!(plots.join("min_hidden_mean.svg").is_file());
    assert!(
        plots.join("geometry_gram_x.svg").is_file(),
        "not the report's"
    );
    assert!(plots.join("notes.txt").is_file());
}

/// The same losses at depths 1 and 6 pass a fixed threshold alike; divided by their bias-only
/// losses (0.1875 and 0.00668), only depth 1's pass a relative one, and every table, chart and
/// answer says "relative".
#[test]
fn a_relative_threshold_divides_by_the_bias_only_loss_everywhere() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let mut runs = Vec::new();
    for (depth, n_hidden, loss) in [(1, 2, 5e-6), (6, 2, 5e-6), (6, 3, 1e-9)] {
        for i in 0..2 {
            runs.push(RunRow::seed_example(depth, n_hidden, i, loss));
        }
    }
    write_table(dir, &runs).unwrap();
    // Curves falling to each instance's final loss.
    let curves: Vec<CurveRow> = (runs.iter())
        .flat_map(|r| {
            [(0, 0.1), (99, r.eval_loss)].map(|(step, loss)| CurveRow {
                config_id: r.config_id.clone(),
                instance: r.instance,
                step,
                loss,
            })
        })
        .collect();
    write_table(dir, &curves).unwrap();
    let fixed = ReportOptions::default();
    build(dir, &fixed).unwrap();
    let answers = |dir: &Path| -> Vec<Option<u32>> {
        let rows: Vec<MinHiddenRow> = read_table(dir).unwrap();
        (rows.iter())
            .filter(|r| r.aggregate == Aggregate::Mean)
            .map(|r| r.min_n_hidden)
            .collect()
    };
    assert_eq!(answers(dir), [Some(2), Some(2)]);

    let relative = ReportOptions {
        threshold: 1e-4,
        relative_loss: true,
        ..ReportOptions::default()
    };
    build(dir, &relative).unwrap();
    assert_eq!(answers(dir), [Some(2), Some(3)]);
    let summary: Vec<SummaryRow> = read_table(dir).unwrap();
    for row in &summary {
        let b = runs.iter().find(|r| r.config_id == row.config_id);
        let (loss, bias_only) = (b.unwrap().eval_loss, b.unwrap().bias_only_loss.unwrap());
        assert!(row.relative);
        assert_eq!(row.bias_only_loss, Some(bias_only));
        assert!((row.mean - loss / bias_only).abs() < 1e-15, "{row:?}");
    }
    let min_rows: Vec<MinHiddenRow> = read_table(dir).unwrap();
    assert!(min_rows.iter().all(|r| r.relative));
    // runs.csv keeps the losses themselves.
    assert_eq!(read_runs(dir).unwrap(), runs);
    let html = fs::read_to_string(dir.join("index.html")).unwrap();
    assert!(html.contains("Smallest n_hidden with relative eval loss &lt; 1.0e-4"));
    let chart = |kind: &str| {
        fs::read_to_string(dir.join(format!("plots/{kind}_tree-s0.5_b2_binary_seed0.svg"))).unwrap()
    };
    assert!(chart("heatmap").contains("Relative eval loss by depth and n_hidden"));
    let curves_svg = chart("curves");
    assert!(curves_svg.contains("Training curves (relative train loss)"));
    assert!(curves_svg.contains("Relative train loss before each logged step"));
    assert!(chart("loss_vs_hidden").contains("relative eval loss"));
    let bars = fs::read_to_string(dir.join("plots/min_hidden_mean.svg")).unwrap();
    assert!(
        bars.contains("min n_hidden (mean relative loss &lt; 1.0e-4)"),
        "{bars}"
    );
    assert!(html.contains("the relative losses here, ratios of two losses, are the same in both"));
    assert!(html.contains("but here the threshold is relative, so it sums ratios."));
    let text = report::min_hidden_text(&min_rows, &relative.rule());
    assert!(text.contains("  mean *           ≤2     3"), "{text}");
    assert!(text.contains("relative: each instance's loss divided by its bias-only loss"));

    // A row without a bias-only loss (an older runs.csv) is refused, naming it.
    let old: Vec<RunRow> = (runs.iter())
        .map(|r| RunRow {
            bias_only_loss: None,
            ..r.clone()
        })
        .collect();
    write_table(dir, &old).unwrap();
    let err = format!("{:#}", build(dir, &relative).unwrap_err());
    assert!(
        err.contains("d1-h2-b2-tree0.5-binary-s0 instance 0"),
        "{err}"
    );
    build(dir, &fixed).unwrap();
}

/// A loss answer narrower than decoding's is named on the page, as in the printed tables.
#[test]
fn the_page_notes_where_the_loss_passes_before_decoding() {
    let tmp = tempfile::tempdir().unwrap();
    let row = |n_hidden: u32, instance: u32, decoded: f64| RunRow {
        exact_loss: Some(1e-7),
        decoded: Some(decoded),
        ..RunRow::seed_example(2, n_hidden, instance, 1e-7)
    };
    let runs = vec![
        row(2, 0, 0.5),
        row(2, 1, 1.0),
        row(3, 0, 1.0),
        row(3, 1, 1.0),
    ];
    write_table(tmp.path(), &runs).unwrap();
    build(tmp.path(), &options()).unwrap();
    let html = fs::read_to_string(tmp.path().join("index.html")).unwrap();
    assert!(
        html.contains("<p class=\"note\"><strong>Lost features.</strong> The headline loss passes")
            && html.contains("depth 2 (loss ≤2, decoded 3)"),
        "{html}"
    );
    let table = fs::read_to_string(tmp.path().join("min_hidden.md")).unwrap();
    assert!(table.contains("depth 2 (loss ≤2, decoded 3)"), "{table}");
}
