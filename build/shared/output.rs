//! What a model's output is, from the component its input's `x-replicate-output` refers to: read by the
//! model generator (the input's `Output` type) and by the published data (which models answer with a list
//! of files). Needs `refs` (build/shared/refs.rs) as a sibling module.

use serde_json::{Map, Value};

use super::refs;

/// The kind of a model's output.
pub enum OutputKind {
    /// One file URL.
    Uri,
    /// A list of file URLs.
    Uris,
    /// Anything else, as JSON (also when the input names no output).
    Json,
}

/// The output kind of the model whose input component is `input`, among `schemas`.
pub fn output_kind(input: &Value, schemas: &Map<String, Value>) -> Result<OutputKind, String> {
    let Some(reference) = input
        .pointer("/x-replicate-output/$ref")
        .and_then(Value::as_str)
    else {
        return Ok(OutputKind::Json);
    };
    let target = refs::resolve(reference, schemas)?;
    let items = target.pointer("/items/type").and_then(Value::as_str);
    Ok(match target.get("type").and_then(Value::as_str) {
        Some("string") => OutputKind::Uri,
        Some("array") if items == Some("string") => OutputKind::Uris,
        _ => OutputKind::Json,
    })
}
