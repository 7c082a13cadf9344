//! Reading a journal back: what it says of its server and account, of each item, and of the files uploaded.

use std::{
    collections::HashMap,
    path::{Path, PathBuf},
};

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::events::{Event, FailureKind, ItemId, SavedFile};
use crate::{Error, Result};

/// The journal's first line: where its predictions live.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Header {
    pub(crate) journal: String,
    pub(crate) server: String,
    pub(crate) account: String,
}

/// What the journal knows of one item, from its events in order.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct ItemState {
    /// Its position in the batch when last recorded (for people; the item is its [`ItemId`]).
    pub(crate) index: usize,
    /// The create last sent (or about to be), if any.
    pub(crate) intent: Option<IntentRecord>,
    pub(crate) prediction: Option<String>,
    pub(crate) created_at: Option<DateTime<Utc>>,
    pub(crate) finished: Option<Finished>,
    pub(crate) saved: Option<Vec<SavedFile>>,
    pub(crate) failed: Option<Failure>,
}

impl ItemState {
    /// The state after `event`; the prediction it records, if any.
    fn apply(&mut self, event: Event) -> Option<String> {
        let mut recorded = None;
        match event {
            Event::Intent {
                item,
                target,
                input,
                after,
                ..
            } => {
                // A new attempt: what an earlier one recorded no longer holds.
                let intent = IntentRecord {
                    target,
                    input,
                    after,
                };
                *self = Self {
                    index: item,
                    intent: Some(intent),
                    ..Self::default()
                };
            }
            Event::Created {
                item,
                prediction,
                created_at,
                ..
            } => {
                (self.index, self.created_at, self.failed) = (item, created_at, None);
                recorded = Some(prediction);
            }
            Event::Finished {
                item,
                prediction,
                status,
                output,
                data_removed,
                predict_time,
                error,
                ..
            } => {
                self.index = item;
                recorded = Some(prediction);
                let finished = Finished {
                    status,
                    output,
                    data_removed,
                    predict_time,
                    error,
                };
                self.finished = Some(finished);
            }
            Event::Saved { item, files, .. } => {
                (self.index, self.saved, self.failed) = (item, Some(files), None);
            }
            Event::Failed {
                item,
                prediction,
                kind,
                made_nothing,
                error,
                ..
            } => {
                self.index = item;
                recorded = prediction;
                self.failed = Some(Failure {
                    kind,
                    made_nothing,
                    error,
                });
            }
            Event::Batch { .. } | Event::Upload { .. } => {}
        }
        if let Some(prediction) = &recorded {
            self.prediction = Some(prediction.clone());
        }
        recorded
    }
}

/// What a create sent, as its intent recorded it.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct IntentRecord {
    pub(crate) target: String,
    /// The input's sent form.
    pub(crate) input: Value,
    /// The earliest the server's clock could read before it was sent.
    pub(crate) after: DateTime<Utc>,
}

/// How a prediction ended, as the journal recorded it.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Finished {
    pub(crate) status: String,
    pub(crate) output: Option<Value>,
    pub(crate) data_removed: bool,
    pub(crate) predict_time: Option<f64>,
    pub(crate) error: Option<String>,
}

/// How the last attempt failed.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Failure {
    pub(crate) kind: FailureKind,
    pub(crate) made_nothing: bool,
    pub(crate) error: String,
}

/// An upload a run made, to reuse while it lasts.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Upload {
    pub(crate) url: String,
    pub(crate) expires_at: Option<DateTime<Utc>>,
}

/// Everything a journal says.
#[derive(Clone, Debug, Default)]
pub(crate) struct Past {
    pub(crate) header: Option<Header>,
    pub(crate) items: HashMap<ItemId, ItemState>,
    /// The latest upload of each file, by its content's hash.
    pub(crate) uploads: HashMap<String, Upload>,
    /// Every prediction ever recorded, with its item: never to be taken for another item.
    pub(crate) predictions: Vec<(String, ItemId)>,
    /// How many bytes of the file hold whole lines (a last line cut short by a kill is not one of them).
    pub(crate) whole: usize,
}

impl Past {
    /// Reads the events of a journal's bytes, in order. A last line cut short (at any byte: a kill or a
    /// power cut mid-write) is left out; any other line that cannot be read is an error naming it: the
    /// journal is not ours to guess at. A journal with lines but no header was written by an earlier version.
    pub(crate) fn read(path: &Path, bytes: &[u8]) -> Result<Self> {
        let mut past = Self::default();
        let bad = |line: usize, reason: String| Error::Journal {
            path: path.to_path_buf(),
            line,
            reason,
        };
        let mut offset = 0;
        for (number, line) in bytes.split_inclusive(|b| *b == b'\n').enumerate() {
            let complete = line.ends_with(b"\n");
            let text = line.strip_suffix(b"\n").unwrap_or(line);
            let text = text.strip_suffix(b"\r").unwrap_or(text);
            let event = std::str::from_utf8(text)
                .map_err(|e| e.to_string())
                .and_then(|t| match t.trim() {
                    "" => Ok(None),
                    t => serde_json::from_str::<Event>(t)
                        .map(Some)
                        .map_err(|e| e.to_string()),
                });
            match event {
                Err(_) if !complete => break,
                Err(reason) => return Err(bad(number + 1, reason)),
                Ok(None) => {}
                Ok(Some(event)) => {
                    if past.header.is_none() && !matches!(event, Event::Batch { .. }) {
                        return Err(bad(number + 1, EARLIER_VERSION.into()));
                    }
                    past.apply(event);
                }
            }
            offset += line.len();
            past.whole = offset;
        }
        Ok(past)
    }

