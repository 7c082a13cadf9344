//! Every example runs, against the simulator (`cargo test` builds the examples before the tests run).

use std::{path::PathBuf, process::Output, time::Duration};

use replicate_ideogram::models::IdeogramV2TurboInput;
use replicate_ideogram_simulator::{Simulator, SimulatorConfig};

use tokio::process::Command;

fn example(name: &str) -> PathBuf {
    // target/debug/deps/examples-<hash> → target/debug/examples/<name>
    let deps = std::env::current_exe()
        .unwrap()
        .parent()
        .unwrap()
        .to_path_buf();
    deps.parent().unwrap().join("examples").join(name)
}

async fn run(sim: &Simulator, dir: &std::path::Path, name: &str, args: &[&str]) -> Output {
    let output = Command::new(example(name))
        .args(args)
        .current_dir(dir)
        .env("REPLICATE_API_TOKEN", sim.token())
        .env("REPLICATE_BASE_URL", sim.base_url())
        .output()
        .await
        .unwrap_or_else(|e| {
            panic!("example {name}: {e} (plain `cargo test` builds the examples first)")
        });
    assert!(
        output.status.success(),
        "example {name} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

#[tokio::test]
async fn every_example_runs_against_the_simulator() {
    let config =
        SimulatorConfig::default().timings(Duration::from_millis(10), Duration::from_millis(40));
    let sim = Simulator::start(config).await.unwrap();
    let dir = tempfile::tempdir().unwrap();

    let output = run(&sim, dir.path(), "run", &["a gold running shoe", "16:9"]).await;
    assert!(String::from_utf8_lossy(&output.stdout).contains("saved ideogram.png"));
    assert_eq!(
        &std::fs::read(dir.path().join("ideogram.png")).unwrap()[..4],
        b"\x89PNG"
    );

    let output = run(&sim, dir.path(), "create_and_wait", &["a paper boat"]).await;
    assert!(String::from_utf8_lossy(&output.stdout).contains("the model ran for"));

    let output = run(&sim, dir.path(), "list", &["5"]).await;
    assert_eq!(String::from_utf8_lossy(&output.stdout).lines().count(), 2);

    let long = sim
        .client()
        .unwrap()
        .create(IdeogramV2TurboInput::new("x"))
        .await
        .unwrap();
    let output = run(&sim, dir.path(), "cancel", &[&long.id]).await;
    assert!(String::from_utf8_lossy(&output.stdout).contains(&long.id));

    let done = sim
        .client()
        .unwrap()
        .run(IdeogramV2TurboInput::new("y"))
        .await
        .unwrap();
    run(&sim, dir.path(), "download", &[&done, "out/y.png"]).await;
    assert_eq!(
        &std::fs::read(dir.path().join("out/y.png")).unwrap()[..4],
        b"\x89PNG"
    );

    let output = run(&sim, dir.path(), "webhook_receiver", &[]).await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(stdout.matches("verified webhook").count(), 2, "{stdout}");
}
