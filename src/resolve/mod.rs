//! Never pay twice, never hand one request's prediction to another: identity, proof of absence and claims.
//!
//! Replicate has no idempotency key, so "did my create make a prediction, and which one is mine?" is
//! answered from what the client recorded and what the server lists. Three ideas, each in one module, used
//! by a live create whose answer was lost and by a batch resumed after a crash alike:
//!
//! - **Identity** ([`identity`]): what a create sent, with every file standing as the hash of its content,
//!   so a prediction can be recognised whatever URL a file had; a batch item's key is its target, that
//!   canonical input and its occurrence among identical items.
//! - **Matching** ([`matching`]): a listed prediction is a create's only if its target and input are
//!   exactly what was sent; what cannot be compared is never taken for a match.
//! - **Proof of absence** ([`absence`]): "nothing was made" only from a complete list that covered the
//!   create's window, read after the server's clock passed it by the settle margin.
//! - **Claims** ([`claims`](crate::claims), below the client): each prediction goes to one owner (a create
//!   request, a batch item), across the creates of a client and, with a claim file, across processes.
//!
//! What a live create whose answer was lost does with them is `create/exactly_once.rs`.

pub(crate) mod absence;
pub(crate) mod identity;
pub(crate) mod matching;
pub(crate) mod resume;
mod unanswered;
pub(crate) mod walk;
