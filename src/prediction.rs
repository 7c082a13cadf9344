//! A prediction as the public API shows it, and its status.

use std::{fmt, str::FromStr, time::Duration};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer, de::DeserializeOwned};
use serde_json::{Map, Value};

use crate::{Error, Operation, Result, generated::types};

/// One run of a model on one input.
///
/// Decoded through the types generated from `openapi.yaml`; fields the server adds later are ignored,
/// and a status this crate has never seen is kept as [`PredictionStatus::Unknown`].
#[derive(Clone, Debug, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Prediction {
    /// The prediction's unique id.
    pub id: String,
    /// The model, as `owner/name`.
    pub model: Option<String>,
    /// The model version's id, or `hidden` for official models.
    pub version: Option<String>,
    /// Where it is in its life.
    pub status: PredictionStatus,
    /// The input it was created with (removed an hour after it finishes).
    pub input: Map<String, Value>,
    /// The model's output: `None` until it is done, and after the data is removed.
    pub output: Option<Value>,
    /// What the model printed so far.
    pub logs: Option<String>,
    /// The error, when it failed.
    pub error: Option<Value>,
    /// Where it was created: `api` or `web`.
    pub source: Option<String>,
    /// Whether its input and output have been deleted.
    pub data_removed: bool,
    /// When it was created.
    pub created_at: Option<DateTime<Utc>>,
    /// When the model started running it.
    pub started_at: Option<DateTime<Utc>>,
    /// When the model completed it and all outputs were uploaded.
    pub completed_at: Option<DateTime<Utc>>,
    /// When it will be canceled automatically if it has not completed.
    pub deadline: Option<DateTime<Utc>>,
    /// The deployment that ran it, if any.
    pub deployment: Option<String>,
    /// Run-time metrics such as `predict_time` and `total_time`, in seconds.
    pub metrics: Option<Map<String, Value>>,
    /// The URLs the server offered. This crate never follows them: it builds its own from the base URL.
    pub urls: PredictionUrls,
}

/// The URLs a server returned with a prediction, for display. They may name another host than the base URL.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct PredictionUrls {
    /// Where the server says the prediction can be read.
    pub get: Option<String>,
    /// Where the server says it can be canceled.
    pub cancel: Option<String>,
    /// Its page on the web.
    pub web: Option<String>,
    /// Its server-sent-events stream, for models that stream.
    pub stream: Option<String>,
}

impl Prediction {
    /// Decodes a prediction from its JSON (a stored answer, a webhook payload you have verified), through the
    /// same types generated from `openapi.yaml` that decode the API's answers.
    pub fn from_json(json: &[u8]) -> Result<Self> {
        Self::decode(json, Operation::Decode)
    }

    pub(crate) fn decode(json: &[u8], operation: Operation) -> Result<Self> {
        serde_json::from_slice::<types::Prediction>(json)
            .map(Self::from)
            .map_err(|e| {
                Error::malformed(
                    operation,
                    None,
                    None,
                    format!("not a prediction ({e})"),
                    json,
                )
            })
    }

    /// Whether the prediction has finished (succeeded, failed, canceled or aborted).
    pub fn is_terminal(&self) -> bool {
        self.status.is_terminal()
    }

    /// The error as text, when there is one.
    pub fn error_message(&self) -> Option<String> {
        match self.error.as_ref()? {
            Value::Null => None,
            Value::String(message) => Some(message.clone()),
            other => Some(other.to_string()),
        }
    }

    /// The output decoded as `T` (for a typed input, its `Output`).
    ///
    /// A missing output (still running, or removed) is [`Error::OutputMissing`]; one of another shape is
    /// [`Error::OutputMismatch`].
    pub fn output_as<T: DeserializeOwned>(&self) -> Result<T> {
        let Some(output) = &self.output else {
            return Err(Error::OutputMissing {
                prediction_id: self.id.clone(),
                removed: self.data_removed,
            });
        };
        T::deserialize(output).map_err(|e| {
            Error::output_mismatch(
                self.id.clone(),
                format!("the output does not have the model's output schema ({e})"),
                output,
            )
        })
    }

    /// The output's file URLs: one URL, or each string of a list of them (the shapes of the ideogram models'
    /// outputs).
    ///
    /// A missing output is [`Error::OutputMissing`]; an output with no URL in it is [`Error::OutputMismatch`].
    ///
    /// ```no_run
    /// # async fn demo(client: replicate_ideogram::Client, id: &str) -> replicate_ideogram::Result<()> {
    /// for url in client.get(id).await?.output_urls()? {
    ///     client.download(&url).to_file(url.rsplit('/').next().unwrap_or("output")).await?;
    /// }
    /// # Ok(()) }
    /// ```
    pub fn output_urls(&self) -> Result<Vec<String>> {
        output_files(&self.id, self.output.as_ref(), self.data_removed)
    }

