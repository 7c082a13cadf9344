//! The predictions this client holds: every one a create returned or a lookup adopted.

use std::{
    collections::{HashMap, HashSet, VecDeque},
    sync::Mutex,
    time::Duration,
};

use tokio::time::Instant;

/// How long claims are remembered: far longer than any lookup window.
const CLAIM_MEMORY: Duration = Duration::from_secs(30 * 60);

/// The predictions this client holds.
#[derive(Default)]
pub(crate) struct OwnedPredictions {
    held: Mutex<ClaimLog>,
}

/// Claimed ids, and the same in the order they were claimed, so the expired are dropped from the front
/// (constant time per claim, where scanning them all made a batch quadratic).
#[derive(Default)]
struct ClaimLog {
    ids: HashSet<String>,
    by_age: VecDeque<(Instant, String)>,
    /// For a prediction a lookup adopted from several, the others it passed over: one of them may be the
    /// adopting create's own, left to the create whose prediction was taken.
    passed_over: HashMap<String, Vec<String>>,
}

impl OwnedPredictions {
    /// Claims a prediction; false if it was already held.
    pub(crate) fn claim(&self, id: &str) -> bool {
        let mut held = self.lock();
        let now = Instant::now();
        while let Some((at, _)) = held.by_age.front() {
            if now.duration_since(*at) < CLAIM_MEMORY {
                break;
            }
            if let Some((_, expired)) = held.by_age.pop_front() {
                held.ids.remove(&expired);
                held.passed_over.remove(&expired);
            }
        }
        if !held.ids.insert(id.to_owned()) {
            return false;
        }
        held.by_age.push_back((now, id.to_owned()));
        true
    }

    /// Whether this client holds `id`.
    pub(crate) fn holds(&self, id: &str) -> bool {
        self.lock().ids.contains(id)
    }

    /// Records that a lookup adopted `adopted` over `others`, which it could not tell apart from it.
    pub(crate) fn pass_over(&self, adopted: &str, others: Vec<String>) {
        let mut held = self.lock();
        if !others.is_empty() && held.ids.contains(adopted) {
            held.passed_over.insert(adopted.to_owned(), others);
        }
    }

    /// The predictions a lookup passed over when it adopted `id` (none if it was not adopted from several).
    pub(crate) fn passed_over(&self, id: &str) -> Vec<String> {
        self.lock().passed_over.get(id).cloned().unwrap_or_default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ClaimLog> {
        self.held
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_prediction_is_claimed_once() {
        let claims = OwnedPredictions::default();
        assert!(claims.claim("a"));
        assert!(!claims.claim("a"));
        assert!(claims.holds("a"));
        assert!(!claims.holds("b"));
        assert!(claims.claim("b"));
    }

    #[test]
    fn what_an_adoption_passed_over_is_kept_only_for_a_held_prediction() {
        let claims = OwnedPredictions::default();
        claims.pass_over("not held", vec!["x".into()]);
        assert!(claims.passed_over("not held").is_empty());
        assert!(claims.claim("adopted"));
        claims.pass_over("adopted", vec!["mine".into(), "theirs".into()]);
        assert_eq!(claims.passed_over("adopted"), ["mine", "theirs"]);
        assert!(claims.passed_over("other").is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn claims_are_forgotten_after_their_memory_in_the_order_made() {
        let claims = OwnedPredictions::default();
        assert!(claims.claim("old"));
        claims.pass_over("old", vec!["y".into()]);
        tokio::time::advance(CLAIM_MEMORY / 2).await;
        assert!(claims.claim("newer"));
        tokio::time::advance(CLAIM_MEMORY / 2).await;
        // "old" has been held for the whole memory: forgotten; "newer" for half of it: still held.
        claims.pass_over("newer", vec!["x".into()]);
        assert!(claims.claim("old"));
        assert!(!claims.claim("newer"));
        assert!(
            claims.passed_over("old").is_empty(),
            "forgotten with its claim"
        );
        assert_eq!(claims.passed_over("newer"), ["x"]);
        let held = claims.held.lock().unwrap();
        assert_eq!(held.ids.len(), held.by_age.len());
        assert_eq!(held.ids.len(), 2);
    }
}
