//! What a key store reports back from destroying key material.

use crate::subject::SubjectId;

/// Whether deleted key material has also left the store's journal (for SQLite, the
/// write-ahead log, which keeps old page images until a checkpoint copies them back
/// and truncates it).
///
/// A deletion is committed, and reported as done, before this is known: a reader in
/// another connection can keep the checkpoint from completing. `Pending` says the old
/// copies may still be in the journal; the next write to the store or
/// [`Vault::checkpoint`](crate::Vault::checkpoint) completes it.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum JournalPurge {
    /// No copy of deleted key material is left in any journal the store controls.
    #[default]
    Complete,
    /// The journal could not be emptied yet (a long-running reader in another
    /// connection); call [`Vault::checkpoint`](crate::Vault::checkpoint) later.
    Pending,
}

/// What [`RetentionStore::sweep_epochs`](super::RetentionStore::sweep_epochs) destroyed, in
/// one transaction.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EpochSweep {
    /// Epoch keys destroyed.
    pub epochs_destroyed: usize,
    /// Subjects whose escrows were destroyed because no hold protects them any more
    /// (released or lapsed): a vault evicts their cached keys.
    pub escrows_released: Vec<SubjectId>,
}

/// What [`RetentionStore::shred`](super::RetentionStore::shred) destroyed, in one transaction.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ShredCounts {
    /// Subject key versions.
    pub keys: usize,
    /// Escrowed epoch shares (left by lapsed holds).
    pub escrows: usize,
    /// Whether the subject has a tombstone now. Not for an id that had neither key
    /// material nor hold records: a first seal after the erasure is new data.
    pub tombstone: bool,
}
