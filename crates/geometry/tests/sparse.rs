//! `build` on a TMS-style run folder (sparse features without a tree, feature probability
//! varying across and within configs): the dimensions-per-feature chart, the 2D pictures, and
//! Gram and norm charts without tree levels.

mod support;

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

use geometry::{
    DimsPoint, FeatureRow, InstanceRow, ManifestEntry, build, dims_line, dims_points, read_manifest,
};
use report::{RunRow, read_table, write_table};
use support::synthetic::{orthogonal_2d, polygon_2d, sparse_row, write_weights};
use support::texts;

/// Three instances, p falling from 1 to 0.02 (ARENA-style, within one config).
const PLOG: &str = "f5-plog1-0.02-h2-uniform-s0";
/// One instance at p = 0.01: same series as PLOG (same everything but p).
const P001: &str = "f5-p0.01-h2-uniform-s0";
/// n_hidden 3 with a correlated and an anticorrelated pair, one p: no dims chart.
const PAIRS: &str = "f6-p0.05-h3-uniform-s0";
/// n_hidden 2, 5 features, one p only and a different seed: its own series, no dims chart.
const LONE: &str = "f5-p0.1-h2-uniform-s1";

const P_MID: f64 = 0.141_421_356_237_309_5;

fn make_run(dir: &Path) {
    let pairs_row = |k: u32| {
        let mut r = sparse_row(PAIRS, 6, 3, k, 0.05, 1e-2);
        r.correlated_pairs = 1;
        r.anticorrelated_pairs = 1;
        r
    };
    let mut lone = sparse_row(LONE, 5, 2, 0, 0.1, 3e-2);
    lone.seed = 1.into();
    let rows: Vec<RunRow> = vec![
        sparse_row(PLOG, 5, 2, 0, 1.0, 0.2),
        sparse_row(PLOG, 5, 2, 1, P_MID, 0.05),
        sparse_row(PLOG, 5, 2, 2, 0.02, 0.003),
        sparse_row(PLOG, 5, 2, 3, 0.5, f64::NAN),
        sparse_row(P001, 5, 2, 0, 0.01, 0.001),
        pairs_row(0),
        pairs_row(1),
        lone,
    ];
    write_table(dir, &rows).unwrap();
    write_weights(
        dir,
        PLOG,
        2,
        5,
        &[
            // 2 orthogonal features, 3 dead: n_hidden / ‖W‖_F² = 1.
            orthogonal_2d(3),
            // Two antipodal pairs and a dead feature: 1/2 each.
            polygon_2d(4, 1, 0.3),
            // The pentagon: 2/5 each.
            polygon_2d(5, 0, 0.1),
            vec![f32::NAN; 10],
        ],
    );
    write_weights(dir, P001, 2, 5, &[polygon_2d(5, 0, 1.0)]);
    let pairs_w: Vec<f32> = (0..18).map(|k| ((k * 7 % 11) as f32 - 5.0) / 5.0).collect();
    write_weights(dir, PAIRS, 3, 6, &[pairs_w.clone(), pairs_w]);
    write_weights(dir, LONE, 2, 5, &[polygon_2d(5, 0, 0.0)]);
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-6
}

