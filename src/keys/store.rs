//! Where wrapped subject keys live: the [`KeyStore`] trait and its in-memory form.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, RwLock};

use zeroize::Zeroize;

use super::tombstone_id;
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

/// Storage for wrapped subject keys and the tombstones of shredded subjects.
///
/// Implementations: [`MemoryKeyStore`] and [`SqliteStore`](crate::store::SqliteStore).
/// The contract, which `tests/shred.rs` checks for both:
/// - `insert` never overwrites: the first row for a (subject, version) wins, and
///   every caller gets the winner back (two threads creating a subject's first key
///   agree on one); it refuses (returns `None`) once the subject is shredded;
/// - `shred` deletes every version of the subject's key and records a tombstone (a
///   hash of the subject id, not the id) before it returns, and leaves no copy of the
///   deleted rows in any journal the store controls;
/// - `rewrap` is a compare-and-swap on the master id, so a master-key rotation can be
///   interrupted and run again.
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
    /// Destroys every key of the subject and records a tombstone; returns the number
    /// of keys destroyed.
    fn shred(&self, subject: &SubjectId) -> Result<usize, StoreError>;
    /// Up to `limit` keys wrapped by a master key other than `master_id`.
    fn wrapped_by_other(&self, master_id: &str, limit: usize)
    -> Result<Vec<StoredKey>, StoreError>;
    /// Replaces the row of (`new.subject`, `new.version`) with `new` if it is still
    /// wrapped by `old_master_id`; returns whether it did.
    fn rewrap(&self, old_master_id: &str, new: &StoredKey) -> Result<bool, StoreError>;
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
            fn wrapped_by_other(&self, id: &str, limit: usize) -> Result<Vec<StoredKey>, StoreError> {
                (**self).wrapped_by_other(id, limit)
            }
            fn rewrap(&self, old: &str, new: &StoredKey) -> Result<bool, StoreError> {
                (**self).rewrap(old, new)
            }
        }
    )*};
}
forward_key_store!(Arc, Box);

/// Wrapped keys in memory, for tests and short-lived processes.
#[derive(Default)]
pub struct MemoryKeyStore {
    inner: RwLock<MemoryKeys>,
}

#[derive(Default)]
struct MemoryKeys {
    keys: HashMap<SubjectId, BTreeMap<u32, (String, Vec<u8>)>>,
    tombstones: HashSet<[u8; 32]>,
}

impl MemoryKeyStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }
}

fn row(subject: &SubjectId, version: u32, (master_id, wrapped): &(String, Vec<u8>)) -> StoredKey {
    StoredKey {
        subject: subject.clone(),
        version,
        master_id: master_id.clone(),
        wrapped: wrapped.clone(),
    }
}

impl KeyStore for MemoryKeyStore {
    fn latest(&self, subject: &SubjectId) -> Result<Option<StoredKey>, StoreError> {
        let inner = self.inner.read().map_err(|_| StoreError::Poisoned)?;
        Ok(inner
            .keys
            .get(subject)
            .and_then(|v| v.iter().next_back())
            .map(|(version, r)| row(subject, *version, r)))
    }

    fn get(&self, subject: &SubjectId, version: u32) -> Result<Option<StoredKey>, StoreError> {
        let inner = self.inner.read().map_err(|_| StoreError::Poisoned)?;
        Ok(inner
            .keys
            .get(subject)
            .and_then(|v| v.get(&version))
            .map(|r| row(subject, version, r)))
    }

    fn insert(&self, key: &StoredKey) -> Result<Option<StoredKey>, StoreError> {
        let mut inner = self.inner.write().map_err(|_| StoreError::Poisoned)?;
        if inner.tombstones.contains(&tombstone_id(&key.subject)) {
            return Ok(None);
        }
        let versions = inner.keys.entry(key.subject.clone()).or_default();
        let stored = versions
            .entry(key.version)
            .or_insert_with(|| (key.master_id.clone(), key.wrapped.clone()));
        Ok(Some(row(&key.subject, key.version, stored)))
    }

    fn is_shredded(&self, subject: &SubjectId) -> Result<bool, StoreError> {
        let inner = self.inner.read().map_err(|_| StoreError::Poisoned)?;
        Ok(inner.tombstones.contains(&tombstone_id(subject)))
    }

    fn shred(&self, subject: &SubjectId) -> Result<usize, StoreError> {
        let mut inner = self.inner.write().map_err(|_| StoreError::Poisoned)?;
        inner.tombstones.insert(tombstone_id(subject));
        let destroyed = match inner.keys.remove(subject) {
            Some(versions) => {
                let n = versions.len();
                for (_, (_, mut wrapped)) in versions {
                    wrapped.zeroize();
                }
                n
            }
            None => 0,
        };
        Ok(destroyed)
    }

    fn wrapped_by_other(
        &self,
        master_id: &str,
        limit: usize,
    ) -> Result<Vec<StoredKey>, StoreError> {
        let inner = self.inner.read().map_err(|_| StoreError::Poisoned)?;
        Ok(inner
            .keys
            .iter()
            .flat_map(|(s, versions)| versions.iter().map(move |(v, r)| (s, *v, r)))
            .filter(|(_, _, r)| r.0 != master_id)
            .take(limit)
            .map(|(s, v, r)| row(s, v, r))
            .collect())
    }

    fn rewrap(&self, old_master_id: &str, new: &StoredKey) -> Result<bool, StoreError> {
        let mut inner = self.inner.write().map_err(|_| StoreError::Poisoned)?;
        match inner
            .keys
            .get_mut(&new.subject)
            .and_then(|v| v.get_mut(&new.version))
        {
            Some(slot) if slot.0 == old_master_id => {
                slot.1.zeroize();
                *slot = (new.master_id.clone(), new.wrapped.clone());
                Ok(true)
            }
            _ => Ok(false),
        }
    }
}
