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
    /// The file's schema version is not one this build wrote (nor an older one it can
    /// upgrade): it was written by another build or changed by hand.
    #[error(
        "the store file has schema version {found}, which this build does not know (it knows {known:?}): open it with the custodian build that wrote it, or restore it from a backup"
    )]
    SchemaUnknown {
        /// Version in the file.
        found: i64,
        /// Versions this build can open.
        known: &'static [i64],
    },
    /// The file is another application's SQLite database: custodian refuses to add its
    /// tables to it.
    #[error(
        "the file is another application's SQLite database (application_id {application_id}, {objects} schema objects), not a custodian store: give custodian a file of its own"
    )]
    ForeignDatabase {
        /// The file's `PRAGMA application_id`.
        application_id: i32,
        /// How many tables, indexes, views and triggers it holds.
        objects: i64,
    },
    /// Stored evidence does not authenticate under the ledger's evidence key: a row was
    /// forged, edited, moved or deleted by someone without the key, or the key is wrong.
    #[error(
        "the consent store's {what} at position {position} does not authenticate under the evidence key: consent decisions are refused until this is resolved; keep the file as evidence, check that the right evidence key is configured, and restore the store from a backup that verifies"
    )]
    Tampered {
        /// Which row, and what is wrong with it.
        what: &'static str,
        /// Its position in its chain, from 1.
        position: u64,
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
    /// The consent store holds an erasure for this subject: no evidence about them is
    /// recorded any more (they are identified again only under a new subject id).
    #[error(
        "this data subject was erased: no consent evidence is recorded for them any more; a returning person needs a new subject id"
    )]
    SubjectErased,
    /// The legal holds and erasure tombstones do not verify under the vault's
    /// retention-integrity key: a record was forged or edited, or one was deleted (or a
    /// release or erasure undone), so fewer remain than the store's MAC'd head counts.
    /// Nothing was destroyed or sealed.
    #[error(
        "the store's legal holds and erasure tombstones fail verification ({what}): sweeps, erasures and first seals for a subject are refused until this is resolved; keep the file as evidence, check that the vault uses the master key that wrote it, and restore the store from a backup that verifies (docs/retention.md, \"Threat model\")"
    )]
    RetentionTampered {
        /// What failed.
        what: &'static str,
    },
    /// The store does not implement this operation (a custom
    /// [`KeyStore`](crate::keys::KeyStore) without erasure exceptions). Nothing was
    /// changed.
    #[error(
        "the key store does not support {what}: use MemoryKeyStore or SqliteStore, or implement it"
    )]
    Unsupported {
        /// The operation.
        what: &'static str,
    },
    /// A thread panicked while holding the store's lock.
    #[error("a thread panicked while using the store; restart the process")]
    Poisoned,
}

impl StoreError {
    /// The stable code of this error (see [`ErrorKind`](crate::ErrorKind)).
    pub fn kind(&self) -> crate::ErrorKind {
        use crate::ErrorKind as K;
        match self {
            StoreError::Sqlite(_) | StoreError::Poisoned => K::StoreUnavailable,
            StoreError::Corrupt { .. }
            | StoreError::SchemaTooNew { .. }
            | StoreError::SchemaUnknown { .. }
            | StoreError::ForeignDatabase { .. }
            | StoreError::JournalMode { .. }
            | StoreError::Unsupported { .. } => K::StoreIncompatible,
            StoreError::Tampered { .. } | StoreError::RetentionTampered { .. } => K::Tampered,
            StoreError::HeldWithoutEscrow => K::Retry,
            StoreError::SubjectErased => K::Erased,
        }
    }
}
