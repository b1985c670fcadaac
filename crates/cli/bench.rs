//! `tmh bench`: the fused CPU engine against one or more burn reference engines
//! (`--reference ndarray` by default; e.g. `--reference ndarray,flex` to weigh flex against
//! ndarray too, or `tch-cpu,tch-cpu+by-hand` to weigh the ways one backend trains), per depth
//! group of the seed sweep, in one run; optionally the full seed sweep end to end.
//!
//! All engines take turns on each group before the next group starts, so that their ratios
//! come from the same run and the same load. Prints a Markdown report (the xtask writes it to
//! docs/PERFORMANCE.md).

use anyhow::Result;
use std::fmt::Write as _;
use std::time::Instant;
use sweep::{Group, SweepConfig};
use train::{Engine, TrainConfig};

pub struct BenchArgs {
    /// Steps timed per group on the fused engine.
    pub fused_steps: u64,
    /// Steps timed per group on each reference engine (they are much slower).
    pub reference_steps: u64,
    /// Also time the full seed sweep end to end.
    pub full: bool,
}

/// Wall seconds per step of `engine` on `group`, over `steps` steps (after one warm-up step).
fn seconds_per_step(engine: &dyn Engine, group: &Group, steps: u64) -> f64 {
    let run = |steps| {
        let config = TrainConfig {
            steps,
            eval_batch: 1,
            log_every: 100,
            ..TrainConfig::default()
        };
        sweep::seconds_to_train(engine, group, &config)
    };
    run(1);
    run(steps) / steps as f64
}

/// This CPU's fp32 peak from lscpu: cores × clock × 32 FLOP/cycle with AVX2/AVX-512 FMA (two
/// 8-lane FMA pipes, or AVX-512 double-pumped), else 8.
fn cpu_peak() -> (f64, String) {
    let lscpu = std::process::Command::new("lscpu")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned());
    let text = lscpu.unwrap_or_default();
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name).map(|v| v.trim().to_string()))
    };
    let cpus: f64 = field("CPU(s):").and_then(|v| v.parse().ok()).unwrap_or(1.0);
    // Without "CPU max MHz" (common in VMs), BogoMIPS / 2 is the clock.
    let (mhz, clock_from) = match field("CPU max MHz:").and_then(|v| v.parse::<f64>().ok()) {
        Some(mhz) => (mhz, "CPU max MHz"),
        None => (
            field("BogoMIPS:")
                .and_then(|v| v.parse::<f64>().ok())
                .unwrap_or(2000.0)
                / 2.0,
            "BogoMIPS/2",
        ),
    };
    let flags = field("Flags:").unwrap_or_default();
    let per_cycle = if flags.contains("fma") && flags.contains("avx2") {
        32.0
    } else {
        8.0
    };
    let model = field("Model name:").unwrap_or_else(|| "unknown CPU".into());
    let peak = cpus * mhz * 1e-3 * per_cycle;
    let how = format!(
        "{model}, {cpus} cores × {:.2} GHz ({clock_from}) × {per_cycle} FLOP/cycle",
        mhz * 1e-3
    );
    (peak, how)
}

/// `a` and `b` as prose: "`a`", "`a` and `b`", "`a`, `b` and `c`".
fn names_prose(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    match quoted.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
        None => String::new(),
    }
}

/// One depth group's timings: seconds per step of the fused engine and of each reference.
struct GroupTiming {
    id: String,
    instances: usize,
    n_features: usize,
    n_hidden: usize,
    /// Effective floating-point operations of one step (6·F·H per sample and instance).
    flops: f64,
    fused: f64,
    references: Vec<f64>,
}

/// What the report says about the machine and the run, besides the timings.
struct Setting<'a> {
    peak_how: &'a str,
    peak: f64,
    threads: usize,
    batch: f64,
    /// Steps of the full seed sweep, for the projections.
    steps: f64,
    fused_steps: u64,
    reference_steps: u64,
    names: &'a [&'a str],
}

