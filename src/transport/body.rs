//! Bounds on an API answer's body: at most so many bytes, arriving within so long, whatever a server sends.

use std::time::Duration;

use bytes::Bytes;
use futures_util::Stream;
use http_body_util::{BodyDataStream, LengthLimitError, Limited};
use reqwest::Response;

/// The most an API answer (not a download) may weigh, and how long its body may take once headers arrived.
#[derive(Clone, Copy, Debug)]
pub(crate) struct BodyLimits {
    pub(crate) max_bytes: usize,
    pub(crate) max_time: Duration,
}

/// An API answer's body was larger than allowed.
#[derive(Debug)]
pub(crate) struct BodyTooLarge(pub(crate) usize);

impl std::fmt::Display for BodyTooLarge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the body is larger than the {} bytes allowed", self.0)
    }
}

impl std::error::Error for BodyTooLarge {}

/// An API answer's body took longer than allowed to arrive.
#[derive(Debug)]
pub(crate) struct BodyTooSlow(pub(crate) Duration);

impl std::fmt::Display for BodyTooSlow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the body took longer than {:?} to arrive", self.0)
    }
}

impl std::error::Error for BodyTooSlow {}

/// Wraps an API answer's body so that reading more than the limit, or for longer, fails (bounded memory and
/// time whatever a server sends). The failure surfaces as a body error the error mapping recognises.
pub(super) fn limit_body(response: Response, limits: BodyLimits) -> Response {
    use futures_util::TryStreamExt;
    let (parts, body) = http::Response::from(response).into_parts();
    let max_bytes = limits.max_bytes;
    let sized = BodyDataStream::new(Limited::new(body, max_bytes)).map_err(move |error| {
        // The error mapping knows the limit by this crate's own type, which names the limit.
        if error.is::<LengthLimitError>() {
            Box::new(BodyTooLarge(max_bytes)) as BoxError
        } else {
            error
        }
    });
    let timed = in_time(sized, limits.max_time);
    Response::from(http::Response::from_parts(
        parts,
        reqwest::Body::wrap_stream(timed),
    ))
}

/// `stream`, failing with [`BodyTooSlow`] once `max_time` (from now) has passed, and ending after its first
/// error.
fn in_time(
    stream: impl Stream<Item = Result<Bytes, BoxError>> + Send + 'static,
    max_time: Duration,
) -> impl Stream<Item = Result<Bytes, BoxError>> + Send + 'static {
    use futures_util::StreamExt;
    // A limit too far away to be an instant (`Duration::MAX`) is no limit, not a panic.
    let deadline = tokio::time::Instant::now().checked_add(max_time);
    futures_util::stream::unfold(
        (Box::pin(stream), false),
        move |(mut stream, done)| async move {
            if done {
                return None;
            }
            let next = match within(deadline, stream.next()).await {
                Err(_) => Err(Box::new(BodyTooSlow(max_time)) as BoxError),
                Ok(None) => return None,
                Ok(Some(item)) => item,
            };
            let failed = next.is_err();
            Some((next, (stream, failed)))
        },
    )
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// `future`, cut at `deadline` if there is one.
async fn within<F: std::future::Future>(
    deadline: Option<tokio::time::Instant>,
    future: F,
) -> Result<F::Output, tokio::time::error::Elapsed> {
    match deadline {
        Some(deadline) => tokio::time::timeout_at(deadline, future).await,
        None => Ok(future.await),
    }
}
