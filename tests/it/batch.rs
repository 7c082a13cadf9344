//! Batches in the library: results as they finish, files named by item, and a journal that lets the same
//! batch run again without paying twice (skipped, resumed, looked up, reported), against the simulator.

use std::{path::Path, time::Duration};

use futures_util::StreamExt;
use replicate_ideogram::{
    Error, JsonInput, Target,
    batch::{Origin, Outputs},
    models::IdeogramV2TurboInput,
};
use replicate_ideogram_simulator::{Simulator, SimulatorConfig};

async fn simulator() -> Simulator {
    let config =
        SimulatorConfig::default().timings(Duration::from_millis(10), Duration::from_millis(40));
    Simulator::start(config).await.unwrap()
}

fn inputs(n: usize) -> Vec<IdeogramV2TurboInput> {
    (0..n)
        .map(|i| IdeogramV2TurboInput::new(format!("a red fox, take {i}")).seed(i as i64))
        .collect()
}

/// Runs the batch to its end; returns each item's origin (or error text) by index.
async fn run_all(
    sim: &Simulator,
    inputs: Vec<IdeogramV2TurboInput>,
    dir: &Path,
    retry_failed: bool,
) -> Vec<Result<Origin, String>> {
    let client = sim.client().unwrap();
    let n = inputs.len();
    let mut stream = client
        .batch(inputs)
        .concurrency(4)
        .outputs(Outputs::directory(dir))
        .journal(dir.join("journal.jsonl"))
        .retry_failed(retry_failed)
        .start()
        .await
        .unwrap();
    let mut results = vec![Err("missing".to_string()); n];
    while let Some(item) = stream.next().await {
        results[item.index] = item.result.map(|d| d.origin).map_err(|e| e.to_string());
    }
    results
}

