//! Listings that lead nowhere: endless empty pages, growing cursors. Each ends in `Error::ListStalled` after
//! a bounded number of pages, in the library (`ideogram list`: the CLI crate's tests).

use crate::common;

use std::time::Duration;

use common::{endless::*, *};
use futures_util::StreamExt;
use replicate_ideogram::Error;
use serde_json::json;
use wiremock::MockServer;

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
        [Err(Error::ListStalled { pages, reason, .. })] => {
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
