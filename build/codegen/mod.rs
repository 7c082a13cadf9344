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
//!
//! One concern per file: `spec` reads and checks the components, `enums` and `inputs` emit their code,
//! and `field_names` names fields in Rust. `published` makes the data only the simulator needs, which the
//! library compiles into a hidden module (`src/workspace.rs`) so that the simulator needs no build step.

mod enums;
mod field_names;
mod inputs;
pub(crate) mod published;
mod spec;

#[path = "../shared/case.rs"]
mod case;
#[path = "../shared/output.rs"]
mod output;
#[path = "../shared/refs.rs"]
pub(crate) mod refs;

use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;
use serde_json::{Map, Value};

use spec::{FriendlyEnum, ModelStruct};

/// A component progenitor must not generate because this generator (or the crate, by hand) provides it.
pub struct Replacement {
    pub schema: String,
    pub rust_path: String,
    pub is_enum: bool,
}

/// The spec's string enums and model inputs, read and checked.
pub struct Models {
    /// The enums of model inputs, generated into `typed_inputs` (public through `models`).
    enums: Vec<FriendlyEnum>,
    /// The API's own enums (`x-rust-root`, e.g. `WebhookEvent`), generated for the crate root: they appear in
    /// the request builders' signatures, beside the client, not in any model's input.
    root_enums: Vec<FriendlyEnum>,
    inputs: Vec<ModelStruct>,
    handwritten: Vec<(String, String)>,
}

impl Models {
    pub fn from_spec(spec: &Value) -> Result<Self, String> {
        let empty = Map::new();
        let schemas = refs::component_schemas(spec).unwrap_or(&empty);
        let mut enums = Vec::new();
        let mut root_enums = Vec::new();
        let mut inputs = Vec::new();
        let mut handwritten = Vec::new();
        for (name, schema) in schemas {
            if let Some(path) = schema.get("x-rust-handwritten").and_then(Value::as_str) {
                handwritten.push((name.clone(), path.to_string()));
            } else if schema.get("enum").is_some() {
                let parsed = FriendlyEnum::from_schema(name, schema)?;
                if spec::is_root_enum(schema) {
                    root_enums.push(parsed);
                } else {
                    enums.push(parsed);
                }
            } else if let Some(model) = schema.get("x-replicate-model").and_then(Value::as_str) {
                inputs.push(ModelStruct::from_schema(name, model, schema, schemas)?);
            }
        }
        check_conversions(&enums)?;
        Ok(Self {
            enums,
            root_enums,
            inputs,
            handwritten,
        })
    }

