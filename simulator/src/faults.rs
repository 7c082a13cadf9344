//! The faults the simulator injects, and their probabilities.

use std::time::Duration;

/// The probability (0 to 1) of each fault on each request ([`faults`](super::SimulatorConfig::faults) on the API host,
/// [`delivery_faults`](super::SimulatorConfig::delivery_faults) on the delivery host); at most one fault per request.
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct Faults {
    /// 429 problem details with `Retry-After` ([`retry_after`](Self::retry_after)); nothing is processed.
    pub throttle: f64,
    /// 500 problem details; nothing is processed.
    pub server_error: f64,
    /// 502 with an HTML page, as a load balancer sends; nothing is processed.
    pub bad_gateway_html: f64,
    /// 503 problem details; nothing is processed.
    pub unavailable: f64,
    /// The connection is closed before the request is processed.
    pub drop_before: f64,
    /// The request is processed (a create creates), then the connection is closed without an answer.
    pub drop_after: f64,
    /// The request is processed and the JSON answer is cut in half.
    pub truncated_json: f64,
    /// The answer comes after [`slow_delay`](Self::slow_delay).
    pub slow: f64,
    /// How long a slow answer takes. Default 0.
    pub slow_delay: Duration,
    /// The `Retry-After` of a throttled answer, in whole seconds. Default 0.
    pub retry_after: Duration,
    /// The `detail` of a throttled answer's body, in place of the default
    /// `Request was throttled. Expected available in {retry_after} seconds.`, e.g. one that names a fraction
    /// of a second. Also used by the [rate limits](super::ServerLimits)' 429s. Default: none.
    pub throttle_detail: Option<String>,
    /// Send throttled answers without a `Retry-After` header (the rate limits' 429s too). Default: false.
    pub omit_retry_after: bool,
}

impl Faults {
    /// Sets the probability of 429 with `Retry-After`.
    #[must_use]
    pub fn throttle(mut self, probability: f64) -> Self {
        self.throttle = probability;
        self
    }

    /// Sets the probability of 500.
    #[must_use]
    pub fn server_error(mut self, probability: f64) -> Self {
        self.server_error = probability;
        self
    }

    /// Sets the probability of HTML 502.
    #[must_use]
    pub fn bad_gateway_html(mut self, probability: f64) -> Self {
        self.bad_gateway_html = probability;
        self
    }

    /// Sets the probability of 503.
    #[must_use]
    pub fn unavailable(mut self, probability: f64) -> Self {
        self.unavailable = probability;
        self
    }

    /// Sets the probability of dropped before processing.
    #[must_use]
    pub fn drop_before(mut self, probability: f64) -> Self {
        self.drop_before = probability;
        self
    }

    /// Sets the probability of dropped after processing.
    #[must_use]
    pub fn drop_after(mut self, probability: f64) -> Self {
        self.drop_after = probability;
        self
    }

    /// Sets the probability of truncated JSON.
    #[must_use]
    pub fn truncated_json(mut self, probability: f64) -> Self {
        self.truncated_json = probability;
        self
    }

    /// Sets the probability of slow answers.
    #[must_use]
    pub fn slow(mut self, probability: f64) -> Self {
        self.slow = probability;
        self
    }

    /// Sets how long a slow answer takes.
    #[must_use]
    pub fn slow_delay(mut self, delay: Duration) -> Self {
        self.slow_delay = delay;
        self
    }

    /// Sets the `Retry-After` of throttled answers.
    #[must_use]
    pub fn retry_after(mut self, wait: Duration) -> Self {
        self.retry_after = wait;
        self
    }

    /// Sets the `detail` of throttled answers (and of the rate limits' 429s).
    #[must_use]
    pub fn throttle_detail(mut self, detail: impl Into<String>) -> Self {
        self.throttle_detail = Some(detail.into());
        self
    }

    /// Sends throttled answers (and the rate limits' 429s) without `Retry-After`.
    #[must_use]
    pub fn omit_retry_after(mut self, omit: bool) -> Self {
        self.omit_retry_after = omit;
        self
    }

    /// The mix the reliability tests use: 429 10%, 503 10%, dropped after processing 5%, dropped before 5%,
    /// HTML 502 3%, truncated JSON 3%.
    pub fn standard_mix() -> Self {
        Self {
            throttle: 0.10,
            unavailable: 0.10,
            drop_after: 0.05,
            drop_before: 0.05,
            bad_gateway_html: 0.03,
            truncated_json: 0.03,
            ..Self::default()
        }
    }
}
