//! What the workspace's simulator and CLI take from this crate, so that each builds from its own package:
//! not part of the API, hidden from the docs, and changed only together with them (they require this crate's
//! exact version).
//!
//! One copy of each piece: `case` and `refs` are the build step's own readers of the spec
//! (`build/shared/`), compiled both into the build script and here; `published` is made by the build step
//! from `openapi.yaml`.

/// Each model's schemas as Replicate publishes them (Cog's OpenAPI document, JSON text), the version they
/// are of, and which models answer with a list of files: what the simulator serves
/// (`build/codegen/published.rs`).
pub mod published {
    include!(concat!(env!("OUT_DIR"), "/published.rs"));
}

// `ideogram spec sync` names components and follows references as the build step does.
#[path = "../../build/shared/case.rs"]
pub mod case;
#[path = "../../build/shared/refs.rs"]
pub mod refs;
