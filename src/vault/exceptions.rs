//! Erasure with exceptions (GDPR Art. 17(3)(b)): `erase_with` keeps the category keys
//! a law requires, for one purpose each, until a date; `sweep` destroys them after it.
//! See `docs/retention.md`, "Erasure exceptions".

use chrono::{DateTime, Utc};

use super::{Vault, VaultError};
use crate::access::Actor;
use crate::audit::EventKind;
use crate::retention::{
    ErasureBlocked, ErasureException, ErasureOutcome, ErasureReceipt, ExceptionRecord, KeptData,
    QueuedErasure, check_hold_reason,
};
use crate::store::StoreError;
use crate::subject::SubjectId;

impl Vault {
    /// [`Operator::erase_with`](super::Operator::erase_with), by `by`.
    pub(super) fn op_erase_with(
        &self,
        by: &Actor,
        subject: &SubjectId,
        exceptions: &[ErasureException],
    ) -> Result<ErasureReceipt, VaultError> {
        self.audited(EventKind::Erasure, subject, by, || {
            self.erase_unaudited(subject, exceptions)
        })
    }

    /// Checks the exceptions: a law reference, an end in the future (in whole seconds),
    /// each category once.
    pub(super) fn check_exceptions(
        &self,
        exceptions: &[ErasureException],
    ) -> Result<Vec<ExceptionRecord>, VaultError> {
        let now = self.clock.now();
        let mut checked: Vec<ExceptionRecord> = Vec::with_capacity(exceptions.len());
        for e in exceptions.iter().map(ErasureException::record) {
            if check_hold_reason(&e.law).is_err() {
                return Err(VaultError::BadErasureException {
                    reason: "the law reference is empty or longer than 1000 bytes",
                });
            }
            let until = whole_seconds(e.until);
            if until <= now {
                return Err(VaultError::BadErasureException {
                    reason: "the exception's end is not in the future",
                });
            }
            if checked.iter().any(|c| c.category == e.category) {
                return Err(VaultError::BadErasureException {
                    reason: "a category is listed in two exceptions",
                });
            }
            checked.push(ExceptionRecord { until, ..e.clone() });
        }
        Ok(checked)
    }

    /// Stores, for each checked exception, the subject's category key of every key
    /// version they have. Done before the shred: if the shred is then refused (a hold
    /// placed meanwhile), the kept keys are only used once the subject is erased, and
    /// a sweep destroys them after their end.
    pub(super) fn keep_excepted(
        &self,
        subject: &SubjectId,
        checked: Vec<ExceptionRecord>,
    ) -> Result<Vec<KeptData>, VaultError> {
        let mut kept: Vec<KeptData> = checked
            .into_iter()
            .map(|exception| KeptData {
                exception,
                key_versions: 0,
            })
            .collect();
        if kept.is_empty() {
            return Ok(kept);
        }
        self.keys.keep_category_keys(subject, &mut kept)?;
        Ok(kept)
    }

    /// [`Operator::request_erasure`](super::Operator::request_erasure), by `by`.
    pub(super) fn op_request_erasure(
        &self,
        by: &Actor,
        subject: &SubjectId,
        exceptions: &[ErasureException],
    ) -> Result<ErasureOutcome, VaultError> {
        let checked = self.check_exceptions(exceptions)?;
        match self.op_erase_with(by, subject, exceptions) {
            Ok(receipt) => Ok(ErasureOutcome::Erased(receipt)),
            Err(VaultError::UnderLegalHold {
                hold,
                reason,
                until,
            }) => {
                let requested_at = self.clock.now();
                let mut queued = QueuedErasure {
                    subject: subject.clone(),
                    requested_at,
                    exceptions: checked,
                    mac: Vec::new(),
                };
                queued.mac = self.queue_mac(&queued)?.as_ref().to_vec();
                self.keys.erasures().queue_erasure(&queued)?;
                Ok(ErasureOutcome::Pending {
                    subject: self.keys.subject_ref(subject)?,
                    requested_at,
                    blocked_by: ErasureBlocked {
                        hold,
                        reason,
                        until,
                    },
                })
            }
            Err(e) => Err(e),
        }
    }

    /// Carries out every queued erasure whose subject no hold binds any more; returns
    /// their receipts and how many still wait.
    pub(super) fn complete_queued_erasures(
        &self,
        by: &Actor,
    ) -> Result<(Vec<ErasureReceipt>, usize), VaultError> {
        let now = self.clock.now();
        let mut done = Vec::new();
        let mut waiting = 0;
        for queued in self.keys.erasures().queued_erasures()? {
            // Fails closed: a forged or edited entry could keep data for any purpose.
            if ring::hmac::verify(&self.keys.queue_key()?, &queued.mac_input(), &queued.mac)
                .is_err()
            {
                return Err(StoreError::RetentionTampered {
                    what: "a queued erasure does not verify",
                }
                .into());
            }
            // The law no longer requires what an ended exception kept.
            let exceptions: Vec<ErasureException> = queued
                .exceptions
                .into_iter()
                .filter(|e| e.until > now)
                .map(ErasureException::from_record)
                .collect();
            match self.op_erase_with(by, &queued.subject, &exceptions) {
                Ok(receipt) => done.push(receipt),
                Err(VaultError::UnderLegalHold { .. }) => waiting += 1,
                Err(e) => return Err(e),
            }
        }
        Ok((done, waiting))
    }

    fn queue_mac(&self, queued: &QueuedErasure) -> Result<ring::hmac::Tag, VaultError> {
        Ok(ring::hmac::sign(
            &self.keys.queue_key()?,
            &queued.mac_input(),
        ))
    }
}

fn whole_seconds(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp(t.timestamp(), 0).unwrap_or(t)
}
