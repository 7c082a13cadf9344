//! The simulator's seeded faults, end to end through the client: each becomes the typed error it should,
//! a connection dropped after processing still made the prediction, slow answers arrive whole, and a seed
//! replays the same ids and fault pattern.

use std::time::Duration;

use replicate_ideogram::{Error, PredictionStatus, RetryPolicy, models::IdeogramV2TurboInput};
use replicate_ideogram_simulator::Faults;

use crate::common;
use common::{create_request, fast, start};

#[tokio::test]
async fn every_fault_becomes_a_typed_error() {
    type Expect = fn(&Error) -> bool;
    let cases: [(Faults, Expect); 6] = [
        (
            Faults::default()
                .throttle(1.0)
                .retry_after(Duration::from_secs(3)),
            |e| matches!(e, Error::Api(a) if a.status == 429 && a.retry_after == Some(Duration::from_secs(3))),
        ),
        (Faults::default().unavailable(1.0), |e| {
            e.status() == Some(503)
        }),
        (Faults::default().server_error(1.0), |e| {
            e.status() == Some(500)
        }),
        (
            Faults::default().bad_gateway_html(1.0),
            |e| matches!(e, Error::Api(a) if a.status == 502 && a.title.as_deref() == Some("502 Bad Gateway")),
        ),
        (Faults::default().drop_before(1.0), |e| {
            matches!(e, Error::Transport { .. })
        }),
        (Faults::default().truncated_json(1.0), |e| {
            matches!(
                e,
                Error::Decode {
                    prediction_id: Some(_),
                    ..
                }
            )
        }),
    ];
    for (faults, expected) in cases {
        let sim = start(fast().faults(faults.clone())).await;
        let error = sim
            .client_builder()
            .retry(RetryPolicy::none())
            .build()
            .unwrap()
            .create(IdeogramV2TurboInput::new("x"))
            .await
            .unwrap_err();
        // A create whose outcome is unknown (5xx, truncated) is looked for in the list; every request
        // faulting, the lookup fails too, and the error says a prediction may exist, with the create's cause.
        let cause = match &error {
            Error::CreateUncertain { cause, .. } => cause.as_ref(),
            other => other,
        };
        assert!(expected(cause), "{faults:?} gave {error:?}");
        let processed = faults.truncated_json > 0.0;
        assert_eq!(
            sim.record().created.len(),
            usize::from(processed),
            "{faults:?}"
        );
    }
}

#[tokio::test]
async fn a_drop_after_processing_has_created_the_prediction() {
    let faults = Faults::default().drop_after(1.0);
    let sim = start(fast().faults(faults)).await;
    let error = sim
        .client_builder()
        .retry(RetryPolicy::none())
        .build()
        .unwrap()
        .create(IdeogramV2TurboInput::new("x"))
        .await
        .unwrap_err();
    // The create was processed, its answer lost; the lookup's answer is lost too, so a prediction may exist.
    let Error::CreateUncertain { cause, .. } = &error else {
        panic!("{error:?}")
    };
    assert!(
        matches!(cause.as_ref(), Error::Transport { .. }),
        "{error:?}"
    );
    let record = sim.record();
    assert_eq!(record.created.len(), 1);
    assert_eq!(
        record.faults["dropped after processing"], 2,
        "the create and the lookup"
    );
}

#[tokio::test]
async fn dropping_the_simulator_stops_it() {
    let sim = start(fast()).await;
    let client = sim
        .client_builder()
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    client.get("nothing").await.unwrap_err();
    drop(sim);
    tokio::time::sleep(Duration::from_millis(50)).await;
    let error = client.get("nothing").await.unwrap_err();
    assert!(matches!(error, Error::Transport { .. }), "{error:?}");
}

#[tokio::test]
async fn slow_answers_arrive_late_but_whole() {
    let faults = Faults::default()
        .slow(1.0)
        .slow_delay(Duration::from_millis(300));
    let sim = start(fast().faults(faults)).await;
    let started = std::time::Instant::now();
    let prediction = sim
        .client()
        .unwrap()
        .create(IdeogramV2TurboInput::new("x"))
        .await
        .unwrap();
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(prediction.status, PredictionStatus::Starting);
    assert_eq!(sim.record().faults["slow"], 1);
}

/// Raw requests, not the client: a client that was throttled paces its next creates, which would make this
/// check of the simulator's seed wait on the client's governor for minutes.
#[tokio::test]
async fn the_same_seed_gives_the_same_ids_and_fault_pattern() {
    let run = |seed| async move {
        let faults = Faults::default().throttle(0.5);
        let sim = start(fast().faults(faults).seed(seed)).await;
        let mut outcomes = Vec::new();
        for _ in 0..12 {
            let response = create_request(&sim, "x").send().await.expect("an answer");
            let status = response.status().as_u16();
            let body: serde_json::Value = response.json().await.expect("a JSON body");
            outcomes.push(match body["id"].as_str() {
                Some(id) if status == 201 => id.to_string(),
                _ => format!("HTTP {status}"),
            });
        }
        outcomes
    };
    let first = run(42).await;
    assert_eq!(first, run(42).await);
    assert_ne!(first, run(43).await);
    assert!(first.iter().any(|o| o == "HTTP 429") && first.iter().any(|o| !o.starts_with("HTTP")));
}
