//! The `ideogram` binary: every subcommand, every exit code, `--json`, and bad input that sends nothing.

use crate::cli_support;

use std::time::Duration;

use cli_support::{
    assert_png, assert_refused, ideogram, simulate, simulate_record, simulator, stderr, stdout,
};
use replicate_ideogram_simulator::{Simulator, SimulatorConfig};
use serde_json::Value;
use tokio::process::Command;

#[tokio::test]
async fn with_no_token_generate_uses_the_built_in_simulator_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let output = ideogram(
        None,
        dir.path(),
        &["generate", "a gold running shoe", "--out", "shoe.png"],
    )
    .await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let err = stderr(&output);
    let notice: Vec<&str> = err.lines().filter(|l| l.contains("simulator")).collect();
    assert_eq!(notice.len(), 1, "{}", stderr(&output));
    assert_eq!(stdout(&output).trim(), "shoe.png");
    assert_png(&dir.path().join("shoe.png"));
}

#[tokio::test]
async fn generate_saves_the_image_and_the_server_saw_the_options() {
    let sim = simulator().await;
    let dir = tempfile::tempdir().unwrap();
    let output = ideogram(
        Some(&sim),
        dir.path(),
        &[
            "generate",
            "a red fox",
            "--aspect-ratio",
            "16:9",
            "--style-type",
            "Render 3D",
            "--magic-prompt",
            "Off",
            "--negative-prompt",
            "blur",
            "--seed",
            "42",
            "--out",
            "fox.png",
        ],
    )
    .await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_png(&dir.path().join("fox.png"));
    let record = sim.record();
    assert_eq!(record.created.len(), 1);
    let input = &record.created[0].input;
    assert_eq!(input["aspect_ratio"], "16:9");
    assert_eq!(input["style_type"], "Render 3D");
    assert_eq!(input["magic_prompt_option"], "Off");
    assert_eq!(input["negative_prompt"], "blur");
    assert_eq!(input["seed"], 42);
    assert!(
        !stderr(&output).contains("simulator"),
        "a configured server is not the simulator"
    );
}

#[tokio::test]
async fn count_and_concurrency_with_json_lines() {
    let sim = simulator().await;
    let dir = tempfile::tempdir().unwrap();
    let output = ideogram(
        Some(&sim),
        dir.path(),
        &[
            "generate",
            "tiles",
            "--count",
            "3",
            "--concurrency",
            "2",
            "--seed",
            "7",
            "--out-dir",
            "imgs",
            "--json",
        ],
    )
    .await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let lines: Vec<Value> = stdout(&output)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    for line in &lines {
        for key in ["id", "status", "output", "file", "error", "predict_time"] {
            assert!(line.get(key).is_some(), "{key} missing in {line}");
        }
        assert_eq!(line["status"], "succeeded");
        assert!(line["error"].is_null());
        assert!(line["predict_time"].as_f64().unwrap() > 0.0);
        assert_png(&dir.path().join(line["file"].as_str().unwrap()));
    }
    let mut seeds: Vec<i64> = sim
        .record()
        .created
        .iter()
        .map(|c| c.input["seed"].as_i64().unwrap())
        .collect();
    seeds.sort();
    assert_eq!(seeds, [7, 8, 9]);
}

#[tokio::test]
async fn a_failed_prediction_exits_1_with_its_error() {
    let sim = simulator().await;
    let dir = tempfile::tempdir().unwrap();
    let output = ideogram(
        Some(&sim),
        dir.path(),
        &["generate", "please [fail]", "--json"],
    )
    .await;
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let line: Value = serde_json::from_str(stdout(&output).trim()).unwrap();
    assert_eq!(line["status"], "failed");
    assert!(line["error"].as_str().unwrap().contains("[fail]"));
    assert!(line["file"].is_null());
    assert!(
        stderr(&output).contains("failed: Simulated failure"),
        "{}",
        stderr(&output)
    );
}

/// Text that would set the window title, clear the screen and reverse what follows, were it printed raw.
const HOSTILE: &str = "\u{1b}]0;pwned\u{7}\u{1b}[2J\u{202e}";

