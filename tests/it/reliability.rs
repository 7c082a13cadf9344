//! Money and secrets under faults: the simulator's fault mix against many runs.
//!
//! `RELIABILITY_RUNS` sets the size of the big run (default 500).

use std::{collections::BTreeMap, collections::HashSet, time::Duration};

use futures_util::{StreamExt, stream};
use replicate_ideogram::{Client, Error, RetryPolicy, WaitOptions, models::IdeogramV2TurboInput};
use replicate_ideogram_simulator::{Faults, Simulator, SimulatorConfig};

/// A client that retries long enough that a run of the matrix fails only if a retry path is broken: with
/// two requests in five faulted, sixteen failed attempts in a row are a one-in-two-million event.
fn sturdy_client(sim: &Simulator) -> Client {
    sim.client_builder()
        .retry(
            RetryPolicy::default()
                .max_retries(15)
                .initial_backoff(Duration::from_millis(5))
                .max_backoff(Duration::from_millis(100)),
        )
        .wait_options(WaitOptions::fixed(Duration::from_millis(10)))
        // The simulator's list shows a prediction at once.
        .list_settle(Duration::from_secs(1))
        .build()
        .unwrap()
}

fn quick_client(sim: &Simulator) -> Client {
    sim.client_builder()
        .retry(
            RetryPolicy::default()
                .max_retries(6)
                .initial_backoff(Duration::from_millis(5))
                .max_backoff(Duration::from_millis(100)),
        )
        .wait_options(WaitOptions::fixed(Duration::from_millis(10)))
        // The simulator's list shows a prediction at once.
        .list_settle(Duration::from_secs(1))
        .build()
        .unwrap()
}

/// The prediction ids of the calls that succeeded, and how many of them are distinct.
fn succeeded(results: &[Result<String, Error>]) -> (Vec<&String>, usize) {
    let ok: Vec<&String> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
    let distinct = ok.iter().collect::<HashSet<_>>().len();
    (ok, distinct)
}

/// Every prediction a create was handed exists on the server, and every other prediction the server made
/// is accounted for by a create that failed saying a prediction may exist (`CreateUncertain`): a create
/// that failed any other way made nothing.
fn assert_no_orphans(
    record: &replicate_ideogram_simulator::Record,
    results: &[Result<String, Error>],
) {
    let made: HashSet<&str> = record.created.iter().map(|c| c.id.as_str()).collect();
    let handed: HashSet<&str> = results
        .iter()
        .filter_map(|r| r.as_ref().ok())
        .map(String::as_str)
        .collect();
    assert!(
        handed.is_subset(&made),
        "a create was handed a prediction the server never made"
    );
    let uncertain = results
        .iter()
        .filter(|r| matches!(r, Err(Error::CreateUncertain { .. })))
        .count();
    let orphans = made.len() - handed.len();
    assert!(
        orphans <= uncertain,
        "{orphans} predictions belong to no create, and only {uncertain} creates said one may exist"
    );
}

/// `count` creates of the same input, `concurrency` at a time; each one's prediction id or error.
async fn create_identical(
    client: &Client,
    prompt: &str,
    count: usize,
    concurrency: usize,
) -> Vec<Result<String, Error>> {
    stream::iter(0..count)
        .map(|_| async move {
            client
                .create(IdeogramV2TurboInput::new(prompt))
                .await
                .map(|p| p.id)
        })
        .buffer_unordered(concurrency)
        .collect()
        .await
}

fn kind(error: &Error) -> String {
    match error {
        Error::Api(api) => format!("api {}", api.status),
        Error::Transport { .. } => "transport".into(),
        Error::Decode { .. } => "decode".into(),
        Error::Timeout { .. } => "timeout".into(),
        Error::CreateUncertain { .. } => "create uncertain".into(),
        Error::PredictionFailed(_) => "prediction failed".into(),
        other => format!("other: {other}"),
    }
}

