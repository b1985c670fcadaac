//! `build` on a run folder made here: tables, charts and manifest.

mod support;

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

use geometry::{
    FeatureRow, GeometryOptions, GeometryRow, InstanceRow, ManifestEntry, Relation, build,
    build_with, read_manifest,
};
use report::{RunRow, Table, read_table, write_table};
use support::synthetic::write_weights;
use support::texts;

fn run_row(
    id: &str,
    structure: &str,
    depth: u32,
    n_hidden: u32,
    instance: u32,
    loss: f64,
) -> RunRow {
    RunRow {
        config_id: id.to_owned(),
        group: "g0".to_owned(),
        structure: structure.to_owned(),
        feature_probability: 0.25,
        diverged: !loss.is_finite(),
        ..RunRow::seed_example(depth, n_hidden, instance, loss)
    }
}

/// `W` `[H, F]` row-major from its F columns.
fn w_of<const H: usize>(columns: &[[f32; H]]) -> Vec<f32> {
    (0..H)
        .flat_map(|k| columns.iter().map(move |c| c[k]))
        .collect()
}

/// `[2, F]` from columns (x, y).
fn cols_2d(columns: &[(f32, f32)]) -> Vec<f32> {
    w_of(&columns.iter().map(|c| [c.0, c.1]).collect::<Vec<_>>())
}

/// Siblings antipodal at both levels of a depth-2 binary tree.
fn antipodal() -> Vec<f32> {
    cols_2d(&[
        (1.0, 0.0),
        (-1.0, 0.0),
        (0.0, 1.0),
        (0.0, -1.0),
        (0.0, 2.0),
        (0.0, -2.0),
    ])
}

fn pseudo_random(h: usize, f: usize, seed: u32) -> Vec<f32> {
    (0..h * f)
        .map(|k| (((k as u32).wrapping_mul(2_654_435_761) ^ seed) % 1000) as f32 / 500.0 - 1.0)
        .collect()
}

const A: &str = "d2-h2-b2-tree0.5-binary-s0";
const B: &str = "d2-h3-b2-tree0.5-binary-s0";
const C: &str = "d2-h2-b2-indep0.5-binary-s0";
const D: &str = "d1-h2-b2-tree0.5-binary-s0";

/// A: n_hidden 2, instance 2 diverged. B: n_hidden 3, below the threshold. C: independent,
/// never below it. D: no weights file.
fn make_run(dir: &Path) {
    let rows = vec![
        run_row(A, "tree", 2, 2, 0, 1e-3),
        run_row(A, "tree", 2, 2, 1, 2e-3),
        run_row(A, "tree", 2, 2, 2, f64::NAN),
        run_row(B, "tree", 2, 3, 1, 3e-6),
        run_row(B, "tree", 2, 3, 0, 5e-6),
        run_row(C, "independent", 2, 2, 0, 1e-2),
        run_row(C, "independent", 2, 2, 1, 2e-2),
        run_row(D, "tree", 1, 2, 0, 1e-7),
    ];
    write_table(dir, &rows).unwrap();
    let rotated: Vec<f32> = {
        let a = antipodal();
        let (c, s) = (0.6f32, 0.8f32);
        let (x, y) = a.split_at(6);
        let xs = x.iter().zip(y).map(|(x, y)| c * x - s * y);
        let ys = x.iter().zip(y).map(|(x, y)| s * x + c * y);
        xs.chain(ys).collect()
    };
    write_weights(dir, A, 2, 6, &[antipodal(), rotated, vec![f32::NAN; 12]]);
    write_weights(
        dir,
        B,
        3,
        6,
        &[pseudo_random(3, 6, 1), pseudo_random(3, 6, 2)],
    );
    write_weights(
        dir,
        C,
        2,
        6,
        &[pseudo_random(2, 6, 3), pseudo_random(2, 6, 4)],
    );
}

fn header(path: &Path) -> String {
    fs::read_to_string(path)
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .to_owned()
}

