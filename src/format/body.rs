//! Sealing and opening a value's body: the plaintext encoding, its dates and context
//! digest under one AEAD pass, after the clear header.

use ring::aead::{Aad, LessSafeKey, NONCE_LEN, Nonce};
use zeroize::Zeroizing;

use super::*;
use crate::keys::Algorithm;

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
