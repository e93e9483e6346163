//! [`KeyStore`] in memory, for tests and short-lived processes.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

use chrono::{DateTime, Utc};
use zeroize::Zeroize;

mod anchors;

use super::store::{KeyName, KeyStore, StoredKey, WrappedKey};
use crate::retention::{
    AnchorEvent, EpochSweep, HoldId, HoldSubject, IntegrityKey, LegalHold, QueuedErasure,
    RetentionCounts, ShredCounts, StoredException, SubjectRef,
};
use crate::store::StoreError;
use crate::subject::SubjectId;

/// Wrapped keys in memory, for tests and short-lived processes. Nothing outside the
/// process can change it, so it takes the [`IntegrityKey`] of the hold and tombstone
/// calls without storing MACs.
#[derive(Default)]
pub struct MemoryKeyStore {
    inner: RwLock<MemoryKeys>,
}

#[derive(Default)]
struct MemoryKeys {
    keys: HashMap<SubjectId, BTreeMap<u32, (String, Vec<u8>)>>,
    tombstones: HashSet<SubjectRef>,
    named: BTreeMap<KeyName, WrappedKey>,
    swept_before: u32,
    holds: Vec<LegalHold>,
    exceptions: Vec<StoredException>,
    queued: Vec<QueuedErasure>,
    /// Recorded anchor events, oldest first (`anchors.rs`).
    events: Vec<AnchorEvent>,
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

impl MemoryKeys {
    /// Whether a hold names `subject` and binds at `now`.
    fn bound(&self, subject: &SubjectId, now: DateTime<Utc>) -> bool {
        self.holds
            .iter()
            .any(|h| h.subject_id() == Some(subject) && h.binds(now))
    }

    fn remove_named(&mut self, keep: impl Fn(&KeyName) -> bool) -> usize {
        let before = self.named.len();
        self.named.retain(|name, key| {
            let kept = keep(name);
            if !kept {
                key.wrapped.zeroize();
            }
            kept
        });
        before - self.named.len()
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
        let inner = self.read()?;
        Ok(inner
            .keys
            .get(subject)
            .and_then(|v| v.iter().next_back())
            .map(|(version, r)| row(subject, *version, r)))
    }

    fn get(&self, subject: &SubjectId, version: u32) -> Result<Option<StoredKey>, StoreError> {
        let inner = self.read()?;
        Ok(inner
            .keys
            .get(subject)
            .and_then(|v| v.get(&version))
            .map(|r| row(subject, version, r)))
    }

    fn insert(
        &self,
        key: &StoredKey,
        subject_ref: &SubjectRef,
    ) -> Result<Option<StoredKey>, StoreError> {
        let mut inner = self.write()?;
        if inner.tombstones.contains(subject_ref) {
            return Ok(None);
        }
        let versions = inner.keys.entry(key.subject.clone()).or_default();
        let stored = versions
            .entry(key.version)
            .or_insert_with(|| (key.master_id.clone(), key.wrapped.clone()));
        Ok(Some(row(&key.subject, key.version, stored)))
    }

    fn is_shredded(&self, subject_ref: &SubjectRef, _: &IntegrityKey) -> Result<bool, StoreError> {
        Ok(self.read()?.tombstones.contains(subject_ref))
    }

    fn shred(
        &self,
        subject: &SubjectId,
        subject_ref: &SubjectRef,
        now: DateTime<Utc>,
        _: &IntegrityKey,
    ) -> Result<Option<ShredCounts>, StoreError> {
        let mut inner = self.write()?;
        if inner.bound(subject, now) {
            return Ok(None);
        }
        let escrows = inner
            .remove_named(|n| !matches!(n, KeyName::Escrow { subject: s, .. } if s == subject));
        let mut held = false;
        for hold in &mut inner.holds {
            if hold.subject_id() == Some(subject) {
                hold.subject = HoldSubject::Erased(subject_ref.clone());
                held = true;
            }
        }
        inner.remove_named(|n| match n {
            KeyName::Escrow { subject: s, .. } | KeyName::Pseudonym(s) => s != subject,
            _ => true,
        });
        let anchored = inner.shred_anchors(subject);
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
        // As on SQLite: no tombstone for an id that had nothing to erase.
        if destroyed > 0 || escrows > 0 || held || anchored {
            inner.tombstones.insert(subject_ref.clone());
        }
        let tombstone = inner.tombstones.contains(subject_ref);
        Ok(Some(ShredCounts {
            keys: destroyed,
            escrows,
            tombstone,
        }))
    }