#[test]
fn build_writes_documented_tables_charts_and_manifest() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    make_run(dir);
    let plots = dir.join("plots");
    fs::create_dir_all(&plots).unwrap();
    for stale in [
        "geometry_gram_old.svg",
        "geometry_gram_old.png",
        "geometry_dims_old.svg",
    ] {
        fs::write(plots.join(stale), "stale").unwrap();
    }
    for kept in ["geometry_extra_other.svg", "heatmap_x.svg"] {
        fs::write(plots.join(kept), "<svg/>").unwrap();
    }

    let out = build(dir).unwrap();

    // Tables: documented headers, one row per analysed (instance, cell / feature).
    assert_eq!(
        header(&out.geometry_csv),
        "config_id,instance,relation,level,other_level,n_pairs,n_dead_pairs,mean_cos,\
         mean_abs_cos,min_cos,max_cos,q25_cos,median_cos,q75_cos"
    );
    assert_eq!(
        header(&out.features_csv),
        "config_id,instance,feature,level,parent,subtree,norm,superposition,dims,bias,dead"
    );
    assert_eq!(
        header(&out.instances_csv),
        "config_id,instance,n_hidden,n_features,feature_probability,eval_loss,best,has_tree,\
         frobenius_sq,total_dims,sum_dims,mean_superposition,n_dead"
    );
    assert_eq!(out.geometry_csv, dir.join("geometry.csv"));
    let geometry: Vec<GeometryRow> = read_table(dir).unwrap();
    let features: Vec<FeatureRow> = read_table(dir).unwrap();
    let instances: Vec<InstanceRow> = read_table(dir).unwrap();
    // 6 analysed instances (A: 2 of 3, B: 2, C: 2; D has no weights) × 5 cells of a depth-2
    // binary tree: sibling (1,1), (2,2); ancestor (2,1); unrelated (2,1), (2,2).
    assert_eq!(geometry.len(), 6 * 5);
    assert_eq!(features.len(), 6 * 6);
    assert_eq!(instances.len(), 6);
    for g in geometry.iter().filter(|g| g.config_id == A) {
        assert_ne!(g.instance, 2, "the diverged instance is not analysed");
        if g.relation == Relation::Sibling {
            assert!((g.mean_cos + 1.0).abs() < 1e-6, "{g:?}");
        }
    }
    let pairs: u64 = geometry
        .iter()
        .filter(|g| g.config_id == C && g.instance == 0)
        .map(|g| g.n_pairs + g.n_dead_pairs)
        .sum();
    assert_eq!(pairs, 15);
    assert!(
        geometry
            .iter()
            .any(|g| g.config_id == C && g.relation == Relation::Ancestor)
    );
    let f4 = features
        .iter()
        .find(|r| r.config_id == A && r.instance == 0 && r.feature == 4)
        .unwrap();
    assert_eq!((f4.level, f4.parent, f4.subtree), (2, Some(1), Some(1)));
    assert!((f4.norm - 2.0).abs() < 1e-9 && (f4.dims - 0.4).abs() < 1e-9);
    let best_b: Vec<u32> = instances
        .iter()
        .filter(|r| r.config_id == B && r.best)
        .map(|r| r.instance)
        .collect();
    assert_eq!(best_b, vec![1]);
    assert!(
        out.notes
            .iter()
            .any(|n| n.contains(D) && n.contains("no weights"))
    );
    assert!(
        out.notes
            .iter()
            .any(|n| n.contains(A) && n.contains("instance(s) 2"))
    );

    // Charts: n_hidden 2 configs get the 2D chart; each group's selected config (B: first
    // below the threshold; C: lowest loss, none below) gets gram, norms and cosines.
    let stems: BTreeSet<String> = out.figures.iter().map(|e| e.stem.clone()).collect();
    let expected: BTreeSet<String> = [
        format!("geometry_features2d_{A}"),
        format!("geometry_gram_{B}"),
        format!("geometry_norms_{B}"),
        format!("geometry_cosines_{B}"),
        format!("geometry_features2d_{C}"),
        format!("geometry_gram_{C}"),
        format!("geometry_norms_{C}"),
        format!("geometry_cosines_{C}"),
    ]
    .into_iter()
    .collect();
    assert_eq!(stems, expected);

    let manifest: Vec<ManifestEntry> = read_manifest(&plots).unwrap();
    assert_eq!(manifest, out.figures);
    for e in &manifest {
        assert!(!e.title.is_empty() && !e.caption.is_empty());
        let svg = fs::read_to_string(plots.join(format!("{}.svg", e.stem))).unwrap();
        let doc = roxmltree::Document::parse(&svg).unwrap();
        assert_eq!(doc.root_element().tag_name().name(), "svg");
        assert!(svg.contains(&e.title.replace('&', "&amp;")) || svg.contains(&e.title));
        let png = fs::read(plots.join(format!("{}.png", e.stem))).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    }
    // Every geometry chart file on disk is listed; stale ones were removed, others kept.
    let on_disk: BTreeSet<String> = fs::read_dir(&plots)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    for name in &on_disk {
        if let Some(stem) = name
            .strip_suffix(".svg")
            .or_else(|| name.strip_suffix(".png"))
            && stem.starts_with("geometry_")
            && stem != "geometry_extra_other"
        {
            assert!(stems.contains(stem), "{name} is not in the manifest");
        }
    }
    assert!(!on_disk.contains("geometry_gram_old.svg"));
    assert!(!on_disk.contains("geometry_dims_old.svg"));
    assert!(on_disk.contains("geometry_extra_other.svg") && on_disk.contains("heatmap_x.svg"));
    assert!(on_disk.contains("geometry.json"));
    assert!(out.files.contains(&out.manifest));
    assert_eq!(out.files.len(), 3 + 2 * expected.len() + 1);
}

#[test]
fn weights_that_disagree_with_runs_csv_fail_naming_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    write_table(dir, &[run_row(B, "tree", 2, 3, 0, 1e-6)]).unwrap();
    write_weights(dir, B, 2, 6, &[antipodal()]);
    let err = format!("{:#}", build(dir).unwrap_err());
    assert!(err.contains(&format!("{B}.safetensors")), "{err}");
    assert!(err.contains("n_hidden 3"), "{err}");
}

