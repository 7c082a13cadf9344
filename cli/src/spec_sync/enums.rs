//! Which enum component a synced field refers to, chosen so that no public name changes: a field keeps its
//! component when the values are the same; the component is rewritten in place when this model alone uses
//! it; a component shared with other models is left to them, and the field gets one of its own that keeps
//! the variant names and converts from the shared one (`x-rust-from`), so code written before still
//! compiles. A value taken away breaks code that named it: the sync says so.

use serde_json::{Map, Value};

use super::{blocks::enum_block, case, refs};

/// The component a field's enum goes in, the block to write (if any), and what breaks (if anything).
pub(super) struct Choice {
    pub(super) component: String,
    pub(super) block: Option<(String, String)>,
    pub(super) breaks: Option<String>,
}

/// What the sync knows when it places one enum field.
pub(super) struct Field<'a> {
    pub(super) model: &'a str,
    /// The model's input component.
    pub(super) input: &'a str,
    /// The start of the names of components this model owns (`IdeogramV3Turbo`).
    pub(super) prefix: &'a str,
    pub(super) wire: &'a str,
    pub(super) values: &'a Value,
}

/// Places `field`'s enum among `ours` (the spec's components), given `existing`, the model's input
/// component as it is now.
pub(super) fn choose(
    field: &Field<'_>,
    existing: Option<&Value>,
    ours: &Map<String, Value>,
) -> Result<Choice, String> {
    let owned = format!("{}{}", field.prefix, case::camel(field.wire, ""));
    if ours.get(&owned).is_some_and(|s| s.get("enum").is_none()) || owned == field.input {
        return Err(format!(
            "{}: the field `{}` would name its enum `{owned}`, which is the name of another kind of \
             component; rename the field in openapi.yaml by hand",
            field.model, field.wire
        ));
    }
    let current = existing
        .and_then(|s| s.get("properties"))
        .and_then(|p| p.get(field.wire))
        .and_then(refs::reference_of)
        .map(refs::name_of)
        .filter(|name| ours.get(*name).is_some_and(|s| s.get("enum").is_some()));
    let Some(current) = current else {
        return Ok(new_field(field, &owned, ours));
    };
    let before = &ours[current];
    if before.get("enum") == Some(field.values) {
        return Ok(Choice {
            component: current.to_string(),
            block: None,
            breaks: None,
        });
    }
    let lost = lost_values(before, field.values);
    let breaks = (!lost.is_empty()).then(|| {
        format!(
            "`{current}` (the `{}` field of `{}`) loses the values {lost:?}: code naming them no longer compiles",
            field.wire, field.model
        )
    });
    let prefix = before.get("x-rust-variant-prefix").and_then(Value::as_str);
    let shared = used_by_others(current, field.input, ours);
    let (component, from) = if shared {
        // The shared component stays as the other models have it; this field gets its own.
        let from = lost.is_empty().then(|| current.to_string());
        (owned, from)
    } else {
        (current.to_string(), None)
    };
    let block = enum_block(
        &component,
        field.wire,
        field.model,
        field.values,
        prefix,
        from.as_deref(),
    );
    Ok(Choice {
        component: component.clone(),
        block: Some((component, block)),
        breaks,
    })
}

/// A field the spec did not have as an enum: an existing component of the same values, or one of its own.
fn new_field(field: &Field<'_>, owned: &str, ours: &Map<String, Value>) -> Choice {
    let reused = ours
        .iter()
        .find(|(n, s)| s.get("enum") == Some(field.values) && *n != owned)
        .map(|(n, _)| n.clone());
    match reused {
        Some(component) => Choice {
            component,
            block: None,
            breaks: None,
        },
        None => Choice {
            component: owned.to_string(),
            block: Some((
                owned.to_string(),
                enum_block(owned, field.wire, field.model, field.values, None, None),
            )),
            breaks: None,
        },
    }
}

/// The values of `before` that `values` no longer has.
fn lost_values(before: &Value, values: &Value) -> Vec<String> {
    let now: Vec<&Value> = values.as_array().into_iter().flatten().collect();
    before
        .get("enum")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|v| !now.contains(v))
        .filter_map(Value::as_str)
        .map(str::to_string)
        .collect()
}

/// Whether a model input other than `input` refers to the component `name`.
fn used_by_others(name: &str, input: &str, ours: &Map<String, Value>) -> bool {
    ours.iter()
        .filter(|(n, s)| *n != input && s.get("x-replicate-model").is_some())
        .flat_map(|(_, s)| s.get("properties").and_then(Value::as_object))
        .flat_map(|properties| properties.values())
        .any(|property| refs::reference_of(property).map(refs::name_of) == Some(name))
}
