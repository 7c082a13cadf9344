//! Running `ideogram batch` for a schedule: processes started, killed with SIGKILL, run again.

use std::{
    path::{Path, PathBuf},
    process::{ExitStatus, Stdio},
    time::Duration,
};

use replicate_ideogram_simulator::Simulator;
use tokio::process::Command;

use super::schedule::Line;

/// The settle margin the CLI is given: above the schedules' list lag plus create delay.
pub const SETTLE: &str = "1.5";

/// A place for one schedule: the batch files, the shared files they name, the claim cache.
pub struct Workspace {
    pub dir: PathBuf,
}

impl Workspace {
    pub fn new(dir: &Path) -> Self {
        std::fs::write(dir.join("big.png"), big_file()).unwrap();
        for n in 0..=40u8 {
            std::fs::write(dir.join(format!("poster{n}.png")), poster(n)).unwrap();
        }
        Self {
            dir: dir.to_path_buf(),
        }
    }

    /// Writes `lines` as the batch file `name`.
    pub fn write_batch(&self, name: &str, lines: &[Line]) {
        let text: Vec<String> = lines.iter().map(Line::text).collect();
        std::fs::write(self.dir.join(name), text.join("\n") + "\n").unwrap();
    }
}

/// The 300 kB reference file: uploaded, never inline.
pub fn big_file() -> Vec<u8> {
    (0..300 * 1024).map(|i| (i % 251) as u8).collect()
}

/// A small poster of its own for each `n`: inline.
pub fn poster(n: u8) -> Vec<u8> {
    vec![n; 2000]
}

/// `ideogram batch FILE --out-dir OUT` in the workspace against `sim`, killed after `kill_after` if set.
/// The exit status, or `None` if it was killed.
pub async fn batch(
    sim: &Simulator,
    ws: &Workspace,
    (file, out): (&str, &str),
    concurrency: usize,
    kill_after: Option<Duration>,
) -> Option<ExitStatus> {
    let concurrency = concurrency.to_string();
    // Each run's stderr is kept beside the batch, for a failing seed's post-mortem.
    let runs = std::fs::read_dir(&ws.dir).map_or(0, |d| d.count());
    let log = std::fs::File::create(ws.dir.join(format!("{out}-run{runs}.log"))).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_ideogram"))
        .args([
            "batch",
            file,
            "--out-dir",
            out,
            "--concurrency",
            &concurrency,
        ])
        .args(["--list-settle", SETTLE, "--json"])
        .current_dir(&ws.dir)
        // One cache for the schedule's processes: they share the account's claim file.
        .env("XDG_CACHE_HOME", ws.dir.join(".cache"))
        .env("REPLICATE_API_TOKEN", sim.token())
        .env("REPLICATE_BASE_URL", sim.base_url())
        .env("RUST_LOG", "warn,replicate_ideogram=debug")
        .stdout(Stdio::null())
        .stderr(log)
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    match kill_after {
        Some(after) => {
            if let Ok(status) = tokio::time::timeout(after, child.wait()).await {
                return status.ok();
            }
            // SIGKILL: nothing runs after it, not a destructor, not a flush.
            child.start_kill().unwrap();
            let _ = child.wait().await;
            None
        }
        None => tokio::time::timeout(Duration::from_secs(120), child.wait())
            .await
            .expect("a batch run ends")
            .ok(),
    }
}

/// Shifts every stamp the journal in `out` wrote by the local clock by `seconds`: as if another machine,
/// whose clock is that far off, had written it.
pub fn skew_journal(ws: &Workspace, out: &str, seconds: i64) {
    let path = ws.dir.join(out).join("journal.jsonl");
    let Ok(text) = std::fs::read_to_string(&path) else {
        return;
    };
    let mut lines = Vec::new();
    for line in text.lines() {
        let Ok(mut event) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        if let Some(at) = event["at"]
            .as_str()
            .and_then(|a| a.parse::<chrono::DateTime<chrono::Utc>>().ok())
        {
            event["at"] = (at + chrono::TimeDelta::seconds(seconds))
                .to_rfc3339()
                .into();
        }
        lines.push(event.to_string());
    }
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
}
