//! Replicate's rate limits: a token bucket per class of request, in front of the routes.
//!
//! Two classes, each with its own bucket: *creates* (`POST` of a prediction to `/models/{owner}/{name}/predictions`,
//! `/predictions` or `/deployments/{owner}/{name}/predictions`) and *others* (every other request to the API
//! host: gets, cancels, lists, files, models, unknown paths). The delivery host and the record route
//! (`/_simulator/record`) are never limited.
//!
//! A token is taken as the request arrives, before anything else (before the token is checked, before fault
//! injection), so a request with a wrong token spends one too. A request that finds its bucket empty is answered
//! 429 as Replicate answers it, with `Retry-After` in whole seconds, and does nothing else; it is counted in
//! [`Record::requests`](super::Record::requests) and in `throttled_creates` or `throttled_others`. The API
//! faults' [`throttle_detail`](super::Faults::throttle_detail) and
//! [`omit_retry_after`](super::Faults::omit_retry_after) reword it as they do the throttle fault's.
//!
//! By default there are no limits. Predictions slow enough to stop a process in the middle of a batch come
//! from the timings, not from here: [`SimulatorConfig::timings`](super::SimulatorConfig::timings), or
//! `ideogram simulate --processing-ms 20000`.

use std::{str::FromStr, sync::Mutex, time::Duration};

use axum::{
    http::{HeaderValue, Method, StatusCode, header},
    response::Response,
};
use tokio::time::Instant;

use super::{Faults, ServerState, SimulatorConfig, api};

/// One class's limit: a bucket of `burst` tokens, refilled at `per_minute` tokens a minute. Each request takes
/// one token; a request that finds none is throttled.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub struct Bucket {
    per_minute: f64,
    burst: u32,
}

impl Bucket {
    /// A bucket refilled at `per_minute` requests a minute (fractions allowed: `0.5` is one every two minutes)
    /// holding at most `burst` (the requests allowed at once after a quiet spell). It starts full. A rate
    /// that is not a positive finite number is read as one a minute; a burst of 0 as 1.
    pub fn new(per_minute: f64, burst: u32) -> Self {
        let per_minute = if per_minute.is_finite() && per_minute > 0.0 {
            per_minute
        } else {
            1.0
        };
        Self {
            per_minute,
            burst: burst.max(1),
        }
    }

    /// The refill rate, in requests a minute.
    pub fn per_minute(&self) -> f64 {
        self.per_minute
    }

    /// The capacity: how many requests may come at once.
    pub fn burst(&self) -> u32 {
        self.burst
    }
}

/// The simulator's rate limits, one optional [`Bucket`] per class of request (`None`: unlimited). The default
/// limits nothing.
///
/// ```
/// use replicate_ideogram_simulator::{Bucket, ServerLimits, SimulatorConfig};
///
/// let config = SimulatorConfig::default()
///     .rate_limits(ServerLimits::none().creates(Bucket::new(120.0, 20)));
/// assert_eq!(config.rate_limits.creates.map(|b| b.burst()), Some(20));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct ServerLimits {
    /// Prediction creates: `POST` to `/models/{owner}/{name}/predictions`, `/predictions` or
    /// `/deployments/{owner}/{name}/predictions`.
    pub creates: Option<Bucket>,
    /// Every other request to the API host.
    pub others: Option<Bucket>,
}

impl ServerLimits {
    /// No limits (the default).
    pub fn none() -> Self {
        Self::default()
    }

    /// Replicate's published limits: 600 creates a minute and 3,000 other requests a minute. Replicate allows
    /// "short bursts" but does not publish their size; the simulator allows bursts of 100 creates and 500
    /// others (ten seconds' worth).
    pub fn replicate() -> Self {
        Self {
            creates: Some(Bucket::new(600.0, 100)),
            others: Some(Bucket::new(3000.0, 500)),
        }
    }

