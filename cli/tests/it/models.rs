//! The `ideogram` binary and the models: choosing one, its options checked before anything is sent, local
//! files for its file fields, its schema, and `spec sync` against what the API publishes.

use crate::cli_support;

use cli_support::{
    assert_nothing_sent, assert_png, assert_refused, ideogram, simulator, stderr, stdout,
};
use replicate_ideogram_simulator::{Simulator, SimulatorConfig};
use serde_json::{Value, json};

#[tokio::test]
async fn models_are_chosen_with_model_and_options_are_checked_per_model() {
    let sim = simulator().await;
    let dir = tempfile::tempdir().unwrap();
    // Options a model lacks, values of another model, unknown models: exit 2, nothing sent.
    let refused: [(&[&str], &str); 4] = [
        (
            &[
                "generate",
                "x",
                "--model",
                "ideogram-v2a",
                "--negative-prompt",
                "fog",
            ],
            "ideogram-ai/ideogram-v2a has no option --negative-prompt",
        ),
        (
            &[
                "generate",
                "x",
                "--model",
                "ideogram-v3-turbo",
                "--style-type",
                "Anime",
            ],
            "ideogram-ai/ideogram-v3-turbo",
        ),
        (
            &["generate", "x", "--style-preset", "Art Deco"],
            "ideogram-ai/ideogram-v2-turbo has no option --style-preset",
        ),
        (
            &["generate", "x", "--model", "ideogram-v9"],
            "unknown model",
        ),
    ];
    assert_refused(&sim, dir.path(), &refused).await;
    assert_nothing_sent(&sim);

    let output = ideogram(
        Some(&sim),
        dir.path(),
        &[
            "generate",
            "a lighthouse",
            "--model",
            "ideogram-ai/ideogram-v3-quality",
            "--aspect-ratio",
            "4:5",
            "--style-preset",
            "Art Deco",
            "--out",
            "v3.png",
        ],
    )
    .await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_png(&dir.path().join("v3.png"));
    let record = sim.record();
    assert_eq!(record.created.len(), 1);
    assert_eq!(record.created[0].model, "ideogram-ai/ideogram-v3-quality");
    assert_eq!(record.created[0].input["aspect_ratio"], "4:5");
    assert_eq!(record.created[0].input["style_preset"], "Art Deco");
}

#[tokio::test]
async fn schema_prints_each_models_input_schema_and_lists_the_models() {
    let dir = tempfile::tempdir().unwrap();
    let output = ideogram(None, dir.path(), &["schema", "--list"]).await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let listed: Vec<String> = stdout(&output).lines().map(str::to_string).collect();
    assert_eq!(listed.len(), replicate_ideogram::models::KNOWN_MODELS.len());
    for model in [
        "ideogram-v4-turbo",
        "ideogram-v4-balanced",
        "ideogram-v4-quality",
        "ideogram-character",
        "layerize",
    ] {
        assert!(
            listed.contains(&format!("ideogram-ai/{model}")),
            "{model} listed: {listed:?}"
        );
    }
    for model in &listed {
        let output = ideogram(None, dir.path(), &["schema", "--model", model]).await;
        assert_eq!(
            output.status.code(),
            Some(0),
            "{model}: {}",
            stderr(&output)
        );
        let schema: Value = serde_json::from_str(&stdout(&output)).unwrap();
        let required = match model.as_str() {
            "ideogram-ai/ideogram-v4-turbo"
            | "ideogram-ai/ideogram-v4-balanced"
            | "ideogram-ai/ideogram-v4-quality" => json!(null),
            "ideogram-ai/layerize" => json!(["flat_graphic_image"]),
            "ideogram-ai/ideogram-character" => json!(["character_reference_image", "prompt"]),
            _ => json!(["prompt"]),
        };
        assert_eq!(schema["required"], required, "{model}");
        let v3 = model.contains("-v3-");
        assert_eq!(
            schema["properties"].get("style_preset").is_some(),
            v3,
            "{model}"
        );
    }
    let output = ideogram(None, dir.path(), &["schema", "--model", "nope"]).await;
    assert_eq!(output.status.code(), Some(2));
}

#[tokio::test]
async fn a_large_local_image_is_uploaded_and_passed_by_url() {
    let sim = simulator().await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("photo.png"), vec![7u8; 300_000]).unwrap();
    std::fs::write(dir.path().join("mask.png"), vec![1u8; 1_000]).unwrap();
    let output = ideogram(
        Some(&sim),
        dir.path(),
        &[
            "generate",
            "a red door",
            "--image",
            "photo.png",
            "--mask",
            "mask.png",
            "--out",
            "door.png",
        ],
    )
    .await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let record = sim.record();
    assert_eq!(record.uploads.len(), 1, "only the image is over 256 kB");
    let input = &record.created[0].input;
    assert_eq!(
        input["image"],
        format!("{}/files/{}", sim.base_url(), record.uploads[0].id).as_str()
    );
    assert!(
        input["mask"]
            .as_str()
            .unwrap()
            .starts_with("data:image/png;base64,")
    );
}

