//! The traces of a request's attempts.

use std::time::Instant;

use reqwest::{Request, Response};

use super::HINT_HEADER;

/// What the traces of one request's attempts say of it.
pub(super) struct Trace<'l> {
    label: &'l str,
    method: reqwest::Method,
    path: String,
}

impl<'l> Trace<'l> {
    pub(super) fn of(label: &'l str, request: &Request) -> Self {
        Self {
            label,
            method: request.method().clone(),
            // Only for the trace: not worth an allocation when nobody listens.
            path: tracing::enabled!(tracing::Level::DEBUG)
                .then(|| request.url().path().to_owned())
                .unwrap_or_default(),
        }
    }

    /// Sends one attempt, tracing it and its outcome; the internal hint header is dropped from the answer.
    pub(super) async fn send(
        &self,
        http: &reqwest::Client,
        request: Request,
        attempt: u32,
    ) -> reqwest::Result<Response> {
        let (operation, method, path) = (self.label, &self.method, &self.path);
        let started = Instant::now();
        tracing::debug!(operation, %method, path, attempt, "request");
        let mut result = http.execute(request).await;
        if let Ok(response) = &mut result {
            response.headers_mut().remove(HINT_HEADER);
        }
        let elapsed_ms = started.elapsed().as_millis() as u64;
        match &result {
            Ok(response) => {
                let status = response.status().as_u16();
                tracing::debug!(operation, status, elapsed_ms, attempt, "response");
            }
            Err(error) => {
                // A download's URL may be signed: its query is a credential of sorts.
                let error = crate::redact::TransportError(error);
                tracing::debug!(operation, error = %error, elapsed_ms, attempt, "transport error");
            }
        }
        result
    }
}
