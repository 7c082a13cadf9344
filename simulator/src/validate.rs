//! Checking a prediction's input as Replicate does: against the JSON Schema the model's version publishes
//! (Cog's `Input`), with a JSON Schema validator of its own, not with this crate's generated types, so that the
//! simulator's answer is a second opinion on the client's checks rather than the same code agreeing with
//! itself.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use jsonschema::{ValidationError, Validator, error::ValidationErrorKind};
use serde_json::{Map, Value};

use super::versions::Version;

/// One field an input was refused for, as Replicate's `invalid_fields` names it.
#[derive(Debug, PartialEq)]
pub(crate) struct InvalidField {
    /// The kind of problem, e.g. `required`, `enum`, `invalid_type`.
    pub(crate) kind: &'static str,
    /// The path of the field, e.g. `input.seed`.
    pub(crate) field: String,
    /// What is wrong with it.
    pub(crate) description: String,
}

/// The compiled schemas, by version: each built on first use and kept.
#[derive(Default)]
pub(crate) struct Validators {
    compiled: Mutex<HashMap<String, Option<Arc<Validator>>>>,
}

impl Validators {
    /// The problems of `input` for `version` of a model, empty if it is valid or if the version publishes no
    /// input schema.
    pub(crate) fn check(&self, version: &Version, input: &Map<String, Value>) -> Vec<InvalidField> {
        let Some(validator) = self.validator(version) else {
            return Vec::new();
        };
        let input = Value::Object(input.clone());
        validator.iter_errors(&input).map(|e| invalid(&e)).collect()
    }

    fn validator(&self, version: &Version) -> Option<Arc<Validator>> {
        let mut compiled = self.compiled.lock().unwrap_or_else(|e| e.into_inner());
        // A configured schema gets an id made from it, so one id names one schema.
        compiled
            .entry(version.id.clone())
            .or_insert_with(|| compile(&version.document).map(Arc::new))
            .clone()
    }
}

/// The validator of a version's published `Input` schema. `None` if there is none (or it is not a schema:
/// then nothing is checked, as nothing could be).
fn compile(document: &Value) -> Option<Validator> {
    let schema = input_schema(document)?;
    // OpenAPI 3.0's schema objects are JSON Schema draft 4 with extensions (boolean `exclusiveMaximum`).
    jsonschema::draft4::options()
        .should_validate_formats(true)
        .build(&schema)
        .ok()
}

/// Cog's `Input` as a standalone JSON Schema: its components kept beside it so that its `$ref`s
/// (`#/components/schemas/aspect_ratio`) resolve, and OpenAPI's `nullable` written as JSON Schema says it.
fn input_schema(document: &Value) -> Option<Value> {
    let components = document.get("components")?;
    let mut schema = components.pointer("/schemas/Input")?.clone();
    schema
        .as_object_mut()?
        .insert("components".into(), components.clone());
    Some(nullable_as_null_type(schema))
}

/// `nullable: true` (OpenAPI 3.0) becomes a `null` the schema accepts: JSON Schema has no such keyword.
fn nullable_as_null_type(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut map: Map<String, Value> = map
                .into_iter()
                .map(|(key, item)| (key, nullable_as_null_type(item)))
                .collect();
            if map.remove("nullable") != Some(Value::Bool(true)) {
                return Value::Object(map);
            }
            match map.get("type").cloned() {
                Some(Value::String(kind)) if !map.contains_key("enum") => {
                    map.insert("type".into(), serde_json::json!([kind, "null"]));
                    Value::Object(map)
                }
                _ => serde_json::json!({"anyOf": [map, {"type": "null"}]}),
            }
        }
        Value::Array(items) => Value::Array(items.into_iter().map(nullable_as_null_type).collect()),
        other => other,
    }
}

fn invalid(error: &ValidationError<'_>) -> InvalidField {
    let mut field = String::from("input");
    for segment in error.instance_path().segments() {
        field.push('.');
        field.push_str(&segment.to_string());
    }
    let kind = match error.kind() {
        ValidationErrorKind::Required { property } => {
            field.push('.');
            field.push_str(property.as_str().unwrap_or_default());
            "required"
        }
        ValidationErrorKind::Enum { .. } => "enum",
        ValidationErrorKind::Type { .. } => "invalid_type",
        ValidationErrorKind::Format { .. } => "format",
        _ => "invalid",
    };
    InvalidField {
        kind,
        field,
        description: error.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn check(model: &str, input: Value) -> Vec<InvalidField> {
        let input = input.as_object().cloned().unwrap_or_default();
        let config = crate::SimulatorConfig::default();
        match crate::versions::versions_of(&config, model) {
            Some(versions) => Validators::default().check(&versions[0], &input),
            None => Vec::new(),
        }
    }

    #[test]
    fn the_published_schema_decides() {
        let v2 = "ideogram-ai/ideogram-v2-turbo";
        assert_eq!(check(v2, json!({"prompt": "p", "seed": 7})), []);
        let refused = check(v2, json!({"prompt": "p", "aspect_ratio": "17:9"}));
        assert_eq!(refused[0].field, "input.aspect_ratio");
        assert_eq!(refused[0].kind, "enum");
        assert!(refused[0].description.contains("17:9"), "{refused:?}");
        let missing = check(v2, json!({"seed": 7}));
        assert_eq!(
            (missing[0].kind, missing[0].field.as_str()),
            ("required", "input.prompt")
        );
        let wrong = check(v2, json!({"prompt": "p", "seed": "seven"}));
        assert_eq!(
            (wrong[0].kind, wrong[0].field.as_str()),
            ("invalid_type", "input.seed")
        );
        let not_uri = check(v2, json!({"prompt": "p", "image": "not a uri"}));
        assert_eq!(not_uri[0].field, "input.image");
        // The latest versions cap the seed at a signed 32-bit integer's largest value.
        assert_eq!(
            check(v2, json!({"prompt": "p", "seed": 2_147_483_647_i64})),
            []
        );
        let over = check(v2, json!({"prompt": "p", "seed": 2_147_483_648_i64}));
        assert_eq!(over[0].field, "input.seed");
        assert!(
            over[0].description.contains("maximum of 2147483647"),
            "{over:?}"
        );
    }

    #[test]
    fn nullable_fields_take_null() {
        let v4 = "ideogram-ai/ideogram-v4-turbo";
        assert_eq!(check(v4, json!({"prompt": null, "json_prompt": "{}"})), []);
        assert_eq!(check(v4, json!({"prompt": 5}))[0].kind, "invalid_type");
    }

    #[test]
    fn a_version_without_a_schema_takes_anything() {
        let version = Version {
            id: "v".into(),
            created_at: "2026-01-01T00:00:00.000Z",
            document: Arc::new(json!({"components": {}})),
        };
        let input = json!({"anything": 1}).as_object().cloned().unwrap();
        assert_eq!(Validators::default().check(&version, &input), []);
    }
}
