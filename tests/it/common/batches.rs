//! Running batches against the simulator as a user's process would: each run a fresh client (claims in
//! memory die with a process), a run killed by dropping its stream while creates are on their way.

use std::{path::Path, time::Duration};

use futures_util::StreamExt;
use replicate_ideogram::{
    Client, Error, ModelInput, RetryPolicy, WaitOptions,
    batch::{BatchReport, Done, Outputs},
};
use replicate_ideogram_simulator::Simulator;

/// A fresh client of `sim` (a new process), trusting the list `settle` after a create.
pub fn client(sim: &Simulator, settle: Duration) -> Client {
    sim.client_builder()
        .list_settle(settle)
        .retry(
            RetryPolicy::default()
                .max_retries(8)
                .initial_backoff(Duration::from_millis(5))
                .max_backoff(Duration::from_millis(100)),
        )
        .wait_options(WaitOptions::fixed(Duration::from_millis(20)))
        .build()
        .unwrap()
}

/// Each item's result by index, and the batch's report, for a batch run to its end into `dir`.
pub type Outcome<O> = (Vec<Result<Done<O>, Error>>, BatchReport);

/// Runs `inputs` to the end into `dir` (files and journal), with `client`.
pub async fn run<I: ModelInput + 'static>(
    client: &Client,
    inputs: Vec<I>,
    dir: &Path,
    retry_failed: bool,
) -> Outcome<I::Output> {
    let n = inputs.len();
    let mut stream = client
        .batch(inputs)
        .concurrency(8)
        .outputs(Outputs::directory(dir))
        .journal(dir.join("journal.jsonl"))
        .retry_failed(retry_failed)
        .start()
        .await
        .unwrap();
    let mut results: Vec<Option<Result<Done<I::Output>, Error>>> = (0..n).map(|_| None).collect();
    while let Some(item) = stream.next().await {
        results[item.index] = Some(item.result);
    }
    let report = stream.report();
    let results = results
        .into_iter()
        .map(|r| r.expect("every item has a result"))
        .collect();
    (results, report)
}

/// Starts `inputs` into `dir` with creates held by the simulator, and kills the run (drops its stream)
/// once it made `made` predictions: their creates were sent, their answers never came.
pub async fn killed_with_creates_held<I: ModelInput + 'static>(
    sim: &Simulator,
    client: &Client,
    inputs: Vec<I>,
    dir: &Path,
    made: usize,
) {
    let before = sim.predictions().len();
    sim.set_hold_creates(true);
    let mut stream = client
        .batch(inputs)
        .concurrency(made)
        .outputs(Outputs::directory(dir))
        .journal(dir.join("journal.jsonl"))
        .start()
        .await
        .unwrap();
    let polled = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            tokio::select! {
                _ = stream.next() => panic!("an item ended while its create was held"),
                _ = tokio::time::sleep(Duration::from_millis(20)) => {}
            }
            if sim.predictions().len() >= before + made {
                break;
            }
        }
    });
    polled.await.expect("the predictions were made");
    drop(stream);
    sim.set_hold_creates(false);
}

/// The prediction ids the simulator made, in order.
pub fn made(sim: &Simulator) -> Vec<String> {
    sim.record().created.iter().map(|c| c.id.clone()).collect()
}

/// The input the simulator stored for prediction `id`.
pub fn input_of(sim: &Simulator, id: &str) -> serde_json::Value {
    sim.predictions()
        .into_iter()
        .find(|p| p["id"] == id)
        .map(|p| p["input"].clone())
        .unwrap_or_default()
}
