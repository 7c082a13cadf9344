//! Batches: many inputs run with bounded concurrency, each result yielded as it finishes, optionally
//! downloaded, and (with a journal) resumable after any interruption without paying twice.
//!
//! ```no_run
//! # async fn demo(client: replicate_ideogram::Client) -> replicate_ideogram::Result<()> {
//! use futures_util::StreamExt;
//! use replicate_ideogram::{batch::Outputs, models::IdeogramV2TurboInput};
//!
//! let inputs = ["a red fox", "a paper boat", "a lighthouse"].map(IdeogramV2TurboInput::new);
//! let mut results = client
//!     .batch(inputs)
//!     .concurrency(8)
//!     .outputs(Outputs::directory("out"))
//!     .journal("out/journal.jsonl")
//!     .stream()?;
//! while let Some(item) = results.next().await {
//!     match item.result {
//!         Ok(done) => println!("{}: {:?}", item.index, done.files),
//!         Err(error) => eprintln!("{}: {error}", item.index),
//!     }
//! }
//! # Ok(()) }
//! ```
//!
//! With a journal, running the same batch again (same inputs in the same order, same journal) skips the
//! items whose files are complete (checked by size and SHA-256), waits for predictions that were created but
//! not finished, downloads the outputs of finished ones, and looks up predictions whose create was sent
//! but whose answer never came, before creating anything. Failed predictions and expired outputs are
//! reported; [`Batch::retry_failed`] runs them again.

mod durable;
mod files;
mod item;
pub(crate) mod journal;

use std::{
    collections::HashSet,
    path::{Path, PathBuf},
    sync::{Arc, Mutex},
    time::Duration,
};

use bytes::Bytes;
use futures_util::{Stream, StreamExt, stream};

use crate::{Client, ModelInput, Prediction, Result};
pub use files::extension_of;
use journal::Journal;
pub use journal::SavedFile;

/// What a batch does with each output.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outputs {
    /// Nothing: the output (URLs) is returned as the model gave it.
    #[default]
    Keep,
    /// Downloaded into memory ([`Done::bytes`]).
    Memory,
    /// Downloaded into files in this directory ([`Done::files`]), named by item index and a slug of the
    /// prompt (`00007-a-red-fox.png`), with the output's own extension.
    Directory(PathBuf),
}

impl Outputs {
    /// Files in `dir`.
    pub fn directory(dir: impl Into<PathBuf>) -> Self {
        Self::Directory(dir.into())
    }
}

/// How an item came to its result.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Origin {
    /// A prediction was created for it in this run.
    Created,
    /// An earlier run had created its prediction; this run waited for it or downloaded its output.
    Resumed,
    /// An earlier run had finished it and its files are complete: nothing was sent.
    Skipped,
}

/// A finished item.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Done<O> {
    /// The model's output.
    pub output: O,
    /// The prediction's id.
    pub prediction_id: String,
    /// The prediction, as last fetched (`None` for a skipped item: nothing was fetched).
    pub prediction: Option<Prediction>,
    /// The model's time on the prediction, when known.
    pub predict_time: Option<Duration>,
    /// The files written ([`Outputs::Directory`]), relative to the directory.
    pub files: Vec<SavedFile>,
    /// The downloaded outputs ([`Outputs::Memory`]).
    pub bytes: Vec<Bytes>,
    /// Whether it was created, resumed or skipped.
    pub origin: Origin,
}

/// One item's result, with its position in the batch and its input.
#[derive(Debug)]
#[non_exhaustive]
pub struct BatchItem<I: ModelInput> {
    /// The item's position among the inputs (from 0).
    pub index: usize,
    /// Its input.
    pub input: I,
    /// What became of it.
    pub result: Result<Done<I::Output>>,
}

/// A batch being configured: made by [`Client::batch`], started by [`Batch::stream`].
#[must_use = "a batch does nothing until its stream is polled"]
pub struct Batch<I> {
    client: Client,
    inputs: Box<dyn Iterator<Item = I> + Send>,
    concurrency: usize,
    settings: Settings,
    journal: Option<PathBuf>,
}

/// The settings every item shares.
#[derive(Clone, Debug)]
struct Settings {
    outputs: Outputs,
    timeout: Option<Duration>,
    retry_failed: bool,
    cancel_on_drop: bool,
}

