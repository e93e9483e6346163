//! The key schedule of the format: the shares, the category key and the data key
//! (HKDF-SHA256, as the module doc of [`format`](super) specifies), and the AEAD key.

use ring::aead::{LessSafeKey, UnboundKey};
use ring::hkdf;
use zeroize::Zeroizing;

use super::VERSION;
use crate::keys::Algorithm;

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
