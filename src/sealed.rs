//! `Sealed<T, C>`: a personal value encrypted for storage, and the `Context` that
//! binds it to its place.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::category::Category;
use crate::format::{self, FormatError, Header};
use crate::retention::Retention;

/// The encrypted form of a [`Personal<T, C>`](crate::Personal): what you store in your
/// own tables. Made by [`Vault::seal`](crate::Vault::seal), opened by
/// [`Vault::open`](crate::Vault::open) with an `Access<P>` where `P: Uses<C>`.
///
/// Its bytes follow `docs/format.md`. Serde: raw bytes in binary formats, unpadded
/// base64url text in human-readable ones such as JSON. Deserializing checks the header.
pub struct Sealed<T, C> {
    bytes: Vec<u8>,
    types: PhantomData<fn() -> (T, C)>,
}

impl<T, C> Sealed<T, C> {
    /// Wraps bytes read from storage, checking the header.
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Self, FormatError> {
        format::parse(&bytes)?;
        Ok(Sealed::from_trusted(bytes))
    }

    pub(crate) fn from_trusted(bytes: Vec<u8>) -> Self {
        Sealed {
            bytes,
            types: PhantomData,
        }
    }

    /// The bytes to store.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The bytes, by value.
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }

    /// The parsed header: subject, key version, algorithm, nonce.
    pub fn header(&self) -> Result<Header<'_>, FormatError> {
        format::parse(&self.bytes)
    }

    /// The value as unpadded base64url text.
    pub fn to_base64(&self) -> String {
        URL_SAFE_NO_PAD.encode(&self.bytes)
    }

    /// Parses unpadded base64url text, checking the header.
    pub fn from_base64(text: &str) -> Result<Self, FormatError> {
        let bytes = URL_SAFE_NO_PAD
            .decode(text)
            .map_err(|_| FormatError::BadBase64)?;
        Sealed::from_bytes(bytes)
    }
}

impl<T, C> Clone for Sealed<T, C> {
    fn clone(&self) -> Self {
        Sealed::from_trusted(self.bytes.clone())
    }
}

impl<T, C> PartialEq for Sealed<T, C> {
    fn eq(&self, other: &Self) -> bool {
        self.bytes == other.bytes
    }
}

impl<T, C> Eq for Sealed<T, C> {}

impl<T, C: Category> fmt::Debug for Sealed<T, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.header() {
            // No subject id: a `Sealed` is logged where its `Personal` would be, and
            // that prints no subject either.
            Ok(h) => write!(
                f,
                "Sealed<{}>(key v{}, {} bytes)",
                C::NAME,
                h.key_version,
                self.bytes.len()
            ),
            Err(_) => write!(f, "Sealed<{}>(malformed)", C::NAME),
        }
    }
}

impl<T, C> serde::Serialize for Sealed<T, C> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            s.serialize_str(&self.to_base64())
        } else {
            s.serialize_bytes(&self.bytes)
        }
    }
}

impl<'de, T, C> serde::Deserialize<'de> for Sealed<T, C> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Vec<u8>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a sealed value: bytes, or unpadded base64url text")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Vec<u8>, E> {
                URL_SAFE_NO_PAD
                    .decode(v)
                    .map_err(|_| E::custom(FormatError::BadBase64))
            }
            fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> Result<Vec<u8>, E> {
                Ok(v.to_vec())
            }
            fn visit_byte_buf<E: serde::de::Error>(self, v: Vec<u8>) -> Result<Vec<u8>, E> {
                Ok(v)
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Vec<u8>, A::Error> {
                let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1 << 16));
                while let Some(b) = seq.next_element::<u8>()? {
                    out.push(b);
                }
                Ok(out)
            }
        }
        let bytes = if d.is_human_readable() {
            d.deserialize_str(V)?
        } else {
            d.deserialize_bytes(V)?
        };
        Sealed::from_bytes(bytes).map_err(serde::de::Error::custom)
    }
}

