//! The client progenitor generates from `openapi.yaml` (see `build.rs`). Private: nothing here is public API,
//! so a change in the generator's output never breaks users. The wrapper modules convert to and from it.
//! It is part of the transport: built on [`Transport`](super::Transport), whose hook sends each of its
//! requests, and naming the crate's own types in place of its generated ones.

#![allow(
    dead_code,
    unused_imports,
    missing_docs,
    clippy::all,
    clippy::pedantic,
    clippy::restriction,
    rustdoc::all
)]

include!(concat!(env!("OUT_DIR"), "/codegen.rs"));
