//! Claims shared by the processes of one machine: a small SQLite file saying which owner holds each
//! prediction, and what an adoption passed over.
//!
//! Replicate has no idempotency key, so a create whose answer was lost is resolved by adopting a matching
//! prediction, and every prediction must go to at most one owner. Claims held in memory are enough for one
//! client; two processes sharing an account need to see each other's, or both could adopt the same
//! prediction. This store holds them in one file that every process opens:
//!
//! - A claim is one short write transaction taken up front (`BEGIN IMMEDIATE`), so two processes claiming
//!   the same id are serialized by SQLite's lock: the first inserts, the second finds it held.
//! - WAL journal mode lets readers go on while a claim is written, and with `synchronous=NORMAL` a commit
//!   costs no `fsync` (the checkpoints sync): a claim survives its process crashing or being killed the moment
//!   after, though a power loss may take the last ones since a checkpoint. That is the trade chosen: each call
//!   is made from async code directly and must stay in the tens of microseconds.
//! - A lock held by another process is tried again every few hundred microseconds ([`wait_for_lock`]), for
//!   up to [`BUSY_TIMEOUT`], then the call fails.
//! - Claims are kept [`KEEP_SECONDS`], far longer than any lookup window, and pruned when the file is opened,
//!   so it does not grow without end.
//! - The file is never opened through a symbolic link: one planted at its path could make this process write
//!   into a file of another's choosing.

use std::{
    io,
    path::{Path, PathBuf},
    sync::{Mutex, MutexGuard, PoisonError},
    time::Duration,
};

use rusqlite::{
    Connection, OpenFlags, OptionalExtension, Transaction, TransactionBehavior, params,
};

use crate::{Error, Result};

/// How long a call waits for a lock another process holds before it fails: far longer than any transaction
/// of this store takes, so only a stuck process runs into it.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// How long a claim is kept, in seconds (30 days): past any lookup window, and short enough that the file
/// stays small.
const KEEP_SECONDS: i64 = 30 * 24 * 60 * 60;

