//! The error of every storage trait ([`KeyStore`](crate::keys::KeyStore), the
//! retention stores, [`ConsentStore`](crate::consent::ConsentStore),
//! [`AuditSink`](crate::audit::AuditSink)), whatever the backend.
//!
//! This module sits at the bottom of the crate: it names no other custodian module, so
//! the traits above can use [`StoreError`] and the backends (`memory`, `sqlite`) above
//! them can implement the traits without a cycle. custodian never stores your sealed
//! records: they live in your own tables. Only wrapped keys, retention state, consent
//! evidence and the audit trail live in a backend.

/// A storage backend failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The backend's driver reported an error (I/O, locking, a full disk, a lost
    /// connection). The driver's own error is the [`source`](std::error::Error::source)
    /// (for `SqliteStore`, a `rusqlite::Error`), so a backend never puts its driver's
    /// type in this enum.
    #[error(
        "the {backend} store failed (I/O, locking, a full disk or a lost connection): retry, and if it persists check the storage it runs on"
    )]
    Backend {
        /// Which backend (`"SQLite"`, `"PostgreSQL"`, ...).
        backend: &'static str,
        /// The driver's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync + 'static>,
    },
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
    /// [`ErasureStore`](crate::retention::ErasureStore) that keeps the trait's
    /// defaults). Nothing was changed.
    #[error(
        "the store does not support {what}: use MemoryKeyStore or SqliteStore, or implement ErasureStore for it"
    )]
    Unsupported {
        /// The operation.
        what: &'static str,
    },
    /// A key that belongs to a subject was stored without the subject's reference, so
    /// the store could not check that the subject was not shredded. Nothing was stored.
    #[error(
        "a subject key was stored without its subject reference: pass the reference the vault computed (Vault::subject_ref)"
    )]
    SubjectRefRequired,
    /// A thread panicked while holding the store's lock.
    #[error("a thread panicked while using the store; restart the process")]
    Poisoned,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn another_drivers_error_is_kept_as_the_source_of_a_backend_error() {
        let driver = std::io::Error::other("connection reset by peer for row cus_42");
        let err = StoreError::Backend {
            backend: "PostgreSQL",
            source: Box::new(driver),
        };
        let source = std::error::Error::source(&err).unwrap();
        assert!(source.downcast_ref::<std::io::Error>().is_some());
        // The message names the backend and what to do; the driver's text (which may
        // quote a value) stays in the source.
        let shown = err.to_string();
        assert!(
            shown.contains("PostgreSQL") && shown.contains("retry"),
            "{shown}"
        );
        assert!(!shown.contains("cus_42"), "{shown}");
    }
}