#[test]
fn sparse_sweep_gets_the_dims_chart_and_untreed_charts() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    make_run(dir);
    let out = build(dir).unwrap();
    assert!(
        out.notes
            .iter()
            .any(|n| n.contains(PLOG) && n.contains("instance(s) 3")),
        "{:?}",
        out.notes
    );

    // geometry_instances.csv has the feature probability of every analysed instance.
    let header = fs::read_to_string(&out.instances_csv)
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .to_owned();
    assert_eq!(
        header,
        "config_id,instance,n_hidden,n_features,feature_probability,eval_loss,best,has_tree,\
         frobenius_sq,total_dims,sum_dims,mean_superposition,n_dead"
    );
    let instances: Vec<InstanceRow> = read_table(dir).unwrap();
    let p_of: Vec<(String, u32, f64)> = instances
        .iter()
        .map(|r| (r.config_id.clone(), r.instance, r.feature_probability))
        .collect();
    assert_eq!(
        p_of,
        vec![
            (PLOG.to_owned(), 0, 1.0),
            (PLOG.to_owned(), 1, P_MID),
            (PLOG.to_owned(), 2, 0.02),
            (P001.to_owned(), 0, 0.01),
            (PAIRS.to_owned(), 0, 0.05),
            (PAIRS.to_owned(), 1, 0.05),
            (LONE.to_owned(), 0, 0.1),
        ]
    );
    assert!(instances.iter().all(|r| !r.has_tree));

    // The charts: a 2D picture per n_hidden-2 config; Gram and norms per (series, p) group;
    // one dims chart for the series with several p; no cosines without a tree.
    let stems: BTreeSet<String> = out.figures.iter().map(|e| e.stem.clone()).collect();
    let dims_stem = "geometry_dims_f5-h2-uniform-s0".to_owned();
    let mut expected: BTreeSet<String> = [PLOG, P001, LONE]
        .iter()
        .map(|id| format!("geometry_features2d_{id}"))
        .collect();
    for id in [PLOG, P001, PAIRS, LONE] {
        expected.insert(format!("geometry_gram_{id}"));
        expected.insert(format!("geometry_norms_{id}"));
    }
    expected.insert(dims_stem.clone());
    assert_eq!(stems, expected);
    assert!(out.figures.iter().all(|e| e.kind != "cosines"));

    let plots = dir.join("plots");
    let manifest: Vec<ManifestEntry> = read_manifest(&plots).unwrap();
    assert_eq!(manifest, out.figures);
    let dims = manifest.iter().find(|e| e.stem == dims_stem).unwrap();
    assert_eq!(dims.kind, "dims");
    assert_eq!(dims.config_id.as_deref(), Some(PLOG));
    assert!(dims.title.contains("1/(1−S)"), "{}", dims.title);
    for e in &manifest {
        let svg = fs::read_to_string(plots.join(format!("{}.svg", e.stem))).unwrap();
        let words = texts(&svg);
        let png = fs::read(plots.join(format!("{}.png", e.stem))).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        // Nothing speaks of tree levels or depth.
        for bad in ["level", "depth", "breadth-first", "L1"] {
            assert!(!e.caption.contains(bad), "{}: {}", e.stem, e.caption);
            assert!(
                words.iter().all(|w| !w.contains(bad)),
                "{}: {words:?}",
                e.stem
            );
        }
        if e.kind == "dims" {
            for t in ["1", "3/4", "2/3", "1/2", "2/5", "3/8", "10", "100"] {
                assert!(words.iter().any(|w| w == t), "{t} in {words:?}");
            }
        }
    }

    // The 2D picture of the config whose instances differ in p titles its panels with p,
    // spread over p (dense first); the one with a single p does not.
    let plog_2d =
        fs::read_to_string(plots.join(format!("geometry_features2d_{PLOG}.svg"))).unwrap();
    let words = texts(&plog_2d);
    let titles: Vec<&String> = words.iter().filter(|w| w.starts_with("instance")).collect();
    assert_eq!(
        titles,
        [
            "instance 0 · p 1 · loss 2.0e-1",
            "instance 1 · p 0.1414 · loss 5.0e-2",
            "instance 2 · p 0.02 · loss 3.0e-3"
        ]
    );
    // Feature indices at the arrow tips: the pentagon's 5 (the other panels' live ones too).
    for i in ["0", "1", "2", "3", "4"] {
        assert!(words.iter().any(|w| w == i), "{i} in {words:?}");
    }
    let lone_2d =
        fs::read_to_string(plots.join(format!("geometry_features2d_{LONE}.svg"))).unwrap();
    assert!(
        texts(&lone_2d)
            .iter()
            .any(|w| w == "instance 0 · loss 3.0e-2")
    );

    // The pairs config says how it marks its pairs.
    let gram = manifest
        .iter()
        .find(|e| e.stem == format!("geometry_gram_{PAIRS}"))
        .unwrap();
    assert!(
        gram.caption.contains("correlated pair") && gram.caption.contains("anticorrelated"),
        "{}",
        gram.caption
    );
    let norms = manifest
        .iter()
        .find(|e| e.stem == format!("geometry_norms_{PAIRS}"))
        .unwrap();
    assert!(
        norms.caption.contains("anticorrelated pairs"),
        "{}",
        norms.caption
    );
    let plog_2d_entry = manifest
        .iter()
        .find(|e| e.stem == format!("geometry_features2d_{PLOG}"))
        .unwrap();
    assert!(
        plog_2d_entry.caption.contains("p from 0.02 to 1"),
        "{}",
        plog_2d_entry.caption
    );
}