    /// The far lower limits reported for accounts with little credit, "1 request per second, 6 per minute",
    /// read as: creates at 1 a second (60 a minute) with no burst, others at 6 a second (360 a minute) with
    /// a burst of 6. Replicate documents neither figure exactly.
    pub fn low_credit() -> Self {
        Self {
            creates: Some(Bucket::new(60.0, 1)),
            others: Some(Bucket::new(360.0, 6)),
        }
    }

    /// Limits creates with `bucket`.
    #[must_use]
    pub fn creates(mut self, bucket: Bucket) -> Self {
        self.creates = Some(bucket);
        self
    }

    /// Limits the other requests with `bucket`.
    #[must_use]
    pub fn others(mut self, bucket: Bucket) -> Self {
        self.others = Some(bucket);
        self
    }

    /// Whether nothing is limited.
    pub fn is_none(&self) -> bool {
        self.creates.is_none() && self.others.is_none()
    }
}

/// Parses `replicate`, `low-credit`, `none`, or `CREATES_PER_MIN[:BURST][,OTHERS_PER_MIN[:BURST]]`, e.g.
/// `120:20` (creates only) or `120:20,3000:500`; an empty part leaves its class unlimited (`,6` limits only
/// the others). A missing `BURST` is one second's worth, rounded up, at least 1.
impl FromStr for ServerLimits {
    type Err = replicate_ideogram::Error;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let error = |why: &str| {
            replicate_ideogram::Error::Config(format!(
                "rate limit {text:?}: {why} (expected replicate, low-credit, none or \
                 CREATES_PER_MIN[:BURST][,OTHERS_PER_MIN[:BURST]])"
            ))
        };
        match text.trim() {
            "replicate" => return Ok(Self::replicate()),
            "low-credit" => return Ok(Self::low_credit()),
            "none" => return Ok(Self::none()),
            _ => {}
        }
        let mut parts = text.split(',');
        let creates = parse_bucket(parts.next().unwrap_or_default()).map_err(|e| error(&e))?;
        let others = parse_bucket(parts.next().unwrap_or_default()).map_err(|e| error(&e))?;
        if parts.next().is_some() {
            return Err(error("more than two parts"));
        }
        Ok(Self { creates, others })
    }
}

/// `PER_MIN[:BURST]`, or nothing (unlimited).
fn parse_bucket(text: &str) -> Result<Option<Bucket>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let (rate, burst) = match text.split_once(':') {
        Some((rate, burst)) => (rate, Some(burst)),
        None => (text, None),
    };
    let per_minute: f64 = rate
        .trim()
        .parse()
        .ok()
        .filter(|r: &f64| r.is_finite() && *r > 0.0)
        .ok_or_else(|| format!("{rate:?} is not a positive number of requests a minute"))?;
    let burst = match burst {
        Some(burst) => burst
            .trim()
            .parse()
            .ok()
            .filter(|b: &u32| *b > 0)
            .ok_or_else(|| format!("{burst:?} is not a burst of at least 1"))?,
        None => (per_minute / 60.0).ceil().clamp(1.0, f64::from(u32::MAX)) as u32,
    };
    Ok(Some(Bucket::new(per_minute, burst)))
}

impl SimulatorConfig {
    /// Sets the rate limits (default: none), e.g. [`ServerLimits::replicate`].
    #[must_use]
    pub fn rate_limits(mut self, limits: ServerLimits) -> Self {
        self.rate_limits = limits;
        self
    }
}

/// A bucket's tokens at a moment.
#[derive(Debug)]
struct Tokens {
    bucket: Bucket,
    tokens: f64,
    at: Instant,
}

impl Tokens {
    fn full(bucket: Bucket, now: Instant) -> Self {
        Self {
            bucket,
            tokens: f64::from(bucket.burst),
            at: now,
        }
    }

    /// Takes a token at `now`, or says how long until the next one.
    fn take(&mut self, now: Instant) -> Result<(), Duration> {
        let per_second = self.bucket.per_minute / 60.0;
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        self.tokens = (self.tokens + elapsed * per_second).min(f64::from(self.bucket.burst));
        self.at = self.at.max(now);
        // A whole interval's refill counts as a token despite rounding.
        if self.tokens >= 1.0 - 1e-9 {
            self.tokens = (self.tokens - 1.0).max(0.0);
            return Ok(());
        }
        let wait = (1.0 - self.tokens) / per_second;
        Err(Duration::try_from_secs_f64(wait).unwrap_or(Duration::MAX))
    }
}

