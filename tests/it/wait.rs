//! `run` and `wait`: the sync wait, polling, terminal states and the deadline.

use crate::common;

use std::time::Duration;

use common::*;
use replicate_ideogram::{Error, PredictionStatus, models::IdeogramV2TurboInput};
use serde_json::json;
use wiremock::{
    Mock, MockServer,
    matchers::{header, method, path},
};

const IMAGE: &str = "https://delivery.example/out/R8_ideogram.png";

async fn on_create(server: &MockServer, body: serde_json::Value) {
    Mock::given(method("POST"))
        .and(path(CREATE_PATH))
        .respond_with(json(201, &body))
        .expect(1)
        .mount(server)
        .await;
}

/// Answers GET /predictions/{id} with `statuses` in turn, the last one from then on.
async fn on_get_in_turn(server: &MockServer, id: &str, answers: &[serde_json::Value]) {
    let route = format!("{PREFIX}/predictions/{id}");
    for (i, answer) in answers.iter().enumerate() {
        let mock = Mock::given(method("GET"))
            .and(path(route.as_str()))
            .and(header("authorization", BEARER))
            .respond_with(json(200, answer));
        let mock = if i + 1 < answers.len() {
            mock.up_to_n_times(1)
        } else {
            mock
        };
        mock.mount(server).await;
    }
}

#[tokio::test]
async fn run_inside_the_sync_window_costs_one_request() {
    let server = server().await;
    Mock::given(method("POST"))
        .and(path(CREATE_PATH))
        .and(header("prefer", "wait=60"))
        .respond_with(json(201, &succeeded("fast", IMAGE)))
        .expect(1)
        .mount(&server)
        .await;
    let url = client(&server)
        .run(IdeogramV2TurboInput::new("x"))
        .await
        .unwrap();
    assert_eq!(url, IMAGE);
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn the_sync_wait_never_outlasts_the_deadline() {
    let server = server().await;
    Mock::given(method("POST"))
        .and(path(CREATE_PATH))
        .respond_with(json(201, &succeeded("fast", IMAGE)))
        .expect(1)
        .mount(&server)
        .await;
    let url = client(&server)
        .run(IdeogramV2TurboInput::new("x"))
        .timeout(Duration::from_secs(10))
        .await
        .unwrap();
    assert_eq!(url, IMAGE);
    // 10 s left, less a 5 s margin for sending and answering: the server holds the request 4 or 5 s at most.
    let received = server.received_requests().await.unwrap();
    let prefer = received[0].headers["prefer"].to_str().unwrap().to_string();
    assert!(prefer == "wait=4" || prefer == "wait=5", "{prefer}");
}

#[tokio::test]
async fn run_polls_by_id_until_it_succeeds_and_ignores_foreign_urls() {
    let server = server().await;
    // The seed's urls.get names api.replicate.com; following it would fail here (no network).
    on_create(&server, prediction("slow", "starting")).await;
    on_get_in_turn(
        &server,
        "slow",
        &[
            prediction("slow", "starting"),
            prediction("slow", "processing"),
            succeeded("slow", IMAGE),
        ],
    )
    .await;
    let done = client(&server)
        .run(IdeogramV2TurboInput::new("x"))
        .prediction()
        .await
        .unwrap();
    assert_eq!(done.status, PredictionStatus::Succeeded);
    assert_eq!(done.output_as::<String>().unwrap(), IMAGE);
    assert_eq!(done.predict_time(), Some(Duration::from_millis(1250)));
    assert_eq!(
        hits(&server, &format!("{PREFIX}/predictions/slow")).await,
        3
    );
}

#[tokio::test]
async fn an_unknown_status_keeps_the_wait_going() {
    let server = server().await;
    on_get_in_turn(
        &server,
        "odd",
        &[prediction("odd", "warming_up"), succeeded("odd", IMAGE)],
    )
    .await;
    let done = client(&server).wait("odd").await.unwrap();
    assert_eq!(done.output_as::<String>().unwrap(), IMAGE);
}

#[tokio::test]
async fn a_failed_prediction_is_an_error_with_its_message_and_logs() {
    let server = server().await;
    let mut failed = prediction("bad", "failed");
    failed["error"] = json!("NSFW content detected");
    failed["logs"] = json!("Using seed: 365\nRunning prediction...\nGenerating...");
    on_create(&server, failed).await;
    let error = client(&server)
        .run(IdeogramV2TurboInput::new("x"))
        .await
        .unwrap_err();
    let prediction = error.prediction().expect("the failed prediction");
    assert_eq!(
        prediction.error_message().as_deref(),
        Some("NSFW content detected")
    );
    assert!(matches!(error, Error::PredictionFailed(_)));
    let message = error.to_string();
    assert!(
        message.starts_with("prediction bad failed: NSFW content detected"),
        "{message}"
    );
    assert!(message.contains("Generating..."), "{message}");
}

#[tokio::test]
async fn canceled_and_aborted_are_errors_of_their_own() {
    let server = server().await;
    on_get_in_turn(
        &server,
        "c",
        &[prediction("c", "processing"), prediction("c", "canceled")],
    )
    .await;
    on_get_in_turn(&server, "a", &[prediction("a", "aborted")]).await;
    let client = client(&server);
    let canceled = client.wait("c").await.unwrap_err();
    assert!(
        matches!(&canceled, Error::PredictionCanceled(p) if p.id == "c"),
        "{canceled:?}"
    );
    assert_eq!(canceled.to_string(), "prediction c was canceled");
    let aborted = client.wait("a").await.unwrap_err();
    assert!(
        matches!(&aborted, Error::PredictionAborted(p) if p.id == "a"),
        "{aborted:?}"
    );
}

#[tokio::test]
async fn the_deadline_ends_the_wait_with_the_id_and_last_status() {
    let server = server().await;
    on_create(&server, prediction("forever", "starting")).await;
    on_get_in_turn(&server, "forever", &[prediction("forever", "processing")]).await;
    let started = std::time::Instant::now();
    // A deadline long enough for a first poll to answer even on a loaded machine, so that the last status is
    // the poll's (processing), not the create's (starting).
    let error = client(&server)
        .run(IdeogramV2TurboInput::new("x"))
        .timeout(Duration::from_millis(1500))
        .await
        .unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(5));
    match &error {
        Error::Timeout {
            prediction_id: id,
            status,
            waited,
        } => {
            assert_eq!(id.as_deref(), Some("forever"));
            assert_eq!(status, &Some(PredictionStatus::Processing));
            assert!(*waited >= Duration::from_millis(1500));
        }
        other => panic!("expected Timeout, got {other:?}"),
    }
    assert!(
        error
            .to_string()
            .contains("prediction forever (last status: processing)"),
        "{error}"
    );
}

