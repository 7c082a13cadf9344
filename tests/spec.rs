//! `openapi.yaml` against the published schema of `ideogram-ai/ideogram-v2-turbo`, and the crate's types
//! against `openapi.yaml`.
//!
//! The published schema is `tests/fixtures/ideogram-v2-turbo.published.json`: the `components.schemas` entries
//! `Input`, `Output` and the four enums of the model's `openapi_schema` (version
//! fbb188a06a69327a5daa9d82162b31528823d918705aefeeebd17856f856cfac), as Cog emits them. Every check collects
//! all its differences and fails with the list, each naming the field and both values. No network.

use std::collections::BTreeSet;
use std::fmt::{Debug, Display};
use std::str::FromStr;

use replicate_ideogram::PredictionStatus;
use replicate_ideogram::models::{
    AspectRatio, IdeogramV2TurboInput, MagicPromptOption, Resolution, StylePreset, StyleType,
    V3AspectRatio, V3Resolution, V3StyleType, WebhookEvent, input_schema,
};
use serde::{Serialize, de::DeserializeOwned};
use serde_json::Value;

/// The published version the fixture (and the spec's `IdeogramV2TurboInput`) describes.
const PUBLISHED_VERSION: &str = "fbb188a06a69327a5daa9d82162b31528823d918705aefeeebd17856f856cfac";

/// The keys a Cog property schema carries that both documents must agree on, besides `allOf`.
const PROPERTY_KEYS: &[&str] = &[
    "type",
    "format",
    "title",
    "x-order",
    "description",
    "default",
];

/// The enum components a published property's `allOf` may name, and the spec's component for each.
const ENUM_COMPONENTS: &[(&str, &str)] = &[
    ("aspect_ratio", "AspectRatio"),
    ("resolution", "Resolution"),
    ("magic_prompt_option", "MagicPromptOption"),
    ("style_type", "StyleType"),
];

fn openapi() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.yaml");
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {path}: {e}"));
    yaml_serde::from_str(&text).unwrap_or_else(|e| panic!("parsing {path}: {e}"))
}

fn published() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/ideogram-v2-turbo.published.json"
    );
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("parsing {path}: {e}"))
}

/// `components.schemas.<name>` of openapi.yaml.
fn component<'a>(spec: &'a Value, name: &str) -> &'a Value {
    spec.pointer(&format!("/components/schemas/{name}"))
        .unwrap_or_else(|| panic!("openapi.yaml has no component schema {name:?}"))
}

/// Follows a local `$ref` (`#/components/schemas/X`, `#/$defs/X`) inside `root`.
fn resolve<'a>(root: &'a Value, reference: &str) -> &'a Value {
    let pointer = reference
        .strip_prefix('#')
        .unwrap_or_else(|| panic!("{reference:?} is not a local $ref"));
    root.pointer(pointer)
        .unwrap_or_else(|| panic!("$ref {reference:?} points at nothing"))
}

/// The `$ref` of a Cog-style `allOf: [{$ref}]` wrapper, if the schema is one.
fn all_of_ref(schema: &Value) -> Option<&str> {
    let all_of = schema.get("allOf")?.as_array()?;
    assert_eq!(
        all_of.len(),
        1,
        "an allOf wrapper should hold exactly one $ref: {schema}"
    );
    all_of[0]["$ref"].as_str()
}

/// A string array (`required`, `enum`) as a Vec, or an empty one when absent.
fn strings(value: Option<&Value>) -> Vec<String> {
    value
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .map(|v| {
                    v.as_str()
                        .unwrap_or_else(|| panic!("expected a string, got {v}"))
                        .to_owned()
                })
                .collect()
        })
        .unwrap_or_default()
}

fn property_names(object: &Value) -> BTreeSet<String> {
    object["properties"]
        .as_object()
        .unwrap_or_else(|| panic!("schema without properties: {object}"))
        .keys()
        .cloned()
        .collect()
}

/// Renders an optional JSON value for a difference message.
fn show(value: Option<&Value>) -> String {
    value.map_or_else(|| "(absent)".to_owned(), Value::to_string)
}

