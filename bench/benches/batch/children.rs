//! Clients that are programs of their own, measured whole: the `ideogram batch` CLI and the Python client
//! writing files. The benchmark starts a worker (a process of its own) that starts the program as its only
//! child, waits for it and reads `getrusage(RUSAGE_CHILDREN)`: the CPU time (user + system) and peak RSS of
//! the whole program, its start-up included. A prediction succeeded if its file is in the directory.
//!
//! The files are deleted only when the benchmark ends ([`clean_up`]), never between runs: on an ext4 without
//! a journal (this benchmark's machine), a new file skips every inode deleted in the last 60 s (300 s while
//! its inode table block is dirty), so deleting a run's thousands of files makes the next run's file
//! creations cost several times more CPU.

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
    process::Stdio,
    sync::atomic::{AtomicUsize, Ordering},
};

use tokio::time::Instant;

use crate::{
    Args, Who, in_own_process,
    measure::{Cost, children_usage},
    simulator::Simulator,
    workers::{Job, Kind},
};

/// Where the clients write this benchmark's files (a new directory for every run).
fn scratch() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("bench-files")
        .join(std::process::id().to_string())
}

/// The `ideogram` binary measured: `--cli-bin`, or the workspace's own build of it.
pub fn cli_bin(args: &Args) -> String {
    args.cli_bin.clone().unwrap_or_else(workspace_ideogram)
}

/// The `ideogram` Cargo built beside this benchmark (same target directory and profile). The CLI lives in
/// another package of the workspace, so Cargo does not build it for this benchmark:
/// `cargo build --bin ideogram` (`bench/run` does) before the benchmark, or a `cargo test` of the workspace (CI's
/// smoke run follows its tests, which build it for the CLI's own).
pub fn workspace_ideogram() -> String {
    // This benchmark runs as `<target>/<profile>/deps/batch-<hash>`.
    let beside = std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.parent()?.join("ideogram")));
    match beside {
        Some(path) if path.is_file() => path.display().to_string(),
        _ => {
            eprintln!(
                "no `ideogram` binary beside this benchmark: run `cargo build --bin ideogram` (with the same \
                 profile) first, or pass --cli-bin"
            );
            std::process::exit(2)
        }
    }
}

/// When the last benchmark deleted its files (seconds since the epoch, in a file beside them).
fn deleted_at() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("bench-files/deleted-at")
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Deletes the files of this benchmark's runs, and notes when.
pub fn clean_up() {
    let _ = std::fs::remove_dir_all(scratch());
    let _ = std::fs::write(deleted_at(), now().to_string());
}

/// How long ago an earlier benchmark deleted its files, if that was less than 5 minutes ago (the inodes it
/// freed then still make file creations dearer on an ext4 without a journal).
pub fn recent_deletion() -> Option<u64> {
    let then: u64 = std::fs::read_to_string(deleted_at())
        .ok()?
        .trim()
        .parse()
        .ok()?;
    Some(now().saturating_sub(then)).filter(|ago| *ago < 300)
}

/// One batch of `n` images by `who` (the CLI, or `python_client.py files`) into a fresh directory.
pub async fn measure(who: Who, args: &Args, sim: &Simulator, n: usize, concurrency: usize) -> Cost {
    static RUNS: AtomicUsize = AtomicUsize::new(0);
    let run = RUNS.fetch_add(1, Ordering::Relaxed);
    let dir = scratch().join(format!("{n}-{run}"));
    std::fs::create_dir_all(&dir).expect("a directory for the images");
    let command = match who {
        Who::Cli => {
            // The same inputs as the other clients send, one JSON object a line.
            let inputs = dir.with_extension("jsonl");
            let lines: String = (0..n)
                .map(|i| format!("{{\"prompt\":\"benchmark image {i}\",\"seed\":{i}}}\n"))
                .collect();
            std::fs::write(&inputs, lines).expect("the inputs file");
            vec![
                cli_bin(args),
                "--base-url".into(),
                sim.base_url.clone(),
                "batch".into(),
                inputs.display().to_string(),
                "--out-dir".into(),
                dir.display().to_string(),
                "--concurrency".into(),
                concurrency.to_string(),
            ]
        }
        Who::Python(mode) => vec![
            args.python.clone().expect("only with a Python"),
            crate::PYTHON_SCRIPT.to_string(),
            mode.to_string(),
            sim.base_url.trim_end_matches("/v1").to_string(),
            sim.token.clone(),
            n.to_string(),
            concurrency.to_string(),
            dir.display().to_string(),
        ],
        Who::Crate(_) => unreachable!("this crate's clients run as workers"),
    };
    let job = Job {
        out: Some(dir.clone()),
        command,
        ..Job::new(Kind::Child, sim, n, concurrency)
    };
    in_own_process(&job).await
}

/// The worker's side: runs `job.command` (the token in `REPLICATE_API_TOKEN`), its only child, and counts
/// the images it wrote into `job.out`.
pub async fn child(job: &Job) -> Cost {
    let dir = job.out.as_deref().expect("a directory");
    let (program, args) = job.command.split_first().expect("a command");
    let started = Instant::now();
    let output = tokio::process::Command::new(program)
        .args(args)
        .env("REPLICATE_API_TOKEN", &job.token)
        // Each simulator has a token of its own, so the CLI's claim file (one per server and account) would
        // be a new file in the user's cache directory every run: it goes with the benchmark's files instead.
        .env("XDG_CACHE_HOME", scratch().join("cache"))
        .stdin(Stdio::null())
        .output()
        .await
        .unwrap_or_else(|e| panic!("{program}: {e}"));
    let wall = started.elapsed().as_secs_f64();
    let (cpu, peak_rss_kib) = children_usage();
    let missing = job.n.saturating_sub(images_in(dir));
    // The Python script prints its failures by kind; the CLI names each failed item on stderr.
    let mut errors = serde_json::from_slice::<Cost>(&output.stdout)
        .map(|reported| reported.errors)
        .unwrap_or_default();
    if missing > errors.values().sum() {
        errors = BTreeMap::from([(format!("no file ({})", output.status), missing)]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        let tail: Vec<&str> = stderr.lines().rev().take(3).collect();
        eprintln!("{program}: {missing} files missing; its last lines: {tail:?}");
    }
    Cost {
        wall,
        cpu,
        peak_rss_kib,
        failures: missing,
        errors,
        bytes: 0,
    }
}

/// Complete image files in `dir` (a `.part` file is a download cut short).
fn images_in(dir: &Path) -> usize {
    std::fs::read_dir(dir).map_or(0, |entries| {
        entries
            .filter_map(Result::ok)
            .filter(|e| {
                let name = e.file_name();
                let name = name.to_string_lossy();
                [".png", ".webp", ".jpg", ".jpeg"]
                    .iter()
                    .any(|ext| name.ends_with(ext))
            })
            .count()
    })
}
