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
//! *claimed* (held) by this client, a claimed prediction is never adopted again, and a lookup waits until no
//! other create with the same input is still on its way (its answer would claim what it created).

use std::{
    collections::{HashMap, hash_map::DefaultHasher},
    hash::{Hash, Hasher},
    sync::Mutex,
    time::Duration,
};

use chrono::{DateTime, Utc};
use futures_util::TryStreamExt;
use serde_json::{Map, Value};
use tokio::time::Instant;

use crate::{Client, Error, Prediction, Result, Target, create::CreateRequest};

/// How far before the request's sending a found prediction may have been created (clock skew).
const CLOCK_SKEW: chrono::TimeDelta = chrono::TimeDelta::seconds(60);
/// How long claims are remembered: far longer than any lookup window.
const CLAIM_MEMORY: Duration = Duration::from_secs(30 * 60);
/// The longest a lookup waits for other creates of the same input (a held create lasts up to 60 s).
const MAX_WAIT_FOR_OTHERS: Duration = Duration::from_secs(75);

/// The predictions this client holds, and the creates on their way, by input.
#[derive(Default)]
pub(crate) struct Claims {
    inner: Mutex<ClaimsInner>,
}

#[derive(Default)]
struct ClaimsInner {
    held: HashMap<String, Instant>,
    sending: HashMap<u64, usize>,
}

impl Claims {
    fn lock(&self) -> std::sync::MutexGuard<'_, ClaimsInner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Claims a prediction; false if it was already held.
    pub(crate) fn claim(&self, id: &str) -> bool {
        let mut inner = self.lock();
        let now = Instant::now();
        inner
            .held
            .retain(|_, at| now.duration_since(*at) < CLAIM_MEMORY);
        inner.held.insert(id.to_string(), now).is_none()
    }

    fn sending(&self, key: u64, delta: isize) {
        let mut inner = self.lock();
        let count = inner.sending.entry(key).or_default();
        *count = count.saturating_add_signed(delta);
        if *count == 0 {
            inner.sending.remove(&key);
        }
    }

    fn others_sending(&self, key: u64) -> bool {
        self.lock().sending.get(&key).is_some_and(|n| *n > 0)
    }
}

/// Marks a create of one input as on its way while it lives.
struct Sending<'a> {
    claims: &'a Claims,
    key: u64,
    active: bool,
}

impl<'a> Sending<'a> {
    fn start(claims: &'a Claims, key: u64) -> Self {
        claims.sending(key, 1);
        Self {
            claims,
            key,
            active: true,
        }
    }

    fn pause(&mut self) {
        if self.active {
            self.claims.sending(self.key, -1);
            self.active = false;
        }
    }

    fn resume(&mut self) {
        if !self.active {
            self.claims.sending(self.key, 1);
            self.active = true;
        }
    }
}

impl Drop for Sending<'_> {
    fn drop(&mut self) {
        self.pause();
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

fn fingerprint(target: &Target, input: &Map<String, Value>) -> u64 {
    let mut hasher = DefaultHasher::new();
    target.hash(&mut hasher);
    // serde_json's map is ordered by key, so equal inputs print the same.
    Value::Object(input.clone()).to_string().hash(&mut hasher);
    hasher.finish()
}

impl Client {
    /// Sends a create, resolving an unknown outcome instead of resending blindly (see the module docs).
    pub(crate) async fn create_exactly_once(&self, request: CreateRequest) -> Result<Prediction> {
        let claims = &self.shared.claims;
        let key = fingerprint(&request.target, &request.input);
        let mut sending = Sending::start(claims, key);
        let resends = self.shared.corridor.retry().max_retries;
        let mut attempt = 0;
        loop {
            let sent_at = Utc::now();
            let error = match self.send_create(&request).await {
                Ok(prediction) => {
                    claims.claim(&prediction.id);
                    return Ok(prediction);
                }
                Err(error) if !outcome_unknown(&error) => return Err(error),
                Err(error) => error,
            };
            tracing::debug!(error = %error, "create outcome unknown; looking for the prediction");
            sending.pause();
            match self.find_unclaimed(&request, key, sent_at, &error).await {
                Ok(Some(prediction)) => {
                    tracing::debug!(prediction_id = %prediction.id, "adopted the prediction the lost answer created");
                    return Ok(prediction);
                }
                Ok(None) if attempt < resends => {
                    attempt += 1;
                    tracing::debug!(
                        attempt,
                        "no prediction was created; sending the create again"
                    );
                    tokio::time::sleep(self.shared.corridor.retry().backoff(attempt)).await;
                    sending.resume();
                }
                Ok(None) => return Err(error),
                Err(lookup) => {
                    return Err(Error::CreateUncertain {
                        cause: Box::new(error),
                        lookup: Box::new(lookup),
                    });
                }
            }
        }
    }

    /// The prediction an unanswered create made, claimed for this client, if there is one.
    async fn find_unclaimed(
        &self,
        request: &CreateRequest,
        key: u64,
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
        let waiting_since = Instant::now();
        while claims.others_sending(key) && waiting_since.elapsed() < MAX_WAIT_FOR_OTHERS {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let since = sent_at - CLOCK_SKEW;
        let mut candidates = std::pin::pin!(self.list().created_after(since).stream());
        while let Some(prediction) = candidates.try_next().await? {
            if prediction.created_at.is_some_and(|at| at < since) {
                break;
            }
            if matches_request(&prediction, request) && claims.claim(&prediction.id) {
                return Ok(Some(prediction));
            }
        }
        Ok(None)
    }
}

/// Whether `prediction` is what `request` would have created.
fn matches_request(prediction: &Prediction, request: &CreateRequest) -> bool {
    if prediction.input != request.input {
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

    #[test]
    fn sending_counts_follow_the_guards() {
        let claims = Claims::default();
        let mut first = Sending::start(&claims, 7);
        let second = Sending::start(&claims, 7);
        assert!(claims.others_sending(7));
        drop(second);
        first.pause();
        assert!(!claims.others_sending(7));
        first.resume();
        assert!(claims.others_sending(7));
        drop(first);
        assert!(!claims.others_sending(7));
        assert!(!claims.others_sending(8));
    }
}
