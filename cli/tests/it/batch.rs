//! `ideogram batch`: a file of inputs checked line by line before anything is sent, one process per output
//! directory, a batch killed with SIGKILL at any point and run again without paying twice, and a contact
//! sheet that lists every item.

use crate::cli_support;

use std::{
    collections::BTreeSet,
    path::Path,
    process::Stdio,
    time::{Duration, Instant},
};

use cli_support::{assert_nothing_sent, assert_png, ideogram, stderr};
use replicate_ideogram_simulator::{Simulator, SimulatorConfig};
use tokio::process::{Child, Command};

/// The batch every test runs: `inputs.txt` into `out`.
const BATCH: &[&str] = &["batch", "inputs.txt", "--out-dir", "out"];

/// A simulator whose predictions take `processing`.
async fn simulator(processing: Duration) -> Simulator {
    let config = SimulatorConfig::default().timings(Duration::from_millis(20), processing);
    Simulator::start(config).await.unwrap()
}

/// `n` lines of inputs, mixing JSON objects and plain prompts.
fn lines(n: usize) -> String {
    (0..n)
        .map(|i| match i % 3 {
            0 => format!("a red fox number {i}"),
            1 => format!(r#"{{"prompt": "a paper boat {i}", "seed": {i}}}"#),
            _ => format!(
                r#"{{"model": "ideogram-v3-turbo", "prompt": "a lighthouse {i}", "style_preset": "Art Deco"}}"#
            ),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// `ideogram batch inputs.txt --out-dir out …` in `dir` against `sim`, running in the background (4 in
/// flight unless `extra` says otherwise).
fn spawn_batch(sim: &Simulator, dir: &Path, extra: &[&str]) -> Child {
    let concurrency: &[&str] = if extra.contains(&"--concurrency") {
        &[]
    } else {
        &["--concurrency", "4"]
    };
    Command::new(env!("CARGO_BIN_EXE_ideogram"))
        .args(BATCH)
        .args(concurrency)
        .args(extra)
        .current_dir(dir)
        .env("XDG_CACHE_HOME", dir.join(".cache"))
        .env("REPLICATE_API_TOKEN", sim.token())
        .env("REPLICATE_BASE_URL", sim.base_url())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap()
}

/// Waits (at most 20 s) until `ready` holds.
async fn until(mut ready: impl FnMut() -> bool) {
    let started = Instant::now();
    while !ready() {
        assert!(started.elapsed() < Duration::from_secs(20), "timed out");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn images(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir.join("out")) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".png"))
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn a_bad_line_is_named_and_nothing_is_sent() {
    let sim = simulator(Duration::from_millis(50)).await;
    let dir = tempfile::tempdir().unwrap();
    let mut text: Vec<String> = lines(40).lines().map(str::to_string).collect();
    for (bad, expected) in [
        (
            r#"{"prompt": "x", "aspect_ratio": "7:7"}"#,
            "`aspect_ratio`",
        ),
        (
            r#"{"prompt": "x", "model": "ideogram-v2a", "negative_prompt": "fog"}"#,
            "has no field `negative_prompt`",
        ),
        (
            r#"{"prompt": "x", "model": "ideogram-v9"}"#,
            "unknown model",
        ),
        (r#"{"prompt": "x""#, "not JSON"),
        // No file but a regular one is read: not the process's environment (the token), not a directory.
        (
            r#"{"model": "ideogram-character", "prompt": "x", "character_reference_image": "/proc/self/environ"}"#,
            "/proc/self/environ",
        ),
        (
            r#"{"model": "ideogram-character", "prompt": "x", "character_reference_image": "."}"#,
            "not a regular file",
        ),
    ] {
        text[36] = bad.to_string();
        std::fs::write(dir.path().join("inputs.txt"), text.join("\n")).unwrap();
        let output = ideogram(Some(&sim), dir.path(), BATCH).await;
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{bad}: {err}");
        assert!(err.contains("line 37: "), "{bad}: {err}");
        assert!(err.contains(expected), "{bad}: {err}");
    }
    assert_nothing_sent(&sim);
}

#[tokio::test]
async fn a_second_process_on_the_same_directory_is_refused() {
    let sim = simulator(Duration::from_millis(3_000)).await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("inputs.txt"), lines(4)).unwrap();
    let first = spawn_batch(&sim, dir.path(), &[]);
    until(|| sim.record().created.len() == 4).await;
    // The first goes on polling (`GET /predictions/{id}`); every other request is counted by route.
    let others = || {
        let mut requests = sim.record().requests;
        requests.remove("GET /predictions/{id}");
        requests
    };
    let before = others();
    let second = ideogram(Some(&sim), dir.path(), BATCH).await;
    let err = stderr(&second);
    assert_eq!(second.status.code(), Some(2), "{err}");
    assert!(
        err.contains("in use by another batch") && err.contains("process"),
        "{err}"
    );
    assert_eq!(sim.record().created.len(), 4, "the second sent no create");
    // The second sent nothing at all: no create, upload, list or account read.
    assert_eq!(others(), before);
    let output = first.wait_with_output().await.unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Kills a batch of 12 at the moment `when` says, runs it again to the end, and checks that every image is
/// there, whole, and that no prediction was created twice.
async fn killed_then_resumed(when: &str) {
    let sim = simulator(Duration::from_millis(1_500)).await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("inputs.txt"), lines(12)).unwrap();
    let mut child = spawn_batch(&sim, dir.path(), &[]);
    match when {
        "before any create" => {}
        "while creates are in flight" => until(|| sim.record().created.len() >= 3).await,
        _ => until(|| images(dir.path()).len() >= 2).await,
    }
    child.start_kill().unwrap();
    let _ = child.wait().await;
    let created_before = sim.record().created.len();

    let output = ideogram(Some(&sim), dir.path(), BATCH).await;
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(0), "{when}: {err}");
    let names = images(dir.path());
    assert_eq!(names.len(), 12, "{when}: {names:?}");
    for name in &names {
        assert_png(&dir.path().join("out").join(name));
    }
    let record = sim.record();
    let inputs: BTreeSet<String> = record
        .created
        .iter()
        .map(|c| format!("{:?}", c.input))
        .collect();
    assert_eq!(
        record.created.len(),
        12,
        "{when}: no prediction created twice"
    );
    assert_eq!(inputs.len(), 12, "{when}: one per line");
    let summary = err.lines().last().unwrap_or_default();
    println!("{when}: {created_before} created before the kill; {summary}");
    // Every prediction the killed run created is taken up again: skipped (its file was complete) or resumed.
    let count = |word: &str| -> usize {
        let before = &summary[..summary.find(word).unwrap_or_else(|| panic!("{summary}"))];
        before
            .split_whitespace()
            .last()
            .unwrap()
            .trim_start_matches('(')
            .parse()
            .unwrap()
    };
    assert_eq!(
        count(" skipped") + count(" resumed"),
        created_before,
        "{when}: {summary}"
    );
}

#[tokio::test]
async fn killed_before_any_create_then_run_again() {
    killed_then_resumed("before any create").await;
}

#[tokio::test]
async fn killed_while_creates_are_in_flight_then_run_again() {
    killed_then_resumed("while creates are in flight").await;
}

#[tokio::test]
async fn killed_while_downloads_are_in_flight_then_run_again() {
    killed_then_resumed("while downloads are in flight").await;
}

#[tokio::test]
async fn the_contact_sheet_lists_every_item_with_its_image_or_its_error() {
    let sim = simulator(Duration::from_millis(50)).await;
    let dir = tempfile::tempdir().unwrap();
    let mut text = lines(7);
    text.push_str("\n{\"prompt\": \"a boat [fail]\"}\n");
    std::fs::write(dir.path().join("inputs.txt"), text).unwrap();
    let output = ideogram(Some(&sim), dir.path(), BATCH).await;
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let html = std::fs::read_to_string(dir.path().join("out/index.html")).unwrap();
    let cards = html.matches("<figure class=").count();
    assert_eq!(cards, 8, "every item has a card");
    let mut linked = 0;
    for part in html.split("src=\"").skip(1) {
        let link = part.split('"').next().unwrap();
        assert!(
            !link.contains("://") && !link.starts_with('/'),
            "relative: {link}"
        );
        assert_png(&dir.path().join("out").join(link));
        linked += 1;
    }
    assert_eq!(linked, 7, "an image per succeeded item");
    assert!(
        html.contains("class=\"card failed\" id=\"item-7\""),
        "the failed item"
    );
    assert!(html.contains("Simulated failure"), "with its error");
    assert!(
        html.contains("Art Deco") && html.contains("ideogram-ai/ideogram-v3-turbo"),
        "options and model"
    );
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "nothing from elsewhere"
    );
}

/// The peak resident memory of a running process (`VmHWM`), in bytes, as long as it runs.
#[cfg(target_os = "linux")]
fn peak_rss(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

#[cfg(target_os = "linux")]
#[tokio::test]
async fn outputs_are_streamed_to_disk_in_bounded_memory() {
    // Four outputs of STREAMED_OUTPUT_MB each (24 by default; BENCHMARKS.md: 200), downloaded at once.
    let mb: u64 = std::env::var("STREAMED_OUTPUT_MB")
        .ok()
        .and_then(|m| m.parse().ok())
        .unwrap_or(24);
    let sim = simulator(Duration::from_millis(20)).await;
    let dir = tempfile::tempdir().unwrap();
    let blob = format!("{}/_simulator/blob/{}", sim.delivery_url(), mb << 20);
    let lines: Vec<String> = (0..4)
        .map(|i| serde_json::json!({"prompt": format!("big {i} [output=\"{blob}\"]")}).to_string())
        .collect();
    std::fs::write(dir.path().join("inputs.txt"), lines.join("\n")).unwrap();
    let mut child = spawn_batch(&sim, dir.path(), &[]);
    let pid = child.id().unwrap();
    let mut peak = 0;
    let status = loop {
        if let Some(rss) = peak_rss(pid) {
            peak = peak.max(rss);
        }
        match tokio::time::timeout(Duration::from_millis(20), child.wait()).await {
            Ok(status) => break status.unwrap(),
            Err(_) => continue,
        }
    };
    assert!(status.success(), "{status}");
    let sizes: Vec<u64> = std::fs::read_dir(dir.path().join("out"))
        .unwrap()
        .filter_map(|e| e.ok()?.metadata().ok())
        .map(|m| m.len())
        .filter(|len| *len == mb << 20)
        .collect();
    assert_eq!(sizes.len(), 4, "four whole outputs");
    println!(
        "4 outputs of {mb} MB: peak RSS {:.1} MiB",
        peak as f64 / 1048576.0
    );
    assert!(peak <= 64 << 20, "peak RSS {peak} bytes for 4 × {mb} MB");
}

#[tokio::test]
async fn a_byte_order_mark_is_not_part_of_the_first_line() {
    let sim = simulator(Duration::from_millis(20)).await;
    let dir = tempfile::tempdir().unwrap();
    let text = "\u{feff}{\"prompt\": \"a line after a BOM\", \"seed\": 1}\na plain line\n";
    std::fs::write(dir.path().join("inputs.txt"), text).unwrap();
    let output = ideogram(Some(&sim), dir.path(), BATCH).await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let prompts: BTreeSet<String> = sim
        .record()
        .created
        .iter()
        .map(|c| c.input["prompt"].as_str().unwrap_or_default().to_string())
        .collect();
    let expected: BTreeSet<String> = ["a line after a BOM", "a plain line"]
        .map(String::from)
        .into();
    assert_eq!(prompts, expected);
}

#[tokio::test]
async fn the_summary_names_predictions_paid_for_and_delivered_to_no_item() {
    let sim = simulator(Duration::from_millis(20)).await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("inputs.txt"), "the only line\n").unwrap();
    // Killed while its create is held: the prediction exists, its id never reached the journal.
    sim.set_hold_creates(true);
    let mut child = spawn_batch(&sim, dir.path(), &["--list-settle", "1"]);
    until(|| sim.predictions().len() == 1).await;
    child.start_kill().unwrap();
    let _ = child.wait().await;
    sim.set_hold_creates(false);
    // Someone else (another machine, no shared claims) made the same input meanwhile.
    let input = serde_json::json!({"prompt": "the only line"});
    let target = replicate_ideogram::Target::model("ideogram-ai/ideogram-v2-turbo");
    let other = sim
        .client()
        .unwrap()
        .create(replicate_ideogram::JsonInput::new(target, input))
        .await
        .unwrap();
    let output = ideogram(
        Some(&sim),
        dir.path(),
        &[
            "batch",
            "inputs.txt",
            "--out-dir",
            "out",
            "--list-settle",
            "1",
        ],
    )
    .await;
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(0), "{err}");
    assert_eq!(
        sim.record().created.len(),
        2,
        "nothing created by the rerun"
    );
    let first = sim.record().created[0].id.clone();
    let named = [&first, &other.id]
        .into_iter()
        .filter(|id| err.contains(id.as_str()))
        .count();
    assert!(err.contains("paid for and delivered to no item"), "{err}");
    assert_eq!(named, 1, "the one not taken is named: {err}");
}

#[tokio::test]
async fn removed_outputs_exit_1_and_retry_failed_makes_exactly_those_again() {
    let sim = simulator(Duration::from_millis(20)).await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("inputs.txt"), "one\ntwo\n").unwrap();
    // Killed with its creates held; by the rerun the server has removed the outputs.
    sim.set_hold_creates(true);
    let mut child = spawn_batch(&sim, dir.path(), &["--list-settle", "1"]);
    until(|| sim.predictions().len() == 2).await;
    child.start_kill().unwrap();
    let _ = child.wait().await;
    sim.set_hold_creates(false);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(sim.remove_outputs(), 2);
    let settle = ["--list-settle", "1"];
    let again = [BATCH, &settle].concat();
    let output = ideogram(Some(&sim), dir.path(), &again).await;
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{err}");
    assert!(err.contains("--retry-failed creates them again"), "{err}");
    assert_eq!(sim.record().created.len(), 2, "reported, not paid again");
    let retry = [BATCH, &settle, &["--retry-failed"]].concat();
    let output = ideogram(Some(&sim), dir.path(), &retry).await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(sim.record().created.len(), 4, "exactly the two made again");
    assert_eq!(images(dir.path()).len(), 2);
}

