//! What can go wrong in the vault, and the reports of what it did.

use chrono::{DateTime, Utc};

use crate::audit::AuditError;
use crate::format::FormatError;
use crate::keys::KeyError;
use crate::plaintext::PlaintextError;
use crate::retention::{HoldError, HoldId, JournalPurge};
use crate::store::StoreError;

/// Why sealing, opening, shredding, sweeping or rotating failed. Never contains a
/// personal value.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VaultError {
    /// The subject's keys were shredded: this value can never be opened again, and
    /// nothing new is sealed for the subject.
    #[error(
        "the data subject's keys were shredded (erased): their data can no longer be opened or sealed"
    )]
    Shredded,
    /// The value's retention period ended at `at`, and its subject is not under a legal
    /// hold: it is no longer opened, and once swept, no longer can be.
    #[error(
        "the value's retention period ended at {at}: it can no longer be opened (place a legal hold before it is swept if it must be kept)"
    )]
    Expired {
        /// When it expired: exactly, once the value was decrypted; else the end of its
        /// UTC expiry day, which the clear header proves it had expired by (format v3
        /// seals the exact time inside the value).
        at: DateTime<Utc>,
    },
    /// The value's retention period ended at `at` and it is kept only under a legal
    /// hold, for the purposes in `held_for`; `purpose` is not one of them (GDPR
    /// Art. 18(2): data kept for a claim is used only for it). Names purposes and a
    /// category, never a value.
    #[error(
        "the value's retention period ended at {at}; it is kept only under legal hold for {}, so purpose `{purpose}` may not use it (GDPR Art. 18(2)): open it for a purpose the hold names, or not at all",
        held_for.join(", ")
    )]
    RestrictedByHold {
        /// When it expired.
        at: DateTime<Utc>,
        /// The purpose that asked (its declared name).
        purpose: &'static str,
        /// The value's category (dotted name).
        category: &'static str,
        /// The purposes the subject's active holds keep this category for.
        held_for: Vec<String>,
    },
    /// The data subject was erased; data of this category is kept only under an erasure
    /// exception (a law requires keeping it), and only for the exception's purpose.
    #[error(
        "the data subject was erased; their `{category}` data is kept only under {law} until {until}, for purpose `{kept_for}` (GDPR Art. 17(3)(b)): the purpose that asked may not use it; open it for `{kept_for}`, or not at all"
    )]
    RestrictedByErasureException {
        /// The purpose that asked (its declared name), or `None` for an operation
        /// without a purpose (`reseal`, `dates`).
        purpose: Option<&'static str>,
        /// The value's category (dotted name).
        category: &'static str,
        /// The one purpose the exception keeps the data for.
        kept_for: String,
        /// The provision the exception names.
        law: String,
        /// When the exception ends.
        until: DateTime<Utc>,
    },
    /// An erasure exception passed to [`Operator::erase_with`](crate::Operator::erase_with)
    /// cannot be honoured; nothing was erased.
    #[error("erasure exception refused: {reason}; nothing was erased")]
    BadErasureException {
        /// Why: an empty law reference, an end in the past, a category listed twice.
        reason: &'static str,
    },
    /// The value would expire in a retention epoch that a sweep already destroyed: the
    /// vault's clock is behind the clock of the sweep.
    #[error(
        "a value expiring on UTC day {epoch} (days since 1970) cannot be sealed: that day's key was already swept; check the clock"
    )]
    EpochSwept {
        /// The epoch (days since 1970-01-01).
        epoch: u32,
    },
    /// The key store has no key for the value's retention epoch, which was not swept:
    /// the value was sealed against another key store.
    #[error(
        "the key store has no key for retention epoch {epoch}: was the value sealed with another key store?"
    )]
    EpochKeyNotFound {
        /// The epoch (days since 1970-01-01).
        epoch: u32,
    },
    /// Collection time plus retention does not fit the format (past the year 262,000),
    /// or the clock is before 1970.
    #[error(
        "the retention period, added to the collection time, is out of range (or the clock is before 1970)"
    )]
    RetentionOutOfRange,
    /// The subject's anchor key for a value kept after an event is missing, and its
    /// event was not recorded (so it was not destroyed by a sweep): the value was
    /// sealed against another key store.
    #[error(
        "the key store has no anchor key for this value (kept after {anchor}) and no such event is recorded: was the value sealed with another key store?"
    )]
    AnchorKeyNotFound {
        /// The event the value's period runs from.
        anchor: crate::retention::Anchor,
    },
    /// An event was recorded with a time after now: record it when it has happened.
    #[error(
        "an anchor event cannot be recorded for a time after now: record {anchor} when it has happened"
    )]
    EventInFuture {
        /// The event.
        anchor: crate::retention::Anchor,
    },
    /// A value kept for a period after an event cannot be sealed: the period after
    /// the subject's recorded event has already run out (the data would be due for
    /// destruction at once).
    #[error(
        "the period after {anchor} ran out at {at}: record the new event first (a new contract, a new contact), or seal under another retention"
    )]
    EventPeriodEnded {
        /// The event.
        anchor: crate::retention::Anchor,
        /// When the period ended.
        at: DateTime<Utc>,
    },
    /// Neither the context nor the vault declares how long data of this category is
    /// kept. Keeping it "until erased" is a choice to be made, never a fallback
    /// (GDPR Art. 25(2): by default, no longer than necessary).
    #[error(
        "no retention is declared for category `{category}`: give the context one (`Context::retain`), or the vault a default for the category (`VaultBuilder::default_retention`); write `Retention::UntilErased` only if keeping it until erasure is the decision"
    )]
    RetentionUndeclared {
        /// The category's name.
        category: &'static str,
    },
    /// The subject is under a legal hold, so their data cannot be erased (or shredded).
    #[error(
        "the data subject is under legal hold {hold} ({reason}{}): release it before erasing", until.map(|u| format!(", until {u}")).unwrap_or_default()
    )]
    UnderLegalHold {
        /// The hold.
        hold: HoldId,
        /// Its reason.
        reason: String,
        /// When it lapses, if it does.
        until: Option<DateTime<Utc>>,
    },
    /// Placing or releasing a hold failed.
    #[error(transparent)]
    Hold(#[from] HoldError),
    /// The key store has no such key version for the subject, and the subject was not
    /// shredded: the value was sealed against another key store.
    #[error(
        "the key store has no key version {version} for this data subject: was the value sealed with another key store?"
    )]
    KeyNotFound {
        /// The key version named in the value's header.
        version: u32,
    },
    /// The value was sealed under a key version of its subject that was retired
    /// ([`Operator::retire_subject_key_versions`](crate::Operator::retire_subject_key_versions))
    /// after the values under it were resealed: this copy was missed or is old.
    #[error(
        "key version {version} of this data subject was retired after its values were resealed: this copy was not resealed and can no longer be opened; use the resealed copy"
    )]
    KeyRetired {
        /// The retired key version named in the value's header.
        version: u32,
    },
    /// Retiring key versions up to `below` would destroy the subject's newest key
    /// version, which new values are sealed under.
    #[error(
        "retiring key versions below {below} would destroy the data subject's newest key version {newest}: rotate first (rotate_subject_key), reseal, then retire below the new version"
    )]
    WouldRetireNewestKey {
        /// The versions asked to be retired are those below this.
        below: u32,
        /// The subject's newest key version.
        newest: u32,
    },
    /// The access is for another subject than the one the value was sealed for: the
    /// value was copied from another subject's record, or the wrong access was used.
    #[error(
        "the sealed value belongs to another data subject than the access: it was copied from another subject's record, or the access is for the wrong subject"
    )]
    SubjectMismatch,
    /// The value failed authentication.
    #[error(
        "the sealed value failed authentication: it was altered, or moved from another record type or field, or sealed under another key"
    )]
    Decrypt,
    /// The bytes are not a sealed value.
    #[error("not a valid sealed value: {0}")]
    Format(#[from] FormatError),
    /// The decrypted bytes are not a valid `T`: the value was sealed as another type.
    #[error("the decrypted value is not of the expected type: {0}")]
    Plaintext(#[from] PlaintextError),
    /// A master-key operation failed.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// A stored key is wrapped by a master key this vault was not given.
    #[error(
        "a stored key is wrapped by master key `{master_id}`, which this vault does not have: pass it as the master key or a previous master key"
    )]
    UnknownMasterKey {
        /// The master key id on the stored key.
        master_id: String,
    },
    /// The key store failed.
    #[error("the key store failed: {0}")]
    Store(#[from] StoreError),
    /// The audit event of the action could not be recorded, so the action was
    /// refused (an open returns no plaintext). Repair the audit sink.
    #[error("the audit trail could not record this action, so it was refused: {0}")]
    Audit(#[from] AuditError),
    /// An access for a consent purpose whose consent was checked more than
    /// [`CONSENT_ACCESS_VALIDITY_SECONDS`](crate::CONSENT_ACCESS_VALIDITY_SECONDS) ago
    /// by this vault's clock (or ahead of it): consent may have been withdrawn since.
    /// Get a new access from the ledger for this request.
    #[error(
        "this consent access was checked too long ago (or ahead of the vault's clock): get a new one from the consent ledger for this request"
    )]
    ConsentAccessStale,
    /// The actor named no one who can be held to the act (empty, over-long, or with
    /// control, bidi or invisible characters): refused before anything was done.
    #[error("refused, nothing was done: {0}")]
    InvalidActor(#[from] crate::access::InvalidActor),
    /// The act was **done** (committed in the key store), but its audit event could
    /// not be recorded afterwards: the trail lacks it. Do not run it again blindly;
    /// repair the audit sink and record what happened by hand (the code is
    /// `done_not_recorded`; `source()` is the sink's error).
    #[error(
        "the act was done, but the audit trail could not record it: repair the audit sink and record it by hand; {0}"
    )]
    DoneNotRecorded(#[source] AuditError),
    /// The subject's keys were destroyed, but their consents could not be ended in the
    /// consent ledger: run the erasure again (it is idempotent) once the consent store
    /// is reachable.
    #[error(
        "the data subject's keys were destroyed, but their consents could not be ended: run the erasure again; {0}"
    )]
    ConsentNotEnded(Box<crate::consent::ConsentError>),
    /// A step inside the vault failed in a way its operation cannot report (a bug in
    /// custodian): it was refused, fail closed. Its code is
    /// [`ErrorKind::Internal`](crate::ErrorKind::Internal); `unexpected` is the step's own.
    #[error(
        "an internal step failed with `{unexpected}`, which its operation cannot report: it was refused; report this as a bug"
    )]
    Internal {
        /// The code of the error the step returned.
        unexpected: crate::ErrorKind,
    },
}

