//! Two processes (two `Client`s, sharing nothing) sending the same inputs at once while a quarter of the
//! create answers are lost: each lost create finds its own prediction, none is paid for and given to no one.

use crate::common;

use std::{collections::HashSet, time::Duration};

use common::capture_logs;
use futures_util::future::join_all;
use replicate_ideogram::{Client, Error, RetryPolicy, WaitOptions, models::IdeogramV2TurboInput};
use replicate_ideogram_simulator::{Faults, Simulator, SimulatorConfig};

fn process(sim: &Simulator) -> Client {
    sim.client_builder()
        .retry(
            RetryPolicy::default()
                .max_retries(8)
                .initial_backoff(Duration::from_millis(5))
                .max_backoff(Duration::from_millis(100)),
        )
        .wait_options(WaitOptions::fixed(Duration::from_millis(10)))
        .build()
        .unwrap()
}

async fn send_all(client: &Client, prompts: &[String]) -> Vec<Result<String, Error>> {
    join_all(prompts.iter().map(|prompt| async move {
        client
            .create(IdeogramV2TurboInput::new(prompt.as_str()))
            .await
            .map(|p| p.id)
    }))
    .await
}

#[tokio::test]
async fn two_processes_with_lost_answers_orphan_nothing_and_adopt_no_failure() {
    // The warn events naming predictions that could not be told apart.
    let (captured, _guard) = capture_logs(tracing::Level::WARN);

    let config = SimulatorConfig::default()
        .timings(Duration::from_millis(20), Duration::from_millis(60))
        .faults(Faults::default().drop_after(0.25))
        .seed(11);
    let sim = Simulator::start(config).await.unwrap();
    let prompts: Vec<String> = (0..20).map(|i| format!("the same picture {i}")).collect();
    let (first, second) = (process(&sim), process(&sim));
    let (a, b) = tokio::join!(send_all(&first, &prompts), send_all(&second, &prompts));

    let record = sim.record();
    assert!(
        record.faults["dropped after processing"] >= 5,
        "answers were lost: {:?}",
        record.faults
    );
    let delivered = |results: &[Result<String, Error>]| -> HashSet<String> {
        results
            .iter()
            .filter_map(|r| r.as_ref().ok().cloned())
            .collect()
    };
    let (to_a, to_b) = (delivered(&a), delivered(&b));
    // No failed or canceled prediction is ever handed over, and nothing else may fail here.
    let errors: Vec<String> = a
        .iter()
        .chain(&b)
        .filter_map(|r| r.as_ref().err().map(ToString::to_string))
        .collect();
    assert!(errors.is_empty(), "creates failed: {errors:?}");
    let log = captured.text();
    let unaccounted: Vec<&str> = record
        .created
        .iter()
        .map(|c| c.id.as_str())
        .filter(|id| !to_a.contains(*id) && !to_b.contains(*id) && !log.contains(id))
        .collect();
    assert!(
        unaccounted.is_empty(),
        "created, delivered to no one and named nowhere: {unaccounted:?}"
    );
    let shared = to_a.intersection(&to_b).count();
    let named = record
        .created
        .iter()
        .filter(|c| !to_a.contains(&c.id) && !to_b.contains(&c.id))
        .count();
    println!(
        "{} predictions created for 40 creates; delivered to both processes: {shared}; named in a warning: {named}",
        record.created.len()
    );
    // Each process got 20 distinct predictions of its own inputs.
    assert_eq!(to_a.len(), 20);
    assert_eq!(to_b.len(), 20);
}
