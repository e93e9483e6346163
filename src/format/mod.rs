//! The sealed format, version 3: what a [`Sealed`](crate::sealed::Sealed) value's bytes
//! are. Specified in `docs/format.md`, with test vectors in `tests/vectors/`.
//!
//! ```text
//! offset      size    field
//! 0           1       format version = 0x03
//! 1           1       algorithm: 0x01 AES-256-GCM, 0x02 ChaCha20-Poly1305
//! 2           1       n = length of the subject id (1..=128)
//! 3           n       subject id, UTF-8
//! 3+n         4       subject key version, u32 big-endian
//! 7+n         4       expiry day (retention epoch), u32 big-endian
//! 11+n        12      nonce
//! 23+n        len+32  ciphertext of: the plaintext encoding (len bytes) ‖ collected
//!                     (i64) ‖ expires (i64) ‖ context digest (16 bytes)
//! 55+n+len    16      authentication tag
//! ```
//!
//! No associated data. The clear header holds only what finding the key needs, and all
//! of it is bound through the key: the data key is HKDF-SHA256 over the subject key
//! and the subject's share of the expiry day's key, with the format version, algorithm,
//! subject id, key version and expiry day in its `info`, so a header naming anything
//! else selects another key and the tag fails. The exact dates and the context digest
//! are encrypted with the value in the one AEAD pass (so the tag covers them) and
//! compared after decryption: the digest with the reader's context, the expiry's day
//! with the header's. The nonce is bound by the AEAD itself.
//!
//! The context digest is the first 16 bytes of SHA-256(`custodian.v3.context` ‖ len ‖
//! record type ‖ len ‖ field name ‖ len ‖ category name ‖ GDPR sensitivity code ‖ CCPA
//! code), each len and code one byte: the category's legal classification is bound
//! with its name, so a look-alike category (same name, another classification) does
//! not open it.
//!
//! The retention epoch of a value is the UTC day of its expiry, `floor(expires /
//! 86400)`, or [`NO_EPOCH`] for a value kept until erased. Its epoch share is
//! HKDF-SHA256 with salt `custodian.v2.epoch-share-salt`, the epoch key as input key
//! material and info = `custodian.v2.epoch-share` ‖ n ‖ subject id ‖ epoch (u32 BE);
//! for [`NO_EPOCH`] the share is 32 zero bytes.
//!
//! The category key is HKDF-SHA256 with salt `custodian.v3.category-key-salt`, the
//! subject key as input key material and info = `custodian.v3.category-key` ‖ len ‖
//! category name (len one byte): one key per (subject key, category), so that an
//! erasure exception can keep one category's key while the subject key is destroyed.
//!
//! The data key is HKDF-SHA256 (RFC 5869) with salt `custodian.v3.data-key-salt`, the
//! category key ‖ the epoch share as input key material, and info =
//! `custodian.v3.data-key` ‖ format version ‖ algorithm id ‖ n ‖ subject id ‖ version
//! (u32 BE) ‖ epoch (u32 BE); 32 bytes of output.

mod body;
mod keys;

pub use body::*;
pub use keys::*;

use ring::aead::NONCE_LEN;

use crate::category::{CcpaSensitive, Sensitivity};
use crate::keys::Algorithm;
use crate::subject::MAX_SUBJECT_ID_LEN;

/// The format version this build writes and reads. (Versions 1 and 2 were never
/// released.)
pub const VERSION: u8 = 3;
/// The epoch of a value kept until its subject is erased: no epoch key is involved.
pub const NO_EPOCH: u32 = u32::MAX;
/// The `expires` value of a value kept until erased.
pub const NEVER: i64 = i64::MAX;
/// The first expiry-day value of the range reserved for event anchors
/// (`0xFF00_0000..=0xFFFF_FFFE`): a header whose expiry day is in it names the event and
/// period its value is kept after (`docs/format.md`, "Event anchors"), and its data key
/// mixes the subject's anchor key instead of an epoch key. No real day is that far
/// away (about 11.7 million years); the vault refuses to seal one.
pub const ANCHOR_DAYS: u32 = 0xFF00_0000;
/// Seconds in a retention epoch (one UTC day).
pub const EPOCH_SECONDS: i64 = 86_400;
/// Bytes of authentication tag.
pub const TAG_LEN: usize = 16;
/// Bytes of the context digest.
pub const CONTEXT_DIGEST_LEN: usize = 16;
/// Bytes sealed after the plaintext: collected, expires, context digest.
pub const SEALED_TRAILER_LEN: usize = 8 + 8 + CONTEXT_DIGEST_LEN;
/// Header bytes besides the subject id.
const FIXED_HEADER: usize = 3 + 4 + 4 + NONCE_LEN;

