//! What reaches the user besides images: standard output that its reader closed ends the run quietly with
//! 141, and the library's log events reach stderr (warnings by default, more with `RUST_LOG` or `-vv`),
//! without the token.

use crate::cli_support;

use std::{process::Stdio, time::Duration};

use cli_support::{command, finish, simulator, stderr};
use replicate_ideogram_simulator::{Simulator, SimulatorConfig};
use tokio::io::{AsyncBufReadExt, BufReader};

/// `ideogram batch inputs.txt --json | head -1`: the reader goes away after one line.
#[tokio::test]
async fn a_batch_whose_reader_went_away_stops_quietly_with_141() {
    let config =
        SimulatorConfig::default().timings(Duration::from_millis(20), Duration::from_millis(200));
    let sim = Simulator::start(config).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let inputs: Vec<String> = (0..12).map(|i| format!("a red fox number {i}")).collect();
    std::fs::write(dir.path().join("inputs.txt"), inputs.join("\n")).unwrap();
    let args = [
        "batch",
        "inputs.txt",
        "--out-dir",
        "out",
        "--concurrency",
        "2",
        "--json",
    ];
    let mut child = command(Some(&sim), dir.path(), &args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = tokio::time::timeout(Duration::from_secs(20), lines.next_line())
        .await
        .expect("a first line")
        .unwrap()
        .unwrap();
    let first: serde_json::Value = serde_json::from_str(&first).unwrap();
    assert_eq!(first["status"], "succeeded", "{first}");
    drop(lines);

    let output = tokio::time::timeout(Duration::from_secs(30), child.wait_with_output())
        .await
        .expect("the batch ends")
        .unwrap();
    let err = stderr(&output);
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(output.status.code(), Some(141), "{err}");
    assert!(!err.contains("error"), "nothing to say: {err}");
    let created = sim.record().created.len();
    assert!(
        created < 12,
        "no item started after the reader left: {created}"
    );
}

/// `ideogram schema --list | true`: the pipe is closed before anything is written.
#[tokio::test]
async fn a_command_whose_stdout_is_closed_exits_141_without_a_word() {
    let dir = tempfile::tempdir().unwrap();
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let child = command(None, dir.path(), &["schema", "--list"])
        .stdout(writer)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let output = child.wait_with_output().await.unwrap();
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(141), "{err}");
    assert!(err.is_empty(), "{err}");
}

/// `ideogram batch inputs.txt 2>&-`-like: stderr's reader is gone before the batch starts. The lines and
/// the summary are lost, the images are not: every item is saved and the run ends as it would have.
#[tokio::test]
async fn a_batch_whose_stderr_is_closed_saves_every_image() {
    let sim = simulator().await;
    let dir = tempfile::tempdir().unwrap();
    let inputs: Vec<String> = (0..4).map(|i| format!("a red fox number {i}")).collect();
    std::fs::write(dir.path().join("inputs.txt"), inputs.join("\n")).unwrap();
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let args = ["batch", "inputs.txt", "--out-dir", "out"];
    let child = command(Some(&sim), dir.path(), &args)
        .stdout(Stdio::piped())
        .stderr(writer)
        .spawn()
        .unwrap();
    let output = tokio::time::timeout(Duration::from_secs(60), child.wait_with_output())
        .await
        .expect("the batch ends")
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{output:?}");
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
    assert_eq!(pngs, 4);
    assert_eq!(sim.record().created.len(), 4);
}

/// Runs `generate x --out x.png` against a fresh simulator with `RUST_LOG` (if any) and extra flags.
async fn logged(rust_log: Option<&str>, flags: &[&str]) -> (String, String) {
    let sim = simulator().await;
    let dir = tempfile::tempdir().unwrap();
    let mut args = flags.to_vec();
    args.extend(["generate", "x", "--out", "x.png"]);
    let mut command = command(Some(&sim), dir.path(), &args);
    if let Some(filter) = rust_log {
        command.env("RUST_LOG", filter);
    }
    let output = finish(command).await;
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(0), "{err}");
    (err, sim.token().to_string())
}

