//! The pieces of an answer's body that an error quotes: a snippet, an HTML page's title, a prediction id.

use super::SNIPPET_CHARS;

/// How much of a body a snippet looks at: room for `SNIPPET_CHARS` characters of 4 bytes and many blanks.
const SNIPPET_SCAN_BYTES: usize = 4 * 1024;

/// The text of an HTML page's `<title>`, if the body is one.
pub(crate) fn html_title(body: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(body);
    let lower = text.to_ascii_lowercase();
    let start = lower.find("<title>")? + "<title>".len();
    let end = start + lower[start..].find("</title>")?;
    let title = text[start..end]
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    (!title.is_empty()).then_some(title)
}

/// The start of a body as one line of text, for messages. Only the first `SNIPPET_SCAN_BYTES` are looked at:
/// a snippet of a 16 MiB body costs what one of a small body does.
pub(crate) fn snippet(body: &[u8]) -> String {
    let mut prefix = body.get(..SNIPPET_SCAN_BYTES).unwrap_or(body);
    // A character cut in two at the end of the prefix is left out, not shown as a replacement character.
    if let Err(e) = std::str::from_utf8(prefix)
        && e.error_len().is_none()
    {
        prefix = prefix.get(..e.valid_up_to()).unwrap_or_default();
    }
    let text = String::from_utf8_lossy(prefix);
    let mut out = String::new();
    let mut chars = 0;
    let mut cut = body.len() > SNIPPET_SCAN_BYTES;
    'words: for word in text.split_whitespace() {
        let separator = (!out.is_empty()).then_some(' ');
        for c in separator.into_iter().chain(word.chars()) {
            if chars == SNIPPET_CHARS {
                cut = true;
                break 'words;
            }
            out.push(c);
            chars += 1;
        }
    }
    if cut {
        out.push('…');
    }
    out
}

/// The `"id"` of a prediction in a body that may be truncated or malformed.
pub(crate) fn id_in_body(body: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?;
    let after = &text[text.find("\"id\"")? + 4..];
    let after = after
        .trim_start()
        .strip_prefix(':')?
        .trim_start()
        .strip_prefix('"')?;
    let id = &after[..after.find('"')?];
    crate::prediction::is_plain_id(id).then(|| id.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_snippet_looks_only_at_the_start_of_a_body() {
        let mut body = vec![b' '; 16 * 1024 * 1024];
        body.extend_from_slice(b"late words");
        assert_eq!(snippet(&body), "…");
        let words = "word ".repeat(200_000);
        let shown = snippet(words.as_bytes());
        assert_eq!(shown.chars().count(), SNIPPET_CHARS + 1);
        assert!(
            shown.starts_with("word word") && shown.ends_with('…'),
            "{shown}"
        );
    }

    #[test]
    fn a_short_body_is_shown_whole_on_one_line() {
        assert_eq!(
            snippet(b"  <html>\n  <b>Bad</b>\tgateway \n"),
            "<html> <b>Bad</b> gateway"
        );
        assert_eq!(snippet(b""), "");
        // A character cut by the scan limit is dropped, not replaced.
        let mut body = vec![b' '; SNIPPET_SCAN_BYTES - 1];
        body.extend_from_slice("é".as_bytes());
        assert_eq!(snippet(&body), "…");
    }
}
