//! What differs, field by field and value by value, between a model's component in `openapi.yaml` and the
//! input its latest version publishes. Layout does not count (key order, quoting, an enum inline or in a
//! component of its own, Cog's titles on enum fields); what a request may carry does.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::refs;

/// The limits a property may carry, written by a sync as they are read and compared by a check: a limit
/// the spec left out would let the client send what the model refuses.
pub(super) const LIMITS: &[&str] = &[
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minLength",
    "maxLength",
    "pattern",
    "minItems",
    "maxItems",
    "deprecated",
];

/// The keys of a property compared as they are; `enum` and `items` are compared after resolving.
fn keys() -> impl Iterator<Item = &'static str> {
    [
        "type",
        "format",
        "title",
        "default",
        "x-order",
        "description",
    ]
    .into_iter()
    .chain(LIMITS.iter().copied())
}

/// The differences between `ours` (a component of `our_schemas`) and `theirs` (the published `Input`, whose
/// references point into `their_schemas`), one readable line each; empty when they agree.
pub(super) fn drift(
    ours: Option<&Value>,
    our_schemas: &Map<String, Value>,
    theirs: &Value,
    their_schemas: &Map<String, Value>,
) -> Vec<String> {
    let empty = Map::new();
    let properties = |schema: Option<&Value>| {
        schema
            .and_then(|s| s.get("properties"))
            .and_then(Value::as_object)
            .unwrap_or(&empty)
            .clone()
    };
    let (old, new) = (properties(ours), properties(Some(theirs)));
    let mut lines = Vec::new();
    for (field, property) in &new {
        let now = normalized(property, their_schemas);
        match old.get(field) {
            None => lines.push(format!("+ {field} ({})", kind(&now))),
            Some(before) => {
                field_changes(&mut lines, field, &normalized(before, our_schemas), &now)
            }
        }
    }
    for field in old.keys().filter(|f| !new.contains_key(*f)) {
        lines.push(format!("- {field}"));
    }
    let required = |schema: Option<&Value>| {
        let mut names = strings(schema.and_then(|s| s.get("required")));
        names.sort();
        names
    };
    let (was, now) = (required(ours), required(Some(theirs)));
    if was != now {
        lines.push(format!("~ required: {was:?} → {now:?}"));
    }
    lines
}

/// Whether `ours` (an output component) describes the same output as `theirs` (the published `Output`).
pub(super) fn same_output(ours: Option<&Value>, theirs: &Value) -> bool {
    let shape = |v: &Value| {
        let keys = ["type", "format", "items"].map(|k| v.get(k).cloned());
        let properties: Vec<String> = v
            .get("properties")
            .and_then(Value::as_object)
            .map(|p| p.keys().cloned().collect())
            .unwrap_or_default();
        (keys, properties)
    };
    ours.is_some_and(|ours| shape(ours) == shape(theirs))
}

/// A property's enum values, inline or in the component its `$ref` names.
pub(super) fn enum_values<'a>(
    property: &'a Value,
    schemas: &'a Map<String, Value>,
) -> Option<&'a Vec<Value>> {
    let component = refs::reference_of(property)
        .map(refs::name_of)
        .and_then(|name| schemas.get(name));
    component
        .unwrap_or(property)
        .get("enum")
        .and_then(Value::as_array)
}

/// The compared view of a property: its keys, `nullable` made explicit, an enum's values resolved (and its
/// type and title left out: they belong to the enum's layout), an array's item type.
fn normalized(property: &Value, schemas: &Map<String, Value>) -> BTreeMap<&'static str, Value> {
    let mut out = BTreeMap::new();
    let values = enum_values(property, schemas);
    for key in keys() {
        if values.is_some() && matches!(key, "type" | "title") {
            continue;
        }
        if let Some(value) = property.get(key) {
            out.insert(key, value.clone());
        }
    }
    let nullable = property.get("nullable").and_then(Value::as_bool) == Some(true);
    out.insert("nullable", nullable.into());
    if let Some(values) = values {
        out.insert("enum", Value::Array(values.clone()));
    }
    if let Some(items) = property.get("items") {
        let item = ["type", "format"]
            .into_iter()
            .filter_map(|k| items.get(k).map(|v| (k.to_string(), v.clone())))
            .collect::<Map<_, _>>();
        out.insert("items", Value::Object(item));
    }
    out
}

fn kind(property: &BTreeMap<&str, Value>) -> String {
    if property.contains_key("enum") {
        return "enum".into();
    }
    property
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("untyped")
        .to_string()
}

fn field_changes(
    lines: &mut Vec<String>,
    field: &str,
    was: &BTreeMap<&str, Value>,
    now: &BTreeMap<&str, Value>,
) {
    if kind(was) != kind(now) {
        lines.push(format!("~ {field}: type {} → {}", kind(was), kind(now)));
    }
    let (old_values, new_values) = (strings(was.get("enum")), strings(now.get("enum")));
    let added: Vec<&String> = new_values
        .iter()
        .filter(|v| !old_values.contains(v))
        .collect();
    let removed: Vec<&String> = old_values
        .iter()
        .filter(|v| !new_values.contains(v))
        .collect();
    if !added.is_empty() {
        lines.push(format!("~ {field}: new values {added:?}"));
    }
    if !removed.is_empty() {
        lines.push(format!("~ {field}: values gone {removed:?}"));
    }
    if added.is_empty() && removed.is_empty() && old_values != new_values {
        lines.push(format!("~ {field}: values in another order"));
    }
    for key in keys().chain(["nullable", "items"]) {
        if key == "type" && kind(was) != kind(now) {
            continue;
        }
        let (before, after) = (was.get(key), now.get(key));
        if before == after {
            continue;
        }
        if key == "description" {
            lines.push(format!("~ {field}: description"));
        } else {
            let show = |v: Option<&Value>| v.map_or("none".to_string(), Value::to_string);
            lines.push(format!(
                "~ {field}: {key} {} → {}",
                show(before),
                show(after)
            ));
        }
    }
}

fn strings(value: Option<&Value>) -> Vec<String> {
    value
        .and_then(Value::as_array)
        .map(|v| {
            v.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}
