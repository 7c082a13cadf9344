//! Errors told apart from the outside by predicates alone, as a user's program would: a refused token, a
//! missing prediction, a refused input, the rate limit, a deadline; and which of them are safe to try again.

use crate::common;

use std::time::Duration;

use replicate_ideogram::{Client, Error, RetryPolicy, models::IdeogramV2TurboInput};
use serde_json::json;
use wiremock::{
    Mock, MockServer, ResponseTemplate,
    matchers::{method, path},
};

const CREATE: &str = "/models/ideogram-ai/ideogram-v2-turbo/predictions";

/// What a user's program makes of an error, with predicates only (no status numbers, no variants).
fn kind(error: &Error) -> &'static str {
    let kinds = [
        (error.is_unauthorized(), "unauthorized"),
        (error.is_not_found(), "not found"),
        (error.is_invalid_input(), "invalid input"),
        (error.is_rate_limited(), "rate limited"),
        (error.is_timeout(), "timeout"),
    ];
    let matched: Vec<&str> = kinds
        .iter()
        .filter(|(is, _)| *is)
        .map(|(_, k)| *k)
        .collect();
    assert_eq!(matched.len(), 1, "{error}: {matched:?}");
    matched[0]
}

async fn answering(verb: &str, route: &str, answer: ResponseTemplate) -> MockServer {
    let server = common::server().await;
    Mock::given(method(verb))
        .and(path(format!("{}{route}", common::PREFIX)))
        .respond_with(answer)
        .mount(&server)
        .await;
    server
}

fn client(server: &MockServer) -> Client {
    Client::builder()
        .token(common::TOKEN)
        .base_url(format!("{}{}", server.uri(), common::PREFIX))
        .retry(RetryPolicy::default().max_throttled(Duration::from_millis(300)))
        .build()
        .unwrap()
}

#[tokio::test]
async fn each_kind_is_told_by_its_predicate_alone() {
    let unauthorized = answering(
        "GET",
        "/predictions/p1",
        common::problem(401, json!({"title": "Unauthenticated"})),
    )
    .await;
    let error = client(&unauthorized).get("p1").await.unwrap_err();
    assert_eq!(kind(&error), "unauthorized");
    assert!(!error.is_retryable());

    let missing = answering("GET", "/predictions/p1", common::problem(404, json!({}))).await;
    let error = client(&missing).get("p1").await.unwrap_err();
    assert_eq!(kind(&error), "not found");

    let refused = common::problem(
        422,
        json!({"detail": "input.seed: must be at most 2147483647", "invalid_fields": [
            {"type": "maximum", "field": "input.seed", "description": "must be at most 2147483647"}
        ]}),
    );
    let invalid = answering("POST", CREATE, refused).await;
    let error = client(&invalid)
        .create(IdeogramV2TurboInput::new("a fox"))
        .await
        .unwrap_err();
    assert_eq!(kind(&error), "invalid input");
    assert_eq!(error.invalid_fields()[0].field, "input.seed");
    assert!(!error.is_retryable());
    // Refused before sending: the same predicate, the field named.
    let local = client(&invalid)
        .create(IdeogramV2TurboInput::new(""))
        .await
        .unwrap_err();
    assert_eq!(kind(&local), "invalid input");
    assert_eq!(local.invalid_fields()[0].field, "prompt");

    let throttled = common::problem(429, json!({"detail": "Request was throttled."}))
        .insert_header("retry-after", "1");
    let limited = answering("POST", CREATE, throttled).await;
    let error = client(&limited)
        .create(IdeogramV2TurboInput::new("a fox"))
        .await
        .unwrap_err();
    assert_eq!(kind(&error), "rate limited");
    assert!(error.is_retryable(), "a 429 made nothing");
}

#[tokio::test]
async fn a_timeout_names_the_prediction_and_is_retryable_only_when_none_was_made() {
    let server = common::server().await;
    Mock::given(method("POST"))
        .and(path(format!("{}{CREATE}", common::PREFIX)))
        .respond_with(common::json(201, &common::prediction("p1", "starting")))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{}/predictions/p1", common::PREFIX)))
        .respond_with(common::json(200, &common::prediction("p1", "processing")))
        .mount(&server)
        .await;
    let error = client(&server)
        .run(IdeogramV2TurboInput::new("a fox"))
        .timeout(Duration::from_millis(300))
        .await
        .unwrap_err();
    assert_eq!(kind(&error), "timeout");
    assert_eq!(error.prediction_id(), Some("p1"));
    assert!(
        !error.is_retryable(),
        "a prediction exists: wait for it instead"
    );
}
