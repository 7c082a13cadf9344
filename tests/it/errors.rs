//! Every kind of server answer becomes a typed error that says what happened.

use crate::common;

use std::time::Duration;

use common::*;
use replicate_ideogram::{Error, Operation, PredictionStatus, models::IdeogramV2TurboInput};
use serde_json::json;
use wiremock::{
    Mock, ResponseTemplate,
    matchers::{method, path},
};

/// The error a create gets for `response`. An unknown outcome (5xx, unreadable body) makes the client look for
/// the prediction in the list; the list here is empty, so the create's own error comes back.
async fn create_error(response: ResponseTemplate) -> Error {
    let server = server().await;
    Mock::given(method("POST"))
        .and(path(CREATE_PATH))
        .respond_with(response)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{PREFIX}/predictions")))
        .respond_with(json(200, &json!({"next": null, "results": []})))
        .mount(&server)
        .await;
    client(&server)
        .create(IdeogramV2TurboInput::new("x"))
        .await
        .unwrap_err()
}

fn api(error: &Error) -> &replicate_ideogram::ApiError {
    match error {
        Error::Api(api) => api,
        other => panic!("expected Error::Api, got {other:?}"),
    }
}

#[tokio::test]
async fn problem_details_401() {
    let error = create_error(problem(
        401,
        json!({"title": "Unauthenticated", "detail": "You did not pass an authentication token", "status": 401}),
    ))
    .await;
    let api = api(&error);
    assert_eq!(api.status, 401);
    assert_eq!(api.title.as_deref(), Some("Unauthenticated"));
    assert_eq!(
        error.to_string(),
        "create: HTTP 401 Unauthenticated: You did not pass an authentication token"
    );
}

#[tokio::test]
async fn problem_details_422_with_invalid_fields() {
    let error = create_error(problem(
        422,
        json!({
            "detail": "- input.seed: Invalid type. Expected: integer, given: string\n",
            "status": 422,
            "title": "Input validation failed",
            "invalid_fields": [{"type": "invalid_type", "field": "input.seed",
                                "description": "Invalid type. Expected: integer, given: string"}]
        }),
    ))
    .await;
    let api = api(&error);
    assert_eq!(api.status, 422);
    assert_eq!(api.invalid_fields.len(), 1);
    assert_eq!(api.invalid_fields[0].field, "input.seed");
    assert_eq!(api.invalid_fields[0].kind.as_deref(), Some("invalid_type"));
    assert!(
        error
            .to_string()
            .contains("Input validation failed: - input.seed"),
        "{error}"
    );
}

#[tokio::test]
async fn throttled_429_carries_retry_after() {
    let error = create_error(
        problem(
            429,
            json!({"detail": "Request was throttled. Your rate limit resets in ~30s."}),
        )
        .insert_header("retry-after", "7"),
    )
    .await;
    let api = api(&error);
    assert_eq!(api.status, 429);
    assert_eq!(api.retry_after, Some(Duration::from_secs(7)));
    assert!(
        error
            .to_string()
            .contains("Too Many Requests: Request was throttled"),
        "{error}"
    );
    assert!(error.to_string().contains("retry after 7s"), "{error}");
}

#[tokio::test]
async fn server_error_500_with_problem_details() {
    let error = create_error(problem(
        500,
        json!({"title": "Internal Server Error", "status": 500}),
    ))
    .await;
    assert_eq!(error.status(), Some(500));
    assert_eq!(api(&error).title.as_deref(), Some("Internal Server Error"));
}

#[tokio::test]
async fn an_html_error_page_is_summarized() {
    let page = "<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>\n<body><h1>Bad Gateway</h1>\
                <p>nginx</p></body></html>";
    let error = create_error(ResponseTemplate::new(502).set_body_raw(page, "text/html")).await;
    let api = api(&error);
    assert_eq!(api.status, 502);
    assert_eq!(api.title.as_deref(), Some("502 Bad Gateway"));
    assert!(
        api.body_snippet
            .as_deref()
            .unwrap()
            .starts_with("<!DOCTYPE html> <html>")
    );
    assert!(
        error
            .to_string()
            .starts_with("create: HTTP 502 502 Bad Gateway"),
        "{error}"
    );
}

#[tokio::test]
async fn an_empty_error_body_still_names_the_status() {
    let error = create_error(ResponseTemplate::new(503)).await;
    assert_eq!(error.to_string(), "create: HTTP 503 Service Unavailable");
}

