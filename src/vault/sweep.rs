//! The retention sweep: destroys the keys of epochs that have ended, escrowing the
//! shares of subjects under hold first, and the anchor keys whose event + period has
//! passed (of subjects no hold binds). See `docs/retention.md`.

use std::collections::BTreeSet;

use super::{SweepReport, Vault, VaultError};
use crate::access::Actor;
use crate::audit::{EventKind, Outcome};
use crate::format::EPOCH_SECONDS;
use crate::retention::LegalHold;
use crate::store::StoreError;
use crate::subject::SubjectId;

/// How many times a sweep reads the holds again when a hold is placed while it runs.
const SWEEP_ATTEMPTS: usize = 16;

impl Vault {
    /// [`Operator::sweep`](super::Operator::sweep), by `by`.
    pub(super) fn op_sweep(&self, by: &Actor) -> Result<SweepReport, VaultError> {
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
            let holds = self.keys.verified_holds(None)?;
            let held: BTreeSet<&SubjectId> = holds
                .iter()
                .filter(|h| h.binds(now))
                .filter_map(LegalHold::subject_id)
                .collect();
            let epochs = self.keys.retention().epochs_before(today)?;
            report.escrowed = self.keys.escrow(&epochs, &held)?;
            // Forget our unwrapped copies and stop cached keys before the store deletes.
            self.keys.forget_epochs_before(today);
            match self
                .keys
                .retention()
                .sweep_epochs(today, now, self.keys.retention_key()?)
            {
                Ok(swept) => break (epochs, swept),
                Err(StoreError::HeldWithoutEscrow) if attempt < SWEEP_ATTEMPTS => continue,
                Err(e) => return Err(e.into()),
            }
        };
        report.epochs_destroyed = epochs;
        // Escrows of holds that were released or lapsed went in the same transaction.
        for subject in &swept.escrows_released {
            self.keys.evict(subject);
        }
        report.escrows_released = swept.escrows_released.len();
        // Anchor keys whose event + period has passed, of subjects no hold binds: in
        // the store's transaction that re-reads the events and holds.
        let anchored = self
            .keys
            .retention()
            .sweep_anchor_keys(now, self.keys.retention_key()?)?;
        for subject in &anchored {
            self.keys.evict(subject);
        }
        report.anchor_subjects_swept = anchored.len();
        // Erasure exceptions that ended: their erasures finish here.
        report.exceptions_ended = self.keys.erasures().end_exceptions(now)?;
        // Erasures requested under holds that have ended.
        (report.erasures_completed, report.erasures_waiting) = self.complete_queued_erasures(by)?;
        report.journal = self.purge_journal();
        self.audit_event(EventKind::Sweep, None, Some(by), Outcome::Allowed)?;
        Ok(report)
    }
}
