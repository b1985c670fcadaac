//! `cargo bench -p tree-data`: tree-path node counts of the seed's depth-6 batch, one step at
//! a time (`sample_node_counts`) against `LANES` steps side by side (`sample_node_counts_steps`).
//! Rounds alternate between the two so that load changes hit both alike.

use std::hint::black_box;
use std::time::Instant;
use tree_data::{DataSpec, LANES, Magnitude, Purpose, StreamKey, Structure, TreeSpec};

fn main() {
    let key = StreamKey {
        seed: 0,
        config: 1,
        instance: 2,
    };
    let batch = 1024;
    let steps = 4_000u64;
    for (depth, stop_prob) in [(6, 0.5), (3, 0.5), (6, 0.0)] {
        let tree = TreeSpec::new(depth, 2, stop_prob).unwrap();
        let data = DataSpec::tree(tree, Structure::Tree, Magnitude::Binary);
        let (mut one, mut lanes) = (f64::MAX, f64::MAX);
        let mut counts = Vec::new();
        let mut ahead = vec![Vec::new(); LANES];
        for _round in 0..5 {
            let t = Instant::now();
            for step in 0..steps {
                data.sample_node_counts(key, Purpose::Train, step, batch, &mut counts);
                black_box(&counts);
            }
            one = one.min(t.elapsed().as_secs_f64());
            let t = Instant::now();
            for first in (0..steps).step_by(LANES) {
                data.sample_node_counts_steps(key, Purpose::Train, first, batch, &mut ahead);
                black_box(&ahead);
            }
            lanes = lanes.min(t.elapsed().as_secs_f64());
        }
        let per_sample = |s: f64| s / (steps as f64 * batch as f64) * 1e9;
        println!(
            "depth {depth}, stop_prob {stop_prob}: one step at a time {:.2} ns/sample, \
             {LANES} lanes {:.2} ns/sample ({:.2}x), best of 5 rounds",
            per_sample(one),
            per_sample(lanes),
            one / lanes
        );
    }
}
