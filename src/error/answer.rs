//! Reading an error answer: its body (capped), its problem details or HTML title, the snippet an error
//! quotes, the prediction id it may name.

use futures_util::TryStreamExt;
use progenitor_client::{ByteStream, ResponseValue};
use reqwest::header::HeaderMap;

use super::{ApiError, ERROR_BODY_LIMIT, Error, InvalidField, Operation, SNIPPET_CHARS};

/// How much of a body a snippet looks at: room for `SNIPPET_CHARS` characters of 4 bytes and many blanks.
const SNIPPET_SCAN_BYTES: usize = 4 * 1024;
use crate::{
    generated::types,
    transport::{BodyTooLarge, BodyTooSlow},
};

/// The body limit an error stems from, if it does (see `transport/body.rs`).
pub(super) fn body_limit(error: &reqwest::Error) -> Option<String> {
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        if cause.is::<BodyTooLarge>() || cause.is::<BodyTooSlow>() {
            return Some(cause.to_string());
        }
        source = cause.source();
    }
    None
}

pub(super) async fn api_error_from_stream(
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
    let retry_after = crate::retry::retry_after_of(headers);
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
            .get(crate::transport::HINT_HEADER)
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

/// The text of an HTML page's `<title>`, if the body is one.
pub(super) fn html_title(body: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(body);
    let lower = text.to_ascii_lowercase();
    let start = lower.find("<title>")? + "<title>".len();
    let end = start + lower[start..].find("</title>")?;
    let title = text[start..end]
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    (!title.is_empty()).then_some(title)
}

/// The start of a body as one line of text, for messages. Only the first `SNIPPET_SCAN_BYTES` are looked at:
/// a snippet of a 16 MiB body costs what one of a small body does.
pub(crate) fn snippet(body: &[u8]) -> String {
    let mut prefix = body.get(..SNIPPET_SCAN_BYTES).unwrap_or(body);
    // A character cut in two at the end of the prefix is left out, not shown as a replacement character.
    if let Err(e) = std::str::from_utf8(prefix)
        && e.error_len().is_none()
    {
        prefix = prefix.get(..e.valid_up_to()).unwrap_or_default();
    }
    let text = String::from_utf8_lossy(prefix);
    let mut out = String::new();
    let mut chars = 0;
    let mut cut = body.len() > SNIPPET_SCAN_BYTES;
    'words: for word in text.split_whitespace() {
        let separator = (!out.is_empty()).then_some(' ');
        for c in separator.into_iter().chain(word.chars()) {
            if chars == SNIPPET_CHARS {
                cut = true;
                break 'words;
            }
            out.push(c);
            chars += 1;
        }
    }
    if cut {
        out.push('…');
    }
    out
}

/// The `"id"` of a prediction in a body that may be truncated or malformed.
pub(super) fn id_in_body(body: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?;
    let after = &text[text.find("\"id\"")? + 4..];
    let after = after
        .trim_start()
        .strip_prefix(':')?
        .trim_start()
        .strip_prefix('"')?;
    let id = &after[..after.find('"')?];
    crate::create::is_plain_id(id).then(|| id.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_snippet_looks_only_at_the_start_of_a_body() {
        let mut body = vec![b' '; 16 * 1024 * 1024];
        body.extend_from_slice(b"late words");
        assert_eq!(snippet(&body), "…");
        let words = "word ".repeat(200_000);
        let shown = snippet(words.as_bytes());
        assert_eq!(shown.chars().count(), SNIPPET_CHARS + 1);
        assert!(
            shown.starts_with("word word") && shown.ends_with('…'),
            "{shown}"
        );
    }

    #[test]
    fn a_short_body_is_shown_whole_on_one_line() {
        assert_eq!(
            snippet(b"  <html>\n  <b>Bad</b>\tgateway \n"),
            "<html> <b>Bad</b> gateway"
        );
        assert_eq!(snippet(b""), "");
        // A character cut by the scan limit is dropped, not replaced.
        let mut body = vec![b' '; SNIPPET_SCAN_BYTES - 1];
        body.extend_from_slice("é".as_bytes());
        assert_eq!(snippet(&body), "…");
    }
}
