//! The rate governor against a server that enforces Replicate's kind of limit (a token bucket per class of
//! request): a batch asking for far more than the limit loses no run, is refused rarely, and finishes about
//! as fast as the limit allows; an account with the low-credit limit gets there too.

/// A floor under every pause: hints of no wait or less than a second still back off.
mod floor;

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use replicate_ideogram::models::IdeogramV2TurboInput;
use replicate_ideogram_simulator::{Bucket, ServerLimits, Simulator, SimulatorConfig};

async fn limited(limits: ServerLimits) -> Simulator {
    let config = SimulatorConfig::default()
        .timings(Duration::from_millis(10), Duration::from_millis(100))
        .rate_limits(limits);
    Simulator::start(config).await.unwrap()
}

/// Runs `n` distinct inputs with `concurrency` in flight; returns the failures and the wall time.
async fn batch(sim: &Simulator, n: usize, concurrency: usize) -> (Vec<String>, Duration) {
    let client = sim.client().unwrap();
    let inputs: Vec<_> = (0..n)
        .map(|i| IdeogramV2TurboInput::new(format!("tile {i}")))
        .collect();
    let started = Instant::now();
    let failures: Vec<String> = client
        .batch(inputs)
        .concurrency(concurrency)
        .timeout(Duration::from_secs(300))
        .start()
        .await
        .unwrap()
        .filter_map(|item| async move { item.result.err().map(|e| format!("{}: {e}", item.index)) })
        .collect()
        .await;
    (failures, started.elapsed())
}

#[tokio::test]
async fn a_batch_of_fifteen_times_the_create_limit_loses_nothing_and_keeps_to_the_limit() {
    // 120 creates a minute in bursts of 20; 60 items with 30 in flight ask for 15 times that.
    let (per_minute, burst, n) = (120.0, 20, 60);
    let sim = limited(ServerLimits::none().creates(Bucket::new(per_minute, burst))).await;
    let (failures, wall) = batch(&sim, n, 30).await;
    let record = sim.record();
    assert!(failures.is_empty(), "{failures:?}");
    assert_eq!(record.created.len(), n, "each item once");
    let throttled = record.throttled_creates as f64 / n as f64;
    // What the limit allows: the burst at once, the rest at the bucket's rate, plus one prediction's time.
    let allowed = Duration::from_secs_f64((n - burst as usize) as f64 * 60.0 / per_minute)
        + Duration::from_millis(110);
    println!(
        "wall {:.1}s (the limit allows {:.1}s), throttled creates {} ({throttled:.2} per prediction)",
        wall.as_secs_f64(),
        allowed.as_secs_f64(),
        record.throttled_creates
    );
    assert!(
        throttled <= 0.3,
        "{throttled:.2} throttled creates per prediction"
    );
    assert!(
        wall.as_secs_f64() <= allowed.as_secs_f64() * 1.15,
        "{wall:?} against {allowed:?} allowed"
    );
}

#[tokio::test]
async fn the_low_credit_limit_shape_loses_nothing() {
    // One create a second, bursts of one; polls limited too.
    let limits = ServerLimits::none()
        .creates(Bucket::new(60.0, 1))
        .others(Bucket::new(360.0, 6));
    let sim = limited(limits).await;
    let (failures, _) = batch(&sim, 6, 6).await;
    assert!(failures.is_empty(), "{failures:?}");
    assert_eq!(sim.record().created.len(), 6);
}

#[tokio::test]
async fn the_client_reports_the_pace_it_learned() {
    let sim = limited(ServerLimits::none().creates(Bucket::new(120.0, 5))).await;
    let client = sim.client().unwrap();
    assert_eq!(
        client.rate_limits().creates,
        None,
        "no limit known at first"
    );
    let inputs: Vec<_> = (0..20)
        .map(|i| IdeogramV2TurboInput::new(format!("tile {i}")))
        .collect();
    let done = client
        .batch(inputs)
        .concurrency(20)
        .start()
        .await
        .unwrap()
        .count()
        .await;
    assert_eq!(done, 20);
    let pace = client.rate_limits().creates.expect("learned from the 429s");
    assert!(
        pace.per_minute > 30.0 && pace.per_minute < 240.0,
        "{pace:?}"
    );
}
