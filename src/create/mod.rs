//! Creating, reading and canceling predictions.

mod exactly_once;
mod lookup;

use std::{fmt::Display, str::FromStr, time::Duration};

use progenitor_client::{ByteStream, ResponseValue};
use serde_json::{Map, Value};

use crate::{
    Client, Error, ModelInput, Operation, Prediction, Result, Target, WebhookEvent,
    clock::{Deadline, MAX_SYNC_WAIT, sync_wait_within},
    prediction::is_plain_id,
    resolve::matching::Sent,
    retry::read_again_if_broken,
    transport::generated::types,
};

/// The shortest `Cancel-After` the API accepts.
const MIN_CANCEL_AFTER: Duration = Duration::from_secs(5);

/// Options of a create request.
#[derive(Clone, Debug, Default)]
pub(crate) struct CreateOptions {
    pub(crate) prefer_wait: Option<Duration>,
    pub(crate) cancel_after: Option<Duration>,
    pub(crate) webhook: Option<String>,
    pub(crate) webhook_events: Vec<WebhookEvent>,
    /// The caller's deadline: the create is cut short at it (and its prediction looked for), and its
    /// `Prefer: wait` never reaches past it.
    pub(crate) deadline: Option<Deadline>,
    /// Who the prediction is claimed for (a batch item); a new owner of this client's if none.
    pub(crate) owner: Option<String>,
}

impl CreateOptions {
    /// The wait asked for, checked to be one the API accepts (the header is made at each sending).
    fn checked_prefer_wait(&self) -> Result<Option<Duration>> {
        match self.prefer_wait {
            Some(wait) if wait.is_zero() || wait > MAX_SYNC_WAIT => Err(Error::invalid_input(
                "prefer_wait",
                format!("must be between 1 and 60 seconds, not {wait:?}"),
            )),
            wait => Ok(wait),
        }
    }

    fn cancel_after_header(&self) -> Result<Option<String>> {
        let Some(after) = self.cancel_after else {
            return Ok(None);
        };
        if after < MIN_CANCEL_AFTER {
            return Err(Error::invalid_input(
                "cancel_after",
                format!("must be at least 5 seconds, not {after:?}"),
            ));
        }
        Ok(Some(format!("{}s", after.as_secs_f64().ceil() as u64)))
    }
}

/// `.await` on a request builder calls its `send`: `IntoFuture` for `Builder<'c>` or `Builder<'c, I: Bound>`,
/// whose `send` returns `Output`.
macro_rules! await_sends {
    ($builder:ident<$c:lifetime $(, $input:ident: $bound:path)?> => $output:ty) => {
        impl<$c $(, $input: $bound + $c)?> ::std::future::IntoFuture for $builder<$c $(, $input)?> {
            type Output = $output;
            type IntoFuture = ::std::pin::Pin<
                Box<dyn ::std::future::Future<Output = Self::Output> + Send + $c>,
            >;

            fn into_future(self) -> Self::IntoFuture {
                Box::pin(self.send())
            }
        }
    };
}
pub(crate) use await_sends;

/// A create request being configured; `.await` it (or call [`send`](Self::send)) to send it.
///
/// Made by [`Client::create`]; a [`Run`](crate::builders::Run) holds one for its create.
#[must_use = "a create request does nothing until it is awaited"]
pub struct CreatePrediction<'c, I> {
    client: &'c Client,
    input: I,
    options: CreateOptions,
}

impl<'c, I: ModelInput> CreatePrediction<'c, I> {
    /// Hold the request open up to `wait` (1–60 s) for the prediction to finish (`Prefer: wait=N`).
    ///
    /// ```no_run
    /// # async fn demo(client: replicate_ideogram::Client) -> replicate_ideogram::Result<()> {
    /// use std::time::Duration;
    /// use replicate_ideogram::models::IdeogramV2TurboInput;
    /// let input = IdeogramV2TurboInput::new("a red fox");
    /// let prediction = client.create(input).prefer_wait(Duration::from_secs(30)).await?;
    /// # Ok(()) }
    /// ```
    pub fn prefer_wait(mut self, wait: Duration) -> Self {
        self.options.prefer_wait = Some(wait);
        self
    }

