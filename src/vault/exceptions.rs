//! Erasure with exceptions (GDPR Art. 17(3)(b)): `erase_with` keeps the category keys
//! a law requires, for one purpose each, until a date; `sweep` destroys them after it.
//! See `docs/retention.md`, "Erasure exceptions".

use chrono::{DateTime, Utc};
use zeroize::Zeroizing;

use super::{Vault, VaultError};
use crate::audit::EventKind;
use crate::format;
use crate::keys::KeyName;
use crate::keys::Slot;
use crate::retention::{
    ErasureBlocked, ErasureException, ErasureOutcome, ErasureReceipt, ExceptionRecord, KeptData,
    QueuedErasure, StoredException, check_hold_reason,
};
use crate::store::StoreError;
use crate::subject::SubjectId;

/// The name of the vault secret that keys the MACs of queued erasures.
const QUEUE_SECRET: &str = "erasure-queue";

impl Vault {
    /// Erases `subject` as [`erase`](Self::erase) does, except the categories a law
    /// requires to be kept (GDPR Art. 17(3)(b)): for each [`ErasureException`], the
    /// subject's key for that one category is kept (wrapped by the master key, bound
    /// to the exception) before the subject key is destroyed. Then:
    ///
    /// - data of every other category is unreadable at once, as after `erase`;
    /// - data of an excepted category opens only for the exception's purpose, and
    ///   only until its `until` (every other purpose gets
    ///   [`VaultError::RestrictedByErasureException`]); its own retention still
    ///   applies;
    /// - the first [`sweep`](Self::sweep) after `until` destroys the kept key: the
    ///   erasure then completes by itself.
    ///
    /// The receipt lists what was made unreadable (`data`) and what was kept (`kept`).
    /// Refused with [`VaultError::UnderLegalHold`] while a hold binds the subject
    /// (nothing is kept or destroyed), and with [`VaultError::BadErasureException`]
    /// for an empty law reference, an end not in the future, or a category listed
    /// twice.
    ///
    /// ```
    /// use custodian::categories::PostalAddress;
    /// use custodian::keys::LocalMasterKey;
    /// use custodian::retention::ErasureException;
    /// use custodian::{Access, Actor, Context, Personal, SubjectId, Vault};
    /// custodian::purpose! {
    ///     pub struct TaxRecords {
    ///         name: "tax-records",
    ///         basis: LegalObligation { law: "§ 147 AO" },
    ///         description: "Keep invoices as tax law requires.",
    ///         uses: [PostalAddress],
    ///     }
    /// }
    /// let vault = Vault::in_memory(LocalMasterKey::generate("kek-1")?);
    /// let alice = SubjectId::new("cus_1")?;
    /// let until = chrono::Utc::now() + chrono::TimeDelta::days(8 * 365);
    /// let keep = ErasureException::keep::<TaxRecords, PostalAddress>("§ 147 AO", until);
    /// let address: Context<PostalAddress> =
    ///     Context::new("customer", "billing_address")?.retain(custodian::Retention::Years(11));
    /// let sealed = vault.seal(&Personal::new(alice.clone(), "1 Main St".to_owned()), &address)?;
    /// let receipt = vault.erase_with(&alice, &[keep])?;
    /// assert_eq!(receipt.kept[0].key_versions, 1);
    /// let tax = Access::<TaxRecords>::new(alice.clone(), Actor::service("accounting"));
    /// assert_eq!(vault.open(&sealed, &address, &tax)?.read(&tax)?, "1 Main St");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn erase_with(
        &self,
        subject: &SubjectId,
        exceptions: &[ErasureException],
    ) -> Result<ErasureReceipt, VaultError> {
        self.audited(EventKind::Erasure, subject, || {
            self.erase_unaudited(subject, exceptions)
        })
    }

    /// Checks the exceptions: a law reference, an end in the future (in whole seconds),
    /// each category once.
    pub(super) fn check_exceptions(
        &self,
        exceptions: &[ErasureException],
    ) -> Result<Vec<ExceptionRecord>, VaultError> {
        let now = self.clock.now();
        let mut checked: Vec<ExceptionRecord> = Vec::with_capacity(exceptions.len());
        for e in exceptions.iter().map(ErasureException::record) {
            if check_hold_reason(&e.law).is_err() {
                return Err(VaultError::BadErasureException {
                    reason: "the law reference is empty or longer than 1000 bytes",
                });
            }
            let until = whole_seconds(e.until);
            if until <= now {
                return Err(VaultError::BadErasureException {
                    reason: "the exception's end is not in the future",
                });
            }
            if checked.iter().any(|c| c.category == e.category) {
                return Err(VaultError::BadErasureException {
                    reason: "a category is listed in two exceptions",
                });
            }
            checked.push(ExceptionRecord { until, ..e.clone() });
        }
        Ok(checked)
    }

    /// Stores, for each checked exception, the subject's category key of every key
    /// version they have. Done before the shred: if the shred is then refused (a hold
    /// placed meanwhile), the kept keys are only used once the subject is erased, and
    /// a sweep destroys them after their end.
    pub(super) fn keep_excepted(
        &self,
        subject: &SubjectId,
        checked: Vec<ExceptionRecord>,
    ) -> Result<Vec<KeptData>, VaultError> {
        let mut kept: Vec<KeptData> = checked
            .into_iter()
            .map(|exception| KeptData {
                exception,
                key_versions: 0,
            })
            .collect();
        if kept.is_empty() {
            return Ok(kept);
        }
        let newest = self
            .store
            .latest(subject)?
            .map_or(0, |(version, _)| version);
        for version in 1..=newest {
            // Retired versions are gone already.
            let name = super::subject_key_name(subject, version);
            let Some(row) = self.store.get(&name)? else {
                continue;
            };
            let subject_key = self.unwrap_with(&row, &name.aad())?;
            for k in &mut kept {
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
        Ok(kept)
    }

    /// Erases `subject` now, as [`erase_with`](Self::erase_with), or, while a legal
    /// hold binds them, records the request and says why it waits (GDPR Art. 12(4)):
    /// [`ErasureOutcome::Pending`] names the hold, its reason and when it lapses. The
    /// first [`sweep`](Self::sweep) after the subject's last hold ends (released or
    /// lapsed) carries the erasure out, with the exceptions whose `until` has not
    /// passed, and returns its receipt in `SweepReport::erasures_completed`. A later
    /// request for the same subject replaces a queued one; an `erase` removes it.
    ///
    /// The refused attempt is audited as a denied erasure; the completion as an
    /// erasure. The queue holds the subject id until then, as the hold does.
    pub fn request_erasure(
        &self,
        subject: &SubjectId,
        exceptions: &[ErasureException],
    ) -> Result<ErasureOutcome, VaultError> {
        let checked = self.check_exceptions(exceptions)?;
        match self.erase_with(subject, exceptions) {
            Ok(receipt) => Ok(ErasureOutcome::Erased(receipt)),
            Err(VaultError::UnderLegalHold {
                hold,
                reason,
                until,
            }) => {
                let requested_at = self.clock.now();
                let mut queued = QueuedErasure {
                    subject: subject.clone(),
                    requested_at,
                    exceptions: checked,
                    mac: Vec::new(),
                };
                queued.mac = self.queue_mac(&queued)?.as_ref().to_vec();
                self.store.queue_erasure(&queued)?;
                Ok(ErasureOutcome::Pending {
                    subject: self.subject_ref(subject)?,
                    requested_at,
                    blocked_by: ErasureBlocked {
                        hold,
                        reason,
                        until,
                    },
                })
            }
            Err(e) => Err(e),
        }
    }

    /// Carries out every queued erasure whose subject no hold binds any more; returns
    /// their receipts and how many still wait.
    pub(super) fn complete_queued_erasures(
        &self,
    ) -> Result<(Vec<ErasureReceipt>, usize), VaultError> {
        let now = self.clock.now();
        let mut done = Vec::new();
        let mut waiting = 0;
        for queued in self.store.queued_erasures()? {
            // Fails closed: a forged or edited entry could keep data for any purpose.
            if ring::hmac::verify(&self.queue_key()?, &queued.mac_input(), &queued.mac).is_err() {
                return Err(StoreError::RetentionTampered {
                    what: "a queued erasure does not verify",
                }
                .into());
            }
            // The law no longer requires what an ended exception kept.
            let exceptions: Vec<ErasureException> = queued
                .exceptions
                .into_iter()
                .filter(|e| e.until > now)
                .map(ErasureException::from_record)
                .collect();
            match self.erase_with(&queued.subject, &exceptions) {
                Ok(receipt) => done.push(receipt),
                Err(VaultError::UnderLegalHold { .. }) => waiting += 1,
                Err(e) => return Err(e),
            }
        }
        Ok((done, waiting))
    }

    fn queue_mac(&self, queued: &QueuedErasure) -> Result<ring::hmac::Tag, VaultError> {
        Ok(ring::hmac::sign(&self.queue_key()?, &queued.mac_input()))
    }

    /// The key of the queue's MACs: the vault secret `erasure-queue`, created on first
    /// use and wrapped by the master key like every vault secret.
    fn queue_key(&self) -> Result<ring::hmac::Key, VaultError> {
        let name = KeyName::Secret(QUEUE_SECRET.to_owned());
        // A store never refuses a vault secret; `None` would be a broken store.
        let secret = self.named_secret(&name, true)?.ok_or(StoreError::Corrupt {
            what: "vault secret refused by the key store",
        })?;
        Ok(ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &secret))
    }

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
}

fn whole_seconds(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp(t.timestamp(), 0).unwrap_or(t)
}
