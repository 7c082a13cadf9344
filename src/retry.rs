//! The one retry policy: which requests may be sent again, when, and how long to wait first.
//!
//! - Reads (GET: get, list, download, webhook secret) are retried on connection errors, timeouts, 408, 429 and
//!   5xx: sending them again changes nothing.
//! - Writes (POST: create, cancel) are retried only when the server certainly did not process them: a 429, or a
//!   connection that could not be established (so nothing was sent).
//! - A 429 from the API is the rate governor's (`governor.rs`): the request waits for its class's pace, for as
//!   long as `max_throttled` and the caller's deadline allow, and does not count as a retry. A create whose fate is unknown is not
//!   resent here; [`Client::create`](crate::Client::create) resolves it (see `create.rs`).
//! - Waits grow exponentially with jitter up to a cap, `Retry-After` (seconds or an HTTP date) is honoured, and
//!   no retry starts once the policy's elapsed-time budget would be exceeded. The caller's own deadline (`run`,
//!   `wait`) still cuts everything short, retries included.

use std::time::{Duration, SystemTime};

use std::future::Future;

use reqwest::{Method, Response, StatusCode};

use crate::{Client, Error, Result};

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

    /// Whether to send a request again after `outcome`, and after how long.
    ///
    /// `attempt` is the number of the attempt that just ended (1 for the first); `elapsed` is the time since
    /// the first attempt started.
    pub(crate) fn retry_after(
        &self,
        method: &Method,
        outcome: &reqwest::Result<Response>,
        attempt: u32,
        elapsed: Duration,
    ) -> Option<Duration> {
        if attempt > self.max_retries {
            return None;
        }
        let read = matches!(*method, Method::GET | Method::HEAD);
        let asked = match outcome {
            Ok(response) => {
                let status = response.status();
                let retryable = status == StatusCode::TOO_MANY_REQUESTS
                    || (read
                        && (status == StatusCode::REQUEST_TIMEOUT || status.is_server_error()));
                if !retryable {
                    return None;
                }
                response
                    .headers()
                    .get(reqwest::header::RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(parse_retry_after)
            }
            // Nothing was sent when no connection could be made; anything else may have reached the server.
            Err(error) if error.is_connect() => None,
            Err(_) if read => None,
            Err(_) => return None,
        };
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
        full.mul_f64(0.5 + fastrand::f64() / 2.0)
    }
}

/// Whether a read that ended in `error` is worth reading again: its answer broke after the corridor had
/// accepted it (a truncated or garbled body, a connection lost mid-body). A body over the size or time limit
/// (a `Decode` with no body to quote) is not: it would only cost the same again.
fn broken_answer(error: &Error) -> bool {
    match error {
        // A body cut short may come whole next time; one of the wrong shape or over a limit would not.
        Error::Decode { .. } => error.decode_kind() == Some(crate::error::Kind::Truncated),
        // Failures before an answer (connect, timeout) were the corridor's to retry already.
        Error::Transport { source, .. } => source.is_body() || source.is_decode(),
        _ => false,
    }
}

impl Client {
    /// Runs a read (get, a list page) again while its answer arrives broken, as the retry policy allows.
    pub(crate) async fn read_again_if_broken<T, F, Fut>(&self, mut read: F) -> Result<T>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let policy = self.shared.corridor.retry();
        let started = tokio::time::Instant::now();
        let mut attempt = 1;
        loop {
            match read().await {
                Err(error)
                    if broken_answer(&error)
                        && attempt <= policy.max_retries
                        && started.elapsed() < policy.max_elapsed =>
                {
                    tracing::debug!(error = %error, attempt, "reading again");
                    tokio::time::sleep(policy.backoff(attempt)).await;
                    attempt += 1;
                }
                outcome => return outcome,
            }
        }
    }
}

/// The longest `Retry-After` taken at its word (a day); larger values are read as this.
const MAX_RETRY_AFTER_SECONDS: u64 = 24 * 60 * 60;

/// The wait a `Retry-After` header asks for: seconds, or an HTTP date (a past date means "now").
pub(crate) fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds.min(MAX_RETRY_AFTER_SECONDS)));
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
