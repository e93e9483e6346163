//! The error of a seal.

use crate::format::FormatError;
use crate::keys::KeyError;
use crate::plaintext::PlaintextError;
use crate::store::StoreError;
use crate::vault::VaultError;

/// Why [`Vault::seal`](crate::Vault::seal) (or a derived record's `seal`) failed:
/// only what a seal can meet, so matching on it needs no arm for refusals of other
/// operations (a seal is never `Expired` nor `UnderLegalHold`). Never contains a
/// personal value. Its stable code is [`kind`](Self::kind).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SealError {
    /// The subject's keys were shredded: this value can never be opened again, and
    /// nothing new is sealed for the subject.
    #[error(
        "the data subject's keys were shredded (erased): their data can no longer be opened or sealed"
    )]
    Shredded,
    /// The value would expire in a retention epoch that a sweep already destroyed: the
    /// vault's clock is behind the clock of the sweep.
    #[error(
        "a value expiring on UTC day {epoch} (days since 1970) cannot be sealed: that day's key was already swept; check the clock"
    )]
    EpochSwept {
        /// The epoch (days since 1970-01-01).
        epoch: u32,
    },
    /// Collection time plus retention does not fit the format (past the year 262,000),
    /// or the clock is before 1970.
    #[error(
        "the retention period, added to the collection time, is out of range (or the clock is before 1970)"
    )]
    RetentionOutOfRange,
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
        at: chrono::DateTime<chrono::Utc>,
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
    /// The access is for another subject than the one the value was sealed for: the
    /// value was copied from another subject's record, or the wrong access was used.
    #[error(
        "the sealed value belongs to another data subject than the access: it was copied from another subject's record, or the access is for the wrong subject"
    )]
    SubjectMismatch,
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
    /// A step inside the vault failed in a way a seal cannot report (a bug in
    /// custodian): it was refused, fail closed. Its code is
    /// [`ErrorKind::Internal`](crate::ErrorKind::Internal); `unexpected` is the step's own.
    #[error(
        "an internal step failed with `{unexpected}`, which a seal cannot report: nothing was sealed; report this as a bug"
    )]
    Internal {
        /// The code of the error the step returned.
        unexpected: crate::ErrorKind,
    },
}

impl SealError {
    /// The stable code of this error (see [`ErrorKind`](crate::ErrorKind)).
    pub fn kind(&self) -> crate::ErrorKind {
        use crate::ErrorKind as K;
        match self {
            SealError::Shredded => K::Shredded,
            SealError::EpochSwept { .. } => K::EpochSwept,
            SealError::RetentionOutOfRange => K::RetentionOutOfRange,
            SealError::EventPeriodEnded { .. } => K::EventPeriodEnded,
            SealError::RetentionUndeclared { .. } => K::RetentionUndeclared,
            SealError::SubjectMismatch => K::SubjectMismatch,
            SealError::Format(e) => e.kind(),
            SealError::Plaintext(e) => e.kind(),
            SealError::Key(e) => e.kind(),
            SealError::UnknownMasterKey { .. } => K::MasterKeyInvalid,
            SealError::Store(e) => e.kind(),
            SealError::Internal { .. } => K::Internal,
        }
    }

    /// The error of a step inside the vault, as this operation reports it.
    pub(crate) fn narrow(e: VaultError) -> Self {
        match e {
            VaultError::Shredded => SealError::Shredded,
            VaultError::EpochSwept { epoch } => SealError::EpochSwept { epoch },
            VaultError::EventPeriodEnded { anchor, at } => {
                SealError::EventPeriodEnded { anchor, at }
            }
            VaultError::RetentionOutOfRange => SealError::RetentionOutOfRange,
            VaultError::RetentionUndeclared { category } => {
                SealError::RetentionUndeclared { category }
            }
            VaultError::SubjectMismatch => SealError::SubjectMismatch,
            VaultError::Format(e) => SealError::Format(e),
            VaultError::Plaintext(e) => SealError::Plaintext(e),
            VaultError::Key(e) => SealError::Key(e),
            VaultError::UnknownMasterKey { master_id } => SealError::UnknownMasterKey { master_id },
            VaultError::Store(e) => SealError::Store(e),
            VaultError::Internal { unexpected } => SealError::Internal { unexpected },
            // A step's error this operation cannot meet: refused, fail closed, under
            // its own code, never a panic (a test drives it).
            other => SealError::Internal {
                unexpected: other.kind(),
            },
        }
    }
}

impl From<SealError> for VaultError {
    fn from(e: SealError) -> Self {
        match e {
            SealError::Shredded => VaultError::Shredded,
            SealError::EpochSwept { epoch } => VaultError::EpochSwept { epoch },
            SealError::EventPeriodEnded { anchor, at } => {
                VaultError::EventPeriodEnded { anchor, at }
            }
            SealError::RetentionOutOfRange => VaultError::RetentionOutOfRange,
            SealError::RetentionUndeclared { category } => {
                VaultError::RetentionUndeclared { category }
            }
            SealError::SubjectMismatch => VaultError::SubjectMismatch,
            SealError::Format(e) => VaultError::Format(e),
            SealError::Plaintext(e) => VaultError::Plaintext(e),
            SealError::Key(e) => VaultError::Key(e),
            SealError::UnknownMasterKey { master_id } => VaultError::UnknownMasterKey { master_id },
            SealError::Store(e) => VaultError::Store(e),
            SealError::Internal { unexpected } => VaultError::Internal { unexpected },
        }
    }
}
