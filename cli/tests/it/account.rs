//! The `ideogram` commands around predictions: `account` (whose token), `versions` (a model's versions),
//! `files list|delete` (uploads), and `spec sync --version` (a pinned version's schema), on the simulator.

use crate::cli_support;

use std::time::Duration;

use cli_support::{command, finish, ideogram, simulator, stderr, stdout};
use replicate_ideogram_simulator::{Simulator, SimulatorConfig};

const V2_TURBO: &str = "ideogram-ai/ideogram-v2-turbo";
/// The 2024 version of ideogram-v2-turbo the simulator keeps beside the spec's (79 resolutions).
const V2_TURBO_2024: &str = "fbb188a06a69327a5daa9d82162b31528823d918705aefeeebd17856f856cfac";

#[tokio::test]
async fn account_names_the_token_s_owner_and_a_wrong_token_is_exit_3() {
    let mut config = SimulatorConfig::default();
    config.account_username = "alice".into();
    let sim = Simulator::start(config).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let output = ideogram(Some(&sim), dir.path(), &["account"]).await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stdout(&output).starts_with("alice ("),
        "{}",
        stdout(&output)
    );
    let json = ideogram(Some(&sim), dir.path(), &["account", "--json"]).await;
    let value: serde_json::Value = serde_json::from_str(stdout(&json).trim()).unwrap();
    assert_eq!(value["username"], "alice");

    let mut wrong = command(Some(&sim), dir.path(), &["account"]);
    wrong.env("REPLICATE_API_TOKEN", "r8_not_the_simulators");
    let output = finish(wrong).await;
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    assert!(stderr(&output).contains("401"), "{}", stderr(&output));
    assert!(
        !stderr(&output).contains("r8_not_the_simulators"),
        "the token is never shown"
    );
}

#[tokio::test]
async fn versions_lists_newest_first_and_marks_this_build_s() {
    let sim = simulator().await;
    let dir = tempfile::tempdir().unwrap();
    let output = ideogram(Some(&sim), dir.path(), &["versions", "ideogram-v2a"]).await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let out = stdout(&output);
    let version = replicate_ideogram::models::IdeogramV2aInput::VERSION;
    assert!(
        out.starts_with(version) && out.contains("(this build's types)"),
        "{out}"
    );
    let output = ideogram(Some(&sim), dir.path(), &["versions", V2_TURBO]).await;
    let out = stdout(&output);
    let lines: Vec<&str> = out.lines().map(str::trim).collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(lines[1].starts_with(V2_TURBO_2024), "{lines:?}");
    let unknown = ideogram(Some(&sim), dir.path(), &["versions", "nobody/nothing"]).await;
    assert_eq!(unknown.status.code(), Some(3), "{}", stderr(&unknown));
}

/// Uploads a file of `size` bytes named `name` to `sim`, as a batch's large reference image is.
async fn upload(sim: &Simulator, dir: &std::path::Path, name: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, vec![7u8; 300 * 1024]).unwrap();
    sim.client().unwrap().upload(&path).await.unwrap().id
}

#[tokio::test]
async fn files_are_listed_and_deleted_by_id_or_by_age() {
    let sim = simulator().await;
    let dir = tempfile::tempdir().unwrap();
    let old = upload(&sim, dir.path(), "old.png").await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let new = upload(&sim, dir.path(), "new.png").await;

    let listed = ideogram(Some(&sim), dir.path(), &["files", "list"]).await;
    assert_eq!(listed.status.code(), Some(0), "{}", stderr(&listed));
    let lines: Vec<String> = stdout(&listed).lines().map(str::to_string).collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(
        lines[0].starts_with(&new) && lines[0].ends_with("new.png"),
        "{lines:?}"
    );
    assert!(lines[1].starts_with(&old), "{lines:?}");

    let dry = ideogram(
        Some(&sim),
        dir.path(),
        &["files", "delete", "--older-than", "1s", "--dry-run"],
    )
    .await;
    assert!(
        stdout(&dry).contains(&format!("would delete {old}")),
        "{}",
        stdout(&dry)
    );
    assert_eq!(sim.record().uploads.iter().filter(|u| u.deleted).count(), 0);

    let aged = ideogram(
        Some(&sim),
        dir.path(),
        &["files", "delete", "--older-than", "1s"],
    )
    .await;
    assert_eq!(aged.status.code(), Some(0), "{}", stderr(&aged));
    assert!(
        stderr(&aged).contains("deleted 1 file uploaded more than 1s ago"),
        "{}",
        stderr(&aged)
    );
    let deleted: Vec<String> = sim
        .record()
        .uploads
        .iter()
        .filter(|u| u.deleted)
        .map(|u| u.id.clone())
        .collect();
    assert_eq!(deleted, [old]);

    let by_id = ideogram(Some(&sim), dir.path(), &["files", "delete", &new]).await;
    assert_eq!(by_id.status.code(), Some(0), "{}", stderr(&by_id));
    let empty = ideogram(Some(&sim), dir.path(), &["files", "list", "--json"]).await;
    assert_eq!(stdout(&empty), "");
    let again = ideogram(Some(&sim), dir.path(), &["files", "delete", &new]).await;
    assert_eq!(again.status.code(), Some(3), "{}", stderr(&again));
    assert!(stderr(&again).contains("404"), "{}", stderr(&again));

    for bad in [
        &["files", "delete"][..],
        &["files", "delete", "--older-than", "7"],
    ] {
        let refused = ideogram(Some(&sim), dir.path(), bad).await;
        assert_eq!(
            refused.status.code(),
            Some(2),
            "{bad:?}: {}",
            stderr(&refused)
        );
    }
}