#[tokio::test]
async fn a_batch_saves_every_item_and_a_rerun_sends_nothing() {
    let sim = simulator().await;
    let dir = tempfile::tempdir().unwrap();
    let first = run_all(&sim, inputs(12), dir.path(), false).await;
    assert!(first.iter().all(|r| *r == Ok(Origin::Created)), "{first:?}");
    assert_eq!(sim.record().created.len(), 12);
    for i in 0..12 {
        let name = format!("{i:05}-a-red-fox-take-{i}.png");
        let bytes = std::fs::read(dir.path().join(&name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(&bytes[..4], b"\x89PNG");
    }
    let journal = std::fs::read_to_string(dir.path().join("journal.jsonl")).unwrap();
    for event in ["intent", "created", "finished", "saved"] {
        let count = journal.matches(&format!("\"event\":\"{event}\"")).count();
        assert_eq!(count, 12, "{event} lines");
    }

    let requests_before = sim.record().requests.clone();
    let again = run_all(&sim, inputs(12), dir.path(), false).await;
    assert!(again.iter().all(|r| *r == Ok(Origin::Skipped)), "{again:?}");
    let mut requests_after = sim.record().requests.clone();
    *requests_after.entry("GET /account".into()).or_default() -= 1;
    requests_after.retain(|_, n| *n > 0);
    assert_eq!(
        requests_after, requests_before,
        "a finished batch sends nothing but the account check"
    );

    // A file damaged since: fetched again from its prediction, not created again.
    std::fs::write(dir.path().join("00003-a-red-fox-take-3.png"), b"broken").unwrap();
    let third = run_all(&sim, inputs(12), dir.path(), false).await;
    assert_eq!(third[3], Ok(Origin::Resumed));
    assert_eq!(
        sim.record().created.len(),
        12,
        "no prediction created twice"
    );
    let bytes = std::fs::read(dir.path().join("00003-a-red-fox-take-3.png")).unwrap();
    assert_eq!(&bytes[..4], b"\x89PNG");
}

#[tokio::test]
async fn a_create_whose_answer_was_lost_is_found_not_paid_again() {
    let sim = simulator().await;
    let client = sim.client().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let input = inputs(1).remove(0);
    // An earlier run headed its journal, wrote its intent and sent the create, then died before the answer.
    let first = client
        .batch(Vec::<IdeogramV2TurboInput>::new())
        .journal(dir.path().join("journal.jsonl"))
        .start()
        .await
        .unwrap();
    drop(first);
    let sent = client.create(input.clone()).await.unwrap();
    let json = JsonInput::from_typed(&input).unwrap();
    let target = Target::model(IdeogramV2TurboInput::MODEL).to_string();
    // The line the batch writes before it sends a create, in the journal's documented format.
    let key = replicate_ideogram::batch::journal_key(&target, json.input());
    let before = sent.created_at.unwrap() - chrono::Duration::seconds(1);
    let intent = serde_json::json!({
        "event": "intent", "item": 0, "key": key, "occurrence": 0, "target": target,
        "input": json.input(), "after": before, "at": chrono::Utc::now(),
    });
    let path = dir.path().join("journal.jsonl");
    let header = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, format!("{header}{intent}\n")).unwrap();

    let results = run_all(&sim, vec![input], dir.path(), false).await;
    assert_eq!(results[0], Ok(Origin::Resumed), "{results:?}");
    let record = sim.record();
    assert_eq!(
        record.created.len(),
        1,
        "the lost create's prediction was adopted"
    );
    assert_eq!(record.created[0].id, sent.id);
}

#[tokio::test]
async fn failures_are_reported_again_and_run_again_only_when_asked() {
    let sim = simulator().await;
    let dir = tempfile::tempdir().unwrap();
    let mut batch = inputs(3);
    batch[1] = IdeogramV2TurboInput::new("a fox [fail]");
    let first = run_all(&sim, batch.clone(), dir.path(), false).await;
    assert!(
        first[1].as_ref().is_err_and(|e| e.contains("failed")),
        "{first:?}"
    );
    assert_eq!(sim.record().created.len(), 3);

    let again = run_all(&sim, batch.clone(), dir.path(), false).await;
    assert!(
        again[1].as_ref().is_err_and(|e| e.contains("failed")),
        "{again:?}"
    );
    assert_eq!(again[0], Ok(Origin::Skipped));
    assert_eq!(
        sim.record().created.len(),
        3,
        "a failure is reported, not paid again"
    );

    let retried = run_all(&sim, batch, dir.path(), true).await;
    assert!(retried[1].is_err(), "it fails again, as asked");
    assert_eq!(
        sim.record().created.len(),
        4,
        "only the failed item ran again"
    );
}

#[tokio::test]
async fn a_journal_in_use_is_refused_before_anything_is_sent() {
    let sim = simulator().await;
    let client = sim.client().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("journal.jsonl");
    let holding = client
        .batch(inputs(1))
        .journal(&journal)
        .start()
        .await
        .unwrap();
    let before = sim.record().requests.values().sum::<usize>();
    let error = match client.batch(inputs(1)).journal(&journal).start().await {
        Ok(_) => panic!("a second batch on the same journal started"),
        Err(error) => error,
    };
    assert!(matches!(error, Error::JournalLocked { .. }), "{error}");
    assert!(
        error.to_string().contains("process"),
        "names the holder: {error}"
    );
    drop(holding);
    assert_eq!(sim.record().requests.values().sum::<usize>(), before);
    // Once the first is gone, the journal is free.
    assert!(
        client
            .batch(inputs(1))
            .journal(&journal)
            .start()
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn dropping_the_stream_creates_no_more() {
    let sim = simulator().await;
    let client = sim.client().unwrap();
    let mut stream = client
        .batch(inputs(50))
        .concurrency(2)
        .start()
        .await
        .unwrap();
    let first = stream.next().await.unwrap();
    assert!(first.result.is_ok());
    drop(stream);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let created = sim.record().created.len();
    assert!(
        created <= 3,
        "{created} created after the stream was dropped"
    );
}

#[tokio::test]
async fn mixed_models_and_memory_outputs() {
    let sim = simulator().await;
    let client = sim.client().unwrap();
    let mixed = vec![
        JsonInput::from_typed(&IdeogramV2TurboInput::new("a fox")).unwrap(),
        JsonInput::from_typed(&replicate_ideogram::models::IdeogramV3TurboInput::new(
            "a fox",
        ))
        .unwrap(),
    ];
    let items: Vec<_> = client
        .batch(mixed)
        .outputs(Outputs::Memory)
        .start()
        .await
        .unwrap()
        .collect()
        .await;
    assert_eq!(items.len(), 2);
    for item in items {
        let done = item.result.unwrap();
        assert_eq!(&done.bytes[0][..4], b"\x89PNG");
    }
    let models: Vec<String> = sim
        .record()
        .created
        .iter()
        .map(|c| c.model.clone())
        .collect();
    assert!(
        models.contains(&"ideogram-ai/ideogram-v3-turbo".to_string()),
        "{models:?}"
    );
}

#[tokio::test]
async fn a_journal_without_files_skips_what_finished() {
    let sim = simulator().await;
    let client = sim.client().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("journal.jsonl");
    let run = || async {
        let stream = client
            .batch(inputs(3))
            .journal(&journal)
            .start()
            .await
            .unwrap();
        stream
            .map(|item| item.result.unwrap().origin)
            .collect::<Vec<_>>()
            .await
    };
    assert!(run().await.iter().all(|o| *o == Origin::Created));
    assert!(run().await.iter().all(|o| *o == Origin::Skipped));
    assert_eq!(sim.record().created.len(), 3);
}

#[tokio::test]
async fn a_journal_with_an_absurd_predict_time_is_read_without_a_panic() {
    let sim = simulator().await;
    let dir = tempfile::tempdir().unwrap();
    let first = run_all(&sim, inputs(2), dir.path(), false).await;
    assert!(first.iter().all(|r| *r == Ok(Origin::Created)), "{first:?}");
    let path = dir.path().join("journal.jsonl");
    let journal = std::fs::read_to_string(&path).unwrap();
    let mut edited = Vec::new();
    for line in journal.lines() {
        let mut event: serde_json::Value = serde_json::from_str(line).unwrap();
        if event["event"] == "finished" {
            event["predict_time"] = serde_json::json!(1e300);
        }
        edited.push(event.to_string());
    }
    std::fs::write(&path, edited.join("\n") + "\n").unwrap();
    let again = run_all(&sim, inputs(2), dir.path(), false).await;
    assert!(again.iter().all(|r| *r == Ok(Origin::Skipped)), "{again:?}");
}
