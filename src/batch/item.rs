//! One batch item, from its input to its files: what the journal says decides what is sent (nothing, a
//! wait, a look-up or a create), and every step is written down before it goes on.

use std::{ops::ControlFlow, time::Duration};

use bytes::Bytes;
use chrono::Utc;
use serde_json::Value;
use tokio::time::Instant;

use super::{
    Claimed, Done, Origin, Outputs, Settings, directory,
    durable::GroupSync,
    files,
    journal::{Event, ItemState, Journal, SavedFile, is_complete, key_of},
};
use crate::{
    Client, Error, ModelInput, Prediction, PredictionStatus, Result,
    create::CreateOptions,
    resolve::{Deadline, matching::could_be},
    wait::{deadline_after, sync_wait_within},
};

/// The most predictions a resumed batch's lookup goes through for one item.
const MAX_RESUME_LOOKUP: usize = 10_000;

/// What every item of a batch shares: the client, the settings, the journal, the ids taken, the file syncs.
pub(super) struct BatchContext {
    pub(super) client: Client,
    pub(super) settings: Settings,
    pub(super) journal: Option<Journal>,
    pub(super) claimed: Claimed,
    pub(super) durable: GroupSync,
}

/// What an item needs, worked out once: where it goes, its JSON, its key in the journal, its deadline.
struct Item<'a, I> {
    index: usize,
    input: &'a I,
    json: Value,
    target: String,
    key: String,
    started: Instant,
    deadline: Instant,
}

/// What to do for an item, from what the journal says of it.
enum Plan {
    /// Create a prediction.
    Create,
    /// The create was sent but its answer never recorded: look for the prediction first.
    LookUp(chrono::DateTime<Utc>),
    /// A prediction exists and had not finished: wait for it.
    Wait(String),
    /// It succeeded: fetch its output (again).
    Fetch(String, Value, Option<f64>),
    /// It succeeded and its files are complete: nothing to send.
    Skip(String, Value, Option<f64>, Vec<SavedFile>),
    /// It failed, was canceled or aborted: report it, as the journal recorded it (no request).
    Failed(Value),
}

impl BatchContext {
    pub(super) async fn run<I: ModelInput>(
        &self,
        index: usize,
        input: &I,
    ) -> Result<Done<I::Output>> {
        input.validate()?;
        let json = serde_json::to_value(input).map_err(|e| {
            Error::invalid_input("input", format!("cannot be written as JSON: {e}"))
        })?;
        let target = input.target().to_string();
        let timeout = self
            .settings
            .timeout
            .unwrap_or(self.client.shared.run_timeout);
        let item = Item {
            index,
            input,
            key: key_of(&target, &json),
            json,
            target,
            started: Instant::now(),
            deadline: deadline_after(timeout),
        };
        let past = self
            .journal
            .as_ref()
            .and_then(|j| j.past(index, &item.key))
            .cloned();
        let outcome = self
            .follow(&item, plan(past.as_ref(), self.settings.retry_failed))
            .await;
        if let Err(error) = &outcome {
            self.record(&Event::Failed {
                item: index,
                key: item.key.clone(),
                id: error.prediction_id().map(str::to_string),
                error: error.to_string(),
                at: Utc::now(),
            })?;
        }
        outcome
    }

