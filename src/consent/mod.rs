//! The consent ledger: the only door to a purpose whose lawful basis is consent.
//!
//! Consent is evidence, not a boolean (GDPR Art. 7(1): the controller must be able to
//! *demonstrate* consent). The ledger records who consented to which purpose, to which
//! notice text, how, where and when, and later the withdrawal; it never deletes or
//! rewrites evidence. [`ConsentLedger::access`] turns live consent into an
//! [`Access<P>`](crate::access::Access), and is the only way to get one for a consent purpose.
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
mod check;
mod encoding;
mod erasure;
mod error;
mod events;
mod evidence;
mod memory;
mod observer;
mod record;
mod registry;
mod scope;
mod store;
mod verify;

pub use chain::{
    ChainReport, ChainedEvent, ChainedFloor, ChainedNotice, EvidenceKey, RegisteredNotice,
};
pub use erasure::{ConsentEraser, EvidenceRole, KeptErasure};
pub use error::ConsentError;
pub use events::{
    ConsentConfirmed, ConsentErased, ConsentEvent, ConsentGiven, ConsentWithdrawn, KeptEvidence,
    RemovedLink,
};
pub use evidence::{Channel, ConsentMethod, Evidence, EvidenceRef, Notice};
pub use memory::MemoryConsentStore;
pub use observer::ConsentObserver;
pub use record::Withdrawal;
pub use scope::{PurposeScope, ScopedCategory};
#[cfg(feature = "sqlite")]
pub(crate) use store::erasure_of;
pub use store::{ConsentStatus, ConsentStore, StoredErasure};

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, TimeDelta, Utc};

use crate::access::Actor;
use crate::audit::EventKind;
use crate::retention::{Clock, SystemClock};
use crate::store::StoreError;
use crate::subject::SubjectId;

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
