//! One stream's training node counts, drawn ahead: the fused engine and node rows both read a
//! step's counts from draws of [`LANES`] consecutive steps (`DataSpec::sample_node_counts_steps`,
//! AVX-512 lanes where the CPU has them).

use std::ops::Range;
use tree_data::{DataSpec, LANES, Purpose, StreamKey};

/// The training node counts ([`DataSpec::sample_node_counts`]) of one stream for consecutive
/// steps, drawn [`LANES`] steps at a time and kept until a step outside them, or another batch
/// size, is asked for. One per stream: the stream itself is not part of what is kept.
#[derive(Debug, Clone, Default)]
pub(crate) struct NodeCountsAhead {
    /// `counts[l]`: the counts of step `from + l`.
    counts: Vec<Vec<u32>>,
    from: u64,
    batch: usize,
}

impl NodeCountsAhead {
    /// The counts of `step` in batches of `batch`, drawing steps `step..` (up to [`LANES`],
    /// none at or past `until`) unless `step` is among those drawn for this `batch`.
    pub(crate) fn at(
        &mut self,
        data: &DataSpec,
        key: StreamKey,
        step: u64,
        until: u64,
        batch: usize,
    ) -> &[u32] {
        if self.batch != batch || !self.steps().contains(&step) {
            let n = until.saturating_sub(step).clamp(1, LANES as u64) as usize;
            self.counts.resize_with(n, Vec::new);
            data.sample_node_counts_steps(key, Purpose::Train, step, batch, &mut self.counts);
            (self.from, self.batch) = (step, batch);
        }
        &self.counts[(step - self.from) as usize]
    }

    /// The steps drawn.
    pub(crate) fn steps(&self) -> Range<u64> {
        self.from..self.from + self.counts.len() as u64
    }

    /// The counts of [`NodeCountsAhead::steps`], in order.
    pub(crate) fn counts(&self) -> &[Vec<u32>] {
        &self.counts
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tree_data::{Magnitude, Structure, TreeSpec};

    fn key() -> StreamKey {
        StreamKey {
            seed: 3,
            config: 1,
            instance: 4,
        }
    }

    /// Every step gets its own counts; draws start where they must and are reused in between.
    #[test]
    fn each_step_gets_its_counts_from_draws_of_lanes_steps() {
        let tree = TreeSpec::new(3, 2, 0.5).unwrap();
        let data = DataSpec::tree(tree, Structure::Tree, Magnitude::Binary);
        let mut ahead = NodeCountsAhead::default();
        let mut want = Vec::new();
        let lanes = LANES as u64;
        let until = 2 * lanes + 3;
        let mut check = |ahead: &mut NodeCountsAhead, step: u64, batch: usize| {
            let got = ahead.at(&data, key(), step, until, batch).to_vec();
            data.sample_node_counts(key(), Purpose::Train, step, batch, &mut want);
            assert_eq!(got, want, "step {step}, batch {batch}");
            assert!(ahead.steps().end <= until, "drawn past the end");
            ahead.steps()
        };
        // In order: one draw per LANES steps, the last one cut at the end.
        for step in 0..until {
            let start = step - step % lanes;
            assert_eq!(
                check(&mut ahead, step, 64),
                start..(start + lanes).min(until)
            );
        }
        // A jump back draws from there; a step already drawn is reused.
        assert_eq!(check(&mut ahead, 5, 64), 5..5 + lanes);
        assert_eq!(check(&mut ahead, 9, 64), 5..5 + lanes);
        // Another batch size redraws, even for a step already drawn.
        assert_eq!(check(&mut ahead, 10, 33), 10..10 + lanes);
        assert_eq!(ahead.counts().len(), LANES);
    }
}
