//! Webhooks: the account's signing secret.

use std::fmt;

use crate::{Client, Error, Result};

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

impl Client {
    /// The signing secret of the account's default webhook.
    ///
    /// ```no_run
    /// # async fn demo(client: replicate_ideogram::Client) -> replicate_ideogram::Result<()> {
    /// let secret = client.webhook_secret().await?;
    /// # Ok(()) }
    /// ```
    pub async fn webhook_secret(&self) -> Result<WebhookSecret> {
        match self.shared.raw.webhooks_default_secret_get().await {
            Ok(secret) => Ok(WebhookSecret(secret.into_inner().key)),
            Err(error) => Err(Error::from_generated(error, "webhook secret", None).await),
        }
    }
}