    /// Have the server cancel the prediction if it runs longer than `after` (at least 5 s) from creation,
    /// even if this process is gone by then.
    ///
    /// ```no_run
    /// # async fn demo(client: replicate_ideogram::Client) -> replicate_ideogram::Result<()> {
    /// use std::time::Duration;
    /// use replicate_ideogram::models::IdeogramV2TurboInput;
    /// let input = IdeogramV2TurboInput::new("a red fox");
    /// let prediction = client.create(input).cancel_after(Duration::from_secs(120)).await?;
    /// # Ok(()) }
    /// ```
    pub fn cancel_after(mut self, after: Duration) -> Self {
        self.options.cancel_after = Some(after);
        self
    }

    /// An HTTPS URL that receives a request when the prediction has news (see
    /// [`webhook_events`](Self::webhook_events)).
    ///
    /// ```no_run
    /// # async fn demo(client: replicate_ideogram::Client) -> replicate_ideogram::Result<()> {
    /// use replicate_ideogram::models::IdeogramV2TurboInput;
    /// let input = IdeogramV2TurboInput::new("a red fox");
    /// let prediction = client.create(input).webhook("https://example.com/hooks/replicate").await?;
    /// # Ok(()) }
    /// ```
    pub fn webhook(mut self, url: impl Into<String>) -> Self {
        self.options.webhook = Some(url.into());
        self
    }

    /// Which events trigger the webhook (default: `output` and `completed`).
    ///
    /// ```no_run
    /// # async fn demo(client: replicate_ideogram::Client) -> replicate_ideogram::Result<()> {
    /// use replicate_ideogram::{WebhookEvent, models::IdeogramV2TurboInput};
    /// let prediction = client
    ///     .create(IdeogramV2TurboInput::new("a red fox"))
    ///     .webhook("https://example.com/hooks/replicate")
    ///     .webhook_events([WebhookEvent::Completed])
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn webhook_events(mut self, events: impl IntoIterator<Item = WebhookEvent>) -> Self {
        self.options.webhook_events = events.into_iter().collect();
        self
    }

    /// Validates the input and sends the request.
    pub async fn send(self) -> Result<Prediction> {
        self.client.create_with(&self.input, &self.options).await
    }

    /// The client, the input and the options, for a run to send the create its own way.
    pub(crate) fn into_parts(self) -> (&'c Client, I, CreateOptions) {
        (self.client, self.input, self.options)
    }
}

