//! What every item of a batch shares: the client, the settings, the journal and what it said, the claims'
//! owner names, the files and uploads of the run.

use std::{
    collections::{HashMap, HashSet},
    path::{Path, PathBuf},
    sync::Mutex,
};

use super::{
    BatchReport, Outputs, Settings,
    durable::GroupSync,
    journal::{Event, ItemId, Journal},
};
use crate::{Client, Result, resolve::resume::Resolution};

/// What every item of a batch shares.
pub(super) struct BatchContext {
    pub(super) client: Client,
    pub(super) settings: Settings,
    pub(super) journal: Option<Journal>,
    /// The journal's name (a random one without a journal): the claims of its items are held in it.
    pub(super) name: String,
    /// What the start's walk found for the creates an earlier run never recorded an answer for.
    pub(super) resumed: Mutex<HashMap<ItemId, Resolution>>,
    /// Predictions found paid for and given to no item.
    pub(super) undelivered: Mutex<Vec<String>>,
    /// The items this run met, so that what was resumed for others can be reported.
    pub(super) met: Mutex<HashSet<ItemId>>,
    /// Output file names taken, and by which item (recorded by earlier runs, or written by this one).
    pub(super) names: Mutex<HashMap<PathBuf, ItemId>>,
    /// Local files read so far: their size, modification time and content hash.
    pub(super) file_hashes: Mutex<HashMap<PathBuf, FileStamp>>,
    /// Uploads that can be reused, by content hash: made by this run, or by an earlier one and still valid.
    pub(super) uploads: tokio::sync::Mutex<HashMap<String, String>>,
    pub(super) durable: GroupSync,
}

/// What a local file was when it was hashed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct FileStamp {
    pub(super) len: u64,
    pub(super) modified: Option<std::time::SystemTime>,
    pub(super) sha256: String,
}

impl BatchContext {
    pub(super) fn new(
        client: Client,
        settings: Settings,
        journal: Option<Journal>,
        name: String,
    ) -> Self {
        Self {
            client,
            settings,
            journal,
            name,
            resumed: Mutex::default(),
            undelivered: Mutex::default(),
            met: Mutex::default(),
            names: Mutex::default(),
            file_hashes: Mutex::default(),
            uploads: tokio::sync::Mutex::default(),
            durable: GroupSync::default(),
        }
    }

    /// The owner of an item's claims: the same in every run of this journal.
    pub(super) fn owner(&self, id: &ItemId) -> String {
        format!("batch {} {id}", self.name)
    }

    /// The directory outputs go to, if any.
    pub(super) fn directory(&self) -> Option<&Path> {
        match &self.settings.outputs {
            Outputs::Directory(dir) => Some(dir),
            _ => None,
        }
    }

    pub(super) fn record(&self, event: &Event) -> Result<()> {
        match &self.journal {
            Some(journal) => journal.record(event),
            None => Ok(()),
        }
    }

    /// Records `event` with the next line written (see the journal's docs: for a line no step waits for).
    pub(super) fn record_with_next(&self, event: &Event) {
        if let Some(journal) = &self.journal {
            journal.record_with_next(event);
        }
    }

    /// What the batch found that no item was given.
    pub(super) fn report(&self) -> BatchReport {
        let mut undelivered = lock(&self.undelivered).clone();
        let met = lock(&self.met);
        for (id, resolution) in lock(&self.resumed).iter() {
            if let Resolution::Found(prediction) = resolution
                && !met.contains(id)
            {
                undelivered.push(prediction.id.clone());
            }
        }
        undelivered.extend(self.client.shared.claims.unheld_passed_over());
        undelivered.sort();
        undelivered.dedup();
        BatchReport { undelivered }
    }
}

pub(super) fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Drop for BatchContext {
    fn drop(&mut self) {
        // The batch is over (or dropped): its files and what the journal holds go to the disk.
        if let Err(error) = self.durable.finish() {
            tracing::warn!(error = %error, "could not sync the batch's files");
        }
        if let Some(Err(error)) = self.journal.as_ref().map(Journal::sync) {
            tracing::warn!(error = %error, "could not sync the batch journal");
        }
    }
}
