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
//! let now = Utc::now() - Duration::days(2);
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

mod chain;
mod evidence;
mod store;

pub use chain::{ChainReport, ChainedEvent, ChainedFloor, EvidenceKey};
pub use evidence::{
    Channel, ConsentEvent, ConsentGiven, ConsentMethod, ConsentWithdrawn, Evidence, Notice,
};
pub use store::{ConsentStatus, ConsentStore, MemoryConsentStore};

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, TimeDelta, Utc};

use crate::access::{Access, Actor};
use crate::audit::{AuditError, EventKind};
use crate::basis::Consent;
use crate::purpose::Purpose;
use crate::retention::{Clock, SystemClock};
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
        "no consent to purpose `{purpose}` was ever recorded for this data subject: ask for it, showing the current notice, where they use your service (an email or SMS asking for consent is itself direct marketing, ePrivacy Art. 13)"
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
    #[error(
        "consent to purpose `{purpose}` expired at {at}: stop processing for it; ask the data subject to renew it only where they use your service (an email or SMS asking for renewal is itself direct marketing, ePrivacy Art. 13)"
    )]
    Expired {
        /// The purpose.
        purpose: &'static str,
        /// When it expired.
        at: DateTime<Utc>,
    },
    /// The consent was given to a notice older than the purpose now requires.
    #[error(
        "consent to purpose `{purpose}` was given to notice version {given}, but version {required} or later is required since the notice changed: stop processing for it; ask the data subject to consent to the current notice where they use your service (an email or SMS asking for consent is itself direct marketing, ePrivacy Art. 13)"
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
    /// The event is dated further in the future than the ledger's clock allows
    /// ([`MAX_CLOCK_SKEW`]): evidence is recorded when it happens, not ahead of time.
    #[error(
        "consent event for purpose `{purpose}` is dated {at}, more than {tolerance_secs} s after the ledger's clock ({now}): record it with the time it happened, and check the clocks of the machines involved"
    )]
    FromTheFuture {
        /// The purpose.
        purpose: &'static str,
        /// The event's date.
        at: DateTime<Utc>,
        /// The ledger's clock.
        now: DateTime<Utc>,
        /// The tolerance, in seconds.
        tolerance_secs: i64,
    },
    /// The consent in force is dated after the time checked (it was recorded within
    /// the clock-skew tolerance, ahead of this check).
    #[error(
        "consent to purpose `{purpose}` takes effect at {from}, after the time checked: check again from then, and check the clocks of the machines involved"
    )]
    NotYetInForce {
        /// The purpose.
        purpose: &'static str,
        /// When the consent takes effect.
        from: DateTime<Utc>,
    },
    /// An [`EvidenceKey`] of the wrong length was supplied.
    #[error("an evidence key is 32 bytes, got {len}")]
    BadEvidenceKey {
        /// The length supplied.
        len: usize,
    },
    /// The operating system's random number generator failed.
    #[error("the system random number generator failed; no evidence key could be made")]
    Random,
    /// The store failed, or its evidence does not authenticate
    /// ([`StoreError::Tampered`]); nothing was decided.
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

/// How far in the future (by the ledger's clock) a consent event may be dated: 5
/// minutes, for clocks that drift between the machines that record and check consent.
/// A later date is refused with [`ConsentError::FromTheFuture`].
pub const MAX_CLOCK_SKEW: TimeDelta = TimeDelta::minutes(5);

/// The consent ledger over a [`ConsentStore`]. `Send + Sync`: share one per process.
///
/// Opening verifies the whole evidence chain under the [`EvidenceKey`]. If any row
/// fails to authenticate, the ledger opens anyway but refuses every decision
/// ([`check`](Self::check), [`access`](Self::access), [`give`](Self::give)) with
/// [`StoreError::Tampered`], while [`withdraw`](Self::withdraw) still records
/// withdrawals (Art. 7(3)) and [`verify`](Self::verify) names the bad row.
pub struct ConsentLedger {
    store: Box<dyn ConsentStore>,
    key: EvidenceKey,
    clock: Box<dyn Clock>,
    observer: Option<Box<dyn ConsentObserver>>,
    /// Position of the first bad row found by the last verification (0: none).
    broken_at: AtomicU64,
    broken_what: Mutex<&'static str>,
}

