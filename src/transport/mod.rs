//! The transport every request walks: the generated client (`generated`, progenitor's, built on this
//! transport) through its `exec` hook, and the hand-written requests (downloads), all go through
//! [`Transport::execute`]. It attaches the token only for the API origin,
//! stretches the timeout of a request held open by `Prefer: wait`, sends a request again when the retry
//! table says it is the transport's to (as the [`RetryPolicy`] allows), and traces each attempt.

mod answer;
mod body;
#[cfg(test)]
mod fuzz;
pub(crate) mod generated;
pub(crate) mod sending;
mod throttle;
mod trace;

use std::time::{Duration, Instant};

use progenitor_client::{ClientHooks, ClientInfo, OperationInfo};
use reqwest::{
    Request, Response, StatusCode, Url,
    header::{AUTHORIZATION, HeaderValue},
};
use secrecy::{ExposeSecret, SecretString};

use crate::{
    Operation,
    clock::ServerClock,
    governor::{Class, Governor},
    retry::{
        RetryPolicy, retry_after_of,
        table::{Decision, Failure, decide},
    },
};
pub(crate) use answer::{api_error, read_capped};
use body::limit_body;
pub(crate) use body::{BodyLimits, BodyTooLarge, BodyTooSlow};
use throttle::{Throttled, Turns};
use trace::Trace;

/// The total time an API request may take, unless it is held by `Prefer: wait` or sets its own.
const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(120);

/// How much longer than its `Prefer: wait` a held request may take before it times out.
const SYNC_WAIT_MARGIN: Duration = Duration::from_secs(15);

/// The header through which the transport hands the error mapping a hint about a 404. Internal: removed from
/// every answer before the transport adds it, so a server cannot put words in the client's mouth.
pub(crate) const HINT_HEADER: &str = "x-replicate-ideogram-hint";

/// The operations whose 404 may come from a base URL without `/v1`: every create, get and list.
const HINTED_OPERATIONS: &[&str] = &[
    "models_predictions_create",
    "predictions_create",
    "deployments_predictions_create",
    "predictions_get",
    "predictions_list",
];

/// The longest time limit handed to reqwest or tokio: a century is no limit in practice, and unlike
/// `Duration::MAX` it can be added to an instant (reqwest's read timeout panics on the overflow).
const LONGEST_LIMIT: Duration = Duration::from_secs(100 * 365 * 24 * 60 * 60);

/// `limit`, or [`LONGEST_LIMIT`] if it is longer.
pub(crate) fn bounded(limit: Duration) -> Duration {
    limit.min(LONGEST_LIMIT)
}

/// Which requests on the API origin carry the token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Credentials {
    /// Every request the client makes itself (the API's operations, uploads).
    Api,
    /// Only file routes under the base URL (`{base}/files/…`): the URL of a download comes from a model's
    /// output, which may name any API path (`{base}/webhooks/default/secret`, `{base}/predictions`).
    FilesOnly,
}

/// What every request needs to know: the token and the one origin it may be sent to.
#[derive(Clone)]
pub(crate) struct Transport {
    /// `Bearer <token>`, marked sensitive (its `Debug` is redacted), made once.
    authorization: Option<HeaderValue>,
    api: Url,
    retry: RetryPolicy,
    limits: BodyLimits,
    /// Shared by every clone: one pace per client, whatever runs on it.
    governor: std::sync::Arc<Governor>,
    /// What the answers' `Date` headers (and creates' stamps) say of the server's clock.
    clock: std::sync::Arc<ServerClock>,
    /// A hash of the token that names it without revealing it (a batch journal's account, where the server
    /// cannot say whose the token is).
    token_fingerprint: String,
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transport")
            .field("api", &self.api.as_str())
            .field("token", &"[redacted]")
            .field("retry", &self.retry)
            .finish()
    }
}

impl Transport {
    pub(crate) fn new(
        token: SecretString,
        api: Url,
        retry: RetryPolicy,
        limits: BodyLimits,
        governor: Governor,
    ) -> Self {
        // The token was checked to be a valid header value when the client was built.
        let authorization = HeaderValue::from_str(&format!("Bearer {}", token.expose_secret()))
            .ok()
            .map(|mut value| {
                value.set_sensitive(true);
                value
            });
        let token_fingerprint = crate::digest::sha256_hex(token.expose_secret().as_bytes())
            .get(..16)
            .unwrap_or_default()
            .to_string();
        Self {
            token_fingerprint,
            authorization,
            api,
            retry,
            limits,
            governor: std::sync::Arc::new(governor),
            clock: std::sync::Arc::default(),
        }
    }

