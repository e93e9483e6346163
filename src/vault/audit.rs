//! Auditing on the vault: subject pseudonyms, and the events of opens, erasure, holds,
//! rotations and sweeps. Fail-closed: an action whose event cannot be recorded fails
//! with [`VaultError::Audit`], and an open then returns no plaintext.
//!
//! A subject has two pseudonyms, both HMAC-SHA256 under their pseudonym secret with
//! different labels: one on the events that say who read or received their data
//! (opens, exports, reads of their history with staff ids), one on their lifecycle
//! events (consent, holds, erasure, shred, key rotation). Evidence kept after erasure
//! (consent records, holds) names the subject and the exact time of lifecycle events,
//! so joining it with the trail reveals the lifecycle pseudonym; it never reveals the
//! access one, nor any disclosure.

use std::sync::Mutex;

use chrono::{DateTime, Utc};
use ring::hmac;

use super::{Vault, VaultError};
use crate::access::{Access, Actor};
use crate::audit::{
    ActorRecord, AuditEvent, AuditQuery, AuditTrail, EventKind, EventRef, HistoryEvent, Outcome,
    Refusal, SubjectPseudonym,
};
use crate::category::Category;
use crate::consent::ConsentObserver;
use crate::keys::KeyName;
use crate::purpose::Purpose;
use crate::retention::HoldScope;
use crate::sealed::Context;
use crate::subject::{SubjectId, SubjectMap};

/// Pseudonyms kept in memory at most; past it the memo starts again.
const PSEUDONYMS_KEPT: usize = 100_000;

/// The labels of the two pseudonyms derived from one secret.
const ACCESS_LABEL: &[u8] = b"custodian.audit.pseudonym.access.v1";
const LIFECYCLE_LABEL: &[u8] = b"custodian.audit.pseudonym.lifecycle.v1";

/// A subject's two pseudonyms.
#[derive(Clone)]
pub(super) struct Pseudonyms {
    access: SubjectPseudonym,
    lifecycle: SubjectPseudonym,
}

impl Pseudonyms {
    /// The one that events of `kind` carry: the access pseudonym on every event that
    /// says who read or received the subject's data, the lifecycle one on the others.
    /// Written out kind by kind, so that a new kind is placed by decision.
    fn for_kind(&self, kind: EventKind) -> &SubjectPseudonym {
        match kind {
            EventKind::Access
            | EventKind::Export
            | EventKind::StaffHistoryRead
            // Names no subject today; were it to, it says who read kept evidence.
            | EventKind::ConsentEvidenceRead => &self.access,
            EventKind::ConsentGiven
            | EventKind::ConsentWithdrawn
            | EventKind::ConsentConfirmed
            | EventKind::Erasure
            | EventKind::HoldPlaced
            | EventKind::HoldReleased
            | EventKind::SubjectKeyRotation
            | EventKind::MasterKeyRotation
            | EventKind::Sweep
            | EventKind::Shred
            // A retention event is lifecycle, like a hold: it says when data goes.
            | EventKind::AnchorEvent => &self.lifecycle,
        }
    }
}

/// Pseudonyms of recently seen subjects, each with when it was read from the key store.
/// An entry lives no longer than the key cache's TTL: another vault on the same store
/// may erase the subject, and this one must stop linking them as soon as it would stop
/// opening their data. A TTL of zero keeps nothing.
#[derive(Default)]
pub(super) struct PseudonymMemo {
    entries: Mutex<SubjectMap<(coarsetime::Instant, Pseudonyms)>>,
}

/// Whether looking a pseudonym up may create the subject's secret.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Create {
    /// Never (queries).
    No,
    /// Yes, unless the store refuses (a shredded subject): lifecycle events.
    Yes,
    /// Only if the subject has a key: an open naming an id that never existed (or was
    /// erased) must not leave a row behind.
    IfKnown,
}

impl Vault {
    /// Whether this vault records an audit trail.
    pub fn is_audited(&self) -> bool {
        self.audit.is_some()
    }

    /// The pseudonym on the subject's access events (opens, exports, reads of their
    /// history with staff ids), if they have one (they get one at their first audited
    /// event, and lose it when erased). Their lifecycle events (consent, holds,
    /// erasure, key rotation) carry another (`docs/audit.md`).
    pub fn audit_pseudonym(
        &self,
        subject: &SubjectId,
    ) -> Result<Option<SubjectPseudonym>, VaultError> {
        Ok(self.pseudonyms(subject, Create::No)?.map(|p| p.access))
    }

