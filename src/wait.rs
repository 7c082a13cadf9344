//! Waiting for a prediction to finish, for [`Client::wait`] and for `run` (create, wait, return the output,
//! in `run.rs`).
//!
//! The schedule: `run` first asks the server to hold the create request (`Prefer: wait`, up to 60 s, never
//! past the deadline); most predictions finish inside that window and cost one request. After it, or for
//! [`Client::wait`], the prediction is polled by id ([`WaitOptions`]: steadily at first, then backing off),
//! all under one overall deadline.

use std::{future::Future, time::Duration};

use tokio::time::{Instant, sleep, timeout_at};

use crate::{
    Client, Error, Prediction, PredictionStatus, Result,
    create::{MAX_SYNC_WAIT, await_sends},
};

/// What is kept of [`Client::DEADLINE_MARGIN`] for returning once a cancel after the deadline is given up.
const RETURN_SLACK: Duration = Duration::from_millis(50);

/// The default overall deadline of `run` and `wait`.
pub(crate) const DEFAULT_RUN_TIMEOUT: Duration = Duration::from_secs(10 * 60);

/// How predictions are polled once the sync wait is over.
///
/// The default: a poll every 400 ms for the first 3 minutes of the wait, then each wait 1.5 times longer,
/// up to 5 s. A prediction that outlives `run`'s 60 s sync window has already saved the ~120 polls that
/// the official clients' fixed 0.5 s polling spends in that time, so polling a little faster than them
/// afterwards still costs fewer requests in all and tells you sooner that it finished; a prediction still
/// running after minutes (a queue, a cold boot) backs off, so a batch of them does not spend the account's
/// rate limit. `BENCHMARKS.md` shows the trade-off, measured.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct WaitOptions {
    /// The wait between two polls until [`backoff_after`](Self::backoff_after) (default 400 ms).
    pub interval: Duration,
    /// How long into the wait polls start backing off (default 3 min).
    pub backoff_after: Duration,
    /// How much longer each wait is than the one before, once backing off (default 1.5).
    pub backoff: f64,
    /// The longest wait between two polls (default 5 s).
    pub max_interval: Duration,
}

impl Default for WaitOptions {
    fn default() -> Self {
        Self {
            interval: Duration::from_millis(400),
            backoff_after: Duration::from_secs(180),
            backoff: 1.5,
            max_interval: Duration::from_secs(5),
        }
    }
}

impl WaitOptions {
    /// Polls every `interval`, without backoff.
    pub fn fixed(interval: Duration) -> Self {
        Self {
            interval,
            backoff_after: Duration::ZERO,
            backoff: 1.0,
            max_interval: interval,
        }
    }

    /// Sets the wait between two polls until backoff starts.
    #[must_use]
    pub fn interval(mut self, interval: Duration) -> Self {
        self.interval = interval;
        self
    }

    /// Sets how long into the wait polls start backing off (zero: from the first poll).
    #[must_use]
    pub fn backoff_after(mut self, after: Duration) -> Self {
        self.backoff_after = after;
        self
    }

    /// Sets the factor by which each wait grows once backing off (at least 1).
    #[must_use]
    pub fn backoff(mut self, factor: f64) -> Self {
        self.backoff = factor;
        self
    }

    /// Sets the longest wait between two polls.
    #[must_use]
    pub fn max_interval(mut self, interval: Duration) -> Self {
        self.max_interval = interval;
        self
    }

    /// The wait after one of `previous`, `waited` into the wait.
    fn next_interval(&self, previous: Duration, waited: Duration) -> Duration {
        if waited < self.backoff_after {
            return self.interval;
        }
        let factor = if self.backoff.is_finite() {
            self.backoff.clamp(1.0, 100.0)
        } else {
            1.0
        };
        let cap = self.max_interval.max(self.interval);
        Duration::try_from_secs_f64(previous.as_secs_f64() * factor)
            .unwrap_or(cap)
            .min(cap)
    }
}

/// The settings a wait and a run share: the deadline, the poll schedule, and what to do when it passes.
#[derive(Clone, Debug, Default)]
pub(crate) struct WaitSettings {
    pub(crate) timeout: Option<Duration>,
    pub(crate) options: Option<WaitOptions>,
    pub(crate) cancel_on_timeout: bool,
}

