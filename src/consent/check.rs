//! The ledger's read path: whether a subject's consent to a purpose is live now, and
//! the [`Access`] it grants.

use chrono::{DateTime, Utc};

use super::{ConsentError, ConsentLedger, PurposeScope};
use crate::access::{Access, Actor};
use crate::basis::Consent;
use crate::purpose::Purpose;
use crate::subject::SubjectId;

impl ConsentLedger {
    /// Checks that `subject`'s consent to `P` is live now, by the ledger's clock
    /// ([`with_clock`](Self::with_clock); share the vault's with
    /// [`Vault::clock`](crate::Vault::clock)): given (dated at or before now),
    /// confirmed if by double opt-in, not withdrawn, not expired, given to a
    /// declaration of `P` that covers its current one ([`PurposeScope`]), to a notice
    /// version still accepted for its notice, and the subject not erased. Events count
    /// in order of their dates, not of their arrival. Fails closed with
    /// [`StoreError::Tampered`](crate::store::StoreError::Tampered) when the evidence does not authenticate.
    ///
    /// The time is never a handler's argument: a rule (expiry, confirmation, a consent
    /// dated ahead) is decided on the clock the ledger was built with. That clock is
    /// chosen by whoever builds the ledger: code holding the consent store and the
    /// [`EvidenceKey`](super::EvidenceKey) can build a ledger on a clock of its own and
    /// get a yes here. The vault does not take that answer on trust: an
    /// [`Access`] this ledger grants carries its check time, and
    /// [`Vault::open`](crate::Vault::open) refuses it unless that time lies within the
    /// last [`CONSENT_ACCESS_VALIDITY_SECONDS`](crate::CONSENT_ACCESS_VALIDITY_SECONDS)
    /// of the vault's own clock. Keep the `EvidenceKey` where the master key is kept.
    pub fn check<P: Purpose<Basis = Consent>>(
        &self,
        subject: &SubjectId,
    ) -> Result<(), ConsentError> {
        self.check_named(&P::INFO, subject, self.clock.now())
    }

    pub(super) fn check_named(
        &self,
        info: &crate::purpose::PurposeInfo,
        subject: &SubjectId,
        now: DateTime<Utc>,
    ) -> Result<(), ConsentError> {
        let (purpose, declared_min) = (info.name, info.min_notice_version);
        self.intact()?;
        let Some(status) = self.store.status(subject, purpose, &self.key)? else {
            // An erasure removes the subject's events: say so, rather than "never".
            if self.is_erased(subject)? {
                return Err(ConsentError::Erased { purpose });
            }
            return Err(ConsentError::NeverGiven { purpose });
        };
        self.saw(purpose, subject, status.last_position)?;
        if let Some(at) = status.withdrawn_at {
            return Err(ConsentError::Withdrawn { purpose, at });
        }
        if status.given_at > now {
            return Err(ConsentError::NotYetInForce {
                purpose,
                from: status.given_at,
            });
        }
        if status.needs_confirmation && status.confirmed_at.is_none_or(|c| c > now) {
            return Err(ConsentError::Unconfirmed { purpose });
        }
        if let Some(at) = status.expires_at.filter(|e| *e <= now) {
            return Err(ConsentError::Expired { purpose, at });
        }
        // Consent is specific (Art. 4(11)): a release that widened the purpose does not
        // inherit consents given to the narrower declaration.
        let uncovered = match &status.scope {
            Some(scope) => scope.uncovered(info),
            None => PurposeScope::uncovered_by_unscoped(info),
        };
        if let Some(uses) = uncovered {
            return Err(ConsentError::PurposeChanged { purpose, uses });
        }
        let required = declared_min.max(self.store.notice_floor(
            purpose,
            &status.notice_id,
            &self.key,
        )?);
        if status.notice_version < required {
            return Err(ConsentError::StaleNotice {
                purpose,
                given: status.notice_version,
                required,
            });
        }
        Ok(())
    }

    /// The only way to get an [`Access<P>`] for a consent purpose: checks consent as
    /// [`check`](Self::check) does, then grants access to `actor`.
    pub fn access<P: Purpose<Basis = Consent>>(
        &self,
        subject: &SubjectId,
        actor: Actor,
    ) -> Result<Access<P>, ConsentError> {
        let now = self.clock.now();
        self.check_named(&P::INFO, subject, now)?;
        Ok(Access::consented(subject.clone(), actor, now))
    }
}
