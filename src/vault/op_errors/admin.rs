//! The error of the operator's handle.

use crate::audit::AuditError;
use crate::keys::KeyError;
use crate::retention::HoldError;
use crate::retention::HoldId;
use crate::store::StoreError;
use crate::vault::VaultError;
use chrono::{DateTime, Utc};

/// Why an [`Operator`](crate::Operator) operation (erasure, shred, holds, sweep,
/// rotation, re-wrap, export record) failed: one type for the operator's handle, as
/// an administrative caller matches on few of these (`UnderLegalHold`, `Hold`) and
/// reports the rest by [`kind`](Self::kind). Never contains a personal value.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AdminError {
    /// The subject's keys were shredded: this value can never be opened again, and
    /// nothing new is sealed for the subject.
    #[error(
        "the data subject's keys were shredded (erased): their data can no longer be opened or sealed"
    )]
    Shredded,
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
    /// An erasure exception passed to [`Operator::erase_with`](crate::Operator::erase_with)
    /// cannot be honoured; nothing was erased.
    #[error("erasure exception refused: {reason}; nothing was erased")]
    BadErasureException {
        /// Why: an empty law reference, an end in the past, a category listed twice.
        reason: &'static str,
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
    /// Collection time plus retention does not fit the format (past the year 262,000),
    /// or the clock is before 1970.
    #[error(
        "the retention period, added to the collection time, is out of range (or the clock is before 1970)"
    )]
    RetentionOutOfRange,
    /// The key store has no key for the value's retention epoch, which was not swept:
    /// the value was sealed against another key store.
    #[error(
        "the key store has no key for retention epoch {epoch}: was the value sealed with another key store?"
    )]
    EpochKeyNotFound {
        /// The epoch (days since 1970-01-01).
        epoch: u32,
    },
    /// An event was recorded with a time after now: record it when it has happened.
    #[error(
        "an anchor event cannot be recorded for a time after now: record {anchor} when it has happened"
    )]
    EventInFuture {
        /// The event.
        anchor: crate::retention::Anchor,
    },
    /// The key store has no such key version for the subject, and the subject was not
    /// shredded: the value was sealed against another key store.
    #[error(
        "the key store has no key version {version} for this data subject: was the value sealed with another key store?"
    )]
    KeyNotFound {
        /// The key version named in the value's header.
        version: u32,
    },
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
    /// A step inside the vault failed in a way an administrative operation cannot report (a bug in
    /// custodian): it was refused, fail closed. Its code is
    /// [`ErrorKind::Internal`](crate::ErrorKind::Internal); `unexpected` is the step's own.
    #[error(
        "an internal step failed with `{unexpected}`, which an administrative operation cannot report: it was refused; report this as a bug"
    )]
    Internal {
        /// The code of the error the step returned.
        unexpected: crate::ErrorKind,
    },
}

impl AdminError {
    /// The stable code of this error (see [`ErrorKind`](crate::ErrorKind)).
    pub fn kind(&self) -> crate::ErrorKind {
        use crate::ErrorKind as K;
        match self {
            AdminError::Shredded => K::Shredded,
            AdminError::UnderLegalHold { .. } => K::UnderLegalHold,
            AdminError::Hold(e) => e.kind(),
            AdminError::BadErasureException { .. } => K::InvalidInput,
            AdminError::WouldRetireNewestKey { .. } => K::WouldRetireNewestKey,
            AdminError::RetentionOutOfRange => K::RetentionOutOfRange,
            AdminError::EpochKeyNotFound { .. } => K::KeyNotFound,
            AdminError::EventInFuture { .. } => K::EventInFuture,
            AdminError::KeyNotFound { .. } => K::KeyNotFound,
            AdminError::Key(e) => e.kind(),
            AdminError::UnknownMasterKey { .. } => K::MasterKeyInvalid,
            AdminError::Store(e) => e.kind(),
            AdminError::Audit(e) => e.kind(),
            AdminError::InvalidActor(e) => e.kind(),
            AdminError::DoneNotRecorded(_) => K::DoneNotRecorded,
            AdminError::ConsentNotEnded(_) => K::ConsentNotEnded,
            AdminError::Internal { .. } => K::Internal,
        }
    }

    /// The error of a step inside the vault, as this operation reports it.
    pub(crate) fn narrow(e: VaultError) -> Self {
        match e {
            VaultError::Shredded => AdminError::Shredded,
            VaultError::UnderLegalHold {
                hold,
                reason,
                until,
            } => AdminError::UnderLegalHold {
                hold,
                reason,
                until,
            },
            VaultError::Hold(e) => AdminError::Hold(e),
            VaultError::BadErasureException { reason } => {
                AdminError::BadErasureException { reason }
            }
            VaultError::WouldRetireNewestKey { below, newest } => {
                AdminError::WouldRetireNewestKey { below, newest }
            }
            VaultError::RetentionOutOfRange => AdminError::RetentionOutOfRange,
            VaultError::EpochKeyNotFound { epoch } => AdminError::EpochKeyNotFound { epoch },
            VaultError::EventInFuture { anchor } => AdminError::EventInFuture { anchor },
            VaultError::KeyNotFound { version } => AdminError::KeyNotFound { version },
            VaultError::Key(e) => AdminError::Key(e),
            VaultError::UnknownMasterKey { master_id } => {
                AdminError::UnknownMasterKey { master_id }
            }
            VaultError::Store(e) => AdminError::Store(e),
            VaultError::Audit(e) => AdminError::Audit(e),
            VaultError::InvalidActor(e) => AdminError::InvalidActor(e),
            VaultError::DoneNotRecorded(e) => AdminError::DoneNotRecorded(e),
            VaultError::ConsentNotEnded(e) => AdminError::ConsentNotEnded(e),
            VaultError::Internal { unexpected } => AdminError::Internal { unexpected },
            // A step's error this operation cannot meet: refused, fail closed, under
            // its own code, never a panic (a test drives it).
            other => AdminError::Internal {
                unexpected: other.kind(),
            },
        }
    }
}

impl From<AdminError> for VaultError {
    fn from(e: AdminError) -> Self {
        match e {
            AdminError::Shredded => VaultError::Shredded,
            AdminError::UnderLegalHold {
                hold,
                reason,
                until,
            } => VaultError::UnderLegalHold {
                hold,
                reason,
                until,
            },
            AdminError::Hold(e) => VaultError::Hold(e),
            AdminError::BadErasureException { reason } => {
                VaultError::BadErasureException { reason }
            }
            AdminError::WouldRetireNewestKey { below, newest } => {
                VaultError::WouldRetireNewestKey { below, newest }
            }
            AdminError::RetentionOutOfRange => VaultError::RetentionOutOfRange,
            AdminError::EpochKeyNotFound { epoch } => VaultError::EpochKeyNotFound { epoch },
            AdminError::EventInFuture { anchor } => VaultError::EventInFuture { anchor },
            AdminError::KeyNotFound { version } => VaultError::KeyNotFound { version },
            AdminError::Key(e) => VaultError::Key(e),
            AdminError::UnknownMasterKey { master_id } => {
                VaultError::UnknownMasterKey { master_id }
            }
            AdminError::Store(e) => VaultError::Store(e),
            AdminError::Audit(e) => VaultError::Audit(e),
            AdminError::InvalidActor(e) => VaultError::InvalidActor(e),
            AdminError::DoneNotRecorded(e) => VaultError::DoneNotRecorded(e),
            AdminError::ConsentNotEnded(e) => VaultError::ConsentNotEnded(e),
            AdminError::Internal { unexpected } => VaultError::Internal { unexpected },
        }
    }
}
