//! Ctrl-C (SIGINT) and SIGTERM during a sweep: the first asks the sweep to stop after the
//! groups in training, which are recorded, so nothing trained is lost; the second stops at
//! once (records already written stay valid either way, and the same command resumes).
//! The exit status is the shell's for the signal: 130 for SIGINT, 143 for SIGTERM.

use std::sync::atomic::{AtomicI32, Ordering};

/// The first signal received, 0 before any.
static SIGNAL: AtomicI32 = AtomicI32::new(0);

/// Only async-signal-safe work here: an atomic swap and `_exit`. The progress reporter says
/// what happens next ([`requested`]), so that its bars do not draw over the message.
extern "C" fn on_signal(signal: libc::c_int) {
    if SIGNAL.swap(signal, Ordering::SeqCst) != 0 {
        // SAFETY: `_exit` is async-signal-safe.
        unsafe { libc::_exit(128 + signal) };
    }
}

/// Installs the handler for SIGINT and SIGTERM.
pub fn install() {
    let handler = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
    // SAFETY: the handler only touches an atomic and calls an async-signal-safe function.
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
