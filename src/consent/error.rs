//! Why consent does not allow processing, or why evidence was refused.

use chrono::{DateTime, Utc};

use crate::audit::AuditError;
use crate::store::StoreError;

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
    /// The evidence passed to [`ConsentLedger::give`](super::ConsentLedger::give) cannot be valid.
    #[error("consent evidence for purpose `{purpose}` refused: {reason}")]
    InvalidEvidence {
        /// The purpose.
        purpose: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The event is dated further in the future than the ledger's clock allows
    /// ([`MAX_CLOCK_SKEW`](super::MAX_CLOCK_SKEW)): evidence is recorded when it happens, not ahead of time.
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
    /// The purpose's declaration changed since the consent was given: it now uses a
    /// category, a condition or children's data the consent did not cover
    /// ([`PurposeScope`](super::PurposeScope)).
    #[error(
        "the declaration of purpose `{purpose}` changed since this consent was given (it now uses {uses}): stop processing for it; ask for consent to the new declaration, with a notice that describes it, where the data subject uses your service"
    )]
    PurposeChanged {
        /// The purpose.
        purpose: &'static str,
        /// What the current declaration uses that the consent did not cover.
        uses: String,
    },
    /// An [`EvidenceKey`](super::EvidenceKey) of the wrong length was supplied.
    #[error("an evidence key is 32 bytes, got {len}")]
    BadEvidenceKey {
        /// The length supplied.
        len: usize,
    },
    /// The operating system's random number generator failed.
    #[error("the system random number generator failed; no evidence key could be made")]
    Random,
    /// The data subject was erased: their consents ended with the erasure, and no
    /// evidence about them is recorded any more.
    #[error(
        "the data subject was erased: consent to purpose `{purpose}` ended with the erasure and cannot be given, withdrawn or confirmed again; a returning person needs a new subject id"
    )]
    Erased {
        /// The purpose asked about.
        purpose: &'static str,
    },
    /// The notice is not registered for the purpose (`give` checks that the notice
    /// belongs to it).
    #[error(
        "notice `{notice}` version {version} is not registered for purpose `{purpose}`: register its exact text with ConsentLedger::register_notice::<{purpose}> before asking for consent with it"
    )]
    NoticeNotRegistered {
        /// The purpose.
        purpose: &'static str,
        /// The notice id.
        notice: String,
        /// Its version.
        version: u32,
    },
    /// The notice's text differs from the text registered under its id and version.
    #[error(
        "notice `{notice}` version {version} for purpose `{purpose}` was registered with another text: a changed text needs a new version"
    )]
    NoticeTextDiffers {
        /// The purpose.
        purpose: &'static str,
        /// The notice id.
        notice: String,
        /// Its version.
        version: u32,
    },
    /// Evidence dated further back than [`MAX_LATE_EVIDENCE`](super::MAX_LATE_EVIDENCE) was offered to
    /// [`ConsentLedger::give_at`](super::ConsentLedger::give_at).
    #[error(
        "consent to purpose `{purpose}` dated {at} is older than the {max_days} days the ledger accepts late evidence for: ask the data subject again"
    )]
    TooLate {
        /// The purpose.
        purpose: &'static str,
        /// The event's date.
        at: DateTime<Utc>,
        /// The limit, in days.
        max_days: i64,
    },
    /// A double opt-in consent whose confirmation has not been recorded.
    #[error(
        "consent to purpose `{purpose}` was given by double opt-in and is not confirmed yet: wait for the confirmation (ConsentLedger::confirm)"
    )]
    Unconfirmed {
        /// The purpose.
        purpose: &'static str,
    },
    /// A confirmation for which no unconfirmed double opt-in consent is in force.
    #[error(
        "there is no unconfirmed double opt-in consent to purpose `{purpose}` to confirm: ask for consent first"
    )]
    NothingToConfirm {
        /// The purpose.
        purpose: &'static str,
    },
    /// A reference (a form or recording reference, the reason of an evidence read) is
    /// empty, too long, not printable ASCII or holds an `@`.
    #[error(
        "the {what} must be 1 to 200 printable ASCII characters without `@` (a reference, never personal data)"
    )]
    BadReference {
        /// Which reference.
        what: &'static str,
    },
    /// Kept evidence was asked for through a ledger that cannot audit the read.
    #[error(
        "kept consent evidence is read only through an audited ledger (ConsentLedger::audited): every read is recorded"
    )]
    NotAudited,
    /// An evidence role was asked for by an actor other than a staff member.
    #[error(
        "the evidence role is taken by a named staff member, not a service or the data subject"
    )]
    NotStaff,
    /// The store failed, or its evidence does not authenticate
    /// ([`StoreError::Tampered`]); nothing was decided.
    #[error("the consent store failed: {0}")]
    Store(#[from] StoreError),
    /// The consent event was stored, but its audit event could not be recorded:
    /// repair the audit sink; the ledger itself is up to date.
    #[error("the consent was recorded, but its audit event could not be: {0}")]
    Audit(#[from] AuditError),
}

impl ConsentError {
    /// The stable code of this error (see [`ErrorKind`](crate::ErrorKind)).
    pub fn kind(&self) -> crate::ErrorKind {
        use crate::ErrorKind as K;
        match self {
            ConsentError::NeverGiven { .. } => K::ConsentNeverGiven,
            ConsentError::Withdrawn { .. } => K::ConsentWithdrawn,
            ConsentError::Expired { .. } => K::ConsentExpired,
            ConsentError::StaleNotice { .. } => K::ConsentStaleNotice,
            ConsentError::NotYetInForce { .. } => K::ConsentNotYetInForce,
            ConsentError::PurposeChanged { .. } => K::ConsentPurposeChanged,
            ConsentError::Unconfirmed { .. } => K::ConsentUnconfirmed,
            ConsentError::Erased { .. } => K::Erased,
            ConsentError::InvalidEvidence { .. }
            | ConsentError::FromTheFuture { .. }
            | ConsentError::TooLate { .. }
            | ConsentError::NoticeTextDiffers { .. }
            | ConsentError::NothingToConfirm { .. }
            | ConsentError::BadReference { .. }
            | ConsentError::BadEvidenceKey { .. } => K::InvalidInput,
            ConsentError::NoticeNotRegistered { .. } | ConsentError::NotAudited => K::Misconfigured,
            ConsentError::NotStaff => K::NotPermitted,
            ConsentError::Random => K::RandomUnavailable,
            ConsentError::Store(e) => e.kind(),
            ConsentError::Audit(e) => e.kind(),
        }
    }
}
