//! Downloads to files and their limits: `.part` files made anew (never through a planted symlink), the
//! target replaced and not followed, nothing left behind on failure, and one deadline for the whole download.

use crate::common;

use std::time::Duration;

use common::*;
use replicate_ideogram::{Client, Error, RetryPolicy};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpListener,
};
use wiremock::{
    Mock, MockServer, ResponseTemplate,
    matchers::{method, path},
};

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n the bytes of an image";

async fn delivery_host() -> MockServer {
    let delivery = server().await;
    Mock::given(method("GET"))
        .and(path("/out.png"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(PNG, "image/png"))
        .mount(&delivery)
        .await;
    delivery
}

fn names_in(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[cfg(unix)]
#[tokio::test]
async fn a_symlink_planted_at_the_part_file_is_replaced_not_followed() {
    let api = server().await;
    let delivery = delivery_host().await;
    let client = client(&api);
    let outside = tempfile::tempdir().unwrap();
    let victim = outside.path().join("victim.txt");
    let dir = tempfile::tempdir().unwrap();
    let sources = [
        format!("{}/out.png", delivery.uri()),
        "data:image/png;base64,iVBORw0KGgo=".to_string(),
    ];
    for (n, url) in sources.iter().enumerate() {
        std::fs::write(&victim, b"keep me").unwrap();
        let target = dir.path().join(format!("{n}.png"));
        std::os::unix::fs::symlink(&victim, dir.path().join(format!("{n}.png.part"))).unwrap();
        client.download(url).to_file(&target).await.unwrap();
        assert_eq!(std::fs::read(&victim).unwrap(), b"keep me", "{url}");
        assert!(!std::fs::symlink_metadata(&target).unwrap().is_symlink());
    }
    assert_eq!(names_in(dir.path()), ["0.png", "1.png"]);
}

#[cfg(unix)]
#[tokio::test]
async fn a_symlink_at_the_target_is_replaced_not_followed() {
    let api = server().await;
    let delivery = delivery_host().await;
    let outside = tempfile::tempdir().unwrap();
    let victim = outside.path().join("victim.txt");
    std::fs::write(&victim, b"keep me").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("out.png");
    std::os::unix::fs::symlink(&victim, &target).unwrap();
    let url = format!("{}/out.png", delivery.uri());
    client(&api).download(&url).to_file(&target).await.unwrap();
    assert_eq!(std::fs::read(&victim).unwrap(), b"keep me");
    assert_eq!(std::fs::read(&target).unwrap(), PNG);
    assert!(!std::fs::symlink_metadata(&target).unwrap().is_symlink());
}

/// A client that retries quickly, as a default client would, only sooner.
fn retrying_client(api: &MockServer) -> Client {
    Client::builder()
        .token(TOKEN)
        .base_url(format!("{}{PREFIX}", api.uri()))
        .retry(
            RetryPolicy::default()
                .max_retries(5)
                .initial_backoff(Duration::from_millis(50)),
        )
        .build()
        .unwrap()
}

#[tokio::test]
async fn the_timeout_covers_every_attempt_not_each_one() {
    let api = server().await;
    let delivery = server().await;
    // Each attempt ends well within the timeout; together, with their retries, they would not.
    Mock::given(method("GET"))
        .and(path("/busy.png"))
        .respond_with(ResponseTemplate::new(503).set_delay(Duration::from_millis(200)))
        .mount(&delivery)
        .await;
    let url = format!("{}/busy.png?sig=SECRET", delivery.uri());
    let dir = tempfile::tempdir().unwrap();
    let error = retrying_client(&api)
        .download(&url)
        .timeout(Duration::from_millis(500))
        .to_file(dir.path().join("busy.png"))
        .await
        .unwrap_err();
    match &error {
        Error::DownloadTimeout { url, timeout } => {
            assert_eq!(*timeout, Duration::from_millis(500));
            assert!(!url.contains("SECRET"), "{url}");
        }
        other => panic!("expected DownloadTimeout, got {other:?}"),
    }
    assert!(names_in(dir.path()).is_empty());
}

/// A delivery host that sends the headers of a 1000-byte body, then a byte every 50 ms.
async fn trickling_host() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut request = [0u8; 4096];
                let _ = stream.read(&mut request).await;
                let head =
                    "HTTP/1.1 200 OK\r\ncontent-type: image/png\r\ncontent-length: 1000\r\n\r\n";
                stream.write_all(head.as_bytes()).await?;
                loop {
                    stream.write_all(b"x").await?;
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                #[allow(unreachable_code)]
                Ok::<(), std::io::Error>(())
            });
        }
    });
    format!("http://{address}/slow.png")
}

#[tokio::test]
async fn a_download_past_its_deadline_leaves_no_part_file() {
    let api = server().await;
    let url = trickling_host().await;
    let dir = tempfile::tempdir().unwrap();
    let error = client(&api)
        .download(&url)
        .timeout(Duration::from_millis(400))
        .to_file(dir.path().join("slow.png"))
        .await
        .unwrap_err();
    assert!(matches!(error, Error::DownloadTimeout { .. }), "{error:?}");
    assert!(
        names_in(dir.path()).is_empty(),
        "{:?}",
        names_in(dir.path())
    );
}

#[tokio::test]
async fn a_download_dropped_midway_by_the_caller_leaves_no_part_file() {
    let api = server().await;
    let url = trickling_host().await;
    let dir = tempfile::tempdir().unwrap();
    let client = client(&api);
    let download = client.download(&url).to_file(dir.path().join("slow.png"));
    // The caller's own timeout drops the future while the body is arriving.
    let outcome = tokio::time::timeout(Duration::from_millis(300), download).await;
    assert!(outcome.is_err(), "the body takes 50 s");
    assert!(
        names_in(dir.path()).is_empty(),
        "{:?}",
        names_in(dir.path())
    );
}
