//! Writing a download to its file: into `<path>.part`, renamed into place only when complete.
//!
//! The `.part` file is always made anew ([`open_fresh`], which a batch's files use too): it is created
//! exclusively, and whatever had that name (a stale `.part`, or a symlink planted there) is removed first, so
//! no write ever follows a link into another file. It is removed whenever the download fails. The rename
//! replaces what `path` names, a file or a symlink itself, never the file a symlink points to. A download
//! dropped before it finished (the caller's own timeout, a task aborted) removes it too.
//!
//! Not the `tempfile` crate's `NamedTempFile::persist`, which does the same create-then-rename: its names
//! are random, so a process killed mid-download would leave a file no later run knows to remove, where a
//! `.part` beside its target is found and replaced by the next download of it (a batch's rerun). And its
//! writes would be one blocking call each, where these gather a file's bytes into few trips to the pool.

use std::{
    fs::File,
    io::{ErrorKind, Write},
    path::{Path, PathBuf},
};

use crate::{Error, Result};

/// The size of the writes to the file.
const WRITE_BUFFER: usize = 1 << 20;
/// How many of a file's first bytes are kept to tell its kind.
const HEAD: usize = 16;

/// How a `.part` file is finished.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Finish {
    /// Hash the content as it is written.
    pub(crate) hash: bool,
    /// Do not sync the file before renaming it (the caller syncs files in groups).
    pub(crate) no_sync: bool,
}

/// A file written whole and renamed into place.
#[derive(Clone, Debug)]
pub(crate) struct Written {
    pub(crate) bytes: u64,
    /// Its SHA-256 in lowercase hex, if asked for.
    pub(crate) sha256: Option<String>,
    /// Its first bytes (up to 16), which say what kind of file it is.
    pub(crate) head: Vec<u8>,
}

/// A `.part` file being written.
///
/// Each trip to the blocking pool costs two thread switches, which for a batch of small images was a
/// large part of the CPU each image costs. So network chunks (a few KiB) are gathered into 1 MiB writes
/// (the memory stays fixed whatever the size), and the file is created only when the first of those is due:
/// a file under 1 MiB costs one trip, which creates, writes, syncs and renames it.
pub(super) struct Part {
    part: PathBuf,
    target: PathBuf,
    finish: Finish,
    hash: Option<sha2::Sha256>,
    head: Vec<u8>,
    /// Created at the first full buffer (or at the end); `None` before, while a write is on the blocking
    /// pool, and after one failed (then `unfinished` is armed: the file was due).
    file: Option<File>,
    buffer: Vec<u8>,
    written: u64,
    // Last, so that the file is closed before it is removed.
    unfinished: RemoveOnDrop,
}

