//! Ctrl-C (SIGINT) and SIGTERM during a sweep: the first asks the sweep to stop after the
//! groups in training, which are recorded, so nothing trained is lost; the second stops at
//! once (records already written stay valid either way, and the same command resumes).
//! The exit status is the shell's for the signal: 130 for SIGINT, 143 for SIGTERM.
//!
//! A signal within [`ECHO`] of the first is the same request arriving twice, not a second
//! one: `timeout` sends its signal to the process and then to its process group, and a batch
//! system may signal every process of a job step, so tmh can receive two copies at once.

use std::sync::atomic::{AtomicI32, AtomicU64, Ordering};

/// The first signal received, 0 before any.
static SIGNAL: AtomicI32 = AtomicI32::new(0);

/// When it came (monotonic nanoseconds, at least 1), 0 before any.
static FIRST_AT: AtomicU64 = AtomicU64::new(0);

/// Signals closer than this to the first are copies of it: they come within microseconds,
/// and a person's second Ctrl-C comes later.
const ECHO: u64 = 100_000_000;

/// Monotonic nanoseconds (`clock_gettime` is async-signal-safe).
fn now_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: a valid out-pointer to a timespec.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    (ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64).max(1)
}

/// Only async-signal-safe work here: atomics, the clock and `_exit`. The progress reporter
/// says what happens next ([`requested`]), so that its bars do not draw over the message.
extern "C" fn on_signal(signal: libc::c_int) {
    let now = now_ns();
    match FIRST_AT.compare_exchange(0, now, Ordering::SeqCst, Ordering::SeqCst) {
        Ok(_) => SIGNAL.store(signal, Ordering::SeqCst),
        Err(first) if now.saturating_sub(first) < ECHO => {}
        Err(_) => {
            let first = SIGNAL.load(Ordering::SeqCst);
            let code = 128 + if first != 0 { first } else { signal };
            // SAFETY: `_exit` is async-signal-safe.
            unsafe { libc::_exit(code) };
        }
    }
}

/// Installs the handler for SIGINT and SIGTERM.
pub fn install() {
    let handler = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
    // SAFETY: the handler only touches atomics and calls async-signal-safe functions
    // (`clock_gettime`, `_exit`).
    unsafe {
        libc::signal(libc::SIGINT, handler);
        libc::signal(libc::SIGTERM, handler);
    }
}

/// Whether a stop was asked for.
pub fn requested() -> bool {
    SIGNAL.load(Ordering::SeqCst) != 0
}

/// The exit status after a stop: 128 + the signal.
pub fn exit_status() -> i32 {
    128 + SIGNAL.load(Ordering::SeqCst)
}
