//! URLs as messages and traces may show them: without `user:password@`, a query (which may hold a
//! signature) or a fragment.

use reqwest::Url;

/// `url` without its credentials, query and fragment.
pub(crate) fn url(url: &Url) -> String {
    let mut shown = url.clone();
    // Both fail only for URLs that cannot have credentials (`data:`), which have none to hide.
    let _ = shown.set_username("");
    let _ = shown.set_password(None);
    shown.set_query(None);
    shown.set_fragment(None);
    shown.to_string()
}

/// A URL given as text (perhaps malformed), as written but without the `user:password@` of its authority:
/// for messages about the URL itself, whose query may be the point.
pub(crate) fn url_text(text: &str) -> String {
    let Some(scheme_end) = text.find("://").map(|at| at + 3) else {
        return text.to_string();
    };
    let authority_end = text[scheme_end..]
        .find(['/', '?', '#'])
        .map_or(text.len(), |at| scheme_end + at);
    match text[scheme_end..authority_end].rfind('@') {
        Some(at) => format!("{}{}", &text[..scheme_end], &text[scheme_end + at + 1..]),
        None => text.to_string(),
    }
}

/// A transport error as a trace may show it: its URL redacted as [`url`] does. Formatted only when shown.
pub(crate) struct TransportError<'a>(pub(crate) &'a reqwest::Error);

impl std::fmt::Display for TransportError<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text = self.0.to_string();
        match self.0.url() {
            Some(full) => f.write_str(&text.replace(full.as_str(), &url(full))),
            None => f.write_str(&text),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_queries_and_fragments_are_dropped() {
        let signed = Url::parse("https://user:pw@cdn.example/out/a.png?sig=SECRET#frag").unwrap();
        assert_eq!(url(&signed), "https://cdn.example/out/a.png");
        assert_eq!(
            url_text("https://user:pw@proxy.example/v1"),
            "https://proxy.example/v1"
        );
        assert_eq!(
            url_text("https://user:p w@bad host/v1"),
            "https://bad host/v1"
        );
        assert_eq!(url_text("not a url"), "not a url");
        assert_eq!(
            url_text("https://proxy.example/v1?x=1"),
            "https://proxy.example/v1?x=1"
        );
    }
}
