//! The batch benchmark: this client, a bare-reqwest floor and the official Python client doing the same
//! batches against the simulator, each in a process of its own, side by side; then the performance targets
//! (BENCHMARKS.md) with the measured value beside each. Linux only (reads /proc).
//!
//! ```sh
//! bench/run                                    # everything, with the Python client (makes its venv)
//! cargo bench --bench batch     # this crate and the floor; add PYTHON_REPLICATE=… for Python
//! cargo bench --bench batch -- --help
//! ```
//!
//! Scenarios (`--scenarios`): `batch` (N predictions of ~1.5 s at each concurrency), `faults` (the same under
//! 429 10%, 503 10%, connection reset after processing 5%), `long` (predictions of 70-120 s, longer than the
//! 60 s sync window: the poll schedule decides requests and lag), `download` (a large output to disk, against
//! curl), `cli` (the `ideogram batch` CLI writing N and 2N images into a directory, against the Python client
//! writing the same files: the marginal CPU per image), `rate-limit` (a batch against a create limit of the
//! simulator). Every figure comes from the worker's /proc (CPU, peak RSS), `getrusage` of a whole child
//! program, or the simulator's record (requests, connections, notification lag, duplicates, 429s).

// A benchmark stops on a broken setup by panicking: it is not code a server or a user reaches.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod children;
mod cli;
mod download;
mod measure;
mod rate_limit;
mod simulator;
mod targets;
mod workers;

use std::process::Stdio;

use clap::{Parser, ValueEnum};
use tokio::process::Command;

use crate::{
    measure::Cost,
    simulator::{Seen, Setup, Simulator},
    workers::{Job, Kind, Schedule},
};

/// The official Python client's side of the benchmark.
const PYTHON_SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/python_client.py");

/// The fault mix the reliability targets are set against: 429 10%, 503 10%, connection reset after processing 5%.
const FAULT_MIX: &str = "429=0.1,503=0.1,drop-after=0.05";

#[derive(Debug, Parser)]
#[command(
    about = "Batches of predictions against the simulator: this crate, bare reqwest, the ideogram CLI, Python"
)]
struct Args {
    /// Predictions per batch.
    #[arg(long, default_value_t = 1000)]
    n: usize,
    /// Concurrencies of the batch and faults scenarios.
    #[arg(long, value_delimiter = ',', default_values_t = [1, 10, 100, 1000])]
    concurrency: Vec<usize>,
    /// How long each prediction of the batch, faults, cli and rate-limit scenarios runs, in ms.
    #[arg(long, default_value_t = 1500)]
    processing_ms: u64,
    /// The scenarios to run.
    #[arg(long, value_delimiter = ',', default_values_t = [Scenario::Batch, Scenario::Faults, Scenario::Long, Scenario::Download, Scenario::Cli, Scenario::RateLimit])]
    scenarios: Vec<Scenario>,
    /// Predictions in the long scenario, all in flight at once.
    #[arg(long, default_value_t = 100)]
    long_n: usize,
    /// The shortest and longest run of a long prediction, in ms.
    #[arg(
        long,
        value_delimiter = '-',
        num_args = 1,
        default_value = "70000-120000"
    )]
    long_ms: Vec<u64>,
    /// The size of the large output of the download scenario, in MB (it is also measured at a tenth of this).
    #[arg(long, default_value_t = 100)]
    download_mb: u64,
    /// Images in the cli scenario's smaller batch; it also runs twice as many, and the difference is the
    /// marginal cost of N images.
    #[arg(long, default_value_t = 100)]
    cli_n: usize,
    /// Images in flight in the cli scenario (`ideogram batch --concurrency`, and the Python client's).
    #[arg(long, default_value_t = 10)]
    cli_concurrency: usize,
    /// The simulator's limits in the rate-limit scenario (`ideogram simulate --rate-limit`).
    #[arg(long, value_name = "LIMITS", default_value = "120:20")]
    rate_limit: String,
    /// Predictions in the rate-limit scenario.
    #[arg(long, default_value_t = 60)]
    rate_limit_n: usize,
    /// Predictions in flight in the rate-limit scenario.
    #[arg(long, default_value_t = 30)]
    rate_limit_concurrency: usize,
    /// The `ideogram` binary of the cli and rate-limit scenarios (`bench/run` builds it with `cargo build
    /// --release --bin ideogram`); default: the workspace's, beside this benchmark.
    #[arg(long, env = "IDEOGRAM_BIN")]
    cli_bin: Option<String>,
    /// A Python with `replicate==1.0.7` (`bench/run` makes one); without it the Python rows are left out.
    #[arg(long, env = "PYTHON_REPLICATE")]
    python: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, ValueEnum)]
