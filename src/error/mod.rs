//! The crate's one error type, and the one place where the generated client's errors become it.

use chrono::{DateTime, Utc};
use std::{fmt, path::PathBuf, time::Duration};

use progenitor_client::ByteStream;
use reqwest::StatusCode;

mod answer;
#[cfg(test)]
mod fuzz;

use crate::{Prediction, PredictionStatus};
pub(crate) use answer::{api_error, read_capped, snippet};
use answer::{api_error_from_stream, body_limit, id_in_body};

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The reason of a `Decode` error for a body that ends too early.
const TRUNCATED: &str = "the body ends too early";

/// How much of an error body is read; the rest is dropped.
const ERROR_BODY_LIMIT: usize = 64 * 1024;
/// How many characters of a body an error message quotes.
const SNIPPET_CHARS: usize = 240;

/// Everything that can go wrong, from a bad input to a failed prediction.
///
/// Every variant says what happened; those that concern a known prediction carry its id.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The server answered with an error status (problem details when it sent them).
    #[error("{0}")]
    Api(Box<ApiError>),
    /// The prediction finished with status `failed`. It carries the model's error and logs.
    #[error("prediction {} failed: {}{}", .0.id, .0.error_message().unwrap_or_else(|| "no error message".into()), logs_tail(.0))]
    PredictionFailed(Box<Prediction>),
    /// The prediction was canceled (by a user, or at its deadline while running).
    #[error("prediction {} was canceled", .0.id)]
    PredictionCanceled(Box<Prediction>),
    /// The prediction was aborted before it started running (for example, its deadline passed first).
    #[error("prediction {} was aborted before it started running", .0.id)]
    PredictionAborted(Box<Prediction>),
    /// The overall deadline passed before the prediction finished. The prediction may still be running.
    #[error("gave up after {:.1}s waiting for {}", waited.as_secs_f64(), describe_wait(id.as_deref(), status.as_ref()))]
    Timeout {
        /// The prediction's id, if it had been created.
        id: Option<String>,
        /// How long was waited in all.
        waited: Duration,
        /// The last status seen, if any.
        status: Option<PredictionStatus>,
    },
    /// A create request's outcome is unknown (no readable answer) and looking for the prediction it may have
    /// created did not settle it: the lookup failed, or the server's list did not yet cover the time the
    /// create was sent. A prediction may exist; it was not created again. List recent predictions before
    /// creating it again.
    #[error(
        "create: a prediction may have been created ({cause}), and {}; list recent predictions before creating it again",
        describe_lookup(lookup.as_deref(), searched.as_ref())
    )]
    CreateUncertain {
        /// Why the create's outcome is unknown.
        cause: Box<Error>,
        /// Why the lookup failed, if it did.
        lookup: Option<Box<Error>>,
        /// The window of the server's time searched, when the lookup ran but could not tell.
        searched: Option<(DateTime<Utc>, DateTime<Utc>)>,
    },
    /// The request did not get an answer: connection refused or reset, DNS, TLS, a read timeout.
    #[error("{operation}: could not reach the server{}: {source}", for_prediction(prediction_id.as_deref()))]
    Transport {
        /// What was being done (`create`, `get`, `download`, …).
        operation: &'static str,
        /// The prediction concerned, when known.
        prediction_id: Option<String>,
        /// The underlying error.
        #[source]
        source: reqwest::Error,
    },
    /// The server answered, but the answer could not be understood.
    #[error("{operation}: unreadable answer{}{}: {reason}{}", status.map(|s| format!(" (HTTP {s})")).unwrap_or_default(), for_prediction(prediction_id.as_deref()), quoted(snippet))]
    Decode {
        /// What was being done.
        operation: &'static str,
        /// The HTTP status, when there was one.
        status: Option<u16>,
        /// The prediction concerned, when known (read from the body if possible).
        prediction_id: Option<String>,
        /// What was wrong.
        reason: String,
        /// The start of the body, as text.
        snippet: String,
    },
    /// A listing made no progress: the server kept sending pages that lead nowhere (empty pages, a cursor
    /// it sent before, cursors that keep growing). The predictions already yielded stand.
    #[error("list: stopped after {pages} pages: the server sent {reason}")]
    ListStalled {
        /// How many pages were fetched.
        pages: usize,
        /// What showed that the listing made no progress.
        reason: String,
    },
    /// The input was rejected before anything was sent.
    #[error("invalid input: `{field}` {reason}")]
    InvalidInput {
        /// The field (or option) at fault.
        field: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The client could not be set up (missing token, bad base URL, …).
    #[error("configuration: {0}")]
    Config(String),
    /// Downloading an output failed with an HTTP status.
    #[error("download of {url} failed with HTTP {status}")]
    Download {
        /// The URL, without its query string (which may hold a signature) or credentials.
        url: String,
        /// The HTTP status.
        status: u16,
    },
    /// A download took longer than its timeout (retries and body included). Nothing was written.
    #[error("download of {url} took longer than its {:.1}s timeout", timeout.as_secs_f64())]
    DownloadTimeout {
        /// The URL, without its query string or credentials.
        url: String,
        /// The download's timeout.
        timeout: Duration,
    },
    /// A webhook request failed verification.
    #[error("webhook rejected: {0}")]
    Webhook(crate::webhook::WebhookError),
    /// A prediction succeeded, but its output can no longer be downloaded (Replicate deletes outputs about an
    /// hour after a prediction ends). Running the input again makes (and costs) a new prediction.
    #[error("prediction {prediction_id} succeeded, but its output is no longer there ({reason})")]
    OutputExpired {
        /// The prediction whose output is gone.
        prediction_id: String,
        /// How that showed (the delivery host's status, or the prediction's `data_removed`).
        reason: String,
    },
    /// Another process is running the same batch (it holds the journal's lock).
    #[error("{} is in use by another batch ({holder}); wait for it to finish, or use another directory", path.display())]
    JournalLocked {
        /// The journal.
        path: PathBuf,
        /// Who holds it, as it wrote itself down: process id, host, start time, command.
        holder: String,
    },
    /// A batch journal could not be read.
    #[error("{}, line {line}: {reason}", path.display())]
    Journal {
        /// The journal.
        path: PathBuf,
        /// The line at fault (1-based).
        line: usize,
        /// What is wrong with it.
        reason: String,
    },
    /// Reading or writing a local file failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}

/// An error status from the server, with the problem details it sent.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ApiError {
    /// What was being done (`create`, `get`, `cancel`, `list`, …).
    pub operation: &'static str,
    /// The HTTP status code.
    pub status: u16,
    /// The problem's short summary (`title`).
    pub title: Option<String>,
    /// The problem's explanation (`detail`).
    pub detail: Option<String>,
    /// A URI naming the kind of problem (`type`).
    pub kind: Option<String>,
    /// A URI naming this occurrence (`instance`).
    pub instance: Option<String>,
    /// For input validation failures: which fields, and why.
    pub invalid_fields: Vec<InvalidField>,
    /// The prediction concerned, when known.
    pub prediction_id: Option<String>,
    /// How long the server asked to wait before trying again (`Retry-After`).
    pub retry_after: Option<Duration>,
    /// The start of the body when it was not problem details (an HTML error page, say).
    pub body_snippet: Option<String>,
    /// What the client makes of the error, when it can tell more than the server did: for a 404 on a
    /// create, get or list with a base URL that does not end in `/v1`, that `/v1` is missing.
    pub hint: Option<String>,
}

