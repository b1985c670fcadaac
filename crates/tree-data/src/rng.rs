//! Counter-based random streams: the numbers for (key, purpose, step) are a pure
//! function of those values, so they cannot depend on thread count or batching.

use serde::{Deserialize, Serialize};

/// Identifies one instance's random stream within one configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct StreamKey {
    /// The run's seed.
    pub seed: u64,
    /// Stable hash of the configuration (see [`crate::StableHasher`]).
    pub config: u64,
    /// Which of the configuration's instances (independent repeats) this is.
    pub instance: u32,
}

/// What the numbers are for; each purpose gets a disjoint stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Purpose {
    /// Training batches.
    Train,
    /// Evaluation batches.
    Eval,
    /// Initial model weights.
    Init,
}

impl Purpose {
    /// Arbitrary distinct constants, fixed forever: changing one changes every stream.
    fn tag(self) -> u64 {
        match self {
            Purpose::Train => 0x7472_6169_6e00_0001,
            Purpose::Eval => 0x6576_616c_0000_0002,
            Purpose::Init => 0x696e_6974_0000_0003,
        }
    }
}

const GOLDEN_GAMMA: u64 = 0x9e37_79b9_7f4a_7c15;

/// SplitMix64's finaliser: a bijection on u64 with good avalanche.
fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A xoshiro256++ generator whose state is derived from (key, purpose, step).
#[derive(Debug, Clone)]
pub struct Rng {
    state: [u64; 4],
    /// Box–Muller yields normals in pairs; the second waits here.
    spare_normal: Option<f64>,
}

impl Rng {
    /// The stream for one instance, purpose and step.
    pub fn new(key: StreamKey, purpose: Purpose, step: u64) -> Rng {
        // Each word goes through a bijection after being xored in, so tuples differing
        // in one word give different states; the added constant keeps zeros from sticking.
        let words = [
            key.seed,
            key.config,
            u64::from(key.instance),
            purpose.tag(),
            step,
        ];
        let mut h: u64 = 0x746d_685f_7472_6565; // "tmh_tree"
        for w in words {
            h = mix64(h ^ w).wrapping_add(GOLDEN_GAMMA);
        }
        // SplitMix64 expansion to 256 bits; cannot produce the all-zero state in practice.
        let mut state = [0u64; 4];
        for s in &mut state {
            h = h.wrapping_add(GOLDEN_GAMMA);
            *s = mix64(h);
        }
        Rng {
            state,
            spare_normal: None,
        }
    }

    /// The xoshiro256++ state: where `next_u64` goes on from.
    pub(crate) fn state(&self) -> [u64; 4] {
        self.state
    }

