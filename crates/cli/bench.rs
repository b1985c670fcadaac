//! `tmh bench`: the fused CPU engine against burn's autodiff on ndarray, per depth group of the
//! seed sweep, in one run; optionally the full seed sweep end to end.
//!
//! Prints a Markdown report (the xtask writes it to docs/PERFORMANCE.md).

use anyhow::Result;
use std::fmt::Write as _;
use std::time::Instant;
use sweep::{Group, SweepConfig};
use train::{Engine, Job, TrainConfig};

pub struct BenchArgs {
    /// Steps timed per group on the fused engine.
    pub fused_steps: u64,
    /// Steps timed per group on the reference engine (it is much slower).
    pub reference_steps: u64,
    /// Also time the full seed sweep end to end.
    pub full: bool,
}

/// Wall seconds per step of `engine` on `group`, over `steps` steps (after one warm-up step).
fn seconds_per_step(engine: &dyn Engine, group: &Group, steps: u64) -> f64 {
    let instances: Vec<_> = group
        .cells
        .iter()
        .flat_map(|c| c.instance_inits())
        .collect();
    let importance = group.importance();
    let run = |steps| {
        let config = TrainConfig {
            steps,
            eval_batch: 1,
            log_every: 100,
            ..TrainConfig::default()
        };
        let job = Job {
            data: &group.data,
            instances: &instances,
            importance: &importance,
            config: &config,
        };
        let start = Instant::now();
        engine.run(&job, &mut |_| {});
        start.elapsed().as_secs_f64()
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

pub fn run(args: &BenchArgs, fused: &dyn Engine, reference: &dyn Engine) -> Result<String> {
    let config = SweepConfig::default();
    let groups = config.groups();
    let steps = config.train.steps as f64;
    let batch = config.train.batch as f64;
    let (peak, peak_how) = cpu_peak();
    let threads = rayon::current_num_threads();

    let mut md = String::new();
    writeln!(md, "# Performance\n")?;
    writeln!(
        md,
        "Measured by `cargo xtask bench` on: {peak_how}; estimated fp32 peak {peak:.0} GFLOP/s; {threads} threads.\n"
    )?;
    writeln!(
        md,
        "Per depth group of the seed sweep (all n_hidden of a depth fused into one model), seconds per step of batch {batch}:"
    )?;
    writeln!(
        md,
        "the fused engine timed over {} steps from init, `{}` over {} steps.",
        args.fused_steps,
        reference.name(),
        args.reference_steps
    )?;
    writeln!(
        md,
        "GFLOP/s counts 6·F·H per sample and instance (H = the config's own n_hidden): an effective \
         rate. The fused engine does less arithmetic than that: it merges the samples of a batch \
         that are the same tree path (with binary magnitudes a sample is fixed by its deepest \
         node) and skips the backward work of outputs whose ReLU is off, so it can exceed the \
         arithmetic peak.\n"
    )?;
    writeln!(
        md,
        "| group | instances | F | H max | fused steps/s | {} steps/s | ratio | fused GFLOP/s | % of peak | projected fused s | projected {} s |",
        reference.name(),
        reference.name()
    )?;
    writeln!(md, "|---|---|---|---|---|---|---|---|---|---|---|")?;
    let (mut total_fused, mut total_reference) = (0.0, 0.0);
    for group in &groups {
        let t_fused = seconds_per_step(fused, group, args.fused_steps);
        let t_reference = seconds_per_step(reference, group, args.reference_steps);
        let f = group.data.n_features() as f64;
        let flops: f64 = group
            .cells
            .iter()
            .map(|c| 6.0 * f * c.n_hidden as f64 * c.instances as f64 * batch)
            .sum();
        let gflops = flops / t_fused * 1e-9;
        total_fused += t_fused * steps;
        total_reference += t_reference * steps;
        writeln!(
            md,
            "| {} | {} | {f} | {} | {:.0} | {:.1} | {:.1}× | {gflops:.1} | {:.0}% | {:.1} | {:.0} |",
            group.info.id,
            group.info.instances,
            group.info.n_hidden,
            1.0 / t_fused,
            1.0 / t_reference,
            t_reference / t_fused,
            100.0 * gflops / peak,
            t_fused * steps,
            t_reference * steps,
        )?;
        eprintln!("bench: {} done", group.info.id);
    }
    writeln!(
        md,
        "\nProjected full seed sweep ({} groups × {steps} steps): fused {total_fused:.0} s, {} {total_reference:.0} s ({:.1}×).",
        groups.len(),
        reference.name(),
        total_reference / total_fused
    )?;
    writeln!(
        md,
        "Projections use the speed from init; a trained model has fewer active ReLUs and runs faster, so the fused figure is an upper bound."
    )?;

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
