//! Base URLs in the other common convention: no path means `/v1`, and a 404 under a base URL without `/v1`
//! says what is probably wrong.

use crate::common;

use common::*;
use futures_util::StreamExt;
use replicate_ideogram::{Client, Error, models::IdeogramV2TurboInput};
use serde_json::json;
use wiremock::{Mock, MockServer, matchers::any};

#[test]
fn a_base_url_with_no_path_means_v1() {
    for given in ["https://api.replicate.com", "https://api.replicate.com/"] {
        let client = Client::builder()
            .token(TOKEN)
            .base_url(given)
            .build()
            .unwrap();
        assert_eq!(client.base_url(), "https://api.replicate.com/v1");
    }
}

async fn not_found_everywhere() -> MockServer {
    let server = server().await;
    Mock::given(any())
        .respond_with(
            problem(
                404,
                json!({"title": "Not found", "detail": "Not found.", "status": 404}),
            )
            // A server cannot make the client say things: the client's own hint header is dropped.
            .insert_header("x-replicate-ideogram-hint", "words from the server"),
        )
        .mount(&server)
        .await;
    server
}

/// The errors of a create, a get and a list against `base`.
async fn errors_at(base: &str) -> Vec<Error> {
    let client = client_at(base);
    let create = client.create(IdeogramV2TurboInput::new("x")).await;
    let get = client.get("abc").await;
    let list = std::pin::pin!(client.list().stream())
        .next()
        .await
        .expect("an item");
    vec![create.unwrap_err(), get.unwrap_err(), list.unwrap_err()]
}

#[tokio::test]
async fn a_404_under_a_base_url_without_v1_says_so() {
    let server = not_found_everywhere().await;
    let base = format!("{}/replicate", server.uri());
    for error in errors_at(&base).await {
        let hint = format!("the base URL has no /v1; did you mean {base}/v1?");
        assert!(error.to_string().contains(&hint), "{error}");
        assert!(
            matches!(&error, Error::Api(api) if api.status == 404 && api.hint.as_deref() == Some(hint.as_str())),
            "{error:?}"
        );
    }
}

#[tokio::test]
async fn a_404_under_a_v1_base_url_has_no_hint() {
    let server = not_found_everywhere().await;
    for error in errors_at(&format!("{}/replicate/v1", server.uri())).await {
        assert!(
            matches!(&error, Error::Api(api) if api.status == 404 && api.hint.is_none()),
            "{error:?}"
        );
    }
}
