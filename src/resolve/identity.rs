//! What an input *is*, independent of where it sits in a file or of URLs that change between runs.
//!
//! Two forms of an input are used to recognise predictions:
//!
//! - the **sent form**: the input as it went on the wire, except that every inline file (a `data:` URL)
//!   stands as `{"$sha256": "<hex>"}`, the SHA-256 of its content. It is what a batch's journal records of a
//!   create (never a file's content) and what a listed prediction is compared with: a stored `data:` URL
//!   matches by the hash of its content, an uploaded file by its URL.
//! - the **identity form**: the sent form where uploaded files, too, stand as the hash of their content, in
//!   a canonical text (keys sorted, nulls dropped, `1.0` written `1`). Hashed with the target, it is the
//!   item's key: the same picture uploaded again under a new URL, or moved to another line of a batch file,
//!   is the same item.

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::digest::{hex, sha256_hex};

/// The key of a file's content hash in the sent and identity forms.
pub(crate) const FILE_HASH: &str = "$sha256";

/// `{"$sha256": "<hex>"}`: a file, standing as its content's hash.
pub(crate) fn file_marker(sha256: &str) -> Value {
    Value::Object(Map::from_iter([(
        FILE_HASH.to_string(),
        Value::String(sha256.to_string()),
    )]))
}

/// The content hash a value stands for, if it is a file marker.
pub(crate) fn marker_hash(value: &Value) -> Option<&str> {
    match value {
        Value::Object(object) if object.len() == 1 => object.get(FILE_HASH)?.as_str(),
        _ => None,
    }
}

/// The SHA-256 of a `data:` URL's content, or `None` for any other text. A `data:` URL whose content
/// cannot be decoded stands for its own text.
pub(crate) fn data_url_hash(text: &str) -> Option<String> {
    if !text
        .get(..5)
        .is_some_and(|p| p.eq_ignore_ascii_case("data:"))
    {
        return None;
    }
    Some(match crate::download::decode_data_url(text) {
        Ok(bytes) => sha256_hex(&bytes),
        Err(_) => sha256_hex(text.as_bytes()),
    })
}

/// The sent form of an input: every inline file replaced by the hash of its content.
pub(crate) fn sent_form(input: &Map<String, Value>) -> Map<String, Value> {
    input
        .iter()
        .map(|(key, value)| (key.clone(), map_strings(value, &|text| data_url_hash(text))))
        .collect()
}

/// The identity form of a sent form: uploaded files (`uploads` gives each URL's content hash) replaced by
/// the hash of their content too.
pub(crate) fn identity_form(
    sent: &Map<String, Value>,
    upload_hash: &dyn Fn(&str) -> Option<String>,
) -> Map<String, Value> {
    sent.iter()
        .map(|(key, value)| (key.clone(), map_strings(value, upload_hash)))
        .collect()
}

/// `value` with every string that `hash` names a file for replaced by that file's marker.
fn map_strings(value: &Value, hash: &dyn Fn(&str) -> Option<String>) -> Value {
    match value {
        Value::String(text) => match hash(text) {
            Some(sha256) => file_marker(&sha256),
            None => value.clone(),
        },
        Value::Array(items) => Value::Array(items.iter().map(|v| map_strings(v, hash)).collect()),
        Value::Object(object) if marker_hash(value).is_none() => Value::Object(
            object
                .iter()
                .map(|(k, v)| (k.clone(), map_strings(v, hash)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// The key of an item: its target (as [`Target`](crate::Target) displays it) and the canonical text of its
/// identity form, hashed (128 bits, hex).
pub(crate) fn key_of(target: &str, identity: &Map<String, Value>) -> String {
    let mut text = String::new();
    canonical(&Value::Object(identity.clone()), &mut text);
    let mut hash = Sha256::new();
    hash.update(target.as_bytes());
    hash.update([0]);
    hash.update(text.as_bytes());
    let digest = hash.finalize();
    hex(digest.get(..16).unwrap_or(&digest))
}

/// A canonical text of a JSON value: object keys sorted, null members dropped, numbers that are whole
/// written as integers. Two inputs a server treats alike get the same text whatever order or notation they
/// were written in.
fn canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(object) => {
            let mut keys: Vec<&String> = object
                .iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, _)| k)
                .collect();
            keys.sort();
            out.push('{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                if let Some(member) = object.get(key) {
                    canonical(member, out);
                }
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                canonical(item, out);
            }
            out.push(']');
        }
        Value::Number(number) => match number.as_f64() {
            Some(f) if number.is_f64() && f.fract() == 0.0 && f.abs() < 9.0e15 => {
                out.push_str(&format!("{}", f as i64));
            }
            _ => out.push_str(&number.to_string()),
        },
        other => out.push_str(&other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use base64::Engine;
    use serde_json::json;

    use super::*;

    fn map(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn an_inline_file_stands_as_its_contents_hash() {
        let png = base64::engine::general_purpose::STANDARD.encode(b"picture");
        let sent = sent_form(&map(json!({
            "prompt": "a fox",
            "image": format!("data:image/png;base64,{png}"),
            "refs": [format!("data:image/jpeg;base64,{png}"), "https://x/y.png"],
        })));
        let hash = sha256_hex(b"picture");
        assert_eq!(sent["image"], file_marker(&hash));
        assert_eq!(sent["refs"][0], file_marker(&hash), "the media type aside");
        assert_eq!(sent["refs"][1], "https://x/y.png");
        assert_eq!(
            data_url_hash("data:text/plain,a%20b"),
            Some(sha256_hex(b"a b"))
        );
        assert_eq!(data_url_hash("https://x"), None);
    }

    #[test]
    fn the_key_ignores_order_notation_nulls_and_upload_urls() {
        let a = map(json!({"prompt": "x", "seed": 7, "scale": 1.0, "n": null,
            "image": "https://up/1"}));
        let b = map(json!({"scale": 1, "image": "https://up/2", "seed": 7.0, "prompt": "x"}));
        let uploads = |url: &str| url.starts_with("https://up/").then(|| "h".to_string());
        let key = |m: &Map<String, Value>| key_of("model a/b", &identity_form(m, &uploads));
        assert_eq!(key(&a), key(&b));
        assert_eq!(key(&a).len(), 32);
        let other = map(json!({"prompt": "x", "seed": 8, "image": "https://up/1"}));
        assert_ne!(key(&a), key(&other));
        assert_ne!(
            key_of("model a/b", &a),
            key_of("model a/c", &a),
            "the target is part of it"
        );
    }
}
