//! Scientific validation: known results about the toy model on feature trees, checked by
//! training it (fused CPU engine, fixed seeds) through the library crates directly.
//!
//! 1. Uniform magnitudes: zero loss needs `n_hidden = n_features / 2 = 2^d − 1` (b = 2), and
//!    is reached there by a signed orthonormal frame: every feature shares an axis
//!    antipodally with one partner it is never co-active with. Siblings are one such pairing
//!    (the one docs/science.md describes), but not the only one, and training mostly finds
//!    others (see [`uniform_depth2_needs_three_dimensions_and_two_are_not_enough`]).
//! 2. Independent features with the tree's marginals need more width than the tree
//!    ([`independent_features_need_more_width_than_the_tree`]).
//! 3. The Toy Models of Superposition paper's 5 features in 2 dimensions (importance `0.9^i`,
//!    uniform magnitudes): dense features keep the two most important ones on orthogonal
//!    axes ([`tms_dense_features_get_two_orthogonal_dimensions`]); sparse ones (p = 0.01) are
//!    all stored as a regular pentagon ([`tms_sparse_features_form_a_pentagon`]).
//! 4. Feature pairs with ARENA's semantics, 4 features in 2 dimensions: anticorrelated pairs
//!    share an axis antipodally ([`tms_anticorrelated_pairs_are_antipodal`]); correlated pairs
//!    are kept orthogonal ([`tms_correlated_pairs_are_orthogonal`]).
//!
//! Why the frame: with uniform magnitudes a zero-loss model must reproduce `v · x_i` for every
//! magnitude `v`, so `‖W_i‖ = 1` and `b_i = 0`; a feature that is not active must read
//! `ReLU(Σ_active v_k W_i·W_k) = 0` for all positive `v`, so all dot products are `<= 0`, and
//! ancestor–descendant pairs (co-active) must be orthogonal. At most `2n` unit vectors in
//! `R^n` have pairwise non-positive dot products, and `2n` only as `±e_1 … ±e_n`: hence
//! `n_hidden >= n_features / 2`, and at equality the columns are a signed orthonormal basis
//! whose antipodal partners are not ancestor and descendant.
//!
//! Margins (this machine, the committed seeds, and two other seeds checked when written) are
//! noted next to each assertion. Budget: the whole file runs in well under a minute in the
//! test profile.

use std::time::Instant;

use geometry::{Relation, classify, gram, hierarchy_stats};
use report::{Aggregate, MinHiddenRow, SummaryRow};
use toy_model::fused::{Shape, SparseRows, loss_per_instance};
use toy_model::{InstanceInit, xavier_normal_std};
use train::{Engine, FusedCpuEngine, Job, Schedule, TrainConfig};
use tree_data::{
    DataSpec, Magnitude, Pairs, Purpose, SparseSpec, StreamKey, Structure, TreeSpec, hash_str,
};

/// A trained group of instances of one width.
struct Trained {
    n_hidden: usize,
    n_features: usize,
    /// `[instances, n_hidden, n_features]`.
    w: Vec<f32>,
    eval_loss: Vec<f32>,
}

impl Trained {
    /// The instance with the lowest eval loss.
    fn best(&self) -> usize {
        (0..self.eval_loss.len())
            .min_by(|&a, &b| self.eval_loss[a].total_cmp(&self.eval_loss[b]))
            .expect("at least one instance")
    }

    fn best_loss(&self) -> f32 {
        self.eval_loss[self.best()]
    }

    /// Instance `i`'s `W`, `[n_hidden, n_features]`.
    fn w_of(&self, i: usize) -> &[f32] {
        let n = self.n_hidden * self.n_features;
        &self.w[i * n..(i + 1) * n]
    }
}

fn uniform_tree(depth: u32) -> DataSpec {
    DataSpec::tree(
        TreeSpec::new(depth, 2, 0.5).unwrap(),
        Structure::Tree,
        Magnitude::Uniform,
    )
}

/// Trains `instances` instances of width `n_hidden` on `data` with the fused CPU engine, with
/// the seed's init (xavier normal on this config's own `(instances, n_hidden, n_features)`)
/// and unit importance. Instance `i` uses the stream `(seed, hash_str(stream), i)`.
fn train(
    data: &DataSpec,
    n_hidden: usize,
    instances: usize,
    seed: u64,
    stream: &str,
    config: &TrainConfig,
) -> Trained {
    let unit = vec![1.0; data.n_features()];
    train_weighted(data, n_hidden, instances, seed, stream, config, &unit)
}

