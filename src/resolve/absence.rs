//! Proof of absence: when the server's list shows that a create made nothing.
//!
//! "Nothing was made" is a claim about the server, so it is proven with the server's clock, the same way
//! for a live create whose answer was lost and for a batch resumed after a crash:
//!
//! - the create may have made its prediction at any moment of a **window** of the server's time (from
//!   before it was sent until its answer, or the crash, in the server's time as the
//!   [`ServerClock`](crate::clock::ServerClock) bounds it from the server's `Date` headers and stamps: the local
//!   clock and a journal's stamps only say where to look);
//! - a server may take a while to make a prediction from a request it received (so a prediction of a
//!   create sent in the window may be stamped up to the margin after it), and its list may lag behind what
//!   it made: the **settle margin** ([`ClientBuilder::list_settle`], 5 s by default) bounds both;
//! - so the list proves absence only if it was read after the server's clock had passed the window's end by
//!   the settle margin, covered the whole window (no cap, no clock step moving the window out of what was
//!   asked), and showed every prediction the client already knew of in what it covered (a list that hides
//!   a known prediction lags more than the margin, and proves nothing).
//!
//! Anything less is not a proof: the caller reports the create as uncertain, naming what it found, and
//! creates nothing.
//!
//! [`ClientBuilder::list_settle`]: crate::ClientBuilder::list_settle

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

use crate::clock::ServerClock;

/// Added to either side of a window: the server's stamps and the local clock's readings are not exact.
pub(crate) const SLACK: TimeDelta = TimeDelta::milliseconds(250);

/// A stretch of the server's time in which a create may have made its prediction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Window {
    pub(crate) from: DateTime<Utc>,
    pub(crate) to: DateTime<Utc>,
}

impl Window {
    /// The server's time of a request sent at `sent` and answered (or given up on) at `received`, both
    /// local, as far as `clock` knows the server's clock now, with [`SLACK`] either side.
    pub(crate) fn of_request(
        clock: &ServerClock,
        sent: DateTime<Utc>,
        received: DateTime<Utc>,
    ) -> Self {
        let (from, to) = clock.window(sent, received);
        Self {
            from: from - SLACK,
            to: to + SLACK,
        }
    }

    /// When the server's clock has passed the window by `settle`: the earliest a list can prove absence,
    /// and the latest a prediction of a create sent in the window can be stamped (a server may take up to
    /// the margin to make it).
    pub(crate) fn settled_at(&self, settle: Duration) -> DateTime<Utc> {
        let settle = TimeDelta::from_std(settle).unwrap_or(TimeDelta::MAX);
        self.to.checked_add_signed(settle).unwrap_or(self.to)
    }

    /// Whether a prediction stamped `at` may have been made by a create sent in the window.
    pub(crate) fn may_hold(&self, at: DateTime<Utc>, settle: Duration) -> bool {
        at >= self.from && at <= self.settled_at(settle)
    }

    /// What to ask of the list to see every prediction the window may hold, with [`SLACK`] either side for
    /// the clock's bounds to move while it is read.
    pub(crate) fn list_span(&self, settle: Duration) -> (DateTime<Utc>, DateTime<Utc>) {
        (self.from - SLACK, self.settled_at(settle) + SLACK)
    }

    /// How long to wait (local time) until the server's clock has surely passed the window by `settle`.
    pub(crate) fn wait_until_settled(&self, clock: &ServerClock, settle: Duration) -> Duration {
        (self.settled_at(settle) - clock.server_now_at_least())
            .to_std()
            .unwrap_or_default()
    }

    /// The smallest window holding both.
    pub(crate) fn union(self, other: Self) -> Self {
        Self {
            from: self.from.min(other.from),
            to: self.to.max(other.to),
        }
    }
}

/// What one reading of the list covered.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Coverage {
    /// The earliest the server's clock could read when the reading began.
    pub(crate) began: DateTime<Utc>,
    /// What was asked of the list: created after the first, before the second.
    pub(crate) asked: (DateTime<Utc>, DateTime<Utc>),
    /// The walk went all the way back to the start of what was asked (no cap stopped it).
    pub(crate) complete: bool,
    /// Predictions the client knew of, created in what was asked at least a settle margin before the
    /// reading began, that the list did not show.
    pub(crate) missing_known: usize,
}

/// What a reading of the list proves about a window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Nothing was made in the window.
    Absent,
    /// Not yet: the list can prove it once the server's clock passes this.
    NotYet(DateTime<Utc>),
    /// This reading cannot prove it, however long one waits.
    Unprovable(Why),
}

/// Why a reading cannot prove absence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Why {
    /// The walk stopped (at its cap) before the start of the window.
    Capped,
    /// The window is not inside what was asked of the list (a clock stepped while it was read).
    Uncovered,
    /// The list did not show predictions known to exist: it lags more than the settle margin.
    Lagging,
}

impl Why {
    /// The reason, in words for an error message.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Capped => "the list holds more predictions since then than one lookup reads",
            Self::Uncovered => "the server's clock moved while the list was read",
            Self::Lagging => "the list does not yet show predictions known to exist",
        }
    }
}

/// What `coverage` proves about `window` (the window as the clock bounds it now).
pub(crate) fn judge(window: Window, coverage: &Coverage, settle: Duration) -> Verdict {
    if !coverage.complete {
        return Verdict::Unprovable(Why::Capped);
    }
    if window.from < coverage.asked.0 || window.settled_at(settle) >= coverage.asked.1 {
        return Verdict::Unprovable(Why::Uncovered);
    }
    if coverage.missing_known > 0 {
        return Verdict::Unprovable(Why::Lagging);
    }
    let settled = window.settled_at(settle);
    if coverage.began < settled {
        return Verdict::NotYet(settled);
    }
    Verdict::Absent
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(ms: i64) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(1_800_000_000_000 + ms).unwrap()
    }

    fn coverage(began: i64) -> Coverage {
        Coverage {
            began: at(began),
            asked: (at(-1_000), at(7_000)),
            complete: true,
            missing_known: 0,
        }
    }

    #[test]
    fn absence_takes_a_settled_complete_list_that_covered_the_window() {
        let window = Window {
            from: at(0),
            to: at(1_000),
        };
        let settle = Duration::from_secs(5);
        assert_eq!(judge(window, &coverage(6_000), settle), Verdict::Absent);
        assert_eq!(
            judge(window, &coverage(5_999), settle),
            Verdict::NotYet(at(6_000)),
            "read before the server's clock passed the window by the margin"
        );
        let capped = Coverage {
            complete: false,
            ..coverage(9_000)
        };
        assert_eq!(
            judge(window, &capped, settle),
            Verdict::Unprovable(Why::Capped)
        );
        let lagging = Coverage {
            missing_known: 1,
            ..coverage(9_000)
        };
        assert_eq!(
            judge(window, &lagging, settle),
            Verdict::Unprovable(Why::Lagging)
        );
        // The clock stepped during the walk: the window is no longer inside what was asked.
        let moved = Window {
            from: at(-2_000),
            to: at(1_000),
        };
        assert_eq!(
            judge(moved, &coverage(9_000), settle),
            Verdict::Unprovable(Why::Uncovered)
        );
        let late = Window {
            from: at(0),
            to: at(2_000),
        };
        assert_eq!(
            judge(late, &coverage(9_000), settle),
            Verdict::Unprovable(Why::Uncovered)
        );
    }
}
