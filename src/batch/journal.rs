//! The batch journal: a plain JSON-lines file that says, for every item of a batch, what was asked, which
//! prediction it became, how that ended and which files hold its output, so that a batch interrupted at any
//! instant (even by SIGKILL) resumes without paying twice.
//!
//! Each line is one event, written with a single `write` before the step it records goes on (an intent
//! before its create is sent, an id as soon as the create answers), so a killed process leaves every line it
//! acted on; a line cut short by the kill is ignored when read back. Events, in the order an item meets them:
//!
//! ```text
//! {"event":"intent","item":3,"key":"…","model":"ideogram-ai/ideogram-v2-turbo","target":"model ideogram-ai/ideogram-v2-turbo","input":{…},"at":"2026-11-29T21:40:00Z"}
//! {"event":"created","item":3,"key":"…","id":"2jycc2v9nnrmc0crap5tv5zaxr","at":"…"}
//! {"event":"finished","item":3,"key":"…","id":"…","status":"succeeded","output":"https://…","predict_time":1.2,"error":null,"at":"…"}
//! {"event":"saved","item":3,"key":"…","files":[{"path":"00003-a-red-fox.png","bytes":1234,"sha256":"…"}],"at":"…"}
//! {"event":"failed","item":3,"key":"…","id":"…","error":"…","at":"…"}
//! ```
//!
//! `key` identifies the item's target and input: an item whose input changed between runs is a new item.
//! A lock file beside the journal (`<journal>.lock`, an OS file lock that dies with its process) keeps two
//! processes from running the same batch; it names its holder.

use std::{
    collections::HashMap,
    fs::{File, OpenOptions},
    io::{Read, Write},
    path::{Path, PathBuf},
    sync::Mutex,
};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::{Error, Result};

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

/// One line of the journal.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub(crate) enum Event {
    Intent {
        item: usize,
        key: String,
        model: Option<String>,
        target: String,
        input: Value,
        at: DateTime<Utc>,
    },
    Created {
        item: usize,
        key: String,
        id: String,
        at: DateTime<Utc>,
    },
    Finished {
        item: usize,
        key: String,
        id: String,
        status: String,
        output: Option<Value>,
        predict_time: Option<f64>,
        error: Option<String>,
        at: DateTime<Utc>,
    },
    Saved {
        item: usize,
        key: String,
        files: Vec<SavedFile>,
        at: DateTime<Utc>,
    },
    Failed {
        item: usize,
        key: String,
        id: Option<String>,
        error: String,
        at: DateTime<Utc>,
    },
}

impl Event {
    fn item_and_key(&self) -> (usize, &str) {
        match self {
            Self::Intent { item, key, .. }
            | Self::Created { item, key, .. }
            | Self::Finished { item, key, .. }
            | Self::Saved { item, key, .. }
            | Self::Failed { item, key, .. } => (*item, key),
        }
    }
}

/// What the journal knows of one item, from its events in order.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct ItemState {
    pub(crate) key: String,
    /// When the create was (about to be) sent.
    pub(crate) intent_at: Option<DateTime<Utc>>,
    pub(crate) id: Option<String>,
    /// The prediction's end: status, output, predict time, error.
    pub(crate) finished: Option<Finished>,
    pub(crate) saved: Option<Vec<SavedFile>>,
    pub(crate) failed: Option<String>,
}

/// How a prediction ended, as the journal recorded it.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Finished {
    pub(crate) status: String,
    pub(crate) output: Option<Value>,
    pub(crate) predict_time: Option<f64>,
    pub(crate) error: Option<String>,
}

/// An open journal: its lock held, its past read, new events appended.
#[derive(Debug)]
pub(crate) struct Journal {
    path: PathBuf,
    file: Mutex<File>,
    _lock: File,
    past: HashMap<usize, ItemState>,
}

