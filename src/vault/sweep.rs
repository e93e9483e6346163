//! The retention sweep: destroys the keys of epochs that have ended, escrowing the
//! shares of subjects under hold first. See `docs/retention.md`.

use std::collections::BTreeSet;

use super::{SweepReport, Vault, VaultError};
use crate::audit::{EventKind, Outcome};
use crate::format::{self, EPOCH_SECONDS};
use crate::keys::KeyName;
use crate::retention::LegalHold;
use crate::store::StoreError;
use crate::subject::SubjectId;

/// How many times a sweep reads the holds again when a hold is placed while it runs.
const SWEEP_ATTEMPTS: usize = 16;

impl Vault {
    /// Destroys the keys of every retention epoch that ended before now (by the vault's
    /// clock): the sealed contents of every value that expired on those days, in every
    /// copy, become undecryptable (a key-store backup from before the sweep still holds
    /// the keys; value headers stay readable). Subjects under an active legal hold get their share of each such
    /// epoch escrowed first, so their data stays readable while held; escrows of
    /// subjects whose holds have all ended are destroyed.
    ///
    /// Schedule it (daily, say). Its cost grows with the epochs it destroys and the
    /// subjects under hold, not with the number of subjects or records.
    pub fn sweep(&self) -> Result<SweepReport, VaultError> {
        let now = self.clock.now();
        let Ok(today) = u32::try_from(now.timestamp().div_euclid(EPOCH_SECONDS)) else {
            return Err(VaultError::RetentionOutOfRange);
        };
        let mut report = SweepReport::default();
        // The store re-checks the holds in the transaction that destroys the epochs:
        // a hold placed after they were read here makes it refuse, and we read again.
        let mut attempt = 0;
        let (epochs, swept) = loop {
            attempt += 1;
            // Fails closed: a hold record missing, forged or edited stops the sweep
            // before anything is escrowed or destroyed.
            let holds = self.store.holds(None, self.retention_key()?)?;
            let held: BTreeSet<&SubjectId> = holds
                .iter()
                .filter(|h| h.binds(now))
                .filter_map(LegalHold::subject_id)
                .collect();
            let epochs = self.store.epochs_before(today)?;
            report.escrowed = self.escrow(&epochs, &held)?;
            // Forget our unwrapped copies and stop cached keys before the store deletes.
            if let Ok(mut kept) = self.epoch_keys.lock() {
                kept.retain(|(e, _, _)| *e >= today);
            }
            self.cache.sweep(today);
            match self.store.sweep_epochs(today, now, self.retention_key()?) {
                Ok(swept) => break (epochs, swept),
                Err(StoreError::HeldWithoutEscrow) if attempt < SWEEP_ATTEMPTS => continue,
                Err(e) => return Err(e.into()),
            }
        };
        report.epochs_destroyed = epochs;
        // Escrows of holds that were released or lapsed went in the same transaction.
        for subject in &swept.escrows_released {
            self.cache.evict(subject);
        }
        report.escrows_released = swept.escrows_released.len();
        // Erasure exceptions that ended: their erasures finish here.
        report.exceptions_ended = self.store.end_exceptions(now)?;
        // Erasures requested under holds that have ended.
        (report.erasures_completed, report.erasures_waiting) = self.complete_queued_erasures()?;
        report.journal = self.purge_journal();
        self.audit_event(EventKind::Sweep, None, None, Outcome::Allowed)?;
        Ok(report)
    }

    /// Escrows each held subject's share of each epoch; returns how many were stored.
    fn escrow(&self, epochs: &[u32], held: &BTreeSet<&SubjectId>) -> Result<usize, VaultError> {
        let mut escrowed = 0;
        if held.is_empty() {
            return Ok(0);
        }
        for &epoch in epochs {
            let Some(key) = self.epoch_key(epoch, false)? else {
                continue;
            };
            for subject in held {
                let name = KeyName::Escrow {
                    subject: (*subject).clone(),
                    epoch,
                };
                let share = format::epoch_share(&key[..], subject.as_str(), epoch);
                let wrapped = self.wrap(&share[..], &name.aad())?;
                let reference = self.subject_ref(subject)?;
                if self
                    .store
                    .insert_wrapped(&name, &wrapped, Some(&reference))?
                    .is_some()
                {
                    escrowed += 1;
                }
            }
        }
        Ok(escrowed)
    }
}
