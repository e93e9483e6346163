//! Retention on the vault: dates at seal time, the expiry check at open time, epoch
//! keys, `sweep`, legal holds, and `erase`. See `docs/retention.md`.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use ring::hmac;
use ring::rand::SecureRandom;
use zeroize::Zeroizing;

use super::{Vault, VaultError};
use crate::audit::{EventKind, Outcome};
use crate::category::Category;
use crate::format::{self, Dates, EPOCH_SECONDS, NEVER, NO_EPOCH};
use crate::keys::{KeyError, KeyName};
use crate::retention::{
    ErasedField, ErasureReceipt, HoldError, HoldId, LegalHold, Retention, SubjectRef,
    check_hold_reason,
};
use crate::sealed::Context;
use crate::subject::SubjectId;
use crate::vault::SweepReport;

/// The name of the vault secret that keys subject references.
const SUBJECT_REF_SECRET: &str = "subject-ref";
/// Epoch keys kept unwrapped in memory at most (one per day of expiry in use).
const EPOCH_KEYS_KEPT: usize = 1024;

impl Vault {
    /// The collection time and expiry of a value collected at `collected` (seconds
    /// since the Unix epoch) and sealed into `context`.
    pub(super) fn dates_for<C: Category>(
        &self,
        context: &Context<C>,
        collected: i64,
    ) -> Result<Dates, VaultError> {
        let retention = match context.retention() {
            Some(r) => r,
            None => self.default_retention(C::NAME),
        };
        // Before 1970 the epoch arithmetic below would not hold; no real clock is there.
        if collected < 0 {
            return Err(VaultError::RetentionOutOfRange);
        }
        let expires = retention
            .expires(collected)
            .ok_or(VaultError::RetentionOutOfRange)?;
        if expires != NEVER && format::epoch_of(expires) >= NO_EPOCH - 1 {
            return Err(VaultError::RetentionOutOfRange);
        }
        Ok(Dates { collected, expires })
    }

    /// Now, in whole seconds, by this vault's clock.
    pub(crate) fn unix_now(&self) -> i64 {
        self.clock.unix_seconds()
    }

    fn default_retention(&self, category: &str) -> Retention {
        self.defaults
            .iter()
            .find(|(name, _)| *name == category)
            .map_or(Retention::UntilErased, |(_, r)| *r)
    }

    /// Refuses a value expiring at `expires` once expired, unless its subject is under
    /// an active legal hold.
    pub(super) fn check_expiry(&self, subject: &SubjectId, expires: i64) -> Result<(), VaultError> {
        if expires == NEVER || self.clock.unix_seconds() < expires {
            return Ok(());
        }
        if self.active_hold(subject)?.is_some() {
            return Ok(());
        }
        Err(expired(expires))
    }

    /// The subject's first active hold, if any.
    fn active_hold(&self, subject: &SubjectId) -> Result<Option<LegalHold>, VaultError> {
        let now = self.clock.now();
        Ok(self
            .store
            .holds(Some(subject))?
            .into_iter()
            .find(|h| h.is_active(now)))
    }

    pub(super) fn refuse_if_held(&self, subject: &SubjectId) -> Result<(), VaultError> {
        match self.active_hold(subject)? {
            Some(h) => Err(VaultError::UnderLegalHold {
                hold: h.id,
                reason: h.reason,
                until: h.until,
            }),
            None => Ok(()),
        }
    }

