//! Webhooks: the account's signing secret, and verifying the requests Replicate sends.
//!
//! Replicate signs webhooks with the Standard Webhooks scheme: `webhook-id`, `webhook-timestamp` (seconds
//! since the epoch) and `webhook-signature` (space-separated `v1,<base64>` entries) headers; the signature is
//! HMAC-SHA256 over `{id}.{timestamp}.{raw body}` with the key from the `whsec_` secret.

use std::{
    fmt,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use reqwest::header::HeaderMap;
use sha2::Sha256;

use crate::{
    Client, Error, Operation, Prediction, Result, error::WebhookError, retry::read_again_if_broken,
};

/// The secret Replicate signs webhook requests with (`whsec_…`). `Debug` does not show it.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookSecret(String);

impl WebhookSecret {
    /// The secret itself, to configure a verifier.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WebhookSecret([redacted])")
    }
}

impl WebhookSecret {
    /// A verifier for requests signed with this secret.
    pub fn verifier(&self) -> Result<WebhookVerifier> {
        WebhookVerifier::new(&self.0)
    }
}

/// A webhook request that passed verification: its id and its payload.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct VerifiedWebhook {
    /// The `webhook-id` header: the same for every delivery of one message. A signed request can be
    /// replayed within the timestamp tolerance, so a receiver that must act once drops an id it has seen.
    pub id: String,
    /// The prediction the webhook is about, as it was when the webhook was sent.
    pub prediction: Prediction,
}

/// Verifies webhook requests signed with one secret, and parses their payload.
///
/// ```no_run
/// use std::collections::HashSet;
/// use replicate_ideogram::WebhookVerifier;
/// # use reqwest::header::HeaderMap;
/// # fn demo(headers: &HeaderMap, body: &[u8], seen: &mut HashSet<String>) -> replicate_ideogram::Result<()> {
/// let verifier = WebhookVerifier::new("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")?;
/// let webhook = verifier.verify(headers, body)?; // once the signature and timestamp check out
/// if seen.insert(webhook.id.clone()) {
///     println!("{} is {}", webhook.prediction.id, webhook.prediction.status);
/// } // else: a replay or a redelivery of a message already handled
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct WebhookVerifier {
    key: Vec<u8>,
    tolerance: Duration,
}

impl fmt::Debug for WebhookVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookVerifier")
            .field("key", &"[redacted]")
            .field("tolerance", &self.tolerance)
            .finish()
    }
}

impl WebhookVerifier {
    /// The default tolerance for a webhook's timestamp, either way: five minutes (the Standard Webhooks
    /// convention). Change it with [`tolerance`](Self::tolerance).
    ///
    /// ```no_run
    /// # fn demo(secret: &str) -> replicate_ideogram::Result<()> {
    /// use replicate_ideogram::WebhookVerifier;
    /// let verifier = WebhookVerifier::new(secret)?.tolerance(WebhookVerifier::DEFAULT_TOLERANCE * 2);
    /// # Ok(()) }
    /// ```
    pub const DEFAULT_TOLERANCE: Duration = Duration::from_secs(5 * 60);

    /// A verifier for `secret` (`whsec_<base64>`), with the default tolerance of five minutes.
    pub fn new(secret: &str) -> Result<Self> {
        let encoded = secret
            .trim()
            .strip_prefix("whsec_")
            .unwrap_or(secret.trim());
        let key = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .map_err(|e| Error::Config(format!("the webhook secret is not whsec_<base64>: {e}")))?;
        if key.is_empty() {
            return Err(Error::Config("the webhook secret is empty".into()));
        }
        Ok(Self {
            key,
            tolerance: Self::DEFAULT_TOLERANCE,
        })
    }

    /// How far a request's timestamp may be from now, either way.
    #[must_use]
    pub fn tolerance(mut self, tolerance: Duration) -> Self {
        self.tolerance = tolerance;
        self
    }

    /// Checks a request's signature and timestamp against the clock, then parses its payload (the
    /// prediction). Pass the headers and the raw body exactly as received. The `webhook-id` comes back with
    /// the prediction: keep the ids seen within the tolerance to drop replays.
    pub fn verify(&self, headers: &HeaderMap, body: &[u8]) -> Result<VerifiedWebhook> {
        self.verify_at(headers, body, SystemTime::now())
    }

