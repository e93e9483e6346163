//! Consent at erasure (GDPR Art. 17): every consent ends with a terminal event, the
//! subject's evidence is pseudonymised to a minimum kept for a limitation period
//! (Art. 17(3)(e)), readable only in an [`EvidenceRole`] with every read audited; and
//! which data a withdrawal leaves without a basis (Art. 17(1)(b)).

use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};

use super::{
    ConsentError, ConsentLedger, ConsentStore, EvidenceKey, KeptEvidence, check_reference,
};
use crate::access::{Actor, ActorKind};
use crate::basis::{Basis, Consent};
use crate::purpose::{Purpose, PurposeInfo};
use crate::retention::Clock;
use crate::store::StoreError;
use crate::subject::SubjectId;

/// The ledger's side of an erasure, handed to a vault
/// ([`VaultBuilder::consent`](crate::vault::VaultBuilder::consent)) so that
/// [`Operator::erase`](crate::Operator::erase) ends the subject's consents in the same call.
/// Holds the store, the evidence key, the clock and the evidence retention; cheap to
/// clone.
#[derive(Clone)]
pub struct ConsentEraser {
    store: Arc<dyn ConsentStore>,
    key: Arc<EvidenceKey>,
    clock: Arc<dyn Clock>,
    retention: TimeDelta,
}

impl std::fmt::Debug for ConsentEraser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConsentEraser")
            .field("retention", &self.retention)
            .finish_non_exhaustive()
    }
}

impl ConsentEraser {
    /// Ends every consent of `subject` with a terminal erasure event, removes their
    /// events and keeps a pseudonymised minimum of them until the evidence retention
    /// ends; returns the erasure's position, or `None` if they were already erased.
    /// Takes effect at once for every ledger on the same store.
    pub fn erase(&self, subject: &SubjectId) -> Result<Option<u64>, ConsentError> {
        let now = self.clock.now();
        let keep_until = now
            .checked_add_signed(self.retention)
            .unwrap_or(DateTime::<Utc>::MAX_UTC);
        Ok(self.store.erase(subject, now, keep_until, &self.key)?)
    }
}

/// What is kept of an erased subject's consent evidence, as an [`EvidenceRole`] reads
/// it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeptErasure {
    /// When the subject was erased.
    pub erased_at: DateTime<Utc>,
    /// Until when the kept evidence is retained.
    pub keep_until: DateTime<Utc>,
    /// The kept evidence, oldest first; empty once purged.
    pub events: Vec<KeptEvidence>,
    /// Whether it was purged after its retention.
    pub purged: bool,
}

/// The capability to read evidence kept after an erasure: a named staff member and the
/// reason (a claim or case number, never personal data). Every read through it is
/// recorded in the audit trail, as an event that names the reader and the reason but
/// no subject.
#[derive(Clone, Debug)]
pub struct EvidenceRole {
    actor: Actor,
    reason: String,
}

impl EvidenceRole {
    /// `actor` takes the evidence role for `reason`. Refused for a service or the data
    /// subject ([`ConsentError::NotStaff`]) and for a reason that is not a short
    /// printable reference ([`ConsentError::BadReference`]). Which staff may take it is
    /// your access control's decision: give the code path that builds it only to the
    /// people who answer claims.
    pub fn assume(actor: Actor, reason: &str) -> Result<Self, ConsentError> {
        if actor.kind() != ActorKind::Staff {
            return Err(ConsentError::NotStaff);
        }
        check_reference(reason, "reason for reading kept evidence")?;
        Ok(EvidenceRole {
            actor,
            reason: reason.to_owned(),
        })
    }

    /// Who holds the role.
    pub fn actor(&self) -> &Actor {
        &self.actor
    }
}

impl ConsentLedger {
    /// How long evidence kept after an erasure is retained (default
    /// [`DEFAULT_EVIDENCE_RETENTION`](super::DEFAULT_EVIDENCE_RETENTION)): your
    /// limitation period for claims about consent.
    pub fn evidence_retention(mut self, period: TimeDelta) -> Self {
        self.evidence_retention = period;
        self
    }

