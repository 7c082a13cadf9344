//! The friendly model-input types, generated from `openapi.yaml`.
//!
//! progenitor's own names for these types are the generator's (`X169`, `X512x1536`) and its builders take
//! `TryInto<Option<String>>`. Model inputs are this crate's public face, so they get names a person would write,
//! positional required arguments, setters for options, wire-string `Display`/`FromStr`, a JSON Schema, and
//! validation before sending. progenitor is told to use these types in place of its own (`with_replacement`), so
//! there is one type per schema and the spec stays the only place where a field or value is written.
//!
//! Supported in model inputs: strings (any format; `uri` is checked), integers and numbers (with
//! `minimum`/`maximum`), booleans, arrays of those, and `$ref`/`allOf: [$ref]` to string-enum components;
//! `nullable` on any of them. This crate's own rules ride on extensions: `x-json-string` on a string field (its
//! value is a JSON object written as a string), `x-replicate-exactly-one-of` on an input (fields of which exactly
//! one must be set) and `x-replicate-version` (the version whose schema the component is). Anything else stops
//! the build with a message naming the model and field.

use std::collections::BTreeMap;

use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote};
use serde_json::{Map, Value};

/// A component progenitor must not generate because this generator (or the crate, by hand) provides it.
pub struct Replacement {
    pub schema: String,
    pub rust_path: String,
    pub is_enum: bool,
}

pub struct Models {
    enums: Vec<FriendlyEnum>,
    inputs: Vec<ModelStruct>,
    handwritten: Vec<(String, String)>,
    /// Each model's schemas as Replicate publishes them (Cog's OpenAPI document), as JSON text: what the
    /// simulator serves at `GET /models/{owner}/{name}`.
    published: Vec<(String, String)>,
}

struct FriendlyEnum {
    name: String,
    /// The name the values go by in messages (the schema's `title`, e.g. `aspect_ratio`).
    label: String,
    description: String,
    variants: Vec<(Ident, String)>,
}

struct ModelStruct {
    name: String,
    model: String,
    /// The published version whose schema this is (`x-replicate-version`).
    version: Option<String>,
    description: String,
    output: OutputKind,
    fields: Vec<Field>,
    /// Fields of which exactly one must be set (`x-replicate-exactly-one-of`).
    exactly_one_of: Vec<String>,
    /// The required fields in the order the spec lists them: the order of `new`'s arguments.
    required: Vec<String>,
}

enum OutputKind {
    Uri,
    Uris,
    Json,
}

struct Field {
    wire: String,
    /// The field's Rust name (`field_names::rust_name`).
    rust: String,
    description: String,
    ty: FieldType,
    required: bool,
    nullable: bool,
    /// A JSON object carried as a string (`x-json-string`).
    json_string: bool,
    default: Option<Value>,
    minimum: Option<f64>,
    maximum: Option<f64>,
}

#[derive(Clone)]
enum FieldType {
    String { uri: bool },
    Integer,
    Number,
    Boolean,
    Enum(String),
    Array(Box<FieldType>),
}

impl Models {
    pub fn from_spec(spec: &Value) -> Result<Self, String> {
        let empty = Map::new();
        let schemas = spec
            .pointer("/components/schemas")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        let mut enums = Vec::new();
        let mut inputs = Vec::new();
        let mut handwritten = Vec::new();
        let mut published = Vec::new();
        for (name, schema) in schemas {
            if let Some(path) = schema.get("x-rust-handwritten").and_then(Value::as_str) {
                handwritten.push((name.clone(), path.to_string()));
            } else if schema.get("enum").is_some() {
                enums.push(FriendlyEnum::from_schema(name, schema)?);
            } else if let Some(model) = schema.get("x-replicate-model").and_then(Value::as_str) {
                inputs.push(ModelStruct::from_schema(name, model, schema, schemas)?);
                published.push((model.to_string(), cog_document(schema, schemas).to_string()));
            }
        }
        Ok(Self {
            enums,
            inputs,
            handwritten,
            published,
        })
    }