#[test]
fn dims_points_from_the_csvs_have_the_known_dimensions() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    make_run(dir);
    build(dir).unwrap();
    let instances: Vec<InstanceRow> = read_table(dir).unwrap();
    let features: Vec<FeatureRow> = read_table(dir).unwrap();
    let series = |r: &str| r == PLOG || r == P001;
    let instances: Vec<InstanceRow> = instances
        .into_iter()
        .filter(|r| series(&r.config_id))
        .collect();
    let features: Vec<FeatureRow> = features
        .into_iter()
        .filter(|r| series(&r.config_id))
        .collect();

    let points: Vec<DimsPoint> = dims_points(&instances, &features);
    let got: Vec<(&str, u32)> = points
        .iter()
        .map(|p| (p.config_id.as_str(), p.instance))
        .collect();
    assert_eq!(got, vec![(PLOG, 0), (PLOG, 1), (PLOG, 2), (P001, 0)]);
    let xs: Vec<f64> = points.iter().map(|p| p.x).collect();
    for (x, want) in xs.iter().zip([1.0, 1.0 / P_MID, 50.0, 100.0]) {
        assert!((x - want).abs() < 1e-9 * want, "{xs:?}");
    }
    // Total dims: 2 orthogonal + 3 dead → 1; two antipodal pairs → 1/2; pentagons → 2/5.
    let totals: Vec<f64> = points.iter().map(|p| p.total_dims).collect();
    for (t, want) in totals.iter().zip([1.0, 0.5, 0.4, 0.4]) {
        assert!(close(*t, want), "{totals:?}");
    }
    // Per feature: live features only.
    let per_feature: Vec<Vec<f64>> = points.iter().map(|p| p.feature_dims.clone()).collect();
    let want = [vec![1.0; 2], vec![0.5; 4], vec![0.4; 5], vec![0.4; 5]];
    for (got, want) in per_feature.iter().zip(&want) {
        assert_eq!(got.len(), want.len(), "{per_feature:?}");
        assert!(
            got.iter().zip(want).all(|(g, w)| close(*g, *w)),
            "{per_feature:?}"
        );
    }
    // The line: one point per x, through the instance totals.
    let line = dims_line(&points);
    assert_eq!(line.len(), 4);
    assert!(line.iter().zip(&totals).all(|((_, y), t)| close(*y, *t)));
}

/// A per-feature list with mean 0.2 (group `f3-plist-1a2b3c4d-uniform`), tried at n_hidden 2
/// and 3; the constant 0.2 (group `f3-p0.2-uniform`) at n_hidden 2: same n_features,
/// importance and mean p, two data sets.
const LIST_H2: &str = "f3-plist-1a2b3c4d-h2-uniform-s0";
const LIST_H3: &str = "f3-plist-1a2b3c4d-h3-uniform-s0";
const CONST_H2: &str = "f3-p0.2-h2-uniform-s0";