    /// The subject's share of `epoch` for sealing: the epoch key is created on first use.
    pub(super) fn share_for_seal(
        &self,
        subject: &SubjectId,
        epoch: u32,
    ) -> Result<Zeroizing<[u8; 32]>, VaultError> {
        if epoch == NO_EPOCH {
            return Ok(Zeroizing::new([0; 32]));
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
        if let Some(wrapped) = self.store.wrapped(&name)? {
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
    fn epoch_key(
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

    /// Destroys the keys of every retention epoch that ended before now (by the vault's
    /// clock): every value that expired on those days, in every copy, becomes
    /// undecryptable. Subjects under an active legal hold get their share of each such
    /// epoch escrowed first, so their data stays readable while held; escrows of
    /// subjects whose holds have all ended are destroyed.
    ///
    /// Schedule it (daily, say). Its cost grows with the epochs it destroys and the
    /// subjects under hold, not with the number of subjects or records.
    pub fn sweep(&self) -> Result<SweepReport, VaultError> {
        let now = self.clock.now();
        let Ok(today) = u32::try_from(now.timestamp().div_euclid(EPOCH_SECONDS)) else {
            return Err(VaultError::RetentionOutOfRange);
        };
        let mut report = SweepReport::default();
        let holds = self.store.holds(None)?;
        let held: BTreeSet<&SubjectId> = holds
            .iter()
            .filter(|h| h.is_active(now))
            .map(|h| &h.subject)
            .collect();
        let epochs = self.store.epochs_before(today)?;
        if !epochs.is_empty() {
            for &epoch in &epochs {
                let Some(key) = self.epoch_key(epoch, false)? else {
                    continue;
                };
                for subject in &held {
                    let share = format::epoch_share(&key[..], subject.as_str(), epoch);
                    let name = KeyName::Escrow {
                        subject: (*subject).clone(),
                        epoch,
                    };
                    let wrapped = self.wrap(&share[..], &name.aad())?;
                    if self.store.insert_wrapped(&name, &wrapped)?.is_some() {
                        report.escrowed += 1;
                    }
                }
            }
        }
        // Forget our unwrapped copies and stop cached keys before the store deletes.
        if let Ok(mut kept) = self.epoch_keys.lock() {
            kept.retain(|(e, _, _)| *e >= today);
        }
        self.cache.sweep(today);
        self.store.sweep_epochs(today)?;
        report.epochs_destroyed = epochs;
        // Holds that lapsed (`until` passed) leave escrows behind: release them, unless
        // another hold of the subject is still active.
        let ended: BTreeSet<&SubjectId> = holds
            .iter()
            .filter(|h| h.released_at.is_none() && !h.is_active(now) && h.placed_at <= now)
            .map(|h| &h.subject)
            .filter(|s| !held.contains(s))
            .collect();
        for subject in ended {
            if self.store.delete_escrows(subject)? > 0 {
                self.cache.evict(subject);
                report.escrows_released += 1;
            }
        }
        self.audit_event(EventKind::Sweep, None, None, Outcome::Allowed)?;
        Ok(report)
    }

    /// Places a legal hold on `subject`: their expired data stays readable and their
    /// erasure is refused until it is released (or `until` passes). `reason` names the
    /// matter and the obligation; it must not contain personal data.
    pub fn hold(
        &self,
        subject: &SubjectId,
        reason: &str,
        until: Option<DateTime<Utc>>,
    ) -> Result<LegalHold, VaultError> {
        check_hold_reason(reason)?;
        let now = self.clock.now();
        if until.is_some_and(|u| u <= now) {
            return Err(HoldError::UntilInPast.into());
        }
        if self.store.is_shredded(subject)? {
            return Err(VaultError::Shredded);
        }
        let mut id = [0u8; 16];
        self.rng.fill(&mut id).map_err(|_| KeyError::Random)?;
        let hold = LegalHold {
            id: HoldId::from_random(id),
            subject: subject.clone(),
            reason: reason.to_owned(),
            placed_at: now,
            until,
            released_at: None,
        };
        self.store.place_hold(&hold)?;
        self.audit_event(EventKind::HoldPlaced, Some(subject), None, Outcome::Allowed)?;
        Ok(hold)
    }

    /// Releases a hold. If it was the subject's last active one, the epoch shares
    /// escrowed for them are destroyed: data that expired meanwhile becomes unreadable.
    pub fn release(&self, id: &HoldId) -> Result<LegalHold, VaultError> {
        let now = self.clock.now();
        let Some(before) = self.store.holds(None)?.into_iter().find(|h| h.id == *id) else {
            return Err(HoldError::NotFound(id.clone()).into());
        };
        if before.released_at.is_some() {
            return Err(HoldError::AlreadyReleased(id.clone()).into());
        }
        let released = self
            .store
            .release_hold(id, now)?
            .ok_or_else(|| HoldError::NotFound(id.clone()))?;
        if self.active_hold(&released.subject)?.is_none() {
            self.cache.evict(&released.subject);
            self.store.delete_escrows(&released.subject)?;
        }
        self.audit_event(
            EventKind::HoldReleased,
            Some(&released.subject),
            None,
            Outcome::Allowed,
        )?;
        Ok(released)
    }

    /// Every legal hold, active or not, oldest first: the record of what was held, why
    /// and until when.
    pub fn holds(&self) -> Result<Vec<LegalHold>, VaultError> {
        Ok(self.store.holds(None)?)
    }

    /// The holds of one subject, oldest first.
    pub fn holds_of(&self, subject: &SubjectId) -> Result<Vec<LegalHold>, VaultError> {
        Ok(self.store.holds(Some(subject))?)
    }

    /// Erases `subject` (GDPR Art. 17, CCPA deletion): destroys their keys and any
    /// escrowed epoch shares, so every value sealed for them, in every copy and backup,
    /// can no longer be opened; returns the receipt to keep as proof. Refused with
    /// [`VaultError::UnderLegalHold`] while a hold applies.
    ///
    /// ```
    /// use custodian::keys::LocalMasterKey;
    /// use custodian::{SubjectId, Vault, VaultError};
    /// let vault = Vault::in_memory(LocalMasterKey::generate("kek-1")?);
    /// let alice = SubjectId::new("cus_1")?;
    /// let hold = vault.hold(&alice, "case 2027-14: litigation hold", None)?;
    /// assert!(matches!(vault.erase(&alice), Err(VaultError::UnderLegalHold { .. })));
    /// vault.release(&hold.id)?;
    /// let receipt = vault.erase(&alice)?;
    /// assert_eq!(receipt.subject, vault.subject_ref(&alice)?);
    /// assert!(!serde_json::to_string(&receipt)?.contains("cus_1"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn erase(&self, subject: &SubjectId) -> Result<ErasureReceipt, VaultError> {
        self.audited(EventKind::Erasure, subject, || {
            self.erase_unaudited(subject)
        })
    }

    fn erase_unaudited(&self, subject: &SubjectId) -> Result<ErasureReceipt, VaultError> {
        let reference = self.subject_ref(subject)?;
        let report = self.shred_unaudited(subject)?;
        let data = self
            .records
            .iter()
            .flat_map(|(record, fields)| {
                fields.iter().map(move |f| ErasedField {
                    record: (*record).to_owned(),
                    field: f.name.to_owned(),
                    category: f.category.name.to_owned(),
                    sensitivity: f.category.sensitivity,
                    retention: f.retention,
                })
            })
            .collect();
        Ok(ErasureReceipt {
            subject: reference,
            erased_at: self.clock.now(),
            subject_keys_destroyed: report.keys_destroyed,
            escrowed_keys_destroyed: report.escrows_destroyed,
            data,
        })
    }

    /// The pseudonymous reference of `subject` used in erasure receipts: the same for
    /// the same subject in every vault sharing this key store and master key.
    pub fn subject_ref(&self, subject: &SubjectId) -> Result<SubjectRef, VaultError> {
        let key = match self.subject_ref_key.get() {
            Some(key) => key,
            None => {
                let key = self.load_subject_ref_key()?;
                self.subject_ref_key.get_or_init(|| key)
            }
        };
        Ok(SubjectRef::from_mac(
            hmac::sign(key, subject.as_str().as_bytes()).as_ref(),
        ))
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

fn expired(expires: i64) -> VaultError {
    VaultError::Expired {
        at: DateTime::from_timestamp(expires, 0).unwrap_or(DateTime::<Utc>::MAX_UTC),
    }
}

fn to_key32(bytes: Zeroizing<Vec<u8>>) -> Result<Zeroizing<[u8; 32]>, VaultError> {
    if bytes.len() != 32 {
        return Err(KeyError::Length { len: bytes.len() }.into());
    }
    let mut out = Zeroizing::new([0u8; 32]);
    out.copy_from_slice(&bytes);
    Ok(out)
}
