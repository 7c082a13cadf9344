//! `ideogram spec sync`: a model's components in `openapi.yaml` rewritten from the schema the API publishes
//! (here the simulator's, changed on purpose), the rest of the file untouched, the changes summed up, the
//! result generating, and a second sync changing nothing.

#[allow(dead_code)]
#[path = "../../../build.rs"]
mod build_script;

use ideogram_cli::spec_sync::sync;
use replicate_ideogram::ModelVersion;
use replicate_ideogram_simulator::{Simulator, SimulatorConfig};

use serde_json::{Value, json};

const SPEC: &str = include_str!("../../../openapi.yaml");
const MODEL: &str = "ideogram-ai/ideogram-v3-turbo";

/// The schema the simulator publishes for the model (this crate's own), with a new field and a new aspect
/// ratio, as a new version of the model would bring.
async fn changed_schema() -> Value {
    let sim = Simulator::start(SimulatorConfig::default()).await.unwrap();
    let model = sim.client().unwrap().model(MODEL).await.unwrap();
    let mut schema = Value::Object(model.latest_version.unwrap().openapi_schema.unwrap());
    let schemas = &mut schema["components"]["schemas"];
    schemas["Input"]["properties"]["color_palette"] = json!({
        "type": "string",
        "title": "Color Palette",
        "description": "A named color palette.",
        "x-order": 10
    });
    schemas["aspect_ratio"]["enum"]
        .as_array_mut()
        .unwrap()
        .push("5:2".into());
    schema
}

