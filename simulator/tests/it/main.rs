//! The simulator's integration tests, as modules of one binary: each test binary links the simulator and
//! the library, and linking many of them took most of the suite's build time.
//!
//! `schema` and `validation` read the library's spec and fixtures, outside this package: they are compiled
//! only where `build.rs` finds the library beside the simulator (`cfg(library_at_hand)`), so the package's
//! tests build from the packaged crate too.

// A test reports a failure by panicking.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;
mod faults;
mod harness;
mod rate_limits;
#[cfg(library_at_hand)]
mod schema;
mod simulator;
mod throttled;
#[cfg(library_at_hand)]
mod validation;