    /// [`verify`](Self::verify) as of `now`.
    pub fn verify_at(
        &self,
        headers: &HeaderMap,
        body: &[u8],
        now: SystemTime,
    ) -> Result<VerifiedWebhook> {
        let header = |name: &'static str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .ok_or(Error::Webhook(WebhookError::MissingHeader(name)))
        };
        let id = header("webhook-id")?;
        let timestamp = header("webhook-timestamp")?;
        let signatures = header("webhook-signature")?;
        self.check(id, timestamp, signatures, body, now)
            .map_err(Error::Webhook)?;
        Ok(VerifiedWebhook {
            id: id.to_string(),
            prediction: Prediction::decode(body, Operation::VerifyWebhook)?,
        })
    }

    /// The `webhook-signature` value Replicate would send for a message (`v1,<base64>`): for testing a
    /// receiver with requests signed as Replicate signs them.
    ///
    /// ```
    /// use std::time::SystemTime;
    /// use replicate_ideogram::WebhookVerifier;
    ///
    /// let verifier = WebhookVerifier::new("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")?;
    /// let now = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH)?.as_secs() as i64;
    /// let signature = verifier.sign("msg_1", now, b"{}");
    /// assert!(verifier.check("msg_1", &now.to_string(), &signature, b"{}", SystemTime::now()).is_ok());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        let digest = signed_content(&self.key, id, &timestamp.to_string(), body)
            .finalize()
            .into_bytes();
        format!(
            "v1,{}",
            base64::engine::general_purpose::STANDARD.encode(digest)
        )
    }

    /// The signature and timestamp check alone.
    pub fn check(
        &self,
        id: &str,
        timestamp: &str,
        signatures: &str,
        body: &[u8],
        now: SystemTime,
    ) -> std::result::Result<(), WebhookError> {
        let seconds: i64 = timestamp
            .trim()
            .parse()
            .map_err(|_| WebhookError::InvalidTimestamp)?;
        let now_seconds = now
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or_default();
        let age = now_seconds.abs_diff(seconds);
        if age > self.tolerance.as_secs() {
            return Err(WebhookError::Expired {
                age_seconds: age,
                tolerance_seconds: self.tolerance.as_secs(),
            });
        }
        let candidates: Vec<Vec<u8>> = signatures
            .split_whitespace()
            .filter_map(|entry| entry.strip_prefix("v1,"))
            .filter_map(|b64| base64::engine::general_purpose::STANDARD.decode(b64).ok())
            .collect();
        if candidates.is_empty() {
            return Err(WebhookError::MalformedSignature);
        }
        let mac = signed_content(&self.key, id, timestamp.trim(), body);
        // Constant-time comparison with each candidate.
        let matched = candidates
            .iter()
            .any(|candidate| mac.clone().verify_slice(candidate).is_ok());
        if matched {
            Ok(())
        } else {
            Err(WebhookError::SignatureMismatch)
        }
    }
}

/// The MAC over `{id}.{timestamp}.{body}`.
#[allow(
    clippy::expect_used,
    reason = "HMAC takes keys of any length: new_from_slice cannot fail"
)]
fn signed_content(key: &[u8], id: &str, timestamp: &str, body: &[u8]) -> Hmac<Sha256> {
    let mut mac =
        <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC accepts any key length");
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

impl Client {
    /// The signing secret of the account's default webhook.
    ///
    /// ```no_run
    /// # async fn demo(client: replicate_ideogram::Client) -> replicate_ideogram::Result<()> {
    /// let secret = client.webhook_secret().await?;
    /// # Ok(()) }
    /// ```
    pub async fn webhook_secret(&self) -> Result<WebhookSecret> {
        read_again_if_broken(
            self.shared.transport.retry(),
            Operation::GetWebhookSecret,
            || async {
                match self.shared.api.webhooks_default_secret_get().await {
                    Ok(secret) => Ok(WebhookSecret(secret.into_inner().key)),
                    Err(error) => {
                        Err(Error::from_generated(error, Operation::GetWebhookSecret, None).await)
                    }
                }
            },
        )
        .await
    }
}
