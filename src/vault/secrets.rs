//! Vault secrets: the keys of subject references and of the retention MACs.

use ring::hmac;
use zeroize::Zeroizing;

use super::{Vault, VaultError};

use crate::keys::{KeyError, KeyName};
use crate::retention::{IntegrityKey, SubjectRef};
use crate::store::StoreError;
use crate::subject::SubjectId;

/// The name of the vault secret that keys subject references.
const SUBJECT_REF_SECRET: &str = "subject-ref";
/// The name of the vault secret that keys the MACs of hold records and tombstones.
const RETENTION_INTEGRITY_SECRET: &str = "retention-integrity";

impl Vault {
    /// The key of the hold and tombstone MACs: the vault secret `retention-integrity`,
    /// created on first use and wrapped by the master key like every vault secret.
    pub(super) fn retention_key(&self) -> Result<&IntegrityKey, VaultError> {
        if let Some(key) = self.retention_key.get() {
            return Ok(key);
        }
        let name = KeyName::Secret(RETENTION_INTEGRITY_SECRET.to_owned());
        // A store never refuses a vault secret; `None` would be a broken store.
        let secret = self.named_secret(&name, true)?.ok_or(StoreError::Corrupt {
            what: "vault secret refused by the key store",
        })?;
        let secret = to_key32(secret)?;
        let key = IntegrityKey::from_secret(&secret).bound_to_references(self.subject_ref_key()?);
        Ok(self.retention_key.get_or_init(|| key))
    }

    /// The pseudonymous reference of `subject` used in erasure receipts: the same for
    /// the same subject in every vault sharing this key store and master key.
    pub fn subject_ref(&self, subject: &SubjectId) -> Result<SubjectRef, VaultError> {
        Ok(SubjectRef::from_mac(
            hmac::sign(self.subject_ref_key()?, subject.as_str().as_bytes()).as_ref(),
        ))
    }

    fn subject_ref_key(&self) -> Result<&hmac::Key, VaultError> {
        Ok(match self.subject_ref_key.get() {
            Some(key) => key,
            None => {
                let key = self.load_subject_ref_key()?;
                self.subject_ref_key.get_or_init(|| key)
            }
        })
    }

    fn load_subject_ref_key(&self) -> Result<hmac::Key, VaultError> {
        let name = KeyName::Secret(SUBJECT_REF_SECRET.to_owned());
        // A store never refuses a vault secret; `None` would be a broken store.
        let secret = self
            .named_secret(&name, true)?
            .ok_or(crate::store::StoreError::Corrupt {
                what: "vault secret refused by the key store",
            })?;
        Ok(hmac::Key::new(hmac::HMAC_SHA256, &secret))
    }
}

/// The 32 bytes of a key read from the store.
pub(super) fn to_key32(bytes: Zeroizing<Vec<u8>>) -> Result<Zeroizing<[u8; 32]>, VaultError> {
    if bytes.len() != 32 {
        return Err(KeyError::Length { len: bytes.len() }.into());
    }
    let mut out = Zeroizing::new([0u8; 32]);
    out.copy_from_slice(&bytes);
    Ok(out)
}
