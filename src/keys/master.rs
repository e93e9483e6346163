//! The master key (key-encryption key): wraps every subject key at rest.

use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};
use secrecy::{ExposeSecret, SecretBox};
use zeroize::Zeroizing;

/// A key-encryption key that wraps and unwraps subject keys.
///
/// [`LocalMasterKey`] holds the 256 bits in process memory. Implement this trait to let
/// a cloud KMS or an HSM hold the key instead: `wrap`/`unwrap` are called only when a
/// subject key is created or first used by a process (the vault caches derived keys),
/// so a network round trip there does not sit on the hot path.
pub trait MasterKey: Send + Sync {
    /// A stable identifier, stored next to every key it wraps, so rotation knows which
    /// keys still need re-wrapping. At most 64 bytes.
    fn id(&self) -> &str;
    /// Encrypts `key` with `aad` bound to it.
    fn wrap(&self, key: &[u8], aad: &[u8]) -> Result<Vec<u8>, KeyError>;
    /// Decrypts a wrapped key; fails unless `aad` is the one it was wrapped with.
    fn unwrap(&self, wrapped: &[u8], aad: &[u8]) -> Result<Zeroizing<Vec<u8>>, KeyError>;
}

/// Why a master-key operation failed. Carries no key material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// A wrapped key did not authenticate: another master key, or a wrapped key copied
    /// to another subject's or version's row.
    #[error(
        "a stored key could not be unwrapped with master key `{master_id}`: the master key is wrong, or the wrapped key was copied from another row"
    )]
    Unwrap {
        /// The master key that tried.
        master_id: String,
    },
    /// The operating system's random number generator failed.
    #[error("the system random number generator failed; the process cannot make keys or nonces")]
    Random,
    /// Key bytes of the wrong length were supplied.
    #[error("a master key is 32 bytes, got {len}")]
    Length {
        /// The length supplied.
        len: usize,
    },
    /// A master key unwrapped a key of the wrong length. Every stored key is exactly
    /// [`expected`](KeyError::WrongKeyLength::expected) bytes, so the master key's
    /// implementation (or the key service behind it) is faulty. Nothing was sealed,
    /// opened or re-wrapped with what it returned.
    #[error(
        "master key `{master_id}` unwrapped {len} bytes where a {expected}-byte key was stored: its implementation or the key service behind it is faulty; nothing was sealed, opened or re-wrapped with that output"
    )]
    WrongKeyLength {
        /// The master key that unwrapped.
        master_id: String,
        /// The length every stored key has.
        expected: usize,
        /// The length it returned.
        len: usize,
    },
    /// A key of all zero bytes: a master key's `unwrap` returned one (a key service that
    /// handed back an unfilled buffer), or a [`LocalMasterKey`] was made from one (an
    /// unset secret). Data keys derived from it would follow from public inputs alone, so
    /// nothing was sealed, opened or re-wrapped with it.
    #[error(
        "master key `{master_id}` is, or unwrapped, an all-zero key: its implementation, the key service behind it or the secret it was loaded from is faulty; nothing was sealed, opened or re-wrapped with it"
    )]
    WeakKey {
        /// The master key concerned.
        master_id: String,
    },
    /// A master key id is empty or longer than 64 bytes.
    #[error("a master key id must be 1 to 64 bytes")]
    BadId,
    /// A remote key service failed (for [`MasterKey`] implementations outside this crate).
    #[error("the key service failed: {0}")]
    Service(#[source] crate::Cause),
}

impl KeyError {
    /// A key service's own failure (a KMS SDK's error), kept as the
    /// [`source()`](std::error::Error::source): what a [`MasterKey`] outside this crate
    /// returns.
    pub fn service(e: impl Into<crate::BoxError>) -> Self {
        KeyError::Service(crate::Cause::new(e))
    }

    /// The stable code of this error (see [`ErrorKind`](crate::ErrorKind)).
    pub fn kind(&self) -> crate::ErrorKind {
        use crate::ErrorKind as K;
        match self {
            KeyError::Unwrap { .. }
            | KeyError::WrongKeyLength { .. }
            | KeyError::WeakKey { .. } => K::MasterKeyInvalid,
            KeyError::Length { .. } | KeyError::BadId => K::InvalidInput,
            KeyError::Random => K::RandomUnavailable,
            KeyError::Service(_) => K::KeyServiceUnavailable,
        }
    }
}

/// Refuses a key of all zero bytes ([`KeyError::WeakKey`]), the output of a key service
/// that returned an unfilled buffer. The bytes are OR-ed together without an early exit,
/// so the only branch on key material is on "all zero or not".
pub(crate) fn refuse_zero_key(master_id: &str, key: &[u8]) -> Result<(), KeyError> {
    let any = std::hint::black_box(key.iter().fold(0u8, |acc, b| acc | b));
    if any == 0 {
        return Err(KeyError::WeakKey {
            master_id: master_id.to_owned(),
        });
    }
    Ok(())
}