/// Records a difference of two lists, naming the first position where they part.
fn diff_lists(diffs: &mut Vec<String>, what: &str, ours: &[String], theirs: &[String]) {
    if ours == theirs {
        return;
    }
    let at = ours
        .iter()
        .zip(theirs)
        .position(|(a, b)| a != b)
        .unwrap_or(ours.len().min(theirs.len()));
    diffs.push(format!(
        "{what}: {} values vs {} published; first difference at index {at}: ours {:?}, published {:?}",
        ours.len(),
        theirs.len(),
        ours.get(at),
        theirs.get(at),
    ));
}

fn assert_no_diffs(what: &str, diffs: &[String]) {
    assert!(
        diffs.is_empty(),
        "{what}: {} difference(s):\n  - {}",
        diffs.len(),
        diffs.join("\n  - ")
    );
}

#[test]
fn published_fixture_is_the_cog_schema_of_the_pinned_version() {
    let published = published();
    let keys: BTreeSet<&str> = published
        .as_object()
        .expect("the fixture is an object")
        .keys()
        .map(String::as_str)
        .collect();
    let expected: BTreeSet<&str> = ["Input", "Output"]
        .into_iter()
        .chain(ENUM_COMPONENTS.iter().map(|(cog, _)| *cog))
        .collect();
    assert_eq!(keys, expected, "fixture's top-level schemas");
    assert_eq!(strings(published.pointer("/Input/required")), ["prompt"]);
    assert_eq!(
        strings(published.pointer("/resolution/enum")).len(),
        79,
        "published resolution values"
    );
    for (cog, _) in ENUM_COMPONENTS {
        assert_eq!(published[cog]["type"], "string", "{cog}.type");
        assert_eq!(published[cog]["title"], *cog, "{cog}.title");
        assert_eq!(
            published[cog]["description"], "An enumeration.",
            "{cog}.description"
        );
    }
    // The spec says which published version it transcribes; the fixture is that version.
    let description = component(&openapi(), "IdeogramV2TurboInput")["description"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        description.contains(PUBLISHED_VERSION),
        "IdeogramV2TurboInput's description does not name version {PUBLISHED_VERSION}: {description:?}"
    );
}

#[test]
fn openapi_input_matches_the_published_input() {
    let spec = openapi();
    let published_root = published();
    let ours = component(&spec, "IdeogramV2TurboInput");
    let theirs = &published_root["Input"];
    let mut diffs = Vec::new();

    for key in ["type", "title"] {
        if ours.get(key) != theirs.get(key) {
            diffs.push(format!(
                "Input.{key}: ours {}, published {}",
                show(ours.get(key)),
                show(theirs.get(key))
            ));
        }
    }
    diff_lists(
        &mut diffs,
        "Input.required",
        &strings(ours.get("required")),
        &strings(theirs.get("required")),
    );

    let our_names = property_names(ours);
    let their_names = property_names(theirs);
    for name in our_names.difference(&their_names) {
        diffs.push(format!("property {name:?}: in openapi.yaml only"));
    }
    for name in their_names.difference(&our_names) {
        diffs.push(format!("property {name:?}: in the published schema only"));
    }

    for name in our_names.intersection(&their_names) {
        let ours = &ours["properties"][name];
        let theirs = &theirs["properties"][name];
        let mut keys: BTreeSet<&str> = PROPERTY_KEYS.iter().copied().collect();
        // Any other key either side carries (`minimum`, `nullable`, ...) must match too.
        for schema in [ours, theirs] {
            if let Some(object) = schema.as_object() {
                keys.extend(object.keys().map(String::as_str).filter(|k| *k != "allOf"));
            }
        }
        for key in keys {
            if ours.get(key) != theirs.get(key) {
                diffs.push(format!(
                    "{name}.{key}: ours {}, published {}",
                    show(ours.get(key)),
                    show(theirs.get(key))
                ));
            }
        }

        match (all_of_ref(ours), all_of_ref(theirs)) {
            (None, None) => {}
            (Some(our_ref), Some(their_ref)) => {
                let their_component = their_ref
                    .strip_prefix("#/components/schemas/")
                    .unwrap_or(their_ref);
                let expected = ENUM_COMPONENTS
                    .iter()
                    .find(|(cog, _)| *cog == their_component)
                    .map(|(_, ours)| format!("#/components/schemas/{ours}"));
                if expected.as_deref() != Some(our_ref) {
                    diffs.push(format!(
                        "{name}.allOf: ours $ref {our_ref:?}, published $ref {their_ref:?} (expected ours {expected:?})"
                    ));
                }
                // Resolve both: published refs point into the fixture's top level.
                let our_enum = resolve(&spec, our_ref);
                let their_enum = &published_root[their_component];
                for key in ["type", "title"] {
                    if our_enum.get(key) != their_enum.get(key) {
                        diffs.push(format!(
                            "{name} enum ({our_ref} vs {their_ref}).{key}: ours {}, published {}",
                            show(our_enum.get(key)),
                            show(their_enum.get(key))
                        ));
                    }
                }
                // (The descriptions differ on purpose: Cog's is always "An enumeration.".)
                diff_lists(
                    &mut diffs,
                    &format!("{name} enum values ({our_ref} vs {their_ref})"),
                    &strings(our_enum.get("enum")),
                    &strings(their_enum.get("enum")),
                );
                if let Some(default) = theirs.get("default").and_then(Value::as_str)
                    && !strings(our_enum.get("enum")).iter().any(|v| v == default)
                {
                    diffs.push(format!(
                        "{name}: default {default:?} is not a value of {our_ref}"
                    ));
                }
            }
            (ours, theirs) => {
                diffs.push(format!("{name}.allOf: ours {ours:?}, published {theirs:?}"))
            }
        }
    }

    assert_no_diffs(
        "openapi.yaml IdeogramV2TurboInput vs published Input",
        &diffs,
    );
}