    pub fn replacements(&self) -> Vec<Replacement> {
        let enums = self.enums.iter().map(|e| Replacement {
            schema: e.name.clone(),
            rust_path: format!("crate::models::{}", e.name),
            is_enum: true,
        });
        let inputs = self.inputs.iter().map(|m| Replacement {
            schema: m.name.clone(),
            rust_path: format!("crate::models::{}", m.name),
            is_enum: false,
        });
        let handwritten = self.handwritten.iter().map(|(schema, path)| Replacement {
            schema: schema.clone(),
            rust_path: path.clone(),
            is_enum: true,
        });
        enums.chain(inputs).chain(handwritten).collect()
    }

    pub fn to_tokens(&self) -> TokenStream {
        let enums = self.enums.iter().map(FriendlyEnum::to_tokens);
        let inputs = self.inputs.iter().map(|m| m.to_tokens(&self.enums));
        let names: Vec<&str> = self.inputs.iter().map(|m| m.model.as_str()).collect();
        let types: Vec<Ident> = self
            .inputs
            .iter()
            .map(|m| Ident::new(&m.name, Span::call_site()))
            .collect();
        let list_outputs = self
            .inputs
            .iter()
            .filter(|m| matches!(m.output, OutputKind::Uris))
            .map(|m| m.model.as_str());
        let published_models = self.published.iter().map(|(model, _)| model);
        let published_json = self.published.iter().map(|(_, json)| json);
        let json_strings = self.inputs.iter().map(|m| {
            let model = &m.model;
            let fields = m.fields.iter().filter(|f| f.json_string).map(|f| &f.wire);
            quote!(#model => &[#(#fields),*],)
        });
        let versions = self.inputs.iter().map(|m| {
            let model = &m.model;
            match &m.version {
                Some(id) => quote!(#model => Some(#id),),
                None => quote!(#model => None,),
            }
        });
        quote! {
            /// The schemas of `model` as Replicate publishes them (Cog's OpenAPI document, JSON text), made
            /// from this crate's spec; what the simulator serves at `GET /models/{owner}/{name}`.
            #[doc(hidden)]
            pub fn published_schema(model: &str) -> Option<&'static str> {
                match model {
                    #(#published_models => Some(#published_json),)*
                    _ => None,
                }
            }

            /// The published version whose schema the spec holds for `model` (`x-replicate-version`).
            #[doc(hidden)]
            pub fn published_version(model: &str) -> Option<&'static str> {
                match model {
                    #(#versions)*
                    _ => None,
                }
            }

            /// The fields of `model`'s input that carry a JSON object as a string (`x-json-string`).
            pub(crate) fn json_string_fields(model: &str) -> &'static [&'static str] {
                match model {
                    #(#json_strings)*
                    _ => &[],
                }
            }

            /// The models whose output is a list of file URLs (the simulator answers with a picture and a JSON
            /// file for them).
            #[doc(hidden)]
            pub const LIST_OUTPUT_MODELS: &[&str] = &[#(#list_outputs),*];

            /// The models this crate has typed inputs for, as `owner/name`.
            pub const KNOWN_MODELS: &[&str] = &[#(#names),*];

            /// Checks a JSON input (`owner/name` of the model, its input object) by decoding it as the model's
            /// typed input and validating that; `None` if this crate has no typed input for the model.
            ///
            /// ```
            /// use replicate_ideogram::models::check_input;
            /// let input = serde_json::json!({"prompt": "a lighthouse", "style_preset": "Art Deco"});
            /// let input = input.as_object().unwrap();
            /// assert!(check_input("ideogram-ai/ideogram-v3-turbo", input).unwrap().is_ok());
            /// assert!(check_input("ideogram-ai/ideogram-v2-turbo", input).is_some());
            /// assert!(check_input("someone/else", input).is_none());
            /// ```
            pub fn check_input(
                model: &str,
                input: &::serde_json::Map<String, ::serde_json::Value>,
            ) -> Option<crate::Result<()>> {
                match model {
                    #(#names => Some(crate::models::check_typed::<#types>(input)),)*
                    _ => None,
                }
            }

            /// The JSON Schema of the typed input of `model` (`owner/name`), e.g. for an LLM tool definition;
            /// `None` if this crate has no typed input for the model.
            pub fn input_schema_for(model: &str) -> Option<::serde_json::Value> {
                match model {
                    #(#names => Some(crate::models::input_schema::<#types>()),)*
                    _ => None,
                }
            }
            #(#enums)*
            #(#inputs)*
        }
    }
}

impl FriendlyEnum {
    fn from_schema(name: &str, schema: &Value) -> Result<Self, String> {
        if schema.get("type").and_then(Value::as_str) != Some("string") {
            return Err(format!(
                "enum `{name}` must have `type: \"string\"` (only string enums are supported)"
            ));
        }
        let values = schema
            .get("enum")
            .and_then(Value::as_array)
            .ok_or(format!("enum `{name}`: `enum` must be a list"))?;
        let prefix = schema
            .get("x-rust-variant-prefix")
            .and_then(Value::as_str)
            .unwrap_or("V");
        let mut variants = Vec::new();
        let mut seen = BTreeMap::new();
        for value in values {
            let wire = value.as_str().ok_or(format!(
                "enum `{name}`: value {value} is not a string; quote it in the YAML"
            ))?;
            let ident = variant_name(wire, prefix).ok_or(format!(
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
        })
    }

    fn ident(&self) -> Ident {
        Ident::new(&self.name, Span::call_site())
    }

    fn to_tokens(&self) -> TokenStream {
        let name = self.ident();
        let label = &self.label;
        let doc = &self.description;
        let idents: Vec<&Ident> = self.variants.iter().map(|(i, _)| i).collect();
        let wires: Vec<&str> = self.variants.iter().map(|(_, w)| w.as_str()).collect();
        quote! {
            #[doc = #doc]
            ///
            /// Parses from and prints as the wire string (`"16:9"`, `"Render 3D"`).
            #[derive(
                Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord,
                ::serde::Serialize, ::serde::Deserialize, ::schemars::JsonSchema,
            )]
            #[schemars(description = #doc)]
            #[non_exhaustive]
            #[allow(missing_docs)]
            pub enum #name {
                #(
                    #[serde(rename = #wires)]
                    #idents,
                )*
            }

            impl #name {
                /// Every value, in the order the spec lists them.
                pub const ALL: &'static [Self] = &[#(Self::#idents),*];

                /// The wire string of this value.
                pub const fn as_str(self) -> &'static str {
                    match self {
                        #(Self::#idents => #wires,)*
                    }
                }
            }

            impl ::std::fmt::Display for #name {
                fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                    f.write_str(self.as_str())
                }
            }

            impl ::std::str::FromStr for #name {
                type Err = crate::Error;

                fn from_str(value: &str) -> ::std::result::Result<Self, Self::Err> {
                    match value {
                        #(#wires => Ok(Self::#idents),)*
                        _ => Err(crate::Error::unknown_value(#label, value, &[#(#wires),*])),
                    }
                }
            }
        }
    }
}