#[tokio::test]
async fn server_text_reaches_the_terminal_without_escape_sequences() {
    use wiremock::{Mock, MockServer, ResponseTemplate, matchers::path};
    let server = MockServer::start().await;
    let failed = serde_json::json!({
        "id": "p1",
        "status": "failed",
        "model": format!("ideogram-ai/{HOSTILE}model"),
        "error": format!("the model says {HOSTILE}hello"),
        "logs": format!("step 1\nstep 2 {HOSTILE}"),
        "input": {},
        "urls": {"get": "https://api.replicate.com/v1/predictions/p1", "cancel": "https://api.replicate.com/v1/predictions/p1/cancel"},
        "created_at": "2025-07-01T00:00:00Z"
    });
    Mock::given(path("/v1/predictions/p1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(&failed))
        .mount(&server)
        .await;
    let problem = serde_json::json!({"title": "Not found", "detail": format!("no such {HOSTILE}thing"), "status": 404});
    Mock::given(path("/v1/predictions/p2"))
        .respond_with(
            ResponseTemplate::new(404)
                .set_body_raw(problem.to_string(), "application/problem+json"),
        )
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    for (id, expected) in [("p1", "the model says"), ("p2", "no such")] {
        let output = Command::new(env!("CARGO_BIN_EXE_ideogram"))
            .args(["get", id])
            .current_dir(dir.path())
            .env("XDG_CACHE_HOME", dir.path().join(".cache"))
            .env("REPLICATE_API_TOKEN", "r8_cli_test")
            .env("REPLICATE_BASE_URL", format!("{}/v1", server.uri()))
            .output()
            .await
            .unwrap();
        let shown = format!("{}{}", stdout(&output), stderr(&output));
        assert!(shown.contains(expected), "{shown}");
        assert!(
            !shown.contains(['\u{1b}', '\u{7}', '\u{202e}']),
            "{id}: {shown:?}"
        );
    }
}

/// Runs `generate prompt --json` and checks that it exits 1 with the prediction's `status` in its line.
async fn assert_ends_badly(prompt: &str, status: &str) {
    let sim = simulator().await;
    let dir = tempfile::tempdir().unwrap();
    let output = ideogram(Some(&sim), dir.path(), &["generate", prompt, "--json"]).await;
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let line: Value = serde_json::from_str(stdout(&output).trim()).unwrap();
    assert_eq!(line["status"], status, "{line}");
    assert!(line["file"].is_null(), "{line}");
    assert!(stderr(&output).contains(status), "{}", stderr(&output));
    assert_eq!(sim.record().created.len(), 1);
}

#[tokio::test]
async fn a_canceled_prediction_exits_1() {
    assert_ends_badly("a fox [cancel]", "canceled").await;
}

#[tokio::test]
async fn an_aborted_prediction_exits_1() {
    assert_ends_badly("a fox [abort]", "aborted").await;
}

#[tokio::test]
async fn bad_input_exits_2_and_sends_nothing() {
    let sim = simulator().await;
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&[&str], &str); 6] = [
        (&["generate", "  "], "prompt"),
        (&["generate", "x", "--aspect-ratio", "17:9"], "17:9"),
        (&["generate", "x", "--seed=2147483648"], "--seed"),
        (
            &["generate", "x", "--seed", "2147483647", "--count", "2"],
            "largest seed",
        ),
        (&["generate", "x", "--image", "missing.png"], "missing.png"),
        (&["generate", "x", "--mask", "ftp://host/mask.png"], "mask"),
    ];
    assert_refused(&sim, dir.path(), &cases).await;
    let output = ideogram(Some(&sim), dir.path(), &["generate"]).await;
    assert_eq!(
        output.status.code(),
        Some(2),
        "a missing prompt is bad usage"
    );
    assert!(
        sim.record().requests.is_empty(),
        "{:?}",
        sim.record().requests
    );
}

#[tokio::test]
async fn api_and_network_errors_exit_3() {
    let sim = simulator().await;
    let dir = tempfile::tempdir().unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_ideogram"));
    let output = command
        .args(["generate", "x"])
        .current_dir(dir.path())
        .env("XDG_CACHE_HOME", dir.path().join(".cache"))
        .env("REPLICATE_API_TOKEN", "r8_wrong")
        .env("REPLICATE_BASE_URL", sim.base_url())
        .output()
        .await
        .unwrap();
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("401 Unauthenticated"),
        "{}",
        stderr(&output)
    );

    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let output = ideogram(
        Some(&sim),
        dir.path(),
        &[
            "--base-url",
            &format!("http://127.0.0.1:{closed}/v1"),
            "get",
            "x",
        ],
    )
    .await;
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("could not reach the server"),
        "{}",
        stderr(&output)
    );

    let slow =
        SimulatorConfig::default().timings(Duration::from_millis(10), Duration::from_secs(30));
    let slow = Simulator::start(slow).await.unwrap();
    let output = ideogram(
        Some(&slow),
        dir.path(),
        &["generate", "x", "--timeout", "2", "--json"],
    )
    .await;
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    let line: Value = serde_json::from_str(stdout(&output).trim()).unwrap();
    assert!(
        line["id"].is_string(),
        "the timed-out prediction is named: {line}"
    );
    assert!(
        line["error"].as_str().unwrap().starts_with("gave up after"),
        "{line}"
    );
}

