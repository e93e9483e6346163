//! A subject's history as it may be shown to the subject: what happened to their data,
//! when and for which purpose, and what kind of actor (in which role) acted, without
//! the identity of the controller's staff.
//!
//! The right of access (GDPR Art. 15) is a copy of the data plus the information of
//! Art. 15(1)(a)–(h); the "recipients" of 15(1)(c) are other bodies, not the
//! controller's own employees. The CJEU (C-579/21, *Pankki S*, 22 June 2023) gives the
//! subject the dates and purposes of consultations of their data, and generally not the
//! identity of the employees who made them. So a [`HistoryEvent`] cannot carry a staff
//! id at all; the full record stays in the trail, for the controller's accountability,
//! and comes out per subject only through the audited
//! [`Vault::access_history_with_staff`](crate::Vault::access_history_with_staff).

use chrono::{DateTime, Utc};

use super::event::{ActorRecord, AuditEvent, EventKind, Outcome};
use crate::access::ActorKind;

/// Who acted, as shown to the data subject.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
#[non_exhaustive]
pub enum HistoryActor {
    /// A program (a service, worker or job) of the controller, by its name: it names a
    /// processing, not a person.
    Service {
        /// The service's name, as given to [`Actor::service`](crate::Actor::service).
        name: String,
    },
    /// A member of the controller's staff. Their id is withheld; their role (a
    /// function such as "support", which should not single out one person) is shown.
    Staff {
        /// The role they acted in.
        role: Option<String>,
    },
    /// The data subject themself.
    DataSubject,
}

impl From<&ActorRecord> for HistoryActor {
    fn from(actor: &ActorRecord) -> Self {
        match actor.kind {
            ActorKind::Service => HistoryActor::Service {
                name: actor.id.clone(),
            },
            ActorKind::Staff => HistoryActor::Staff {
                role: actor.role.clone(),
            },
            ActorKind::DataSubject => HistoryActor::DataSubject,
        }
    }
}

/// One event of a subject's history, as [`Vault::access_history`] returns it: an
/// [`AuditEvent`] without the staff member's identity and without the subject's
/// pseudonym (the subject knows whose history it is).
///
/// [`Vault::access_history`]: crate::Vault::access_history
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct HistoryEvent {
    /// When, by the vault's clock.
    pub at: DateTime<Utc>,
    /// What.
    pub kind: EventKind,
    /// Who, by kind and role (never a staff id).
    pub actor: Option<HistoryActor>,
    /// For which purpose (its declared name).
    pub purpose: Option<String>,
    /// The record type.
    pub record: Option<String>,
    /// The field.
    pub field: Option<String>,
    /// The category's dotted name.
    pub category: Option<String>,
    /// Allowed, or refused and why.
    #[serde(flatten)]
    pub outcome: Outcome,
}

impl From<AuditEvent> for HistoryEvent {
    fn from(e: AuditEvent) -> Self {
        HistoryEvent {
            at: e.at,
            kind: e.kind,
            actor: e.actor.as_ref().map(HistoryActor::from),
            purpose: e.purpose,
            record: e.record,
            field: e.field,
            category: e.category,
            outcome: e.outcome,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::Actor;

    #[test]
    fn a_staff_actor_keeps_its_role_and_loses_its_id() {
        let mut e = AuditEvent::new(EventKind::Access, DateTime::UNIX_EPOCH);
        e.actor = Some(ActorRecord::from(&Actor::staff("emp-7", "support")));
        let shown = HistoryEvent::from(e);
        assert_eq!(
            shown.actor,
            Some(HistoryActor::Staff {
                role: Some("support".into())
            })
        );
    }
}
