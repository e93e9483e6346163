//! The embedded durable default: one SQLite file for consent evidence, wrapped keys,
//! legal holds and the audit trail.
//!
//! The connection runs with `secure_delete = ON` (deleted rows are overwritten with
//! zeroes, not just unlinked from the b-tree), `journal_mode = WAL` and
//! `synchronous = FULL` (a commit has reached the disk when the call returns).

mod audit;
mod consent;
mod keys;
mod retention;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{DateTime, Utc};
use rusqlite::Connection;

use super::StoreError;

/// Schema version this build writes (`PRAGMA user_version`).
const SCHEMA_VERSION: i64 = 7;

const SCHEMA_V1: &str = r#"
CREATE TABLE consent_events (
    seq            INTEGER PRIMARY KEY AUTOINCREMENT,
    subject        TEXT    NOT NULL,
    purpose        TEXT    NOT NULL,
    kind           TEXT    NOT NULL CHECK (kind IN ('given', 'withdrawn')),
    at_us          INTEGER NOT NULL,
    channel        TEXT    NOT NULL,
    notice_id      TEXT,
    notice_version INTEGER,
    notice_sha256  BLOB,
    method         TEXT,
    expires_us     INTEGER,
    actor_kind     TEXT,
    actor_id       TEXT,
    actor_role     TEXT
);
CREATE INDEX consent_events_by_subject ON consent_events (subject, purpose, seq);
CREATE TRIGGER consent_events_append_only_update BEFORE UPDATE ON consent_events
BEGIN SELECT RAISE(ABORT, 'consent evidence is append-only'); END;
CREATE TRIGGER consent_events_append_only_delete BEFORE DELETE ON consent_events
BEGIN SELECT RAISE(ABORT, 'consent evidence is append-only'); END;
CREATE TABLE notice_floors (
    purpose TEXT PRIMARY KEY,
    version INTEGER NOT NULL
);
"#;

/// Version 2: wrapped subject keys and shredded-subject tombstones.
const SCHEMA_V2: &str = r#"
CREATE TABLE subject_keys (
    subject    TEXT    NOT NULL,
    version    INTEGER NOT NULL,
    master_id  TEXT    NOT NULL,
    wrapped    BLOB    NOT NULL,
    created_us INTEGER NOT NULL,
    PRIMARY KEY (subject, version)
);
CREATE INDEX subject_keys_by_master ON subject_keys (master_id);
CREATE TABLE shredded_subjects (
    subject_hash BLOB    PRIMARY KEY,
    shredded_us  INTEGER NOT NULL
);
"#;

/// Version 3: retention-epoch keys, escrowed epoch shares and vault secrets; the sweep
/// watermark; legal holds.
const SCHEMA_V3: &str = r#"
CREATE TABLE named_keys (
    kind      TEXT    NOT NULL CHECK (kind IN ('epoch', 'escrow', 'secret', 'pseudonym')),
    name      TEXT    NOT NULL,
    number    INTEGER NOT NULL,
    master_id TEXT    NOT NULL,
    wrapped   BLOB    NOT NULL,
    PRIMARY KEY (kind, name, number)
);
CREATE INDEX named_keys_by_master ON named_keys (master_id);
CREATE TABLE sweep_state (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    swept_before INTEGER NOT NULL
);
INSERT INTO sweep_state (id, swept_before) VALUES (1, 0);
CREATE TABLE legal_holds (
    id          TEXT    PRIMARY KEY,
    subject     TEXT    NOT NULL,
    reason      TEXT    NOT NULL,
    placed_us   INTEGER NOT NULL,
    until_us    INTEGER,
    released_us INTEGER
);
CREATE INDEX legal_holds_by_subject ON legal_holds (subject);
"#;

/// Version 4: the audit trail. Rows are read in `pos` order; `seq` and `hash` form the
/// chain over `event` (the canonical bytes), so a row moved, dropped or renumbered
/// shows in `verify`; the other columns index queries.
const SCHEMA_V4: &str = r#"
CREATE TABLE audit_log (
    pos     INTEGER PRIMARY KEY,
    seq     INTEGER NOT NULL,
    event   BLOB    NOT NULL,
    hash    BLOB    NOT NULL,
    at_us   INTEGER,
    subject TEXT,
    actor   TEXT,
    purpose TEXT
);
CREATE INDEX audit_log_by_subject ON audit_log (subject, seq);
CREATE INDEX audit_log_by_actor ON audit_log (actor, seq);
CREATE INDEX audit_log_by_purpose ON audit_log (purpose, seq);
CREATE INDEX audit_log_by_time ON audit_log (at_us);
CREATE TRIGGER audit_log_append_only_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
CREATE TRIGGER audit_log_append_only_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
"#;

/// Version 7: one audit chain per file, whoever appends. Appends from several
/// processes chain onto the stored head inside their transaction; a unique `seq`
/// makes a second entry at a position fail instead of forking the chain.
const SCHEMA_V7: &str = r#"
CREATE UNIQUE INDEX audit_log_by_seq ON audit_log (seq);
"#;

/// The embedded store: a SQLite file. Cheap to clone (a shared handle); `Send + Sync`.
///
/// ```
/// # let dir = tempfile::tempdir()?;
/// use custodian::{consent::ConsentLedger, store::SqliteStore};
/// let store = SqliteStore::open(dir.path().join("custodian.db"))?;
/// let ledger = ConsentLedger::new(store.clone());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct SqliteStore {
    conn: Arc<Mutex<Connection>>,
    path: Arc<PathBuf>,
    /// Where the last read of the audit log ended (`audit.rs`).
    audit_cursor: Arc<Mutex<Option<audit::Cursor>>>,
}

impl SqliteStore {
    /// Opens (or creates) the store file at `path` and brings its schema up to date.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        let path = path.as_ref().to_path_buf();
        let conn = Connection::open(&path)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.pragma_update(None, "secure_delete", "ON")?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        migrate(&conn)?;
        Ok(SqliteStore {
            conn: Arc::new(Mutex::new(conn)),
            path: Arc::new(path),
            audit_cursor: Arc::default(),
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

fn migrate(conn: &Connection) -> Result<(), StoreError> {
    let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if version > SCHEMA_VERSION {
        return Err(StoreError::SchemaTooNew {
            found: version,
            known: SCHEMA_VERSION,
        });
    }
    // Each step runs in its own transaction, so a crash leaves a whole version.
    for (to, sql) in [
        (1, SCHEMA_V1),
        (2, SCHEMA_V2),
        (3, SCHEMA_V3),
        (4, SCHEMA_V4),
        (7, SCHEMA_V7),
    ] {
        if version < to {
            conn.execute_batch(&format!(
                "BEGIN IMMEDIATE; {sql} PRAGMA user_version = {to}; COMMIT;"
            ))?;
        }
    }
    Ok(())
}

/// Pushes deletions out of the write-ahead log and empties it, so no page image that
/// held deleted key material survives there. A reader in another connection can keep
/// the checkpoint from completing; that is reported rather than claimed done.
fn checkpoint(conn: &Connection) -> Result<(), StoreError> {
    let (busy, _, _): (i64, i64, i64) =
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })?;
    if busy != 0 {
        return Err(StoreError::CheckpointBusy);
    }
    Ok(())
}

/// Times are stored as microseconds since the Unix epoch (sub-microsecond precision
/// is dropped).
fn to_micros(t: DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

fn from_micros(us: i64) -> Result<DateTime<Utc>, StoreError> {
    DateTime::from_timestamp_micros(us).ok_or(StoreError::Corrupt { what: "timestamp" })
}
