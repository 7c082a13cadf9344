//! A server whose listing never ends: each page names a new cursor.

use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::json;
use wiremock::{
    Mock, MockServer, Request, Respond, ResponseTemplate,
    matchers::{method, path},
};

use super::{PREFIX, server};

/// Pages without end: each names a new cursor. `results` says what each page holds.
struct Endless {
    served: AtomicUsize,
    results: fn(usize) -> serde_json::Value,
    cursor: fn(usize) -> String,
}

impl Respond for Endless {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let n = self.served.fetch_add(1, Ordering::SeqCst);
        let next = format!("/v1/predictions?cursor={}", (self.cursor)(n));
        ResponseTemplate::new(200)
            .set_body_json(json!({"next": next, "previous": null, "results": (self.results)(n)}))
    }
}

pub async fn endless_server(
    results: fn(usize) -> serde_json::Value,
    cursor: fn(usize) -> String,
) -> MockServer {
    let server = server().await;
    Mock::given(method("GET"))
        .and(path(format!("{PREFIX}/predictions")))
        .respond_with(Endless {
            served: AtomicUsize::new(0),
            results,
            cursor,
        })
        .mount(&server)
        .await;
    server
}

pub fn no_results(_: usize) -> serde_json::Value {
    json!([])
}

pub fn numbered(n: usize) -> String {
    format!("page{n}")
}
