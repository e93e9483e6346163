//! The sealed format, version 2: what a [`Sealed`](crate::sealed::Sealed) value's bytes
//! are. Specified in `docs/format.md`, with test vectors in `tests/vectors/`.
//!
//! ```text
//! offset      size  field
//! 0           1     format version = 0x02
//! 1           1     algorithm: 0x01 AES-256-GCM, 0x02 ChaCha20-Poly1305
//! 2           1     n = length of the subject id (1..=128)
//! 3           n     subject id, UTF-8
//! 3+n         4     subject key version, u32 big-endian
//! 7+n         8     collected at, i64 big-endian, seconds since the Unix epoch
//! 15+n        8     expires at, i64 big-endian (i64::MAX: kept until erased)
//! 23+n        12    nonce
//! 35+n        len   ciphertext of the plaintext encoding
//! 35+n+len    16    authentication tag
//! ```
//!
//! Associated data (34 bytes) = format version ‖ algorithm id ‖ collected ‖ expires ‖
//! context digest, where the context digest is the first 16 bytes of
//! SHA-256(`custodian.v1.context` ‖ len ‖ record type ‖ len ‖ field name ‖ len ‖
//! category name), each len one byte. Editing either date breaks the tag. The subject
//! id, key version and retention epoch are bound through the key: the data key is
//! derived from them, so a header naming another subject, version or expiry day
//! selects another key and the tag fails. The nonce is bound by the AEAD itself.
//!
//! The retention epoch of a value is the UTC day of its expiry, `floor(expires /
//! 86400)`, or [`NO_EPOCH`] for a value kept until erased. Its epoch share is
//! HKDF-SHA256 with salt `custodian.v2.epoch-share-salt`, the epoch key as input key
//! material and info = `custodian.v2.epoch-share` ‖ n ‖ subject id ‖ epoch (u32 BE);
//! for [`NO_EPOCH`] the share is 32 zero bytes.
//!
//! The data key is HKDF-SHA256 (RFC 5869) with salt `custodian.v2.data-key-salt`, the
//! subject key ‖ the epoch share as input key material, and info =
//! `custodian.v2.data-key` ‖ algorithm id ‖ n ‖ subject id ‖ version (u32 BE) ‖ epoch
//! (u32 BE); 32 bytes of output.

use ring::aead::{Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::hkdf;
use zeroize::Zeroizing;

use crate::keys::Algorithm;
use crate::subject::MAX_SUBJECT_ID_LEN;

/// The format version this build writes and reads. (Version 1, without retention
/// dates, was never released.)
pub const VERSION: u8 = 2;
/// The epoch of a value kept until its subject is erased: no epoch key is involved.
pub const NO_EPOCH: u32 = u32::MAX;
/// The `expires` value of a value kept until erased.
pub const NEVER: i64 = i64::MAX;
/// Seconds in a retention epoch (one UTC day).
pub const EPOCH_SECONDS: i64 = 86_400;
/// Bytes of authentication tag.
pub const TAG_LEN: usize = 16;
/// Header bytes besides the subject id.
const FIXED_HEADER: usize = 3 + 4 + 8 + 8 + NONCE_LEN;

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
    /// The expiry is not after the collection time.
    #[error("a sealed value's header says it expires before it was collected")]
    BadDates,
    /// Not valid base64url (in a human-readable serialization).
    #[error("a sealed value in text form must be unpadded base64url")]
    BadBase64,
}

/// The parsed header of a sealed value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header<'a> {
    /// The AEAD.
    pub algorithm: Algorithm,
    /// The data subject, as written.
    pub subject: &'a str,
    /// The subject key version.
    pub key_version: u32,
    /// When the value was collected (sealed), in seconds since the Unix epoch.
    pub collected: i64,
    /// When it expires, in seconds since the Unix epoch; [`NEVER`] if it is kept until
    /// its subject is erased.
    pub expires: i64,
    /// The nonce.
    pub nonce: [u8; NONCE_LEN],
    /// Length of the header in bytes.
    pub len: usize,
}