#[tokio::test]
async fn a_local_image_goes_inline_as_a_data_url() {
    let sim = simulator().await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("in.png"), b"\x89PNG\r\n\x1a\nfake").unwrap();
    let output = ideogram(
        Some(&sim),
        dir.path(),
        &[
            "generate", "fix it", "--image", "in.png", "--mask", "in.png",
        ],
    )
    .await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let input = &sim.record().created[0].input;
    assert!(
        input["image"]
            .as_str()
            .unwrap()
            .starts_with("data:image/png;base64,iVBORw0KGg")
    );
}

#[tokio::test]
async fn get_cancel_list_and_schema() {
    let sim =
        SimulatorConfig::default().timings(Duration::from_millis(10), Duration::from_secs(30));
    let sim = Simulator::start(sim).await.unwrap();
    let client = sim.client().unwrap();
    let a = client
        .create(replicate_ideogram::models::IdeogramV2TurboInput::new("a"))
        .await
        .unwrap();
    let b = client
        .create(replicate_ideogram::models::IdeogramV2TurboInput::new("b"))
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();

    let output = ideogram(Some(&sim), dir.path(), &["get", &a.id]).await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stdout(&output).contains(&format!("id:      {}", a.id)),
        "{}",
        stdout(&output)
    );

    let output = ideogram(Some(&sim), dir.path(), &["cancel", &a.id, "--json"]).await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let canceled: Value = serde_json::from_str(stdout(&output).trim()).unwrap();
    assert_eq!(canceled["status"], "canceled");

    let output = ideogram(Some(&sim), dir.path(), &["list", "--limit", "1"]).await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let out = stdout(&output);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 1);
    assert!(lines[0].starts_with(&b.id), "newest first: {lines:?}");
    let output = ideogram(Some(&sim), dir.path(), &["list", "--json"]).await;
    assert_eq!(stdout(&output).lines().count(), 2);

    let output = ideogram(Some(&sim), dir.path(), &["get", "nope"]).await;
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));

    let output = ideogram(None, dir.path(), &["schema"]).await;
    assert_eq!(output.status.code(), Some(0));
    let schema: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(schema["required"][0], "prompt");
    assert_eq!(
        schema["$defs"]["Resolution"]["enum"]
            .as_array()
            .unwrap()
            .len(),
        69
    );

    let output = ideogram(None, dir.path(), &["list"]).await;
    assert_eq!(
        output.status.code(),
        Some(2),
        "no token is a usage error outside generate"
    );
    assert!(
        stderr(&output).contains("--simulator"),
        "{}",
        stderr(&output)
    );
}

#[tokio::test]
async fn simulate_serves_another_process_and_its_record() {
    let (mut child, announced) = simulate(&[
        "--path-prefix",
        "/replicate/v1",
        "--starting-ms",
        "10",
        "--processing-ms",
        "30",
        "--delivery-fault-mix",
        "truncated-json=0.5",
    ])
    .await;
    let base_url = announced["base_url"].as_str().unwrap();
    assert!(base_url.ends_with("/replicate/v1"), "{base_url}");
    let token = announced["token"].as_str().unwrap();

    let client = replicate_ideogram::Client::builder()
        .token(token)
        .base_url(base_url)
        .build()
        .unwrap();
    let url = client
        .run(replicate_ideogram::models::IdeogramV2TurboInput::new("x"))
        .await
        .unwrap();
    assert!(url.starts_with(announced["delivery_url"].as_str().unwrap()));
    for _ in 0..8 {
        let png = client.download(&url).bytes().await.unwrap();
        assert_eq!(&png[..4], b"\x89PNG");
    }

    let record = simulate_record(&announced).await;
    assert_eq!(record["created"].as_array().unwrap().len(), 1, "{record}");
    assert_eq!(
        record["requests"]["POST /models/{owner}/{name}/predictions"], 1,
        "{record}"
    );
    assert_eq!(
        record["notification_lags"].as_array().unwrap().len(),
        1,
        "{record}"
    );
    assert!(
        record["requests"].get("GET /_simulator/record").is_none(),
        "the record is not counted"
    );
    assert!(
        record["faults"]["delivery cut short"].as_u64() > Some(0),
        "the delivery faults asked for were injected: {record}"
    );
    child.kill().await.unwrap();
}