#[tokio::test]
async fn a_slow_server_cannot_outlast_the_deadline() {
    let server = server().await;
    Mock::given(method("GET"))
        .and(path(format!("{PREFIX}/predictions/stuck")))
        .respond_with(
            json(200, &prediction("stuck", "processing")).set_delay(Duration::from_secs(30)),
        )
        .mount(&server)
        .await;
    let started = std::time::Instant::now();
    let error = client(&server)
        .wait("stuck")
        .timeout(Duration::from_millis(200))
        .await
        .unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(
        matches!(&error, Error::Timeout { prediction_id: Some(id), status: None, .. } if id == "stuck"),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_succeeded_prediction_without_output_is_a_decode_error() {
    let server = server().await;
    let mut removed = prediction("gone", "succeeded");
    removed["data_removed"] = json!(true);
    on_create(&server, removed).await;
    let error = client(&server)
        .run(IdeogramV2TurboInput::new("x"))
        .await
        .unwrap_err();
    assert!(matches!(&error, Error::OutputMissing { .. }), "{error:?}");
    assert!(error.to_string().contains("removed"), "{error}");
    assert_eq!(error.prediction_id(), Some("gone"));
}

#[tokio::test]
async fn an_output_of_the_wrong_shape_is_a_decode_error() {
    let server = server().await;
    let mut odd = prediction("odd", "succeeded");
    odd["output"] = json!({"images": [IMAGE]});
    on_create(&server, odd).await;
    let error = client(&server)
        .run(IdeogramV2TurboInput::new("x"))
        .await
        .unwrap_err();
    assert!(matches!(&error, Error::OutputMismatch { .. }), "{error:?}");
}
