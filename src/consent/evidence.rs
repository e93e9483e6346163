//! Consent as evidence: what was shown, how it was given, and later how it was withdrawn.

use chrono::{DateTime, Utc};
use zeroize::Zeroizing;

use crate::access::Actor;
use crate::subject::SubjectId;

/// A keyed reference: HMAC-SHA256 under the ledger's [`EvidenceKey`](super::EvidenceKey)
/// of a subject id, a contact point or the subject id of a holder of parental
/// responsibility. The store's file alone cannot turn it back into what it names, nor
/// confirm a guess (the key lives outside the store and its backups); whoever holds the
/// key can confirm a candidate (`ConsentLedger::subject_ref`, `contact_ref`). Lowercase
/// hex in JSON.
#[derive(
    Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(transparent)]
pub struct EvidenceRef(#[serde(with = "hex32")] pub [u8; 32]);

impl std::fmt::Debug for EvidenceRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "EvidenceRef({})", crate::hex::encode(&self.0))
    }
}

/// The notice a data subject saw when asked for consent: its id, version, and the
/// SHA-256 of its exact text, so the words consented to can be proven later.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Notice {
    /// Your identifier for the notice, e.g. `newsletter-signup`.
    pub id: String,
    /// Its version; bump it when the text changes.
    pub version: u32,
    /// SHA-256 of the exact text shown (lowercase hex in JSON).
    #[serde(with = "hex32")]
    pub text_sha256: [u8; 32],
}

/// Serde for a SHA-256 digest as 64 lowercase hex digits, as `sha256sum` prints it.
mod hex32 {
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub fn serialize<S: Serializer>(bytes: &[u8; 32], s: S) -> Result<S::Ok, S::Error> {
        let mut out = String::with_capacity(64);
        for b in bytes {
            out.push(char::from(b"0123456789abcdef"[usize::from(b >> 4)]));
            out.push(char::from(b"0123456789abcdef"[usize::from(b & 0xf)]));
        }
        s.serialize_str(&out)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; 32], D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        let digits = s.as_bytes();
        if digits.len() != 64 {
            return Err(D::Error::custom("a SHA-256 digest is 64 hex digits"));
        }
        let mut out = [0u8; 32];
        for (i, pair) in digits.chunks_exact(2).enumerate() {
            let hi = (pair[0] as char).to_digit(16);
            let lo = (pair[1] as char).to_digit(16);
            match (hi, lo) {
                (Some(hi), Some(lo)) => out[i] = (hi * 16 + lo) as u8,
                _ => return Err(D::Error::custom("a SHA-256 digest is 64 hex digits")),
            }
        }
        Ok(out)
    }
}

impl Notice {
    /// A notice from its exact text (hashed here with SHA-256).
    ///
    /// ```
    /// let n = custodian::consent::Notice::new("newsletter", 2, "Send me the monthly newsletter.");
    /// assert_eq!(n.version, 2);
    /// ```
    pub fn new(id: impl Into<String>, version: u32, text: &str) -> Self {
        let digest = ring::digest::digest(&ring::digest::SHA256, text.as_bytes());
        let mut text_sha256 = [0u8; 32];
        text_sha256.copy_from_slice(digest.as_ref());
        Notice {
            id: id.into(),
            version,
            text_sha256,
        }
    }

    /// Whether `text` is exactly the text this notice was recorded with.
    pub fn matches_text(&self, text: &str) -> bool {
        Notice::new("", 0, text).text_sha256 == self.text_sha256
    }
}

/// How consent was expressed: the evidence of an affirmative act (GDPR Art. 4(11), 7(1)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsentMethod {
    /// An unticked checkbox that the subject ticked.
    TickedCheckbox,
    /// A switch in settings that the subject turned on.
    SettingsToggle,
    /// A sign-up confirmed by a link sent to the address (double opt-in).
    DoubleOptIn,
    /// A signed paper or electronic form.
    SignedForm,
    /// Spoken consent, recorded.
    RecordedVerbal,
    /// A reply with a keyword (e.g. `YES` by SMS).
    KeywordReply,
}

/// The channel through which consent was given or withdrawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// A web page.
    Web,
    /// A mobile or desktop app.
    App,
    /// Email (including an unsubscribe link).
    Email,
    /// SMS or another text message.
    Sms,
    /// A phone call.
    Phone,
    /// Post.
    Post,
    /// In person.
    InPerson,
}

macro_rules! str_enum {
    ($ty:ident { $($v:ident => $s:literal),* $(,)? }) => {
        impl $ty {
            /// Stable lowercase name, as stored.
            pub fn as_str(self) -> &'static str {
                match self { $($ty::$v => $s),* }
            }
            /// Parses the output of `as_str`.
            pub fn parse(s: &str) -> Option<Self> {
                match s { $($s => Some($ty::$v),)* _ => None }
            }
        }
    };
}

str_enum!(ConsentMethod {
    TickedCheckbox => "ticked_checkbox",
    SettingsToggle => "settings_toggle",
    DoubleOptIn => "double_opt_in",
    SignedForm => "signed_form",
    RecordedVerbal => "recorded_verbal",
    KeywordReply => "keyword_reply",
});

str_enum!(Channel {
    Web => "web",
    App => "app",
    Email => "email",
    Sms => "sms",
    Phone => "phone",
    Post => "post",
    InPerson => "in_person",
});

