//! The Rust struct of a model-input component: required fields as `new`'s arguments, a setter for every
//! other field, defaults, the JSON Schema attributes, and `ModelInput` with the validation the spec asks for.

use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote};

use super::{
    case, field_names,
    output::OutputKind,
    spec::{DefaultValue, Field, FieldType, ModelStruct},
};

/// What the fields of an input contribute to its code, in field order.
#[derive(Default)]
struct Parts {
    struct_fields: Vec<TokenStream>,
    /// The functions of the `<input>_defaults` module.
    defaults: Vec<TokenStream>,
    /// `new`'s arguments, with their place in the spec's `required` list.
    new_args: Vec<(Option<usize>, TokenStream)>,
    new_inits: Vec<TokenStream>,
    setters: Vec<TokenStream>,
    checks: Vec<TokenStream>,
}

impl ModelStruct {
    pub fn to_tokens(&self) -> TokenStream {
        let mod_name = format_ident!("{}_defaults", case::snake(&self.name));
        let mut parts = Parts::default();
        for field in &self.fields {
            parts.add(self, field, &mod_name);
        }
        parts.checks.push(self.exactly_one_check());
        parts.new_args.sort_by_key(|(position, _)| *position);
        let definition = self.definition(&parts, &mod_name);
        let constructors = self.constructors(&parts);
        let model_input = self.model_input(&parts.checks);
        quote! {
            #definition
            #constructors
            #model_input
        }
    }

    fn ident(&self) -> Ident {
        Ident::new(&self.name, Span::call_site())
    }

    /// The struct, and the module of its default values.
    fn definition(&self, parts: &Parts, mod_name: &Ident) -> TokenStream {
        let name = self.ident();
        let model = &self.model;
        let doc = &self.description;
        // What the model does comes first; where the schema comes from, and what rests on one source, in
        // a section of its own.
        let (summary, sources) = match doc.find(" Schema of ") {
            Some(at) => (&doc[..at], doc[at..].trim()),
            None => (doc.as_str(), ""),
        };
        let sources_doc = if sources.is_empty() {
            String::new()
        } else {
            format!("# Sources\n\n{sources}")
        };
        let model_doc = format!("Model: [`{model}`](https://replicate.com/{model}).");
        let struct_fields = &parts.struct_fields;
        let defaults = &parts.defaults;
        quote! {
            #[doc = #summary]
            ///
            #[doc = #model_doc]
            ///
            /// Required fields are the arguments of `new`; every other field has a setter of the same name.
            /// Fields with a default in the model's schema are always sent, with that default unless set.
            ///
            #[doc = #sources_doc]
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
        }
    }

