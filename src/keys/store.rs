//! Where wrapped keys live: the [`KeyStore`] trait.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::retention::{HoldId, LegalHold};
use crate::store::StoreError;
use crate::subject::SubjectId;

/// One subject key at rest: wrapped (encrypted) by the master key named `master_id`.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredKey {
    /// Whose key.
    pub subject: SubjectId,
    /// Its version (1, 2, … as the subject's key is rotated).
    pub version: u32,
    /// The master key that wrapped it.
    pub master_id: String,
    /// The wrapped key.
    pub wrapped: Vec<u8>,
}

impl std::fmt::Debug for StoredKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredKey")
            .field("subject", &self.subject)
            .field("version", &self.version)
            .field("master_id", &self.master_id)
            .field("wrapped", &format_args!("<{} bytes>", self.wrapped.len()))
            .finish()
    }
}

/// A wrapped key other than a subject key.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum KeyName {
    /// The key of a retention epoch (a UTC day of expiry, counted from 1970-01-01).
    Epoch(u32),
    /// A held subject's share of an epoch whose key a sweep destroyed.
    Escrow {
        /// The held subject.
        subject: SubjectId,
        /// The destroyed epoch.
        epoch: u32,
    },
    /// A secret of the vault (e.g. `subject-ref`, the key of subject references).
    Secret(String),
    /// The secret behind a subject's audit pseudonym; erasure destroys it.
    Pseudonym(SubjectId),
}

impl KeyName {
    /// The associated data the key is wrapped with: a wrapped key copied under another
    /// name fails to unwrap.
    pub(crate) fn aad(&self) -> Vec<u8> {
        let mut aad = Vec::with_capacity(64);
        match self {
            KeyName::Epoch(e) => {
                aad.extend_from_slice(b"custodian.v2.epoch-key");
                aad.extend_from_slice(&e.to_be_bytes());
            }
            KeyName::Escrow { subject, epoch } => {
                let s = subject.as_str().as_bytes();
                aad.extend_from_slice(b"custodian.v2.escrow");
                aad.push(s.len() as u8);
                aad.extend_from_slice(s);
                aad.extend_from_slice(&epoch.to_be_bytes());
            }
            KeyName::Pseudonym(subject) => {
                let s = subject.as_str().as_bytes();
                aad.extend_from_slice(b"custodian.v2.pseudonym");
                aad.push(s.len() as u8);
                aad.extend_from_slice(s);
            }
            KeyName::Secret(name) => {
                aad.extend_from_slice(b"custodian.v2.secret");
                aad.push(name.len().min(255) as u8);
                aad.extend_from_slice(name.as_bytes());
            }
        }
        aad
    }
}

/// A key at rest, wrapped by the master key named `master_id`.
#[derive(Clone, PartialEq, Eq)]
pub struct WrappedKey {
    /// The master key that wrapped it.
    pub master_id: String,
    /// The wrapped key.
    pub wrapped: Vec<u8>,
}

impl std::fmt::Debug for WrappedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WrappedKey")
            .field("master_id", &self.master_id)
            .field("wrapped", &format_args!("<{} bytes>", self.wrapped.len()))
            .finish()
    }
}

/// Storage for wrapped keys (subject keys, retention-epoch keys, escrowed epoch shares,
/// vault secrets), the tombstones of shredded subjects, the sweep watermark and legal
/// holds.
///
/// Implementations: [`MemoryKeyStore`](super::MemoryKeyStore) and [`SqliteStore`](crate::store::SqliteStore).
/// The contract, which `tests/shred.rs` checks for both:
/// - `insert` never overwrites: the first row for a (subject, version) wins, and
///   every caller gets the winner back (two threads creating a subject's first key
///   agree on one); it refuses (returns `None`) once the subject is shredded;
/// - `shred` deletes every version of the subject's key and records a tombstone (a
///   hash of the subject id, not the id) before it returns, and leaves no copy of the
///   deleted rows in any journal the store controls;
/// - `retire_versions` never destroys a subject's newest version, and leaves no
///   copy of what it destroys in any journal the store controls;
/// - `rewrap` is a compare-and-swap on the master id, so a master-key rotation can be
///   interrupted and run again;
/// - epochs below the watermark ([`swept_before`](KeyStore::swept_before)) are
///   destroyed: the watermark only rises, and no epoch key below it is ever stored;
/// - every deletion of key material leaves no copy in any journal the store controls.
pub trait KeyStore: Send + Sync {
    /// The subject's newest key version, if it has any.
    fn latest(&self, subject: &SubjectId) -> Result<Option<StoredKey>, StoreError>;
    /// One version of the subject's key.
    fn get(&self, subject: &SubjectId, version: u32) -> Result<Option<StoredKey>, StoreError>;
    /// Inserts `key` unless its (subject, version) exists; returns the stored row, or
    /// `None` if the subject was shredded.
    fn insert(&self, key: &StoredKey) -> Result<Option<StoredKey>, StoreError>;
    /// Whether the subject was shredded.
    fn is_shredded(&self, subject: &SubjectId) -> Result<bool, StoreError>;
    /// Destroys every key of the subject (with their escrows and pseudonym secret) and
    /// records a tombstone; returns the number of subject keys destroyed.
    fn shred(&self, subject: &SubjectId) -> Result<usize, StoreError>;
    /// Destroys the subject's key versions below `below`, but never its newest one
    /// (checked in the same transaction), and leaves no copy of them in any journal the
    /// store controls; returns how many were destroyed. Called by
    /// [`Vault::retire_subject_key_versions`](crate::Vault::retire_subject_key_versions)
    /// once every value sealed under them was resealed.
    fn retire_versions(&self, subject: &SubjectId, below: u32) -> Result<usize, StoreError>;
    /// Up to `limit` keys wrapped by a master key other than `master_id`.
    fn wrapped_by_other(&self, master_id: &str, limit: usize)
    -> Result<Vec<StoredKey>, StoreError>;
    /// Replaces the row of (`new.subject`, `new.version`) with `new` if it is still
    /// wrapped by `old_master_id`; returns whether it did.
    fn rewrap(&self, old_master_id: &str, new: &StoredKey) -> Result<bool, StoreError>;