#[test]
fn empty_run_folder_gives_headers_only() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    write_table::<RunRow>(dir, &[]).unwrap();
    let out = build(dir).unwrap();
    assert!(out.figures.is_empty());
    assert_eq!(
        fs::read_to_string(&out.geometry_csv)
            .unwrap()
            .lines()
            .count(),
        1
    );
    assert_eq!(read_manifest(&dir.join("plots")).unwrap(), vec![]);
    assert_eq!(GeometryRow::FILE_NAME, "geometry.csv");
}

fn num(n: &roxmltree::Node, name: &str) -> f64 {
    n.attribute(name).unwrap().parse().unwrap()
}

fn hex(c: plotters::style::RGBColor) -> String {
    format!("#{:02X}{:02X}{:02X}", c.0, c.1, c.2)
}

/// The bars of a cosine chart's relation `rel` (x, y, width, height in pixels) and its dots
/// (cx, cy) of one instance each, read from the SVG; the legend's patch and dot are left out.
fn bars_and_dots(svg: &str, rel: usize) -> (Vec<[f64; 4]>, Vec<(f64, f64)>) {
    let doc = roxmltree::Document::parse(svg).unwrap();
    // The legend column is the rightmost LEGEND_WIDTH pixels.
    let chart_right = f64::from(report::draw::PLOT_WIDTH - report::draw::LEGEND_WIDTH);
    let fill = hex(report::draw::categorical(rel));
    let bars = doc
        .descendants()
        .filter(|n| n.has_tag_name("rect") && n.attribute("fill") == Some(fill.as_str()))
        .map(|n| {
            [
                num(&n, "x"),
                num(&n, "y"),
                num(&n, "width"),
                num(&n, "height"),
            ]
        })
        .filter(|b| b[0] < chart_right)
        .collect();
    let dots = doc
        .descendants()
        .filter(|n| n.has_tag_name("circle"))
        .map(|n| (num(&n, "cx"), num(&n, "cy")))
        .filter(|d| d.0 < chart_right)
        .collect();
    (bars, dots)
}

/// E: siblings antipodal (cosine −1) in the two instances below the threshold, not in the
/// failed one between them. F: no instance below the threshold, sibling cosines 0.6 and 0.
const E: &str = "d2-h2-b2-tree0.5-binary-s0";
const F: &str = "d1-h2-b2-tree0.5-binary-s0";

#[test]
fn cosine_bars_pool_the_instances_below_the_threshold_when_there_are_any() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let rows = vec![
        run_row(E, "tree", 2, 2, 0, 1e-7),
        run_row(E, "tree", 2, 2, 1, 4e-2),
        run_row(E, "tree", 2, 2, 2, 3e-7),
        run_row(F, "tree", 1, 2, 0, 1e-3),
        run_row(F, "tree", 1, 2, 1, 2e-3),
    ];
    write_table(dir, &rows).unwrap();
    let mirrored: Vec<f32> = antipodal().iter().map(|v| -v).collect();
    write_weights(
        dir,
        E,
        2,
        6,
        &[antipodal(), pseudo_random(2, 6, 5), mirrored],
    );
    let f_w = [
        cols_2d(&[(1.0, 0.0), (0.6, 0.8)]),
        cols_2d(&[(1.0, 0.0), (0.0, 1.0)]),
    ];
    write_weights(dir, F, 2, 2, &f_w);
    let out = build(dir).unwrap();
    let plots = dir.join("plots");
    let chart = |id: &str| {
        let e = out
            .figures
            .iter()
            .find(|e| e.stem == format!("geometry_cosines_{id}"))
            .unwrap();
        let svg = fs::read_to_string(plots.join(format!("{}.svg", e.stem))).unwrap();
        (e.caption.clone(), svg)
    };

    // E: the bars are the means of the two solved instances alone, one dot each.
    let (caption, svg) = chart(E);
    assert!(
        caption.contains(
            "Bars pool the pairs of the 2 of 3 analysed instances with eval loss < 1.0e-5, \
             leaving out the other 1; dots: one per pooled instance."
        ),
        "{caption}"
    );
    let sibling = Relation::Sibling as usize;
    let (bars, dots) = bars_and_dots(&svg, sibling);
    assert_eq!(bars.len(), 2, "a sibling bar per level: {bars:?}");
    for [x, y, w, h] in &bars {
        let on_bar: Vec<&(f64, f64)> = dots
            .iter()
            .filter(|d| (*x..=x + w).contains(&d.0))
            .collect();
        assert_eq!(on_bar.len(), 2, "one dot per solved instance: {on_bar:?}");
        // Both solved instances sit at −1, and so does the bar's end (the failed instance's
        // cosine would pull it up).
        for d in on_bar {
            assert!(
                (d.1 - (y + h)).abs() < 1.0,
                "bar {:?}, dot {d:?}",
                [x, y, w, h]
            );
        }
    }
    // 4 cells with pairs (siblings at levels 1 and 2, ancestor and unrelated at level 2) ×
    // 2 pooled instances.
    assert_eq!(dots.len(), 4 * 2);
    assert!(texts(&svg).iter().any(|t| t == "loss < 1.0e-5"));

    // F: none below, so both instances are pooled: the bar ends halfway between the dots.
    let (caption, svg) = chart(F);
    assert!(
        caption.contains(
            "Bars pool the pairs of all 2 analysed instance(s) (none has eval loss < 1.0e-5); \
             dots: one per instance."
        ),
        "{caption}"
    );
    let (bars, dots) = bars_and_dots(&svg, sibling);
    assert_eq!((bars.len(), dots.len()), (1, 2), "{bars:?} {dots:?}");
    let [_, y, _, _] = bars[0];
    assert!(
        (y - (dots[0].1 + dots[1].1) / 2.0).abs() < 1.0,
        "{bars:?} {dots:?}"
    );
}

