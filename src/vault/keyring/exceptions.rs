//! The category keys that erasure exceptions keep (GDPR Art. 17(3)(b)): stored before
//! a subject's keys are destroyed, and used afterwards for the exception's purpose
//! alone, until its end.

use zeroize::Zeroizing;

use super::KeyRing;
use crate::format;
use crate::keys::{KeyStore, Slot};
use crate::retention::{ErasureStore, KeptData, StoredException};
use crate::subject::SubjectId;
use crate::vault::VaultError;
use crate::vault::store::subject_key_name;

impl KeyRing {
    /// The kept category key for a value in `slot` of an erased subject, if an
    /// erasure exception keeps its category for `purpose` and has not ended;
    /// `Shredded` if none keeps it (any more).
    pub(super) fn excepted_key(
        &self,
        subject: &SubjectId,
        slot: Slot,
        purpose: Option<&'static str>,
    ) -> Result<Zeroizing<[u8; 32]>, VaultError> {
        let Some(kept) = self.store.exception(subject, slot.version, slot.category)? else {
            return Err(VaultError::Shredded);
        };
        let e = &kept.exception;
        if e.until <= self.clock.now() {
            return Err(VaultError::Shredded);
        }
        if purpose != Some(e.purpose.as_str()) {
            return Err(VaultError::RestrictedByErasureException {
                purpose,
                category: slot.category,
                kept_for: e.purpose.clone(),
                law: e.law.clone(),
                until: e.until,
            });
        }
        let aad = StoredException::aad(subject, slot.version, e);
        let key = self.unwrap_with(&kept.key, &aad)?;
        if key.len() != 32 {
            return Err(crate::keys::KeyError::Length { len: key.len() }.into());
        }
        let mut out = Zeroizing::new([0u8; 32]);
        out.copy_from_slice(&key[..]);
        Ok(out)
    }

    /// Stores, for each exception in `kept`, the subject's category key of every key
    /// version they have (counting them in `key_versions`).
    pub(in crate::vault) fn keep_category_keys(
        &self,
        subject: &SubjectId,
        kept: &mut [KeptData],
    ) -> Result<(), VaultError> {
        let newest = self
            .store
            .latest(subject)?
            .map_or(0, |(version, _)| version);
        for version in 1..=newest {
            // Retired versions are gone already.
            let name = subject_key_name(subject, version);
            let Some(row) = self.store.get(&name)? else {
                continue;
            };
            let subject_key = self.unwrap_with(&row, &name.aad())?;
            for k in kept.iter_mut() {
                let category_key = format::category_key(&subject_key, &k.exception.category);
                let aad = StoredException::aad(subject, version, &k.exception);
                self.store.insert_exception(&StoredException {
                    subject: subject.clone(),
                    version,
                    exception: k.exception.clone(),
                    key: self.wrap(&category_key[..], &aad)?,
                })?;
                k.key_versions += 1;
            }
        }
        Ok(())
    }
}
