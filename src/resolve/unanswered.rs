//! Canceling the prediction of a create dropped while it was on its way (a batch dropped with
//! `cancel_on_drop`): its id never came, so it is found the way a lost create's is, then canceled.

use chrono::{DateTime, Utc};

use super::{
    absence::Window,
    matching::{Match, Sent},
};
use crate::Client;

/// The most predictions the search reads.
const MAX_PREDICTIONS: usize = 2_000;

impl Client {
    /// Finds the prediction that the create of `sent` for `owner`, sent at `sent_at` and dropped at
    /// `dropped_at` (local times), made, claims it and cancels it. Looks once soon (a held create's
    /// prediction exists while it is held), and again once the list has settled.
    pub(crate) async fn cancel_unanswered(
        &self,
        sent: &Sent,
        owner: &str,
        (sent_at, dropped_at): (DateTime<Utc>, DateTime<Utc>),
    ) {
        let settle = self.shared.list_settle;
        let clock = self.shared.transport.clock();
        for wait in [self.shared.transport.retry().backoff(1), settle] {
            tokio::time::sleep(wait).await;
            // A server may make the prediction a while after the request arrived, even after the client left.
            let window = Window::of_request(clock, sent_at, dropped_at);
            let asked = window.list_span(settle);
            let reading = match self
                .read_list(asked, MAX_PREDICTIONS, (&[], settle), |p| {
                    sent.compare(p) == Match::Exact
                })
                .await
            {
                Ok(reading) => reading,
                Err(error) => {
                    tracing::warn!(error = %error, "could not look for the prediction of a dropped create to cancel it");
                    continue;
                }
            };
            let mut found = reading.kept;
            found.sort_by_key(|p| p.created_at);
            let claims = &self.shared.claims;
            let Some(prediction) = found
                .into_iter()
                .filter(|p| {
                    p.created_at
                        .is_some_and(|at| at >= window.from && at <= window.to)
                })
                .find(|p| claims.claim(&p.id, owner))
            else {
                continue;
            };
            match self.cancel(&prediction.id).await {
                Ok(_) => {
                    tracing::info!(prediction_id = %prediction.id, "canceled the prediction of a dropped create")
                }
                Err(error) => {
                    tracing::warn!(prediction_id = %prediction.id, error = %error, "could not cancel the prediction of a dropped create")
                }
            }
            return;
        }
        tracing::warn!("the prediction of a dropped create was not found; it was not canceled");
    }
}
