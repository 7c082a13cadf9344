//! How much retrying is allowed, and how long to wait: the [`RetryPolicy`]. Which failures are tried again,
//! and by which layer, is the table's (`table.rs`).
//!
//! - Waits grow exponentially with jitter up to a cap, `Retry-After` (seconds or an HTTP date) is honoured,
//!   and no retry starts once the policy's elapsed-time budget would be exceeded.
//! - A 429 from the API is the rate governor's (`governor/`): the request waits for its class's pace, and at
//!   least a floor even when the 429 asks for no wait, for as long as `max_throttled` and the caller's
//!   deadline allow, and does not count as a retry.
//! - The caller's own deadline (`run`, `wait`) still cuts everything short, retries included.

use std::time::{Duration, SystemTime};

use reqwest::header::HeaderMap;

mod reread;
pub(crate) use reread::read_again_if_broken;
pub(crate) mod table;

/// How requests are retried.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// How many times one request may be sent again (default 5; 0 turns retries off).
    pub max_retries: u32,
    /// The wait before the first retry, before jitter (default 250 ms).
    pub initial_backoff: Duration,
    /// The longest wait between two attempts, unless `Retry-After` asks for more (default 8 s).
    pub max_backoff: Duration,
    /// No retry starts after this much time since the first attempt (default 60 s).
    pub max_elapsed: Duration,
    /// How long an API request refused with 429 keeps waiting for the rate governor to let it through
    /// (default 15 minutes). A throttled request is not a failure: it waits, and so does every request of its
    /// class, without counting against `max_retries` or `max_elapsed`; the caller's deadline (`run`, `wait`)
    /// still ends it.
    pub max_throttled: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 5,
            initial_backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(8),
            max_elapsed: Duration::from_secs(60),
            max_throttled: Duration::from_secs(15 * 60),
        }
    }
}

impl RetryPolicy {
    /// No retries at all (a 429 included: it is returned as it came).
    pub fn none() -> Self {
        Self {
            max_retries: 0,
            max_throttled: Duration::ZERO,
            ..Self::default()
        }
    }

    /// Sets how many times one request may be sent again.
    #[must_use]
    pub fn max_retries(mut self, retries: u32) -> Self {
        self.max_retries = retries;
        self
    }

    /// Sets the wait before the first retry.
    #[must_use]
    pub fn initial_backoff(mut self, wait: Duration) -> Self {
        self.initial_backoff = wait;
        self
    }

    /// Sets the longest wait between two attempts.
    #[must_use]
    pub fn max_backoff(mut self, wait: Duration) -> Self {
        self.max_backoff = wait;
        self
    }

    /// Sets the time after which no retry starts.
    #[must_use]
    pub fn max_elapsed(mut self, budget: Duration) -> Self {
        self.max_elapsed = budget;
        self
    }

    /// Sets how long a throttled API request keeps waiting for its turn.
    #[must_use]
    pub fn max_throttled(mut self, budget: Duration) -> Self {
        self.max_throttled = budget;
        self
    }

    /// The wait before sending a request again after attempt `attempt` (1-based) failed, `elapsed` after
    /// the first attempt started: what the answer's `Retry-After` asked (`asked`), else the backoff. `None`
    /// when the policy allows no more: `max_retries` reached, or the wait would end past `max_elapsed`.
    pub(crate) fn delay(
        &self,
        attempt: u32,
        elapsed: Duration,
        asked: Option<Duration>,
    ) -> Option<Duration> {
        if attempt > self.max_retries {
            return None;
        }
        let wait = asked.unwrap_or_else(|| self.backoff(attempt));
        elapsed
            .checked_add(wait)
            .is_some_and(|total| total <= self.max_elapsed)
            .then_some(wait)
    }

    /// The wait after attempt `attempt` (1-based): exponential, capped, with jitter in its upper half.
    pub(crate) fn backoff(&self, attempt: u32) -> Duration {
        let exponent = attempt.saturating_sub(1).min(30);
        let full = self
            .initial_backoff
            .saturating_mul(1 << exponent)
            .min(self.max_backoff);
        // A backoff set near `Duration::MAX` has no room for jitter above half of it: no panic, the full wait.
        Duration::try_from_secs_f64(full.as_secs_f64() * (0.5 + fastrand::f64() / 2.0))
            .unwrap_or(full)
    }
}

/// The longest `Retry-After` taken at its word (a day); larger values are read as this.
const MAX_RETRY_AFTER_SECONDS: u64 = 24 * 60 * 60;

/// The wait an answer's `Retry-After` header asks for, if it has a readable one.
pub(crate) fn retry_after_of(headers: &HeaderMap) -> Option<Duration> {
    headers
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(parse_retry_after)
}

/// The wait a `Retry-After` header asks for: seconds (a fraction, which some servers send, is kept rather
/// than read as no wait), or an HTTP date (a past date means "now"). A wait of zero is the caller's to
/// floor: the rate governor never takes a 429's zero at its word.
pub(crate) fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Some(wait) = crate::governor::seconds(value) {
        return Some(wait.min(Duration::from_secs(MAX_RETRY_AFTER_SECONDS)));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(
        at.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_and_dates() {
        assert_eq!(parse_retry_after("7"), Some(Duration::from_secs(7)));
        assert_eq!(parse_retry_after(" 0 "), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("1.5"), Some(Duration::from_millis(1500)));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO)
        );
        let later = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(120));
        let wait = parse_retry_after(&later).unwrap();
        assert!(wait > Duration::from_secs(100) && wait <= Duration::from_secs(120));
        assert_eq!(parse_retry_after("soon"), None);
        assert_eq!(parse_retry_after("-3"), None);
        assert_eq!(
            parse_retry_after("18446744073709551615"),
            Some(Duration::from_secs(MAX_RETRY_AFTER_SECONDS))
        );
    }

    #[test]
    fn a_backoff_as_long_as_a_duration_can_be_is_no_panic() {
        let policy = RetryPolicy::default()
            .initial_backoff(Duration::MAX)
            .max_backoff(Duration::MAX);
        for attempt in [1, 2, 64, u32::MAX] {
            for _ in 0..20 {
                assert!(policy.backoff(attempt) >= Duration::MAX / 2);
            }
        }
    }

    #[test]
    fn backoff_grows_with_jitter_up_to_the_cap() {
        let policy = RetryPolicy::default();
        for attempt in 1..=10 {
            let full = Duration::from_millis(250)
                .saturating_mul(1 << (attempt - 1))
                .min(Duration::from_secs(8));
            for _ in 0..20 {
                let wait = policy.backoff(attempt);
                assert!(
                    wait >= full / 2 && wait <= full,
                    "attempt {attempt}: {wait:?}"
                );
            }
        }
        assert!(policy.backoff(u32::MAX) <= Duration::from_secs(8));
    }
}
