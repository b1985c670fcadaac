//! Ctrl-C (SIGINT) and SIGTERM during a sweep: the first asks the sweep to stop after the
//! groups in training, which are recorded, so nothing trained is lost; the second stops at
//! once (records already written stay valid either way, and the same command resumes).

use std::sync::atomic::{AtomicBool, Ordering};

static REQUESTED: AtomicBool = AtomicBool::new(false);

/// Only async-signal-safe work here: an atomic swap, a `write` and `_exit`.
extern "C" fn on_signal(_: libc::c_int) {
    if REQUESTED.swap(true, Ordering::SeqCst) {
        // SAFETY: `_exit` is async-signal-safe.
        unsafe { libc::_exit(130) };
    }
    let note = b"\ntmh: stopping after the groups in training (they are recorded); \
                 press Ctrl-C again to stop now\n";
    // SAFETY: `write` is async-signal-safe; the buffer outlives the call.
    unsafe { libc::write(2, note.as_ptr().cast(), note.len()) };
}

/// Installs the handler for SIGINT and SIGTERM.
pub fn install() {
    let handler = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
    // SAFETY: the handler only touches an atomic and calls async-signal-safe functions.
    unsafe {
        libc::signal(libc::SIGINT, handler);
        libc::signal(libc::SIGTERM, handler);
    }
}

/// Whether a stop was asked for.
pub fn requested() -> bool {
    REQUESTED.load(Ordering::SeqCst)
}
