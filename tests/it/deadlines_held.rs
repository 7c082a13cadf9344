//! A deadline is a deadline: whatever the server does (throttles every create, never answers a create, a
//! poll, a list or a cancel), a run or a wait returns within its timeout plus the documented margin
//! (`Client::DEADLINE_MARGIN`), and a create that was never sent, or was refused for certain, is never looked
//! for.

use crate::common;

use std::time::{Duration, Instant};

use replicate_ideogram::{Client, Error, WaitOptions, models::IdeogramV2TurboInput};
use serde_json::json;
use wiremock::{
    Mock, MockServer, ResponseTemplate,
    matchers::{method, path},
};

const CREATE: &str = "/models/ideogram-ai/ideogram-v2-turbo/predictions";

fn route(route: &str) -> String {
    format!("{}{route}", common::PREFIX)
}

/// A client with the default retry policy, as a user has it.
fn client(server: &MockServer) -> Client {
    Client::builder()
        .token(common::TOKEN)
        .base_url(format!("{}{}", server.uri(), common::PREFIX))
        .wait_options(WaitOptions::fixed(Duration::from_millis(50)))
        .build()
        .unwrap()
}

/// Runs a prompt with `timeout` and returns the error and how long the run took.
async fn run_for(client: &Client, timeout: Duration, cancel: bool) -> (Error, Duration) {
    let started = Instant::now();
    let error = client
        .run(IdeogramV2TurboInput::new("a lighthouse"))
        .timeout(timeout)
        .cancel_on_timeout(cancel)
        .await
        .unwrap_err();
    (error, started.elapsed())
}

fn within_margin(timeout: Duration, took: Duration) {
    let limit = timeout + Client::DEADLINE_MARGIN;
    assert!(took <= limit, "took {took:?}, over {limit:?}");
}

async fn throttling_every_create() -> MockServer {
    let server = common::server().await;
    Mock::given(method("POST"))
        .and(path(route(CREATE)))
        .respond_with(
            common::problem(
                429,
                json!({"detail": "Request was throttled. Your rate limit resets in ~5s."}),
            )
            .insert_header("retry-after", "5"),
        )
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn a_create_throttled_to_the_deadline_returns_in_time_and_is_not_looked_for() {
    let server = throttling_every_create().await;
    let client = client(&server);
    for timeout in [Duration::from_secs(1), Duration::from_secs(3)] {
        let (error, took) = run_for(&client, timeout, true).await;
        within_margin(timeout, took);
        assert!(
            matches!(
                error,
                Error::Timeout {
                    prediction_id: None,
                    ..
                }
            ),
            "{error:?}"
        );
        assert!(
            error.to_string().contains("no prediction was created"),
            "{error}"
        );
    }
    assert_eq!(
        common::hits(&server, &route("/predictions")).await,
        0,
        "nothing was listed"
    );
    // The second run waited out the pause the first 429 asked for (5 s) and was never sent.
    assert_eq!(common::hits(&server, &route(CREATE)).await, 1);
}

#[tokio::test]
async fn a_create_that_never_answers_is_looked_for_within_the_margin() {
    let server = common::server().await;
    let hang = ResponseTemplate::new(200).set_delay(Duration::from_secs(30));
    Mock::given(method("POST"))
        .and(path(route(CREATE)))
        .respond_with(hang.clone())
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(route("/predictions")))
        .respond_with(hang)
        .mount(&server)
        .await;
    let client = client(&server);
    let timeout = Duration::from_secs(1);
    let (error, took) = run_for(&client, timeout, true).await;
    within_margin(timeout, took);
    // It may have made a prediction: the error says so, and nothing was sent again.
    assert!(matches!(error, Error::CreateUncertain { .. }), "{error:?}");
    assert_eq!(common::hits(&server, &route(CREATE)).await, 1);
}

#[tokio::test]
async fn polls_and_a_cancel_that_never_answer_do_not_hold_the_run() {
    let server = common::server().await;
    Mock::given(method("POST"))
        .and(path(route(CREATE)))
        .respond_with(common::json(201, &common::prediction("p1", "starting")))
        .mount(&server)
        .await;
    let hang = ResponseTemplate::new(200).set_delay(Duration::from_secs(30));
    for (verb, at) in [
        ("GET", "/predictions/p1"),
        ("POST", "/predictions/p1/cancel"),
    ] {
        Mock::given(method(verb))
            .and(path(route(at)))
            .respond_with(hang.clone())
            .mount(&server)
            .await;
    }
    let client = client(&server);
    let timeout = Duration::from_secs(1);
    let (error, took) = run_for(&client, timeout, true).await;
    within_margin(timeout, took);
    assert!(
        matches!(&error, Error::Timeout { prediction_id: Some(id), .. } if id == "p1"),
        "{error:?}"
    );

    let started = Instant::now();
    let error = client
        .wait("p1")
        .timeout(timeout)
        .cancel_on_timeout(true)
        .await
        .unwrap_err();
    within_margin(timeout, started.elapsed());
    assert!(matches!(error, Error::Timeout { .. }), "{error:?}");
}
