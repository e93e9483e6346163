//! Key rotation on the vault: a subject's key versions (rotate, retire) and the master
//! key (re-wrap). The compromise procedure that uses them is in `docs/crypto.md`.

use super::{RewrapReport, Vault, VaultError};
use crate::access::Actor;
use crate::audit::{EventKind, Outcome};
use crate::subject::SubjectId;

impl Vault {
    /// [`Operator::rotate_subject_key`](super::Operator::rotate_subject_key), by `by`.
    pub(super) fn op_rotate_subject_key(
        &self,
        by: &Actor,
        subject: &SubjectId,
    ) -> Result<u32, VaultError> {
        let version = self.keys.rotate(subject)?;
        self.audit_event(
            EventKind::SubjectKeyRotation,
            Some(subject),
            Some(by),
            Outcome::Allowed,
        )?;
        Ok(version)
    }

    /// [`Operator::retire_subject_key_versions`](super::Operator::retire_subject_key_versions), by `by`.
    pub(super) fn op_retire_subject_key_versions(
        &self,
        by: &Actor,
        subject: &SubjectId,
        below: u32,
    ) -> Result<usize, VaultError> {
        self.refuse_if_held(subject)?;
        // The store re-checks the holds in the transaction that deletes: `None` is a
        // hold placed since `refuse_if_held` read them (by another vault or process).
        let Some(destroyed) = self
            .keys
            .retire_versions(subject, below, self.clock.now())?
        else {
            self.refuse_if_held(subject)?;
            return Err(crate::store::StoreError::Corrupt {
                what: "the store refused to retire key versions for a hold it does not list",
            }
            .into());
        };
        self.audit_event(
            EventKind::SubjectKeyRotation,
            Some(subject),
            Some(by),
            Outcome::Allowed,
        )?;
        Ok(destroyed)
    }

    /// [`Operator::rewrap_keys`](super::Operator::rewrap_keys), by `by`.
    pub(super) fn op_rewrap_keys(&self, by: &Actor) -> Result<RewrapReport, VaultError> {
        let rewrapped = self.keys.rewrap_all()?;
        // The old wrappings linger in the store's journal until purged.
        let journal = self.purge_journal();
        self.audit_event(
            EventKind::MasterKeyRotation,
            None,
            Some(by),
            Outcome::Allowed,
        )?;
        Ok(RewrapReport { rewrapped, journal })
    }
}
