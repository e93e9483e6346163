//! Erasure with exceptions (GDPR Art. 17(3)(b)): `erase_with` keeps the category keys
//! a law requires, for one purpose each, until a date; `sweep` destroys them after it.
//! See `docs/retention.md`, "Erasure exceptions".

use chrono::{DateTime, Utc};
use zeroize::Zeroizing;

use super::{Vault, VaultError};
use crate::audit::EventKind;
use crate::format;
use crate::keys::Slot;
use crate::retention::{
    ErasureException, ErasureReceipt, KeptData, StoredException, check_hold_reason,
};
use crate::subject::SubjectId;

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
    /// use custodian::categories::{Email, PostalAddress};
    /// use custodian::keys::LocalMasterKey;
    /// use custodian::retention::ErasureException;
    /// use custodian::{SubjectId, Vault};
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
    /// let receipt = vault.erase_with(&alice, &[keep])?;
    /// assert!(receipt.kept.is_empty()); // alice had no data, so nothing was kept
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

    /// Checks the exceptions and stores, for each, the subject's category key of every
    /// key version they have. Done before the shred: if the shred is then refused (a
    /// hold placed meanwhile), the kept keys are only used once the subject is erased,
    /// and a sweep destroys them after their end.
    pub(super) fn keep_excepted(
        &self,
        subject: &SubjectId,
        exceptions: &[ErasureException],
    ) -> Result<Vec<KeptData>, VaultError> {
        let now = self.clock.now();
        let mut checked: Vec<ErasureException> = Vec::with_capacity(exceptions.len());
        for e in exceptions {
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
            checked.push(ErasureException { until, ..e.clone() });
        }
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
        let newest = self.store.latest(subject)?.map_or(0, |row| row.version);
        for version in 1..=newest {
            // Retired versions are gone already.
            let Some(row) = self.store.get(subject, version)? else {
                continue;
            };
            let subject_key = self.unwrap_row(&row)?;
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
