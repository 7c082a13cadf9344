//! Running the `ideogram` binary in tests: against a simulator or with no token at all.
#![allow(dead_code)]

use std::{path::Path, process::Output, time::Duration};

use replicate_ideogram_simulator::{Simulator, SimulatorConfig};
use tokio::process::Command;

pub async fn simulator() -> Simulator {
    let config =
        SimulatorConfig::default().timings(Duration::from_millis(20), Duration::from_millis(80));
    Simulator::start(config).await.unwrap()
}

/// Runs `ideogram args…` in `dir` against `sim` (or, with `None`, with no token and no base URL).
pub async fn ideogram(sim: Option<&Simulator>, dir: &Path, args: &[&str]) -> Output {
    finish(command(sim, dir, args)).await
}

/// `ideogram args…` in `dir` against `sim` (or, with `None`, with no token and no base URL), ready to run:
/// the environment's token, base URL and log filter are not passed on.
pub fn command(sim: Option<&Simulator>, dir: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ideogram"));
    command
        .args(args)
        .current_dir(dir)
        // The claim file goes to the test's own cache, never the user's (and never another test's).
        .env("XDG_CACHE_HOME", dir.join(".cache"))
        .env_remove("REPLICATE_API_TOKEN")
        .env_remove("REPLICATE_BASE_URL")
        .env_remove("RUST_LOG")
        .kill_on_drop(true);
    if let Some(sim) = sim {
        command
            .env("REPLICATE_API_TOKEN", sim.token())
            .env("REPLICATE_BASE_URL", sim.base_url());
    }
    command
}

/// Runs `command` to its end (at most a minute).
pub async fn finish(mut command: Command) -> Output {
    tokio::time::timeout(Duration::from_secs(60), command.output())
        .await
        .expect("the CLI finishes")
        .expect("the CLI runs")
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Runs each `args`, expecting exit 2 (bad usage) and `expected` in the message.
pub async fn assert_refused(sim: &Simulator, dir: &Path, cases: &[(&[&str], &str)]) {
    for (args, expected) in cases {
        let output = ideogram(Some(sim), dir, args).await;
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(expected), "{args:?}: {err}");
    }
}

pub fn assert_png(path: &Path) {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "{}", path.display());
}

/// The simulator received no request at all (nothing was sent).
pub fn assert_nothing_sent(sim: &Simulator) {
    let requests = sim.record().requests;
    assert!(requests.is_empty(), "sent: {requests:?}");
}

/// Starts `ideogram simulate` with `args` in a process of its own (killed when the child is dropped) and
/// returns it with the JSON line it announces itself with (`base_url`, `token`, `delivery_url`, `record_url`).
pub async fn simulate(args: &[&str]) -> (tokio::process::Child, serde_json::Value) {
    use tokio::io::{AsyncBufReadExt, BufReader};
    let mut child = Command::new(env!("CARGO_BIN_EXE_ideogram"))
        .arg("simulate")
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = tokio::time::timeout(Duration::from_secs(20), lines.next_line())
        .await
        .expect("the simulator announces itself")
        .unwrap()
        .unwrap();
    (child, serde_json::from_str(&first).unwrap())
}

/// The record of an `ideogram simulate` process (see [`simulate`]): what it was asked and what it made.
pub async fn simulate_record(announced: &serde_json::Value) -> serde_json::Value {
    reqwest::Client::new()
        .get(announced["record_url"].as_str().unwrap())
        .bearer_auth(announced["token"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}
