//! Never create a prediction twice: what to do when a create request's outcome is unknown.
//!
//! A create that was sent but got no readable answer (the connection dropped, a 5xx, a truncated body) may or
//! may not have created a prediction. Resending blindly could pay twice; giving up could lose one that runs.
//! So the client looks for it first: among the predictions created since shortly before the request was sent,
//! one with the same target and input that this client does not already hold. Found: it is adopted. Not found:
//! the request is sent again. The lookup itself failing: [`Error::CreateUncertain`], which says a prediction
//! may exist.
//!
//! Identical inputs sent on purpose still give distinct predictions: every prediction a create returns is
//! *claimed* (held) by this client, and a claimed prediction is never adopted again. If a lookup adopted the
//! prediction of another create of the same input that was still on its way, that create finds its claim taken
//! when its answer arrives, and looks for the lost one's prediction in turn (or sends again): each caller ends
//! with its own prediction, and none is paid for twice.

use std::{
    collections::{HashSet, VecDeque},
    sync::Mutex,
    time::Duration,
};

use chrono::{DateTime, Utc};
use futures_util::TryStreamExt;
use tokio::time::Instant;

use crate::{Client, Error, Prediction, Result, Target, create::CreateRequest};

/// How far before the request's sending a found prediction may have been created (clock skew).
const CLOCK_SKEW: chrono::TimeDelta = chrono::TimeDelta::minutes(5);
/// How many times the list is searched before a create is sent again.
const LOOKUPS: u32 = 2;
/// The most predictions one lookup goes through (a server that pages forever cannot hold it).
const MAX_LOOKUP_PREDICTIONS: usize = 2_000;
/// How long claims are remembered: far longer than any lookup window.
const CLAIM_MEMORY: Duration = Duration::from_secs(30 * 60);

/// The predictions this client holds.
#[derive(Default)]
pub(crate) struct Claims {
    held: Mutex<Held>,
}

/// Claimed ids, and the same in the order they were claimed, so the expired are dropped from the front
/// (constant time per claim, where scanning them all made a batch quadratic).
#[derive(Default)]
struct Held {
    ids: HashSet<String>,
    by_age: VecDeque<(Instant, String)>,
}

impl Claims {
    /// Claims a prediction; false if it was already held.
    pub(crate) fn claim(&self, id: &str) -> bool {
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        while let Some((at, _)) = held.by_age.front() {
            if now.duration_since(*at) < CLAIM_MEMORY {
                break;
            }
            if let Some((_, expired)) = held.by_age.pop_front() {
                held.ids.remove(&expired);
            }
        }
        if !held.ids.insert(id.to_owned()) {
            return false;
        }
        held.by_age.push_back((now, id.to_owned()));
        true
    }
}

/// Whether a create that ended in `error` may nonetheless have created a prediction.
fn outcome_unknown(error: &Error) -> bool {
    match error {
        // No connection: nothing was sent (and the retry policy already tried again).
        Error::Transport { source, .. } => !source.is_connect(),
        Error::Api(api) => api.status >= 500,
        Error::Decode { .. } => true,
        _ => false,
    }
}

