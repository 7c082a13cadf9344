//! The journal's lines: one event each, in the order an item meets them (see the [module docs](super)).

use std::{fmt, path::PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One file an item's output was saved to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedFile {
    /// The file, relative to the output directory.
    pub path: PathBuf,
    /// Its size.
    pub bytes: u64,
    /// Its SHA-256, in lowercase hex.
    pub sha256: String,
}

/// What an item is: the key of its target and input (files standing as their content's hash), and its
/// occurrence among the items of the batch with the same key (identical inputs are distinct items).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub(crate) struct ItemId {
    pub(crate) key: String,
    pub(crate) occurrence: usize,
}

impl fmt::Display for ItemId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}#{}", self.key, self.occurrence)
    }
}

/// How an attempt at an item failed, as far as deciding the next run is concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum FailureKind {
    /// The prediction failed, was canceled or aborted: run again only when asked (and paid again).
    Prediction,
    /// The prediction succeeded but its output is gone (removed by the server) or was empty or of another
    /// shape: run again only when asked.
    Output,
    /// Whether a prediction was made could not be told: never created again until a lookup settles it.
    Uncertain,
    /// Anything else (the network, a deadline, a file): the next run takes the item up where it stopped.
    Other,
}

/// One line of the journal.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub(crate) enum Event {
    /// The first line: which server and account the journal's predictions live on.
    Batch {
        version: u32,
        /// A random name for this journal: the owner of its items' claims.
        journal: String,
        server: String,
        account: String,
        at: DateTime<Utc>,
    },
    /// A local file uploaded (before the intent that sends its URL).
    Upload {
        sha256: String,
        url: String,
        expires_at: Option<DateTime<Utc>>,
        at: DateTime<Utc>,
    },
    /// A create is about to be sent: what it sends (its sent form: inline files as their hash), and the
    /// earliest the server's clock could read then.
    Intent {
        item: usize,
        key: String,
        occurrence: usize,
        target: String,
        input: Value,
        after: DateTime<Utc>,
        at: DateTime<Utc>,
    },
    /// The create's answer, or the prediction a lookup found for it.
    Created {
        item: usize,
        key: String,
        occurrence: usize,
        prediction: String,
        created_at: Option<DateTime<Utc>>,
        at: DateTime<Utc>,
    },
    /// How the prediction ended.
    Finished {
        item: usize,
        key: String,
        occurrence: usize,
        prediction: String,
        status: String,
        output: Option<Value>,
        #[serde(default)]
        data_removed: bool,
        predict_time: Option<f64>,
        error: Option<String>,
        at: DateTime<Utc>,
    },
    /// The files its output was saved to.
    Saved {
        item: usize,
        key: String,
        occurrence: usize,
        files: Vec<SavedFile>,
        at: DateTime<Utc>,
    },
    /// The attempt failed.
    Failed {
        item: usize,
        key: String,
        occurrence: usize,
        prediction: Option<String>,
        kind: FailureKind,
        /// The create certainly made nothing (it was refused, or never sent).
        #[serde(default)]
        made_nothing: bool,
        error: String,
        at: DateTime<Utc>,
    },
}

impl Event {
    /// The item an event is about (none for the header and uploads).
    pub(crate) fn item_id(&self) -> Option<ItemId> {
        match self {
            Self::Batch { .. } | Self::Upload { .. } => None,
            Self::Intent {
                key, occurrence, ..
            }
            | Self::Created {
                key, occurrence, ..
            }
            | Self::Finished {
                key, occurrence, ..
            }
            | Self::Saved {
                key, occurrence, ..
            }
            | Self::Failed {
                key, occurrence, ..
            } => Some(ItemId {
                key: key.clone(),
                occurrence: *occurrence,
            }),
        }
    }
}