impl Journal {
    /// Opens (or creates) the journal at `path`, taking its lock, and reads what it holds.
    pub(crate) fn open(path: &Path) -> Result<Self> {
        let io = |source| Error::Io {
            path: path.to_path_buf(),
            source,
        };
        let lock = lock(path)?;
        let mut file = OpenOptions::new()
            .create(true)
            .read(true)
            .append(true)
            .open(path)
            .map_err(io)?;
        let mut text = String::new();
        file.read_to_string(&mut text).map_err(io)?;
        let past = replay(path, &text)?;
        if !text.is_empty() && !text.ends_with('\n') {
            // The last line was cut short by a kill: end it, so the next event starts a line of its own.
            file.write_all(b"\n").map_err(io)?;
        }
        Ok(Self {
            path: path.to_path_buf(),
            file: Mutex::new(file),
            _lock: lock,
            past,
        })
    }

    /// What an earlier run recorded of `item`, if its key is still `key`.
    pub(crate) fn past(&self, item: usize, key: &str) -> Option<&ItemState> {
        self.past.get(&item).filter(|state| state.key == key)
    }

    /// Every prediction id an earlier run recorded (never adopted for another item).
    pub(crate) fn known_ids(&self) -> impl Iterator<Item = &str> {
        self.past.values().filter_map(|s| s.id.as_deref())
    }

    /// Appends `event` in one write; it is in the file (the kernel's) when this returns.
    pub(crate) fn record(&self, event: &Event) -> Result<()> {
        let mut line = serde_json::to_vec(event).unwrap_or_default();
        line.push(b'\n');
        let mut file = self
            .file
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        file.write_all(&line).map_err(|source| Error::Io {
            path: self.path.clone(),
            source,
        })
    }

    /// Flushes the journal to the disk (at the end of a batch: a kill loses nothing written, a power cut
    /// could).
    pub(crate) fn sync(&self) -> Result<()> {
        let file = self
            .file
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        file.sync_data().map_err(|source| Error::Io {
            path: self.path.clone(),
            source,
        })
    }
}

/// Takes the lock beside the journal, writing who holds it; a held lock is [`Error::JournalLocked`].
fn lock(journal: &Path) -> Result<File> {
    let mut path = journal.as_os_str().to_owned();
    path.push(".lock");
    let path = PathBuf::from(path);
    let io = |source| Error::Io {
        path: path.clone(),
        source,
    };
    let mut file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(&path)
        .map_err(io)?;
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            let mut holder = String::new();
            let _ = file.read_to_string(&mut holder);
            return Err(Error::JournalLocked {
                path: journal.to_path_buf(),
                holder: holder.trim().to_string(),
            });
        }
        Err(std::fs::TryLockError::Error(e)) => return Err(io(e)),
    }
    let command: Vec<String> = std::env::args().collect();
    let holder = format!(
        "process {} since {}: {}",
        std::process::id(),
        Utc::now().format("%Y-%m-%d %H:%M:%S UTC"),
        command.join(" ")
    );
    file.set_len(0).map_err(io)?;
    file.write_all(holder.as_bytes()).map_err(io)?;
    Ok(file)
}

/// The state of every item after the events of `text`, in order. A last line cut short is ignored; any other
/// unreadable line is an error naming it (the journal is not ours to guess at).
fn replay(path: &Path, text: &str) -> Result<HashMap<usize, ItemState>> {
    let mut items: HashMap<usize, ItemState> = HashMap::new();
    let complete = text.ends_with('\n');
    let lines: Vec<&str> = text.lines().collect();
    for (at, line) in lines.iter().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let event: Event = match serde_json::from_str(line) {
            Ok(event) => event,
            Err(_) if at + 1 == lines.len() && !complete => break,
            Err(e) => {
                return Err(Error::Journal {
                    path: path.to_path_buf(),
                    line: at + 1,
                    reason: e.to_string(),
                });
            }
        };
        apply(&mut items, event);
    }
    Ok(items)
}

