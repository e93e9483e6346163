//! Legal holds on the vault: placing, releasing and listing them. See
//! `docs/retention.md`, "Legal holds".

use chrono::{DateTime, Utc};

use super::{Vault, VaultError};
use crate::audit::{EventKind, Outcome};
use crate::purpose::Purpose;
use crate::retention::{
    HoldBasis, HoldError, HoldId, HoldScope, HoldSubject, LegalHold, check_hold_reason,
};
use crate::subject::SubjectId;

impl Vault {
    /// Places a legal hold on `subject` for purpose `P` and every category `P`
    /// declares: see [`hold_scoped`](Self::hold_scoped). `P` must not rest on consent.
    ///
    /// ```
    /// use custodian::categories::Email;
    /// use custodian::keys::LocalMasterKey;
    /// use custodian::{SubjectId, Vault};
    /// custodian::purpose! {
    ///     pub struct LegalClaims {
    ///         name: "legal-claims",
    ///         basis: LegitimateInterests,
    ///         description: "Establish, exercise or defend legal claims.",
    ///         uses: [Email],
    ///     }
    /// }
    /// let vault = Vault::in_memory(LocalMasterKey::generate("kek-1")?);
    /// let alice = SubjectId::new("cus_1")?;
    /// let hold = vault.hold::<LegalClaims>(&alice, "case 2027-14: payment dispute", None)?;
    /// assert_eq!(hold.scope.purposes(), ["legal-claims"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn hold<P: Purpose>(
        &self,
        subject: &SubjectId,
        reason: &str,
        until: Option<DateTime<Utc>>,
    ) -> Result<LegalHold, VaultError>
    where
        P::Basis: HoldBasis<P>,
    {
        self.hold_scoped(subject, HoldScope::purpose::<P>(), reason, until)
    }

    /// Places a legal hold on `subject` that keeps their data of the scope's categories
    /// for the scope's purposes (GDPR Art. 17(3)(e), 18(2)), until it is released or
    /// `until` passes:
    ///
    /// - past its retention, such data still opens, but only for a purpose of the
    ///   scope; every other purpose gets [`VaultError::RestrictedByHold`], and data of
    ///   other categories stays [`VaultError::Expired`];
    /// - data still within its retention is not affected;
    /// - sweeps escrow the subject's share of every epoch they destroy (escrows are per
    ///   subject and day, not per category: the scope is enforced when opening);
    /// - the subject's erasure is refused.
    ///
    /// `reason` names the matter and the obligation; it must not contain personal data.
    /// The hold is recorded in the audit trail with its scope (purpose and category
    /// names).
    pub fn hold_scoped(
        &self,
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
        if !self.keys.store.place_hold(
            &hold,
            &self.subject_ref(subject)?,
            self.keys.retention_key()?,
        )? {
            return Err(VaultError::Shredded);
        }
        self.audit_hold(EventKind::HoldPlaced, subject, &hold.scope)?;
        Ok(hold)
    }

    /// Releases a hold. If it was the subject's last active one, the epoch shares
    /// escrowed for them are destroyed: data that expired meanwhile becomes unreadable.
    pub fn release(&self, id: &HoldId) -> Result<LegalHold, VaultError> {
        let now = self.clock.now();
        let key = self.keys.retention_key()?;
        let Some(before) = self
            .keys
            .store
            .holds(None, key)?
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
            .store
            .release_hold(id, now, key)?
            .ok_or_else(|| HoldError::NotFound(id.clone()))?;
        if let Some(subject) = released.subject_id() {
            if self.active_hold(subject)?.is_none() {
                self.keys.evict(subject);
            }
            self.audit_hold(EventKind::HoldReleased, subject, &released.scope)?;
        } else {
            self.audit_event(EventKind::HoldReleased, None, None, Outcome::Allowed)?;
        }
        Ok(released)
    }

    /// Every legal hold, active or not, oldest first: the record of what was held, why
    /// and until when.
    /// [`VaultError::Store`] with [`StoreError::RetentionTampered`](crate::store::StoreError::RetentionTampered) if a hold record
    /// was forged, edited or deleted in the store.
    pub fn holds(&self) -> Result<Vec<LegalHold>, VaultError> {
        Ok(self.keys.store.holds(None, self.keys.retention_key()?)?)
    }

    /// The holds of one subject, oldest first.
    pub fn holds_of(&self, subject: &SubjectId) -> Result<Vec<LegalHold>, VaultError> {
        Ok(self
            .keys
            .store
            .holds(Some(subject), self.keys.retention_key()?)?)
    }
}
