//! Where retention state lives: legal holds ([`HoldStore`]), the sweep watermark,
//! shred tombstones, integrity counts and the journal ([`RetentionStore`]), and
//! erasure exceptions with queued erasures ([`ErasureStore`]).
//!
//! A backend implements them on the same storage as its
//! [`KeyStore`](crate::keys::KeyStore): a sweep, a shred and an escrow each read the
//! holds in the same transaction that destroys or writes keys. Implementations:
//! [`MemoryKeyStore`](crate::memory::MemoryKeyStore) and `SqliteStore`; the conformance
//! suites `custodian::testkit::{hold_store, retention_store}` (feature `testkit`)
//! check a backend against these contracts.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::{
    AnchorEvent, EpochSweep, HoldId, IntegrityKey, JournalPurge, LegalHold, QueuedErasure,
    RetentionCounts, ShredCounts, StoredEvent, StoredException, StoredHold,
};
use crate::store::StoreError;
use crate::subject::{SubjectId, SubjectRef};

/// Storage for legal holds (GDPR Art. 17(3)(e), Art. 18).
///
/// The contract:
/// - hold records are append-only and authenticated: each carries a MAC under the
///   vault's [`IntegrityKey`], and their counts (holds, releases, erasures) only
///   rise; a store that can be changed behind the vault's back fails
///   [`StoreError::RetentionTampered`] rather than answer from records that do not
///   verify or are missing;
/// - a release that ends a subject's last binding hold destroys the subject's escrows
///   in the same transaction;
/// - holds are never memoised: a hold placed or released through another handle on
///   the same storage counts at the next call.
pub trait HoldStore: Send + Sync {
    /// Records a legal hold, MAC'd with `key`, unless its subject (whose reference is
    /// `subject_ref`) was shredded; returns whether it did.
    fn place_hold(
        &self,
        hold: &LegalHold,
        subject_ref: &SubjectRef,
        key: &IntegrityKey,
    ) -> Result<bool, StoreError>;
    /// In one transaction: marks hold `id` released at `at` (if it is not yet; its
    /// record MAC'd again with `key`) and, if no other hold on its subject binds at
    /// `at`, destroys the subject's escrows; returns the hold as stored, or `None` if
    /// there is no such hold.
    fn release_hold(
        &self,
        id: &HoldId,
        at: DateTime<Utc>,
        key: &IntegrityKey,
    ) -> Result<Option<LegalHold>, StoreError>;
    /// Every hold (active, lapsed or released), of one subject or of all, oldest
    /// first, each with the MAC stored with it; none missing (a store that can be
    /// changed behind the vault's back checks its counts with `key`,
    /// [`StoreError::RetentionTampered`] otherwise). The vault verifies every returned
    /// MAC itself ([`StoredHold::verify`]) and fails closed on one that does not
    /// verify, so a backend need not, but one that can should fail early.
    fn holds(
        &self,
        subject: Option<&SubjectId>,
        key: &IntegrityKey,
    ) -> Result<Vec<StoredHold>, StoreError>;
}