/// Where a sealed value of category `C` belongs: its record type and field name. They
/// are bound into the ciphertext (with the category's name and legal classification,
/// and the subject through the key), so a value copied into another field or record
/// type, or re-typed to a category of another name, GDPR sensitivity or CCPA marking,
/// fails to open. Pin the names: renaming a field in code must not change its context,
/// or old values stop opening; so does reclassifying a category (reseal its values,
/// `docs/format.md`, "Context digest").
///
/// Build each context once and reuse it: construction hashes the names and the
/// classification (SHA-256), and sealing seals that 16-byte digest with the value,
/// compared when it is opened.
///
/// ```
/// use custodian::{Context, categories::Email};
/// let email: Context<Email> = Context::new("customer", "email")?;
/// assert_eq!(email.field(), "email");
/// # Ok::<(), custodian::ContextError>(())
/// ```
pub struct Context<C> {
    record: Cow<'static, str>,
    field: Cow<'static, str>,
    retention: Option<Retention>,
    digest: [u8; format::CONTEXT_DIGEST_LEN],
    category: PhantomData<fn() -> C>,
}

/// A record type or field name cannot be bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ContextError {
    /// A name was empty.
    #[error("record type and field names must not be empty")]
    Empty,
    /// A name was longer than 255 bytes.
    #[error("record type and field names are at most 255 bytes; one has {len}")]
    TooLong {
        /// Its length.
        len: usize,
    },
}

impl ContextError {
    /// The stable code of this error (see [`ErrorKind`](crate::ErrorKind)).
    pub fn kind(&self) -> crate::ErrorKind {
        crate::ErrorKind::InvalidInput
    }
}

impl<C: Category> Context<C> {
    /// The context of field `field`, of category `C`, in records of type `record`.
    pub fn new(
        record: impl Into<Cow<'static, str>>,
        field: impl Into<Cow<'static, str>>,
    ) -> Result<Self, ContextError> {
        let (record, field) = (record.into(), field.into());
        for name in [&record, &field] {
            if name.is_empty() {
                return Err(ContextError::Empty);
            }
            if name.len() > 255 {
                return Err(ContextError::TooLong { len: name.len() });
            }
        }
        let digest =
            format::context_digest(&record, &field, C::NAME, C::SENSITIVITY, C::CCPA_SENSITIVE);
        Ok(Context {
            record,
            field,
            retention: None,
            digest,
            category: PhantomData,
        })
    }

    /// Values sealed into this context are kept for `retention` from their collection
    /// (instead of the vault's default for `C`). The retention is not part of the
    /// binding: values sealed under an earlier period still open.
    ///
    /// ```
    /// use custodian::{Context, Retention, categories::Email};
    /// let email = Context::<Email>::new("lead", "email")?.retain(Retention::Months(6));
    /// assert_eq!(email.retention(), Some(Retention::Months(6)));
    /// # Ok::<(), custodian::ContextError>(())
    /// ```
    pub fn retain(mut self, retention: Retention) -> Self {
        self.retention = Some(retention);
        self
    }

    /// The retention declared for this context, if any.
    pub fn retention(&self) -> Option<Retention> {
        self.retention
    }

    /// The record type.
    pub fn record(&self) -> &str {
        &self.record
    }

    /// The field name.
    pub fn field(&self) -> &str {
        &self.field
    }

    pub(crate) fn digest(&self) -> &[u8; format::CONTEXT_DIGEST_LEN] {
        &self.digest
    }
}

impl<C> Clone for Context<C> {
    fn clone(&self) -> Self {
        Context {
            record: self.record.clone(),
            field: self.field.clone(),
            retention: self.retention,
            digest: self.digest,
            category: PhantomData,
        }
    }
}

impl<C> PartialEq for Context<C> {
    fn eq(&self, other: &Self) -> bool {
        self.digest == other.digest
    }
}

impl<C> Eq for Context<C> {}

impl<C: Category> fmt::Debug for Context<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Context<{}>({}.{})", C::NAME, self.record, self.field)
    }
}
