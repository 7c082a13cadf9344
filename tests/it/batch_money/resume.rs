//! A batch resumed after a kill settles what the killed run left unsettled with the server's clock and one
//! walk of the list: a list that lags, a server still making a prediction, a rerun's clock that disagrees
//! with the journal's, a list too long to read, outputs the server removed, a journal of another server or
//! account, and predictions canceled when a batch is dropped. Counted on the simulator's record.

use crate::common;

use std::time::Duration;

use common::batches::{client, killed_with_creates_held, made, run};
use futures_util::StreamExt;
use replicate_ideogram::{
    Error, JsonInput,
    batch::{Origin, Outputs},
    models::IdeogramV2TurboInput,
};
use replicate_ideogram_simulator::{Simulator, SimulatorConfig};

const QUICK: Duration = Duration::from_secs(1);

async fn simulator(config: SimulatorConfig) -> Simulator {
    let config = config.timings(Duration::from_millis(10), Duration::from_millis(40));
    Simulator::start(config).await.unwrap()
}

fn inputs(n: usize) -> Vec<IdeogramV2TurboInput> {
    (0..n)
        .map(|i| IdeogramV2TurboInput::new(format!("tile {i}")).seed(i as i64))
        .collect()
}

#[tokio::test]
async fn a_resume_waits_for_a_lagging_list_before_it_creates() {
    let sim = simulator(SimulatorConfig::default()).await;
    let dir = tempfile::tempdir().unwrap();
    killed_with_creates_held(&sim, &client(&sim, QUICK), inputs(40), dir.path(), 20).await;
    // The list shows predictions two seconds after they are made; the rerun starts at once.
    sim.set_list_lag(Duration::from_secs(2));
    let settle = Duration::from_secs(3);
    let (results, _) = run(&client(&sim, settle), inputs(40), dir.path(), false).await;
    assert!(results.iter().all(Result::is_ok));
    let resumed = results
        .iter()
        .filter(|r| r.as_ref().unwrap().origin == Origin::Resumed)
        .count();
    assert_eq!(resumed, 20);
    assert_eq!(made(&sim).len(), 40, "nothing paid twice");
}

#[tokio::test]
async fn a_create_the_server_is_still_making_is_not_paid_twice() {
    let sim = simulator(SimulatorConfig::default()).await;
    let dir = tempfile::tempdir().unwrap();
    // The server takes a second and a half to make each prediction; the run dies while it does.
    sim.set_create_delay(Duration::from_millis(1500));
    let killed = client(&sim, QUICK);
    let stream = killed
        .batch(inputs(5))
        .outputs(Outputs::directory(dir.path()))
        .journal(dir.path().join("journal.jsonl"))
        .start()
        .await
        .unwrap();
    let mut stream = Box::pin(stream);
    tokio::select! {
        _ = stream.next() => panic!("an item ended while its prediction was being made"),
        _ = tokio::time::sleep(Duration::from_millis(400)) => {}
    }
    drop(stream);
    assert!(made(&sim).is_empty(), "not made yet when the run died");
    sim.set_create_delay(Duration::ZERO);
    let (results, _) = run(
        &client(&sim, Duration::from_secs(3)),
        inputs(5),
        dir.path(),
        false,
    )
    .await;
    assert!(results.iter().all(Result::is_ok));
    assert_eq!(made(&sim).len(), 5, "each found, none made again");
}

#[tokio::test]
async fn a_rerun_whose_clock_disagrees_with_the_journal_pays_nothing_twice() {
    for skew in [-2, 2] {
        let sim = simulator(SimulatorConfig::default()).await;
        let dir = tempfile::tempdir().unwrap();
        killed_with_creates_held(&sim, &client(&sim, QUICK), inputs(6), dir.path(), 6).await;
        // The journal was written by a clock `skew` seconds off this run's.
        let path = dir.path().join("journal.jsonl");
        let text = std::fs::read_to_string(&path).unwrap();
        let shifted: Vec<String> = text
            .lines()
            .map(|line| {
                let mut event: serde_json::Value = serde_json::from_str(line).unwrap();
                let at: chrono::DateTime<chrono::Utc> =
                    event["at"].as_str().unwrap().parse().unwrap();
                event["at"] = (at + chrono::TimeDelta::seconds(skew)).to_rfc3339().into();
                event.to_string()
            })
            .collect();
        std::fs::write(&path, shifted.join("\n") + "\n").unwrap();
        let (results, _) = run(&client(&sim, QUICK), inputs(6), dir.path(), false).await;
        assert!(results.iter().all(Result::is_ok), "skew {skew}");
        assert_eq!(made(&sim).len(), 6, "skew {skew}: paid twice");
    }
}

