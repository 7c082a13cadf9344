//! The schedule explorer: batches run by `ideogram` against the simulator as an unlucky night would run
//! them. Each seed picks which create answers are lost, when a SIGKILL comes, how far the list lags, how
//! long the server takes to make a prediction, how far off the rerun's clock is, how the batch file is
//! edited between runs (lines inserted, moved, duplicated), identical inputs without a seed, 300 kB
//! reference files, inline files that differ, and a second process on the same account. After the reruns
//! it checks the invariants on the simulator's record and the files on disk (`check`), never on the
//! client's word.
//!
//! A short run is part of the suite. The long one, and the replay of a failing seed:
//!
//! ```sh
//! EXPLORER_SCHEDULES=1000 cargo test --release -p replicate-ideogram-cli --test it explorer:: -- --ignored --nocapture
//! EXPLORER_SEED=123 cargo test -p replicate-ideogram-cli --test it explorer:: -- --ignored --nocapture
//! ```

mod check;
mod run;
mod schedule;

use std::time::{Duration, Instant};

use check::Wanted;
use futures_util::StreamExt;
use replicate_ideogram_simulator::{Faults, Simulator, SimulatorConfig};
use run::Workspace;
use schedule::{Line, Schedule};

/// Runs the schedule of `seed` to its end and checks the invariants; what broke, with the schedule.
async fn explore(seed: u64) -> Result<(), String> {
    let schedule = Schedule::of(seed);
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let outcome = run_schedule(&schedule, dir.path()).await;
    outcome.map_err(|why| {
        // Kept for a post-mortem: the batch files, the journals, each run's log.
        let kept = dir.keep();
        format!(
            "{why}\n  schedule: {schedule:?}\n  files: {}",
            kept.display()
        )
    })
}

async fn run_schedule(schedule: &Schedule, dir: &std::path::Path) -> Result<(), String> {
    let seed = schedule.seed;
    let config = SimulatorConfig::default()
        .timings(Duration::from_millis(10), Duration::from_millis(40))
        .processing_up_to(Duration::from_millis(250))
        .seed(seed)
        .list_lag(schedule.list_lag)
        .create_delay(schedule.create_delay)
        .create_faults(Faults::default().drop_after(schedule.lost));
    let sim = Simulator::start(config).await.map_err(|e| e.to_string())?;
    let ws = Workspace::new(dir);
    ws.write_batch("a.txt", &schedule.lines);
    ws.write_batch("b.txt", &schedule.lines);
    let first = run::batch(
        &sim,
        &ws,
        ("a.txt", "a"),
        schedule.concurrency,
        schedule.kill_after,
    );
    let second = async {
        if schedule.second_process {
            finish(&sim, &ws, ("b.txt", "b"), schedule.concurrency).await
        } else {
            Ok(())
        }
    };
    let (_, second) = tokio::join!(first, second);
    second?;
    // Between the runs: the batch file edited, and the rerun's clock off the journal's.
    let edited = schedule.edited();
    ws.write_batch("a.txt", &edited);
    run::skew_journal(&ws, "a", schedule.skew);
    finish(&sim, &ws, ("a.txt", "a"), schedule.concurrency).await?;
    let mut wanted = vec![Wanted {
        out: "a",
        lines: &edited,
    }];
    if schedule.second_process {
        wanted.push(Wanted {
            out: "b",
            lines: &schedule.lines,
        });
    }
    check::invariants(&sim, &ws, &wanted).await
}

/// Runs the batch until a run of it succeeds (three at most).
async fn finish(
    sim: &Simulator,
    ws: &Workspace,
    batch: (&str, &str),
    concurrency: usize,
) -> Result<(), String> {
    for _ in 0..3 {
        let status = run::batch(sim, ws, batch, concurrency, None).await;
        if status.is_some_and(|s| s.success()) {
            return Ok(());
        }
    }
    Err(format!("{} did not finish in three runs", batch.1))
}

/// Explores `seeds`, two at a time; the seeds that failed, each with why.
async fn explore_all(seeds: impl Iterator<Item = u64>) -> Vec<(u64, String)> {
    futures_util::stream::iter(seeds)
        .map(|seed| async move { (seed, explore(seed).await) })
        .buffer_unordered(2)
        .filter_map(|(seed, outcome)| async move { outcome.err().map(|why| (seed, why)) })
        .collect()
        .await
}

/// Fails naming each failed seed and how to replay it.
fn report(failed: &[(u64, String)]) {
    for (seed, why) in failed {
        eprintln!(
            "explorer: seed {seed} failed: {why}\n  replay: EXPLORER_SEED={seed} cargo test -p replicate-ideogram-cli --test it explorer:: -- --ignored --nocapture"
        );
    }
    assert!(failed.is_empty(), "{} schedules failed", failed.len());
}

fn replayed_seed() -> Option<u64> {
    std::env::var("EXPLORER_SEED").ok()?.parse().ok()
}

#[tokio::test]
async fn a_few_schedules() {
    let failed = explore_all(0..6).await;
    report(&failed);
}

#[tokio::test]
#[ignore = "long: EXPLORER_SCHEDULES schedules (default 1000), or the one EXPLORER_SEED names"]
async fn many_schedules() {
    let seeds: Vec<u64> = match replayed_seed() {
        Some(seed) => vec![seed],
        None => {
            let n: u64 = std::env::var("EXPLORER_SCHEDULES")
                .ok()
                .and_then(|n| n.parse().ok())
                .unwrap_or(1000);
            let first: u64 = std::env::var("EXPLORER_FIRST")
                .ok()
                .and_then(|n| n.parse().ok())
                .unwrap_or(1000);
            (first..first + n).collect()
        }
    };
    let started = Instant::now();
    let kills = seeds
        .iter()
        .filter(|s| Schedule::of(**s).kill_after.is_some())
        .count();
    let failed = explore_all(seeds.iter().copied()).await;
    println!(
        "explorer: {} schedules ({kills} with a SIGKILL) in {:.0}s, {} failed",
        seeds.len(),
        started.elapsed().as_secs_f64(),
        failed.len()
    );
    report(&failed);
}

#[tokio::test]
async fn two_processes_with_a_quarter_of_create_answers_lost_orphan_nothing() {
    let config = SimulatorConfig::default()
        .timings(Duration::from_millis(10), Duration::from_millis(60))
        .seed(7)
        .create_faults(Faults::default().drop_after(0.25));
    let sim = Simulator::start(config).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ws = Workspace::new(dir.path());
    let mut lines: Vec<Line> = (0..16)
        .map(|i| Line::Plain(format!("the same batch, item {i}")))
        .collect();
    lines.extend((0..4).map(|_| Line::Identical("the same batch, variations".into())));
    ws.write_batch("inputs.txt", &lines);
    let (a, b) = tokio::join!(
        finish(&sim, &ws, ("inputs.txt", "a"), 8),
        finish(&sim, &ws, ("inputs.txt", "b"), 8)
    );
    a.unwrap();
    b.unwrap();
    let lost = sim
        .record()
        .faults
        .get("dropped after processing")
        .copied()
        .unwrap_or(0);
    assert!(lost >= 5, "answers were lost: {:?}", sim.record().faults);
    let wanted = [
        Wanted {
            out: "a",
            lines: &lines,
        },
        Wanted {
            out: "b",
            lines: &lines,
        },
    ];
    check::invariants(&sim, &ws, &wanted).await.unwrap();
    println!(
        "two processes: {} predictions for 40 items, {lost} create answers lost, none orphaned",
        sim.record().created.len()
    );
}