    async fn follow<I: ModelInput>(
        &self,
        item: &Item<'_, I>,
        plan: Plan,
    ) -> Result<Done<I::Output>> {
        let (prediction, origin) = match plan {
            Plan::Skip(id, output, time, saved) => {
                // Done before: nothing to send if its files are whole (or no files are wanted).
                let complete = match directory(&self.settings.outputs) {
                    Some(dir) => saved.iter().all(|f| is_complete(dir, f)),
                    None => matches!(self.settings.outputs, Outputs::Keep),
                };
                if complete {
                    return done(
                        item,
                        id,
                        None,
                        output,
                        time,
                        saved,
                        Vec::new(),
                        Origin::Skipped,
                    );
                }
                return self
                    .fetch(item, id, output, time, None, Origin::Resumed)
                    .await;
            }
            Plan::Fetch(id, output, time) => {
                // With no files wanted, a finished prediction is all there was to it.
                let origin = match self.settings.outputs {
                    Outputs::Keep => Origin::Skipped,
                    _ => Origin::Resumed,
                };
                return self.fetch(item, id, output, time, None, origin).await;
            }
            Plan::Failed(recorded) => {
                let prediction = Prediction::from_json(recorded.to_string().as_bytes())?;
                return Err(terminal_error(prediction));
            }
            Plan::Wait(id) => (self.wait(item, &id).await?, Origin::Resumed),
            Plan::LookUp(since) => match self.look_up(item, since).await? {
                Some(id) => (self.wait(item, &id).await?, Origin::Resumed),
                None => (self.create(item).await?, Origin::Created),
            },
            Plan::Create => (self.create(item).await?, Origin::Created),
        };
        let prediction = self.finish(item, prediction, origin).await?;
        let output = prediction.output.clone().unwrap_or(Value::Null);
        let time = prediction.predict_time().map(|t| t.as_secs_f64());
        let id = prediction.id.clone();
        self.fetch(item, id, output, time, Some(prediction), origin)
            .await
    }