    fn retire_versions(&self, subject: &SubjectId, below: u32) -> Result<usize, StoreError> {
        let mut inner = self.write()?;
        let Some(versions) = inner.keys.get_mut(subject) else {
            return Ok(0);
        };
        let newest = versions.keys().next_back().copied().unwrap_or(0);
        let retired: Vec<u32> = versions
            .range(..below.min(newest))
            .map(|(v, _)| *v)
            .collect();
        for version in &retired {
            if let Some((_, mut wrapped)) = versions.remove(version) {
                wrapped.zeroize();
            }
        }
        Ok(retired.len())
    }

    fn wrapped_by_other(
        &self,
        master_id: &str,
        limit: usize,
    ) -> Result<Vec<StoredKey>, StoreError> {
        let inner = self.read()?;
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
        let mut inner = self.write()?;
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

    fn wrapped(&self, name: &KeyName) -> Result<Option<WrappedKey>, StoreError> {
        Ok(self.read()?.named.get(name).cloned())
    }

    fn insert_wrapped(
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
                    || !inner
                        .holds
                        .iter()
                        .any(|h| h.subject_id() == Some(subject) && h.released_at.is_none())
            }
            KeyName::Pseudonym(_) | KeyName::Anchor { .. } => shredded,
            KeyName::Secret(_) => false,
        };
        if refused {
            return Ok(None);
        }
        Ok(Some(
            inner
                .named
                .entry(name.clone())
                .or_insert_with(|| key.clone())
                .clone(),
        ))
    }

    fn swept_before(&self) -> Result<u32, StoreError> {
        Ok(self.read()?.swept_before)
    }

    fn epochs_before(&self, before: u32) -> Result<Vec<u32>, StoreError> {
        Ok(self
            .read()?
            .named
            .range(KeyName::Epoch(0)..KeyName::Epoch(before))
            .filter_map(|(n, _)| match n {
                KeyName::Epoch(e) => Some(*e),
                _ => None,
            })
            .collect())
    }

    fn sweep_epochs(
        &self,
        before: u32,
        now: DateTime<Utc>,
        _: &IntegrityKey,
    ) -> Result<EpochSweep, StoreError> {
        let mut inner = self.write()?;
        let watermark = inner.swept_before.max(before);
        let doomed: Vec<u32> = inner
            .named
            .range(KeyName::Epoch(0)..KeyName::Epoch(watermark))
            .filter_map(|(n, _)| match n {
                KeyName::Epoch(e) => Some(*e),
                _ => None,
            })
            .collect();
        let held: HashSet<SubjectId> = inner
            .holds
            .iter()
            .filter(|h| h.binds(now))
            .filter_map(|h| h.subject_id().cloned())
            .collect();
        let unescrowed = held.iter().any(|subject| {
            doomed.iter().any(|&epoch| {
                !inner.named.contains_key(&KeyName::Escrow {
                    subject: subject.clone(),
                    epoch,
                })
            })
        });
        if unescrowed {
            return Err(StoreError::HeldWithoutEscrow);
        }
        inner.swept_before = watermark;
        let epochs_destroyed =
            inner.remove_named(|n| !matches!(n, KeyName::Epoch(e) if *e < watermark));
        let released: BTreeSet<SubjectId> = inner
            .named
            .keys()
            .filter_map(|n| match n {
                KeyName::Escrow { subject, .. } if !held.contains(subject) => Some(subject.clone()),
                _ => None,
            })
            .collect();
        inner.remove_named(
            |n| !matches!(n, KeyName::Escrow { subject, .. } if released.contains(subject)),
        );
        Ok(EpochSweep {
            epochs_destroyed,
            escrows_released: released.into_iter().collect(),
        })
    }

    fn named_wrapped_by_other(
        &self,
        master_id: &str,
        limit: usize,
    ) -> Result<Vec<(KeyName, WrappedKey)>, StoreError> {
        Ok(self
            .read()?
            .named
            .iter()
            .filter(|(_, k)| k.master_id != master_id)
            .take(limit)
            .map(|(n, k)| (n.clone(), k.clone()))
            .collect())
    }

