//! The data subject: the person the data is about.

use std::fmt;
use std::sync::Arc;

/// The identifier of a data subject (GDPR Art. 4(1)), e.g. your internal customer id.
///
/// It names whose data a [`Personal`](crate::Personal) value is, whom an
/// [`Access`](crate::Access) was granted for, and whose keys to shred. Use an
/// opaque internal identifier (`cus_8f3a…`, a UUID), never a natural identifier such
/// as an email address: the id is stored in clear in key stores and consent evidence.
/// For that reason an id containing `@` (or its full-width forms) is refused.
///
/// **Ids are printable ASCII** (`!` to `~`, no space). Two ids that a person cannot
/// tell apart must be the same subject, or erasing one would leave the other: `cus_1`
/// and `cus_1` followed by a zero-width space, a right-to-left override, a byte-order
/// mark, full-width `ｃｕｓ_１`, Cyrillic `с` for Latin `c`, or `é` composed (NFC)
/// versus decomposed (NFD). Normalising (NFC/NFKC) would fix some of these but not
/// look-alikes across scripts, and would make an id differ from the string stored
/// under it; so non-ASCII ids are refused with
/// [`InvalidSubjectId::NotPrintableAscii`] rather than rewritten. The error never
/// contains the id. Map natural or non-ASCII identifiers to an opaque ASCII id first.
///
/// Cloning is cheap (a reference count).
///
/// ```
/// use custodian::SubjectId;
/// let alice = SubjectId::new("cus_0001")?;
/// assert_eq!(alice.as_str(), "cus_0001");
/// assert!(SubjectId::new("alice@example.com").is_err());
/// # Ok::<(), custodian::InvalidSubjectId>(())
/// ```
#[derive(Clone, Eq, PartialOrd, Ord)]
pub struct SubjectId(Arc<str>);

/// A map keyed by subject on a hot path (the key cache, the audit pseudonym memo):
/// `foldhash` instead of SipHash, seeded per process, so ids cannot be chosen to
/// collide.
pub(crate) type SubjectMap<V> =
    std::collections::HashMap<SubjectId, V, foldhash::fast::RandomState>;

/// Hashes the id's text, as equality compares it (and as `Borrow<str>` requires).
impl std::hash::Hash for SubjectId {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.hash(state);
    }
}

/// Clones of one id share one allocation: comparing the pointers first makes the
/// common case (the key cache checking the id it was handed) free. `Arc<str>`'s own
/// `PartialEq` cannot: std's pointer shortcut requires a sized `T`.
impl PartialEq for SubjectId {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || *self.0 == *other.0
    }
}

/// The longest subject id accepted, in bytes: ids are bound into every ciphertext header.
pub const MAX_SUBJECT_ID_LEN: usize = 128;

/// Why a string was refused as a [`SubjectId`]. Carries no part of the string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum InvalidSubjectId {
    /// The string was empty.
    #[error("a subject id must not be empty")]
    Empty,
    /// The string was longer than [`MAX_SUBJECT_ID_LEN`] bytes.
    #[error("a subject id is at most 128 bytes; this one has {len}: use a short opaque id")]
    TooLong {
        /// Length of the refused string in bytes.
        len: usize,
    },
    /// The string held an ASCII control character or a space.
    #[error("a subject id must not contain whitespace or control characters")]
    BadCharacter,
    /// The string looked like an email address.
    #[error(
        "a subject id must be an opaque internal id, not an email address: ids are stored in clear in key stores and consent evidence"
    )]
    LooksLikeEmail,
    /// The string held a character outside printable ASCII: an invisible, bidi, format,
    /// full-width, combining or look-alike character, among others.
    #[error(
        "a subject id must be printable ASCII (letters, digits, punctuation): invisible, right-to-left, full-width, combining and look-alike characters would let two ids that read the same name different people; map such ids to an opaque ASCII id, e.g. a UUID"
    )]
    NotPrintableAscii,
}

impl SubjectId {
    /// Checks and wraps an identifier.
    pub fn new(id: impl AsRef<str>) -> Result<Self, InvalidSubjectId> {
        let id = id.as_ref();
        if id.is_empty() {
            return Err(InvalidSubjectId::Empty);
        }
        if id.len() > MAX_SUBJECT_ID_LEN {
            return Err(InvalidSubjectId::TooLong { len: id.len() });
        }
        // Full-width and small commercial at are `@` to a reader.
        if id.contains(['@', '\u{FF20}', '\u{FE6B}']) {
            return Err(InvalidSubjectId::LooksLikeEmail);
        }
        if !id.is_ascii() {
            return Err(InvalidSubjectId::NotPrintableAscii);
        }
        if !id.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(InvalidSubjectId::BadCharacter);
        }
        Ok(SubjectId(Arc::from(id)))
    }

    /// The identifier as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

