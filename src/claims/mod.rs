//! Claims: which owner holds each prediction, so that each prediction goes to at most one create.
//!
//! An owner is a string: one per create request of a [`Client`](crate::Client) (`<client>/<n>`), or one per
//! batch item (its journal and identity), so that a rerun of the same batch recognises its own claims. A
//! prediction a create returned or a lookup adopted is claimed by that create's owner; a prediction someone
//! holds is never adopted for anyone else.
//!
//! Claims live in memory (per `Client`, for half an hour: far longer than any lookup window) and, with a
//! claim file ([`ClientBuilder::claims_file`](crate::ClientBuilder::claims_file)), in a file every process
//! of the account on this machine shares, so that two processes running the same inputs never take each
//! other's predictions. The file is the authority when there is one; if it cannot be read or written, the
//! memory still holds this process's claims and a `warn` event says so.

#[cfg(feature = "claims-file")]
pub(crate) mod claim_file;

use std::{
    collections::{HashMap, VecDeque},
    sync::Mutex,
    time::Duration,
};

use chrono::{DateTime, Utc};
use tokio::time::Instant;

/// A prediction known to exist (its create was answered), with the server's stamp of its creation: a list
/// that does not show it, long enough after, lags.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Known {
    pub(crate) id: String,
    pub(crate) created_at: DateTime<Utc>,
}

/// How long claims are remembered in memory.
const CLAIM_MEMORY: Duration = Duration::from_secs(30 * 60);

/// The predictions held, and by whom.
#[derive(Default)]
pub(crate) struct Claims {
    memory: Mutex<ClaimLog>,
    #[cfg(feature = "claims-file")]
    file: Option<claim_file::ClaimFile>,
}

/// Claimed ids with their owners, the same in the order they were claimed (so the expired are dropped from
/// the front), and what adoptions passed over.
#[derive(Default)]
struct ClaimLog {
    owners: HashMap<String, String>,
    by_age: VecDeque<(Instant, String)>,
    /// For a prediction a lookup adopted from several, the others it passed over: one of them may be the
    /// adopting create's own, left to the create whose prediction was taken.
    passed_over: HashMap<String, Vec<String>>,
    /// Predictions whose creates were answered, with their creation stamps, newest last.
    known: VecDeque<(Instant, Known)>,
}

impl ClaimLog {
    /// Forgets the claims older than the memory, oldest first.
    fn forget_expired(&mut self, now: Instant) {
        while let Some((at, _)) = self.by_age.front() {
            if now.duration_since(*at) < CLAIM_MEMORY {
                break;
            }
            if let Some((_, expired)) = self.by_age.pop_front() {
                self.owners.remove(&expired);
                self.passed_over.remove(&expired);
            }
        }
    }
}

impl std::fmt::Debug for Claims {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Claims").finish_non_exhaustive()
    }
}

impl Claims {
    /// Claims kept in `file` as well as in memory.
    #[cfg(feature = "claims-file")]
    pub(crate) fn with_file(file: claim_file::ClaimFile) -> Self {
        Self {
            memory: Mutex::default(),
            file: Some(file),
        }
    }

    /// Claims `id` for `owner`: true if `owner` holds it now (newly, or it already did), false if another
    /// owner does.
    pub(crate) fn claim(&self, id: &str, owner: &str) -> bool {
        let holder = match self.file_claim(id, owner) {
            Some(holder) => holder,
            None => self.memory_claim(id, owner),
        };
        match holder {
            None => {
                self.remember(id, owner);
                true
            }
            Some(other) => {
                self.remember(id, &other);
                false
            }
        }
    }

    /// Who holds `id`, if anyone.
    pub(crate) fn holder(&self, id: &str) -> Option<String> {
        #[cfg(feature = "claims-file")]
        if let Some(file) = &self.file {
            match file.owner(id) {
                Ok(owner) => return owner,
                Err(error) => warn_file(file, &error),
            }
        }
        self.lock().owners.get(id).cloned()
    }

    /// Whether someone other than `owner` holds `id`.
    pub(crate) fn held_by_another(&self, id: &str, owner: &str) -> bool {
        self.holder(id).is_some_and(|holder| holder != owner)
    }

    /// Records that a lookup adopted `adopted` over `others`, which it could not tell apart from it.
    pub(crate) fn pass_over(&self, adopted: &str, others: &[String]) {
        if others.is_empty() {
            return;
        }
        #[cfg(feature = "claims-file")]
        if let Some(file) = &self.file
            && let Err(error) = file.pass_over(adopted, others)
        {
            warn_file(file, &error);
        }
        let mut log = self.lock();
        if log.owners.contains_key(adopted) {
            log.passed_over.insert(adopted.to_owned(), others.to_vec());
        }
    }

    /// The predictions a lookup passed over when it adopted `id` (none if it was not adopted from several).
    pub(crate) fn passed_over(&self, id: &str) -> Vec<String> {
        #[cfg(feature = "claims-file")]
        if let Some(file) = &self.file {
            match file.passed_over(id) {
                Ok(ids) => return ids,
                Err(error) => warn_file(file, &error),
            }
        }
        self.lock().passed_over.get(id).cloned().unwrap_or_default()
    }