    /// A subject's history, oldest first, as it may be shown to them: every audited
    /// event about their data (opens allowed or refused, consent, holds, export,
    /// erasure attempts) with its date and purpose, and who acted by kind and role:
    /// a service by name, a staff member by role only, never by id ([`HistoryEvent`]).
    ///
    /// This answers part of an access request (Art. 15): the subject is entitled to
    /// the dates and purposes of consultations of their data, generally not to the
    /// identity of the employees who made them (CJEU C-579/21); staff are not
    /// "recipients" (Art. 15(1)(c)). It is not the whole answer: the copy of the data
    /// (15(3)) and the information of 15(1)(a)–(h) are the application's to assemble.
    /// Staff identities come out only through the audited
    /// [`access_history_with_staff`](Self::access_history_with_staff).
    ///
    /// Empty once the subject is erased: the events remain in the trail, but nothing
    /// can compute their pseudonyms any more (unless a key-store backup from before the
    /// erasure is restored; `docs/audit.md`). On a store shared with other vaults, one
    /// of them erasing the subject takes effect here within this vault's cache TTL.
    pub fn access_history(&self, subject: &SubjectId) -> Result<Vec<HistoryEvent>, VaultError> {
        Ok(self
            .linked_events(subject)?
            .into_iter()
            .map(HistoryEvent::from)
            .collect())
    }

    /// The subject's full history, staff identities included, for the controller's own
    /// use (an internal investigation of who consulted a subject's data, a complaint to
    /// the supervisory authority). Reading it is itself recorded first, as
    /// [`EventKind::StaffHistoryRead`] by the access's actor for its purpose (the
    /// access pseudonym of the subject; none once erased), and nothing is returned
    /// if that record fails. The purpose is any declared one (it reads no sealed
    /// value, so it needs no category); declare one for investigations, e.g. on
    /// legitimate interests, rather than reusing a customer-facing purpose.
    ///
    /// Do not hand this to the data subject: [`access_history`](Self::access_history)
    /// is their view. `AuditTrail::query` remains the auditor's unrecorded tool:
    /// restrict who holds the trail.
    pub fn access_history_with_staff<P: Purpose>(
        &self,
        access: &Access<P>,
    ) -> Result<Vec<AuditEvent>, VaultError> {
        access.actor().check()?;
        let Some(trail) = &self.audit else {
            return Ok(Vec::new());
        };
        let subject = access.subject();
        let pseudonyms = self.pseudonyms(subject, Create::No)?;
        let mut read = AuditEvent::new(EventKind::StaffHistoryRead, self.clock.now());
        read.actor = Some(ActorRecord::from(access.actor()));
        read.purpose = Some(P::INFO.name.to_owned());
        read.subject = pseudonyms
            .as_ref()
            .map(|p| p.for_kind(EventKind::StaffHistoryRead).clone());
        trail.record(&read)?;
        let Some(p) = pseudonyms else {
            return Ok(Vec::new());
        };
        // The read just recorded is the history's last event.
        query_both(trail, p)
    }

    /// Every event carrying one of the subject's two pseudonyms, unredacted.
    fn linked_events(&self, subject: &SubjectId) -> Result<Vec<AuditEvent>, VaultError> {
        let (Some(trail), Some(p)) = (&self.audit, self.pseudonyms(subject, Create::No)?) else {
            return Ok(Vec::new());
        };
        query_both(trail, p)
    }

    /// [`Operator::record_export`](super::Operator::record_export), by `by`.
    pub(super) fn op_record_export(
        &self,
        by: &Actor,
        subject: &SubjectId,
    ) -> Result<(), VaultError> {
        self.audit_event(EventKind::Export, Some(subject), Some(by), Outcome::Allowed)
    }

