//! Audit events and their canonical encoding (the bytes the hash chain covers).

use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::access::{Actor, ActorKind};

/// What happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum EventKind {
    /// A sealed value was opened through the vault (or the opening was refused).
    Access,
    /// Consent was given.
    ConsentGiven,
    /// Consent was withdrawn.
    ConsentWithdrawn,
    /// A subject was erased (or the erasure was refused).
    Erasure,
    /// A legal hold was placed.
    HoldPlaced,
    /// A legal hold was released.
    HoldReleased,
    /// A subject's key was rotated to a new version.
    SubjectKeyRotation,
    /// Stored keys were re-wrapped under a new master key.
    MasterKeyRotation,
    /// Personal data was exported (recorded by the application with
    /// [`Operator::record_export`](crate::Operator::record_export)): a disclosure, so it
    /// carries the subject's access pseudonym, not the lifecycle one.
    Export,
    /// A sweep destroyed retention-epoch keys.
    Sweep,
    /// A subject's keys were shredded directly ([`Operator::shred`](crate::Operator::shred);
    /// an erasure records `Erasure`).
    Shred,
    /// A subject's history was read with staff identities
    /// ([`Vault::access_history_with_staff`](crate::Vault::access_history_with_staff)),
    /// e.g. for an internal investigation: by whom, for which purpose.
    StaffHistoryRead,
    /// A double opt-in consent was confirmed.
    ConsentConfirmed,
    /// Consent evidence kept after an erasure was read in an evidence role (the event
    /// names the reader and the reason, never the subject).
    ConsentEvidenceRead,
    /// An event a retention period runs from (end of contract, of employment, last
    /// contact) was recorded ([`Operator::record_event`](crate::Operator::record_event)).
    AnchorEvent,
}

impl EventKind {
    fn code(self) -> u8 {
        match self {
            EventKind::Access => 1,
            EventKind::ConsentGiven => 2,
            EventKind::ConsentWithdrawn => 3,
            EventKind::Erasure => 4,
            EventKind::HoldPlaced => 5,
            EventKind::HoldReleased => 6,
            EventKind::SubjectKeyRotation => 7,
            EventKind::MasterKeyRotation => 8,
            EventKind::Export => 9,
            EventKind::Sweep => 10,
            EventKind::Shred => 11,
            EventKind::StaffHistoryRead => 12,
            EventKind::ConsentConfirmed => 13,
            EventKind::ConsentEvidenceRead => 14,
            EventKind::AnchorEvent => 15,
        }
    }

    fn from_code(code: u8) -> Option<Self> {
        Some(match code {
            1 => EventKind::Access,
            2 => EventKind::ConsentGiven,
            3 => EventKind::ConsentWithdrawn,
            4 => EventKind::Erasure,
            5 => EventKind::HoldPlaced,
            6 => EventKind::HoldReleased,
            7 => EventKind::SubjectKeyRotation,
            8 => EventKind::MasterKeyRotation,
            9 => EventKind::Export,
            10 => EventKind::Sweep,
            11 => EventKind::Shred,
            12 => EventKind::StaffHistoryRead,
            13 => EventKind::ConsentConfirmed,
            14 => EventKind::ConsentEvidenceRead,
            15 => EventKind::AnchorEvent,
            _ => return None,
        })
    }
}

/// A pseudonymous reference to a data subject in the trail: `sp1:` and 32 hex digits,
/// derived from a per-subject secret that erasure destroys. While the subject exists
/// the vault can compute it (to find their history); after erasure the vault cannot,
/// and the trail still verifies. It stays pseudonymous data, not anonymous: a key-store
/// backup from before the erasure still holds the secret (`docs/audit.md`). Shared text (`Arc<str>`):
/// the vault hands one out on every audited open, and a clone allocates nothing.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct SubjectPseudonym(Arc<str>);

impl SubjectPseudonym {
    pub(crate) fn from_mac(mac: &[u8]) -> Self {
        let head = &mac[..mac.len().min(16)];
        SubjectPseudonym(format!("sp1:{}", crate::hex::encode(head)).into())
    }

    /// The pseudonym as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SubjectPseudonym {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SubjectPseudonym({})", self.0)
    }
}

/// Whether the action was allowed.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case", tag = "outcome", content = "reason")]
pub enum Outcome {
    /// It happened.
    Allowed,
    /// It was refused; the stable code of the error that refused it
    /// ([`ErrorKind::code`](crate::ErrorKind::code), e.g. `"expired"`), never its
    /// message, so rewording a message changes no stored record. A code that a newer
    /// custodian wrote and this build does not know is kept as read.
    #[serde(rename = "refused_with_code")]
    RefusedWithCode(String),
    /// It was refused, recorded before trails stored codes: the error's message then
    /// (never a personal value), kept verbatim so that those trails still verify. Never
    /// written now.
    #[serde(rename = "refused")]
    RefusedWithMessage(String),
}

impl Outcome {
    /// The refusal's stable code, if it was refused with one this build knows.
    pub fn kind(&self) -> Option<crate::ErrorKind> {
        match self {
            Outcome::RefusedWithCode(code) => crate::ErrorKind::from_code(code),
            Outcome::Allowed | Outcome::RefusedWithMessage(_) => None,
        }
    }

