//! The rate governor: every API request of a [`Client`](crate::Client) (every `run`, every batch, every poll)
//! passes it, so requests are paced to the account's limits instead of colliding with 429s.
//!
//! Replicate limits two classes of request separately: creating a prediction (600 per minute, short bursts
//! allowed) and everything else (3,000 per minute); accounts with little credit get far less. Each class has
//! its own pace here (`pace.rs`):
//!
//! - **Known limits**: against `api.replicate.com` the documented limits apply from the start; any other
//!   server (a proxy, the simulator) gets none until it says otherwise, so nothing is slowed by a limit the
//!   server does not have. [`RateLimits`] sets them by hand.
//! - **A 429 pauses the whole class**, not only the refused request, for as long as the server asks
//!   (`Retry-After`, or the body's "resets in ~N s" / "Expected available in 0.5 seconds", read by
//!   `hints.rs`), and never for less than the floor below.
//! - **The pace then settles to what the server accepts.** A 429 teaches the class a pace, evenly (bursts no
//!   larger than what the server refills during a pause), at the rate the server has been accepting since
//!   it first refused: while a client asks faster than the limit, the requests that get through arrive at
//!   the limit's own rate. Until there is a second of that to measure, each lesson halves the pace (the
//!   first one, with no pace yet, takes the rate accepted in the last second, and no slower than one per
//!   pause). After a minute without a 429 the pace creeps up by a tenth every ten seconds, so a limit that
//!   was raised is found again.
//! - **One lesson per pause, and only from a server that refuses a good share.** A 429 teaches only when at
//!   least a quarter of the class's attempts of the last second were refused, and the server refused more
//!   than one request in the last minute. Each lesson paces the class at what was accepted, so a server
//!   that refuses one request in ten whatever the pace (a flaky proxy, the simulator's fault mix) would
//!   take a tenth off the pace with every lesson, without end; a server that is really limiting refuses far
//!   more, or, at a pace just over its limit, so few that the pauses alone hold the class to it. And one
//!   request refused again and again while the rest of its class gets through (the server may be refusing
//!   that request alone) is held back by its own floor, not by slowing everything else.
//!
//! **The floor under every pause.** Every 429 is a throttle, whatever it asks for: a server that answers
//! `Retry-After: 0`, or "available in 0.5 seconds", is still refusing, and a client that took it at its
//! word would send the same request again at once, a thousand times a second. So:
//!
//! - the class pauses for the longer of what the 429 asks (1 s when it names nothing) and a floor: 250 ms,
//!   doubling with each 429 in a row up to 4 s. In a row means to a request sent after the previous 429
//!   came back (the 429s of requests already on their way count once), with no answer other than 429 to a
//!   request sent since; such an answer starts the floor again from 250 ms;
//! - the refused request itself waits at least the same floor, counted by its own 429s in a row, before it
//!   queues again (`transport/throttle.rs`), so that it does not spin when other requests of its class are
//!   answered meanwhile; once that wait (or the class's pause) no longer fits in what is left of its
//!   `RetryPolicy::max_throttled`, the caller gets the 429 (the caller's deadline ends it in any case);
//! - a pause never brings the next request of a class closer to the last one sent than the pace allows,
//!   and nothing learned (the pace, its bursts, the creep) goes faster or bursts further than a configured
//!   [`Rate`]: a hint only ever slows a class down.
//!
//! One request refused again and again is thus sent again after 250 ms, 500 ms, 1 s, 2 s, then every 4 s
//! (or as the server asks, if longer); a class whose requests are refused again and again is taught a pace
//! as well, however many of them wait. The price: every 429 holds its whole class for at least 250 ms, so a server that
//! refuses a tenth of all requests at random costs a busy client a pause every few requests.
//!
//! Waiting is by reservation: each request takes the next free slot of its class and sleeps once until it,
//! so a thousand waiting requests wake one by one, in order, and never race. (The `governor` crate's limiter
//! has a fixed quota and waits by polling; this one must change its rate as it learns, pause on a 429, and
//! hand out slots in order, which is why it is written here.)