/// [`train`] with a per-feature importance shared by every instance.
fn train_weighted(
    data: &DataSpec,
    n_hidden: usize,
    instances: usize,
    seed: u64,
    stream: &str,
    config: &TrainConfig,
    importance: &[f32],
) -> Trained {
    let n_features = data.n_features();
    let init_std = xavier_normal_std(instances, n_hidden, n_features);
    let inits: Vec<InstanceInit> = (0..instances as u32)
        .map(|instance| InstanceInit {
            n_hidden,
            init_std,
            key: StreamKey {
                seed,
                config: hash_str(stream),
                instance,
            },
        })
        .collect();
    let importance = importance.repeat(instances);
    let job = Job {
        data,
        instances: &inits,
        importance: &importance,
        config,
    };
    let out = FusedCpuEngine::default().run(&job, &mut |_| {});
    assert_eq!(out.w.len(), instances * n_hidden * n_features);
    Trained {
        n_hidden,
        n_features,
        w: out.w,
        eval_loss: out.eval_loss,
    }
}

/// The seed's optimiser (Adam, lr 1e-3 constant, batch 1024) with a larger evaluation batch
/// (2000 rather than 500) so that "loss < 1e-6" is measured on more rare deep paths.
fn seed_optimiser(steps: u64) -> TrainConfig {
    TrainConfig {
        steps,
        batch: 1024,
        lr: 1e-3,
        schedule: Schedule::Constant,
        log_every: steps,
        eval_batch: 2000,
    }
}

/// Checks that `w` (`[n_hidden, n_features]`) is a signed orthonormal frame for `tree`: unit
/// columns, each with exactly one antipodal partner (cosine < −0.9) that is not its ancestor
/// or descendant, and near-orthogonal (|cosine| < 0.1) to every other column. Returns the
/// partner of each feature.
fn assert_antipodal_frame(w: &[f32], n_hidden: usize, tree: &TreeSpec) -> Vec<usize> {
    let n = tree.n_features();
    let g = gram(w, n_hidden, n);
    let norms = g.norms();
    let mut partner = vec![usize::MAX; n];
    for i in 0..n {
        assert!(
            (norms[i] - 1.0).abs() < 1e-2,
            "feature {i} has norm {} (a zero-loss model has unit norms)",
            norms[i]
        );
        for j in 0..n {
            if i == j {
                continue;
            }
            let cos = g.cosine(i, j).expect("live features");
            if cos < -0.9 {
                assert_eq!(
                    partner[i],
                    usize::MAX,
                    "feature {i} has two antipodal partners ({} and {j})",
                    partner[i]
                );
                partner[i] = j;
            } else {
                assert!(
                    cos.abs() < 0.1,
                    "features {i} and {j} are neither antipodal nor orthogonal: cos {cos}"
                );
            }
        }
        assert_ne!(
            partner[i],
            usize::MAX,
            "feature {i} has no antipodal partner"
        );
        assert_ne!(
            classify(Some(tree), i, partner[i]).relation,
            Relation::Ancestor,
            "feature {i} is antipodal to its ancestor/descendant {}: they are co-active",
            partner[i]
        );
    }
    partner
}

// ---------------------------------------------------------------------------------------------
// 1. Uniform magnitudes: n_hidden = 2^d − 1 is needed and enough.
// ---------------------------------------------------------------------------------------------

/// Depth 1 (2 features), n_hidden 1: the two siblings sit at ±1 on the one axis.
///
/// 2000 steps of the seed's optimiser: at 1000 steps the best of 5 was still 1e-6..1e-4 for
/// some seeds; at 2000 it is 2e-13..6e-13 for seeds 0..=3 (margin ~1e6 to 1e-6). An instance
/// can get stuck at 5e-3..4e-2 (one or two per seed), hence the best of 5.
#[test]
fn uniform_depth1_one_dimension_stores_two_antipodal_siblings() {
    let t0 = Instant::now();
    let data = uniform_tree(1);
    let tree = *data.tree_spec().unwrap();
    let trained = train(&data, 1, 5, 0, "validation/d1-h1", &seed_optimiser(2000));
    let best = trained.best();
    let loss = trained.best_loss();
    let stats = hierarchy_stats(trained.w_of(best), 1, 2, Some(&tree));
    let siblings = stats.pooled(Relation::Sibling);
    println!(
        "depth 1, n_hidden 1: eval losses {:?}, best {loss:.3e}, sibling cos {} ({:.1}s)",
        trained.eval_loss,
        siblings.max(),
        t0.elapsed().as_secs_f64()
    );
    assert!(loss < 1e-6, "best eval loss {loss:e} is not < 1e-6");
    assert_eq!(siblings.n_pairs(), 1, "a column died: {stats:?}");
    assert!(
        siblings.max() < -0.95,
        "siblings are not antipodal: cosine {}",
        siblings.max()
    );
    // Unit norms, zero bias: the only zero-loss solution (see the module docs).
    let w = trained.w_of(best);
    assert!(
        (w[0].abs() - 1.0).abs() < 1e-3 && (w[1].abs() - 1.0).abs() < 1e-3,
        "W = {w:?}"
    );
}