    /// The erasure half of this ledger, for
    /// [`VaultBuilder::consent`](crate::vault::VaultBuilder::consent).
    pub fn eraser(&self) -> ConsentEraser {
        ConsentEraser {
            store: Arc::clone(&self.store),
            key: Arc::clone(&self.key),
            clock: Arc::clone(&self.clock),
            retention: self.evidence_retention,
        }
    }

    /// Ends every consent of `subject` (see [`ConsentEraser::erase`]). A vault built
    /// with [`VaultBuilder::consent`](crate::vault::VaultBuilder::consent) calls it from
    /// [`Operator::erase`](crate::Operator::erase); call it yourself only for a subject with
    /// no data in a vault.
    pub fn erase(&self, subject: &SubjectId) -> Result<Option<u64>, ConsentError> {
        self.eraser().erase(subject)
    }

    /// Whether `subject` was erased (an authentic erasure names their reference).
    pub(super) fn is_erased(&self, subject: &SubjectId) -> Result<bool, ConsentError> {
        Ok(self
            .store
            .erasure(&self.key.subject_ref(subject), &self.key)?
            .is_some())
    }

    /// Deletes the evidence kept after erasures whose retention ended (by the ledger's
    /// clock); the erasure events, their links and references stay, so the chain still
    /// verifies and an erased subject stays erased. Schedule it (daily, say). Returns
    /// how many erasures' evidence it deleted.
    pub fn purge_kept_evidence(&self) -> Result<u64, ConsentError> {
        Ok(self.store.purge_kept(self.clock.now())?)
    }

    /// The evidence kept about `subject` after their erasure, read in `role`, if they
    /// were erased. The read is recorded first (without the subject); refused when
    /// this ledger is not audited ([`ConsentError::NotAudited`]).
    pub fn kept_evidence(
        &self,
        role: &EvidenceRole,
        subject: &SubjectId,
    ) -> Result<Option<KeptErasure>, ConsentError> {
        self.intact()?;
        let Some(observer) = &self.observer else {
            return Err(ConsentError::NotAudited);
        };
        observer.kept_evidence_read(&role.actor, &role.reason, self.clock.now())?;
        let Some(stored) = self
            .store
            .erasure(&self.key.subject_ref(subject), &self.key)?
        else {
            return Ok(None);
        };
        let events = match &stored.kept {
            Some(json) => serde_json::from_slice(json).map_err(|_| StoreError::Corrupt {
                what: "kept consent evidence",
            })?,
            None => Vec::new(),
        };
        Ok(Some(KeptErasure {
            erased_at: stored.event.at,
            keep_until: stored.event.keep_until,
            events,
            purged: stored.kept.is_none(),
        }))
    }

    /// The categories of data `P` used that no longer have a basis for `subject` now,
    /// by the ledger's clock (Art. 17(1)(b)): none while consent to `P` is live; otherwise each
    /// category of `P` that no purpose in `others` still uses (a purpose on another
    /// basis always counts, a consent purpose only while its consent is live).
    ///
    /// The crate knows what each purpose declares and whose consent is live; it does
    /// not know which purposes your application still pursues for this subject (a
    /// contract ended, a legal obligation applies): pass those in `others`. Erase or
    /// delete the data of the returned categories, or record why it is kept.
    pub fn due_for_erasure<P: Purpose<Basis = Consent>>(
        &self,
        subject: &SubjectId,
        others: &[PurposeInfo],
    ) -> Result<Vec<&'static str>, ConsentError> {
        // One reading of the clock for every purpose compared.
        let now = self.clock.now();
        match self.check_named(&P::INFO, subject, now) {
            Ok(()) => return Ok(Vec::new()),
            Err(ConsentError::Store(e)) => return Err(e.into()),
            Err(_) => {}
        }
        let mut live: Vec<&PurposeInfo> = Vec::new();
        for other in others.iter().filter(|o| o.name != P::NAME) {
            let counts = match other.basis {
                Basis::Consent => match self.check_named(other, subject, now) {
                    Ok(()) => true,
                    Err(ConsentError::Store(e)) => return Err(e.into()),
                    Err(_) => false,
                },
                _ => true,
            };
            if counts {
                live.push(other);
            }
        }
        Ok(P::INFO
            .categories
            .iter()
            .map(|c| c.name)
            .filter(|name| !live.iter().any(|o| o.uses(name)))
            .collect())
    }
}