    /// The server's clock, as the answers so far bound it.
    pub(crate) fn clock(&self) -> &ServerClock {
        &self.clock
    }

    /// A hash of the token, 64 bits of it: names the token, never reveals it.
    pub(crate) fn token_fingerprint(&self) -> &str {
        &self.token_fingerprint
    }

    /// The rate governor every API request passes.
    pub(crate) fn governor(&self) -> &Governor {
        &self.governor
    }

    /// The limit `request` counts against: creating a prediction, or any other API request. `None` for a
    /// request to another origin (a download from the delivery host), which no API limit covers.
    fn class_of(&self, request: &Request) -> Option<Class> {
        if !self.is_api_origin(request.url()) {
            return None;
        }
        let creates = request.method() == reqwest::Method::POST
            && request
                .url()
                .path()
                .trim_end_matches('/')
                .ends_with("/predictions");
        Some(if creates { Class::Create } else { Class::Other })
    }

    /// The retry policy every request follows.
    pub(crate) fn retry(&self) -> &RetryPolicy {
        &self.retry
    }

    /// Whether `url` is on the API's origin (scheme, host and port), the only place the token may go.
    pub(crate) fn is_api_origin(&self, url: &Url) -> bool {
        url.scheme() == self.api.scheme()
            && url.host_str() == self.api.host_str()
            && url.port_or_known_default() == self.api.port_or_known_default()
    }

    /// What a 404 on `operation` may mean when the base URL does not end in `/v1` (Replicate-compatible
    /// servers serve the API under it; the official Python client's base URL leaves it out).
    fn missing_v1_hint(&self, operation: &str) -> Option<String> {
        let path = self.api.path().trim_end_matches('/');
        if path.ends_with("/v1") || !HINTED_OPERATIONS.contains(&operation) {
            return None;
        }
        let mut suggested = self.api.clone();
        suggested.set_path(&format!("{path}/v1"));
        Some(format!(
            "the base URL has no /v1; did you mean {}?",
            suggested.as_str()
        ))
    }

    /// Whether `url` is a file route under the base URL (`{base}/files/…`), the only API path a download
    /// may take the token to.
    fn is_file_route(&self, url: &Url) -> bool {
        let files = format!("{}/files/", self.api.path().trim_end_matches('/'));
        let Some(rest) = url.path().strip_prefix(&files) else {
            return false;
        };
        // An encoded separator is a path a server might decode into another route.
        let lower = rest.to_ascii_lowercase();
        self.is_api_origin(url)
            && !rest.is_empty()
            && !lower.contains("%2f")
            && !lower.contains("%5c")
    }

    /// Sends `request` with `http`, the token attached only when it goes to the API origin (and, for
    /// [`Credentials::FilesOnly`], to a file route there), sending it again as the retry table says for
    /// `operation` and as the policy allows. `label` names the request in traces.
    pub(crate) async fn execute(
        &self,
        http: &reqwest::Client,
        mut request: Request,
        operation: Operation,
        label: &str,
        credentials: Credentials,
    ) -> reqwest::Result<Response> {
        self.authorize(&mut request, credentials);
        set_timeout(&mut request);
        let trace = Trace::of(label, &request);
        let first = Instant::now();
        let class = self.class_of(&request);
        // Attempts are counted for the traces; only failures count against the policy's retries, and
        // only the time outside the governor's pace against its elapsed time: a throttled request is
        // not failing, it waits its turn.
        let mut attempt = 1;
        let mut retries = 0;
        let mut paced = Duration::ZERO;
        let mut turns = Turns::default();
        loop {
            let again = request.try_clone();
            if let Some(class) = class {
                let queued = Instant::now();
                turns.take(&self.governor, class).await;
                paced += queued.elapsed();
            }
            let creates = operation == Operation::Create;
            if creates {
                sending::on_its_way();
            }
            let result = trace.send(http, request, attempt).await;
            if creates {
                sending::heard(&result, class.is_some());
            }
            if let Some(class) = class {
                turns.heard(&self.governor, class, &result);
            }
            let decision = Failure::of_sending(&result, class.is_some())
                .map_or(Decision::Never, |failure| decide(operation, failure));
            let result = match (decision, class, result) {
                (Decision::AfterPace, Some(class), Ok(response)) => {
                    let left = self.retry.max_throttled.saturating_sub(first.elapsed());
                    match turns
                        .refused(&self.governor, class, response, again, left)
                        .await
                    {
                        // The governor holds the whole class back; this request queues again behind it.
                        Throttled::Queue(again, wait) => {
                            let wait_ms = wait.as_millis() as u64;
                            tracing::debug!(operation = label, attempt, wait_ms, "throttled");
                            request = again;
                            attempt += 1;
                            continue;
                        }
                        Throttled::Answer(response) => return Ok(response),
                    }
                }
                (_, _, result) => result,
            };
            let asked = result
                .as_ref()
                .ok()
                .and_then(|r| retry_after_of(r.headers()));
            let wait = match decision {
                Decision::AfterDelay => {
                    let failing = first.elapsed().saturating_sub(paced);
                    self.retry.delay(retries + 1, failing, asked)
                }
                // The other decisions are not the transport's: the layers above act on them.
                _ => None,
            };
            match (wait, again) {
                (Some(wait), Some(again)) => {
                    let wait_ms = wait.as_millis() as u64;
                    tracing::debug!(operation = label, attempt, wait_ms, "retrying");
                    drop(result);
                    tokio::time::sleep(wait).await;
                    request = again;
                    attempt += 1;
                    retries += 1;
                }
                _ => return result,
            }
        }
    }

