//! Bringing a model's components in `openapi.yaml` up to date with the schema the API publishes
//! (`ideogram spec sync <owner/name>`): the model's input component (and any enum or output component it
//! needs) is rewritten in one canonical form, every other line of the file is left as it was, and what
//! changed is summed up in readable lines.
//!
//! The canonical form: components in the order input, enums, output; keys in a fixed order; every string
//! double-quoted; properties in `x-order`. Syncing twice changes nothing the second time.

use std::fmt::Write as _;

use serde_json::{Map, Value};

use crate::ModelVersion;

/// The outcome of a sync: the new text of the spec and what changed.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Synced {
    /// The whole spec, rewritten.
    pub spec: String,
    /// One line per change (`+ field`, `- field`, `~ field: …`); empty if nothing changed.
    pub changes: Vec<String>,
}

/// Rewrites the components of `model` (`owner/name`) in `spec` (the text of `openapi.yaml`) from `version`'s
/// published schema.
pub fn sync(spec: &str, model: &str, version: &ModelVersion) -> Result<Synced, String> {
    let document: Value =
        yaml_serde::from_str(spec).map_err(|e| format!("openapi.yaml is not valid YAML: {e}"))?;
    let ours = document
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .ok_or("openapi.yaml has no components.schemas")?;
    let published = version
        .openapi_schema
        .as_ref()
        .and_then(|s| s.get("components"))
        .and_then(|c| c.get("schemas"))
        .and_then(Value::as_object)
        .ok_or_else(|| format!("{model}: the latest version publishes no components.schemas"))?;
    let input = published
        .get("Input")
        .ok_or_else(|| format!("{model}: the published schema has no Input"))?;

    let existing = ours
        .iter()
        .find(|(_, s)| s.get("x-replicate-model").and_then(Value::as_str) == Some(model));
    let name = existing.map_or_else(|| type_name(model), |(name, _)| name.clone());
    let prefix = name.trim_end_matches("Input").to_string();

    let mut blocks: Vec<(String, String)> = Vec::new();
    let mut enum_refs = Map::new();
    for (field, property) in input
        .get("properties")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        let Some(reference) = reference_of(property) else {
            continue;
        };
        let cog_name = reference
            .rsplit('/')
            .next()
            .unwrap_or(reference)
            .to_string();
        let values = published
            .get(&cog_name)
            .and_then(|e| e.get("enum"))
            .cloned()
            .ok_or_else(|| {
                format!("{model}: field `{field}` refers to `{cog_name}`, which is not an enum")
            })?;
        let owned = format!("{prefix}{}", camel(&cog_name));
        let reused = ours
            .iter()
            .find(|(n, s)| s.get("enum") == Some(&values) && **n != owned)
            .map(|(n, _)| n.clone());
        let component = match reused {
            Some(reused) => reused,
            None => {
                blocks.push((owned.clone(), enum_block(&owned, &cog_name, model, &values)));
                owned
            }
        };
        enum_refs.insert(field.clone(), component.into());
    }

    let output_name = match (
        existing.and_then(|(_, s)| s.pointer("/x-replicate-output/$ref")),
        published.get("Output"),
    ) {
        (Some(Value::String(reference)), Some(output))
            if same_output(
                ours.get(reference.rsplit('/').next().unwrap_or_default()),
                output,
            ) =>
        {
            reference.rsplit('/').next().unwrap_or_default().to_string()
        }
        (_, output) => {
            let output_name = format!("{prefix}Output");
            let output = output.cloned().unwrap_or_else(|| serde_json::json!({}));
            blocks.push((output_name.clone(), output_block(&output_name, &output)));
            output_name
        }
    };
    let input_block = input_block(&name, model, version, input, &enum_refs, &output_name)?;
    blocks.insert(0, (name.clone(), input_block));

    let mut text = spec.to_string();
    for (component, block) in &blocks {
        text = replace_component(&text, component, block)?;
    }
    let changes = if text == spec {
        Vec::new()
    } else {
        changes(
            existing.map(|(_, s)| s),
            input,
            ours,
            published,
            version,
            &name,
        )
    };
    Ok(Synced {
        spec: text,
        changes,
    })
}

/// `ideogram-ai/ideogram-v4-turbo` → `IdeogramV4TurboInput`.
fn type_name(model: &str) -> String {
    format!("{}Input", camel(model.rsplit('/').next().unwrap_or(model)))
}

/// `aspect_ratio` or `ideogram-v4-turbo` → `AspectRatio`, `IdeogramV4Turbo`.
fn camel(text: &str) -> String {
    text.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut chars = w.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_ascii_uppercase().to_string() + chars.as_str()
            })
        })
        .collect()
}