/// Storage for the rest of retention's state: shred tombstones, the sweep watermark,
/// the integrity counts, the journal of deleted key material, and the events that
/// retention periods run from (with the sweep of the anchor keys they make due).
///
/// The contract:
/// - a shredded subject is known by its tombstone: its [`SubjectRef`], an HMAC of the
///   id under a vault secret, never the id or an unkeyed hash of it, so the store
///   alone cannot confirm that a guessed id was erased;
/// - `shred` deletes every key of the subject (every version, its escrows and
///   pseudonym secret), records the tombstone (only if the subject had key material
///   or holds) and replaces the subject id in its hold records by the reference, in
///   one transaction that first re-checks that no hold binds the subject; tombstones
///   are append-only and MAC'd like hold records;
/// - `retire_versions` is one transaction that re-checks the holds: it destroys no
///   key version of a subject a hold binds, and never a subject's newest version;
/// - `sweep_epochs` is one transaction that re-checks the holds: it refuses to destroy
///   an epoch for which a subject under hold has no escrow;
/// - epochs below the watermark ([`swept_before`](Self::swept_before)) are destroyed:
///   the watermark only rises, and no epoch key below it is ever stored;
/// - deletions are committed before the journal is purged; a journal that cannot be
///   emptied yet is reported by [`purge_journal`](Self::purge_journal), never as a
///   failure of the committed deletion; every deletion of key material leaves no copy
///   in any journal the store controls.
pub trait RetentionStore: HoldStore {
    /// Whether the subject whose reference is `subject_ref` was shredded. A store
    /// that can be changed behind the vault's back (a file) first checks, with `key`,
    /// that no tombstone was deleted or forged
    /// ([`StoreError::RetentionTampered`]).
    fn is_shredded(&self, subject_ref: &SubjectRef, key: &IntegrityKey)
    -> Result<bool, StoreError>;
    /// In one transaction: unless a hold on `subject` binds at `now` (not released,
    /// not lapsed), destroys every key of the subject (with their escrows and pseudonym
    /// secret), records the tombstone `subject_ref` if the subject had key material or
    /// hold records (none for an id that never existed), and replaces the subject in
    /// its hold records by `subject_ref`, each record and the tombstone MAC'd with
    /// `key`. Returns what was destroyed, or `None` if refused because of a hold.
    fn shred(
        &self,
        subject: &SubjectId,
        subject_ref: &SubjectRef,
        now: DateTime<Utc>,
        key: &IntegrityKey,
    ) -> Result<Option<ShredCounts>, StoreError>;
    /// In one transaction: unless a hold on `subject` binds at `now` (not released,
    /// not lapsed), destroys the subject's key versions below `below`, but never its
    /// newest one, and leaves no copy of them in any journal the store controls.
    /// Returns how many were destroyed, or `None` if refused because of a hold. The
    /// holds are read in the transaction that deletes (checked with `key` where the
    /// store can be changed behind the vault's back): a hold placed by another process
    /// between a caller's check and this call still stops it. Called by
    /// [`Operator::retire_subject_key_versions`](crate::Operator::retire_subject_key_versions)
    /// once every value sealed under them was resealed; an application that calls it
    /// on its own handle to the store gets the same refusal, but no audit record.
    fn retire_versions(
        &self,
        subject: &SubjectId,
        below: u32,
        now: DateTime<Utc>,
        key: &IntegrityKey,
    ) -> Result<Option<usize>, StoreError>;
    /// Epochs below this one are destroyed (0 before the first sweep).
    fn swept_before(&self) -> Result<u32, StoreError>;
    /// The epochs below `before` that still have a key, ascending.
    fn epochs_before(&self, before: u32) -> Result<Vec<u32>, StoreError>;
    /// In one transaction: checks that every subject under a hold that binds at `now`
    /// (not released, not lapsed) has an escrow of every epoch about to be destroyed,
    /// else fails with [`StoreError::HeldWithoutEscrow`] and destroys nothing (a hold
    /// was placed while the caller escrowed: read the holds and escrow again); raises
    /// the watermark to `before` (never lowers it), destroys the keys of every epoch
    /// below it, and destroys the escrows of subjects no hold binds any more. Verifies
    /// the holds with `key` in that transaction and destroys nothing if they do not
    /// verify ([`StoreError::RetentionTampered`]).
    fn sweep_epochs(
        &self,
        before: u32,
        now: DateTime<Utc>,
        key: &IntegrityKey,
    ) -> Result<EpochSweep, StoreError>;
    /// Checks every hold record and tombstone with `key`, and that none is missing
    /// (their counts, kept MAC'd, only rise), and every recorded anchor event with
    /// `key`; returns the counts.
    fn verify_retention(&self, key: &IntegrityKey) -> Result<RetentionCounts, StoreError>;

    // Event anchors (`docs/retention.md`, "Periods from an event"): these three methods
    // together, with the `KeyName::Anchor` keys that `KeyStore::insert` stores. `shred`
    // also destroys the subject's event records, and their anchor keys unless an
    // erasure exception of the subject is stored (then
    // `ErasureStore::end_exceptions` destroys them with the subject's last exception:
    // an anchor key without a subject key is an erased subject's, since the vault
    // creates the subject key first).