    /// Next 64 uniformly random bits.
    pub fn next_u64(&mut self) -> u64 {
        let s = &mut self.state;
        let result = s[0].wrapping_add(s[3]).rotate_left(23).wrapping_add(s[0]);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    /// Uniform in `[0, 1)` on the grid of multiples of 2^-24.
    pub fn uniform_f32(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 * (1.0 / (1u32 << 24) as f32)
    }

    /// Uniform in `[0, 1)` on the grid of multiples of 2^-53.
    pub fn uniform_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// A standard normal variate (exact Box–Muller).
    pub fn standard_normal(&mut self) -> f64 {
        if let Some(z) = self.spare_normal.take() {
            return z;
        }
        // 1 - U lies in (0, 1], so the logarithm is finite.
        let radius = (-2.0 * (1.0 - self.uniform_f64()).ln()).sqrt();
        let angle = std::f64::consts::TAU * self.uniform_f64();
        let (sin, cos) = angle.sin_cos();
        self.spare_normal = Some(radius * sin);
        radius * cos
    }

    /// Uniform integer in `0..n`, without modulo bias (Lemire's method). Panics if `n == 0`.
    pub fn below(&mut self, n: u32) -> u32 {
        assert!(n > 0, "Rng::below(0) has no values to choose from");
        let mut product = (self.next_u64() >> 32) * u64::from(n);
        if (product as u32) < n {
            // Reject the 2^32 mod n low values that would favour small results.
            let threshold = n.wrapping_neg() % n;
            while (product as u32) < threshold {
                product = (self.next_u64() >> 32) * u64::from(n);
            }
        }
        (product >> 32) as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: StreamKey = StreamKey {
        seed: 7,
        config: 11,
        instance: 3,
    };

    #[test]
    fn streams_differ_by_every_component() {
        let first = |key, purpose, step| Rng::new(key, purpose, step).next_u64();
        let base = first(KEY, Purpose::Train, 5);
        assert_eq!(base, first(KEY, Purpose::Train, 5));
        let others = [
            first(StreamKey { seed: 8, ..KEY }, Purpose::Train, 5),
            first(StreamKey { config: 12, ..KEY }, Purpose::Train, 5),
            first(StreamKey { instance: 4, ..KEY }, Purpose::Train, 5),
            first(KEY, Purpose::Eval, 5),
            first(KEY, Purpose::Init, 5),
            first(KEY, Purpose::Train, 6),
        ];
        for other in others {
            assert_ne!(base, other);
        }
    }

    #[test]
    fn uniforms_have_right_range_and_mean() {
        let mut rng = Rng::new(KEY, Purpose::Eval, 0);
        let n = 100_000;
        let (mut sum32, mut sum64) = (0.0f64, 0.0f64);
        for _ in 0..n {
            let a = rng.uniform_f32();
            let b = rng.uniform_f64();
            assert!((0.0..1.0).contains(&a) && (0.0..1.0).contains(&b));
            sum32 += f64::from(a);
            sum64 += b;
        }
        // Standard error of the mean of U[0,1) is sqrt(1/12 / n).
        let se = (1.0 / 12.0 / n as f64).sqrt();
        assert!((sum32 / n as f64 - 0.5).abs() < 5.0 * se);
        assert!((sum64 / n as f64 - 0.5).abs() < 5.0 * se);
    }

    #[test]
    fn standard_normal_moments() {
        let mut rng = Rng::new(KEY, Purpose::Init, 0);
        let n = 200_000;
        let xs: Vec<f64> = (0..n).map(|_| rng.standard_normal()).collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
        let below_one = xs.iter().filter(|&&x| x < 1.0).count() as f64 / n as f64;
        // se(mean) = 1/sqrt(n); se(var) = sqrt(2/n) for a normal.
        assert!(mean.abs() < 5.0 / (n as f64).sqrt(), "mean {mean}");
        assert!(
            (var - 1.0).abs() < 5.0 * (2.0 / n as f64).sqrt(),
            "var {var}"
        );
        // Phi(1) = 0.841344746...
        let p = 0.841_344_746;
        let se = (p * (1.0 - p) / n as f64).sqrt();
        assert!((below_one - p).abs() < 5.0 * se, "P(x<1) {below_one}");
    }

    #[test]
    fn below_is_uniform_chi_square() {
        let mut rng = Rng::new(KEY, Purpose::Train, 1);
        let n_bins = 7u32;
        let draws = 70_000;
        let mut counts = [0u32; 7];
        for _ in 0..draws {
            counts[rng.below(n_bins) as usize] += 1;
        }
        let expected = draws as f64 / f64::from(n_bins);
        let chi2: f64 = counts
            .iter()
            .map(|&c| (f64::from(c) - expected).powi(2) / expected)
            .sum();
        // 6 degrees of freedom: P(chi2 > 22.46) = 0.001.
        assert!(chi2 < 22.46, "chi2 {chi2} counts {counts:?}");
        assert_eq!(rng.below(1), 0);
    }

    #[test]
    fn below_rejects_biased_values_for_huge_n() {
        // With n near 2^32 the rejection branch runs often; results must stay in range.
        let mut rng = Rng::new(KEY, Purpose::Train, 2);
        let n = u32::MAX - 5;
        let mut high = 0;
        for _ in 0..10_000 {
            let x = rng.below(n);
            assert!(x < n);
            high += usize::from(x >= n / 2);
        }
        assert!((4_500..5_500).contains(&high), "{high}");
    }
}
