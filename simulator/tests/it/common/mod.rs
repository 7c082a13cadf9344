//! What every test file here starts from: a simulator, with fast timings.
#![allow(dead_code)]

use std::time::Duration;

use replicate_ideogram_simulator::{Simulator, SimulatorConfig};

pub async fn start(config: SimulatorConfig) -> Simulator {
    Simulator::start(config)
        .await
        .expect("the simulator starts")
}

pub fn fast() -> SimulatorConfig {
    SimulatorConfig::default().timings(Duration::from_millis(20), Duration::from_millis(60))
}

/// A request to the API under the simulator's base, with its token.
pub fn api(sim: &Simulator, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
    reqwest::Client::new()
        .request(method, format!("{}{path}", sim.base_url()))
        .bearer_auth(sim.token())
}

/// A GET of `path` under the API's base, with the token: the status and the JSON body.
pub async fn get_json(sim: &Simulator, path: &str) -> (u16, serde_json::Value) {
    let response = api(sim, reqwest::Method::GET, path)
        .send()
        .await
        .expect("an answer");
    let status = response.status().as_u16();
    (status, response.json().await.expect("a JSON body"))
}

/// A create of ideogram-v2-turbo with `prompt`, sent without `Prefer` (answered at once unless held).
pub fn create_request(sim: &Simulator, prompt: &str) -> reqwest::RequestBuilder {
    api(
        sim,
        reqwest::Method::POST,
        "/models/ideogram-ai/ideogram-v2-turbo/predictions",
    )
    .json(&serde_json::json!({"input": {"prompt": prompt}}))
}

/// Waits (up to 10 s) until `done` holds, checking every 10 ms; whether it did.
pub async fn eventually(mut done: impl FnMut() -> bool) -> bool {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while std::time::Instant::now() < deadline {
        if done() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    done()
}
