//! The spec as the generator sees it: string-enum components and model-input components, read from the
//! parsed `openapi.yaml` and checked while reading, so that emitting code cannot fail. Every problem is one
//! line naming the component, and the field where there is one.

use std::collections::BTreeMap;

use proc_macro2::{Ident, Span};
use serde_json::{Map, Value};

use super::{
    case, field_names,
    output::{OutputKind, output_kind},
    refs,
};

/// A string-enum component.
pub struct FriendlyEnum {
    pub name: String,
    /// The name the values go by in messages (the schema's `title`, e.g. `aspect_ratio`).
    pub label: String,
    pub description: String,
    pub variants: Vec<(Ident, String)>,
    /// The enums whose every value this one has (`x-rust-from`): each converts into it, so that code written
    /// for a field's earlier enum still compiles after a sync gave the field an enum of its own.
    pub from: Vec<String>,
}

/// A model-input component (`x-replicate-model`).
pub struct ModelStruct {
    pub name: String,
    pub model: String,
    /// The published version whose schema this is (`x-replicate-version`).
    pub version: Option<String>,
    pub description: String,
    pub output: OutputKind,
    pub fields: Vec<Field>,
    /// Fields of which exactly one must be set (`x-replicate-exactly-one-of`).
    pub exactly_one_of: Vec<String>,
    /// The required fields in the order the spec lists them: the order of `new`'s arguments.
    pub required: Vec<String>,
}

pub struct Field {
    pub wire: String,
    /// The field's Rust name (`field_names::rust_name`).
    pub rust: String,
    pub description: String,
    pub ty: FieldType,
    pub required: bool,
    pub nullable: bool,
    /// A JSON object carried as a string (`x-json-string`).
    pub json_string: bool,
    /// An enum field whose enum converts from others (`x-rust-from`): its setter takes `impl Into<_>`.
    pub converts: bool,
    pub default: Option<DefaultValue>,
    pub minimum: Option<f64>,
    pub maximum: Option<f64>,
}

#[derive(Clone)]
pub enum FieldType {
    String { uri: bool },
    Integer,
    Number,
    Boolean,
    Enum(String),
    Array(Box<FieldType>),
}

/// A field's default, checked against the field's type.
pub enum DefaultValue {
    String(String),
    Integer(i64),
    Number(f64),
    Boolean(bool),
    /// A value of the string enum named first, as the variant named second.
    Variant(String, Ident),
    /// An empty list (the only list default supported).
    EmptyList,
}

impl FriendlyEnum {
    pub fn from_schema(name: &str, schema: &Value) -> Result<Self, String> {
        if schema.get("type").and_then(Value::as_str) != Some("string") {
            return Err(format!(
                "enum `{name}` must have `type: \"string\"` (only string enums are supported)"
            ));
        }
        let values = schema
            .get("enum")
            .and_then(Value::as_array)
            .ok_or(format!("enum `{name}`: `enum` must be a list"))?;
        let mut variants = Vec::new();
        let mut seen = BTreeMap::new();
        for value in values {
            let wire = value.as_str().ok_or(format!(
                "enum `{name}`: value {value} is not a string; quote it in the YAML"
            ))?;
            let ident = variant_name(wire, variant_prefix(schema)).ok_or(format!(
                "enum `{name}`: value {wire:?} has no letters or digits"
            ))?;
            if let Some(other) = seen.insert(ident.clone(), wire.to_string()) {
                return Err(format!(
                    "enum `{name}`: values {other:?} and {wire:?} both become the variant `{ident}`"
                ));
            }
            variants.push((Ident::new(&ident, Span::call_site()), wire.to_string()));
        }
        Ok(Self {
            name: name.to_string(),
            label: schema
                .get("title")
                .and_then(Value::as_str)
                .unwrap_or(name)
                .to_string(),
            description: description(schema),
            variants,
            from: schema
                .get("x-rust-from")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect(),
        })
    }

    /// The variant of this enum whose wire string is `wire`.
    pub fn variant_of(&self, wire: &str) -> Option<&Ident> {
        self.variants
            .iter()
            .find(|(_, w)| w == wire)
            .map(|(ident, _)| ident)
    }
}

