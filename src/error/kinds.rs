//! What an error is about, for a caller to branch on without matching variants or status numbers: whether
//! the server throttled, refused the token, found nothing, refused the input; whether the deadline passed;
//! whether trying again is safe; and the status and prediction it concerns.

use super::{Error, InvalidField, Operation};
use crate::Prediction;

impl Error {
    /// The id of the prediction this error concerns, when known.
    pub fn prediction_id(&self) -> Option<&str> {
        match self {
            Self::Api(api) => api.prediction_id.as_deref(),
            Self::PredictionFailed(p)
            | Self::PredictionCanceled(p)
            | Self::PredictionAborted(p) => Some(&p.id),
            Self::CreateUncertain { cause, .. } => cause.prediction_id(),
            Self::Timeout { prediction_id, .. }
            | Self::Transport { prediction_id, .. }
            | Self::Decode { prediction_id, .. } => prediction_id.as_deref(),
            Self::AdoptedByAnother { prediction_id }
            | Self::OutputMissing { prediction_id, .. }
            | Self::OutputMismatch { prediction_id, .. }
            | Self::OutputExpired { prediction_id, .. } => Some(prediction_id),
            _ => None,
        }
    }

    /// The prediction that finished unsuccessfully, for the `Prediction*` variants.
    pub fn prediction(&self) -> Option<&Prediction> {
        match self {
            Self::PredictionFailed(p)
            | Self::PredictionCanceled(p)
            | Self::PredictionAborted(p) => Some(p),
            _ => None,
        }
    }