    /// Whether it was refused (with a code or, in an old trail, a message).
    pub fn is_refused(&self) -> bool {
        !matches!(self, Outcome::Allowed)
    }
}

/// How a refusal is written in the canonical bytes: the outcome byte says which.
#[derive(Clone, Copy)]
pub(crate) enum Refusal<'a> {
    /// Outcome byte 3: a stable code (written now).
    Code(&'a str),
    /// Outcome byte 2: an error message (written before codes; only re-encoded).
    Message(&'a str),
}

/// Who acted, as recorded.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ActorRecord {
    /// Service, staff member or the data subject.
    pub kind: ActorKind,
    /// The service name or staff id.
    pub id: String,
    /// The staff member's role.
    pub role: Option<String>,
}

impl From<&Actor> for ActorRecord {
    fn from(a: &Actor) -> Self {
        ActorRecord {
            kind: a.kind(),
            id: a.id().to_owned(),
            role: a.role().map(str::to_owned),
        }
    }
}

/// One event of the trail. Holds no personal value and no subject id: the subject
/// appears only as a [`SubjectPseudonym`]. Still personal data (the pseudonym, and a
/// staff actor's id): show a subject their [`HistoryEvent`](super::HistoryEvent)s
/// instead.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AuditEvent {
    /// When, by the vault's clock (microsecond precision).
    pub at: DateTime<Utc>,
    /// What.
    pub kind: EventKind,
    /// Who.
    pub actor: Option<ActorRecord>,
    /// For which purpose (its declared name).
    pub purpose: Option<String>,
    /// Whose data, pseudonymously.
    pub subject: Option<SubjectPseudonym>,
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

impl AuditEvent {
    /// An event of `kind` at `at`, allowed, with nothing else filled in.
    pub fn new(kind: EventKind, at: DateTime<Utc>) -> Self {
        AuditEvent {
            at,
            kind,
            actor: None,
            purpose: None,
            subject: None,
            record: None,
            field: None,
            category: None,
            outcome: Outcome::Allowed,
        }
    }

    /// The canonical encoding (`docs/audit.md`): what the chain hashes and stores.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(192);
        self.encode_into(&mut out);
        out
    }

    /// Appends the canonical encoding to `out`. A text over
    /// [`MAX_TEXT_LEN`] bytes is cut there; [`AuditTrail::record`](super::AuditTrail::record)
    /// refuses such an event instead ([`AuditError::TextTooLong`](super::AuditError::TextTooLong)).
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        self.borrowed().encode_into(out);
    }

    /// The borrowed view the encoding is written from.
    pub(crate) fn borrowed(&self) -> EventRef<'_> {
        let actor = self.actor.as_ref();
        EventRef {
            at_micros: self.at.timestamp_micros(),
            kind: self.kind,
            actor: actor.map(|a| (a.kind, a.id.as_str(), a.role.as_deref())),
            purpose: self.purpose.as_deref(),
            subject: self.subject.as_ref().map(SubjectPseudonym::as_str),
            record: self.record.as_deref(),
            field: self.field.as_deref(),
            category: self.category.as_deref(),
            refused: match &self.outcome {
                Outcome::Allowed => None,
                Outcome::RefusedWithCode(c) => Some(Refusal::Code(c)),
                Outcome::RefusedWithMessage(m) => Some(Refusal::Message(m)),
            },
        }
    }

    /// Reads back [`encode`](Self::encode)'s bytes; `None` if they are not such bytes.
    pub fn decode(bytes: &[u8]) -> Option<Self> {
        let mut r = Reader(bytes);
        if r.u8()? != 1 {
            return None;
        }
        let at = DateTime::from_timestamp_micros(i64::from_be_bytes(r.array()?))?;
        let kind = EventKind::from_code(r.u8()?)?;
        let outcome = r.u8()?;
        let actor_kind = r.u8()?;
        let mut texts = [(); 8].map(|_| None);
        for t in &mut texts {
            *t = r.text()?;
        }
        if !r.0.is_empty() {
            return None;
        }
        let [id, role, purpose, subject, record, field, category, reason] = texts;
        let actor = match actor_kind {
            0 => None,
            k => Some(ActorRecord {
                kind: ActorKind::from_code(k)?,
                id: id?,
                role,
            }),
        };
        let outcome = match (outcome, reason) {
            (1, None) => Outcome::Allowed,
            (2, Some(r)) => Outcome::RefusedWithMessage(r),
            (3, Some(c)) => Outcome::RefusedWithCode(c),
            _ => return None,
        };
        Some(AuditEvent {
            at,
            kind,
            actor,
            purpose,
            subject: subject.map(|s| SubjectPseudonym(s.into())),
            record,
            field,
            category,
            outcome,
        })
    }
}

