//! The predictions this client holds: every one a create returned or a lookup adopted.

use std::{
    collections::{HashSet, VecDeque},
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

    #[tokio::test(start_paused = true)]
    async fn claims_are_forgotten_after_their_memory_in_the_order_made() {
        let claims = OwnedPredictions::default();
        assert!(claims.claim("old"));
        tokio::time::advance(CLAIM_MEMORY / 2).await;
        assert!(claims.claim("newer"));
        tokio::time::advance(CLAIM_MEMORY / 2).await;
        // "old" has been held for the whole memory: forgotten; "newer" for half of it: still held.
        assert!(claims.claim("old"));
        assert!(!claims.claim("newer"));
        let held = claims.held.lock().unwrap();
        assert_eq!(held.ids.len(), held.by_age.len());
        assert_eq!(held.ids.len(), 2);
    }
}
