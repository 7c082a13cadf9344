//! Following a `$ref` in an OpenAPI document read as JSON: the one place the build step, `spec sync` and
//! the tests read references. Plain std and serde_json, so that the build script and the library
//! (`src/workspace_only/`, which the CLI's `spec_sync` uses) can both include it with `#[path]`.

use serde_json::{Map, Value};

/// Where component schemas live in an OpenAPI 3.0 document.
const COMPONENT_SCHEMAS: &str = "#/components/schemas/";

/// The component schemas of an OpenAPI document (`components.schemas`), if it has any.
pub fn component_schemas(spec: &Value) -> Option<&Map<String, Value>> {
    spec.pointer("/components/schemas")
        .and_then(Value::as_object)
}

/// The `$ref` of a schema: its own, or that of the single schema in its `allOf` (Cog wraps a reference that
/// way to give it a description or a default). `None` for any other schema, a longer `allOf` included.
pub fn reference_of(schema: &Value) -> Option<&str> {
    schema.get("$ref").and_then(Value::as_str).or_else(|| {
        match schema.get("allOf")?.as_array()?.as_slice() {
            [only] => only.get("$ref")?.as_str(),
            _ => None,
        }
    })
}

/// The name a reference ends in: `#/components/schemas/AspectRatio` → `AspectRatio`.
pub fn name_of(reference: &str) -> &str {
    reference.rsplit('/').next().unwrap_or(reference)
}

/// The component schema `reference` (`#/components/schemas/<name>`) points at, among `schemas`.
pub fn resolve<'a>(reference: &str, schemas: &'a Map<String, Value>) -> Result<&'a Value, String> {
    let name = reference
        .strip_prefix(COMPONENT_SCHEMAS)
        .ok_or_else(|| format!("`{reference}` does not point into #/components/schemas"))?;
    schemas
        .get(name)
        .ok_or_else(|| format!("`{reference}` points at a schema that does not exist"))
}
