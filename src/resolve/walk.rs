//! The one walk of the predictions list that every lookup makes: a live create's whose answer was lost, and a
//! resumed batch's for all its creates at once.

use std::{collections::HashSet, time::Duration};

use chrono::{DateTime, TimeDelta, Utc};
use futures_util::TryStreamExt;

use super::absence::Coverage;
use crate::{Client, Prediction, Result, claims::Known};

/// What a walk of the list found.
#[derive(Debug)]
pub(crate) struct Reading {
    /// What the walk covered.
    pub(crate) coverage: Coverage,
    /// The predictions it kept, newest first.
    pub(crate) kept: Vec<Prediction>,
}

impl Client {
    /// Walks the predictions created in `asked` (after the first, before the second), newest first, keeping
    /// those `keep` wants, reading at most `cap` predictions. `known` predictions created in `asked` at
    /// least `settle` before the walk began must be listed, or the list lags.
    pub(crate) async fn read_list(
        &self,
        asked: (DateTime<Utc>, DateTime<Utc>),
        cap: usize,
        (known, settle): (&[Known], Duration),
        mut keep: impl FnMut(&Prediction) -> bool,
    ) -> Result<Reading> {
        let began = self.shared.transport.clock().server_now_at_least();
        let list = self.list().created_after(asked.0).created_before(asked.1);
        let mut listed = std::pin::pin!(list.stream());
        let mut seen = HashSet::new();
        let mut kept = Vec::new();
        let mut complete = true;
        while let Some(prediction) = listed.try_next().await? {
            if prediction.created_at.is_some_and(|at| at < asked.0) {
                break;
            }
            if seen.len() >= cap {
                complete = false;
                break;
            }
            seen.insert(prediction.id.clone());
            if keep(&prediction) {
                kept.push(prediction);
            }
        }
        let settle = TimeDelta::from_std(settle).unwrap_or(TimeDelta::MAX);
        let missing_known = known
            .iter()
            .filter(|k| k.created_at >= asked.0 && k.created_at < asked.1)
            .filter(|k| {
                k.created_at
                    .checked_add_signed(settle)
                    .is_some_and(|t| t <= began)
            })
            .filter(|k| !seen.contains(&k.id))
            .count();
        if missing_known > 0 {
            tracing::debug!(
                missing_known,
                "the list does not show predictions known to exist: it lags"
            );
        }
        Ok(Reading {
            coverage: Coverage {
                began,
                asked,
                complete,
                missing_known,
            },
            kept,
        })
    }
}
