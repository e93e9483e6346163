//! The consent ledger: the only door to a purpose whose lawful basis is consent.
//!
//! Consent is evidence, not a boolean (GDPR Art. 7(1): the controller must be able to
//! *demonstrate* consent). The ledger records who consented to which purpose, to which
//! notice text, how, where and when, and later the withdrawal; it never deletes or
//! rewrites evidence. [`ConsentLedger::access`] turns live consent into an
//! [`Access<P>`], and is the only way to get one for a consent purpose.
//!
//! ```
//! use chrono::{Duration, TimeZone, Utc};
//! use custodian::consent::{Channel, ConsentError, ConsentLedger, ConsentMethod, Evidence};
//! use custodian::retention::ManualClock;
//! use custodian::{Actor, SubjectId, categories::Email};
//!
//! custodian::purpose! {
//!     pub struct Newsletter { basis: Consent, description: "Our monthly newsletter.", uses: [Email] }
//! }
//!
//! let now = Utc.with_ymd_and_hms(2027, 1, 1, 9, 0, 0).unwrap();
//! let clock = ManualClock::new(now); // the ledger dates what it records by its clock
//! let ledger = ConsentLedger::in_memory().with_clock(clock.clone());
//! let alice = SubjectId::new("cus_1")?;
//! assert!(matches!(
//!     ledger.access::<Newsletter>(&alice, Actor::service("mailer")),
//!     Err(ConsentError::NeverGiven { .. })
//! ));
//!
//! let notice = ledger.register_notice::<Newsletter>("newsletter", 1, "Send me the monthly newsletter.")?;
//! ledger.give::<Newsletter>(&alice, Evidence::new(notice, ConsentMethod::DoubleOptIn, Channel::Email))?;
//! // A double opt-in counts once the link sent to the address is followed.
//! assert!(matches!(
//!     ledger.access::<Newsletter>(&alice, Actor::service("mailer")),
//!     Err(ConsentError::Unconfirmed { .. })
//! ));
//! ledger.confirm::<Newsletter>(&alice)?;
//! let access = ledger.access::<Newsletter>(&alice, Actor::service("mailer"))?;
//!
//! clock.advance(Duration::days(1));
//! ledger.withdraw::<Newsletter>(&alice, Actor::data_subject(), Channel::Email)?;
//! assert!(matches!(
//!     ledger.access::<Newsletter>(&alice, Actor::service("mailer")),
//!     Err(ConsentError::Withdrawn { .. })
//! ));
//! # drop(access);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod chain;
mod erasure;
mod error;
mod evidence;
mod memory;
mod registry;
mod scope;
mod store;
mod verify;

pub use chain::{
    ChainReport, ChainedEvent, ChainedFloor, ChainedNotice, EvidenceKey, RegisteredNotice,
};
pub use erasure::{ConsentEraser, EvidenceRole, KeptErasure};
pub use error::ConsentError;
pub use evidence::{
    Channel, ConsentConfirmed, ConsentErased, ConsentEvent, ConsentGiven, ConsentMethod,
    ConsentWithdrawn, Evidence, EvidenceRef, KeptEvidence, Notice, RemovedLink,
};
pub use memory::MemoryConsentStore;
pub use scope::{PurposeScope, ScopedCategory};
#[cfg(feature = "sqlite")]
pub(crate) use store::erasure_of;
pub use store::{ConsentStatus, ConsentStore, StoredErasure};

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, TimeDelta, Utc};

use crate::access::{Access, Actor};
use crate::audit::{AuditError, EventKind};
use crate::basis::Consent;
use crate::purpose::Purpose;
use crate::retention::{Clock, SystemClock};
use crate::store::StoreError;
use crate::subject::SubjectId;

/// Receives consent given, withdrawn and confirmed, and reads of kept evidence, for the
/// audit trail: implemented by an audited [`Vault`](crate::Vault) (pass it as
/// `Arc<Vault>` to [`ConsentLedger::audited`]).
pub trait ConsentObserver: Send + Sync {
    /// `kind` is [`EventKind::ConsentGiven`], [`EventKind::ConsentWithdrawn`] or
    /// [`EventKind::ConsentConfirmed`]; `actor` is who recorded it.
    fn consent_recorded(
        &self,
        kind: EventKind,
        subject: &SubjectId,
        purpose: &str,
        actor: &Actor,
        at: DateTime<Utc>,
    ) -> Result<(), AuditError>;