#[tokio::test]
async fn spec_sync_rewrites_the_spec_from_the_published_schema() {
    const MODEL: &str = "ideogram-ai/ideogram-v3-turbo";
    let published = simulator().await;
    let model = published.client().unwrap().model(MODEL).await.unwrap();
    let mut schema = Value::Object(model.latest_version.unwrap().openapi_schema.unwrap());
    schema["components"]["schemas"]["Input"]["properties"]["color_palette"] = serde_json::json!({"type": "string", "description": "A named color palette.", "x-order": 10});
    let sim = Simulator::start(SimulatorConfig::default().published_schema(MODEL, schema))
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let original = include_str!("../../../openapi.yaml");
    std::fs::write(dir.path().join("openapi.yaml"), original).unwrap();

    let dry = ideogram(
        Some(&sim),
        dir.path(),
        &["spec", "sync", MODEL, "--dry-run"],
    )
    .await;
    assert_eq!(dry.status.code(), Some(0), "{}", stderr(&dry));
    assert!(
        stdout(&dry).contains("+ color_palette (string)"),
        "{}",
        stdout(&dry)
    );
    let unchanged = std::fs::read_to_string(dir.path().join("openapi.yaml")).unwrap();
    assert_eq!(unchanged, original, "a dry run writes nothing");

    let synced = ideogram(Some(&sim), dir.path(), &["spec", "sync", MODEL]).await;
    assert_eq!(synced.status.code(), Some(0), "{}", stderr(&synced));
    let written = std::fs::read_to_string(dir.path().join("openapi.yaml")).unwrap();
    assert!(
        written.contains("        color_palette:\n"),
        "the field is in the spec"
    );
    let again = ideogram(Some(&sim), dir.path(), &["spec", "sync", MODEL]).await;
    assert!(
        stdout(&again).contains("is up to date"),
        "{}",
        stdout(&again)
    );

    let unknown = ideogram(Some(&sim), dir.path(), &["spec", "sync", "nobody/nothing"]).await;
    assert_eq!(unknown.status.code(), Some(3), "{}", stderr(&unknown));
}

#[tokio::test]
async fn ideogram_4_takes_a_prompt_or_a_json_prompt_not_both() {
    let sim = simulator().await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("scene.json"),
        r#"{"scene": "a shoe", "text": "RUN"}"#,
    )
    .unwrap();
    std::fs::write(dir.path().join("list.json"), "[1, 2]").unwrap();
    let refused: [(&[&str], &str); 4] = [
        (
            &[
                "generate",
                "x",
                "--model",
                "ideogram-v4-turbo",
                "--json-prompt",
                "scene.json",
            ],
            "set only one of `prompt` or `json_prompt`",
        ),
        (
            &["generate", "--model", "ideogram-v4-balanced"],
            "set one of `prompt` or `json_prompt`",
        ),
        (
            &[
                "generate",
                "--model",
                "ideogram-v4-turbo",
                "--json-prompt",
                "list.json",
            ],
            "--json-prompt list.json: must hold a JSON object",
        ),
        (
            &["generate", "x", "--json-prompt", "scene.json"],
            "ideogram-ai/ideogram-v2-turbo has no option --json-prompt",
        ),
    ];
    assert_refused(&sim, dir.path(), &refused).await;
    assert_nothing_sent(&sim);

    let output = ideogram(
        Some(&sim),
        dir.path(),
        &[
            "generate",
            "--model",
            "ideogram-v4-turbo",
            "--json-prompt",
            "scene.json",
            "--resolution",
            "2048x2048",
            "--enable-copyright-detection",
            "--out",
            "v4.png",
        ],
    )
    .await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_png(&dir.path().join("v4.png"));
    let input = &sim.record().created[0].input;
    let sent: Value = serde_json::from_str(input["json_prompt"].as_str().unwrap()).unwrap();
    assert_eq!(
        sent,
        json!({"scene": "a shoe", "text": "RUN"}),
        "a JSON string on the wire"
    );
    assert_eq!(input["enable_copyright_detection"], true);
    assert!(input.get("prompt").is_none(), "{input:?}");
}

#[tokio::test]
async fn a_character_run_with_a_local_reference_image_writes_its_image() {
    let sim = simulator().await;
    let dir = tempfile::tempdir().unwrap();
    // One small enough to go inline, one large enough to be uploaded.
    std::fs::write(dir.path().join("small.png"), vec![3u8; 2_000]).unwrap();
    std::fs::write(dir.path().join("large.png"), vec![5u8; 300_000]).unwrap();
    for (file, out) in [("small.png", "a.png"), ("large.png", "b.png")] {
        let output = ideogram(
            Some(&sim),
            dir.path(),
            &[
                "generate",
                "the same person reading in a cafe",
                "--model",
                "ideogram-character",
                "--character-reference-image",
                file,
                "--rendering-speed",
                "Turbo",
                "--out",
                out,
            ],
        )
        .await;
        assert_eq!(output.status.code(), Some(0), "{file}: {}", stderr(&output));
        assert_png(&dir.path().join(out));
    }
    let record = sim.record();
    assert_eq!(record.created.len(), 2);
    let inline = record.created[0].input["character_reference_image"]
        .as_str()
        .unwrap();
    assert!(inline.starts_with("data:image/png;base64,"), "{inline}");
    assert_eq!(record.uploads.len(), 1);
    assert_eq!(
        record.created[1].input["character_reference_image"],
        format!("{}/files/{}", sim.base_url(), record.uploads[0].id).as_str()
    );
    assert_eq!(record.created[1].input["rendering_speed"], "Turbo");

    let missing = ideogram(
        Some(&sim),
        dir.path(),
        &["generate", "x", "--model", "ideogram-character"],
    )
    .await;
    assert_eq!(missing.status.code(), Some(2), "{}", stderr(&missing));
    assert!(
        stderr(&missing).contains("character_reference_image"),
        "{}",
        stderr(&missing)
    );
}