impl VaultError {
    /// The stable code of this error (see [`ErrorKind`](crate::ErrorKind)): what the
    /// audit trail records of a refusal.
    pub fn kind(&self) -> crate::ErrorKind {
        use crate::ErrorKind as K;
        match self {
            VaultError::Shredded => K::Shredded,
            VaultError::Expired { .. } => K::Expired,
            VaultError::RestrictedByHold { .. } => K::RestrictedByHold,
            VaultError::RestrictedByErasureException { .. } => K::RestrictedByErasureException,
            VaultError::BadErasureException { .. } => K::InvalidInput,
            VaultError::EpochSwept { .. } => K::EpochSwept,
            VaultError::EpochKeyNotFound { .. }
            | VaultError::KeyNotFound { .. }
            | VaultError::AnchorKeyNotFound { .. } => K::KeyNotFound,
            VaultError::EventInFuture { .. } => K::EventInFuture,
            VaultError::EventPeriodEnded { .. } => K::EventPeriodEnded,
            VaultError::RetentionOutOfRange => K::RetentionOutOfRange,
            VaultError::RetentionUndeclared { .. } => K::RetentionUndeclared,
            VaultError::UnderLegalHold { .. } => K::UnderLegalHold,
            VaultError::Hold(e) => e.kind(),
            VaultError::KeyRetired { .. } => K::KeyRetired,
            VaultError::WouldRetireNewestKey { .. } => K::WouldRetireNewestKey,
            VaultError::SubjectMismatch => K::SubjectMismatch,
            VaultError::Decrypt => K::Unauthentic,
            VaultError::Format(e) => e.kind(),
            VaultError::Plaintext(e) => e.kind(),
            VaultError::Key(e) => e.kind(),
            VaultError::UnknownMasterKey { .. } => K::MasterKeyInvalid,
            VaultError::Store(e) => e.kind(),
            VaultError::Audit(e) => e.kind(),
            VaultError::InvalidActor(e) => e.kind(),
            VaultError::ConsentAccessStale => K::ConsentAccessStale,
            VaultError::DoneNotRecorded(_) => K::DoneNotRecorded,
            VaultError::ConsentNotEnded(_) => K::ConsentNotEnded,
            VaultError::Internal { .. } => K::Internal,
        }
    }
}

