//! Batches of predictions against the simulator running as its own process: what this client costs per
//! prediction in CPU, memory, requests and connections, and how late it learns that a prediction finished.
//!
//! ```sh
//! cargo bench --features cli --bench batch -- [N] [CONCURRENCY,…] [PROCESSING_MS]
//! ```
//!
//! Defaults: 1000 predictions at concurrency 1, 10, 100 and 1000, each running 1500 ms in the simulator
//! (inside the 60 s sync window), with a small PNG output downloaded. Linux only (reads /proc/self).
//!
//! With `PYTHON_REPLICATE=/path/to/python` (a Python with `replicate==1.0.7`, e.g. a venv made by
//! `python3 -m venv target/bench-venv && target/bench-venv/bin/pip install replicate==1.0.7`), every batch is
//! also run by the official Python client (`bench/python_client.py`) against a fresh simulator, in the same run.

use std::{
    process::Stdio,
    time::{Duration, Instant},
};

use futures_util::{StreamExt, stream};
use replicate_ideogram::{Client, models::IdeogramV2TurboInput};
use serde_json::Value;
use tokio::{
    io::{AsyncBufReadExt, BufReader},
    process::{Child, Command},
};

/// Clock ticks per second of /proc's CPU times (`getconf CLK_TCK`; 100 on Linux).
const TICKS_PER_SECOND: f64 = 100.0;

struct Simulator {
    _process: Child,
    base_url: String,
    token: String,
    record_url: String,
}

