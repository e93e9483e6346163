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
pub(super) mod hex32 {
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