/// Depth 2 (6 features): n_hidden 3 reaches zero loss as a signed orthonormal frame; n_hidden
/// 2 cannot, and plateaus far above.
///
/// 5000 steps of the seed's optimiser (half the seed's 10,000, to stay within the time
/// budget): the best of 5 instances at n_hidden 3 is 2.0e-11 (seed 0), 1.2e-13 (seed 1),
/// 1.0e-8 (seed 2), 8.7e-13 (seed 3), margin >= 1e4 to 1e-4; at 3000 steps it was only
/// ~1e-6. One instance in 5 may stick at ~3.4e-3 (seeds 0 and 2), hence the best of 5.
/// n_hidden 2 plateaus at 2.2e-3..2.3e-3 (best of 5) for every seed, so the ratio is 2.3e5
/// (seed 2) to 1.9e10, against 100 asked.
///
/// What this does NOT assert, because training does not deliver it: that *siblings* are the
/// antipodal pairs. Any pairing of features that are never co-active gives zero loss (7
/// pairings at depth 2; the sibling one is one of them, checked by hand in
/// [`uniform_depth2_zero_loss_frames_by_hand`]). Over seeds 0..=3 × 5 instances, the 18 that
/// reached zero loss split into 5 with all siblings antipodal, 5 with only the level-1
/// siblings antipodal (level-2 features paired with cousins), and 8 with no sibling pair
/// (each level-1 feature paired with a child of the other, e.g. 0–5, 1–2, 3–4). The best
/// instance was never the all-sibling one: seeds 0 and 3 pair the level-1 siblings only,
/// seeds 1 and 2 no siblings at all (their sibling cosines are ~0, not −1).
#[test]
fn uniform_depth2_needs_three_dimensions_and_two_are_not_enough() {
    let t0 = Instant::now();
    let data = uniform_tree(2);
    let tree = *data.tree_spec().unwrap();
    let config = seed_optimiser(5000);
    let h3 = train(&data, 3, 5, 0, "validation/d2-uniform", &config);
    let h2 = train(&data, 2, 5, 0, "validation/d2-uniform", &config);
    let (l3, l2) = (h3.best_loss(), h2.best_loss());

    let best = h3.best();
    let g = gram(h3.w_of(best), 3, 6);
    let sibling_cos: Vec<(usize, usize, f64)> = (0..6)
        .flat_map(|i| (i + 1..6).map(move |j| (i, j)))
        .filter(|&(i, j)| classify(Some(&tree), i, j).relation == Relation::Sibling)
        .map(|(i, j)| (i, j, g.cosine(i, j).unwrap_or(f64::NAN)))
        .collect();
    println!(
        "depth 2: n_hidden 3 eval losses {:?} (best {l3:.3e}); n_hidden 2 {:?} (best {l2:.3e}); \
         ratio {:.3e}; best n_hidden 3 instance's sibling cosines {sibling_cos:?} ({:.1}s)",
        h3.eval_loss,
        h2.eval_loss,
        l2 as f64 / l3 as f64,
        t0.elapsed().as_secs_f64()
    );

    assert!(l3 < 1e-4, "n_hidden 3: best eval loss {l3:e} is not < 1e-4");
    let partner = assert_antipodal_frame(h3.w_of(best), 3, &tree);
    println!("antipodal partners of the best n_hidden 3 instance: {partner:?}");
    assert!(
        l2 as f64 >= 100.0 * l3 as f64,
        "n_hidden 2's best {l2:e} is not >= 100 × n_hidden 3's best {l3:e}"
    );
    // The plateau itself, not only the ratio: zero loss is impossible below 3 dimensions.
    // Observed 2.2e-3..2.3e-3 (seeds 0..=3); the bound leaves a 4× margin.
    assert!(
        l2 > 5e-4,
        "n_hidden 2 reached {l2:e}: far below its 2.2e-3 plateau"
    );
}