/// Removes a `.part` file when dropped, once it was created, unless it was renamed into place.
struct RemoveOnDrop {
    path: PathBuf,
    armed: bool,
}

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        if self.armed {
            // One unlink; not worth a trip to the blocking pool, and a drop cannot await one.
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

impl Part {
    /// A `<target>.part` to be written (created, with any missing parent folders, when the first bytes go
    /// to disk) and finished as `finish` says.
    pub(super) fn new(target: &Path, finish: Finish) -> Self {
        let part = part_path(target);
        Self {
            unfinished: RemoveOnDrop {
                path: part.clone(),
                armed: false,
            },
            part,
            target: target.to_path_buf(),
            hash: finish.hash.then(sha2::Sha256::default),
            finish,
            head: Vec::new(),
            file: None,
            buffer: Vec::new(),
            written: 0,
        }
    }

    pub(super) async fn write(&mut self, bytes: &[u8]) -> Result<()> {
        self.buffer.extend_from_slice(bytes);
        self.written += bytes.len() as u64;
        if let Some(hash) = &mut self.hash {
            sha2::Digest::update(hash, bytes);
        }
        if self.head.len() < HEAD {
            let wanted = HEAD - self.head.len();
            self.head
                .extend_from_slice(bytes.get(..wanted.min(bytes.len())).unwrap_or_default());
        }
        if self.buffer.len() >= WRITE_BUFFER {
            let (file, buffer, part) = self.take()?;
            let (file, mut buffer) = blocking(&self.part, move || {
                let mut file = file.map_or_else(|| create(&part), Ok)?;
                file.write_all(&buffer).map_err(|e| io(&part, e))?;
                Ok((file, buffer))
            })
            .await?;
            buffer.clear();
            (self.file, self.buffer) = (Some(file), buffer);
        }
        Ok(())
    }

    /// Writes what is left, syncs (unless the caller syncs) and renames the file into place; returns what
    /// was written. On failure the `.part` file is removed (when `self` is dropped).
    pub(super) async fn finish_written(mut self) -> Result<Written> {
        let (file, buffer, part) = self.take()?;
        let (target, sync) = (self.target.clone(), !self.finish.no_sync);
        blocking(&self.part, move || {
            let mut file = file.map_or_else(|| create(&part), Ok)?;
            file.write_all(&buffer).map_err(|e| io(&part, e))?;
            if sync {
                file.sync_all().map_err(|e| io(&part, e))?;
            }
            drop(file);
            let _one_at_a_time = directory_entries();
            std::fs::rename(&part, &target).map_err(|e| io(&target, e))
        })
        .await?;
        self.unfinished.armed = false;
        Ok(Written {
            bytes: self.written,
            sha256: self
                .hash
                .take()
                .map(|h| crate::digest::hex(&sha2::Digest::finalize(h))),
            head: std::mem::take(&mut self.head),
        })
    }

    /// The file (if created), the bytes waiting for it and its path, to be moved to the blocking pool, where
    /// the file is created if it is not yet. Arms the removal first: a drop while the file is being created
    /// still removes it.
    fn take(&mut self) -> Result<(Option<File>, Vec<u8>, PathBuf)> {
        let file = self.file.take();
        if self.unfinished.armed && file.is_none() {
            return Err(io(
                &self.part,
                std::io::Error::other("an earlier write to it failed"),
            ));
        }
        self.unfinished.armed = true;
        Ok((file, std::mem::take(&mut self.buffer), self.part.clone()))
    }
}

/// Creates the `.part` file fresh ([`open_fresh`]); its folder too, if that is missing (tried only then:
/// the common case costs one system call, not three).
fn create(part: &Path) -> Result<File> {
    let _one_at_a_time = directory_entries();
    match open_fresh(part) {
        Err(error) if error.kind() == ErrorKind::NotFound => {
            if let Some(parent) = part.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent).map_err(|e| io(parent, e))?;
            }
            open_fresh(part)
        }
        other => other,
    }
    .map_err(|e| io(part, e))
}

/// Held while a file is created or renamed into place. Creating and renaming take the directory's lock in
/// the kernel, which spins while another thread holds it: with ten downloads ending at once, that spinning
/// took 6% of a batch's CPU samples (perf). Taken here, a waiting thread sleeps instead. Nothing slower is
/// done under it (no write, no sync).
fn directory_entries() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Runs `work`, which writes `path`, on the blocking pool.
async fn blocking<T: Send + 'static>(
    path: &Path,
    work: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    tokio::task::spawn_blocking(work)
        .await
        .unwrap_or_else(|panicked| Err(io(path, std::io::Error::other(panicked))))
}

fn io(path: &Path, source: std::io::Error) -> Error {
    Error::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Creates `part` empty and for writing, exclusively; if the name is taken (an earlier run's `.part`, or a
/// link), that is removed, not followed, and the file created anew.
pub(crate) fn open_fresh(part: &Path) -> std::io::Result<std::fs::File> {
    let create = || {
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(part)
    };
    match create() {
        Err(error) if error.kind() == ErrorKind::AlreadyExists => {
            std::fs::remove_file(part)?;
            create()
        }
        other => other,
    }
}

/// `out/a.png` → `out/a.png.part`.
pub(crate) fn part_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".part");
    path.with_file_name(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn part_files_sit_beside_the_target() {
        assert_eq!(
            part_path(Path::new("out/a.png")),
            Path::new("out/a.png.part")
        );
    }
}
