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

use ring::aead::{Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::hkdf;
use zeroize::Zeroizing;

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

/// A subject's share of their anchor key for values whose header code is `code` (an
/// expiry day from [`ANCHOR_DAYS`]): what [`derive_data_key`] mixes in for them in
/// place of an epoch share. HKDF-SHA256 with salt `custodian.v3.anchor-share-salt`,
/// the anchor key as input key material and info = `custodian.v3.anchor-share` ‖ n ‖
/// subject id ‖ code (u32 BE).
pub fn anchor_share(anchor_key: &[u8], subject: &str, code: u32) -> Zeroizing<[u8; 32]> {
    let n = [subject.len() as u8];
    let c = code.to_be_bytes();
    hkdf32(
        b"custodian.v3.anchor-share-salt",
        anchor_key,
        &[b"custodian.v3.anchor-share", &n, subject.as_bytes(), &c],
    )
}

/// The subject's key for one category (its dotted name): what the data keys of that
/// category are derived from, and what an erasure exception escrows when the subject
/// key itself is destroyed (`docs/retention.md`, "Erasure exceptions").
pub fn category_key(subject_key: &[u8], category: &str) -> Zeroizing<[u8; 32]> {
    let len = [category.len().min(255) as u8];
    hkdf32(
        b"custodian.v3.category-key-salt",
        subject_key,
        &[b"custodian.v3.category-key", &len, category.as_bytes()],
    )
}

/// The 32-byte data key for (subject, version, epoch, algorithm) in this format
/// version, derived from the subject's [`category_key`] and the subject's epoch share
/// (zeroes for [`NO_EPOCH`]). Everything in the clear header but the nonce is in its
/// `info`.
pub fn derive_data_key(
    category_key: &[u8; 32],
    epoch_share: &[u8; 32],
    algorithm: Algorithm,
    subject: &str,
    key_version: u32,
    epoch: u32,
) -> Zeroizing<[u8; 32]> {
    let mut ikm = Zeroizing::new(Vec::with_capacity(64));
    ikm.extend_from_slice(category_key);
    ikm.extend_from_slice(epoch_share);
    let ids = [VERSION, algorithm.id(), subject.len() as u8];
    let version = key_version.to_be_bytes();
    let e = epoch.to_be_bytes();
    hkdf32(
        b"custodian.v3.data-key-salt",
        &ikm,
        &[
            b"custodian.v3.data-key",
            &ids,
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

/// Seals: writes the clear header, lets `encode` append the plaintext encoding, appends
/// the sealed trailer (dates, context digest), then encrypts everything after the clear
/// header in place, in one AEAD call with no associated data, and appends the tag. One
/// allocation, sized up front.
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
    let day = epoch_of(dates.expires);
    if is_anchor_day(day) {
        return None;
    }
    seal_with_day(
        key,
        algorithm,
        (subject, key_version, day),
        dates,
        nonce,
        context,
        size_hint,
        encode,
    )
}

/// [`seal`] for a value kept for a period after an event: the clear header carries
/// `code` (from [`ANCHOR_DAYS`]) as its expiry day, and `expires` sealed inside is
/// [`NEVER`] (unknown until the event). Returns `None` if `code` is not in the
/// reserved range, the subject id is invalid or `collected` is [`NEVER`].
#[allow(clippy::too_many_arguments)]
pub fn seal_anchored(
    key: &LessSafeKey,
    algorithm: Algorithm,
    subject: &str,
    key_version: u32,
    code: u32,
    collected: i64,
    nonce: [u8; NONCE_LEN],
    context: &[u8; CONTEXT_DIGEST_LEN],
    size_hint: usize,
    encode: impl FnOnce(&mut Vec<u8>),
) -> Option<Vec<u8>> {
    if !is_anchor_day(code) {
        return None;
    }
    let dates = Dates {
        collected,
        expires: NEVER,
    };
    seal_with_day(
        key,
        algorithm,
        (subject, key_version, code),
        dates,
        nonce,
        context,
        size_hint,
        encode,
    )
}

#[allow(clippy::too_many_arguments)]
fn seal_with_day(
    key: &LessSafeKey,
    algorithm: Algorithm,
    (subject, key_version, day): (&str, u32, u32),
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
    let mut out = Vec::with_capacity(header_len + size_hint + SEALED_TRAILER_LEN + TAG_LEN);
    out.extend_from_slice(&[VERSION, algorithm.id(), n as u8]);
    out.extend_from_slice(subject.as_bytes());
    let mut fixed = [0u8; 4 + 4 + NONCE_LEN];
    fixed[..4].copy_from_slice(&key_version.to_be_bytes());
    fixed[4..8].copy_from_slice(&day.to_be_bytes());
    fixed[8..].copy_from_slice(&nonce);
    out.extend_from_slice(&fixed);
    encode(&mut out);
    let mut trailer = [0u8; SEALED_TRAILER_LEN];
    trailer[..8].copy_from_slice(&dates.collected.to_be_bytes());
    trailer[8..16].copy_from_slice(&dates.expires.to_be_bytes());
    trailer[16..].copy_from_slice(context);
    out.extend_from_slice(&trailer);
    let tag = key
        .seal_in_place_separate_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::empty(),
            &mut out[header_len..],
        )
        .ok()?;
    out.extend_from_slice(tag.as_ref());
    Some(out)
}

/// Why [`open`] gave no plaintext.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyError {
    /// The tag does not verify (wrong key: another subject, version, day, algorithm or
    /// format version; or edited bytes), or the value was sealed for another context.
    Unauthentic,
    /// Authentic, but its dates contradict each other or the header's expiry day
    /// ([`FormatError::BadDates`]): only a faulty writer holding the key does this.
    BadDates,
}

/// Opens the body of `bytes` whose header was parsed as `header`: decrypts, checks the
/// sealed trailer's context digest against `context` and the sealed dates against the header,
/// and returns the dates and the plaintext encoding (in a buffer that is zeroized on
/// drop). Checking the dates against a clock is the caller's.
pub fn open(
    key: &LessSafeKey,
    bytes: &[u8],
    header: &Header<'_>,
    context: &[u8; CONTEXT_DIGEST_LEN],
) -> Result<(Dates, Zeroizing<Vec<u8>>), BodyError> {
    let body = bytes.get(header.len..).ok_or(BodyError::Unauthentic)?;
    let mut body = Zeroizing::new(body.to_vec());
    let len = key
        .open_in_place(
            Nonce::assume_unique_for_key(header.nonce),
            Aad::empty(),
            &mut body[..],
        )
        .map_err(|_| BodyError::Unauthentic)?
        .len();
    // The plaintext is first, so it is already where the returned buffer starts.
    let plain_len = len
        .checked_sub(SEALED_TRAILER_LEN)
        .ok_or(BodyError::Unauthentic)?;
    let trailer = &body[plain_len..len];
    // The digest is of public names, so comparing it in variable time reveals nothing.
    if trailer[16..] != context[..] {
        return Err(BodyError::Unauthentic);
    }
    let mut date = [0u8; 8];
    date.copy_from_slice(&trailer[..8]);
    let collected = i64::from_be_bytes(date);
    date.copy_from_slice(&trailer[8..16]);
    let expires = i64::from_be_bytes(date);
    // A value kept after an event seals `NEVER`; its header names the anchor.
    let day = if header.is_anchored() {
        if expires != NEVER {
            return Err(BodyError::BadDates);
        }
        header.expiry_day
    } else {
        epoch_of(expires)
    };
    if expires <= collected || day != header.expiry_day {
        return Err(BodyError::BadDates);
    }
    // The bytes past the plaintext (trailer, tag) stay in the allocation, which is
    // wiped whole when the buffer, or the value made from it, is dropped.
    body.truncate(plain_len);
    Ok((Dates { collected, expires }, body))
}