#[tokio::test]
async fn truncated_json_is_a_decode_error_with_the_prediction_id() {
    let full = prediction("trunc1", "starting").to_string();
    let error = create_error(
        ResponseTemplate::new(201).set_body_raw(&full[..full.len() / 2], "application/json"),
    )
    .await;
    // A success whose body was cut short made a prediction: not found in the list, it may exist.
    let Error::CreateUncertain { cause, .. } = &error else {
        panic!("expected CreateUncertain, got {error:?}");
    };
    match cause.as_ref() {
        Error::Decode {
            operation,
            prediction_id,
            reason,
            snippet,
            ..
        } => {
            assert_eq!(*operation, Operation::Create);
            assert_eq!(prediction_id.as_deref(), Some("trunc1"));
            assert!(reason.contains("ends too early"), "{reason}");
            assert!(
                snippet.starts_with('{') && snippet.contains("\"id\":\"trunc1\""),
                "{snippet}"
            );
        }
        other => panic!("expected Decode, got {other:?}"),
    }
    assert_eq!(error.prediction_id(), Some("trunc1"));
}

#[tokio::test]
async fn wrong_types_and_missing_ids_are_decode_errors() {
    for body in [
        json!({"id": 5, "status": "starting"}),
        json!({"status": "starting"}),
        json!({"id": "x", "status": "starting", "created_at": "yesterday"}),
        json!(["not", "an", "object"]),
    ] {
        let error = create_error(json(201, &body)).await;
        // A 201 made a prediction, whatever its body: not found in the list, it may exist.
        assert!(
            matches!(&error, Error::CreateUncertain { cause, .. } if matches!(cause.as_ref(), Error::Decode { .. })),
            "{body}: {error:?}"
        );
    }
}

#[tokio::test]
async fn unknown_and_aborted_statuses_decode() {
    let server = server().await;
    for (id, status) in [("u", "teleporting"), ("a", "aborted")] {
        Mock::given(method("GET"))
            .and(path(format!("/replicate/v1/predictions/{id}")))
            .respond_with(json(200, &prediction(id, status)))
            .mount(&server)
            .await;
    }
    let client = client(&server);
    let unknown = client.get("u").await.unwrap();
    assert_eq!(
        unknown.status,
        PredictionStatus::Unknown("teleporting".into())
    );
    assert!(!unknown.is_terminal());
    let aborted = client.get("a").await.unwrap();
    assert_eq!(aborted.status, PredictionStatus::Aborted);
    assert!(aborted.is_terminal());
}

#[tokio::test]
async fn a_404_on_get_names_the_prediction() {
    let server = server().await;
    Mock::given(method("GET"))
        .and(path("/replicate/v1/predictions/missing"))
        .respond_with(problem(
            404,
            json!({"title": "Not found", "detail": "Not found.", "status": 404}),
        ))
        .mount(&server)
        .await;
    let error = client(&server).get("missing").await.unwrap_err();
    assert_eq!(error.prediction_id(), Some("missing"));
    assert_eq!(
        error.to_string(),
        "get: HTTP 404 Not found: Not found. (prediction missing)"
    );
}

#[tokio::test]
async fn an_unexpected_status_is_an_api_error() {
    let error = create_error(ResponseTemplate::new(304)).await;
    assert_eq!(error.status(), Some(304));
}

#[tokio::test]
async fn a_refused_connection_is_a_transport_error() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let error = client_at(&format!("http://127.0.0.1:{port}/v1"))
        .get("abc")
        .await
        .unwrap_err();
    match &error {
        Error::Transport {
            operation,
            prediction_id,
            ..
        } => {
            assert_eq!(*operation, Operation::Get);
            assert_eq!(prediction_id.as_deref(), Some("abc"));
        }
        other => panic!("expected Transport, got {other:?}"),
    }
    assert!(
        error
            .to_string()
            .starts_with("get: could not reach the server (prediction abc)"),
        "{error}"
    );
}

#[tokio::test]
async fn errors_never_show_the_token() {
    let server = server().await;
    Mock::given(method("GET"))
        .and(path(format!("{PREFIX}/predictions/x")))
        .respond_with(problem(
            401,
            json!({"title": "Unauthenticated", "status": 401}),
        ))
        .mount(&server)
        .await;
    let client = client(&server);
    let mut shown = Vec::new();
    let api = client.get("x").await.unwrap_err();
    shown.push(format!("{api} {api:?}"));
    let transport = client_at("http://127.0.0.1:9/v1")
        .get("x")
        .await
        .unwrap_err();
    shown.push(format!("{transport} {transport:?}"));
    let created = create_error(ResponseTemplate::new(503)).await;
    shown.push(format!("{created} {created:?}"));
    for text in shown {
        assert!(
            !text.contains(TOKEN) && !text.contains("TestToken"),
            "{text}"
        );
    }
}
