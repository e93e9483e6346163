//! Where wrapped keys live: the [`KeyStore`] trait and its one key model, a
//! [`WrappedKey`] stored under a [`KeyName`].

use std::sync::Arc;

use crate::store::StoreError;
use crate::subject::{SubjectId, SubjectRef};

/// The name a wrapped key is stored under. Every key the vault keeps at rest is one of
/// these kinds; a store treats them alike except where its contract says otherwise.
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
    /// One version of a subject's key (1, 2, … as the subject's key is rotated);
    /// shredding the subject destroys every version.
    Subject {
        /// Whose key.
        subject: SubjectId,
        /// Its version.
        version: u32,
    },
    /// A subject's anchor key for values kept a period after an event
    /// ([`Retention::AfterEvent`](crate::Retention::AfterEvent)): created at their first
    /// such seal, destroyed by
    /// [`RetentionStore::sweep_anchor_keys`](crate::retention::RetentionStore::sweep_anchor_keys)
    /// once the recorded event + period has passed (unless a legal hold binds the
    /// subject) and by erasure.
    Anchor {
        /// The subject.
        subject: SubjectId,
        /// The header code naming (event, period), as in the values' header:
        /// [`Anchor::header_code`](crate::retention::Anchor::header_code) writes it,
        /// [`Anchor::from_header_code`](crate::retention::Anchor::from_header_code)
        /// reads it back. A number here, so that `keys` does not depend on `retention`.
        code: u32,
    },
}

impl KeyName {
    /// The subject this key belongs to, if it belongs to one (a subject key, an escrow,
    /// a pseudonym secret): shredding that subject destroys it.
    pub fn subject(&self) -> Option<&SubjectId> {
        match self {
            KeyName::Escrow { subject, .. }
            | KeyName::Pseudonym(subject)
            | KeyName::Subject { subject, .. }
            | KeyName::Anchor { subject, .. } => Some(subject),
            KeyName::Epoch(_) | KeyName::Secret(_) => None,
        }
    }

    /// The associated data the key is wrapped with: a wrapped key copied under another
    /// name fails to unwrap.
    pub(crate) fn aad(&self) -> Vec<u8> {
        let mut aad = Vec::with_capacity(64);
        match self {
            KeyName::Subject { subject, version } => {
                return super::subject_key_aad(subject, *version);
            }
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
            KeyName::Anchor { subject, code } => {
                let s = subject.as_str().as_bytes();
                aad.extend_from_slice(b"custodian.v3.anchor-key");
                aad.push(s.len() as u8);
                aad.extend_from_slice(s);
                aad.extend_from_slice(&code.to_be_bytes());
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

/// Storage for wrapped keys: subject keys, retention-epoch keys, escrowed epoch
/// shares, pseudonym secrets, anchor keys and vault secrets, each a [`WrappedKey`] under a
/// [`KeyName`].
///
/// A backend also implements the retention traits
/// ([`HoldStore`](crate::retention::HoldStore),
/// [`RetentionStore`](crate::retention::RetentionStore),
/// [`ErasureStore`](crate::retention::ErasureStore)) on the same storage, since some
/// rules below read their state in the same transaction. Implementations:
/// [`MemoryKeyStore`](crate::memory::MemoryKeyStore) and `SqliteStore`; the
/// conformance suite `custodian::testkit::key_store` (feature `testkit`) checks a
/// backend against this contract:
/// - `insert` never overwrites: the first key stored under a name wins, and every
///   caller gets the winner back (two threads creating a subject's first key agree on
///   one);
/// - `insert` refuses (returns `None`) a subject key, escrow, pseudonym secret or
///   anchor key of a shredded subject (one whose reference `subject_ref` has a
///   tombstone, see [`RetentionStore::shred`](crate::retention::RetentionStore::shred)),
///   an epoch key below the sweep watermark, and an escrow of a subject no unreleased hold names;
///   each checked in the same transaction as the write;
/// - it destroys no key: every deletion of key material (a shred, a sweep, retiring
///   old subject key versions with
///   [`RetentionStore::retire_versions`](crate::retention::RetentionStore::retire_versions))
///   is a retention operation, in a transaction that re-checks the legal holds;
/// - `rewrap` is a compare-and-swap on the master id, so a master-key rotation can be
///   interrupted and run again.
pub trait KeyStore: Send + Sync {
    /// The wrapped key called `name`.
    fn get(&self, name: &KeyName) -> Result<Option<WrappedKey>, StoreError>;
    /// The subject's newest key version and its key, if it has any.
    fn latest(&self, subject: &SubjectId) -> Result<Option<(u32, WrappedKey)>, StoreError>;
    /// Stores `key` as `name` unless a key has that name; returns the stored one, or
    /// `None` if refused (see the contract above). `subject_ref` is the reference of
    /// the subject the name belongs to ([`KeyName::subject`]); a subject key without
    /// it is an error ([`StoreError::SubjectRefRequired`]).
    fn insert(
        &self,
        name: &KeyName,
        key: &WrappedKey,
        subject_ref: Option<&SubjectRef>,
    ) -> Result<Option<WrappedKey>, StoreError>;
    /// Up to `limit` keys (of any kind) wrapped by a master key other than
    /// `master_id`.
    fn wrapped_by_other(
        &self,
        master_id: &str,
        limit: usize,
    ) -> Result<Vec<(KeyName, WrappedKey)>, StoreError>;
    /// Replaces the key called `name` with `new` if it is still wrapped by
    /// `old_master_id`; returns whether it did.
    fn rewrap(
        &self,
        old_master_id: &str,
        name: &KeyName,
        new: &WrappedKey,
    ) -> Result<bool, StoreError>;
}

macro_rules! forward_key_store {
    ($($ptr:ident),*) => {$(
        /// Shares one store between vaults, or hands a boxed one over.
        impl<S: KeyStore + ?Sized> KeyStore for $ptr<S> {
            fn get(&self, n: &KeyName) -> Result<Option<WrappedKey>, StoreError> {
                (**self).get(n)
            }
            fn latest(&self, s: &SubjectId) -> Result<Option<(u32, WrappedKey)>, StoreError> {
                (**self).latest(s)
            }
            fn insert(&self, n: &KeyName, k: &WrappedKey, r: Option<&SubjectRef>) -> Result<Option<WrappedKey>, StoreError> {
                (**self).insert(n, k, r)
            }
            fn wrapped_by_other(&self, id: &str, limit: usize) -> Result<Vec<(KeyName, WrappedKey)>, StoreError> {
                (**self).wrapped_by_other(id, limit)
            }
            fn rewrap(&self, old: &str, n: &KeyName, new: &WrappedKey) -> Result<bool, StoreError> {
                (**self).rewrap(old, n, new)
            }
        }
    )*};
}
forward_key_store!(Arc, Box);
