//! `ideogram simulate`: the simulator the CLI starts takes a rate limit and slow predictions, seen over raw
//! HTTP, and refuses a limit with no burst. The simulator's own rate limits are tested in its crate.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::{
    cli_support::{simulate, simulate_record},
    throttled::assert_throttled,
};

#[tokio::test]
async fn ideogram_simulate_takes_a_rate_limit_and_slow_predictions() {
    let (mut child, announced) =
        simulate(&["--rate-limit", "6:2,6:5", "--processing-ms", "20000"]).await;
    let (base_url, token) = (
        announced["base_url"].as_str().unwrap(),
        announced["token"].as_str().unwrap(),
    );
    let http = reqwest::Client::new();
    let create = || {
        http.post(format!(
            "{base_url}/models/ideogram-ai/ideogram-v2-turbo/predictions"
        ))
        .bearer_auth(token)
        .json(&json!({"input": {"prompt": "slow"}}))
        .send()
    };
    let created: Value = create().await.unwrap().json().await.unwrap();
    assert_eq!(create().await.unwrap().status(), StatusCode::CREATED);
    assert_throttled(create().await.unwrap()).await;

    tokio::time::sleep(Duration::from_secs(1)).await;
    let id = created["id"].as_str().unwrap();
    let now: Value = http
        .get(format!("{base_url}/predictions/{id}"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(now["status"], "processing", "20 s of processing: {now}");

    let record = simulate_record(&announced).await;
    assert_eq!(record["throttled_creates"], 1, "{record}");
    assert_eq!(record["created"].as_array().unwrap().len(), 2, "{record}");
    child.kill().await.unwrap();

    let refused = tokio::process::Command::new(env!("CARGO_BIN_EXE_ideogram"))
        .args(["simulate", "--rate-limit", "60:0"])
        .output()
        .await
        .unwrap();
    assert_eq!(refused.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("burst of at least 1"), "{stderr}");
}