    /// `MODEL`, `VERSION`, `new`, the setters, and `Default` when nothing is required.
    fn constructors(&self, parts: &Parts) -> TokenStream {
        let name = self.ident();
        let model = &self.model;
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
        let default_impl = parts.new_args.is_empty().then(|| {
            quote! {
                impl Default for #name {
                    fn default() -> Self {
                        Self::new()
                    }
                }
            }
        });
        let new_doc = format!(
            "A `{model}` input with the required fields set and every other field at its default."
        );
        let new_args = parts.new_args.iter().map(|(_, arg)| arg);
        let new_inits = &parts.new_inits;
        let setters = &parts.setters;
        quote! {
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
        }
    }

    /// `ModelInput`: the target, the output type, the validation.
    fn model_input(&self, checks: &[TokenStream]) -> TokenStream {
        let name = self.ident();
        let output_ty = match self.output {
            OutputKind::Uri => quote!(String),
            OutputKind::Uris => quote!(Vec<String>),
            OutputKind::Json => quote!(::serde_json::Value),
        };
        quote! {
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

    /// The check that exactly one of `x-replicate-exactly-one-of` is set (none if the input has no such rule).
    fn exactly_one_check(&self) -> TokenStream {
        if self.exactly_one_of.is_empty() {
            return TokenStream::new();
        }
        let idents: Vec<Ident> = self
            .exactly_one_of
            .iter()
            .filter_map(|w| self.fields.iter().find(|f| f.wire == *w))
            .map(|f| field_names::ident(&f.rust))
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

impl Parts {
    /// Adds what `field` of `input` contributes: a required field is an argument of `new`, a field with a
    /// default is always set (to it, unless a setter changes it), any other field is an `Option`.
    fn add(&mut self, input: &ModelStruct, field: &Field, mod_name: &Ident) {
        let ident = field_names::ident(&field.rust);
        let ty = field.ty.rust();
        let (arg_ty, conv) = field.setter_arg();
        if field.required {
            self.struct_fields
                .push(field.declaration(&ident, quote!(), &ty));
            let position = input.required.iter().position(|r| *r == field.wire);
            self.new_args.push((position, quote! { #ident: #arg_ty }));
            self.new_inits.push(quote! { #ident: #conv(#ident) });
        } else if let Some(default) = &field.default {
            let fn_path = format!("{mod_name}::{}", field.rust);
            let value = default.literal();
            self.defaults.push(quote! {
                pub(super) fn #ident() -> #ty { #value }
            });
            let serde = quote! { #[serde(default = #fn_path)] };
            self.struct_fields
                .push(field.declaration(&ident, serde, &ty));
            self.new_inits.push(quote! { #ident: #mod_name::#ident() });
            self.setters
                .push(field.setter(&ident, &arg_ty, quote!(#conv(value))));
        } else {
            // `Option` in Rust either way; the JSON Schema admits null only where the model's does.
            let schema_ty = if field.nullable {
                format!("Option<{ty}>")
            } else {
                ty.to_string()
            };
            let attributes = quote! {
                #[serde(default, skip_serializing_if = "Option::is_none")]
                #[schemars(with = #schema_ty)]
            };
            self.struct_fields
                .push(field.declaration(&ident, attributes, &quote!(Option<#ty>)));
            self.new_inits.push(quote! { #ident: None });
            self.setters
                .push(field.setter(&ident, &arg_ty, quote!(Some(#conv(value)))));
        }
        self.checks.push(field.check(&ident));
    }
}

impl Field {
    /// The struct field: its doc, the `attributes` of its kind, its JSON Schema format and wire name.
    fn declaration(&self, ident: &Ident, attributes: TokenStream, ty: &TokenStream) -> TokenStream {
        let doc = &self.description;
        let wire = &self.wire;
        let rename = (self.rust.trim_start_matches("r#") != wire.as_str())
            .then(|| quote! { #[serde(rename = #wire)] });
        let format = match &self.ty {
            FieldType::Array(item) => item.format().map(|f| {
                quote! { #[schemars(extend("items" = { "type": "string", "format": #f }))] }
            }),
            other => other
                .format()
                .map(|f| quote! { #[schemars(extend("format" = #f))] }),
        };
        let bounds = self.bounds();
        quote! {
            #[doc = #doc]
            #attributes
            #format
            #(#bounds)*
            #rename
            pub #ident: #ty,
        }
    }

    /// The `minimum` and `maximum` of a number field for its JSON Schema, so that a reader of the schema (an
    /// LLM writing a tool call, say) learns the limits `validate` checks. An integer's bound is written as
    /// an integer.
    fn bounds(&self) -> Vec<TokenStream> {
        let integer = matches!(self.ty, FieldType::Integer);
        [("minimum", self.minimum), ("maximum", self.maximum)]
            .into_iter()
            .filter_map(|(key, bound)| {
                let bound = bound?;
                Some(if integer {
                    let bound = bound as i64;
                    quote! { #[schemars(extend(#key = #bound))] }
                } else {
                    quote! { #[schemars(extend(#key = #bound))] }
                })
            })
            .collect()
    }

    /// The setter of an optional field, storing `assigned` (made from `value`).
    fn setter(&self, ident: &Ident, arg_ty: &TokenStream, assigned: TokenStream) -> TokenStream {
        let doc = format!("Sets `{}`: {}", self.wire, self.description);
        quote! {
            #[doc = #doc]
            #[must_use]
            pub fn #ident(mut self, value: #arg_ty) -> Self {
                self.#ident = #assigned;
                self
            }
        }
    }

    /// The setter's argument type and the conversion applied to it.
    fn setter_arg(&self) -> (TokenStream, TokenStream) {
        if self.json_string {
            return (
                quote!(impl crate::typed_inputs::JsonText),
                quote!(crate::typed_inputs::JsonText::into_json_text),
            );
        }
        if self.converts {
            let ty = self.ty.rust();
            return (quote!(impl Into<#ty>), quote!(Into::into));
        }
        self.ty.setter_arg()
    }

    /// The validation of one field, as the spec constrains it.
    fn check(&self, ident: &Ident) -> TokenStream {
        let wire = &self.wire;
        let optional = !self.required && self.default.is_none();
        if let FieldType::Array(item) = &self.ty {
            if !matches!(**item, FieldType::String { uri: true }) {
                return TokenStream::new();
            }
            let each = quote! { crate::typed_inputs::check_uri(#wire, value)?; };
            return if optional {
                quote! { for value in self.#ident.iter().flatten() { #each } }
            } else {
                quote! { for value in &self.#ident { #each } }
            };
        }
        let body = self.value_checks(quote!(value));
        if body.is_empty() {
            return TokenStream::new();
        }
        if optional {
            quote! { if let Some(value) = &self.#ident { #body } }
        } else {
            quote! { { let value = &self.#ident; #body } }
        }
    }

    /// The checks of one value of this field (a reference to it is `value`).
    fn value_checks(&self, value: TokenStream) -> TokenStream {
        let wire = &self.wire;
        let mut out = TokenStream::new();
        if self.required && matches!(self.ty, FieldType::String { .. }) {
            out.extend(quote! {
                if #value.trim().is_empty() {
                    return Err(crate::Error::invalid_input(#wire, "must not be empty"));
                }
            });
        }
        if let FieldType::String { uri: true } = self.ty {
            out.extend(quote! { crate::typed_inputs::check_uri(#wire, #value)?; });
        }
        if self.json_string {
            out.extend(quote! { crate::typed_inputs::check_json_object(#wire, #value)?; });
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
}

impl DefaultValue {
    /// The default as a Rust expression of the field's type.
    fn literal(&self) -> TokenStream {
        match self {
            Self::String(s) => quote!(#s.to_string()),
            Self::Integer(n) => quote!(#n),
            Self::Number(n) => quote!(#n),
            Self::Boolean(b) => quote!(#b),
            Self::Variant(enum_name, variant) => {
                let ty = Ident::new(enum_name, Span::call_site());
                quote!(#ty::#variant)
            }
            Self::EmptyList => quote!(Vec::new()),
        }
    }
}