#[tokio::test]
async fn a_journal_of_another_account_is_refused_with_exit_2() {
    let sim = simulator(Duration::from_millis(20)).await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("inputs.txt"), "one\ntwo\n").unwrap();
    let output = ideogram(Some(&sim), dir.path(), BATCH).await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let config = SimulatorConfig::default().account_username("someone-else");
    let other = Simulator::start(config).await.unwrap();
    let output = ideogram(Some(&other), dir.path(), BATCH).await;
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(err.contains("another directory"), "{err}");
    assert!(other.record().created.is_empty());
}

/// Four identical lines without a seed (four variations, as `generate --count 4` asks), two at a time: the
/// first two finish, the batch is killed while the last two creates wait for their answers (`Prefer:
/// wait` holds them while the predictions run), then run again. Four predictions in all, each file its own
/// image: the finished items' predictions, made moments before, are not taken for the unanswered ones.
#[tokio::test]
async fn identical_lines_killed_while_creates_are_held_get_distinct_images() {
    let sim = simulator(Duration::from_millis(400)).await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("inputs.txt"), "variations\n".repeat(4)).unwrap();
    let mut child = spawn_batch(&sim, dir.path(), &["--concurrency", "2"]);
    until(|| sim.predictions().len() == 4).await;
    child.start_kill().unwrap();
    let _ = child.wait().await;
    let saved_before = images(dir.path()).len();

    let rerun = [BATCH, &["--list-settle", "1"]].concat();
    let output = ideogram(Some(&sim), dir.path(), &rerun).await;
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(0), "{err}");
    assert_eq!(
        sim.record().created.len(),
        4,
        "{saved_before} saved before the kill: {err}"
    );
    let names = images(dir.path());
    assert_eq!(names.len(), 4, "{names:?}");
    let contents: BTreeSet<Vec<u8>> = names
        .iter()
        .map(|n| std::fs::read(dir.path().join("out").join(n)).unwrap())
        .collect();
    assert_eq!(
        contents.len(),
        4,
        "each file its own prediction's image: {err}"
    );
    assert!(!err.contains("delivered to no"), "{err}");
}

/// A cache directory that cannot hold the claim file (here a regular file stands where it should be): the
/// batch runs with its claims in memory and says so, rather than not running at all.
#[tokio::test]
async fn a_cache_directory_that_cannot_hold_the_claim_file_is_a_warning() {
    let sim = simulator(Duration::from_millis(20)).await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("inputs.txt"), lines(2)).unwrap();
    std::fs::write(dir.path().join("not-a-directory"), "").unwrap();
    let mut command = cli_support::command(Some(&sim), dir.path(), BATCH);
    command.env("XDG_CACHE_HOME", dir.path().join("not-a-directory"));
    let output = cli_support::finish(command).await;
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(0), "{err}");
    assert_eq!(images(dir.path()).len(), 2);
    assert!(
        err.contains("claims are kept in memory"),
        "the user is told: {err}"
    );
}
