//! Outputs a client must cope with: removed after their expiry (or on demand), and literal JSON outputs a
//! prompt asks for.

use std::time::{Duration, Instant};

use replicate_ideogram::models::IdeogramV2TurboInput;
use replicate_ideogram_simulator::{Simulator, SimulatorConfig};
use serde_json::{Value, json};

use crate::common;
use common::{create_request, eventually, fast, get_json, start};

/// The delivery host's status for `url`, fetched without the token.
async fn delivery_status(url: &str) -> u16 {
    reqwest::get(url).await.unwrap().status().as_u16()
}

/// The prediction `id` as a get and as the list show it.
async fn got_and_listed(sim: &Simulator, id: &str) -> (Value, Value) {
    let (_, got) = get_json(sim, &format!("/predictions/{id}")).await;
    let (_, list) = get_json(sim, "/predictions").await;
    let listed = list["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == id)
        .cloned()
        .expect("listed");
    (got, listed)
}

#[tokio::test]
async fn removing_outputs_empties_finished_predictions_and_their_files() {
    let sim = start(
        SimulatorConfig::default().timings(Duration::from_millis(10), Duration::from_millis(800)),
    )
    .await;
    let client = sim.client().unwrap();
    let done = client
        .run(IdeogramV2TurboInput::new("kept an hour"))
        .prediction()
        .await
        .unwrap();
    let url = done.output.as_ref().unwrap().as_str().unwrap().to_string();
    assert_eq!(delivery_status(&url).await, 200);
    let running = client
        .create(IdeogramV2TurboInput::new("still running"))
        .await
        .unwrap();

    assert_eq!(sim.remove_outputs(), 1, "only the finished one");
    let (got, listed) = got_and_listed(&sim, &done.id).await;
    for answer in [&got, &listed] {
        assert_eq!(answer["status"], "succeeded");
        assert_eq!(answer["output"], Value::Null, "{answer}");
        assert_eq!(answer["data_removed"], true, "{answer}");
    }
    assert_eq!(delivery_status(&url).await, 404);

    let later = client.wait(&running.id).await.unwrap();
    let (got, _) = got_and_listed(&sim, &later.id).await;
    assert_eq!(got["data_removed"], false);
    assert_eq!(delivery_status(got["output"].as_str().unwrap()).await, 200);
}

#[tokio::test]
async fn outputs_expire_after_the_configured_time() {
    // Long enough that the checks made before it (three requests) are done in time on a loaded machine.
    let expiry = Duration::from_secs(3);
    let sim = start(fast().output_expiry(Some(expiry))).await;
    let started = Instant::now();
    let done = sim
        .client()
        .unwrap()
        .run(IdeogramV2TurboInput::new("short-lived"))
        .prediction()
        .await
        .unwrap();
    let url = done.output.as_ref().unwrap().as_str().unwrap().to_string();
    let (got, _) = got_and_listed(&sim, &done.id).await;
    assert_eq!(
        (&got["output"], &got["data_removed"]),
        (&json!(url), &json!(false))
    );
    assert_eq!(delivery_status(&url).await, 200);

    assert!(eventually(|| sim.predictions()[0]["data_removed"] == true).await);
    assert!(
        started.elapsed() >= expiry,
        "removed no earlier than the expiry"
    );
    let (got, listed) = got_and_listed(&sim, &done.id).await;
    assert_eq!(
        (&got["output"], &listed["output"]),
        (&Value::Null, &Value::Null)
    );
    assert_eq!(listed["data_removed"], true);
    assert_eq!(delivery_status(&url).await, 404);
}

#[tokio::test]
async fn a_prompt_asks_for_a_literal_output() {
    let sim = start(fast()).await;
    let cases = [
        ("a cat [output=[]]", json!([])),
        ("[output={}]", json!({})),
        ("two [output=[null,5]] things", json!([null, 5])),
        ("[output=null]", Value::Null),
        (
            r#"[output={"url": "]", "n": [1]}]"#,
            json!({"url": "]", "n": [1]}),
        ),
    ];
    for (prompt, _) in &cases {
        assert_eq!(
            create_request(&sim, prompt).send().await.unwrap().status(),
            201
        );
    }
    assert_eq!(
        create_request(&sim, "[output=nope]")
            .send()
            .await
            .unwrap()
            .status(),
        201
    );
    let all_done = || sim.predictions().iter().all(|p| p["status"] == "succeeded");
    assert!(eventually(all_done).await);

    let predictions = sim.predictions();
    for ((prompt, expected), prediction) in cases.iter().zip(&predictions) {
        assert_eq!(&prediction["output"], expected, "{prompt}");
    }
    let ignored = &predictions[cases.len()]["output"];
    assert!(
        ignored.as_str().is_some_and(|u| u.ends_with(".png")),
        "{ignored}"
    );
}
