//! A prediction as the public API shows it, and its status: plain data, which errors carry. What reads a
//! prediction or its output and may fail is in `decode.rs`, above the error module.

use std::{fmt, str::FromStr, time::Duration};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

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

    /// Whether the id is a plain prediction id (1 to 64 ASCII letters, digits, `-` or `_`), safe to use in a
    /// URL path or as a file name. Ids come from the server; check before using one as either.
    pub fn has_plain_id(&self) -> bool {
        is_plain_id(&self.id)
    }

    /// How long the model ran (`metrics.predict_time`), once it has finished.
    pub fn predict_time(&self) -> Option<Duration> {
        let seconds = self.metrics.as_ref()?.get("predict_time")?.as_f64()?;
        Duration::try_from_secs_f64(seconds).ok()
    }
}
/// Whether `id` looks like a prediction id: 1 to 64 ASCII letters, digits, `-` or `_`.
pub(crate) fn is_plain_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
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