#[tokio::test]
async fn rust_log_and_verbose_flags_show_the_library_events_and_never_the_token() {
    // A debug event of the library's create.
    const DEBUG_LINE: &str = "creating prediction";
    let (quiet, _) = logged(None, &[]).await;
    assert!(
        !quiet.contains(DEBUG_LINE),
        "warnings only by default: {quiet}"
    );

    for (rust_log, flags) in [(Some("trace"), &[][..]), (None, &["-vv"][..])] {
        let (err, token) = logged(rust_log, flags).await;
        assert!(err.contains(DEBUG_LINE), "{rust_log:?} {flags:?}: {err}");
        assert!(err.contains("replicate_ideogram"), "{err}");
        assert!(!err.contains(&token), "the token is never logged");
    }
    let (info, _) = logged(None, &["-v"]).await;
    assert!(!info.contains(DEBUG_LINE), "-v is info: {info}");
    let (overridden, _) = logged(Some("error"), &["-vv"]).await;
    assert!(
        !overridden.contains(DEBUG_LINE),
        "RUST_LOG wins: {overridden}"
    );
}

/// A server whose create answers 503 after making a prediction, and whose list then shows two predictions of
/// that input made at that moment: the client cannot tell which is its own, adopts the earliest and says so
/// in a `warn` event.
mod lost_create {
    use std::sync::{Arc, Mutex};

    use serde_json::{Value, json};
    use wiremock::{
        Mock, MockServer, Request, Respond, ResponseTemplate,
        matchers::{method, path},
    };

    /// The input the create carried and when it arrived, for the list to show.
    #[derive(Clone, Default)]
    pub struct Sent(Arc<Mutex<Option<(Value, String)>>>);

    pub struct Create(pub Sent);
    pub struct List(pub Sent, pub String);

    impl Respond for Create {
        fn respond(&self, request: &Request) -> ResponseTemplate {
            let body: Value = serde_json::from_slice(&request.body).unwrap();
            let at = chrono::Utc::now().to_rfc3339();
            *self.0.0.lock().unwrap() = Some((body["input"].clone(), at));
            ResponseTemplate::new(503).set_body_raw(
                json!({"title": "Unavailable", "status": 503}).to_string(),
                "application/problem+json",
            )
        }
    }

    impl Respond for List {
        fn respond(&self, _: &Request) -> ResponseTemplate {
            let (input, at) = self.0.0.lock().unwrap().clone().unwrap();
            let twins: Vec<Value> = ["twin1", "twin2"]
                .iter()
                .map(|id| prediction(&self.1, id, "processing", &input, &at))
                .collect();
            ResponseTemplate::new(200)
                .set_body_json(json!({"results": twins, "next": null, "previous": null}))
        }
    }

    pub fn prediction(base: &str, id: &str, status: &str, input: &Value, at: &str) -> Value {
        json!({
            "id": id,
            "model": "ideogram-ai/ideogram-v2-turbo",
            "version": "v1",
            "status": status,
            "input": input,
            "output": (status == "succeeded").then(|| format!("{base}/out/{id}.png")),
            "created_at": at,
            "urls": {
                "get": format!("{base}/v1/predictions/{id}"),
                "cancel": format!("{base}/v1/predictions/{id}/cancel"),
            },
        })
    }

    pub async fn server() -> MockServer {
        let server = MockServer::start().await;
        let base = server.uri();
        let sent = Sent::default();
        Mock::given(method("POST"))
            .and(path("/v1/models/ideogram-ai/ideogram-v2-turbo/predictions"))
            .respond_with(Create(sent.clone()))
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/v1/predictions"))
            .respond_with(List(sent, base.clone()))
            .mount(&server)
            .await;
        let done = prediction(
            &base,
            "twin1",
            "succeeded",
            &json!({}),
            "2025-01-01T00:00:00Z",
        );
        Mock::given(method("GET"))
            .and(path("/v1/predictions/twin1"))
            .respond_with(ResponseTemplate::new(200).set_body_json(done))
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/out/twin1.png"))
            .respond_with(
                ResponseTemplate::new(200).set_body_raw(&b"\x89PNG\r\n\x1a\n"[..], "image/png"),
            )
            .mount(&server)
            .await;
        server
    }
}

#[tokio::test]
async fn a_library_warning_shows_on_stderr_by_default() {
    let server = lost_create::server().await;
    let dir = tempfile::tempdir().unwrap();
    let output = finish({
        let mut command = command(None, dir.path(), &["generate", "x", "--out", "x.png"]);
        command
            .env("REPLICATE_API_TOKEN", "r8_cli_test")
            .env("REPLICATE_BASE_URL", format!("{}/v1", server.uri()));
        command
    })
    .await;
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(0), "{err}");
    let warning: Vec<&str> = err.lines().filter(|l| l.contains("WARN")).collect();
    assert_eq!(warning.len(), 1, "{err}");
    assert!(
        warning[0].contains("twin2"),
        "names the one passed over: {err}"
    );
    assert!(!err.contains("r8_cli_test"), "{err}");
}
