//! The embedded durable default: one SQLite file for consent evidence, wrapped keys,
//! legal holds and the audit trail.
//!
//! The connection runs with `secure_delete = ON` (deleted rows are overwritten with
//! zeroes, not just unlinked from the b-tree), `journal_mode = WAL` and
//! `synchronous = FULL` (a commit has reached the disk when the call returns).
//! `open` refuses a file on which SQLite does not accept `WAL`.
//!
//! Deleting key material is committed first, then the write-ahead log is checkpointed
//! (`TRUNCATE`) so no old page image holding the key survives there. A reader in
//! another connection can keep that checkpoint from completing: the deletion still
//! stands and is reported as done, the purge as [`JournalPurge::Pending`], and the
//! next key-store write through this handle (or
//! [`RetentionStore::purge_journal`](crate::retention::RetentionStore::purge_journal)) tries again.

mod anchors;
mod audit;
mod consent;
mod consent_erasure;
mod consent_rows;
mod exceptions;
mod integrity;
mod keys;
#[cfg(test)]
mod migration_tests;
mod retention;
mod schema;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use chrono::{DateTime, Utc};
use rusqlite::Connection;

use crate::retention::JournalPurge;
use crate::store::StoreError;
use schema::{check_file_at_once, migrate};

/// How long a connection waits for another's lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a checkpoint waits for readers before it is left pending: it is retried
/// at the next write, so a deletion does not stall behind a long read.
const CHECKPOINT_WAIT: Duration = Duration::from_millis(100);

/// The embedded store: a SQLite file. Cheap to clone (a shared handle); `Send + Sync`.
///
/// ```
/// # let dir = tempfile::tempdir()?;
/// use custodian::{consent::ConsentLedger, sqlite::SqliteStore};
/// let store = SqliteStore::open(dir.path().join("custodian.db"))?;
/// let key = custodian::consent::EvidenceKey::generate()?; // keep its bytes in a secret manager
/// let ledger = ConsentLedger::new(store.clone(), key)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct SqliteStore {
    conn: Arc<Mutex<Connection>>,
    path: Arc<PathBuf>,
    /// Where the last read of the audit log ended (`audit.rs`).
    audit_cursor: Arc<Mutex<Option<audit::Cursor>>>,
    /// A deletion of key material was committed but its checkpoint did not complete.
    /// A new handle starts pending: it cannot know what another process (perhaps one
    /// that crashed) left in the log, so its first key-store write checkpoints.
    purge_pending: Arc<AtomicBool>,
}

impl SqliteStore {
    /// Opens (or creates) the store file at `path` and brings its schema up to date.
    ///
    /// Refuses another application's database ([`StoreError::ForeignDatabase`]: its
    /// `application_id` is another's, or it has none and holds tables that are not a
    /// custodian store's) and a schema version this build does not know
    /// ([`StoreError::SchemaTooNew`], [`StoreError::SchemaUnknown`]), leaving the file
    /// untouched.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        let path = path.as_ref().to_path_buf();
        let conn = Connection::open(&path)?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        // Refuse another application's file before anything is written to it (switching
        // to WAL writes the header); `migrate` checks again inside its transaction.
        check_file_at_once(&conn)?;
        conn.pragma_update(None, "secure_delete", "ON")?;
        // The pragma answers with the mode actually in force. SQLite answers it with
        // "database is locked" at once, without the busy handler, while another
        // connection holds the lock it needs (another process switching or migrating
        // the same fresh file, or the last connection closing and removing the log):
        // retried here for as long as the busy timeout would have waited.
        let mode: String = retry_while_busy(|| {
            conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))
        })?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::JournalMode { mode });
        }
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        migrate(&conn)?;
        Ok(SqliteStore {
            conn: Arc::new(Mutex::new(conn)),
            path: Arc::new(path),
            audit_cursor: Arc::default(),
            purge_pending: Arc::new(AtomicBool::new(true)),
        })
    }

    /// The file this store was opened on.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn conn(&self) -> Result<MutexGuard<'_, Connection>, StoreError> {
        self.conn.lock().map_err(|_| StoreError::Poisoned)
    }
}

impl SqliteStore {
    /// After a committed deletion of key material: checkpoints the write-ahead log.
    fn purge_after_delete(&self, conn: &Connection) -> JournalPurge {
        self.purge_pending.store(true, Ordering::Release);
        self.purge(conn)
    }

    /// After any other committed write: completes a purge left pending.
    fn purge_if_pending(&self, conn: &Connection) {
        if self.purge_pending.load(Ordering::Acquire) {
            self.purge(conn);
        }
    }

    /// Pushes deletions out of the write-ahead log and empties it, so no page image
    /// that held deleted key material survives there. A reader in another connection
    /// can keep the checkpoint from completing (after waiting `CHECKPOINT_WAIT`); that
    /// leaves the purge pending, reported rather than claimed done, and never undoes or
    /// fails the committed deletion.
    fn purge(&self, conn: &Connection) -> JournalPurge {
        if conn.busy_timeout(CHECKPOINT_WAIT).is_err() {
            return JournalPurge::Pending;
        }
        let done = conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
                r.get::<_, i64>(0)
            })
            .is_ok_and(|busy| busy == 0);
        // Failing to restore the timeout only makes later waits shorter.
        let _ = conn.busy_timeout(BUSY_TIMEOUT);
        if done {
            self.purge_pending.store(false, Ordering::Release);
            JournalPurge::Complete
        } else {
            JournalPurge::Pending
        }
    }
}

/// Times are stored as microseconds since the Unix epoch (sub-microsecond precision
/// is dropped).
/// Runs `step` again while SQLite reports the database busy or locked, with a short
/// growing pause between tries, until [`BUSY_TIMEOUT`] has passed; then returns its
/// last error. For the steps SQLite does not give to the busy handler.
fn retry_while_busy<T>(mut step: impl FnMut() -> rusqlite::Result<T>) -> rusqlite::Result<T> {
    let deadline = std::time::Instant::now() + BUSY_TIMEOUT;
    let mut pause = Duration::from_millis(1);
    loop {
        match step() {
            Err(rusqlite::Error::SqliteFailure(e, _))
                if matches!(
                    e.code,
                    rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
                ) && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(50));
            }
            done => return done,
        }
    }
}

fn to_micros(t: DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

fn from_micros(us: i64) -> Result<DateTime<Utc>, StoreError> {
    DateTime::from_timestamp_micros(us).ok_or(StoreError::Corrupt { what: "timestamp" })
}

/// SQLite's errors are kept whole, as the source of the backend-neutral variant.
impl From<rusqlite::Error> for StoreError {
    fn from(error: rusqlite::Error) -> Self {
        StoreError::Backend {
            backend: "SQLite",
            source: Box::new(error),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sqlite_driver_error_is_kept_as_the_source_of_a_backend_error() {
        let dir = tempfile::tempdir().unwrap();
        // A directory is not a database file: SQLite refuses to open it.
        let err = SqliteStore::open(dir.path()).err().unwrap();
        let StoreError::Backend { backend, source } = &err else {
            panic!("not a backend error: {err:?}");
        };
        assert_eq!(*backend, "SQLite");
        assert!(source.downcast_ref::<rusqlite::Error>().is_some());
        let source = std::error::Error::source(&err).unwrap();
        assert!(source.downcast_ref::<rusqlite::Error>().is_some());
    }
}
