//! The Rust enum of a string-enum component: wire-string serde names, a documented variant per value,
//! `ALL`, `as_str`, `Display`, `FromStr` and its JSON Schema.

use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;

use super::spec::FriendlyEnum;

impl FriendlyEnum {
    pub fn to_tokens(&self) -> TokenStream {
        let name = Ident::new(&self.name, Span::call_site());
        let label = &self.label;
        let doc = &self.description;
        let idents: Vec<&Ident> = self.variants.iter().map(|(i, _)| i).collect();
        let wires: Vec<&str> = self.variants.iter().map(|(_, w)| w.as_str()).collect();
        let what = label.replace('_', " ");
        let variant_docs = wires
            .iter()
            .map(|wire| format!("The {what} `{wire}` (sent as `\"{wire}\"`)."));
        let schema = self.json_schema_tokens(&name, &wires);
        quote! {
            #[doc = #doc]
            ///
            /// Parses from and prints as the wire string (`"16:9"`, `"Render 3D"`).
            #[derive(
                Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord,
                ::serde::Serialize, ::serde::Deserialize,
            )]
            #[non_exhaustive]
            pub enum #name {
                #(
                    #[doc = #variant_docs]
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

            #schema
        }
    }

    /// `JsonSchema` by hand: derived, documented variants would turn the schema's `enum` into a `oneOf` of
    /// one-value schemas, which the spec does not have and tools read less well. The schema is what the
    /// derive gave before the variants had docs: a string, its values, the component's description.
    fn json_schema_tokens(&self, name: &Ident, wires: &[&str]) -> TokenStream {
        let (type_name, doc) = (&self.name, &self.description);
        let description = (!doc.is_empty()).then(|| quote! { "description": #doc, });
        quote! {
            impl ::schemars::JsonSchema for #name {
                fn schema_name() -> ::std::borrow::Cow<'static, str> {
                    ::std::borrow::Cow::Borrowed(#type_name)
                }

                fn schema_id() -> ::std::borrow::Cow<'static, str> {
                    ::std::borrow::Cow::Borrowed(concat!(module_path!(), "::", #type_name))
                }

                fn json_schema(_: &mut ::schemars::SchemaGenerator) -> ::schemars::Schema {
                    ::schemars::json_schema!({ #description "type": "string", "enum": [#(#wires),*] })
                }
            }
        }
    }
}
