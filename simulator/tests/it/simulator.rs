//! The client end to end against the built-in simulator: real HTTP on loopback, no mocks of our own calls.

use std::time::Duration;

use futures_util::TryStreamExt;
use replicate_ideogram::{
    Error, JsonInput, PredictionStatus, Target, WaitOptions, WebhookEvent,
    models::{AspectRatio, IdeogramV2TurboInput},
};
use replicate_ideogram_simulator::SimulatorConfig;

use serde_json::json;

use crate::common;
use common::{fast, start};

#[tokio::test]
async fn run_creates_waits_and_downloads_a_real_png() {
    let sim = start(fast()).await;
    let client = sim.client().unwrap();
    let input =
        IdeogramV2TurboInput::new("a gold running shoe").aspect_ratio(AspectRatio::Ratio16x9);
    let url = client.run(input).await.unwrap();
    assert!(url.starts_with(&sim.delivery_url()), "{url}");
    let png = client.download(&url).bytes().await.unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");

    let record = sim.record();
    assert_eq!(record.created.len(), 1);
    assert_eq!(record.created[0].input["aspect_ratio"], "16:9");
    assert_eq!(
        record.requests_to("POST /models/{owner}/{name}/predictions"),
        1
    );
    assert_eq!(
        record.requests_to("GET /predictions/{id}"),
        0,
        "finished inside the sync wait"
    );
    assert!(
        record.delivery_authorization.is_empty(),
        "{:?}",
        record.delivery_authorization
    );
}

#[tokio::test]
async fn the_lifecycle_is_visible_when_polling() {
    let sim = start(
        SimulatorConfig::default().timings(Duration::from_millis(50), Duration::from_millis(1000)),
    )
    .await;
    let client = sim.client().unwrap();
    let created = client
        .create(IdeogramV2TurboInput::new("a fox").seed(7))
        .await
        .unwrap();
    assert_eq!(created.status, PredictionStatus::Starting);
    assert_eq!(created.logs.as_deref(), Some(""));
    tokio::time::sleep(Duration::from_millis(150)).await;
    let running = client.get(&created.id).await.unwrap();
    assert_eq!(running.status, PredictionStatus::Processing);
    assert!(
        running
            .logs
            .as_deref()
            .unwrap()
            .starts_with("Using seed: 7")
    );
    let done = client.wait(&created.id).await.unwrap();
    assert!(done.logs.as_deref().unwrap().contains("Prompt used: a fox"));
    assert!(done.predict_time().unwrap() >= Duration::from_millis(900));
    assert!(done.started_at.unwrap() < done.completed_at.unwrap());
}

#[tokio::test]
async fn a_proxy_with_a_prefix_and_foreign_urls() {
    let sim = start(
        fast()
            .path_prefix("/replicate/v1")
            .foreign_urls(true)
            .page_size(2),
    )
    .await;
    assert!(sim.base_url().ends_with("/replicate/v1"));
    let client = sim.client().unwrap();
    let mut ids = Vec::new();
    for i in 0..5 {
        let p = client
            .create(IdeogramV2TurboInput::new(format!("image {i}")))
            .await
            .unwrap();
        assert!(
            p.urls
                .get
                .as_deref()
                .unwrap()
                .starts_with("https://api.replicate.com/v1/predictions/")
        );
        ids.push(p.id);
    }
    let done = client.wait(&ids[0]).await.unwrap();
    assert_eq!(done.status, PredictionStatus::Succeeded);
    let listed: Vec<String> = client
        .list()
        .stream()
        .map_ok(|p| p.id)
        .try_collect()
        .await
        .unwrap();
    ids.reverse();
    assert_eq!(listed, ids, "newest first, across three pages");
    assert_eq!(sim.record().requests_to("GET /predictions"), 3);
}

#[tokio::test]
async fn list_filters_by_creation_time() {
    let sim = start(fast()).await;
    let client = sim.client().unwrap();
    let old = client
        .create(IdeogramV2TurboInput::new("old"))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(20)).await;
    let cut = chrono::Utc::now();
    let new = client
        .create(IdeogramV2TurboInput::new("new"))
        .await
        .unwrap();
    let after: Vec<String> = client
        .list()
        .created_after(cut)
        .stream()
        .map_ok(|p| p.id)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(after, [new.id]);
    let before: Vec<String> = client
        .list()
        .created_before(cut)
        .stream()
        .map_ok(|p| p.id)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(before, [old.id]);
}

