//! One class's pace: when its next request may go, the pause after a 429, and what it learns of the
//! server's limit. The rules are in the [module docs](super).

use std::{collections::VecDeque, time::Duration};

use tokio::time::Instant;

use super::{Attempt, Rate, floor};

/// The time since the first 429 needed before the accepted rate is trusted as the limit.
const MEASURE_AFTER: Duration = Duration::from_secs(1);
/// How far back accepted requests are counted.
const WINDOW: Duration = Duration::from_secs(60);
/// Quiet time after a 429 before the pace creeps up, and the step between two increases.
const QUIET: Duration = Duration::from_secs(60);
const CREEP_EVERY: Duration = Duration::from_secs(10);
/// The pause after a 429 that names no wait.
const DEFAULT_PAUSE: Duration = Duration::from_secs(1);
/// The longest pause a 429 brings (a server asking for more is asked again after an hour).
const LONGEST_PAUSE: Duration = Duration::from_secs(3600);
/// The slowest pace learning may settle on (one request a minute).
const SLOWEST: Duration = Duration::from_secs(60);
/// At most this many accepted (and as many refused) requests are remembered per class.
const MAX_REMEMBERED: usize = 20_000;
/// How far back the share of refused requests is counted.
const SHARE_OVER: Duration = Duration::from_secs(1);
/// The share of the last second's attempts that must have been refused for a 429 to teach a pace.
const LESSON_SHARE: f64 = 0.25;

/// A GCRA schedule (`next` is when the next request is due, `tolerance` how far ahead of it a burst may
/// run), paused after a 429, with what it needs to learn the server's limit.
#[derive(Debug)]
pub(super) struct Pace {
    /// Time between two requests; `None`: unlimited.
    pub(super) interval: Option<Duration>,
    pub(super) tolerance: Duration,
    /// The configured rate's interval and tolerance: nothing learned goes faster or bursts further.
    ceiling: Option<(Duration, Duration)>,
    next: Instant,
    paused_until: Instant,
    /// Bumped by every 429 that changes the pace: slots handed out before it are void.
    pub(super) generation: u64,
    /// When the server first refused (and since when requests are paced evenly).
    throttled_since: Option<Instant>,
    last_throttle: Option<Instant>,
    last_creep: Option<Instant>,
    /// When the last request of the class went out: the next one keeps the pace from it.
    last_sent: Option<Instant>,
    /// 429s in a row: each one to a request sent after the one before came back, none accepted since.
    streak: u32,
    /// Since when an answer ends the streak: when the 429 before its latest one came back (for a first
    /// 429, when its request was sent). The request refused last and the others of its class go together
    /// at the end of a pause; the answer to such another says the server is taking requests, whichever of
    /// the two comes back first.
    streak_since: Option<Instant>,
    /// Whether the 429s since the last fresh one have yet to teach a pace (each pause teaches once).
    lesson_due: bool,
    accepted: VecDeque<Instant>,
    /// When the 429s of the last minute came back, and to which request.
    refused: VecDeque<(Instant, u64)>,
}

impl Pace {
    pub(super) fn new(rate: Option<Rate>) -> Self {
        let now = Instant::now();
        let interval = rate.and_then(|r| r.interval());
        let burst = rate.map_or(1, |r| r.burst.max(1));
        let tolerance = interval.map_or(Duration::ZERO, |i| i.saturating_mul(burst - 1));
        Self {
            interval,
            tolerance,
            ceiling: interval.map(|i| (i, tolerance)),
            next: now,
            paused_until: now,
            generation: 0,
            throttled_since: None,
            last_throttle: None,
            last_creep: None,
            last_sent: None,
            streak: 0,
            streak_since: None,
            lesson_due: false,
            accepted: VecDeque::new(),
            refused: VecDeque::new(),
        }
    }

