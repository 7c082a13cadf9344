//! The data only the simulator needs, made from the spec: each model's schemas as Replicate publishes them
//! (Cog's OpenAPI document), the version they are of, and which models answer with a list of files.
//!
//! Apart from the model generator: the library's build writes it to `$OUT_DIR/published.rs`, which the
//! library includes in a hidden module for the simulator (`src/workspace.rs`). It reads a spec the model
//! generator accepts (which checks `x-replicate-version`, among the rest).

use proc_macro2::TokenStream;
use quote::quote;
use serde_json::{Map, Value};

use super::{
    output::{OutputKind, output_kind},
    refs,
};

/// One model input of the spec, as the simulator sees it.
struct Published {
    model: String,
    /// Cog's OpenAPI document of the model, as JSON text.
    document: String,
    version: Option<String>,
    list_output: bool,
}

/// `published_schema`, `published_version` and `LIST_OUTPUT_MODELS` for the model inputs of `spec` (the
/// parsed `openapi.yaml`), or what is wrong with an input's output reference.
pub fn tokens(spec: &Value) -> Result<TokenStream, String> {
    let published = read(spec)?;
    let models: Vec<&str> = published.iter().map(|p| p.model.as_str()).collect();
    let documents = published.iter().map(|p| &p.document);
    let versions = published.iter().map(|p| match &p.version {
        Some(id) => quote!(Some(#id)),
        None => quote!(None),
    });
    let list_outputs = published
        .iter()
        .filter(|p| p.list_output)
        .map(|p| p.model.as_str());
    Ok(quote! {
        /// The schemas of `model` as Replicate publishes them (Cog's OpenAPI document, JSON text), made
        /// from the library's spec; what the simulator serves at `GET /models/{owner}/{name}`.
        pub fn published_schema(model: &str) -> Option<&'static str> {
            match model {
                #(#models => Some(#documents),)*
                _ => None,
            }
        }

        /// The published version whose schema the spec holds for `model` (`x-replicate-version`).
        pub fn published_version(model: &str) -> Option<&'static str> {
            match model {
                #(#models => #versions,)*
                _ => None,
            }
        }

        /// The models whose output is a list of file URLs (the simulator answers with a picture and a JSON
        /// file for them).
        pub const LIST_OUTPUT_MODELS: &[&str] = &[#(#list_outputs),*];
    })
}

/// The model inputs of `spec`: the components with `x-replicate-model` (not enums, not written by hand).
fn read(spec: &Value) -> Result<Vec<Published>, String> {
    let empty = Map::new();
    let schemas = refs::component_schemas(spec).unwrap_or(&empty);
    let mut published = Vec::new();
    for (name, schema) in schemas {
        if schema.get("x-rust-handwritten").is_some() || schema.get("enum").is_some() {
            continue;
        }
        let Some(model) = schema.get("x-replicate-model").and_then(Value::as_str) else {
            continue;
        };
        let kind = output_kind(schema, schemas)
            .map_err(|e| format!("model input `{name}` ({model}): {e}"))?;
        published.push(Published {
            model: model.to_string(),
            document: cog_document(schema, schemas).to_string(),
            version: schema
                .get("x-replicate-version")
                .and_then(Value::as_str)
                .map(str::to_string),
            list_output: matches!(kind, OutputKind::Uris),
        });
    }
    Ok(published)
}

/// A model-input component in the form Cog publishes it: `Input` and `Output` under `components.schemas`,
/// each enum a component named by its title (e.g. `aspect_ratio`) and referred to with `allOf`, this
/// crate's extensions (`x-replicate-*`, `x-rust-*`) left out.
fn cog_document(input: &Value, schemas: &Map<String, Value>) -> Value {
    let mut cog = Cog {
        schemas,
        enums: Map::new(),
    };
    let mut input_schema = cog.strip(input);
    if let Some(obj) = input_schema.as_object_mut() {
        obj.remove("description");
    }
    let output = input
        .pointer("/x-replicate-output/$ref")
        .and_then(Value::as_str)
        .and_then(|r| schemas.get(refs::name_of(r)))
        .map(|o| cog.strip(o))
        .unwrap_or(Value::Object(Map::new()));
    let mut components = cog.enums;
    components.insert("Input".into(), input_schema);
    components.insert("Output".into(), output);
    serde_json::json!({
        "openapi": "3.0.2",
        "info": {"title": "Cog", "version": "0.1.0"},
        "components": {"schemas": components},
    })
}

/// Rewrites schemas into Cog's form, collecting the enum components they refer to.
struct Cog<'a> {
    schemas: &'a Map<String, Value>,
    /// The enums referred to so far, by title.
    enums: Map<String, Value>,
}

impl Cog<'_> {
    /// `value` without this crate's extensions, its references renamed to Cog's enum components.
    fn strip(&mut self, value: &Value) -> Value {
        match value {
            Value::Object(map) => {
                let mut out = Map::new();
                for (key, item) in map {
                    if key.starts_with("x-replicate") || key.starts_with("x-rust") {
                        continue;
                    }
                    let item = if key == "$ref" {
                        self.reference(item.as_str().unwrap_or_default())
                    } else {
                        self.strip(item)
                    };
                    out.insert(key.clone(), item);
                }
                Value::Object(out)
            }
            Value::Array(items) => Value::Array(items.iter().map(|i| self.strip(i)).collect()),
            other => other.clone(),
        }
    }

    /// A `$ref` to the component `reference` names, as Cog writes it: to the component named by its title,
    /// which is an enum's (an enum component is collected, with Cog's description).
    fn reference(&mut self, reference: &str) -> Value {
        let name = refs::name_of(reference);
        let target = self.schemas.get(name).cloned().unwrap_or_default();
        let title = target
            .get("title")
            .and_then(Value::as_str)
            .unwrap_or(name)
            .to_string();
        if target.get("enum").is_some() {
            let mut component = self.strip(&target);
            if let Some(obj) = component.as_object_mut() {
                obj.insert("description".into(), "An enumeration.".into());
            }
            self.enums.insert(title.clone(), component);
        }
        format!("#/components/schemas/{title}").into()
    }
}
