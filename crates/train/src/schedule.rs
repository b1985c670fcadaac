use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Learning-rate multipliers, with exactly the seed's formulas.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Schedule {
    /// 1.
    #[default]
    Constant,
    /// 1 − step/steps.
    Linear,
    /// cos(0.5π·step/(steps − 1)).
    Cosine,
}

impl Schedule {
    /// Every schedule, by name.
    pub const ALL: [Schedule; 3] = [Schedule::Constant, Schedule::Linear, Schedule::Cosine];

    /// The multiplier of the base learning rate at `step` (0-based) of `steps`.
    pub fn factor(self, step: u64, steps: u64) -> f64 {
        match self {
            Schedule::Constant => 1.0,
            Schedule::Linear => 1.0 - step as f64 / steps as f64,
            Schedule::Cosine => {
                // The seed divides by steps − 1; a one-step run has only step 0, at factor 1.
                let denom = steps.saturating_sub(1).max(1) as f64;
                (0.5 * std::f64::consts::PI * step as f64 / denom).cos()
            }
        }
    }

    /// The name used in config files.
    pub fn name(self) -> &'static str {
        match self {
            Schedule::Constant => "constant",
            Schedule::Linear => "linear",
            Schedule::Cosine => "cosine",
        }
    }
}

impl fmt::Display for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A schedule name that does not exist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownSchedule(pub String);

impl fmt::Display for UnknownSchedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<_> = Schedule::ALL.iter().map(|s| s.name()).collect();
        write!(
            f,
            "schedule = {:?} does not exist; use one of {}",
            self.0,
            names.join(", ")
        )
    }
}

impl std::error::Error for UnknownSchedule {}

impl FromStr for Schedule {
    type Err = UnknownSchedule;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Schedule::ALL
            .into_iter()
            .find(|k| k.name() == s)
            .ok_or_else(|| UnknownSchedule(s.to_string()))
    }
}