#[test]
fn openapi_output_matches_the_published_output() {
    let spec = openapi();
    let published = published();
    let ours = component(&spec, "IdeogramOutput");
    let theirs = &published["Output"];
    let mut diffs = Vec::new();
    for key in ["type", "format", "title"] {
        if ours.get(key) != theirs.get(key) {
            diffs.push(format!(
                "Output.{key}: ours {}, published {}",
                show(ours.get(key)),
                show(theirs.get(key))
            ));
        }
    }
    // The input names this output as its model's.
    let linked = component(&spec, "IdeogramV2TurboInput")
        .pointer("/x-replicate-output/$ref")
        .and_then(Value::as_str);
    if linked != Some("#/components/schemas/IdeogramOutput") {
        diffs.push(format!(
            "IdeogramV2TurboInput.x-replicate-output: {linked:?}, expected IdeogramOutput"
        ));
    }
    assert_no_diffs("openapi.yaml IdeogramOutput vs published Output", &diffs);
}

#[test]
fn json_schema_of_the_rust_input_matches_openapi() {
    let spec = openapi();
    let ours = component(&spec, "IdeogramV2TurboInput");
    let schema = input_schema::<IdeogramV2TurboInput>();
    let mut diffs = Vec::new();

    if schema["type"] != "object" {
        diffs.push(format!(
            "type: schemars {}, expected \"object\"",
            schema["type"]
        ));
    }
    diff_lists(
        &mut diffs,
        "required (schemars vs openapi.yaml)",
        &strings(schema.get("required")),
        &strings(ours.get("required")),
    );

    let rust_names = property_names(&schema);
    let spec_names = property_names(ours);
    for name in rust_names.difference(&spec_names) {
        diffs.push(format!("property {name:?}: in the Rust type only"));
    }
    for name in spec_names.difference(&rust_names) {
        diffs.push(format!("property {name:?}: in openapi.yaml only"));
    }

    for name in rust_names.intersection(&spec_names) {
        let rust = &schema["properties"][name];
        let spec_property = &ours["properties"][name];
        for key in ["description", "default"] {
            if rust.get(key) != spec_property.get(key) {
                diffs.push(format!(
                    "{name}.{key}: schemars {}, openapi.yaml {}",
                    show(rust.get(key)),
                    show(spec_property.get(key))
                ));
            }
        }
        match (
            rust.get("$ref").and_then(Value::as_str),
            all_of_ref(spec_property),
        ) {
            (Some(rust_ref), Some(spec_ref)) => {
                let rust_enum = resolve(&schema, rust_ref);
                let spec_enum = resolve(&spec, spec_ref);
                diff_lists(
                    &mut diffs,
                    &format!("{name} enum values (schemars {rust_ref} vs openapi.yaml {spec_ref})"),
                    &strings(rust_enum.get("enum")),
                    &strings(spec_enum.get("enum")),
                );
                if rust_enum.get("type") != spec_enum.get("type") {
                    diffs.push(format!(
                        "{name} enum type: schemars {}, openapi.yaml {}",
                        show(rust_enum.get("type")),
                        show(spec_enum.get("type"))
                    ));
                }
            }
            (None, None) => {
                // Exact: an optional field is optional, not nullable, in both.
                if rust.get("type") != spec_property.get("type") {
                    diffs.push(format!(
                        "{name}.type: schemars {}, openapi.yaml {}",
                        show(rust.get("type")),
                        show(spec_property.get("type"))
                    ));
                }
                // schemars adds `int64` to every i64; any other format must be the spec's.
                let rust_format = rust.get("format").filter(|f| *f != "int64");
                if rust_format != spec_property.get("format") {
                    diffs.push(format!(
                        "{name}.format: schemars {}, openapi.yaml {}",
                        show(rust_format),
                        show(spec_property.get("format"))
                    ));
                }
            }
            (rust_ref, spec_ref) => diffs.push(format!(
                "{name}: schemars $ref {rust_ref:?}, openapi.yaml allOf $ref {spec_ref:?}"
            )),
        }
    }

    assert_no_diffs(
        "schemars schema of IdeogramV2TurboInput vs openapi.yaml",
        &diffs,
    );
}