async fn simulator(processing_ms: u64) -> Simulator {
    let mut process = Command::new(env!("CARGO_BIN_EXE_ideogram"))
        .args([
            "simulate",
            "--starting-ms",
            "50",
            "--processing-ms",
            &processing_ms.to_string(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("the simulator starts");
    let line = BufReader::new(process.stdout.take().expect("its stdout"))
        .lines()
        .next_line()
        .await
        .expect("it announces itself")
        .expect("a line");
    let announced: Value = serde_json::from_str(&line).expect("JSON");
    let text = |key: &str| announced[key].as_str().expect("a string").to_string();
    Simulator {
        base_url: text("base_url"),
        token: text("token"),
        record_url: text("record_url"),
        _process: process,
    }
}

/// User + system CPU time of this process so far, in seconds.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which is in parentheses): utime is the 14th field, stime the 15th.
    let after = stat.rsplit(')').next().unwrap_or("");
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / TICKS_PER_SECOND
}

/// Peak resident memory of this process so far, in MiB.
fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// Runs one batch, prints its row, and says whether every prediction succeeded once.
/// What one batch cost its client.
struct Cost {
    wall: f64,
    cpu: f64,
    peak_rss_mib: f64,
    failures: usize,
}

/// Runs one batch with this crate; prints its row and says whether every prediction succeeded once.
async fn batch(n: usize, concurrency: usize, processing_ms: u64) -> bool {
    let sim = simulator(processing_ms).await;
    let client = Client::builder()
        .token(&sim.token)
        .base_url(&sim.base_url)
        .build()
        .expect("a client");
    let (cpu, started) = (cpu_seconds(), Instant::now());
    let outcomes: Vec<bool> = stream::iter(0..n)
        .map(|i| {
            let client = &client;
            async move {
                let input =
                    IdeogramV2TurboInput::new(format!("benchmark image {i}")).seed(i as i64);
                match client.run(input).timeout(Duration::from_secs(600)).await {
                    Ok(url) => client.download(&url).bytes().await.is_ok(),
                    Err(_) => false,
                }
            }
        })
        .buffer_unordered(concurrency)
        .collect()
        .await;
    let cost = Cost {
        wall: started.elapsed().as_secs_f64(),
        cpu: cpu_seconds() - cpu,
        peak_rss_mib: peak_rss_mib(),
        failures: outcomes.iter().filter(|ok| !**ok).count(),
    };
    // Through the same client (and pool): a new connection for this would count as one of the batch's.
    report(
        "replicate-ideogram",
        n,
        concurrency,
        &cost,
        &client,
        &sim,
        0,
    )
    .await
}

/// Runs one batch with the official Python client; prints its row.
async fn python_batch(python: &str, n: usize, concurrency: usize, processing_ms: u64) -> bool {
    let sim = simulator(processing_ms).await;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/bench/python_client.py");
    // The Python client's base URL has no /v1: it adds it to every path.
    let base = sim.base_url.trim_end_matches("/v1");
    let output = Command::new(python)
        .args([
            script,
            base,
            &sim.token,
            &n.to_string(),
            &concurrency.to_string(),
        ])
        .output()
        .await
        .expect("python runs");
    let line: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|_| {
        panic!(
            "python_client.py failed: {}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    let number = |key: &str| line[key].as_f64().unwrap_or(f64::NAN);
    let cost = Cost {
        wall: number("wall"),
        cpu: number("cpu"),
        peak_rss_mib: number("peak_rss_kib") / 1024.0,
        failures: line["failures"].as_u64().unwrap_or(u64::MAX) as usize,
    };
    let reader = Client::builder()
        .token(&sim.token)
        .base_url(&sim.base_url)
        .build()
        .expect("a client");
    // This reader's own connection to fetch the record is not the Python client's.
    report(
        "replicate (Python) 1.0.7",
        n,
        concurrency,
        &cost,
        &reader,
        &sim,
        1,
    )
    .await
}

/// Prints a batch's row from its cost and the simulator's record; true if nothing failed or was duplicated.
async fn report(
    name: &str,
    n: usize,
    concurrency: usize,
    cost: &Cost,
    reader: &Client,
    sim: &Simulator,
    own_connections: u64,
) -> bool {
    let record = reader
        .download(&sim.record_url)
        .bytes()
        .await
        .expect("the record");
    let record: Value = serde_json::from_slice(&record).expect("JSON");
    let requests: u64 = record["requests"]
        .as_object()
        .map_or(0, |r| r.values().filter_map(Value::as_u64).sum());
    let connections = record["connections"]
        .as_u64()
        .unwrap_or(0)
        .saturating_sub(own_connections);
    let mut lags: Vec<f64> = record["notification_lags"]
        .as_array()
        .map(|l| {
            l.iter()
                .filter_map(Value::as_f64)
                .map(|s| s * 1000.0)
                .collect()
        })
        .unwrap_or_default();
    lags.sort_by(f64::total_cmp);
    let mean = lags.iter().sum::<f64>() / lags.len().max(1) as f64;
    let created = record["created"].as_array().cloned().unwrap_or_default();
    let distinct: std::collections::HashSet<String> =
        created.iter().map(|c| c["input"].to_string()).collect();
    let duplicates = created.len() - distinct.len();
    println!(
        "| {name} | {n} | {concurrency} | {:.2} s | {:.3} ms | {:.1} MiB | {:.3} | {connections} | {mean:.1} ms | {:.1} ms | {} | {duplicates} |",
        cost.wall,
        cost.cpu * 1000.0 / n as f64,
        cost.peak_rss_mib,
        requests as f64 / n as f64,
        percentile(&lags, 0.95),
        cost.failures,
    );
    cost.failures == 0 && duplicates == 0
}

#[tokio::main]
async fn main() {
    // `cargo bench` passes `--bench`; the numbers are ours.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let n: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(1000);
    let concurrencies: Vec<usize> = args
        .get(1)
        .map(|a| a.split(',').filter_map(|c| c.parse().ok()).collect())
        .unwrap_or_else(|| vec![1, 10, 100, 1000]);
    let processing_ms: u64 = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(1500);
    let python = std::env::var("PYTHON_REPLICATE")
        .ok()
        .filter(|p| !p.is_empty());
    println!(
        "| client | predictions | concurrency | wall | client CPU / prediction | peak RSS | requests / prediction | TCP connections | lag mean | lag p95 | failures | duplicates |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|");
    let mut clean = true;
    for concurrency in concurrencies {
        clean &= batch(n, concurrency, processing_ms).await;
        if let Some(python) = &python {
            // The Python client's failures are figures to report, not a failure of this harness.
            python_batch(python, n, concurrency, processing_ms).await;
        }
    }
    if !clean {
        eprintln!("some predictions failed or were created twice");
        std::process::exit(1);
    }
}