/// A wait for a prediction being configured; `.await` it to wait. Made by [`Client::wait`].
#[must_use = "a wait does nothing until it is awaited"]
pub struct WaitFor<'c> {
    client: &'c Client,
    id: String,
    settings: WaitSettings,
}

impl<'c> WaitFor<'c> {
    /// The overall deadline (default: the client's run timeout, 10 minutes unless configured).
    ///
    /// ```no_run
    /// # async fn demo(client: replicate_ideogram::Client) -> replicate_ideogram::Result<()> {
    /// use std::time::Duration;
    /// let done = client
    ///     .wait("2jycc2v9nnrmc0crap5tv5zaxr")
    ///     .timeout(Duration::from_secs(120))
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.settings.timeout = Some(timeout);
        self
    }

    /// The poll schedule for this wait (default: the client's, see
    /// [`ClientBuilder::wait_options`](crate::ClientBuilder::wait_options)).
    ///
    /// ```no_run
    /// # async fn demo(client: replicate_ideogram::Client) -> replicate_ideogram::Result<()> {
    /// use std::time::Duration;
    /// use replicate_ideogram::WaitOptions;
    /// let done = client
    ///     .wait("2jycc2v9nnrmc0crap5tv5zaxr")
    ///     .wait_options(WaitOptions::fixed(Duration::from_secs(1)))
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn wait_options(mut self, options: WaitOptions) -> Self {
        self.settings.options = Some(options);
        self
    }

    /// Ask the server to cancel the prediction when the deadline passes, so it stops costing (default: no;
    /// the prediction keeps running and can be waited for again).
    ///
    /// ```no_run
    /// # async fn demo(client: replicate_ideogram::Client) -> replicate_ideogram::Result<()> {
    /// let done = client.wait("2jycc2v9nnrmc0crap5tv5zaxr").cancel_on_timeout(true).await?;
    /// # Ok(()) }
    /// ```
    pub fn cancel_on_timeout(mut self, cancel: bool) -> Self {
        self.settings.cancel_on_timeout = cancel;
        self
    }

    /// Waits until the prediction finishes: `Ok` if it succeeded; [`Error::PredictionFailed`],
    /// [`Error::PredictionCanceled`] or [`Error::PredictionAborted`] otherwise; [`Error::Timeout`] when the
    /// deadline passes first.
    pub async fn send(self) -> Result<Prediction> {
        let (client, id) = (self.client, self.id.as_str());
        client
            .drive(&self.settings, |started, deadline| {
                within(deadline, started, Some(id), None, client.get(id))
            })
            .await
    }
}