    /// Evidence kept after an erasure was read by `actor` for `reason`. The event names
    /// no subject: the erased subject has no pseudonym any more, and the read must not
    /// link the kept evidence to the trail.
    fn kept_evidence_read(
        &self,
        actor: &Actor,
        reason: &str,
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

    fn kept_evidence_read(
        &self,
        actor: &Actor,
        reason: &str,
        at: DateTime<Utc>,
    ) -> Result<(), AuditError> {
        (**self).kept_evidence_read(actor, reason, at)
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

/// How far back [`ConsentLedger::give_at`] accepts evidence that arrives late (a paper
/// form, a recorded call transcribed later): 90 days. Older evidence is refused
/// ([`ConsentError::TooLate`]): ask the person again.
pub const MAX_LATE_EVIDENCE: TimeDelta = TimeDelta::days(90);

/// How long the evidence kept after an erasure is retained by default: 3 years (the
/// regular limitation period of German civil law, BGB §195), after which
/// [`ConsentLedger::purge_kept_evidence`] deletes it. Set your own with
/// [`ConsentLedger::evidence_retention`].
pub const DEFAULT_EVIDENCE_RETENTION: TimeDelta = TimeDelta::days(3 * 365 + 1);

/// How many (subject, purpose) pairs a ledger remembers the last position of; past it
/// the memory starts again (bounding it to a few megabytes).
const SEEN_CAP: usize = 100_000;

/// The consent ledger over a [`ConsentStore`]. `Send + Sync`: share one per process.
///
/// Opening verifies the whole evidence chain under the [`EvidenceKey`]. If any row
/// fails to authenticate, the ledger opens anyway but refuses every decision
/// ([`check`](Self::check), [`access`](Self::access), [`give`](Self::give)) with
/// [`StoreError::Tampered`], while [`withdraw`](Self::withdraw) still records
/// withdrawals (Art. 7(3)) and [`verify`](Self::verify) names the bad row.
pub struct ConsentLedger {
    store: Arc<dyn ConsentStore>,
    key: Arc<EvidenceKey>,
    clock: Arc<dyn Clock>,
    observer: Option<Box<dyn ConsentObserver>>,
    evidence_retention: TimeDelta,
    /// Position of the first bad row found by the last verification (0: none).
    broken_at: AtomicU64,
    /// The last position of each pair this ledger recorded or saw (bounded by
    /// [`SEEN_CAP`]): a store that later reports a lower one lost events (deleted).
    seen: Mutex<HashMap<(&'static str, SubjectId), u64>>,
    broken_what: Mutex<&'static str>,
}

impl ConsentLedger {
    /// A ledger over `store`, keyed with `key`: verifies the evidence already there
    /// (a linear scan; see [`verify`](Self::verify)). Fails only when the store cannot
    /// be read; evidence that does not authenticate makes a ledger that refuses to
    /// decide (see the type's docs).
    pub fn new(store: impl ConsentStore + 'static, key: EvidenceKey) -> Result<Self, ConsentError> {
        let ledger = ConsentLedger::over(Arc::new(store), key);
        match ledger.verify(None) {
            Ok(_) | Err(ConsentError::Store(StoreError::Tampered { .. })) => Ok(ledger),
            Err(e) => Err(e),
        }
    }

    fn over(store: Arc<dyn ConsentStore>, key: EvidenceKey) -> Self {
        ConsentLedger {
            store,
            key: Arc::new(key),
            clock: Arc::new(SystemClock::new()),
            observer: None,
            evidence_retention: DEFAULT_EVIDENCE_RETENTION,
            broken_at: AtomicU64::new(0),
            broken_what: Mutex::new(""),
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// Uses `clock` (instead of the system clock) to date the events it records, to
    /// refuse events dated in the future, and to decide every consent rule
    /// ([`check`](Self::check), [`access`](Self::access)). Give a ledger the clock of
    /// the vault built for the same service, so both date and decide alike:
    /// `.with_clock(vault.clock())` ([`Vault::clock`](crate::Vault::clock)).
    pub fn with_clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// The ledger's clock: when it records events.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Checks every link of the evidence chain (events, notice registrations and
    /// notice-floor raises) and, with `expected` (a report kept from an earlier call,
    /// out of the store writers' reach), that the store still holds that history.
    /// Names the first bad row with [`StoreError::Tampered`], and from then on the
    /// ledger refuses to decide; a verification that passes lets it decide again.
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

    /// Sends every consent given, withdrawn or confirmed to `observer` (an audited
    /// vault) after it is stored, and every read of kept evidence.
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
        ConsentLedger::over(
            Arc::new(MemoryConsentStore::new()),
            EvidenceKey::from_bytes(secrecy::SecretBox::new(Box::new([0u8; 32]))),
        )
    }

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
    /// before the ledger's clock or more than [`MAX_CLOCK_SKEW`] after it, and as
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

    /// Remembers that the pair's events reach `position` (0: the store does not report
    /// positions), and refuses when this ledger saw them reach further before: the
    /// events after `position` were deleted (a withdrawal, say), which the pair's own
    /// remaining rows cannot show.
    fn saw(
        &self,
        purpose: &'static str,
        subject: &SubjectId,
        position: u64,
    ) -> Result<(), ConsentError> {
        if position == 0 {
            return Ok(());
        }
        let mut seen = self.seen.lock().map_err(|_| StoreError::Poisoned)?;
        let pair = (purpose, subject.clone());
        if let Some(&before) = seen.get(&pair)
            && before > position
        {
            return Err(StoreError::Tampered {
                what: "consent event (deleted: this ledger saw the subject's events for this purpose reach this position)",
                position: before,
            }
            .into());
        }
        if seen.len() >= SEEN_CAP && !seen.contains_key(&pair) {
            seen.clear();
        }
        seen.insert(pair, position);
        Ok(())
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
    /// [`ConsentMethod::DoubleOptIn`] is in force only from its confirmation. Refused
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

    /// Checks that `subject`'s consent to `P` is live now, by the ledger's clock
    /// ([`with_clock`](Self::with_clock); share the vault's with
    /// [`Vault::clock`](crate::Vault::clock)): given (dated at or before now),
    /// confirmed if by double opt-in, not withdrawn, not expired, given to a
    /// declaration of `P` that covers its current one ([`PurposeScope`]), to a notice
    /// version still accepted for its notice, and the subject not erased. Events count
    /// in order of their dates, not of their arrival. Fails closed with
    /// [`StoreError::Tampered`] when the evidence does not authenticate.
    ///
    /// The time is never the caller's: a rule (expiry, confirmation, a consent dated
    /// ahead) is decided on the one clock the ledger records by, so a handler cannot
    /// pass a stale or convenient `now`.
    pub fn check<P: Purpose<Basis = Consent>>(
        &self,
        subject: &SubjectId,
    ) -> Result<(), ConsentError> {
        self.check_named(&P::INFO, subject, self.clock.now())
    }

    fn check_named(
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
        self.check::<P>(subject)?;
        Ok(Access::granted(subject.clone(), actor))
    }

    /// Every consent event about `subject`, oldest first: the evidence to show the
    /// subject or a regulator. Empty after their erasure (what is kept then is read
    /// with [`kept_evidence`](Self::kept_evidence)).
    pub fn history(&self, subject: &SubjectId) -> Result<Vec<ConsentEvent>, ConsentError> {
        Ok(self.store.history(subject)?)
    }

    /// The keyed reference of `subject`, as evidence kept after their erasure names
    /// them.
    pub fn subject_ref(&self, subject: &SubjectId) -> EvidenceRef {
        self.key.subject_ref(subject)
    }

    /// The keyed reference of a contact point, to compare with
    /// [`ConsentGiven::contact`] (e.g. to answer a claim about a phone number).
    pub fn contact_ref(&self, contact: &str) -> EvidenceRef {
        self.key.contact_ref(contact)
    }
}

/// Refuses a reference that is empty, longer than 200 characters, not printable ASCII,
/// or holds an `@` (references point to evidence; they are not evidence themselves).
fn check_reference(r: &str, what: &'static str) -> Result<(), ConsentError> {
    let ok = !r.trim().is_empty()
        && r.len() <= 200
        && r.bytes().all(|b| (0x20..0x7f).contains(&b) && b != b'@');
    if ok {
        Ok(())
    } else {
        Err(ConsentError::BadReference { what })
    }
}