impl ModelStruct {
    pub fn from_schema(
        name: &str,
        model: &str,
        schema: &Value,
        schemas: &Map<String, Value>,
    ) -> Result<Self, String> {
        let at = |what: &str| format!("model input `{name}` ({model}): {what}");
        if model.split('/').count() != 2 || model.split('/').any(str::is_empty) {
            return Err(at("`x-replicate-model` must be `owner/name`"));
        }
        let required: Vec<&str> = schema
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let properties = schema
            .get("properties")
            .and_then(Value::as_object)
            .ok_or_else(|| at("has no `properties`"))?;
        let fields = fields(properties, &required, schemas).map_err(|e| at(&e))?;
        let exactly_one_of = exactly_one_of(schema, properties, &required).map_err(|e| at(&e))?;
        let version = match schema.get("x-replicate-version") {
            None => None,
            Some(Value::String(id)) if !id.trim().is_empty() => Some(id.clone()),
            Some(_) => return Err(at("`x-replicate-version` must be a non-empty string")),
        };
        Ok(Self {
            name: name.to_string(),
            model: model.to_string(),
            version,
            description: description(schema),
            output: output_kind(schema, schemas).map_err(|e| at(&e))?,
            fields,
            exactly_one_of,
            required: required.iter().map(|r| r.to_string()).collect(),
        })
    }
}

/// The fields of an input, in `x-order` (then by name); every required name must be one of them.
fn fields(
    properties: &Map<String, Value>,
    required: &[&str],
    schemas: &Map<String, Value>,
) -> Result<Vec<Field>, String> {
    let rust_names = field_names::distinct_names(properties.keys().map(String::as_str))?;
    let mut fields = Vec::new();
    for ((wire, property), rust) in properties.iter().zip(rust_names) {
        let field = Field::from_property(wire, rust, property, required, schemas)
            .map_err(|e| format!("field `{wire}`: {e}"))?;
        fields.push(field);
    }
    for name in required {
        if !properties.contains_key(*name) {
            return Err(format!("required field `{name}` is not a property"));
        }
    }
    fields.sort_by_key(|f| {
        let order = properties
            .get(&f.wire)
            .and_then(|p| p.get("x-order"))
            .and_then(Value::as_i64);
        (order.unwrap_or(i64::MAX), f.wire.clone())
    });
    Ok(fields)
}

impl Field {
    fn from_property(
        wire: &str,
        rust: String,
        property: &Value,
        required: &[&str],
        schemas: &Map<String, Value>,
    ) -> Result<Self, String> {
        let ty = field_type(property, schemas)?;
        let default = match property.get("default") {
            Some(value) => Some(default_value(value, &ty, schemas)?),
            None => None,
        };
        let json_string = property.get("x-json-string") == Some(&Value::Bool(true));
        let converts = match &ty {
            FieldType::Enum(name) => schemas
                .get(name)
                .is_some_and(|s| s.get("x-rust-from").is_some()),
            _ => false,
        };
        if json_string && !matches!(ty, FieldType::String { uri: false }) {
            return Err("`x-json-string` needs a plain string field".into());
        }
        Ok(Self {
            wire: wire.to_string(),
            rust,
            description: description(property),
            ty,
            required: required.contains(&wire),
            nullable: property.get("nullable") == Some(&Value::Bool(true)),
            json_string,
            converts,
            default,
            minimum: property.get("minimum").and_then(Value::as_f64),
            maximum: property.get("maximum").and_then(Value::as_f64),
        })
    }
}

/// The default `value` of a field of type `ty`, or why it cannot be one.
fn default_value(
    value: &Value,
    ty: &FieldType,
    schemas: &Map<String, Value>,
) -> Result<DefaultValue, String> {
    let default = match (ty, value) {
        (FieldType::String { .. }, Value::String(s)) => DefaultValue::String(s.clone()),
        (FieldType::Integer, Value::Number(n)) if n.is_i64() => {
            DefaultValue::Integer(n.as_i64().unwrap_or_default())
        }
        (FieldType::Number, Value::Number(n)) => {
            DefaultValue::Number(n.as_f64().unwrap_or_default())
        }
        (FieldType::Boolean, Value::Bool(b)) => DefaultValue::Boolean(*b),
        (FieldType::Enum(name), value) => return enum_default(name, value, schemas),
        (FieldType::Array(_), Value::Array(items)) if items.is_empty() => DefaultValue::EmptyList,
        (FieldType::Array(_), _) => {
            return Err(format!(
                "default {value} is not supported (a list's default can only be empty)"
            ));
        }
        (ty, _) => return Err(format!("default {value} is not {}", ty.a_value())),
    };
    Ok(default)
}

/// A default of the string enum `name`: one of its values.
fn enum_default(
    name: &str,
    value: &Value,
    schemas: &Map<String, Value>,
) -> Result<DefaultValue, String> {
    let schema = schemas.get(name);
    if schema.is_some_and(|s| s.get("x-rust-handwritten").is_some()) {
        return Err(format!(
            "default {value}: `{name}` is written by hand, so its variants are not known here"
        ));
    }
    let allowed = schema.and_then(|s| s.get("enum")).and_then(Value::as_array);
    let variant = match value.as_str() {
        Some(wire) if allowed.is_some_and(|values| values.contains(value)) => {
            schema.and_then(|s| variant_name(wire, variant_prefix(s)))
        }
        _ => None,
    };
    match variant {
        Some(variant) => Ok(DefaultValue::Variant(
            name.to_string(),
            Ident::new(&variant, Span::call_site()),
        )),
        None => Err(format!("default {value} is not a value of `{name}`")),
    }
}

