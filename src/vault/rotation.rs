//! Key rotation on the vault: a subject's key versions (rotate, retire) and the master
//! key (re-wrap). The compromise procedure that uses them is in `docs/crypto.md`.

use super::{RewrapReport, Vault, VaultError};
use crate::audit::{EventKind, Outcome};
use crate::subject::SubjectId;

impl Vault {
    /// Starts a new key version for `subject`: new seals use it, old values still open,
    /// and [`reseal`](Self::reseal) upgrades them. Returns the new version.
    pub fn rotate_subject_key(&self, subject: &SubjectId) -> Result<u32, VaultError> {
        let next = match self.store.latest(subject)? {
            Some((version, _)) => version.saturating_add(1),
            None if self.is_shredded(subject)? => return Err(VaultError::Shredded),
            None => 1,
        };
        let (version, _) = self.create_key(subject, next)?;
        // Fronts and the cache still name the old version current: drop them.
        self.cache.evict(subject);
        self.audit_event(
            EventKind::SubjectKeyRotation,
            Some(subject),
            None,
            Outcome::Allowed,
        )?;
        Ok(version)
    }

    /// Destroys `subject`'s key versions below `below` (never the newest), from the key
    /// store, its journal and this process's cache; returns how many were destroyed.
    /// Values still sealed under them then fail with [`VaultError::KeyRetired`], in
    /// every copy.
    ///
    /// The last step of a key rotation after a compromise (`docs/crypto.md`, "After a
    /// compromise"): [`rotate_subject_key`](Self::rotate_subject_key), wait out the
    /// cache TTL of every process, [`reseal`](Self::reseal) every value of the
    /// subject, then retire the old versions, so that no copy of the key store taken
    /// before opens anything sealed since. Refused with
    /// [`VaultError::WouldRetireNewestKey`] if `below` is above the newest version, and
    /// like [`shred`](Self::shred), under a legal hold. Audited as a subject key
    /// rotation.
    ///
    /// ```
    /// # use custodian::keys::LocalMasterKey;
    /// # use custodian::{SubjectId, Vault, VaultError};
    /// let vault = Vault::in_memory(LocalMasterKey::generate("kek-2")?);
    /// let alice = SubjectId::new("cus_1")?;
    /// vault.rotate_subject_key(&alice)?; // version 1
    /// let newest = vault.rotate_subject_key(&alice)?; // version 2
    /// // ... reseal every value of alice here ...
    /// assert_eq!(vault.retire_subject_key_versions(&alice, newest)?, 1);
    /// assert!(matches!(
    ///     vault.retire_subject_key_versions(&alice, newest + 1),
    ///     Err(VaultError::WouldRetireNewestKey { .. })
    /// ));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn retire_subject_key_versions(
        &self,
        subject: &SubjectId,
        below: u32,
    ) -> Result<usize, VaultError> {
        self.refuse_if_held(subject)?;
        let newest = match self.store.latest(subject)? {
            Some((version, _)) => version,
            None if self.is_shredded(subject)? => return Err(VaultError::Shredded),
            None => return Ok(0),
        };
        if below > newest {
            return Err(VaultError::WouldRetireNewestKey { below, newest });
        }
        // Before and after the deletion: an open that loaded an old version meanwhile
        // may have cached it again.
        self.cache.evict(subject);
        let destroyed = self.store.retire_versions(subject, below)?;
        self.cache.evict(subject);
        self.audit_event(
            EventKind::SubjectKeyRotation,
            Some(subject),
            None,
            Outcome::Allowed,
        )?;
        Ok(destroyed)
    }

    /// Re-wraps every stored key (subject keys, epoch keys, escrows, vault secrets)
    /// that is not yet under the current master key (they must be under a
    /// [`previous_master_key`](super::VaultBuilder::previous_master_key)). No ciphertext is
    /// touched. Each key is swapped on its own, so an interrupted run loses nothing and
    /// the next run carries on where it stopped.
    pub fn rewrap_keys(&self) -> Result<RewrapReport, VaultError> {
        let mut report = RewrapReport::default();
        loop {
            let batch = self.store.wrapped_by_other(self.master.id(), 256)?;
            if batch.is_empty() {
                // The old wrappings linger in the store's journal until purged.
                report.journal = self.purge_journal();
                self.audit_event(EventKind::MasterKeyRotation, None, None, Outcome::Allowed)?;
                return Ok(report);
            }
            for (name, key) in batch {
                let plain = self.unwrap_with(&key, &name.aad())?;
                let new = self.wrap(&plain, &name.aad())?;
                if self.store.rewrap(&key.master_id, &name, &new)? {
                    report.rewrapped += 1;
                }
            }
        }
    }
}