enum Scenario {
    Batch,
    Faults,
    Long,
    Download,
    Cli,
    RateLimit,
}

impl std::fmt::Display for Scenario {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.to_possible_value().expect("named").get_name())
    }
}

/// Who does the job.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Who {
    Crate(Kind),
    /// The `ideogram batch` CLI, a program of its own.
    Cli,
    /// `bench/python_client.py` in one of its modes.
    Python(&'static str),
}

impl Who {
    fn name(self) -> String {
        match self {
            Who::Crate(Kind::Ours(Schedule::Default)) => "replicate-ideogram".into(),
            Who::Crate(Kind::Ours(Schedule::Fixed(ms))) => {
                format!("replicate-ideogram, fixed {ms} ms polls after the sync wait")
            }
            Who::Crate(Kind::Ours(Schedule::Backoff)) => {
                "replicate-ideogram, 250 ms ×1.5 to 5 s after the sync wait".into()
            }
            Who::Crate(Kind::Floor) => "bare reqwest (floor)".into(),
            Who::Crate(Kind::OursBatch) => "replicate-ideogram `Client::batch`".into(),
            Who::Crate(Kind::OursDownload) => "replicate-ideogram `to_file`".into(),
            Who::Crate(Kind::CurlDownload) => "curl".into(),
            Who::Crate(Kind::Child) => "a program".into(),
            Who::Cli => "`ideogram batch` (CLI)".into(),
            Who::Python("run") => "Python replicate 1.0.7 `async_run`".into(),
            Who::Python("poll") => "Python 1.0.7 `async_run(wait=False)` (0.5 s polls)".into(),
            Who::Python("retry") => "Python 1.0.7, caller retries failed runs (×3)".into(),
            Who::Python("files") => {
                "Python replicate 1.0.7 `async_run`, each output to a file".into()
            }
            Who::Python(mode) => format!("Python 1.0.7 {mode}"),
        }
    }
}

/// One row of a table.
pub struct Row {
    scenario: Scenario,
    who: Who,
    n: usize,
    concurrency: usize,
    cost: Cost,
    seen: Seen,
    /// How many times the batch ran (the median run is reported).
    runs: usize,
}

impl Row {
    fn cpu_ms_per_prediction(&self) -> f64 {
        self.cost.cpu * 1000.0 / self.n as f64
    }

    fn requests_per_prediction(&self) -> f64 {
        self.seen.requests as f64 / self.n as f64
    }

    fn print(&self) {
        let errors = self.cost.errors_text();
        let (lag_mean, lag_p95) = if self.seen.lags == 0 {
            ("–".to_string(), "–".to_string())
        } else {
            (
                format!("{:.1} ms", self.seen.lag_mean_ms),
                format!("{:.1} ms", self.seen.lag_p95_ms),
            )
        };
        let median = if self.runs > 1 {
            format!(" (median of {})", self.runs)
        } else {
            String::new()
        };
        println!(
            "| {} | {}{median} | {} | {} | {:.2} s | {:.3} ms | {:.1} MiB | {:.3} | {} | {lag_mean} | {lag_p95} | {}{} | {} |",
            self.scenario,
            self.who.name(),
            self.n,
            self.concurrency,
            self.cost.wall,
            self.cpu_ms_per_prediction(),
            self.cost.peak_rss_kib / 1024.0,
            self.requests_per_prediction(),
            self.seen.connections,
            self.cost.failures,
            errors,
            self.seen.duplicates,
        );
    }
}

