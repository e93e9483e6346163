//! Epoch keys (one per UTC day of expiry, created on first use, destroyed by the
//! sweep) and each subject's share of one: for sealing, for opening, and escrowed for
//! subjects under a legal hold.

use std::collections::BTreeSet;

use zeroize::Zeroizing;

use super::KeyRing;
use super::secrets::to_key32;
use crate::format::{self, NO_EPOCH};
use crate::keys::KeyName;
use crate::subject::SubjectId;
use crate::vault::VaultError;
use crate::vault::retention::expired;

/// Epoch keys kept unwrapped in memory at most (one per day of expiry in use).
const EPOCH_KEYS_KEPT: usize = 1024;

impl KeyRing {
    /// The subject's share of `epoch` for sealing: the epoch key is created on first use.
    /// An `epoch` in the range reserved for event anchors is a value kept after an
    /// event: the share of its anchor key (`anchors.rs`).
    pub(super) fn share_for_seal(
        &self,
        subject: &SubjectId,
        epoch: u32,
    ) -> Result<Zeroizing<[u8; 32]>, VaultError> {
        if epoch == NO_EPOCH {
            return Ok(Zeroizing::new([0; 32]));
        }
        if format::is_anchor_day(epoch) {
            return self.anchor_share_for_seal(subject, epoch);
        }
        // `None` with `create`: the store refused a key below its sweep watermark.
        let key = self
            .epoch_key(epoch, true)?
            .ok_or(VaultError::EpochSwept { epoch })?;
        Ok(format::epoch_share(&key[..], subject.as_str(), epoch))
    }

    /// The subject's share of `epoch` for opening, and whether it came from an escrow.
    pub(super) fn share_for_open(
        &self,
        subject: &SubjectId,
        epoch: u32,
        expires: i64,
    ) -> Result<(Zeroizing<[u8; 32]>, bool), VaultError> {
        if epoch == NO_EPOCH {
            return Ok((Zeroizing::new([0; 32]), false));
        }
        if format::is_anchor_day(epoch) {
            return Ok((self.anchor_share_for_open(subject, epoch)?, false));
        }
        if let Some(key) = self.epoch_key(epoch, false)? {
            return Ok((
                format::epoch_share(&key[..], subject.as_str(), epoch),
                false,
            ));
        }
        let name = KeyName::Escrow {
            subject: subject.clone(),
            epoch,
        };
        if let Some(wrapped) = self.store.get(&name)? {
            return Ok((to_key32(self.unwrap_with(&wrapped, &name.aad())?)?, true));
        }
        if epoch < self.store.swept_before()? {
            return Err(expired(expires));
        }
        Err(VaultError::EpochKeyNotFound { epoch })
    }

    /// The unwrapped key of `epoch`, from memory or the store, created there first if
    /// missing and `create`; `None` if it has none (or the store refused to create one
    /// below its sweep watermark).
    pub(super) fn epoch_key(
        &self,
        epoch: u32,
        create: bool,
    ) -> Result<Option<Zeroizing<[u8; 32]>>, VaultError> {
        let now = coarsetime::Instant::now();
        if let Ok(mut kept) = self.epoch_keys.lock() {
            kept.retain(|(_, at, _)| now.duration_since(*at) < self.cache_ttl);
            if let Some((_, _, key)) = kept.iter().find(|(e, _, _)| *e == epoch) {
                return Ok(Some((**key).clone()));
            }
        }
        let Some(key) = self.named_secret(&KeyName::Epoch(epoch), create)? else {
            return Ok(None);
        };
        let key = to_key32(key)?;
        self.keep_epoch_key(epoch, &key);
        Ok(Some(key))
    }

    fn keep_epoch_key(&self, epoch: u32, key: &Zeroizing<[u8; 32]>) {
        if self.cache_ttl == coarsetime::Duration::from_secs(0) {
            return;
        }
        if let Ok(mut kept) = self.epoch_keys.lock() {
            if kept.len() >= EPOCH_KEYS_KEPT {
                kept.clear();
            }
            kept.push((epoch, coarsetime::Instant::now(), Box::new(key.clone())));
        }
    }

    /// Escrows each held subject's share of each epoch; returns how many were stored.
    pub(in crate::vault) fn escrow(
        &self,
        epochs: &[u32],
        held: &BTreeSet<&SubjectId>,
    ) -> Result<usize, VaultError> {
        let mut escrowed = 0;
        if held.is_empty() {
            return Ok(0);
        }
        for &epoch in epochs {
            let Some(key) = self.epoch_key(epoch, false)? else {
                continue;
            };
            for subject in held {
                let name = KeyName::Escrow {
                    subject: (*subject).clone(),
                    epoch,
                };
                let share = format::epoch_share(&key[..], subject.as_str(), epoch);
                let wrapped = self.wrap(&share[..], &name.aad())?;
                let reference = self.subject_ref(subject)?;
                if self
                    .store
                    .insert(&name, &wrapped, Some(&reference))?
                    .is_some()
                {
                    escrowed += 1;
                }
            }
        }
        Ok(escrowed)
    }

    /// Before a sweep destroys the epochs below `today`: forgets this process's
    /// unwrapped copies and stops cached keys derived from them (in every thread).
    pub(in crate::vault) fn forget_epochs_before(&self, today: u32) {
        if let Ok(mut kept) = self.epoch_keys.lock() {
            kept.retain(|(e, _, _)| *e >= today);
        }
        self.cache.sweep(today);
    }
}
