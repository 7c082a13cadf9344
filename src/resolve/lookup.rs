//! Looking for the prediction a create made when its answer was lost: in a window of the server's time
//! around its sending, and only as long as it takes to know.

use std::{ops::ControlFlow, time::Duration};

use chrono::{DateTime, TimeDelta, Utc};
use futures_util::TryStreamExt;

use super::matching::could_be;
use crate::{Client, Error, Prediction, Result, create::CreateRequest};

/// Added to either side of the window: the server's stamps and the local clock's readings are not exact.
const SLACK: TimeDelta = TimeDelta::milliseconds(250);
/// How far past the window the server's clock is let go before the first look, so that predictions others
/// made meanwhile can be listed after it.
const FIRST_LOOK_PAST: TimeDelta = TimeDelta::milliseconds(250);
/// How long after a prediction's creation the list is trusted to show it, when nothing newer is listed.
const LIST_SETTLE: TimeDelta = TimeDelta::seconds(5);
/// The longest wait for the list to settle before the second look.
const MAX_SETTLE_WAIT: Duration = Duration::from_secs(10);
/// The most predictions one lookup goes through (a server that pages forever cannot hold it).
const MAX_LOOKUP_PREDICTIONS: usize = 2_000;

/// What a lookup found.
pub(super) enum Found {
    /// The create's own prediction, now claimed.
    Own(Box<Prediction>),
    /// The list covers the create's time and holds nothing it made: nothing was created.
    Nothing,
    /// It cannot be told: the lookup failed (`lookup`), or the list did not yet cover the window searched.
    Unsettled {
        lookup: Option<Error>,
        searched: Option<(DateTime<Utc>, DateTime<Utc>)>,
    },
}

/// What may show that a create made nothing, from how it failed.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Absence {
    /// A later prediction listed, or the list having had time to settle: the server answered an error or
    /// the connection broke, and it may never have reached the server.
    ListedOrSettled,
    /// Only a later prediction listed: the request was held until a gateway gave up, so it reached the
    /// server, which may still be creating.
    Listed,
    /// Nothing: the server answered success (its body was cut short), so the prediction exists.
    Never,
}

impl Absence {
    /// What can show that a create that failed with `error` made nothing.
    pub(super) fn shown_for(error: &Error) -> Self {
        match error {
            Error::Decode { .. } => Self::Never,
            Error::Api(api) if api.status == 504 => Self::Listed,
            // How the create that took this one's prediction failed is not known: it may have made nothing.
            Error::AdoptedByAnother { .. } => Self::ListedOrSettled,
            _ => Self::ListedOrSettled,
        }
    }

    fn shown(self, search: &Search, server_now: DateTime<Utc>) -> bool {
        match self {
            Self::ListedOrSettled => {
                search.covered
                    && (search.newer_listed || server_now >= search.window.1 + LIST_SETTLE)
            }
            Self::Listed => search.covered && search.newer_listed,
            Self::Never => false,
        }
    }
}

/// One pass over the list.
struct Search {
    candidates: Vec<Prediction>,
    /// What adoptions of matching predictions this client holds passed over (see [`Client::take_passed_over`]).
    passed_over: Vec<String>,
    /// A prediction created after the window was listed: the list covers the window.
    newer_listed: bool,
    /// The window still lies within what was asked of the list (a clock stepped during the walk can move
    /// it out): only then can the list show that nothing was made.
    covered: bool,
    window: (DateTime<Utc>, DateTime<Utc>),
}