/// The two classes of request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Class {
    Create,
    Other,
}

impl Class {
    /// The class of a request to the API host, by its method and route name (`POST /predictions`).
    fn of(method: &Method, route: &str) -> Self {
        let path = route.split_once(' ').map_or(route, |(_, path)| path);
        let creates = matches!(
            path,
            "/models/{owner}/{name}/predictions"
                | "/predictions"
                | "/deployments/{owner}/{name}/predictions"
        );
        if method == Method::POST && creates {
            Self::Create
        } else {
            Self::Other
        }
    }
}

/// The buckets of a running simulator.
#[derive(Debug)]
pub(crate) struct Limiter {
    creates: Option<Mutex<Tokens>>,
    others: Option<Mutex<Tokens>>,
}

impl Limiter {
    /// Full buckets for `limits`.
    pub(crate) fn new(limits: &ServerLimits, now: Instant) -> Self {
        let bucket = |b: Option<Bucket>| b.map(|b| Mutex::new(Tokens::full(b, now)));
        Self {
            creates: bucket(limits.creates),
            others: bucket(limits.others),
        }
    }

    /// Takes a token of `class` at `now`, or says how long until the next one.
    fn take(&self, class: Class, now: Instant) -> Result<(), Duration> {
        let tokens = match class {
            Class::Create => &self.creates,
            Class::Other => &self.others,
        };
        match tokens {
            Some(tokens) => tokens.lock().unwrap_or_else(|e| e.into_inner()).take(now),
            None => Ok(()),
        }
    }
}

/// The hook in front of the API's routes: `None` lets the request through; `Some` is the 429 to answer
/// instead (and the throttle is recorded).
pub(crate) fn admit(shared: &ServerState, method: &Method, route: &str) -> Option<Response> {
    let class = Class::of(method, route);
    let wait = shared.limiter.take(class, Instant::now()).err()?;
    shared.record(|r| match class {
        Class::Create => r.throttled_creates += 1,
        Class::Other => r.throttled_others += 1,
    });
    Some(throttled(wait, &shared.config.faults))
}

/// Whole seconds until `wait` has passed, at least 1 (as `Retry-After` says it).
fn retry_after_seconds(wait: Duration) -> u64 {
    wait.as_secs()
        .saturating_add(u64::from(wait.subsec_nanos() > 0))
        .max(1)
}

/// Replicate's 429 for a bucket that will have a token in `wait`.
fn throttled(wait: Duration, faults: &Faults) -> Response {
    let seconds = retry_after_seconds(wait);
    let detail = format!("Request was throttled. Your rate limit resets in ~{seconds}s.");
    too_many_requests("Request was throttled", &detail, seconds, faults)
}