/// By the decoding criterion, a config is picked where any instance decodes every sample,
/// and the cosine bars pool the decoding instances, whatever their loss.
#[test]
fn by_decoding_the_decoding_instances_pick_and_pool() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let decoding = |row: RunRow, decoded: f64| RunRow {
        exact_loss: Some(row.eval_loss),
        decoded: Some(decoded),
        ..row
    };
    let rows = vec![
        decoding(run_row(E, "tree", 2, 2, 0, 1e-7), 1.0),
        decoding(run_row(E, "tree", 2, 2, 1, 4e-2), 0.5),
        decoding(run_row(E, "tree", 2, 2, 2, 3e-7), 0.75),
        // F: the lowest-loss instance does not decode, the other does.
        decoding(run_row(F, "tree", 1, 2, 0, 1e-3), 0.5),
        decoding(run_row(F, "tree", 1, 2, 1, 2e-3), 1.0),
    ];
    write_table(dir, &rows).unwrap();
    write_weights(
        dir,
        E,
        2,
        6,
        &[antipodal(), pseudo_random(2, 6, 5), antipodal()],
    );
    let f_w = [
        cols_2d(&[(1.0, 0.0), (0.6, 0.8)]),
        cols_2d(&[(1.0, 0.0), (0.0, 1.0)]),
    ];
    write_weights(dir, F, 2, 2, &f_w);
    let opts = GeometryOptions {
        criterion: report::Criterion::Decoded,
        ..GeometryOptions::default()
    };
    let out = build_with(dir, &opts).unwrap();
    let caption = |id: &str| {
        out.figures
            .iter()
            .find(|e| e.stem == format!("geometry_cosines_{id}"))
            .unwrap()
            .caption
            .clone()
    };
    let e = caption(E);
    assert!(
        e.contains("the 1 of 3 analysed instances decoding every possible sample"),
        "{e}"
    );
    let f = caption(F);
    assert!(
        f.contains(
            "Shown: the smallest n_hidden (2) at which an instance decodes every possible sample"
        ),
        "{f}"
    );
    assert!(f.contains("the 1 of 2 analysed instances decoding"), "{f}");
    // By the loss, the captions name the loss these rows have: the exact one.
    let out = build(dir).unwrap();
    let e = &out
        .figures
        .iter()
        .find(|e| e.stem == format!("geometry_cosines_{E}"))
        .unwrap()
        .caption;
    assert!(
        e.contains("the 2 of 3 analysed instances with exact loss < 1.0e-5"),
        "{e}"
    );
    // The Gram and norm captions name the loss these rows have: the exact one.
    for kind in ["gram", "norms"] {
        let caption = &(out.figures.iter())
            .find(|e| e.stem == format!("geometry_{kind}_{E}"))
            .unwrap()
            .caption;
        assert!(
            caption.contains("instance (0, exact loss 1.0e-7)"),
            "{caption}"
        );
    }
    // Relative to the bias-only loss (0.1016 at depth 2), 1e-7 is 9.8e-7 and 3e-7 is 3.0e-6:
    // a threshold of 2e-6 keeps both by the loss, one by the relative loss.
    for (relative_loss, kept) in [
        (false, "2 of 3 analysed instances with exact loss < 2.0e-6"),
        (
            true,
            "1 of 3 analysed instances with relative exact loss < 2.0e-6",
        ),
    ] {
        let opts = GeometryOptions {
            threshold: 2e-6,
            relative_loss,
            ..GeometryOptions::default()
        };
        let out = build_with(dir, &opts).unwrap();
        let e = &(out.figures.iter())
            .find(|e| e.stem == format!("geometry_cosines_{E}"))
            .unwrap()
            .caption;
        assert!(e.contains(kept), "{e}");
    }
}

/// Whether a 2D chart draws the dashed circle of norm 1 in its panels (left of the legend).
fn draws_circle(svg: &str) -> bool {
    let doc = roxmltree::Document::parse(svg).unwrap();
    doc.descendants()
        .filter(|n| n.has_tag_name("polyline") && n.attribute("stroke") == Some("#AAAAAA"))
        .any(|n| {
            let first_x: f64 = n
                .attribute("points")
                .unwrap()
                .split([',', ' '])
                .next()
                .unwrap()
                .parse()
                .unwrap();
            first_x < 700.0
        })
}