mod hints;
mod pace;

use std::{
    sync::{
        Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use tokio::time::Instant;

pub(crate) use hints::{seconds, wait_in_body};
use pace::Pace;

/// How fast one class of request may go: `per_minute` on average, with bursts of up to `burst` at once.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub struct Rate {
    /// Requests per minute, on average.
    pub per_minute: f64,
    /// How many may go at once after a quiet spell (at least 1).
    pub burst: u32,
}

impl Rate {
    /// `per_minute` requests per minute, in bursts of up to `burst`.
    pub fn per_minute(per_minute: f64, burst: u32) -> Self {
        Self {
            per_minute,
            burst: burst.max(1),
        }
    }

    fn interval(&self) -> Option<Duration> {
        // A rate so low that its interval overflows a `Duration` waits as long as one can.
        (self.per_minute.is_finite() && self.per_minute > 0.0)
            .then(|| Duration::try_from_secs_f64(60.0 / self.per_minute).unwrap_or(Duration::MAX))
    }
}

/// The limits a client starts from, for creates and for every other API request. `None`: no limit until the
/// server answers 429 (the client then learns it).
#[derive(Clone, Copy, Debug, PartialEq, Default)]
#[non_exhaustive]
pub struct RateLimits {
    /// Creating predictions.
    pub creates: Option<Rate>,
    /// Every other API request (get, list, cancel, files, models).
    pub others: Option<Rate>,
}

impl RateLimits {
    /// Replicate's documented limits: 600 creates and 3,000 other requests per minute. Replicate does not
    /// publish its burst sizes; these allow ten seconds' worth at once.
    pub fn replicate() -> Self {
        Self {
            creates: Some(Rate::per_minute(600.0, 100)),
            others: Some(Rate::per_minute(3000.0, 500)),
        }
    }

    /// No limit until the server answers 429.
    pub fn learned() -> Self {
        Self::default()
    }

    /// Sets the limit of creates.
    #[must_use]
    pub fn creates(mut self, rate: Rate) -> Self {
        self.creates = Some(rate);
        self
    }

    /// Sets the limit of every other API request.
    #[must_use]
    pub fn others(mut self, rate: Rate) -> Self {
        self.others = Some(rate);
        self
    }
}

/// Which limit a request counts against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Class {
    Create,
    Other,
}

/// The shortest pause a 429 brings, whatever it asks for.
const MIN_PAUSE: Duration = Duration::from_millis(250);
/// Where the floor stops doubling.
const MAX_FLOOR: Duration = Duration::from_secs(4);

/// The floor under the wait after the `refusals`-th 429 in a row (0 is taken as 1): 250 ms, doubling with
/// each one up to 4 s.
pub(crate) fn floor(refusals: u32) -> Duration {
    let doublings = refusals.saturating_sub(1).min(16);
    MIN_PAUSE.saturating_mul(1 << doublings).min(MAX_FLOOR)
}

/// One attempt of a request, as the governor knows it: which request (its attempts share the number), and
/// when it went.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Attempt {
    pub(crate) request: u64,
    pub(crate) sent: Instant,
}

/// The pace of both classes.
#[derive(Debug)]
pub(crate) struct Governor {
    creates: Mutex<Pace>,
    others: Mutex<Pace>,
    /// The number the next request gets.
    requests: AtomicU64,
}

impl Governor {
    pub(crate) fn new(limits: RateLimits) -> Self {
        Self {
            creates: Mutex::new(Pace::new(limits.creates)),
            others: Mutex::new(Pace::new(limits.others)),
            requests: AtomicU64::new(0),
        }
    }

    /// A number for a new request, which its attempts pass to [`acquire`](Self::acquire).
    pub(crate) fn request(&self) -> u64 {
        self.requests.fetch_add(1, Ordering::Relaxed)
    }

