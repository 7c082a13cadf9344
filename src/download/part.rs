//! Writing a download to its file: into `<path>.part`, renamed into place only when complete.
//!
//! The `.part` file is always made anew ([`open_fresh`], which a batch's files use too): it is created
//! exclusively, and whatever had that name (a stale `.part`, or a symlink planted there) is removed first, so
//! no write ever follows a link into another file. It is
//! removed whenever the download fails. The rename replaces what `path` names, a file or a symlink itself,
//! never the file a symlink points to. A download dropped before it finished (the caller's own timeout, a
//! task aborted) removes it too.

use std::{
    io::ErrorKind,
    path::{Path, PathBuf},
};

use tokio::{
    fs,
    io::{AsyncWriteExt, BufWriter},
};

use crate::{Error, Result};

/// The size of the writes to the file.
const WRITE_BUFFER: usize = 1 << 20;

/// A `.part` file being written.
pub(super) struct Part {
    part: PathBuf,
    target: PathBuf,
    // Network chunks are a few KiB; each write to a tokio file is a trip to the blocking pool. Gathering
    // them into 1 MiB writes cuts those trips a hundredfold; the memory stays fixed whatever the size.
    file: BufWriter<fs::File>,
    written: u64,
    // Last, so that the file is closed before it is removed.
    unfinished: RemoveOnDrop,
}

/// Removes a `.part` file when dropped, unless it was renamed into place.
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
    /// A fresh, empty `<target>.part`.
    pub(super) async fn create(target: &Path) -> Result<Self> {
        let part = part_path(target);
        let opening = part.clone();
        let file = match tokio::task::spawn_blocking(move || open_fresh(&opening)).await {
            Ok(opened) => fs::File::from_std(opened.map_err(|e| io(&part, e))?),
            Err(panicked) => return Err(io(&part, std::io::Error::other(panicked))),
        };
        Ok(Self {
            unfinished: RemoveOnDrop {
                path: part.clone(),
                armed: true,
            },
            part,
            target: target.to_path_buf(),
            file: BufWriter::with_capacity(WRITE_BUFFER, file),
            written: 0,
        })
    }

    pub(super) async fn write(&mut self, bytes: &[u8]) -> Result<()> {
        self.file
            .write_all(bytes)
            .await
            .map_err(|e| io(&self.part, e))?;
        self.written += bytes.len() as u64;
        Ok(())
    }

    /// Flushes, syncs and renames the file into place; returns the bytes written. On failure the `.part`
    /// file is removed (when `self` is dropped).
    pub(super) async fn finish(mut self) -> Result<u64> {
        self.complete().await?;
        self.unfinished.armed = false;
        Ok(self.written)
    }

    async fn complete(&mut self) -> Result<()> {
        self.file.flush().await.map_err(|e| io(&self.part, e))?;
        self.file
            .get_ref()
            .sync_all()
            .await
            .map_err(|e| io(&self.part, e))?;
        fs::rename(&self.part, &self.target)
            .await
            .map_err(|e| io(&self.target, e))
    }
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