impl<I: ModelInput + 'static> Batch<I> {
    /// How many items may be in flight at once (default 8).
    pub fn concurrency(mut self, concurrency: usize) -> Self {
        self.concurrency = concurrency.max(1);
        self
    }

    /// What to do with each output (default: keep the URLs).
    pub fn outputs(mut self, outputs: Outputs) -> Self {
        self.settings.outputs = outputs;
        self
    }

    /// Keep a journal at `path`, so that running the same batch again resumes it (see the module docs).
    pub fn journal(mut self, path: impl Into<PathBuf>) -> Self {
        self.journal = Some(path.into());
        self
    }

    /// Each item's deadline, from its create to its output (default: the client's run timeout).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.settings.timeout = Some(timeout);
        self
    }

    /// Run again the items whose prediction failed, was canceled or aborted, or whose output expired, in an
    /// earlier run (default: report them, and create nothing for them).
    pub fn retry_failed(mut self, retry: bool) -> Self {
        self.settings.retry_failed = retry;
        self
    }

    /// When the stream is dropped before it ends, cancel the predictions in flight (default: no; they run
    /// to their end, and a journal lets a later run collect them).
    pub fn cancel_on_drop(mut self, cancel: bool) -> Self {
        self.settings.cancel_on_drop = cancel;
        self
    }

    /// Starts the batch: opens (and locks) the journal, then yields each item's result as it finishes.
    /// Items are started in order, at most [`concurrency`](Self::concurrency) at a time; dropping the
    /// stream starts no more.
    ///
    /// Fails before sending anything if the journal cannot be opened or is held by another process
    /// ([`Error::JournalLocked`](crate::Error::JournalLocked)).
    pub fn stream(self) -> Result<impl Stream<Item = BatchItem<I>> + Send + 'static> {
        if let Outputs::Directory(dir) = &self.settings.outputs {
            std::fs::create_dir_all(dir).map_err(|source| crate::Error::Io {
                path: dir.clone(),
                source,
            })?;
        }
        let journal = self.journal.as_deref().map(Journal::open).transpose()?;
        let claimed = journal
            .as_ref()
            .map(|j| j.known_ids().map(str::to_string).collect())
            .unwrap_or_default();
        let shared = Arc::new(item::BatchContext {
            client: self.client,
            settings: self.settings,
            journal,
            claimed: Mutex::new(claimed),
            durable: Default::default(),
        });
        let items = stream::iter(self.inputs.enumerate())
            .map(move |(index, input)| {
                let shared = Arc::clone(&shared);
                async move {
                    let result = shared.run(index, &input).await;
                    BatchItem {
                        index,
                        input,
                        result,
                    }
                }
            })
            .buffer_unordered(self.concurrency);
        Ok(items)
    }
}

impl Client {
    /// A batch of `inputs`: run with bounded concurrency, each result yielded as it finishes. Mixed models
    /// go in as [`JsonInput`](crate::JsonInput)s (a typed input becomes one with
    /// [`JsonInput::from_typed`](crate::JsonInput::from_typed)). Every request of the batch shares this
    /// client's rate governor. See [`Batch`] for the options and the [module docs](crate::batch) for resuming.
    pub fn batch<I, It>(&self, inputs: It) -> Batch<I>
    where
        I: ModelInput + 'static,
        It: IntoIterator<Item = I>,
        It::IntoIter: Send + 'static,
    {
        Batch {
            client: self.clone(),
            inputs: Box::new(inputs.into_iter()),
            concurrency: 8,
            settings: Settings {
                outputs: Outputs::Keep,
                timeout: None,
                retry_failed: false,
                cancel_on_drop: false,
            },
            journal: None,
        }
    }
}

/// The key the journal gives an item: its target (as [`Target`](crate::Target) displays it) and its input
/// JSON, hashed. An item whose key changed between two runs is a new item.
pub fn journal_key(target: &str, input: &serde_json::Value) -> String {
    journal::key_of(target, input)
}

/// The directory outputs go to, if any.
fn directory(outputs: &Outputs) -> Option<&Path> {
    match outputs {
        Outputs::Directory(dir) => Some(dir),
        _ => None,
    }
}

/// Prediction ids already taken by an item of this batch (or recorded by an earlier run).
type Claimed = Mutex<HashSet<String>>;
