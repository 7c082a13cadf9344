//! The rate-limit scenario: a batch asking for far more creates than the simulator's limit allows (by
//! default N = 60 at concurrency 30 against 120 creates a minute in bursts of 20). This crate's batch (the
//! library's, and the CLI's, which runs it) and the Python client, every client with its own simulator and
//! process, all at once (they wait on the limit far more than they work). Reported: failures, creates
//! refused per prediction (the simulator's record), and the wall time against what the limit allows: the
//! burst at once, the rest at the limit's rate, plus one prediction's time.

use replicate_ideogram_simulator::ServerLimits;

use crate::{
    Args, Row, Scenario, Who, row,
    simulator::{STARTING_MS, Setup},
    workers::Kind,
};

/// The library's batch in the rate-limit scenario.
pub const OURS_BATCH: Who = Who::Crate(Kind::OursBatch);

/// The limits `--rate-limit` names.
fn limits(args: &Args) -> ServerLimits {
    args.rate_limit
        .parse()
        .unwrap_or_else(|e| panic!("--rate-limit: {e}"))
}

/// What the limit allows a batch of `n`, in seconds: the burst at once, the rest at the create rate, plus
/// one prediction's time (`starting`, then processing).
pub fn allowed_seconds(args: &Args, n: usize) -> f64 {
    let one = (STARTING_MS + args.processing_ms) as f64 / 1000.0;
    match limits(args).creates {
        Some(bucket) => {
            let rest = n.saturating_sub(bucket.burst() as usize);
            rest as f64 * 60.0 / bucket.per_minute() + one
        }
        None => one,
    }
}

pub async fn rate_limited(args: &Args, rows: &mut Vec<Row>) {
    let setup = Setup {
        processing_ms: args.processing_ms,
        rate_limit: Some(args.rate_limit.clone()),
        ..Setup::default()
    };
    let mut clients = vec![OURS_BATCH, Who::Cli];
    if args.python.is_some() {
        clients.push(Who::Python("run"));
    }
    let (n, c) = (args.rate_limit_n, args.rate_limit_concurrency);
    let done = futures_util::future::join_all(
        clients
            .into_iter()
            .map(|who| row(args, Scenario::RateLimit, who, &setup, n, c)),
    )
    .await;
    let allowed = allowed_seconds(args, n);
    println!(
        "| client | predictions | concurrency | limit | wall | the limit allows | wall / allowed | creates refused (429) / prediction | other requests refused | API requests / prediction | client CPU / prediction | failures | duplicates |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    for row in done {
        let errors = row.cost.errors_text();
        println!(
            "| {} | {} | {} | `{}` | {:.2} s | {allowed:.2} s | {:.2} | {:.2} | {} | {:.3} | {:.3} ms | {}{errors} | {} |",
            row.who.name(),
            row.n,
            row.concurrency,
            args.rate_limit,
            row.cost.wall,
            row.cost.wall / allowed,
            row.seen.throttled_creates as f64 / row.n as f64,
            row.seen.throttled_others,
            row.requests_per_prediction(),
            row.cpu_ms_per_prediction(),
            row.cost.failures,
            row.seen.duplicates,
        );
        rows.push(row);
    }
}
