//! Canceling what a dropped batch had in flight, when it asks for that: a prediction whose id is known, and
//! one whose create is still on its way (held by `Prefer: wait`, most of an ideogram prediction's life),
//! found the way a lost create is found, then canceled.

use chrono::{DateTime, Utc};

use crate::{Client, resolve::matching::Sent};

/// Cancels a prediction if the item is dropped while waiting for it.
pub(super) struct CancelGuard {
    pending: Option<(Client, String)>,
}

impl CancelGuard {
    pub(super) fn new(client: &Client, id: &str, armed: bool) -> Self {
        Self {
            pending: armed.then(|| (client.clone(), id.to_string())),
        }
    }

    pub(super) fn disarm(mut self) {
        self.pending = None;
    }
}

impl Drop for CancelGuard {
    fn drop(&mut self) {
        let Some((client, id)) = self.pending.take() else {
            return;
        };
        spawn(async move {
            if let Err(error) = client.cancel(&id).await {
                tracing::warn!(prediction_id = %id, error = %error, "could not cancel a dropped batch item");
            }
        });
    }
}

/// Finds and cancels the prediction of a create whose request is dropped before its answer came.
pub(super) struct HeldCreate {
    pending: Option<(Client, Sent, String, DateTime<Utc>)>,
}

impl HeldCreate {
    /// Armed (if `armed`) from just before the create of `sent` for `owner` is sent.
    pub(super) fn new(
        client: &Client,
        sent: impl FnOnce() -> Sent,
        owner: &str,
        armed: bool,
    ) -> Self {
        Self {
            pending: armed.then(|| (client.clone(), sent(), owner.to_string(), Utc::now())),
        }
    }

    pub(super) fn disarm(mut self) {
        self.pending = None;
    }
}

impl Drop for HeldCreate {
    fn drop(&mut self) {
        let Some((client, sent, owner, sent_at)) = self.pending.take() else {
            return;
        };
        let dropped_at = Utc::now();
        spawn(async move {
            client
                .cancel_unanswered(&sent, &owner, (sent_at, dropped_at))
                .await;
        });
    }
}

/// Runs `work` on the current runtime, if there is one still running (a drop cannot await).
fn spawn(work: impl std::future::Future<Output = ()> + Send + 'static) {
    if let Ok(runtime) = tokio::runtime::Handle::try_current() {
        runtime.spawn(work);
    }
}
