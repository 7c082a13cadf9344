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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_queries_and_fragments_are_dropped() {
        let signed = Url::parse("https://user:pw@cdn.example/out/a.png?sig=SECRET#frag").unwrap();
        assert_eq!(url(&signed), "https://cdn.example/out/a.png");
    }
}
