//! The library's integration tests, as modules of one binary: each test binary links the whole library and
//! its dependencies, and linking dozens of them took most of the suite's build time.
//!
//! The simulator is a path-only dev-dependency, absent from the published package, and so are the fixtures
//! the helpers read: the modules that need either are compiled only where `build.rs` finds the simulator
//! beside the library (`cfg(simulator_at_hand)`). The others are the package's tests, run from the packaged
//! crate too.

// A test reports a failure by panicking.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

/// `build.rs`, compiled here as a module once for the tests that call its `generate`.
#[allow(dead_code)]
#[path = "../../build.rs"]
mod build_rs;

mod build_script;
mod config_env;
mod hostile;
mod layers;
mod regeneration;
mod spec;
mod webhooks;

#[cfg(simulator_at_hand)]
mod base_url;
#[cfg(simulator_at_hand)]
mod batch;
#[cfg(simulator_at_hand)]
mod batch_money;
#[cfg(simulator_at_hand)]
mod common;
#[cfg(simulator_at_hand)]
mod config;
#[cfg(simulator_at_hand)]
mod deadlines;
#[cfg(simulator_at_hand)]
mod deadlines_held;
#[cfg(simulator_at_hand)]
mod doc_paths;
#[cfg(simulator_at_hand)]
mod download;
#[cfg(simulator_at_hand)]
mod download_files;
#[cfg(simulator_at_hand)]
mod error_kinds;
#[cfg(simulator_at_hand)]
mod errors;
#[cfg(simulator_at_hand)]
mod example_exchange;
#[cfg(simulator_at_hand)]
mod examples;
#[cfg(simulator_at_hand)]
mod files;
#[cfg(simulator_at_hand)]
mod latest_models;
#[cfg(simulator_at_hand)]
mod list_pages;
#[cfg(simulator_at_hand)]
mod lost_creates;
#[cfg(simulator_at_hand)]
mod models;
#[cfg(simulator_at_hand)]
mod one_validation;
#[cfg(simulator_at_hand)]
mod predictions;
#[cfg(simulator_at_hand)]
mod rate_limits;
#[cfg(simulator_at_hand)]
mod reliability;
#[cfg(simulator_at_hand)]
mod retry;
#[cfg(simulator_at_hand)]
mod retry_paths;
#[cfg(simulator_at_hand)]
mod token_origin;
#[cfg(simulator_at_hand)]
mod tracing;
#[cfg(simulator_at_hand)]
mod two_processes;
#[cfg(simulator_at_hand)]
mod uploaded_files;
#[cfg(simulator_at_hand)]
mod versions;
#[cfg(simulator_at_hand)]
mod wait;
