//! Replicate's answer to a throttled request, as the simulator gives it: shared by the simulator's rate-limit
//! tests and the CLI's test of `ideogram simulate --rate-limit`.

use reqwest::{Response, StatusCode};
use serde_json::{Value, json};

/// Checks a 429 is Replicate's and returns its `Retry-After`, in seconds.
pub async fn assert_throttled(response: Response) -> u64 {
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    assert_eq!(
        header("content-type").as_deref(),
        Some("application/problem+json")
    );
    let seconds: u64 = header("retry-after")
        .and_then(|v| v.parse().ok())
        .expect("Retry-After in whole seconds");
    assert!(seconds >= 1, "Retry-After: {seconds}");
    let body: Value = response.json().await.expect("a JSON body");
    assert_eq!(
        body,
        json!({
            "title": "Request was throttled",
            "detail": format!("Request was throttled. Your rate limit resets in ~{seconds}s."),
            "status": 429,
        })
    );
    seconds
}