/// One field an input validation failure names.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct InvalidField {
    /// The field's path, e.g. `input.seed`.
    pub field: String,
    /// What is wrong with it.
    pub description: String,
    /// The kind of failure, e.g. `invalid_type`.
    pub kind: Option<String>,
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: HTTP {}", self.operation, self.status)?;
        let reason = StatusCode::from_u16(self.status)
            .ok()
            .and_then(|s| s.canonical_reason());
        match (&self.title, reason) {
            (Some(title), _) => write!(f, " {title}")?,
            (None, Some(reason)) => write!(f, " {reason}")?,
            (None, None) => {}
        }
        if let Some(detail) = &self.detail {
            write!(f, ": {}", detail.trim())?;
        }
        for field in &self.invalid_fields {
            if !self.detail.as_deref().unwrap_or("").contains(&field.field) {
                write!(f, "; {}: {}", field.field, field.description)?;
            }
        }
        if self.detail.is_none()
            && let Some(snippet) = &self.body_snippet
        {
            write!(f, ": {snippet:?}")?;
        }
        if let Some(id) = &self.prediction_id {
            write!(f, " (prediction {id})")?;
        }
        if let Some(wait) = self.retry_after {
            write!(f, " (retry after {}s)", wait.as_secs())?;
        }
        if let Some(hint) = &self.hint {
            write!(f, "; {hint}")?;
        }
        Ok(())
    }
}

impl Error {
    /// The id of the prediction this error concerns, when known.
    pub fn prediction_id(&self) -> Option<&str> {
        match self {
            Self::Api(api) => api.prediction_id.as_deref(),
            Self::PredictionFailed(p)
            | Self::PredictionCanceled(p)
            | Self::PredictionAborted(p) => Some(&p.id),
            Self::Timeout { id, .. } => id.as_deref(),
            Self::CreateUncertain { cause, .. } => cause.prediction_id(),
            Self::Transport { prediction_id, .. } | Self::Decode { prediction_id, .. } => {
                prediction_id.as_deref()
            }
            Self::OutputExpired { prediction_id, .. } => Some(prediction_id),
            _ => None,
        }
    }