/// The tables, created when absent. Both are keyed by what they are looked up by, without a rowid (one
/// B-tree each). `rank` keeps the order an adoption gave what it passed over, the order it is tried in.
const SCHEMA: &str = "
    CREATE TABLE IF NOT EXISTS claims (
        id TEXT PRIMARY KEY,
        owner TEXT NOT NULL,
        at INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS passed_over (
        adopted TEXT NOT NULL,
        other TEXT NOT NULL,
        rank INTEGER NOT NULL,
        PRIMARY KEY (adopted, other)
    ) WITHOUT ROWID;
";

/// A claim store shared by processes: which owner holds each prediction id, and what an adoption passed over.
pub(crate) struct ClaimFile {
    /// One connection for all of this process's calls: each call is one short transaction, so a mutex costs
    /// less than a pool, and its statements stay prepared.
    connection: Mutex<Connection>,
    /// The path as given, for errors.
    path: PathBuf,
}

impl ClaimFile {
    /// Opens (creating if needed) the store at `path`. The parent directory is created if missing.
    /// A symlink at `path` is refused, never followed; every failure is [`Error::ClaimFile`].
    /// WAL journal mode, `synchronous=NORMAL`, a busy wait ([`BUSY_TIMEOUT`]), the schema created if
    /// absent, and claims older than [`KEEP_SECONDS`] pruned.
    pub(crate) fn open(path: &Path) -> Result<Self> {
        let real = real_path(path)?;
        create_whole(&real).map_err(|error| failure(path, &error))?;
        let connection = connect(&real).map_err(|error| failure(path, &error))?;
        let store = Self {
            connection: Mutex::new(connection),
            path: path.to_owned(),
        };
        store.set_up(now())?;
        Ok(store)
    }

    /// Claims prediction `id` for `owner`, atomically across processes ("insert if absent").
    /// `Ok(None)`: `owner` holds it now (newly claimed, or it already held it). `Ok(Some(other))`: another
    /// owner holds it.
    pub(crate) fn claim(&self, id: &str, owner: &str) -> Result<Option<String>> {
        self.claim_stamped(id, owner, now())
    }

    /// Who holds `id`, if anyone.
    pub(crate) fn owner(&self, id: &str) -> Result<Option<String>> {
        self.read(|connection| {
            let mut select = connection.prepare_cached("SELECT owner FROM claims WHERE id = ?1")?;
            select.query_row([id], |row| row.get(0)).optional()
        })
    }

    /// Records that an adoption of `adopted` passed over `others` (ids it could not tell apart from it),
    /// in their order, replacing what was recorded before. Kept only while `adopted` is claimed (by anyone):
    /// the record lives and is pruned with its claim. Nothing passed over records nothing.
    pub(crate) fn pass_over(&self, adopted: &str, others: &[String]) -> Result<()> {
        if others.is_empty() {
            return Ok(());
        }
        self.write(|transaction| {
            transaction
                .prepare_cached("DELETE FROM passed_over WHERE adopted = ?1")?
                .execute([adopted])?;
            let mut insert = transaction.prepare_cached(
                "INSERT OR IGNORE INTO passed_over (adopted, other, rank)
                 SELECT ?1, ?2, ?3 WHERE EXISTS (SELECT 1 FROM claims WHERE id = ?1)",
            )?;
            for (rank, other) in (0_i64..).zip(others) {
                insert.execute(params![adopted, other, rank])?;
            }
            Ok(())
        })
    }

    /// What the adoption of `adopted` passed over, in the order recorded (empty if nothing).
    pub(crate) fn passed_over(&self, adopted: &str) -> Result<Vec<String>> {
        self.read(|connection| {
            connection
                .prepare_cached("SELECT other FROM passed_over WHERE adopted = ?1 ORDER BY rank")?
                .query_map([adopted], |row| row.get(0))?
                .collect()
        })
    }

    /// The path the store was opened at, as given.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// [`claim`](Self::claim) stamped `at` (seconds since the epoch), so that tests can make old claims.
    fn claim_stamped(&self, id: &str, owner: &str, at: i64) -> Result<Option<String>> {
        let holder = self.write(|transaction| {
            let inserted = transaction
                .prepare_cached(
                    "INSERT INTO claims (id, owner, at) VALUES (?1, ?2, ?3)
                     ON CONFLICT (id) DO NOTHING",
                )?
                .execute(params![id, owner, at])?;
            if inserted > 0 {
                return Ok(owner.to_owned());
            }
            transaction
                .prepare_cached("SELECT owner FROM claims WHERE id = ?1")?
                .query_row([id], |row| row.get::<_, String>(0))
        })?;
        Ok((holder != owner).then_some(holder))
    }

    /// Creates the tables if absent and prunes the claims older than [`KEEP_SECONDS`] before `now`, with
    /// what their adoptions passed over.
    fn set_up(&self, now: i64) -> Result<()> {
        self.write(|transaction| {
            transaction.execute_batch(SCHEMA)?;
            let oldest = now.saturating_sub(KEEP_SECONDS);
            if transaction.execute("DELETE FROM claims WHERE at < ?1", [oldest])? > 0 {
                transaction.execute(
                    "DELETE FROM passed_over WHERE adopted NOT IN (SELECT id FROM claims)",
                    [],
                )?;
            }
            Ok(())
        })
    }

    /// Runs `work` in one write transaction, its lock taken up front (`BEGIN IMMEDIATE`, waited for): taken
    /// at the first write instead, a transaction that read first fails at once if another process wrote since.
    fn write<T>(&self, work: impl FnOnce(&Transaction<'_>) -> rusqlite::Result<T>) -> Result<T> {
        let mut connection = self.lock();
        let done = connection
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .and_then(|transaction| {
                let value = work(&transaction)?;
                transaction.commit().map(|()| value)
            });
        done.map_err(|error| failure(&self.path, &error))
    }

    /// Runs `work` on the connection (one statement: its own read transaction).
    fn read<T>(&self, work: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> Result<T> {
        work(&self.lock()).map_err(|error| failure(&self.path, &error))
    }

    /// The connection; a panic in another thread mid-call leaves it usable (its transaction was rolled back
    /// when dropped), so a poisoned lock is taken over.
    fn lock(&self) -> MutexGuard<'_, Connection> {
        self.connection
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// A failure of SQLite on the store at `path` as this crate's error.
fn failure(path: &Path, error: &rusqlite::Error) -> Error {
    Error::ClaimFile {
        path: path.to_owned(),
        reason: error.to_string(),
    }
}

/// Now, in seconds since the epoch, as claims are stamped.
fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Creates the parent directory if missing, refuses a symbolic link at `path`, and returns the path to open.
///
/// On Unix that path has its directory resolved (`canonicalize`), so SQLite can be told to refuse any
/// symbolic link in it (`SQLITE_OPEN_NOFOLLOW`, which refuses one in any component): a link planted between
/// this check and the open is refused too, while a directory reached through a link (a home directory, a
/// temporary directory on macOS) still works.
fn real_path(path: &Path) -> Result<PathBuf> {
    // Every way it fails is the claim file's: a caller may go on without one (the CLI does, with a warning).
    let io_error = |source: io::Error| Error::ClaimFile {
        path: path.to_owned(),
        reason: source.to_string(),
    };
    let parent = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(parent).map_err(io_error)?;
    match std::fs::symlink_metadata(path) {
        Ok(metadata) if metadata.file_type().is_symlink() => {
            return Err(io_error(io::Error::new(
                io::ErrorKind::InvalidInput,
                "is a symbolic link; a claim file is never opened through one",
            )));
        }
        Ok(_) => {}
        Err(error) if error.kind() == io::ErrorKind::NotFound => {}
        Err(error) => return Err(io_error(error)),
    }
    let Some(name) = path.file_name() else {
        return Err(io_error(io::Error::new(
            io::ErrorKind::InvalidInput,
            "names no file",
        )));
    };
    if cfg!(unix) {
        Ok(std::fs::canonicalize(parent).map_err(io_error)?.join(name))
    } else {
        Ok(path.to_owned())
    }
}

/// The busy handler: while another process holds the lock, tries again every 100 to 300 µs, for up to
/// [`BUSY_TIMEOUT`]. SQLite's own (`busy_timeout`) sleeps 1, 2, 5, 10 … ms between tries, so a process
/// claiming steadily keeps the lock through every gap and starves the other (measured: one process won
/// all 1,000 ids of a race it entered a few milliseconds late); short jittered sleeps let both go on.
fn wait_for_lock() -> impl FnMut(i32) -> bool + Send + 'static {
    let mut since = std::time::Instant::now();
    move |tries| {
        if tries == 0 {
            since = std::time::Instant::now();
        }
        let waiting = since.elapsed() < BUSY_TIMEOUT;
        if waiting {
            std::thread::sleep(Duration::from_micros(fastrand::u64(100..=300)));
        }
        waiting
    }
}

/// Makes the store at `path` if there is none, whole: built under a name of its own (WAL mode and tables)
/// and linked into place only if nothing took the name meanwhile. Two processes creating the file at once
/// could otherwise each start with an empty file, one of them in rollback mode, and the other's WAL would
/// later be written over the first one's claims (measured: claims of one process lost in 5 of 20 races).
fn create_whole(path: &Path) -> rusqlite::Result<()> {
    if path.exists() {
        return Ok(());
    }
    let mut fresh = path.as_os_str().to_owned();
    fresh.push(format!(".{:016x}.new", fastrand::u64(..)));
    let fresh = PathBuf::from(fresh);
    let built = connect(&fresh).and_then(|connection| {
        connection.execute_batch(SCHEMA)?;
        connection.close().map_err(|(_, error)| error)
    });
    // A name another process took first is fine: that store is whole too.
    let linked = built.and_then(|()| match std::fs::hard_link(&fresh, path) {
        Err(error) if error.kind() != io::ErrorKind::AlreadyExists => {
            Err(rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CANTOPEN),
                Some(error.to_string()),
            ))
        }
        _ => Ok(()),
    });
    let _ = std::fs::remove_file(&fresh);
    linked
}

/// Opens the connection with this store's settings. Paths are never read as URIs.
fn connect(path: &Path) -> rusqlite::Result<Connection> {
    let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    if cfg!(unix) {
        flags |= OpenFlags::SQLITE_OPEN_NOFOLLOW;
    }
    let mut connection = Connection::open_with_flags(path, flags)?;
    connection.busy_handler(Some(wait_for_lock()))?;
    // A file system without shared memory (a network mount) keeps the rollback journal: slower, still safe.
    let _mode: String =
        connection.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))?;
    connection.pragma_update(None, "synchronous", "NORMAL")?;
    Ok(connection)
}

#[cfg(test)]
mod tests;