/// The latest version of `MODEL` as a simulator publishing `schema` serves it (the simulator, to keep it
/// running, and the version).
async fn published(schema: Value) -> (Simulator, ModelVersion) {
    let sim = Simulator::start(SimulatorConfig::default().published_schema(MODEL, schema))
        .await
        .unwrap();
    let version = sim
        .client()
        .unwrap()
        .model(MODEL)
        .await
        .unwrap()
        .latest_version
        .unwrap();
    (sim, version)
}
#[tokio::test]
async fn a_new_version_rewrites_only_the_models_components_and_says_what_changed() {
    let schema = changed_schema().await;
    let (_sim, version) = published(schema).await;
    let synced = sync(SPEC, MODEL, &version).unwrap();
    let changes = synced.changes.join("\n");
    assert!(changes.contains("+ color_palette (string)"), "{changes}");
    assert!(
        changes.contains(r#"~ aspect_ratio: new values ["5:2"]"#),
        "{changes}"
    );
    assert!(!changes.contains("- "), "nothing was removed: {changes}");

    // Only the model's component changed; the new enum went at the end; every other line is as it was.
    let start = SPEC.find("    IdeogramV3TurboInput:\n").unwrap();
    assert_eq!(&synced.spec[..start], &SPEC[..start]);
    let rest_of_file = &SPEC[SPEC.find("    IdeogramOutput:\n").unwrap()..];
    assert!(
        synced.spec.contains(rest_of_file),
        "the components after it are untouched"
    );
    assert!(synced.spec.contains("    IdeogramV3TurboAspectRatio:\n"));
    assert!(
        synced
            .spec
            .contains("$ref: \"#/components/schemas/StylePreset\""),
        "unchanged enums are reused"
    );

    // The result generates, and the new field and value are in the types.
    let generated = build_script::generate(&synced.spec).expect("the synced spec generates");
    let models = generated.models.to_string();
    assert!(
        models.contains("pub color_palette : Option < String >"),
        "new field"
    );
    assert!(models.contains("\"5:2\""), "new value");

    // A second sync of the same version changes nothing.
    let again = sync(&synced.spec, MODEL, &version).unwrap();
    assert_eq!(again.spec, synced.spec);
    assert!(again.changes.is_empty(), "{:?}", again.changes);
}

#[tokio::test]
async fn a_model_the_spec_lacks_gets_new_components() {
    let schema = changed_schema().await;
    let sim = Simulator::start(SimulatorConfig::default().published_schema("acme/painter", schema))
        .await
        .unwrap();
    let version = sim
        .client()
        .unwrap()
        .model("acme/painter")
        .await
        .unwrap()
        .latest_version
        .unwrap();
    let synced = sync(SPEC, "acme/painter", &version).unwrap();
    assert!(
        synced.spec.starts_with(SPEC.trim_end()),
        "appended, nothing else touched"
    );
    assert!(synced.spec.contains("    PainterInput:\n"));
    assert!(synced.spec.contains("x-replicate-model: \"acme/painter\""));
    assert!(
        synced.changes.iter().any(|c| c == "+ prompt (string)"),
        "{:?}",
        synced.changes
    );
    let generated = build_script::generate(&synced.spec).expect("the synced spec generates");
    assert!(generated.models.to_string().contains("PainterInput"));
}

#[tokio::test]
async fn field_names_from_the_server_are_quoted_and_named_in_rust() {
    let mut schema = changed_schema().await;
    let properties = &mut schema["components"]["schemas"]["Input"]["properties"];
    for (n, name) in ["crate", "a-b", "odd: name #1", "on"].iter().enumerate() {
        properties[*name] = json!({"type": "string", "title": "Odd", "x-order": 20 + n});
    }
    let (_sim, version) = published(schema).await;
    let synced = sync(SPEC, MODEL, &version).unwrap();
    let document: Value = yaml_serde::from_str(&synced.spec).expect("the synced spec is YAML");
    let written = &document["components"]["schemas"]["IdeogramV3TurboInput"]["properties"];
    for name in ["crate", "a-b", "odd: name #1", "on"] {
        assert_eq!(written[name]["type"], "string", "{name}");
    }
    let generated = build_script::generate(&synced.spec).expect("the synced spec generates");
    let models = generated.models.to_string();
    for rust in ["crate_", "a_b", "odd__name__1", "on"] {
        assert!(
            models.contains(&format!("pub {rust} : Option < String >")),
            "{rust}"
        );
    }
}

#[tokio::test]
async fn every_limit_the_published_schema_sets_is_written_and_compared() {
    let mut schema = changed_schema().await;
    let properties = &mut schema["components"]["schemas"]["Input"]["properties"];
    properties["prompt"]["maxLength"] = json!(2000);
    properties["prompt"]["minLength"] = json!(1);
    properties["style_reference_images"]["maxItems"] = json!(3);
    let (_sim, version) = published(schema).await;
    let synced = sync(SPEC, MODEL, &version).unwrap();
    let changes = synced.changes.join("\n");
    for expected in [
        "~ prompt: maxLength none → 2000",
        "~ prompt: minLength none → 1",
        "~ style_reference_images: maxItems none → 3",
    ] {
        assert!(changes.contains(expected), "{expected}: {changes}");
    }
    let component = &synced.spec[synced.spec.find("    IdeogramV3TurboInput:\n").unwrap()..];
    assert!(
        component.contains("          maxLength: 2000\n"),
        "written as read"
    );
    assert!(
        component.contains("          maxItems: 3\n"),
        "written as read"
    );
    let again = sync(&synced.spec, MODEL, &version).unwrap();
    assert!(again.changes.is_empty(), "{:?}", again.changes);
    build_script::generate(&synced.spec).expect("the synced spec generates");
}

/// The synced spec's generated models, as text (tokens spaced as `quote` writes them).
fn models_of(spec: &str) -> String {
    build_script::generate(spec)
        .expect("the synced spec generates")
        .models
        .to_string()
}

#[tokio::test]
async fn a_value_added_to_a_shared_enum_renames_nothing_code_uses() {
    // "5:2" comes to v3-turbo alone: `V3AspectRatio` stays v3-balanced's and v3-quality's.
    let (_sim, version) = published(changed_schema().await).await;
    let synced = sync(SPEC, MODEL, &version).unwrap();
    let models = models_of(&synced.spec);
    // Code written before (`.aspect_ratio(V3AspectRatio::Ratio16x9)`) still compiles: the setter takes
    // anything that converts, the shared enum converts, and the variants keep their names.
    assert!(
        models.contains("impl From < V3AspectRatio > for IdeogramV3TurboAspectRatio"),
        "no conversion from the shared enum"
    );
    assert!(
        models.contains(
            "pub fn aspect_ratio (mut self , value : impl Into < IdeogramV3TurboAspectRatio >)"
        ),
        "the setter does not take the shared enum"
    );
    let own = &models[models.find("pub enum IdeogramV3TurboAspectRatio").unwrap()..];
    let own = &own[..own.find('}').unwrap()];
    assert!(
        own.contains("Ratio16x9") && own.contains("Ratio5x2"),
        "{own}"
    );
    assert!(
        !synced.changes.iter().any(|c| c.contains("breaking")),
        "{:?}",
        synced.changes
    );
}

#[tokio::test]
async fn a_value_taken_away_is_called_breaking_and_a_name_that_collides_is_refused() {
    let mut schema = changed_schema().await;
    let values = schema["components"]["schemas"]["style_type"]["enum"]
        .as_array_mut()
        .unwrap();
    values.retain(|v| v != "Design");
    let (_sim, version) = published(schema).await;
    let synced = sync(SPEC, MODEL, &version).unwrap();
    assert!(
        synced
            .changes
            .iter()
            .any(|c| c.starts_with("! breaking") && c.contains("\"Design\"")),
        "{:?}",
        synced.changes
    );

    // A published field named `input` would name its enum `IdeogramV3TurboInput`: the model's own input.
    let mut schema = changed_schema().await;
    let schemas = &mut schema["components"]["schemas"];
    schemas["Input"]["properties"]["input"] =
        json!({"allOf": [{"$ref": "#/components/schemas/input"}], "x-order": 30});
    schemas["input"] = json!({"type": "string", "title": "input", "enum": ["a", "b"]});
    let (_sim, version) = published(schema).await;
    let error = sync(SPEC, MODEL, &version).unwrap_err();
    assert!(
        error.contains("`input`") && error.contains("rename"),
        "{error}"
    );
}
