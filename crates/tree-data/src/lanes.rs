//! Tree-path node counts for several steps at once, one step per vector lane.
//!
//! Every step has its own stream ([`Rng::new`] of (key, purpose, step)), so the batches of
//! [`LANES`] consecutive steps can be drawn side by side: each lane runs the scalar sampler's
//! path walk as a small state machine that consumes one random number per iteration, with
//! selects instead of branches, so the lane loop compiles to vector code. A lane consumes
//! exactly the numbers the scalar walk would, in the same order, so the counts are bit for bit
//! those of [`DataSpec::sample_node_counts`](crate::DataSpec::sample_node_counts); what is
//! gone is the scalar walk's unpredictable branch per level (stop or go on?).
//!
//! Where a sample ends, the lane emits `lane * stride + node`. On AVX-512 the emitting lanes
//! are compressed into one vector store; elsewhere each lane stores to its own slots. Either
//! way no iteration waits on another's memory, and the counts are summed at the end.

use crate::rng::{Purpose, Rng, StreamKey};
use crate::spec::TreeSpec;

/// Steps drawn together: eight 64-bit lanes fill one AVX-512 register.
pub const LANES: usize = 8;

/// Fills `counts[l]` with the node counts of step `first_step + l`'s batch of `batch`
/// samples, for each `l < counts.len() ≤ LANES` (see `sample_node_counts`).
pub(crate) fn node_counts(
    tree: &TreeSpec,
    stop_below: u64,
    key: StreamKey,
    purpose: Purpose,
    first_step: u64,
    batch: usize,
    counts: &mut [Vec<u32>],
) {
    assert!(counts.len() <= LANES, "at most {LANES} steps at once");
    let stride = tree.n_features() + 1;
    let mut walk = Walk::new(tree, stop_below, key, purpose, first_step, counts.len(), batch);
    SCRATCH.with_borrow_mut(|(ends, flat)| {
        let n = run(&mut walk, stride, counts.len() * batch, ends);
        flat.clear();
        flat.resize(LANES * stride, 0);
        for &at in &ends[..n] {
            flat[at as usize] += 1;
        }
        for (c, lane) in counts.iter_mut().zip(flat.chunks_exact(stride)) {
            c.clear();
            c.extend_from_slice(lane);
        }
    });
}

thread_local! {
    /// Reused per thread: the samples' ends and the flat counts (fresh pages cost more than
    /// the counting).
    static SCRATCH: std::cell::RefCell<(Vec<u64>, Vec<u32>)> = Default::default();
}

/// Each lane's stream and where its walk is. A lane is either about to draw its stop decision
/// (`branching == 0`) or the child to descend to (`branching == 1`).
#[derive(Clone, Copy)]
struct Walk {
    /// xoshiro256++ state, word-major so that each word is one vector.
    state: [[u64; LANES]; 4],
    node: [u64; LANES],
    branching: [u64; LANES],
    /// Samples the lane still has to draw; 0 for a finished or unused lane.
    left: [u64; LANES],
    stop_below: u64,
    /// The branching factor; a `u32` so that `r >> 32` times it is one 32×32-bit multiply.
    b: u32,
    reject_below: u64,
    /// The first heap node of the deepest level: a walk that reaches it has ended.
    first_leaf: u64,
}

impl Walk {
    /// Lanes `0..steps` at the start of the batches of steps `first_step..`; the others unused.
    fn new(
        tree: &TreeSpec,
        stop_below: u64,
        key: StreamKey,
        purpose: Purpose,
        first_step: u64,
        steps: usize,
        batch: usize,
    ) -> Walk {
        let b = tree.branching();
        let mut walk = Walk {
            state: [[0; LANES]; 4],
            node: [0; LANES],
            branching: [0; LANES],
            left: [0; LANES],
            stop_below,
            b,
            // Lemire's method rejects the 2^32 mod b smallest low halves (none for b = 2^k).
            reject_below: u64::from(b.wrapping_neg() % b),
            // Heap node = feature + 1.
            first_leaf: tree.level_range(tree.depth()).start as u64 + 1,
        };
        for l in 0..steps {
            let words = Rng::new(key, purpose, first_step + l as u64).state();
            for (w, word) in words.into_iter().enumerate() {
                walk.state[w][l] = word;
            }
            walk.left[l] = batch as u64;
        }
        walk
    }
}

/// Runs the walks to the end; leaves in `ends[..samples]` (returning `samples`) the entry
/// `lane * stride + node` of each sample drawn (all lanes' `left` together), where `node` is
/// the sample's deepest node, in no particular order.
fn run(walk: &mut Walk, stride: usize, samples: usize, ends: &mut Vec<u64>) -> usize {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx512f")
        && std::arch::is_x86_feature_detected!("avx512dq")
        && std::arch::is_x86_feature_detected!("popcnt")
    {
        // SAFETY: the CPU has AVX-512F, DQ and POPCNT, checked just above.
        return unsafe { run_avx512(walk, stride, samples, ends) };
    }
    *ends = run_portable(walk, stride);
    ends.len()
}

