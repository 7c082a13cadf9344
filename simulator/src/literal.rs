//! The prompt marker `[output=<json>]`: a prediction that succeeds with exactly that JSON as its output.

use serde_json::Value;

/// What opens the marker; the JSON follows, then `]`.
const OPENING: &str = "[output=";

/// The JSON of the first well-formed `[output=<json>]` in `prompt`, if any. The JSON holds brackets of its
/// own, so it is read as one JSON value from after the `=`, and the marker ends at the `]` after it.
pub(crate) fn literal_output(prompt: &str) -> Option<Value> {
    prompt
        .match_indices(OPENING)
        .find_map(|(at, _)| marked_value(prompt.get(at + OPENING.len()..)?))
}

/// The JSON value at the start of `text`, if `]` follows it.
fn marked_value(text: &str) -> Option<Value> {
    let mut values = serde_json::Deserializer::from_str(text).into_iter::<Value>();
    let value = values.next()?.ok()?;
    let rest = text.get(values.byte_offset()..)?;
    rest.trim_start().starts_with(']').then_some(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_json_after_the_marker_is_the_output() {
        assert_eq!(literal_output("a cat [output=[]]"), Some(json!([])));
        assert_eq!(literal_output("[output={}] a cat"), Some(json!({})));
        assert_eq!(
            literal_output("x [output=[null,5]] y"),
            Some(json!([null, 5]))
        );
        assert_eq!(literal_output("[output=null]"), Some(Value::Null));
        assert_eq!(literal_output("[output=5]"), Some(json!(5)));
        assert_eq!(
            literal_output(r#"[output={"a": ["]", [1]]} ]"#),
            Some(json!({"a": ["]", [1]]}))
        );
    }

    #[test]
    fn a_marker_that_does_not_parse_is_ignored() {
        assert_eq!(literal_output("a cat"), None);
        assert_eq!(literal_output("[output=nope]"), None);
        assert_eq!(literal_output("[output=[1,2]"), None);
        assert_eq!(literal_output("[output=[1] [2]]"), None);
        assert_eq!(literal_output("[output="), None);
        assert_eq!(
            literal_output("[output=bad] then [output=[7]]"),
            Some(json!([7]))
        );
    }
}
