//! The progress bar or spinner on screen, if any. Whatever else reaches stderr while it is drawn (a log
//! event, a warning about the contact sheet, a note on Ctrl-C) goes above it through here: written straight
//! to stderr it would land in the middle of the bar's line and be overdrawn by its next tick.

use std::{
    io::Write as _,
    sync::{Mutex, MutexGuard, PoisonError},
};

use indicatif::ProgressBar;

/// The bar being drawn. Writers anywhere (the log subscriber has no other way to reach it) consult it.
static ACTIVE: Mutex<Option<ProgressBar>> = Mutex::new(None);

/// Makes `bar` the one other output goes above, until [`hide`].
pub fn show(bar: &ProgressBar) {
    *lock() = Some(bar.clone());
}

/// The bar is cleared: other output goes straight to stderr again.
pub fn hide() {
    *lock() = None;
}

/// Runs `write` with the bar (if any) taken off the screen, and draws it again after.
pub fn suspend<R>(write: impl FnOnce() -> R) -> R {
    // Cloned out so that the lock is not held while writing.
    let bar = lock().clone().filter(|bar| !bar.is_finished());
    match bar {
        Some(bar) => bar.suspend(write),
        None => write(),
    }
}

/// A line on stderr (above the bar, if one is drawn), with anything in it that could move the cursor or
/// recolour the terminal taken out.
pub fn note(text: &str) {
    let text = crate::terminal::plain(text);
    suspend(|| {
        let _ = writeln!(std::io::stderr().lock(), "{text}");
    });
}

fn lock() -> MutexGuard<'static, Option<ProgressBar>> {
    ACTIVE.lock().unwrap_or_else(PoisonError::into_inner)
}
