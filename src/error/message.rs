//! The pieces of text error messages are made of.

use chrono::{DateTime, Utc};

use super::Error;
use crate::{Prediction, PredictionStatus};

pub(super) fn logs_tail(prediction: &Prediction) -> String {
    match prediction.logs.as_deref().map(str::trim) {
        Some(logs) if !logs.is_empty() => {
            let lines: Vec<&str> = logs.lines().collect();
            let tail = lines
                .get(lines.len().saturating_sub(5)..)
                .unwrap_or_default();
            format!("\nlast log lines:\n  {}", tail.join("\n  "))
        }
        _ => String::new(),
    }
}

pub(super) fn describe_wait(id: Option<&str>, status: Option<&PredictionStatus>) -> String {
    match (id, status) {
        (Some(id), Some(status)) => format!("prediction {id} (last status: {status})"),
        (Some(id), None) => format!("prediction {id}"),
        _ => "a create to be answered; no prediction was created".to_string(),
    }
}

/// `; <what> starts: "<snippet>"`, or nothing for an empty snippet.
pub(super) fn quoted(what: &str, snippet: &str) -> String {
    if snippet.is_empty() {
        String::new()
    } else {
        format!("; {what} starts: {snippet:?}")
    }
}

pub(super) fn describe_lookup(
    lookup: Option<&Error>,
    searched: Option<&(DateTime<Utc>, DateTime<Utc>)>,
    candidates: &[String],
) -> String {
    if !candidates.is_empty() {
        return format!(
            "predictions that may be it cannot be told apart from others' ({}); none was taken",
            candidates.join(", ")
        );
    }
    match (lookup, searched) {
        (Some(error), _) => format!("looking for it failed ({error})"),
        (None, Some((from, to))) => format!(
            "no prediction of that input is listed between {} and {} (server time), and the list cannot prove that none was made",
            from.format("%H:%M:%S%.3f"),
            to.format("%H:%M:%S%.3f")
        ),
        (None, None) => "looking for it could not settle it".into(),
    }
}

pub(super) fn for_prediction(id: Option<&str>) -> String {
    id.map(|id| format!(" (prediction {id})"))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use crate::Error;

    #[test]
    fn output_errors_name_the_prediction_and_what_is_wrong() {
        let removed = Error::OutputMissing {
            prediction_id: "gone".into(),
            removed: true,
        };
        assert_eq!(
            removed.to_string(),
            "prediction gone has no output: it was removed (outputs are deleted an hour after a prediction finishes)"
        );
        let mismatch =
            Error::output_mismatch("odd".into(), "not a string", &serde_json::json!([1]));
        assert_eq!(
            mismatch.to_string(),
            "prediction odd: not a string; output starts: \"[1]\""
        );
        assert_eq!(mismatch.prediction_id(), Some("odd"));
    }

    #[test]
    fn a_claim_file_error_names_the_file_and_the_reason() {
        let path = std::path::PathBuf::from("claims/claims.sqlite");
        let error = Error::ClaimFile {
            path: path.clone(),
            reason: "database is locked".into(),
        };
        assert_eq!(
            error.to_string(),
            format!("claim file {}: database is locked", path.display())
        );
        assert_eq!((error.prediction_id(), error.status()), (None, None));
    }
}
