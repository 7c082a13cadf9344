//! Ctrl-C in a batch: the first lets the predictions in flight finish and be saved and starts no more; the
//! second leaves them to the next run, which takes them up without paying again. Either way the run exits
//! 130 and prints the command that resumes it.
#![cfg(unix)]

use crate::cli_support;

use std::{
    path::Path,
    process::{Output, Stdio},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use cli_support::{assert_png, command, ideogram, stderr};
use replicate_ideogram_simulator::{Simulator, SimulatorConfig};
use tokio::{
    io::{AsyncBufReadExt, BufReader},
    process::Child,
};

const BATCH: &[&str] = &["batch", "inputs.txt", "--out-dir", "out"];

/// A batch of 6 into `out`, 2 at a time, each prediction taking 3 s: the test has time to interrupt it.
async fn slow_batch() -> (Simulator, tempfile::TempDir, Child, Arc<Mutex<String>>) {
    let config =
        SimulatorConfig::default().timings(Duration::from_millis(20), Duration::from_millis(3_000));
    let sim = Simulator::start(config).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let inputs: Vec<String> = (0..6).map(|i| format!("a lighthouse {i}")).collect();
    std::fs::write(dir.path().join("inputs.txt"), inputs.join("\n")).unwrap();
    let mut child = command(
        Some(&sim),
        dir.path(),
        &[BATCH, &["--concurrency", "2"]].concat(),
    )
    .stdout(Stdio::null())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    // Stderr as it comes, for the test to wait on a line.
    let err = Arc::new(Mutex::new(String::new()));
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let sink = Arc::clone(&err);
    tokio::spawn(async move {
        while let Ok(Some(line)) = lines.next_line().await {
            let mut err = sink.lock().unwrap();
            err.push_str(&line);
            err.push('\n');
        }
    });
    until(|| sim.record().created.len() == 2).await;
    (sim, dir, child, err)
}

fn interrupt(child: &Child) {
    let pid = child.id().unwrap().to_string();
    let status = std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap();
    assert!(status.success());
}

/// Waits (at most 20 s) until `ready` holds.
async fn until(mut ready: impl FnMut() -> bool) {
    let started = Instant::now();
    while !ready() {
        assert!(started.elapsed() < Duration::from_secs(20), "timed out");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn exit_code(child: &mut Child) -> Option<i32> {
    let status = tokio::time::timeout(Duration::from_secs(20), child.wait())
        .await
        .expect("the batch ends")
        .unwrap();
    status.code()
}

fn pngs(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut found: Vec<_> = std::fs::read_dir(dir.join("out"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension() == Some("png".as_ref()))
        .collect();
    found.sort();
    found
}

/// The same command run again finishes the batch, creating only what was never created.
async fn resume(sim: &Simulator, dir: &Path) -> Output {
    let output = ideogram(Some(sim), dir, &[BATCH, &["--concurrency", "2"]].concat()).await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(pngs(dir).len(), 6);
    assert_eq!(sim.record().created.len(), 6, "none created twice");
    output
}

#[tokio::test]
async fn a_first_ctrl_c_lets_those_in_flight_finish_and_starts_no_more() {
    let (sim, dir, mut child, err) = slow_batch().await;
    interrupt(&child);
    let code = exit_code(&mut child).await;
    let err = err.lock().unwrap().clone();
    assert_eq!(code, Some(130), "{err}");
    assert!(
        err.contains(
            "stopping: 2 in flight will finish; Ctrl-C again to leave them to the next run"
        ),
        "{err}"
    );
    let saved = pngs(dir.path());
    assert_eq!(saved.len(), 2, "the two in flight are saved: {err}");
    for png in &saved {
        assert_png(png);
    }
    assert_eq!(sim.record().created.len(), 2, "no new item started");
    assert!(err.contains("2 succeeded"), "{err}");
    assert!(err.contains("4 of 6 items not started"), "{err}");
    assert!(
        err.contains("batch inputs.txt --out-dir out --concurrency 2"),
        "the command that resumes: {err}"
    );
    let again = resume(&sim, dir.path()).await;
    assert!(stderr(&again).contains("2 skipped"), "{}", stderr(&again));
}

#[tokio::test]
async fn a_second_ctrl_c_leaves_those_in_flight_to_the_next_run() {
    let (sim, dir, mut child, err) = slow_batch().await;
    interrupt(&child);
    until(|| err.lock().unwrap().contains("stopping:")).await;
    let second = Instant::now();
    interrupt(&child);
    let code = exit_code(&mut child).await;
    let err = err.lock().unwrap().clone();
    assert_eq!(code, Some(130), "{err}");
    assert!(
        second.elapsed() < Duration::from_secs(2),
        "not waiting for those in flight"
    );
    assert!(err.contains("interrupted: #0, #1 left in flight"), "{err}");
    assert!(
        err.contains("batch inputs.txt --out-dir out --concurrency 2"),
        "the command that resumes: {err}"
    );
    assert!(pngs(dir.path()).is_empty(), "{err}");
    assert_eq!(sim.record().created.len(), 2, "no new item started");
    let again = resume(&sim, dir.path()).await;
    assert!(stderr(&again).contains("2 resumed"), "{}", stderr(&again));
}
