//! A hash that stays the same across platforms, Rust versions and runs, so that
//! callers can turn configuration fields into [`crate::StreamKey::config`].
//!
//! std's `DefaultHasher` is unsuitable (its algorithm may change), and so is the
//! `Hash` trait (it feeds `usize`, whose width is platform-dependent). This is
//! 64-bit FNV-1a over explicitly little-endian bytes.

const FNV_OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// Incremental FNV-1a 64 hasher with explicit, fixed encodings for each value type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StableHasher {
    state: u64,
}

impl Default for StableHasher {
    fn default() -> Self {
        Self::new()
    }
}

impl StableHasher {
    /// An empty hasher.
    pub fn new() -> StableHasher {
        StableHasher {
            state: FNV_OFFSET_BASIS,
        }
    }

    /// Feeds raw bytes (no length prefix: plain FNV-1a).
    pub fn write_bytes(&mut self, bytes: &[u8]) -> &mut Self {
        for &byte in bytes {
            self.state = (self.state ^ u64::from(byte)).wrapping_mul(FNV_PRIME);
        }
        self
    }

    /// Feeds a `u64` as 8 little-endian bytes.
    pub fn write_u64(&mut self, value: u64) -> &mut Self {
        self.write_bytes(&value.to_le_bytes())
    }

    /// Feeds an `f64`'s bit pattern (so `0.0` and `-0.0` differ).
    pub fn write_f64(&mut self, value: f64) -> &mut Self {
        self.write_u64(value.to_bits())
    }

    /// Feeds a string's length, then its UTF-8 bytes; the length keeps
    /// `("ab", "c")` and `("a", "bc")` apart.
    pub fn write_str(&mut self, value: &str) -> &mut Self {
        self.write_u64(value.len() as u64);
        self.write_bytes(value.as_bytes())
    }

    /// The hash of everything fed so far.
    pub fn finish(&self) -> u64 {
        self.state
    }
}

/// Stable hash of a sequence of `u64`s (each fed with [`StableHasher::write_u64`]).
pub fn config_hash(parts: &[u64]) -> u64 {
    let mut hasher = StableHasher::new();
    for &part in parts {
        hasher.write_u64(part);
    }
    hasher.finish()
}

/// Stable hash of one string (fed with [`StableHasher::write_str`]).
pub fn hash_str(value: &str) -> u64 {
    StableHasher::new().write_str(value).finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_published_fnv1a_vectors() {
        let fnv = |s: &str| StableHasher::new().write_bytes(s.as_bytes()).finish();
        assert_eq!(fnv(""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv("a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv("foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn encodings_are_fixed_and_unambiguous() {
        let mut a = StableHasher::new();
        a.write_str("ab").write_str("c");
        let mut b = StableHasher::new();
        b.write_str("a").write_str("bc");
        assert_ne!(a.finish(), b.finish());
        assert_eq!(
            config_hash(&[1, 2]),
            StableHasher::new().write_u64(1).write_u64(2).finish()
        );
        assert_ne!(config_hash(&[1, 2]), config_hash(&[2, 1]));
        assert_eq!(
            StableHasher::new().write_f64(0.5).finish(),
            StableHasher::new().write_u64(0.5f64.to_bits()).finish()
        );
        assert_eq!(
            hash_str("tree"),
            StableHasher::new().write_str("tree").finish()
        );
    }
}