/// Checks that the Rust enum `T` has exactly the wire values of the openapi.yaml component `name`: each parses
/// and prints back, `all` lists them in order, serde agrees, and unknown values fail naming themselves.
fn check_enum_component<T>(name: &str, all: &[T]) -> Vec<String>
where
    T: FromStr + Display + Debug + PartialEq + Serialize + DeserializeOwned,
    T::Err: Display,
{
    let spec = openapi();
    let values = strings(component(&spec, name).get("enum"));
    assert!(
        !values.is_empty(),
        "{name} has no enum values in openapi.yaml"
    );
    let mut diffs = Vec::new();

    let unique: BTreeSet<&String> = values.iter().collect();
    if unique.len() != values.len() {
        diffs.push(format!("{name}: openapi.yaml lists a value twice"));
    }

    for value in &values {
        match value.parse::<T>() {
            Ok(parsed) => {
                if parsed.to_string() != *value {
                    diffs.push(format!(
                        "{name}: {value:?} parses to {parsed:?}, which prints as {:?}",
                        parsed.to_string()
                    ));
                }
                match serde_json::to_value(&parsed) {
                    Ok(json) if json == Value::String(value.clone()) => {}
                    other => diffs.push(format!(
                        "{name}: {parsed:?} serializes to {other:?}, expected {value:?}"
                    )),
                }
                match serde_json::from_value::<T>(Value::String(value.clone())) {
                    Ok(back) if back == parsed => {}
                    other => diffs.push(format!(
                        "{name}: {value:?} deserializes to {other:?}, expected {parsed:?}"
                    )),
                }
            }
            Err(e) => diffs.push(format!("{name}: {value:?} does not parse: {e}")),
        }
    }

    let printed: Vec<String> = all.iter().map(ToString::to_string).collect();
    diff_lists(
        &mut diffs,
        &format!("{name}::ALL vs openapi.yaml"),
        &printed,
        &values,
    );

    let mut unknown = vec![
        "not-a-real-value".to_owned(),
        format!("{} ", values[0]),
        String::new(),
    ];
    // Parsing is exact: a value in another case is not the value.
    unknown.extend(
        values
            .iter()
            .flat_map(|v| [v.to_lowercase(), v.to_uppercase()])
            .filter(|v| !values.contains(v))
            .take(2),
    );
    for value in unknown {
        match value.parse::<T>() {
            Ok(parsed) => diffs.push(format!(
                "{name}: unknown value {value:?} parsed as {parsed:?}"
            )),
            Err(e) => {
                let message = e.to_string();
                if !value.is_empty() && !message.contains(&value) {
                    diffs.push(format!(
                        "{name}: the error for unknown value {value:?} does not name it: {message:?}"
                    ));
                }
            }
        }
        if let Ok(parsed) = serde_json::from_value::<T>(Value::String(value.clone())) {
            diffs.push(format!(
                "{name}: serde accepted unknown value {value:?} as {parsed:?}"
            ));
        }
    }
    diffs
}