    /// The predictions adoptions passed over that no one holds (paid for, delivered to no one, unless
    /// another process without this client's claims took them).
    pub(crate) fn unheld_passed_over(&self) -> Vec<String> {
        let passed: Vec<String> = self
            .lock()
            .passed_over
            .values()
            .flatten()
            .cloned()
            .collect();
        passed
            .into_iter()
            .filter(|id| self.holder(id).is_none())
            .collect()
    }

    /// Notes that a create's answer showed `id`, created at `created_at` (the server's stamp): a list that
    /// does not show it a settle margin later lags.
    pub(crate) fn record_known(&self, id: &str, created_at: DateTime<Utc>) {
        let mut log = self.lock();
        let now = Instant::now();
        while log
            .known
            .front()
            .is_some_and(|(at, _)| now.duration_since(*at) >= CLAIM_MEMORY)
        {
            log.known.pop_front();
        }
        log.known.push_back((
            now,
            Known {
                id: id.to_owned(),
                created_at,
            },
        ));
    }

    /// The predictions known to exist, created between `from` and `to` (the server's time).
    pub(crate) fn known_between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<Known> {
        self.lock()
            .known
            .iter()
            .map(|(_, known)| known)
            .filter(|k| k.created_at >= from && k.created_at < to)
            .cloned()
            .collect()
    }

    /// The holder after claiming in the file (`Some(None)`: `owner` holds it), or `None` without a usable
    /// file.
    #[allow(clippy::unused_self, unused_variables)]
    fn file_claim(&self, id: &str, owner: &str) -> Option<Option<String>> {
        #[cfg(feature = "claims-file")]
        if let Some(file) = &self.file {
            match file.claim(id, owner) {
                Ok(holder) => return Some(holder),
                Err(error) => warn_file(file, &error),
            }
        }
        None
    }

    /// Claims in memory: the holder if it is another owner.
    fn memory_claim(&self, id: &str, owner: &str) -> Option<String> {
        let mut log = self.lock();
        log.forget_expired(Instant::now());
        match log.owners.get(id) {
            Some(holder) if holder != owner => Some(holder.clone()),
            _ => None,
        }
    }

    /// Remembers in memory that `owner` holds `id`, forgetting claims older than the memory.
    fn remember(&self, id: &str, owner: &str) {
        let mut log = self.lock();
        let now = Instant::now();
        log.forget_expired(now);
        if log.owners.insert(id.to_owned(), owner.to_owned()).is_none() {
            log.by_age.push_back((now, id.to_owned()));
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ClaimLog> {
        self.memory
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(feature = "claims-file")]
fn warn_file(file: &claim_file::ClaimFile, error: &crate::Error) {
    tracing::warn!(path = %file.path().display(), error = %error, "the claim file could not be used; this process's claims are kept in memory only");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_prediction_is_held_by_one_owner() {
        let claims = Claims::default();
        assert!(claims.claim("a", "one"));
        assert!(claims.claim("a", "one"), "its owner holds it still");
        assert!(!claims.claim("a", "two"));
        assert_eq!(claims.holder("a").as_deref(), Some("one"));
        assert!(claims.held_by_another("a", "two"));
        assert!(!claims.held_by_another("a", "one"));
        assert_eq!(claims.holder("b"), None);
        assert!(claims.claim("b", "two"));
    }

    #[test]
    fn what_an_adoption_passed_over_is_kept_only_for_a_held_prediction() {
        let claims = Claims::default();
        claims.pass_over("not held", &["x".into()]);
        assert!(claims.passed_over("not held").is_empty());
        assert!(claims.claim("adopted", "one"));
        claims.pass_over("adopted", &["mine".into(), "theirs".into()]);
        assert_eq!(claims.passed_over("adopted"), ["mine", "theirs"]);
        assert!(claims.passed_over("other").is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn claims_are_forgotten_after_their_memory_in_the_order_made() {
        let claims = Claims::default();
        assert!(claims.claim("old", "one"));
        claims.pass_over("old", &["y".into()]);
        tokio::time::advance(CLAIM_MEMORY / 2).await;
        assert!(claims.claim("newer", "one"));
        tokio::time::advance(CLAIM_MEMORY / 2).await;
        // "old" has been held for the whole memory: forgotten; "newer" for half of it: still held.
        claims.pass_over("newer", &["x".into()]);
        assert!(claims.claim("old", "two"));
        assert!(!claims.claim("newer", "two"));
        assert!(
            claims.passed_over("old").is_empty(),
            "forgotten with its claim"
        );
        assert_eq!(claims.passed_over("newer"), ["x"]);
        let log = claims.memory.lock().unwrap();
        assert_eq!(log.owners.len(), log.by_age.len());
        assert_eq!(log.owners.len(), 2);
    }
}