await_sends!(CreatePrediction<'c, I: ModelInput> => Result<Prediction>);

impl Client {
    /// Creates a prediction and returns it at once (or, with
    /// [`prefer_wait`](CreatePrediction::prefer_wait), when it finishes or the wait ends).
    ///
    /// The input is validated first; an invalid input is [`Error::InvalidInput`] and nothing is sent.
    ///
    /// ```no_run
    /// # async fn demo(client: replicate_ideogram::Client) -> replicate_ideogram::Result<()> {
    /// use replicate_ideogram::models::IdeogramV2TurboInput;
    /// let prediction = client.create(IdeogramV2TurboInput::new("a red fox")).await?;
    /// println!("{} is {}", prediction.id, prediction.status);
    /// # Ok(()) }
    /// ```
    pub fn create<I: ModelInput>(&self, input: I) -> CreatePrediction<'_, I> {
        CreatePrediction {
            client: self,
            input,
            options: CreateOptions::default(),
        }
    }

    /// Reads a prediction by id, from `{base_url}/predictions/{id}`.
    ///
    /// ```no_run
    /// # async fn demo(client: replicate_ideogram::Client) -> replicate_ideogram::Result<()> {
    /// let prediction = client.get("2jycc2v9nnrmc0crap5tv5zaxr").await?;
    /// # Ok(()) }
    /// ```
    pub async fn get(&self, id: &str) -> Result<Prediction> {
        check_id(id)?;
        read_again_if_broken(self.shared.transport.retry(), Operation::Get, || async {
            let result = self.shared.api.predictions_get(id).await;
            prediction_from(result, Operation::Get, Some(id)).await
        })
        .await
    }

    /// Asks the server to cancel a prediction, at `{base_url}/predictions/{id}/cancel`, and returns it.
    ///
    /// ```no_run
    /// # async fn demo(client: replicate_ideogram::Client) -> replicate_ideogram::Result<()> {
    /// let prediction = client.cancel("2jycc2v9nnrmc0crap5tv5zaxr").await?;
    /// # Ok(()) }
    /// ```
    pub async fn cancel(&self, id: &str) -> Result<Prediction> {
        check_id(id)?;
        let result = self.shared.api.predictions_cancel(id).await;
        prediction_from(result, Operation::Cancel, Some(id)).await
    }

    pub(crate) async fn create_with(
        &self,
        input: &impl ModelInput,
        options: &CreateOptions,
    ) -> Result<Prediction> {
        input.validate()?;
        let target = input.target();
        let mut input = match serde_json::to_value(input) {
            Ok(Value::Object(map)) => map,
            Ok(_) => return Err(Error::invalid_input("input", "must be a JSON object")),
            Err(e) => return Err(Error::invalid_input("input", e.to_string())),
        };
        self.place_local_files(&target, &mut input).await?;
        self.create_json(target, input, options).await
    }

    /// Creates a prediction of `target` from an input already validated, as it goes on the wire.
    pub(crate) async fn create_json(
        &self,
        target: Target,
        input: Map<String, Value>,
        options: &CreateOptions,
    ) -> Result<Prediction> {
        if let Some(webhook) = &options.webhook {
            match reqwest::Url::parse(webhook) {
                Ok(url) if matches!(url.scheme(), "https" | "http") => {}
                _ => {
                    return Err(Error::invalid_input(
                        "webhook",
                        format!("{webhook:?} is not an http(s) URL"),
                    ));
                }
            }
        }
        let request = CreateRequest {
            owner: options
                .owner
                .clone()
                .unwrap_or_else(|| self.shared.new_owner()),
            sent: Sent::of(&target, &input),
            target,
            body: types::PredictionRequest {
                input,
                stream: None,
                webhook: options.webhook.clone(),
                webhook_events_filter: options.webhook_events.clone(),
            },
            prefer_wait: options.checked_prefer_wait()?,
            cancel_after: options.cancel_after_header()?,
            deadline: options.deadline,
        };
        self.create_exactly_once(request).await
    }

    /// Sends a create request once; what the server answered, as our types.
    pub(crate) async fn send_create(&self, request: &CreateRequest) -> Result<Prediction> {
        let api = &self.shared.api;
        let prefer = &request.prefer_header();
        let cancel_after = &request.cancel_after;
        tracing::debug!(target = %request.target, prefer = prefer.as_deref(), "creating prediction");
        let result = match &request.target {
            Target::Model(model) => {
                let (owner, name) = Target::owner_and_name(model)?;
                api.models_predictions_create(
                    owner,
                    name,
                    header(cancel_after)?.as_ref(),
                    header(prefer)?.as_ref(),
                    &request.body,
                )
                .await
            }
            Target::Deployment(deployment) => {
                let (owner, name) = Target::owner_and_name(deployment)?;
                api.deployments_predictions_create(
                    owner,
                    name,
                    header(cancel_after)?.as_ref(),
                    header(prefer)?.as_ref(),
                    &request.body,
                )
                .await
            }
            Target::Version(version) => {
                let body = types::VersionPredictionRequest {
                    version: version.clone(),
                    input: request.body.input.clone(),
                    stream: None,
                    webhook: request.body.webhook.clone(),
                    webhook_events_filter: request.body.webhook_events_filter.clone(),
                };
                api.predictions_create(
                    header(cancel_after)?.as_ref(),
                    header(prefer)?.as_ref(),
                    &body,
                )
                .await
            }
        };
        // A tuple, not an `if let` guard: those need Rust 1.95, above the crates' `rust-version`.
        let prediction = match (
            prediction_from(result, Operation::Create, None).await,
            &request.target,
        ) {
            (Err(error), Target::Version(version)) => return Err(error.about_version(version)),
            (outcome, _) => outcome?,
        };
        tracing::debug!(prediction_id = %prediction.id, status = %prediction.status, "prediction created");
        Ok(prediction)
    }
}