    /// The wrapped key called `name`.
    fn wrapped(&self, name: &KeyName) -> Result<Option<WrappedKey>, StoreError>;
    /// Stores `key` as `name` unless one exists; returns the stored one, or `None` if
    /// refused: an epoch below the watermark, an escrow or pseudonym secret of a
    /// shredded subject.
    fn insert_wrapped(
        &self,
        name: &KeyName,
        key: &WrappedKey,
    ) -> Result<Option<WrappedKey>, StoreError>;
    /// Epochs below this one are destroyed (0 before the first sweep).
    fn swept_before(&self) -> Result<u32, StoreError>;
    /// The epochs below `before` that still have a key, ascending.
    fn epochs_before(&self, before: u32) -> Result<Vec<u32>, StoreError>;
    /// Raises the watermark to `before` (never lowers it) and destroys the keys of
    /// every epoch below it; returns how many keys were destroyed.
    fn sweep_epochs(&self, before: u32) -> Result<usize, StoreError>;
    /// Destroys every escrowed epoch share of `subject`; returns how many.
    fn delete_escrows(&self, subject: &SubjectId) -> Result<usize, StoreError>;
    /// Up to `limit` named keys wrapped by a master key other than `master_id`.
    fn named_wrapped_by_other(
        &self,
        master_id: &str,
        limit: usize,
    ) -> Result<Vec<(KeyName, WrappedKey)>, StoreError>;
    /// Replaces `name` with `new` if it is still wrapped by `old_master_id`.
    fn rewrap_named(
        &self,
        old_master_id: &str,
        name: &KeyName,
        new: &WrappedKey,
    ) -> Result<bool, StoreError>;

    /// Records a legal hold.
    fn place_hold(&self, hold: &LegalHold) -> Result<(), StoreError>;
    /// Marks hold `id` released at `at` (if it is not yet); returns it as stored, or
    /// `None` if there is no such hold.
    fn release_hold(&self, id: &HoldId, at: DateTime<Utc>)
    -> Result<Option<LegalHold>, StoreError>;
    /// Every hold (active, lapsed or released), of one subject or of all, oldest first.
    fn holds(&self, subject: Option<&SubjectId>) -> Result<Vec<LegalHold>, StoreError>;
}

macro_rules! forward_key_store {
    ($($ptr:ident),*) => {$(
        /// Shares one store between vaults, or hands a boxed one over.
        impl<S: KeyStore + ?Sized> KeyStore for $ptr<S> {
            fn latest(&self, s: &SubjectId) -> Result<Option<StoredKey>, StoreError> {
                (**self).latest(s)
            }
            fn get(&self, s: &SubjectId, v: u32) -> Result<Option<StoredKey>, StoreError> {
                (**self).get(s, v)
            }
            fn insert(&self, k: &StoredKey) -> Result<Option<StoredKey>, StoreError> {
                (**self).insert(k)
            }
            fn is_shredded(&self, s: &SubjectId) -> Result<bool, StoreError> {
                (**self).is_shredded(s)
            }
            fn shred(&self, s: &SubjectId) -> Result<usize, StoreError> {
                (**self).shred(s)
            }
            fn retire_versions(&self, s: &SubjectId, below: u32) -> Result<usize, StoreError> {
                (**self).retire_versions(s, below)
            }
            fn wrapped_by_other(&self, id: &str, limit: usize) -> Result<Vec<StoredKey>, StoreError> {
                (**self).wrapped_by_other(id, limit)
            }
            fn rewrap(&self, old: &str, new: &StoredKey) -> Result<bool, StoreError> {
                (**self).rewrap(old, new)
            }
            fn wrapped(&self, n: &KeyName) -> Result<Option<WrappedKey>, StoreError> {
                (**self).wrapped(n)
            }
            fn insert_wrapped(&self, n: &KeyName, k: &WrappedKey) -> Result<Option<WrappedKey>, StoreError> {
                (**self).insert_wrapped(n, k)
            }
            fn swept_before(&self) -> Result<u32, StoreError> {
                (**self).swept_before()
            }
            fn epochs_before(&self, before: u32) -> Result<Vec<u32>, StoreError> {
                (**self).epochs_before(before)
            }
            fn sweep_epochs(&self, before: u32) -> Result<usize, StoreError> {
                (**self).sweep_epochs(before)
            }
            fn delete_escrows(&self, s: &SubjectId) -> Result<usize, StoreError> {
                (**self).delete_escrows(s)
            }
            fn named_wrapped_by_other(&self, id: &str, limit: usize) -> Result<Vec<(KeyName, WrappedKey)>, StoreError> {
                (**self).named_wrapped_by_other(id, limit)
            }
            fn rewrap_named(&self, old: &str, n: &KeyName, new: &WrappedKey) -> Result<bool, StoreError> {
                (**self).rewrap_named(old, n, new)
            }
            fn place_hold(&self, h: &LegalHold) -> Result<(), StoreError> {
                (**self).place_hold(h)
            }
            fn release_hold(&self, id: &HoldId, at: DateTime<Utc>) -> Result<Option<LegalHold>, StoreError> {
                (**self).release_hold(id, at)
            }
            fn holds(&self, s: Option<&SubjectId>) -> Result<Vec<LegalHold>, StoreError> {
                (**self).holds(s)
            }
        }
    )*};
}
forward_key_store!(Arc, Box);
