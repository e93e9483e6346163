//! The consent ledger: the only door to a purpose whose lawful basis is consent.
//!
//! Consent is evidence, not a boolean (GDPR Art. 7(1): the controller must be able to
//! *demonstrate* consent). The ledger records who consented to which purpose, to which
//! notice text, how, where and when, and later the withdrawal; it never deletes or
//! rewrites evidence. [`ConsentLedger::access`] turns live consent into an
//! [`Access<P>`], and is the only way to get one for a consent purpose.
//!
//! ```
//! use chrono::{Duration, Utc};
//! use custodian::consent::{Channel, ConsentError, ConsentLedger, ConsentMethod, Evidence, Notice};
//! use custodian::{Actor, SubjectId, categories::Email};
//!
//! custodian::purpose! {
//!     pub struct Newsletter { basis: Consent, description: "Our monthly newsletter.", uses: [Email] }
//! }
//!
//! let ledger = ConsentLedger::in_memory();
//! let alice = SubjectId::new("cus_1")?;
//! let now = Utc::now();
//! assert!(matches!(
//!     ledger.access::<Newsletter>(&alice, Actor::service("mailer"), now),
//!     Err(ConsentError::NeverGiven { .. })
//! ));
//!
//! let notice = Notice::new("newsletter", 1, "Send me the monthly newsletter.");
//! ledger.give::<Newsletter>(&alice, Evidence::new(notice, ConsentMethod::DoubleOptIn, Channel::Email), now)?;
//! let access = ledger.access::<Newsletter>(&alice, Actor::service("mailer"), now)?;
//!
//! ledger.withdraw::<Newsletter>(&alice, Actor::data_subject(), Channel::Email, now + Duration::days(1))?;
//! assert!(matches!(
//!     ledger.access::<Newsletter>(&alice, Actor::service("mailer"), now + Duration::days(2)),
//!     Err(ConsentError::Withdrawn { .. })
//! ));
//! # drop(access);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod evidence;
mod store;

pub use evidence::{
    Channel, ConsentEvent, ConsentGiven, ConsentMethod, ConsentWithdrawn, Evidence, Notice,
};
pub use store::{ConsentStatus, ConsentStore, MemoryConsentStore};

use chrono::{DateTime, Utc};

use crate::access::{Access, Actor};
use crate::audit::{AuditError, EventKind};
use crate::basis::Consent;
use crate::purpose::Purpose;
use crate::store::StoreError;
use crate::subject::SubjectId;

