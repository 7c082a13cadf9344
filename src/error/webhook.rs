//! Why a webhook request was rejected: the reasons [`Error::Webhook`](super::Error::Webhook) carries.

/// Why a webhook request was rejected.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WebhookError {
    /// A required header is missing or not text.
    #[error("the {0} header is missing")]
    MissingHeader(&'static str),
    /// `webhook-timestamp` is not a number of seconds.
    #[error("the webhook-timestamp header is not a number of seconds")]
    InvalidTimestamp,
    /// The timestamp is further from now than the tolerance: a replay, or a clock far off.
    #[error(
        "the webhook is {age_seconds}s away from now, more than the {tolerance_seconds}s tolerated"
    )]
    Expired {
        /// How far the timestamp is from now, in seconds.
        age_seconds: u64,
        /// The tolerance, in seconds.
        tolerance_seconds: u64,
    },
    /// `webhook-signature` holds no `v1,<base64>` entry.
    #[error("the webhook-signature header has no v1 signature")]
    MalformedSignature,
    /// No signature matches: the body or headers were altered, or it was signed with another secret.
    #[error("no webhook signature matches: the request was altered or signed with another secret")]
    SignatureMismatch,
}