/// What [`Operator::shred`](crate::Operator::shred) destroyed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShredReport {
    /// Subject key versions deleted from the key store.
    pub keys_destroyed: usize,
    /// Escrowed epoch shares deleted.
    pub escrows_destroyed: usize,
    /// Whether the deleted keys have also left the store's journal (the shred is
    /// committed either way; see [`JournalPurge`]).
    pub journal: JournalPurge,
}

/// What [`Operator::rewrap_keys`](crate::Operator::rewrap_keys) did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RewrapReport {
    /// Keys re-wrapped under the current master key by this call.
    pub rewrapped: usize,
    /// Whether the old wrappings have also left the store's journal.
    pub journal: JournalPurge,
}

/// What [`Operator::sweep`](crate::Operator::sweep) did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SweepReport {
    /// Epochs (days since 1970-01-01) whose keys were destroyed, ascending.
    pub epochs_destroyed: Vec<u32>,
    /// Epoch shares escrowed for subjects under legal hold.
    pub escrowed: usize,
    /// Subjects whose holds had all ended and whose escrows were destroyed.
    pub escrows_released: usize,
    /// Subjects whose anchor keys were destroyed because the period after their
    /// recorded event had passed (`docs/retention.md`, "Periods from an event").
    pub anchor_subjects_swept: usize,
    /// Kept category keys of erasure exceptions that had ended, destroyed: those
    /// erasures are now complete.
    pub exceptions_ended: usize,
    /// Erasures requested under a legal hold
    /// ([`Operator::request_erasure`](crate::Operator::request_erasure)) whose holds have
    /// ended, carried out by this sweep: their receipts, to keep.
    pub erasures_completed: Vec<crate::retention::ErasureReceipt>,
    /// Erasures still waiting for a hold to end.
    pub erasures_waiting: usize,
    /// Whether the destroyed keys have also left the store's journal.
    pub journal: JournalPurge,
}
