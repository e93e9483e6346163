//! Legal holds on the vault: placing, releasing and listing them. See
//! `docs/retention.md`, "Legal holds".

use chrono::{DateTime, Utc};

use super::{Vault, VaultError};
use crate::access::Actor;
use crate::audit::{EventKind, Outcome};
use crate::purpose::Purpose;
use crate::retention::{
    HoldBasis, HoldError, HoldId, HoldScope, HoldSubject, LegalHold, check_hold_reason,
};
use crate::subject::SubjectId;

impl Vault {
    /// [`Operator::hold`](super::Operator::hold), by `by`.
    pub(super) fn op_hold<P: Purpose>(
        &self,
        by: &Actor,
        subject: &SubjectId,
        reason: &str,
        until: Option<DateTime<Utc>>,
    ) -> Result<LegalHold, VaultError>
    where
        P::Basis: HoldBasis<P>,
    {
        self.op_hold_scoped(by, subject, HoldScope::purpose::<P>(), reason, until)
    }

    /// [`Operator::hold_scoped`](super::Operator::hold_scoped), by `by`.
    pub(super) fn op_hold_scoped(
        &self,
        by: &Actor,
        subject: &SubjectId,
        scope: HoldScope,
        reason: &str,
        until: Option<DateTime<Utc>>,
    ) -> Result<LegalHold, VaultError> {
        check_hold_reason(reason)?;
        scope.check()?;
        let now = self.clock.now();
        if until.is_some_and(|u| u <= now) {
            return Err(HoldError::UntilInPast.into());
        }
        let id = self.keys.random_id()?;
        let hold = LegalHold {
            id: HoldId::from_random(id),
            subject: HoldSubject::Subject(subject.clone()),
            reason: reason.to_owned(),
            scope,
            placed_at: now,
            until,
            released_at: None,
        };
        // Refused in the store's transaction if the subject was shredded.
        if !self.keys.holds().place_hold(
            &hold,
            &self.subject_ref(subject)?,
            self.keys.retention_key()?,
        )? {
            return Err(VaultError::Shredded);
        }
        self.audit_hold(EventKind::HoldPlaced, subject, &hold.scope, by)?;
        Ok(hold)
    }

    /// [`Operator::release`](super::Operator::release), by `by`.
    pub(super) fn op_release(&self, by: &Actor, id: &HoldId) -> Result<LegalHold, VaultError> {
        let now = self.clock.now();
        let key = self.keys.retention_key()?;
        let Some(before) = self
            .keys
            .verified_holds(None)?
            .into_iter()
            .find(|h| h.id == *id)
        else {
            return Err(HoldError::NotFound(id.clone()).into());
        };
        if before.released_at.is_some() {
            return Err(HoldError::AlreadyReleased(id.clone()).into());
        }
        // The store destroys the escrows in the same transaction if this was the
        // subject's last binding hold.
        let released = self
            .keys
            .holds()
            .release_hold(id, now, key)?
            .ok_or_else(|| HoldError::NotFound(id.clone()))?;
        if let Some(subject) = released.subject_id() {
            if self.active_hold(subject)?.is_none() {
                self.keys.evict(subject);
            }
            self.audit_hold(EventKind::HoldReleased, subject, &released.scope, by)?;
        } else {
            self.audit_event(EventKind::HoldReleased, None, Some(by), Outcome::Allowed)?;
        }
        Ok(released)
    }

    /// Every legal hold, active or not, oldest first: the record of what was held, why
    /// and until when.
    /// [`VaultError::Store`] with [`StoreError::RetentionTampered`](crate::store::StoreError::RetentionTampered) if a hold record
    /// was forged, edited or deleted in the store.
    pub fn holds(&self) -> Result<Vec<LegalHold>, VaultError> {
        self.keys.verified_holds(None)
    }

    /// The holds of one subject, oldest first.
    pub fn holds_of(&self, subject: &SubjectId) -> Result<Vec<LegalHold>, VaultError> {
        self.keys.verified_holds(Some(subject))
    }
}