    /// Records `event` (append-only; MAC'd with `key` where the store can be changed
    /// behind the vault's back) unless its subject, whose reference is `subject_ref`,
    /// was shredded; returns whether it did. By default refused
    /// ([`StoreError::Unsupported`]): a vault on such a store also refuses to seal
    /// values kept after an event. A store that implements it must implement
    /// [`events`](Self::events) and [`sweep_anchor_keys`](Self::sweep_anchor_keys) too
    /// (whose default destroys nothing), and destroy anchor keys and events in
    /// [`shred`](Self::shred).
    fn record_event(
        &self,
        event: &AnchorEvent,
        subject_ref: &SubjectRef,
        key: &IntegrityKey,
    ) -> Result<bool, StoreError> {
        let _ = (event, subject_ref, key);
        Err(StoreError::Unsupported {
            what: "retention periods from an event",
        })
    }
    /// Every event recorded for `subject` (whose reference is `subject_ref`), oldest
    /// first, each with the MAC stored with it (a store that can be changed behind the
    /// vault's back checks them with `key` too, [`StoreError::RetentionTampered`]
    /// otherwise). The vault verifies every returned MAC itself
    /// ([`StoredEvent::verify`]) and fails closed on one that does not verify. By
    /// default refused ([`StoreError::Unsupported`]).
    fn events(
        &self,
        subject: &SubjectId,
        subject_ref: &SubjectRef,
        key: &IntegrityKey,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        let _ = (subject, subject_ref, key);
        Err(StoreError::Unsupported {
            what: "retention periods from an event",
        })
    }
    /// In one transaction: destroys every anchor key whose subject's latest recorded
    /// event of its anchor, plus its period, is at or before `now`, unless a hold binds
    /// the subject at `now` (the key is then kept until a sweep after the release);
    /// checks every event it reads with `key` and destroys nothing if one does not
    /// verify ([`StoreError::RetentionTampered`]). Returns the subjects whose anchor
    /// keys it destroyed. By default none are stored, so none are destroyed.
    fn sweep_anchor_keys(
        &self,
        now: DateTime<Utc>,
        key: &IntegrityKey,
    ) -> Result<Vec<SubjectId>, StoreError> {
        let _ = (now, key);
        Ok(Vec::new())
    }
    /// Empties the store's journal of deleted key material if a deletion left it
    /// pending (SQLite: a WAL checkpoint that a reader kept from completing). Stores
    /// without a journal have nothing to do.
    fn purge_journal(&self) -> Result<JournalPurge, StoreError> {
        Ok(JournalPurge::Complete)
    }
}

/// Storage for erasure exceptions (category keys an erasure keeps, Art. 17(3)) and
/// erasures queued behind a legal hold. Every method has a default: a backend without
/// them refuses an erasure with exceptions ([`StoreError::Unsupported`]) and changes
/// nothing, so `impl ErasureStore for MyStore {}` is a complete, safe implementation.
pub trait ErasureStore: Send + Sync {
    /// Stores the kept category key of an erasure exception (replacing one stored for
    /// the same subject, version and category). Not removed by
    /// [`RetentionStore::shred`]: it is what an erasure keeps. By default refused
    /// ([`StoreError::Unsupported`]).
    fn insert_exception(&self, kept: &StoredException) -> Result<(), StoreError> {
        let _ = kept;
        Err(StoreError::Unsupported {
            what: "erasure exceptions",
        })
    }
    /// The kept category key of `subject`'s key `version` for `category`, if any. By
    /// default none (an erased subject's data stays unreadable).
    fn exception(
        &self,
        subject: &SubjectId,
        version: u32,
        category: &str,
    ) -> Result<Option<StoredException>, StoreError> {
        let _ = (subject, version, category);
        Ok(None)
    }
    /// Destroys every kept category key whose exception ended at or before `now`, and
    /// the anchor keys of erased subjects none of whose exceptions remain; returns how
    /// many exceptions ended. By default none are stored, so none are destroyed.
    fn end_exceptions(&self, now: DateTime<Utc>) -> Result<usize, StoreError> {
        let _ = now;
        Ok(0)
    }
    /// Queues an erasure refused under a legal hold (replacing one queued for the same
    /// subject). By default refused ([`StoreError::Unsupported`]).
    fn queue_erasure(&self, queued: &QueuedErasure) -> Result<(), StoreError> {
        let _ = queued;
        Err(StoreError::Unsupported {
            what: "queued erasures",
        })
    }
    /// Every queued erasure, oldest first. By default none.
    fn queued_erasures(&self) -> Result<Vec<QueuedErasure>, StoreError> {
        Ok(Vec::new())
    }
    /// Removes the subject's queued erasure, if any (it was carried out).
    fn dequeue_erasure(&self, subject: &SubjectId) -> Result<(), StoreError> {
        let _ = subject;
        Ok(())
    }
}

