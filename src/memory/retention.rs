//! The retention traits on [`MemoryKeyStore`]: holds, tombstones, the sweep
//! watermark, erasure exceptions and queued erasures.

use std::collections::{BTreeSet, HashSet};

use chrono::{DateTime, Utc};
use zeroize::Zeroize;

use super::MemoryKeyStore;
use crate::keys::KeyName;
use crate::retention::{
    AnchorEvent, EpochSweep, ErasureStore, HoldId, HoldStore, HoldSubject, IntegrityKey, LegalHold,
    QueuedErasure, RetentionCounts, RetentionStore, ShredCounts, StoredEvent, StoredException,
    StoredHold,
};
use crate::store::StoreError;
use crate::subject::{SubjectId, SubjectRef};

impl HoldStore for MemoryKeyStore {
    fn place_hold(
        &self,
        hold: &LegalHold,
        subject_ref: &SubjectRef,
        key: &IntegrityKey,
    ) -> Result<bool, StoreError> {
        let mut inner = self.write()?;
        if inner.tombstones.contains(subject_ref) {
            return Ok(false);
        }
        inner.holds.push(StoredHold::sign(hold.clone(), key));
        Ok(true)
    }

    fn release_hold(
        &self,
        id: &HoldId,
        at: DateTime<Utc>,
        key: &IntegrityKey,
    ) -> Result<Option<LegalHold>, StoreError> {
        let mut inner = self.write()?;
        let Some(stored) = inner.holds.iter_mut().find(|h| h.hold.id == *id) else {
            return Ok(None);
        };
        if stored.hold.released_at.is_none() {
            stored.hold.released_at = Some(at);
            *stored = StoredHold::sign(stored.hold.clone(), key);
        }
        let hold = stored.hold.clone();
        if let Some(subject) = hold.subject_id()
            && !inner.bound(subject, at)
        {
            inner.remove_keys(|n| !matches!(n, KeyName::Escrow { subject: s, .. } if s == subject));
        }
        Ok(Some(hold))
    }

    fn holds(
        &self,
        subject: Option<&SubjectId>,
        _: &IntegrityKey,
    ) -> Result<Vec<StoredHold>, StoreError> {
        Ok(self
            .read()?
            .holds
            .iter()
            .filter(|h| subject.is_none_or(|s| h.hold.subject_id() == Some(s)))
            .cloned()
            .collect())
    }
}

impl RetentionStore for MemoryKeyStore {
    fn is_shredded(&self, subject_ref: &SubjectRef, _: &IntegrityKey) -> Result<bool, StoreError> {
        Ok(self.read()?.tombstones.contains(subject_ref))
    }