impl Client {
    /// Sends a create, resolving an unknown outcome instead of resending blindly (see the module docs).
    pub(crate) async fn create_exactly_once(&self, request: CreateRequest) -> Result<Prediction> {
        let claims = &self.shared.claims;
        let policy = self.shared.corridor.retry();
        let started = Instant::now();
        let mut attempt = 0;
        loop {
            let sent_at = Utc::now();
            let error = match self.send_create(&request).await {
                Ok(prediction) if claims.claim(&prediction.id) => return Ok(prediction),
                Ok(prediction) => {
                    tracing::debug!(prediction_id = %prediction.id, "adopted by another create of the same input; looking for that one's prediction");
                    Error::decode(
                        "create",
                        None,
                        Some(prediction.id),
                        "the prediction this create made was adopted by another create of the same input",
                        b"",
                    )
                }
                Err(error) if !outcome_unknown(&error) => return Err(error),
                Err(error) => error,
            };
            tracing::debug!(error = %error, "create outcome unknown; looking for the prediction");
            // Look twice, a backoff apart: a gateway may answer before the server has finished creating.
            for look in 1..=LOOKUPS {
                tokio::time::sleep(policy.backoff(look)).await;
                match self.find_unclaimed(&request, sent_at, &error).await {
                    Ok(Some(prediction)) => {
                        tracing::debug!(prediction_id = %prediction.id, "adopted the prediction the lost answer created");
                        return Ok(prediction);
                    }
                    Ok(None) => {}
                    Err(lookup) => {
                        return Err(Error::CreateUncertain {
                            cause: Box::new(error),
                            lookup: Box::new(lookup),
                        });
                    }
                }
            }
            attempt += 1;
            if attempt > policy.max_retries || started.elapsed() >= policy.max_elapsed {
                return Err(error);
            }
            tracing::debug!(
                attempt,
                "no prediction was created; sending the create again"
            );
        }
    }

    /// The prediction an unanswered create made, claimed for this client, if there is one.
    async fn find_unclaimed(
        &self,
        request: &CreateRequest,
        sent_at: DateTime<Utc>,
        error: &Error,
    ) -> Result<Option<Prediction>> {
        let claims = &self.shared.claims;
        // A truncated answer may still name the prediction.
        if let Some(id) = error.prediction_id()
            && let Ok(prediction) = self.get(id).await
            && matches_request(&prediction, request)
            && claims.claim(&prediction.id)
        {
            return Ok(Some(prediction));
        }
        let since = sent_at - CLOCK_SKEW;
        let mut seen = 0;
        let mut candidates = std::pin::pin!(self.list().created_after(since).stream());
        while let Some(prediction) = candidates.try_next().await? {
            if prediction.created_at.is_some_and(|at| at < since) {
                break;
            }
            if matches_request(&prediction, request) && claims.claim(&prediction.id) {
                return Ok(Some(prediction));
            }
            seen += 1;
            if seen >= MAX_LOOKUP_PREDICTIONS {
                return Err(Error::decode(
                    "list",
                    None,
                    None,
                    format!(
                        "looked through {seen} predictions without reaching the time of the create"
                    ),
                    b"",
                ));
            }
        }
        Ok(None)
    }
}

/// Whether `prediction` is what `request` would have created.
fn matches_request(prediction: &Prediction, request: &CreateRequest) -> bool {
    if prediction.input != *request.input() {
        return false;
    }
    let same = |found: &Option<String>, wanted: &str| found.as_deref().is_none_or(|f| f == wanted);
    match &request.target {
        Target::Model(model) => same(&prediction.model, model),
        Target::Deployment(deployment) => same(&prediction.deployment, deployment),
        Target::Version(version) => {
            let id = version.rsplit(':').next().unwrap_or(version);
            let owner_and_name = version.split(':').next().unwrap_or(version);
            prediction
                .version
                .as_deref()
                .is_none_or(|v| v == id || v == version)
                || prediction.model.as_deref() == Some(owner_and_name)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_prediction_is_claimed_once() {
        let claims = Claims::default();
        assert!(claims.claim("a"));
        assert!(!claims.claim("a"));
        assert!(claims.claim("b"));
    }

    #[tokio::test(start_paused = true)]
    async fn claims_are_forgotten_after_their_memory_in_the_order_made() {
        let claims = Claims::default();
        assert!(claims.claim("old"));
        tokio::time::advance(CLAIM_MEMORY / 2).await;
        assert!(claims.claim("newer"));
        tokio::time::advance(CLAIM_MEMORY / 2).await;
        // "old" has been held for the whole memory: forgotten; "newer" for half of it: still held.
        assert!(claims.claim("old"));
        assert!(!claims.claim("newer"));
        let held = claims.held.lock().unwrap();
        assert_eq!(held.ids.len(), held.by_age.len());
        assert_eq!(held.ids.len(), 2);
    }
}