    /// The prediction that finished unsuccessfully, for the `Prediction*` variants.
    pub fn prediction(&self) -> Option<&Prediction> {
        match self {
            Self::PredictionFailed(p)
            | Self::PredictionCanceled(p)
            | Self::PredictionAborted(p) => Some(p),
            _ => None,
        }
    }

    /// The HTTP status of an [`Error::Api`], [`Error::Decode`] or [`Error::Download`].
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Api(api) => Some(api.status),
            Self::Decode { status, .. } => *status,
            Self::Download { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Whether this is an answer that was cut short (worth reading again), not one of the wrong shape.
    pub(crate) fn is_truncated_answer(&self) -> bool {
        matches!(self, Self::Decode { reason, .. } if reason.starts_with(TRUNCATED))
    }

    pub(crate) fn invalid_input(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::InvalidInput {
            field: field.into(),
            reason: reason.into(),
        }
    }

    pub(crate) fn unknown_value(label: &str, value: &str, expected: &[&str]) -> Self {
        Self::invalid_input(
            label,
            format!(
                "has no value {value:?}; expected one of: {}",
                expected.join(", ")
            ),
        )
    }

    /// A transport error of a request whose URL is not the API's (a download, an upload), without its URL:
    /// a signed URL's query is a credential of sorts.
    pub(crate) fn transport(operation: &'static str, source: reqwest::Error) -> Self {
        Self::Transport {
            operation,
            prediction_id: None,
            source: source.without_url(),
        }
    }

    pub(crate) fn decode(
        operation: &'static str,
        status: Option<u16>,
        prediction_id: Option<String>,
        reason: impl Into<String>,
        body: &[u8],
    ) -> Self {
        Self::Decode {
            operation,
            status,
            prediction_id: prediction_id.or_else(|| id_in_body(body)),
            reason: reason.into(),
            snippet: snippet(body),
        }
    }

    /// Turns an error of the generated client into ours: the one mapping point.
    pub(crate) async fn from_generated(
        error: progenitor_client::Error<ByteStream>,
        operation: &'static str,
        prediction_id: Option<&str>,
    ) -> Self {
        use progenitor_client::Error as E;
        let prediction_id = prediction_id.map(str::to_string);
        match error {
            E::CommunicationError(source)
            | E::InvalidUpgrade(source)
            | E::ResponseBodyError(source) => match body_limit(&source) {
                Some(reason) => Self::decode(operation, None, prediction_id, reason, b""),
                None => Self::Transport {
                    operation,
                    prediction_id,
                    source,
                },
            },
            E::ErrorResponse(response) => {
                api_error_from_stream(response, operation, prediction_id).await
            }
            E::UnexpectedResponse(response) => {
                let status = response.status().as_u16();
                let headers = response.headers().clone();
                let body = read_capped(response.bytes_stream()).await;
                Self::Api(Box::new(api_error(
                    operation,
                    status,
                    &headers,
                    &body,
                    prediction_id,
                )))
            }
            E::InvalidResponsePayload(body, error) => {
                let reason = if error.is_eof() {
                    format!("{TRUNCATED} ({error})")
                } else {
                    format!("the body does not match the expected schema ({error})")
                };
                Self::decode(operation, None, prediction_id, reason, &body)
            }
            E::InvalidRequest(reason) => Self::invalid_input("request", reason),
            E::Custom(reason) => Self::Config(reason),
        }
    }
}

fn logs_tail(prediction: &Prediction) -> String {
    match prediction.logs.as_deref().map(str::trim) {
        Some(logs) if !logs.is_empty() => {
            let lines: Vec<&str> = logs.lines().collect();
            let tail = lines
                .get(lines.len().saturating_sub(5)..)
                .unwrap_or_default();
            format!("\nlast log lines:\n  {}", tail.join("\n  "))
        }
        _ => String::new(),
    }
}

fn describe_wait(id: Option<&str>, status: Option<&PredictionStatus>) -> String {
    match (id, status) {
        (Some(id), Some(status)) => format!("prediction {id} (last status: {status})"),
        (Some(id), None) => format!("prediction {id}"),
        _ => "the prediction to be created".to_string(),
    }
}

fn quoted(snippet: &str) -> String {
    if snippet.is_empty() {
        String::new()
    } else {
        format!("; body starts: {snippet:?}")
    }
}

fn describe_lookup(
    lookup: Option<&Error>,
    searched: Option<&(DateTime<Utc>, DateTime<Utc>)>,
) -> String {
    match (lookup, searched) {
        (Some(error), _) => format!("looking for it failed ({error})"),
        (None, Some((from, to))) => format!(
            "no prediction of that input is listed between {} and {} (server time), but the list may not show it yet",
            from.format("%H:%M:%S%.3f"),
            to.format("%H:%M:%S%.3f")
        ),
        (None, None) => "looking for it did not finish in time".into(),
    }
}

fn for_prediction(id: Option<&str>) -> String {
    id.map(|id| format!(" (prediction {id})"))
        .unwrap_or_default()
}
