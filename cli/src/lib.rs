//! The `ideogram` command-line tool's library part: what its tests and the maintainers' tooling reuse.
//!
//! - [`spec_sync`]: rewriting a model's components in `openapi.yaml` from the schema Replicate publishes
//!   (`ideogram spec sync`, and `ideogram spec sync --check`).
// Nothing a server, a file or a user sends may panic it: no unwrap, expect or indexing outside tests.
#![cfg_attr(
    not(test),
    warn(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]

pub mod spec_sync;
