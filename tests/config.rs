//! Building a client: tokens, base URLs, and what `Debug` shows.

mod common;

use common::TOKEN;
use replicate_ideogram::{Client, Error};

#[test]
fn a_missing_or_empty_token_is_an_error_at_construction() {
    let missing = Client::builder().build().unwrap_err();
    assert!(
        matches!(&missing, Error::Config(m) if m.contains("REPLICATE_API_TOKEN")),
        "{missing}"
    );
    for empty in ["", "   "] {
        let error = Client::new(empty).unwrap_err();
        assert!(
            matches!(&error, Error::Config(m) if m.contains("empty")),
            "{error}"
        );
    }
    let error = Client::new("r8_abc\ndef").unwrap_err();
    assert!(matches!(error, Error::Config(_)));
}

#[test]
fn base_urls_are_checked() {
    for bad in [
        "http://proxy.example/v1",
        "not a url",
        "https://proxy.example/v1?x=1",
    ] {
        let error = Client::builder()
            .token(TOKEN)
            .base_url(bad)
            .build()
            .unwrap_err();
        assert!(
            matches!(&error, Error::Config(m) if m.contains(bad)),
            "{error}"
        );
    }
    let client = Client::builder()
        .token(TOKEN)
        .base_url("https://proxy.example/replicate/v1/")
        .build()
        .unwrap();
    assert_eq!(client.base_url(), "https://proxy.example/replicate/v1");
    assert_eq!(
        Client::new(TOKEN).unwrap().base_url(),
        "https://api.replicate.com/v1"
    );
}

#[test]
fn debug_never_shows_the_token() {
    let builder = Client::builder().token(TOKEN);
    assert!(!format!("{builder:?}").contains(TOKEN));
    let client = builder.build().unwrap();
    let shown = format!("{client:?} {client:#?}");
    assert!(
        !shown.contains(TOKEN) && !shown.contains("TestToken"),
        "{shown}"
    );
    assert!(shown.contains("redacted"));
}
