//! Writing a download to its file: into `<path>.part`, renamed into place only when complete.
//!
//! The `.part` file is always made anew: whatever has that name (a stale `.part`, or a symlink planted there)
//! is removed, and the file is created exclusively, so no write ever follows a link into another file. It is
//! removed whenever the download fails. The rename replaces what `path` names, a file or a symlink itself,
//! never the file a symlink points to.

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
}

impl Part {
    /// A fresh, empty `<target>.part`.
    pub(super) async fn create(target: &Path) -> Result<Self> {
        let part = part_path(target);
        match fs::remove_file(&part).await {
            Ok(()) => {}
            Err(e) if e.kind() == ErrorKind::NotFound => {}
            Err(e) => return Err(io(&part, e)),
        }
        let file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&part)
            .await
            .map_err(|e| io(&part, e))?;
        Ok(Self {
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
    /// file is removed.
    pub(super) async fn finish(mut self) -> Result<u64> {
        match self.complete().await {
            Ok(()) => Ok(self.written),
            Err(error) => {
                self.abandon().await;
                Err(error)
            }
        }
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

    /// Removes the `.part` file (the download failed).
    pub(super) async fn abandon(self) {
        let Self { part, file, .. } = self;
        drop(file);
        let _ = fs::remove_file(&part).await;
    }
}

fn io(path: &Path, source: std::io::Error) -> Error {
    Error::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn part_path(path: &Path) -> PathBuf {
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
