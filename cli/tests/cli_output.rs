//! What reaches the user besides images: standard output that its reader closed ends the run quietly with
//! 141.

mod cli_support;

use std::{process::Stdio, time::Duration};

use cli_support::{command, stderr};
use replicate_ideogram_simulator::{Simulator, SimulatorConfig};
use tokio::io::{AsyncBufReadExt, BufReader};

/// `ideogram batch inputs.txt --json | head -1`: the reader goes away after one line.
#[tokio::test]
async fn a_batch_whose_reader_went_away_stops_quietly_with_141() {
    let config =
        SimulatorConfig::default().timings(Duration::from_millis(20), Duration::from_millis(200));
    let sim = Simulator::start(config).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let inputs: Vec<String> = (0..12).map(|i| format!("a red fox number {i}")).collect();
    std::fs::write(dir.path().join("inputs.txt"), inputs.join("\n")).unwrap();
    let args = [
        "batch",
        "inputs.txt",
        "--out-dir",
        "out",
        "--concurrency",
        "2",
        "--json",
    ];
    let mut child = command(Some(&sim), dir.path(), &args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = tokio::time::timeout(Duration::from_secs(20), lines.next_line())
        .await
        .expect("a first line")
        .unwrap()
        .unwrap();
    let first: serde_json::Value = serde_json::from_str(&first).unwrap();
    assert_eq!(first["status"], "succeeded", "{first}");
    drop(lines);

    let output = tokio::time::timeout(Duration::from_secs(30), child.wait_with_output())
        .await
        .expect("the batch ends")
        .unwrap();
    let err = stderr(&output);
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(output.status.code(), Some(141), "{err}");
    assert!(!err.contains("error"), "nothing to say: {err}");
    let created = sim.record().created.len();
    assert!(
        created < 12,
        "no item started after the reader left: {created}"
    );
}

/// `ideogram schema --list | true`: the pipe is closed before anything is written.
#[tokio::test]
async fn a_command_whose_stdout_is_closed_exits_141_without_a_word() {
    let dir = tempfile::tempdir().unwrap();
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let child = command(None, dir.path(), &["schema", "--list"])
        .stdout(writer)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let output = child.wait_with_output().await.unwrap();
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(141), "{err}");
    assert!(err.is_empty(), "{err}");
}
