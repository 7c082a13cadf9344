//! The floor under every pause: a server that keeps answering 429 while asking for no wait (`Retry-After: 0`)
//! or for less than a second ("Expected available in 0.5 seconds") gets a few creates a second from a
//! client, not a thousand. Each test counts the creates the server received while runs with a 2 s deadline
//! kept being refused.

use crate::common;

use std::time::{Duration, Instant};

use common::{CREATE_PATH, PREFIX, TOKEN, hits};
use futures_util::future::join_all;
use replicate_ideogram::{Client, models::IdeogramV2TurboInput};
use replicate_ideogram_simulator::{Faults, Simulator, SimulatorConfig};
use wiremock::{
    Mock, ResponseTemplate,
    matchers::{method, path},
};

/// The deadline of each run.
const DEADLINE: Duration = Duration::from_secs(2);
/// At most this many creates a second for one refused request (the floor allows four in its first second
/// and fewer after; far more is a client sending again without waiting).
const MOST_PER_SECOND: f64 = 4.0;

const CREATE_ROUTE: &str = "POST /models/{owner}/{name}/predictions";

/// `runs` runs of distinct inputs on `client`, each with the deadline. A run cut short may go on looking
/// for its prediction past the deadline (it sends no create then); that look is not waited for.
async fn runs_refused_until_the_deadline(client: &Client, runs: usize) {
    let all = join_all((0..runs).map(|i| {
        client
            .run(IdeogramV2TurboInput::new(format!("refused {i}")))
            .timeout(DEADLINE)
            .prediction()
    }));
    let outcomes = tokio::time::timeout(DEADLINE + Duration::from_millis(500), all).await;
    if let Ok(outcomes) = outcomes {
        assert!(
            outcomes.iter().all(Result::is_err),
            "a refused run succeeded"
        );
    }
}

/// One refused run's `creates` since `started`: sent again, but no more than a few a second.
fn assert_sent_again_a_few_times_a_second(creates: usize, started: Instant) {
    let per_second = creates as f64 / DEADLINE.as_secs_f64();
    println!(
        "{creates} creates in {:.2} s ({per_second:.1} per second)",
        started.elapsed().as_secs_f64()
    );
    assert!(creates >= 2, "the refused create was sent again: {creates}");
    assert!(
        per_second <= MOST_PER_SECOND,
        "{creates} creates in {DEADLINE:?}"
    );
}

async fn always_throttled_simulator() -> Simulator {
    // Every API request is answered 429 with `Retry-After: 0` ("Expected available in 0 seconds").
    let faults = Faults::default().throttle(1.0);
    assert_eq!(faults.retry_after, Duration::ZERO);
    Simulator::start(SimulatorConfig::default().faults(faults))
        .await
        .unwrap()
}

#[tokio::test]
async fn a_run_refused_with_retry_after_zero_sends_a_few_creates_a_second() {
    let sim = always_throttled_simulator().await;
    let client = sim.client().unwrap();
    let started = Instant::now();
    runs_refused_until_the_deadline(&client, 1).await;
    assert_sent_again_a_few_times_a_second(sim.record().requests_to(CREATE_ROUTE), started);
}

#[tokio::test]
async fn a_run_refused_with_a_sub_second_hint_in_the_body_sends_a_few_creates_a_second() {
    let server = common::server().await;
    let refused = ResponseTemplate::new(429).set_body_raw(
        r#"{"detail":"Request was throttled. Expected available in 0.5 seconds."}"#,
        "application/json",
    );
    Mock::given(method("POST"))
        .and(path(CREATE_PATH))
        .respond_with(refused)
        .mount(&server)
        .await;
    let client = Client::builder()
        .token(TOKEN)
        .base_url(format!("{}{PREFIX}", server.uri()))
        .build()
        .unwrap();
    let started = Instant::now();
    runs_refused_until_the_deadline(&client, 1).await;
    assert_sent_again_a_few_times_a_second(hits(&server, CREATE_PATH).await, started);
}

#[tokio::test]
async fn a_class_refused_with_retry_after_zero_stays_paced_as_a_whole() {
    // Eight runs at once: the first eight creates go together, then the whole class is paused and paced,
    // so the rest add up to no more than one refused request's worth.
    let sim = always_throttled_simulator().await;
    let client = sim.client().unwrap();
    runs_refused_until_the_deadline(&client, 8).await;
    let creates = sim.record().requests_to(CREATE_ROUTE);
    let again = creates.saturating_sub(8);
    let per_second = again as f64 / DEADLINE.as_secs_f64();
    println!("{creates} creates in all, {again} sent again ({per_second:.1} per second)");
    assert!(
        creates > 8,
        "the refused creates were sent again: {creates}"
    );
    assert!(
        per_second <= MOST_PER_SECOND,
        "{again} creates sent again in {DEADLINE:?}"
    );
}

#[tokio::test]
async fn a_request_refused_while_its_class_gets_through_does_not_spin() {
    // One read always refused with `Retry-After: 0` while other reads of its class are answered: each answer
    // starts the class's floor again from its shortest, but the refused read waits out its own floor, which
    // grows with its own 429s in a row.
    let server = common::server().await;
    let refused = ResponseTemplate::new(429).insert_header("retry-after", "0");
    Mock::given(method("GET"))
        .and(path(format!("{PREFIX}/predictions/refused")))
        .respond_with(refused)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{PREFIX}/predictions/answered")))
        .respond_with(common::json(
            200,
            &common::prediction("answered", "processing"),
        ))
        .mount(&server)
        .await;
    let client = Client::builder()
        .token(TOKEN)
        .base_url(format!("{}{PREFIX}", server.uri()))
        .build()
        .unwrap();
    let others = async {
        loop {
            // Answered every time; only the count on the server matters.
            let _ = client.get("answered").await;
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    };
    let outcome = tokio::time::timeout(DEADLINE, async {
        tokio::select! {
            _ = others => unreachable!("the other reads never end"),
            result = client.get("refused") => result,
        }
    })
    .await;
    assert!(
        outcome.is_err(),
        "the refused read kept waiting: {outcome:?}"
    );
    let sent = hits(&server, &format!("{PREFIX}/predictions/refused")).await;
    let others = hits(&server, &format!("{PREFIX}/predictions/answered")).await;
    let per_second = sent as f64 / DEADLINE.as_secs_f64();
    println!(
        "the refused read sent {sent} times ({per_second:.1} per second), the others {others}"
    );
    assert!(sent >= 2, "the refused read was sent again: {sent}");
    assert!(per_second <= MOST_PER_SECOND, "{sent} in {DEADLINE:?}");
    assert!(others >= 10, "the rest of the class went on: {others}");
}