    fn rewrap_named(
        &self,
        old_master_id: &str,
        name: &KeyName,
        new: &WrappedKey,
    ) -> Result<bool, StoreError> {
        let mut inner = self.write()?;
        match inner.named.get_mut(name) {
            Some(slot) if slot.master_id == old_master_id => {
                slot.wrapped.zeroize();
                *slot = new.clone();
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    fn place_hold(
        &self,
        hold: &LegalHold,
        subject_ref: &SubjectRef,
        _: &IntegrityKey,
    ) -> Result<bool, StoreError> {
        let mut inner = self.write()?;
        if inner.tombstones.contains(subject_ref) {
            return Ok(false);
        }
        inner.holds.push(hold.clone());
        Ok(true)
    }

    fn release_hold(
        &self,
        id: &HoldId,
        at: DateTime<Utc>,
        _: &IntegrityKey,
    ) -> Result<Option<LegalHold>, StoreError> {
        let mut inner = self.write()?;
        let Some(hold) = inner.holds.iter_mut().find(|h| h.id == *id) else {
            return Ok(None);
        };
        hold.released_at.get_or_insert(at);
        let hold = hold.clone();
        if let Some(subject) = hold.subject_id()
            && !inner.bound(subject, at)
        {
            inner
                .remove_named(|n| !matches!(n, KeyName::Escrow { subject: s, .. } if s == subject));
        }
        Ok(Some(hold))
    }

    fn holds(
        &self,
        subject: Option<&SubjectId>,
        _: &IntegrityKey,
    ) -> Result<Vec<LegalHold>, StoreError> {
        Ok(self
            .read()?
            .holds
            .iter()
            .filter(|h| subject.is_none_or(|s| h.subject_id() == Some(s)))
            .cloned()
            .collect())
    }

    fn insert_exception(&self, kept: &StoredException) -> Result<(), StoreError> {
        let mut inner = self.write()?;
        let same = |e: &StoredException| {
            e.subject == kept.subject
                && e.version == kept.version
                && e.exception.category == kept.exception.category
        };
        for e in inner.exceptions.iter_mut().filter(|e| same(e)) {
            e.key.wrapped.zeroize();
        }
        inner.exceptions.retain(|e| !same(e));
        inner.exceptions.push(kept.clone());
        Ok(())
    }

    fn exception(
        &self,
        subject: &SubjectId,
        version: u32,
        category: &str,
    ) -> Result<Option<StoredException>, StoreError> {
        Ok(self
            .read()?
            .exceptions
            .iter()
            .find(|e| {
                e.subject == *subject && e.version == version && e.exception.category == category
            })
            .cloned())
    }

    fn end_exceptions(&self, now: DateTime<Utc>) -> Result<usize, StoreError> {
        let mut inner = self.write()?;
        let before = inner.exceptions.len();
        for e in inner
            .exceptions
            .iter_mut()
            .filter(|e| e.exception.until <= now)
        {
            e.key.wrapped.zeroize();
        }
        inner.exceptions.retain(|e| e.exception.until > now);
        let ended = before - inner.exceptions.len();
        if ended > 0 {
            inner.remove_orphan_anchor_keys();
        }
        Ok(ended)
    }

    fn queue_erasure(&self, queued: &QueuedErasure) -> Result<(), StoreError> {
        let mut inner = self.write()?;
        inner.queued.retain(|q| q.subject != queued.subject);
        inner.queued.push(queued.clone());
        Ok(())
    }

    fn queued_erasures(&self) -> Result<Vec<QueuedErasure>, StoreError> {
        Ok(self.read()?.queued.clone())
    }

    fn dequeue_erasure(&self, subject: &SubjectId) -> Result<(), StoreError> {
        self.write()?.queued.retain(|q| q.subject != *subject);
        Ok(())
    }

    fn record_event(
        &self,
        event: &AnchorEvent,
        subject_ref: &SubjectRef,
        _: &IntegrityKey,
    ) -> Result<bool, StoreError> {
        let mut inner = self.write()?;
        if inner.tombstones.contains(subject_ref) {
            return Ok(false);
        }
        inner.events.push(event.clone());
        Ok(true)
    }

    fn events(
        &self,
        subject: &SubjectId,
        _: &SubjectRef,
        _: &IntegrityKey,
    ) -> Result<Vec<AnchorEvent>, StoreError> {
        Ok(self.read()?.events_of(subject))
    }

    fn sweep_anchor_keys(
        &self,
        now: DateTime<Utc>,
        _: &IntegrityKey,
    ) -> Result<Vec<SubjectId>, StoreError> {
        Ok(self.write()?.sweep_anchor_keys(now))
    }

    fn verify_retention(&self, _: &IntegrityKey) -> Result<RetentionCounts, StoreError> {
        let inner = self.read()?;
        let n = |count: usize| count as u64;
        Ok(RetentionCounts {
            holds: n(inner.holds.len()),
            released: n(inner
                .holds
                .iter()
                .filter(|h| h.released_at.is_some())
                .count()),
            erased: n(inner
                .holds
                .iter()
                .filter(|h| h.subject_id().is_none())
                .count()),
            tombstones: n(inner.tombstones.len()),
        })
    }
}
