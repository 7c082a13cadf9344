//! Answers beyond predictions: the account, uploads that expire, and the wording of throttles.

use std::time::Duration;

use chrono::DateTime;
use replicate_ideogram_simulator::{Bucket, Faults, ServerLimits};
use serde_json::{Value, json};

use crate::common;
use common::{api, fast, get_json, start};

#[tokio::test]
async fn the_account_answers_with_the_token_and_refuses_without() {
    let sim = start(
        fast()
            .path_prefix("/replicate/v1")
            .account_username("alice"),
    )
    .await;
    let (status, account) = get_json(&sim, "/account").await;
    assert_eq!(status, 200);
    assert_eq!(
        account,
        json!({"type": "user", "username": "alice", "name": "Replicate simulator", "github_url": null})
    );
    let stranger = reqwest::get(format!("{}/account", sim.base_url()))
        .await
        .unwrap();
    assert_eq!(stranger.status(), 401);
    let record = sim.record();
    assert_eq!(record.requests_to("GET /account"), 2);
    assert_eq!(record.unauthorized, 1);

    let default = start(fast()).await;
    assert_eq!(
        get_json(&default, "/account").await.1["username"],
        "simulator"
    );
}

#[tokio::test]
async fn uploads_expire_a_day_after_they_were_made() {
    let sim = start(fast()).await;
    let form = reqwest::multipart::Form::new().part(
        "content",
        reqwest::multipart::Part::bytes(b"hello".to_vec())
            .file_name("hello.txt")
            .mime_str("text/plain")
            .unwrap(),
    );
    let uploaded: Value = api(&sim, reqwest::Method::POST, "/files")
        .multipart(form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let time = |value: &Value| DateTime::parse_from_rfc3339(value.as_str().unwrap()).unwrap();
    let (created, expires) = (time(&uploaded["created_at"]), time(&uploaded["expires_at"]));
    assert_eq!(expires - created, chrono::TimeDelta::hours(24));
    for stamp in [&uploaded["created_at"], &uploaded["expires_at"]] {
        let text = stamp.as_str().unwrap();
        let millis = text.len() == "2026-01-01T00:00:00.000Z".len() && text.ends_with('Z');
        assert!(millis && text.as_bytes()[19] == b'.', "{text}");
    }
    assert_eq!(
        uploaded["checksums"]["sha256"],
        "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
    );
    assert_eq!(
        (&uploaded["size"], &uploaded["content_type"]),
        (&json!(5), &json!("text/plain"))
    );

    tokio::time::sleep(Duration::from_millis(20)).await;
    let id = uploaded["id"].as_str().unwrap();
    let (status, again) = get_json(&sim, &format!("/files/{id}")).await;
    assert_eq!(status, 200);
    assert_eq!(
        again["created_at"], uploaded["created_at"],
        "the upload's moment, not the get's"
    );
    assert_eq!(again["expires_at"], uploaded["expires_at"]);
}

/// The 429's `Retry-After` header (if any) and its body's `detail`.
async fn throttled(response: reqwest::Response) -> (Option<String>, Value) {
    assert_eq!(response.status(), 429);
    let retry_after = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_string());
    let body: Value = response.json().await.unwrap();
    (retry_after, body["detail"].clone())
}

#[tokio::test]
async fn a_throttle_can_say_a_fraction_of_a_second_and_omit_retry_after() {
    let detail = "Request was throttled. Expected available in 0.5 seconds.";
    let faults = Faults::default()
        .throttle(1.0)
        .throttle_detail(detail)
        .omit_retry_after(true);
    let sim = start(fast().faults(faults)).await;
    let response = api(&sim, reqwest::Method::GET, "/predictions/x")
        .send()
        .await
        .unwrap();
    assert_eq!(throttled(response).await, (None, json!(detail)));

    let plain = Faults::default()
        .throttle(1.0)
        .retry_after(Duration::from_secs(2));
    let sim = start(fast().faults(plain)).await;
    let response = api(&sim, reqwest::Method::GET, "/predictions/x")
        .send()
        .await
        .unwrap();
    assert_eq!(
        throttled(response).await,
        (
            Some("2".into()),
            json!("Request was throttled. Expected available in 2 seconds.")
        )
    );
}

#[tokio::test]
async fn the_rate_limits_429_takes_the_same_wording() {
    let detail = "Request was throttled. Expected available in 0.25 seconds.";
    let faults = Faults::default()
        .throttle_detail(detail)
        .omit_retry_after(true);
    let limits = ServerLimits::none().others(Bucket::new(1.0, 1));
    let sim = start(fast().faults(faults).rate_limits(limits)).await;
    let first = api(&sim, reqwest::Method::GET, "/predictions/x")
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), 404, "the bucket's one token");
    let second = api(&sim, reqwest::Method::GET, "/predictions/x")
        .send()
        .await
        .unwrap();
    assert_eq!(throttled(second).await, (None, json!(detail)));
    assert_eq!(sim.record().faults.len(), 0, "a limit, not a fault");
}