impl Client {
    /// Finds the prediction of a create sent at `sent` whose answer (or failure) came at `received`.
    ///
    /// With `settle`, a first look that cannot show that nothing was made is followed by a second once
    /// the list has had time to settle (the create is to be sent again, or an id to be named). Without,
    /// one look: after an error answer or a dropped connection, finding nothing is taken to mean nothing
    /// was made (the caller gets that error, as with no lookup at all).
    pub(super) async fn find_own(
        &self,
        request: &CreateRequest,
        (sent, received): (DateTime<Utc>, DateTime<Utc>),
        (error, absence): (&Error, Absence),
        settle: bool,
    ) -> Found {
        // A truncated answer may still name the prediction.
        if let Some(id) = error
            .prediction_id()
            .filter(|id| !self.shared.owned.holds(id))
            && let Ok(prediction) = self.get(id).await
            && could_be(&prediction, &request.target, request.input())
            && self.shared.owned.claim(&prediction.id)
        {
            return Found::Own(Box::new(prediction));
        }
        // This create's prediction was adopted by another's lookup, which left its own for this one.
        if let Some(taken) = error.prediction_id()
            && let Some(prediction) = self
                .take_passed_over(request, self.shared.owned.passed_over(taken))
                .await
        {
            return Found::Own(Box::new(prediction));
        }
        tokio::time::sleep(self.first_look_after(received, absence, settle)).await;
        let clock = self.shared.transport.clock();
        let mut look = 0;
        loop {
            look += 1;
            let mut search = match self.search(request, sent, received).await {
                Ok(search) => search,
                Err(lookup) => {
                    return Found::Unsettled {
                        lookup: Some(lookup),
                        searched: None,
                    };
                }
            };
            if let Some(prediction) = self.adopt(std::mem::take(&mut search.candidates)) {
                return Found::Own(Box::new(prediction));
            }
            let passed_over = std::mem::take(&mut search.passed_over);
            if let Some(prediction) = self.take_passed_over(request, passed_over).await {
                return Found::Own(Box::new(prediction));
            }
            let server_now = clock.server_now_at_least();
            if absence.shown(&search, server_now)
                || (!settle && absence == Absence::ListedOrSettled && search.covered)
            {
                return Found::Nothing;
            }
            if look == 2 || !settle {
                return Found::Unsettled {
                    lookup: None,
                    searched: Some(search.window),
                };
            }
            let settled = search.window.1 + LIST_SETTLE;
            let wait = (settled - server_now).to_std().unwrap_or_default();
            tracing::debug!(
                ?wait,
                "nothing of this create's listed, and nothing after it yet: looking again once the list has settled"
            );
            tokio::time::sleep(wait.min(MAX_SETTLE_WAIT)).await;
        }
    }

    /// How long to wait before the first look. At least a backoff: a gateway may answer before the server
    /// has finished creating. Where a prediction listed after the window can show that nothing was made,
    /// until the server's clock has passed the window by [`FIRST_LOOK_PAST`] (reckoned with the offset the
    /// server is most ahead by, the one the window's end was reckoned with): looking sooner could only
    /// find the prediction, never its absence, and a second look would follow, after the list has settled.
    fn first_look_after(
        &self,
        received: DateTime<Utc>,
        absence: Absence,
        settle: bool,
    ) -> Duration {
        let backoff = self.shared.transport.retry().backoff(1);
        if absence == Absence::Never || !settle {
            return backoff;
        }
        let past_window = received + SLACK + FIRST_LOOK_PAST;
        let wait = (past_window - Utc::now()).to_std().unwrap_or_default();
        backoff.max(wait.min(MAX_SETTLE_WAIT))
    }

    /// Lists the predictions created in the window, newest first, keeping those the create could have made.
    async fn search(
        &self,
        request: &CreateRequest,
        sent: DateTime<Utc>,
        received: DateTime<Utc>,
    ) -> Result<Search> {
        let clock = self.shared.transport.clock();
        // The list's own answers narrow the clock's bounds: the window is worked out again as they come.
        let window = || {
            let (from, to) = clock.window(sent, received);
            (from - SLACK, to + SLACK)
        };
        let mut search = Search {
            candidates: Vec::new(),
            passed_over: Vec::new(),
            newer_listed: false,
            covered: true,
            window: window(),
        };
        // What is listed: the window with room on either side for the bounds to move while the list is
        // walked (a new answer may replace them), and, past its end, room for one later prediction to
        // show the list covers it; the rest need not be walked.
        let asked_from = search.window.0 - SLACK;
        let until = search.window.1 + FIRST_LOOK_PAST;
        self.walk_list_since(
            || asked_from,
            Some(until),
            MAX_LOOKUP_PREDICTIONS,
            |prediction| {
                search.window = window();
                match prediction.created_at {
                    Some(at) if at > search.window.1 => search.newer_listed = true,
                    // The margin before the window: created before this create was sent.
                    Some(at) if at < search.window.0 => {}
                    Some(_) if could_be(&prediction, &request.target, request.input()) => {
                        if self.shared.owned.holds(&prediction.id) {
                            let passed_over = self.shared.owned.passed_over(&prediction.id);
                            search.passed_over.extend(passed_over);
                        } else {
                            search.candidates.push(prediction);
                        }
                    }
                    _ => {}
                }
                ControlFlow::Continue(())
            },
        )
        .await?;
        search.window = window();
        search.covered = search.window.0 >= asked_from && search.window.1 < until;
        Ok(search)
    }

