//! The `ideogram` command-line tool's library part: what its tests and the maintainers' tooling reuse.
//!
//! - [`spec_sync`]: rewriting a model's components in `openapi.yaml` from the schema Replicate publishes
//!   (`ideogram spec sync`, and `ideogram spec sync --check`).

pub mod spec_sync;
