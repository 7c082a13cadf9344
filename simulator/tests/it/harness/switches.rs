//! The switches a test of "never pay twice" turns: a list that lags behind creates, creates that take time
//! (and go through when their client leaves), answers held back, and the predictions seen without HTTP.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use replicate_ideogram_simulator::Faults;
use serde_json::{Value, json};

use crate::common;
use common::{create_request, eventually, fast, get_json, start};

fn listed_ids(list: &Value) -> Vec<String> {
    list["results"]
        .as_array()
        .expect("a page of results")
        .iter()
        .map(|p| p["id"].as_str().expect("an id").to_string())
        .collect()
}

fn created_at(prediction: &Value) -> DateTime<Utc> {
    prediction["created_at"]
        .as_str()
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .expect("a created_at")
        .with_timezone(&Utc)
}

#[tokio::test]
async fn the_list_shows_a_prediction_only_once_the_lag_has_passed() {
    let lag = Duration::from_secs(1);
    let sim = start(fast().list_lag(lag)).await;
    let sent = Instant::now();
    let created: Value = create_request(&sim, "lagging")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["id"].as_str().unwrap().to_string();
    let (_, list) = get_json(&sim, "/predictions").await;
    assert!(listed_ids(&list).is_empty(), "{list}");
    let (status, got) = get_json(&sim, &format!("/predictions/{id}")).await;
    assert_eq!((status, &got["id"]), (200, &json!(id)), "a get sees it");

    let mut listed = Vec::new();
    for _ in 0..100 {
        listed = listed_ids(&get_json(&sim, "/predictions").await.1);
        if !listed.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(listed, [id]);
    assert!(
        sent.elapsed() >= lag,
        "listed no earlier than the lag after it was made"
    );
}

#[tokio::test]
async fn the_list_lag_changes_while_the_simulator_runs() {
    let sim = start(fast()).await;
    let first = create_request(&sim, "first").send().await.unwrap();
    assert_eq!(first.status(), 201);
    assert_eq!(listed_ids(&get_json(&sim, "/predictions").await.1).len(), 1);

    sim.set_list_lag(Duration::from_secs(3600));
    create_request(&sim, "second").send().await.unwrap();
    let (_, list) = get_json(&sim, "/predictions").await;
    assert!(listed_ids(&list).is_empty(), "the lag hides both: {list}");

    sim.set_list_lag(Duration::ZERO);
    assert_eq!(listed_ids(&get_json(&sim, "/predictions").await.1).len(), 2);
}

#[tokio::test]
async fn a_create_whose_client_gives_up_during_the_delay_is_still_made() {
    let delay = Duration::from_secs(1);
    let sim = start(fast().create_delay(delay)).await;
    let sent = Utc::now();
    // Half the delay: time enough to reach the simulator on a loaded machine, and given up well before.
    let error = create_request(&sim, "impatient")
        .timeout(Duration::from_millis(500))
        .send()
        .await
        .unwrap_err();
    assert!(error.is_timeout(), "{error:?}");
    assert!(sim.predictions().is_empty(), "not made before the delay");

    assert!(eventually(|| sim.predictions().len() == 1).await);
    let made = &sim.predictions()[0];
    assert_eq!(made["input"]["prompt"], "impatient");
    let late = created_at(made) - sent;
    assert!(late >= chrono::TimeDelta::milliseconds(900), "{late}");
    assert_eq!(sim.record().created.len(), 1);
}

#[tokio::test]
async fn a_create_delay_set_at_runtime_holds_the_answer_and_stamps_the_creation() {
    let sim = start(fast()).await;
    let delay = Duration::from_millis(400);
    sim.set_create_delay(delay);
    let sent = Utc::now();
    let started = Instant::now();
    let created: Value = create_request(&sim, "slow to make")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(started.elapsed() >= delay);
    let late = created_at(&created) - sent;
    assert!(late >= chrono::TimeDelta::milliseconds(350), "{late}");

    sim.set_create_delay(Duration::ZERO);
    let started = Instant::now();
    create_request(&sim, "quick").send().await.unwrap();
    assert!(started.elapsed() < delay, "{:?}", started.elapsed());
}

#[tokio::test]
async fn faults_keep_their_meaning_with_a_create_delay() {
    let delay = Duration::from_millis(200);
    for (faults, made) in [
        (Faults::default().drop_before(1.0), 0),
        (Faults::default().drop_after(1.0), 1),
    ] {
        let sim = start(fast().create_delay(delay).faults(faults.clone())).await;
        let started = Instant::now();
        create_request(&sim, "faulted").send().await.unwrap_err();
        if made == 1 {
            assert!(started.elapsed() >= delay, "dropped once processed");
        }
        tokio::time::sleep(delay + Duration::from_millis(200)).await;
        assert_eq!(sim.predictions().len(), made, "{faults:?}");
    }
}

#[tokio::test]
async fn held_creates_are_made_at_once_and_answered_when_released() {
    let sim = start(fast()).await;
    sim.set_hold_creates(true);
    let pending = tokio::spawn(create_request(&sim, "held").send());
    assert!(eventually(|| sim.predictions().len() == 1).await);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!pending.is_finished(), "the answer is withheld");

    sim.set_hold_creates(false);
    let answer = pending.await.unwrap().unwrap();
    assert_eq!(answer.status(), 201);
    let body: Value = answer.json().await.unwrap();
    assert_eq!(body["id"], sim.predictions()[0]["id"]);
    let started = Instant::now();
    create_request(&sim, "free").send().await.unwrap();
    assert!(started.elapsed() < Duration::from_secs(1));
}

