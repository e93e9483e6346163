//! Access capabilities: proof of a declared purpose, for one subject, by one actor.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use crate::basis::WithoutConsent;
use crate::purpose::Purpose;
use crate::subject::SubjectId;

/// A capability to process one data subject's personal data for purpose `P`.
///
/// For purposes based on contract, legal obligation, vital interests, public task or
/// legitimate interests, [`Access::new`] makes one. For a purpose based on consent it
/// does not compile: the only door is
/// [`ConsentLedger::access`](crate::consent::ConsentLedger::access), which checks the
/// evidence first. An access is meant to live for one request: it is not `Clone`, and
/// one for a consent purpose carries the time its consent was checked, by the ledger's
/// clock: [`Vault::open`](crate::Vault::open) refuses it once more than
/// [`CONSENT_ACCESS_VALIDITY_SECONDS`] have passed since, by the vault's clock (or if
/// that time is ahead of the vault's), with
/// [`OpenError::ConsentAccessStale`](crate::OpenError::ConsentAccessStale). So an access
/// kept after a withdrawal opens nothing past that window; within it (one request), a
/// withdrawal recorded meanwhile does not stop it. A [`Personal`](crate::Personal)
/// value already opened is not taken back.
///
/// ```
/// use custodian::{Access, Actor, SubjectId, categories::Email};
/// custodian::purpose! {
///     pub struct Support { basis: Contract, description: "Answer your requests.", uses: [Email] }
/// }
/// let subject = SubjectId::new("cus_1")?;
/// let access = Access::<Support>::new(subject, Actor::staff("agent-17", "support"));
/// assert_eq!(access.subject().as_str(), "cus_1");
/// # Ok::<(), custodian::InvalidSubjectId>(())
/// ```
pub struct Access<P: Purpose> {
    subject: SubjectId,
    actor: Actor,
    consent_checked_at: Option<chrono::DateTime<chrono::Utc>>,
    purpose: PhantomData<fn() -> P>,
}

impl<P: Purpose> Access<P> {
    /// Grants access for a purpose whose lawful basis is not consent.
    // The bound sits on the method, not the impl, so that the compiler reports the
    // `WithoutConsent` message instead of "method exists but bounds not satisfied".
    pub fn new(subject: SubjectId, actor: Actor) -> Self
    where
        P::Basis: WithoutConsent<P>,
    {
        Access::granted(subject, actor)
    }

    /// The constructor behind both doors; crate-private so consent cannot be skipped.
    pub(crate) fn granted(subject: SubjectId, actor: Actor) -> Self {
        Access {
            subject,
            actor,
            consent_checked_at: None,
            purpose: PhantomData,
        }
    }

    /// The consent door's constructor: consent was checked live at `at`.
    pub(crate) fn consented(
        subject: SubjectId,
        actor: Actor,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Self {
        Access {
            consent_checked_at: Some(at),
            ..Access::granted(subject, actor)
        }
    }

    /// When consent was checked for this access (by the ledger's clock), for a consent
    /// purpose; `None` for an access on another basis, which does not lapse.
    pub fn consent_checked_at(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        self.consent_checked_at
    }

    /// The data subject this access is for.
    pub fn subject(&self) -> &SubjectId {
        &self.subject
    }

    /// Who processes the data.
    pub fn actor(&self) -> &Actor {
        &self.actor
    }

    /// The purpose's declaration.
    pub fn purpose(&self) -> crate::PurposeInfo {
        P::INFO
    }
}

impl<P: Purpose> fmt::Debug for Access<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Access")
            .field("purpose", &P::NAME)
            .field("subject", &self.subject)
            .field("actor", &self.actor)
            .finish()
    }
}

/// Who processes personal data: recorded in the audit trail with every access.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Actor {
    kind: ActorKind,
    id: Cow<'static, str>,
    role: Option<Cow<'static, str>>,
}

/// The kind of [`Actor`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActorKind {
    /// A program: a service, worker or job.
    Service,
    /// A staff member, acting in a role.
    Staff,
    /// The data subject, acting on their own data (self-service).
    DataSubject,
}

impl Actor {
    /// A service, worker or job, e.g. `Actor::service("billing-worker")`.
    pub fn service(name: impl Into<Cow<'static, str>>) -> Self {
        Actor {
            kind: ActorKind::Service,
            id: name.into(),
            role: None,
        }
    }

    /// A staff member with a role, e.g. `Actor::staff("emp-42", "support")`.
    /// Use a staff id, not a name or email.
    pub fn staff(id: impl Into<Cow<'static, str>>, role: impl Into<Cow<'static, str>>) -> Self {
        Actor {
            kind: ActorKind::Staff,
            id: id.into(),
            role: Some(role.into()),
        }
    }

