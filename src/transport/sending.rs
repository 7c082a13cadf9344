//! Whether a create reached the server: watched from the transport while a create is on its way, so that a
//! deadline cutting the create short can tell "never sent, or refused for certain" (nothing to look for)
//! from "it may have been processed" (its prediction is looked for).
//!
//! The create's future runs inside [`watch`], which gives it a task-local record; the transport marks each
//! attempt on it. A request sent outside `watch` marks nothing.

use std::sync::{
    Arc,
    atomic::{AtomicU8, Ordering},
};

use reqwest::Response;

tokio::task_local! {
    static SENDING: Arc<Sending>;
}

/// How far the last attempt of a create went.
#[derive(Debug, Default)]
pub(crate) struct Sending(AtomicU8);

/// No attempt has gone out yet (the create waited for its turn at the rate governor).
const UNSENT: u8 = 0;
/// An attempt is on its way, or was answered with something other than a certain refusal.
const MAY_BE_PROCESSED: u8 = 1;
/// The last attempt was refused before the server processed it: no connection, or a 429 from the API.
const REFUSED: u8 = 2;

impl Sending {
    /// Whether no attempt of the create can have made a prediction: none went out, or the last was refused
    /// for certain. (Attempts before a certain refusal were certain refusals too: the transport sends a
    /// create again only after one.)
    pub(crate) fn made_nothing(&self) -> bool {
        matches!(self.0.load(Ordering::Acquire), UNSENT | REFUSED)
    }
}

/// Runs `create` with a record of how far its attempts went.
pub(crate) async fn watch<T>(create: impl Future<Output = T>) -> (T, Arc<Sending>) {
    let sending = Arc::new(Sending::default());
    let output = SENDING.scope(sending.clone(), create).await;
    (output, sending)
}

/// An attempt is about to go out.
pub(super) fn on_its_way() {
    let _ = SENDING.try_with(|s| s.0.store(MAY_BE_PROCESSED, Ordering::Release));
}

/// An attempt came back with `outcome`; `api`: it went to the API, whose 429 is a refusal.
pub(super) fn heard(outcome: &reqwest::Result<Response>, api: bool) {
    let refused = match outcome {
        Err(error) => error.is_connect(),
        Ok(response) => api && response.status() == reqwest::StatusCode::TOO_MANY_REQUESTS,
    };
    if refused {
        let _ = SENDING.try_with(|s| s.0.store(REFUSED, Ordering::Release));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn marks_reach_the_watched_future_only() {
        let ((), sending) = watch(async {}).await;
        assert!(sending.made_nothing(), "nothing went out");
        let ((), sending) = watch(async { on_its_way() }).await;
        assert!(
            !sending.made_nothing(),
            "on its way: it may have been processed"
        );
        // Outside a watch, marks go nowhere (and do not panic).
        on_its_way();
    }
}