/// The theory behind the previous test without training: at depth 2 with n_hidden 3, a signed
/// orthonormal frame has zero loss exactly when no antipodal pair is co-active. Siblings
/// antipodal (docs/science.md's construction) and the pairing training usually finds both
/// give 0; pairing a feature with its own child does not.
#[test]
fn uniform_depth2_zero_loss_frames_by_hand() {
    let data = uniform_tree(2);
    let tree = *data.tree_spec().unwrap();
    // Features: 0, 1 at level 1; 2, 3 children of 0; 4, 5 children of 1.
    let pairings: [[(usize, usize); 3]; 3] = [
        [(0, 1), (2, 3), (4, 5)], // siblings
        [(0, 4), (1, 3), (2, 5)], // what training mostly finds
        [(0, 2), (1, 4), (3, 5)], // 0–2 and 1–4 are parent and child
    ];
    let (n_hidden, n_features) = (3, 6);
    let mut w = vec![0.0f32; pairings.len() * n_hidden * n_features];
    for (inst, pairs) in pairings.iter().enumerate() {
        for (axis, &(a, b)) in pairs.iter().enumerate() {
            let row = (inst * n_hidden + axis) * n_features;
            w[row + a] = 1.0;
            w[row + b] = -1.0;
        }
    }
    let bias = vec![0.0f32; pairings.len() * n_features];
    let importance = vec![1.0f32; pairings.len() * n_features];
    let keys: Vec<StreamKey> = (0..pairings.len() as u32)
        .map(|instance| StreamKey {
            seed: 0,
            config: hash_str("validation/by-hand"),
            instance,
        })
        .collect();
    let batch = data.sample(&keys, Purpose::Eval, 0, 4096);
    let rows = SparseRows {
        batch: batch.batch,
        offsets: &batch.offsets,
        indices: &batch.indices,
        values: &batch.values,
    };
    let shape = Shape {
        n_instances: pairings.len(),
        n_hidden,
        n_features,
    };
    let active = vec![n_hidden as u32; pairings.len()];
    let loss = loss_per_instance(&shape, &w, &bias, &importance, &active, &rows);
    println!("hand-built frames: losses {loss:?} for pairings {pairings:?}");
    assert_eq!(loss[0], 0.0, "siblings antipodal");
    assert_eq!(loss[1], 0.0, "cross pairing");
    // Parent 0 and child 2 active together cancel on their axis: a clear loss.
    assert!(
        loss[2] > 1e-3,
        "a parent antipodal to its child: loss {}",
        loss[2]
    );
    // The helper agrees: both zero-loss frames pass, and say who is paired with whom.
    for (inst, pairs) in pairings.iter().take(2).enumerate() {
        let block = &w[inst * n_hidden * n_features..(inst + 1) * n_hidden * n_features];
        let partner = assert_antipodal_frame(block, n_hidden, &tree);
        for &(a, b) in pairs {
            assert_eq!((partner[a], partner[b]), (b, a));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// 2. The tree needs less width than independent features with the same marginals.
// ---------------------------------------------------------------------------------------------

/// Depths 2 and 3, binary magnitudes, stop_prob 0.5, n_hidden 2..=8 (the sweep skips widths
/// above n_features: 6 at depth 2), 3 instances, aggregate = best instance, threshold 1e-5
/// (the seed's).
///
/// Training: 2000 steps, batch 256, lr 1e-2 with the seed's cosine schedule. The seed's 10,000
/// steps of batch 1024 at lr 1e-3 cost ~25× more (80 s for 3000 such steps here). The higher
/// peak rate with a cosine decay converges faster, and gives the same tree answer as the seed
/// sweep (docs/science.md: 3 at depth 2, 4 at depth 3) for seeds 0, 1 and 2; with lr 1e-3
/// constant at 2000 steps of batch 256 the tree still needed 7 at depth 3. The independent
/// series is far from the threshold below full width whatever the schedule (its best losses
/// stay 5e-4..3e-2 at every width that cannot hold every feature on its own axis).
///
/// Observed (seeds 0 / 1 / 2): tree 3 / 3 / 3 at depth 2 and 4 / 4 / 4 at depth 3;
/// independent 6 / 6 / 6 (= n_features) at depth 2 and none <= 8 at depth 3. Margins: the
/// independent best at depth 2, n_hidden 5 is 6.7e-4..8.9e-4 (>= 66× the threshold) and at
/// depth 3, n_hidden 8 is 1.8e-4..6.6e-4 (>= 18×); the tree's best at depth 3, n_hidden 4 is
/// 2.7e-7 (seed 0), 1.1e-6, 1.8e-6 (>= 5× below) and ~1e-16 at the widest, so the tree
/// always has a number.
#[test]
fn independent_features_need_more_width_than_the_tree() {
    let t0 = Instant::now();
    let text = r#"
name = "validation-structure"

[grid]
depths = [2, 3]
n_hidden = [2, 3, 4, 5, 6, 7, 8]
magnitude = ["binary"]
seeds = [0]
structure = [
    { kind = "tree", stop_prob = 0.5 },
    { kind = "independent", stop_prob = 0.5 },
]

[train]
instances = 3
steps = 2000
batch = 256
lr = 1e-2
schedule = "cosine"
eval_batch = 2000
log_every = 500

[analysis]
threshold = 1e-5
aggregate = "min"
"#;
    let config = sweep::SweepConfig::from_toml_str(text).expect("valid config");
    let tmp = tempfile::tempdir().unwrap();
    let summary = sweep::run(
        &config,
        tmp.path(),
        &FusedCpuEngine::default(),
        &sweep::RunOptions::default(),
        &sweep::NoopObserver,
    )
    .expect("the sweep runs");
    assert!(summary.complete && summary.diverged == 0, "{summary:?}");

    let rows: Vec<MinHiddenRow> = report::read_table(tmp.path()).expect("min_hidden.csv");
    let summaries: Vec<SummaryRow> = report::read_table(tmp.path()).expect("summary.csv");
    let min_hidden = |structure: &str, depth: u32| -> Option<u32> {
        let found: Vec<&MinHiddenRow> = rows
            .iter()
            .filter(|r| {
                r.structure == structure && r.depth == depth && r.aggregate == Aggregate::Min
            })
            .collect();
        assert_eq!(found.len(), 1, "{structure} depth {depth}: {found:?}");
        assert_eq!(found[0].threshold, 1e-5);
        found[0].min_n_hidden
    };
    let best_loss = |structure: &str, depth: u32, n_hidden: u32| -> f64 {
        summaries
            .iter()
            .find(|s| s.structure == structure && s.depth == depth && s.n_hidden == n_hidden)
            .map(|s| s.min)
            .unwrap_or(f64::NAN)
    };
    for depth in [2, 3] {
        let tree = min_hidden("tree", depth);
        let independent = min_hidden("independent", depth);
        let losses = |structure: &str| -> Vec<String> {
            (2..=8)
                .map(|h| format!("{h}:{:.1e}", best_loss(structure, depth, h)))
                .collect()
        };
        println!(
            "depth {depth}: min n_hidden tree {tree:?}, independent {independent:?}\n  \
             best losses tree {:?}\n  independent {:?}",
            losses("tree"),
            losses("independent")
        );
        let tree = tree.unwrap_or_else(|| panic!("depth {depth}: no width stores the tree"));
        if let Some(independent) = independent {
            assert!(
                independent > tree,
                "depth {depth}: independent features need {independent}, the tree {tree}"
            );
        }
    }
    println!("sweep: {:.1}s", t0.elapsed().as_secs_f64());
}

/// The TMS paper's 5 features in 2 dimensions, importance `0.9^i`, uniform magnitudes: `n`
/// instances that all see feature probability `p`.
fn tms_five_in_two(p: f64, instances: usize, steps: u64, stream: &str) -> Trained {
    let spec = SparseSpec::new(5, vec![vec![p; 5]], Pairs::default()).unwrap();
    let data = DataSpec::sparse(spec, Magnitude::Uniform);
    let importance: Vec<f32> = (0..5).map(|i| 0.9f32.powi(i)).collect();
    let config = seed_optimiser(steps);
    train_weighted(&data, 2, instances, 0, stream, &config, &importance)
}

/// Dense features (p = 1): superposition does not pay, so the model keeps the two most
/// important features on orthogonal axes and drops the rest (TMS paper, figure 2, left).
#[test]
fn tms_dense_features_get_two_orthogonal_dimensions() {
    let trained = tms_five_in_two(1.0, 4, 10_000, "validation/tms-dense");
    for i in 0..4 {
        let g = gram(trained.w_of(i), 2, 5);
        let norms = g.norms();
        let kept: Vec<usize> = (0..5).filter(|&f| norms[f] > 0.5).collect();
        // Margin: kept norms 1.000 ± 0.001, dropped ones < 0.015 (10 000 steps).
        assert_eq!(
            kept,
            [0, 1],
            "instance {i}: norms {norms:?} (the two most important)"
        );
        let cos = g.cosine(kept[0], kept[1]).unwrap();
        assert!(cos.abs() < 0.1, "instance {i}: cos {cos} between {kept:?}");
    }
}

/// Sparse features (p = 0.01): all five are stored, in superposition, as a regular pentagon
/// (TMS paper, figure 2, right): neighbouring columns 72° apart.
#[test]
fn tms_sparse_features_form_a_pentagon() {
    let trained = tms_five_in_two(0.01, 6, 10_000, "validation/tms-sparse");
    let best = trained.best();
    let w = trained.w_of(best);
    let g = gram(w, 2, 5);
    let norms = g.norms();
    assert!(
        norms.iter().all(|&n| n > 0.5),
        "best instance {best}: norms {norms:?}"
    );
    let mut angles: Vec<f64> = (0..5)
        .map(|f| f64::from(w[5 + f]).atan2(f64::from(w[f])).to_degrees())
        .collect();
    angles.sort_by(f64::total_cmp);
    let gaps: Vec<f64> = (0..5)
        .map(|k| (angles[(k + 1) % 5] - angles[k]).rem_euclid(360.0))
        .collect();
    // Margin: norms 1.15–1.17, gaps 71.3°–72.7° (seed 0, instance 0 of 6).
    assert!(
        gaps.iter().all(|gap| (gap - 72.0).abs() < 10.0),
        "best instance {best}: neighbouring angles {gaps:?}"
    );
}

/// 4 features in 2 dimensions, unit importance, uniform magnitudes, p = 0.05, all in pairs.
fn tms_four_pairs_in_two(pairs: Pairs, stream: &str) -> Trained {
    let spec = SparseSpec::new(4, vec![vec![0.05; 4]], pairs).unwrap();
    let data = DataSpec::sparse(spec, Magnitude::Uniform);
    train(&data, 2, 6, 0, stream, &seed_optimiser(10_000))
}

/// Anticorrelated pairs (never both on) share an axis antipodally, at no cost: the best
/// instance reaches zero loss with each pair at cosine −1 and the pairs orthogonal (ARENA's
/// result). Some instances settle instead on the other pairing, cross-pair antipodes, which
/// co-occur and so leave loss behind.
#[test]
fn tms_anticorrelated_pairs_are_antipodal() {
    let pairs = Pairs {
        correlated: 0,
        anticorrelated: 2,
    };
    let trained = tms_four_pairs_in_two(pairs, "validation/tms-anticorrelated");
    let best = trained.best();
    // Margin: 3 of 6 instances reach ~1e-16 (best: cosines −1.000 and 0.000); the other three
    // stop at 2e-5 to 4e-4.
    assert!(
        trained.best_loss() < 1e-8,
        "best loss {}",
        trained.best_loss()
    );
    let g = gram(trained.w_of(best), 2, 4);
    for (a, b) in [(0, 1), (2, 3)] {
        let cos = g.cosine(a, b).unwrap();
        assert!(cos < -0.99, "pair ({a}, {b}): cos {cos}");
    }
    let across = g.cosine(0, 2).unwrap();
    assert!(across.abs() < 0.05, "pairs not orthogonal: cos {across}");
}

/// Correlated pairs (both on or both off) cannot share an axis, since they are always active
/// together: in every instance each pair is kept orthogonal, and the room left is shared by
/// putting the two pairs antipodally or orthogonally (ARENA's "local orthogonal bases").
#[test]
fn tms_correlated_pairs_are_orthogonal() {
    let pairs = Pairs {
        correlated: 2,
        anticorrelated: 0,
    };
    let trained = tms_four_pairs_in_two(pairs, "validation/tms-correlated");
    for i in 0..6 {
        let g = gram(trained.w_of(i), 2, 4);
        assert!(
            g.norms().iter().all(|&n| n > 0.5),
            "instance {i}: {:?}",
            g.norms()
        );
        for (a, b) in [(0, 1), (2, 3)] {
            // Margin: |cos| <= 0.013 within pairs, norms 1.00–1.01, in every instance.
            let cos = g.cosine(a, b).unwrap();
            assert!(cos.abs() < 0.1, "instance {i}, pair ({a}, {b}): cos {cos}");
        }
    }
}