    /// The subject's pseudonyms: from the memo while fresh, else from their secret in
    /// the key store (created there first if `create` allows and the store agrees).
    pub(super) fn pseudonyms(
        &self,
        subject: &SubjectId,
        create: Create,
    ) -> Result<Option<Pseudonyms>, VaultError> {
        if let Some(p) = self.pseudonym_memo.get(subject, self.keys.cache_ttl()) {
            return Ok(Some(p));
        }
        let name = KeyName::Pseudonym(subject.clone());
        let mut secret = self.keys.named_secret(&name, false)?;
        if secret.is_none() {
            let may_create = match create {
                Create::No => false,
                Create::Yes => true,
                Create::IfKnown => self.keys.has_subject_key(subject)?,
            };
            if may_create {
                // Refused for a shredded subject: they get no new pseudonym.
                secret = self.keys.named_secret(&name, true)?;
            }
        }
        let Some(secret) = secret else {
            return Ok(None);
        };
        let key = hmac::Key::new(hmac::HMAC_SHA256, &secret);
        let derive = |label| SubjectPseudonym::from_mac(hmac::sign(&key, label).as_ref());
        let pseudonyms = Pseudonyms {
            access: derive(ACCESS_LABEL),
            lifecycle: derive(LIFECYCLE_LABEL),
        };
        self.pseudonym_memo
            .put(subject, &pseudonyms, self.keys.cache_ttl());
        Ok(Some(pseudonyms))
    }

    /// The pseudonym events of `kind` about `subject` carry.
    fn pseudonym_for(
        &self,
        kind: EventKind,
        subject: &SubjectId,
        create: Create,
    ) -> Result<Option<SubjectPseudonym>, VaultError> {
        Ok(self
            .pseudonyms(subject, create)?
            .map(|p| p.for_kind(kind).clone()))
    }

    pub(super) fn forget_pseudonym(&self, subject: &SubjectId) {
        self.pseudonym_memo.forget(subject);
    }

    /// Records an event, if audited.
    pub(super) fn audit_event(
        &self,
        kind: EventKind,
        subject: Option<&SubjectId>,
        actor: Option<&Actor>,
        outcome: Outcome,
    ) -> Result<(), VaultError> {
        let Some(trail) = &self.audit else {
            return Ok(());
        };
        let mut event = AuditEvent::new(kind, self.clock.now());
        event.subject = match subject {
            Some(s) => self.pseudonym_for(kind, s, Create::Yes)?,
            None => None,
        };
        event.actor = actor.map(ActorRecord::from);
        event.outcome = outcome;
        trail.record(&event)?;
        Ok(())
    }

    /// Records a hold placed or released with its scope: the purposes' names in
    /// `purpose` and the categories' in `category`, each comma-separated (names of
    /// declarations, never values), if audited.
    pub(super) fn audit_hold(
        &self,
        kind: EventKind,
        subject: &SubjectId,
        scope: &HoldScope,
        by: &Actor,
    ) -> Result<(), VaultError> {
        let Some(trail) = &self.audit else {
            return Ok(());
        };
        let mut event = AuditEvent::new(kind, self.clock.now());
        event.subject = self.pseudonym_for(kind, subject, Create::Yes)?;
        event.actor = Some(ActorRecord::from(by));
        event.purpose = Some(scope.purposes().join(","));
        event.category = Some(scope.categories().join(","));
        trail.record(&event)?;
        Ok(())
    }

    /// Runs an action on `subject` and records it (allowed or refused) as `kind`, by
    /// `by`. The pseudonym is taken first: an erasure destroys it.
    pub(super) fn audited<R>(
        &self,
        kind: EventKind,
        subject: &SubjectId,
        by: &Actor,
        action: impl FnOnce() -> Result<R, VaultError>,
    ) -> Result<R, VaultError> {
        let Some(trail) = &self.audit else {
            return action();
        };
        let mut event = AuditEvent::new(kind, self.clock.now());
        event.subject = self.pseudonym_for(kind, subject, Create::Yes)?;
        event.actor = Some(ActorRecord::from(by));
        let result = action();
        event.outcome = outcome_of(&result);
        match (trail.record(&event), result) {
            (Ok(_), result) => result,
            // Done, and the trail lacks it: say so, never "refused".
            (Err(e), Ok(_)) => Err(VaultError::DoneNotRecorded(e)),
            (Err(e), Err(_)) => Err(VaultError::Audit(e)),
        }
    }

