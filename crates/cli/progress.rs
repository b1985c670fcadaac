//! Progress for people: one indicatif bar per running group plus an overall bar on a terminal,
//! plain log lines otherwise, nothing with `--quiet`.

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::collections::{HashMap, HashSet};
use std::io::IsTerminal;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;
use sweep::{GroupInfo, Observer};
use train::Progress;

pub enum Mode {
    Bars,
    Plain,
    Quiet,
}

impl Mode {
    pub fn pick(quiet: bool) -> Self {
        match (quiet, std::io::stderr().is_terminal()) {
            (true, _) => Mode::Quiet,
            (false, true) => Mode::Bars,
            (false, false) => Mode::Plain,
        }
    }
}

pub struct Reporter {
    mode: Mode,
    multi: MultiProgress,
    overall: ProgressBar,
    /// Per running group: its bar and the step of its next plain log line.
    bars: Mutex<HashMap<String, (ProgressBar, u64)>>,
    /// Groups whose pack has finished and printed its line.
    packed: Mutex<HashSet<String>>,
    started: Instant,
    /// Whether the stop asked for by a signal has been announced.
    stop_said: AtomicBool,
}

impl Reporter {
    pub fn new(mode: Mode) -> Self {
        let multi = MultiProgress::new();
        if !matches!(mode, Mode::Bars) {
            multi.set_draw_target(ProgressDrawTarget::hidden());
        }
        let overall = multi.add(ProgressBar::new(0));
        overall.set_style(
            ProgressStyle::with_template(
                "{prefix:>12} [{bar:30.green/white}] {pos}/{len} steps·instances  {elapsed} elapsed, ETA {eta}",
            )
            .expect("valid template")
            .progress_chars("=> "),
        );
        overall.set_prefix("all groups");
        Self {
            mode,
            multi,
            overall,
            bars: Mutex::new(HashMap::new()),
            packed: Mutex::new(HashSet::new()),
            started: Instant::now(),
            stop_said: AtomicBool::new(false),
        }
    }

    fn log(&self, line: String) {
        if let Mode::Plain = self.mode {
            say!("[{:>7.1}s] {line}", self.started.elapsed().as_secs_f64());
        }
    }

    /// A line that stays: above the bars, or in the plain log.
    fn finished_line(&self, line: String) {
        if let Mode::Bars = self.mode {
            let _ = self.multi.println(line);
        } else {
            self.log(line);
        }
    }

    /// Ends the overall bar: full when the sweep is `complete`, left where it stopped else.
    pub fn finish(&self, complete: bool) {
        if complete {
            self.overall.finish();
        } else {
            self.overall.abandon();
        }
    }
}

/// Work of a group in the overall bar's unit: steps × instances.
fn work(group: &GroupInfo) -> u64 {
    group.steps * group.instances as u64
}

impl Observer for Reporter {
    fn sweep_started(&self, groups: &[GroupInfo]) {
        self.overall.set_length(groups.iter().map(work).sum());
        let instances: usize = groups.iter().map(|g| g.instances).sum();
        self.log(format!(
            "sweep: {} groups, {instances} instances",
            groups.len()
        ));
    }

    fn group_started(&self, group: &GroupInfo) {
        let bar = self
            .multi
            .insert_before(&self.overall, ProgressBar::new(group.steps));
        bar.set_style(
            ProgressStyle::with_template(
                "{prefix:>12} [{bar:30.cyan/blue}] {pos}/{len} {per_sec} ETA {eta} {msg}",
            )
            .expect("valid template")
            .progress_chars("=> "),
        );
        bar.set_prefix(group.id.clone());
        self.bars.lock().unwrap().insert(group.id.clone(), (bar, 1));
        self.log(format!(
            "{}: started ({} configs, {} instances, n_hidden ≤ {}, {} features)",
            group.id,
            group.configs.len(),
            group.instances,
            group.n_hidden,
            group.n_features
        ));
    }

    fn step(&self, group: &GroupInfo, progress: &Progress) {
        // A stop asked for mid-group is said at once, not when the group ends.
        self.cancelled();
        self.overall.inc(group.instances as u64);
        let mut bars = self.bars.lock().unwrap();
        let Some((bar, next_log)) = bars.get_mut(&group.id) else {
            return;
        };
        bar.inc(1);
        let Some(loss) = progress.loss else { return };
        let mean = loss.iter().map(|&l| l as f64).sum::<f64>() / loss.len().max(1) as f64;
        bar.set_message(format!("loss {mean:.2e} lr {:.1e}", progress.lr));
        // Plain logs: about ten lines per group.
        if progress.step >= *next_log {
            *next_log = progress.step + (progress.steps / 10).max(1);
            drop(bars);
            self.log(format!(
                "{}: step {}/{} mean loss {mean:.3e} lr {:.2e}",
                group.id, progress.step, progress.steps, progress.lr
            ));
        }
    }

    fn pack_finished(&self, groups: &[GroupInfo], wall_s: f64) {
        let steps = groups.first().map_or(0, |g| g.steps);
        let rate = steps as f64 / wall_s.max(1e-9);
        let ids: Vec<&str> = groups.iter().map(|g| g.id.as_str()).collect();
        self.finished_line(format!(
            "pack of {} groups ({}): done in {wall_s:.1}s ({rate:.0} steps/s)",
            groups.len(),
            ids.join(", ")
        ));
        (self.packed.lock().unwrap()).extend(ids.iter().map(|id| id.to_string()));
    }

    fn group_finished(&self, group: &GroupInfo, wall_s: f64) {
        if let Some((bar, _)) = self.bars.lock().unwrap().remove(&group.id) {
            bar.finish_and_clear();
            self.multi.remove(&bar);
        }
        if self.packed.lock().unwrap().remove(&group.id) {
            return; // its pack's line said it
        }
        let rate = group.steps as f64 / wall_s.max(1e-9);
        self.finished_line(format!(
            "{}: done in {wall_s:.1}s ({rate:.0} steps/s)",
            group.id
        ));
    }

    fn group_skipped(&self, group: &GroupInfo) {
        self.overall.inc(work(group));
        self.log(format!("{}: already finished, skipped (resume)", group.id));
    }

    /// Ctrl-C asks the sweep to stop after the groups in training ([`crate::interrupt`]);
    /// said once, above the bars (a quiet run says it at the end).
    fn cancelled(&self) -> bool {
        let stop = crate::interrupt::requested();
        if stop && !self.stop_said.swap(true, Ordering::SeqCst) {
            self.finished_line(
                "stopping after the groups in training (they are recorded); press Ctrl-C again \
                 to stop now"
                    .to_owned(),
            );
        }
        stop
    }
}
