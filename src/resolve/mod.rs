//! Never create a prediction twice: what to do when a create request's outcome is unknown.
//!
//! A create that was sent but got no readable answer (the connection dropped, a 5xx, a truncated body, the
//! caller's deadline) may or may not have created a prediction. Resending blindly could pay twice; giving up
//! could lose one that runs. So the client looks for *its own* prediction first: one with the same target and
//! input, not failed or canceled, not already held by this client, and created while the request was on its
//! way, in the server's time (the [`ServerClock`](crate::server_clock) turns the local send and answer times
//! into a window of the server's a few seconds wide, from the answers the client already had).
//!
//! - One such prediction: adopted.
//! - Several (other processes sent the same input at the same moment): they cannot be told apart. The
//!   earliest is adopted and a `warn` event names the others, so none is orphaned silently. If the one
//!   adopted was another create's of this client, that create takes one of those passed over instead.
//! - None, and the list is shown to cover the window (it lists a prediction created after it, or the
//!   server's clock has passed the window by a few seconds): nothing was created, and the create is sent
//!   again.
//! - None, and the list cannot be shown to cover the window, or the lookup itself fails:
//!   [`Error::CreateUncertain`], which says a prediction may exist. The create is not sent again.
//! - When the retry policy allows no more sending, one look: finding nothing after an error answer or a
//!   dropped connection returns that error (nothing was made, as far as can be told without waiting);
//!   after a success whose body was cut short or a gateway's 504, `CreateUncertain`.
//!
//! Identical inputs sent on purpose still give distinct predictions: every prediction a create returns is
//! *claimed* (held) by this client, and a claimed prediction is never adopted again. If a lookup adopted the
//! prediction of another create of the same input that was still on its way, that create finds its claim taken
//! when its answer arrives, and looks for the lost one's prediction in turn: each caller ends with its own
//! prediction, and none is paid for twice.

#[cfg(feature = "claims-file")]
pub(crate) mod claim_file;
mod lookup;
pub(crate) mod matching;
mod owned;

use chrono::Utc;
use lookup::{Absence, Found};
pub(crate) use owned::OwnedPredictions;
use tokio::time::Instant;

use crate::{
    Client, Error, Operation, Prediction, Result,
    create::CreateRequest,
    retry::table::{Decision, Failure, decide},
};

/// When a create must be over: the caller's deadline, and when its wait began.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Deadline {
    pub(crate) started: Instant,
    pub(crate) at: Instant,
}

/// How long past the caller's deadline a create that it cut short is looked for, to name the prediction.
const DEADLINE_GRACE: std::time::Duration = std::time::Duration::from_secs(10);

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
            let answer = self.send_create_within(&request).await;
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
                    if self.shared.owned.claim(&prediction.id) {
                        return Ok(prediction);
                    }
                    tracing::debug!(prediction_id = %prediction.id, "adopted by another create of the same input; looking for that one's prediction");
                    Error::AdoptedByAnother {
                        prediction_id: prediction.id,
                    }
                }
                Err(error) => error,
            };
            if !outcome_unknown(&error) {
                return Err(error);
            }
            let absence = Absence::shown_for(&error);
            tracing::debug!(error = %error, "create outcome unknown; looking for the prediction");
            let resend_allowed =
                attempt < policy.max_retries && started.elapsed() < policy.max_elapsed;
            let found = self
                .resolve(
                    &request,
                    (sent, received),
                    (&error, absence),
                    resend_allowed,
                )
                .await;
            if let Some(deadline) = request.deadline.filter(|d| Instant::now() >= d.at) {
                return Err(cut_short(deadline, error, found));
            }
            match found {
                Found::Own(prediction) => return Ok(*prediction),
                Found::Nothing => {}
                Found::Unsettled { lookup, searched } => {
                    return Err(Error::CreateUncertain {
                        cause: Box::new(error),
                        lookup: lookup.map(Box::new),
                        searched,
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
        resend_allowed: bool,
    ) -> Found {
        match request.deadline {
            Some(deadline) if Instant::now() >= deadline.at => {
                // Nothing will be resent; the look goes on (bounded) to name the prediction.
                let search = self.find_own(request, times, failure, true);
                match tokio::time::timeout(DEADLINE_GRACE, search).await {
                    Ok(found) => found,
                    Err(_) => Found::Unsettled {
                        lookup: None,
                        searched: None,
                    },
                }
            }
            _ => self.find_own(request, times, failure, resend_allowed).await,
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
        Found::Unsettled { lookup, searched } => Error::CreateUncertain {
            cause: Box::new(error),
            lookup: lookup.map(Box::new),
            searched,
        },
    }
}
