//! A key store that forwards every call to another one, and lets a test step in at
//! chosen calls (to fail one, or to run another operation at a racy step).

use chrono::{DateTime, Utc};
use custodian::SubjectId;
use custodian::keys::{KeyName, KeyStore, StoredKey, WrappedKey};
use custodian::retention::{
    AnchorEvent, EpochSweep, HoldId, IntegrityKey, JournalPurge, LegalHold, RetentionCounts,
    ShredCounts, SubjectRef,
};
use custodian::store::StoreError;

/// Where a test steps into the calls a [`Forwarding`] store forwards. Every step does
/// nothing by default.
pub trait StoreHook: Send + Sync {
    /// Before `rewrap` is forwarded; an error is returned in its place.
    fn before_rewrap(&self) -> Result<(), StoreError> {
        Ok(())
    }
    /// Before `insert_wrapped` of the key named `n` is forwarded.
    fn before_insert_wrapped(&self, _n: &KeyName) {}
    /// Before `epochs_before` is forwarded (a sweep has read the holds by then).
    fn before_epochs_before(&self) {}
    /// After `holds` (of one subject, or of all when `s` is `None`) was forwarded.
    fn after_holds(&self, _s: Option<&SubjectId>) {}
}

/// A key store that forwards every call to `inner`, calling `hook` at its steps.
pub struct Forwarding<S, H> {
    /// The store every call goes to.
    pub inner: S,
    /// Where the test steps in.
    pub hook: H,
}

impl<S: KeyStore, H: StoreHook> KeyStore for Forwarding<S, H> {
    fn latest(&self, s: &SubjectId) -> Result<Option<StoredKey>, StoreError> {
        self.inner.latest(s)
    }
    fn get(&self, s: &SubjectId, v: u32) -> Result<Option<StoredKey>, StoreError> {
        self.inner.get(s, v)
    }
    fn insert(&self, k: &StoredKey, r: &SubjectRef) -> Result<Option<StoredKey>, StoreError> {
        self.inner.insert(k, r)
    }
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
    fn retire_versions(&self, s: &SubjectId, below: u32) -> Result<usize, StoreError> {
        self.inner.retire_versions(s, below)
    }
    fn wrapped_by_other(&self, id: &str, limit: usize) -> Result<Vec<StoredKey>, StoreError> {
        self.inner.wrapped_by_other(id, limit)
    }
    fn rewrap(&self, old: &str, new: &StoredKey) -> Result<bool, StoreError> {
        self.hook.before_rewrap()?;
        self.inner.rewrap(old, new)
    }
    fn wrapped(&self, n: &KeyName) -> Result<Option<WrappedKey>, StoreError> {
        self.inner.wrapped(n)
    }
    fn insert_wrapped(
        &self,
        n: &KeyName,
        k: &WrappedKey,
        r: Option<&SubjectRef>,
    ) -> Result<Option<WrappedKey>, StoreError> {
        self.hook.before_insert_wrapped(n);
        self.inner.insert_wrapped(n, k, r)
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
    fn named_wrapped_by_other(
        &self,
        id: &str,
        limit: usize,
    ) -> Result<Vec<(KeyName, WrappedKey)>, StoreError> {
        self.inner.named_wrapped_by_other(id, limit)
    }
    fn rewrap_named(&self, old: &str, n: &KeyName, new: &WrappedKey) -> Result<bool, StoreError> {
        self.inner.rewrap_named(old, n, new)
    }
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
    fn verify_retention(&self, k: &IntegrityKey) -> Result<RetentionCounts, StoreError> {
        self.inner.verify_retention(k)
    }
    fn holds(&self, s: Option<&SubjectId>, k: &IntegrityKey) -> Result<Vec<LegalHold>, StoreError> {
        let holds = self.inner.holds(s, k);
        self.hook.after_holds(s);
        holds
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
    ) -> Result<Vec<AnchorEvent>, StoreError> {
        self.inner.events(s, r, k)
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
