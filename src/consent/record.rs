//! The ledger's write path for one subject's consent: give (now or late), confirm a
//! double opt-in, withdraw.

use chrono::{DateTime, Utc};

use super::{
    Channel, ConsentConfirmed, ConsentError, ConsentEvent, ConsentGiven, ConsentLedger,
    ConsentWithdrawn, Evidence, MAX_LATE_EVIDENCE, PurposeScope, check_reference,
};
use crate::access::Actor;
use crate::audit::EventKind;
use crate::basis::Consent;
use crate::purpose::Purpose;
use crate::store::StoreError;
use crate::subject::SubjectId;

/// What a withdrawal ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Withdrawal {
    /// A consent that had not been withdrawn before is now withdrawn.
    Ended,
    /// There was no consent left to withdraw; the request is recorded anyway.
    NothingToEnd,
}

impl ConsentLedger {
    /// Records that `subject` consents to purpose `P` now, by the ledger's clock, with
    /// its evidence.
    ///
    /// Refused when the notice is not registered for `P` with this text
    /// ([`register_notice`](Self::register_notice)), when its version is older than `P`
    /// requires for that notice (the subject was shown an outdated text), when the
    /// consent would expire before it was given, when `P`'s condition is explicit
    /// consent (Art. 9(2)(a)) and the evidence is not marked
    /// [`explicit`](Evidence::explicit), when the subject was erased, and while the
    /// evidence chain does not verify.
    pub fn give<P: Purpose<Basis = Consent>>(
        &self,
        subject: &SubjectId,
        evidence: Evidence,
    ) -> Result<(), ConsentError> {
        let now = self.clock.now();
        self.record_given::<P>(subject, evidence, now, now)
    }

    /// Records consent that was given at `at`, before it reached the ledger (a paper
    /// form, a recorded call transcribed later): both `at` and the ledger's time of
    /// recording are kept. `at` takes its place by date, so it does not override a
    /// withdrawal dated after it. Refused when `at` is more than [`MAX_LATE_EVIDENCE`]
    /// before the ledger's clock or more than [`MAX_CLOCK_SKEW`](super::MAX_CLOCK_SKEW) after it, and as
    /// [`give`](Self::give) refuses.
    pub fn give_at<P: Purpose<Basis = Consent>>(
        &self,
        subject: &SubjectId,
        evidence: Evidence,
        at: DateTime<Utc>,
    ) -> Result<(), ConsentError> {
        let now = self.clock.now();
        if now
            .checked_sub_signed(MAX_LATE_EVIDENCE)
            .is_some_and(|oldest| at < oldest)
        {
            return Err(ConsentError::TooLate {
                purpose: P::NAME,
                at,
                max_days: MAX_LATE_EVIDENCE.num_days(),
            });
        }
        self.record_given::<P>(subject, evidence, at, now)
    }

    fn record_given<P: Purpose<Basis = Consent>>(
        &self,
        subject: &SubjectId,
        evidence: Evidence,
        at: DateTime<Utc>,
        recorded_at: DateTime<Utc>,
    ) -> Result<(), ConsentError> {
        self.intact()?;
        self.not_future(P::NAME, at)?;
        self.registered::<P>(&evidence.notice)?;
        let required = self.required_version::<P>(&evidence.notice.id)?;
        if evidence.notice.version < required {
            return Err(ConsentError::StaleNotice {
                purpose: P::NAME,
                given: evidence.notice.version,
                required,
            });
        }
        if evidence.expires_at.is_some_and(|e| e <= at) {
            return Err(ConsentError::InvalidEvidence {
                purpose: P::NAME,
                reason: "it expires before it was given",
            });
        }
        if let Some(r) = &evidence.form_ref {
            check_reference(r, "form or recording reference")?;
        }
        if matches!(
            P::INFO.condition,
            Some(crate::purpose::ConditionInfo {
                condition: crate::condition::Condition::ExplicitConsent,
                ..
            })
        ) && !evidence.explicit
        {
            return Err(ConsentError::InvalidEvidence {
                purpose: P::NAME,
                reason: "the purpose rests on explicit consent (Art. 9(2)(a)): ask with an express statement, then mark the evidence explicit",
            });
        }
        let recorded_by = evidence.recorded_by.clone();
        let event = ConsentEvent::Given(ConsentGiven {
            subject: subject.clone(),
            purpose: P::NAME.to_owned(),
            contact: evidence.contact().map(|c| self.key.contact_ref(c)),
            parental: evidence.guardian().map(|g| self.key.guardian_ref(g)),
            notice: evidence.notice,
            method: evidence.method,
            channel: evidence.channel,
            at,
            expires_at: evidence.expires_at,
            recorded_at,
            recorded_by: evidence.recorded_by,
            explicit: evidence.explicit,
            form_ref: evidence.form_ref,
            scope: Some(Box::new(PurposeScope::of(&P::INFO))),
        });
        self.append::<P>(&event)?;
        self.observe(
            EventKind::ConsentGiven,
            subject,
            P::NAME,
            &recorded_by,
            recorded_at,
        )
    }