#[test]
fn features_2d_legend_lists_the_circle_only_when_drawn_and_numbers_the_tips() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    // G: longest arrow 0.8 (the axes stretch to show norm 1). H: longest 0.3 (they don't).
    let g_id = "d2-h2-b2-tree0.5-binary-s1";
    let h_id = "d2-h2-b2-tree0.5-binary-s2";
    let mut rows = Vec::new();
    for (id, seed, scale) in [(g_id, 1, 0.4f32), (h_id, 2, 0.15)] {
        let mut r = run_row(id, "tree", 2, 2, 0, 1e-3);
        r.seed = seed.into();
        rows.push(r);
        let w: Vec<f32> = antipodal().iter().map(|v| v * scale).collect();
        write_weights(dir, id, 2, 6, &[w]);
    }
    write_table(dir, &rows).unwrap();
    let out = build(dir).unwrap();
    let plots = dir.join("plots");
    for (id, circle) in [(g_id, true), (h_id, false)] {
        let e = out
            .figures
            .iter()
            .find(|e| e.stem == format!("geometry_features2d_{id}"))
            .unwrap();
        let svg = fs::read_to_string(plots.join(format!("{}.svg", e.stem))).unwrap();
        let words = texts(&svg);
        assert_eq!(draws_circle(&svg), circle, "{id}");
        assert_eq!(
            words.iter().any(|w| w == "norm 1"),
            circle,
            "{id}: {words:?}"
        );
        assert_eq!(
            e.caption.contains("Dashed circle: norm 1."),
            circle,
            "{}",
            e.caption
        );
        // 6 features: every tip numbered.
        for i in 2..6 {
            assert!(
                words.iter().any(|w| *w == i.to_string()),
                "{i} in {words:?}"
            );
        }
        let footer = "Arrow = W_i (column i of W); number = feature index (breadth-first), \
                      unless it would overlap another.";
        assert!(words.iter().any(|w| w == footer), "{words:?}");
    }

    // Depth 5 (62 features): levels 1–4 (features 0–29) numbered where the numbers do not
    // overlap, the long level-1 and level-2 arrows always; and the footer says so.
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    support::synthetic::Synthetic {
        depths: 5..=5,
        hiddens: 2..=2,
        instances: 2,
        structures: vec!["tree"],
    }
    .write(dir);
    let out = build(dir).unwrap();
    let e = out.figures.iter().find(|e| e.kind == "features2d").unwrap();
    let svg = fs::read_to_string(dir.join("plots").join(format!("{}.svg", e.stem))).unwrap();
    let words = texts(&svg);
    assert!(draws_circle(&svg) && words.iter().any(|w| w == "norm 1"));
    for i in 2..6 {
        assert!(
            words.iter().any(|w| *w == i.to_string()),
            "{i} in {words:?}"
        );
    }
    let numbered = (6..30)
        .filter(|i| words.iter().any(|w| *w == i.to_string()))
        .count();
    assert!(
        numbered >= 12,
        "{numbered} of features 6–29 numbered: {words:?}"
    );
    for i in 30..62 {
        assert!(
            words.iter().all(|w| *w != i.to_string()),
            "{i} in {words:?}"
        );
    }
    let footer = "Arrow = W_i (column i of W); number = feature index (breadth-first), levels \
                  1–4 only, unless it would overlap another.";
    assert!(words.iter().any(|w| w == footer), "{words:?}");
    assert!(
        e.caption
            .contains("for levels 1–4 only (features 0–29: the 62 features are too many"),
        "{}",
        e.caption
    );
}

#[test]
fn colour_bar_titles_keep_clear_of_the_right_edge() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    make_run(dir);
    let out = build(dir).unwrap();
    let width = f64::from(report::draw::PLOT_WIDTH);
    let mut seen = 0;
    for e in out
        .figures
        .iter()
        .filter(|e| e.kind == "gram" || e.kind == "norms")
    {
        let svg = fs::read_to_string(dir.join("plots").join(format!("{}.svg", e.stem))).unwrap();
        let doc = roxmltree::Document::parse(&svg).unwrap();
        // The colour bar's title is the one text turned by 90°; its transform's centre is
        // the top of its glyphs, which extend to the left from there.
        let turned: Vec<f64> = doc
            .descendants()
            .filter(|n| n.has_tag_name("text"))
            .filter_map(|n| n.attribute("transform"))
            .filter_map(|t| t.strip_prefix("rotate(90, "))
            .map(|t| t.split(',').next().unwrap().trim().parse().unwrap())
            .collect();
        assert_eq!(turned.len(), 1, "{}: {turned:?}", e.stem);
        assert!(
            turned[0] <= width - 30.0,
            "{}: title at x {}",
            e.stem,
            turned[0]
        );
        seen += 1;
    }
    assert_eq!(seen, 4);
}

