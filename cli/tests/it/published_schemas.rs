//! `openapi.yaml` against the latest published schema of every model it knows.
//!
//! `tests/fixtures/published/<name>.json` holds each model's schema as `GET /models/{owner}/{name}` returns it
//! (`latest_version.openapi_schema`, trimmed to `components.schemas`), transcribed from the sources it names,
//! with what could not be verified listed beside it. Each spec component must equal its fixture field by field
//! and value by value; this file compares them on its own (it shares no code with `spec_sync`, which is then
//! asked the same question and must agree). No network.

use std::collections::{BTreeMap, BTreeSet};

use replicate_ideogram::{ModelVersion, models::KNOWN_MODELS};
use serde_json::{Map, Value};

const SPEC: &str = include_str!("../../../openapi.yaml");
const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/published");

struct Fixture {
    file: String,
    model: String,
    version: Option<String>,
    schemas: Map<String, Value>,
    raw: Value,
}

fn fixtures() -> Vec<Fixture> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(FIXTURES).expect("the fixtures folder") {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let raw: Value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{}: not JSON: {e}", path.display()));
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        let model = format!(
            "{}/{}",
            raw["owner"]
                .as_str()
                .unwrap_or_else(|| panic!("{file}: owner")),
            raw["name"]
                .as_str()
                .unwrap_or_else(|| panic!("{file}: name"))
        );
        let schemas = raw
            .pointer("/latest_version/openapi_schema/components/schemas")
            .and_then(Value::as_object)
            .unwrap_or_else(|| panic!("{file}: latest_version.openapi_schema.components.schemas"))
            .clone();
        let version = raw
            .pointer("/latest_version/id")
            .and_then(Value::as_str)
            .map(str::to_string);
        out.push(Fixture {
            file,
            model,
            version,
            schemas,
            raw,
        });
    }
    out.sort_by(|a, b| a.model.cmp(&b.model));
    out
}

fn spec_schemas() -> Map<String, Value> {
    let spec: Value = yaml_serde::from_str(SPEC).expect("openapi.yaml");
    spec.pointer("/components/schemas")
        .and_then(Value::as_object)
        .expect("components.schemas")
        .clone()
}

/// The spec's component whose `x-replicate-model` is `model`.
fn component<'a>(schemas: &'a Map<String, Value>, model: &str) -> (&'a String, &'a Value) {
    schemas
        .iter()
        .find(|(_, s)| s.get("x-replicate-model").and_then(Value::as_str) == Some(model))
        .unwrap_or_else(|| panic!("openapi.yaml has no component for {model}"))
}

/// The enum values of a property: inline, or in the component its `$ref` (or one-element `allOf`) names.
fn enum_of(property: &Value, schemas: &Map<String, Value>) -> Option<Value> {
    let reference = property.get("$ref").or_else(|| {
        let all = property.get("allOf")?.as_array()?;
        assert_eq!(all.len(), 1, "allOf wraps exactly one $ref: {property}");
        all[0].get("$ref")
    });
    match reference.and_then(Value::as_str) {
        Some(reference) => {
            let name = reference
                .strip_prefix("#/components/schemas/")
                .unwrap_or_else(|| panic!("{reference} is not a component reference"));
            let target = schemas
                .get(name)
                .unwrap_or_else(|| panic!("{reference} points at nothing"));
            Some(target.get("enum").cloned().expect("a referenced enum"))
        }
        None => property.get("enum").cloned(),
    }
}

/// Every key of a property that a request depends on or a reader sees, with an enum's values resolved.
/// An enum's `type` and `title` are its layout (Cog writes them on the component, newer Cog inline).
fn facts(property: &Value, schemas: &Map<String, Value>) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    let values = enum_of(property, schemas);
    for key in [
        "type",
        "format",
        "title",
        "default",
        "minimum",
        "maximum",
        "x-order",
        "description",
        "items",
    ] {
        if values.is_some() && (key == "type" || key == "title") {
            continue;
        }
        if let Some(value) = property.get(key) {
            out.insert(key.to_string(), value.clone());
        }
    }
    let nullable = property
        .get("nullable")
        .cloned()
        .unwrap_or(Value::Bool(false));
    out.insert("nullable".into(), nullable);
    if let Some(values) = values {
        out.insert("enum".into(), values);
    }
    out
}