    fn pace(&self, class: Class) -> std::sync::MutexGuard<'_, Pace> {
        let pace = match class {
            Class::Create => &self.creates,
            Class::Other => &self.others,
        };
        // A panic elsewhere cannot leave a pace half-updated in a way that matters: use it as it is.
        pace.lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Waits for a slot of `class` for an attempt of `request`; returns the attempt, for
    /// [`throttled`](Self::throttled) and [`answered`](Self::answered) to tell its answer apart from those
    /// of other requests and of attempts sent before.
    pub(crate) async fn acquire(&self, class: Class, request: u64) -> Attempt {
        loop {
            let (at, generation) = self.pace(class).reserve(Instant::now());
            if at > Instant::now() {
                tokio::time::sleep_until(at).await;
            }
            // A 429 while this request slept moved every slot: take a new one.
            let mut pace = self.pace(class);
            if pace.generation == generation {
                let sent = Instant::now();
                pace.sent(sent);
                return Attempt { request, sent };
            }
        }
    }

    /// The server refused `attempt` (of `class`) with 429, asking for `wait` if it said. Returns how long
    /// the class is paused from now (never less than the floor).
    pub(crate) fn throttled(
        &self,
        class: Class,
        attempt: Attempt,
        wait: Option<Duration>,
    ) -> Duration {
        self.pace(class).throttled(Instant::now(), attempt, wait)
    }

    /// `attempt` (of `class`) got an answer other than 429.
    pub(crate) fn answered(&self, class: Class, attempt: Attempt) {
        self.pace(class).answered(attempt);
    }

    /// The current pace of `class` (`None`: unlimited).
    pub(crate) fn rate(&self, class: Class) -> Option<Rate> {
        let pace = self.pace(class);
        let interval = pace.interval?;
        let burst = pace.tolerance.as_secs_f64() / interval.as_secs_f64();
        Some(Rate::per_minute(
            60.0 / interval.as_secs_f64(),
            burst.round() as u32 + 1,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rate_too_low_for_a_duration_waits_as_long_as_one_can() {
        assert_eq!(Rate::per_minute(1e-300, 1).interval(), Some(Duration::MAX));
        assert_eq!(Rate::per_minute(0.0, 1).interval(), None);
        assert_eq!(Rate::per_minute(f64::NAN, 1).interval(), None);
        assert_eq!(
            Rate::per_minute(60.0, 1).interval(),
            Some(Duration::from_secs(1))
        );
    }

    #[test]
    fn the_floor_doubles_from_a_quarter_second_to_four() {
        let ms: Vec<u128> = [0, 1, 2, 3, 4, 5, 6, 40, u32::MAX]
            .map(|n| floor(n).as_millis())
            .to_vec();
        assert_eq!(ms, [250, 250, 500, 1000, 2000, 4000, 4000, 4000, 4000]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_class_refused_with_no_wait_sends_a_few_a_second_at_most() {
        // Ten requests of one class, every one refused with `Retry-After: 0` and queued again at once, for
        // ten seconds: each 429 pauses the class, so the class as a whole goes no faster than the floor.
        let governor = std::sync::Arc::new(Governor::new(RateLimits::learned()));
        let start = Instant::now();
        let sent = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let tasks: Vec<_> = (0..10)
            .map(|_| {
                let (governor, sent) = (governor.clone(), sent.clone());
                tokio::spawn(async move {
                    let request = governor.request();
                    while Instant::now() < start + Duration::from_secs(10) {
                        let attempt = governor.acquire(Class::Create, request).await;
                        sent.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(1)).await;
                        governor.throttled(Class::Create, attempt, Some(Duration::ZERO));
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        let sent = sent.load(Ordering::SeqCst);
        // The first ten at once, then the class's pace: a handful more, nowhere near a thousand a second.
        assert!((11..=30).contains(&sent), "{sent} sent in 10 s");
    }
}