/// The faults the matrix injects on the API host, by the name the record gives each: every one must be met
/// (and survived) in the run, so that a kind the simulator stops injecting fails the test.
const API_KINDS: [&str; 8] = [
    "429",
    "500",
    "502 html",
    "503",
    "dropped before processing",
    "dropped after processing",
    "truncated json",
    "slow",
];

/// The same for the delivery host (downloads).
const DELIVERY_KINDS: [&str; 8] = [
    "delivery 429",
    "delivery 500",
    "delivery 502 html",
    "delivery 503",
    "delivery dropped before",
    "delivery dropped after",
    "delivery slow",
    "delivery cut short",
];

/// The routes the faults must reach: the create, the polls after it, and the downloads.
const FAULTED_ROUTES: [&str; 3] = [
    "POST /models/{owner}/{name}/predictions",
    "GET /predictions/{id}",
    "delivery GET /files/{name}",
];

/// The standard mix with the kinds it leaves out (500, slow) added.
fn api_faults() -> Faults {
    Faults::standard_mix()
        .server_error(0.02)
        .slow(0.02)
        .slow_delay(Duration::from_millis(20))
}

/// Every kind of fault a download can meet.
fn delivery_faults() -> Faults {
    Faults::default()
        .throttle(0.04)
        .server_error(0.04)
        .bad_gateway_html(0.03)
        .unavailable(0.04)
        .drop_before(0.04)
        .drop_after(0.03)
        .truncated_json(0.03)
        .slow(0.02)
        .slow_delay(Duration::from_millis(20))
}

