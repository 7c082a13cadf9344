//! Looking for the prediction a create made when its answer was lost: in a window of the server's time
//! around its sending, compared exactly with what it sent, and only as long as it takes to know.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::CreateRequest;
use crate::{
    Client, Error, Prediction,
    resolve::{
        absence::{Verdict, Window, judge},
        matching::Match,
    },
};

/// The most predictions one lookup goes through (a server that pages forever cannot hold it).
const MAX_LOOKUP_PREDICTIONS: usize = 2_000;
/// How many times the list is read at most.
const MAX_LOOKS: u32 = 3;

/// What a lookup found.
pub(super) enum Found {
    /// The create's own prediction, now claimed.
    Own(Box<Prediction>),
    /// The list proves that nothing was made.
    Nothing,
    /// It cannot be told: the lookup failed (`lookup`), the list could not prove absence in the window
    /// searched, or predictions were found that could be the create's and could not be told apart from
    /// another's (`candidates`).
    Unsettled {
        lookup: Option<Error>,
        searched: Option<(DateTime<Utc>, DateTime<Utc>)>,
        candidates: Vec<String>,
    },
}

/// Whether a create that failed as it did may have made nothing.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Absence {
    /// It may have made nothing (an error answer, a broken connection): a settled list can prove it.
    /// `look_early`: it may as well have made one, so the list is read at once to find it.
    Provable { look_early: bool },
    /// It made a prediction (the server answered success, and the body was cut short), or the server may
    /// still be making one however long the list is waited for (a gateway gave up on a request the server
    /// holds): never shown absent by a list. A batch's rerun settles it later.
    Never,
}

impl Absence {
    /// What can be known of a create that failed with `error`.
    pub(super) fn of(error: &Error) -> Self {
        match error {
            Error::Decode { .. } => Self::Never,
            Error::Api(api) if api.status == 504 => Self::Never,
            Error::Transport { .. } | Error::Timeout { .. } | Error::AdoptedByAnother { .. } => {
                Self::Provable { look_early: true }
            }
            _ => Self::Provable { look_early: false },
        }
    }
}

impl Client {
    /// Finds the prediction of a create sent at `sent` whose answer (or failure) came at `received`.
    pub(super) async fn find_own(
        &self,
        request: &CreateRequest,
        (sent, received): (DateTime<Utc>, DateTime<Utc>),
        (error, absence): (&Error, Absence),
    ) -> Found {
        if let Some(prediction) = self.named_by(request, error).await {
            return Found::Own(Box::new(prediction));
        }
        let clock = self.shared.transport.clock();
        let settle = self.shared.list_settle;
        let first_wait = match absence {
            Absence::Provable { look_early: false } => {
                Window::of_request(clock, sent, received).wait_until_settled(clock, settle)
            }
            _ => Duration::ZERO,
        };
        let backoff = self.shared.transport.retry().backoff(1);
        tokio::time::sleep(backoff.max(first_wait.min(max_settle_wait(settle)))).await;
        let mut look = 0;
        loop {
            look += 1;
            let (found, verdict) = match self.look(request, (sent, received)).await {
                Ok(look) => look,
                Err(lookup) => {
                    return Found::Unsettled {
                        lookup: Some(lookup),
                        searched: None,
                        candidates: Vec::new(),
                    };
                }
            };
            if let Some(found) = found {
                return found;
            }
            let window = Window::of_request(clock, sent, received);
            match (absence, verdict) {
                (Absence::Provable { .. }, Verdict::Absent) => return Found::Nothing,
                (_, Verdict::NotYet(_)) | (Absence::Never, _) if look < MAX_LOOKS => {
                    let wait = window.wait_until_settled(clock, settle);
                    tracing::debug!(
                        ?wait,
                        "nothing of this create's listed yet: looking again once the list has settled"
                    );
                    tokio::time::sleep(wait.min(max_settle_wait(settle)).max(backoff)).await;
                }
                _ => {
                    return Found::Unsettled {
                        lookup: None,
                        searched: Some((window.from, window.to)),
                        candidates: Vec::new(),
                    };
                }
            }
        }
    }

    /// The prediction the error names (a truncated answer may still carry its id), or, for a create whose
    /// prediction another create took, the one that other's lookup passed over.
    async fn named_by(&self, request: &CreateRequest, error: &Error) -> Option<Prediction> {
        let id = error.prediction_id()?;
        if let Error::AdoptedByAnother { .. } = error {
            let passed = self.shared.claims.passed_over(id);
            return self.take_passed_over(request, passed).await;
        }
        if self.shared.claims.held_by_another(id, &request.owner) {
            return None;
        }
        let prediction = self.get(id).await.ok()?;
        (request.sent.compare(&prediction) == Match::Exact
            && self.shared.claims.claim(&prediction.id, &request.owner))
        .then_some(prediction)
    }

