//! Changing the case of names: the one place the build step and `spec sync` do it. Plain std, so that the
//! build script and the library (`src/workspace_only/`, which the CLI's `spec_sync` uses) can both include it
//! with `#[path]`.

/// `aspect_ratio` or `ideogram-v4-turbo` → `AspectRatio`, `IdeogramV4Turbo`: every run of ASCII letters and
/// digits with its first letter in upper case, the rest dropped. Where two runs of digits would meet,
/// `between_numbers` keeps them apart (`"16:9"` with `"x"` → `16x9`).
pub fn camel(text: &str, between_numbers: &str) -> String {
    let mut name = String::new();
    let words = text
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty());
    for word in words {
        if name.ends_with(|c: char| c.is_ascii_digit())
            && word.starts_with(|c: char| c.is_ascii_digit())
        {
            name.push_str(between_numbers);
        }
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            name.push(first.to_ascii_uppercase());
            name.push_str(chars.as_str());
        }
    }
    name
}

/// `IdeogramV2TurboInput` → `ideogram_v2_turbo_input`: every upper-case letter in lower case, with an `_`
/// before it unless it starts the name.
pub fn snake(name: &str) -> String {
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
