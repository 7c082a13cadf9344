//! One batch item, from its input to its files: what the journal says decides what is sent (nothing, a
//! wait or a create), and every step is written down before it goes on.

use std::{pin::Pin, sync::Arc, time::Duration};

use bytes::Bytes;
use chrono::Utc;
use futures_util::{Stream, StreamExt, stream};
use serde_json::Value;
use tokio::time::Instant;

use super::{
    BatchItem, Done, Origin, Outputs,
    cancel::{CancelGuard, HeldCreate},
    context::{BatchContext, lock},
    identify::{Item, Occurrences},
    journal::{Event, SavedFile},
    plan::{Plan, failure_of, plan, recorded_output, terminal_error},
};
use crate::{
    Error, ModelInput, Prediction, PredictionStatus, Result,
    clock::Deadline,
    clock::sync_wait_within,
    create::CreateOptions,
    resolve::{identity::sent_form, matching::Sent},
};

/// The batch's items, each run as the stream reaches it, at most `concurrency` at a time.
pub(super) fn items<I: ModelInput + 'static>(
    context: Arc<BatchContext>,
    inputs: Box<dyn Iterator<Item = I> + Send>,
    concurrency: usize,
) -> Pin<Box<dyn Stream<Item = BatchItem<I>> + Send>> {
    let mut occurrences = Occurrences::default();
    let items = stream::iter(inputs.enumerate())
        .map(move |(index, input)| {
            let context = Arc::clone(&context);
            let item = context.identify(index, &input, &mut occurrences);
            async move {
                let result = match item {
                    Ok(item) => context.run(&item).await,
                    Err(error) => Err(error),
                };
                BatchItem {
                    index,
                    input,
                    result,
                }
            }
        })
        .buffer_unordered(concurrency);
    Box::pin(items)
}

/// A prediction's end, as the item's result needs it.
struct Ended {
    id: String,
    output: Option<Value>,
    removed: bool,
    predict_time: Option<f64>,
    prediction: Option<Prediction>,
}

impl BatchContext {
    async fn run<O: serde::de::DeserializeOwned>(&self, item: &Item) -> Result<Done<O>> {
        let past = self
            .journal
            .as_ref()
            .and_then(|j| j.past().items.get(&item.id))
            .cloned();
        let resumed = lock(&self.resumed).get(&item.id).cloned();
        let plan = plan(past.as_ref(), resumed, self.settings.retry_failed);
        let outcome = self.follow(item, plan).await;
        if let Err(error) = &outcome {
            let (kind, made_nothing) = failure_of(error);
            self.record(&Event::Failed {
                item: item.index,
                key: item.id.key.clone(),
                occurrence: item.id.occurrence,
                prediction: error.prediction_id().map(str::to_string),
                kind,
                made_nothing,
                error: error.to_string(),
                at: Utc::now(),
            })?;
        }
        outcome
    }

    async fn follow<O: serde::de::DeserializeOwned>(
        &self,
        item: &Item,
        plan: Plan,
    ) -> Result<Done<O>> {
        let (outcome, origin) = match plan {
            Plan::Skip(id, finished, saved) => {
                // Done before: nothing to send if its files are whole (or no files are wanted).
                let complete = match self.directory() {
                    Some(dir) => saved.iter().all(|f| super::files::is_complete(dir, f)),
                    None => matches!(self.settings.outputs, Outputs::Keep),
                };
                let ended = Ended::recorded(id, &finished);
                if complete {
                    let output = decode(&ended)?;
                    return Ok(done(ended, output, saved, Vec::new(), Origin::Skipped));
                }
                return self.fetch(item, ended, Origin::Resumed).await;
            }
            Plan::Fetch(id, finished) => {
                // With no files wanted, a finished prediction is all there was to it.
                let origin = match self.settings.outputs {
                    Outputs::Keep => Origin::Skipped,
                    _ => Origin::Resumed,
                };
                return self
                    .fetch(item, Ended::recorded(id, &finished), origin)
                    .await;
            }
            Plan::Report(error) => return Err(*error),
            Plan::Wait(id) => (self.wait(item, &id).await, Origin::Resumed),
            Plan::Create => (self.create(item).await?, Origin::Created),
        };
        let prediction = self.finish(item, outcome)?;
        let ended = Ended {
            id: prediction.id.clone(),
            output: prediction.output.clone(),
            removed: prediction.data_removed,
            predict_time: prediction.predict_time().map(|t| t.as_secs_f64()),
            prediction: Some(prediction),
        };
        self.fetch(item, ended, origin).await
    }

