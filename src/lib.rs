#![doc = include_str!("../LIBRARY.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod account;
pub mod batch;
pub mod builders;
mod claims;
mod client;
mod clock;
mod create;
mod decode;
mod digest;
mod download;
mod error;
mod files;
mod governor;
mod input;
mod json_input;
mod list;
mod local_files;
mod model_info;
pub mod models;
mod pages;
mod prediction;
mod redact;
mod resolve;
mod retry;
mod run;
mod transport;
mod typed_inputs;
mod uploads;
mod wait;
mod webhook;
#[doc(hidden)]
pub mod workspace_only;

/// The API's own string enums (`x-rust-root` in `openapi.yaml`), generated as the model inputs' enums are.
mod root_enums {
    include!(concat!(env!("OUT_DIR"), "/root_enums.rs"));
}

pub use account::Account;
pub use client::{Client, ClientBuilder};
pub use clock::WaitOptions;
pub use error::{ApiError, DecodeKind, Error, InvalidField, Operation, Result, WebhookError};
pub use files::UploadedFile;
pub use governor::{Rate, RateLimits};
pub use input::{ModelInput, Target};
pub use json_input::JsonInput;
pub use model_info::{ModelInfo, ModelVersion};
pub use prediction::{Prediction, PredictionStatus, PredictionUrls};
pub use retry::RetryPolicy;
pub use root_enums::WebhookEvent;
pub use webhook::{VerifiedWebhook, WebhookSecret, WebhookVerifier};
