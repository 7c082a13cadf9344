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
    clock::{WaitOptions, deadline_after},
    create::await_sends,
};

/// What is kept of [`Client::DEADLINE_MARGIN`] for returning once a cancel after the deadline is given up.
const RETURN_SLACK: Duration = Duration::from_millis(50);

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