await_sends!(WaitFor<'c> => Result<Prediction>);

impl Client {
    /// Waits for an existing prediction to finish, polling it by id.
    ///
    /// ```no_run
    /// # async fn demo(client: replicate_ideogram::Client) -> replicate_ideogram::Result<()> {
    /// let done = client.wait("2jycc2v9nnrmc0crap5tv5zaxr").await?;
    /// println!("{:?}", done.output);
    /// # Ok(()) }
    /// ```
    pub fn wait(&self, id: impl Into<String>) -> WaitFor<'_> {
        WaitFor {
            client: self,
            id: id.into(),
            settings: WaitSettings::default(),
        }
    }

    /// What a wait and a run share: one deadline from `settings`, the `first` step (the first read, or the
    /// create) given the start and the deadline, polls until the prediction finishes, and a cancel when the
    /// deadline passed and `settings` ask for one.
    pub(crate) async fn drive<F, S>(&self, settings: &WaitSettings, first: F) -> Result<Prediction>
    where
        F: FnOnce(Instant, Instant) -> S,
        S: Future<Output = Result<Prediction>>,
    {
        let started = Instant::now();
        let deadline = deadline_after(settings.timeout.unwrap_or(self.shared.run_timeout));
        let options = settings.options.as_ref().unwrap_or(&self.shared.wait);
        let outcome = async {
            let first = first(started, deadline).await?;
            self.poll_until_done(first, started, deadline, options)
                .await
        }
        .await;
        self.cancel_if_timed_out(outcome, settings.cancel_on_timeout, deadline)
            .await
    }

    /// After a deadline passed, asks the server to cancel the prediction (best effort, within
    /// [`Client::DEADLINE_MARGIN`] of the deadline).
    async fn cancel_if_timed_out(
        &self,
        outcome: Result<Prediction>,
        cancel: bool,
        deadline: Instant,
    ) -> Result<Prediction> {
        if let (
            true,
            Err(Error::Timeout {
                prediction_id: Some(id),
                ..
            }),
        ) = (cancel, &outcome)
        {
            let end = deadline + Client::DEADLINE_MARGIN - RETURN_SLACK;
            match tokio::time::timeout_at(end, self.cancel(id)).await {
                Ok(Ok(_)) => tracing::debug!(prediction_id = %id, "canceled after the deadline"),
                Ok(Err(error)) => {
                    tracing::debug!(prediction_id = %id, %error, "cancel after the deadline failed")
                }
                Err(_) => {
                    tracing::debug!(prediction_id = %id, "cancel after the deadline timed out")
                }
            }
        }
        outcome
    }

    pub(crate) async fn poll_until_done(
        &self,
        mut prediction: Prediction,
        started: Instant,
        deadline: Instant,
        options: &WaitOptions,
    ) -> Result<Prediction> {
        let mut interval = options.interval;
        loop {
            match prediction.status {
                PredictionStatus::Succeeded => return Ok(prediction),
                PredictionStatus::Failed => {
                    return Err(Error::PredictionFailed(Box::new(prediction)));
                }
                PredictionStatus::Canceled => {
                    return Err(Error::PredictionCanceled(Box::new(prediction)));
                }
                PredictionStatus::Aborted => {
                    return Err(Error::PredictionAborted(Box::new(prediction)));
                }
                _ => {}
            }
            let id = prediction.id.clone();
            let status = prediction.status.clone();
            let now = Instant::now();
            if now >= deadline {
                return Err(timeout_error(started, Some(&id), Some(&status)));
            }
            sleep(interval.min(deadline - now)).await;
            interval = options.next_interval(interval, started.elapsed());
            if Instant::now() >= deadline {
                return Err(timeout_error(started, Some(&id), Some(&status)));
            }
            prediction = within(deadline, started, Some(&id), Some(&status), self.get(&id)).await?;
            if prediction.status != status {
                tracing::debug!(prediction_id = %id, status = %prediction.status, "status changed");
            }
        }
    }
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

/// Runs `step`, turning the deadline passing into [`Error::Timeout`].
pub(crate) async fn within<T>(
    deadline: Instant,
    started: Instant,
    id: Option<&str>,
    status: Option<&PredictionStatus>,
    step: impl Future<Output = Result<T>>,
) -> Result<T> {
    match timeout_at(deadline, step).await {
        Ok(result) => result,
        Err(_) => Err(timeout_error(started, id, status)),
    }
}

fn timeout_error(started: Instant, id: Option<&str>, status: Option<&PredictionStatus>) -> Error {
    tracing::debug!(prediction_id = id, "deadline passed");
    Error::Timeout {
        prediction_id: id.map(str::to_string),
        waited: started.elapsed(),
        status: status.cloned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polls_are_steady_then_grow_to_the_cap() {
        let options = WaitOptions::default();
        let steady = options.next_interval(options.interval, Duration::from_secs(179));
        assert_eq!(steady, Duration::from_millis(400));
        let mut interval = options.interval;
        let mut seen = vec![interval];
        for _ in 0..12 {
            interval = options.next_interval(interval, Duration::from_secs(180));
            seen.push(interval);
        }
        assert_eq!(seen[1], Duration::from_millis(600));
        assert!(seen.windows(2).all(|w| w[0] <= w[1]));
        assert_eq!(*seen.last().unwrap(), Duration::from_secs(5));
    }

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

    #[test]
    fn odd_factors_do_not_shrink_or_explode() {
        let huge = WaitOptions::default()
            .backoff(1e300)
            .max_interval(Duration::MAX);
        let late = Duration::from_secs(3600);
        assert!(huge.next_interval(Duration::from_secs(1), late) <= Duration::from_secs(100));
        for factor in [0.0, -2.0, f64::NAN, f64::INFINITY] {
            let options = WaitOptions::default().backoff(factor);
            assert_eq!(
                options.next_interval(Duration::from_secs(1), late),
                Duration::from_secs(1)
            );
        }
        let fixed = WaitOptions::fixed(Duration::from_millis(10));
        for waited in [Duration::ZERO, late] {
            assert_eq!(
                fixed.next_interval(Duration::from_millis(10), waited),
                Duration::from_millis(10)
            );
        }
    }
}
