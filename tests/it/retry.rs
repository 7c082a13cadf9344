//! The retry policy and the resolution of creates whose outcome is unknown, against a mock server.

use crate::common;

use std::time::{Duration, Instant};

use common::*;
use replicate_ideogram::{Client, Error, RetryPolicy, models::IdeogramV2TurboInput};
use serde_json::json;
use wiremock::{
    Mock, MockServer, ResponseTemplate,
    matchers::{method, path},
};

fn retrying_client(server: &MockServer, policy: RetryPolicy) -> Client {
    Client::builder()
        .token(TOKEN)
        .base_url(format!("{}{PREFIX}", server.uri()))
        .retry(policy)
        .list_settle(MOCK_SETTLE)
        .build()
        .unwrap()
}

fn fast() -> RetryPolicy {
    RetryPolicy::default()
        .initial_backoff(Duration::from_millis(2))
        .max_backoff(Duration::from_millis(20))
}

const GET_PATH: &str = "/replicate/v1/predictions/r1";

/// Answers `path` with `first` `times` times, then with `then`.
async fn first_then(
    server: &MockServer,
    verb: &str,
    route: &str,
    first: ResponseTemplate,
    times: u64,
    then: ResponseTemplate,
) {
    Mock::given(method(verb))
        .and(path(route))
        .respond_with(first)
        .up_to_n_times(times)
        .mount(server)
        .await;
    Mock::given(method(verb))
        .and(path(route))
        .respond_with(then)
        .mount(server)
        .await;
}

#[tokio::test]
async fn reads_are_retried_on_5xx_408_and_429() {
    for status in [500, 502, 503, 504, 408, 429] {
        let server = server().await;
        let ok = json(200, &prediction("r1", "processing"));
        first_then(
            &server,
            "GET",
            GET_PATH,
            ResponseTemplate::new(status),
            2,
            ok,
        )
        .await;
        let prediction = retrying_client(&server, fast()).get("r1").await.unwrap();
        assert_eq!(prediction.id, "r1");
        assert_eq!(hits(&server, GET_PATH).await, 3, "HTTP {status}");
    }
}

#[tokio::test]
async fn retries_stop_at_max_retries() {
    let server = server().await;
    Mock::given(method("GET"))
        .and(path(GET_PATH))
        .respond_with(ResponseTemplate::new(503))
        .mount(&server)
        .await;
    let error = retrying_client(&server, fast().max_retries(2))
        .get("r1")
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(503));
    assert_eq!(hits(&server, GET_PATH).await, 3);
}

#[tokio::test]
async fn retry_after_is_honoured_and_bounded_by_the_budget() {
    let server = server().await;
    let throttled = ResponseTemplate::new(429).insert_header("retry-after", "1");
    first_then(
        &server,
        "GET",
        GET_PATH,
        throttled,
        1,
        json(200, &prediction("r1", "starting")),
    )
    .await;
    let started = Instant::now();
    retrying_client(&server, fast()).get("r1").await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );

    let server = common::server().await;
    let long = ResponseTemplate::new(429).insert_header("retry-after", "120");
    Mock::given(method("GET"))
        .and(path(GET_PATH))
        .respond_with(long)
        .mount(&server)
        .await;
    let started = Instant::now();
    // A 429's budget is `max_throttled` (a throttled request waits, as long as that allows).
    let error = retrying_client(&server, fast().max_throttled(Duration::from_secs(5)))
        .get("r1")
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(429));
    // Well under the 5 s budget a wait would take, with room for a loaded machine.
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "no retry that outlives the budget: {:?}",
        started.elapsed()
    );
    assert_eq!(hits(&server, GET_PATH).await, 1);
}

#[tokio::test]
async fn throttled_answers_do_not_use_up_the_retries_of_failures() {
    let server = server().await;
    // 429, 503, 429, 503, 429, 503, then the answer: three failures, as many as the policy retries, and
    // three throttles between them, which the policy does not count.
    let seen = std::sync::atomic::AtomicUsize::new(0);
    Mock::given(method("GET"))
        .and(path(GET_PATH))
        .respond_with(move |_: &wiremock::Request| {
            match seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst) {
                n if n < 6 && n % 2 == 0 => {
                    ResponseTemplate::new(429).insert_header("retry-after", "0")
                }
                n if n < 6 => problem(503, json!({"title": "Unavailable"})),
                _ => json(200, &prediction("r1", "starting")),
            }
        })
        .mount(&server)
        .await;
    retrying_client(&server, fast().max_retries(3))
        .get("r1")
        .await
        .unwrap();
    assert_eq!(hits(&server, GET_PATH).await, 7);
}

#[tokio::test]
async fn a_throttled_create_is_sent_again_it_was_not_processed() {
    let server = server().await;
    let created = json(201, &prediction("c1", "starting"));
    first_then(
        &server,
        "POST",
        CREATE_PATH,
        ResponseTemplate::new(429),
        2,
        created,
    )
    .await;
    let prediction = retrying_client(&server, fast())
        .create(IdeogramV2TurboInput::new("x"))
        .await
        .unwrap();
    assert_eq!(prediction.id, "c1");
    assert_eq!(hits(&server, CREATE_PATH).await, 3);
}

