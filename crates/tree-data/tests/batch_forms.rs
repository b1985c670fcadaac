//! Sparse/dense layouts, determinism and buffer reuse of `DataSpec::sample`.

mod common;

use common::{data, keys};
use tree_data::{
    DataSpec, Magnitude, Pairs, Purpose, SparseBatch, SparseSpec, StreamKey, Structure,
};

fn uniform(depth: u32, branching: u32, stop_prob: f64, structure: Structure) -> DataSpec {
    DataSpec {
        magnitude: Magnitude::Uniform,
        ..data(depth, branching, stop_prob, structure)
    }
}

fn specs() -> [DataSpec; 2] {
    [
        uniform(4, 3, 0.3, Structure::Tree),
        uniform(4, 3, 0.3, Structure::Independent),
    ]
}

#[test]
fn csr_shape_is_instance_major() {
    for spec in specs() {
        let keys = keys(1, 3);
        let batch = spec.sample(&keys, Purpose::Train, 0, 50);
        assert_eq!((batch.batch, batch.n_instances), (50, 3));
        assert_eq!(batch.n_features, spec.n_features());
        assert_eq!(batch.offsets.len(), 3 * 50 + 1);
        assert_eq!(batch.offsets[0], 0);
        assert_eq!(*batch.offsets.last().unwrap() as usize, batch.nnz());
        assert_eq!(batch.values.len(), batch.nnz());
        assert!(batch.offsets.windows(2).all(|w| w[0] <= w[1]));
        // Instance i's block equals that instance sampled alone, so rows are instance-major.
        for (i, &key) in keys.iter().enumerate() {
            let alone = spec.sample(&[key], Purpose::Train, 0, 50);
            for s in 0..50 {
                let r = i * 50 + s;
                let range = batch.offsets[r] as usize..batch.offsets[r + 1] as usize;
                assert_eq!(batch.row(i, s), alone.row(0, s));
                assert_eq!(&batch.indices[range], alone.row(0, s).0);
            }
        }
    }
}

#[test]
fn dense_matches_sparse() {
    for spec in specs() {
        let (n_instances, n_batch) = (3, 40);
        let batch = spec.sample(&keys(2, n_instances), Purpose::Eval, 7, n_batch);
        let n_features = spec.n_features();
        let dense = batch.to_dense();
        assert_eq!(dense.len(), n_batch * n_instances as usize * n_features);

        let mut expected = vec![0.0f32; dense.len()];
        for instance in 0..n_instances as usize {
            for sample in 0..n_batch {
                let (indices, values) = batch.row(instance, sample);
                for (&f, &v) in indices.iter().zip(values) {
                    expected
                        [(sample * n_instances as usize + instance) * n_features + f as usize] = v;
                }
            }
        }
        assert_eq!(dense, expected);
        // Uniform magnitudes are never 0, so nonzeros are exactly the sparse entries.
        assert_eq!(dense.iter().filter(|&&v| v != 0.0).count(), batch.nnz());

        let mut reused = vec![9.0f32; 3];
        batch.to_dense_into(&mut reused);
        assert_eq!(reused, dense);
    }
}

#[test]
fn same_inputs_same_batch() {
    for spec in specs() {
        let keys = keys(3, 4);
        let a = spec.sample(&keys, Purpose::Train, 42, 100);
        let b = spec.sample(&keys, Purpose::Train, 42, 100);
        assert_eq!(a, b);
        assert_eq!(a.values, b.values);
    }
}

#[test]
fn instance_rows_do_not_depend_on_batch_mates() {
    let target = StreamKey {
        seed: 1,
        config: 77,
        instance: 2,
    };
    let others_before = [
        StreamKey {
            config: 5,
            ..target
        },
        StreamKey {
            instance: 0,
            ..target
        },
    ];
    let others_after = [StreamKey { seed: 9, ..target }];
    for spec in specs() {
        let alone = spec.sample(&[target], Purpose::Train, 3, 64);
        let mut mixed_keys = others_before.to_vec();
        mixed_keys.push(target);
        mixed_keys.extend(others_after);
        let mixed = spec.sample(&mixed_keys, Purpose::Train, 3, 64);
        for s in 0..64 {
            assert_eq!(mixed.row(others_before.len(), s), alone.row(0, s));
        }
    }
}