/// The `$ref` of a property, direct or in a one-element `allOf`.
fn reference_of(property: &Value) -> Option<&str> {
    property.get("$ref").and_then(Value::as_str).or_else(|| {
        property
            .get("allOf")?
            .as_array()?
            .first()?
            .get("$ref")?
            .as_str()
    })
}

fn same_output(ours: Option<&Value>, published: &Value) -> bool {
    let key = |v: Option<&Value>, k: &str| v.and_then(|v| v.get(k)).cloned();
    ours.is_some()
        && ["type", "format", "items"]
            .iter()
            .all(|k| key(ours, k) == key(Some(published), k))
}

/// A YAML string: double-quoted, JSON escapes (which YAML reads the same).
fn quoted(text: &str) -> String {
    Value::String(text.to_string()).to_string()
}

/// A scalar as the spec writes it: strings quoted, numbers and booleans bare.
fn scalar(value: &Value) -> Result<String, String> {
    match value {
        Value::String(s) => Ok(quoted(s)),
        Value::Number(_) | Value::Bool(_) => Ok(value.to_string()),
        other => Err(format!("cannot write {other} as a YAML scalar")),
    }
}

fn input_block(
    name: &str,
    model: &str,
    version: &ModelVersion,
    input: &Value,
    enum_refs: &Map<String, Value>,
    output: &str,
) -> Result<String, String> {
    let mut out = String::new();
    let published = version
        .created_at
        .map(|at| format!(" ({})", at.format("%Y-%m-%d")))
        .unwrap_or_default();
    let _ = writeln!(out, "    {name}:");
    out.push_str("      type: \"object\"\n      title: \"Input\"\n");
    let _ = writeln!(
        out,
        "      description: {}",
        quoted(&format!(
            "The input of `{model}`. Schema of version {}{published}, written by `ideogram spec sync`.",
            version.id
        ))
    );
    let _ = writeln!(out, "      x-replicate-model: {}", quoted(model));
    let _ = writeln!(
        out,
        "      x-replicate-output:\n        $ref: {}",
        quoted(&format!("#/components/schemas/{output}"))
    );
    if let Some(required) = input
        .get("required")
        .and_then(Value::as_array)
        .filter(|r| !r.is_empty())
    {
        out.push_str("      required:\n");
        for field in required {
            let _ = writeln!(out, "        - {}", scalar(field)?);
        }
    }
    out.push_str("      properties:\n");
    let mut properties: Vec<(&String, &Value)> = input
        .get("properties")
        .and_then(Value::as_object)
        .map(|p| p.iter().collect())
        .unwrap_or_default();
    properties.sort_by_key(|(field, p)| {
        (
            p.get("x-order").and_then(Value::as_i64).unwrap_or(i64::MAX),
            field.to_string(),
        )
    });
    for (field, property) in properties {
        let _ = writeln!(out, "        {field}:");
        if let Some(component) = enum_refs.get(field).and_then(Value::as_str) {
            let _ = writeln!(
                out,
                "          allOf:\n            - $ref: {}",
                quoted(&format!("#/components/schemas/{component}"))
            );
        }
        for key in ["type", "format", "title", "nullable"] {
            if let Some(value) = property.get(key) {
                let _ = writeln!(out, "          {key}: {}", scalar(value)?);
            }
        }
        if let Some(items) = property.get("items") {
            out.push_str("          items:\n");
            for key in ["type", "format"] {
                if let Some(value) = items.get(key) {
                    let _ = writeln!(out, "            {key}: {}", scalar(value)?);
                }
            }
        }
        for key in ["minimum", "maximum", "default", "x-order", "description"] {
            match property.get(key) {
                Some(Value::Array(items)) if items.is_empty() => {
                    let _ = writeln!(out, "          {key}: []");
                }
                Some(value) => {
                    let _ = writeln!(out, "          {key}: {}", scalar(value)?);
                }
                None => {}
            }
        }
    }
    Ok(out)
}

fn enum_block(name: &str, cog_name: &str, model: &str, values: &Value) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "    {name}:");
    out.push_str("      type: \"string\"\n");
    let _ = writeln!(out, "      title: {}", quoted(cog_name));
    let _ = writeln!(
        out,
        "      description: {}",
        quoted(&format!("The values of `{cog_name}` for `{model}`."))
    );
    let values: Vec<&str> = values
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    if values
        .iter()
        .any(|v| v.starts_with(|c: char| c.is_ascii_digit()))
    {
        let _ = writeln!(
            out,
            "      x-rust-variant-prefix: {}",
            quoted(&camel(cog_name))
        );
    }
    out.push_str("      enum:\n");
    for value in values {
        let _ = writeln!(out, "        - {}", quoted(value));
    }
    out
}