    fn shred(
        &self,
        subject: &SubjectId,
        subject_ref: &SubjectRef,
        now: DateTime<Utc>,
        key: &IntegrityKey,
    ) -> Result<Option<ShredCounts>, StoreError> {
        let mut inner = self.write()?;
        if inner.bound(subject, now) {
            return Ok(None);
        }
        let escrows =
            inner.remove_keys(|n| !matches!(n, KeyName::Escrow { subject: s, .. } if s == subject));
        let mut held = false;
        for stored in &mut inner.holds {
            if stored.hold.subject_id() == Some(subject) {
                stored.hold.subject = HoldSubject::Erased(subject_ref.clone());
                *stored = StoredHold::sign(stored.hold.clone(), key);
                held = true;
            }
        }
        inner.remove_keys(|n| !matches!(n, KeyName::Pseudonym(s) if s == subject));
        let anchored = inner.shred_anchors(subject);
        let destroyed = inner
            .remove_keys(|n| !matches!(n, KeyName::Subject { subject: s, .. } if s == subject));
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

    fn retire_versions(
        &self,
        subject: &SubjectId,
        below: u32,
        now: DateTime<Utc>,
        _: &IntegrityKey,
    ) -> Result<Option<usize>, StoreError> {
        let mut inner = self.write()?;
        if inner.bound(subject, now) {
            return Ok(None);
        }
        let Some((newest, _)) = inner.newest(subject) else {
            return Ok(Some(0));
        };
        let retired: Vec<KeyName> = inner
            .keys
            .range(super::versions(subject, 0, below.min(newest)))
            .map(|(n, _)| n.clone())
            .collect();
        for name in &retired {
            if let Some(mut key) = inner.keys.remove(name) {
                key.wrapped.zeroize();
            }
        }
        Ok(Some(retired.len()))
    }

    fn swept_before(&self) -> Result<u32, StoreError> {
        Ok(self.read()?.swept_before)
    }

    fn epochs_before(&self, before: u32) -> Result<Vec<u32>, StoreError> {
        Ok(self
            .read()?
            .keys
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
            .keys
            .range(KeyName::Epoch(0)..KeyName::Epoch(watermark))
            .filter_map(|(n, _)| match n {
                KeyName::Epoch(e) => Some(*e),
                _ => None,
            })
            .collect();
        let held: HashSet<SubjectId> = inner
            .holds
            .iter()
            .filter(|h| h.hold.binds(now))
            .filter_map(|h| h.hold.subject_id().cloned())
            .collect();
        let unescrowed = held.iter().any(|subject| {
            doomed.iter().any(|&epoch| {
                !inner.keys.contains_key(&KeyName::Escrow {
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
            inner.remove_keys(|n| !matches!(n, KeyName::Epoch(e) if *e < watermark));
        let released: BTreeSet<SubjectId> = inner
            .keys
            .keys()
            .filter_map(|n| match n {
                KeyName::Escrow { subject, .. } if !held.contains(subject) => Some(subject.clone()),
                _ => None,
            })
            .collect();
        inner.remove_keys(
            |n| !matches!(n, KeyName::Escrow { subject, .. } if released.contains(subject)),
        );
        Ok(EpochSweep {
            epochs_destroyed,
            escrows_released: released.into_iter().collect(),
        })
    }

    fn verify_retention(&self, _: &IntegrityKey) -> Result<RetentionCounts, StoreError> {
        let inner = self.read()?;
        let n = |count: usize| count as u64;
        Ok(RetentionCounts {
            holds: n(inner.holds.len()),
            released: n(inner
                .holds
                .iter()
                .filter(|h| h.hold.released_at.is_some())
                .count()),
            erased: n(inner
                .holds
                .iter()
                .filter(|h| h.hold.subject_id().is_none())
                .count()),
            tombstones: n(inner.tombstones.len()),
        })
    }

    fn record_event(
        &self,
        event: &AnchorEvent,
        subject_ref: &SubjectRef,
        key: &IntegrityKey,
    ) -> Result<bool, StoreError> {
        let mut inner = self.write()?;
        if inner.tombstones.contains(subject_ref) {
            return Ok(false);
        }
        inner
            .events
            .push(StoredEvent::sign(event.clone(), subject_ref, key));
        Ok(true)
    }

    fn events(
        &self,
        subject: &SubjectId,
        _: &SubjectRef,
        _: &IntegrityKey,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        Ok(self.read()?.stored_events_of(subject))
    }

    fn sweep_anchor_keys(
        &self,
        now: DateTime<Utc>,
        _: &IntegrityKey,
    ) -> Result<Vec<SubjectId>, StoreError> {
        let mut inner = self.write()?;
        let due: Vec<KeyName> = inner
            .keys
            .keys()
            .filter(|name| inner.anchor_key_due(name, now))
            .cloned()
            .collect();
        let mut subjects = Vec::new();
        for name in due {
            if let Some(mut key) = inner.keys.remove(&name) {
                key.wrapped.zeroize();
            }
            if let KeyName::Anchor { subject, .. } = name
                && !subjects.contains(&subject)
            {
                subjects.push(subject);
            }
        }
        Ok(subjects)
    }
}

impl ErasureStore for MemoryKeyStore {
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
}
