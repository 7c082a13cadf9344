//! The cli scenario: the `ideogram` CLI's own cost. `ideogram batch FILE --out-dir DIR` of N images (each
//! downloaded and written to a file, with the CLI's journal and contact sheet) against the official Python
//! client doing the same images and writing each to a file, as a user's script would. Each program is
//! measured whole (start-up included), at N and at 2N images: the difference over N is the marginal CPU
//! per image, without the start-up.

use crate::{Args, Row, Scenario, Who, row, simulator::Setup};

/// The clients of the scenario: the CLI, and the Python client when there is one.
fn clients(args: &Args) -> Vec<Who> {
    let mut clients = vec![Who::Cli];
    if args.python.is_some() {
        clients.push(Who::Python("files"));
    }
    clients
}

pub async fn cli(args: &Args, rows: &mut Vec<Row>) {
    println!("The CLI: {}", crate::children::cli_bin(args));
    if let Some(ago) = crate::children::recent_deletion() {
        println!(
            "Warning: an earlier benchmark deleted its files {ago} s ago; on an ext4 without a journal, file \
             creations cost more for 5 minutes after (see benches/batch/children.rs)."
        );
    }
    println!();
    println!(
        "| client | images | concurrency | wall | process CPU | CPU / image | peak RSS | API requests / image | TCP connections | failures | duplicates |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    let setup = Setup {
        processing_ms: args.processing_ms,
        ..Setup::default()
    };
    let c = args.cli_concurrency;
    for n in [args.cli_n, 2 * args.cli_n] {
        for who in clients(args) {
            let row = row(args, Scenario::Cli, who, &setup, n, c).await;
            print_row(&row);
            rows.push(row);
        }
    }
    println!();
    println!(
        "| client | process CPU at N | process CPU at 2N | marginal CPU / image ((CPU(2N) − CPU(N)) / N) | Python / CLI |"
    );
    println!("|---|---|---|---|---|");
    let cli = marginal(rows, Who::Cli);
    for who in clients(args) {
        let Some(m) = marginal(rows, who) else {
            continue;
        };
        let ratio = match (who, cli) {
            (Who::Python(_), Some(cli)) => format!("{:.1}", m.per_image_ms / cli.per_image_ms),
            _ => "–".into(),
        };
        println!(
            "| {} | {:.3} s (N = {}) | {:.3} s (2N = {}) | {:.3} ms | {ratio} |",
            who.name(),
            m.cpu_small,
            m.small,
            m.cpu_large,
            m.large,
            m.per_image_ms
        );
    }
}

fn print_row(row: &Row) {
    let errors = row.cost.errors_text();
    let median = if row.runs > 1 {
        format!(" (median of {})", row.runs)
    } else {
        String::new()
    };
    println!(
        "| {}{median} | {} | {} | {:.2} s | {:.3} s | {:.3} ms | {:.1} MiB | {:.3} | {} | {}{errors} | {} |",
        row.who.name(),
        row.n,
        row.concurrency,
        row.cost.wall,
        row.cost.cpu,
        row.cpu_ms_per_prediction(),
        row.cost.peak_rss_kib / 1024.0,
        row.requests_per_prediction(),
        row.seen.connections,
        row.cost.failures,
        row.seen.duplicates,
    );
}

/// A client's marginal cost per image between its smallest and its largest batch of the scenario.
#[derive(Clone, Copy, Debug)]
pub struct Marginal {
    pub small: usize,
    pub large: usize,
    /// Whole-process CPU seconds of each batch.
    pub cpu_small: f64,
    pub cpu_large: f64,
    pub per_image_ms: f64,
}

pub fn marginal(rows: &[Row], who: Who) -> Option<Marginal> {
    let mine: Vec<&Row> = rows
        .iter()
        .filter(|r| r.scenario == Scenario::Cli && r.who == who)
        .collect();
    let small = mine.iter().min_by_key(|r| r.n)?;
    let large = mine.iter().max_by_key(|r| r.n)?;
    (large.n > small.n).then(|| Marginal {
        small: small.n,
        large: large.n,
        cpu_small: small.cost.cpu,
        cpu_large: large.cost.cpu,
        per_image_ms: (large.cost.cpu - small.cost.cpu) * 1000.0 / (large.n - small.n) as f64,
    })
}