#[test]
fn aspect_ratio_round_trips() {
    let diffs = check_enum_component("AspectRatio", AspectRatio::ALL);
    assert_no_diffs("AspectRatio", &diffs);
    assert_eq!(AspectRatio::ALL.len(), 11);
    assert_eq!(
        "16:9".parse::<AspectRatio>().unwrap(),
        AspectRatio::Ratio16x9
    );
}

#[test]
fn resolution_round_trips() {
    let diffs = check_enum_component("Resolution", Resolution::ALL);
    assert_no_diffs("Resolution", &diffs);
    assert_eq!(Resolution::ALL.len(), 79, "Resolution::ALL");
    assert_eq!(
        "None".parse::<Resolution>().unwrap(),
        Resolution::None,
        "\"None\" is a real value, not JSON null"
    );
    assert_eq!(Resolution::ALL[0].to_string(), "None");
}

#[test]
fn magic_prompt_option_round_trips() {
    let diffs = check_enum_component("MagicPromptOption", MagicPromptOption::ALL);
    assert_no_diffs("MagicPromptOption", &diffs);
    assert_eq!(MagicPromptOption::ALL.len(), 3);
}

#[test]
fn style_type_round_trips() {
    let diffs = check_enum_component("StyleType", StyleType::ALL);
    assert_no_diffs("StyleType", &diffs);
    let printed: Vec<String> = StyleType::ALL.iter().map(ToString::to_string).collect();
    assert!(
        printed.iter().any(|v| v == "Render 3D"),
        "StyleType::ALL lacks \"Render 3D\": {printed:?}"
    );
    assert_eq!("None".parse::<StyleType>().unwrap(), StyleType::None);
}

#[test]
fn webhook_event_round_trips() {
    let diffs = check_enum_component("WebhookEvent", WebhookEvent::ALL);
    assert_no_diffs("WebhookEvent", &diffs);
    assert_eq!(WebhookEvent::ALL.len(), 4);
}

#[test]
fn ideogram_3_enums_round_trip() {
    fn round_trips<T>(name: &str, all: &[T], count: usize)
    where
        T: FromStr + Display + Debug + PartialEq + Serialize + DeserializeOwned,
        T::Err: Display,
    {
        assert_no_diffs(name, &check_enum_component(name, all));
        assert_eq!(all.len(), count, "{name}");
    }
    round_trips("V3AspectRatio", V3AspectRatio::ALL, 15);
    round_trips("V3Resolution", V3Resolution::ALL, 70);
    round_trips("V3StyleType", V3StyleType::ALL, 5);
    round_trips("StylePreset", StylePreset::ALL, 63);
}

#[test]
fn every_enum_component_is_checked() {
    // The generated enums, each with a round-trip test above.
    let checked: BTreeSet<&str> = [
        "AspectRatio",
        "Resolution",
        "MagicPromptOption",
        "StyleType",
        "WebhookEvent",
        "V3AspectRatio",
        "V3Resolution",
        "V3StyleType",
        "StylePreset",
    ]
    .into_iter()
    .collect();
    let spec = openapi();
    let schemas = spec
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .expect("components.schemas");
    let generated: BTreeSet<&str> = schemas
        .iter()
        .filter(|(_, schema)| schema.get("enum").is_some())
        .filter(|(_, schema)| schema.get("x-rust-handwritten").is_none())
        .map(|(name, _)| name.as_str())
        .collect();
    assert_eq!(
        generated, checked,
        "the generated enum components of openapi.yaml vs the ones this file round-trips"
    );
}

#[test]
fn prediction_status_knows_every_spec_value() {
    // PredictionStatus is written by hand (x-rust-handwritten) and keeps unknown values, so each value the
    // spec lists must map to a named variant, not `Unknown`.
    let spec = openapi();
    let mut diffs = Vec::new();
    for value in strings(component(&spec, "PredictionStatus").get("enum")) {
        let Ok(status) = value.parse::<PredictionStatus>();
        if matches!(status, PredictionStatus::Unknown(_)) {
            diffs.push(format!("{value:?} parses as Unknown"));
        }
        if status.to_string() != value {
            diffs.push(format!("{value:?} prints as {:?}", status.to_string()));
        }
    }
    assert_no_diffs("PredictionStatus vs openapi.yaml", &diffs);
}
