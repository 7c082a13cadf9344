//! Time, as the client keeps it: the caller's deadline, the sync wait a create may ask for within it, the
//! poll schedule after it, how long the server's list is given to settle, and the server's own clock as its
//! answers bound it. Below every request, so that a create, a wait and a lookup all read one notion of it.

mod poll;
mod server;

use std::time::Duration;

use tokio::time::Instant;

pub use poll::WaitOptions;
pub(crate) use server::ServerClock;

/// The default overall deadline of `run` and `wait`.
pub(crate) const DEFAULT_RUN_TIMEOUT: Duration = Duration::from_secs(10 * 60);

/// The longest a server holds a `Prefer: wait` request.
pub(crate) const MAX_SYNC_WAIT: Duration = Duration::from_secs(60);

/// How long after a create the server's list is trusted to show what it made, by default.
pub(crate) const DEFAULT_LIST_SETTLE: Duration = Duration::from_secs(5);

/// When a create must be over: the caller's deadline, and when its wait began.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Deadline {
    pub(crate) started: Instant,
    pub(crate) at: Instant,
}

/// The sync wait to ask for when `left` remains before the deadline: whole seconds, at most 60, leaving a
/// margin (5 s or a fifth of the time left, whichever is more) for connecting, sending the input and the
/// answer, so the create answers before the deadline and its prediction can be named (and canceled).
pub(crate) fn sync_wait_within(left: Duration) -> Option<Duration> {
    let margin = (left / 5).max(Duration::from_secs(5));
    let wait = Duration::from_secs(left.saturating_sub(margin).as_secs()).min(MAX_SYNC_WAIT);
    (!wait.is_zero()).then_some(wait)
}

/// `now + timeout`, or far in the future if that overflows.
pub(crate) fn deadline_after(timeout: Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(timeout)
        .unwrap_or_else(|| now + Duration::from_secs(100 * 365 * 24 * 3600))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sync_waits_leave_a_margin_before_the_deadline() {
        let wait = |secs: u64| sync_wait_within(Duration::from_secs(secs)).map(|w| w.as_secs());
        assert_eq!(wait(600), Some(60));
        assert_eq!(wait(70), Some(56));
        assert_eq!(wait(10), Some(5));
        assert_eq!(wait(5), None);
        assert_eq!(
            sync_wait_within(Duration::from_millis(10_200)).map(|w| w.as_secs()),
            Some(5)
        );
        assert!(deadline_after(Duration::MAX) > Instant::now());
    }
}
