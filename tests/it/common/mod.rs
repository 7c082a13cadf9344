//! Shared helpers: a loopback mock server, a client pointed at it, and the example exchange's JSON as fixtures.
#![allow(dead_code)]

pub mod batches;
pub mod endless;

use std::time::Duration;

use replicate_ideogram::{Client, RetryPolicy, WaitOptions};
use serde_json::Value;
use wiremock::{Mock, MockServer, ResponseTemplate, matchers::any};

pub const TOKEN: &str = "r8_TestToken0123456789abcdef";
pub const BEARER: &str = "Bearer r8_TestToken0123456789abcdef";
/// The settle margin of the test clients: their servers' lists never lag.
pub const MOCK_SETTLE: Duration = Duration::from_secs(1);
/// The path prefix the example's proxy serves the API under.
pub const PREFIX: &str = "/replicate/v1";
pub const CREATE_PATH: &str = "/replicate/v1/models/ideogram-ai/ideogram-v2-turbo/predictions";

pub fn example_request() -> Value {
    serde_json::from_str(include_str!("../../fixtures/example_request.json")).unwrap()
}

pub fn example_response() -> Value {
    serde_json::from_str(include_str!("../../fixtures/example_response.json")).unwrap()
}

pub fn example_prompt() -> String {
    example_request()["input"]["prompt"]
        .as_str()
        .unwrap()
        .to_string()
}

/// The example's prediction with another id and status.
pub fn prediction(id: &str, status: &str) -> Value {
    let mut p = example_response();
    p["id"] = id.into();
    p["status"] = status.into();
    p
}

/// A succeeded prediction whose output is `output`.
pub fn succeeded(id: &str, output: &str) -> Value {
    let mut p = prediction(id, "succeeded");
    p["output"] = output.into();
    p["metrics"] = serde_json::json!({"predict_time": 1.25, "image_count": 1});
    p
}

/// A mock server whose unmatched requests get a loud 599, so a test fails on any request it did not expect.
pub async fn server() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(599).set_body_string("no mock matched this request"))
        .with_priority(u8::MAX)
        .mount(&server)
        .await;
    server
}

/// A client for `server` under the example's path prefix, polling every few milliseconds, not retrying (so each
/// test sees how one answer maps; `tests/retry.rs` covers retries).
pub fn client(server: &MockServer) -> Client {
    client_at(&format!("{}{PREFIX}", server.uri()))
}

pub fn client_at(base_url: &str) -> Client {
    Client::builder()
        .token(TOKEN)
        .base_url(base_url)
        .wait_options(WaitOptions::fixed(Duration::from_millis(5)))
        .retry(RetryPolicy::none())
        // A mock's list shows everything at once: a lost create's lookup need not wait 5 s to trust it.
        .list_settle(MOCK_SETTLE)
        .build()
        .unwrap()
}

/// JSON responses with `Content-Type: application/json`.
pub fn json(status: u16, body: &Value) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(body)
}

/// A problem-details response as Replicate sends it.
pub fn problem(status: u16, body: Value) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(body.to_string(), "application/problem+json")
}

/// How many requests the server received on `path`.
pub async fn hits(server: &MockServer, path: &str) -> usize {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|r| r.url.path() == path)
        .count()
}

/// Every `Authorization` header `server` received, in order: where the token went.
pub async fn authorization_headers_seen(server: &MockServer) -> Vec<String> {
    server
        .received_requests()
        .await
        .expect("the mock server records requests")
        .iter()
        .filter_map(|r| r.headers.get("authorization"))
        .map(|v| v.to_str().unwrap_or("?").to_string())
        .collect()
}

/// Everything logged on this thread from now until the guard is dropped, at `level` and above.
pub fn capture_logs(level: tracing::Level) -> (Captured, tracing::subscriber::DefaultGuard) {
    let captured = Captured::default();
    let sink = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(level)
        .with_ansi(false)
        .with_writer(move || sink.clone())
        .finish();
    (captured, tracing::subscriber::set_default(subscriber))
}

/// What [`capture_logs`] collected.
#[derive(Clone, Default)]
pub struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl Captured {
    /// The log so far, as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