    /// The data subject themself (giving or withdrawing consent, self-service export).
    pub fn data_subject() -> Self {
        Actor {
            kind: ActorKind::DataSubject,
            id: Cow::Borrowed("data-subject"),
            role: None,
        }
    }

    /// Rebuilds an actor from its stored parts.
    pub fn from_parts(
        kind: ActorKind,
        id: impl Into<Cow<'static, str>>,
        role: Option<String>,
    ) -> Self {
        Actor {
            kind,
            id: id.into(),
            role: role.map(Cow::Owned),
        }
    }

    /// The kind of actor.
    pub fn kind(&self) -> ActorKind {
        self.kind
    }

    /// The service name or staff id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The staff member's role, if any.
    pub fn role(&self) -> Option<&str> {
        self.role.as_deref()
    }

    /// Checks that the actor can be attributed: its id (and role, if any) is 1 to
    /// [`MAX_ACTOR_ID_LEN`] bytes of printable ASCII without spaces, as a
    /// [`SubjectId`] is (no control, format, bidi or invisible characters that would
    /// make two ids read the same, or forge a line of a log). Every audited use
    /// refuses an actor that fails this ([`Operator`](crate::Operator) acts and
    /// [`Vault::open`](crate::Vault::open)); call it to refuse one earlier.
    pub fn check(&self) -> Result<(), InvalidActor> {
        check_actor_text(&self.id, ActorPart::Id)?;
        if let Some(role) = &self.role {
            check_actor_text(role, ActorPart::Role)?;
        }
        Ok(())
    }
}

/// How long an [`Access`] for a consent purpose opens values after its consent was
/// checked, in seconds: one request, not a session.
pub const CONSENT_ACCESS_VALIDITY_SECONDS: i64 = 60;

/// The longest actor id or role accepted, in bytes (as [`SubjectId`]'s).
pub const MAX_ACTOR_ID_LEN: usize = crate::subject::MAX_SUBJECT_ID_LEN;

fn check_actor_text(text: &str, part: ActorPart) -> Result<(), InvalidActor> {
    if text.is_empty() {
        return Err(InvalidActor::Empty { part });
    }
    if text.len() > MAX_ACTOR_ID_LEN {
        return Err(InvalidActor::TooLong {
            part,
            len: text.len(),
        });
    }
    if !text.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(InvalidActor::BadCharacter { part });
    }
    Ok(())
}

/// Which part of an [`Actor`] was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ActorPart {
    /// The service name or staff id.
    Id,
    /// The staff member's role.
    Role,
}

impl fmt::Display for ActorPart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ActorPart::Id => "id",
            ActorPart::Role => "role",
        })
    }
}

/// Why an [`Actor`] was refused ([`Actor::check`]): an act it did could not be
/// attributed to anyone. Never contains the refused text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InvalidActor {
    /// The id or role is empty.
    #[error("the actor's {part} is empty: name who acts (a staff id and role, or a service name)")]
    Empty {
        /// The part refused.
        part: ActorPart,
    },
    /// The id or role is longer than [`MAX_ACTOR_ID_LEN`] bytes.
    #[error(
        "the actor's {part} is {len} bytes long, over the limit of {MAX_ACTOR_ID_LEN}: use a short staff id or service name"
    )]
    TooLong {
        /// The part refused.
        part: ActorPart,
        /// Its length in bytes.
        len: usize,
    },
    /// The id or role holds a space, a control, format, bidi or non-ASCII character.
    #[error(
        "the actor's {part} must be printable ASCII without spaces: control, invisible, bidi and look-alike characters would let a recorded actor read as someone else; map names to an opaque ASCII id"
    )]
    BadCharacter {
        /// The part refused.
        part: ActorPart,
    },
}

impl InvalidActor {
    /// The stable code of this error: [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput).
    pub fn kind(&self) -> crate::ErrorKind {
        crate::ErrorKind::InvalidInput
    }
}

impl ActorKind {
    /// Stable lowercase name, as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            ActorKind::Service => "service",
            ActorKind::Staff => "staff",
            ActorKind::DataSubject => "data_subject",
        }
    }

    /// Parses [`ActorKind::as_str`]'s output.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "service" => ActorKind::Service,
            "staff" => ActorKind::Staff,
            "data_subject" => ActorKind::DataSubject,
            _ => return None,
        })
    }
}

/// Why reading a personal value was refused at run time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AccessError {
    /// The access was granted for another data subject than the value's.
    #[error(
        "this access was granted for a different data subject than the value belongs to: get an access for the value's own subject"
    )]
    SubjectMismatch,
}

impl AccessError {
    /// The stable code of this error (see [`ErrorKind`](crate::ErrorKind)).
    pub fn kind(&self) -> crate::ErrorKind {
        match self {
            AccessError::SubjectMismatch => crate::ErrorKind::SubjectMismatch,
        }
    }
}