    /// Walks the list newest first from `until` (or its start) back to `from()` (worked out again at each
    /// prediction: the list's answers narrow the server clock's bounds), handing each prediction created
    /// since to `visit` until it says stop. Both lookups, a lost create's and a resumed batch's, walk the
    /// list this way. [`Error::LookupCapped`] after `cap` predictions without reaching `from()`.
    pub(crate) async fn walk_list_since(
        &self,
        from: impl Fn() -> DateTime<Utc>,
        until: Option<DateTime<Utc>>,
        cap: usize,
        mut visit: impl FnMut(Prediction) -> ControlFlow<()>,
    ) -> Result<()> {
        let mut list = self.list().created_after(from());
        if let Some(until) = until {
            list = list.created_before(until);
        }
        let mut listed = std::pin::pin!(list.stream());
        let mut seen = 0;
        while let Some(prediction) = listed.try_next().await? {
            seen += 1;
            if prediction.created_at.is_some_and(|at| at < from()) {
                break;
            }
            if visit(prediction).is_break() {
                break;
            }
            if seen >= cap {
                return Err(Error::LookupCapped { listed: seen });
            }
        }
        Ok(())
    }

    /// Claims a prediction another lookup of this client passed over when it adopted one of the same input
    /// it could not tell from it. That lookup's create made one of them; if it took this create's
    /// prediction, what it passed over holds its own, which this create takes instead: it may lie outside
    /// this create's window (the other create was sent earlier, or answered later), and without this it
    /// would be paid for and delivered to no one.
    async fn take_passed_over(
        &self,
        request: &CreateRequest,
        ids: Vec<String>,
    ) -> Option<Prediction> {
        for id in &ids {
            if self.shared.owned.holds(id) {
                continue;
            }
            let Ok(prediction) = self.get(id).await else {
                continue;
            };
            if could_be(&prediction, &request.target, request.input())
                && self.shared.owned.claim(&prediction.id)
            {
                tracing::debug!(prediction_id = %prediction.id, "took the prediction another create's lookup passed over");
                // The rest stay within reach of the create whose prediction this may have been.
                let rest = ids.iter().filter(|other| *other != id).cloned().collect();
                self.shared.owned.pass_over(id, rest);
                return Some(prediction);
            }
        }
        None
    }

    /// Claims the earliest candidate; the others, if any, are named in a `warn` event (they may be other
    /// processes' predictions of the same input, or this create's own, and cannot be told apart).
    fn adopt(&self, mut candidates: Vec<Prediction>) -> Option<Prediction> {
        candidates.sort_by_key(|p| p.created_at);
        let mut adopted = None;
        let mut others = Vec::new();
        for candidate in candidates {
            if adopted.is_none() && self.shared.owned.claim(&candidate.id) {
                adopted = Some(candidate);
            } else {
                others.push(candidate.id);
            }
        }
        let prediction = adopted?;
        self.shared.owned.pass_over(&prediction.id, others.clone());
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

#[cfg(test)]
mod tests {
    use super::*;

    fn search(newer_listed: bool, covered: bool) -> Search {
        let end = DateTime::from_timestamp_millis(1_800_000_000_000).unwrap_or_default();
        Search {
            candidates: Vec::new(),
            passed_over: Vec::new(),
            newer_listed,
            covered,
            window: (end - TimeDelta::seconds(1), end),
        }
    }

    #[test]
    fn absence_is_shown_only_by_a_list_that_covered_the_window() {
        let listed = search(true, true);
        let settled = listed.window.1 + LIST_SETTLE;
        let early = listed.window.1;
        assert!(Absence::ListedOrSettled.shown(&listed, early));
        assert!(Absence::Listed.shown(&listed, early));
        assert!(!Absence::Never.shown(&listed, settled));
        let quiet = search(false, true);
        assert!(!Absence::ListedOrSettled.shown(&quiet, early));
        assert!(Absence::ListedOrSettled.shown(&quiet, settled));
        assert!(!Absence::Listed.shown(&quiet, settled));
        // A clock stepped during the walk moved the window out of what was listed.
        let moved = search(true, false);
        assert!(!Absence::ListedOrSettled.shown(&moved, settled));
        assert!(!Absence::Listed.shown(&moved, settled));
    }
}
