//! The CLI's integration tests, as modules of one binary: each test binary links the library, the simulator
//! and the CLI, and linking many of them took most of the suite's build time.

// A test reports a failure by panicking.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod account;
mod batch;
mod cli;
mod cli_support;
/// The library's test helpers (a mock server and a listing that leads nowhere).
#[path = "../../../tests/it/common/mod.rs"]
mod common;
mod explorer;
mod hygiene;
mod list;
mod models;
mod published_schemas;
mod simulate;
mod spec_sync;
/// How a throttled answer must look, shared with the simulator's tests.
#[path = "../../../simulator/tests/it/throttled.rs"]
mod throttled;