#[tokio::test]
async fn a_list_too_long_to_read_leaves_the_create_uncertain_and_creates_nothing() {
    use common::endless::{endless_server, numbered};
    use wiremock::{Mock, ResponseTemplate, matchers::method};
    fn busy(n: usize) -> serde_json::Value {
        // Other inputs' predictions, made just now, page after page.
        let now = chrono::Utc::now().to_rfc3339();
        (0..100)
            .map(|i| {
                let mut p = common::prediction(&format!("busy{n}x{i}"), "succeeded");
                p["created_at"] = now.clone().into();
                p["input"] = serde_json::json!({"prompt": "someone else's"});
                p
            })
            .collect()
    }
    let server = endless_server(busy, numbered).await;
    Mock::given(wiremock::matchers::path(format!(
        "{}/account",
        common::PREFIX
    )))
    .respond_with(common::json(
        200,
        &serde_json::json!({"type": "user", "username": "crowd"}),
    ))
    .mount(&server)
    .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let client = replicate_ideogram::Client::builder()
        .token(common::TOKEN)
        .base_url(format!("{}{}", server.uri(), common::PREFIX))
        .list_settle(QUICK)
        .build()
        .unwrap();
    // A journal whose create was sent a minute ago, its answer never recorded.
    let input = IdeogramV2TurboInput::new("lost in a crowd");
    let first = client
        .batch(Vec::<IdeogramV2TurboInput>::new())
        .journal(dir.path().join("journal.jsonl"))
        .start()
        .await
        .unwrap();
    drop(first);
    let target = "model ideogram-ai/ideogram-v2-turbo";
    let json = serde_json::to_value(&input).unwrap();
    let intent = serde_json::json!({
        "event": "intent", "item": 0, "occurrence": 0, "target": target,
        "key": replicate_ideogram::batch::journal_key(target, &json), "input": json,
        "after": chrono::Utc::now() - chrono::TimeDelta::minutes(1), "at": chrono::Utc::now(),
    });
    let path = dir.path().join("journal.jsonl");
    let header = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, format!("{header}{intent}\n")).unwrap();
    let (results, _) = run(&client, vec![input], dir.path(), false).await;
    let error = results[0].as_ref().unwrap_err();
    assert!(matches!(error, Error::CreateUncertain { .. }), "{error}");
    let creates = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.method == wiremock::http::Method::POST)
        .count();
    assert_eq!(creates, 0, "nothing created for an uncertain item");
}

#[tokio::test]
async fn removed_and_empty_outputs_are_failures_that_only_retry_failed_recreates() {
    let sim = simulator(SimulatorConfig::default()).await;
    let dir = tempfile::tempdir().unwrap();
    // JSON inputs, as the CLI runs them: any output decodes as JSON, so only the output rule can refuse.
    let json = |input: IdeogramV2TurboInput| JsonInput::from_typed(&input).unwrap();
    let mut batch: Vec<JsonInput> = inputs(2).into_iter().map(json).collect();
    for odd in ["[]", "{}", "[null, 5]"] {
        batch.push(json(IdeogramV2TurboInput::new(format!(
            "odd [output={odd}]"
        ))));
    }
    // Killed in flight; by the rerun Replicate has removed the outputs.
    let killed = batch[..2].to_vec();
    killed_with_creates_held(&sim, &client(&sim, QUICK), killed, dir.path(), 2).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(sim.remove_outputs(), 2);
    let (results, _) = run(&client(&sim, QUICK), batch.clone(), dir.path(), false).await;
    for (i, result) in results.iter().enumerate() {
        let error = result.as_ref().map(|d| d.origin).unwrap_err();
        let expected = match i {
            0 | 1 => matches!(error, Error::OutputMissing { removed: true, .. }),
            _ => matches!(error, Error::OutputMismatch { .. }),
        };
        assert!(expected, "item {i}: {error}");
    }
    assert_eq!(made(&sim).len(), 5);
    // Reported again, not paid again; then recreated when asked, exactly those.
    let (again, _) = run(&client(&sim, QUICK), batch.clone(), dir.path(), false).await;
    assert!(again.iter().all(Result::is_err));
    assert_eq!(made(&sim).len(), 5);
    let (retried, _) = run(&client(&sim, QUICK), batch, dir.path(), true).await;
    assert!(
        retried[0].is_ok() && retried[1].is_ok(),
        "{:?}",
        retried[0].as_ref().err()
    );
    assert_eq!(made(&sim).len(), 10, "the five failed, recreated once each");
}

#[tokio::test]
async fn a_journal_belongs_to_its_server_and_account() {
    let sim = simulator(SimulatorConfig::default()).await;
    let dir = tempfile::tempdir().unwrap();
    run(&client(&sim, QUICK), inputs(2), dir.path(), false).await;
    for other in [
        SimulatorConfig::default().account_username("someone-else"),
        SimulatorConfig::default().path_prefix("/replicate/v1"),
    ] {
        let other = simulator(other).await;
        let refused = client(&other, QUICK)
            .batch(inputs(2))
            .outputs(Outputs::directory(dir.path()))
            .journal(dir.path().join("journal.jsonl"))
            .start()
            .await
            .unwrap_err();
        assert!(
            matches!(refused, Error::JournalMismatch { .. }),
            "{refused}"
        );
        assert!(
            refused.to_string().contains("another directory"),
            "{refused}"
        );
        assert!(other.record().created.is_empty());
    }
}

#[tokio::test]
async fn cancel_on_drop_cancels_predictions_whose_create_is_still_held() {
    let config =
        SimulatorConfig::default().timings(Duration::from_millis(10), Duration::from_secs(30));
    let sim = Simulator::start(config).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let client = client(&sim, QUICK);
    sim.set_hold_creates(true);
    let mut stream = client
        .batch(inputs(3))
        .cancel_on_drop(true)
        .journal(dir.path().join("journal.jsonl"))
        .start()
        .await
        .unwrap();
    tokio::select! {
        _ = stream.next() => panic!("an item ended while its create was held"),
        _ = async { while sim.predictions().len() < 3 { tokio::time::sleep(Duration::from_millis(20)).await } } => {}
    }
    drop(stream);
    sim.set_hold_creates(false);
    let canceled = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let statuses: Vec<_> = sim
                .predictions()
                .iter()
                .map(|p| p["status"].clone())
                .collect();
            if statuses.iter().all(|s| s == "canceled") {
                return statuses;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    assert!(
        canceled.is_ok(),
        "{:?}",
        sim.predictions()
            .iter()
            .map(|p| p["status"].clone())
            .collect::<Vec<_>>()
    );
}
