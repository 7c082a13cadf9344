//! The batch journal: a plain JSON-lines file that says which server and account a batch runs on, and for
//! every item what was sent, which prediction it became, how that ended and which files hold its output, so
//! that a batch interrupted at any instant (even by SIGKILL) resumes without paying twice.
//!
//! Each line is one event, written with a single `write` before the step it records goes on (an upload
//! before the intent that sends it, an intent before its create is sent, an id as soon as the create
//! answers), so a killed process leaves every line it acted on; a last line cut short (at whatever byte) is
//! dropped when the journal is opened again. One kind of line waits for the next: how a prediction ended
//! (`finished`) goes out in the same `write` as the line after it (usually its item's `saved`), since no
//! step depends on it having been written: a process killed in between leaves the prediction's id, and the
//! next run reads how it ended from the server (one `GET`, nothing paid). The events:
//!
//! ```text
//! {"event":"batch","version":2,"journal":"<random>","server":"https://api.replicate.com/v1","account":"alice","at":"…"}
//! {"event":"upload","sha256":"…","url":"https://api.replicate.com/v1/files/…","expires_at":"…","at":"…"}
//! {"event":"intent","item":3,"key":"…","occurrence":0,"target":"model ideogram-ai/ideogram-v2-turbo","input":{"prompt":"…","image":{"$sha256":"…"}},"after":"…","at":"…"}
//! {"event":"created","item":3,"key":"…","occurrence":0,"prediction":"2jycc2v9nnrmc0crap5tv5zaxr","created_at":"…","at":"…"}
//! {"event":"finished","item":3,"key":"…","occurrence":0,"prediction":"…","status":"succeeded","output":"https://…","data_removed":false,"predict_time":1.2,"error":null,"at":"…"}
//! {"event":"saved","item":3,"key":"…","occurrence":0,"files":[{"path":"00003-a-red-fox.png","bytes":1234,"sha256":"…"}],"at":"…"}
//! {"event":"failed","item":3,"key":"…","occurrence":0,"prediction":"…","kind":"output","made_nothing":false,"error":"…","at":"…"}
//! ```
//!
//! An item is its `key` (its target and input, each local file standing as its content's SHA-256) and its
//! `occurrence` among identical inputs; `item` is only where it stood in the batch. An intent's `input` is
//! what was sent, with inline files as their hash: no file's content is ever written here. `after` is the
//! earliest the server's clock could read before the create was sent (from the server's own answers, never
//! the local clock), where a later run starts looking for its prediction.
//!
//! A lock file beside the journal (`<journal>.lock`, an OS file lock that dies with its process) keeps two
//! processes from running the same batch; it names its holder. Neither file is opened through a symlink.

pub(crate) mod events;
pub(crate) mod replay;

use std::{
    fs::{File, OpenOptions},
    io::{Read, Write},
    path::{Path, PathBuf},
    sync::Mutex,
};

use chrono::Utc;
pub use events::SavedFile;
pub(crate) use events::{Event, FailureKind, ItemId};
pub(crate) use replay::{ItemState, Past};

use crate::{Error, Result};

/// The journal format this version writes and reads.
const VERSION: u32 = 2;

/// An open journal: its lock held, its past read, new events appended.
#[derive(Debug)]
pub(crate) struct Journal {
    path: PathBuf,
    file: Mutex<Appender>,
    _lock: File,
    past: Past,
}