fn differences(fixture: &Fixture, ours: &Map<String, Value>) -> Vec<String> {
    let (name, component) = component(ours, &fixture.model);
    let theirs = &fixture.schemas["Input"];
    let mut diffs = Vec::new();
    let props = |schema: &Value| {
        schema["properties"]
            .as_object()
            .cloned()
            .unwrap_or_default()
    };
    let (our_props, their_props) = (props(component), props(theirs));
    let names = |p: &Map<String, Value>| p.keys().cloned().collect::<BTreeSet<_>>();
    if names(&our_props) != names(&their_props) {
        diffs.push(format!(
            "fields: ours {:?}, published {:?}",
            names(&our_props),
            names(&their_props)
        ));
    }
    for (field, their_property) in &their_props {
        let Some(our_property) = our_props.get(field) else {
            continue;
        };
        let (a, b) = (
            facts(our_property, ours),
            facts(their_property, &fixture.schemas),
        );
        for key in a.keys().chain(b.keys()).collect::<BTreeSet<_>>() {
            if a.get(key) != b.get(key) {
                diffs.push(format!(
                    "{field}.{key}: ours {:?}, published {:?}",
                    a.get(key),
                    b.get(key)
                ));
            }
        }
    }
    let required = |schema: &Value| {
        schema["required"]
            .as_array()
            .map(|r| {
                r.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect::<BTreeSet<_>>()
            })
            .unwrap_or_default()
    };
    if required(component) != required(theirs) {
        diffs.push(format!(
            "required: ours {:?}, published {:?}",
            required(component),
            required(theirs)
        ));
    }
    let output_name = component["x-replicate-output"]["$ref"]
        .as_str()
        .and_then(|r| r.rsplit('/').next())
        .unwrap_or_else(|| panic!("{name} has no x-replicate-output"));
    let shape = |o: &Value| ["type", "format", "items"].map(|k| o.get(k).cloned());
    if shape(&ours[output_name]) != shape(&fixture.schemas["Output"]) {
        diffs.push(format!(
            "output: ours {}, published {}",
            ours[output_name], fixture.schemas["Output"]
        ));
    }
    let our_version = component
        .get("x-replicate-version")
        .and_then(Value::as_str)
        .map(str::to_string);
    if our_version != fixture.version {
        diffs.push(format!(
            "version: ours {our_version:?}, published {:?}",
            fixture.version
        ));
    }
    diffs
}

#[test]
fn every_known_model_has_a_fixture_with_its_sources() {
    let fixtures = fixtures();
    let have: BTreeSet<&str> = fixtures.iter().map(|f| f.model.as_str()).collect();
    let known: BTreeSet<&str> = KNOWN_MODELS.iter().copied().collect();
    assert_eq!(have, known, "a fixture per known model, and no other");
    for fixture in &fixtures {
        let sources = fixture.raw["sources"].as_array().map_or(0, Vec::len);
        assert!(sources > 0, "{}: no sources", fixture.file);
        assert!(
            fixture.raw["unverified"].is_array(),
            "{}: says what is unverified (an empty list if nothing)",
            fixture.file
        );
        for key in ["Input", "Output"] {
            assert!(fixture.schemas.contains_key(key), "{}: {key}", fixture.file);
        }
        if let Some(id) = &fixture.version {
            assert!(
                id.len() == 64 && id.bytes().all(|b| b.is_ascii_hexdigit()),
                "{}: version id {id:?}",
                fixture.file
            );
        }
    }
}

#[test]
fn every_component_equals_its_published_schema() {
    let ours = spec_schemas();
    let mut failures = Vec::new();
    for fixture in fixtures() {
        let diffs = differences(&fixture, &ours);
        if !diffs.is_empty() {
            failures.push(format!("{}:\n    {}", fixture.model, diffs.join("\n    ")));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_changed_fixture_is_caught() {
    // The comparison can fail: one value, one default, one field, each changed alone, each reported.
    let ours = spec_schemas();
    let fixture = fixtures()
        .into_iter()
        .find(|f| f.model == "ideogram-ai/ideogram-v3-turbo")
        .unwrap();
    type Change = fn(&mut Map<String, Value>);
    let changes: [(&str, Change); 4] = [
        ("style_preset.enum", |s| {
            s["style_preset"]["enum"].as_array_mut().unwrap().pop();
        }),
        ("aspect_ratio.default", |s| {
            s["Input"]["properties"]["aspect_ratio"]["default"] = "16:9".into();
        }),
        ("fields", |s| {
            s["Input"]["properties"]["seed"]
                .as_object_mut()
                .unwrap()
                .insert("nullable".into(), false.into());
            let props = s["Input"]["properties"].as_object_mut().unwrap();
            props.remove("mask");
        }),
        ("seed.maximum", |s| {
            s["Input"]["properties"]["seed"]["maximum"] = 99.into();
        }),
    ];
    for (expected, change) in changes {
        let mut changed = Fixture {
            schemas: fixture.schemas.clone(),
            file: fixture.file.clone(),
            model: fixture.model.clone(),
            version: fixture.version.clone(),
            raw: Value::Null,
        };
        change(&mut changed.schemas);
        let diffs = differences(&changed, &ours);
        assert!(
            diffs.iter().any(|d| d.starts_with(expected)),
            "{expected}: {diffs:?}"
        );
    }
}

#[test]
fn spec_sync_agrees_that_the_spec_is_up_to_date() {
    for fixture in fixtures() {
        let document = serde_json::json!({"components": {"schemas": fixture.schemas}});
        let version = ModelVersion::new(
            fixture.version.clone().unwrap_or_else(|| "0".repeat(64)),
            document.as_object().unwrap().clone(),
        );
        let drift = ideogram_cli::spec_sync::check(SPEC, &fixture.model, &version).unwrap();
        assert!(
            !drift.is_behind(),
            "{}: spec sync finds {:?}",
            fixture.model,
            drift.changes
        );
        // And a sync of the published schema changes no field of the model (only its layout, if any).
        let synced = ideogram_cli::spec_sync::sync(SPEC, &fixture.model, &version).unwrap();
        let after = ideogram_cli::spec_sync::check(&synced.spec, &fixture.model, &version).unwrap();
        assert!(
            after.changes.is_empty(),
            "{}: {:?}",
            fixture.model,
            after.changes
        );
    }
}