#[test]
fn data_sets_with_the_same_mean_p_get_their_own_charts() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    // The list reaches the threshold only at n_hidden 3, the constant at 2 already: were they
    // one group, only the constant's n_hidden-2 config would get Gram and norm charts.
    let rows: Vec<RunRow> = vec![
        sparse_row(LIST_H2, 3, 2, 0, 0.2, 1e-3),
        sparse_row(LIST_H2, 3, 2, 1, 0.2, 2e-3),
        sparse_row(LIST_H3, 3, 3, 0, 0.2, 1e-7),
        sparse_row(CONST_H2, 3, 2, 0, 0.2, 1e-7),
    ];
    assert_eq!(rows[0].group, "f3-plist-1a2b3c4d-uniform");
    assert_eq!(rows[3].group, "f3-p0.2-uniform");
    write_table(dir, &rows).unwrap();
    write_weights(
        dir,
        LIST_H2,
        2,
        3,
        &[polygon_2d(3, 0, 0.0), polygon_2d(3, 0, 0.5)],
    );
    let identity: Vec<f32> = (0..9).map(|k| if k % 4 == 0 { 1.0 } else { 0.0 }).collect();
    write_weights(dir, LIST_H3, 3, 3, &[identity]);
    write_weights(dir, CONST_H2, 2, 3, &[polygon_2d(3, 0, 0.2)]);

    let out = build(dir).unwrap();
    assert!(out.notes.is_empty(), "{:?}", out.notes);
    let stems: BTreeSet<String> = out.figures.iter().map(|e| e.stem.clone()).collect();
    let mut expected: BTreeSet<String> = [LIST_H2, CONST_H2]
        .iter()
        .map(|id| format!("geometry_features2d_{id}"))
        .collect();
    for id in [LIST_H3, CONST_H2] {
        expected.insert(format!("geometry_gram_{id}"));
        expected.insert(format!("geometry_norms_{id}"));
    }
    assert_eq!(stems, expected);
    // The captions say which data set each group is.
    for (id, data_set) in [(LIST_H3, "f3-plist-1a2b3c4d"), (CONST_H2, "f3-p0.2")] {
        for kind in ["gram", "norms"] {
            let e = out
                .figures
                .iter()
                .find(|e| e.stem == format!("geometry_{kind}_{id}"))
                .unwrap();
            assert!(
                e.caption.contains(&format!(
                    "among the configs of data set {data_set} with 3 features and p = 0.2"
                )),
                "{}",
                e.caption
            );
        }
    }

    // The report files each data set's figures under its own series.
    let files = report::build(dir, &report::ReportOptions::default()).unwrap();
    let html = fs::read_to_string(&files.index).unwrap();
    for data_set in ["f3-plist-1a2b3c4d", "f3-p0.2"] {
        let heading = format!("<h4>sparse F=3, p=0.2, data set {data_set}, uniform, seed 0</h4>");
        // Under the 2D, Gram and norms headings.
        assert_eq!(html.matches(&heading).count(), 3, "{heading}");
    }
    assert_eq!(report::broken_links(dir).unwrap(), Vec::<String>::new());
}

/// Relative to its own bias-only loss (uniform magnitudes: p/3 − p²/4), the instance at
/// p = 0.5 with loss 1e-2 (9.6e-2 of 0.104) beats the one at p = 0.02 with loss 3e-3 (0.46 of
/// 0.0066): by a relative threshold the figures show it, and say both numbers.
#[test]
fn a_relative_threshold_ranks_instances_by_their_own_bias_only_loss() {
    const ID: &str = "f5-pinst-h2-uniform-s0";
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let rows = vec![
        sparse_row(ID, 5, 2, 0, 0.5, 1e-2),
        sparse_row(ID, 5, 2, 1, 0.02, 3e-3),
    ];
    write_table(dir, &rows).unwrap();
    write_weights(dir, ID, 2, 5, &[polygon_2d(5, 0, 0.1), orthogonal_2d(3)]);
    let caption = |relative_loss: bool| {
        let opts = geometry::GeometryOptions {
            threshold: 0.2,
            relative_loss,
            ..geometry::GeometryOptions::default()
        };
        let out = geometry::build_with(dir, &opts).unwrap();
        (out.figures.iter())
            .find(|e| e.stem == format!("geometry_gram_{ID}"))
            .unwrap()
            .caption
            .clone()
    };
    let absolute = caption(false);
    assert!(
        absolute.contains("instance (1, p = 0.02, eval loss 3.0e-3)"),
        "{absolute}"
    );
    let relative = caption(true);
    assert!(
        relative.contains("instance (0, p = 0.5, eval loss 1.0e-2, 9.6e-2 of the bias-only loss)"),
        "{relative}"
    );
}
