//! How long a planned sweep would train, measured rather than guessed: each group still to
//! train runs a few steps twice (k and 2k) on the sweep's engine, which gives its time per step
//! and its fixed cost (setup, evaluation); the estimate extrapolates both to the full steps.
//! Nothing is written. Group costs are far from proportional to their size (fixed costs
//! dominate small groups, and independent features sample more slowly than tree paths), so no
//! cost model would do.

use std::time::Instant;

use anyhow::{Context, Result};
use train::Engine;

use crate::config::SweepConfig;
use crate::grid::Group;
use crate::plan::Plan;

/// A planned sweep's training time, as measured by [`estimate`].
#[derive(Debug, Clone, PartialEq)]
pub struct Estimate {
    /// Seconds the groups to train would take, one after another.
    pub seconds: f64,
    /// Groups timed.
    pub groups: usize,
    /// Steps of the shorter probe (the longer one runs twice as many).
    pub probe_steps: u64,
    /// Seconds the probes took.
    pub probe_seconds: f64,
}

/// Steps of the shorter probe for a sweep of `steps` steps: 1 % of them, between 1 and 100,
/// and never more than half of them.
pub fn probe_steps(steps: u64) -> u64 {
    (steps / 100).clamp(1, 100).min((steps / 2).max(1))
}

/// The time of a whole training of `steps` steps from two probes: `short` seconds for `k`
/// steps and `long` for `2k`. Their difference is `k` steps' time; what is left of the short
/// one is the fixed cost. A noisy pair (`long` not above `short`) counts as all per-step.
pub fn extrapolate(short: f64, long: f64, k: u64, steps: u64) -> f64 {
    let k = k.max(1) as f64;
    let (per_step, fixed) = if long > short {
        let per_step = (long - short) / k;
        (per_step, (short - per_step * k).max(0.0))
    } else {
        (long / (2.0 * k), 0.0)
    };
    fixed + per_step * steps as f64
}

/// Wall seconds `engine` takes to train every instance of `group` under `train` (nothing is
/// kept or written).
pub fn seconds_to_train(engine: &dyn Engine, group: &Group, train: &train::TrainConfig) -> f64 {
    let (instances, importance) = (group.instance_inits(), group.importance());
    let job = train::Job {
        data: &group.data,
        instances: &instances,
        importance: &importance,
        config: train,
    };
    let start = Instant::now();
    engine.run(&job, &mut |_| {});
    start.elapsed().as_secs_f64()
}

/// Times the groups of `plan` that have configs to train on `engine` (see the module docs). A
/// group that the folder partly holds counts by the share of its configs left to train.
pub fn estimate(config: &SweepConfig, plan: &Plan, engine: &dyn Engine) -> Result<Estimate> {
    let started = Instant::now();
    let groups = config.groups();
    let full = config.train.train_config();
    let k = probe_steps(full.steps);
    let mut seconds = 0.0;
    let mut timed = 0;
    for planned in plan.groups.iter().filter(|g| g.to_train() > 0) {
        let group = (groups.iter())
            .find(|g| g.info.id == planned.id)
            .with_context(|| format!("group {} is not in the grid", planned.id))?;
        let time = |steps: u64| {
            let train = train::TrainConfig {
                steps,
                ..full.clone()
            };
            seconds_to_train(engine, group, &train)
        };
        let (short, long) = (time(k), time(2 * k));
        let share = planned.to_train() as f64 / planned.n_hidden.len() as f64;
        seconds += share * extrapolate(short, long, k, full.steps);
        timed += 1;
    }
    Ok(Estimate {
        seconds,
        groups: timed,
        probe_steps: k,
        probe_seconds: started.elapsed().as_secs_f64(),
    })
}

impl std::fmt::Display for Estimate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let minutes = if self.seconds >= 120.0 {
            format!(" ({:.0} min)", self.seconds / 60.0)
        } else {
            String::new()
        };
        write!(
            f,
            "estimated training time: about {:.0} s{minutes}, groups one after another (timed \
             {} and {} steps of each of {} group(s) in {:.1} s; evaluation and report come on \
             top)",
            self.seconds.max(1.0),
            self.probe_steps,
            2 * self.probe_steps,
            self.groups,
            self.probe_seconds
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_probes_give_the_per_step_and_the_fixed_cost() {
        // 2 s fixed, 0.01 s a step: 100 steps take 3 s, 200 take 4 s; 10,000 take 102 s.
        let t = extrapolate(3.0, 4.0, 100, 10_000);
        assert!((t - 102.0).abs() < 1e-9, "{t}");
        // A noisy pair: all of it per step, never a negative fixed cost.
        let t = extrapolate(4.0, 3.0, 100, 10_000);
        assert!((t - 150.0).abs() < 1e-9, "{t}");
        assert!(extrapolate(0.0, 0.0, 100, 10_000) == 0.0);
        // The long probe more than twice the short (warm-up noise): no negative fixed cost.
        let t = extrapolate(1.0, 3.0, 100, 10_000);
        assert!((t - 200.0).abs() < 1e-9, "{t}");
    }

    #[test]
    fn probes_are_a_small_share_of_the_steps() {
        assert_eq!(probe_steps(10_000), 100);
        assert_eq!(probe_steps(50_000), 100);
        assert_eq!(probe_steps(1_000), 10);
        assert_eq!(probe_steps(60), 1);
        assert_eq!(probe_steps(1), 1);
    }
}
