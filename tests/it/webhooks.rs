//! Verifying webhook requests: the public test vector, and every way a request can be wrong.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use proptest::prelude::*;
use replicate_ideogram::{Error, Operation, WebhookError, WebhookVerifier};
use reqwest::header::{HeaderMap, HeaderValue};

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
const TIMESTAMP: &str = "1614265330";
const BODY: &[u8] = br#"{"test": 2432232314}"#;
const SIGNATURE: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

fn at(seconds: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(seconds)
}

fn vector_time() -> SystemTime {
    at(TIMESTAMP.parse().unwrap())
}

fn verifier() -> WebhookVerifier {
    WebhookVerifier::new(SECRET).unwrap()
}

#[test]
fn the_public_test_vector_passes() {
    assert_eq!(
        verifier().check(ID, TIMESTAMP, SIGNATURE, BODY, vector_time()),
        Ok(())
    );
}

#[test]
fn any_of_several_signatures_may_match() {
    let several = format!("v1,AAAA v1a,xyz {SIGNATURE} v1,bm90LWl0");
    assert_eq!(
        verifier().check(ID, TIMESTAMP, &several, BODY, vector_time()),
        Ok(())
    );
}

#[test]
fn tampered_requests_are_rejected() {
    let v = verifier();
    let tampered_body = br#"{"test": 2432232315}"#;
    assert_eq!(
        v.check(ID, TIMESTAMP, SIGNATURE, tampered_body, vector_time()),
        Err(WebhookError::SignatureMismatch)
    );
    assert_eq!(
        v.check("msg_other", TIMESTAMP, SIGNATURE, BODY, vector_time()),
        Err(WebhookError::SignatureMismatch)
    );
    let other_secret = WebhookVerifier::new("whsec_c2VjcmV0LW9mLXNvbWVvbmUtZWxzZQ==").unwrap();
    assert_eq!(
        other_secret.check(ID, TIMESTAMP, SIGNATURE, BODY, vector_time()),
        Err(WebhookError::SignatureMismatch)
    );
}

#[test]
fn expired_and_future_requests_are_rejected() {
    let v = verifier();
    let t: u64 = TIMESTAMP.parse().unwrap();
    assert_eq!(v.check(ID, TIMESTAMP, SIGNATURE, BODY, at(t + 300)), Ok(()));
    assert_eq!(
        v.check(ID, TIMESTAMP, SIGNATURE, BODY, at(t + 301)),
        Err(WebhookError::Expired {
            age_seconds: 301,
            tolerance_seconds: 300
        })
    );
    assert!(matches!(
        v.check(ID, TIMESTAMP, SIGNATURE, BODY, at(t - 400)),
        Err(WebhookError::Expired { .. })
    ));
    let lenient = verifier().tolerance(Duration::from_secs(3600));
    assert_eq!(
        lenient.check(ID, TIMESTAMP, SIGNATURE, BODY, at(t + 3000)),
        Ok(())
    );
}

#[test]
fn malformed_headers_are_rejected_with_their_own_errors() {
    let v = verifier();
    assert_eq!(
        v.check(ID, "yesterday", SIGNATURE, BODY, vector_time()),
        Err(WebhookError::InvalidTimestamp)
    );
    for bad in [
        "",
        "g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
        "v2,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
        "v1,!!!",
    ] {
        assert_eq!(
            v.check(ID, TIMESTAMP, bad, BODY, vector_time()),
            Err(WebhookError::MalformedSignature),
            "{bad:?}"
        );
    }
    let mut headers = HeaderMap::new();
    headers.insert("webhook-id", HeaderValue::from_static(ID));
    headers.insert("webhook-signature", HeaderValue::from_static(SIGNATURE));
    let error = v.verify_at(&headers, BODY, vector_time()).unwrap_err();
    assert!(
        matches!(
            error,
            Error::Webhook(WebhookError::MissingHeader("webhook-timestamp"))
        ),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        "webhook rejected: the webhook-timestamp header is missing"
    );
}

#[test]
fn secrets_must_be_whsec_base64() {
    assert!(matches!(
        WebhookVerifier::new("whsec_***"),
        Err(Error::Config(_))
    ));
    assert!(matches!(
        WebhookVerifier::new("whsec_"),
        Err(Error::Config(_))
    ));
    assert!(!format!("{:?}", verifier()).contains("MfKQ9r8"));
}

#[test]
fn a_verified_payload_is_parsed_into_a_prediction() {
    let body = include_bytes!("../fixtures/example_response.json");
    let now = SystemTime::now();
    let timestamp = now
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
        .to_string();
    let signature = sign(SECRET, "msg_1", &timestamp, body);
    let mut headers = HeaderMap::new();
    headers.insert("webhook-id", HeaderValue::from_static("msg_1"));
    headers.insert("webhook-timestamp", timestamp.parse().unwrap());
    headers.insert("webhook-signature", signature.parse().unwrap());
    let webhook = verifier().verify(&headers, body).unwrap();
    assert_eq!(webhook.prediction.id, "2jycc2v9nnrmc0crap5tv5zaxr");
    // The id comes back, so that a receiver can drop a replay of the same message.
    assert_eq!(webhook.id, "msg_1");

    // Signed, but not a prediction: a decode error, after the signature passed.
    let signature = sign(SECRET, "msg_2", &timestamp, BODY);
    headers.insert("webhook-id", HeaderValue::from_static("msg_2"));
    headers.insert("webhook-signature", signature.parse().unwrap());
    assert!(matches!(
        verifier().verify(&headers, BODY),
        Err(Error::Decode {
            operation: Operation::VerifyWebhook,
            ..
        })
    ));
}

/// Signs as the sender does, independently of the crate: HMAC-SHA256 over `{id}.{timestamp}.{body}`.
fn sign(secret: &str, id: &str, timestamp: &str, body: &[u8]) -> String {
    use base64::Engine;
    use hmac::{Hmac, KeyInit, Mac};
    let key = base64::engine::general_purpose::STANDARD
        .decode(secret.trim_start_matches("whsec_"))
        .unwrap();
    let mut mac = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(&key).unwrap();
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(body);
    format!(
        "v1,{}",
        base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
    )
}

proptest! {
    #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]
    #[test]
    fn signed_requests_verify_and_any_change_fails(
        body in proptest::collection::vec(any::<u8>(), 0..512),
        id in "[a-zA-Z0-9_]{1,40}",
        offset in 0i64..300,
        flip in any::<prop::sample::Index>(),
    ) {
        let now = 1_700_000_000u64;
        let timestamp = (now as i64 - offset).to_string();
        let signature = sign(SECRET, &id, &timestamp, &body);
        let v = verifier();
        prop_assert_eq!(v.check(&id, &timestamp, &signature, &body, at(now)), Ok(()));
        if !body.is_empty() {
            let mut changed = body.clone();
            let i = flip.index(changed.len());
            changed[i] ^= 0x01;
            prop_assert_eq!(v.check(&id, &timestamp, &signature, &changed, at(now)), Err(WebhookError::SignatureMismatch));
        }
    }

    #[test]
    fn arbitrary_headers_never_panic(
        id in ".{0,64}",
        timestamp in ".{0,24}",
        signature in ".{0,200}",
        body in proptest::collection::vec(any::<u8>(), 0..256),
    ) {
        let result = verifier().check(&id, &timestamp, &signature, &body, SystemTime::now());
        prop_assert!(result.is_err());
    }
}