impl FieldType {
    /// What a value of this type is, for messages: "a string", "an integer".
    fn a_value(&self) -> String {
        match self {
            Self::String { .. } => "a string".into(),
            Self::Integer => "an integer".into(),
            Self::Number => "a number".into(),
            Self::Boolean => "a boolean".into(),
            Self::Enum(name) => format!("a value of `{name}`"),
            Self::Array(_) => "a list".into(),
        }
    }
}

/// The fields of `x-replicate-exactly-one-of`: at least two, each an optional property without a default.
fn exactly_one_of(
    schema: &Value,
    properties: &Map<String, Value>,
    required: &[&str],
) -> Result<Vec<String>, String> {
    let Some(list) = schema.get("x-replicate-exactly-one-of") else {
        return Ok(Vec::new());
    };
    let fields: Vec<String> = list
        .as_array()
        .map(|items| items.iter().filter_map(Value::as_str).map(str::to_string))
        .into_iter()
        .flatten()
        .collect();
    if fields.len() < 2 || list.as_array().map(Vec::len) != Some(fields.len()) {
        return Err("`x-replicate-exactly-one-of` must list two or more field names".into());
    }
    for field in &fields {
        match properties.get(field) {
            None => {
                return Err(format!(
                    "`x-replicate-exactly-one-of`: `{field}` is not a property"
                ));
            }
            Some(p) if p.get("default").is_some() || required.contains(&field.as_str()) => {
                return Err(format!(
                    "`x-replicate-exactly-one-of`: `{field}` must be optional and have no default"
                ));
            }
            Some(_) => {}
        }
    }
    Ok(fields)
}

/// Whether a string enum is one of the API's own (`x-rust-root: true`), generated for the crate root.
pub fn is_root_enum(schema: &Value) -> bool {
    schema.get("x-rust-root").and_then(Value::as_bool) == Some(true)
}

fn field_type(property: &Value, schemas: &Map<String, Value>) -> Result<FieldType, String> {
    if let Some(reference) = refs::reference_of(property) {
        let target = refs::resolve(reference, schemas)?;
        if target.get("enum").is_none() {
            return Err(format!("`{reference}` must be a string enum"));
        }
        if is_root_enum(target) {
            return Err(format!(
                "`{reference}` is one of the API's own enums (`x-rust-root`), not one a model input can use"
            ));
        }
        return Ok(FieldType::Enum(refs::name_of(reference).to_string()));
    }
    match property.get("type").and_then(Value::as_str) {
        Some("string") if property.get("enum").is_some() => {
            Err("inline enums are not supported; make it a component and `$ref` it".into())
        }
        Some("string") => Ok(FieldType::String {
            uri: property.get("format").and_then(Value::as_str) == Some("uri"),
        }),
        Some("integer") => Ok(FieldType::Integer),
        Some("number") => Ok(FieldType::Number),
        Some("boolean") => Ok(FieldType::Boolean),
        Some("array") => {
            let items = property.get("items").ok_or("array without `items`")?;
            match field_type(items, schemas)? {
                FieldType::Array(_) => Err("nested arrays are not supported".into()),
                item => Ok(FieldType::Array(Box::new(item))),
            }
        }
        Some(other) => Err(format!("type `{other}` is not supported")),
        None => Err("has no `type` and no `$ref`".into()),
    }
}

fn description(schema: &Value) -> String {
    schema
        .get("description")
        .and_then(Value::as_str)
        .unwrap_or("")
        .trim()
        .to_string()
}

/// The prefix of a variant whose value starts with a digit (`x-rust-variant-prefix`, default `V`).
fn variant_prefix(schema: &Value) -> &str {
    schema
        .get("x-rust-variant-prefix")
        .and_then(Value::as_str)
        .unwrap_or("V")
}

/// `"16:9"` with prefix `Ratio` → `Ratio16x9`; `"Render 3D"` → `Render3D`; `"start"` → `Start`.
fn variant_name(wire: &str, prefix: &str) -> Option<String> {
    // An apostrophe joins its word ("Children's" is one word, `Childrens`).
    let mut name = case::camel(&wire.replace('\'', ""), "x");
    if name.is_empty() {
        return None;
    }
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        name.insert_str(0, prefix);
    }
    Some(name)
}
