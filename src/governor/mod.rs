//! The rate governor: every API request of a [`Client`](crate::Client) (every `run`, every batch, every poll)
//! passes it, so requests are paced to the account's limits instead of colliding with 429s.
//!
//! Replicate limits two classes of request separately: creating a prediction (600 per minute, short bursts
//! allowed) and everything else (3,000 per minute); accounts with little credit get far less. Each class has
//! its own pace here:
//!
//! - **Known limits**: against `api.replicate.com` the documented limits apply from the start; any other
//!   server (a proxy, the simulator) gets none until it says otherwise, so nothing is slowed by a limit the
//!   server does not have. [`RateLimits`] sets them by hand.
//! - **A 429 pauses the whole class**, not only the refused request, for as long as the server asks
//!   (`Retry-After`, or the body's "resets in ~N s" / "Expected available in 0.5 seconds", read by
//!   `hints.rs`).
//! - **The pace then settles to what the server accepts.** After a 429 the class is paced evenly (bursts no
//!   larger than what the server refills during a pause) at the rate the server has been accepting since it
//!   first refused: while a client asks faster
//!   than the limit, the requests that get through arrive at the limit's own rate. Until there is a
//!   second of that to measure, each 429 halves the pace. After a minute without a 429 the pace creeps up by
//!   a tenth every ten seconds, so a limit that was raised is found again.
//!
//! Waiting is by reservation: each request takes the next free slot of its class and sleeps once until it,
//! so a thousand waiting requests wake one by one, in order, and never race. (The `governor` crate's limiter
//! has a fixed quota and waits by polling; this one must change its rate as it learns, pause on a 429, and
//! hand out slots in order, which is why it is written here, in one small module.)

use std::{collections::VecDeque, sync::Mutex, time::Duration};

use tokio::time::Instant;

mod hints;

pub(crate) use hints::{seconds, wait_in_body};

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

/// The time since the first 429 needed before the accepted rate is trusted as the limit.
const MEASURE_AFTER: Duration = Duration::from_secs(1);
/// How far back accepted requests are counted.
const WINDOW: Duration = Duration::from_secs(60);
/// Quiet time after a 429 before the pace creeps up, and the step between two increases.
const QUIET: Duration = Duration::from_secs(60);
const CREEP_EVERY: Duration = Duration::from_secs(10);
/// The pause after a 429 that names no wait.
const DEFAULT_PAUSE: Duration = Duration::from_secs(1);
/// The slowest pace learning may settle on (one request a minute).
const SLOWEST: Duration = Duration::from_secs(60);
/// At most this many accepted requests are remembered per class.
const MAX_REMEMBERED: usize = 20_000;

/// The pace of both classes.
#[derive(Debug)]
pub(crate) struct Governor {
    creates: Mutex<Pace>,
    others: Mutex<Pace>,
}

impl Governor {
    pub(crate) fn new(limits: RateLimits) -> Self {
        Self {
            creates: Mutex::new(Pace::new(limits.creates)),
            others: Mutex::new(Pace::new(limits.others)),
        }
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

    /// Waits for a slot of `class`.
    pub(crate) async fn acquire(&self, class: Class) {
        loop {
            let (at, generation) = self.pace(class).reserve(Instant::now());
            if at > Instant::now() {
                tokio::time::sleep_until(at).await;
            }
            // A 429 while this request slept moved every slot: take a new one.
            let mut pace = self.pace(class);
            if pace.generation == generation {
                pace.sent(Instant::now());
                return;
            }
        }
    }

    /// The server refused a request of `class` with 429, asking for `wait` if it said.
    pub(crate) fn throttled(&self, class: Class, wait: Option<Duration>) {
        self.pace(class).throttled(Instant::now(), wait);
    }

    /// The current pace of `class` (`None`: unlimited).
    fn rate(&self, class: Class) -> Option<Rate> {
        let pace = self.pace(class);
        let interval = pace.interval?;
        let burst = pace.tolerance.as_secs_f64() / interval.as_secs_f64();
        Some(Rate::per_minute(
            60.0 / interval.as_secs_f64(),
            burst.round() as u32 + 1,
        ))
    }
}

impl crate::Client {
    /// The pace this client keeps now: the limits it started from, or what it learned from the server's 429s
    /// (`None`: no limit known). Every `run`, batch and poll of this client (and its clones) shares it.
    pub fn rate_limits(&self) -> RateLimits {
        let governor = self.shared.transport.governor();
        RateLimits {
            creates: governor.rate(Class::Create),
            others: governor.rate(Class::Other),
        }
    }
}

/// One class's pace: a GCRA schedule (`next` is when the next request is due, `tolerance` how far ahead
/// of it a burst may run), paused after a 429, with what it needs to learn the server's limit.
#[derive(Debug)]
struct Pace {
    /// Time between two requests; `None`: unlimited.
    interval: Option<Duration>,
    tolerance: Duration,
    next: Instant,
    paused_until: Instant,
    /// Bumped by every 429: slots handed out before it are void.
    generation: u64,
    /// When the server first refused (and since when requests are paced evenly).
    throttled_since: Option<Instant>,
    last_throttle: Option<Instant>,
    last_creep: Option<Instant>,
    accepted: VecDeque<Instant>,
}

impl Pace {
    fn new(rate: Option<Rate>) -> Self {
        let now = Instant::now();
        let interval = rate.and_then(|r| r.interval());
        let burst = rate.map_or(1, |r| r.burst.max(1));
        Self {
            interval,
            tolerance: interval.map_or(Duration::ZERO, |i| i.saturating_mul(burst - 1)),
            next: now,
            paused_until: now,
            generation: 0,
            throttled_since: None,
            last_throttle: None,
            last_creep: None,
            accepted: VecDeque::new(),
        }
    }

