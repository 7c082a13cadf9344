//! `ideogram list` against a listing that leads nowhere ends with a clear error, as the library's does.

use crate::common;

use std::time::Duration;

use common::{PREFIX, TOKEN, endless::*};

#[tokio::test]
async fn ideogram_list_against_endless_empty_pages_ends_with_a_clear_error() {
    let server = endless_server(no_results, numbered).await;
    let dir = tempfile::tempdir().unwrap();
    let run = tokio::process::Command::new(env!("CARGO_BIN_EXE_ideogram"))
        .args(["list", "--limit", "10"])
        .current_dir(dir.path())
        .env("XDG_CACHE_HOME", dir.path().join(".cache"))
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