#[tokio::test]
async fn cancel_is_not_retried_on_a_5xx() {
    let server = server().await;
    let route = "/replicate/v1/predictions/r1/cancel";
    Mock::given(method("POST"))
        .and(path(route))
        .respond_with(ResponseTemplate::new(503))
        .mount(&server)
        .await;
    let error = retrying_client(&server, fast())
        .cancel("r1")
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(503));
    assert_eq!(hits(&server, route).await, 1);
}

fn page(results: Vec<serde_json::Value>) -> ResponseTemplate {
    json(
        200,
        &json!({"next": null, "previous": null, "results": results}),
    )
}

#[tokio::test]
async fn a_create_lost_in_a_502_is_adopted_from_the_list_not_sent_again() {
    let server = server().await;
    let input = IdeogramV2TurboInput::new("find me");
    let sent = serde_json::to_value(&input).unwrap();
    Mock::given(method("POST"))
        .and(path(CREATE_PATH))
        .respond_with(
            ResponseTemplate::new(502).set_body_raw("<html><title>502</title></html>", "text/html"),
        )
        .mount(&server)
        .await;
    let mut ours = prediction("ours", "processing");
    ours["input"] = sent.clone();
    ours["created_at"] = json!(chrono::Utc::now().to_rfc3339());
    let mut other = prediction("other", "processing");
    other["created_at"] = ours["created_at"].clone();
    // Someone's prediction from after every create here: the list covers their time, so a create that
    // finds nothing of its own is sent again at once.
    let mut later = prediction("later", "processing");
    later["created_at"] = json!((chrono::Utc::now() + chrono::TimeDelta::hours(1)).to_rfc3339());
    Mock::given(method("GET"))
        .and(path(format!("{PREFIX}/predictions")))
        .respond_with(page(vec![later, other, ours]))
        .mount(&server)
        .await;

    let client = retrying_client(&server, fast());
    let adopted = client.create(input.clone()).await.unwrap();
    assert_eq!(adopted.id, "ours");
    assert_eq!(hits(&server, CREATE_PATH).await, 1, "not sent again");

    // The same input again, on purpose: "ours" is held already, so it is not adopted twice.
    let error = client.create(input).await.unwrap_err();
    assert_eq!(error.status(), Some(502), "{error}");
    assert_eq!(
        hits(&server, CREATE_PATH).await,
        1 + 6,
        "not found, so sent again up to max_retries"
    );
}

#[tokio::test]
async fn a_create_lost_in_a_500_and_not_found_is_sent_again() {
    let server = server().await;
    first_then(
        &server,
        "POST",
        CREATE_PATH,
        ResponseTemplate::new(500),
        1,
        json(201, &prediction("second", "starting")),
    )
    .await;
    Mock::given(method("GET"))
        .and(path(format!("{PREFIX}/predictions")))
        .respond_with(page(vec![]))
        .mount(&server)
        .await;
    let prediction = retrying_client(&server, fast())
        .create(IdeogramV2TurboInput::new("x"))
        .await
        .unwrap();
    assert_eq!(prediction.id, "second");
    assert_eq!(hits(&server, CREATE_PATH).await, 2);
}

#[tokio::test]
async fn when_the_lookup_fails_the_error_says_a_prediction_may_exist() {
    let server = server().await;
    Mock::given(method("POST"))
        .and(path(CREATE_PATH))
        .respond_with(ResponseTemplate::new(503))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{PREFIX}/predictions")))
        .respond_with(problem(401, json!({"title": "Unauthenticated"})))
        .mount(&server)
        .await;
    let error = retrying_client(&server, fast())
        .create(IdeogramV2TurboInput::new("x"))
        .await
        .unwrap_err();
    match &error {
        Error::CreateUncertain { cause, lookup, .. } => {
            assert_eq!(cause.status(), Some(503));
            assert_eq!(lookup.as_ref().and_then(|l| l.status()), Some(401));
        }
        other => panic!("expected CreateUncertain, got {other:?}"),
    }
    assert_eq!(hits(&server, CREATE_PATH).await, 1);
}

#[tokio::test]
async fn a_truncated_body_names_the_prediction_to_adopt() {
    let server = server().await;
    let input = IdeogramV2TurboInput::new("cut");
    let mut created = prediction("cut1", "starting");
    created["input"] = serde_json::to_value(&input).unwrap();
    let text = created.to_string();
    Mock::given(method("POST"))
        .and(path(CREATE_PATH))
        .respond_with(
            ResponseTemplate::new(201).set_body_raw(&text[..text.len() - 20], "application/json"),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{PREFIX}/predictions/cut1")))
        .respond_with(json(200, &created))
        .mount(&server)
        .await;
    let prediction = retrying_client(&server, fast())
        .create(input)
        .await
        .unwrap();
    assert_eq!(prediction.id, "cut1");
    assert_eq!(hits(&server, CREATE_PATH).await, 1);
}