#[tokio::test]
async fn a_wrong_token_is_401_and_the_token_scheme_is_accepted() {
    let sim = start(fast()).await;
    let stranger = sim.client_builder().token("r8_wrong").build().unwrap();
    let error = stranger.get("x").await.unwrap_err();
    assert_eq!(error.status(), Some(401));
    assert!(error.to_string().contains("Unauthenticated"), "{error}");
    assert_eq!(sim.record().unauthorized, 1);

    let response = reqwest::Client::new()
        .get(format!("{}/webhooks/default/secret", sim.base_url()))
        .header("authorization", format!("Token {}", sim.token()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn the_simulator_validates_inputs_it_receives() {
    let sim = start(fast()).await;
    let client = sim.client().unwrap();
    // The client leaves the input of a create by version to the server (a version may differ from the
    // types), so the server's own check answers. `owner/name` alone runs the latest version.
    let input = JsonInput::new(
        Target::version("ideogram-ai/ideogram-v2-turbo"),
        json!({"prompt": "p", "aspect_ratio": "17:9"}),
    );
    let error = client.create(input).await.unwrap_err();
    let Error::Api(api) = &error else {
        panic!("{error:?}")
    };
    assert_eq!(api.status, 422);
    assert_eq!(api.invalid_fields[0].field, "input.aspect_ratio");
    assert!(
        api.invalid_fields[0].description.contains("17:9"),
        "{error}"
    );

    let missing = JsonInput::new(
        Target::version("ideogram-ai/ideogram-v2-turbo"),
        json!({"seed": 1}),
    );
    let error = client.create(missing).await.unwrap_err();
    assert!(error.to_string().contains("input.prompt"), "{error}");

    let unknown = JsonInput::new(Target::model("someone/else"), json!({"prompt": "p"}));
    assert_eq!(
        client.create(unknown).await.unwrap_err().status(),
        Some(404)
    );
    assert!(sim.record().created.is_empty());
}

#[tokio::test]
async fn versions_and_deployments_create_too() {
    let sim = start(fast()).await;
    let client = sim.client().unwrap();
    let hash = "fbb188a06a69327a5daa9d82162b31528823d918705aefeeebd17856f856cfac";
    let by_version = JsonInput::new(Target::version(hash), json!({"prompt": "p"}));
    let p = client.run(by_version).prediction().await.unwrap();
    assert_eq!(p.version.as_deref(), Some(hash));
    let by_deployment = JsonInput::new(Target::deployment("acme/painter"), json!({"prompt": "p"}));
    let p = client.run(by_deployment).prediction().await.unwrap();
    assert_eq!(p.deployment.as_deref(), Some("acme/painter"));
    let bad = JsonInput::new(
        Target::version("nobody/nothing:123"),
        json!({"prompt": "p"}),
    );
    assert_eq!(client.create(bad).await.unwrap_err().status(), Some(422));
}

#[tokio::test]
async fn failures_on_demand_carry_the_error_and_logs() {
    let sim = start(fast()).await;
    let error = sim
        .client()
        .unwrap()
        .run(IdeogramV2TurboInput::new("please [fail]"))
        .await
        .unwrap_err();
    let Error::PredictionFailed(prediction) = &error else {
        panic!("{error:?}")
    };
    assert!(prediction.error_message().unwrap().contains("[fail]"));
    assert!(
        error.to_string().contains("Image generation took"),
        "{error}"
    );
}

#[tokio::test]
async fn a_short_sync_wait_then_polling_finishes() {
    let sim = start(
        SimulatorConfig::default().timings(Duration::from_millis(10), Duration::from_millis(1500)),
    )
    .await;
    let client = sim
        .client_builder()
        .wait_options(WaitOptions::fixed(Duration::from_millis(50)))
        .build()
        .unwrap();
    let url = client
        .run(IdeogramV2TurboInput::new("slow"))
        .prefer_wait(Duration::from_secs(1))
        .await
        .unwrap();
    assert!(url.ends_with(".png"));
    let record = sim.record();
    assert_eq!(
        record.requests_to("POST /models/{owner}/{name}/predictions"),
        1
    );
    assert!(record.requests_to("GET /predictions/{id}") >= 1);
}

#[tokio::test]
async fn cancel_ends_in_canceled() {
    let sim = start(
        SimulatorConfig::default().timings(Duration::from_millis(10), Duration::from_secs(30)),
    )
    .await;
    let client = sim.client().unwrap();
    let created = client
        .create(IdeogramV2TurboInput::new("long"))
        .await
        .unwrap();
    let canceled = client.cancel(&created.id).await.unwrap();
    assert_eq!(canceled.status, PredictionStatus::Canceled);
    let error = client.wait(&created.id).await.unwrap_err();
    assert!(matches!(error, Error::PredictionCanceled(_)), "{error:?}");
}

#[tokio::test]
async fn cancel_after_aborts_a_prediction_that_never_started() {
    let sim =
        start(SimulatorConfig::default().timings(Duration::from_secs(30), Duration::from_secs(1)))
            .await;
    let client = sim.client().unwrap();
    let error = client
        .run(IdeogramV2TurboInput::new("queued forever"))
        .cancel_after(Duration::from_secs(5))
        .prefer_wait(Duration::from_secs(1))
        .timeout(Duration::from_secs(20))
        .await
        .unwrap_err();
    let Error::PredictionAborted(prediction) = &error else {
        panic!("{error:?}")
    };
    assert!(prediction.deadline.is_some());
    assert!(prediction.started_at.is_none());
}

#[tokio::test]
async fn webhooks_arrive_signed() {
    use wiremock::{Mock, MockServer, ResponseTemplate, matchers::method};
    let receiver = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&receiver)
        .await;
    let sim = start(fast()).await;
    let client = sim.client().unwrap();
    client
        .run(IdeogramV2TurboInput::new("hooked"))
        .webhook(format!("{}/hook", receiver.uri()))
        .webhook_events([WebhookEvent::Start, WebhookEvent::Completed])
        .await
        .unwrap();
    let mut received = Vec::new();
    for _ in 0..100 {
        received = receiver.received_requests().await.unwrap();
        if received.len() >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(received.len(), 2, "start and completed");
    for request in &received {
        for name in ["webhook-id", "webhook-timestamp", "webhook-signature"] {
            assert!(request.headers.contains_key(name), "missing {name}");
        }
        let verified = replicate_ideogram::WebhookVerifier::new(sim.webhook_secret())
            .unwrap()
            .verify(&request.headers, &request.body);
        assert!(verified.is_ok(), "{verified:?}");
    }
    let last: serde_json::Value = serde_json::from_slice(&received[1].body).unwrap();
    assert_eq!(last["status"], "succeeded");
    assert_eq!(sim.record().webhooks_sent, 2);
}

#[tokio::test]
async fn the_token_does_not_follow_a_redirect_to_the_delivery_host() {
    let sim = start(fast()).await;
    let client = sim.client().unwrap();
    let url = client.run(IdeogramV2TurboInput::new("x")).await.unwrap();
    let name = url.rsplit('/').next().unwrap();
    let through_api = format!("{}/files/{name}", sim.base_url());
    let png = client.download(&through_api).bytes().await.unwrap();
    assert_eq!(&png[..4], b"\x89PNG");
    let record = sim.record();
    assert_eq!(
        record.requests_to("GET /files/{name}"),
        1,
        "the API host was asked, with the token"
    );
    assert_eq!(record.unauthorized, 0);
    assert!(
        record.delivery_authorization.is_empty(),
        "{:?}",
        record.delivery_authorization
    );
}

#[tokio::test]
async fn the_record_counts_connections_and_notification_lag() {
    let sim = start(fast()).await;
    let client = sim.client().unwrap();
    for i in 0..10 {
        client
            .run(IdeogramV2TurboInput::new(format!("image {i}")))
            .await
            .unwrap();
    }
    let record = sim.record();
    assert_eq!(record.connections, 1, "one pooled connection for ten runs");
    assert_eq!(
        record.notification_lags.len(),
        10,
        "one lag per finished prediction"
    );
    // Inside the sync window the held create answers as soon as the prediction finishes.
    assert!(
        record
            .notification_lags
            .iter()
            .all(|lag| *lag < Duration::from_secs(1)),
        "{:?}",
        record.notification_lags
    );
    // Reading a finished prediction again is no new notification.
    client.get(&record.created[0].id).await.unwrap();
    assert_eq!(sim.record().notification_lags.len(), 10);
}

#[tokio::test]
async fn processing_times_vary_within_the_configured_range() {
    let config = SimulatorConfig::default()
        .timings(Duration::ZERO, Duration::from_millis(100))
        .processing_up_to(Duration::from_millis(400));
    let sim = start(config).await;
    let client = sim.client().unwrap();
    let mut times = Vec::new();
    for i in 0..8 {
        let input = IdeogramV2TurboInput::new(format!("image {i}")).seed(i);
        let prediction = client.run(input).prediction().await.unwrap();
        times.push(prediction.predict_time().expect("a predict time"));
    }
    assert!(
        times
            .iter()
            .all(|t| (Duration::from_millis(100)..=Duration::from_millis(400)).contains(t)),
        "{times:?}"
    );
    assert!(times.iter().any(|t| *t != times[0]), "{times:?}");
}

#[tokio::test]
async fn large_outputs_stream_from_the_delivery_host() {
    let sim = start(fast()).await;
    let client = sim.client().unwrap();
    let size = 3 * (1 << 20) + 5;
    let url = format!("{}/_simulator/blob/{size}", sim.delivery_url());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("large.bin");
    let written = client.download(&url).to_file(&path).await.unwrap();
    assert_eq!(written, size);
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(bytes.len() as u64, size);
    for offset in [0, 250, 251, (1 << 20) - 1, 1 << 20, bytes.len() - 1] {
        assert_eq!(
            bytes[offset],
            ((offset % (1 << 20)) % 251) as u8,
            "at {offset}"
        );
    }
    assert!(sim.record().delivery_connections >= 1);
}
