//! Tree-path node counts for several steps at once, one step per AVX-512 lane.
//!
//! Every step has its own stream ([`Rng::new`] of (key, purpose, step)), so the batches of
//! [`LANES`] consecutive steps can be drawn side by side: each lane runs the scalar sampler's
//! path walk as a small state machine that consumes one random number per iteration, with
//! selects instead of branches, so the lane loop compiles to vector code. A lane consumes
//! exactly the numbers the scalar walk would, in the same order, so the counts are bit for bit
//! those of [`DataSpec::sample_node_counts`](crate::DataSpec::sample_node_counts); what is
//! gone is the scalar walk's unpredictable branch per level (stop or go on?). Where a sample
//! ends, the emitting lanes' `lane * stride + node` are compressed into one vector store, so no
//! iteration waits on another's memory, and the counts are summed at the end.
//!
//! Only AVX-512 (with DQ) pays: compiled for AVX2 the same loop ran 1.3× faster than the
//! scalar walk at stop probability 0.5 but 1.4× slower at 0, and for the x86-64 baseline 1.8–3.6×
//! slower. Elsewhere [`node_counts`] declines and callers walk one step at a time; the tests
//! drive the lane state machine ([`step_lanes`]) without intrinsics on every machine.

use crate::rng::{Purpose, Rng, StreamKey};
use crate::spec::TreeSpec;

/// Steps drawn together: eight 64-bit lanes fill one AVX-512 register.
pub const LANES: usize = 8;

/// Fills `counts[l]` with the node counts of step `first_step + l`'s batch of `batch`
/// samples, for each `l < counts.len() ≤ LANES` (see `sample_node_counts`), and returns true
/// where the CPU has AVX-512 (F, DQ and POPCNT; detection is cached by std); elsewhere
/// returns false and leaves `counts` alone.
pub(crate) fn node_counts(
    tree: &TreeSpec,
    stop_below: u64,
    key: StreamKey,
    purpose: Purpose,
    first_step: u64,
    batch: usize,
    counts: &mut [Vec<u32>],
) -> bool {
    assert!(counts.len() <= LANES, "at most {LANES} steps at once");
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx512f")
        && std::arch::is_x86_feature_detected!("avx512dq")
        && std::arch::is_x86_feature_detected!("popcnt")
    {
        let stride = tree.n_features() + 1;
        let steps = counts.len();
        let mut walk = Walk::new(tree, stop_below, key, purpose, first_step, steps, batch);
        SCRATCH.with_borrow_mut(|(ends, flat)| {
            // SAFETY: the CPU has the target features `run_avx512` enables, checked above.
            let n = unsafe { run_avx512(&mut walk, stride, steps * batch, ends) };
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
        return true;
    }
    let _ = (tree, stop_below, key, purpose, first_step, batch);
    false
}

#[cfg(target_arch = "x86_64")]
thread_local! {
    /// Reused per thread: the samples' ends and the flat counts (fresh pages cost more than
    /// the counting).
    static SCRATCH: std::cell::RefCell<(Vec<u64>, Vec<u32>)> = Default::default();
}

/// Each lane's stream and where its walk is. A lane is either about to draw its stop decision
/// (`branching == 0`) or the child to descend to (`branching == 1`).
#[cfg_attr(not(any(target_arch = "x86_64", test)), allow(dead_code))]
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

#[cfg_attr(not(any(target_arch = "x86_64", test)), allow(dead_code))]
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
    while lanes.left.iter().any(|&left| left > 0) {
        step_lanes(&mut lanes, &mut emitted, &mut at);
        unsafe {
            let emit = _mm512_loadu_si512(emitted.as_ptr().cast());
            let mask = _mm512_test_epi64_mask(emit, emit);
            let entries = _mm512_add_epi64(base, _mm512_loadu_si512(at.as_ptr().cast()));
            let packed = _mm512_maskz_compress_epi64(mask, entries);
            _mm512_storeu_si512(ends.as_mut_ptr().add(n).cast(), packed);
            n += mask.count_ones() as usize;
        }
    }
    *walk = lanes;
    assert_eq!(n, samples);
    n
}

/// One random number per lane: the scalar walk's next draw, as selects instead of branches.
#[cfg_attr(not(any(target_arch = "x86_64", test)), allow(dead_code))]
#[inline(always)]
fn step_lanes(walk: &mut Walk, emitted: &mut [u64; LANES], at: &mut [u64; LANES]) {
    let [s0, s1, s2, s3] = &mut walk.state;
    let b = u64::from(walk.b);
    for l in 0..LANES {
        // xoshiro256++, as `Rng::next_u64`.
        let r = s0[l]
            .wrapping_add(s3[l])
            .rotate_left(23)
            .wrapping_add(s0[l]);
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
    use crate::{DataSpec, Magnitude, Structure};

    /// Runs [`step_lanes`] to the end without intrinsics: each lane's counts, and how many
    /// child draws were rejected (Lemire) in lanes still drawing.
    fn drive(mut walk: Walk, stride: usize) -> (Vec<Vec<u32>>, usize) {
        let mut counts = vec![vec![0u32; stride]; LANES];
        let (mut emitted, mut at) = ([0u64; LANES], [0u64; LANES]);
        let mut rejected = 0;
        while walk.left.iter().any(|&left| left > 0) {
            let (was_branching, drawing) = (walk.branching, walk.left);
            step_lanes(&mut walk, &mut emitted, &mut at);
            for l in 0..LANES {
                counts[l][at[l] as usize] += emitted[l] as u32;
                // A child draw that stays a child draw was rejected.
                let again = was_branching[l] != 0 && walk.branching[l] != 0;
                rejected += usize::from(again && drawing[l] > 0);
            }
        }
        (counts, rejected)
    }

    /// The lane state machine draws the scalar walk's counts on any machine, including a
    /// branching of 65175, whose `below` rejects about 1.5e-5 of its draws (the only shape
    /// here where Lemire's rejection happens in practice).
    #[test]
    fn lane_walks_equal_the_scalar_walk() {
        let key = StreamKey {
            seed: 5,
            config: 6,
            instance: 7,
        };
        let mut scalar = Vec::new();
        for (depth, branching, stop_prob, batch) in [
            (6, 2, 0.5, 1024),
            (3, 3, 0.0, 300),
            (2, 7, 0.3, 300),
            (1, 2, 0.999, 50),
            (1, 65175, 0.0, 1024),
        ] {
            let tree = TreeSpec::new(depth, branching, stop_prob).unwrap();
            let data = DataSpec::tree(tree, Structure::Tree, Magnitude::Binary);
            let stride = tree.n_features() + 1;
            let stop_below = crate::sample::stop_below(&tree);
            let mut rejected = 0;
            for first in (0..40).step_by(LANES) {
                let walk = Walk::new(&tree, stop_below, key, Purpose::Train, first, LANES, batch);
                let (counts, rejections) = drive(walk, stride);
                rejected += rejections;
                for (l, lane) in counts.iter().enumerate() {
                    data.sample_node_counts(
                        key,
                        Purpose::Train,
                        first + l as u64,
                        batch,
                        &mut scalar,
                    );
                    assert_eq!(*lane, scalar, "{tree:?}, step {}", first + l as u64);
                }
            }
            // The rejection path ran (with these keys: twice), so the equality covers it.
            if branching == 65175 {
                assert!(rejected > 0, "no Lemire rejection was drawn");
            }
        }
    }
}
