//! The typed model inputs generated from `openapi.yaml`, their enums, and helpers for input values.
//!
//! Each typed input (e.g. [`IdeogramV2TurboInput`]) is generated from a component schema that carries
//! `x-replicate-model`; its enums (e.g. [`AspectRatio`]) from the string-enum components used by model
//! inputs. Adding a model is a spec edit. Every input implements [`ModelInput`](crate::ModelInput), which is
//! what [`Client::create`](crate::Client::create) and [`Client::run`](crate::Client::run) take; for a model
//! with no typed input here, use [`JsonInput`](crate::JsonInput).

// Only a face: the generated inputs stand low (`typed_inputs`), and what this re-exports beside them (a
// local file, which is checked against their schemas; a data URL) stands above them.
pub use crate::{files::data_url_of, input::Pinned, local_files::local_file, typed_inputs::*};