/// A sealed value's bytes do not follow the format. Says where, never what.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FormatError {
    /// Shorter than the smallest sealed value, or than its header says.
    #[error("a sealed value is at least {min} bytes, this one has {len}: it was truncated")]
    TooShort {
        /// Bytes present.
        len: usize,
        /// Bytes needed.
        min: usize,
    },
    /// The first byte is not a format version this build reads.
    #[error(
        "unknown sealed format version {0}: written by a newer custodian, or not a sealed value"
    )]
    UnknownVersion(u8),
    /// The algorithm byte is unknown.
    #[error("unknown algorithm id {0} in a sealed value")]
    UnknownAlgorithm(u8),
    /// The subject id in the header is empty, too long or not UTF-8.
    #[error("the subject id in a sealed value's header is malformed")]
    BadSubject,
    /// The dates sealed inside the value contradict each other or the header's expiry
    /// day. Only a writer holding the key can produce this: a faulty implementation.
    #[error(
        "a sealed value's dates are inconsistent (expiry not after collection, or not on the header's expiry day): it was written by a faulty sealer"
    )]
    BadDates,
    /// Not valid base64url (in a human-readable serialization).
    #[error("a sealed value in text form must be unpadded base64url")]
    BadBase64,
}

impl FormatError {
    /// The stable code of this error (see [`ErrorKind`](crate::ErrorKind)).
    pub fn kind(&self) -> crate::ErrorKind {
        crate::ErrorKind::Malformed
    }
}

/// The parsed clear header of a sealed value: what finding its key needs. The exact
/// collection and expiry dates are sealed inside the value (see
/// [`Vault::dates`](crate::Vault::dates)); the header gives the expiry's UTC day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header<'a> {
    /// The AEAD.
    pub algorithm: Algorithm,
    /// The data subject, as written.
    pub subject: &'a str,
    /// The subject key version.
    pub key_version: u32,
    /// The UTC day of the value's expiry (days since 1970-01-01), its retention epoch;
    /// [`NO_EPOCH`] if it is kept until its subject is erased.
    pub expiry_day: u32,
    /// The nonce.
    pub nonce: [u8; NONCE_LEN],
    /// Length of the clear header in bytes.
    pub len: usize,
}

/// The smallest sealed value: a 1-byte subject id, an empty plaintext.
pub const MIN_LEN: usize = FIXED_HEADER + 1 + SEALED_TRAILER_LEN + TAG_LEN;

/// Parses and checks the header of `bytes`, including that the sealed dates, context
/// digest and tag fit after it.
pub fn parse(bytes: &[u8]) -> Result<Header<'_>, FormatError> {
    let header = parse_with(bytes, |subject| {
        std::str::from_utf8(subject)
            .map(Some)
            .map_err(|_| FormatError::BadSubject)
    })?;
    // `parse_with` returns `None` only when the closure does.
    header.ok_or(FormatError::BadSubject)
}

/// Parses `bytes` for an open by `subject`: `Ok(None)` if the value names another
/// subject. Comparing the bytes replaces `parse`'s UTF-8 check (bytes equal to a
/// `str` are valid UTF-8), which is a tenth of a small open's bookkeeping.
pub(crate) fn parse_for<'a>(
    bytes: &'a [u8],
    subject: &'a str,
) -> Result<Option<Header<'a>>, FormatError> {
    parse_with(bytes, |s| Ok((s == subject.as_bytes()).then_some(subject)))
}

fn parse_with<'a>(
    bytes: &'a [u8],
    subject_of: impl FnOnce(&'a [u8]) -> Result<Option<&'a str>, FormatError>,
) -> Result<Option<Header<'a>>, FormatError> {
    if bytes.len() < MIN_LEN {
        return Err(FormatError::TooShort {
            len: bytes.len(),
            min: MIN_LEN,
        });
    }
    if bytes[0] != VERSION {
        return Err(FormatError::UnknownVersion(bytes[0]));
    }
    let algorithm = Algorithm::from_id(bytes[1]).ok_or(FormatError::UnknownAlgorithm(bytes[1]))?;
    let n = usize::from(bytes[2]);
    if n == 0 || n > MAX_SUBJECT_ID_LEN {
        return Err(FormatError::BadSubject);
    }
    let len = FIXED_HEADER + n;
    let min = len + SEALED_TRAILER_LEN + TAG_LEN;
    if bytes.len() < min {
        return Err(FormatError::TooShort {
            len: bytes.len(),
            min,
        });
    }
    let Some(subject) = subject_of(&bytes[3..3 + n])? else {
        return Ok(None);
    };
    let fixed = &bytes[3 + n..len];
    let mut version = [0u8; 4];
    version.copy_from_slice(&fixed[..4]);
    let mut day = [0u8; 4];
    day.copy_from_slice(&fixed[4..8]);
    let mut nonce = [0u8; NONCE_LEN];
    nonce.copy_from_slice(&fixed[8..]);
    Ok(Some(Header {
        algorithm,
        subject,
        key_version: u32::from_be_bytes(version),
        expiry_day: u32::from_be_bytes(day),
        nonce,
        len,
    }))
}

