//! Getting a batch's files to the disk in groups rather than one `fdatasync` each.
//!
//! A file takes its name only once it is whole (written to `.part`, then renamed), so a killed process never
//! leaves a short file under an output's name: the kernel keeps what was written. What a sync adds is
//! surviving a power cut, and there a file is checked before it is trusted anyway (a resumed batch compares
//! each recorded file's size and SHA-256 and downloads it again if they differ). So files are synced at
//! most once a second, together, off the runtime's thread (on Linux one `syncfs` of the directory's file
//! system; elsewhere each file), and whatever is left when the batch ends is synced before it returns.

use std::{
    fs::File,
    path::{Path, PathBuf},
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

/// How long a written file may wait for its sync.
const EVERY: Duration = Duration::from_secs(1);

/// The files a batch wrote and has not yet synced.
#[derive(Debug, Default)]
pub(crate) struct GroupSync {
    pending: Mutex<Pending>,
    syncing: Arc<AtomicBool>,
}

#[derive(Debug, Default)]
struct Pending {
    files: Vec<PathBuf>,
    oldest: Option<Instant>,
}

impl GroupSync {
    /// Notes that `path` was written; starts a group sync in the background if the oldest file waiting has
    /// waited long enough and none is running.
    pub(crate) fn written(&self, path: PathBuf) {
        let due = {
            let mut pending = self.lock();
            let oldest = *pending.oldest.get_or_insert_with(Instant::now);
            pending.files.push(path);
            if oldest.elapsed() >= EVERY && !self.syncing.swap(true, Ordering::AcqRel) {
                pending.oldest = None;
                Some(std::mem::take(&mut pending.files))
            } else {
                None
            }
        };
        let Some(files) = due else { return };
        let syncing = Arc::clone(&self.syncing);
        let work = move || {
            if let Err(error) = sync_all(&files) {
                tracing::warn!(error = %error, "could not sync the batch's files");
            }
            syncing.store(false, Ordering::Release);
        };
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => drop(runtime.spawn_blocking(work)),
            Err(_) => work(),
        }
    }

    /// Syncs every file still waiting, here and now (the batch is over).
    pub(crate) fn finish(&self) -> std::io::Result<()> {
        let files = std::mem::take(&mut self.lock().files);
        sync_all(&files)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Pending> {
        self.pending
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Syncs `files` (renamed into place already, so their directory entries too). A file that is gone since
/// (moved away by the user) has nothing left to sync.
fn sync_all(files: &[PathBuf]) -> std::io::Result<()> {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    if let Some(file) = files.iter().find_map(|path| File::open(path).ok()) {
        // One call flushes the whole file system the files are on: every file of the group, and the
        // renames that named them.
        return rustix::fs::syncfs(&file).map_err(std::io::Error::from);
    }
    for path in files {
        match sync_one(path) {
            Err(error) if error.kind() != std::io::ErrorKind::NotFound => return Err(error),
            _ => {}
        }
    }
    if let Some(dir) = files.first().and_then(|p| p.parent()) {
        sync_directory(dir);
    }
    Ok(())
}

fn sync_one(path: &Path) -> std::io::Result<()> {
    // Windows wants write access to flush a file.
    std::fs::OpenOptions::new()
        .write(true)
        .open(path)?
        .sync_data()
}

/// The renames, where a directory can be synced (not on Windows, where they are part of the files').
fn sync_directory(dir: &Path) {
    #[cfg(unix)]
    if let Ok(dir) = File::open(dir) {
        let _ = dir.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_wait_for_a_group_and_the_end_syncs_the_rest() {
        let dir = std::env::temp_dir().join(format!("group-sync-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let group = GroupSync::default();
        for i in 0..3 {
            let path = dir.join(format!("{i}.bin"));
            std::fs::write(&path, b"x").unwrap();
            group.written(path);
        }
        // Written within the second: nothing synced yet, all three wait.
        assert_eq!(group.lock().files.len(), 3);
        group.lock().oldest = Some(Instant::now() - EVERY);
        let path = dir.join("3.bin");
        std::fs::write(&path, b"x").unwrap();
        // Outside a runtime the due group is synced at once.
        group.written(path);
        assert!(group.lock().files.is_empty());
        assert!(!group.syncing.load(Ordering::Acquire));
        group.written(dir.join("moved-away.bin"));
        group.finish().unwrap();
        assert!(group.lock().files.is_empty());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
