//! The sealed format, version 1: what a [`Sealed`](crate::sealed::Sealed) value's bytes
//! are. Specified in `docs/format.md`, with test vectors in `tests/vectors/`.
//!
//! ```text
//! offset      size  field
//! 0           1     format version = 0x01
//! 1           1     algorithm: 0x01 AES-256-GCM, 0x02 ChaCha20-Poly1305
//! 2           1     n = length of the subject id (1..=128)
//! 3           n     subject id, UTF-8
//! 3+n         4     subject key version, u32 big-endian
//! 7+n         12    nonce
//! 19+n        len   ciphertext of the plaintext encoding
//! 19+n+len    16    authentication tag
//! ```
//!
//! Associated data (18 bytes) = format version ‖ algorithm id ‖ context digest, where
//! the context digest is the first 16 bytes of SHA-256(`custodian.v1.context` ‖
//! len ‖ record type ‖ len ‖ field name ‖ len ‖ category name), each len one byte.
//! The subject id and key version are bound through the key: the data key is derived
//! from them, so a header naming another subject or version selects another key and
//! the tag fails. The nonce is bound by the AEAD itself.
//!
//! The data key is HKDF-SHA256 (RFC 5869) with salt `custodian.v1.data-key-salt`, the
//! subject key as input key material, and info = `custodian.v1.data-key` ‖ algorithm
//! id ‖ n ‖ subject id ‖ version (u32 BE); 32 bytes of output.

use ring::aead::{Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::hkdf;
use zeroize::Zeroizing;

use crate::keys::Algorithm;
use crate::subject::MAX_SUBJECT_ID_LEN;

/// The format version this build writes.
pub const VERSION: u8 = 1;
/// Bytes of authentication tag.
pub const TAG_LEN: usize = 16;
/// Header bytes besides the subject id.
const FIXED_HEADER: usize = 3 + 4 + NONCE_LEN;

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
    /// The nonce.
    pub nonce: [u8; NONCE_LEN],
    /// Length of the header in bytes.
    pub len: usize,
}

/// Parses and checks the header of `bytes`, including that a tag fits after it.
pub fn parse(bytes: &[u8]) -> Result<Header<'_>, FormatError> {
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
    let subject = std::str::from_utf8(&bytes[3..3 + n]).map_err(|_| FormatError::BadSubject)?;
    let mut version = [0u8; 4];
    version.copy_from_slice(&bytes[3 + n..7 + n]);
    let mut nonce = [0u8; NONCE_LEN];
    nonce.copy_from_slice(&bytes[7 + n..len]);
    Ok(Header {
        algorithm,
        subject,
        key_version: u32::from_be_bytes(version),
        nonce,
        len,
    })
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

/// The associated data: version, algorithm, context digest.
fn aad(algorithm: Algorithm, context: &[u8; CONTEXT_DIGEST_LEN]) -> [u8; 2 + CONTEXT_DIGEST_LEN] {
    let mut aad = [0u8; 2 + CONTEXT_DIGEST_LEN];
    aad[0] = VERSION;
    aad[1] = algorithm.id();
    aad[2..].copy_from_slice(context);
    aad
}

/// The 32-byte data key for (subject, version, algorithm), derived from the subject key.
pub fn derive_data_key(
    subject_key: &[u8],
    algorithm: Algorithm,
    subject: &str,
    key_version: u32,
) -> Zeroizing<[u8; 32]> {
    struct Len32;
    impl hkdf::KeyType for Len32 {
        fn len(&self) -> usize {
            32
        }
    }
    let prk =
        hkdf::Salt::new(hkdf::HKDF_SHA256, b"custodian.v1.data-key-salt").extract(subject_key);
    let n = [subject.len() as u8];
    let alg = [algorithm.id()];
    let version = key_version.to_be_bytes();
    let info: [&[u8]; 5] = [
        b"custodian.v1.data-key",
        &alg,
        &n,
        subject.as_bytes(),
        &version,
    ];
    let mut out = Zeroizing::new([0u8; 32]);
    // `expand` fails only when the output is longer than 255 hashes, and `fill` only
    // when the lengths differ; 32 bytes asked of a 32-byte `KeyType` does neither.
    if let Ok(okm) = prk.expand(&info, Len32) {
        let _ = okm.fill(&mut out[..]);
    }
    out
}

/// A ring AEAD key from derived key bytes.
pub fn aead_key(algorithm: Algorithm, data_key: &[u8; 32]) -> Option<LessSafeKey> {
    UnboundKey::new(algorithm.ring(), data_key)
        .ok()
        .map(LessSafeKey::new)
}

/// Seals: writes the header, then lets `encode` append the plaintext encoding, then
/// encrypts it in place and appends the tag. One allocation, sized up front.
///
/// Returns `None` if the subject id is invalid.
#[allow(clippy::too_many_arguments)]
pub fn seal(
    key: &LessSafeKey,
    algorithm: Algorithm,
    subject: &str,
    key_version: u32,
    nonce: [u8; NONCE_LEN],
    context: &[u8; CONTEXT_DIGEST_LEN],
    size_hint: usize,
    encode: impl FnOnce(&mut Vec<u8>),
) -> Option<Vec<u8>> {
    let n = subject.len();
    if n == 0 || n > MAX_SUBJECT_ID_LEN {
        return None;
    }
    let header_len = FIXED_HEADER + n;
    let mut out = Vec::with_capacity(header_len + size_hint + TAG_LEN);
    out.push(VERSION);
    out.push(algorithm.id());
    out.push(n as u8);
    out.extend_from_slice(subject.as_bytes());
    out.extend_from_slice(&key_version.to_be_bytes());
    out.extend_from_slice(&nonce);
    encode(&mut out);
    let aad = aad(algorithm, context);
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
    let aad = aad(header.algorithm, context);
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