    fn apply(&mut self, event: Event) {
        let id = event.item_id();
        match event {
            Event::Batch {
                journal,
                server,
                account,
                ..
            } => {
                self.header.get_or_insert(Header {
                    journal,
                    server,
                    account,
                });
            }
            Event::Upload {
                sha256,
                url,
                expires_at,
                ..
            } => {
                self.uploads.insert(sha256, Upload { url, expires_at });
            }
            event => {
                if let Some(id) = id {
                    self.apply_to_item(id, event);
                }
            }
        }
    }

    fn apply_to_item(&mut self, id: ItemId, event: Event) {
        let state = self.items.entry(id.clone()).or_default();
        if let Some(prediction) = state.apply(event) {
            self.predictions.push((prediction, id));
        }
    }

    /// The files recorded as saved, each with the item it holds the output of.
    pub(crate) fn saved_files(&self) -> HashMap<PathBuf, ItemId> {
        self.items
            .iter()
            .flat_map(|(id, state)| {
                state
                    .saved
                    .iter()
                    .flatten()
                    .map(move |file| (file.path.clone(), id.clone()))
            })
            .collect()
    }
}

const EARLIER_VERSION: &str = "this journal was written by an earlier version of replicate-ideogram (its first line is not a batch header); finish the batch with that version, or start it anew in another directory";

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> String {
        r#"{"event":"batch","version":2,"journal":"j1","server":"s","account":"a","at":"2026-01-01T00:00:00Z"}"#.into()
    }

    fn intent(key: &str) -> String {
        format!(
            r#"{{"event":"intent","item":0,"key":"{key}","occurrence":0,"target":"model a/b","input":{{"prompt":"x"}},"after":"2026-01-01T00:00:00Z","at":"2026-01-01T00:00:00Z"}}"#
        )
    }

    fn created(key: &str, id: &str) -> String {
        format!(
            r#"{{"event":"created","item":3,"key":"{key}","occurrence":0,"prediction":"{id}","created_at":null,"at":"2026-01-01T00:00:00Z"}}"#
        )
    }

    fn id(key: &str) -> ItemId {
        ItemId {
            key: key.into(),
            occurrence: 0,
        }
    }

    #[test]
    fn a_last_line_cut_at_any_byte_is_left_out() {
        let whole = format!("{}\n{}\n{}\n", header(), intent("k"), created("k", "p1"));
        // Cut inside a multi-byte character of the next line, and at every other byte of it.
        let next = "{\"event\":\"intent\",\"item\":1,\"key\":\"é\"".as_bytes();
        for cut in 0..=next.len() {
            let mut bytes = whole.clone().into_bytes();
            bytes.extend_from_slice(&next[..cut]);
            let past = Past::read(Path::new("j"), &bytes).unwrap();
            assert_eq!(past.items[&id("k")].prediction.as_deref(), Some("p1"));
            assert_eq!(past.items[&id("k")].index, 3);
            assert_eq!(past.whole, whole.len(), "cut at {cut}");
        }
        let bom = format!("\u{feff}{whole}");
        assert!(
            Past::read(Path::new("j"), bom.as_bytes()).is_err(),
            "a BOM is not a journal's"
        );
    }

    #[test]
    fn a_bad_line_in_the_middle_is_an_error_naming_it() {
        let text = format!("{}\nnot json\n{}\n", header(), intent("k"));
        let error = Past::read(Path::new("j.jsonl"), text.as_bytes()).unwrap_err();
        assert!(matches!(error, Error::Journal { line: 2, .. }), "{error}");
        let invalid = [header().as_bytes(), b"\n\xff\xfe\n"].concat();
        let error = Past::read(Path::new("j.jsonl"), &invalid).unwrap_err();
        assert!(matches!(error, Error::Journal { line: 2, .. }), "{error}");
    }

    #[test]
    fn a_journal_without_a_header_is_an_earlier_versions() {
        let text = format!("{}\n", intent("k"));
        let error = Past::read(Path::new("j"), text.as_bytes()).unwrap_err();
        assert!(error.to_string().contains("earlier version"), "{error}");
    }

    #[test]
    fn a_new_intent_starts_the_item_afresh_but_keeps_its_old_prediction_known() {
        let text = format!(
            "{}\n{}\n{}\n{}\n",
            header(),
            intent("k"),
            created("k", "p1"),
            intent("k")
        );
        let past = Past::read(Path::new("j"), text.as_bytes()).unwrap();
        assert!(past.items[&id("k")].prediction.is_none());
        assert!(past.items[&id("k")].intent.is_some());
        assert_eq!(past.predictions, [("p1".to_string(), id("k"))]);
        assert_eq!(past.header.unwrap().journal, "j1");
    }
}