    /// Records the intent, creates the prediction, records its id, and waits for it.
    async fn create(&self, item: &Item) -> Result<Result<Prediction>> {
        let input = self.placed_input(item).await?;
        let clock = self.client.shared.transport.clock();
        self.record(&Event::Intent {
            item: item.index,
            key: item.id.key.clone(),
            occurrence: item.id.occurrence,
            target: item.target.to_string(),
            input: Value::Object(sent_form(&input)),
            after: clock.server_now_at_least(),
            at: Utc::now(),
        })?;
        let options = CreateOptions {
            prefer_wait: sync_wait_within(item.deadline.saturating_duration_since(Instant::now())),
            deadline: Some(Deadline {
                started: item.started,
                at: item.deadline,
            }),
            owner: Some(item.owner.clone()),
            ..CreateOptions::default()
        };
        let held = HeldCreate::new(
            &self.client,
            || Sent::of(&item.target, &input),
            &item.owner,
            self.settings.cancel_on_drop,
        );
        let created = self
            .client
            .create_json(item.target.clone(), input, &options)
            .await;
        held.disarm();
        let created = match created {
            Ok(created) => created,
            Err(error) => {
                // Cut short by the deadline, the create may still have named its prediction: a rerun
                // waits for it rather than paying again.
                if let Error::Timeout {
                    prediction_id: Some(id),
                    ..
                } = &error
                {
                    self.record_created(item, id, None)?;
                }
                return Err(error);
            }
        };
        self.record_created(item, &created.id, created.created_at)?;
        let guard = CancelGuard::new(&self.client, &created.id, self.settings.cancel_on_drop);
        let polled = self
            .client
            .poll_until_done(
                created,
                item.started,
                item.deadline,
                &self.client.shared.wait,
            )
            .await;
        guard.disarm();
        Ok(polled)
    }

    fn record_created(
        &self,
        item: &Item,
        id: &str,
        created_at: Option<chrono::DateTime<Utc>>,
    ) -> Result<()> {
        self.record(&Event::Created {
            item: item.index,
            key: item.id.key.clone(),
            occurrence: item.id.occurrence,
            prediction: id.to_string(),
            created_at,
            at: Utc::now(),
        })
    }

    /// Waits for an existing prediction of this item.
    async fn wait(&self, item: &Item, id: &str) -> Result<Prediction> {
        self.client.shared.claims.claim(id, &item.owner);
        let left = item.deadline.saturating_duration_since(Instant::now());
        let guard = CancelGuard::new(&self.client, id, self.settings.cancel_on_drop);
        let outcome = self.client.wait(id).timeout(left).send().await;
        guard.disarm();
        outcome
    }

    /// Records how the prediction ended; a failure is the item's error.
    fn finish(&self, item: &Item, outcome: Result<Prediction>) -> Result<Prediction> {
        let ended = match &outcome {
            Ok(prediction) => Some(prediction),
            Err(error) => error.prediction(),
        };
        if let Some(prediction) = ended.filter(|p| p.status.is_terminal()) {
            self.record_with_next(&Event::Finished {
                item: item.index,
                key: item.id.key.clone(),
                occurrence: item.id.occurrence,
                prediction: prediction.id.clone(),
                status: prediction.status.to_string(),
                output: prediction.output.clone(),
                data_removed: prediction.data_removed,
                predict_time: prediction.predict_time().map(|t| t.as_secs_f64()),
                error: prediction.error_message(),
                at: Utc::now(),
            });
        }
        match outcome {
            Ok(p) if p.status == PredictionStatus::Succeeded => Ok(p),
            Ok(p) => Err(terminal_error(p)),
            Err(error) => Err(error),
        }
    }

