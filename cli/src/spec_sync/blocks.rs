//! The canonical YAML of a model's components, and splicing a component into the text of the spec.

use std::fmt::Write as _;

use serde_json::{Map, Value};

use replicate_ideogram::ModelVersion;

use super::{case, drift::LIMITS};

/// A YAML string: double-quoted, JSON escapes (which YAML reads the same).
fn quoted(text: &str) -> String {
    Value::String(text.to_string()).to_string()
}

/// A mapping key from a server (a field's name): bare if it is a plain name, as the spec writes its own,
/// quoted otherwise, so that it cannot become YAML syntax (`a: b`, `#`, `{`, a newline) or another type
/// (`true`, `null`, `on`).
fn key(name: &str) -> String {
    const SPECIAL: &[&str] = &["null", "true", "false", "yes", "no", "on", "off", "y", "n"];
    let plain = name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !SPECIAL.contains(&name.to_ascii_lowercase().as_str());
    if plain {
        name.to_string()
    } else {
        quoted(name)
    }
}

/// A scalar as the spec writes it: strings quoted, numbers and booleans bare.
fn scalar(value: &Value) -> Result<String, String> {
    match value {
        Value::String(s) => Ok(quoted(s)),
        Value::Number(_) | Value::Bool(_) => Ok(value.to_string()),
        other => Err(format!("cannot write {other} as a YAML scalar")),
    }
}

/// The input component, in the canonical form. `kept` is the component it replaces: this crate's own rules
/// on it (`x-replicate-exactly-one-of`, and `x-json-string` on a field still there) carry over.
pub(super) fn input_block(
    name: &str,
    model: &str,
    version: &ModelVersion,
    input: &Value,
    enum_refs: &Map<String, Value>,
    output: &str,
    kept: Option<&Value>,
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
    let _ = writeln!(out, "      x-replicate-version: {}", quoted(&version.id));
    let _ = writeln!(
        out,
        "      x-replicate-output:\n        $ref: {}",
        quoted(&format!("#/components/schemas/{output}"))
    );
    let properties = input.get("properties").and_then(Value::as_object);
    let present = |field: &&Value| {
        field
            .as_str()
            .is_some_and(|f| properties.is_some_and(|p| p.contains_key(f)))
    };
    if let Some(rule) = kept
        .and_then(|k| k.get("x-replicate-exactly-one-of"))
        .and_then(Value::as_array)
        .filter(|fields| fields.iter().all(|f| present(&f)))
    {
        out.push_str("      x-replicate-exactly-one-of:\n");
        for field in rule {
            let _ = writeln!(out, "        - {}", scalar(field)?);
        }
    }
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
    let mut properties: Vec<(&String, &Value)> =
        properties.map(|p| p.iter().collect()).unwrap_or_default();
    properties.sort_by_key(|(field, p)| {
        (
            p.get("x-order").and_then(Value::as_i64).unwrap_or(i64::MAX),
            field.to_string(),
        )
    });
    for (field, property) in properties {
        let json_string = kept
            .and_then(|k| k.get("properties"))
            .and_then(|p| p.get(field.as_str()))
            .and_then(|p| p.get("x-json-string"))
            .cloned();
        property_block(&mut out, field, property, enum_refs, json_string)?;
    }
    Ok(out)
}

/// One property. An enum field refers to its component and leaves the enum's type and title to it.
fn property_block(
    out: &mut String,
    field: &str,
    property: &Value,
    enum_refs: &Map<String, Value>,
    json_string: Option<Value>,
) -> Result<(), String> {
    let _ = writeln!(out, "        {}:", key(field));
    let component = enum_refs.get(field).and_then(Value::as_str);
    if let Some(component) = component {
        let _ = writeln!(
            out,
            "          allOf:\n            - $ref: {}",
            quoted(&format!("#/components/schemas/{component}"))
        );
    }
    for key in ["type", "format", "title", "nullable"] {
        if component.is_some() && matches!(key, "type" | "title") {
            continue;
        }
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
    for key in LIMITS
        .iter()
        .copied()
        .chain(["default", "x-order", "description"])
    {
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
    if let Some(value) = json_string {
        let _ = writeln!(out, "          x-json-string: {}", scalar(&value)?);
    }
    Ok(())
}

/// An enum component. `prefix`: the variant prefix to keep (a rewritten component's); `from`: the enum it
/// converts from (`x-rust-from`).
pub(super) fn enum_block(
    name: &str,
    cog_name: &str,
    model: &str,
    values: &Value,
    prefix: Option<&str>,
    from: Option<&str>,
) -> String {
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
    let digits = values
        .iter()
        .any(|v| v.starts_with(|c: char| c.is_ascii_digit()));
    match prefix {
        Some(prefix) => {
            let _ = writeln!(out, "      x-rust-variant-prefix: {}", quoted(prefix));
        }
        None if digits => {
            let _ = writeln!(
                out,
                "      x-rust-variant-prefix: {}",
                quoted(&case::camel(cog_name, ""))
            );
        }
        None => {}
    }
    if let Some(from) = from {
        let _ = writeln!(out, "      x-rust-from:\n        - {}", quoted(from));
    }
    out.push_str("      enum:\n");
    for value in values {
        let _ = writeln!(out, "        - {}", quoted(value));
    }
    out
}

pub(super) fn output_block(name: &str, output: &Value) -> String {
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
pub(super) fn replace_component(spec: &str, name: &str, block: &str) -> Result<String, String> {
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
