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
    /// A shred deleted the keys but another connection kept the write-ahead log from
    /// being emptied, so old page images may still hold them.
    #[error(
        "the keys were deleted, but another connection holds the SQLite write-ahead log open, so old copies may remain in it: close long-running readers and shred again"
    )]
    CheckpointBusy,
    /// A thread panicked while holding the store's lock.
    #[error("a thread panicked while using the store; restart the process")]
    Poisoned,
}