#[tokio::test]
async fn layerize_saves_every_file_of_its_output() {
    let sim = simulator().await;
    let dir = tempfile::tempdir().unwrap();
    let output = ideogram(
        Some(&sim),
        dir.path(),
        &[
            "generate",
            "--model",
            "layerize",
            "--flat-graphic-image",
            "https://example.com/poster.png",
            "--set",
            "font_name_h1=Inter",
            "--out-dir",
            ".",
        ],
    )
    .await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    // Into a directory, files are named by item and prompt (layerize has none), each with its own extension.
    assert_png(&dir.path().join("00000-output-1.png"));
    let layers = std::fs::read_to_string(dir.path().join("00000-output-2.json")).unwrap();
    assert!(serde_json::from_str::<Value>(&layers).is_ok(), "{layers}");
    assert_eq!(sim.record().created[0].input["font_name_h1"], "Inter");
}

#[tokio::test]
async fn a_prompt_that_looks_like_an_upload_placeholder_is_sent_as_written() {
    let sim = simulator().await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("large.png"), vec![5u8; 300_000]).unwrap();
    let prompt = "https://upload.pending.invalid/0";
    let output = ideogram(
        Some(&sim),
        dir.path(),
        &["generate", prompt, "--image", "large.png", "--out", "x.png"],
    )
    .await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let input = &sim.record().created[0].input;
    assert_eq!(input["prompt"], prompt, "the user's text is never replaced");
    assert!(
        input["image"].as_str().unwrap().contains("/files/"),
        "{input:?}"
    );
}

/// The simulator publishing the crate's own schemas, or with `MODEL`'s changed as `change` says.
async fn publishing(change: Option<fn(&mut Value)>) -> Simulator {
    const MODEL: &str = "ideogram-ai/ideogram-character";
    let Some(change) = change else {
        return simulator().await;
    };
    let own = simulator().await;
    let model = own.client().unwrap().model(MODEL).await.unwrap();
    let mut schema = Value::Object(model.latest_version.unwrap().openapi_schema.unwrap());
    change(&mut schema["components"]["schemas"]);
    Simulator::start(SimulatorConfig::default().published_schema(MODEL, schema))
        .await
        .unwrap()
}

#[tokio::test]
async fn spec_sync_check_reports_every_model_and_fails_when_one_is_behind() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("openapi.yaml"),
        include_str!("../../../openapi.yaml"),
    )
    .unwrap();
    let check = ["spec", "sync", "--all", "--check"];

    let same = publishing(None).await;
    let output = ideogram(Some(&same), dir.path(), &check).await;
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}{}",
        stdout(&output),
        stderr(&output)
    );
    let out = stdout(&output);
    for model in replicate_ideogram::models::KNOWN_MODELS {
        assert!(
            out.contains(&format!("{model}: up to date")),
            "{model}: {out}"
        );
    }

    type Change = fn(&mut Value);
    let changes: [(Change, &str); 3] = [
        (
            |s| {
                s["rendering_speed"]["enum"]
                    .as_array_mut()
                    .unwrap()
                    .push("Ultra".into())
            },
            "rendering_speed: new values [\"Ultra\"]",
        ),
        (
            |s| s["Input"]["properties"]["seed"]["maximum"] = 99.into(),
            "seed: maximum",
        ),
        (
            |s| {
                s["Input"]["properties"]
                    .as_object_mut()
                    .unwrap()
                    .remove("mask");
            },
            "- mask",
        ),
    ];
    for (change, expected) in changes {
        let sim = publishing(Some(change)).await;
        let output = ideogram(Some(&sim), dir.path(), &check).await;
        let out = stdout(&output);
        assert_eq!(
            output.status.code(),
            Some(1),
            "{expected}: {out}{}",
            stderr(&output)
        );
        assert!(
            out.contains("ideogram-ai/ideogram-character: BEHIND"),
            "{out}"
        );
        assert!(out.contains(expected), "{expected}: {out}");
        assert!(out.contains("1 of 12 models behind"), "{out}");
    }
    let written = std::fs::read_to_string(dir.path().join("openapi.yaml")).unwrap();
    assert_eq!(
        written,
        include_str!("../../../openapi.yaml"),
        "--check writes nothing"
    );
}
