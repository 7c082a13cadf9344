//! Turning what the server answered into an [`Error`]: an error status (its body capped, its problem details
//! or HTML title read), a body cut short or over its limit, an answer of the wrong shape. The one place
//! where the generated client's errors become ours.

use futures_util::TryStreamExt;
use progenitor_client::{ByteStream, ResponseValue};
use reqwest::header::HeaderMap;

use super::{BodyTooLarge, BodyTooSlow, generated::types};
use crate::{
    error::{ApiError, Error, InvalidField, Kind, Operation, html_title, id_in_body, snippet},
    retry::retry_after_of,
};

/// How much of an error body is read; the rest is dropped.
const ERROR_BODY_LIMIT: usize = 64 * 1024;

impl Error {
    /// Turns an error of the generated client into ours: the one mapping point.
    pub(crate) async fn from_generated(
        error: progenitor_client::Error<ByteStream>,
        operation: Operation,
        prediction_id: Option<&str>,
    ) -> Self {
        use progenitor_client::Error as E;
        let prediction_id = prediction_id.map(str::to_string);
        match error {
            E::CommunicationError(source)
            | E::InvalidUpgrade(source)
            | E::ResponseBodyError(source) => match body_limit(&source) {
                Some(reason) => {
                    Self::decode(Kind::OverLimit, operation, None, prediction_id, reason, b"")
                }
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
                let (kind, reason) = if error.is_eof() {
                    (
                        Kind::Truncated,
                        format!("the body ends too early ({error})"),
                    )
                } else {
                    let reason = format!("the body does not match the expected schema ({error})");
                    (Kind::Malformed, reason)
                };
                Self::decode(kind, operation, None, prediction_id, reason, &body)
            }
            E::InvalidRequest(reason) => Self::invalid_input("request", reason),
            E::Custom(reason) => Self::Config(reason),
        }
    }
}

/// The body limit an error stems from, if it does (see `transport/body.rs`).
fn body_limit(error: &reqwest::Error) -> Option<String> {
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        if cause.is::<BodyTooLarge>() || cause.is::<BodyTooSlow>() {
            return Some(cause.to_string());
        }
        source = cause.source();
    }
    None
}

async fn api_error_from_stream(
    response: ResponseValue<ByteStream>,
    operation: Operation,
    prediction_id: Option<String>,
) -> Error {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = read_capped(response.into_inner().into_inner()).await;
    Error::Api(Box::new(api_error(
        operation,
        status,
        &headers,
        &body,
        prediction_id,
    )))
}

/// The start of an error body, at most `ERROR_BODY_LIMIT` bytes; a read error ends it.
pub(crate) async fn read_capped(
    stream: impl futures_util::Stream<Item = reqwest::Result<bytes::Bytes>>,
) -> Vec<u8> {
    let mut stream = std::pin::pin!(stream);
    let mut body = Vec::new();
    while let Ok(Some(chunk)) = stream.try_next().await {
        let room = ERROR_BODY_LIMIT.saturating_sub(body.len());
        body.extend_from_slice(chunk.get(..room).unwrap_or(&chunk));
        if body.len() >= ERROR_BODY_LIMIT {
            break;
        }
    }
    body
}

/// Builds an [`ApiError`] from whatever the server sent: problem details, an HTML page or nothing.
pub(crate) fn api_error(
    operation: Operation,
    status: u16,
    headers: &HeaderMap,
    body: &[u8],
    prediction_id: Option<String>,
) -> ApiError {
    let retry_after = retry_after_of(headers);
    let mut error = ApiError {
        operation,
        status,
        title: None,
        detail: None,
        kind: None,
        instance: None,
        invalid_fields: Vec::new(),
        prediction_id: prediction_id.or_else(|| id_in_body(body)),
        retry_after,
        body_snippet: None,
        hint: headers
            .get(super::HINT_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
    };
    match serde_json::from_slice::<types::ProblemDetails>(body) {
        Ok(problem) if problem.title.is_some() || problem.detail.is_some() => {
            error.title = problem.title;
            error.detail = problem.detail;
            error.kind = problem.type_;
            error.instance = problem.instance;
            error.invalid_fields = problem
                .invalid_fields
                .into_iter()
                .map(|f| InvalidField {
                    field: f.field.unwrap_or_default(),
                    description: f.description.unwrap_or_default(),
                    kind: f.type_,
                })
                .collect();
        }
        _ => {
            error.title = html_title(body);
            if !body.is_empty() {
                error.body_snippet = Some(snippet(body));
            }
        }
    }
    error
}