/// Depth 10's 2046 features: the Gram chart pools 16 × 16 blocks into 128 × 128 cells, so its
/// SVG stays small and renders (cell by cell it passed the renderer's node limit). Features 0
/// and 2045 share one direction, with lengths 10 and 5: the top-left block holds 100 (the
/// scale's top), the two off-diagonal corners 50 and the bottom-right one 25, each drawn in
/// its place, the last column and row 14 features wide (2046 = 127 · 16 + 14).
#[test]
fn a_gram_of_thousands_of_features_is_drawn_in_pooled_blocks() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let (id, h, f) = ("d10-h4-b2-tree0.5-binary-s0", 4, 2046);
    write_table(dir, &[run_row(id, "tree", 10, 4, 0, 1e-3)]).unwrap();
    let mut w: Vec<f32> = pseudo_random(h, f, 5).iter().map(|v| 0.01 * v).collect();
    for k in 1..h {
        (w[k * f], w[k * f + f - 1]) = (0.0, 0.0);
    }
    (w[0], w[f - 1]) = (10.0, 5.0);
    write_weights(dir, id, h, f, &[w]);
    let out = build(dir).unwrap();
    let gram = (out.figures.iter()).find(|e| e.kind == "gram").unwrap();
    assert!(
        gram.caption.contains("Each cell shows a 16 × 16 block"),
        "{}",
        gram.caption
    );
    let svg = fs::read_to_string(dir.join("plots").join(format!("{}.svg", gram.stem))).unwrap();
    assert!(svg.len() < 3_000_000, "{} bytes", svg.len());
    assert!(
        dir.join("plots")
            .join(format!("{}.png", gram.stem))
            .is_file()
    );
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let rects: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("rect"))
        .collect();
    assert!(
        (128 * 128..128 * 128 + 400).contains(&rects.len()),
        "{} rects",
        rects.len()
    );
    // The matrix's cells of colour `t` on the diverging scale, left to right, then down
    // (the colour bar, right of the matrix, has the same colours: its rects come later).
    let cells = |t: f64| -> Vec<[f64; 4]> {
        let fill = hex(report::draw::diverging(t));
        let mut found: Vec<[f64; 4]> = (rects.iter())
            .filter(|n| n.attribute("fill") == Some(fill.as_str()))
            .map(|n| [num(n, "x"), num(n, "y"), num(n, "width"), num(n, "height")])
            .filter(|r| r[2] < 20.0 && r[3] < 20.0)
            .collect();
        found.sort_by(|a, b| a[0].total_cmp(&b[0]).then(a[1].total_cmp(&b[1])));
        found
    };
    let (top, half, quarter) = (cells(1.0), cells(0.5), cells(0.25));
    let top_left = top[0];
    let [bottom_left, top_right] = half[..] else {
        panic!("{half:?}")
    };
    let bottom_right = quarter[0];
    let near = |a: f64, b: f64| (a - b).abs() <= 1.5;
    // Top left is the first row and column; the others line up with it.
    assert!(near(top_right[1], top_left[1]) && near(bottom_left[0], top_left[0]));
    assert!(near(bottom_right[0], top_right[0]) && near(bottom_right[1], bottom_left[1]));
    // The last cells start 127 · 16 features from the first, across and down, and end with
    // the matrix, 2046 features from its start (plotters rounds each rect to whole pixels).
    let px = (top_right[0] - top_left[0]) / (127.0 * 16.0);
    assert!(px > 0.2, "{top_left:?} {top_right:?}");
    assert!(
        near(bottom_left[1] - top_left[1], 127.0 * 16.0 * px),
        "{bottom_left:?}"
    );
    assert!(
        near(top_left[2], 16.0 * px) && near(top_left[3], 16.0 * px),
        "{top_left:?}"
    );
    assert!(
        near(top_right[0] + top_right[2] - top_left[0], 2046.0 * px),
        "{top_right:?}"
    );
    assert!(near(
        bottom_left[1] + bottom_left[3] - top_left[1],
        2046.0 * px
    ));
    // The norms chart names only the levels wide enough for their names (L6 is 64 of 2046
    // features, 22.5 px, room for its 22; L5 has half that), and its ticks give way at the
    // crowded left.
    let norms = (out.figures.iter()).find(|e| e.kind == "norms").unwrap();
    let svg = fs::read_to_string(dir.join("plots").join(format!("{}.svg", norms.stem))).unwrap();
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let texts: Vec<&str> = (doc.descendants())
        .filter(|n| n.has_tag_name("text"))
        .filter_map(|n| n.text().map(str::trim))
        .collect();
    for l in 1..=10 {
        let named = texts.contains(&format!("L{l}").as_str());
        assert_eq!(named, l >= 6, "L{l}: {texts:?}");
    }
    for tick in ["0", "254", "510", "1022", "2045"] {
        assert!(texts.contains(&tick), "{tick}: {texts:?}");
    }
    for crowded in ["14", "30", "62"] {
        assert!(!texts.contains(&crowded), "{crowded}: {texts:?}");
    }
    // Up to 128 features, every entry is its own cell.
    let small = tempfile::tempdir().unwrap();
    make_run(small.path());
    let grams = build(small.path()).unwrap().figures;
    let grams: Vec<_> = grams.iter().filter(|e| e.kind == "gram").collect();
    assert!(!grams.is_empty() && grams.iter().all(|e| !e.caption.contains("block")));
}

