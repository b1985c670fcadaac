//! Titles, captions and chart text read as single-spaced lines: no runs of spaces and no line
//! breaks, from string literals continued across source lines or anywhere else, in any of the
//! sentences the charts of a mixed synthetic run put together.

mod support;

use std::collections::BTreeSet;
use std::fs;

use geometry::{GeometryOptions, build_with, read_manifest};
use report::{RunRow, read_runs, write_table};
use support::synthetic::{Synthetic, polygon_2d, sparse_row, write_sparse, write_weights};
use support::texts;

/// Too many features to number their arrows.
const MANY: &str = "f48-p0.01-h2-uniform-s0";

fn tidy(text: &str) -> bool {
    !text.contains("  ") && !text.contains('\n') && text.trim() == text
}

#[test]
fn titles_captions_and_chart_text_have_no_runs_of_spaces_or_line_breaks() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    Synthetic {
        depths: 1..=5,
        hiddens: 2..=3,
        instances: 3,
        structures: vec!["tree", "independent"],
    }
    .write(dir);
    write_sparse(dir);
    let mut runs: Vec<RunRow> = read_runs(dir).unwrap();
    runs.extend((0..2).map(|k| sparse_row(MANY, 48, 2, k, 0.01, 0.02)));
    write_table(dir, &runs).unwrap();
    write_weights(
        dir,
        MANY,
        2,
        48,
        &[polygon_2d(40, 8, 0.0), polygon_2d(48, 0, 0.1)],
    );

    let mut kinds = BTreeSet::new();
    let mut sentences = BTreeSet::new();
    // Thresholds that make the cosine charts pool some, all and none of their instances.
    for threshold in [1e-5, 1e-3, 1.0, 1e-12] {
        let opts = GeometryOptions {
            threshold,
            ..GeometryOptions::default()
        };
        let out = build_with(dir, &opts).unwrap();
        let plots = dir.join("plots");
        let manifest = read_manifest(&plots).unwrap();
        assert_eq!(manifest, out.figures);
        for e in &manifest {
            kinds.insert(e.kind.clone());
            assert!(tidy(&e.title), "{}: title {:?}", e.stem, e.title);
            assert!(tidy(&e.caption), "{}: caption {:?}", e.stem, e.caption);
            for s in [
                "leaving out the other",
                "each with eval loss",
                "none has eval loss",
                "levels 1–4 only",
                "are not numbered",
                "Dashed circle: norm 1.",
                "pair shares one hue",
            ] {
                if e.caption.contains(s) {
                    sentences.insert(s);
                }
            }
            let svg = fs::read_to_string(plots.join(format!("{}.svg", e.stem))).unwrap();
            for t in texts(&svg) {
                assert!(tidy(&t), "{}: chart text {t:?}", e.stem);
            }
        }
    }
    let all_kinds = ["cosines", "dims", "features2d", "gram", "norms"];
    assert_eq!(kinds, all_kinds.iter().map(|k| k.to_string()).collect());
    assert_eq!(sentences.len(), 7, "sentences seen: {sentences:?}");
}
