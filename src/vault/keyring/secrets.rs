//! Wrapping and unwrapping under the master key(s), named vault secrets (the keys of
//! subject references, of the retention MACs and of the erasure queue), tombstone
//! lookups, and re-wrapping after a master-key rotation.

use ring::hmac;
use ring::rand::SecureRandom;
use zeroize::Zeroizing;

use super::KeyRing;
use crate::keys::{KeyError, KeyName, KeyStore, MasterKey, WrappedKey};
use crate::retention::RetentionStore;
use crate::retention::{IntegrityKey, SubjectRef};
use crate::store::StoreError;
use crate::subject::SubjectId;
use crate::vault::VaultError;

/// The name of the vault secret that keys subject references.
const SUBJECT_REF_SECRET: &str = "subject-ref";
/// The name of the vault secret that keys the MACs of hold records and tombstones.
const RETENTION_INTEGRITY_SECRET: &str = "retention-integrity";
/// The name of the vault secret that keys the MACs of queued erasures.
const QUEUE_SECRET: &str = "erasure-queue";
/// Every stored key (subject key, epoch key, escrowed share, secret) is this long.
const KEY_LEN: usize = 32;

impl KeyRing {
    /// The master key (current or previous) named `master_id`.
    pub(super) fn master_named(&self, master_id: &str) -> Result<&dyn MasterKey, VaultError> {
        if master_id == self.master.id() {
            return Ok(&*self.master);
        }
        self.previous
            .iter()
            .find(|m| m.id() == master_id)
            .map(|m| &**m)
            .ok_or_else(|| VaultError::UnknownMasterKey {
                master_id: master_id.to_owned(),
            })
    }

    /// The 32-byte secret stored as `name`, created first if missing and `create`.
    /// `None` if missing and not created, or if the store refused it (the secret of a
    /// shredded subject).
    pub(in crate::vault) fn named_secret(
        &self,
        name: &KeyName,
        create: bool,
    ) -> Result<Option<Zeroizing<Vec<u8>>>, VaultError> {
        let wrapped = match self.store.get(name)? {
            Some(w) => w,
            None if !create => return Ok(None),
            None => {
                let mut secret = Zeroizing::new([0u8; 32]);
                self.rng
                    .fill(&mut secret[..])
                    .map_err(|_| KeyError::Random)?;
                let wrapped = self.wrap(&secret[..], &name.aad())?;
                let reference = match name {
                    KeyName::Escrow { subject, .. }
                    | KeyName::Pseudonym(subject)
                    | KeyName::Anchor { subject, .. } => Some(self.subject_ref(subject)?),
                    _ => None,
                };
                match self.store.insert(name, &wrapped, reference.as_ref())? {
                    Some(stored) => stored,
                    None => return Ok(None),
                }
            }
        };
        Ok(Some(self.unwrap_with(&wrapped, &name.aad())?))
    }

    pub(super) fn unwrap_with(
        &self,
        key: &WrappedKey,
        aad: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, VaultError> {
        let master = self.master_named(&key.master_id)?;
        Ok(checked_len(master, master.unwrap(&key.wrapped, aad)?)?)
    }

    pub(super) fn wrap(&self, key: &[u8], aad: &[u8]) -> Result<WrappedKey, VaultError> {
        Ok(WrappedKey {
            master_id: self.master.id().to_owned(),
            wrapped: self.master.wrap(key, aad)?,
        })
    }

    /// The key of the hold and tombstone MACs: the vault secret `retention-integrity`,
    /// created on first use and wrapped by the master key like every vault secret.
    pub(in crate::vault) fn retention_key(&self) -> Result<&IntegrityKey, VaultError> {
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

    /// Whether the store holds the subject's tombstone (their keyed reference). The
    /// store first checks that no tombstone was deleted or forged: a subject key is
    /// only created after this says no (`VaultError::Store(RetentionTampered)` on a
    /// tampered store, so nothing is sealed for a subject whose erasure was hidden).
    pub(in crate::vault) fn is_shredded(&self, subject: &SubjectId) -> Result<bool, VaultError> {
        let reference = self.subject_ref(subject)?;
        Ok(self.store.is_shredded(&reference, self.retention_key()?)?)
    }

    /// The pseudonymous reference of `subject` (erasure receipts, tombstones, holds).
    pub(in crate::vault) fn subject_ref(
        &self,
        subject: &SubjectId,
    ) -> Result<SubjectRef, VaultError> {
        Ok(SubjectRef::from_mac(
            hmac::sign(self.subject_ref_key()?, subject.as_str().as_bytes()).as_ref(),
        ))
    }

    /// The key of the erasure queue's MACs: the vault secret `erasure-queue`, created
    /// on first use and wrapped by the master key like every vault secret.
    pub(in crate::vault) fn queue_key(&self) -> Result<hmac::Key, VaultError> {
        let name = KeyName::Secret(QUEUE_SECRET.to_owned());
        // A store never refuses a vault secret; `None` would be a broken store.
        let secret = self.named_secret(&name, true)?.ok_or(StoreError::Corrupt {
            what: "vault secret refused by the key store",
        })?;
        Ok(hmac::Key::new(hmac::HMAC_SHA256, &secret))
    }

    /// Re-wraps every stored key (subject keys, epoch keys, escrows, vault secrets)
    /// not yet under the current master key; returns how many were re-wrapped. Each
    /// key is swapped on its own, so an interrupted run loses nothing.
    pub(in crate::vault) fn rewrap_all(&self) -> Result<usize, VaultError> {
        let mut rewrapped = 0;
        loop {
            let batch = self.store.wrapped_by_other(self.master.id(), 256)?;
            if batch.is_empty() {
                return Ok(rewrapped);
            }
            for (name, key) in batch {
                let plain = self.unwrap_with(&key, &name.aad())?;
                let new = self.wrap(&plain, &name.aad())?;
                if self.store.rewrap(&key.master_id, &name, &new)? {
                    rewrapped += 1;
                }
            }
        }
    }
}

/// Refuses what a master key unwrapped unless it is [`KEY_LEN`] bytes: a short key from
/// a faulty `MasterKey` would make data keys derivable from little or nothing secret.
fn checked_len(
    master: &dyn MasterKey,
    key: Zeroizing<Vec<u8>>,
) -> Result<Zeroizing<Vec<u8>>, KeyError> {
    if key.len() != KEY_LEN {
        return Err(KeyError::WrongKeyLength {
            master_id: master.id().to_owned(),
            expected: KEY_LEN,
            len: key.len(),
        });
    }
    crate::keys::refuse_zero_key(master.id(), &key)?;
    Ok(key)
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