// Lets maps keyed by `SubjectId` be searched with the `&str` read from a header.
// `Hash` and `Eq` of `Arc<str>` are those of `str`, as `Borrow` requires.
impl std::borrow::Borrow<str> for SubjectId {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SubjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SubjectId({:?})", &*self.0)
    }
}

impl fmt::Display for SubjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for SubjectId {
    type Err = InvalidSubjectId;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SubjectId::new(s)
    }
}

impl serde::Serialize for SubjectId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for SubjectId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        SubjectId::new(&*s).map_err(serde::de::Error::custom)
    }
}

/// A pseudonymous reference to a data subject: HMAC-SHA256 of the subject id under a
/// secret of the vault (created on first use, wrapped by the master key in the key
/// store). Whoever holds the vault and a subject id can recompute it
/// ([`Vault::subject_ref`](crate::Vault::subject_ref)) to find that subject's receipt
/// later; without the vault it says nothing about who the subject was.
#[derive(Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct SubjectRef(String);

impl SubjectRef {
    pub(crate) fn from_mac(mac: &[u8]) -> Self {
        SubjectRef(format!("sref1:{}", crate::hex::encode(mac)))
    }

    /// A reference as a store kept it (written from [`as_str`](Self::as_str)).
    #[cfg(any(feature = "sqlite", test))]
    pub(crate) fn from_stored(text: String) -> Self {
        SubjectRef(text)
    }

    /// Reads back a reference as [`as_str`](Self::as_str) wrote it (`None` if it is
    /// not one): to look up a stored receipt, or to call a
    /// key store directly.
    pub fn parse(text: &str) -> Option<Self> {
        let hex = text.strip_prefix("sref1:")?;
        (hex.len() == 64 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
            .then(|| SubjectRef(text.to_owned()))
    }

    /// The reference as text (`sref1:` and 64 hex digits).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SubjectRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SubjectRef({})", self.0)
    }
}

impl fmt::Display for SubjectRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_bad_ids_without_echoing_them() {
        assert_eq!(SubjectId::new(""), Err(InvalidSubjectId::Empty));
        assert_eq!(SubjectId::new("a b"), Err(InvalidSubjectId::BadCharacter));
        assert_eq!(
            SubjectId::new("x".repeat(129)),
            Err(InvalidSubjectId::TooLong { len: 129 })
        );
        let err = SubjectId::new("bob@example.com").unwrap_err();
        assert!(!err.to_string().contains("bob"));
        assert!(SubjectId::new("x".repeat(128)).is_ok());
    }

    /// Ids a human cannot tell apart must be equal or refused: otherwise erasing
    /// `cus_1` would leave `cus_1` followed by an invisible character untouched.
    #[test]
    fn look_alike_and_invisible_ids_are_refused() {
        let look_alikes = [
            "cus_1\u{200B}",         // zero-width space
            "\u{200B}cus_1",         // zero-width space in front
            "cus_\u{200D}1",         // zero-width joiner
            "cus_1\u{2060}",         // word joiner
            "\u{FEFF}cus_1",         // byte-order mark
            "cus_\u{202E}1",         // right-to-left override
            "cus_\u{2067}1\u{2069}", // right-to-left isolate
            "cus_\u{00AD}1",         // soft hyphen
            "cus_1\u{FE0F}",         // variation selector
            "ｃｕｓ_１",             // full-width letters and digit
            "cus_\u{0441}1",         // Cyrillic small es, drawn like `c`
            "caf\u{00E9}_1",         // NFC é
            "cafe\u{0301}_1",        // NFD e + combining acute
        ];
        for id in look_alikes {
            let err = SubjectId::new(id).expect_err("a look-alike id must be refused");
            assert_eq!(
                err,
                InvalidSubjectId::NotPrintableAscii,
                "{:?}",
                id.escape_unicode().to_string()
            );
            assert!(
                !err.to_string().contains("cus"),
                "the error must not echo the id"
            );
        }
        // Full-width and small commercial at are email-like too.
        for id in ["bob\u{FF20}example.com", "bob\u{FE6B}example.com"] {
            assert_eq!(SubjectId::new(id), Err(InvalidSubjectId::LooksLikeEmail));
        }
        // Refused on the way in from storage as well (serde).
        assert!(serde_json::from_str::<SubjectId>("\"cus_1\\u200b\"").is_err());
        // Printable ASCII stays accepted.
        for id in [
            "cus_1",
            "9f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f",
            "a.b-c_d:e/f+g=h~!#$%^&*()[]{}|;'<>,?`",
        ] {
            assert!(SubjectId::new(id).is_ok(), "{id}");
        }
    }

    #[test]
    fn serde_round_trip_validates() {
        let id = SubjectId::new("cus_1").unwrap();
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, "\"cus_1\"");
        assert_eq!(serde_json::from_str::<SubjectId>(&json).unwrap(), id);
        assert!(serde_json::from_str::<SubjectId>("\"a@b\"").is_err());
    }
}
