//! A long-running property test over everything that reads what a server sends: answers mapped to errors
//! (problem details, HTML pages, anything), the snippet and title taken from them, prediction JSON, the
//! hints in a 429's words and headers, `Date` headers. Each must return (never panic) and stay bounded.
//!
//! Not part of the normal suite (it runs for as long as it is told):
//! `FUZZ_CASES=200000 cargo test --release --all-features --lib transport::fuzz -- --ignored --nocapture`.

use proptest::{
    prelude::*,
    test_runner::{Config, TestRunner},
};
use reqwest::header::{HeaderMap, HeaderValue};

use super::answer::api_error;
use crate::{
    Prediction,
    error::{Operation, html_title, id_in_body, snippet},
    governor::wait_in_body,
    retry::parse_retry_after,
};

/// Bytes that are mostly JSON, HTML or problem-details shaped, so the decoders get past their first byte.
fn answers() -> impl Strategy<Value = Vec<u8>> {
    let shaped = prop_oneof![
        "\\{(\"(id|status|title|detail|type|invalid_fields|output|input|created_at|urls)\": ?(\"[^\"]{0,40}\"|[0-9.e+-]{1,12}|null|true|\\[|\\{|\\}|\\]),? ?){0,12}\\}?",
        "<(html|HTML|title|TITLE)>[^<]{0,200}(</title>)?(<body>)?[\\s\\S]{0,200}",
        "(rate limit|resets in ~|Expected available in |Request was throttled\\. )[0-9]{0,12}(\\.[0-9]{0,3})? ?(s|seconds|ms)?",
        "[\\s\\S]{0,600}",
    ]
    .prop_map(String::into_bytes);
    prop_oneof![shaped, proptest::collection::vec(any::<u8>(), 0..2048)]
}

fn check(body: &[u8], status: u16, header: &str) {
    let text = String::from_utf8_lossy(body);
    let mut headers = HeaderMap::new();
    if let Ok(value) = HeaderValue::from_str(header) {
        headers.insert(reqwest::header::RETRY_AFTER, value);
    }
    let error = api_error(Operation::Get, status, &headers, body, None);
    assert!(error.to_string().chars().count() < 2_000 + body.len());
    assert!(snippet(body).chars().count() <= 260);
    if let Some(title) = html_title(body) {
        assert!(title.chars().count() <= 2_000);
    }
    if let Some(id) = id_in_body(body) {
        assert!(!id.is_empty());
    }
    let _ = Prediction::from_json(body);
    let _ = wait_in_body(&text);
    let _ = parse_retry_after(header);
    let clock = crate::clock::ServerClock::default();
    let now = chrono::Utc::now();
    clock.observe_date(now, now, header);
    let _ = clock.window(now, now);
}

#[test]
#[ignore = "long-running: FUZZ_CASES sets how many inputs (see the module docs)"]
fn nothing_a_server_sends_panics_or_grows_without_bound() {
    let cases = std::env::var("FUZZ_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(20_000);
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let started = std::time::Instant::now();
    let inputs = (answers(), 100u16..=599, "[ -~]{0,40}");
    runner
        .run(&inputs, |(body, status, header)| {
            check(&body, status, &header);
            Ok(())
        })
        .unwrap();
    println!(
        "{cases} inputs in {:.1} s, no panic",
        started.elapsed().as_secs_f64()
    );
}

#[test]
fn a_few_inputs_of_each_shape_pass_in_the_normal_suite() {
    let mut runner = TestRunner::new(Config {
        cases: 200,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(
            &(answers(), 100u16..=599, "[ -~]{0,40}"),
            |(body, status, header)| {
                check(&body, status, &header);
                Ok(())
            },
        )
        .unwrap();
}
