//! Sending a create exactly once.
//!
//! A create that was sent but got no readable answer (the connection dropped, a 5xx, a truncated body, the
//! caller's deadline) may or may not have made a prediction. The client looks for *its own*:
//!
//! - One unclaimed prediction of exactly that input in the window: adopted.
//! - Several (other processes sent the same input at the same moment): the earliest is adopted and a `warn`
//!   event names the others, which are remembered as passed over: if the one adopted was another create's
//!   of this client (or, with a claim file, of another process), that create takes one of those instead.
//! - Predictions that may be its own but cannot be compared (a server that stored an inline file under a
//!   URL of its own): [`Error::CreateUncertain`] naming them; nothing is created again.
//! - None, and the list proves absence: the create is sent again (within the retry policy; when no more
//!   sending is allowed, the create's error is returned: nothing was made).
//! - None, and no proof can be had (the list lags, a cap, the lookup failed): [`Error::CreateUncertain`].
//!   The create is not sent again.

use super::lookup::{Absence, Found};
use chrono::Utc;
use tokio::time::Instant;

use super::CreateRequest;
use crate::{
    Client, Error, Operation, Prediction, Result,
    clock::Deadline,
    retry::table::{Decision, Failure, decide},
    transport::sending,
};

/// How long past the caller's deadline a create that may have been processed is looked for, to name the
/// prediction: within [`Client::DEADLINE_MARGIN`], leaving the rest of it for a cancel.
const LOOKUP_GRACE: std::time::Duration = std::time::Duration::from_millis(600);
const _: () = assert!(LOOKUP_GRACE.as_millis() < Client::DEADLINE_MARGIN.as_millis());

/// Whether a create that ended in `error` may nonetheless have created a prediction, so that it is looked
/// for (the retry table's [`Decision::LookUp`]).
fn outcome_unknown(error: &Error) -> bool {
    decide(Operation::Create, Failure::of_error(error)) == Decision::LookUp
}

impl Client {
    /// Sends a create, resolving an unknown outcome instead of resending blindly (see the module docs).
    pub(crate) async fn create_exactly_once(&self, request: CreateRequest) -> Result<Prediction> {
        let policy = self.shared.transport.retry();
        let started = Instant::now();
        let mut attempt = 0;
        loop {
            let sent = Utc::now();
            let (answer, sending) = sending::watch(self.send_create_within(&request)).await;
            let received = Utc::now();
            let error = match answer {
                Ok(prediction) => {
                    // Both stamps were written while the create was on its way: the creation just after
                    // its arrival, the completion (of a create the server held) just before its answer,
                    // so together they bound the server's clock closely from both sides.
                    let clock = self.shared.transport.clock();
                    for stamp in [prediction.created_at, prediction.completed_at]
                        .into_iter()
                        .flatten()
                    {
                        clock.observe_stamp(sent, received, stamp);
                    }
                    if let Some(created) = prediction.created_at {
                        self.shared.claims.record_known(&prediction.id, created);
                    }
                    if self.shared.claims.claim(&prediction.id, &request.owner) {
                        return Ok(prediction);
                    }
                    tracing::debug!(prediction_id = %prediction.id, "adopted by another create of the same input; looking for that one's prediction");
                    Error::AdoptedByAnother {
                        prediction_id: prediction.id,
                    }
                }
                Err(error) => error,
            };
            // A create the deadline cut short before it went out, or while the server had refused it for
            // certain, made nothing: there is nothing to look for.
            if !outcome_unknown(&error) || sending.made_nothing() {
                return Err(error);
            }
            let absence = Absence::of(&error);
            tracing::debug!(error = %error, "create outcome unknown; looking for the prediction");
            let found = self
                .resolve(&request, (sent, received), (&error, absence))
                .await;
            if let Some(deadline) = request.deadline.filter(|d| Instant::now() >= d.at) {
                return Err(cut_short(deadline, error, found));
            }
            match found {
                Found::Own(prediction) => return Ok(*prediction),
                Found::Nothing => {}
                Found::Unsettled {
                    lookup,
                    searched,
                    candidates,
                } => {
                    return Err(Error::CreateUncertain {
                        cause: Box::new(error),
                        lookup: lookup.map(Box::new),
                        searched,
                        candidates,
                    });
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

    /// Sends the create once; the caller's deadline passing first is a [`Error::Timeout`] whose outcome is
    /// unknown (the request may have reached the server).
    async fn send_create_within(&self, request: &CreateRequest) -> Result<Prediction> {
        let Some(deadline) = request.deadline else {
            return self.send_create(request).await;
        };
        match tokio::time::timeout_at(deadline.at, self.send_create(request)).await {
            Ok(answer) => answer,
            Err(_) => Err(Error::Timeout {
                prediction_id: None,
                waited: deadline.started.elapsed(),
                status: None,
            }),
        }
    }

    /// Looks for the prediction of a create whose answer was lost (bounded past a caller's deadline).
    async fn resolve(
        &self,
        request: &CreateRequest,
        times: (chrono::DateTime<Utc>, chrono::DateTime<Utc>),
        failure: (&Error, Absence),
    ) -> Found {
        let search = self.find_own(request, times, failure);
        let Some(deadline) = request.deadline else {
            return search.await;
        };
        // Past the deadline nothing will be resent; the look goes on (briefly) to name the prediction.
        match tokio::time::timeout_at(deadline.at + LOOKUP_GRACE, search).await {
            Ok(found) => found,
            Err(_) => Found::Unsettled {
                lookup: None,
                searched: None,
                candidates: Vec::new(),
            },
        }
    }
}

/// The error of a create the caller's deadline cut short, naming the prediction if it was found.
fn cut_short(deadline: Deadline, error: Error, found: Found) -> Error {
    let waited = deadline.started.elapsed();
    match found {
        Found::Own(prediction) => Error::Timeout {
            prediction_id: Some(prediction.id),
            waited,
            status: Some(prediction.status),
        },
        Found::Nothing => Error::Timeout {
            prediction_id: None,
            waited,
            status: None,
        },
        Found::Unsettled {
            lookup,
            searched,
            candidates,
        } => Error::CreateUncertain {
            cause: Box::new(error),
            lookup: lookup.map(Box::new),
            searched,
            candidates,
        },
    }
}