    /// Whether the id is a plain prediction id (1 to 64 ASCII letters, digits, `-` or `_`), safe to use in a
    /// URL path or as a file name. Ids come from the server; check before using one as either.
    pub fn has_plain_id(&self) -> bool {
        crate::create::is_plain_id(&self.id)
    }

    /// How long the model ran (`metrics.predict_time`), once it has finished.
    pub fn predict_time(&self) -> Option<Duration> {
        let seconds = self.metrics.as_ref()?.get("predict_time")?.as_f64()?;
        Duration::try_from_secs_f64(seconds).ok()
    }
}

/// The file URLs of prediction `id`'s output (`removed`: the server says it deleted it), by the one rule
/// every reader of outputs follows: one URL, or a list of them and nothing else. A missing output is
/// [`Error::OutputMissing`]; an empty list, an object, or a list with anything but URLs in it is
/// [`Error::OutputMismatch`].
pub(crate) fn output_files(id: &str, output: Option<&Value>, removed: bool) -> Result<Vec<String>> {
    let Some(output) = output.filter(|o| !o.is_null()) else {
        return Err(Error::OutputMissing {
            prediction_id: id.to_string(),
            removed,
        });
    };
    let mismatch = |why: &str| Error::output_mismatch(id.to_string(), why.to_string(), output);
    match output {
        Value::String(url) => Ok(vec![url.clone()]),
        Value::Array(items) if items.is_empty() => Err(mismatch("the output is an empty list")),
        Value::Array(items) => items
            .iter()
            .map(|item| {
                item.as_str().map(str::to_string).ok_or_else(|| {
                    mismatch("the output's list holds something other than a file URL")
                })
            })
            .collect(),
        _ => Err(mismatch("the output holds no file URL")),
    }
}

impl From<types::Prediction> for Prediction {
    fn from(p: types::Prediction) -> Self {
        let urls = p.urls.unwrap_or_default();
        Self {
            id: p.id,
            model: p.model,
            version: p.version,
            status: p.status,
            input: p.input,
            output: p.output.filter(|v| !v.is_null()),
            logs: p.logs,
            error: p.error.filter(|v| !v.is_null()),
            source: p.source,
            data_removed: p.data_removed,
            created_at: p.created_at,
            started_at: p.started_at,
            completed_at: p.completed_at,
            deadline: p.deadline,
            deployment: p.deployment,
            metrics: p.metrics,
            urls: PredictionUrls {
                get: urls.get,
                cancel: urls.cancel,
                web: urls.web,
                stream: urls.stream,
            },
        }
    }
}

/// The status of a prediction.
///
/// `Succeeded`, `Failed`, `Canceled` and `Aborted` are terminal. A value this crate does not know is kept in
/// `Unknown` rather than failing the whole response; it is not treated as terminal.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PredictionStatus {
    /// Queued, or the model is booting.
    Starting,
    /// The model is running.
    Processing,
    /// Finished with an output.
    Succeeded,
    /// Finished with an error.
    Failed,
    /// Canceled, by a user or at its deadline while running.
    Canceled,
    /// Terminated before it started running, for example when its deadline passed first.
    Aborted,
    /// A status this crate does not know yet, as the server spelled it.
    Unknown(String),
}

impl PredictionStatus {
    /// Whether a prediction in this status will not change any more.
    pub fn is_terminal(&self) -> bool {
        matches!(
            self,
            Self::Succeeded | Self::Failed | Self::Canceled | Self::Aborted
        )
    }

    /// The wire string.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Starting => "starting",
            Self::Processing => "processing",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Canceled => "canceled",
            Self::Aborted => "aborted",
            Self::Unknown(other) => other,
        }
    }
}

impl fmt::Display for PredictionStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for PredictionStatus {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        Ok(match s {
            "starting" => Self::Starting,
            "processing" => Self::Processing,
            "succeeded" => Self::Succeeded,
            "failed" => Self::Failed,
            "canceled" => Self::Canceled,
            "aborted" => Self::Aborted,
            other => Self::Unknown(other.to_string()),
        })
    }
}

impl Serialize for PredictionStatus {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for PredictionStatus {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        let Ok(status) = text.parse();
        Ok(status)
    }
}