    /// The time the next request may go, and the generation the slot belongs to.
    pub(super) fn reserve(&mut self, now: Instant) -> (Instant, u64) {
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
    pub(super) fn sent(&mut self, now: Instant) {
        self.last_sent = Some(now);
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

    /// An attempt got an answer other than 429: the server is taking requests again, so the next 429 starts
    /// a new streak from the shortest pause. An answer to a request sent before the previous 429 came back
    /// says nothing of now.
    pub(super) fn answered(&mut self, attempt: Attempt) {
        if self.streak_since.is_none_or(|at| attempt.sent >= at) {
            self.streak = 0;
        }
    }

    /// The server refused `attempt` with 429, asking for `wait` if it said. Returns how long the class is
    /// paused from `now`.
    pub(super) fn throttled(
        &mut self,
        now: Instant,
        attempt: Attempt,
        wait: Option<Duration>,
    ) -> Duration {
        self.accepted.pop_back();
        self.note_refused(now, attempt.request);
        self.throttled_since.get_or_insert(now);
        // One step per pause: the 429s of requests sent before the last 429 came back were sent before the
        // pause, and say nothing new, but for the share of them refused (which may still teach).
        let fresh = self.last_throttle.is_none_or(|at| attempt.sent >= at);
        if fresh {
            self.streak_since = Some(self.last_throttle.unwrap_or(attempt.sent));
            self.streak = self.streak.saturating_add(1);
            self.lesson_due = true;
        }
        let pause = wait
            .unwrap_or(DEFAULT_PAUSE)
            .max(floor(self.streak))
            .min(LONGEST_PAUSE);
        self.last_throttle = Some(now);
        let resume = now + pause;
        let extends = resume > self.paused_until;
        self.paused_until = self.paused_until.max(resume);
        let teaches = self.lesson_due && self.refused_enough(now, attempt.request);
        if teaches {
            self.lesson_due = false;
            self.learn(now, pause);
        }
        if teaches || extends {
            self.restart();
        }
        self.paused_until.saturating_duration_since(now)
    }

    fn note_refused(&mut self, now: Instant, request: u64) {
        if self.refused.len() == MAX_REMEMBERED {
            self.refused.pop_front();
        }
        self.refused.push_back((now, request));
        while self
            .refused
            .front()
            .is_some_and(|(at, _)| now.saturating_duration_since(*at) > WINDOW)
        {
            self.refused.pop_front();
        }
    }

    /// Whether the 429s say the class goes faster than the server's limit, so that the 429 just come back
    /// for `request` may teach a pace: at least a quarter of the attempts of the last second were refused,
    /// and in the last minute the server refused some other request as well.
    ///
    /// A 429 among many accepted requests pauses the class but teaches no pace: each lesson paces the class
    /// at what the server accepted, so lessons from a server that refuses one request in ten whatever the
    /// pace (a flaky proxy, the simulator's fault mix) would take a tenth off the pace each time, without
    /// end, while a server that is really limiting refuses far more (or, at a pace just over its limit, few
    /// enough that the pauses alone hold the class to it). And one request refused again and again is no
    /// sign of the class's limit (the server may be refusing that request alone): its own floor holds it
    /// back, and the rest of its class goes on at its pace.
    fn refused_enough(&self, now: Instant, request: u64) -> bool {
        let from = now.checked_sub(SHARE_OVER).unwrap_or(now);
        let refused = self.refused.iter().filter(|(at, _)| *at >= from).count();
        let accepted = self.accepted.iter().filter(|at| **at >= from).count();
        let share = refused as f64 / (refused + accepted).max(1) as f64;
        share >= LESSON_SHARE && self.refused.iter().any(|(_, other)| *other != request)
    }

    /// A fresh 429's lesson: pace the class at what the server accepts, evenly.
    fn learn(&mut self, now: Instant, pause: Duration) {
        let since = self.throttled_since.unwrap_or(now);
        let (interval, measured) = self.learned_interval(now, since, pause);
        self.interval = Some(interval);
        // After a 429 the server's bucket is empty: an even pace, with a burst of what it refills while this
        // class waits (a pause's worth) once the pace is measured, not guessed.
        let tolerance = match measured {
            true => pause.min(Duration::from_secs(5)).saturating_sub(interval),
            false => Duration::ZERO,
        };
        self.tolerance = self
            .ceiling
            .map_or(tolerance, |(_, most)| tolerance.min(most));
    }

    /// The slots handed out before are void (`generation`), and the schedule starts again at the end of the
    /// pause; but never closer to the last request sent than the pace allows, however short the pause.
    fn restart(&mut self) {
        let kept = match self.interval.zip(self.last_sent) {
            // An interval too long to add is kept as the schedule already has it.
            Some((interval, at)) => at.checked_add(interval).unwrap_or(self.next),
            None => self.paused_until,
        };
        self.next = kept.max(self.paused_until);
        self.generation += 1;
    }

    /// The interval after a 429 that paused the class for `pause`: the accepted rate since the first 429
    /// once there is enough of it to measure, else half the current pace (or, unlimited so far, the rate
    /// accepted in the last second, and at least one per pause: a lone request refused with "available in
    /// 0.5 seconds" has seen nothing accepted, and the server said when to ask again); never faster than
    /// the configured rate. The interval, and whether it was measured (else guessed).
    fn learned_interval(&self, now: Instant, since: Instant, pause: Duration) -> (Duration, bool) {
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
            (Duration::from_secs(1) / recent.max(1)).min(pause)
        };
        (self.no_faster(interval.min(SLOWEST)), measured)
    }

    /// `interval`, or the configured one if that is slower.
    fn no_faster(&self, interval: Duration) -> Duration {
        self.ceiling
            .map_or(interval, |(least, _)| interval.max(least))
    }

    /// After a quiet minute, a tenth faster every ten seconds, up to the configured rate.
    fn creep(&mut self, now: Instant) {
        let (Some(interval), Some(last)) = (self.interval, self.last_throttle) else {
            return;
        };
        let quiet = now.saturating_duration_since(last) >= QUIET;
        let due = self
            .last_creep
            .is_none_or(|at| now.saturating_duration_since(at) >= CREEP_EVERY);
        if quiet && due {
            self.interval = Some(self.no_faster(interval.mul_f64(1.0 / 1.1)));
            self.last_creep = Some(now);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn by(request: u64, sent: Instant) -> Attempt {
        Attempt { request, sent }
    }

    /// `n` requests sent at `sent`, all refused at `now` asking for `wait`.
    fn refuse_many(pace: &mut Pace, n: u64, sent: Instant, now: Instant, wait: Option<Duration>) {
        for _ in 0..n {
            pace.sent(sent);
        }
        for request in 0..n {
            pace.throttled(now, by(100 + request, sent), wait);
        }
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
        pace.sent(t0);
        pace.throttled(t0 + ms(1), by(0, t0), Some(Duration::from_secs(1)));
        let (at, _) = pace.reserve(t0 + ms(1));
        assert_eq!(at, t0 + ms(1001), "paused as asked");
        // Then the server accepts 2 per second while the client asks for more.
        for i in 0..10 {
            pace.sent(t0 + ms(1001 + 500 * i));
        }
        let later = t0 + ms(5502);
        refuse_many(
            &mut pace,
            3,
            later - ms(1),
            later,
            Some(Duration::from_secs(1)),
        );
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
        pace.throttled(t0, by(0, t0), Some(Duration::from_secs(1)));
        // An hour at 2 a second, then 429s: the pace is the last minute's, not an hour's average.
        let hour = t0 + Duration::from_secs(3600);
        for i in 0..240 {
            pace.sent(hour - Duration::from_secs(120) + ms(500 * i));
        }
        refuse_many(&mut pace, 3, hour, hour, Some(Duration::from_secs(1)));
        let per_second = 1.0 / pace.interval.unwrap().as_secs_f64();
        assert!((1.5..=2.5).contains(&per_second), "{per_second}");
    }

    #[tokio::test(start_paused = true)]
    async fn the_pace_creeps_up_after_a_quiet_minute() {
        let mut pace = Pace::new(None);
        let t0 = Instant::now();
        refuse_many(&mut pace, 2, t0, t0, None);
        let before = pace.interval.unwrap();
        pace.reserve(t0 + Duration::from_secs(30));
        assert_eq!(pace.interval.unwrap(), before, "not yet");
        pace.reserve(t0 + Duration::from_secs(61));
        assert!(pace.interval.unwrap() < before);
    }

    /// A class (`busy`: that was sending a thousand requests a second) with one request refused again and
    /// again with `wait`, sent each time as soon as the class allows; the gaps between its sends over
    /// `span`, in milliseconds.
    fn refused_again_and_again(busy: bool, wait: Option<Duration>, span: Duration) -> Vec<u128> {
        let mut pace = Pace::new(None);
        let t0 = Instant::now();
        for i in (0..1000).filter(|_| busy) {
            pace.sent(t0 - Duration::from_secs(1) + ms(i));
        }
        let mut sends = Vec::new();
        let mut now = t0;
        while now < t0 + span {
            let (at, _) = pace.reserve(now);
            pace.sent(at);
            sends.push(at - t0);
            // The 429 comes back a millisecond later.
            now = at + ms(1);
            pace.throttled(now, by(0, at), wait);
        }
        sends
            .windows(2)
            .map(|w| (w[1] - w[0]).as_millis())
            .collect()
    }

    #[tokio::test(start_paused = true)]
    async fn a_429_asking_for_no_wait_still_pauses_and_the_pause_grows() {
        let gaps = refused_again_and_again(true, Some(Duration::ZERO), Duration::from_secs(10));
        // 250 ms, doubling while the server keeps refusing, up to 4 s.
        assert_eq!(gaps, [251, 501, 1001, 2001, 4001, 4001]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_lone_request_refused_with_no_wait_is_sent_once_per_pause() {
        let gaps = refused_again_and_again(false, Some(Duration::ZERO), Duration::from_secs(16));
        // One request's 429s teach its class no pace (the server may be refusing that request alone): the
        // floor holds it, doubling up to 4 s and staying there, so a server that starts answering again
        // is heard within seconds.
        assert_eq!(gaps, [251, 501, 1001, 2001, 4001, 4001, 4001, 4001]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_sub_second_hint_is_kept_when_above_the_floor() {
        let gaps = refused_again_and_again(true, Some(ms(500)), Duration::from_secs(3));
        // The hint's 500 ms while the floor is under it, then the floor's 1 s, 2 s.
        assert_eq!(gaps, [501, 501, 1001, 2001]);
    }

    #[tokio::test(start_paused = true)]
    async fn an_accepted_answer_ends_the_streak() {
        let mut pace = Pace::new(None);
        let t0 = Instant::now();
        for i in 0..3 {
            let at = t0 + Duration::from_secs(10 * i);
            pace.throttled(at + ms(1), by(0, at), Some(Duration::ZERO));
        }
        let late = t0 + Duration::from_secs(30);
        assert_eq!(
            pace.throttled(late + ms(1), by(0, late), None),
            Duration::from_secs(2)
        );
        // An answer to a request sent before the previous 429 came back says nothing; one sent since does,
        // even one that went with the request refused last and came back after its 429.
        pace.answered(by(1, t0 + Duration::from_secs(20)));
        assert_eq!(pace.streak, 4);
        pace.answered(by(1, late));
        assert_eq!(pace.streak, 0);
        let next = late + Duration::from_secs(10);
        pace.answered(by(2, next));
        let refused = next + Duration::from_secs(1);
        assert_eq!(
            pace.throttled(refused + ms(1), by(0, refused), Some(Duration::ZERO)),
            ms(250)
        );
    }

    #[tokio::test(start_paused = true)]
    async fn the_429s_of_one_moment_pause_once_and_teach_once() {
        let mut pace = Pace::new(None);
        let t0 = Instant::now();
        for _ in 0..8 {
            pace.sent(t0);
        }
        let back = t0 + ms(5);
        let paused: Vec<Duration> = (0..8)
            .map(|request| pace.throttled(back, by(request, t0), Some(Duration::ZERO)))
            .collect();
        assert!(paused.iter().all(|p| *p == ms(250)), "{paused:?}");
        // Taught once, when a quarter had come back refused: the rate of the six not yet refused then (a
        // second lesson would have halved it).
        assert_eq!(pace.interval, Some(Duration::from_secs(1) / 6));
    }

    #[tokio::test(start_paused = true)]
    async fn no_hint_makes_a_class_go_faster_than_its_pace() {
        // A configured 30 a minute, two requests 2 s apart, both refused asking for no wait: the next
        // request goes no closer to the last one than the pace (now halved), and no lesson goes faster
        // than the configured rate.
        let mut pace = Pace::new(Some(Rate::per_minute(30.0, 1)));
        let t0 = Instant::now();
        let sends: Vec<Instant> = (0..2).map(|_| pace.reserve(t0).0).collect();
        for at in &sends {
            pace.sent(*at);
        }
        let last = sends[1];
        for (request, at) in sends.iter().enumerate() {
            pace.throttled(last + ms(1), by(request as u64, *at), Some(Duration::ZERO));
        }
        let (next, _) = pace.reserve(last + ms(1));
        assert_eq!(
            next - last,
            Duration::from_secs(4),
            "not after the 250 ms pause"
        );
        assert_eq!(pace.tolerance, Duration::ZERO);
        // Learned from a burst the server took: still no faster than configured, even after creeping.
        let mut pace = Pace::new(Some(Rate::per_minute(30.0, 1)));
        pace.throttled(t0 + ms(1), by(0, t0), Some(Duration::ZERO));
        for i in 0..50 {
            pace.sent(t0 + ms(10 + 40 * i));
        }
        // Then the server refuses many at once.
        let now = t0 + Duration::from_secs(2);
        for request in 1..11 {
            pace.throttled(now, by(request, now), Some(Duration::ZERO));
        }
        pace.reserve(now + Duration::from_secs(200));
        assert_eq!(pace.interval, Some(Duration::from_secs(2)));
    }
}