impl ModelStruct {
    fn from_schema(
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
        let rust_names = super::field_names::distinct_names(properties.keys().map(String::as_str))
            .map_err(|e| at(&e))?;
        let mut fields = Vec::new();
        for ((wire, property), rust) in properties.iter().zip(rust_names) {
            let ty =
                field_type(property, schemas).map_err(|e| at(&format!("field `{wire}`: {e}")))?;
            let default = property.get("default").cloned();
            if let (Some(default), FieldType::Enum(enum_name)) = (&default, &ty) {
                let allowed = schemas[enum_name.as_str()]["enum"].as_array().cloned();
                if !allowed.is_some_and(|values| values.contains(default)) {
                    return Err(at(&format!(
                        "field `{wire}`: default {default} is not a value of `{enum_name}`"
                    )));
                }
            }
            let json_string = property.get("x-json-string") == Some(&Value::Bool(true));
            if json_string && !matches!(ty, FieldType::String { uri: false }) {
                return Err(at(&format!(
                    "field `{wire}`: `x-json-string` needs a plain string field"
                )));
            }
            fields.push(Field {
                wire: wire.clone(),
                rust,
                description: description(property),
                ty,
                required: required.contains(&wire.as_str()),
                nullable: property.get("nullable") == Some(&Value::Bool(true)),
                json_string,
                default,
                minimum: property.get("minimum").and_then(Value::as_f64),
                maximum: property.get("maximum").and_then(Value::as_f64),
            });
        }
        for name in &required {
            if !properties.contains_key(*name) {
                return Err(at(&format!("required field `{name}` is not a property")));
            }
        }
        let exactly_one_of = exactly_one_of(schema, properties, &required).map_err(|e| at(&e))?;
        let version = match schema.get("x-replicate-version") {
            None => None,
            Some(Value::String(id)) if !id.trim().is_empty() => Some(id.clone()),
            Some(_) => return Err(at("`x-replicate-version` must be a non-empty string")),
        };
        fields.sort_by_key(|f| {
            let order = properties[&f.wire].get("x-order").and_then(Value::as_i64);
            (order.unwrap_or(i64::MAX), f.wire.clone())
        });
        let output = match schema
            .pointer("/x-replicate-output/$ref")
            .and_then(Value::as_str)
        {
            Some(reference) => {
                let target = resolve(reference, schemas).map_err(|e| at(&e))?;
                match (
                    target.get("type").and_then(Value::as_str),
                    target.get("format"),
                ) {
                    (Some("string"), _) => OutputKind::Uri,
                    (Some("array"), _)
                        if target.pointer("/items/type").and_then(Value::as_str)
                            == Some("string") =>
                    {
                        OutputKind::Uris
                    }
                    _ => OutputKind::Json,
                }
            }
            None => OutputKind::Json,
        };
        Ok(Self {
            name: name.to_string(),
            model: model.to_string(),
            version,
            description: description(schema),
            output,
            fields,
            exactly_one_of,
            required: required.iter().map(|r| r.to_string()).collect(),
        })
    }

