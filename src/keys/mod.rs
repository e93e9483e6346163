//! Keys: the master key, subject keys at rest, derivation of data keys, and the cache.
//!
//! ```text
//! MasterKey (KEK, 256-bit; local, or a KMS/HSM behind the trait)
//!   ├─ wraps ─ subject key (256-bit random, one per subject and version, in a KeyStore)
//!   └─ wraps ─ epoch key (256-bit random, one per UTC day of expiry, in the KeyStore)
//!                └─ HKDF-SHA256 ─ epoch share (per subject and epoch; escrowed on hold)
//! subject key ‖ epoch share
//!   └─ HKDF-SHA256 ─ data key (per subject, version, epoch and algorithm; cached)
//!                      └─ AES-256-GCM / ChaCha20-Poly1305 ─ sealed fields
//! ```
//!
//! Shredding a subject deletes its subject keys: every data key derived from them, and
//! so every field sealed under them, wherever copied, can no longer be opened. A sweep
//! deletes the epoch keys of days that have passed, which does the same for every
//! value that expired on them. See `docs/crypto.md` for the threat model and the nonce
//! argument, `docs/retention.md` for epochs.

mod cache;
mod master;
mod nonce;
mod store;

pub(crate) use cache::{CachedKey, KeyCache, KeyRef, MAX_TTL as MAX_CACHE_TTL, Slot};
pub(crate) use master::refuse_zero_key;
pub use master::{KeyError, LocalMasterKey, MasterKey};
pub use store::{KeyName, KeyStore, WrappedKey};

use crate::subject::SubjectId;

/// The AEAD that seals fields. AES-256-GCM is the default (hardware-accelerated on
/// x86-64 and ARMv8); ChaCha20-Poly1305 is faster where AES instructions are missing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Algorithm {
    /// AES-256-GCM (format id 1).
    #[default]
    Aes256Gcm,
    /// ChaCha20-Poly1305 (format id 2).
    ChaCha20Poly1305,
}

impl Algorithm {
    /// Its id in the sealed format.
    pub const fn id(self) -> u8 {
        match self {
            Algorithm::Aes256Gcm => 1,
            Algorithm::ChaCha20Poly1305 => 2,
        }
    }

    /// The algorithm with format id `id`.
    pub const fn from_id(id: u8) -> Option<Self> {
        match id {
            1 => Some(Algorithm::Aes256Gcm),
            2 => Some(Algorithm::ChaCha20Poly1305),
            _ => None,
        }
    }

    pub(crate) fn ring(self) -> &'static ring::aead::Algorithm {
        match self {
            Algorithm::Aes256Gcm => &ring::aead::AES_256_GCM,
            Algorithm::ChaCha20Poly1305 => &ring::aead::CHACHA20_POLY1305,
        }
    }
}

/// Tells custodian that this process was restored from a snapshot (of the process,
/// e.g. CRIU, or of its virtual machine, e.g. a Firecracker or VM clone): call it in
/// the restored process before it seals anything.
///
/// A snapshot copies the nonce state of every cached key; the original and each
/// restored copy would continue the same sequences under the same keys. After this
/// call, every vault in the process discards that state and draws fresh random nonce
/// prefixes (as a forked child does on its own). Cheap; calling it needlessly costs one
/// key reload per cached key. See `docs/crypto.md`, "Processes, forks and snapshots".
///
/// ```
/// custodian::keys::restored_from_snapshot();
/// ```
pub fn restored_from_snapshot() {
    custodian_fork::invalidate();
}

/// The associated data a subject key is wrapped with: a wrapped key copied to another
/// subject's or version's row fails to unwrap.
pub(crate) fn subject_key_aad(subject: &SubjectId, version: u32) -> Vec<u8> {
    let s = subject.as_str().as_bytes();
    let mut aad = Vec::with_capacity(32 + s.len());
    aad.extend_from_slice(b"custodian.v1.subject-key");
    aad.push(s.len() as u8);
    aad.extend_from_slice(s);
    aad.extend_from_slice(&version.to_be_bytes());
    aad
}