/// An event with borrowed fields: what the vault encodes on its hot path, without
/// allocating the owned [`AuditEvent`]. Same bytes.
pub(crate) struct EventRef<'a> {
    pub(crate) at_micros: i64,
    pub(crate) kind: EventKind,
    pub(crate) actor: Option<(ActorKind, &'a str, Option<&'a str>)>,
    pub(crate) purpose: Option<&'a str>,
    pub(crate) subject: Option<&'a str>,
    pub(crate) record: Option<&'a str>,
    pub(crate) field: Option<&'a str>,
    pub(crate) category: Option<&'a str>,
    pub(crate) refused: Option<Refusal<'a>>,
}

/// The longest text an event field may hold, in bytes (its length is stored in two
/// bytes, `0xFFFF` meaning absent).
pub const MAX_TEXT_LEN: usize = u16::MAX as usize - 1;

impl EventRef<'_> {
    /// The first text field longer than [`MAX_TEXT_LEN`], with its length.
    pub(crate) fn oversized(&self) -> Option<(&'static str, usize)> {
        let refused = self
            .refused
            .map(|(Refusal::Code(r) | Refusal::Message(r))| r);
        [
            ("actor id", self.actor.map(|(_, id, _)| id)),
            ("actor role", self.actor.and_then(|(_, _, role)| role)),
            ("purpose", self.purpose),
            ("subject", self.subject),
            ("record", self.record),
            ("field", self.field),
            ("category", self.category),
            ("refusal", refused),
        ]
        .into_iter()
        .find_map(|(name, t)| {
            t.filter(|t| t.len() > MAX_TEXT_LEN)
                .map(|t| (name, t.len()))
        })
    }

    pub(crate) fn encode_into(&self, out: &mut Vec<u8>) {
        out.push(1);
        out.extend_from_slice(&self.at_micros.to_be_bytes());
        out.push(self.kind.code());
        out.push(match self.refused {
            None => 1,
            Some(Refusal::Message(_)) => 2,
            Some(Refusal::Code(_)) => 3,
        });
        out.push(self.actor.map_or(0, |(k, _, _)| k.code()));
        for text in [
            self.actor.map(|(_, id, _)| id),
            self.actor.and_then(|(_, _, role)| role),
            self.purpose,
            self.subject,
            self.record,
            self.field,
            self.category,
            self.refused
                .map(|(Refusal::Code(r) | Refusal::Message(r))| r),
        ] {
            put(out, text);
        }
    }
}

/// Absent: `0xFFFF`; present: u16 length ‖ UTF-8 (cut at 65,534 bytes).
fn put(out: &mut Vec<u8>, text: Option<&str>) {
    const MAX: usize = MAX_TEXT_LEN;
    match text {
        None => out.extend_from_slice(&u16::MAX.to_be_bytes()),
        Some(t) if t.len() <= MAX => {
            out.extend_from_slice(&(t.len() as u16).to_be_bytes());
            out.extend_from_slice(t.as_bytes());
        }
        Some(t) => {
            let mut end = MAX;
            while !t.is_char_boundary(end) {
                end -= 1;
            }
            out.extend_from_slice(&(end as u16).to_be_bytes());
            out.extend_from_slice(&t.as_bytes()[..end]);
        }
    }
}

struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn u8(&mut self) -> Option<u8> {
        let (b, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(*b)
    }

    fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        let (head, rest) = self.0.split_first_chunk::<N>()?;
        self.0 = rest;
        Some(*head)
    }

    fn text(&mut self) -> Option<Option<String>> {
        let len = u16::from_be_bytes(self.array()?);
        if len == u16::MAX {
            return Some(None);
        }
        let (t, rest) = self.0.split_at_checked(usize::from(len))?;
        self.0 = rest;
        Some(Some(std::str::from_utf8(t).ok()?.to_owned()))
    }
}

impl ActorKind {
    fn code(self) -> u8 {
        match self {
            ActorKind::Service => 1,
            ActorKind::Staff => 2,
            ActorKind::DataSubject => 3,
        }
    }

    fn from_code(code: u8) -> Option<Self> {
        match code {
            1 => Some(ActorKind::Service),
            2 => Some(ActorKind::Staff),
            3 => Some(ActorKind::DataSubject),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_encoding_round_trips_and_refuses_garbage() {
        let mut e = AuditEvent::new(
            EventKind::Access,
            DateTime::from_timestamp_micros(1_800_000_000_123_456).unwrap_or_default(),
        );
        e.actor = Some(ActorRecord::from(&Actor::staff("emp-7", "support")));
        e.purpose = Some("support".into());
        e.subject = Some(SubjectPseudonym::from_mac(&[0xab; 32]));
        e.record = Some("customer".into());
        e.field = Some("email".into());
        e.category = Some("user.contact.email".into());
        e.outcome = Outcome::RefusedWithCode("expired".into());
        let bytes = e.encode();
        assert_eq!(AuditEvent::decode(&bytes), Some(e.clone()));
        assert_eq!(AuditEvent::decode(&bytes[..bytes.len() - 1]), None);
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(AuditEvent::decode(&longer), None);
        let plain = AuditEvent::new(EventKind::Sweep, e.at);
        assert_eq!(AuditEvent::decode(&plain.encode()), Some(plain));
    }
}