/// One run of the matrix: a held create (`run`) for even runs, a create without waiting and polls for odd
/// ones (so that polls meet faults), then the download.
async fn one_run(client: &Client, i: usize) -> Result<String, Error> {
    let input = IdeogramV2TurboInput::new(format!("run {i}")).seed(i as i64);
    let prediction = if i.is_multiple_of(2) {
        client
            .run(input)
            .timeout(Duration::from_secs(60))
            .prediction()
            .await?
    } else {
        let created = client.create(input).await?;
        client
            .wait(created.id)
            .timeout(Duration::from_secs(60))
            .send()
            .await?
    };
    let url: String = prediction.output_as()?;
    client.download(&url).bytes().await?;
    Ok(prediction.id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fault_matrix_creates_no_duplicates_and_leaks_no_token() {
    let runs: usize = std::env::var("RELIABILITY_RUNS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(500);
    // Predictions outlast the creates that do not wait, so polls are sent and meet faults.
    let config = SimulatorConfig::default()
        .timings(Duration::from_millis(5), Duration::from_millis(60))
        .faults(api_faults())
        .delivery_faults(delivery_faults())
        .seed(2024);
    let sim = Simulator::start(config).await.unwrap();
    let client = sturdy_client(&sim);

    let outcomes: Vec<Result<String, Error>> = stream::iter(0..runs)
        .map(|i| one_run(&client, i))
        .buffer_unordered(25)
        .collect()
        .await;

    let record = sim.record();
    let (successes, distinct) = succeeded(&outcomes);
    let mut failures: BTreeMap<String, usize> = BTreeMap::new();
    for error in outcomes.iter().filter_map(|o| o.as_ref().err()) {
        *failures.entry(kind(error)).or_default() += 1;
    }
    let duplicates = record.duplicates();
    let leaks = record.delivery_authorization.len();
    let figures = format!(
        "runs={runs} successes={} typed_failures={failures:?} duplicates={duplicates} leaks={leaks} \
         created={} faults={:?} faulted_requests={:?}",
        successes.len(),
        record.created.len(),
        record.faults,
        record.faulted_requests,
    );
    println!("{figures}");
    // CI prints the figures from here rather than running the matrix a second time to see its output.
    let kept = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("fault-matrix.txt");
    std::fs::write(&kept, format!("{figures}\n")).expect("the target's tmp directory is writable");
    assert_eq!(duplicates, 0, "a prediction was created twice");
    assert_eq!(leaks, 0, "the token reached the delivery host");
    assert_eq!(
        distinct,
        successes.len(),
        "two runs returned the same prediction"
    );
    // Every run survived every fault it met; so each kind below was survived, not only injected.
    assert_eq!(successes.len(), runs, "failures: {failures:?}");
    for kind in API_KINDS.iter().chain(&DELIVERY_KINDS) {
        let injected = record.faults.get(*kind).copied().unwrap_or(0);
        assert!(
            injected > 0,
            "no {kind:?} was injected: {:?}",
            record.faults
        );
    }
    for route in FAULTED_ROUTES {
        let met = record.faulted_requests.get(route).copied().unwrap_or(0);
        assert!(
            met > 0,
            "no fault reached {route}: {:?}",
            record.faulted_requests
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identical_inputs_sent_on_purpose_give_distinct_predictions() {
    let config = SimulatorConfig::default()
        .timings(Duration::from_millis(5), Duration::from_millis(20))
        .faults(Faults::default().drop_after(0.3).truncated_json(0.1))
        .seed(7);
    let sim = Simulator::start(config).await.unwrap();
    let client = quick_client(&sim);
    let ids: Vec<Result<String, Error>> =
        create_identical(&client, "the same every time", 40, 8).await;
    let (ok, distinct) = succeeded(&ids);
    let record = sim.record();
    println!(
        "creates={} ok={} created={} faults={:?}",
        ids.len(),
        ok.len(),
        record.created.len(),
        record.faults
    );
    assert_eq!(distinct, ok.len(), "a prediction was handed to two creates");
    assert!(
        ok.len() >= 38,
        "{} of 40 creates succeeded: {ids:?}",
        ok.len()
    );
    // Every prediction the server made belongs to exactly one create, except those of creates that said a
    // prediction may exist.
    assert_no_orphans(&record, &ids);
    assert!(record.faults["dropped after processing"] > 0);
}

#[tokio::test]
async fn an_unknown_outcome_is_resolved_by_adopting_not_resending() {
    let config = SimulatorConfig::default()
        .timings(Duration::from_millis(5), Duration::from_millis(20))
        .faults(Faults::default().drop_after(1.0))
        .seed(3);
    let sim = Simulator::start(config).await.unwrap();
    // Every request is dropped after processing, so the lookup fails too: a prediction may exist.
    let error = quick_client(&sim)
        .create(IdeogramV2TurboInput::new("lost"))
        .await
        .unwrap_err();
    assert!(matches!(error, Error::CreateUncertain { .. }), "{error:?}");
    assert!(
        error.to_string().contains("may have been created"),
        "{error}"
    );
    assert_eq!(
        sim.record().created.len(),
        1,
        "the create was not sent again"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identical_inputs_at_steady_concurrency_never_share_a_prediction() {
    let config = SimulatorConfig::default()
        .timings(Duration::from_millis(5), Duration::from_millis(20))
        .faults(
            Faults::default()
                .drop_after(0.15)
                .unavailable(0.1)
                .truncated_json(0.05),
        )
        .seed(11);
    let sim = Simulator::start(config).await.unwrap();
    let client = quick_client(&sim);
    let results: Vec<Result<String, Error>> =
        create_identical(&client, "one prompt for all", 200, 16).await;
    let (ok, distinct) = succeeded(&results);
    let record = sim.record();
    let failed = results.len() - ok.len();
    println!(
        "creates=200 ok={} failed={failed} created={} faults={:?}",
        ok.len(),
        record.created.len(),
        record.faults
    );
    assert_eq!(
        distinct,
        ok.len(),
        "two creates were handed the same prediction"
    );
    assert!(ok.len() >= 190, "{} of 200 succeeded", ok.len());
    assert_no_orphans(&record, &results);
}