    fn append<P: Purpose>(&self, event: &ConsentEvent) -> Result<u64, ConsentError> {
        match self.store.append(event, &self.key) {
            Err(StoreError::SubjectErased) => Err(ConsentError::Erased { purpose: P::NAME }),
            Ok(seq) => {
                if let Some(subject) = event.subject() {
                    self.saw(P::NAME, subject, seq)?;
                }
                Ok(seq)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Records that `subject`'s consent to `P` is withdrawn, now by the ledger's clock:
    /// one call, as easy as giving (GDPR Art. 7(3)); `by` is who recorded the request.
    /// The request is recorded even when there was nothing to end, and even while the
    /// evidence chain does not verify (the answer is then [`Withdrawal::NothingToEnd`],
    /// since the current state cannot be trusted). It ends every consent recorded
    /// before it, even one dated after it (recorded on a machine whose clock is ahead),
    /// and stays in force against any consent dated before it that arrives later. Refused for an erased subject
    /// (whose consents ended with the erasure).
    ///
    /// If `P` was the only basis for some of the subject's data, that data is now due
    /// for erasure (Art. 17(1)(b)): ask [`due_for_erasure`](Self::due_for_erasure).
    pub fn withdraw<P: Purpose<Basis = Consent>>(
        &self,
        subject: &SubjectId,
        by: Actor,
        channel: Channel,
    ) -> Result<Withdrawal, ConsentError> {
        let at = self.clock.now();
        let before = match self.intact() {
            Ok(()) => self
                .store
                .status(subject, P::NAME, &self.key)
                .ok()
                .flatten(),
            Err(_) => None,
        };
        self.append::<P>(&ConsentEvent::Withdrawn(ConsentWithdrawn {
            subject: subject.clone(),
            purpose: P::NAME.to_owned(),
            by: by.clone(),
            channel,
            at,
        }))?;
        self.observe(EventKind::ConsentWithdrawn, subject, P::NAME, &by, at)?;
        Ok(match before {
            // It ends every consent recorded before it, even one dated after it (a fast
            // clock), as well as every one dated before it.
            Some(s) if s.withdrawn_at.is_none() => Withdrawal::Ended,
            _ => Withdrawal::NothingToEnd,
        })
    }

    /// Records that `subject` confirmed their double opt-in consent to `P` (clicked the
    /// link sent to the contact point), now by the ledger's clock. A consent given with
    /// [`ConsentMethod::DoubleOptIn`](super::ConsentMethod::DoubleOptIn) is in force only from its confirmation. Refused
    /// when no unconfirmed double opt-in consent is in force.
    pub fn confirm<P: Purpose<Basis = Consent>>(
        &self,
        subject: &SubjectId,
    ) -> Result<(), ConsentError> {
        self.intact()?;
        let at = self.clock.now();
        let status = self.store.status(subject, P::NAME, &self.key)?;
        if !status.is_some_and(|s| {
            s.needs_confirmation
                && s.confirmed_at.is_none()
                && s.withdrawn_at.is_none()
                && s.given_at <= at
        }) {
            if self.is_erased(subject)? {
                return Err(ConsentError::Erased { purpose: P::NAME });
            }
            return Err(ConsentError::NothingToConfirm { purpose: P::NAME });
        }
        self.append::<P>(&ConsentEvent::Confirmed(ConsentConfirmed {
            subject: subject.clone(),
            purpose: P::NAME.to_owned(),
            at,
        }))?;
        self.observe(
            EventKind::ConsentConfirmed,
            subject,
            P::NAME,
            &Actor::data_subject(),
            at,
        )
    }
}
