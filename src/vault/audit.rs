//! Auditing on the vault: subject pseudonyms, and the events of opens, erasure, holds,
//! rotations and sweeps. Fail-closed: an action whose event cannot be recorded fails
//! with [`VaultError::Audit`], and an open then returns no plaintext.

use chrono::{DateTime, Utc};
use ring::hmac;

use super::{Vault, VaultError};
use crate::access::{Access, Actor};
use crate::audit::{
    ActorRecord, AuditEvent, AuditQuery, EventKind, EventRef, Outcome, SubjectPseudonym,
};
use crate::category::Category;
use crate::consent::ConsentObserver;
use crate::keys::KeyName;
use crate::purpose::Purpose;
use crate::sealed::Context;
use crate::subject::SubjectId;

/// Pseudonyms kept in memory at most; past it the memo starts again.
const PSEUDONYMS_KEPT: usize = 100_000;

impl Vault {
    /// Whether this vault records an audit trail.
    pub fn is_audited(&self) -> bool {
        self.audit.is_some()
    }

    /// The subject's audit pseudonym, if they have one (they get one at their first
    /// audited event, and lose it when erased).
    pub fn audit_pseudonym(
        &self,
        subject: &SubjectId,
    ) -> Result<Option<SubjectPseudonym>, VaultError> {
        self.pseudonym(subject, false)
    }

    /// Every audited event about `subject`, oldest first: who accessed their data,
    /// when, for which purpose, and what was refused (a data subject access request,
    /// Art. 15). Empty once they are erased: the events remain, unlinkable.
    pub fn access_history(&self, subject: &SubjectId) -> Result<Vec<AuditEvent>, VaultError> {
        let (Some(trail), Some(pseudonym)) = (&self.audit, self.pseudonym(subject, false)?) else {
            return Ok(Vec::new());
        };
        let query = AuditQuery {
            subject: Some(pseudonym),
            ..AuditQuery::default()
        };
        Ok(trail.query(&query)?)
    }

    /// Records that `actor` exported `subject`'s data (a data subject access request,
    /// Art. 15, or a portability request, Art. 20). Call it before handing the export
    /// over, and do not hand it over if it fails: as with an open, an export that
    /// cannot be accounted for should not happen. Does nothing on an unaudited vault.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use custodian::{Actor, SubjectId, Vault, audit::{AuditTrail, EventKind, MemorySink}};
    /// # let trail = Arc::new(AuditTrail::new(MemorySink::new())?);
    /// # let vault = Vault::builder(custodian::keys::LocalMasterKey::generate("kek")?, custodian::keys::MemoryKeyStore::new())
    /// #     .audit(Arc::clone(&trail)).build();
    /// let alice = SubjectId::new("cus_1")?;
    /// vault.record_export(&alice, &Actor::staff("emp-7", "privacy-officer"))?;
    /// assert_eq!(vault.access_history(&alice)?[0].kind, EventKind::Export);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn record_export(&self, subject: &SubjectId, actor: &Actor) -> Result<(), VaultError> {
        self.audit_event(
            EventKind::Export,
            Some(subject),
            Some(actor),
            Outcome::Allowed,
        )
    }

    pub(super) fn pseudonym(
        &self,
        subject: &SubjectId,
        create: bool,
    ) -> Result<Option<SubjectPseudonym>, VaultError> {
        if let Some(p) = self
            .pseudonyms
            .lock()
            .ok()
            .and_then(|m| m.get(subject).cloned())
        {
            return Ok(Some(p));
        }
        // Refused for a shredded subject: they get no new pseudonym.
        let Some(secret) = self.named_secret(&KeyName::Pseudonym(subject.clone()), create)? else {
            return Ok(None);
        };
        let key = hmac::Key::new(hmac::HMAC_SHA256, &secret);
        let pseudonym =
            SubjectPseudonym::from_mac(hmac::sign(&key, b"custodian.v2.audit-pseudonym").as_ref());
        if let Ok(mut memo) = self.pseudonyms.lock() {
            if memo.len() >= PSEUDONYMS_KEPT {
                memo.clear();
            }
            memo.insert(subject.clone(), pseudonym.clone());
        }
        Ok(Some(pseudonym))
    }

    pub(super) fn forget_pseudonym(&self, subject: &SubjectId) {
        if let Ok(mut memo) = self.pseudonyms.lock() {
            memo.remove(subject);
        }
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
            Some(s) => self.pseudonym(s, true)?,
            None => None,
        };
        event.actor = actor.or(self.operator.as_ref()).map(ActorRecord::from);
        event.outcome = outcome;
        trail.record(&event)?;
        Ok(())
    }

    /// Runs an action on `subject` and records it (allowed or refused) as `kind`, by
    /// the vault's operator. The pseudonym is taken first: an erasure destroys it.
    pub(super) fn audited<R>(
        &self,
        kind: EventKind,
        subject: &SubjectId,
        action: impl FnOnce() -> Result<R, VaultError>,
    ) -> Result<R, VaultError> {
        let Some(trail) = &self.audit else {
            return action();
        };
        let mut event = AuditEvent::new(kind, self.clock.now());
        event.subject = self.pseudonym(subject, true)?;
        event.actor = self.operator.as_ref().map(ActorRecord::from);
        let result = action();
        event.outcome = outcome_of(&result);
        trail.record(&event)?;
        result
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
        let subject = self.pseudonym(access.subject(), true)?;
        let reason = result.as_ref().err().map(ToString::to_string);
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
            refused: reason.as_deref(),
        })?;
        Ok(())
    }
}

/// The outcome an action's result records: refusals carry the error's message, which
/// never holds a personal value.
fn outcome_of<R>(result: &Result<R, VaultError>) -> Outcome {
    match result {
        Ok(_) => Outcome::Allowed,
        Err(e) => Outcome::Refused(e.to_string()),
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
            .pseudonym(subject, true)
            .map_err(crate::audit::AuditError::sink)?;
        event.actor = Some(ActorRecord::from(actor));
        event.purpose = Some(purpose.to_owned());
        trail.record(&event).map(|_| ())
    }
}