/// S, a depth-2 binary tree in 3 dimensions, both instances solved. Level 1: features 0 = x
/// and 1 = −x in both. Instance 0: 0's children antipodal (y, −y; cosine −1), 1's orthogonal
/// (y, z; 0). Instance 1: 0's children at 60° (cosine 0.5), 1's identical (z, z; 1).
const S: &str = "d2-h3-b2-tree0.5-binary-s0";

fn spread_run(dir: &Path) {
    let rows: Vec<RunRow> = (0..2).map(|k| run_row(S, "tree", 2, 3, k, 1e-7)).collect();
    write_table(dir, &rows).unwrap();
    let (x, y, z) = ([1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]);
    let minus = |v: [f32; 3]| v.map(|c| -c);
    let at_60 = [0.0, 0.5, 3f32.sqrt() / 2.0];
    let instances = [
        w_of(&[x, minus(x), y, minus(y), y, z]),
        w_of(&[x, minus(x), y, at_60, z, z]),
    ];
    write_weights(dir, S, 3, 6, &instances);
}

/// (min, q25, median, q75, max) of a `geometry.csv` row.
fn five_numbers(g: &GeometryRow) -> [f64; 5] {
    [g.min_cos, g.q25_cos, g.median_cos, g.q75_cos, g.max_cos]
}

fn assert_near(got: [f64; 5], want: [f64; 5], what: &str) {
    let near = got.iter().zip(want).all(|(g, w)| (g - w).abs() < 1e-6);
    assert!(near, "{what}: got {got:?}, want {want:?}");
}

#[test]
fn geometry_csv_has_the_quartiles_of_each_cells_cosines() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    spread_run(dir);
    build(dir).unwrap();
    let geometry: Vec<GeometryRow> = read_table(dir).unwrap();
    let cell = |instance: u32, relation: Relation, level: u32, other_level: u32| {
        (geometry.iter())
            .find(|g| {
                (g.instance, g.relation, g.level, g.other_level)
                    == (instance, relation, level, other_level)
            })
            .unwrap()
    };
    // Two level-2 sibling pairs each, quartiles interpolated between them: {−1, 0} and
    // {0.5, 1}.
    let sib = cell(0, Relation::Sibling, 2, 2);
    assert_eq!(sib.n_pairs, 2);
    assert_near(
        five_numbers(sib),
        [-1.0, -0.75, -0.5, -0.25, 0.0],
        "instance 0",
    );
    let sib = cell(1, Relation::Sibling, 2, 2);
    assert_near(
        five_numbers(sib),
        [0.5, 0.625, 0.75, 0.875, 1.0],
        "instance 1",
    );
    // Instance 0's cousins: (2, 4) +1, (2, 5) 0, (3, 4) −1, (3, 5) 0.
    let cousins = cell(0, Relation::Unrelated, 2, 2);
    assert_near(
        five_numbers(cousins),
        [-1.0, -0.25, 0.0, 0.25, 1.0],
        "cousins",
    );
    // Ancestors are orthogonal to their descendants: every statistic 0.
    let ancestors = cell(0, Relation::Ancestor, 2, 1);
    assert_near(five_numbers(ancestors), [0.0; 5], "ancestors");
    // One pair: every quantile is its cosine.
    let top = cell(1, Relation::Sibling, 1, 1);
    assert_near(five_numbers(top), [-1.0; 5], "level-1 siblings");
}

#[test]
fn geometry_csv_from_before_the_quartile_columns_still_reads() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    fs::write(
        dir.join("geometry.csv"),
        "config_id,instance,relation,level,other_level,n_pairs,n_dead_pairs,mean_cos,\
         mean_abs_cos,min_cos,max_cos\n\
         d1-h2-b2-tree0.5-binary-s0,0,sibling,1,1,1,0,-1.0,1.0,-1.0,-1.0\n",
    )
    .unwrap();
    let rows: Vec<GeometryRow> = read_table(dir).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!((rows[0].n_pairs, rows[0].max_cos), (1, -1.0));
    assert!(
        [rows[0].q25_cos, rows[0].median_cos, rows[0].q75_cos]
            .iter()
            .all(|v| v.is_nan())
    );
}

/// The 2-point polylines of `colour` and `width` left of the legend: (x0, y0, x1, y1).
fn segments(doc: &roxmltree::Document, colour: &str, width: &str) -> Vec<[f64; 4]> {
    let chart_right = f64::from(report::draw::PLOT_WIDTH - report::draw::LEGEND_WIDTH);
    (doc.descendants())
        .filter(|n| n.has_tag_name("polyline"))
        .filter(|n| n.attribute("stroke") == Some(colour))
        .filter(|n| n.attribute("stroke-width") == Some(width))
        .filter_map(|n| {
            let points: Vec<f64> = (n.attribute("points").unwrap())
                .split([',', ' '])
                .filter(|p| !p.is_empty())
                .map(|p| p.parse().unwrap())
                .collect();
            <[f64; 4]>::try_from(points).ok()
        })
        .filter(|s| s[0] < chart_right)
        .collect()
}

