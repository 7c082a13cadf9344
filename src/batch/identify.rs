//! What an item is: its target and input with every file standing as its content's hash, and its
//! occurrence among identical inputs, worked out in the order the inputs come.

use std::{collections::HashMap, path::Path};

use serde_json::{Map, Value};
use tokio::time::Instant;

use super::{
    context::{BatchContext, FileStamp, lock},
    journal::ItemId,
};
use crate::{
    Error, ModelInput, Result, Target,
    clock::deadline_after,
    local_files::{LocalFile, path_of},
    resolve::identity::{self, data_url_hash},
};

/// An item, worked out once: where it goes, its JSON, what it is, its deadline.
pub(super) struct Item {
    pub(super) index: usize,
    pub(super) target: Target,
    /// The input as given (local files as `file://` URLs).
    pub(super) json: Map<String, Value>,
    pub(super) id: ItemId,
    /// The owner of its claims.
    pub(super) owner: String,
    /// The content hash of each local file it names, by its `file://` URL.
    pub(super) files: HashMap<String, String>,
    pub(super) started: Instant,
    pub(super) deadline: Instant,
}

/// Counts the inputs of each key met so far, to number identical inputs in the order they come.
#[derive(Default)]
pub(super) struct Occurrences(HashMap<String, usize>);

impl BatchContext {
    /// Works out what input `index` is (reading the local files it names), numbering it among the identical
    /// inputs before it.
    pub(super) fn identify<I: ModelInput>(
        &self,
        index: usize,
        input: &I,
        occurrences: &mut Occurrences,
    ) -> Result<Item> {
        input.validate()?;
        let json = match serde_json::to_value(input) {
            Ok(Value::Object(map)) => map,
            Ok(_) => return Err(Error::invalid_input("input", "must be a JSON object")),
            Err(e) => {
                let reason = format!("cannot be written as JSON: {e}");
                return Err(Error::invalid_input("input", reason));
            }
        };
        let target = input.target();
        let mut files = HashMap::new();
        for url in crate::local_files::file_urls(&json, &target) {
            let Some(path) = path_of(&url) else { continue };
            files.insert(url, self.hash_of(&path)?);
        }
        let identity = identity::identity_form(&json, &|text| {
            data_url_hash(text).or_else(|| files.get(text).cloned())
        });
        let key = identity::key_of(&target.to_string(), &identity);
        let count = occurrences.0.entry(key.clone()).or_default();
        let id = ItemId {
            key,
            occurrence: *count,
        };
        *count += 1;
        lock(&self.met).insert(id.clone());
        let timeout = self
            .settings
            .timeout
            .unwrap_or(self.client.shared.run_timeout);
        Ok(Item {
            index,
            target,
            owner: self.owner(&id),
            json,
            id,
            files,
            started: Instant::now(),
            deadline: deadline_after(timeout),
        })
    }

    /// The content hash of a local file, read once per run unless it changed since.
    fn hash_of(&self, path: &Path) -> Result<String> {
        let meta = std::fs::metadata(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let stamp = |sha256: String| FileStamp {
            len: meta.len(),
            modified: meta.modified().ok(),
            sha256,
        };
        if let Some(known) = lock(&self.file_hashes).get(path)
            && *known == stamp(known.sha256.clone())
        {
            return Ok(known.sha256.clone());
        }
        let sha256 = LocalFile::read(path)?.sha256;
        lock(&self.file_hashes).insert(path.to_path_buf(), stamp(sha256.clone()));
        Ok(sha256)
    }
}
