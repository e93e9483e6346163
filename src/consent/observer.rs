//! The ledger's observer: where consent given, withdrawn and confirmed, and reads of
//! kept evidence, go to be audited.

use chrono::{DateTime, Utc};

use crate::access::Actor;
use crate::audit::{AuditError, EventKind};
use crate::subject::SubjectId;

/// Receives consent given, withdrawn and confirmed, and reads of kept evidence, for the
/// audit trail: implemented by an audited [`Vault`](crate::Vault) (pass it as
/// `Arc<Vault>` to [`ConsentLedger::audited`](super::ConsentLedger::audited)).
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