#[test]
fn cosine_chart_draws_a_box_plot_of_the_pooled_pairs_beside_each_bar() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    spread_run(dir);
    let out = build(dir).unwrap();
    let e = (out.figures.iter())
        .find(|e| e.stem == format!("geometry_cosines_{S}"))
        .unwrap();
    for words in ["box 25–75 %", "line median, whiskers min–max"] {
        assert!(e.caption.contains(words), "{}", e.caption);
    }
    let svg = fs::read_to_string(dir.join("plots").join(format!("{}.svg", e.stem))).unwrap();
    let legend = texts(&svg);
    for line in [
        "pairs' cosines:",
        "box 25–75 %, line median,",
        "whiskers min–max",
    ] {
        assert!(legend.iter().any(|t| t == line), "{line}: {legend:?}");
    }
    let doc = roxmltree::Document::parse(&svg).unwrap();

    // The value → pixel map, from the line at 0 (black across the plot, above the x axis)
    // and the level-1 siblings' bar, which ends at their mean, −1.
    let zero = segments(&doc, "#000000", "1")
        .into_iter()
        .filter(|s| s[1] == s[3] && s[2] - s[0] > 300.0)
        .map(|s| s[1])
        .fold(f64::INFINITY, f64::min);
    let (mut bars, _) = bars_and_dots(&svg, Relation::Sibling as usize);
    bars.sort_by(|a, b| a[0].total_cmp(&b[0]));
    assert_eq!(bars.len(), 2, "{bars:?}");
    let minus_one = bars[0][1] + bars[0][3];
    let y_of = |v: f64| zero + v * (zero - minus_one);
    // Each mark and each of the two references is rounded to a whole pixel: 1.5 px is 0.006
    // in cosine here, and the values below are 0.125 or more apart.
    let near = |got: f64, v: f64| (got - y_of(v)).abs() <= 1.5;
    // Level 2 pools both instances' sibling pairs: −1, 0, 0.5, 1 (mean 0.125).
    let [bx, by, bw, _] = bars[1];
    assert!(near(by, 0.125), "bar top {by}");
    let [min, q25, median, q75, max] = [-1.0, -0.25, 0.25, 0.625, 1.0];

    // The box: right of its bar, close to it, from q75 (top) down to q25.
    let boxes: Vec<[f64; 4]> = (doc.descendants())
        .filter(|n| n.has_tag_name("rect"))
        .filter(|n| n.attribute("fill") == Some(hex(report::draw::INK_FILL).as_str()))
        .map(|n| {
            [
                num(&n, "x"),
                num(&n, "y"),
                num(&n, "width"),
                num(&n, "height"),
            ]
        })
        .filter(|r| r[0] >= bx + bw && r[0] <= bx + bw + 6.0)
        .collect();
    assert_eq!(boxes.len(), 1, "{boxes:?}");
    let [x, top, width, height] = boxes[0];
    assert!((4.0..=14.0).contains(&width), "box width {width}");
    assert!(near(top, q75), "box top {top}");
    assert!(near(top + height, q25), "box bottom {}", top + height);
    let inside = |s: &[f64; 4]| s[0] >= x - 0.5 && s[2] <= x + width + 0.5;

    // The median: a thick line across the box.
    let ink = hex(report::draw::INK);
    let medians: Vec<[f64; 4]> = (segments(&doc, &ink, "2").into_iter())
        .filter(|s| inside(s) && s[1] == s[3])
        .collect();
    assert_eq!(medians.len(), 1, "{medians:?}");
    assert!(near(medians[0][1], median), "{medians:?}");
    assert!(medians[0][2] - medians[0][0] >= width - 1.0, "{medians:?}");

    // Whiskers: from the box's ends out to the minimum and the maximum, in its middle, with
    // caps there.
    let thin = segments(&doc, &ink, "1");
    let mut whiskers: Vec<(f64, f64)> = (thin.iter())
        .filter(|s| inside(s) && s[0] == s[2])
        .map(|s| (s[1].min(s[3]), s[1].max(s[3])))
        .collect();
    whiskers.sort_by(|a, b| a.0.total_cmp(&b.0));
    assert_eq!(whiskers.len(), 2, "{whiskers:?}");
    let (upper, lower) = (whiskers[0], whiskers[1]);
    assert!(
        near(upper.0, max) && near(upper.1, q75),
        "upper whisker {upper:?}"
    );
    assert!(
        near(lower.0, q25) && near(lower.1, min),
        "lower whisker {lower:?}"
    );
    let caps: Vec<f64> = (thin.iter())
        .filter(|s| inside(s) && s[1] == s[3])
        .filter(|s| s[2] - s[0] < width - 2.0)
        .map(|s| s[1])
        .collect();
    assert_eq!(caps.len(), 2, "{caps:?}");
    assert!(caps.iter().any(|y| near(*y, min)) && caps.iter().any(|y| near(*y, max)));
}
