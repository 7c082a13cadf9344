//! Bringing a model's components in `openapi.yaml` up to date with the schema the API publishes
//! (`ideogram spec sync <owner/name>`), and telling whether they are (`ideogram spec sync --all --check`):
//! the model's input component (and any enum or output component it needs) is rewritten in one canonical
//! form, every other line of the file is left as it was, and what changed is summed up in readable lines.
//!
//! The canonical form: components in the order input, enums, output; keys in a fixed order; every string
//! double-quoted; properties in `x-order`; enums (inline in newer Cog documents) as components of their own,
//! an existing one reused when its values are the same. This crate's own rules on a component
//! (`x-replicate-exactly-one-of`, `x-json-string`) are kept. Syncing twice changes nothing the second time.

mod blocks;
mod changelog;
mod drift;
mod enums;

use serde_json::{Map, Value};

use blocks::{input_block, output_block, replace_component};
pub use changelog::record_breaking;
use drift::{drift, enum_values, same_output};
use replicate_ideogram::ModelVersion;
// The build step's own readers of the spec, so that a sync names and follows components as it does.
use replicate_ideogram::workspace_only::{case, refs};

/// The outcome of a sync: the new text of the spec and what changed.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Synced {
    /// The whole spec, rewritten.
    pub spec: String,
    /// One line per change (`+ field`, `- field`, `~ field: …`); empty if nothing changed.
    pub changes: Vec<String>,
    /// What the sync breaks for code written against the spec before it (also among `changes`).
    pub breaks: Vec<String>,
}

/// How a model's component compares with its latest published schema.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Drift {
    /// The component's name in the spec (`None` if the spec has no component for the model).
    pub component: Option<String>,
    /// The version the component says it describes (`x-replicate-version`).
    pub ours: Option<String>,
    /// The published latest version.
    pub latest: String,
    /// What differs, one line each (`+ field`, `- field`, `~ field: …`); empty when the spec is up to date.
    pub changes: Vec<String>,
}

impl Drift {
    /// Whether the spec is behind: the component is missing, or a field, value, default, limit, description
    /// or the output differs. A new version with the same schema is not behind.
    pub fn is_behind(&self) -> bool {
        self.component.is_none() || !self.changes.is_empty()
    }

    /// Whether the version compared is not the one the component records: the model moved (its
    /// `VERSION` is stale) even if the schema is the same. A component that records no version has not.
    pub fn has_moved(&self) -> bool {
        self.ours.as_deref().is_some_and(|ours| ours != self.latest)
    }
}

/// The spec's components and the published ones, read once.
struct Documents {
    ours: Map<String, Value>,
    published: Map<String, Value>,
}

impl Documents {
    fn read(spec: &str, model: &str, version: &ModelVersion) -> Result<Self, String> {
        let document: Value = yaml_serde::from_str(spec)
            .map_err(|e| format!("openapi.yaml is not valid YAML: {e}"))?;
        let ours = refs::component_schemas(&document)
            .ok_or("openapi.yaml has no components.schemas")?
            .clone();
        let published = version
            .openapi_schema
            .as_ref()
            .and_then(|s| s.get("components"))
            .and_then(|c| c.get("schemas"))
            .and_then(Value::as_object)
            .ok_or_else(|| format!("{model}: the latest version publishes no components.schemas"))?
            .clone();
        if !published.contains_key("Input") {
            return Err(format!("{model}: the published schema has no Input"));
        }
        Ok(Self { ours, published })
    }

    fn input(&self) -> &Value {
        self.published.get("Input").unwrap_or(&Value::Null)
    }

    /// The spec's component for `model`, by `x-replicate-model`.
    fn existing(&self, model: &str) -> Option<(&String, &Value)> {
        self.ours
            .iter()
            .find(|(_, s)| s.get("x-replicate-model").and_then(Value::as_str) == Some(model))
    }

    /// The semantic differences between the spec's component for `model` and the published input and output.
    fn changes(&self, model: &str) -> Vec<String> {
        let existing = self.existing(model).map(|(_, s)| s);
        let mut lines = drift(existing, &self.ours, self.input(), &self.published);
        let our_output = existing
            .and_then(|s| s.pointer("/x-replicate-output/$ref"))
            .and_then(Value::as_str)
            .and_then(|r| self.ours.get(refs::name_of(r)));
        if let Some(output) = self.published.get("Output")
            && !same_output(our_output, output)
        {
            lines.push("~ output".into());
        }
        lines
    }
}

