//! Building a client: tokens, base URLs, and what `Debug` shows.

use crate::common;

use std::time::Duration;

use common::*;
use replicate_ideogram::{Client, Error, RetryPolicy};
use wiremock::{
    Mock, ResponseTemplate,
    matchers::{method, path},
};

#[test]
fn a_missing_or_empty_token_is_an_error_at_construction() {
    let missing = Client::builder().build().unwrap_err();
    assert!(
        matches!(&missing, Error::Config(m) if m.contains("REPLICATE_API_TOKEN")),
        "{missing}"
    );
    for empty in ["", "   "] {
        let error = Client::new(empty).unwrap_err();
        assert!(
            matches!(&error, Error::Config(m) if m.contains("empty")),
            "{error}"
        );
    }
    let error = Client::new("r8_abc\ndef").unwrap_err();
    assert!(matches!(error, Error::Config(_)));
}

#[test]
fn base_urls_are_checked() {
    for bad in [
        "http://proxy.example/v1",
        "not a url",
        "https://proxy.example/v1?x=1",
    ] {
        let error = Client::builder()
            .token(TOKEN)
            .base_url(bad)
            .build()
            .unwrap_err();
        assert!(
            matches!(&error, Error::Config(m) if m.contains(bad)),
            "{error}"
        );
    }
    for with_password in [
        "https://user:hunter2@proxy.example/v1",
        "https://user:hunter2@bad host/v1",
    ] {
        let error = Client::builder()
            .token(TOKEN)
            .base_url(with_password)
            .build()
            .unwrap_err();
        assert!(!error.to_string().contains("hunter2"), "{error}");
    }
    let client = Client::builder()
        .token(TOKEN)
        .base_url("https://proxy.example/replicate/v1/")
        .build()
        .unwrap();
    assert_eq!(client.base_url(), "https://proxy.example/replicate/v1");
    assert_eq!(
        Client::new(TOKEN).unwrap().base_url(),
        "https://api.replicate.com/v1"
    );
}

#[test]
fn debug_never_shows_the_token() {
    let builder = Client::builder().token(TOKEN);
    assert!(!format!("{builder:?}").contains(TOKEN));
    let client = builder.build().unwrap();
    let shown = format!("{client:?} {client:#?}");
    assert!(
        !shown.contains(TOKEN) && !shown.contains("TestToken"),
        "{shown}"
    );
    assert!(shown.contains("redacted"));
}

#[tokio::test]
async fn the_longest_durations_mean_no_limit_not_a_panic() {
    let server = server().await;
    Mock::given(method("GET"))
        .and(path(format!("{PREFIX}/predictions/abc")))
        .respond_with(json(200, &prediction("abc", "processing")))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/out.png"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(b"png".to_vec()))
        .mount(&server)
        .await;
    let client = Client::builder()
        .token(TOKEN)
        .base_url(format!("{}{PREFIX}", server.uri()))
        .retry(RetryPolicy::none())
        .connect_timeout(Duration::MAX)
        .read_timeout(Duration::MAX)
        .response_body_timeout(Duration::MAX)
        .build()
        .unwrap();
    let prediction = client.get("abc").await.unwrap();
    assert_eq!(prediction.id, "abc");
    let url = format!("{}/out.png", server.uri());
    let bytes = client.download(&url).timeout(Duration::MAX).bytes().await;
    assert_eq!(&bytes.unwrap()[..], b"png");
}
