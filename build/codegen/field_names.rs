//! The Rust name of a model input's field, from its name on the wire.
//!
//! A published schema may name a field anything: `crate`, `self`, `a-b`, `1x`, `imageUrl`. Each becomes a
//! valid identifier (`#[serde(rename)]` keeps the wire name), or the build stops with one line naming it.

use proc_macro2::{Ident, Span};

/// Keywords that work as raw identifiers (`r#type`).
const RAW_KEYWORDS: &[&str] = &[
    "as", "async", "await", "box", "break", "const", "continue", "dyn", "else", "enum", "extern",
    "false", "fn", "for", "gen", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut",
    "pub", "ref", "return", "static", "struct", "trait", "true", "type", "unsafe", "use", "where",
    "while", "yield",
];

/// Names that cannot be raw identifiers, or that a field's setter would clash with (`new`): they get a
/// trailing `_`.
const SUFFIXED: &[&str] = &["crate", "self", "Self", "super", "new"];

/// The identifier for the field `wire`, as text (`r#type` for a keyword that allows it): snake case, every
/// character but ASCII letters, digits and `_` turned into `_`, a leading digit prefixed with `field_`.
pub fn rust_name(wire: &str) -> Result<String, String> {
    let mut name = String::new();
    let mut previous: Option<char> = None;
    for c in wire.chars() {
        if c.is_ascii_uppercase() {
            if previous.is_some_and(|p| p.is_ascii_lowercase() || p.is_ascii_digit()) {
                name.push('_');
            }
            name.push(c.to_ascii_lowercase());
        } else if c.is_ascii_alphanumeric() || c == '_' {
            name.push(c);
        } else {
            name.push('_');
        }
        previous = Some(c);
    }
    if name.chars().all(|c| c == '_') {
        return Err(format!(
            "field `{wire}` has no letter or digit to name it by in Rust"
        ));
    }
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        name.insert_str(0, "field_");
    }
    if SUFFIXED.contains(&name.as_str()) {
        name.push('_');
    } else if RAW_KEYWORDS.contains(&name.as_str()) {
        name.insert_str(0, "r#");
    }
    Ok(name)
}

/// The identifier for a name made by [`rust_name`].
pub fn ident(name: &str) -> Ident {
    match name.strip_prefix("r#") {
        Some(keyword) => Ident::new_raw(keyword, Span::call_site()),
        None => Ident::new(name, Span::call_site()),
    }
}

/// The Rust names of `wires`, or the first two that would share one.
pub fn distinct_names<'a>(wires: impl IntoIterator<Item = &'a str>) -> Result<Vec<String>, String> {
    let mut names: Vec<(String, &str)> = Vec::new();
    for wire in wires {
        let name = rust_name(wire)?;
        if let Some((_, other)) = names.iter().find(|(n, _)| *n == name) {
            return Err(format!(
                "fields `{other}` and `{wire}` would both be `{name}` in Rust; rename one"
            ));
        }
        names.push((name, wire));
    }
    Ok(names.into_iter().map(|(name, _)| name).collect())
}
