//! Bounds on an API answer's body: at most so many bytes, arriving within so long, whatever a server sends.

use std::time::Duration;

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
    use futures_util::StreamExt;
    let response = http::Response::from(response);
    let (parts, body) = response.into_parts();
    // A limit too far away to be an instant (`Duration::MAX`) is no limit, not a panic.
    let deadline = tokio::time::Instant::now().checked_add(limits.max_time);
    let stream = http_body_util::BodyDataStream::new(body);
    let limited = futures_util::stream::unfold(
        (Box::pin(stream), 0usize, false),
        move |(mut stream, mut seen, done)| async move {
            if done {
                return None;
            }
            let next = match within(deadline, stream.next()).await {
                Err(_) => Err(Box::new(BodyTooSlow(limits.max_time)) as BoxError),
                Ok(None) => return None,
                Ok(Some(Err(e))) => Err(Box::new(e) as BoxError),
                Ok(Some(Ok(chunk))) => {
                    seen += chunk.len();
                    if seen > limits.max_bytes {
                        Err(Box::new(BodyTooLarge(limits.max_bytes)) as BoxError)
                    } else {
                        Ok(chunk)
                    }
                }
            };
            let failed = next.is_err();
            Some((next, (stream, seen, failed)))
        },
    );
    Response::from(http::Response::from_parts(
        parts,
        reqwest::Body::wrap_stream(limited),
    ))
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