    /// One reading of the list around the create's window: its own prediction if found (or, when what was
    /// found cannot be told apart, `Unsettled` naming it), and what the reading proves of absence.
    async fn look(
        &self,
        request: &CreateRequest,
        (sent, received): (DateTime<Utc>, DateTime<Utc>),
    ) -> crate::Result<(Option<Found>, Verdict)> {
        let clock = self.shared.transport.clock();
        let claims = &self.shared.claims;
        let settle = self.shared.list_settle;
        let window = Window::of_request(clock, sent, received);
        let asked = window.list_span(settle);
        let known = claims.known_between(asked.0, asked.1);
        let reading = self
            .read_list(asked, MAX_LOOKUP_PREDICTIONS, (&known, settle), |p| {
                request.sent.compare(p) != Match::Different
            })
            .await?;
        // The list's answers narrowed the clock's bounds: the window as known now.
        let window = Window::of_request(clock, sent, received);
        let in_window = |p: &Prediction| p.created_at.is_some_and(|at| window.may_hold(at, settle));
        let (mut exact, mut unverifiable, mut passed_over) = (Vec::new(), Vec::new(), Vec::new());
        for prediction in reading.kept.into_iter().filter(in_window) {
            let taken = claims.held_by_another(&prediction.id, &request.owner);
            match (request.sent.compare(&prediction), taken) {
                (Match::Exact, false) => exact.push(prediction),
                (Match::Exact, true) => passed_over.extend(claims.passed_over(&prediction.id)),
                (Match::Unverifiable, false) => unverifiable.push(prediction.id),
                _ => {}
            }
        }
        if let Some(prediction) = self.adopt(request, exact) {
            return Ok((Some(Found::Own(Box::new(prediction))), Verdict::Absent));
        }
        if let Some(prediction) = self.take_passed_over(request, passed_over).await {
            return Ok((Some(Found::Own(Box::new(prediction))), Verdict::Absent));
        }
        let verdict = judge(window, &reading.coverage, settle);
        if !unverifiable.is_empty() {
            tracing::warn!(candidates = ?unverifiable, "a create's answer was lost, and predictions that may be its own were found whose inputs the server stored in a form that cannot be compared; none is taken");
            return Ok((
                Some(Found::Unsettled {
                    lookup: None,
                    searched: Some((window.from, window.to)),
                    candidates: unverifiable,
                }),
                verdict,
            ));
        }
        Ok((None, verdict))
    }

    /// Claims a prediction another lookup passed over when it adopted one of the same input it could not
    /// tell from it. That lookup's create made one of them; if it took this create's prediction, what it
    /// passed over holds its own, which this create takes instead: it may lie outside this create's window
    /// (the other create was sent earlier, or answered later), and without this it would be paid for and
    /// delivered to no one.
    async fn take_passed_over(
        &self,
        request: &CreateRequest,
        ids: Vec<String>,
    ) -> Option<Prediction> {
        let claims = &self.shared.claims;
        for id in &ids {
            if claims.holder(id).is_some() {
                continue;
            }
            let Ok(prediction) = self.get(id).await else {
                continue;
            };
            if request.sent.compare(&prediction) == Match::Exact
                && claims.claim(&prediction.id, &request.owner)
            {
                tracing::debug!(prediction_id = %prediction.id, "took the prediction another create's lookup passed over");
                // The rest stay within reach of the create whose prediction this may have been.
                let rest: Vec<String> = ids.iter().filter(|other| *other != id).cloned().collect();
                claims.pass_over(id, &rest);
                return Some(prediction);
            }
        }
        None
    }

    /// Claims the earliest candidate; the others, if any, are named in a `warn` event (they may be other
    /// processes' predictions of the same input, or this create's own, and cannot be told apart).
    fn adopt(
        &self,
        request: &CreateRequest,
        mut candidates: Vec<Prediction>,
    ) -> Option<Prediction> {
        candidates.sort_by_key(|p| p.created_at);
        let claims = &self.shared.claims;
        let mut adopted = None;
        let mut others = Vec::new();
        for candidate in candidates {
            if adopted.is_none() && claims.claim(&candidate.id, &request.owner) {
                adopted = Some(candidate);
            } else {
                others.push(candidate.id);
            }
        }
        let prediction = adopted?;
        claims.pass_over(&prediction.id, &others);
        if others.is_empty() {
            tracing::debug!(prediction_id = %prediction.id, "adopted the prediction the lost answer created");
        } else {
            tracing::warn!(
                prediction_id = %prediction.id,
                others = ?others,
                "a create's answer was lost and several predictions of the same input were created at that moment; adopted the earliest, the others may be another process's or unclaimed"
            );
        }
        Some(prediction)
    }
}

/// The longest single wait for the list to settle: a server clock known only loosely is known better after
/// the next reading, which is then judged again.
fn max_settle_wait(settle: Duration) -> Duration {
    settle.saturating_add(Duration::from_secs(5))
}
