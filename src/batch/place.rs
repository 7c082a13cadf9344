//! Putting an item's local files in place for its create: inline, or uploaded once and reused (across runs
//! too, through the journal), each checked to still be the file the item's identity names.

use std::collections::HashMap;

use chrono::Utc;
use serde_json::{Map, Value};

use super::{context::BatchContext, identify::Item, journal::Event};
use crate::{
    Error, Result,
    local_files::{LocalFile, path_of, replace},
};

impl BatchContext {
    /// The item's input as it goes on the wire: each local file as a `data:` URL or an upload's URL.
    pub(super) async fn placed_input(&self, item: &Item) -> Result<Map<String, Value>> {
        let mut placed: HashMap<&str, String> = HashMap::new();
        for (url, sha256) in &item.files {
            let Some(path) = path_of(url) else { continue };
            let file = LocalFile::read(&path)?;
            if file.sha256 != *sha256 {
                return Err(Error::invalid_input(
                    "file",
                    format!(
                        "{} changed while the batch ran (it is another item now): not sent",
                        path.display()
                    ),
                ));
            }
            let value = if file.is_inline() {
                file.data_url()
            } else {
                self.uploaded(file).await?
            };
            placed.insert(url, value);
        }
        let mut input = item.json.clone();
        replace(&mut input, &|text| placed.get(text).cloned());
        Ok(input)
    }

    /// The URL of an upload of `file`: one this run or an earlier one made, or a new one, written down
    /// before any create sends it.
    async fn uploaded(&self, file: LocalFile) -> Result<String> {
        // Held across the upload: a file many items name is uploaded once.
        let mut uploads = self.uploads.lock().await;
        if let Some(url) = uploads.get(&file.sha256) {
            return Ok(url.clone());
        }
        let sha256 = file.sha256.clone();
        let upload = self.client.upload_bytes(&file.path, file.bytes).await?;
        self.record(&Event::Upload {
            sha256: sha256.clone(),
            url: upload.url.clone(),
            expires_at: upload.expires_at,
            at: Utc::now(),
        })?;
        uploads.insert(sha256, upload.url.clone());
        Ok(upload.url)
    }
}