impl Header<'_> {
    /// The retention epoch whose key the value's data key depends on: its expiry day.
    pub fn epoch(&self) -> u32 {
        self.expiry_day
    }

    /// The first second after the value's expiry day (seconds since the Unix epoch),
    /// or [`NEVER`]: the value has certainly expired by then, which the clear header
    /// alone proves. Its exact expiry is sealed inside it. [`NEVER`] as well for a
    /// value kept for a period after an event ([`is_anchored`](Self::is_anchored)):
    /// the recorded event decides, not the clock alone.
    pub fn expired_by(&self) -> i64 {
        if self.is_anchored() {
            return NEVER;
        }
        day_end(self.expiry_day)
    }

    /// Whether the value is kept for a period after an event: its expiry day is in
    /// the range reserved for event anchors, from `0xFF00_0000` (`docs/format.md`,
    /// "Event anchors").
    pub fn is_anchored(&self) -> bool {
        is_anchor_day(self.expiry_day)
    }
}

/// Whether `day` is in the range reserved for event anchors (not a real day, not
/// [`NO_EPOCH`]).
pub fn is_anchor_day(day: u32) -> bool {
    (ANCHOR_DAYS..NO_EPOCH).contains(&day)
}

/// The first second after UTC day `epoch`, or [`NEVER`] for [`NO_EPOCH`].
pub fn day_end(epoch: u32) -> i64 {
    if epoch == NO_EPOCH {
        NEVER
    } else {
        (i64::from(epoch) + 1) * EPOCH_SECONDS
    }
}

/// The retention epoch of a value expiring at `expires` (seconds since the Unix epoch):
/// its UTC day, or [`NO_EPOCH`] for [`NEVER`]. Days before 1970 or past 2^32 days
/// cannot be written by [`Vault`](crate::Vault) (it refuses such clocks).
pub fn epoch_of(expires: i64) -> u32 {
    if expires == NEVER {
        return NO_EPOCH;
    }
    let day = expires.div_euclid(EPOCH_SECONDS);
    u32::try_from(day).map_or(NO_EPOCH - 1, |d| d.min(NO_EPOCH - 1))
}

/// The digest of where a value belongs, sealed with it and compared on opening: record
/// type, field name, and the category's name and legal classification (its GDPR
/// [`Sensitivity`] and CCPA marking, as [`sensitivity_code`] and [`ccpa_code`]). A
/// category's description is not bound: rewording a notice changes no processing.
pub fn context_digest(
    record: &str,
    field: &str,
    category: &str,
    sensitivity: Sensitivity,
    ccpa_sensitive: Option<CcpaSensitive>,
) -> [u8; CONTEXT_DIGEST_LEN] {
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    ctx.update(b"custodian.v3.context");
    for name in [record, field, category] {
        // Names are at most 255 bytes (checked by `Context::new` and `category!`);
        // a longer one is cut to its length's low byte and still hashed whole.
        ctx.update(&[name.len() as u8]);
        ctx.update(name.as_bytes());
    }
    ctx.update(&[sensitivity_code(sensitivity), ccpa_code(ccpa_sensitive)]);
    let mut out = [0u8; CONTEXT_DIGEST_LEN];
    out.copy_from_slice(&ctx.finish().as_ref()[..CONTEXT_DIGEST_LEN]);
    out
}

/// The byte that stands for a GDPR sensitivity in the context digest (fixed by
/// `docs/format.md`, independent of the enum's declaration order).
pub const fn sensitivity_code(sensitivity: Sensitivity) -> u8 {
    match sensitivity {
        Sensitivity::Ordinary => 0x00,
        Sensitivity::Special => 0x01,
        Sensitivity::CriminalOffence => 0x02,
    }
}

/// The byte that stands for a CCPA marking in the context digest: `0x00` for none,
/// else its subdivision (fixed by `docs/format.md`).
pub const fn ccpa_code(ccpa: Option<CcpaSensitive>) -> u8 {
    match ccpa {
        None => 0x00,
        Some(CcpaSensitive::GovernmentIdNumber) => 0x01,
        Some(CcpaSensitive::AccountAccess) => 0x02,
        Some(CcpaSensitive::PreciseGeolocation) => 0x03,
        Some(CcpaSensitive::OriginBeliefsOrUnion) => 0x04,
        Some(CcpaSensitive::CommunicationsContent) => 0x05,
        Some(CcpaSensitive::GeneticData) => 0x06,
        Some(CcpaSensitive::NeuralData) => 0x07,
        Some(CcpaSensitive::BiometricIdentification) => 0x08,
        Some(CcpaSensitive::HealthData) => 0x09,
        Some(CcpaSensitive::SexLifeOrOrientation) => 0x0A,
    }
}