    /// The time the next request may go, and the generation the slot belongs to.
    fn reserve(&mut self, now: Instant) -> (Instant, u64) {
        self.creep(now);
        let open = now.max(self.paused_until);
        let Some(interval) = self.interval else {
            return (open, self.generation);
        };
        // GCRA: `next` is when the request would be due at an even pace; a burst may run `tolerance` ahead.
        let due = self.next.max(open);
        self.next = due + interval;
        let at = due.checked_sub(self.tolerance).unwrap_or(open).max(open);
        (at, self.generation)
    }

    /// A request goes out. Counted as accepted until a 429 says otherwise (`throttled` takes it back): the
    /// server counts a request when it arrives, while a held create answers only when its prediction ends.
    fn sent(&mut self, now: Instant) {
        if self.accepted.len() == MAX_REMEMBERED {
            self.accepted.pop_front();
        }
        self.accepted.push_back(now);
        while self
            .accepted
            .front()
            .is_some_and(|at| now.saturating_duration_since(*at) > WINDOW)
        {
            self.accepted.pop_front();
        }
    }

    fn throttled(&mut self, now: Instant, wait: Option<Duration>) {
        self.accepted.pop_back();
        // A 429 that asks for no wait at all (`Retry-After: 0`) names no limit to keep to: it is sent again
        // at once, and the pace stays as it was.
        if wait.is_some_and(|w| w.is_zero()) {
            return;
        }
        let pause = wait.unwrap_or(DEFAULT_PAUSE).min(Duration::from_secs(3600));
        let resume = now + pause;
        if resume > self.paused_until {
            self.paused_until = resume;
        }
        // One slowdown per pause: the other 429s of the same moment were sent before it.
        let fresh = self
            .last_throttle
            .is_none_or(|at| now >= at + pause.min(DEFAULT_PAUSE));
        self.last_throttle = Some(now);
        if !fresh {
            return;
        }
        let since = *self.throttled_since.get_or_insert(now);
        let (interval, measured) = self.learned_interval(now, since);
        self.interval = Some(interval);
        // After a 429 the server's bucket is empty: an even pace, with a burst of what it refills while this
        // class waits (a pause's worth) once the pace is measured, not guessed.
        self.tolerance = match measured {
            true => pause.min(Duration::from_secs(5)).saturating_sub(interval),
            false => Duration::ZERO,
        };
        self.next = self.paused_until;
        self.generation += 1;
    }

    /// The interval after a 429: the accepted rate since the first 429 once there is enough of it to
    /// measure, else half the current pace (or, unlimited so far, the rate accepted in the last second).
    /// The interval after a 429, and whether it was measured (else guessed).
    fn learned_interval(&self, now: Instant, since: Instant) -> (Duration, bool) {
        // Measured over the last minute at most (what is remembered), since the first 429 if that is later.
        let from = since.max(now.checked_sub(WINDOW).unwrap_or(since));
        let span = now.saturating_duration_since(from);
        let count = |from: Instant| self.accepted.iter().filter(|at| **at >= from).count() as u32;
        let measured = span >= MEASURE_AFTER && count(from) >= 2;
        let interval = if measured {
            span / count(from)
        } else if let Some(interval) = self.interval {
            interval.saturating_mul(2)
        } else {
            let recent = count(now.checked_sub(Duration::from_secs(1)).unwrap_or(now));
            Duration::from_secs(1) / recent.max(1)
        };
        (interval.min(SLOWEST), measured)
    }

