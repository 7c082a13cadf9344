//! The simulator's rate limits, seen over raw HTTP: bursts, 429 with `Retry-After` and Replicate's body, refill,
//! the two independent classes, the record, and the rate over time.

use std::{
    collections::BTreeSet,
    time::{Duration, Instant},
};

use futures_util::{StreamExt, future::join_all, stream};
use replicate_ideogram_simulator::{Bucket, ServerLimits, Simulator, SimulatorConfig};
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};

use crate::throttled::assert_throttled;

const CREATE_ROUTE: &str = "POST /models/{owner}/{name}/predictions";

async fn start(limits: ServerLimits) -> Simulator {
    let config = SimulatorConfig::default()
        .timings(Duration::from_millis(10), Duration::from_millis(20))
        .rate_limits(limits);
    Simulator::start(config)
        .await
        .expect("the simulator starts")
}

async fn create(http: &reqwest::Client, sim: &Simulator, prompt: &str) -> Response {
    http.post(format!(
        "{}/models/ideogram-ai/ideogram-v2-turbo/predictions",
        sim.base_url()
    ))
    .bearer_auth(sim.token())
    .json(&json!({"input": {"prompt": prompt}}))
    .send()
    .await
    .expect("the simulator answers")
}

async fn get(http: &reqwest::Client, sim: &Simulator, path: &str) -> Response {
    http.get(format!("{}{path}", sim.base_url()))
        .bearer_auth(sim.token())
        .send()
        .await
        .expect("the simulator answers")
}

