//! The example exchange the project started from (a proxy serving the API under /replicate/v1): its request
//! and its response, as recorded.

use crate::common;

use common::*;
use replicate_ideogram::{PredictionStatus, models::IdeogramV2TurboInput};
use wiremock::{
    Mock,
    matchers::{body_json, header, method, path},
};

#[test]
fn example_request_body_serializes_to_the_example_json() {
    let input = IdeogramV2TurboInput::new(example_prompt());
    let body = serde_json::json!({ "input": input });
    assert_eq!(body, example_request());
}

#[tokio::test]
async fn example_request_goes_out_as_the_example_shows_and_its_response_parses() {
    let server = server().await;
    Mock::given(method("POST"))
        .and(path(CREATE_PATH))
        .and(header("authorization", BEARER))
        .and(header("content-type", "application/json"))
        .and(body_json(example_request()))
        .respond_with(json(201, &example_response()))
        .expect(1)
        .mount(&server)
        .await;

    let prediction = client(&server)
        .create(IdeogramV2TurboInput::new(example_prompt()))
        .await
        .unwrap();

    assert_eq!(prediction.id, "2jycc2v9nnrmc0crap5tv5zaxr");
    assert_eq!(prediction.status, PredictionStatus::Starting);
    assert_eq!(
        prediction.model.as_deref(),
        Some("ideogram-ai/ideogram-v2-turbo")
    );
    assert_eq!(prediction.version.as_deref(), Some("hidden"));
    assert_eq!(prediction.output, None);
    assert_eq!(prediction.logs.as_deref(), Some(""));
    assert!(!prediction.data_removed);
    assert_eq!(
        prediction.created_at.unwrap().to_rfc3339(),
        "2025-07-29T09:37:36.685+00:00"
    );
    assert_eq!(
        prediction.urls.get.as_deref(),
        Some("https://api.replicate.com/v1/predictions/2jycc2v9nnrmc0crap5tv5zaxr")
    );
    assert_eq!(prediction.input["aspect_ratio"], "1:1");
}

#[test]
fn a_stored_answer_decodes_through_the_spec_types() {
    let prediction = replicate_ideogram::Prediction::from_json(include_bytes!(
        "../fixtures/example_response.json"
    ))
    .unwrap();
    assert_eq!(prediction.id, "2jycc2v9nnrmc0crap5tv5zaxr");
    assert_eq!(prediction.status, PredictionStatus::Starting);
    let error = replicate_ideogram::Prediction::from_json(b"{\"id\": 1}").unwrap_err();
    assert!(
        matches!(
            error,
            replicate_ideogram::Error::Decode {
                operation: replicate_ideogram::Operation::Decode,
                ..
            }
        ),
        "{error:?}"
    );
}