    /// The HTTP status of an [`Error::Api`], [`Error::UnknownVersion`], [`Error::Decode`] or
    /// [`Error::Download`].
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Api(api) | Self::UnknownVersion { api, .. } => Some(api.status),
            Self::Decode { status, .. } => *status,
            Self::Download { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// `error` as [`Error::UnknownVersion`] when it is the server saying it does not know `version`: a 422 on
    /// a create by version that speaks of a version (Replicate's "Invalid version or not permitted"), or a
    /// 404 on reading the version.
    pub(crate) fn about_version(self, version: &str) -> Self {
        let Self::Api(api) = self else { return self };
        let text = format!(
            "{} {}",
            api.title.as_deref().unwrap_or_default(),
            api.detail.as_deref().unwrap_or_default()
        )
        .to_ascii_lowercase();
        let unknown = match api.operation {
            Operation::Create => api.status == 422 && text.contains("version"),
            Operation::GetVersion => api.status == 404,
            _ => false,
        };
        if unknown {
            Self::UnknownVersion {
                version: version.to_string(),
                api,
            }
        } else {
            Self::Api(api)
        }
    }

    /// The API refused the request for the account's rate limit (429), after the client waited as long as
    /// its [`RetryPolicy::max_throttled`](crate::RetryPolicy) allows.
    ///
    /// ```no_run
    /// # async fn demo(client: replicate_ideogram::Client) -> replicate_ideogram::Result<()> {
    /// use replicate_ideogram::models::IdeogramV2TurboInput;
    /// match client.run(IdeogramV2TurboInput::new("a fox")).await {
    ///     Err(error) if error.is_rate_limited() => eprintln!("slow down: {error}"),
    ///     other => println!("{:?}", other?),
    /// }
    /// # Ok(()) }
    /// ```
    pub fn is_rate_limited(&self) -> bool {
        self.status() == Some(429) && matches!(self, Self::Api(_))
    }

    /// The API refused the token: missing, wrong or revoked (401), or not allowed this (403).
    ///
    /// ```no_run
    /// # async fn demo(client: replicate_ideogram::Client) {
    /// if let Err(error) = client.account().await
    ///     && error.is_unauthorized()
    /// {
    ///     eprintln!("check REPLICATE_API_TOKEN: {error}");
    /// }
    /// # }
    /// ```
    pub fn is_unauthorized(&self) -> bool {
        matches!(self, Self::Api(api) if matches!(api.status, 401 | 403))
    }

    /// The API has no such thing (404): a prediction, a model, a file, or a version
    /// ([`Error::UnknownVersion`] from reading one).
    ///
    /// ```no_run
    /// # async fn demo(client: replicate_ideogram::Client) -> replicate_ideogram::Result<()> {
    /// match client.get("no-such-id").await {
    ///     Err(error) if error.is_not_found() => println!("gone"),
    ///     other => println!("{}", other?.status),
    /// }
    /// # Ok(()) }
    /// ```
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404) && matches!(self, Self::Api(_) | Self::UnknownVersion { .. })
    }

    /// The input was refused: by this crate before anything was sent ([`Error::InvalidInput`]), or by the
    /// server (422). [`invalid_fields`](Self::invalid_fields) says which fields and why.
    ///
    /// ```no_run
    /// # async fn demo(client: replicate_ideogram::Client) -> replicate_ideogram::Result<()> {
    /// use replicate_ideogram::models::IdeogramV2aInput;
    /// if let Err(error) = client.run(IdeogramV2aInput::new("a fox").seed(1 << 40)).await
    ///     && error.is_invalid_input()
    /// {
    ///     for field in error.invalid_fields() {
    ///         eprintln!("{}: {}", field.field, field.description);
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub fn is_invalid_input(&self) -> bool {
        match self {
            Self::InvalidInput { .. } => true,
            Self::Api(api) => api.status == 422,
            _ => false,
        }
    }

    /// The fields an invalid input was refused for, each with the reason: the one this crate named, or those
    /// the server's 422 listed (`invalid_fields`, or its detail when it listed none). Empty for other errors.
    pub fn invalid_fields(&self) -> Vec<InvalidField> {
        match self {
            Self::InvalidInput { field, reason } => vec![InvalidField {
                field: field.clone(),
                description: reason.clone(),
                kind: None,
            }],
            Self::Api(api) if api.status == 422 && !api.invalid_fields.is_empty() => {
                api.invalid_fields.clone()
            }
            Self::Api(api) if api.status == 422 => vec![InvalidField {
                field: "input".into(),
                description: api.detail.clone().or(api.title.clone()).unwrap_or_default(),
                kind: None,
            }],
            _ => Vec::new(),
        }
    }

    /// A deadline passed: a run's or wait's ([`Error::Timeout`], whose
    /// [`prediction_id`](Self::prediction_id) names the prediction, if one was made) or a download's.
    ///
    /// ```no_run
    /// # async fn demo(client: replicate_ideogram::Client) -> replicate_ideogram::Result<()> {
    /// use std::time::Duration;
    /// use replicate_ideogram::models::IdeogramV2TurboInput;
    /// let run = client.run(IdeogramV2TurboInput::new("a fox")).timeout(Duration::from_secs(30));
    /// match run.await {
    ///     Err(error) if error.is_timeout() => match error.prediction_id() {
    ///         Some(id) => println!("still running: wait for {id} later"),
    ///         None => println!("nothing was created; run it again"),
    ///     },
    ///     other => println!("{}", other?),
    /// }
    /// # Ok(()) }
    /// ```
    pub fn is_timeout(&self) -> bool {
        matches!(self, Self::Timeout { .. } | Self::DownloadTimeout { .. })
    }

    /// Whether making the same call again later may succeed, and cannot pay for a prediction twice: the
    /// network failed, the server was busy or throttled, a deadline passed before any prediction was made,
    /// a download failed. `false` when a prediction may exist ([`Error::CreateUncertain`], a timeout that
    /// names one: wait for it instead), when the input or token is wrong, or when the prediction itself
    /// failed.
    ///
    /// ```no_run
    /// # async fn demo(client: replicate_ideogram::Client) -> replicate_ideogram::Result<String> {
    /// use replicate_ideogram::models::IdeogramV2TurboInput;
    /// let mut tries = 0;
    /// loop {
    ///     match client.run(IdeogramV2TurboInput::new("a fox")).await {
    ///         Err(error) if error.is_retryable() && tries < 3 => tries += 1,
    ///         other => return other,
    ///     }
    /// }
    /// # }
    /// ```
    pub fn is_retryable(&self) -> bool {
        match self {
            // A create whose answer was lost reaches the caller as `CreateUncertain` unless the list proved
            // that nothing was made: a transport error that gets here made nothing.
            Self::Transport { .. } => true,
            Self::Api(api) => matches!(api.status, 408 | 429 | 500..=599),
            Self::Timeout { prediction_id, .. } => prediction_id.is_none(),
            Self::DownloadTimeout { .. } => true,
            Self::Download { status, .. } => matches!(status, 408 | 429 | 500..=599),
            _ => false,
        }
    }
}