/// A create request, validated and ready to send (again, if its first sending had an unknown outcome).
pub(crate) struct CreateRequest {
    pub(crate) target: Target,
    /// What was sent, as a lookup compares listed predictions with it.
    pub(crate) sent: Sent,
    /// Who the prediction is claimed for.
    pub(crate) owner: String,
    body: types::PredictionRequest,
    prefer_wait: Option<Duration>,
    cancel_after: Option<String>,
    pub(crate) deadline: Option<Deadline>,
}

impl CreateRequest {
    /// `Prefer: wait=N`, never past the caller's deadline (a resent create has less time left); none when
    /// too little is left for the server to hold the request.
    fn prefer_header(&self) -> Option<String> {
        let wait = self.prefer_wait?;
        let wait = match self.deadline {
            Some(deadline) => {
                let left = deadline
                    .at
                    .saturating_duration_since(tokio::time::Instant::now());
                wait.min(sync_wait_within(left)?)
            }
            None => wait,
        };
        Some(format!("wait={}", wait.as_secs_f64().ceil() as u64))
    }
}

/// A header value as the generated, pattern-checked type of one operation.
fn header<T>(value: &Option<String>) -> Result<Option<T>>
where
    T: FromStr,
    T::Err: Display,
{
    value
        .as_deref()
        .map(|v| {
            v.parse()
                .map_err(|e: T::Err| Error::invalid_input("header", e.to_string()))
        })
        .transpose()
}

/// Prediction ids are letters, digits, `-` and `_` (at most 64): anything else is refused before it becomes
/// part of a URL path.
pub(crate) fn check_id(id: &str) -> Result<()> {
    if id.trim().is_empty() {
        return Err(Error::invalid_input("id", "must not be empty"));
    }
    if !is_plain_id(id) {
        return Err(Error::invalid_input(
            "id",
            format!("{id:?} is not a prediction id (letters, digits, - and _)"),
        ));
    }
    Ok(())
}

pub(crate) async fn prediction_from(
    result: std::result::Result<
        ResponseValue<types::Prediction>,
        progenitor_client::Error<ByteStream>,
    >,
    operation: Operation,
    prediction_id: Option<&str>,
) -> Result<Prediction> {
    match result {
        Ok(response) => Ok(response.into_inner().into()),
        Err(error) => Err(Error::from_generated(error, operation, prediction_id).await),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether the spec's `Cancel-After` pattern (the generated header type) admits `value`.
    fn admitted(value: &str) -> bool {
        value
            .parse::<types::ModelsPredictionsCreateCancelAfter>()
            .is_ok()
    }

    #[test]
    fn the_cancel_after_pattern_admits_5_seconds_and_more_only() {
        for value in ["5", "5s", "90s", "1m", "1h30m45s", "300", "0h1m", "2h"] {
            assert!(admitted(value), "{value}");
        }
        for value in [
            "", "0", "4", "0s", "1s", "2s", "3s", "4s", "0m", "0h0m4s", "1h30", "5x",
        ] {
            assert!(!admitted(value), "{value:?}");
        }
    }

    #[test]
    fn the_library_and_the_spec_keep_one_minimum() {
        let header = |secs: f64| {
            let options = CreateOptions {
                cancel_after: Some(Duration::from_secs_f64(secs)),
                ..CreateOptions::default()
            };
            options.cancel_after_header()
        };
        // What the library sends, the spec admits; what it refuses, the spec would refuse too.
        for secs in [5.0, 5.2, 59.0, 60.0, 5445.0] {
            let value = header(secs).unwrap().unwrap();
            assert!(admitted(&value), "{secs} s as {value}");
        }
        for secs in [0.0, 1.0, 4.0, 4.999] {
            assert!(header(secs).is_err(), "{secs} s");
            assert!(!admitted(&format!("{}s", secs as u64)), "{secs} s");
        }
    }
}