    /// Reads the output by the one rule `generate` follows, downloads it as the batch wants it, records
    /// the files, and makes the item's result.
    async fn fetch<O: serde::de::DeserializeOwned>(
        &self,
        item: &Item,
        ended: Ended,
        origin: Origin,
    ) -> Result<Done<O>> {
        let output = decode(&ended)?;
        if matches!(self.settings.outputs, Outputs::Keep) {
            return Ok(done(ended, output, Vec::new(), Vec::new(), origin));
        }
        let urls = crate::decode::output_files(&ended.id, ended.output.as_ref(), ended.removed)?;
        let (mut saved, mut bytes) = (Vec::new(), Vec::new());
        let left = || {
            item.deadline
                .saturating_duration_since(Instant::now())
                .max(Duration::from_secs(1))
        };
        for (part, url) in urls.iter().enumerate() {
            match self.directory() {
                Some(dir) => saved.push(
                    self.save(item, dir, (part, urls.len()), url, left())
                        .await
                        .map_err(|e| expired(&ended.id, e))?,
                ),
                None => bytes.push(
                    self.download(url, left())
                        .await
                        .map_err(|e| expired(&ended.id, e))?,
                ),
            }
        }
        if !saved.is_empty() {
            self.record(&Event::Saved {
                item: item.index,
                key: item.id.key.clone(),
                occurrence: item.id.occurrence,
                files: saved.clone(),
                at: Utc::now(),
            })?;
        }
        Ok(done(ended, output, saved, bytes, origin))
    }

    async fn download(&self, url: &str, left: Duration) -> Result<Bytes> {
        self.client.download(url).timeout(left).bytes().await
    }
}

impl Ended {
    fn recorded(id: String, finished: &super::journal::replay::Finished) -> Self {
        Self {
            id,
            output: Some(recorded_output(finished)).filter(|o| !o.is_null()),
            removed: finished.data_removed,
            predict_time: finished.predict_time,
            prediction: None,
        }
    }
}

/// The output as the input's type says, or the error `generate` gives for a missing or mismatched one.
fn decode<O: serde::de::DeserializeOwned>(ended: &Ended) -> Result<O> {
    let Some(output) = &ended.output else {
        return Err(Error::OutputMissing {
            prediction_id: ended.id.clone(),
            removed: ended.removed,
        });
    };
    serde_json::from_value(output.clone()).map_err(|e| {
        let reason = format!("the output does not have the model's output schema ({e})");
        Error::output_mismatch(ended.id.clone(), reason, output)
    })
}

/// A download the delivery host refused because the output is gone.
fn expired(prediction_id: &str, error: Error) -> Error {
    match error {
        Error::Download { status, .. } if matches!(status, 403 | 404 | 410) => {
            Error::OutputExpired {
                prediction_id: prediction_id.to_string(),
                reason: format!("the delivery host answered HTTP {status}"),
            }
        }
        other => other,
    }
}

fn done<O>(
    ended: Ended,
    output: O,
    files: Vec<SavedFile>,
    bytes: Vec<Bytes>,
    origin: Origin,
) -> Done<O> {
    Done {
        output,
        prediction_id: ended.id,
        prediction: ended.prediction,
        // The journal is a file anyone may have edited: a time no `Duration` holds is no time.
        predict_time: ended
            .predict_time
            .and_then(|t| Duration::try_from_secs_f64(t).ok()),
        files,
        bytes,
        origin,
    }
}
