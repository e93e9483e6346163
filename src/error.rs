//! The stable, machine-readable codes every error of the crate reports through its
//! `kind()`: what an HTTP layer maps to a status and what the audit trail records of a
//! refusal (never the message, which may be reworded).

use std::fmt;
use std::sync::Arc;

/// What went wrong, as a stable code. Every error type of the crate has
/// `fn kind(&self) -> ErrorKind`.
///
/// The codes ([`ErrorKind::code`]) are **stable**: a code once released keeps its
/// spelling and meaning, the audit trail stores it, and new codes may be added (the
/// enum is `#[non_exhaustive]`). Messages (`Display`) are for people and may be
/// reworded in any release. The table, with what to do and a suggested HTTP status for
/// a service, is in [`manual::errors`](crate::manual::errors) (`docs/errors.md`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum ErrorKind {
    /// `shredded`: the subject's keys were destroyed; their data never opens again.
    Shredded,
    /// `erased`: the subject was erased; nothing about them is recorded any more.
    Erased,
    /// `expired`: the value's retention period ended.
    Expired,
    /// `key_retired`: the value is under a retired key version; use its resealed copy.
    KeyRetired,
    /// `restricted_by_hold`: kept only under a legal hold, for other purposes.
    RestrictedByHold,
    /// `restricted_by_erasure_exception`: kept only under an erasure exception, for
    /// another purpose.
    RestrictedByErasureException,
    /// `subject_mismatch`: the access or value is for another data subject.
    SubjectMismatch,
    /// `under_legal_hold`: a legal hold binds the subject; it cannot be erased now.
    UnderLegalHold,
    /// `would_retire_newest_key`: retiring would destroy the key new values use.
    WouldRetireNewestKey,
    /// `hold_not_found`: no legal hold has this id.
    HoldNotFound,
    /// `hold_already_released`: the legal hold was released before.
    HoldAlreadyReleased,
    /// `consent_never_given`: no consent was recorded for the purpose.
    ConsentNeverGiven,
    /// `consent_withdrawn`: the subject withdrew consent.
    ConsentWithdrawn,
    /// `consent_expired`: the consent lapsed.
    ConsentExpired,
    /// `consent_stale_notice`: consent was given to an older notice than required.
    ConsentStaleNotice,
    /// `consent_not_yet_in_force`: the consent takes effect later.
    ConsentNotYetInForce,
    /// `consent_unconfirmed`: a double opt-in consent is not confirmed yet.
    ConsentUnconfirmed,
    /// `consent_purpose_changed`: the purpose's declaration widened since consent.
    ConsentPurposeChanged,
    /// `consent_access_stale`: a consent access was checked too long ago (or ahead of
    /// the vault's clock); get a new one from the ledger.
    ConsentAccessStale,
    /// `not_permitted`: the actor may not take this role.
    NotPermitted,
    /// `invalid_input`: an argument was refused (an id, a reference, a reason, a
    /// name, evidence, a date, an erasure exception); nothing was done.
    InvalidInput,
    /// `retention_undeclared`: no retention is declared for the category.
    RetentionUndeclared,
    /// `retention_out_of_range`: collection time plus retention is out of range.
    RetentionOutOfRange,
    /// `epoch_swept`: the value would expire in an epoch already swept (clock behind).
    EpochSwept,
    /// `unauthentic`: the sealed value failed authentication (altered, moved, or
    /// sealed under another key or context).
    Unauthentic,
    /// `malformed`: the bytes are not a sealed value.
    Malformed,
    /// `wrong_type`: the decrypted value is not of the expected type.
    WrongType,
    /// `unencodable`: the value could not be encoded, so nothing was sealed.
    Unencodable,
    /// `key_not_found`: the key store lacks a key the value needs (another store?).
    KeyNotFound,
    /// `master_key_invalid`: a master key is wrong, unknown to the vault, or faulty.
    MasterKeyInvalid,
    /// `key_service_unavailable`: a remote key service failed.
    KeyServiceUnavailable,
    /// `random_unavailable`: the system random number generator failed.
    RandomUnavailable,
    /// `store_unavailable`: the store failed (I/O, locking, a panicked thread).
    StoreUnavailable,
    /// `store_incompatible`: the store file cannot be used by this build (damaged,
    /// newer, foreign, wrong journal mode, or an operation the store lacks).
    StoreIncompatible,
    /// `tampered`: stored evidence, holds, tombstones or the audit trail do not
    /// verify.
    Tampered,
    /// `retry`: a concurrent change got in the way; nothing was done; run it again.
    Retry,
    /// `audit_unavailable`: the audit sink failed, so the action was refused.
    AuditUnavailable,
    /// `misconfigured`: the library was set up in a way that cannot work (an
    /// unreadable or unshareable sink, an unregistered notice, a bad signing key).
    Misconfigured,
    /// `consent_not_ended`: keys were destroyed but consents not ended; run the
    /// erasure again.
    ConsentNotEnded,
    /// `subject_ref_required`: a subject key reached a store without its subject
    /// reference; a bug in the caller of the key store (or its backend), not in the
    /// data.
    SubjectRefRequired,
    /// `event_in_future`: an event a retention period runs from was recorded with a
    /// time after now; record it when it has happened.
    EventInFuture,
    /// `event_period_ended`: the period after the subject's recorded event has run
    /// out, so a value kept for it cannot be sealed; record the new event first.
    EventPeriodEnded,
    /// `done_not_recorded`: an operator's act was done (committed), but its audit
    /// event could not be recorded; repair the sink and record the act by hand.
    DoneNotRecorded,
    /// `internal`: a step inside an operation failed in a way that operation cannot
    /// report; it was refused (fail closed); a bug to report, with the error's
    /// `Debug`, which names the step's own code.
    Internal,
}

