//! The in-memory backend: [`MemoryKeyStore`] implements the key store and the
//! retention stores, for tests and short-lived processes. (The memory consent store
//! and audit sink live with their traits, in `consent` and `audit`.)

mod anchors;
mod retention;

use std::collections::{BTreeMap, HashSet};
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

use chrono::{DateTime, Utc};
use zeroize::Zeroize;

use crate::keys::{KeyName, KeyStore, WrappedKey};
use crate::retention::{QueuedErasure, StoredEvent, StoredException, StoredHold};
use crate::store::StoreError;
use crate::subject::{SubjectId, SubjectRef};

/// Wrapped keys and retention state in memory, for tests and short-lived processes.
/// Nothing outside the process can change it, so it takes the
/// [`IntegrityKey`](crate::retention::IntegrityKey) of the hold and tombstone calls
/// without storing MACs.
#[derive(Default)]
pub struct MemoryKeyStore {
    inner: RwLock<MemoryKeys>,
}

#[derive(Default)]
struct MemoryKeys {
    keys: BTreeMap<KeyName, WrappedKey>,
    tombstones: HashSet<SubjectRef>,
    swept_before: u32,
    /// Each with the MAC the vault's key gave it (returned as stored).
    holds: Vec<StoredHold>,
    exceptions: Vec<StoredException>,
    queued: Vec<QueuedErasure>,
    /// Recorded anchor events, oldest first (`anchors.rs`).
    events: Vec<StoredEvent>,
}

impl MemoryKeyStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn read(&self) -> Result<RwLockReadGuard<'_, MemoryKeys>, StoreError> {
        self.inner.read().map_err(|_| StoreError::Poisoned)
    }

    fn write(&self) -> Result<RwLockWriteGuard<'_, MemoryKeys>, StoreError> {
        self.inner.write().map_err(|_| StoreError::Poisoned)
    }
}

/// The names of `subject`'s key versions from `from` up to (not including) `to`.
fn versions(subject: &SubjectId, from: u32, to: u32) -> std::ops::Range<KeyName> {
    let name = |version| KeyName::Subject {
        subject: subject.clone(),
        version,
    };
    name(from)..name(to)
}

impl MemoryKeys {
    /// Whether a hold names `subject` and binds at `now`.
    fn bound(&self, subject: &SubjectId, now: DateTime<Utc>) -> bool {
        self.holds
            .iter()
            .any(|h| h.hold.subject_id() == Some(subject) && h.hold.binds(now))
    }

    /// Removes (and wipes) every key `keep` refuses; returns how many.
    fn remove_keys(&mut self, keep: impl Fn(&KeyName) -> bool) -> usize {
        let before = self.keys.len();
        self.keys.retain(|name, key| {
            let kept = keep(name);
            if !kept {
                key.wrapped.zeroize();
            }
            kept
        });
        before - self.keys.len()
    }

    /// The subject's newest key version, if any.
    fn newest(&self, subject: &SubjectId) -> Option<(u32, &WrappedKey)> {
        let first = versions(subject, 0, 0).start;
        let last = KeyName::Subject {
            subject: subject.clone(),
            version: u32::MAX,
        };
        let (name, key) = self.keys.range(first..=last).next_back()?;
        match name {
            KeyName::Subject { version, .. } => Some((*version, key)),
            _ => None,
        }
    }
}

impl KeyStore for MemoryKeyStore {
    fn get(&self, name: &KeyName) -> Result<Option<WrappedKey>, StoreError> {
        Ok(self.read()?.keys.get(name).cloned())
    }

    fn latest(&self, subject: &SubjectId) -> Result<Option<(u32, WrappedKey)>, StoreError> {
        let inner = self.read()?;
        Ok(inner.newest(subject).map(|(v, k)| (v, k.clone())))
    }

    fn insert(
        &self,
        name: &KeyName,
        key: &WrappedKey,
        subject_ref: Option<&SubjectRef>,
    ) -> Result<Option<WrappedKey>, StoreError> {
        let mut inner = self.write()?;
        let shredded = subject_ref.is_some_and(|r| inner.tombstones.contains(r));
        let refused = match name {
            KeyName::Epoch(e) => *e < inner.swept_before,
            KeyName::Escrow { subject, .. } => {
                shredded
                    || !inner.holds.iter().any(|h| {
                        h.hold.subject_id() == Some(subject) && h.hold.released_at.is_none()
                    })
            }
            KeyName::Pseudonym(_) | KeyName::Anchor { .. } => shredded,
            KeyName::Subject { .. } if subject_ref.is_none() => {
                return Err(StoreError::SubjectRefRequired);
            }
            KeyName::Subject { .. } => shredded,
            KeyName::Secret(_) => false,
        };
        if refused {
            return Ok(None);
        }
        Ok(Some(
            inner
                .keys
                .entry(name.clone())
                .or_insert_with(|| key.clone())
                .clone(),
        ))
    }

    fn wrapped_by_other(
        &self,
        master_id: &str,
        limit: usize,
    ) -> Result<Vec<(KeyName, WrappedKey)>, StoreError> {
        Ok(self
            .read()?
            .keys
            .iter()
            .filter(|(_, k)| k.master_id != master_id)
            .take(limit)
            .map(|(n, k)| (n.clone(), k.clone()))
            .collect())
    }

    fn rewrap(
        &self,
        old_master_id: &str,
        name: &KeyName,
        new: &WrappedKey,
    ) -> Result<bool, StoreError> {
        let mut inner = self.write()?;
        match inner.keys.get_mut(name) {
            Some(slot) if slot.master_id == old_master_id => {
                slot.wrapped.zeroize();
                *slot = new.clone();
                Ok(true)
            }
            _ => Ok(false),
        }
    }
}