    /// Records the intent, creates the prediction, records its id, and waits for it.
    async fn create<I: ModelInput>(&self, item: &Item<'_, I>) -> Result<Result<Prediction>> {
        self.record(&Event::Intent {
            item: item.index,
            key: item.key.clone(),
            model: item.json_model(),
            target: item.target.clone(),
            input: item.json.clone(),
            at: Utc::now(),
        })?;
        let options = CreateOptions {
            prefer_wait: sync_wait_within(item.deadline.saturating_duration_since(Instant::now())),
            deadline: Some(Deadline {
                started: item.started,
                at: item.deadline,
            }),
            ..CreateOptions::default()
        };
        let created = match self.client.create_with(item.input, &options).await {
            Ok(created) => created,
            Err(error) => {
                // Cut short by the deadline, the create may still have named its prediction: a rerun
                // waits for it rather than paying again.
                if let Error::Timeout {
                    prediction_id: Some(id),
                    ..
                } = &error
                {
                    self.record(&Event::Created {
                        item: item.index,
                        key: item.key.clone(),
                        id: id.clone(),
                        at: Utc::now(),
                    })?;
                }
                return Err(error);
            }
        };
        self.claim(&created.id);
        self.record(&Event::Created {
            item: item.index,
            key: item.key.clone(),
            id: created.id.clone(),
            at: Utc::now(),
        })?;
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

    /// Waits for an existing prediction of this item.
    async fn wait<I: ModelInput>(
        &self,
        item: &Item<'_, I>,
        id: &str,
    ) -> Result<Result<Prediction>> {
        self.claim(id);
        let left = item.deadline.saturating_duration_since(Instant::now());
        let guard = CancelGuard::new(&self.client, id, self.settings.cancel_on_drop);
        let outcome = self.client.wait(id).timeout(left).send().await;
        guard.disarm();
        Ok(outcome)
    }

    /// Records how the prediction ended; a failure is the item's error.
    async fn finish<I: ModelInput>(
        &self,
        item: &Item<'_, I>,
        outcome: Result<Prediction>,
        _origin: Origin,
    ) -> Result<Prediction> {
        let ended = match &outcome {
            Ok(prediction) => Some(prediction),
            Err(error) => error.prediction(),
        };
        if let Some(prediction) = ended.filter(|p| p.status.is_terminal()) {
            self.record(&Event::Finished {
                item: item.index,
                key: item.key.clone(),
                id: prediction.id.clone(),
                status: prediction.status.to_string(),
                output: prediction.output.clone(),
                predict_time: prediction.predict_time().map(|t| t.as_secs_f64()),
                error: prediction.error_message(),
                at: Utc::now(),
            })?;
        }
        match outcome {
            Ok(p) if p.status == PredictionStatus::Succeeded => Ok(p),
            Ok(p) => Err(terminal_error(p)),
            Err(error) => Err(error),
        }
    }

    /// Downloads the output as the batch wants it, records the files, and makes the item's result.
    async fn fetch<I: ModelInput>(
        &self,
        item: &Item<'_, I>,
        id: String,
        output: Value,
        time: Option<f64>,
        prediction: Option<Prediction>,
        origin: Origin,
    ) -> Result<Done<I::Output>> {
        let urls = crate::prediction::output_urls(&output);
        let (mut saved, mut bytes) = (Vec::new(), Vec::new());
        if !matches!(self.settings.outputs, Outputs::Keep) {
            for (part, url) in urls.iter().enumerate() {
                let content = self.download(item, &id, url).await?;
                if let Some(dir) = directory(&self.settings.outputs) {
                    let name = files::file_name(item.index, &item.json, part, urls.len(), url);
                    let file = files::write(dir, &name, &content)?;
                    self.durable.written(dir.join(&file.path));
                    saved.push(file);
                } else {
                    bytes.push(content);
                }
            }
        }
        if !saved.is_empty() {
            self.record(&Event::Saved {
                item: item.index,
                key: item.key.clone(),
                files: saved.clone(),
                at: Utc::now(),
            })?;
        }
        done(item, id, prediction, output, time, saved, bytes, origin)
    }

    async fn download<I: ModelInput>(
        &self,
        item: &Item<'_, I>,
        id: &str,
        url: &str,
    ) -> Result<Bytes> {
        let left = item.deadline.saturating_duration_since(Instant::now());
        match self
            .client
            .download(url)
            .timeout(left.max(Duration::from_secs(1)))
            .bytes()
            .await
        {
            Err(Error::Download { status, .. }) if matches!(status, 403 | 404 | 410) => {
                Err(Error::OutputExpired {
                    prediction_id: id.to_string(),
                    reason: format!("the delivery host answered HTTP {status}"),
                })
            }
            other => other,
        }
    }

    /// Looks for the prediction an earlier run's create made, if its answer was never recorded: one of the
    /// same target and input, created since the intent (less a margin for clocks), not taken by another item.
    async fn look_up<I: ModelInput>(
        &self,
        item: &Item<'_, I>,
        since: chrono::DateTime<Utc>,
    ) -> Result<Option<String>> {
        let target = item.input.target();
        let Some(input) = item.json.as_object() else {
            return Ok(None);
        };
        // The create went out after the intent was written: from then on, in the server's time (the
        // list's own answers narrow what is known of its clock).
        let clock = self.client.shared.transport.clock();
        let from = || clock.window(since, since).0 - chrono::Duration::seconds(1);
        let mut found = None;
        let walked = self
            .client
            .walk_list_since(from, None, MAX_RESUME_LOOKUP, |prediction| {
                if could_be(&prediction, &target, input) && self.claim(&prediction.id) {
                    found = Some(prediction.id);
                    return ControlFlow::Break(());
                }
                ControlFlow::Continue(())
            })
            .await;
        match walked {
            // Past the cap, the create is taken to have made nothing, as for a list that ends.
            Ok(()) | Err(Error::LookupCapped { .. }) => {}
            Err(error) => return Err(error),
        }
        if let Some(id) = &found {
            tracing::info!(item = item.index, prediction_id = %id, "resumed a prediction whose create answer was lost");
        }
        Ok(found)
    }

    /// Takes `id` for this batch; false if another item (or an earlier run) had it.
    fn claim(&self, id: &str) -> bool {
        self.claimed
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(id.to_string())
    }

    fn record(&self, event: &Event) -> Result<()> {
        match &self.journal {
            Some(journal) => journal.record(event),
            None => Ok(()),
        }
    }
}

impl Drop for BatchContext {
    fn drop(&mut self) {
        // The batch is over (or dropped): its files and what the journal holds go to the disk.
        if let Err(error) = self.durable.finish() {
            tracing::warn!(error = %error, "could not sync the batch's files");
        }
        if let Some(Err(error)) = self.journal.as_ref().map(Journal::sync) {
            tracing::warn!(error = %error, "could not sync the batch journal");
        }
    }
}

impl<I: ModelInput> Item<'_, I> {
    fn json_model(&self) -> Option<String> {
        match self.input.target() {
            crate::Target::Model(model) => Some(model),
            _ => None,
        }
    }
}