/// Each lane stores its samples in its own slots (plain stores: no lane waits on another).
fn run_portable(walk: &mut Walk, stride: usize) -> Vec<u64> {
    let batch = walk.left.iter().copied().max().unwrap_or(0) as usize;
    // Slot `k` of a lane holds the sample drawn when `k` were left; slot 0 is spare.
    let slots = batch + 1;
    let mut ends = vec![u64::MAX; LANES * slots];
    let mut lanes = *walk;
    let mut emitted = [0u64; LANES];
    let mut at = [0u64; LANES];
    while lanes.left.iter().any(|&n| n > 0) {
        let slot = lanes.left;
        step_lanes(&mut lanes, &mut emitted, &mut at);
        for l in 0..LANES {
            // Overwritten by the lane's next sample when it emitted nothing.
            ends[l * slots + slot[l] as usize] = (l * stride) as u64 + at[l];
        }
    }
    *walk = lanes;
    // Lanes that drew fewer samples (none, for unused ones) leave their low slots unset.
    (0..LANES)
        .flat_map(|l| ends[l * slots + 1..][..batch].iter().copied())
        .filter(|&at| at != u64::MAX)
        .collect()
}

/// AVX-512: the emitting lanes' entries are compressed into one vector and stored together.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512dq,popcnt")]
fn run_avx512(walk: &mut Walk, stride: usize, samples: usize, ends: &mut Vec<u64>) -> usize {
    use std::arch::x86_64::*;
    // Room for a whole vector stored at the last sample; old contents are overwritten.
    if ends.len() < samples + LANES {
        ends.resize(samples + LANES, 0);
    }
    let base: [u64; LANES] = std::array::from_fn(|l| (l * stride) as u64);
    // SAFETY (all loads and stores below): the loads read whole `[u64; LANES]` arrays; the
    // store writes LANES u64s from `n`, and `n` counts emits, at most `samples`.
    let base = unsafe { _mm512_loadu_si512(base.as_ptr().cast()) };
    let mut lanes = *walk;
    let mut emitted = [0u64; LANES];
    let mut at = [0u64; LANES];
    let mut n = 0;
    while lanes.left.iter().any(|&n| n > 0) {
        step_lanes(&mut lanes, &mut emitted, &mut at);
        unsafe {
            let emit = _mm512_loadu_si512(emitted.as_ptr().cast());
            let mask = _mm512_test_epi64_mask(emit, emit);
            let at = _mm512_add_epi64(base, _mm512_loadu_si512(at.as_ptr().cast()));
            let packed = _mm512_maskz_compress_epi64(mask, at);
            _mm512_storeu_si512(ends.as_mut_ptr().add(n).cast(), packed);
            n += mask.count_ones() as usize;
        }
    }
    *walk = lanes;
    assert_eq!(n, samples);
    n
}

/// One random number per lane: the scalar walk's next draw, as selects instead of branches.
#[inline(always)]
fn step_lanes(walk: &mut Walk, emitted: &mut [u64; LANES], at: &mut [u64; LANES]) {
    let [s0, s1, s2, s3] = &mut walk.state;
    let b = u64::from(walk.b);
    for l in 0..LANES {
        // xoshiro256++, as `Rng::next_u64`.
        let r = s0[l].wrapping_add(s3[l]).rotate_left(23).wrapping_add(s0[l]);
        let t = s1[l] << 17;
        s2[l] ^= s0[l];
        s3[l] ^= s1[l];
        s1[l] ^= s2[l];
        s0[l] ^= s3[l];
        s2[l] ^= t;
        s3[l] = s3[l].rotate_left(45);

        let branching = walk.branching[l] != 0;
        let stop = (r >> 11) < walk.stop_below;
        // `Rng::below(b)`: the high half times b; its low 32 bits decide rejection.
        let product = (r >> 32) * b;
        let accept = (product & 0xffff_ffff) >= walk.reject_below;
        let child = walk.node[l] * b + 1 + (product >> 32);
        let descend = branching & accept;
        let bottom = child >= walk.first_leaf;
        let ends = (!branching & stop) | (descend & bottom);
        let emit = ends & (walk.left[l] > 0);

        at[l] = if branching { child } else { walk.node[l] };
        emitted[l] = u64::from(emit);
        walk.left[l] -= u64::from(emit);
        walk.node[l] = if ends {
            0
        } else if descend {
            child
        } else {
            walk.node[l]
        };
        walk.branching[l] = u64::from(if branching { !accept } else { !stop });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The portable path (what machines without AVX-512 run) stores the same samples as the
    /// dispatched one, lane by lane.
    #[test]
    fn portable_and_dispatched_paths_draw_the_same_samples() {
        for (depth, branching, stop_prob) in [(6, 2, 0.5), (3, 3, 0.0), (2, 7, 0.3), (1, 2, 0.9)] {
            let tree = TreeSpec::new(depth, branching, stop_prob).unwrap();
            let key = StreamKey {
                seed: 1,
                config: 2,
                instance: 3,
            };
            let stride = tree.n_features() + 1;
            let stop_below = crate::sample::stop_below(&tree);
            let walk = |steps, batch| {
                Walk::new(&tree, stop_below, key, Purpose::Train, 9, steps, batch)
            };
            for (steps, batch) in [(LANES, 300), (5, 17)] {
                let mut portable = run_portable(&mut walk(steps, batch), stride);
                let mut dispatched = Vec::new();
                let n = run(&mut walk(steps, batch), stride, steps * batch, &mut dispatched);
                dispatched.truncate(n);
                assert_eq!(portable.len(), steps * batch);
                portable.sort_unstable();
                dispatched.sort_unstable();
                assert_eq!(portable, dispatched, "{tree:?}, {steps} steps");
            }
        }
    }
}
