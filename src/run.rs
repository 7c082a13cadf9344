//! `run`: create a prediction, wait for it and return its output, all under one deadline (the schedule of
//! the wait is described in `wait.rs`).

use std::time::Duration;

use tokio::time::Instant;

use crate::{
    Client, ModelInput, Prediction, Result, WaitOptions, WebhookEvent,
    clock::Deadline,
    clock::sync_wait_within,
    create::{CreatePrediction, await_sends},
    wait::WaitSettings,
};

/// A run being configured; `.await` it to create the prediction, wait for it and get its output.
/// Made by [`Client::run`].
///
/// The create options are those of [`CreatePrediction`] (a run holds one); the wait options those of
/// [`WaitFor`](crate::builders::WaitFor).
#[must_use = "a run does nothing until it is awaited"]
pub struct Run<'c, I> {
    create: CreatePrediction<'c, I>,
    settings: WaitSettings,
}

impl<'c, I: ModelInput + 'c> Run<'c, I> {
    /// The overall deadline, from the start of the create request to the output (default: the client's run
    /// timeout, 10 minutes unless configured).
    ///
    /// ```no_run
    /// # async fn demo(client: replicate_ideogram::Client) -> replicate_ideogram::Result<()> {
    /// use std::time::Duration;
    /// use replicate_ideogram::models::IdeogramV2TurboInput;
    /// let input = IdeogramV2TurboInput::new("a paper boat");
    /// let url: String = client.run(input).timeout(Duration::from_secs(120)).await?;
    /// # Ok(()) }
    /// ```
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.settings.timeout = Some(timeout);
        self
    }

    /// How long the server may hold the create request, as for a create
    /// ([`CreatePrediction::prefer_wait`]); without it, a run asks for up to 60 s, never past the deadline.
    ///
    /// ```no_run
    /// # async fn demo(client: replicate_ideogram::Client) -> replicate_ideogram::Result<()> {
    /// use std::time::Duration;
    /// use replicate_ideogram::models::IdeogramV2TurboInput;
    /// let input = IdeogramV2TurboInput::new("a paper boat");
    /// let url: String = client.run(input).prefer_wait(Duration::from_secs(10)).await?;
    /// # Ok(()) }
    /// ```
    pub fn prefer_wait(mut self, wait: Duration) -> Self {
        self.create = self.create.prefer_wait(wait);
        self
    }

    /// Have the server cancel the prediction if it runs longer than `after`, as for a create
    /// ([`CreatePrediction::cancel_after`]).
    ///
    /// ```no_run
    /// # async fn demo(client: replicate_ideogram::Client) -> replicate_ideogram::Result<()> {
    /// use std::time::Duration;
    /// use replicate_ideogram::models::IdeogramV2TurboInput;
    /// let input = IdeogramV2TurboInput::new("a paper boat");
    /// let url: String = client.run(input).cancel_after(Duration::from_secs(120)).await?;
    /// # Ok(()) }
    /// ```
    pub fn cancel_after(mut self, after: Duration) -> Self {
        self.create = self.create.cancel_after(after);
        self
    }

    /// A webhook URL for the prediction, as for a create ([`CreatePrediction::webhook`]).
    ///
    /// ```no_run
    /// # async fn demo(client: replicate_ideogram::Client) -> replicate_ideogram::Result<()> {
    /// use replicate_ideogram::models::IdeogramV2TurboInput;
    /// let input = IdeogramV2TurboInput::new("a paper boat");
    /// let url: String = client.run(input).webhook("https://example.com/hooks/replicate").await?;
    /// # Ok(()) }
    /// ```
    pub fn webhook(mut self, url: impl Into<String>) -> Self {
        self.create = self.create.webhook(url);
        self
    }

    /// Which events trigger the webhook, as for a create ([`CreatePrediction::webhook_events`]).
    ///
    /// ```no_run
    /// # async fn demo(client: replicate_ideogram::Client) -> replicate_ideogram::Result<()> {
    /// use replicate_ideogram::{WebhookEvent, models::IdeogramV2TurboInput};
    /// let url: String = client
    ///     .run(IdeogramV2TurboInput::new("a paper boat"))
    ///     .webhook("https://example.com/hooks/replicate")
    ///     .webhook_events([WebhookEvent::Completed])
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn webhook_events(mut self, events: impl IntoIterator<Item = WebhookEvent>) -> Self {
        self.create = self.create.webhook_events(events);
        self
    }

    /// The poll schedule once the sync wait is over, as for a wait
    /// ([`WaitFor::wait_options`](crate::builders::WaitFor::wait_options)).
    ///
    /// ```no_run
    /// # async fn demo(client: replicate_ideogram::Client) -> replicate_ideogram::Result<()> {
    /// use std::time::Duration;
    /// use replicate_ideogram::{WaitOptions, models::IdeogramV2TurboInput};
    /// let input = IdeogramV2TurboInput::new("a paper boat");
    /// let options = WaitOptions::fixed(Duration::from_secs(1));
    /// let url: String = client.run(input).wait_options(options).await?;
    /// # Ok(()) }
    /// ```
    pub fn wait_options(mut self, options: WaitOptions) -> Self {
        self.settings.options = Some(options);
        self
    }

    /// Ask the server to cancel the prediction when the deadline passes, as for a wait
    /// ([`WaitFor::cancel_on_timeout`](crate::builders::WaitFor::cancel_on_timeout)). Combine with
    /// [`cancel_after`](Self::cancel_after) to bound the cost even if this process dies.
    ///
    /// ```no_run
    /// # async fn demo(client: replicate_ideogram::Client) -> replicate_ideogram::Result<()> {
    /// use replicate_ideogram::models::IdeogramV2TurboInput;
    /// let input = IdeogramV2TurboInput::new("a paper boat");
    /// let url: String = client.run(input).cancel_on_timeout(true).await?;
    /// # Ok(()) }
    /// ```
    pub fn cancel_on_timeout(mut self, cancel: bool) -> Self {
        self.settings.cancel_on_timeout = cancel;
        self
    }

    /// Runs, and returns the whole succeeded prediction (id, metrics, logs) rather than only its output.
    ///
    /// ```no_run
    /// # async fn demo(client: replicate_ideogram::Client) -> replicate_ideogram::Result<()> {
    /// use replicate_ideogram::models::IdeogramV2TurboInput;
    /// let prediction = client.run(IdeogramV2TurboInput::new("a paper boat")).prediction().await?;
    /// println!("{} took {:?}", prediction.id, prediction.metrics);
    /// # Ok(()) }
    /// ```
    pub async fn prediction(self) -> Result<Prediction> {
        let (client, input, mut create) = self.create.into_parts();
        client
            .drive(&self.settings, |started, deadline| async move {
                if create.prefer_wait.is_none() {
                    create.prefer_wait =
                        sync_wait_within(deadline.saturating_duration_since(Instant::now()));
                }
                // The create itself stops at the deadline and names the prediction it may have made.
                create.deadline = Some(Deadline {
                    started,
                    at: deadline,
                });
                client.create_with(&input, &create).await
            })
            .await
    }

    /// Runs, and returns the model's output.
    pub async fn send(self) -> Result<I::Output> {
        self.prediction().await?.output_as()
    }
}

await_sends!(Run<'c, I: ModelInput> => Result<I::Output>);

impl Client {
    /// Creates a prediction, waits for it and returns its output: the one call most programs need.
    ///
    /// The create request asks the server to hold it until the prediction finishes (`Prefer: wait`); if it
    /// has not finished by then, the prediction is polled by id. All under one deadline (10 minutes unless
    /// set with [`Run::timeout`]). A failed, canceled or aborted prediction is an error carrying it.
    ///
    /// ```no_run
    /// # async fn demo(client: replicate_ideogram::Client) -> replicate_ideogram::Result<()> {
    /// use std::time::Duration;
    /// use replicate_ideogram::models::{IdeogramV2TurboInput, StyleType};
    /// let input = IdeogramV2TurboInput::new("a paper boat").style_type(StyleType::Design);
    /// let url: String = client.run(input).timeout(Duration::from_secs(120)).await?;
    /// # Ok(()) }
    /// ```
    pub fn run<I: ModelInput>(&self, input: I) -> Run<'_, I> {
        Run {
            create: self.create(input),
            settings: WaitSettings::default(),
        }
    }
}