/// Times `fused` and every engine of `references` (with its label, see `backend::spec_label`)
/// on each depth group of the seed sweep and returns the Markdown report.
///
/// The engines take turns per group (fused, then each reference in order, then the next
/// group), so that a change in the machine's load hits all of them alike and their ratios stay
/// fair on a noisy machine.
pub fn run(
    args: &BenchArgs,
    fused: &dyn Engine,
    references: &[(&str, &dyn Engine)],
) -> Result<String> {
    anyhow::ensure!(!references.is_empty(), "bench needs a reference engine");
    let config = SweepConfig::default();
    let groups = config.groups();
    let batch = config.train.batch as f64;
    let (peak, peak_how) = cpu_peak();
    let names: Vec<&str> = references.iter().map(|(name, _)| *name).collect();

    let mut timings = Vec::new();
    for group in &groups {
        // Fused, then each reference, on this group before the next group: see above.
        let t_fused = seconds_per_step(fused, group, args.fused_steps);
        let t_references = references
            .iter()
            .map(|(_, r)| seconds_per_step(*r, group, args.reference_steps))
            .collect();
        let f = group.data.n_features() as f64;
        timings.push(GroupTiming {
            id: group.info.id.clone(),
            instances: group.info.instances,
            n_features: group.data.n_features(),
            n_hidden: group.info.n_hidden,
            flops: group
                .cells
                .iter()
                .map(|c| 6.0 * f * c.n_hidden as f64 * c.instances as f64 * batch)
                .sum(),
            fused: t_fused,
            references: t_references,
        });
        say!("bench: {} done", group.info.id);
    }
    let setting = Setting {
        peak_how: &peak_how,
        peak,
        threads: rayon::current_num_threads(),
        batch,
        steps: config.train.steps as f64,
        fused_steps: args.fused_steps,
        reference_steps: args.reference_steps,
        names: &names,
    };
    let mut md = render(&setting, &timings)?;

    if args.full {
        let out = std::env::temp_dir().join(format!("tmh-bench-full-{}", std::process::id()));
        let start = Instant::now();
        let options = sweep::RunOptions::default();
        sweep::run(&config, &out, fused, &options, &sweep::NoopObserver)?;
        let wall = start.elapsed().as_secs_f64();
        let _ = std::fs::remove_dir_all(&out);
        writeln!(
            md,
            "\nFull seed sweep end to end on `{}` (42 configs, 5 instances, 10,000 steps, report included): **{wall:.1} s**, peak RSS {:.0} MB.",
            fused.name(),
            peak_rss_mb()
        )?;
    }
    Ok(md)
}

/// The report's text up to the projections. With one reference it has the layout
/// docs/PERFORMANCE.md has always had; with more, the table gets a steps/s, a "fused vs" ratio
/// and a projected column per reference, plus each later reference's speed-up over the first
/// ("flex vs ndarray" = ndarray's seconds per step ÷ flex's).
fn render(s: &Setting, timings: &[GroupTiming]) -> Result<String> {
    let names = s.names;
    let single = names.len() == 1;
    let mut md = String::new();
    writeln!(md, "# Performance\n")?;
    writeln!(
        md,
        "Measured by `cargo xtask bench` on: {}; estimated fp32 peak {:.0} GFLOP/s; {} threads.\n",
        s.peak_how, s.peak, s.threads
    )?;
    writeln!(
        md,
        "Per depth group of the seed sweep (all n_hidden of a depth fused into one model), seconds per step of batch {}:",
        s.batch
    )?;
    if single {
        writeln!(
            md,
            "the fused engine timed over {} steps from init, `{}` over {} steps.",
            s.fused_steps, names[0], s.reference_steps
        )?;
    } else {
        writeln!(
            md,
            "the fused engine timed over {} steps from init, {} over {} steps each, taking turns per \
             group (fused, then each reference) so that load changes hit all of them alike. \
             \"A vs B\" is B's seconds per step ÷ A's: how many times faster A runs.",
            s.fused_steps,
            names_prose(names),
            s.reference_steps
        )?;
    }
    writeln!(
        md,
        "GFLOP/s counts 6·F·H per sample and instance (H = the config's own n_hidden): an effective \
         rate. The fused engine does less arithmetic than that: it merges the samples of a batch \
         that are the same tree path (with binary magnitudes a sample is fixed by its deepest \
         node) and skips the backward work of outputs whose ReLU is off, so it can exceed the \
         arithmetic peak.\n"
    )?;

    let mut header: Vec<String> = ["group", "instances", "F", "H max", "fused steps/s"]
        .map(String::from)
        .into();
    header.extend(names.iter().map(|n| format!("{n} steps/s")));
    if single {
        header.push("ratio".into());
    } else {
        header.extend(names.iter().map(|n| format!("fused vs {n}")));
        header.extend(names[1..].iter().map(|n| format!("{n} vs {}", names[0])));
    }
    header.extend(["fused GFLOP/s", "% of peak", "projected fused s"].map(String::from));
    header.extend(names.iter().map(|n| format!("projected {n} s")));
    writeln!(md, "| {} |", header.join(" | "))?;
    writeln!(md, "|{}", "---|".repeat(header.len()))?;

    let mut total_fused = 0.0;
    let mut total_reference = vec![0.0; names.len()];
    for t in timings {
        let gflops = t.flops / t.fused * 1e-9;
        total_fused += t.fused * s.steps;
        for (total, r) in total_reference.iter_mut().zip(&t.references) {
            *total += r * s.steps;
        }
        let mut row = vec![
            t.id.clone(),
            t.instances.to_string(),
            t.n_features.to_string(),
            t.n_hidden.to_string(),
            format!("{:.0}", 1.0 / t.fused),
        ];
        row.extend(t.references.iter().map(|r| format!("{:.1}", 1.0 / r)));
        row.extend(t.references.iter().map(|r| format!("{:.1}×", r / t.fused)));
        row.extend(
            t.references[1..]
                .iter()
                .map(|r| format!("{:.2}×", t.references[0] / r)),
        );
        row.extend([
            format!("{gflops:.1}"),
            format!("{:.0}%", 100.0 * gflops / s.peak),
            format!("{:.1}", t.fused * s.steps),
        ]);
        row.extend(t.references.iter().map(|r| format!("{:.0}", r * s.steps)));
        writeln!(md, "| {} |", row.join(" | "))?;
    }

    let projected: Vec<String> = names
        .iter()
        .zip(&total_reference)
        .map(|(n, total)| format!("{n} {total:.0} s ({:.1}×)", total / total_fused))
        .collect();
    write!(
        md,
        "\nProjected full seed sweep ({} groups × {} steps): fused {total_fused:.0} s, {}",
        timings.len(),
        s.steps,
        projected.join(", ")
    )?;
    let versus: Vec<String> = names[1..]
        .iter()
        .zip(&total_reference[1..])
        .map(|(n, total)| format!("{n} vs {} {:.2}×", names[0], total_reference[0] / total))
        .collect();
    if versus.is_empty() {
        writeln!(md, ".")?;
    } else {
        writeln!(md, "; {}.", versus.join(", "))?;
    }
    writeln!(
        md,
        "Projections use the speed from init; a trained model has fewer active ReLUs and runs faster, so the fused figure is an upper bound."
    )?;
    Ok(md)
}

