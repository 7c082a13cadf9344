//! What a 429 from the API does to the request it refused. The governor hears of it and pauses the
//! request's whole class; the request itself waits at least the floor of its own 429s in a row before it
//! queues again behind its class, so that it never spins even when the rest of its class gets through. When
//! that wait no longer fits the time left to it for throttling, the caller gets the 429 instead.

use std::time::Duration;

use reqwest::{Request, Response, StatusCode};
use tokio::time::Instant;

use crate::{
    governor::{Attempt, Class, Governor, floor, wait_in_body},
    retry::retry_after_of,
};

/// One request's turns at its class's pace.
#[derive(Debug, Default)]
pub(super) struct Turns {
    /// Its number at the governor, once it has one.
    request: Option<u64>,
    /// Its last attempt.
    last: Option<Attempt>,
    /// Its own 429s in a row.
    refusals: u32,
    /// Not sent again before this, after a 429.
    not_before: Option<Instant>,
}

impl Turns {
    /// Waits until the request may go: its own wait after a 429 first, then a slot of its class.
    pub(super) async fn take(&mut self, governor: &Governor, class: Class) {
        if let Some(at) = self.not_before.take() {
            tokio::time::sleep_until(at).await;
        }
        let request = *self.request.get_or_insert_with(|| governor.request());
        self.last = Some(governor.acquire(class, request).await);
    }

    /// The last attempt's outcome. An answer other than 429 says the server is taking this class's
    /// requests (a connection that failed says nothing of it).
    pub(super) fn heard(
        &mut self,
        governor: &Governor,
        class: Class,
        result: &reqwest::Result<Response>,
    ) {
        let answered = result
            .as_ref()
            .is_ok_and(|r| r.status() != StatusCode::TOO_MANY_REQUESTS);
        if let (true, Some(attempt)) = (answered, self.last) {
            self.refusals = 0;
            governor.answered(class, attempt);
        }
    }

    /// The last attempt was refused with 429 (`response`). Tells the governor, with the wait the answer
    /// asks for (`Retry-After`, or the body's words). If the longer of the class's pause and this request's
    /// own floor fits in `left` (the time left to wait for a turn) and there is a copy of the request to send
    /// (`again`), the answer is dropped and the copy queues again; else the answer is handed back.
    pub(super) async fn refused(
        &mut self,
        governor: &Governor,
        class: Class,
        response: Response,
        again: Option<Request>,
        left: Duration,
    ) -> Throttled {
        let attempt = self.last.unwrap_or_else(|| Attempt {
            request: governor.request(),
            sent: Instant::now(),
        });
        self.refusals = self.refusals.saturating_add(1);
        let own = floor(self.refusals);
        let fits = |wait: Duration| wait.max(own) < left;
        let header = retry_after_of(response.headers());
        let again = match again {
            Some(again) if fits(header.unwrap_or_default()) => again,
            _ => {
                governor.throttled(class, attempt, header);
                return Throttled::Answer(response);
            }
        };
        let (status, headers) = (response.status(), response.headers().clone());
        let body = tokio::time::timeout(Duration::from_secs(2), small_text(response))
            .await
            .ok()
            .flatten()
            .unwrap_or_default();
        let asked = header.max(wait_in_body(&body));
        let paused = governor.throttled(class, attempt, asked);
        let wait = paused.max(own);
        if fits(wait) {
            self.not_before = Some(Instant::now() + own);
            return Throttled::Queue(again, wait);
        }
        // Its wait is longer than is left: the caller gets the answer as it came.
        let mut answer = http::Response::new(body);
        *answer.status_mut() = status;
        *answer.headers_mut() = headers;
        Throttled::Answer(Response::from(answer))
    }
}

/// What becomes of a throttled request.
pub(super) enum Throttled {
    /// It waits (about this long) for its own floor and its class's pace, and is sent again.
    Queue(Request, Duration),
    /// The caller gets the 429.
    Answer(Response),
}

/// The start of a small answer's body as text (a 429's words), at most 8 KiB of it.
async fn small_text(mut response: Response) -> Option<String> {
    let mut bytes = Vec::new();
    while let Ok(Some(chunk)) = response.chunk().await {
        bytes.extend_from_slice(&chunk);
        if bytes.len() >= 8 * 1024 {
            break;
        }
    }
    bytes.truncate(8 * 1024);
    Some(String::from_utf8_lossy(&bytes).into_owned())
}