#[tokio::test]
async fn a_client_stopped_while_its_creates_are_held_leaves_them_made() {
    let sim = start(fast()).await;
    sim.set_hold_creates(true);
    let clients: Vec<_> = (0..3)
        .map(|i| tokio::spawn(create_request(&sim, &format!("in flight {i}")).send()))
        .collect();
    assert!(eventually(|| sim.predictions().len() == 3).await);
    for client in &clients {
        client.abort();
    }
    for client in clients {
        assert!(client.await.unwrap_err().is_cancelled());
    }
    // Made, they run to their end without anyone waiting for them.
    assert!(eventually(|| sim.predictions().iter().all(|p| p["status"] == "succeeded")).await);
    assert_eq!(sim.record().created.len(), 3);
}

#[tokio::test]
async fn predictions_show_statuses_and_inputs_without_a_request() {
    // A second of processing: the cancel lands before the first finishes, on however loaded a machine
    // (with `fast()`'s 80 ms it sometimes did not, and the first succeeded).
    let sim = start(fast().timings(Duration::from_millis(20), Duration::from_secs(1))).await;
    let created: Value = create_request(&sim, "to cancel")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["id"].as_str().unwrap();
    let canceled = common::api(
        &sim,
        reqwest::Method::POST,
        &format!("/predictions/{id}/cancel"),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(canceled.status(), 200);
    create_request(&sim, "to finish").send().await.unwrap();
    let before = sim.record();

    let finished = || sim.predictions()[1]["status"] == "succeeded";
    assert!(eventually(finished).await);
    let predictions = sim.predictions();
    let statuses: Vec<&Value> = predictions.iter().map(|p| &p["status"]).collect();
    assert_eq!(statuses, [&json!("canceled"), &json!("succeeded")]);
    assert_eq!(predictions[0]["input"], json!({"prompt": "to cancel"}));
    assert_eq!(predictions[0]["id"], created["id"]);
    assert!(predictions[1]["output"].as_str().unwrap().ends_with(".png"));
    let after = sim.record();
    assert_eq!(after.requests, before.requests, "no request counted");
    assert!(after.notification_lags.is_empty(), "no client was told");
}
