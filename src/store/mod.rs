//! Durable storage behind the library: the embedded SQLite store and its errors.
//!
//! custodian never stores your sealed records: they live in your own tables. Only
//! consent evidence, wrapped keys (and, as the library grows, the audit trail) live here.

mod sqlite;

pub use sqlite::SqliteStore;

/// A storage backend failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// SQLite reported an error (I/O, locking, a full disk).
    #[error("SQLite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A stored row cannot be read back.
    #[error(
        "the store holds a value it cannot read ({what}): the file may be damaged or written by a newer custodian"
    )]
    Corrupt {
        /// Which value.
        what: &'static str,
    },
    /// The file's schema is newer than this build understands.
    #[error(
        "the store file has schema version {found}, newer than this build's {known}: upgrade custodian"
    )]
    SchemaTooNew {
        /// Version in the file.
        found: i64,
        /// Newest version this build knows.
        known: i64,
    },
    /// SQLite would not run the file in write-ahead-log mode (an in-memory database,
    /// or a file system or VFS without shared memory): deleted keys could not be
    /// purged as the store promises.
    #[error(
        "SQLite kept journal_mode `{mode}` instead of `wal`: open the store on a regular file on a local file system"
    )]
    JournalMode {
        /// The journal mode SQLite reported.
        mode: String,
    },
    /// A sweep would destroy an epoch for which a subject under legal hold has no
    /// escrow: a hold was placed while the sweep ran. Nothing was destroyed.
    #[error(
        "a legal hold was placed while the sweep ran, so a held subject has no escrow yet: nothing was destroyed; run the sweep again"
    )]
    HeldWithoutEscrow,
    /// A thread panicked while holding the store's lock.
    #[error("a thread panicked while using the store; restart the process")]
    Poisoned,
}