/// The models `spec` has an input component for (`x-replicate-model`), in the order it lists them.
pub fn models(spec: &str) -> Result<Vec<String>, String> {
    let document: Value = yaml_serde::from_str(spec).map_err(|e| format!("not valid YAML: {e}"))?;
    let schemas = refs::component_schemas(&document).ok_or("no components.schemas")?;
    Ok(schemas
        .values()
        .filter_map(|s| s.get("x-replicate-model").and_then(Value::as_str))
        .map(str::to_string)
        .collect())
}

/// How the spec's component for `model` compares with `version`'s published schema.
pub fn check(spec: &str, model: &str, version: &ModelVersion) -> Result<Drift, String> {
    let documents = Documents::read(spec, model, version)?;
    let existing = documents.existing(model);
    Ok(Drift {
        component: existing.map(|(name, _)| name.clone()),
        ours: existing
            .and_then(|(_, s)| s.get("x-replicate-version"))
            .and_then(Value::as_str)
            .map(str::to_string),
        latest: version.id.clone(),
        changes: documents.changes(model),
    })
}

/// Rewrites the components of `model` (`owner/name`) in `spec` (the text of `openapi.yaml`) from `version`'s
/// published schema.
pub fn sync(spec: &str, model: &str, version: &ModelVersion) -> Result<Synced, String> {
    let documents = Documents::read(spec, model, version)?;
    let existing = documents.existing(model);
    let name = existing.map_or_else(|| type_name(model), |(name, _)| name.clone());
    let prefix = name.trim_end_matches("Input").to_string();

    let mut blocks: Vec<(String, String)> = Vec::new();
    let mut breaks: Vec<String> = Vec::new();
    let mut enum_refs = Map::new();
    for (field, property) in documents
        .input()
        .get("properties")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        let Some(values) = enum_values(property, &documents.published) else {
            continue;
        };
        let values = Value::Array(values.clone());
        let field = enums::Field {
            model,
            input: &name,
            prefix: &prefix,
            wire: field,
            values: &values,
        };
        let choice = enums::choose(&field, existing.map(|(_, s)| s), &documents.ours)?;
        blocks.extend(choice.block);
        breaks.extend(choice.breaks);
        enum_refs.insert(field.wire.to_string(), choice.component.into());
    }

    let output_name = output_component(&documents, existing, &prefix, &mut blocks);
    let kept = existing.map(|(_, s)| s);
    let input = input_block(
        &name,
        model,
        version,
        documents.input(),
        &enum_refs,
        &output_name,
        kept,
    )?;
    blocks.insert(0, (name.clone(), input));

    let mut text = spec.to_string();
    for (component, block) in &blocks {
        text = replace_component(&text, component, block)?;
    }
    let changes = if text == spec {
        Vec::new()
    } else {
        let mut lines = vec![format!("{name}: schema of version {}", version.id)];
        let semantic = documents.changes(model);
        if semantic.is_empty() {
            lines.push("~ layout or version only (the schema itself is the same)".into());
        }
        lines.extend(semantic);
        lines.extend(breaks.iter().map(|b| format!("! breaking: {b}")));
        lines
    };
    Ok(Synced {
        spec: text,
        changes,
        breaks,
    })
}

/// The output component the input refers to: the existing one if it describes the published output, else
/// one of the same shape, else a new `<Prefix>Output` block.
fn output_component(
    documents: &Documents,
    existing: Option<(&String, &Value)>,
    prefix: &str,
    blocks: &mut Vec<(String, String)>,
) -> String {
    let current = existing
        .and_then(|(_, s)| s.pointer("/x-replicate-output/$ref"))
        .and_then(Value::as_str)
        .map(|r| refs::name_of(r).to_string());
    let output = documents.published.get("Output");
    if let (Some(current), Some(output)) = (&current, output)
        && same_output(documents.ours.get(current), output)
    {
        return current.clone();
    }
    // An output component of the same shape (another model's) serves this one too.
    if let Some(output) = output
        && let Some((reused, _)) = documents.ours.iter().find(|(name, schema)| {
            schema.get("x-replicate-model").is_none()
                && schema.get("enum").is_none()
                && name.ends_with("Output")
                && same_output(Some(schema), output)
        })
    {
        return reused.clone();
    }
    let name = format!("{prefix}Output");
    let output = output.cloned().unwrap_or_else(|| serde_json::json!({}));
    blocks.push((name.clone(), output_block(&name, &output)));
    name
}

/// `ideogram-ai/ideogram-v4-turbo` → `IdeogramV4TurboInput`.
fn type_name(model: &str) -> String {
    let name = model.rsplit('/').next().unwrap_or(model);
    format!("{}Input", case::camel(name, ""))
}
