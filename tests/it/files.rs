//! Local files as model inputs: inline as data URLs up to 256 kB, uploaded with `POST /files` (multipart,
//! the one hand-written call) above that, and the upload's URL passed as the input.

use std::time::Duration;

use replicate_ideogram::{Error, UploadedFile, models::IdeogramV2TurboInput};
use replicate_ideogram_simulator::{Simulator, SimulatorConfig};

use wiremock::{
    Mock, MockServer, ResponseTemplate,
    matchers::{header, method, path},
};

async fn simulator() -> Simulator {
    let config =
        SimulatorConfig::default().timings(Duration::from_millis(10), Duration::from_millis(30));
    Simulator::start(config).await.unwrap()
}

fn file_of(dir: &tempfile::TempDir, name: &str, size: usize) -> std::path::PathBuf {
    let path = dir.path().join(name);
    let content: Vec<u8> = (0..size).map(|i| (i % 253) as u8).collect();
    std::fs::write(&path, content).unwrap();
    path
}

#[tokio::test]
async fn small_files_go_inline_and_large_ones_are_uploaded_once() {
    let sim = simulator().await;
    let client = sim.client().unwrap();
    let dir = tempfile::tempdir().unwrap();

    let small = file_of(&dir, "mask.png", UploadedFile::MAX_INLINE as usize);
    let inline = client.file_input(&small).await.unwrap();
    assert!(
        inline.starts_with("data:image/png;base64,"),
        "{}",
        &inline[..40]
    );
    assert!(
        sim.record().uploads.is_empty(),
        "a file of 256 kB is not uploaded"
    );

    let large = file_of(&dir, "photo.jpg", UploadedFile::MAX_INLINE as usize + 1);
    let url = client.file_input(&large).await.unwrap();
    let record = sim.record();
    assert_eq!(record.uploads.len(), 1);
    let upload = &record.uploads[0];
    assert_eq!(url, format!("{}/files/{}", sim.base_url(), upload.id));
    assert_eq!(upload.size, UploadedFile::MAX_INLINE as usize + 1);
    assert_eq!(upload.filename, "photo.jpg");
    assert_eq!(upload.content_type, "image/jpeg");
    assert_eq!(record.unauthorized, 0, "the upload carried the token");

    let input = IdeogramV2TurboInput::new("a red door")
        .image(url.clone())
        .mask(inline);
    client.run(input).await.unwrap();
    let created = &sim.record().created[0];
    assert_eq!(created.input["image"], url.as_str());
    assert!(created.input["mask"].as_str().unwrap().starts_with("data:"));
}

#[tokio::test]
async fn an_upload_answers_with_the_uploaded_file() {
    let sim = simulator().await;
    let client = sim.client().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = file_of(&dir, "style.webp", 1000);
    let uploaded = client.upload(&file).await.unwrap();
    assert_eq!(uploaded.size, Some(1000));
    assert_eq!(uploaded.content_type.as_deref(), Some("image/webp"));
    assert!(uploaded.expires_at.is_some());
    assert_eq!(sim.record().requests_to("POST /files"), 1);
}

#[tokio::test]
async fn upload_failures_are_typed() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/files"))
        .and(header("authorization", "Bearer r8_test"))
        .respond_with(
            ResponseTemplate::new(413)
                .insert_header("content-type", "application/problem+json")
                .set_body_string(
                    r#"{"title":"Payload Too Large","detail":"Files must be less than 100MB in size","status":413}"#,
                ),
        )
        .expect(1)
        .mount(&server)
        .await;
    let client = replicate_ideogram::Client::builder()
        .token("r8_test")
        .base_url(format!("{}/v1", server.uri()))
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = file_of(&dir, "big.png", 300_000);
    match client.upload(&file).await {
        Err(Error::Api(api)) => {
            assert_eq!(api.status, 413);
            assert!(api.to_string().contains("100MB"), "{api}");
        }
        other => panic!("expected a 413, got {other:?}"),
    }
    match client.file_input(dir.path().join("missing.png")).await {
        Err(Error::Io { path, .. }) => assert!(path.ends_with("missing.png")),
        other => panic!("expected an I/O error, got {other:?}"),
    }
}

/// A FIFO at `dir/name` that a thread fills with `size` bytes once it is opened. Its metadata says 0 bytes.
#[cfg(unix)]
fn fifo_of(dir: &tempfile::TempDir, name: &str, size: usize) -> std::path::PathBuf {
    use std::io::Write;
    let path = dir.path().join(name);
    let made = std::process::Command::new("mkfifo")
        .arg(&path)
        .status()
        .unwrap();
    assert!(made.success());
    let writer = path.clone();
    std::thread::spawn(move || {
        let mut fifo = std::fs::OpenOptions::new()
            .write(true)
            .open(writer)
            .unwrap();
        let chunk = vec![7u8; 1 << 20];
        let mut left = size;
        while left > 0 {
            let n = left.min(chunk.len());
            // The reader stops at its limit and closes: the rest is refused, which is fine.
            if fifo.write_all(&chunk[..n]).is_err() {
                return;
            }
            left -= n;
        }
    });
    path
}

#[cfg(unix)]
#[tokio::test]
async fn a_fifo_is_read_once_and_its_real_size_decides() {
    let sim = simulator().await;
    let client = sim.client().unwrap();
    let dir = tempfile::tempdir().unwrap();
    // Its metadata says 0 bytes; it holds more than may go inline, so it is uploaded.
    let fifo = fifo_of(&dir, "photo.png", UploadedFile::MAX_INLINE as usize + 10);
    let url = client.file_input(&fifo).await.unwrap();
    let record = sim.record();
    assert_eq!(record.uploads.len(), 1, "{}", &url[..url.len().min(60)]);
    assert_eq!(
        record.uploads[0].size,
        UploadedFile::MAX_INLINE as usize + 10
    );
}

#[cfg(unix)]
#[tokio::test]
async fn a_fifo_cannot_read_past_the_upload_limit() {
    let sim = simulator().await;
    let client = sim.client().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let over = UploadedFile::MAX_UPLOAD as usize + (1 << 20);
    let fifo = fifo_of(&dir, "huge.png", over);
    let error = client.upload(&fifo).await.unwrap_err();
    assert!(
        matches!(&error, Error::InvalidInput { reason, .. } if reason.contains("more than")),
        "{error}"
    );
    assert!(sim.record().uploads.is_empty());
    let fifo = fifo_of(&dir, "huge2.png", over);
    let error = replicate_ideogram::models::data_url_of(&fifo).unwrap_err();
    assert!(matches!(error, Error::InvalidInput { .. }), "{error}");
}
