//! Crypto-shredding and erasure on the vault. See `docs/retention.md`, "Erasure".

use super::{ShredReport, Vault, VaultError};
use crate::access::Actor;
use crate::audit::EventKind;
use crate::retention::{
    ErasedField, ErasureException, ErasureReceipt, JournalPurge, ShredCounts, SubjectRef,
};
use crate::store::StoreError;
use crate::subject::SubjectId;

impl Vault {
    /// [`Operator::erase`](super::Operator::erase), by `by`.
    pub(super) fn op_erase(
        &self,
        by: &Actor,
        subject: &SubjectId,
    ) -> Result<ErasureReceipt, VaultError> {
        self.audited(EventKind::Erasure, subject, by, || {
            self.erase_unaudited(subject, &[])
        })
    }

    pub(super) fn erase_unaudited(
        &self,
        subject: &SubjectId,
        exceptions: &[ErasureException],
    ) -> Result<ErasureReceipt, VaultError> {
        let reference = self.subject_ref(subject)?;
        let checked = self.check_exceptions(exceptions)?;
        // Refused before anything is kept or destroyed while a hold binds the subject.
        self.refuse_if_held(subject)?;
        let kept = self.keep_excepted(subject, checked)?;
        let report = self.shred_unaudited(subject)?;
        // Keys first: a hold refuses the shred before any consent ends. Ending consent
        // is idempotent, so a failure here is repaired by erasing again.
        if let Some(eraser) = &self.consent {
            eraser
                .erase(subject)
                .map_err(|e| VaultError::ConsentNotEnded(Box::new(e)))?;
        }
        // A request queued under a hold is done now.
        self.keys.erasures().dequeue_erasure(subject)?;
        // What became unreadable: the registered fields of categories not kept, and
        // nothing if no key was destroyed (the subject had none, or was erased before).
        let erased = report.keys_destroyed > 0;
        let is_kept = |category: &str| kept.iter().any(|k| k.exception.category == category);
        let data = self
            .records
            .iter()
            .filter(|_| erased)
            .flat_map(|(record, fields)| {
                fields
                    .iter()
                    .filter(|f| !is_kept(f.category.name))
                    .map(move |f| ErasedField {
                        record: (*record).to_owned(),
                        field: f.name.to_owned(),
                        category: f.category.name.to_owned(),
                        sensitivity: f.category.sensitivity,
                        retention: f.retention,
                    })
            })
            .collect();
        Ok(ErasureReceipt {
            subject: reference,
            erased_at: self.clock.now(),
            subject_keys_destroyed: report.keys_destroyed,
            escrowed_keys_destroyed: report.escrows_destroyed,
            data,
            kept,
            journal: report.journal,
        })
    }

    /// The store's half of a shred: keys, escrows, pseudonym secret, tombstone and
    /// holds in one transaction that re-checks the holds. Returns what was destroyed
    /// and whether the subject has a tombstone (not an id that never had anything).
    pub(super) fn store_shred(
        &self,
        subject: &SubjectId,
        reference: &SubjectRef,
    ) -> Result<ShredCounts, VaultError> {
        // `None`: a hold was placed since `refuse_if_held` read the holds. Report it,
        // or, if it was released meanwhile, try again.
        for _ in 0..3 {
            let key = self.keys.retention_key()?;
            match self
                .keys
                .retention()
                .shred(subject, reference, self.clock.now(), key)?
            {
                Some(counts) => return Ok(counts),
                None => self.refuse_if_held(subject)?,
            }
        }
        Err(StoreError::Corrupt {
            what: "the store keeps refusing a shred for a hold it does not list",
        }
        .into())
    }

    /// Retries a purge of the store's journal left pending by a deletion; errors count
    /// as pending (the deletion itself is committed).
    pub(super) fn purge_journal(&self) -> JournalPurge {
        self.keys
            .retention()
            .purge_journal()
            .unwrap_or(JournalPurge::Pending)
    }

    /// Completes a purge of deleted key material from the store's journal that a
    /// shred, erasure, sweep or re-wrap left [`JournalPurge::Pending`] (a long-running
    /// reader in another connection kept the SQLite write-ahead log from being
    /// emptied). Any later write through the store also retries it. Schedule it after
    /// erasures if your readers hold long transactions.
    pub fn checkpoint(&self) -> Result<JournalPurge, VaultError> {
        Ok(self.keys.retention().purge_journal()?)
    }

    /// [`Operator::shred`](super::Operator::shred), by `by`.
    pub(super) fn op_shred(
        &self,
        by: &Actor,
        subject: &SubjectId,
    ) -> Result<ShredReport, VaultError> {
        self.audited(EventKind::Shred, subject, by, || {
            self.shred_unaudited(subject)
        })
    }

    fn shred_unaudited(&self, subject: &SubjectId) -> Result<ShredReport, VaultError> {
        self.refuse_if_held(subject)?;
        let reference = self.subject_ref(subject)?;
        // Evict now; mark shredded here only once the store committed, so a shred that
        // fails leaves nothing claiming otherwise. A key loaded meanwhile is evicted
        // again by `cache.shred` below, and one inserted after it is refused.
        self.keys.evict(subject);
        let committed = self.store_shred(subject, &reference);
        let counts = match committed {
            Ok(counts) => counts,
            Err(e) => {
                self.keys.evict(subject);
                return Err(e);
            }
        };
        let (keys_destroyed, escrows_destroyed) = (counts.keys, counts.escrows);
        // An id that never had key material gets no tombstone, here either.
        if counts.tombstone {
            self.keys.forget_shredded(subject);
        } else {
            self.keys.evict(subject);
        }
        self.forget_pseudonym(subject);
        Ok(ShredReport {
            keys_destroyed,
            escrows_destroyed,
            journal: self.purge_journal(),
        })
    }

    /// The pseudonymous reference of `subject` used in erasure receipts: the same for
    /// the same subject in every vault sharing this key store and master key.
    pub fn subject_ref(&self, subject: &SubjectId) -> Result<SubjectRef, VaultError> {
        self.keys.subject_ref(subject)
    }
}