fn print_batch_header() {
    println!(
        "| scenario | client | predictions | concurrency | wall | client CPU / prediction | peak RSS | API requests / prediction | TCP connections | lag mean | lag p95 | failures | duplicates |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
}

/// Starts this benchmark again as a worker doing `job`, and reads its cost.
pub async fn in_own_process(job: &Job) -> Cost {
    let output = Command::new(std::env::current_exe().expect("this benchmark's path"))
        .arg("worker")
        .arg(serde_json::to_string(job).expect("JSON"))
        .stderr(Stdio::inherit())
        .output()
        .await
        .expect("the worker runs");
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("worker {job:?}: {e}"))
}

/// Runs `bench/python_client.py MODE …` and reads its cost.
async fn in_python(
    python: &str,
    mode: &str,
    sim: &Simulator,
    n: usize,
    concurrency: usize,
) -> Cost {
    // The Python client's base URL has no /v1: it adds it to every path.
    let base = sim.base_url.trim_end_matches("/v1");
    let output = Command::new(python)
        .args([
            PYTHON_SCRIPT,
            mode,
            base,
            &sim.token,
            &n.to_string(),
            &concurrency.to_string(),
        ])
        .output()
        .await
        .expect("python runs");
    serde_json::from_slice(&output.stdout).unwrap_or_else(|_| {
        panic!(
            "python_client.py failed: {}",
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

/// Batches shorter than this are run three times and the run with the median CPU time is reported: a batch
/// of 2 s has 0.3 s of CPU, where one scheduling hiccup shows.
const SHORT_BATCH_SECONDS: f64 = 30.0;

/// One batch by `who` against a fresh simulator set up as `setup` (three, if it is short and its CPU is the
/// point, or of the cli scenario).
async fn row(
    args: &Args,
    scenario: Scenario,
    who: Who,
    setup: &Setup,
    n: usize,
    concurrency: usize,
) -> Row {
    let mut runs = vec![once(args, scenario, who, setup, n, concurrency).await];
    // Rows that wait on the server far more than they work are run once; the cli scenario's always three
    // times (its marginal cost is the difference of two CPU times).
    let waits = matches!(scenario, Scenario::Long | Scenario::RateLimit);
    let short = runs[0].cost.wall < SHORT_BATCH_SECONDS;
    if scenario == Scenario::Cli || (short && !waits) {
        for _ in 0..2 {
            runs.push(once(args, scenario, who, setup, n, concurrency).await);
        }
        runs.sort_by(|a, b| a.cost.cpu.total_cmp(&b.cost.cpu));
    }
    let mut row = runs.swap_remove(runs.len() / 2);
    row.runs = runs.len() + 1;
    row
}

async fn once(
    args: &Args,
    scenario: Scenario,
    who: Who,
    setup: &Setup,
    n: usize,
    concurrency: usize,
) -> Row {
    let sim = Simulator::start(setup).await;
    let cost = match who {
        Who::Crate(kind) => in_own_process(&Job::new(kind, &sim, n, concurrency)).await,
        Who::Cli | Who::Python("files") => children::measure(who, args, &sim, n, concurrency).await,
        Who::Python(mode) => {
            let python = args.python.as_deref().expect("only with a Python");
            in_python(python, mode, &sim, n, concurrency).await
        }
    };
    Row {
        scenario,
        who,
        n,
        concurrency,
        cost,
        seen: sim.seen().await,
        runs: 1,
    }
}

/// The batch and faults scenarios: each concurrency, each client, one after the other.
async fn batches(args: &Args, scenario: Scenario, rows: &mut Vec<Row>) {
    let (setup, clients): (Setup, Vec<Who>) = match scenario {
        Scenario::Batch => (
            Setup {
                processing_ms: args.processing_ms,
                ..Setup::default()
            },
            vec![
                Who::Crate(Kind::Ours(Schedule::Default)),
                Who::Crate(Kind::Floor),
                Who::Python("run"),
            ],
        ),
        _ => (
            Setup {
                processing_ms: args.processing_ms,
                fault_mix: Some(FAULT_MIX.into()),
                ..Setup::default()
            },
            vec![
                Who::Crate(Kind::Ours(Schedule::Default)),
                Who::Python("run"),
                Who::Python("retry"),
            ],
        ),
    };
    for &concurrency in &args.concurrency {
        for &who in &clients {
            if matches!(who, Who::Python(_)) && args.python.is_none() {
                continue;
            }
            let row = row(args, scenario, who, &setup, args.n, concurrency).await;
            row.print();
            rows.push(row);
        }
    }
}

/// The long scenario: every schedule at once (each with its own simulator and process; they wait far more
/// than they work).
async fn long(args: &Args, rows: &mut Vec<Row>) {
    let (min, max) = match args.long_ms[..] {
        [min, max] => (min, max),
        [one] => (one, one),
        _ => panic!("--long-ms MIN-MAX"),
    };
    let setup = Setup {
        processing_ms: min,
        processing_max_ms: Some(max),
        ..Setup::default()
    };
    let mut clients = vec![
        Who::Crate(Kind::Ours(Schedule::Default)),
        Who::Crate(Kind::Ours(Schedule::Fixed(250))),
        Who::Crate(Kind::Ours(Schedule::Fixed(500))),
        Who::Crate(Kind::Ours(Schedule::Backoff)),
    ];
    if args.python.is_some() {
        clients.extend([Who::Python("run"), Who::Python("poll")]);
    }
    let (n, concurrency) = (args.long_n, args.long_n);
    let done = futures_util::future::join_all(
        clients
            .into_iter()
            .map(|who| row(args, Scenario::Long, who, &setup, n, concurrency)),
    )
    .await;
    for row in done {
        row.print();
        rows.push(row);
    }
}

#[tokio::main]
async fn main() {
    let mut argv: Vec<String> = std::env::args().collect();
    if argv.get(1).map(String::as_str) == Some("worker") {
        let job: Job = serde_json::from_str(&argv[2]).expect("a job");
        let cost = workers::run(job).await;
        println!("{}", serde_json::to_string(&cost).expect("JSON"));
        return;
    }
    // `cargo bench` adds `--bench`; the options are ours.
    argv.retain(|a| a != "--bench");
    let args = Args::parse_from(argv);
    println!(
        "Machine: {} cores, {}, load average {} at the start; {}",
        std::thread::available_parallelism().map_or(0, usize::from),
        cpu_model(),
        load_average(),
        if args.python.is_some() {
            "with the Python client"
        } else {
            "without the Python client (set PYTHON_REPLICATE or use bench/run)"
        }
    );
    let mut rows = Vec::new();
    let mut table_started = false;
    for scenario in [Scenario::Batch, Scenario::Faults, Scenario::Long] {
        if !args.scenarios.contains(&scenario) {
            continue;
        }
        if !table_started {
            println!();
            print_batch_header();
            table_started = true;
        }
        match scenario {
            Scenario::Long => long(&args, &mut rows).await,
            _ => batches(&args, scenario, &mut rows).await,
        }
    }
    let downloads = if args.scenarios.contains(&Scenario::Download) {
        println!();
        download::downloads(&args).await
    } else {
        Vec::new()
    };
    if args.scenarios.contains(&Scenario::Cli) {
        println!();
        cli::cli(&args, &mut rows).await;
    }
    if args.scenarios.contains(&Scenario::RateLimit) {
        println!();
        rate_limit::rate_limited(&args, &mut rows).await;
    }
    println!();
    let clean = targets::report(&args, &rows, &downloads);
    // Other processes on the machine slow the clients and the simulator alike, and inflate CPU times.
    println!("\nLoad average at the end: {}", load_average());
    children::clean_up();
    if !clean {
        eprintln!("this crate failed a prediction or created one twice");
        std::process::exit(1);
    }
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find_map(|l| l.strip_prefix("model name"))
                .map(|m| m.trim_start_matches([' ', '\t', ':']).to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into())
}

/// The 1, 5 and 15 minute load averages (`/proc/loadavg`).
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| "unknown".into())
}