    /// After a quiet minute, a tenth faster every ten seconds.
    fn creep(&mut self, now: Instant) {
        let (Some(interval), Some(last)) = (self.interval, self.last_throttle) else {
            return;
        };
        let quiet = now.saturating_duration_since(last) >= QUIET;
        let due = self
            .last_creep
            .is_none_or(|at| now.saturating_duration_since(at) >= CREEP_EVERY);
        if quiet && due {
            self.interval = Some(interval.mul_f64(1.0 / 1.1));
            self.last_creep = Some(now);
        }
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

    #[tokio::test(start_paused = true)]
    async fn a_known_rate_allows_its_burst_then_paces() {
        let mut pace = Pace::new(Some(Rate::per_minute(120.0, 3)));
        let start = Instant::now();
        let slots: Vec<Duration> = (0..6).map(|_| pace.reserve(start).0 - start).collect();
        let ms: Vec<u128> = slots.iter().map(Duration::as_millis).collect();
        assert_eq!(ms, [0, 0, 0, 500, 1000, 1500]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_429_pauses_the_class_and_the_accepted_rate_becomes_the_pace() {
        let mut pace = Pace::new(None);
        let t0 = Instant::now();
        assert_eq!(pace.reserve(t0).0, t0, "unlimited until told otherwise");
        // The server accepts 2 per second while the client asks for more.
        for i in 0..9 {
            pace.sent(t0 + Duration::from_millis(500 * i));
        }
        pace.throttled(t0, Some(Duration::from_secs(1)));
        let (at, _) = pace.reserve(t0);
        assert_eq!(at, t0 + Duration::from_secs(1), "paused as asked");
        let later = t0 + Duration::from_secs(4);
        pace.throttled(later, Some(Duration::from_secs(1)));
        let per_second = 1.0 / pace.interval.unwrap().as_secs_f64();
        assert!((1.5..=2.5).contains(&per_second), "{per_second}");
        // A pause's worth at once (what the server refilled meanwhile), then evenly.
        let slots: Vec<Instant> = (0..4).map(|_| pace.reserve(later).0).collect();
        let resume = later + Duration::from_secs(1);
        let refilled = slots.iter().filter(|at| **at == resume).count();
        assert!((1..=2).contains(&refilled), "{refilled} at once");
        assert_eq!(slots[3] - slots[2], pace.interval.unwrap(), "then evenly");
    }

    #[tokio::test(start_paused = true)]
    async fn an_hour_later_the_pace_is_measured_over_the_last_minute() {
        let mut pace = Pace::new(None);
        let t0 = Instant::now();
        pace.throttled(t0, Some(Duration::from_secs(1)));
        // An hour at 2 a second, then a 429: the pace is the last minute's, not an hour's average.
        let hour = t0 + Duration::from_secs(3600);
        for i in 0..240 {
            pace.sent(hour - Duration::from_secs(120) + Duration::from_millis(500 * i));
        }
        pace.throttled(hour, Some(Duration::from_secs(1)));
        let per_second = 1.0 / pace.interval.unwrap().as_secs_f64();
        assert!((1.5..=2.5).contains(&per_second), "{per_second}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_429_asking_for_no_wait_changes_nothing() {
        let mut pace = Pace::new(None);
        let t0 = Instant::now();
        pace.throttled(t0, Some(Duration::ZERO));
        assert_eq!(pace.interval, None);
        assert_eq!(pace.reserve(t0).0, t0);
    }

    #[tokio::test(start_paused = true)]
    async fn the_pace_creeps_up_after_a_quiet_minute() {
        let mut pace = Pace::new(None);
        let t0 = Instant::now();
        pace.throttled(t0, None);
        let before = pace.interval.unwrap();
        pace.reserve(t0 + Duration::from_secs(30));
        assert_eq!(pace.interval.unwrap(), before, "not yet");
        pace.reserve(t0 + Duration::from_secs(61));
        assert!(pace.interval.unwrap() < before);
    }
}
