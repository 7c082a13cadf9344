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
//!     .start()
//!     .await?;
//! while let Some(item) = results.next().await {
//!     match item.result {
//!         Ok(done) => println!("{}: {:?}", item.index, done.files),
//!         Err(error) => eprintln!("{}: {error}", item.index),
//!     }
//! }
//! # Ok(()) }
//! ```
//!
//! **What an item is.** An item is its target, its input (each file standing as the SHA-256 of its content:
//! a `data:` URL, or a local file given with [`local_file`](crate::models::local_file)) and its
//! occurrence among identical inputs. Its place in the list does not matter: a rerun of an edited list
//! (lines inserted, moved or deleted) re-creates nothing that was made; a line added twice is a second item.
//!
//! **Running it again** with the same journal skips the items whose files are complete (size and SHA-256
//! checked), waits for predictions that were created but not finished, downloads the outputs of finished
//! ones, and looks up, in one walk of the list for all of them, the predictions whose create was sent but
//! whose answer never came. Only what the list proves was never made is created; a create that cannot be
//! settled is reported as uncertain ([`Error::CreateUncertain`](crate::Error::CreateUncertain), naming what
//! it found), never paid for twice. Failed predictions and outputs that expired or came empty are reported;
//! [`Batch::retry_failed`] runs them again. A journal belongs to the server and account it was started on.

mod cancel;
mod context;
mod durable;
mod files;
mod identify;
mod item;
pub(crate) mod journal;
mod place;
mod plan;
mod start;

use std::{
    path::PathBuf,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
    time::Duration,
};

use bytes::Bytes;
use futures_util::Stream;

use crate::{Client, ModelInput, Prediction, Result};
pub use files::extension_of;
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
    /// prompt (`00007-a-red-fox.png`), with the output's own extension; streamed to disk, whatever their
    /// size.
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

/// What a batch found that belongs to no item's result: predictions paid for and delivered to no one, as
/// far as it can tell. [`BatchStream::report`], once the stream has ended.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct BatchReport {
    /// Predictions made for this batch's inputs that no item was given: a surplus of identical predictions
    /// found on resuming (another process's, or one nobody claimed), those an adoption passed over that no
    /// one took, and those made for items no longer in the batch.
    pub undelivered: Vec<String>,
}

/// A batch being configured: made by [`Client::batch`], started by [`Batch::start`].
#[must_use = "a batch does nothing until it is started and its stream polled"]
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

    /// Run again, at a cost, the items whose prediction failed, was canceled or aborted, or whose output
    /// was removed or came empty, in an earlier run (default: report them, and create nothing for them).
    pub fn retry_failed(mut self, retry: bool) -> Self {
        self.settings.retry_failed = retry;
        self
    }

    /// When the stream is dropped before it ends, cancel the predictions in flight, those whose create is
    /// still on its way included (found the way a lost create is found, then canceled, in the background).
    /// Default: no; they run to their end, and a journal lets a later run collect them.
    pub fn cancel_on_drop(mut self, cancel: bool) -> Self {
        self.settings.cancel_on_drop = cancel;
        self
    }

    /// Starts the batch: opens and locks the journal, checks that it belongs to this client's server and
    /// account, and settles what an earlier run left unsettled (one walk of the list for every create whose
    /// answer it never recorded). Then yields each item's result as it finishes. Items are started in order,
    /// at most [`concurrency`](Self::concurrency) at a time; dropping the stream starts no more.
    ///
    /// Fails before creating anything if the journal cannot be opened, is held by another process
    /// ([`Error::JournalLocked`](crate::Error::JournalLocked)), belongs to another server or account
    /// ([`Error::JournalMismatch`](crate::Error::JournalMismatch)), or the server cannot say whose the
    /// token is.
    pub async fn start(self) -> Result<BatchStream<I>> {
        let context = Arc::new(start::start(self.client, self.settings, self.journal).await?);
        let stream = item::items(Arc::clone(&context), self.inputs, self.concurrency);
        Ok(BatchStream { context, stream })
    }
}

/// A started batch: each item's result as it finishes (a [`Stream`] of [`BatchItem`]s), and at the end
/// what it found that no item was given ([`report`](Self::report)).
pub struct BatchStream<I: ModelInput> {
    context: Arc<context::BatchContext>,
    stream: Pin<Box<dyn Stream<Item = BatchItem<I>> + Send>>,
}

impl<I: ModelInput> std::fmt::Debug for BatchStream<I> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BatchStream").finish_non_exhaustive()
    }
}

impl<I: ModelInput> BatchStream<I> {
    /// What the batch found that belongs to no item's result (complete once the stream has ended).
    pub fn report(&self) -> BatchReport {
        self.context.report()
    }
}

impl<I: ModelInput> Stream for BatchStream<I> {
    type Item = BatchItem<I>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.stream.as_mut().poll_next(cx)
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

/// The key the journal gives an input of `target` (as [`Target`](crate::Target) displays it): its target
/// and input, every inline file (`data:` URL) standing as the SHA-256 of its content, in a canonical form,
/// hashed. Identical inputs share a key; the journal tells them apart by their occurrence.
pub fn journal_key(target: &str, input: &serde_json::Value) -> String {
    let input = input.as_object().cloned().unwrap_or_default();
    crate::resolve::identity::key_of(target, &crate::resolve::identity::sent_form(&input))
}
