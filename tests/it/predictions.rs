//! Every operation against a loopback mock server: paths under a prefix, headers, bodies.

use crate::common;

use std::time::Duration;

use common::*;
use futures_util::TryStreamExt;
use replicate_ideogram::{
    Error, JsonInput, Target, WebhookEvent,
    models::{AspectRatio, IdeogramV2TurboInput, StyleType},
};
use serde_json::json;
use wiremock::{
    Mock,
    matchers::{body_json, header, method, path, query_param},
};

#[tokio::test]
async fn base_url_prefix_works_with_and_without_trailing_slash() {
    for suffix in ["", "/", "//"] {
        let server = server().await;
        Mock::given(method("GET"))
            .and(path("/replicate/v1/predictions/abc"))
            .and(header("authorization", BEARER))
            .respond_with(json(200, &prediction("abc", "processing")))
            .expect(1)
            .mount(&server)
            .await;
        let client = client_at(&format!("{}{PREFIX}{suffix}", server.uri()));
        assert_eq!(client.base_url(), format!("{}{PREFIX}", server.uri()));
        let prediction = client.get("abc").await.unwrap();
        assert_eq!(prediction.id, "abc");
    }
}

#[tokio::test]
async fn a_base_url_without_a_path_means_v1() {
    let server = server().await;
    Mock::given(method("POST"))
        .and(path("/v1/predictions/abc/cancel"))
        .respond_with(json(200, &prediction("abc", "canceled")))
        .expect(1)
        .mount(&server)
        .await;
    let prediction = client_at(&server.uri()).cancel("abc").await.unwrap();
    assert_eq!(prediction.status.as_str(), "canceled");
}

#[tokio::test]
async fn create_sends_options_as_headers_and_body_fields() {
    let server = server().await;
    let input = IdeogramV2TurboInput::new("a red fox")
        .aspect_ratio(AspectRatio::Ratio16x9)
        .style_type(StyleType::Render3D)
        .negative_prompt("blur")
        .seed(42);
    Mock::given(method("POST"))
        .and(path(CREATE_PATH))
        .and(header("prefer", "wait=7"))
        .and(header("cancel-after", "90s"))
        .and(body_json(json!({
            "input": {
                "prompt": "a red fox",
                "negative_prompt": "blur",
                "aspect_ratio": "16:9",
                "resolution": "None",
                "magic_prompt_option": "Auto",
                "style_type": "Render 3D",
                "seed": 42
            },
            "webhook": "https://hooks.example/replicate",
            "webhook_events_filter": ["start", "completed"]
        })))
        .respond_with(json(201, &prediction("p1", "starting")))
        .expect(1)
        .mount(&server)
        .await;

    let prediction = client(&server)
        .create(input)
        .prefer_wait(Duration::from_millis(6500))
        .cancel_after(Duration::from_secs(90))
        .webhook("https://hooks.example/replicate")
        .webhook_events([WebhookEvent::Start, WebhookEvent::Completed])
        .await
        .unwrap();
    assert_eq!(prediction.id, "p1");
}

#[tokio::test]
async fn a_202_is_a_prediction_too() {
    let server = server().await;
    Mock::given(method("POST"))
        .and(path(CREATE_PATH))
        .respond_with(json(202, &prediction("p2", "processing")))
        .mount(&server)
        .await;
    let prediction = client(&server)
        .create(IdeogramV2TurboInput::new("x"))
        .await
        .unwrap();
    assert_eq!(prediction.id, "p2");
}

#[tokio::test]
async fn any_model_version_or_deployment_takes_json_input() {
    let server = server().await;
    Mock::given(method("POST"))
        .and(path(
            "/replicate/v1/models/black-forest-labs/flux-schnell/predictions",
        ))
        .and(body_json(
            json!({"input": {"prompt": "p", "num_outputs": 2}}),
        ))
        .respond_with(json(201, &prediction("m", "starting")))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/replicate/v1/predictions"))
        .and(body_json(
            json!({"version": "owner/name:0123abcd", "input": {"prompt": "p"}}),
        ))
        .respond_with(json(201, &prediction("v", "starting")))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/replicate/v1/deployments/acme/painter/predictions"))
        .and(body_json(json!({"input": {"prompt": "p"}})))
        .respond_with(json(201, &prediction("d", "starting")))
        .expect(1)
        .mount(&server)
        .await;

    let client = client(&server);
    let by_model = JsonInput::new(
        Target::model("black-forest-labs/flux-schnell"),
        json!({"prompt": "p", "num_outputs": 2}),
    );
    assert_eq!(client.create(by_model).await.unwrap().id, "m");
    let by_version = JsonInput::new(
        Target::version("owner/name:0123abcd"),
        json!({"prompt": "p"}),
    );
    assert_eq!(client.create(by_version).await.unwrap().id, "v");
    let by_deployment = JsonInput::new(Target::deployment("acme/painter"), json!({"prompt": "p"}));
    assert_eq!(client.create(by_deployment).await.unwrap().id, "d");
}