    /// Records an open (allowed or refused).
    pub(super) fn audit_open<C: Category, P: Purpose, R>(
        &self,
        context: &Context<C>,
        access: &Access<P>,
        result: &Result<R, VaultError>,
    ) -> Result<(), VaultError> {
        let Some(trail) = &self.audit else {
            return Ok(());
        };
        // No pseudonym (the event names no subject) for an id without a key: one that
        // never existed, or was erased. Such an open is always refused.
        let subject = self.pseudonym_for(EventKind::Access, access.subject(), Create::IfKnown)?;
        let code = result.as_ref().err().map(|e| e.kind().code());
        let actor = access.actor();
        trail.record_ref(&EventRef {
            at_micros: self.clock.unix_micros(),
            kind: EventKind::Access,
            actor: Some((actor.kind(), actor.id(), actor.role())),
            purpose: Some(P::INFO.name),
            subject: subject.as_ref().map(SubjectPseudonym::as_str),
            record: Some(context.record()),
            field: Some(context.field()),
            category: Some(C::NAME),
            refused: code.map(Refusal::Code),
        })?;
        Ok(())
    }
}

/// Every event carrying either of a subject's pseudonyms, oldest first.
fn query_both(trail: &AuditTrail, p: Pseudonyms) -> Result<Vec<AuditEvent>, VaultError> {
    let query = AuditQuery {
        subjects: vec![p.access, p.lifecycle],
        ..AuditQuery::default()
    };
    Ok(trail.query(&query)?)
}

/// The outcome an action's result records: refusals carry the error's stable code,
/// never its message (which may be reworded, and must not change stored records).
fn outcome_of<R>(result: &Result<R, VaultError>) -> Outcome {
    match result {
        Ok(_) => Outcome::Allowed,
        Err(e) => Outcome::RefusedWithCode(e.kind().code().to_owned()),
    }
}

impl ConsentObserver for Vault {
    fn consent_recorded(
        &self,
        kind: EventKind,
        subject: &SubjectId,
        purpose: &str,
        actor: &Actor,
        at: DateTime<Utc>,
    ) -> Result<(), crate::audit::AuditError> {
        let Some(trail) = &self.audit else {
            return Ok(());
        };
        let mut event = AuditEvent::new(kind, at);
        event.subject = self
            .pseudonym_for(kind, subject, Create::Yes)
            .map_err(crate::audit::AuditError::sink)?;
        event.actor = Some(ActorRecord::from(actor));
        event.purpose = Some(purpose.to_owned());
        trail.record(&event).map(|_| ())
    }

    fn kept_evidence_read(
        &self,
        actor: &Actor,
        reason: &str,
        at: DateTime<Utc>,
    ) -> Result<(), crate::audit::AuditError> {
        let Some(trail) = &self.audit else {
            return Err(crate::audit::AuditError::sink(NotAudited));
        };
        // No subject: the erased subject has no pseudonym, and the read must not link
        // the kept evidence to the trail. The reason says which claim it served.
        let mut event = AuditEvent::new(EventKind::ConsentEvidenceRead, at);
        event.actor = Some(ActorRecord::from(actor));
        event.purpose = Some(reason.to_owned());
        trail.record(&event).map(|_| ())
    }
}

/// A vault without an audit trail was asked to record a read of kept evidence.
#[derive(Debug, thiserror::Error)]
#[error(
    "this vault has no audit trail, so it cannot record reads of kept consent evidence: build it with VaultBuilder::audit"
)]
struct NotAudited;

impl PseudonymMemo {
    fn get(&self, subject: &SubjectId, ttl: coarsetime::Duration) -> Option<Pseudonyms> {
        if ttl == coarsetime::Duration::from_secs(0) {
            return None;
        }
        let mut memo = self.entries.lock().ok()?;
        let (at, p) = memo.get(subject)?;
        if coarsetime::Instant::now().duration_since(*at) < ttl {
            return Some(p.clone());
        }
        memo.remove(subject);
        None
    }

    fn put(&self, subject: &SubjectId, p: &Pseudonyms, ttl: coarsetime::Duration) {
        if ttl == coarsetime::Duration::from_secs(0) {
            return;
        }
        if let Ok(mut memo) = self.entries.lock() {
            if memo.len() >= PSEUDONYMS_KEPT {
                memo.clear();
            }
            memo.insert(subject.clone(), (coarsetime::Instant::now(), p.clone()));
        }
    }

    fn forget(&self, subject: &SubjectId) {
        if let Ok(mut memo) = self.entries.lock() {
            memo.remove(subject);
        }
    }
}