    fn to_tokens(&self, enums: &[FriendlyEnum]) -> TokenStream {
        let name = Ident::new(&self.name, Span::call_site());
        let model = &self.model;
        let doc = &self.description;
        let model_doc = format!("Model: [`{model}`](https://replicate.com/{model}).");
        let mod_name = format_ident!("{}_defaults", snake(&self.name));

        let mut struct_fields = Vec::new();
        let mut defaults = Vec::new();
        let mut new_args = Vec::new();
        let mut new_inits = Vec::new();
        let mut setters = Vec::new();
        let mut checks = Vec::new();
        for field in &self.fields {
            let ident = super::field_names::ident(&field.rust);
            let wire = &field.wire;
            let rename = (field.rust.trim_start_matches("r#") != wire.as_str())
                .then(|| quote! { #[serde(rename = #wire)] });
            let fdoc = &field.description;
            let ty = field.ty.rust();
            let format = match &field.ty {
                FieldType::Array(item) => item.format().map(|f| {
                    quote! { #[schemars(extend("items" = { "type": "string", "format": #f }))] }
                }),
                other => other
                    .format()
                    .map(|f| quote! { #[schemars(extend("format" = #f))] }),
            };
            if field.required {
                struct_fields.push(quote! {
                    #[doc = #fdoc]
                    #format
                    #rename
                    pub #ident: #ty,
                });
                let (arg_ty, conv) = field.setter_arg();
                let position = self.required.iter().position(|r| *r == field.wire);
                new_args.push((position, quote! { #ident: #arg_ty }));
                new_inits.push(quote! { #ident: #conv(#ident) });
            } else if let Some(default) = &field.default {
                let fn_name = ident.clone();
                let fn_path = format!("{mod_name}::{}", field.rust);
                let value = field.ty.literal(default, enums);
                defaults.push(quote! {
                    pub(super) fn #fn_name() -> #ty { #value }
                });
                struct_fields.push(quote! {
                    #[doc = #fdoc]
                    #[serde(default = #fn_path)]
                    #format
                    #rename
                    pub #ident: #ty,
                });
                new_inits.push(quote! { #ident: #mod_name::#fn_name() });
                let (arg_ty, conv) = field.setter_arg();
                let sdoc = format!("Sets `{wire}`: {fdoc}");
                setters.push(quote! {
                    #[doc = #sdoc]
                    #[must_use]
                    pub fn #ident(mut self, value: #arg_ty) -> Self {
                        self.#ident = #conv(value);
                        self
                    }
                });
            } else {
                // `Option` in Rust either way; the JSON Schema admits null only where the model's does.
                let schema_ty = if field.nullable {
                    format!("Option<{ty}>")
                } else {
                    ty.to_string()
                };
                struct_fields.push(quote! {
                    #[doc = #fdoc]
                    #[serde(default, skip_serializing_if = "Option::is_none")]
                    #[schemars(with = #schema_ty)]
                    #format
                    #rename
                    pub #ident: Option<#ty>,
                });
                new_inits.push(quote! { #ident: None });
                let (arg_ty, conv) = field.setter_arg();
                let sdoc = format!("Sets `{wire}`: {fdoc}");
                setters.push(quote! {
                    #[doc = #sdoc]
                    #[must_use]
                    pub fn #ident(mut self, value: #arg_ty) -> Self {
                        self.#ident = Some(#conv(value));
                        self
                    }
                });
            }
            checks.push(field.check(&ident));
        }
        checks.push(self.exactly_one_check());
        new_args.sort_by_key(|(position, _)| *position);
        let default_impl = new_args.is_empty().then(|| {
            quote! {
                impl Default for #name {
                    fn default() -> Self {
                        Self::new()
                    }
                }
            }
        });
        let new_args = new_args.into_iter().map(|(_, arg)| arg);
        let version_const = self.version.as_ref().map(|id| {
            let doc = format!(
                "The published version of `{model}` whose input schema this type is (`{id}`). \
                 [`crate::ModelInput::at_version`] pins a prediction to it."
            );
            quote! {
                #[doc = #doc]
                pub const VERSION: &'static str = #id;
            }
        });

        let output_ty = match self.output {
            OutputKind::Uri => quote!(String),
            OutputKind::Uris => quote!(Vec<String>),
            OutputKind::Json => quote!(::serde_json::Value),
        };
        let new_doc = format!(
            "A `{model}` input with the required fields set and every other field at its default."
        );
        quote! {
            #[doc = #doc]
            ///
            #[doc = #model_doc]
            ///
            /// Required fields are the arguments of `new`; every other field has a setter of the same name.
            /// Fields with a default in the model's schema are always sent, with that default unless set.
            #[derive(Clone, Debug, PartialEq, ::serde::Serialize, ::serde::Deserialize, ::schemars::JsonSchema)]
            #[schemars(description = #doc)]
            #[non_exhaustive]
            pub struct #name {
                #(#struct_fields)*
            }

            mod #mod_name {
                #[allow(unused_imports)]
                use super::*;
                #(#defaults)*
            }

            impl #name {
                /// The model this is the input of, as `owner/name`.
                pub const MODEL: &'static str = #model;

                #version_const

                #[doc = #new_doc]
                pub fn new(#(#new_args),*) -> Self {
                    Self { #(#new_inits,)* }
                }

                #(#setters)*
            }

            #default_impl

            impl crate::ModelInput for #name {
                type Output = #output_ty;

                fn target(&self) -> crate::Target {
                    crate::Target::model(Self::MODEL)
                }

                // One generated check per constraint; nested `if`s are how the generator composes them.
                #[allow(clippy::collapsible_if)]
                fn validate(&self) -> crate::Result<()> {
                    #(#checks)*
                    Ok(())
                }
            }
        }
    }
}

impl ModelStruct {
    /// The check that exactly one of `x-replicate-exactly-one-of` is set (none if the input has no such rule).
    fn exactly_one_check(&self) -> TokenStream {
        if self.exactly_one_of.is_empty() {
            return TokenStream::new();
        }
        let idents: Vec<Ident> = self
            .exactly_one_of
            .iter()
            .filter_map(|w| self.fields.iter().find(|f| f.wire == *w))
            .map(|f| super::field_names::ident(&f.rust))
            .collect();
        let names = self
            .exactly_one_of
            .iter()
            .map(|w| format!("`{w}`"))
            .collect::<Vec<_>>()
            .join(" or ");
        let label = self.exactly_one_of.join(", ");
        let neither = format!("set one of {names}");
        let several = format!("set only one of {names}, not several");
        quote! {
            match [#(self.#idents.is_some()),*].iter().filter(|set| **set).count() {
                1 => {}
                0 => return Err(crate::Error::invalid_input(#label, #neither)),
                _ => return Err(crate::Error::invalid_input(#label, #several)),
            }
        }
    }
}

impl Field {
    /// The setter's argument type and the conversion applied to it.
    fn setter_arg(&self) -> (TokenStream, TokenStream) {
        if self.json_string {
            return (
                quote!(impl crate::models::JsonText),
                quote!(crate::models::JsonText::into_json_text),
            );
        }
        self.ty.setter_arg()
    }

    /// The validation of one field, as the spec constrains it.
    fn check(&self, ident: &Ident) -> TokenStream {
        let wire = &self.wire;
        let value_check = |value: TokenStream| -> TokenStream {
            let mut out = TokenStream::new();
            if self.required && matches!(self.ty, FieldType::String { .. }) {
                out.extend(quote! {
                    if #value.trim().is_empty() {
                        return Err(crate::Error::invalid_input(#wire, "must not be empty"));
                    }
                });
            }
            if let FieldType::String { uri: true } = self.ty {
                out.extend(quote! { crate::models::check_uri(#wire, #value)?; });
            }
            if self.json_string {
                out.extend(quote! { crate::models::check_json_object(#wire, #value)?; });
            }
            if matches!(self.ty, FieldType::Integer | FieldType::Number) {
                if let Some(min) = self.minimum {
                    let message = format!("must be at least {min}");
                    out.extend(quote! {
                        if (*#value as f64) < #min {
                            return Err(crate::Error::invalid_input(#wire, #message));
                        }
                    });
                }
                if let Some(max) = self.maximum {
                    let message = format!("must be at most {max}");
                    out.extend(quote! {
                        if (*#value as f64) > #max {
                            return Err(crate::Error::invalid_input(#wire, #message));
                        }
                    });
                }
            }
            out
        };
        let optional = !self.required && self.default.is_none();
        if let FieldType::Array(item) = &self.ty {
            if !matches!(**item, FieldType::String { uri: true }) {
                return TokenStream::new();
            }
            let each = quote! { crate::models::check_uri(#wire, value)?; };
            return if optional {
                quote! { for value in self.#ident.iter().flatten() { #each } }
            } else {
                quote! { for value in &self.#ident { #each } }
            };
        }
        let body = value_check(quote!(value));
        if body.is_empty() {
            return TokenStream::new();
        }
        match (&self.ty, optional) {
            (_, true) => quote! { if let Some(value) = &self.#ident { #body } },
            (_, false) => quote! { { let value = &self.#ident; #body } },
        }
    }
}

impl FieldType {
    /// The `format` the JSON Schema of a field of this type should carry.
    fn format(&self) -> Option<&'static str> {
        match self {
            Self::String { uri: true } => Some("uri"),
            _ => None,
        }
    }

    fn rust(&self) -> TokenStream {
        match self {
            Self::String { .. } => quote!(String),
            Self::Integer => quote!(i64),
            Self::Number => quote!(f64),
            Self::Boolean => quote!(bool),
            Self::Enum(name) => {
                let ident = Ident::new(name, Span::call_site());
                quote!(#ident)
            }
            Self::Array(item) => {
                let item = item.rust();
                quote!(Vec<#item>)
            }
        }
    }

    /// The setter's argument type and the conversion applied to it.
    fn setter_arg(&self) -> (TokenStream, TokenStream) {
        match self {
            Self::String { .. } => (quote!(impl Into<String>), quote!(Into::into)),
            Self::Array(item) => {
                let item = item.rust();
                (
                    quote!(impl IntoIterator<Item = #item>),
                    quote!(Vec::from_iter),
                )
            }
            other => (other.rust(), quote!(::std::convert::identity)),
        }
    }

    fn literal(&self, value: &Value, enums: &[FriendlyEnum]) -> TokenStream {
        match (self, value) {
            (Self::String { .. }, Value::String(s)) => quote!(#s.to_string()),
            (Self::Integer, Value::Number(n)) if n.is_i64() => {
                let n = n.as_i64().unwrap_or_default();
                quote!(#n)
            }
            (Self::Number, Value::Number(n)) => {
                let n = n.as_f64().unwrap_or_default();
                quote!(#n)
            }
            (Self::Boolean, Value::Bool(b)) => quote!(#b),
            (Self::Enum(name), Value::String(s)) => {
                let found = enums
                    .iter()
                    .find(|e| &e.name == name)
                    .and_then(|e| e.variants.iter().find(|(_, w)| w == s));
                let ty = Ident::new(name, Span::call_site());
                match found {
                    Some((variant, _)) => quote!(#ty::#variant),
                    None => quote!(compile_error!("default is not a value of its enum")),
                }
            }
            (Self::Array(_), Value::Array(items)) if items.is_empty() => quote!(Vec::new()),
            _ => quote!(compile_error!("unsupported default value in openapi.yaml")),
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

fn field_type(property: &Value, schemas: &Map<String, Value>) -> Result<FieldType, String> {
    let reference = property.get("$ref").and_then(Value::as_str).or_else(|| {
        property
            .get("allOf")
            .and_then(Value::as_array)
            .filter(|all| all.len() == 1)
            .and_then(|all| all[0].get("$ref"))
            .and_then(Value::as_str)
    });
    if let Some(reference) = reference {
        let target = resolve(reference, schemas)?;
        if target.get("enum").is_none() {
            return Err(format!("`{reference}` must be a string enum"));
        }
        let name = reference.rsplit('/').next().unwrap_or(reference);
        return Ok(FieldType::Enum(name.to_string()));
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

/// A model-input component in the form Cog publishes it: `Input` and `Output` under `components.schemas`,
/// each enum a component named by its title (e.g. `aspect_ratio`) and referred to with `allOf`, this
/// crate's extensions (`x-replicate-*`, `x-rust-*`) left out.
fn cog_document(input: &Value, schemas: &Map<String, Value>) -> Value {
    fn strip(value: &Value, schemas: &Map<String, Value>, enums: &mut Map<String, Value>) -> Value {
        match value {
            Value::Object(map) => {
                let mut out = Map::new();
                for (key, item) in map {
                    if key.starts_with("x-replicate") || key.starts_with("x-rust") {
                        continue;
                    }
                    if key == "$ref" {
                        let name = item
                            .as_str()
                            .and_then(|r| r.rsplit('/').next())
                            .unwrap_or_default();
                        let target = schemas.get(name).cloned().unwrap_or_default();
                        let title = target
                            .get("title")
                            .and_then(Value::as_str)
                            .unwrap_or(name)
                            .to_string();
                        if target.get("enum").is_some() {
                            let mut component = strip(&target, schemas, enums);
                            if let Some(obj) = component.as_object_mut() {
                                obj.insert("description".into(), "An enumeration.".into());
                            }
                            enums.insert(title.clone(), component);
                        }
                        out.insert(key.clone(), format!("#/components/schemas/{title}").into());
                        continue;
                    }
                    out.insert(key.clone(), strip(item, schemas, enums));
                }
                Value::Object(out)
            }
            Value::Array(items) => {
                Value::Array(items.iter().map(|i| strip(i, schemas, enums)).collect())
            }
            other => other.clone(),
        }
    }
    let mut enums = Map::new();
    let mut input_schema = strip(input, schemas, &mut enums);
    if let Some(obj) = input_schema.as_object_mut() {
        obj.remove("description");
    }
    let output = input
        .pointer("/x-replicate-output/$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.rsplit('/').next())
        .and_then(|name| schemas.get(name))
        .map(|o| strip(o, schemas, &mut enums))
        .unwrap_or(Value::Object(Map::new()));
    let mut components = enums;
    components.insert("Input".into(), input_schema);
    components.insert("Output".into(), output);
    serde_json::json!({
        "openapi": "3.0.2",
        "info": {"title": "Cog", "version": "0.1.0"},
        "components": {"schemas": components},
    })
}

fn resolve<'a>(reference: &str, schemas: &'a Map<String, Value>) -> Result<&'a Value, String> {
    let name = reference
        .strip_prefix("#/components/schemas/")
        .ok_or(format!(
            "`{reference}` does not point into #/components/schemas"
        ))?;
    schemas.get(name).ok_or(format!(
        "`{reference}` points at a schema that does not exist"
    ))
}

fn description(schema: &Value) -> String {
    schema
        .get("description")
        .and_then(Value::as_str)
        .unwrap_or("")
        .trim()
        .to_string()
}

/// `"16:9"` with prefix `Ratio` → `Ratio16x9`; `"Render 3D"` → `Render3D`; `"start"` → `Start`.
fn variant_name(wire: &str, prefix: &str) -> Option<String> {
    // An apostrophe joins its word ("Children's" is one word, `Childrens`).
    let wire = wire.replace('\'', "");
    let words: Vec<&str> = wire
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let mut name = String::new();
    for (i, word) in words.iter().enumerate() {
        let digits_meet = i > 0
            && name.ends_with(|c: char| c.is_ascii_digit())
            && word.starts_with(|c: char| c.is_ascii_digit());
        if digits_meet {
            name.push('x');
        }
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            name.push(first.to_ascii_uppercase());
            name.push_str(chars.as_str());
        }
    }
    if name.is_empty() {
        return None;
    }
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        name.insert_str(0, prefix);
    }
    Some(name)
}

fn snake(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}
