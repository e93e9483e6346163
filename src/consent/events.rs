//! The consent history: the events the ledger appends (given, withdrawn, confirmed,
//! erased), and what is kept of them after an erasure.

use chrono::{DateTime, Utc};

use super::evidence::{Channel, ConsentMethod, EvidenceRef, Notice};
use crate::access::Actor;
use crate::subject::SubjectId;

/// One entry in the append-only consent history.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum ConsentEvent {
    /// Consent was given.
    Given(ConsentGiven),
    /// Consent was withdrawn.
    Withdrawn(ConsentWithdrawn),
    /// A double opt-in was confirmed.
    Confirmed(ConsentConfirmed),
    /// The subject was erased: terminal for every purpose; the subject's other events
    /// were removed and their minimum kept under this event (`docs/consent.md`).
    Erased(ConsentErased),
}

impl ConsentEvent {
    /// The data subject of the event; `None` for an erasure, which names the subject
    /// only by its keyed reference.
    pub fn subject(&self) -> Option<&SubjectId> {
        match self {
            ConsentEvent::Given(g) => Some(&g.subject),
            ConsentEvent::Withdrawn(w) => Some(&w.subject),
            ConsentEvent::Confirmed(c) => Some(&c.subject),
            ConsentEvent::Erased(_) => None,
        }
    }

    /// The purpose name of the event (empty for an erasure, which ends every purpose).
    pub fn purpose(&self) -> &str {
        match self {
            ConsentEvent::Given(g) => &g.purpose,
            ConsentEvent::Withdrawn(w) => &w.purpose,
            ConsentEvent::Confirmed(c) => &c.purpose,
            ConsentEvent::Erased(_) => "",
        }
    }

    /// When it happened.
    pub fn at(&self) -> DateTime<Utc> {
        match self {
            ConsentEvent::Given(g) => g.at,
            ConsentEvent::Withdrawn(w) => w.at,
            ConsentEvent::Confirmed(c) => c.at,
            ConsentEvent::Erased(e) => e.at,
        }
    }
}

/// Evidence that a subject consented to a purpose.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ConsentGiven {
    /// Who consented.
    pub subject: SubjectId,
    /// To which purpose ([`Purpose::NAME`](crate::Purpose::NAME)).
    pub purpose: String,
    /// The notice shown.
    pub notice: Notice,
    /// How.
    pub method: ConsentMethod,
    /// Where.
    pub channel: Channel,
    /// When it was given.
    pub at: DateTime<Utc>,
    /// When it lapses, if it does.
    pub expires_at: Option<DateTime<Utc>>,
    /// When the ledger recorded it, by its own clock (equal to `at` unless recorded
    /// late with [`give_at`](super::ConsentLedger::give_at)).
    pub recorded_at: DateTime<Utc>,
    /// Who recorded it.
    pub recorded_by: Actor,
    /// Explicit consent (Art. 9(2)(a)).
    pub explicit: bool,
    /// Given by the holder of parental responsibility (Art. 8): their keyed reference.
    pub parental: Option<EvidenceRef>,
    /// The contact point consented for: its keyed reference.
    pub contact: Option<EvidenceRef>,
    /// Where the signed form or recording is kept.
    pub form_ref: Option<String>,
    /// The purpose's declaration it was given to; `None` for a consent recorded before
    /// schema 12, taken to cover ordinary categories only.
    #[serde(default)]
    pub scope: Option<Box<super::PurposeScope>>,
}

/// Evidence that a subject withdrew consent (GDPR Art. 7(3)).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ConsentWithdrawn {
    /// Whose consent.
    pub subject: SubjectId,
    /// To which purpose.
    pub purpose: String,
    /// Who withdrew it: the subject, or staff acting on their request.
    pub by: Actor,
    /// Where.
    pub channel: Channel,
    /// When, by the ledger's clock.
    pub at: DateTime<Utc>,
}