    fn authorize(&self, request: &mut Request, credentials: Credentials) {
        request.headers_mut().remove(AUTHORIZATION);
        let allowed = match credentials {
            Credentials::Api => self.is_api_origin(request.url()),
            Credentials::FilesOnly => self.is_file_route(request.url()),
        };
        if !allowed {
            return;
        }
        if let Some(value) = &self.authorization {
            request.headers_mut().insert(AUTHORIZATION, value.clone());
        }
    }
}

/// A total limit on every request (read timeouts alone restart with each byte that trickles in), longer
/// than the wait of a request held open by `Prefer: wait`.
fn set_timeout(request: &mut Request) {
    match prefer_wait(request) {
        Some(wait) => {
            let needed = wait.saturating_add(SYNC_WAIT_MARGIN);
            let timeout = request.timeout_mut();
            if timeout.is_none_or(|t| t < needed) {
                *timeout = Some(needed);
            }
        }
        None => {
            request.timeout_mut().get_or_insert(DEFAULT_REQUEST_TIMEOUT);
        }
    }
}

/// The wait a `Prefer: wait[=N]` header asks the server for.
fn prefer_wait(request: &Request) -> Option<Duration> {
    let value = request.headers().get("prefer")?.to_str().ok()?;
    let seconds = match value.trim().strip_prefix("wait")? {
        "" => 60,
        rest => rest.strip_prefix('=')?.parse().ok()?,
    };
    Some(Duration::from_secs(seconds))
}

impl ClientHooks<Transport> for generated::Client {
    async fn exec(&self, request: Request, info: &OperationInfo) -> reqwest::Result<Response> {
        let transport = self.inner();
        let method = request.method().clone();
        let sent = chrono::Utc::now();
        let mut response = transport
            .execute(
                self.client(),
                request,
                operation_of(info.operation_id, &method),
                info.operation_id,
                Credentials::Api,
            )
            .await?;
        if let Some(date) = response.headers().get(http::header::DATE)
            && let Ok(date) = date.to_str()
        {
            transport.clock.observe_date(sent, chrono::Utc::now(), date);
        }
        if response.status() == StatusCode::NOT_FOUND
            && let Some(hint) = transport.missing_v1_hint(info.operation_id)
            && let Ok(value) = HeaderValue::from_str(&hint)
        {
            response.headers_mut().insert(HINT_HEADER, value);
        }
        Ok(limit_body(response, transport.limits))
    }
}

/// The operation a generated client's request is, by its id in `openapi.yaml`. An id not named here (one
/// the spec adds later) is taken by its method: a GET as a read, anything else as a write that is never
/// sent again blindly.
fn operation_of(operation_id: &str, method: &reqwest::Method) -> Operation {
    match operation_id {
        "models_predictions_create" | "predictions_create" | "deployments_predictions_create" => {
            Operation::Create
        }
        "predictions_get" => Operation::Get,
        "predictions_list" => Operation::List,
        "predictions_cancel" => Operation::Cancel,
        "models_get" => Operation::GetModel,
        "account_get" => Operation::GetAccount,
        "models_versions_list" => Operation::ListVersions,
        "models_versions_get" => Operation::GetVersion,
        "files_list" => Operation::ListFiles,
        "files_get" => Operation::GetFile,
        "files_delete" => Operation::DeleteFile,
        "webhooks_default_secret_get" => Operation::GetWebhookSecret,
        _ if *method == reqwest::Method::GET => Operation::Get,
        _ => Operation::Cancel,
    }
}
