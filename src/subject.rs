//! The data subject: the person the data is about.

use std::fmt;
use std::sync::Arc;

/// The identifier of a data subject (GDPR Art. 4(1)), e.g. your internal customer id.
///
/// It names whose data a [`Personal`](crate::Personal) value is, whom an
/// [`Access`](crate::Access) was granted for, and (later) whose keys to shred. Use an
/// opaque internal identifier (`cus_8f3a…`, a UUID), never a natural identifier such
/// as an email address: the id is stored in clear in key stores and consent evidence.
/// For that reason an id containing `@` is refused.
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
    /// The string held a control character or whitespace.
    #[error("a subject id must not contain whitespace or control characters")]
    BadCharacter,
    /// The string looked like an email address.
    #[error(
        "a subject id must be an opaque internal id, not an email address: ids are stored in clear in key stores and consent evidence"
    )]
    LooksLikeEmail,
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
        if id.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return Err(InvalidSubjectId::BadCharacter);
        }
        if id.contains('@') {
            return Err(InvalidSubjectId::LooksLikeEmail);
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

    #[test]
    fn serde_round_trip_validates() {
        let id = SubjectId::new("cus_1").unwrap();
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, "\"cus_1\"");
        assert_eq!(serde_json::from_str::<SubjectId>(&json).unwrap(), id);
        assert!(serde_json::from_str::<SubjectId>("\"a@b\"").is_err());
    }
}