#[tokio::test]
async fn invalid_input_is_refused_before_anything_is_sent() {
    let server = server().await;
    let client = client(&server);
    let cases: Vec<(Error, &str)> = vec![
        (
            client
                .create(IdeogramV2TurboInput::new("  "))
                .await
                .unwrap_err(),
            "prompt",
        ),
        (
            client
                .create(IdeogramV2TurboInput::new("x").image("not a url"))
                .await
                .unwrap_err(),
            "image",
        ),
        (
            client
                .create(IdeogramV2TurboInput::new("x").mask("ftp://host/mask.png"))
                .await
                .unwrap_err(),
            "mask",
        ),
        (
            client
                .create(IdeogramV2TurboInput::new("x"))
                .prefer_wait(Duration::from_secs(61))
                .await
                .unwrap_err(),
            "prefer_wait",
        ),
        (
            client
                .create(IdeogramV2TurboInput::new("x"))
                .cancel_after(Duration::from_secs(4))
                .await
                .unwrap_err(),
            "cancel_after",
        ),
        (
            client
                .create(IdeogramV2TurboInput::new("x"))
                .webhook("not a url")
                .await
                .unwrap_err(),
            "webhook",
        ),
        (
            client
                .create(JsonInput::new(Target::model("no-slash"), json!({})))
                .await
                .unwrap_err(),
            "model",
        ),
        (
            client
                .create(JsonInput::new(Target::model("a/b"), json!([1, 2])))
                .await
                .unwrap_err(),
            "input",
        ),
        (client.get("").await.unwrap_err(), "id"),
    ];
    for (error, field) in cases {
        match &error {
            Error::InvalidInput { field: f, .. } => assert_eq!(f, field, "{error}"),
            other => panic!("expected InvalidInput for {field}, got {other:?}"),
        }
        assert!(error.to_string().contains(field), "{error}");
    }
    let received = server.received_requests().await.unwrap();
    assert!(received.is_empty(), "sent {} requests", received.len());
}

#[tokio::test]
async fn path_escaping_model_names_are_refused_before_any_request() {
    let server = server().await;
    let client = client(&server);
    for bad in [
        "x/..\\..\\account",
        "x/..",
        "../x",
        "./x",
        "x/a b",
        "x/a%2Fb",
        "x/a?b",
        "x/y/z",
        "/x",
    ] {
        for target in [Target::model(bad), Target::deployment(bad)] {
            let input = JsonInput::new(target.clone(), json!({"prompt": "x"}));
            let error = client.create(input).await.unwrap_err();
            assert!(
                matches!(&error, Error::InvalidInput { field, .. } if field == "model"),
                "{target}: {error:?}"
            );
        }
        assert!(client.model(bad).await.is_err(), "{bad}");
    }
    let received = server.received_requests().await.unwrap();
    assert!(received.is_empty(), "sent {:?}", received[0].url);
}

#[tokio::test]
async fn list_streams_every_page_through_the_configured_base() {
    let server = server().await;
    let page1 = json!({
        "previous": null,
        // A proxy's `next` names api.replicate.com: only its cursor may be used.
        "next": "https://api.replicate.com/v1/predictions?cursor=PAGE2",
        "results": [prediction("p3", "succeeded"), prediction("p2", "failed")]
    });
    let page2 = json!({"next": null, "previous": "x", "results": [prediction("p1", "aborted")]});
    Mock::given(method("GET"))
        .and(path("/replicate/v1/predictions"))
        .and(query_param("cursor", "PAGE2"))
        .and(header("authorization", BEARER))
        .respond_with(json(200, &page2))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/replicate/v1/predictions"))
        .and(query_param("created_after", "2025-07-01T00:00:00Z"))
        .respond_with(json(200, &page1))
        .expect(1)
        .with_priority(6)
        .mount(&server)
        .await;

    let after = "2025-07-01T00:00:00Z".parse().unwrap();
    let ids: Vec<String> = client(&server)
        .list()
        .created_after(after)
        .stream()
        .map_ok(|p| p.id)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(ids, ["p3", "p2", "p1"]);
}

#[tokio::test]
async fn list_stops_on_an_error_and_on_a_repeated_cursor() {
    let server = server().await;
    Mock::given(method("GET"))
        .and(path("/replicate/v1/predictions"))
        .respond_with(json(
            200,
            &json!({"next": "/v1/predictions?cursor=SAME", "results": [prediction("a", "succeeded")]}),
        ))
        .mount(&server)
        .await;
    let items: Vec<_> = futures_util::StreamExt::collect(client(&server).list().stream()).await;
    // The first page is yielded; the second names the cursor it was fetched with, so the stream ends in an
    // error rather than looping forever.
    assert_eq!(items.len(), 2, "{items:?}");
    assert!(items[0].is_ok());
    assert!(
        matches!(&items[1], Err(Error::ListStalled { reason, .. }) if reason.contains("cursor it had sent before")),
        "{items:?}"
    );
}

#[tokio::test]
async fn webhook_secret_is_read_and_never_printed() {
    let server = server().await;
    Mock::given(method("GET"))
        .and(path("/replicate/v1/webhooks/default/secret"))
        .and(header("authorization", BEARER))
        .respond_with(json(200, &json!({"key": "whsec_c2VjcmV0"})))
        .expect(1)
        .mount(&server)
        .await;
    let secret = client(&server).webhook_secret().await.unwrap();
    assert_eq!(secret.expose(), "whsec_c2VjcmV0");
    assert!(!format!("{secret:?}").contains("c2VjcmV0"));
}