    /// `impl From<Earlier> for Later` for every enum that names earlier ones in `x-rust-from`.
    fn conversions(&self) -> TokenStream {
        let impls = self.enums.iter().flat_map(|later| {
            later.from.iter().filter_map(move |name| {
                let earlier = self.enums.iter().find(|e| &e.name == name)?;
                let (from, into) = (
                    Ident::new(&earlier.name, Span::call_site()),
                    Ident::new(&later.name, Span::call_site()),
                );
                let arms = earlier.variants.iter().filter_map(|(ident, wire)| {
                    let target = later.variant_of(wire)?;
                    Some(quote!(#from::#ident => Self::#target,))
                });
                Some(quote! {
                    impl From<#from> for #into {
                        fn from(value: #from) -> Self {
                            match value {
                                #(#arms)*
                            }
                        }
                    }
                })
            })
        });
        quote! { #(#impls)* }
    }

    pub fn replacements(&self) -> Vec<Replacement> {
        let enums = self.enums.iter().map(|e| Replacement {
            schema: e.name.clone(),
            rust_path: format!("crate::typed_inputs::{}", e.name),
            is_enum: true,
        });
        let root_enums = self.root_enums.iter().map(|e| Replacement {
            schema: e.name.clone(),
            rust_path: format!("crate::{}", e.name),
            is_enum: true,
        });
        let inputs = self.inputs.iter().map(|m| Replacement {
            schema: m.name.clone(),
            rust_path: format!("crate::typed_inputs::{}", m.name),
            is_enum: false,
        });
        let handwritten = self.handwritten.iter().map(|(schema, path)| Replacement {
            schema: schema.clone(),
            rust_path: path.clone(),
            is_enum: true,
        });
        enums
            .chain(root_enums)
            .chain(inputs)
            .chain(handwritten)
            .collect()
    }

    /// The lookups by model name, then every enum and every input.
    pub fn to_tokens(&self) -> TokenStream {
        let lookups = self.lookups();
        let enums = self.enums.iter().map(FriendlyEnum::to_tokens);
        let conversions = self.conversions();
        let inputs = self.inputs.iter().map(ModelStruct::to_tokens);
        quote! {
            #lookups
            #(#enums)*
            #conversions
            #(#inputs)*
        }
    }

    /// The API's own enums, for the crate root.
    pub fn root_tokens(&self) -> TokenStream {
        let enums = self.root_enums.iter().map(FriendlyEnum::to_tokens);
        quote! { #(#enums)* }
    }

    /// `version_of`, `json_string_fields`, `KNOWN_MODELS`, `check_input` and `input_schema_for`.
    fn lookups(&self) -> TokenStream {
        let names: Vec<&str> = self.inputs.iter().map(|m| m.model.as_str()).collect();
        let types: Vec<Ident> = self
            .inputs
            .iter()
            .map(|m| Ident::new(&m.name, Span::call_site()))
            .collect();
        let json_strings = self.inputs.iter().map(|m| {
            let model = &m.model;
            let fields = m.fields.iter().filter(|f| f.json_string).map(|f| &f.wire);
            quote!(#model => &[#(#fields),*],)
        });
        let versions = self.inputs.iter().map(|m| match &m.version {
            Some(id) => quote!(Some(#id)),
            None => quote!(None),
        });
        quote! {
            /// The published version of `model` (`owner/name`) whose schema this crate's typed input is (the
            /// input type's `VERSION`); `None` for a model this crate has no input for, or whose version id is
            /// not published (read its versions with [`Client::model_versions`](crate::Client::model_versions)).
            ///
            /// ```
            /// use replicate_ideogram::models::{IdeogramV2aInput, version_of};
            /// assert_eq!(version_of(IdeogramV2aInput::MODEL), Some(IdeogramV2aInput::VERSION));
            /// assert_eq!(version_of("someone/else"), None);
            /// ```
            pub fn version_of(model: &str) -> Option<&'static str> {
                match model {
                    #(#names => #versions,)*
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
                    #(#names => Some(crate::typed_inputs::check_typed::<#types>(input)),)*
                    _ => None,
                }
            }

            /// The JSON Schema of the typed input of `model` (`owner/name`), e.g. for an LLM tool definition;
            /// `None` if this crate has no typed input for the model. Made once per model and kept, because a
            /// batch reads it for every line.
            pub fn input_schema_for(model: &str) -> Option<&'static ::serde_json::Value> {
                match model {
                    #(#names => {
                        static SCHEMA: ::std::sync::OnceLock<::serde_json::Value> = ::std::sync::OnceLock::new();
                        Some(SCHEMA.get_or_init(crate::typed_inputs::input_schema::<#types>))
                    })*
                    _ => None,
                }
            }
        }
    }
}

/// Every enum an `x-rust-from` names exists, and each of its values is one of the naming enum's: the
/// conversion is then total.
fn check_conversions(enums: &[FriendlyEnum]) -> Result<(), String> {
    for later in enums {
        for name in &later.from {
            let earlier = enums.iter().find(|e| &e.name == name).ok_or(format!(
                "enum `{}`: `x-rust-from` names `{name}`, which is not an enum of a model input",
                later.name
            ))?;
            if let Some((_, wire)) = earlier
                .variants
                .iter()
                .find(|(_, wire)| later.variant_of(wire).is_none())
            {
                return Err(format!(
                    "enum `{}`: `x-rust-from` names `{name}`, whose value {wire:?} it lacks",
                    later.name
                ));
            }
        }
    }
    Ok(())
}
