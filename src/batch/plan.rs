//! What to do for an item, from what the journal says of it and what the start's walk found.

use serde_json::Value;

use super::journal::{FailureKind, ItemState, SavedFile, replay::Finished};
use crate::{Error, Prediction, resolve::resume::Resolution};

/// What to do for an item.
#[derive(Debug)]
pub(super) enum Plan {
    /// Create a prediction.
    Create,
    /// A prediction exists and had not finished: wait for it.
    Wait(String),
    /// It succeeded: fetch its output (again).
    Fetch(String, Finished),
    /// It succeeded and its files are recorded: nothing to send if they are whole.
    Skip(String, Finished, Vec<SavedFile>),
    /// It ended as it must not be paid for again without being asked: report it (no request).
    Report(Box<Error>),
}

/// The plan for an item the journal knows `past` of (if anything), given what the start's walk found for
/// it (if its last create's answer was never recorded).
pub(super) fn plan(
    past: Option<&ItemState>,
    resumed: Option<Resolution>,
    retry_failed: bool,
) -> Plan {
    match resumed {
        Some(Resolution::Found(prediction)) => return Plan::Wait(prediction.id),
        Some(Resolution::Absent) => return Plan::Create,
        Some(Resolution::Uncertain { why, candidates }) => {
            return Plan::Report(Box::new(Error::CreateUncertain {
                cause: Box::new(Error::CreateUnanswered { reason: why }),
                lookup: None,
                searched: None,
                candidates,
            }));
        }
        None => {}
    }
    let Some(past) = past else {
        return Plan::Create;
    };
    let failed = past.failed.as_ref();
    let asked_again = |kind| retry_failed && failed.is_some_and(|f| f.kind == kind);
    match (&past.finished, &past.prediction) {
        (Some(finished), Some(id)) if finished.status == "succeeded" => {
            if asked_again(FailureKind::Output) {
                return Plan::Create;
            }
            if let Some(failure) = failed.filter(|f| f.kind == FailureKind::Output) {
                return Plan::Report(Box::new(Error::OutputExpired {
                    prediction_id: id.clone(),
                    reason: failure.error.clone(),
                }));
            }
            match &past.saved {
                Some(saved) => Plan::Skip(id.clone(), finished.clone(), saved.clone()),
                None => Plan::Fetch(id.clone(), finished.clone()),
            }
        }
        (Some(_), Some(_)) if retry_failed => Plan::Create,
        (Some(finished), Some(id)) => Plan::Report(Box::new(ended(id, finished))),
        (None, Some(id)) => Plan::Wait(id.clone()),
        // Never sent, refused for certain, or (with no walk's word) settled as made nothing.
        (_, None) => Plan::Create,
    }
}

/// The error `wait` gives for a prediction that ended as `finished` says, rebuilt from the journal.
fn ended(id: &str, finished: &Finished) -> Error {
    let recorded = serde_json::json!({
        "id": id,
        "status": finished.status,
        "error": finished.error,
        "output": finished.output,
    });
    match Prediction::from_json(recorded.to_string().as_bytes()) {
        Ok(prediction) => terminal_error(prediction),
        Err(error) => error,
    }
}

/// A terminal prediction that did not succeed, as the error `wait` gives for it.
pub(super) fn terminal_error(prediction: Prediction) -> Error {
    match prediction.status {
        crate::PredictionStatus::Canceled => Error::PredictionCanceled(Box::new(prediction)),
        crate::PredictionStatus::Aborted => Error::PredictionAborted(Box::new(prediction)),
        _ => Error::PredictionFailed(Box::new(prediction)),
    }
}

/// How an error classes a failed attempt, and whether the create certainly made nothing.
pub(super) fn failure_of(error: &Error) -> (FailureKind, bool) {
    let kind = match error {
        Error::PredictionFailed(_) | Error::PredictionCanceled(_) | Error::PredictionAborted(_) => {
            FailureKind::Prediction
        }
        Error::OutputMissing { .. }
        | Error::OutputMismatch { .. }
        | Error::OutputExpired { .. } => FailureKind::Output,
        Error::CreateUncertain { .. } => FailureKind::Uncertain,
        _ => FailureKind::Other,
    };
    // Refused by the server (a 4xx other than a timeout), or stopped before sending: nothing was made.
    let refused = matches!(error, Error::Api(api)
        if api.operation == crate::Operation::Create && (400..500).contains(&api.status) && api.status != 408)
        || matches!(error, Error::UnknownVersion { .. });
    let unsent = matches!(
        error,
        Error::InvalidInput { .. } | Error::Io { .. } | Error::Config(_)
    );
    (kind, refused || unsent)
}

/// The output of a finished prediction as the journal recorded it.
pub(super) fn recorded_output(finished: &Finished) -> Value {
    finished.output.clone().unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::journal::replay::Failure;

    fn succeeded() -> ItemState {
        ItemState {
            prediction: Some("p".into()),
            finished: Some(Finished {
                status: "succeeded".into(),
                output: Some("https://x/p.png".into()),
                data_removed: false,
                predict_time: None,
                error: None,
            }),
            ..ItemState::default()
        }
    }

    #[test]
    fn a_removed_output_is_reported_and_recreated_only_when_asked() {
        let mut state = succeeded();
        state.failed = Some(Failure {
            kind: FailureKind::Output,
            made_nothing: false,
            error: "removed".into(),
        });
        assert!(matches!(plan(Some(&state), None, false), Plan::Report(_)));
        assert!(matches!(plan(Some(&state), None, true), Plan::Create));
        state.failed = None;
        assert!(matches!(plan(Some(&state), None, true), Plan::Fetch(..)));
    }

    #[test]
    fn what_the_walk_found_decides_a_dangling_create() {
        let uncertain = Resolution::Uncertain {
            why: "lagging".into(),
            candidates: vec!["c".into()],
        };
        match plan(None, Some(uncertain), true) {
            Plan::Report(error) => {
                assert!(
                    matches!(*error, Error::CreateUncertain { ref candidates, .. } if candidates == &["c"])
                );
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            plan(None, Some(Resolution::Absent), false),
            Plan::Create
        ));
        assert!(matches!(plan(None, None, false), Plan::Create));
    }
}