#[tokio::test]
async fn spec_sync_takes_a_pinned_version_s_schema_and_check_reports_a_moved_model() {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("openapi.yaml");
    std::fs::write(&spec, include_str!("../../../openapi.yaml")).unwrap();
    let sim = simulator().await;

    let pinned = ["spec", "sync", V2_TURBO, "--version", V2_TURBO_2024];
    let output = ideogram(Some(&sim), dir.path(), &pinned).await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let out = stdout(&output);
    assert!(
        out.contains(&format!("schema of version {V2_TURBO_2024}")),
        "{out}"
    );
    assert!(out.contains("~ resolution: new values"), "{out}");
    let written = std::fs::read_to_string(&spec).unwrap();
    assert!(written.contains(&format!("x-replicate-version: \"{V2_TURBO_2024}\"")));
    assert!(
        written.contains("\"1280x720\""),
        "the 2024 resolutions are back"
    );

    // The spec now records the 2024 version: the latest is another, with another schema.
    let check = ["spec", "sync", "--all", "--check"];
    let output = ideogram(Some(&sim), dir.path(), &check).await;
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    assert!(
        stdout(&output).contains(&format!("{V2_TURBO}: BEHIND")),
        "{}",
        stdout(&output)
    );

    // A fresh spec, and a model that moved to a new version with the same schema.
    std::fs::write(&spec, include_str!("../../../openapi.yaml")).unwrap();
    let model = replicate_ideogram::models::IdeogramV2aInput::MODEL;
    let moved = SimulatorConfig::default().latest_version(model, "abcdef0123");
    let moved = Simulator::start(moved).await.unwrap();
    let output = ideogram(Some(&moved), dir.path(), &check).await;
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{out}");
    assert!(
        out.contains(&format!("{model}: MOVED: version abcdef0123")),
        "{out}"
    );
    assert!(out.contains("1 of "), "only the moved model counts: {out}");

    let unknown = ["spec", "sync", V2_TURBO, "--version", "0000deadbeef"];
    let output = ideogram(Some(&sim), dir.path(), &unknown).await;
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("unknown version"),
        "{}",
        stderr(&output)
    );
}

#[tokio::test]
async fn a_sync_that_breaks_code_says_so_and_writes_it_in_the_changelog() {
    const MODEL: &str = "ideogram-ai/ideogram-v3-turbo";
    let own = simulator().await;
    let model = own.client().unwrap().model(MODEL).await.unwrap();
    let mut schema =
        serde_json::Value::Object(model.latest_version.unwrap().openapi_schema.unwrap());
    schema["components"]["schemas"]["style_type"]["enum"]
        .as_array_mut()
        .unwrap()
        .retain(|v| v != "Design");
    let sim = Simulator::start(SimulatorConfig::default().published_schema(MODEL, schema))
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("openapi.yaml"),
        include_str!("../../../openapi.yaml"),
    )
    .unwrap();
    let changelog = dir.path().join("CHANGELOG.md");
    std::fs::write(
        &changelog,
        "# Changelog\n\n## Unreleased\n\n### Added\n- x\n\n## 0.1.0\n",
    )
    .unwrap();

    let output = ideogram(Some(&sim), dir.path(), &["spec", "sync", MODEL]).await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("! breaking: `V3StyleType`"),
        "{}",
        stdout(&output)
    );
    let written = std::fs::read_to_string(&changelog).unwrap();
    assert!(
        written.starts_with("# Changelog\n\n## Unreleased\n\n### Breaking\n- `V3StyleType`"),
        "{written}"
    );
    assert!(written.contains("[\"Design\"]"), "{written}");
}
