//! Tracing: one event per request and state change, never the token.

use crate::common;

use common::*;
use replicate_ideogram::models::IdeogramV2TurboInput;
use wiremock::{
    Mock,
    matchers::{method, path},
};

#[tokio::test]
async fn requests_and_state_changes_are_traced_without_the_token() {
    let (captured, _guard) = capture_logs(tracing::Level::TRACE);

    let server = server().await;
    Mock::given(method("POST"))
        .and(path(CREATE_PATH))
        .respond_with(json(201, &prediction("t1", "starting")))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{PREFIX}/predictions/t1")))
        .respond_with(json(
            200,
            &succeeded("t1", "https://delivery.example/a.png"),
        ))
        .mount(&server)
        .await;
    client(&server)
        .run(IdeogramV2TurboInput::new("x"))
        .await
        .unwrap();

    let text = captured.text();
    assert!(
        text.contains("operation=\"models_predictions_create\""),
        "{text}"
    );
    assert!(text.contains("operation=\"predictions_get\""), "{text}");
    assert!(
        text.contains("status=201") && text.contains("status=200"),
        "{text}"
    );
    assert!(
        text.contains("prediction created") && text.contains("status changed"),
        "{text}"
    );
    assert!(text.contains("prediction_id=t1"), "{text}");
    assert!(
        !text.contains(TOKEN) && !text.contains("TestToken"),
        "{text}"
    );
}

#[tokio::test]
async fn a_failed_download_is_traced_without_its_signature_or_password() {
    let (captured, _guard) = capture_logs(tracing::Level::TRACE);
    let server = server().await;
    // Nothing listens on port 9 of loopback: the connection is refused, and the error names the URL.
    let url = "http://user:hunter2@127.0.0.1:9/out.png?sig=SECRET";
    let error = client(&server).download(url).bytes().await.unwrap_err();
    let traced = captured.text();
    assert!(traced.contains("transport error"), "{traced}");
    for shown in [traced, error.to_string()] {
        assert!(
            !shown.contains("SECRET") && !shown.contains("hunter2"),
            "{shown}"
        );
    }
}
