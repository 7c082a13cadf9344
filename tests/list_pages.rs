//! Listings that lead nowhere: endless empty pages, growing cursors. Each ends in `Error::ListStalled` after
//! a bounded number of pages, in the library and in `ideogram list`.

mod common;

use std::{
    sync::atomic::{AtomicUsize, Ordering},
    time::Duration,
};

use common::*;
use futures_util::StreamExt;
use replicate_ideogram::Error;
use serde_json::json;
use wiremock::{
    Mock, MockServer, Request, Respond, ResponseTemplate,
    matchers::{method, path},
};

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

async fn endless_server(
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

fn no_results(_: usize) -> serde_json::Value {
    json!([])
}

fn numbered(n: usize) -> String {
    format!("page{n}")
}

async fn collect_list(server: &MockServer) -> Vec<replicate_ideogram::Result<String>> {
    let client = client(server);
    let stream = client.list().stream().map(|item| item.map(|p| p.id));
    tokio::time::timeout(Duration::from_secs(30), stream.collect())
        .await
        .expect("the listing ends")
}

#[tokio::test]
async fn endless_empty_pages_end_in_a_typed_error() {
    let server = endless_server(no_results, numbered).await;
    let items = collect_list(&server).await;
    match items.as_slice() {
        [Err(Error::ListStalled { pages, reason })] => {
            assert!(*pages <= 20, "{pages} pages");
            assert!(reason.contains("empty pages"), "{reason}");
        }
        other => panic!("expected one ListStalled, got {other:?}"),
    }
    assert!(hits(&server, &format!("{PREFIX}/predictions")).await <= 20);
}

#[tokio::test]
async fn growing_cursors_end_in_a_typed_error() {
    fn one(n: usize) -> serde_json::Value {
        json!([prediction(&format!("p{n}"), "succeeded")])
    }
    fn growing(n: usize) -> String {
        "c".repeat(1 << n.min(24))
    }
    let server = endless_server(one, growing).await;
    let items = collect_list(&server).await;
    let (last, yielded) = items.split_last().unwrap();
    assert!(yielded.iter().all(Result::is_ok));
    assert!(yielded.len() <= 12, "{} predictions", yielded.len());
    assert!(
        matches!(last, Err(Error::ListStalled { reason, .. }) if reason.contains("bytes")),
        "{last:?}"
    );
}

#[cfg(feature = "cli")]
#[tokio::test]
async fn ideogram_list_against_endless_empty_pages_ends_with_a_clear_error() {
    let server = endless_server(no_results, numbered).await;
    let dir = tempfile::tempdir().unwrap();
    let run = tokio::process::Command::new(env!("CARGO_BIN_EXE_ideogram"))
        .args(["list", "--limit", "10"])
        .current_dir(dir.path())
        .env("REPLICATE_API_TOKEN", TOKEN)
        .env("REPLICATE_BASE_URL", format!("{}{PREFIX}", server.uri()))
        .output();
    let output = tokio::time::timeout(Duration::from_secs(60), run)
        .await
        .expect("ideogram list ends")
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_ne!(output.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("list: stopped after") && stderr.contains("empty pages"),
        "{stderr}"
    );
    assert!(output.stdout.is_empty());
}