/// What is captured when a subject gives consent; passed to
/// [`ConsentLedger::give`](super::ConsentLedger::give).
///
/// `Debug` does not print the contact point or the guardian's id.
#[derive(Clone, PartialEq, Eq)]
pub struct Evidence {
    /// The notice shown: registered for the purpose with
    /// [`ConsentLedger::register_notice`](super::ConsentLedger::register_notice).
    pub notice: Notice,
    /// How consent was expressed.
    pub method: ConsentMethod,
    /// Where.
    pub channel: Channel,
    /// When this consent lapses unless renewed, if it does.
    pub expires_at: Option<DateTime<Utc>>,
    /// Explicit consent (GDPR Art. 9(2)(a), 49(1)(a)): an express statement, not only
    /// an affirmative act.
    pub explicit: bool,
    /// Who recorded it: the data subject themselves (the default) or the staff member
    /// or service that entered it (a call-centre agent, an import).
    pub recorded_by: Actor,
    /// Where the signed form or the recording is kept (your document or call id, e.g.
    /// `docusign:env-8841`): printable ASCII without `@`, at most 200 characters.
    pub form_ref: Option<String>,
    contact: Option<Zeroizing<String>>,
    guardian: Option<SubjectId>,
}

impl std::fmt::Debug for Evidence {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Evidence")
            .field("notice", &self.notice)
            .field("method", &self.method)
            .field("channel", &self.channel)
            .field("expires_at", &self.expires_at)
            .field("explicit", &self.explicit)
            .field("recorded_by", &self.recorded_by)
            .field("form_ref", &self.form_ref)
            .field("contact", &self.contact.as_ref().map(|_| "<redacted>"))
            .field("guardian", &self.guardian.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

impl Evidence {
    /// Evidence of consent to `notice`, given by `method` over `channel`, not expiring,
    /// recorded by the data subject.
    pub fn new(notice: Notice, method: ConsentMethod, channel: Channel) -> Self {
        Evidence {
            notice,
            method,
            channel,
            expires_at: None,
            explicit: false,
            recorded_by: Actor::data_subject(),
            form_ref: None,
            contact: None,
            guardian: None,
        }
    }

    /// Sets an expiry, after which the subject must be asked again.
    pub fn expires_at(mut self, at: DateTime<Utc>) -> Self {
        self.expires_at = Some(at);
        self
    }

    /// Marks the consent explicit (Art. 9(2)(a)).
    pub fn explicit(mut self) -> Self {
        self.explicit = true;
        self
    }

    /// Who entered the consent, when it was not the data subject (Art. 7(1): who can
    /// vouch for it).
    pub fn recorded_by(mut self, actor: Actor) -> Self {
        self.recorded_by = actor;
        self
    }

    /// The signed form or recording that proves it (a reference, never the content).
    pub fn form_ref(mut self, reference: impl Into<String>) -> Self {
        self.form_ref = Some(reference.into());
        self
    }

    /// The contact point the consent is for (the phone number or address that may be
    /// called or written to: TCPA 47 CFR 64.1200(f)(9)). The ledger stores only its
    /// keyed reference, never the value; normalise it the same way every time (E.164
    /// for numbers, lowercase for addresses).
    pub fn contact_point(mut self, value: &str) -> Self {
        self.contact = Some(Zeroizing::new(value.to_owned()));
        self
    }

    /// Consent given by the holder of parental responsibility (GDPR Art. 8), named by
    /// their own subject id; the ledger stores only its keyed reference.
    pub fn parental(mut self, guardian: &SubjectId) -> Self {
        self.guardian = Some(guardian.clone());
        self
    }

    pub(super) fn contact(&self) -> Option<&str> {
        self.contact.as_deref().map(String::as_str)
    }

    pub(super) fn guardian(&self) -> Option<&SubjectId> {
        self.guardian.as_ref()
    }
}

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
    #[serde(with = "hex32")]
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
    #[serde(with = "hex32")]
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notice_hash_binds_the_exact_text() {
        let n = Notice::new("nl", 1, "Send me news.");
        assert!(n.matches_text("Send me news."));
        assert!(!n.matches_text("Send me news"));
        // SHA-256("abc"), FIPS 180-2 test vector.
        assert_eq!(
            Notice::new("x", 1, "abc").text_sha256[..4],
            [0xba, 0x78, 0x16, 0xbf]
        );
    }

    #[test]
    fn notice_json_uses_hex_digest() {
        let n = Notice::new("x", 1, "abc");
        let json = serde_json::to_string(&n).unwrap();
        assert!(
            json.contains("\"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\"")
        );
        assert_eq!(serde_json::from_str::<Notice>(&json).unwrap(), n);
        assert!(
            serde_json::from_str::<Notice>(r#"{"id":"x","version":1,"text_sha256":"zz"}"#).is_err()
        );
    }

    #[test]
    fn names_round_trip() {
        for m in [
            ConsentMethod::TickedCheckbox,
            ConsentMethod::SettingsToggle,
            ConsentMethod::DoubleOptIn,
            ConsentMethod::SignedForm,
            ConsentMethod::RecordedVerbal,
            ConsentMethod::KeywordReply,
        ] {
            assert_eq!(ConsentMethod::parse(m.as_str()), Some(m));
        }
        for c in [
            Channel::Web,
            Channel::App,
            Channel::Email,
            Channel::Sms,
            Channel::Phone,
            Channel::Post,
            Channel::InPerson,
        ] {
            assert_eq!(Channel::parse(c.as_str()), Some(c));
        }
        assert_eq!(Channel::parse("fax"), None);
    }
}