/// Evidence that a subject confirmed a double opt-in (clicked the link sent to them).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ConsentConfirmed {
    /// Whose consent.
    pub subject: SubjectId,
    /// To which purpose.
    pub purpose: String,
    /// When, by the ledger's clock.
    pub at: DateTime<Utc>,
}

/// The link of an event removed at erasure, kept so the chain still verifies across the
/// gap.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RemovedLink {
    /// The removed event's position.
    pub position: u64,
    /// Its link.
    #[serde(with = "super::evidence::hex32")]
    pub link: [u8; 32],
}

/// The terminal event of an erased subject: every consent ends, no consent is accepted
/// after it. The subject's own events are removed; what is kept of them (pseudonymised,
/// [`KeptEvidence`]) is covered by `kept_sha256` and deleted after `keep_until`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ConsentErased {
    /// The subject's keyed reference.
    pub subject: EvidenceRef,
    /// When, by the ledger's clock.
    pub at: DateTime<Utc>,
    /// Until when the kept evidence is retained.
    pub keep_until: DateTime<Utc>,
    /// SHA-256 of the kept evidence as stored (JSON).
    #[serde(with = "super::evidence::hex32")]
    pub kept_sha256: [u8; 32],
    /// The events removed, with their links.
    pub removed: Vec<RemovedLink>,
}

/// What is kept of one removed event after its subject's erasure: no subject id, no
/// contact point in clear, no guardian; the keyed contact reference stays, so a claim
/// about a number can be answered by whoever holds the key and the number.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct KeptEvidence {
    /// The event's position in the chain.
    pub position: u64,
    /// `given`, `withdrawn` or `confirmed`.
    pub kind: String,
    /// The purpose.
    pub purpose: String,
    /// When it happened.
    pub at: DateTime<Utc>,
    /// When it was recorded (given only).
    pub recorded_at: Option<DateTime<Utc>>,
    /// The notice (given only).
    pub notice: Option<Notice>,
    /// How (given only).
    pub method: Option<ConsentMethod>,
    /// Where (given and withdrawn).
    pub channel: Option<Channel>,
    /// Explicit (given only).
    pub explicit: bool,
    /// Given by a holder of parental responsibility (whose reference is dropped).
    pub parental: bool,
    /// The keyed reference of the contact point.
    pub contact: Option<EvidenceRef>,
    /// The signed form or recording.
    pub form_ref: Option<String>,
    /// Who recorded or withdrew it.
    pub by: Option<Actor>,
    /// When it lapsed (given only).
    pub expires_at: Option<DateTime<Utc>>,
}

impl KeptEvidence {
    /// The minimum of `event` at `position`; `None` for an erasure.
    pub(crate) fn of(position: u64, event: &ConsentEvent) -> Option<Self> {
        let blank = |kind: &str, purpose: &str, at| KeptEvidence {
            position,
            kind: kind.to_owned(),
            purpose: purpose.to_owned(),
            at,
            recorded_at: None,
            notice: None,
            method: None,
            channel: None,
            explicit: false,
            parental: false,
            contact: None,
            form_ref: None,
            by: None,
            expires_at: None,
        };
        Some(match event {
            ConsentEvent::Given(g) => KeptEvidence {
                recorded_at: Some(g.recorded_at),
                notice: Some(g.notice.clone()),
                method: Some(g.method),
                channel: Some(g.channel),
                explicit: g.explicit,
                parental: g.parental.is_some(),
                contact: g.contact,
                form_ref: g.form_ref.clone(),
                by: Some(g.recorded_by.clone()),
                expires_at: g.expires_at,
                ..blank("given", &g.purpose, g.at)
            },
            ConsentEvent::Withdrawn(w) => KeptEvidence {
                channel: Some(w.channel),
                by: Some(w.by.clone()),
                ..blank("withdrawn", &w.purpose, w.at)
            },
            ConsentEvent::Confirmed(c) => blank("confirmed", &c.purpose, c.at),
            ConsentEvent::Erased(_) => return None,
        })
    }
}
