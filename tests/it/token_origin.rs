//! Where the token may go, route by route: every API call to the base URL's origin only, a download only to
//! a file route there. An origin is scheme, host and port: a second loopback server on another port stands
//! for another host, and serves the API's own paths, so only the origin check keeps the token from it.

use crate::common;

use common::*;
use futures_util::TryStreamExt;
use serde_json::json;
use wiremock::{
    Mock, MockServer, ResponseTemplate,
    matchers::{method, path},
};

/// A server that answers every GET and POST with `answer`: it counts whatever reaches it.
async fn answering_everything(answer: ResponseTemplate) -> MockServer {
    let server = server().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(answer)
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn the_api_s_file_path_on_another_origin_gets_no_token() {
    let api = server().await;
    let elsewhere =
        answering_everything(ResponseTemplate::new(200).set_body_raw("x", "image/png")).await;
    let client = client(&api);
    for route in ["files/f1", "files/f1/download", "predictions", "account"] {
        let url = format!("{}{PREFIX}/{route}", elsewhere.uri());
        client.download(&url).bytes().await.unwrap();
    }
    assert_eq!(elsewhere.received_requests().await.unwrap().len(), 4);
    assert!(
        authorization_headers_seen(&elsewhere).await.is_empty(),
        "{:?}",
        authorization_headers_seen(&elsewhere).await
    );
    // The same file path on the API's origin does get it: the origin alone decided.
    Mock::given(method("GET"))
        .and(path(format!("{PREFIX}/files/f1")))
        .respond_with(ResponseTemplate::new(200).set_body_raw("x", "image/png"))
        .mount(&api)
        .await;
    client
        .download(&format!("{}{PREFIX}/files/f1", api.uri()))
        .bytes()
        .await
        .unwrap();
    assert_eq!(authorization_headers_seen(&api).await, [BEARER]);
}

#[tokio::test]
async fn an_api_answer_that_redirects_elsewhere_does_not_take_the_token_along() {
    let elsewhere = answering_everything(json(200, &prediction("p1", "starting"))).await;
    let api = server().await;
    let moved = ResponseTemplate::new(307).insert_header(
        "location",
        format!("{}{PREFIX}/predictions/p1", elsewhere.uri()).as_str(),
    );
    Mock::given(wiremock::matchers::any())
        .respond_with(moved)
        .mount(&api)
        .await;
    let client = client(&api);
    // Reads, a write and a listing: whatever they end in, the token stays home.
    let _ = client.get("p1").await;
    let _ = client.cancel("p1").await;
    let _ = client.account().await;
    let _ = client.files().get("f1").await;
    let _ = client
        .model_versions("ideogram-ai/ideogram-v2a")
        .try_collect::<Vec<_>>()
        .await;
    assert!(!api.received_requests().await.unwrap().is_empty());
    assert!(
        authorization_headers_seen(&elsewhere).await.is_empty(),
        "{:?}",
        authorization_headers_seen(&elsewhere).await
    );
}

#[tokio::test]
async fn a_listing_s_next_page_on_another_origin_is_never_fetched() {
    let elsewhere = answering_everything(json(200, &json!({"results": []}))).await;
    let api = server().await;
    let next = format!("{}{PREFIX}/files?cursor=abc", elsewhere.uri());
    Mock::given(method("GET"))
        .and(path(format!("{PREFIX}/files")))
        .and(wiremock::matchers::query_param_is_missing("cursor"))
        .respond_with(json(200, &json!({"next": next, "results": []})))
        .mount(&api)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{PREFIX}/files")))
        .and(wiremock::matchers::query_param("cursor", "abc"))
        .respond_with(json(200, &json!({"results": []})))
        .mount(&api)
        .await;
    let files: Vec<_> = client(&api).files().list().try_collect().await.unwrap();
    assert!(files.is_empty());
    assert_eq!(
        api.received_requests().await.unwrap().len(),
        2,
        "the cursor was followed at home"
    );
    assert!(elsewhere.received_requests().await.unwrap().is_empty());
}
