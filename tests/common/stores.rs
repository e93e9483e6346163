//! A store that forwards every call to another one, and lets a test step in at
//! chosen calls (to fail one, or to run another operation at a racy step).

use chrono::{DateTime, Utc};
use custodian::SubjectId;
use custodian::keys::{KeyName, KeyStore, WrappedKey};
use custodian::retention::{
    AnchorEvent, EpochSweep, ErasureStore, HoldId, HoldStore, IntegrityKey, JournalPurge,
    LegalHold, QueuedErasure, RetentionCounts, RetentionStore, ShredCounts, StoredEvent,
    StoredException, StoredHold, SubjectRef,
};
use custodian::store::StoreError;

/// Where a test steps into the calls a [`Forwarding`] store forwards. Every step does
/// nothing by default.
pub trait StoreHook: Send + Sync {
    /// Before `rewrap` is forwarded; an error is returned in its place.
    fn before_rewrap(&self) -> Result<(), StoreError> {
        Ok(())
    }
    /// Before `insert` of the key named `n` is forwarded.
    fn before_insert(&self, _n: &KeyName) {}
    /// Before `epochs_before` is forwarded (a sweep has read the holds by then).
    fn before_epochs_before(&self) {}
    /// After `holds` (of one subject, or of all when `s` is `None`) was forwarded.
    fn after_holds(&self, _s: Option<&SubjectId>) {}
    /// What a lying backend does to the holds `holds` returns (nothing by default).
    fn tamper_holds(&self, _s: Option<&SubjectId>, _holds: &mut Vec<StoredHold>) {}
    /// What a lying backend does to the anchor events `events` returns (nothing).
    fn tamper_events(&self, _s: &SubjectId, _events: &mut Vec<StoredEvent>) {}
}

/// A store that forwards every call to `inner`, calling `hook` at its steps.
#[derive(Clone)]
pub struct Forwarding<S, H> {
    /// The store every call goes to.
    pub inner: S,
    /// Where the test steps in.
    pub hook: H,
}

impl<S: KeyStore, H: StoreHook> KeyStore for Forwarding<S, H> {
    fn get(&self, n: &KeyName) -> Result<Option<WrappedKey>, StoreError> {
        self.inner.get(n)
    }
    fn latest(&self, s: &SubjectId) -> Result<Option<(u32, WrappedKey)>, StoreError> {
        self.inner.latest(s)
    }
    fn insert(
        &self,
        n: &KeyName,
        k: &WrappedKey,
        r: Option<&SubjectRef>,
    ) -> Result<Option<WrappedKey>, StoreError> {
        self.hook.before_insert(n);
        self.inner.insert(n, k, r)
    }
    fn wrapped_by_other(
        &self,
        id: &str,
        limit: usize,
    ) -> Result<Vec<(KeyName, WrappedKey)>, StoreError> {
        self.inner.wrapped_by_other(id, limit)
    }
    fn rewrap(&self, old: &str, n: &KeyName, new: &WrappedKey) -> Result<bool, StoreError> {
        self.hook.before_rewrap()?;
        self.inner.rewrap(old, n, new)
    }
}

impl<S: HoldStore, H: StoreHook> HoldStore for Forwarding<S, H> {
    fn place_hold(
        &self,
        h: &LegalHold,
        r: &SubjectRef,
        k: &IntegrityKey,
    ) -> Result<bool, StoreError> {
        self.inner.place_hold(h, r, k)
    }
    fn release_hold(
        &self,
        id: &HoldId,
        at: DateTime<Utc>,
        k: &IntegrityKey,
    ) -> Result<Option<LegalHold>, StoreError> {
        self.inner.release_hold(id, at, k)
    }
    fn holds(
        &self,
        s: Option<&SubjectId>,
        k: &IntegrityKey,
    ) -> Result<Vec<StoredHold>, StoreError> {
        let mut holds = self.inner.holds(s, k)?;
        self.hook.after_holds(s);
        self.hook.tamper_holds(s, &mut holds);
        Ok(holds)
    }
}

impl<S: RetentionStore, H: StoreHook> RetentionStore for Forwarding<S, H> {
    fn is_shredded(&self, r: &SubjectRef, k: &IntegrityKey) -> Result<bool, StoreError> {
        self.inner.is_shredded(r, k)
    }
    fn shred(
        &self,
        s: &SubjectId,
        r: &SubjectRef,
        now: DateTime<Utc>,
        k: &IntegrityKey,
    ) -> Result<Option<ShredCounts>, StoreError> {
        self.inner.shred(s, r, now, k)
    }
    fn retire_versions(
        &self,
        s: &SubjectId,
        below: u32,
        now: DateTime<Utc>,
        k: &IntegrityKey,
    ) -> Result<Option<usize>, StoreError> {
        self.inner.retire_versions(s, below, now, k)
    }
    fn swept_before(&self) -> Result<u32, StoreError> {
        self.inner.swept_before()
    }
    fn epochs_before(&self, before: u32) -> Result<Vec<u32>, StoreError> {
        self.hook.before_epochs_before();
        self.inner.epochs_before(before)
    }
    fn sweep_epochs(
        &self,
        before: u32,
        now: DateTime<Utc>,
        k: &IntegrityKey,
    ) -> Result<EpochSweep, StoreError> {
        self.inner.sweep_epochs(before, now, k)
    }
    fn verify_retention(&self, k: &IntegrityKey) -> Result<RetentionCounts, StoreError> {
        self.inner.verify_retention(k)
    }
    fn record_event(
        &self,
        e: &AnchorEvent,
        r: &SubjectRef,
        k: &IntegrityKey,
    ) -> Result<bool, StoreError> {
        self.inner.record_event(e, r, k)
    }
    fn events(
        &self,
        s: &SubjectId,
        r: &SubjectRef,
        k: &IntegrityKey,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        let mut events = self.inner.events(s, r, k)?;
        self.hook.tamper_events(s, &mut events);
        Ok(events)
    }
    fn sweep_anchor_keys(
        &self,
        now: DateTime<Utc>,
        k: &IntegrityKey,
    ) -> Result<Vec<SubjectId>, StoreError> {
        self.inner.sweep_anchor_keys(now, k)
    }
    fn purge_journal(&self) -> Result<JournalPurge, StoreError> {
        self.inner.purge_journal()
    }
}

impl<S: ErasureStore, H: StoreHook> ErasureStore for Forwarding<S, H> {
    fn insert_exception(&self, e: &StoredException) -> Result<(), StoreError> {
        self.inner.insert_exception(e)
    }
    fn exception(
        &self,
        s: &SubjectId,
        v: u32,
        c: &str,
    ) -> Result<Option<StoredException>, StoreError> {
        self.inner.exception(s, v, c)
    }
    fn end_exceptions(&self, now: DateTime<Utc>) -> Result<usize, StoreError> {
        self.inner.end_exceptions(now)
    }
    fn queue_erasure(&self, q: &QueuedErasure) -> Result<(), StoreError> {
        self.inner.queue_erasure(q)
    }
    fn queued_erasures(&self) -> Result<Vec<QueuedErasure>, StoreError> {
        self.inner.queued_erasures()
    }
    fn dequeue_erasure(&self, s: &SubjectId) -> Result<(), StoreError> {
        self.inner.dequeue_erasure(s)
    }
}