/// Parses and checks the header of `bytes`, including that a tag fits after it.
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
    let min = FIXED_HEADER + 1 + TAG_LEN;
    if bytes.len() < min {
        return Err(FormatError::TooShort {
            len: bytes.len(),
            min,
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
    if bytes.len() < len + TAG_LEN {
        return Err(FormatError::TooShort {
            len: bytes.len(),
            min: len + TAG_LEN,
        });
    }
    let Some(subject) = subject_of(&bytes[3..3 + n])? else {
        return Ok(None);
    };
    let mut version = [0u8; 4];
    version.copy_from_slice(&bytes[3 + n..7 + n]);
    let mut collected = [0u8; 8];
    collected.copy_from_slice(&bytes[7 + n..15 + n]);
    let mut expires = [0u8; 8];
    expires.copy_from_slice(&bytes[15 + n..23 + n]);
    let (collected, expires) = (i64::from_be_bytes(collected), i64::from_be_bytes(expires));
    if expires <= collected {
        return Err(FormatError::BadDates);
    }
    let mut nonce = [0u8; NONCE_LEN];
    nonce.copy_from_slice(&bytes[23 + n..len]);
    Ok(Some(Header {
        algorithm,
        subject,
        key_version: u32::from_be_bytes(version),
        collected,
        expires,
        nonce,
        len,
    }))
}

impl Header<'_> {
    /// The retention epoch whose key the value's data key depends on.
    pub fn epoch(&self) -> u32 {
        epoch_of(self.expires)
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

/// Bytes of the context digest in the associated data.
pub const CONTEXT_DIGEST_LEN: usize = 16;

/// The digest of where a value belongs, bound into its associated data.
pub fn context_digest(record: &str, field: &str, category: &str) -> [u8; CONTEXT_DIGEST_LEN] {
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    ctx.update(b"custodian.v1.context");
    for name in [record, field, category] {
        // Names are at most 255 bytes (checked by `Context::new` and `category!`);
        // a longer one is cut to its length's low byte and still hashed whole.
        ctx.update(&[name.len() as u8]);
        ctx.update(name.as_bytes());
    }
    let mut out = [0u8; CONTEXT_DIGEST_LEN];
    out.copy_from_slice(&ctx.finish().as_ref()[..CONTEXT_DIGEST_LEN]);
    out
}

/// Bytes of associated data.
const AAD_LEN: usize = 2 + 8 + 8 + CONTEXT_DIGEST_LEN;

/// The associated data: version, algorithm, collection and expiry, context digest.
fn aad(
    algorithm: Algorithm,
    collected: i64,
    expires: i64,
    context: &[u8; CONTEXT_DIGEST_LEN],
) -> [u8; AAD_LEN] {
    let mut aad = [0u8; AAD_LEN];
    aad[0] = VERSION;
    aad[1] = algorithm.id();
    aad[2..10].copy_from_slice(&collected.to_be_bytes());
    aad[10..18].copy_from_slice(&expires.to_be_bytes());
    aad[18..].copy_from_slice(context);
    aad
}

/// HKDF-SHA256 extract-and-expand to 32 bytes.
fn hkdf32(salt: &[u8], ikm: &[u8], info: &[&[u8]]) -> Zeroizing<[u8; 32]> {
    struct Len32;
    impl hkdf::KeyType for Len32 {
        fn len(&self) -> usize {
            32
        }
    }
    let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, salt).extract(ikm);
    let mut out = Zeroizing::new([0u8; 32]);
    // `expand` fails only when the output is longer than 255 hashes, and `fill` only
    // when the lengths differ; 32 bytes asked of a 32-byte `KeyType` does neither.
    if let Ok(okm) = prk.expand(info, Len32) {
        let _ = okm.fill(&mut out[..]);
    }
    out
}

/// A subject's share of a retention epoch: what [`derive_data_key`] mixes in, and what
/// a legal hold escrows when the epoch key itself is destroyed.
pub fn epoch_share(epoch_key: &[u8], subject: &str, epoch: u32) -> Zeroizing<[u8; 32]> {
    let n = [subject.len() as u8];
    let e = epoch.to_be_bytes();
    hkdf32(
        b"custodian.v2.epoch-share-salt",
        epoch_key,
        &[b"custodian.v2.epoch-share", &n, subject.as_bytes(), &e],
    )
}

/// The 32-byte data key for (subject, version, epoch, algorithm), derived from the
/// subject key and the subject's epoch share (zeroes for [`NO_EPOCH`]).
pub fn derive_data_key(
    subject_key: &[u8],
    epoch_share: &[u8; 32],
    algorithm: Algorithm,
    subject: &str,
    key_version: u32,
    epoch: u32,
) -> Zeroizing<[u8; 32]> {
    let mut ikm = Zeroizing::new(Vec::with_capacity(subject_key.len() + 32));
    ikm.extend_from_slice(subject_key);
    ikm.extend_from_slice(epoch_share);
    let n = [subject.len() as u8];
    let alg = [algorithm.id()];
    let version = key_version.to_be_bytes();
    let e = epoch.to_be_bytes();
    hkdf32(
        b"custodian.v2.data-key-salt",
        &ikm,
        &[
            b"custodian.v2.data-key",
            &alg,
            &n,
            subject.as_bytes(),
            &version,
            &e,
        ],
    )
}

/// A ring AEAD key from derived key bytes.
pub fn aead_key(algorithm: Algorithm, data_key: &[u8; 32]) -> Option<LessSafeKey> {
    UnboundKey::new(algorithm.ring(), data_key)
        .ok()
        .map(LessSafeKey::new)
}

/// When a value was collected and when it expires, in seconds since the Unix epoch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dates {
    /// Collection (sealing) time.
    pub collected: i64,
    /// Expiry, or [`NEVER`].
    pub expires: i64,
}

/// Seals: writes the header, then lets `encode` append the plaintext encoding, then
/// encrypts it in place and appends the tag. One allocation, sized up front.
///
/// Returns `None` if the subject id is invalid or the value would expire before it
/// was collected.
#[allow(clippy::too_many_arguments)]
pub fn seal(
    key: &LessSafeKey,
    algorithm: Algorithm,
    subject: &str,
    key_version: u32,
    dates: Dates,
    nonce: [u8; NONCE_LEN],
    context: &[u8; CONTEXT_DIGEST_LEN],
    size_hint: usize,
    encode: impl FnOnce(&mut Vec<u8>),
) -> Option<Vec<u8>> {
    let n = subject.len();
    if n == 0 || n > MAX_SUBJECT_ID_LEN || dates.expires <= dates.collected {
        return None;
    }
    let header_len = FIXED_HEADER + n;
    let mut out = Vec::with_capacity(header_len + size_hint + TAG_LEN);
    out.extend_from_slice(&[VERSION, algorithm.id(), n as u8]);
    out.extend_from_slice(subject.as_bytes());
    let mut fixed = [0u8; 4 + 8 + 8 + NONCE_LEN];
    fixed[..4].copy_from_slice(&key_version.to_be_bytes());
    fixed[4..12].copy_from_slice(&dates.collected.to_be_bytes());
    fixed[12..20].copy_from_slice(&dates.expires.to_be_bytes());
    fixed[20..].copy_from_slice(&nonce);
    out.extend_from_slice(&fixed);
    encode(&mut out);
    let aad = aad(algorithm, dates.collected, dates.expires, context);
    let tag = key
        .seal_in_place_separate_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(&aad),
            &mut out[header_len..],
        )
        .ok()?;
    out.extend_from_slice(tag.as_ref());
    Some(out)
}

/// Opens the body of `bytes` whose header was parsed as `header`, returning the
/// plaintext encoding (in a buffer that is zeroized on drop), or `None` if it does not
/// authenticate.
pub fn open(
    key: &LessSafeKey,
    bytes: &[u8],
    header: &Header<'_>,
    context: &[u8; CONTEXT_DIGEST_LEN],
) -> Option<Zeroizing<Vec<u8>>> {
    let mut body = Zeroizing::new(bytes.get(header.len..)?.to_vec());
    let aad = aad(header.algorithm, header.collected, header.expires, context);
    let plain_len = key
        .open_in_place(
            Nonce::assume_unique_for_key(header.nonce),
            Aad::from(&aad),
            &mut body[..],
        )
        .ok()?
        .len();
    body.truncate(plain_len);
    Some(body)
}