fn apply(items: &mut HashMap<usize, ItemState>, event: Event) {
    let (item, key) = event.item_and_key();
    let state = items.entry(item).or_default();
    if state.key != key {
        // The item's input changed since: what was recorded for the old one does not apply.
        *state = ItemState {
            key: key.to_string(),
            ..ItemState::default()
        };
    }
    match event {
        Event::Intent { at, .. } => {
            // A new attempt: what an earlier attempt recorded (a failure) no longer holds.
            *state = ItemState {
                key: state.key.clone(),
                intent_at: Some(at),
                ..ItemState::default()
            };
        }
        Event::Created { id, .. } => state.id = Some(id),
        Event::Finished {
            id,
            status,
            output,
            predict_time,
            error,
            ..
        } => {
            state.id = Some(id);
            state.finished = Some(Finished {
                status,
                output,
                predict_time,
                error,
            });
        }
        Event::Saved { files, .. } => state.saved = Some(files),
        Event::Failed { id, error, .. } => {
            state.id = id.or(state.id.take());
            state.failed = Some(error);
        }
    }
}

/// The key of an item: its target and input, hashed.
pub(crate) fn key_of(target: &str, input: &Value) -> String {
    let mut hash = Sha256::new();
    hash.update(target.as_bytes());
    hash.update([0]);
    hash.update(input.to_string().as_bytes());
    let digest = hash.finalize();
    hex(digest.get(..8).unwrap_or(&digest))
}

/// Whether `file` (under `dir`) is the complete file the journal recorded: same size, same SHA-256.
pub(crate) fn is_complete(dir: &Path, file: &SavedFile) -> bool {
    let path = dir.join(&file.path);
    match std::fs::metadata(&path) {
        Ok(meta) if meta.is_file() && meta.len() == file.bytes => {}
        _ => return false,
    }
    sha256_of(&path).is_some_and(|sum| sum == file.sha256)
}

/// The SHA-256 of a file, in lowercase hex.
pub(crate) fn sha256_of(path: &Path) -> Option<String> {
    let mut file = File::open(path).ok()?;
    let mut hash = Sha256::new();
    let mut buffer = vec![0u8; 1 << 16];
    loop {
        let read = file.read(&mut buffer).ok()?;
        if read == 0 {
            break;
        }
        hash.update(buffer.get(..read).unwrap_or_default());
    }
    Some(hex(&hash.finalize()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn intent(item: usize, key: &str) -> String {
        let event = Event::Intent {
            item,
            key: key.into(),
            model: None,
            target: "model a/b".into(),
            input: serde_json::json!({"prompt": "x"}),
            at: Utc::now(),
        };
        serde_json::to_string(&event).unwrap()
    }

    #[test]
    fn a_line_cut_short_at_the_end_is_ignored_and_a_changed_input_starts_afresh() {
        let created =
            r#"{"event":"created","item":0,"key":"k","id":"p1","at":"2026-01-01T00:00:00Z"}"#;
        let text = format!(
            "{}\n{created}\n{}\n{{\"event\":\"cre",
            intent(0, "k"),
            intent(1, "j")
        );
        let items = replay(Path::new("j"), &text).unwrap();
        assert_eq!(items[&0].id.as_deref(), Some("p1"));
        assert!(items[&1].id.is_none());
        let changed = format!("{text}\n{}\n", intent(0, "other"));
        let items = replay(Path::new("j"), &changed.replace("{\"event\":\"cre\n", "")).unwrap();
        assert!(
            items[&0].id.is_none(),
            "the old prediction is not the new input's"
        );
    }

    #[test]
    fn a_bad_line_in_the_middle_is_an_error_naming_it() {
        let text = format!("{}\nnot json\n{}\n", intent(0, "k"), intent(1, "k"));
        let error = replay(Path::new("j.jsonl"), &text).unwrap_err();
        assert!(matches!(error, Error::Journal { line: 2, .. }), "{error}");
    }
}