fn output_block(name: &str, output: &Value) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "    {name}:");
    for key in ["type", "format", "title"] {
        if let Some(Value::String(value)) = output.get(key) {
            let _ = writeln!(out, "      {key}: {}", quoted(value));
        }
    }
    if let Some(items) = output.get("items") {
        out.push_str("      items:\n");
        for key in ["type", "format"] {
            if let Some(Value::String(value)) = items.get(key) {
                let _ = writeln!(out, "        {key}: {}", quoted(value));
            }
        }
    }
    out
}

/// `spec` with the component `name` (under `components.schemas`, 4 spaces in) replaced by `block`, or
/// `block` appended at the end of the file (where `components.schemas` ends) if there is none.
fn replace_component(spec: &str, name: &str, block: &str) -> Result<String, String> {
    let header = format!("    {name}:\n");
    let Some(start) = spec
        .find(&header)
        .filter(|at| *at == 0 || spec[..*at].ends_with('\n'))
    else {
        // A new component goes at the end of the file, which must be the end of components.schemas.
        let last = spec.lines().rev().find(|l| !l.trim().is_empty());
        if !last.is_some_and(|l| l.starts_with("    ")) {
            return Err(
                "openapi.yaml must end with components.schemas for a new component to be added"
                    .into(),
            );
        }
        let mut out = spec.trim_end_matches('\n').to_string();
        out.push('\n');
        out.push_str(block);
        return Ok(out);
    };
    let body = start + header.len();
    let end = spec[body..]
        .split_inclusive('\n')
        .scan(body, |at, line| {
            let here = *at;
            *at += line.len();
            Some((here, line))
        })
        .find(|(_, line)| {
            let indent = line.len() - line.trim_start().len();
            !line.trim().is_empty() && indent <= 4
        })
        .map_or(spec.len(), |(at, _)| at);
    Ok(format!("{}{block}{}", &spec[..start], &spec[end..]))
}

/// The readable differences between the old component and the published input.
fn changes(
    old: Option<&Value>,
    new: &Value,
    ours: &Map<String, Value>,
    published: &Map<String, Value>,
    version: &ModelVersion,
    name: &str,
) -> Vec<String> {
    let mut lines = vec![format!("{name}: schema of version {}", version.id)];
    let empty = Map::new();
    let old_props = old
        .and_then(|o| o.get("properties"))
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let new_props = new
        .get("properties")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let enum_values = |schemas: &Map<String, Value>, property: &Value| -> Vec<String> {
        reference_of(property)
            .and_then(|r| schemas.get(r.rsplit('/').next().unwrap_or_default()))
            .and_then(|e| e.get("enum"))
            .and_then(Value::as_array)
            .map(|v| {
                v.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    };
    let kind = |p: &Value| {
        p.get("type")
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| "enum".into())
    };
    for (field, property) in new_props {
        match old_props.get(field) {
            None => lines.push(format!("+ {field} ({})", kind(property))),
            Some(before) => {
                if kind(before) != kind(property) {
                    lines.push(format!(
                        "~ {field}: type {} → {}",
                        kind(before),
                        kind(property)
                    ));
                }
                if before.get("default") != property.get("default") {
                    let show = |v: Option<&Value>| v.map_or("none".to_string(), Value::to_string);
                    lines.push(format!(
                        "~ {field}: default {} → {}",
                        show(before.get("default")),
                        show(property.get("default"))
                    ));
                }
                let (was, now) = (enum_values(ours, before), enum_values(published, property));
                let added: Vec<&String> = now.iter().filter(|v| !was.contains(v)).collect();
                let removed: Vec<&String> = was.iter().filter(|v| !now.contains(v)).collect();
                if !added.is_empty() {
                    lines.push(format!("~ {field}: new values {added:?}"));
                }
                if !removed.is_empty() {
                    lines.push(format!("~ {field}: values gone {removed:?}"));
                }
                if before.get("description") != property.get("description") {
                    lines.push(format!("~ {field}: description"));
                }
            }
        }
    }
    for field in old_props.keys().filter(|f| !new_props.contains_key(*f)) {
        lines.push(format!("- {field}"));
    }
    if lines.len() == 1 {
        lines.push("~ layout only (the component is now in the canonical form)".into());
    }
    lines
}