impl ConsentLedger {
    /// A ledger over `store`, keyed with `key`: verifies the evidence already there
    /// (a linear scan; see [`verify`](Self::verify)). Fails only when the store cannot
    /// be read; evidence that does not authenticate makes a ledger that refuses to
    /// decide (see the type's docs).
    pub fn new(store: impl ConsentStore + 'static, key: EvidenceKey) -> Result<Self, ConsentError> {
        let ledger = ConsentLedger {
            store: Box::new(store),
            key,
            clock: Box::new(SystemClock::new()),
            observer: None,
            broken_at: AtomicU64::new(0),
            broken_what: Mutex::new(""),
        };
        match ledger.verify(None) {
            Ok(_) | Err(ConsentError::Store(StoreError::Tampered { .. })) => Ok(ledger),
            Err(e) => Err(e),
        }
    }

    /// Uses `clock` (instead of the system clock) to refuse events dated in the future.
    pub fn with_clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Box::new(clock);
        self
    }

    /// Checks every link of the evidence chain (events and notice-floor raises) and,
    /// with `expected` (a report kept from an earlier call, out of the store writers'
    /// reach), that the store still holds that history. Names the first bad row with
    /// [`StoreError::Tampered`], and from then on the ledger refuses to decide; a
    /// verification that passes lets it decide again.
    pub fn verify(&self, expected: Option<&ChainReport>) -> Result<ChainReport, ConsentError> {
        match self.store.verify(&self.key, expected) {
            Ok(report) => {
                self.broken_at.store(0, Ordering::Release);
                Ok(report)
            }
            Err(StoreError::Tampered { what, position }) => {
                if let Ok(mut w) = self.broken_what.lock() {
                    *w = what;
                }
                self.broken_at.store(position.max(1), Ordering::Release);
                Err(StoreError::Tampered { what, position }.into())
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Adopts consent evidence written before schema version 8, which has no links:
    /// links it under this ledger's key (and chains the notice floors set before then),
    /// then verifies. Returns how many events were linked. Run it once, right after
    /// upgrading, after checking that evidence against your backups: whatever is in the
    /// store then is vouched for by the key from now on. Refused once any event has a
    /// link.
    pub fn link_unlinked_evidence(&self) -> Result<u64, ConsentError> {
        let linked = self.store.link_unlinked(&self.key)?;
        self.verify(None)?;
        Ok(linked)
    }

    /// Fails while the last verification found a bad row.
    fn intact(&self) -> Result<(), ConsentError> {
        let position = self.broken_at.load(Ordering::Acquire);
        if position == 0 {
            return Ok(());
        }
        let what = self
            .broken_what
            .lock()
            .map(|w| *w)
            .unwrap_or("consent event");
        Err(StoreError::Tampered { what, position }.into())
    }

    /// Refuses an event dated more than [`MAX_CLOCK_SKEW`] after the clock.
    fn not_future(&self, purpose: &'static str, at: DateTime<Utc>) -> Result<(), ConsentError> {
        let now = self.clock.now();
        // (A clock at the end of time has no future to refuse.)
        if now
            .checked_add_signed(MAX_CLOCK_SKEW)
            .is_some_and(|limit| at > limit)
        {
            return Err(ConsentError::FromTheFuture {
                purpose,
                at,
                now,
                tolerance_secs: MAX_CLOCK_SKEW.num_seconds(),
            });
        }
        Ok(())
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

    /// A ledger over a fresh [`MemoryConsentStore`], for tests and single-process
    /// caches. Its chain is keyed with a fixed, public key (32 zero bytes): rows in
    /// this process's memory can only be changed by code in this process, which could
    /// as well read any key, so a secret would protect nothing here. Use
    /// [`new`](Self::new) with your own [`EvidenceKey`] for any store another process
    /// or person can write.
    pub fn in_memory() -> Self {
        ConsentLedger {
            store: Box::new(MemoryConsentStore::new()),
            key: EvidenceKey::from_bytes(secrecy::SecretBox::new(Box::new([0u8; 32]))),
            clock: Box::new(SystemClock::new()),
            observer: None,
            broken_at: AtomicU64::new(0),
            broken_what: Mutex::new(""),
        }
    }

    /// Records that `subject` consented to purpose `P` at `at`, with its evidence.
    ///
    /// Refused when the notice version is older than `P` requires (the subject was shown
    /// an outdated text), when the consent would expire before it was given, when `at`
    /// is more than [`MAX_CLOCK_SKEW`] ahead of the ledger's clock, and while the
    /// evidence chain does not verify. `at` may be in the past (evidence that arrives
    /// late, e.g. a paper form): it takes its place by date, so it does not override a
    /// withdrawal dated after it.
    pub fn give<P: Purpose<Basis = Consent>>(
        &self,
        subject: &SubjectId,
        evidence: Evidence,
        at: DateTime<Utc>,
    ) -> Result<(), ConsentError> {
        self.intact()?;
        self.not_future(P::NAME, at)?;
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
        self.store.append(
            &ConsentEvent::Given(ConsentGiven {
                subject: subject.clone(),
                purpose: P::NAME.to_owned(),
                notice: evidence.notice,
                method: evidence.method,
                channel: evidence.channel,
                at,
                expires_at: evidence.expires_at,
            }),
            &self.key,
        )?;
        self.observe(
            EventKind::ConsentGiven,
            subject,
            P::NAME,
            &Actor::data_subject(),
            at,
        )
    }

    /// Records that `subject`'s consent to `P` is withdrawn: one call, as easy as giving
    /// (GDPR Art. 7(3)). The request is recorded even when there was nothing to end,
    /// and even while the evidence chain does not verify (the answer is then
    /// [`Withdrawal::NothingToEnd`], since the current state cannot be trusted). It
    /// ends the consent in force if that consent is dated at or before `at`; it stays
    /// in force against any consent dated before it that arrives later. Refused when
    /// `at` is more than [`MAX_CLOCK_SKEW`] ahead of the ledger's clock.
    pub fn withdraw<P: Purpose<Basis = Consent>>(
        &self,
        subject: &SubjectId,
        by: Actor,
        channel: Channel,
        at: DateTime<Utc>,
    ) -> Result<Withdrawal, ConsentError> {
        self.not_future(P::NAME, at)?;
        let before = match self.intact() {
            Ok(()) => self
                .store
                .status(subject, P::NAME, &self.key)
                .ok()
                .flatten(),
            Err(_) => None,
        };
        self.store.append(
            &ConsentEvent::Withdrawn(ConsentWithdrawn {
                subject: subject.clone(),
                purpose: P::NAME.to_owned(),
                by: by.clone(),
                channel,
                at,
            }),
            &self.key,
        )?;
        self.observe(EventKind::ConsentWithdrawn, subject, P::NAME, &by, at)?;
        Ok(match before {
            Some(s) if s.withdrawn_at.is_none() && s.given_at <= at => Withdrawal::Ended,
            _ => Withdrawal::NothingToEnd,
        })
    }

    /// Checks that `subject`'s consent to `P` is live at `now`: given (dated at or
    /// before `now`), not withdrawn, not expired, and to a notice version still
    /// accepted. Events count in order of their dates, not of their arrival. Fails
    /// closed with [`StoreError::Tampered`] when the evidence does not authenticate.
    pub fn check<P: Purpose<Basis = Consent>>(
        &self,
        subject: &SubjectId,
        now: DateTime<Utc>,
    ) -> Result<(), ConsentError> {
        self.intact()?;
        let status = self
            .store
            .status(subject, P::NAME, &self.key)?
            .ok_or(ConsentError::NeverGiven { purpose: P::NAME })?;
        if let Some(at) = status.withdrawn_at {
            return Err(ConsentError::Withdrawn {
                purpose: P::NAME,
                at,
            });
        }
        if status.given_at > now {
            return Err(ConsentError::NotYetInForce {
                purpose: P::NAME,
                from: status.given_at,
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
        Ok(self.store.raise_notice_floor(P::NAME, version, &self.key)?)
    }

    /// The oldest notice version accepted for `P` now: the larger of the declared
    /// `min_notice_version` and the floor set with
    /// [`require_notice_version`](Self::require_notice_version).
    pub fn required_version<P: Purpose<Basis = Consent>>(&self) -> Result<u32, ConsentError> {
        Ok(P::MIN_NOTICE_VERSION.max(self.store.notice_floor(P::NAME, &self.key)?))
    }
}
