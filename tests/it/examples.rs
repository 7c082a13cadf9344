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

/// The examples of the other tasks: a batch (run twice: the second pays for nothing), errors, pinning,
/// Ideogram 4's structured prompt, cleaning up uploads.
#[tokio::test]
async fn the_task_examples_run_against_the_simulator() {
    let config =
        SimulatorConfig::default().timings(Duration::from_millis(10), Duration::from_millis(40));
    let sim = Simulator::start(config).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let stdout = |output: &Output| String::from_utf8_lossy(&output.stdout).into_owned();

    let prompts = ["batch", "out", "a red fox", "a paper boat", "a lighthouse"];
    let output = run(&sim, dir.path(), "batch", &prompts[1..]).await;
    assert!(
        stdout(&output).contains("3 saved, 0 failed"),
        "{}",
        stdout(&output)
    );
    assert_eq!(sim.record().created.len(), 3);
    run(&sim, dir.path(), "batch", &prompts[1..]).await;
    assert_eq!(
        sim.record().created.len(),
        3,
        "a rerun creates nothing again"
    );
    let pngs = std::fs::read_dir(dir.path().join("out"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "png")
        })
        .count();
    assert_eq!(pngs, 3);

    let output = run(&sim, dir.path(), "errors", &["a paper boat", "30"]).await;
    assert!(
        stdout(&output).starts_with("image: "),
        "{}",
        stdout(&output)
    );

    let output = run(&sim, dir.path(), "pinning", &["a lighthouse"]).await;
    assert!(stdout(&output).contains("image: "), "{}", stdout(&output));
    assert_eq!(
        sim.record().created.last().unwrap().version,
        replicate_ideogram::models::IdeogramV3TurboInput::VERSION
    );

    let output = run(
        &sim,
        dir.path(),
        "json_prompt",
        &[r#"{"scene": "a poster"}"#],
    )
    .await;
    assert!(stdout(&output).contains("image: "), "{}", stdout(&output));

    let file = dir.path().join("ref.png");
    std::fs::write(&file, [1u8; 1000]).unwrap();
    sim.client().unwrap().upload(&file).await.unwrap();
    let output = run(&sim, dir.path(), "uploaded_files", &["0"]).await;
    assert!(
        stdout(&output).contains("1 of 1 deleted"),
        "{}",
        stdout(&output)
    );
}