/// Peak resident memory of this process (VmHWM), in MB.
fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| {
                    l.strip_prefix("VmHWM:")
                        .map(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
                })
                .flatten()
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setting<'a>(names: &'a [&'a str]) -> Setting<'a> {
        Setting {
            peak_how: "CPU",
            peak: 100.0,
            threads: 2,
            batch: 1024.0,
            steps: 10000.0,
            fused_steps: 300,
            reference_steps: 20,
            names,
        }
    }

    fn timing(references: Vec<f64>) -> GroupTiming {
        GroupTiming {
            id: "d1-b2-tree0.5-binary".into(),
            instances: 5,
            n_features: 2,
            n_hidden: 2,
            flops: 1e8,
            fused: 1e-3,
            references,
        }
    }

    /// One reference keeps the layout that docs/PERFORMANCE.md has always had, to the byte.
    #[test]
    fn one_reference_keeps_the_layout() {
        let md = render(&setting(&["ndarray"]), &[timing(vec![0.05])]).unwrap();
        let expected = "\
# Performance

Measured by `cargo xtask bench` on: CPU; estimated fp32 peak 100 GFLOP/s; 2 threads.

Per depth group of the seed sweep (all n_hidden of a depth fused into one model), seconds per step of batch 1024:
the fused engine timed over 300 steps from init, `ndarray` over 20 steps.
GFLOP/s counts 6·F·H per sample and instance (H = the config's own n_hidden): an effective rate. The fused engine does less arithmetic than that: it merges the samples of a batch that are the same tree path (with binary magnitudes a sample is fixed by its deepest node) and skips the backward work of outputs whose ReLU is off, so it can exceed the arithmetic peak.

| group | instances | F | H max | fused steps/s | ndarray steps/s | ratio | fused GFLOP/s | % of peak | projected fused s | projected ndarray s |
|---|---|---|---|---|---|---|---|---|---|---|
| d1-b2-tree0.5-binary | 5 | 2 | 2 | 1000 | 20.0 | 50.0× | 100.0 | 100% | 10.0 | 500 |

Projected full seed sweep (1 groups × 10000 steps): fused 10 s, ndarray 500 s (50.0×).
Projections use the speed from init; a trained model has fewer active ReLUs and runs faster, so the fused figure is an upper bound.
";
        assert_eq!(md, expected);
    }

    #[test]
    fn two_references_get_their_columns_and_their_ratio() {
        let md = render(&setting(&["ndarray", "flex"]), &[timing(vec![0.05, 0.025])]).unwrap();
        let table: Vec<&str> = md.lines().filter(|l| l.starts_with('|')).collect();
        assert_eq!(
            table[0],
            "| group | instances | F | H max | fused steps/s | ndarray steps/s | flex steps/s \
             | fused vs ndarray | fused vs flex | flex vs ndarray | fused GFLOP/s | % of peak \
             | projected fused s | projected ndarray s | projected flex s |"
        );
        assert_eq!(table[1], format!("|{}", "---|".repeat(15)));
        assert_eq!(
            table[2],
            "| d1-b2-tree0.5-binary | 5 | 2 | 2 | 1000 | 20.0 | 40.0 | 50.0× | 25.0× | 2.00× \
             | 100.0 | 100% | 10.0 | 500 | 250 |"
        );
        assert!(md.contains(
            "fused 10 s, ndarray 500 s (50.0×), flex 250 s (25.0×); flex vs ndarray 2.00×.\n"
        ));
        assert!(md.contains("`ndarray` and `flex` over 20 steps each"));
    }

    #[test]
    fn names_read_as_prose() {
        assert_eq!(names_prose(&["a"]), "`a`");
        assert_eq!(names_prose(&["a", "b", "c"]), "`a`, `b` and `c`");
    }
}
