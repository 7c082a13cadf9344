//! What the client knows of the server's clock, so that "the prediction my lost create made" can be looked
//! for in a window of the server's time a few seconds wide, not in the last five minutes.
//!
//! Every answer says something: its `Date` header (whole seconds) was written between the request's sending
//! and its answer's arrival, and a create's answer carries the prediction's `created_at` (milliseconds),
//! stamped in the same interval, and, when the server held the request until the prediction finished, its
//! `completed_at`, stamped just before the answer: the first bounds the offset closely from above, the
//! second from below. Each such answer bounds the offset (server time − local time) from both
//! sides; the client keeps the tightest bounds that agree with each other. Bounds that stop agreeing (a
//! clock was stepped) are replaced by the newest answer's. Stamps are preferred to `Date` headers: they are
//! finer, and they come from the clock the lookup compares with (a proxy's `Date` may come from another).

use std::sync::Mutex;

use chrono::{DateTime, TimeDelta, Utc};

/// The offset before anything was observed: any clock within five minutes.
const UNKNOWN: Bounds = Bounds {
    low: TimeDelta::minutes(-5),
    high: TimeDelta::minutes(5),
};

/// The coarsest resolution a server's stamps are taken to have.
const STAMP_RESOLUTION: TimeDelta = TimeDelta::milliseconds(1);

/// Server time − local time lies in `low..=high`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Bounds {
    pub(crate) low: TimeDelta,
    pub(crate) high: TimeDelta,
}

/// The offset of the server's clock from this machine's, as bounded so far.
#[derive(Debug, Default)]
pub(crate) struct ServerClock {
    stamps: Mutex<Option<Bounds>>,
    dates: Mutex<Option<Bounds>>,
}

impl ServerClock {
    /// An answer sent at `sent` and received at `received` (local) carried `date` (an HTTP `Date` header:
    /// the server's time, rounded down to the second).
    pub(crate) fn observe_date(&self, sent: DateTime<Utc>, received: DateTime<Utc>, date: &str) {
        let Ok(time) = httpdate::parse_http_date(date) else {
            return;
        };
        let server: DateTime<Utc> = time.into();
        observe(
            &self.dates,
            Bounds {
                low: server - received,
                high: server + TimeDelta::seconds(1) - sent,
            },
        );
    }

    /// The server stamped `stamped` while handling a request sent at `sent` and answered at `received`.
    pub(crate) fn observe_stamp(
        &self,
        sent: DateTime<Utc>,
        received: DateTime<Utc>,
        stamped: DateTime<Utc>,
    ) {
        // A stamp may be cut to whole milliseconds (the moment was up to one later).
        observe(
            &self.stamps,
            Bounds {
                low: stamped - received,
                high: stamped + STAMP_RESOLUTION - sent,
            },
        );
    }

    /// The bounds known now (five minutes either way before any answer).
    pub(crate) fn bounds(&self) -> Bounds {
        read(&self.stamps)
            .or_else(|| read(&self.dates))
            .unwrap_or(UNKNOWN)
    }

    /// When, in the server's time, something that happened between `from` and `to` (local) happened.
    pub(crate) fn window(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> (DateTime<Utc>, DateTime<Utc>) {
        let bounds = self.bounds();
        (from + bounds.low, to + bounds.high)
    }

    /// The earliest the server's clock can read now.
    pub(crate) fn server_now_at_least(&self) -> DateTime<Utc> {
        Utc::now() + self.bounds().low
    }
}

fn read(bounds: &Mutex<Option<Bounds>>) -> Option<Bounds> {
    *bounds
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn observe(bounds: &Mutex<Option<Bounds>>, seen: Bounds) {
    if seen.low > seen.high {
        return;
    }
    let mut bounds = bounds
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let merged = match *bounds {
        Some(known) => Bounds {
            low: known.low.max(seen.low),
            high: known.high.min(seen.high),
        },
        None => seen,
    };
    *bounds = Some(if merged.low <= merged.high {
        merged
    } else {
        seen
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(ms: i64) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(1_800_000_000_000 + ms).unwrap()
    }

    #[test]
    fn answers_narrow_the_offset_and_a_stepped_clock_starts_afresh() {
        let clock = ServerClock::default();
        assert_eq!(clock.bounds(), UNKNOWN);
        // The server is 90 s ahead; a request took 40 ms; the prediction was stamped 10 ms after sending
        // (in whole milliseconds: up to one more).
        let ahead = TimeDelta::seconds(90);
        clock.observe_stamp(at(0), at(40), at(10) + ahead);
        assert_eq!(
            clock.bounds(),
            Bounds {
                low: ahead - TimeDelta::milliseconds(30),
                high: ahead + TimeDelta::milliseconds(11),
            }
        );
        // A second answer narrows it further from below.
        clock.observe_stamp(at(1000), at(1020), at(1015) + ahead);
        assert_eq!(clock.bounds().low, ahead - TimeDelta::milliseconds(5));
        let (from, to) = clock.window(at(2000), at(2100));
        assert_eq!(from, at(1995) + ahead);
        assert_eq!(to, at(2111) + ahead);
        // The server's clock is stepped back an hour: the old bounds are dropped for the new answer's.
        clock.observe_stamp(at(3000), at(3020), at(3010) - TimeDelta::hours(1));
        assert_eq!(
            clock.bounds().high,
            TimeDelta::milliseconds(11) - TimeDelta::hours(1)
        );
    }

    #[test]
    fn a_held_creates_creation_and_completion_bound_it_from_both_sides() {
        let clock = ServerClock::default();
        // Held 1.5 s: created 10 ms after sending, completed 5 ms before the answer arrived.
        clock.observe_stamp(at(0), at(1_515), at(10));
        assert_eq!(clock.bounds().low, TimeDelta::milliseconds(-1_505));
        clock.observe_stamp(at(0), at(1_515), at(1_510));
        assert_eq!(
            clock.bounds(),
            Bounds {
                low: TimeDelta::milliseconds(-5),
                high: TimeDelta::milliseconds(11),
            }
        );
    }

    #[test]
    fn a_date_header_bounds_it_to_the_second() {
        let clock = ServerClock::default();
        let sent = at(400);
        let received = at(600);
        let date = httpdate::fmt_http_date(at(0).into());
        clock.observe_date(sent, received, &date);
        let bounds = clock.bounds();
        assert_eq!(bounds.low, TimeDelta::milliseconds(-600));
        assert_eq!(bounds.high, TimeDelta::milliseconds(600));
        clock.observe_date(sent, received, "not a date");
        assert_eq!(clock.bounds(), bounds);
        // A stamp, once seen, is what counts: it is finer and from the clock that stamps predictions.
        clock.observe_stamp(at(0), at(20), at(10) + TimeDelta::seconds(30));
        assert_eq!(clock.bounds().low, TimeDelta::milliseconds(29_990));
    }
}
