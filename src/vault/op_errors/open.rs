//! The error of an open.

use crate::audit::AuditError;
use crate::format::FormatError;
use crate::keys::KeyError;
use crate::plaintext::PlaintextError;
use crate::store::StoreError;
use crate::vault::VaultError;
use chrono::{DateTime, Utc};

/// Why [`Vault::open`](crate::Vault::open) (or a derived record's `open`) gave no
/// plaintext: only what an open can meet (an open is never `UnderLegalHold`: a hold
/// keeps data, it refuses erasures). Never contains a personal value. Its stable
/// code is [`kind`](Self::kind).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
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
    /// The key store has no key for the value's retention epoch, which was not swept:
    /// the value was sealed against another key store.
    #[error(
        "the key store has no key for retention epoch {epoch}: was the value sealed with another key store?"
    )]
    EpochKeyNotFound {
        /// The epoch (days since 1970-01-01).
        epoch: u32,
    },
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
    /// A step inside the vault failed in a way an open cannot report (a bug in
    /// custodian): it was refused, fail closed. Its code is
    /// [`ErrorKind::Internal`](crate::ErrorKind::Internal); `unexpected` is the step's own.
    #[error(
        "an internal step failed with `{unexpected}`, which an open cannot report: nothing was opened; report this as a bug"
    )]
    Internal {
        /// The code of the error the step returned.
        unexpected: crate::ErrorKind,
    },
}

impl OpenError {
    /// The stable code of this error (see [`ErrorKind`](crate::ErrorKind)).
    pub fn kind(&self) -> crate::ErrorKind {
        use crate::ErrorKind as K;
        match self {
            OpenError::Shredded => K::Shredded,
            OpenError::Expired { .. } => K::Expired,
            OpenError::RestrictedByHold { .. } => K::RestrictedByHold,
            OpenError::RestrictedByErasureException { .. } => K::RestrictedByErasureException,
            OpenError::EpochKeyNotFound { .. } => K::KeyNotFound,
            OpenError::AnchorKeyNotFound { .. } => K::KeyNotFound,
            OpenError::KeyNotFound { .. } => K::KeyNotFound,
            OpenError::KeyRetired { .. } => K::KeyRetired,
            OpenError::SubjectMismatch => K::SubjectMismatch,
            OpenError::Decrypt => K::Unauthentic,
            OpenError::Format(e) => e.kind(),
            OpenError::Plaintext(e) => e.kind(),
            OpenError::Key(e) => e.kind(),
            OpenError::UnknownMasterKey { .. } => K::MasterKeyInvalid,
            OpenError::Store(e) => e.kind(),
            OpenError::Audit(e) => e.kind(),
            OpenError::InvalidActor(e) => e.kind(),
            OpenError::ConsentAccessStale => K::ConsentAccessStale,
            OpenError::Internal { .. } => K::Internal,
        }
    }

    /// The error of a step inside the vault, as this operation reports it.
    pub(crate) fn narrow(e: VaultError) -> Self {
        match e {
            VaultError::Shredded => OpenError::Shredded,
            VaultError::Expired { at } => OpenError::Expired { at },
            VaultError::RestrictedByHold {
                at,
                purpose,
                category,
                held_for,
            } => OpenError::RestrictedByHold {
                at,
                purpose,
                category,
                held_for,
            },
            VaultError::RestrictedByErasureException {
                purpose,
                category,
                kept_for,
                law,
                until,
            } => OpenError::RestrictedByErasureException {
                purpose,
                category,
                kept_for,
                law,
                until,
            },
            VaultError::EpochKeyNotFound { epoch } => OpenError::EpochKeyNotFound { epoch },
            VaultError::AnchorKeyNotFound { anchor } => OpenError::AnchorKeyNotFound { anchor },
            VaultError::KeyNotFound { version } => OpenError::KeyNotFound { version },
            VaultError::KeyRetired { version } => OpenError::KeyRetired { version },
            VaultError::SubjectMismatch => OpenError::SubjectMismatch,
            VaultError::Decrypt => OpenError::Decrypt,
            VaultError::Format(e) => OpenError::Format(e),
            VaultError::Plaintext(e) => OpenError::Plaintext(e),
            VaultError::Key(e) => OpenError::Key(e),
            VaultError::UnknownMasterKey { master_id } => OpenError::UnknownMasterKey { master_id },
            VaultError::Store(e) => OpenError::Store(e),
            VaultError::Audit(e) => OpenError::Audit(e),
            VaultError::InvalidActor(e) => OpenError::InvalidActor(e),
            VaultError::ConsentAccessStale => OpenError::ConsentAccessStale,
            VaultError::Internal { unexpected } => OpenError::Internal { unexpected },
            // A step's error this operation cannot meet: refused, fail closed, under
            // its own code, never a panic (a test drives it).
            other => OpenError::Internal {
                unexpected: other.kind(),
            },
        }
    }
}

impl From<OpenError> for VaultError {
    fn from(e: OpenError) -> Self {
        match e {
            OpenError::Shredded => VaultError::Shredded,
            OpenError::Expired { at } => VaultError::Expired { at },
            OpenError::RestrictedByHold {
                at,
                purpose,
                category,
                held_for,
            } => VaultError::RestrictedByHold {
                at,
                purpose,
                category,
                held_for,
            },
            OpenError::RestrictedByErasureException {
                purpose,
                category,
                kept_for,
                law,
                until,
            } => VaultError::RestrictedByErasureException {
                purpose,
                category,
                kept_for,
                law,
                until,
            },
            OpenError::EpochKeyNotFound { epoch } => VaultError::EpochKeyNotFound { epoch },
            OpenError::AnchorKeyNotFound { anchor } => VaultError::AnchorKeyNotFound { anchor },
            OpenError::KeyNotFound { version } => VaultError::KeyNotFound { version },
            OpenError::KeyRetired { version } => VaultError::KeyRetired { version },
            OpenError::SubjectMismatch => VaultError::SubjectMismatch,
            OpenError::Decrypt => VaultError::Decrypt,
            OpenError::Format(e) => VaultError::Format(e),
            OpenError::Plaintext(e) => VaultError::Plaintext(e),
            OpenError::Key(e) => VaultError::Key(e),
            OpenError::UnknownMasterKey { master_id } => VaultError::UnknownMasterKey { master_id },
            OpenError::Store(e) => VaultError::Store(e),
            OpenError::Audit(e) => VaultError::Audit(e),
            OpenError::InvalidActor(e) => VaultError::InvalidActor(e),
            OpenError::ConsentAccessStale => VaultError::ConsentAccessStale,
            OpenError::Internal { unexpected } => VaultError::Internal { unexpected },
        }
    }
}
