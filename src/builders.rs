//! The request builders the client's methods return: each is configured with chained setters, then
//! awaited (or, for a listing, streamed; for a download, sent with `bytes` or `to_file`).
//!
//! They live here rather than at the crate root because code seldom names them: it calls a method on
//! [`Client`](crate::Client) and chains on what comes back. Name them to store a configured request or to
//! write a function that takes one.
//!
//! ```no_run
//! # async fn demo(client: replicate_ideogram::Client) -> replicate_ideogram::Result<()> {
//! use std::time::Duration;
//! use replicate_ideogram::{builders::Run, models::IdeogramV2TurboInput};
//!
//! fn patient(run: Run<'_, IdeogramV2TurboInput>) -> Run<'_, IdeogramV2TurboInput> {
//!     run.timeout(Duration::from_secs(20 * 60)).cancel_on_timeout(true)
//! }
//!
//! let url = patient(client.run(IdeogramV2TurboInput::new("a lighthouse at dawn"))).await?;
//! # Ok(()) }
//! ```

pub use crate::{
    create::CreatePrediction, download::Download, list::ListPredictions, run::Run, uploads::Files,
    wait::WaitFor,
};
