//! Where wrapped keys live: the [`KeyStore`] trait.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::retention::{
    AnchorEvent, EpochSweep, HoldId, IntegrityKey, JournalPurge, LegalHold, QueuedErasure,
    RetentionCounts, ShredCounts, StoredException, SubjectRef,
};
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
    /// A subject's anchor key for values kept `period` after `anchor`
    /// ([`Retention::AfterEvent`](crate::Retention::AfterEvent)): created at their first
    /// such seal, destroyed by the sweep once the recorded event + period has passed
    /// (unless a legal hold binds the subject) and by erasure.
    Anchor {
        /// The subject.
        subject: SubjectId,
        /// The event.
        anchor: crate::retention::Anchor,
        /// The period after it.
        period: crate::retention::EventPeriod,
    },
}

impl KeyName {
    /// The header code of an [`Anchor`](KeyName::Anchor) key's values (`0` for an
    /// invalid period, which no vault creates).
    pub(crate) fn anchor_code(&self) -> Option<u32> {
        match self {
            KeyName::Anchor { anchor, period, .. } => {
                Some(crate::retention::anchor_code(*anchor, *period).unwrap_or(0))
            }
            _ => None,
        }
    }
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
            KeyName::Anchor { subject, .. } => {
                let s = subject.as_str().as_bytes();
                aad.extend_from_slice(b"custodian.v3.anchor-key");
                aad.push(s.len() as u8);
                aad.extend_from_slice(s);
                aad.extend_from_slice(&self.anchor_code().unwrap_or(0).to_be_bytes());
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
/// - a shredded subject is known by its tombstone: its [`SubjectRef`], an HMAC of
///   the id under a vault secret, never the id or an unkeyed hash of it, so the store
///   alone cannot confirm that a guessed id was erased. The vault computes the
///   reference and passes it in;
/// - `shred` deletes every version of the subject's key (with its escrows and
///   pseudonym secret), records the tombstone (only if the subject had key material
///   or holds) and replaces the subject id in its hold records by the reference, in
///   one transaction that first re-checks that no hold binds the subject;
/// - hold records and tombstones are append-only and authenticated: each carries a
///   MAC under the vault's [`IntegrityKey`], and their counts (holds, releases,
///   erasures, tombstones) only rise; a store that can be changed behind the vault's
///   back fails [`StoreError::RetentionTampered`] rather than answer from records
///   that do not verify or are missing;
/// - reads and destructions that depend on holds are each one transaction that
///   re-checks the holds: `sweep_epochs` refuses to destroy an epoch for which a
///   subject under hold has no escrow, an escrow is stored only while a hold names its
///   subject, and a release deletes the escrows when it ends the subject's last hold;
/// - deletions are committed before the journal is purged; a journal that cannot be
///   emptied yet is reported by [`purge_journal`](KeyStore::purge_journal), never as
///   a failure of the committed deletion;
/// - `retire_versions` never destroys a subject's newest version, and purges the
///   journal of what it destroys like any other deletion;
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
    /// `None` if the subject (whose reference is `subject_ref`) was shredded.
    fn insert(
        &self,
        key: &StoredKey,
        subject_ref: &SubjectRef,
    ) -> Result<Option<StoredKey>, StoreError>;
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
    /// Destroys the subject's key versions below `below`, but never its newest one
    /// (checked in the same transaction), and leaves no copy of them in any journal the
    /// store controls; returns how many were destroyed. Called by
    /// [`Operator::retire_subject_key_versions`](crate::Operator::retire_subject_key_versions)
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
    /// refused: an epoch below the watermark, a pseudonym secret or escrow of a
    /// shredded subject (`subject_ref` is the reference of the subject the name
    /// belongs to, for those names), an escrow of a subject no unreleased hold names.
    fn insert_wrapped(
        &self,
        name: &KeyName,
        key: &WrappedKey,
        subject_ref: Option<&SubjectRef>,
    ) -> Result<Option<WrappedKey>, StoreError>;
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
    /// first; each checked with `key`, and none missing
    /// ([`StoreError::RetentionTampered`] otherwise).
    fn holds(
        &self,
        subject: Option<&SubjectId>,
        key: &IntegrityKey,
    ) -> Result<Vec<LegalHold>, StoreError>;
    /// Checks every hold record and tombstone with `key`, and that none is missing
    /// (their counts, kept MAC'd, only rise), and every recorded anchor event with
    /// `key`; returns the counts.
    fn verify_retention(&self, key: &IntegrityKey) -> Result<RetentionCounts, StoreError>;

    /// Stores the kept category key of an erasure exception (replacing one stored for
    /// the same subject, version and category). Not removed by [`shred`](Self::shred):
    /// it is what an erasure keeps. By default refused ([`StoreError::Unsupported`]),
    /// so an erasure with exceptions on such a store changes nothing.
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

    // Event anchors (`docs/retention.md`, "Periods from an event"): these three methods
    // together, with the `KeyName::Anchor` keys that the named-key methods above store.
    // `shred` also destroys the subject's event records, and their anchor keys unless
    // an erasure exception of the subject is stored (then `end_exceptions` destroys
    // them with the subject's last exception: an anchor key without a subject key is
    // an erased subject's, since the vault creates the subject key first).

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
    /// first, each checked with `key` ([`StoreError::RetentionTampered`] otherwise). By
    /// default refused ([`StoreError::Unsupported`]).
    fn events(
        &self,
        subject: &SubjectId,
        subject_ref: &SubjectRef,
        key: &IntegrityKey,
    ) -> Result<Vec<AnchorEvent>, StoreError> {
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
            fn insert(&self, k: &StoredKey, r: &SubjectRef) -> Result<Option<StoredKey>, StoreError> {
                (**self).insert(k, r)
            }
            fn is_shredded(&self, r: &SubjectRef, k: &IntegrityKey) -> Result<bool, StoreError> {
                (**self).is_shredded(r, k)
            }
            fn shred(&self, s: &SubjectId, r: &SubjectRef, now: DateTime<Utc>, k: &IntegrityKey) -> Result<Option<ShredCounts>, StoreError> {
                (**self).shred(s, r, now, k)
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
            fn insert_wrapped(&self, n: &KeyName, k: &WrappedKey, r: Option<&SubjectRef>) -> Result<Option<WrappedKey>, StoreError> {
                (**self).insert_wrapped(n, k, r)
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
            fn named_wrapped_by_other(&self, id: &str, limit: usize) -> Result<Vec<(KeyName, WrappedKey)>, StoreError> {
                (**self).named_wrapped_by_other(id, limit)
            }
            fn rewrap_named(&self, old: &str, n: &KeyName, new: &WrappedKey) -> Result<bool, StoreError> {
                (**self).rewrap_named(old, n, new)
            }
            fn place_hold(&self, h: &LegalHold, r: &SubjectRef, k: &IntegrityKey) -> Result<bool, StoreError> {
                (**self).place_hold(h, r, k)
            }
            fn release_hold(&self, id: &HoldId, at: DateTime<Utc>, k: &IntegrityKey) -> Result<Option<LegalHold>, StoreError> {
                (**self).release_hold(id, at, k)
            }
            fn holds(&self, s: Option<&SubjectId>, k: &IntegrityKey) -> Result<Vec<LegalHold>, StoreError> {
                (**self).holds(s, k)
            }
            fn verify_retention(&self, k: &IntegrityKey) -> Result<RetentionCounts, StoreError> {
                (**self).verify_retention(k)
            }
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
            fn record_event(&self, e: &AnchorEvent, r: &SubjectRef, k: &IntegrityKey) -> Result<bool, StoreError> {
                (**self).record_event(e, r, k)
            }
            fn events(&self, s: &SubjectId, r: &SubjectRef, k: &IntegrityKey) -> Result<Vec<AnchorEvent>, StoreError> {
                (**self).events(s, r, k)
            }
            fn sweep_anchor_keys(&self, now: DateTime<Utc>, k: &IntegrityKey) -> Result<Vec<SubjectId>, StoreError> {
                (**self).sweep_anchor_keys(now, k)
            }
            fn purge_journal(&self) -> Result<JournalPurge, StoreError> {
                (**self).purge_journal()
            }
        }
    )*};
}
forward_key_store!(Arc, Box);