/// A 429: problem details with `detail` (or the faults' [`throttle_detail`](Faults::throttle_detail)) and
/// `Retry-After: {seconds}` (unless the faults [omit it](Faults::omit_retry_after)).
pub(crate) fn too_many_requests(
    title: &str,
    detail: &str,
    seconds: u64,
    faults: &Faults,
) -> Response {
    let detail = faults.throttle_detail.as_deref().unwrap_or(detail);
    let mut response = api::problem(StatusCode::TOO_MANY_REQUESTS, title, detail);
    if !faults.omit_retry_after {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seconds(s: f64) -> Duration {
        Duration::from_secs_f64(s)
    }

    /// Asserts a refusal saying to wait `expected` seconds (to a microsecond).
    #[track_caller]
    fn assert_wait(result: Result<(), Duration>, expected: f64) {
        let wait = result.expect_err("throttled").as_secs_f64();
        assert!((wait - expected).abs() < 1e-6, "{wait} s, not {expected} s");
    }

    #[test]
    fn a_bucket_allows_its_burst_then_one_token_per_interval() {
        let t0 = Instant::now();
        let mut tokens = Tokens::full(Bucket::new(60.0, 3), t0);
        for _ in 0..3 {
            assert_eq!(tokens.take(t0), Ok(()));
        }
        assert_wait(tokens.take(t0), 1.0);
        assert_wait(tokens.take(t0 + seconds(0.25)), 0.75);
        assert_eq!(tokens.take(t0 + seconds(1.0)), Ok(()));
        assert!(tokens.take(t0 + seconds(1.0)).is_err());
        // A long quiet spell refills the bucket to its burst, no further.
        let later = t0 + seconds(100.0);
        for _ in 0..3 {
            assert_eq!(tokens.take(later), Ok(()));
        }
        assert_wait(tokens.take(later), 1.0);
    }

    #[test]
    fn fractional_rates_and_a_clock_that_goes_back() {
        let t0 = Instant::now() + seconds(10.0);
        let mut tokens = Tokens::full(Bucket::new(0.5, 1), t0);
        assert_eq!(tokens.take(t0), Ok(()));
        assert_wait(tokens.take(t0), 120.0);
        assert_wait(tokens.take(t0 - seconds(5.0)), 120.0);
        assert_wait(tokens.take(t0 + seconds(60.0)), 60.0);
        assert_eq!(tokens.take(t0 + seconds(120.0)), Ok(()));
    }

    #[test]
    fn retry_after_is_whole_seconds_rounded_up_at_least_one() {
        assert_eq!(retry_after_seconds(Duration::ZERO), 1);
        assert_eq!(retry_after_seconds(seconds(0.2)), 1);
        assert_eq!(retry_after_seconds(seconds(1.0)), 1);
        assert_eq!(retry_after_seconds(seconds(1.2)), 2);
        assert_eq!(retry_after_seconds(Duration::MAX), u64::MAX);
    }

    #[test]
    fn creates_are_posts_of_predictions_and_the_rest_are_others() {
        for route in [
            "POST /models/{owner}/{name}/predictions",
            "POST /predictions",
            "POST /deployments/{owner}/{name}/predictions",
        ] {
            assert_eq!(Class::of(&Method::POST, route), Class::Create, "{route}");
        }
        for (method, route) in [
            (Method::GET, "GET /predictions"),
            (Method::GET, "GET /predictions/{id}"),
            (Method::POST, "POST /predictions/{id}/cancel"),
            (Method::POST, "POST /files"),
            (Method::GET, "GET /models/a/b"),
        ] {
            assert_eq!(Class::of(&method, route), Class::Other, "{route}");
        }
    }

    #[test]
    fn limits_parse_from_presets_and_rates() {
        let parse = |s: &str| s.parse::<ServerLimits>();
        assert_eq!(parse("replicate").unwrap(), ServerLimits::replicate());
        assert_eq!(parse("low-credit").unwrap(), ServerLimits::low_credit());
        assert!(parse("none").unwrap().is_none());
        assert_eq!(
            parse("120:20").unwrap(),
            ServerLimits::none().creates(Bucket::new(120.0, 20))
        );
        assert_eq!(
            parse("120:20, 3000:500").unwrap(),
            ServerLimits::none()
                .creates(Bucket::new(120.0, 20))
                .others(Bucket::new(3000.0, 500))
        );
        assert_eq!(
            parse(",6").unwrap(),
            ServerLimits::none().others(Bucket::new(6.0, 1))
        );
        assert_eq!(parse("600").unwrap().creates, Some(Bucket::new(600.0, 10)));
        assert_eq!(parse("0.5").unwrap().creates, Some(Bucket::new(0.5, 1)));
        for bad in ["0", "-1", "abc", "60:0", "60:x", "1,2,3", "inf", "NaN:1"] {
            let message = parse(bad).unwrap_err().to_string();
            assert!(message.contains("CREATES_PER_MIN"), "{bad}: {message}");
        }
    }
}
