//! The crate's one error type. It names nothing of the crate but the predictions it carries: turning an
//! answer into an error is the transport's (`transport/answer.rs`).

use chrono::{DateTime, Utc};
use std::{fmt, path::PathBuf, time::Duration};

use reqwest::StatusCode;

mod body;
mod decode;
mod kinds;
mod message;
mod operation;
mod webhook;

use crate::prediction::{Prediction, PredictionStatus};
pub(crate) use body::{html_title, id_in_body, snippet};
pub use decode::DecodeKind;
pub(crate) use decode::Kind;
use message::{describe_lookup, describe_wait, for_prediction, logs_tail, quoted};
pub use operation::Operation;
pub use webhook::WebhookError;

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// How many characters of a body an error message quotes.
const SNIPPET_CHARS: usize = 240;

/// Everything that can go wrong, from a bad input to a failed prediction.
///
/// Every variant says what happened; those that concern a known prediction carry its id. The predicates
/// ([`is_unauthorized`](Self::is_unauthorized), [`is_not_found`](Self::is_not_found),
/// [`is_invalid_input`](Self::is_invalid_input), [`is_rate_limited`](Self::is_rate_limited),
/// [`is_timeout`](Self::is_timeout), [`is_retryable`](Self::is_retryable)) and the accessors
/// ([`status`](Self::status), [`prediction_id`](Self::prediction_id),
/// [`invalid_fields`](Self::invalid_fields)) tell the cases apart without matching variants or status
/// numbers.
///
/// ```no_run
/// # async fn demo(client: replicate_ideogram::Client) -> replicate_ideogram::Result<()> {
/// use replicate_ideogram::models::IdeogramV2TurboInput;
/// match client.run(IdeogramV2TurboInput::new("a paper boat")).await {
///     Ok(url) => println!("{url}"),
///     Err(error) if error.is_invalid_input() => {
///         for field in error.invalid_fields() {
///             eprintln!("{}: {}", field.field, field.description);
///         }
///     }
///     Err(error) if error.is_retryable() => eprintln!("nothing was made; try again later: {error}"),
///     Err(error) => match error.prediction_id() {
///         Some(id) => eprintln!("prediction {id}: {error}"),
///         None => return Err(error),
///     },
/// }
/// # Ok(()) }
/// ```
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
    /// Without a `prediction_id`, the create made none, for certain (it was not sent in time, the server
    /// refused it, or the list proved nothing was made); a create that may have made one whose id could not
    /// be learned in time is [`Error::CreateUncertain`] instead.
    #[error("gave up after {:.1}s waiting for {}", waited.as_secs_f64(), describe_wait(prediction_id.as_deref(), status.as_ref()))]
    Timeout {
        /// The prediction's id; `None`: none was created.
        prediction_id: Option<String>,
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
        describe_lookup(lookup.as_deref(), searched.as_ref(), candidates)
    )]
    CreateUncertain {
        /// Why the create's outcome is unknown.
        cause: Box<Error>,
        /// Why the lookup failed, if it did.
        lookup: Option<Box<Error>>,
        /// The window of the server's time searched, when the lookup ran but could not tell.
        searched: Option<(DateTime<Utc>, DateTime<Utc>)>,
        /// Predictions found that may be the create's but could not be told apart from another's (their
        /// inputs could not be compared with what was sent, or another request may have made them): none
        /// was taken.
        candidates: Vec<String>,
    },
    /// The prediction a create made was adopted by another create of the same input on this client, whose
    /// own answer had been lost. The create then looks for the other's prediction; this is what is left when
    /// that is not found (the cause of an [`Error::CreateUncertain`], or the error when no more sending is
    /// allowed).
    #[error(
        "create: prediction {prediction_id}, which this create made, was adopted by another create of the same input"
    )]
    AdoptedByAnother {
        /// The prediction the other create took.
        prediction_id: String,
    },
    /// A create an earlier run of a batch sent, and stopped (was killed, or lost its connection) before its
    /// answer came: the cause of an [`Error::CreateUncertain`] when the batch's rerun could not settle it.
    #[error("an earlier run sent this create and stopped before its answer ({reason})")]
    CreateUnanswered {
        /// Why the rerun could not tell what it made.
        reason: String,
    },
    /// Looking for the prediction a create may have made read as many predictions as one lookup may without
    /// reaching the time the create was sent. Found as the `lookup` of an [`Error::CreateUncertain`].
    #[error("list: looked through {listed} predictions without reaching the time of the create")]
    LookupCapped {
        /// How many predictions were read.
        listed: usize,
    },
    /// The request did not get an answer: connection refused or reset, DNS, TLS, a read timeout.
    #[error("{operation}: could not reach the server{}: {source}", for_prediction(prediction_id.as_deref()))]
    Transport {
        /// What was being done.
        operation: Operation,
        /// The prediction concerned, when known.
        prediction_id: Option<String>,
        /// The underlying error.
        #[source]
        source: reqwest::Error,
    },
    /// The server answered, but the answer could not be decoded: it ends too early, is not of the expected
    /// shape, or is larger or slower to arrive than allowed.
    #[error("{operation}: unreadable answer{}{}: {reason}{}", status.map(|s| format!(" (HTTP {s})")).unwrap_or_default(), for_prediction(prediction_id.as_deref()), quoted("body", snippet))]
    Decode {
        /// What was being done.
        operation: Operation,
        /// The HTTP status, when there was one.
        status: Option<u16>,
        /// The prediction concerned, when known (read from the body if possible).
        prediction_id: Option<String>,
        /// What was wrong.
        reason: String,
        /// The start of the body, as text.
        snippet: String,
        /// What kind of failure it is (opaque; `reason` says it in words).
        kind: DecodeKind,
    },
    /// A prediction has no output: it has not finished, or its output was removed (Replicate deletes
    /// outputs about an hour after a prediction ends).
    #[error("prediction {prediction_id} has no output{}", if *removed { ": it was removed (outputs are deleted an hour after a prediction finishes)" } else { "" })]
    OutputMissing {
        /// The prediction.
        prediction_id: String,
        /// Whether the server says the output was removed (`data_removed`).
        removed: bool,
    },
    /// A prediction's output is not of the type asked for (the model's output, for a typed input).
    #[error("prediction {prediction_id}: {reason}{}", quoted("output", snippet))]
    OutputMismatch {
        /// The prediction.
        prediction_id: String,
        /// How the output differs.
        reason: String,
        /// The start of the output, as JSON text.
        snippet: String,
    },
    /// A listing made no progress: the server kept sending pages that lead nowhere (empty pages, a cursor
    /// it sent before, cursors that keep growing). The items already yielded stand.
    #[error("{operation}: stopped after {pages} pages: the server sent {reason}")]
    ListStalled {
        /// Which listing: predictions, a model's versions, uploaded files.
        operation: Operation,
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
    /// A download to memory ([`Download::bytes`](crate::builders::Download::bytes)) was larger than allowed
    /// ([`Download::max_bytes`](crate::builders::Download::max_bytes)). Nothing was kept.
    #[error("download of {url} is larger than the {max_bytes} bytes allowed in memory")]
    DownloadTooLarge {
        /// The URL, without its query string or credentials.
        url: String,
        /// The most allowed in memory.
        max_bytes: u64,
    },
    /// A webhook request failed verification.
    #[error("webhook rejected: {0}")]
    Webhook(WebhookError),
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
    /// A batch's journal belongs to another server or account than the client's: its predictions are not
    /// there to be waited for or found, and its finished items are not this account's. Nothing was sent.
    #[error(
        "{} belongs to {recorded}, not {current}; to run this batch here, give it another directory (or move the journal away to start afresh)",
        path.display()
    )]
    JournalMismatch {
        /// The journal.
        path: PathBuf,
        /// The server and account it records.
        recorded: String,
        /// The client's.
        current: String,
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
    /// The server does not know the version an input is pinned to (a 422 on a create by version, a 404 on
    /// [`Client::model_version`](crate::Client::model_version)): no such version, another model's, or one the
    /// token may not use. Nothing was created. [`Client::model_versions`](crate::Client::model_versions)
    /// lists the ones there are.
    #[error("unknown version {version}: {api}")]
    UnknownVersion {
        /// The version as it was named (`owner/name:id` or an id).
        version: String,
        /// The server's answer.
        api: Box<ApiError>,
    },
    /// The file of claims shared by the processes of this machine could not be read or written (SQLite
    /// failed, or another process held its lock for too long).
    #[error("claim file {}: {reason}", path.display())]
    ClaimFile {
        /// The claim file.
        path: PathBuf,
        /// What went wrong, in SQLite's words.
        reason: String,
    },
}

/// An error status from the server, with the problem details it sent.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ApiError {
    /// What was being done.
    pub operation: Operation,
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
    pub(crate) fn transport(operation: Operation, source: reqwest::Error) -> Self {
        Self::Transport {
            operation,
            prediction_id: None,
            source: source.without_url(),
        }
    }

    /// An output that is not of the type asked for.
    pub(crate) fn output_mismatch(
        prediction_id: String,
        reason: impl Into<String>,
        output: &serde_json::Value,
    ) -> Self {
        Self::OutputMismatch {
            prediction_id,
            reason: reason.into(),
            snippet: snippet(output.to_string().as_bytes()),
        }
    }
}