impl Journal {
    /// Opens (or creates) the journal at `path`, taking its lock, and reads what it holds.
    pub(crate) fn open(path: &Path) -> Result<Self> {
        let io = |source| Error::Io {
            path: path.to_path_buf(),
            source,
        };
        let lock = lock(path)?;
        let mut options = OpenOptions::new();
        options.create(true).read(true).append(true);
        let mut file = no_follow(&mut options).open(path).map_err(io)?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).map_err(io)?;
        let past = Past::read(path, &bytes)?;
        if past.whole < bytes.len() {
            // The last line was cut short: drop it, so the next event starts a line of its own.
            file.set_len(past.whole as u64).map_err(io)?;
        }
        Ok(Self {
            path: path.to_path_buf(),
            file: Mutex::new(Appender {
                file,
                held: Vec::new(),
            }),
            _lock: lock,
            past,
        })
    }

    /// What earlier runs recorded.
    pub(crate) fn past(&self) -> &Past {
        &self.past
    }

    /// Ties the journal to `server` and `account`: a new journal is headed with them (and a random name,
    /// returned), one already headed must name the same, or [`Error::JournalMismatch`].
    pub(crate) fn bind(&self, server: &str, account: &str) -> Result<String> {
        if let Some(header) = &self.past.header {
            if header.server != server || header.account != account {
                return Err(Error::JournalMismatch {
                    path: self.path.clone(),
                    recorded: format!("{} as {}", header.server, header.account),
                    current: format!("{server} as {account}"),
                });
            }
            return Ok(header.journal.clone());
        }
        let journal = format!("{:016x}", fastrand::u64(..));
        self.record(&Event::Batch {
            version: VERSION,
            journal: journal.clone(),
            server: server.to_string(),
            account: account.to_string(),
            at: Utc::now(),
        })?;
        Ok(journal)
    }

    /// Appends `event` (after any line held for it) in one write; it is in the file (the kernel's) when this
    /// returns.
    pub(crate) fn record(&self, event: &Event) -> Result<()> {
        let mut appender = self.appender();
        push_line(&mut appender.held, event);
        self.write_held(&mut appender)
    }

    /// Holds `event` for the next [`record`](Self::record) (or [`sync`](Self::sync), or the journal's end),
    /// to go out in the same write: for a line no step waits for.
    pub(crate) fn record_with_next(&self, event: &Event) {
        push_line(&mut self.appender().held, event);
    }

    /// Flushes the journal to the disk (at the end of a batch: a kill loses nothing written, a power cut
    /// could).
    pub(crate) fn sync(&self) -> Result<()> {
        let mut appender = self.appender();
        self.write_held(&mut appender)?;
        appender.file.sync_data().map_err(|source| Error::Io {
            path: self.path.clone(),
            source,
        })
    }

    fn write_held(&self, appender: &mut Appender) -> Result<()> {
        if appender.held.is_empty() {
            return Ok(());
        }
        let written = appender.file.write_all(&appender.held);
        appender.held.clear();
        written.map_err(|source| Error::Io {
            path: self.path.clone(),
            source,
        })
    }

    fn appender(&self) -> std::sync::MutexGuard<'_, Appender> {
        self.file
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Drop for Journal {
    fn drop(&mut self) {
        let mut appender = self.appender();
        // Nothing to tell anyone at a drop; what is lost costs the next run one `GET`.
        let _ = self.write_held(&mut appender);
    }
}

/// The journal's file and the lines held for its next write.
#[derive(Debug)]
struct Appender {
    file: File,
    held: Vec<u8>,
}

fn push_line(held: &mut Vec<u8>, event: &Event) {
    let start = held.len();
    // Serialising these types cannot fail (string keys, finite numbers); were it to, no half line is left.
    match serde_json::to_writer(&mut *held, event) {
        Ok(()) => held.push(b'\n'),
        Err(_) => held.truncate(start),
    }
}

/// Opening never follows a symlink at the path itself (on Unix: `O_NOFOLLOW`).
fn no_follow(options: &mut OpenOptions) -> &mut OpenOptions {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW);
    }
    options
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
    let mut options = OpenOptions::new();
    options.create(true).truncate(false).read(true).write(true);
    let mut file = no_follow(&mut options).open(&path).map_err(io)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn neither_the_journal_nor_its_lock_is_opened_through_a_symlink() {
        let dir = tempfile::tempdir().unwrap();
        let elsewhere = dir.path().join("elsewhere.txt");
        std::fs::write(&elsewhere, b"keep me").unwrap();
        let journal = dir.path().join("journal.jsonl");
        std::os::unix::fs::symlink(&elsewhere, dir.path().join("journal.jsonl.lock")).unwrap();
        assert!(matches!(Journal::open(&journal), Err(Error::Io { .. })));
        std::fs::remove_file(dir.path().join("journal.jsonl.lock")).unwrap();
        std::os::unix::fs::symlink(&elsewhere, &journal).unwrap();
        assert!(matches!(Journal::open(&journal), Err(Error::Io { .. })));
        assert_eq!(std::fs::read(&elsewhere).unwrap(), b"keep me");
    }

    #[test]
    fn a_journal_is_bound_to_one_server_and_account() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.jsonl");
        let name = Journal::open(&path).unwrap().bind("s", "alice").unwrap();
        let again = Journal::open(&path).unwrap();
        assert_eq!(again.bind("s", "alice").unwrap(), name);
        assert!(matches!(
            again.bind("s", "bob"),
            Err(Error::JournalMismatch { .. })
        ));
        assert!(matches!(
            again.bind("t", "alice"),
            Err(Error::JournalMismatch { .. })
        ));
    }

    #[test]
    fn a_cut_last_line_is_dropped_when_the_journal_is_opened() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.jsonl");
        Journal::open(&path).unwrap().bind("s", "a").unwrap();
        let whole = std::fs::read(&path).unwrap();
        let mut cut = whole.clone();
        cut.extend_from_slice("{\"event\":\"créé".as_bytes().get(..14).unwrap());
        std::fs::write(&path, &cut).unwrap();
        Journal::open(&path).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), whole);
    }
}