/// A master key held in this process's memory, wrapping with AES-256-GCM.
///
/// Wrapped form: a random 96-bit nonce, then the ciphertext and 128-bit tag (60 bytes
/// for a 32-byte key). Random nonces are safe here because a master key wraps few keys:
/// the limit is 2^32 wraps per master key (NIST SP 800-38D), far above any key store.
///
/// ```
/// use custodian::keys::{LocalMasterKey, MasterKey};
/// let master = LocalMasterKey::generate("kek-2026-11")?;
/// let wrapped = master.wrap(&[7u8; 32], b"row 1")?;
/// assert_eq!(&master.unwrap(&wrapped, b"row 1")?[..], &[7u8; 32]);
/// assert!(master.unwrap(&wrapped, b"row 2").is_err());
/// # Ok::<(), custodian::keys::KeyError>(())
/// ```
pub struct LocalMasterKey {
    id: String,
    key: SecretBox<[u8; 32]>,
    rng: SystemRandom,
}

impl LocalMasterKey {
    /// A fresh random master key. Store its bytes ([`LocalMasterKey::expose_bytes`])
    /// in your secret manager: without them nothing sealed under it can be opened.
    pub fn generate(id: impl Into<String>) -> Result<Self, KeyError> {
        let rng = SystemRandom::new();
        let mut bytes = Box::new([0u8; 32]);
        rng.fill(&mut bytes[..]).map_err(|_| KeyError::Random)?;
        Self::with_rng(id.into(), SecretBox::new(bytes), rng)
    }

    /// A master key from its 32 bytes (e.g. loaded from a secret manager); all zero bytes
    /// (an unset secret) are refused with [`KeyError::WeakKey`].
    pub fn from_bytes(id: impl Into<String>, bytes: SecretBox<[u8; 32]>) -> Result<Self, KeyError> {
        Self::with_rng(id.into(), bytes, SystemRandom::new())
    }

    /// A master key from a byte slice, which must be 32 bytes long and not all zero
    /// ([`KeyError::WeakKey`]).
    pub fn from_slice(id: impl Into<String>, bytes: &[u8]) -> Result<Self, KeyError> {
        let arr: [u8; 32] = bytes
            .try_into()
            .map_err(|_| KeyError::Length { len: bytes.len() })?;
        Self::from_bytes(id, SecretBox::new(Box::new(arr)))
    }

    fn with_rng(id: String, key: SecretBox<[u8; 32]>, rng: SystemRandom) -> Result<Self, KeyError> {
        if id.is_empty() || id.len() > 64 {
            return Err(KeyError::BadId);
        }
        refuse_zero_key(&id, key.expose_secret())?;
        Ok(LocalMasterKey { id, key, rng })
    }

    /// The raw key bytes, to save in a secret manager. Handle with care.
    pub fn expose_bytes(&self) -> &[u8; 32] {
        self.key.expose_secret()
    }

    fn aead(&self) -> Result<LessSafeKey, KeyError> {
        UnboundKey::new(&AES_256_GCM, self.key.expose_secret())
            .map(LessSafeKey::new)
            .map_err(|_| KeyError::Length { len: 32 })
    }
}

impl MasterKey for LocalMasterKey {
    fn id(&self) -> &str {
        &self.id
    }

    fn wrap(&self, key: &[u8], aad: &[u8]) -> Result<Vec<u8>, KeyError> {
        let mut nonce = [0u8; NONCE_LEN];
        self.rng.fill(&mut nonce).map_err(|_| KeyError::Random)?;
        let mut out = Vec::with_capacity(NONCE_LEN + key.len() + 16);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(key);
        let tag = self
            .aead()?
            .seal_in_place_separate_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(aad),
                &mut out[NONCE_LEN..],
            )
            .map_err(|_| KeyError::Random)?;
        out.extend_from_slice(tag.as_ref());
        Ok(out)
    }

    fn unwrap(&self, wrapped: &[u8], aad: &[u8]) -> Result<Zeroizing<Vec<u8>>, KeyError> {
        let err = || KeyError::Unwrap {
            master_id: self.id.clone(),
        };
        if wrapped.len() < NONCE_LEN + 16 {
            return Err(err());
        }
        let (nonce, sealed) = wrapped.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| err())?;
        let mut buf = Zeroizing::new(sealed.to_vec());
        let len = self
            .aead()?
            .open_in_place(nonce, Aad::from(aad), &mut buf[..])
            .map_err(|_| err())?
            .len();
        buf.truncate(len);
        Ok(buf)
    }
}

impl std::fmt::Debug for LocalMasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "LocalMasterKey({:?}, <redacted>)", self.id)
    }
}
