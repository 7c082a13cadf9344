//! The crate's types against `openapi.yaml`: every model's JSON Schema (schemars) against its component, every
//! generated enum against its component's values. (The components against the published schemas:
//! `tests/published_schemas.rs`.) Every check collects all its differences and fails with the list, each
//! naming the field and both values. No network.

use std::collections::BTreeSet;
use std::fmt::{Debug, Display};
use std::str::FromStr;

use replicate_ideogram::models::{
    AspectRatio, CharacterStyleType, KNOWN_MODELS, MagicPromptOption, RenderingSpeed, Resolution,
    StylePreset, StyleType, V3AspectRatio, V3Resolution, V3StyleType, V4Resolution,
    input_schema_for,
};
use replicate_ideogram::{PredictionStatus, WebhookEvent};
use serde::{Serialize, de::DeserializeOwned};
use serde_json::Value;

fn openapi() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.yaml");
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {path}: {e}"));
    yaml_serde::from_str(&text).unwrap_or_else(|e| panic!("parsing {path}: {e}"))
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
fn json_schema_of_every_rust_input_matches_openapi() {
    let spec = openapi();
    let schemas = spec["components"]["schemas"].as_object().unwrap();
    let mut failures = Vec::new();
    for model in KNOWN_MODELS {
        let (name, ours) = schemas
            .iter()
            .find(|(_, s)| s.get("x-replicate-model").and_then(Value::as_str) == Some(*model))
            .unwrap_or_else(|| panic!("no component for {model}"));
        let schema = input_schema_for(model).unwrap();
        let diffs = schema_differences(&spec, ours, schema);
        if !diffs.is_empty() {
            failures.push(format!("{name}:\n  - {}", diffs.join("\n  - ")));
        }
    }
    assert!(
        failures.is_empty(),
        "schemars vs openapi.yaml:\n{}",
        failures.join("\n")
    );
}

/// The differences between a model's schemars schema and its component in openapi.yaml.
fn schema_differences(spec: &Value, ours: &Value, schema: &Value) -> Vec<String> {
    let mut diffs = Vec::new();
    if schema["type"] != "object" {
        diffs.push(format!(
            "type: schemars {}, expected \"object\"",
            schema["type"]
        ));
    }
    // `required` is a set; schemars sorts it.
    let sorted = |value: Option<&Value>| {
        let mut names = strings(value);
        names.sort();
        names
    };
    diff_lists(
        &mut diffs,
        "required (schemars vs openapi.yaml)",
        &sorted(schema.get("required")),
        &sorted(ours.get("required")),
    );
    let rust_names = property_names(schema);
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
        property_differences(&mut diffs, name, (schema, rust), (spec, spec_property));
    }
    diffs
}

fn property_differences(
    diffs: &mut Vec<String>,
    name: &str,
    (schema, rust): (&Value, &Value),
    (spec, spec_property): (&Value, &Value),
) {
    for key in ["description", "default"] {
        if rust.get(key) != spec_property.get(key) {
            diffs.push(format!(
                "{name}.{key}: schemars {}, openapi.yaml {}",
                show(rust.get(key)),
                show(spec_property.get(key))
            ));
        }
    }
    // Bounds as numbers: YAML's 2147483647 and a schema's 2147483647 (or .0) are the same limit.
    for key in ["minimum", "maximum"] {
        let number = |v: &Value| v.get(key).and_then(Value::as_f64);
        if number(rust) != number(spec_property) {
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
            let rust_enum = resolve(schema, rust_ref);
            let spec_enum = resolve(spec, spec_ref);
            diff_lists(
                diffs,
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
            // Exact: schemars admits null (`["string", "null"]`) where, and only where, the spec says
            // `nullable: true`.
            let nullable = spec_property.get("nullable") == Some(&Value::Bool(true));
            let expected = match (spec_property.get("type"), nullable) {
                (Some(ty), true) => Some(serde_json::json!([ty, "null"])),
                (ty, _) => ty.cloned(),
            };
            if rust.get("type") != expected.as_ref() {
                diffs.push(format!(
                    "{name}.type: schemars {}, openapi.yaml {} (nullable: {nullable})",
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
    assert_eq!(Resolution::ALL.len(), 69, "Resolution::ALL");
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
fn ideogram_4_and_character_enums_round_trip() {
    assert_no_diffs(
        "V4Resolution",
        &check_enum_component("V4Resolution", V4Resolution::ALL),
    );
    assert_eq!(V4Resolution::ALL.len(), 22);
    assert_eq!(
        "2048x2048".parse::<V4Resolution>().unwrap(),
        V4Resolution::Res2048x2048
    );
    assert_no_diffs(
        "CharacterStyleType",
        &check_enum_component("CharacterStyleType", CharacterStyleType::ALL),
    );
    assert_eq!(
        "Fiction".parse::<CharacterStyleType>().unwrap(),
        CharacterStyleType::Fiction
    );
    assert_no_diffs(
        "RenderingSpeed",
        &check_enum_component("RenderingSpeed", RenderingSpeed::ALL),
    );
    assert_eq!(RenderingSpeed::ALL.len(), 3);
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
        "V4Resolution",
        "CharacterStyleType",
        "RenderingSpeed",
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
