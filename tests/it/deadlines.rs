//! Deadlines and cancellation: the overall deadline wins over waits and retries, a missed deadline can cancel
//! the prediction on the server, and dropping a run leaves nothing running.

use crate::common;

use std::time::{Duration, Instant};

use replicate_ideogram::{Error, PredictionStatus, WaitOptions, models::IdeogramV2TurboInput};
use replicate_ideogram_simulator::{Simulator, SimulatorConfig};

use wiremock::{
    Mock, ResponseTemplate,
    matchers::{method, path},
};

async fn slow_simulator() -> Simulator {
    let config =
        SimulatorConfig::default().timings(Duration::from_millis(10), Duration::from_secs(60));
    Simulator::start(config).await.unwrap()
}

#[tokio::test]
async fn a_missed_deadline_can_cancel_the_prediction_on_the_server() {
    let sim = slow_simulator().await;
    let client = sim
        .client_builder()
        .wait_options(WaitOptions::fixed(Duration::from_millis(20)))
        .build()
        .unwrap();
    // Two seconds: time enough, even on a loaded machine, for the create to answer and name the prediction.
    let timed_out = |prompt: &'static str, cancel: bool| {
        let client = &client;
        async move {
            let error = client
                .run(IdeogramV2TurboInput::new(prompt))
                .timeout(Duration::from_secs(2))
                .cancel_on_timeout(cancel)
                .await
                .unwrap_err();
            let Error::Timeout {
                prediction_id: Some(id),
                ..
            } = &error
            else {
                panic!("{error:?}")
            };
            client.get(id).await.unwrap().status
        }
    };
    assert_eq!(
        timed_out("too slow", true).await,
        PredictionStatus::Canceled
    );
    assert_eq!(
        timed_out("too slow, left running", false).await,
        PredictionStatus::Processing
    );

    let created = client
        .create(IdeogramV2TurboInput::new("waited for"))
        .await
        .unwrap();
    let error = client
        .wait(&created.id)
        .timeout(Duration::from_millis(200))
        .cancel_on_timeout(true)
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Timeout { .. }), "{error:?}");
    assert_eq!(
        client.get(&created.id).await.unwrap().status,
        PredictionStatus::Canceled
    );
}

#[tokio::test]
async fn dropping_a_run_leaves_nothing_running() {
    let sim = slow_simulator().await;
    let client = sim
        .client_builder()
        .wait_options(WaitOptions::fixed(Duration::from_millis(10)))
        .build()
        .unwrap();
    let run = client
        .run(IdeogramV2TurboInput::new("abandoned"))
        .prefer_wait(Duration::from_secs(1));
    let polls = || sim.record().requests_to("GET /predictions/{id}");
    // Dropped once it polls (not at a fixed time, which a loaded machine may reach before the first poll).
    let polling = async {
        while polls() == 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    };
    tokio::select! {
        result = run => panic!("the run ended: {result:?}"),
        () = polling => {}
        () = tokio::time::sleep(Duration::from_secs(30)) => panic!("no poll in 30 s"),
    }
    // A request written just before the drop may still be on its way to the server: let it land first (the
    // count holds still for 150 ms).
    let mut landed = polls();
    loop {
        tokio::time::sleep(Duration::from_millis(150)).await;
        let now = polls();
        if now == landed {
            break;
        }
        landed = now;
    }
    let polls = landed;
    // At one poll every 10 ms, anything still polling would show here.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        sim.record().requests_to("GET /predictions/{id}"),
        polls,
        "something kept polling after the drop"
    );
}

#[tokio::test]
async fn no_retry_outlives_the_deadline() {
    let server = common::server().await;
    Mock::given(method("GET"))
        .and(path(format!("{}/predictions/p", common::PREFIX)))
        .respond_with(ResponseTemplate::new(503).insert_header("retry-after", "5"))
        .mount(&server)
        .await;
    let client = replicate_ideogram::Client::builder()
        .token(common::TOKEN)
        .base_url(format!("{}{}", server.uri(), common::PREFIX))
        .build()
        .unwrap();
    let started = Instant::now();
    let error = client
        .wait("p")
        .timeout(Duration::from_millis(300))
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Timeout { .. }), "{error:?}");
    // Well under the 5 s a retry would wait, with room for a loaded machine.
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
}