impl ErrorKind {
    /// Every kind, in declaration order.
    pub const ALL: &'static [ErrorKind] = &[
        ErrorKind::Shredded,
        ErrorKind::Erased,
        ErrorKind::Expired,
        ErrorKind::KeyRetired,
        ErrorKind::RestrictedByHold,
        ErrorKind::RestrictedByErasureException,
        ErrorKind::SubjectMismatch,
        ErrorKind::UnderLegalHold,
        ErrorKind::WouldRetireNewestKey,
        ErrorKind::HoldNotFound,
        ErrorKind::HoldAlreadyReleased,
        ErrorKind::ConsentNeverGiven,
        ErrorKind::ConsentWithdrawn,
        ErrorKind::ConsentExpired,
        ErrorKind::ConsentStaleNotice,
        ErrorKind::ConsentNotYetInForce,
        ErrorKind::ConsentUnconfirmed,
        ErrorKind::ConsentPurposeChanged,
        ErrorKind::NotPermitted,
        ErrorKind::InvalidInput,
        ErrorKind::RetentionUndeclared,
        ErrorKind::RetentionOutOfRange,
        ErrorKind::EpochSwept,
        ErrorKind::Unauthentic,
        ErrorKind::Malformed,
        ErrorKind::WrongType,
        ErrorKind::Unencodable,
        ErrorKind::KeyNotFound,
        ErrorKind::MasterKeyInvalid,
        ErrorKind::KeyServiceUnavailable,
        ErrorKind::RandomUnavailable,
        ErrorKind::StoreUnavailable,
        ErrorKind::StoreIncompatible,
        ErrorKind::Tampered,
        ErrorKind::Retry,
        ErrorKind::AuditUnavailable,
        ErrorKind::Misconfigured,
        ErrorKind::ConsentNotEnded,
        ErrorKind::SubjectRefRequired,
        ErrorKind::EventInFuture,
        ErrorKind::EventPeriodEnded,
        ErrorKind::DoneNotRecorded,
        ErrorKind::ConsentAccessStale,
        ErrorKind::Internal,
    ];

    /// The stable code: lowercase ASCII words joined by `_`.
    pub const fn code(self) -> &'static str {
        match self {
            ErrorKind::Shredded => "shredded",
            ErrorKind::Erased => "erased",
            ErrorKind::Expired => "expired",
            ErrorKind::KeyRetired => "key_retired",
            ErrorKind::RestrictedByHold => "restricted_by_hold",
            ErrorKind::RestrictedByErasureException => "restricted_by_erasure_exception",
            ErrorKind::SubjectMismatch => "subject_mismatch",
            ErrorKind::UnderLegalHold => "under_legal_hold",
            ErrorKind::WouldRetireNewestKey => "would_retire_newest_key",
            ErrorKind::HoldNotFound => "hold_not_found",
            ErrorKind::HoldAlreadyReleased => "hold_already_released",
            ErrorKind::ConsentNeverGiven => "consent_never_given",
            ErrorKind::ConsentWithdrawn => "consent_withdrawn",
            ErrorKind::ConsentExpired => "consent_expired",
            ErrorKind::ConsentStaleNotice => "consent_stale_notice",
            ErrorKind::ConsentNotYetInForce => "consent_not_yet_in_force",
            ErrorKind::ConsentUnconfirmed => "consent_unconfirmed",
            ErrorKind::ConsentPurposeChanged => "consent_purpose_changed",
            ErrorKind::NotPermitted => "not_permitted",
            ErrorKind::InvalidInput => "invalid_input",
            ErrorKind::RetentionUndeclared => "retention_undeclared",
            ErrorKind::RetentionOutOfRange => "retention_out_of_range",
            ErrorKind::EpochSwept => "epoch_swept",
            ErrorKind::Unauthentic => "unauthentic",
            ErrorKind::Malformed => "malformed",
            ErrorKind::WrongType => "wrong_type",
            ErrorKind::Unencodable => "unencodable",
            ErrorKind::KeyNotFound => "key_not_found",
            ErrorKind::MasterKeyInvalid => "master_key_invalid",
            ErrorKind::KeyServiceUnavailable => "key_service_unavailable",
            ErrorKind::RandomUnavailable => "random_unavailable",
            ErrorKind::StoreUnavailable => "store_unavailable",
            ErrorKind::StoreIncompatible => "store_incompatible",
            ErrorKind::Tampered => "tampered",
            ErrorKind::Retry => "retry",
            ErrorKind::AuditUnavailable => "audit_unavailable",
            ErrorKind::Misconfigured => "misconfigured",
            ErrorKind::ConsentNotEnded => "consent_not_ended",
            ErrorKind::SubjectRefRequired => "subject_ref_required",
            ErrorKind::EventInFuture => "event_in_future",
            ErrorKind::EventPeriodEnded => "event_period_ended",
            ErrorKind::DoneNotRecorded => "done_not_recorded",
            ErrorKind::ConsentAccessStale => "consent_access_stale",
            ErrorKind::Internal => "internal",
        }
    }

    /// The kind of a stable code; `None` for a code this build does not know (one a
    /// newer custodian wrote).
    pub fn from_code(code: &str) -> Option<ErrorKind> {
        ErrorKind::ALL.iter().copied().find(|k| k.code() == code)
    }

    /// A suggested HTTP status for a service that reports this kind to its client
    /// (the table in [`manual::errors`](crate::manual::errors) says why).
    pub const fn http_status(self) -> u16 {
        match self {
            ErrorKind::Shredded
            | ErrorKind::Erased
            | ErrorKind::Expired
            | ErrorKind::KeyRetired
            | ErrorKind::EventPeriodEnded => 410,
            ErrorKind::RestrictedByHold
            | ErrorKind::RestrictedByErasureException
            | ErrorKind::SubjectMismatch
            | ErrorKind::ConsentNeverGiven
            | ErrorKind::ConsentWithdrawn
            | ErrorKind::ConsentExpired
            | ErrorKind::ConsentStaleNotice
            | ErrorKind::ConsentNotYetInForce
            | ErrorKind::ConsentUnconfirmed
            | ErrorKind::ConsentPurposeChanged
            | ErrorKind::ConsentAccessStale
            | ErrorKind::NotPermitted => 403,
            ErrorKind::HoldNotFound => 404,
            ErrorKind::UnderLegalHold
            | ErrorKind::WouldRetireNewestKey
            | ErrorKind::HoldAlreadyReleased => 409,
            ErrorKind::InvalidInput => 400,
            ErrorKind::RetentionOutOfRange | ErrorKind::Unencodable | ErrorKind::EventInFuture => {
                422
            }
            ErrorKind::KeyServiceUnavailable
            | ErrorKind::RandomUnavailable
            | ErrorKind::StoreUnavailable
            | ErrorKind::Retry
            | ErrorKind::AuditUnavailable => 503,
            ErrorKind::RetentionUndeclared
            | ErrorKind::EpochSwept
            | ErrorKind::Unauthentic
            | ErrorKind::Malformed
            | ErrorKind::WrongType
            | ErrorKind::KeyNotFound
            | ErrorKind::MasterKeyInvalid
            | ErrorKind::StoreIncompatible
            | ErrorKind::Tampered
            | ErrorKind::Misconfigured
            | ErrorKind::ConsentNotEnded
            | ErrorKind::SubjectRefRequired
            | ErrorKind::DoneNotRecorded
            | ErrorKind::Internal => 500,
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A backend's own error (a KMS SDK's, a database driver's, an I/O error), kept as the
/// `source()` of custodian's error so that its caller can downcast it back.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// A backend's own error (an I/O error, a database driver's, a key service SDK's),
/// carried as the [`source()`](std::error::Error::source) of custodian's error: its
/// caller downcasts it back (`err.source()?.downcast_ref::<MyError>()`).
///
/// Shared, not copied, by clones of the error that carries it (a failed group commit
/// reports one error to every append it carried). Two causes are equal only if they
/// are the same error (not two errors with the same message).
#[derive(Clone)]
pub struct Cause(Arc<dyn std::error::Error + Send + Sync + 'static>);

impl Cause {
    /// Keeps `error` as a cause. A `String` or `&str` becomes an error with that message.
    pub fn new(error: impl Into<BoxError>) -> Self {
        Cause(Arc::from(error.into()))
    }

    /// The error itself, to downcast.
    pub fn get(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
        &*self.0
    }
}

// Deliberately not `std::error::Error`: thiserror's `#[source]` then derefs to the
// backend's error itself, so `source()` is the backend's error, not a wrapper of it.
impl std::ops::Deref for Cause {
    type Target = dyn std::error::Error + Send + Sync + 'static;

    fn deref(&self) -> &Self::Target {
        &*self.0
    }
}

impl fmt::Debug for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&*self.0, f)
    }
}

impl PartialEq for Cause {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for Cause {}
