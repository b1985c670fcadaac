//! Numbering and spec-validation helpers of `TreeSpec`.

use tree_data::{MAX_FEATURES, SpecError, TreeSpec};

fn small_trees() -> Vec<TreeSpec> {
    [(1, 2), (3, 2), (4, 2), (1, 3), (3, 3), (2, 5)]
        .into_iter()
        .map(|(d, b)| TreeSpec::new(d, b, 0.25).unwrap())
        .collect()
}

#[test]
fn n_features_is_sum_of_level_widths() {
    for (depth, branching) in [(1u32, 2u32), (4, 2), (15, 2), (3, 3), (5, 4), (1, 100)] {
        let spec = TreeSpec::new(depth, branching, 0.0).unwrap();
        let expected: usize = (1..=depth).map(|l| (branching as usize).pow(l)).sum();
        assert_eq!(
            spec.n_features(),
            expected,
            "depth {depth} branching {branching}"
        );
        assert_eq!(spec.marginals().len(), expected);
    }
}

#[test]
fn binary_parent_is_seed_heap_order() {
    let spec = TreeSpec::new(5, 2, 0.5).unwrap();
    for f in 0..spec.n_features() {
        // Feature f is heap node f + 1, whose heap parent is (f + 1 - 1) / 2 = f / 2;
        // heap node 0 is the root, otherwise heap node h is feature h - 1.
        let heap_parent = f / 2;
        let expected = if heap_parent == 0 {
            None
        } else {
            Some(heap_parent - 1)
        };
        assert_eq!(spec.parent(f), expected, "feature {f}");
    }
}

#[test]
fn helpers_agree_with_each_other() {
    for spec in small_trees() {
        let n = spec.n_features();
        let b = spec.branching() as usize;
        let mut seen = vec![false; n];
        for level in 1..=spec.depth() {
            let range = spec.level_range(level);
            assert_eq!(range.len(), b.pow(level));
            for f in range {
                assert_eq!(spec.level(f), level);
                assert!(!seen[f], "feature {f} in two levels");
                seen[f] = true;
            }
        }
        assert!(seen.iter().all(|&s| s), "levels do not cover all features");

        for f in 0..n {
            let level = spec.level(f);
            // Parent is one level up and lists f among its children.
            match spec.parent(f) {
                None => assert_eq!(level, 1),
                Some(p) => {
                    assert_eq!(spec.level(p) + 1, level);
                    assert!(spec.children(p).contains(&f));
                }
            }
            // Children: b of them one level down for inner nodes, none for leaves.
            let children = spec.children(f);
            if level == spec.depth() {
                assert!(children.is_empty());
            } else {
                assert_eq!(children.len(), b);
                for c in children {
                    assert_eq!(spec.parent(c), Some(f));
                }
            }
            // Ancestors: nearest first, one per level above.
            let ancestors = spec.ancestors(f);
            assert_eq!(ancestors.len(), level as usize - 1);
            let mut node = f;
            for &a in &ancestors {
                assert_eq!(spec.parent(node), Some(a));
                node = a;
            }
            // Siblings: same parent, same level, f excluded.
            let siblings = spec.siblings(f);
            assert_eq!(siblings.len(), b - 1);
            for s in siblings {
                assert_ne!(s, f);
                assert_eq!(spec.parent(s), spec.parent(f));
                assert_eq!(spec.level(s), level);
            }
        }
    }
}

#[test]
fn ternary_tree_layout() {
    let spec = TreeSpec::new(2, 3, 0.0).unwrap();
    assert_eq!(spec.n_features(), 12);
    assert_eq!(spec.level_range(1), 0..3);
    assert_eq!(spec.children(0), 3..6);
    assert_eq!(spec.children(2), 9..12);
    assert_eq!(spec.parent(10), Some(2));
    assert_eq!(spec.ancestors(10), vec![2]);
    assert_eq!(spec.siblings(1), vec![0, 2]);
    assert_eq!(spec.siblings(10), vec![9, 11]);
}

#[test]
fn marginals_follow_closed_form() {
    let spec = TreeSpec::new(3, 3, 0.3).unwrap();
    let marginals = spec.marginals();
    assert_eq!(marginals.len(), spec.n_features());
    for (f, &marginal) in marginals.iter().enumerate() {
        let level = spec.level(f);
        let expected = (0.7f64 / 3.0).powi(level as i32);
        assert!((marginal - expected).abs() < 1e-15);
        assert_eq!(marginal, spec.marginal(level));
    }
    assert_eq!(spec.marginal(0), 1.0);
    // A level's marginals sum to the probability that the path reaches it.
    for level in 1..=3 {
        let sum: f64 = spec.level_range(level).map(|f| marginals[f]).sum();
        assert!((sum - 0.7f64.powi(level as i32)).abs() < 1e-12);
    }
}

#[test]
fn new_rejects_bad_fields_naming_them() {
    let cases: [(u32, u32, f64, SpecError, &str); 6] = [
        (0, 2, 0.5, SpecError::Depth(0), "depth = 0"),
        (3, 1, 0.5, SpecError::Branching(1), "branching = 1"),
        (
            3,
            2,
            1.0,
            SpecError::StopProb(1.0),
            "stop_prob = 1 is outside [0, 1)",
        ),
        (3, 2, -0.1, SpecError::StopProb(-0.1), "stop_prob = -0.1"),
        (
            3,
            2,
            1.2,
            SpecError::StopProb(1.2),
            "stop_prob = 1.2 is outside [0, 1)",
        ),
        (
            16,
            2,
            0.5,
            SpecError::TooManyFeatures {
                depth: 16,
                branching: 2,
            },
            "depth = 16 with branching = 2",
        ),
    ];
    for (depth, branching, stop_prob, error, text) in cases {
        let got = TreeSpec::new(depth, branching, stop_prob).unwrap_err();
        assert_eq!(got, error);
        assert!(got.to_string().contains(text), "{got}");
    }

    let nan = TreeSpec::new(3, 2, f64::NAN).unwrap_err();
    assert!(matches!(nan, SpecError::StopProb(p) if p.is_nan()));
    assert!(nan.to_string().contains("stop_prob = NaN"), "{nan}");

    let huge = TreeSpec::new(u32::MAX, u32::MAX, 0.5).unwrap_err();
    assert!(
        huge.to_string().contains(&MAX_FEATURES.to_string()),
        "{huge}"
    );
    assert!(huge.to_string().contains("depth") && huge.to_string().contains("branching"));

    // The largest allowed trees.
    assert_eq!(TreeSpec::new(15, 2, 0.0).unwrap().n_features(), 65_534);
    assert_eq!(
        TreeSpec::new(1, 1 << 16, 0.0).unwrap().n_features(),
        MAX_FEATURES
    );
    assert!(TreeSpec::new(1, (1 << 16) + 1, 0.0).is_err());
    assert!(TreeSpec::new(3, 2, 0.0).is_ok());
}