macro_rules! forward_retention_stores {
    ($($ptr:ident),*) => {$(
        /// Shares one store between vaults, or hands a boxed one over.
        impl<S: HoldStore + ?Sized> HoldStore for $ptr<S> {
            fn place_hold(&self, h: &LegalHold, r: &SubjectRef, k: &IntegrityKey) -> Result<bool, StoreError> {
                (**self).place_hold(h, r, k)
            }
            fn release_hold(&self, id: &HoldId, at: DateTime<Utc>, k: &IntegrityKey) -> Result<Option<LegalHold>, StoreError> {
                (**self).release_hold(id, at, k)
            }
            fn holds(&self, s: Option<&SubjectId>, k: &IntegrityKey) -> Result<Vec<StoredHold>, StoreError> {
                (**self).holds(s, k)
            }
        }
        /// Shares one store between vaults, or hands a boxed one over.
        impl<S: RetentionStore + ?Sized> RetentionStore for $ptr<S> {
            fn is_shredded(&self, r: &SubjectRef, k: &IntegrityKey) -> Result<bool, StoreError> {
                (**self).is_shredded(r, k)
            }
            fn shred(&self, s: &SubjectId, r: &SubjectRef, now: DateTime<Utc>, k: &IntegrityKey) -> Result<Option<ShredCounts>, StoreError> {
                (**self).shred(s, r, now, k)
            }
            fn retire_versions(&self, s: &SubjectId, below: u32, now: DateTime<Utc>, k: &IntegrityKey) -> Result<Option<usize>, StoreError> {
                (**self).retire_versions(s, below, now, k)
            }
            fn swept_before(&self) -> Result<u32, StoreError> {
                (**self).swept_before()
            }
            fn epochs_before(&self, before: u32) -> Result<Vec<u32>, StoreError> {
                (**self).epochs_before(before)
            }
            fn sweep_epochs(&self, before: u32, now: DateTime<Utc>, k: &IntegrityKey) -> Result<EpochSweep, StoreError> {
                (**self).sweep_epochs(before, now, k)
            }
            fn verify_retention(&self, k: &IntegrityKey) -> Result<RetentionCounts, StoreError> {
                (**self).verify_retention(k)
            }
            fn record_event(&self, e: &AnchorEvent, r: &SubjectRef, k: &IntegrityKey) -> Result<bool, StoreError> {
                (**self).record_event(e, r, k)
            }
            fn events(&self, s: &SubjectId, r: &SubjectRef, k: &IntegrityKey) -> Result<Vec<StoredEvent>, StoreError> {
                (**self).events(s, r, k)
            }
            fn sweep_anchor_keys(&self, now: DateTime<Utc>, k: &IntegrityKey) -> Result<Vec<SubjectId>, StoreError> {
                (**self).sweep_anchor_keys(now, k)
            }
            fn purge_journal(&self) -> Result<JournalPurge, StoreError> {
                (**self).purge_journal()
            }
        }
        /// Shares one store between vaults, or hands a boxed one over.
        impl<S: ErasureStore + ?Sized> ErasureStore for $ptr<S> {
            fn insert_exception(&self, e: &StoredException) -> Result<(), StoreError> {
                (**self).insert_exception(e)
            }
            fn exception(&self, s: &SubjectId, v: u32, c: &str) -> Result<Option<StoredException>, StoreError> {
                (**self).exception(s, v, c)
            }
            fn end_exceptions(&self, now: DateTime<Utc>) -> Result<usize, StoreError> {
                (**self).end_exceptions(now)
            }
            fn queue_erasure(&self, q: &QueuedErasure) -> Result<(), StoreError> {
                (**self).queue_erasure(q)
            }
            fn queued_erasures(&self) -> Result<Vec<QueuedErasure>, StoreError> {
                (**self).queued_erasures()
            }
            fn dequeue_erasure(&self, s: &SubjectId) -> Result<(), StoreError> {
                (**self).dequeue_erasure(s)
            }
        }
    )*};
}
forward_retention_stores!(Arc, Box);