#[tokio::test]
async fn a_burst_passes_then_429s_until_a_token_refills() {
    let (burst, sent) = (5, 8);
    let sim = start(ServerLimits::none().creates(Bucket::new(60.0, burst))).await;
    let http = reqwest::Client::new();
    let began = Instant::now();
    let prompts: Vec<String> = (0..sent).map(|i| format!("burst {i}")).collect();
    let answers = join_all(prompts.iter().map(|p| create(&http, &sim, p))).await;
    let elapsed = began.elapsed().as_secs_f64();

    let mut created = BTreeSet::new();
    let mut throttled = Vec::new();
    for (prompt, answer) in prompts.iter().zip(answers) {
        match answer.status() {
            StatusCode::CREATED => {
                created.insert(prompt.clone());
            }
            _ => throttled.push(assert_throttled(answer).await),
        }
    }
    // One token a second: only a burst that took over a second could have passed more.
    let allowed = burst as usize + elapsed.floor() as usize;
    assert!(
        (burst as usize..=allowed).contains(&created.len()),
        "{} created in {elapsed:.2} s",
        created.len()
    );
    assert_eq!(created.len() + throttled.len(), sent);
    assert!(throttled.iter().all(|s| *s == 1), "{throttled:?}");

    tokio::time::sleep(Duration::from_secs(1)).await;
    let again = create(&http, &sim, "after the refill").await;
    assert_eq!(again.status(), StatusCode::CREATED);
    created.insert("after the refill".into());

    let record = sim.record();
    assert_eq!(record.throttled_creates, throttled.len());
    assert_eq!(record.throttled_others, 0);
    assert_eq!(record.requests_to(CREATE_ROUTE), sent + 1);
    let recorded: BTreeSet<String> = record
        .created
        .iter()
        .map(|c| c.input["prompt"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(recorded, created, "no throttled request created anything");
}

#[tokio::test]
async fn creates_and_others_have_their_own_buckets_and_the_record_and_delivery_have_none() {
    // Refills every ten seconds: none happens during the test.
    let limits = ServerLimits::none()
        .creates(Bucket::new(6.0, 2))
        .others(Bucket::new(6.0, 3));
    let sim = start(limits).await;
    let http = reqwest::Client::new();
    let first = create(&http, &sim, "one").await;
    assert_eq!(first.status(), StatusCode::CREATED);
    let id = first.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();

    // A wrong token spends an "other" token too: the limit comes before authentication.
    let unauthorized = http
        .get(format!("{}/predictions/{id}", sim.base_url()))
        .bearer_auth("r8_wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(unauthorized.status(), StatusCode::UNAUTHORIZED);
    for _ in 0..2 {
        assert_eq!(
            get(&http, &sim, &format!("/predictions/{id}"))
                .await
                .status(),
            StatusCode::OK
        );
    }
    let retry_after = assert_throttled(get(&http, &sim, &format!("/predictions/{id}")).await).await;
    assert!((9..=10).contains(&retry_after), "{retry_after}");
    assert_throttled(get(&http, &sim, "/predictions").await).await;
    let cancel = http
        .post(format!("{}/predictions/{id}/cancel", sim.base_url()))
        .bearer_auth(sim.token())
        .send()
        .await
        .unwrap();
    assert_throttled(cancel).await;

    // The create bucket is untouched by the others'.
    assert_eq!(
        create(&http, &sim, "two").await.status(),
        StatusCode::CREATED
    );
    assert_throttled(create(&http, &sim, "three").await).await;

    // The delivery host and the record route are never limited.
    tokio::time::sleep(Duration::from_millis(200)).await;
    for _ in 0..4 {
        let png = http
            .get(format!("{}/files/{id}.png", sim.delivery_url()))
            .send()
            .await
            .unwrap();
        assert_eq!(png.status(), StatusCode::OK);
        let record = get(&http, &sim, "/_simulator/record").await;
        assert_eq!(record.status(), StatusCode::OK);
        let record: Value = record.json().await.unwrap();
        assert_eq!(record["throttled_creates"], 1, "{record}");
        assert_eq!(record["throttled_others"], 3, "{record}");
    }
    let record = sim.record();
    assert_eq!(record.created.len(), 2);
    assert_eq!(record.unauthorized, 1);
    assert_eq!(record.requests_to("POST /predictions/{id}/cancel"), 1);
}

#[tokio::test]
async fn without_limits_nothing_is_throttled() {
    let sim = start(ServerLimits::default()).await;
    let http = reqwest::Client::new();
    let id = create(&http, &sim, "first")
        .await
        .json::<Value>()
        .await
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let statuses: Vec<StatusCode> = stream::iter(0..300)
        .map(|i| {
            let (http, sim, id) = (&http, &sim, &id);
            async move {
                if i % 2 == 0 {
                    create(http, sim, &format!("p{i}")).await.status()
                } else {
                    get(http, sim, &format!("/predictions/{id}")).await.status()
                }
            }
        })
        .buffer_unordered(32)
        .collect()
        .await;
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::CREATED || *s == StatusCode::OK),
        "{statuses:?}"
    );
    let record = sim.record();
    assert_eq!((record.throttled_creates, record.throttled_others), (0, 0));
    assert_eq!(record.created.len(), 151);
}

#[tokio::test]
async fn replicates_preset_allows_a_burst_of_a_hundred_creates() {
    let sim = start(ServerLimits::replicate()).await;
    let http = reqwest::Client::new();
    let statuses: Vec<StatusCode> = stream::iter(0..100)
        .map(|i| {
            let (http, sim) = (&http, &sim);
            async move { create(http, sim, &format!("p{i}")).await.status() }
        })
        .buffer_unordered(16)
        .collect()
        .await;
    assert!(
        statuses.iter().all(|s| *s == StatusCode::CREATED),
        "{statuses:?}"
    );
    assert_eq!(sim.record().throttled_creates, 0);
}

#[tokio::test]
async fn the_rate_is_honoured_over_time() {
    // One create a second, no burst; one sent every 250 ms for 4 s.
    let sim = start(ServerLimits::none().creates(Bucket::new(60.0, 1))).await;
    let http = reqwest::Client::new();
    let mut ticks = tokio::time::interval(Duration::from_millis(250));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let began = Instant::now();
    let mut passed = Vec::new();
    let sent = 16;
    for i in 0..sent {
        ticks.tick().await;
        let at = began.elapsed().as_secs_f64();
        let answer = create(&http, &sim, &format!("tick {i}")).await;
        if answer.status() == StatusCode::CREATED {
            passed.push(at);
        } else {
            assert_eq!(assert_throttled(answer).await, 1);
        }
    }
    let elapsed = began.elapsed().as_secs_f64();
    // Nominally 4 (at 0, 1, 2 and 3 s); at most one more than the whole seconds that passed, and never two
    // within half a second (a generous margin for a loaded machine's delays between send and arrival).
    assert!(
        passed.len() >= 3 && passed.len() <= 1 + elapsed.floor() as usize,
        "{passed:?} in {elapsed:.2} s"
    );
    assert!(passed.windows(2).all(|w| w[1] - w[0] >= 0.5), "{passed:?}");
    assert_eq!(sim.record().throttled_creates, sent - passed.len());
    assert_eq!(sim.record().created.len(), passed.len());
}
