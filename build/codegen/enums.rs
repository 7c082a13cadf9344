//! The Rust enum of a string-enum component: wire-string serde names, `ALL`, `as_str`, `Display` and
//! `FromStr`.

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
