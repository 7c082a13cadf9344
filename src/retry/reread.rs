//! The re-read loop: a read whose answer broke after the transport had accepted it (a body cut short or
//! garbled, a connection lost mid-body) is read again, as the table and the policy allow.

use std::future::Future;

use super::RetryPolicy;
use super::table::{Decision, Failure, decide};
use crate::{Operation, Result};

/// Runs `read` (an `operation` that reads: get, a list page, the webhook secret, a download) again while
/// the table says its failure is worth reading again, as `policy` allows.
pub(crate) async fn read_again_if_broken<T, F, Fut>(
    policy: &RetryPolicy,
    operation: Operation,
    mut read: F,
) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T>>,
{
    let started = tokio::time::Instant::now();
    let mut attempt = 1;
    loop {
        match read().await {
            Err(error)
                if decide(operation, Failure::of_error(&error)) == Decision::ReadAgain
                    && attempt <= policy.max_retries
                    && started.elapsed() < policy.max_elapsed =>
            {
                tracing::debug!(error = %error, attempt, "reading again");
                tokio::time::sleep(policy.backoff(attempt)).await;
                attempt += 1;
            }
            outcome => return outcome,
        }
    }
}
