//! Downloading outputs: bytes, streamed files, data: URLs, and where the token may go.

use crate::common;

use common::*;
use replicate_ideogram::Error;
use wiremock::{
    Mock, MockServer, ResponseTemplate,
    matchers::{method, path},
};

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n not really an image, but bytes all the same";

async fn delivery_host() -> MockServer {
    let delivery = server().await;
    Mock::given(method("GET"))
        .and(path("/out/R8_ideogram.png"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(PNG, "image/png"))
        .mount(&delivery)
        .await;
    delivery
}

#[tokio::test]
async fn outputs_on_another_host_are_fetched_without_the_token() {
    let api = server().await;
    let delivery = delivery_host().await;
    let url = format!("{}/out/R8_ideogram.png?sig=abc", delivery.uri());
    let bytes = client(&api).download(&url).bytes().await.unwrap();
    assert_eq!(&bytes[..], PNG);
    assert_eq!(delivery.received_requests().await.unwrap().len(), 1);
    assert!(authorization_headers_seen(&delivery).await.is_empty());
}

#[tokio::test]
async fn files_on_the_api_origin_get_the_token() {
    let api = server().await;
    Mock::given(method("GET"))
        .and(path("/replicate/v1/files/f1/download"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(PNG, "image/png"))
        .mount(&api)
        .await;
    let url = format!("{}/replicate/v1/files/f1/download", api.uri());
    client(&api).download(&url).bytes().await.unwrap();
    assert_eq!(authorization_headers_seen(&api).await, [BEARER]);
}

#[tokio::test]
async fn outputs_naming_other_api_paths_are_fetched_without_the_token() {
    let api = server().await;
    let secret = "/replicate/v1/webhooks/default/secret";
    let others = [
        secret.to_string(),
        "/replicate/v1/predictions".to_string(),
        "/replicate/v1/files".to_string(),
        "/replicate/v1/files/..%2Fpredictions".to_string(),
        "/replicate/v1/filesystem/x".to_string(),
        "/replicate/v1/files/../webhooks/default/secret".to_string(),
    ];
    Mock::given(method("GET"))
        .respond_with(json(200, &serde_json::json!({"key": "whsec_not_for_you"})))
        .mount(&api)
        .await;
    Mock::given(method("GET"))
        .and(path("/replicate/v1/predictions/p1"))
        .respond_with(json(
            200,
            &succeeded("p1", &format!("{}{secret}", api.uri())),
        ))
        .with_priority(1)
        .mount(&api)
        .await;
    let client = client(&api);
    // A model's output is whatever the model wrote: here, a URL on the API's origin.
    let prediction = client.get("p1").await.unwrap();
    let output: String = prediction.output_as().unwrap();
    client.download(&output).bytes().await.unwrap();
    for other in &others[1..] {
        let url = format!("{}{other}", api.uri());
        client.download(&url).bytes().await.unwrap();
    }
    let requests = api.received_requests().await.unwrap();
    assert_eq!(requests.len(), others.len() + 1);
    for request in &requests[1..] {
        assert!(
            request.headers.get("authorization").is_none(),
            "{} was sent the token",
            request.url
        );
    }
}

#[tokio::test]
async fn a_redirect_to_another_host_drops_the_token() {
    let api = server().await;
    let delivery = delivery_host().await;
    Mock::given(method("GET"))
        .and(path("/replicate/v1/files/f2/download"))
        .respond_with(ResponseTemplate::new(302).insert_header(
            "location",
            format!("{}/out/R8_ideogram.png", delivery.uri()),
        ))
        .mount(&api)
        .await;
    let url = format!("{}/replicate/v1/files/f2/download", api.uri());
    let bytes = client(&api).download(&url).bytes().await.unwrap();
    assert_eq!(&bytes[..], PNG);
    assert_eq!(authorization_headers_seen(&api).await, [BEARER]);
    assert!(authorization_headers_seen(&delivery).await.is_empty());
}

#[tokio::test]
async fn to_file_streams_into_place_and_creates_directories() {
    let api = server().await;
    let delivery = delivery_host().await;
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("nested/dir/shoe.png");
    let url = format!("{}/out/R8_ideogram.png", delivery.uri());
    let written = client(&api).download(&url).to_file(&target).await.unwrap();
    assert_eq!(written, PNG.len() as u64);
    assert_eq!(std::fs::read(&target).unwrap(), PNG);
    let names: Vec<_> = std::fs::read_dir(target.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["shoe.png"], "no .part file is left behind");
}

#[tokio::test]
async fn a_failed_download_leaves_no_file_and_hides_the_query() {
    let api = server().await;
    let delivery = server().await;
    Mock::given(method("GET"))
        .and(path("/out/missing.png"))
        .respond_with(ResponseTemplate::new(404))
        .mount(&delivery)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("missing.png");
    let url = format!("{}/out/missing.png?signature=SECRET", delivery.uri());
    let error = client(&api)
        .download(&url)
        .to_file(&target)
        .await
        .unwrap_err();
    match &error {
        Error::Download { url, status } => {
            assert_eq!(*status, 404);
            assert!(!url.contains("SECRET"), "{url}");
        }
        other => panic!("expected Download, got {other:?}"),
    }
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[tokio::test]
async fn data_urls_are_decoded_locally() {
    let api = server().await;
    let client = client(&api);
    let bytes = client
        .download("data:image/png;base64,iVBORw0KGgo=")
        .bytes()
        .await
        .unwrap();
    assert_eq!(&bytes[..], b"\x89PNG\r\n\x1a\n");
    let dir = tempfile::tempdir().unwrap();
    let written = client
        .download("data:text/plain,hello%20world")
        .to_file(dir.path().join("hello.txt"))
        .await
        .unwrap();
    assert_eq!(written, 11);
    assert!(api.received_requests().await.unwrap().is_empty());
    let error = client
        .download("file:///etc/passwd")
        .bytes()
        .await
        .unwrap_err();
    assert!(matches!(error, Error::InvalidInput { .. }), "{error:?}");
}