#[test]
fn thread_count_does_not_change_results() {
    let in_pool = |threads: usize, spec: &DataSpec| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| spec.sample(&keys(4, 16), Purpose::Train, 11, 128))
    };
    for spec in specs() {
        let one = in_pool(1, &spec);
        let two = in_pool(2, &spec);
        assert_eq!(one, two);
        assert_eq!(one, spec.sample(&keys(4, 16), Purpose::Train, 11, 128));
    }
}

#[test]
fn sample_into_overwrites_stale_contents() {
    let big = uniform(5, 2, 0.1, Structure::Independent);
    for spec in specs() {
        let mut out = big.sample(&keys(8, 6), Purpose::Eval, 0, 300);
        spec.sample_into(&keys(6, 2), Purpose::Train, 5, 20, &mut out);
        assert_eq!(out, spec.sample(&keys(6, 2), Purpose::Train, 5, 20));
        let mut empty = SparseBatch::new();
        spec.sample_into(&[], Purpose::Train, 0, 20, &mut empty);
        assert_eq!(
            (empty.n_instances, empty.offsets.as_slice()),
            (0, &[0u32][..])
        );
    }
}

#[test]
fn tree_sample_into_reuses_buffers() {
    let spec = uniform(6, 2, 0.2, Structure::Tree);
    let keys = keys(7, 4);
    let mut out = SparseBatch::new();
    spec.sample_into(&keys, Purpose::Train, 0, 256, &mut out);
    let pointers = (
        out.offsets.as_ptr(),
        out.indices.as_ptr(),
        out.values.as_ptr(),
    );
    for step in 1..20 {
        spec.sample_into(&keys, Purpose::Train, step, 256, &mut out);
        let now = (
            out.offsets.as_ptr(),
            out.indices.as_ptr(),
            out.values.as_ptr(),
        );
        assert_eq!(now, pointers, "step {step} reallocated");
    }
}

#[test]
fn serde_names_and_validation() {
    let spec = data(3, 2, 0.5, Structure::Independent);
    let text = toml::to_string(&spec).unwrap();
    assert!(text.contains("structure = \"independent\""), "{text}");
    assert!(text.contains("magnitude = \"binary\""), "{text}");
    assert_eq!(toml::from_str::<DataSpec>(&text).unwrap(), spec);

    let parsed: DataSpec = toml::from_str(
        "magnitude = \"uniform\"\n[features]\nkind = \"tree\"\nstructure = \"tree\"\n\
         [features.tree]\ndepth = 2\nbranching = 3\nstop_prob = 0.0\n",
    )
    .unwrap();
    assert_eq!(parsed, uniform(2, 3, 0.0, Structure::Tree));

    let bad = toml::from_str::<DataSpec>(
        "magnitude = \"binary\"\n[features]\nkind = \"tree\"\nstructure = \"tree\"\n\
         [features.tree]\ndepth = 2\nbranching = 2\nstop_prob = 1.5\n",
    )
    .unwrap_err();
    assert!(bad.to_string().contains("stop_prob = 1.5"), "{bad}");

    let sparse = DataSpec::sparse(
        SparseSpec::new(
            4,
            vec![vec![0.1; 4], vec![0.3; 4]],
            Pairs {
                correlated: 1,
                anticorrelated: 0,
            },
        )
        .unwrap(),
        Magnitude::Uniform,
    );
    let text = toml::to_string(&sparse).unwrap();
    assert!(text.contains("kind = \"sparse\""), "{text}");
    assert!(text.contains("correlated_pairs = 1"), "{text}");
    assert_eq!(toml::from_str::<DataSpec>(&text).unwrap(), sparse);
    let bad = toml::from_str::<DataSpec>(&text.replace("0.3", "1.3")).unwrap_err();
    assert!(
        bad.to_string().contains("feature_probability = 1.3"),
        "{bad}"
    );
}
