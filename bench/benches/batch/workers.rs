//! The measured jobs. Each runs in a process of its own (this benchmark started again with `worker JOB`), so
//! its CPU time and peak memory are its own; it prints its [`Cost`] as one JSON line.

use std::{collections::BTreeMap, path::PathBuf, process::Stdio, time::Duration};

use futures_util::{StreamExt, stream};
use replicate_ideogram::{
    Client, Error, WaitOptions, batch::Outputs, models::IdeogramV2TurboInput,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::time::Instant;

use crate::{
    children,
    measure::{Cost, children_usage, cpu_seconds, peak_rss_kib},
    simulator::Simulator,
};

/// One measured job, passed to the worker process as JSON.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Job {
    pub kind: Kind,
    pub base_url: String,
    pub token: String,
    pub n: usize,
    pub concurrency: usize,
    /// What to download, and where to (download jobs); the directory a child writes into (child jobs).
    pub url: Option<String>,
    pub out: Option<PathBuf>,
    /// The program and its arguments (child jobs).
    #[serde(default)]
    pub command: Vec<String>,
}

impl Job {
    /// A job of `n` predictions at `concurrency` against `sim`.
    pub fn new(kind: Kind, sim: &Simulator, n: usize, concurrency: usize) -> Self {
        Job {
            kind,
            base_url: sim.base_url.clone(),
            token: sim.token.clone(),
            n,
            concurrency,
            url: None,
            out: None,
            command: Vec::new(),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum Kind {
    /// This crate: `run` (`Prefer: wait`, then its poll schedule), then the output downloaded.
    Ours(Schedule),
    /// The floor: bare reqwest sending the same create (`Prefer: wait`) and download, parsing JSON into a
    /// `serde_json::Value`; no wrapper, no generated code, no retries.
    Floor,
    /// This crate's `Client::batch` (the library's batch: its rate governor, outputs downloaded into memory).
    OursBatch,
    /// This crate's `download(url).to_file(out)`.
    OursDownload,
    /// `curl -sS -o out url`.
    CurlDownload,
    /// A program in a child process (`command`) writing one file per prediction into `out`: the `ideogram`
    /// CLI, or the Python client writing files. CPU and peak RSS are the whole child process's.
    Child,
}

/// The poll schedule after the sync wait.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum Schedule {
    /// `WaitOptions::default()`.
    Default,
    /// `WaitOptions::fixed(ms)`.
    Fixed(u64),
    /// 250 ms growing ×1.5 up to 5 s from the first poll (the schedule this crate had before its sync wait and steady polling).
    Backoff,
}

impl Schedule {
    fn options(self) -> WaitOptions {
        match self {
            Self::Default => WaitOptions::default(),
            Self::Fixed(ms) => WaitOptions::fixed(Duration::from_millis(ms)),
            Self::Backoff => WaitOptions::default()
                .interval(Duration::from_millis(250))
                .backoff_after(Duration::ZERO),
        }
    }
}

pub async fn run(job: Job) -> Cost {
    match job.kind {
        Kind::Ours(schedule) => ours(&job, schedule).await,
        Kind::Floor => floor(&job).await,
        Kind::OursBatch => ours_batch(&job).await,
        Kind::OursDownload => ours_download(&job).await,
        Kind::CurlDownload => curl_download(&job).await,
        Kind::Child => children::child(&job).await,
    }
}

/// Runs `one(i)` for i in 0..n at the job's concurrency, timing it; failures are counted by their label.
async fn batch<F>(job: &Job, one: impl Fn(usize) -> F) -> Cost
where
    F: Future<Output = Result<(), String>>,
{
    let (cpu, started) = (cpu_seconds(), Instant::now());
    let outcomes: Vec<Result<(), String>> = stream::iter(0..job.n)
        .map(one)
        .buffer_unordered(job.concurrency)
        .collect()
        .await;
    finished(started, cpu, outcomes.into_iter().filter_map(Result::err))
}

/// What a job that began at `started` with `cpu` seconds spent cost, given its failures' labels.
fn finished(started: Instant, cpu: f64, failures: impl IntoIterator<Item = String>) -> Cost {
    let mut errors = BTreeMap::new();
    for error in failures {
        *errors.entry(error).or_insert(0) += 1;
    }
    Cost {
        wall: started.elapsed().as_secs_f64(),
        cpu: cpu_seconds() - cpu,
        peak_rss_kib: peak_rss_kib(),
        failures: errors.values().sum(),
        errors,
        bytes: 0,
    }
}

async fn ours(job: &Job, schedule: Schedule) -> Cost {
    let client = Client::builder()
        .token(&job.token)
        .base_url(&job.base_url)
        .wait_options(schedule.options())
        .build()
        .expect("a client");
    batch(job, |i| {
        let client = &client;
        async move {
            let input = IdeogramV2TurboInput::new(format!("benchmark image {i}")).seed(i as i64);
            let url = client.run(input).await.map_err(|e| label(&e))?;
            client.download(&url).bytes().await.map_err(|e| label(&e))?;
            Ok(())
        }
    })
    .await
}

/// The library's batch: the same inputs through `Client::batch`, every output downloaded into memory.
async fn ours_batch(job: &Job) -> Cost {
    let client = Client::builder()
        .token(&job.token)
        .base_url(&job.base_url)
        .build()
        .expect("a client");
    let inputs: Vec<IdeogramV2TurboInput> = (0..job.n)
        .map(|i| IdeogramV2TurboInput::new(format!("benchmark image {i}")).seed(i as i64))
        .collect();
    let (cpu, started) = (cpu_seconds(), Instant::now());
    let items = client
        .batch(inputs)
        .concurrency(job.concurrency)
        .outputs(Outputs::Memory)
        .start()
        .await
        .expect("no journal: nothing to open or bind");
    let failed: Vec<String> = items
        .filter_map(|item| async move { item.result.err().map(|e| label(&e)) })
        .collect()
        .await;
    finished(started, cpu, failed)
}

/// A failure's kind, for the table: the error variant, and the HTTP status where there is one.
fn label(error: &Error) -> String {
    let variant = format!("{error:?}");
    let variant = variant
        .split(|c: char| !c.is_alphanumeric())
        .next()
        .unwrap_or("error");
    match error.status() {
        Some(status) => format!("{variant} {status}"),
        None => variant.to_string(),
    }
}

async fn floor(job: &Job) -> Cost {
    let http = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("a client");
    let create = format!(
        "{}/models/ideogram-ai/ideogram-v2-turbo/predictions",
        job.base_url
    );
    batch(job, |i| {
        let (http, create) = (&http, &create);
        async move {
            let body = json!({"input": {"prompt": format!("benchmark image {i}"), "seed": i}});
            let prediction: Value = http
                .post(create)
                .bearer_auth(&job.token)
                .header("Prefer", "wait=60")
                .json(&body)
                .send()
                .await
                .and_then(reqwest::Response::error_for_status)
                .map_err(|e| format!("create: {e}"))?
                .json()
                .await
                .map_err(|e| format!("create: {e}"))?;
            let output = prediction["output"]
                .as_str()
                .ok_or_else(|| format!("not done: {}", prediction["status"]))?;
            http.get(output)
                .send()
                .await
                .and_then(reqwest::Response::error_for_status)
                .map_err(|e| format!("download: {e}"))?
                .bytes()
                .await
                .map_err(|e| format!("download: {e}"))?;
            Ok(())
        }
    })
    .await
}

async fn ours_download(job: &Job) -> Cost {
    let client = Client::builder()
        .token(&job.token)
        .base_url(&job.base_url)
        .build()
        .expect("a client");
    let (url, out) = (job.url.as_deref().unwrap(), job.out.as_deref().unwrap());
    let (cpu, started) = (cpu_seconds(), Instant::now());
    let result = client.download(url).to_file(out).await;
    let mut cost = Cost {
        wall: started.elapsed().as_secs_f64(),
        cpu: cpu_seconds() - cpu,
        peak_rss_kib: peak_rss_kib(),
        ..Cost::default()
    };
    match result {
        Ok(_) => cost.bytes = std::fs::metadata(out).map_or(0, |m| m.len()),
        Err(error) => {
            cost.failures = 1;
            cost.errors.insert(label(&error), 1);
        }
    }
    cost
}

/// curl in a child process; its CPU time and peak RSS come from `getrusage(RUSAGE_CHILDREN)`, so this
/// worker must have no other child.
async fn curl_download(job: &Job) -> Cost {
    let (url, out) = (job.url.as_deref().unwrap(), job.out.as_deref().unwrap());
    let started = Instant::now();
    let status = tokio::process::Command::new("curl")
        .args(["-sS", "--noproxy", "*", "-o"])
        .arg(out)
        .arg(url)
        .stdin(Stdio::null())
        .status()
        .await;
    let wall = started.elapsed().as_secs_f64();
    let (cpu, peak_rss_kib) = children_usage();
    let mut cost = Cost {
        wall,
        cpu,
        peak_rss_kib,
        ..Cost::default()
    };
    match status {
        Ok(s) if s.success() => cost.bytes = std::fs::metadata(out).map_or(0, |m| m.len()),
        other => {
            cost.failures = 1;
            cost.errors.insert(format!("curl: {other:?}"), 1);
        }
    }
    cost
}