/// What the journal's record of an item says to do.
fn plan(past: Option<&ItemState>, retry_failed: bool) -> Plan {
    let Some(past) = past else {
        return Plan::Create;
    };
    match (&past.finished, &past.id) {
        (Some(f), Some(id)) if f.status == "succeeded" => {
            let output = f.output.clone().unwrap_or(Value::Null);
            let expired = past
                .failed
                .as_deref()
                .is_some_and(|e| e.contains("no longer there"));
            match &past.saved {
                _ if expired && retry_failed => Plan::Create,
                Some(saved) => Plan::Skip(id.clone(), output, f.predict_time, saved.clone()),
                None => Plan::Fetch(id.clone(), output, f.predict_time),
            }
        }
        (Some(_), Some(_)) if retry_failed => Plan::Create,
        (Some(f), Some(id)) => Plan::Failed(serde_json::json!({
            "id": id,
            "status": f.status,
            "error": f.error,
            "output": f.output,
        })),
        (None, Some(id)) => Plan::Wait(id.clone()),
        (_, None) => match past.intent_at {
            Some(at) => Plan::LookUp(at),
            None => Plan::Create,
        },
    }
}

/// A terminal prediction that did not succeed, as the error `wait` gives for it.
fn terminal_error(prediction: Prediction) -> Error {
    match prediction.status {
        PredictionStatus::Canceled => Error::PredictionCanceled(Box::new(prediction)),
        PredictionStatus::Aborted => Error::PredictionAborted(Box::new(prediction)),
        _ => Error::PredictionFailed(Box::new(prediction)),
    }
}

#[allow(clippy::too_many_arguments)]
fn done<I: ModelInput>(
    item: &Item<'_, I>,
    prediction_id: String,
    prediction: Option<Prediction>,
    output: Value,
    predict_time: Option<f64>,
    files: Vec<SavedFile>,
    bytes: Vec<Bytes>,
    origin: Origin,
) -> Result<Done<I::Output>> {
    let decoded = serde_json::from_value(output.clone()).map_err(|e| {
        let reason = format!("the output is not what {} gives: {e}", item.target);
        Error::output_mismatch(prediction_id.clone(), reason, &output)
    })?;
    Ok(Done {
        output: decoded,
        prediction_id,
        prediction,
        // The journal is a file anyone may have edited: a time no `Duration` holds is no time.
        predict_time: predict_time.and_then(|t| Duration::try_from_secs_f64(t).ok()),
        files,
        bytes,
        origin,
    })
}

/// Cancels a prediction if the item is dropped while waiting for it (when the batch asks for that).
struct CancelGuard {
    pending: Option<(Client, String)>,
}

impl CancelGuard {
    fn new(client: &Client, id: &str, armed: bool) -> Self {
        Self {
            pending: armed.then(|| (client.clone(), id.to_string())),
        }
    }

    fn disarm(mut self) {
        self.pending = None;
    }
}

impl Drop for CancelGuard {
    fn drop(&mut self) {
        let Some((client, id)) = self.pending.take() else {
            return;
        };
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                if let Err(error) = client.cancel(&id).await {
                    tracing::warn!(prediction_id = %id, error = %error, "could not cancel a dropped batch item");
                }
            });
        }
    }
}