/// Why consent does not allow processing now, or why evidence was refused.
///
/// Messages name the purpose and the times, never a personal value.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConsentError {
    /// No consent was ever recorded for this subject and purpose.
    #[error(
        "no consent to purpose `{purpose}` was ever recorded for this data subject: ask for it, showing the current notice, before processing"
    )]
    NeverGiven {
        /// The purpose.
        purpose: &'static str,
    },
    /// The subject withdrew consent.
    #[error(
        "consent to purpose `{purpose}` was withdrawn at {at}: stop processing for it; ask again only if the data subject comes back to you"
    )]
    Withdrawn {
        /// The purpose.
        purpose: &'static str,
        /// When it was withdrawn.
        at: DateTime<Utc>,
    },
    /// The consent lapsed.
    #[error("consent to purpose `{purpose}` expired at {at}: ask the data subject to renew it")]
    Expired {
        /// The purpose.
        purpose: &'static str,
        /// When it expired.
        at: DateTime<Utc>,
    },
    /// The consent was given to a notice older than the purpose now requires.
    #[error(
        "consent to purpose `{purpose}` was given to notice version {given}, but version {required} or later is required since the notice changed: ask the data subject to consent to the current notice"
    )]
    StaleNotice {
        /// The purpose.
        purpose: &'static str,
        /// The version consented to.
        given: u32,
        /// The oldest version accepted now.
        required: u32,
    },
    /// The evidence passed to [`ConsentLedger::give`] cannot be valid.
    #[error("consent evidence for purpose `{purpose}` refused: {reason}")]
    InvalidEvidence {
        /// The purpose.
        purpose: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The store failed; nothing was decided.
    #[error("the consent store failed: {0}")]
    Store(#[from] StoreError),
    /// The consent event was stored, but its audit event could not be recorded:
    /// repair the audit sink; the ledger itself is up to date.
    #[error("the consent was recorded, but its audit event could not be: {0}")]
    Audit(#[from] AuditError),
}

/// Receives consent given and withdrawn, for the audit trail: implemented by an
/// audited [`Vault`](crate::Vault) (pass it as `Arc<Vault>` to
/// [`ConsentLedger::audited`]).
pub trait ConsentObserver: Send + Sync {
    /// `kind` is [`EventKind::ConsentGiven`] or [`EventKind::ConsentWithdrawn`].
    fn consent_recorded(
        &self,
        kind: EventKind,
        subject: &SubjectId,
        purpose: &str,
        actor: &Actor,
        at: DateTime<Utc>,
    ) -> Result<(), AuditError>;
}

impl<O: ConsentObserver + ?Sized> ConsentObserver for std::sync::Arc<O> {
    fn consent_recorded(
        &self,
        kind: EventKind,
        subject: &SubjectId,
        purpose: &str,
        actor: &Actor,
        at: DateTime<Utc>,
    ) -> Result<(), AuditError> {
        (**self).consent_recorded(kind, subject, purpose, actor, at)
    }
}

/// What a withdrawal ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Withdrawal {
    /// A consent that had not been withdrawn before is now withdrawn.
    Ended,
    /// There was no consent left to withdraw; the request is recorded anyway.
    NothingToEnd,
}

/// The consent ledger over a [`ConsentStore`]. `Send + Sync`: share one per process.
pub struct ConsentLedger {
    store: Box<dyn ConsentStore>,
    observer: Option<Box<dyn ConsentObserver>>,
}

impl ConsentLedger {
    /// A ledger over `store`.
    pub fn new(store: impl ConsentStore + 'static) -> Self {
        ConsentLedger {
            store: Box::new(store),
            observer: None,
        }
    }

    /// Sends every consent given or withdrawn to `observer` (an audited vault) after
    /// it is stored.
    pub fn audited(mut self, observer: impl ConsentObserver + 'static) -> Self {
        self.observer = Some(Box::new(observer));
        self
    }

    fn observe(
        &self,
        kind: EventKind,
        subject: &SubjectId,
        purpose: &str,
        actor: &Actor,
        at: DateTime<Utc>,
    ) -> Result<(), ConsentError> {
        match &self.observer {
            Some(o) => Ok(o.consent_recorded(kind, subject, purpose, actor, at)?),
            None => Ok(()),
        }
    }

    /// A ledger over a fresh [`MemoryConsentStore`].
    pub fn in_memory() -> Self {
        ConsentLedger::new(MemoryConsentStore::new())
    }

    /// Records that `subject` consented to purpose `P` at `at`, with its evidence.
    ///
    /// Refused when the notice version is older than `P` requires (the subject was shown
    /// an outdated text) or when the consent would expire before it was given.
    pub fn give<P: Purpose<Basis = Consent>>(
        &self,
        subject: &SubjectId,
        evidence: Evidence,
        at: DateTime<Utc>,
    ) -> Result<(), ConsentError> {
        let required = self.required_version::<P>()?;
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
        self.store.append(&ConsentEvent::Given(ConsentGiven {
            subject: subject.clone(),
            purpose: P::NAME.to_owned(),
            notice: evidence.notice,
            method: evidence.method,
            channel: evidence.channel,
            at,
            expires_at: evidence.expires_at,
        }))?;
        self.observe(
            EventKind::ConsentGiven,
            subject,
            P::NAME,
            &Actor::data_subject(),
            at,
        )
    }

    /// Records that `subject`'s consent to `P` is withdrawn: one call, as easy as giving
    /// (GDPR Art. 7(3)). The request is recorded even when there was nothing to end.
    pub fn withdraw<P: Purpose<Basis = Consent>>(
        &self,
        subject: &SubjectId,
        by: Actor,
        channel: Channel,
        at: DateTime<Utc>,
    ) -> Result<Withdrawal, ConsentError> {
        let before = self.store.status(subject, P::NAME)?;
        self.store
            .append(&ConsentEvent::Withdrawn(ConsentWithdrawn {
                subject: subject.clone(),
                purpose: P::NAME.to_owned(),
                by: by.clone(),
                channel,
                at,
            }))?;
        self.observe(EventKind::ConsentWithdrawn, subject, P::NAME, &by, at)?;
        Ok(match before {
            Some(s) if s.withdrawn_at.is_none() => Withdrawal::Ended,
            _ => Withdrawal::NothingToEnd,
        })
    }

    /// Checks that `subject`'s consent to `P` is live at `now`: given, not withdrawn,
    /// not expired, and to a notice version still accepted.
    pub fn check<P: Purpose<Basis = Consent>>(
        &self,
        subject: &SubjectId,
        now: DateTime<Utc>,
    ) -> Result<(), ConsentError> {
        let status = self
            .store
            .status(subject, P::NAME)?
            .ok_or(ConsentError::NeverGiven { purpose: P::NAME })?;
        if let Some(at) = status.withdrawn_at {
            return Err(ConsentError::Withdrawn {
                purpose: P::NAME,
                at,
            });
        }
        if let Some(at) = status.expires_at.filter(|e| *e <= now) {
            return Err(ConsentError::Expired {
                purpose: P::NAME,
                at,
            });
        }
        let required = self.required_version::<P>()?;
        if status.notice_version < required {
            return Err(ConsentError::StaleNotice {
                purpose: P::NAME,
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
        now: DateTime<Utc>,
    ) -> Result<Access<P>, ConsentError> {
        self.check::<P>(subject, now)?;
        Ok(Access::granted(subject.clone(), actor))
    }

    /// Every consent event about `subject`, oldest first: the evidence to show the
    /// subject or a regulator.
    pub fn history(&self, subject: &SubjectId) -> Result<Vec<ConsentEvent>, ConsentError> {
        Ok(self.store.history(subject)?)
    }

    /// Requires consent to `P` to have been given to notice `version` or later, e.g.
    /// after a material change of the notice. Persisted in the store; it only rises.
    pub fn require_notice_version<P: Purpose<Basis = Consent>>(
        &self,
        version: u32,
    ) -> Result<(), ConsentError> {
        Ok(self.store.raise_notice_floor(P::NAME, version)?)
    }

    /// The oldest notice version accepted for `P` now: the larger of the declared
    /// `min_notice_version` and the floor set with
    /// [`require_notice_version`](Self::require_notice_version).
    pub fn required_version<P: Purpose<Basis = Consent>>(&self) -> Result<u32, ConsentError> {
        Ok(P::MIN_NOTICE_VERSION.max(self.store.notice_floor(P::NAME)?))
    }
}
