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
use crate::purpose::Purpose;
use crate::retention::{
    ErasedField, ErasureException, ErasureReceipt, HoldBasis, HoldError, HoldId, HoldScope,
    HoldSubject, IntegrityKey, JournalPurge, LegalHold, Retention, RetentionReport, ShredCounts,
    SubjectRef, check_hold_reason,
};
use crate::sealed::Context;
use crate::store::StoreError;
use crate::subject::SubjectId;
use crate::vault::SweepReport;

/// The name of the vault secret that keys subject references.
const SUBJECT_REF_SECRET: &str = "subject-ref";
/// The name of the vault secret that keys the MACs of hold records and tombstones.
const RETENTION_INTEGRITY_SECRET: &str = "retention-integrity";
/// Epoch keys kept unwrapped in memory at most (one per day of expiry in use).
const EPOCH_KEYS_KEPT: usize = 1024;
/// How many times a sweep reads the holds again when a hold is placed while it runs.
const SWEEP_ATTEMPTS: usize = 16;

impl Vault {
    /// The collection time and expiry of a value collected at `collected` (seconds
    /// since the Unix epoch) and sealed into `context`, and the expiry day its header
    /// carries: the expiry's UTC day, or for a period after an event the code of its
    /// (anchor, period) in the reserved range (then `expires` is `NEVER`).
    pub(super) fn dates_for<C: Category>(
        &self,
        context: &Context<C>,
        collected: i64,
    ) -> Result<(Dates, u32), VaultError> {
        let retention = match context
            .retention()
            .or_else(|| self.default_retention(C::NAME))
        {
            Some(r) => r,
            None => return Err(VaultError::RetentionUndeclared { category: C::NAME }),
        };
        // Before 1970 the epoch arithmetic below would not hold; no real clock is there.
        if collected < 0 {
            return Err(VaultError::RetentionOutOfRange);
        }
        if let Retention::AfterEvent { anchor, period } = retention {
            let code = crate::retention::anchor_code(anchor, period)
                .ok_or(VaultError::RetentionOutOfRange)?;
            let expires = NEVER;
            return Ok((Dates { collected, expires }, code));
        }
        let expires = retention
            .expires(collected)
            .ok_or(VaultError::RetentionOutOfRange)?;
        let day = format::epoch_of(expires);
        // A real day in the range reserved for event anchors (11.7 million years away)
        // would be read as an anchor.
        if expires != NEVER && day >= format::ANCHOR_DAYS {
            return Err(VaultError::RetentionOutOfRange);
        }
        Ok((Dates { collected, expires }, day))
    }

    /// Now, in whole seconds, by this vault's clock.
    pub(crate) fn unix_now(&self) -> i64 {
        self.clock.unix_seconds()
    }

    /// The vault's default for `category`; `None` if it declares none (then sealing
    /// without a context retention is refused: nothing silently means "until erased").
    fn default_retention(&self, category: &str) -> Option<Retention> {
        self.defaults
            .iter()
            .find(|(name, _)| *name == category)
            .map(|(_, r)| *r)
    }

    /// Refuses an expired value unless an active legal hold of its subject keeps its
    /// category, and, for an open (`purpose` given), names `purpose` in its scope
    /// (Art. 18(2)): an expired value kept for a claim opens only for the claim. A
    /// value that has not expired is not affected by holds. `reseal` passes no
    /// purpose: it re-encrypts held data without using it.
    ///
    /// The holds are read from the store at every such check, never from a memo, so a
    /// hold placed or released by another vault or process counts at once.
    pub(super) fn check_expiry(
        &self,
        subject: &SubjectId,
        expires: i64,
        purpose: Option<&'static str>,
        category: &'static str,
    ) -> Result<(), VaultError> {
        if expires == NEVER || self.clock.unix_seconds() < expires {
            return Ok(());
        }
        let now = self.clock.now();
        let holds = self.store.holds(Some(subject), self.retention_key()?)?;
        let keeping: Vec<&LegalHold> = holds
            .iter()
            .filter(|h| h.is_active(now) && h.scope.covers(category))
            .collect();
        if keeping.is_empty() {
            return Err(expired(expires));
        }
        let Some(purpose) = purpose else {
            return Ok(());
        };
        if keeping.iter().any(|h| h.scope.permits(purpose, category)) {
            return Ok(());
        }
        let mut held_for: Vec<String> = Vec::new();
        for p in keeping.iter().flat_map(|h| h.scope.purposes()) {
            if !held_for.contains(p) {
                held_for.push(p.clone());
            }
        }
        Err(VaultError::RestrictedByHold {
            at: expiry_time(expires),
            purpose,
            category,
            held_for,
        })
    }

    /// The subject's first active hold, if any.
    fn active_hold(&self, subject: &SubjectId) -> Result<Option<LegalHold>, VaultError> {
        let now = self.clock.now();
        Ok(self
            .store
            .holds(Some(subject), self.retention_key()?)?
            .into_iter()
            .find(|h| h.is_active(now)))
    }

    /// Refuses with [`VaultError::UnderLegalHold`] if a hold binds the subject (not
    /// released, not lapsed; placed at any time).
    pub(super) fn refuse_if_held(&self, subject: &SubjectId) -> Result<(), VaultError> {
        let now = self.clock.now();
        match self
            .store
            .holds(Some(subject), self.retention_key()?)?
            .into_iter()
            .find(|h| h.binds(now))
        {
            Some(h) => Err(VaultError::UnderLegalHold {
                hold: h.id,
                reason: h.reason,
                until: h.until,
            }),
            None => Ok(()),
        }
    }

    /// Whether the store holds the subject's tombstone (their keyed reference). The
    /// store first checks that no tombstone was deleted or forged: a subject key is
    /// only created after this says no (`VaultError::Store(RetentionTampered)` on a
    /// tampered store, so nothing is sealed for a subject whose erasure was hidden).
    pub(super) fn is_shredded(&self, subject: &SubjectId) -> Result<bool, VaultError> {
        let reference = self.subject_ref(subject)?;
        Ok(self.store.is_shredded(&reference, self.retention_key()?)?)
    }

    /// The store's half of a shred: keys, escrows, pseudonym secret, tombstone and
    /// holds in one transaction that re-checks the holds. Returns what was destroyed
    /// and whether the subject has a tombstone (not an id that never had anything).
    pub(super) fn store_shred(
        &self,
        subject: &SubjectId,
        reference: &SubjectRef,
    ) -> Result<ShredCounts, VaultError> {
        // `None`: a hold was placed since `refuse_if_held` read the holds. Report it,
        // or, if it was released meanwhile, try again.
        for _ in 0..3 {
            let key = self.retention_key()?;
            match self
                .store
                .shred(subject, reference, self.clock.now(), key)?
            {
                Some(counts) => return Ok(counts),
                None => self.refuse_if_held(subject)?,
            }
        }
        Err(StoreError::Corrupt {
            what: "the store keeps refusing a shred for a hold it does not list",
        }
        .into())
    }

    /// Retries a purge of the store's journal left pending by a deletion; errors count
    /// as pending (the deletion itself is committed).
    pub(super) fn purge_journal(&self) -> JournalPurge {
        self.store.purge_journal().unwrap_or(JournalPurge::Pending)
    }

    /// Completes a purge of deleted key material from the store's journal that a
    /// shred, erasure, sweep or re-wrap left [`JournalPurge::Pending`] (a long-running
    /// reader in another connection kept the SQLite write-ahead log from being
    /// emptied). Any later write through the store also retries it. Schedule it after
    /// erasures if your readers hold long transactions.
    pub fn checkpoint(&self) -> Result<JournalPurge, VaultError> {
        Ok(self.store.purge_journal()?)
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
    /// clock): the sealed contents of every value that expired on those days, in every
    /// copy, become undecryptable (a key-store backup from before the sweep still holds
    /// the keys; value headers stay readable). Subjects under an active legal hold get their share of each such
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
        // The store re-checks the holds in the transaction that destroys the epochs:
        // a hold placed after they were read here makes it refuse, and we read again.
        let mut attempt = 0;
        let (epochs, swept) = loop {
            attempt += 1;
            // Fails closed: a hold record missing, forged or edited stops the sweep
            // before anything is escrowed or destroyed.
            let holds = self.store.holds(None, self.retention_key()?)?;
            let held: BTreeSet<&SubjectId> = holds
                .iter()
                .filter(|h| h.binds(now))
                .filter_map(LegalHold::subject_id)
                .collect();
            let epochs = self.store.epochs_before(today)?;
            report.escrowed = self.escrow(&epochs, &held)?;
            // Forget our unwrapped copies and stop cached keys before the store deletes.
            if let Ok(mut kept) = self.epoch_keys.lock() {
                kept.retain(|(e, _, _)| *e >= today);
            }
            self.cache.sweep(today);
            match self.store.sweep_epochs(today, now, self.retention_key()?) {
                Ok(swept) => break (epochs, swept),
                Err(StoreError::HeldWithoutEscrow) if attempt < SWEEP_ATTEMPTS => continue,
                Err(e) => return Err(e.into()),
            }
        };
        report.epochs_destroyed = epochs;
        // Escrows of holds that were released or lapsed went in the same transaction.
        for subject in &swept.escrows_released {
            self.cache.evict(subject);
        }
        report.escrows_released = swept.escrows_released.len();
        // Anchor keys whose event + period has passed, of subjects no hold binds: in
        // the store's transaction that re-reads the events and holds.
        report.anchor_subjects_swept = self.sweep_anchor_keys()?;
        // Erasure exceptions that ended: their erasures finish here.
        report.exceptions_ended = self.store.end_exceptions(now)?;
        // Erasures requested under holds that have ended.
        (report.erasures_completed, report.erasures_waiting) = self.complete_queued_erasures()?;
        report.journal = self.purge_journal();
        self.audit_event(EventKind::Sweep, None, None, Outcome::Allowed)?;
        Ok(report)
    }

    /// Escrows each held subject's share of each epoch; returns how many were stored.
    fn escrow(&self, epochs: &[u32], held: &BTreeSet<&SubjectId>) -> Result<usize, VaultError> {
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
                    .insert_wrapped(&name, &wrapped, Some(&reference))?
                    .is_some()
                {
                    escrowed += 1;
                }
            }
        }
        Ok(escrowed)
    }

    /// Places a legal hold on `subject` for purpose `P` and every category `P`
    /// declares: see [`hold_scoped`](Self::hold_scoped). `P` must not rest on consent.
    ///
    /// ```
    /// use custodian::categories::Email;
    /// use custodian::keys::LocalMasterKey;
    /// use custodian::{SubjectId, Vault};
    /// custodian::purpose! {
    ///     pub struct LegalClaims {
    ///         name: "legal-claims",
    ///         basis: LegitimateInterests,
    ///         description: "Establish, exercise or defend legal claims.",
    ///         uses: [Email],
    ///     }
    /// }
    /// let vault = Vault::in_memory(LocalMasterKey::generate("kek-1")?);
    /// let alice = SubjectId::new("cus_1")?;
    /// let hold = vault.hold::<LegalClaims>(&alice, "case 2027-14: payment dispute", None)?;
    /// assert_eq!(hold.scope.purposes(), ["legal-claims"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn hold<P: Purpose>(
        &self,
        subject: &SubjectId,
        reason: &str,
        until: Option<DateTime<Utc>>,
    ) -> Result<LegalHold, VaultError>
    where
        P::Basis: HoldBasis<P>,
    {
        self.hold_scoped(subject, HoldScope::purpose::<P>(), reason, until)
    }

    /// Places a legal hold on `subject` that keeps their data of the scope's categories
    /// for the scope's purposes (GDPR Art. 17(3)(e), 18(2)), until it is released or
    /// `until` passes:
    ///
    /// - past its retention, such data still opens, but only for a purpose of the
    ///   scope; every other purpose gets [`VaultError::RestrictedByHold`], and data of
    ///   other categories stays [`VaultError::Expired`];
    /// - data still within its retention is not affected;
    /// - sweeps escrow the subject's share of every epoch they destroy (escrows are per
    ///   subject and day, not per category: the scope is enforced when opening);
    /// - the subject's erasure is refused.
    ///
    /// `reason` names the matter and the obligation; it must not contain personal data.
    /// The hold is recorded in the audit trail with its scope (purpose and category
    /// names).
    pub fn hold_scoped(
        &self,
        subject: &SubjectId,
        scope: HoldScope,
        reason: &str,
        until: Option<DateTime<Utc>>,
    ) -> Result<LegalHold, VaultError> {
        check_hold_reason(reason)?;
        scope.check()?;
        let now = self.clock.now();
        if until.is_some_and(|u| u <= now) {
            return Err(HoldError::UntilInPast.into());
        }
        let mut id = [0u8; 16];
        self.rng.fill(&mut id).map_err(|_| KeyError::Random)?;
        let hold = LegalHold {
            id: HoldId::from_random(id),
            subject: HoldSubject::Subject(subject.clone()),
            reason: reason.to_owned(),
            scope,
            placed_at: now,
            until,
            released_at: None,
        };
        // Refused in the store's transaction if the subject was shredded.
        if !self
            .store
            .place_hold(&hold, &self.subject_ref(subject)?, self.retention_key()?)?
        {
            return Err(VaultError::Shredded);
        }
        self.audit_hold(EventKind::HoldPlaced, subject, &hold.scope)?;
        Ok(hold)
    }

    /// Releases a hold. If it was the subject's last active one, the epoch shares
    /// escrowed for them are destroyed: data that expired meanwhile becomes unreadable.
    pub fn release(&self, id: &HoldId) -> Result<LegalHold, VaultError> {
        let now = self.clock.now();
        let key = self.retention_key()?;
        let Some(before) = self
            .store
            .holds(None, key)?
            .into_iter()
            .find(|h| h.id == *id)
        else {
            return Err(HoldError::NotFound(id.clone()).into());
        };
        if before.released_at.is_some() {
            return Err(HoldError::AlreadyReleased(id.clone()).into());
        }
        // The store destroys the escrows in the same transaction if this was the
        // subject's last binding hold.
        let released = self
            .store
            .release_hold(id, now, key)?
            .ok_or_else(|| HoldError::NotFound(id.clone()))?;
        if let Some(subject) = released.subject_id() {
            if self.active_hold(subject)?.is_none() {
                self.cache.evict(subject);
            }
            self.audit_hold(EventKind::HoldReleased, subject, &released.scope)?;
        } else {
            self.audit_event(EventKind::HoldReleased, None, None, Outcome::Allowed)?;
        }
        Ok(released)
    }

    /// Every legal hold, active or not, oldest first: the record of what was held, why
    /// and until when.
    /// [`VaultError::Store`] with [`StoreError::RetentionTampered`] if a hold record
    /// was forged, edited or deleted in the store.
    pub fn holds(&self) -> Result<Vec<LegalHold>, VaultError> {
        Ok(self.store.holds(None, self.retention_key()?)?)
    }

    /// The holds of one subject, oldest first.
    pub fn holds_of(&self, subject: &SubjectId) -> Result<Vec<LegalHold>, VaultError> {
        Ok(self.store.holds(Some(subject), self.retention_key()?)?)
    }

    /// Verifies every legal-hold record and erasure tombstone in the key store: each
    /// authenticates under the vault's `retention-integrity` secret, and none is
    /// missing (their counts, kept MAC'd in the store, only rise). Every recorded
    /// anchor event ([`record_event`](Self::record_event)) must authenticate too (a
    /// deleted one is not counted: it postpones destruction, `docs/retention.md`). With `expected`, a
    /// report kept from an earlier run, the store must also hold at least as many of
    /// each as then: that finds a store rolled back to an older copy (rows and head
    /// together), which nothing inside the store can show. Keep each report where the
    /// store's writers cannot reach it (`docs/retention.md`, "Threat model").
    ///
    /// Sweeps, erasures, hold listings and a subject's first seal run the same checks
    /// (without `expected`) and refuse on a store that fails them.
    pub fn verify_retention(
        &self,
        expected: Option<&RetentionReport>,
    ) -> Result<RetentionReport, VaultError> {
        let counts = self.store.verify_retention(self.retention_key()?)?;
        if let Some(e) = expected
            && !counts.covers(&e.counts)
        {
            return Err(StoreError::RetentionTampered {
                what: "fewer records than the anchor: the store was rolled back",
            }
            .into());
        }
        Ok(RetentionReport { counts })
    }

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

    /// Erases `subject`'s sealed data (GDPR Art. 17, CCPA deletion): destroys their keys
    /// and any escrowed epoch shares, so every value sealed for them, in every copy and
    /// backup, can no longer be opened, once no key-store backup from before the erasure
    /// remains; with a consent ledger attached
    /// ([`VaultBuilder::consent`](super::VaultBuilder::consent)), ends every consent of
    /// theirs with a terminal event and pseudonymises their consent evidence
    /// (`docs/consent.md`). Returns the receipt to keep as proof. Only sealed contents
    /// become unreadable: the subject id and dates in each value's header, plain fields,
    /// kept consent evidence and hold records remain, and are yours to delete or keep on
    /// their own ground (`docs/retention.md`, "Erasure"). Refused with
    /// [`VaultError::UnderLegalHold`] while a hold applies.
    ///
    /// ```
    /// use custodian::keys::LocalMasterKey;
    /// use custodian::{SubjectId, Vault, VaultError};
    /// let vault = Vault::in_memory(LocalMasterKey::generate("kek-1")?);
    /// let alice = SubjectId::new("cus_1")?;
    /// # custodian::purpose! {
    /// #     pub struct LegalClaims { basis: LegitimateInterests, description: "Claims.", uses: [custodian::categories::Email] }
    /// # }
    /// let hold = vault.hold::<LegalClaims>(&alice, "case 2027-14: litigation hold", None)?;
    /// assert!(matches!(vault.erase(&alice), Err(VaultError::UnderLegalHold { .. })));
    /// vault.release(&hold.id)?;
    /// let receipt = vault.erase(&alice)?;
    /// assert_eq!(receipt.subject, vault.subject_ref(&alice)?);
    /// assert!(!serde_json::to_string(&receipt)?.contains("cus_1"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn erase(&self, subject: &SubjectId) -> Result<ErasureReceipt, VaultError> {
        self.audited(EventKind::Erasure, subject, || {
            self.erase_unaudited(subject, &[])
        })
    }

    pub(super) fn erase_unaudited(
        &self,
        subject: &SubjectId,
        exceptions: &[ErasureException],
    ) -> Result<ErasureReceipt, VaultError> {
        let reference = self.subject_ref(subject)?;
        let checked = self.check_exceptions(exceptions)?;
        // Refused before anything is kept or destroyed while a hold binds the subject.
        self.refuse_if_held(subject)?;
        let kept = self.keep_excepted(subject, checked)?;
        let report = self.shred_unaudited(subject)?;
        // Keys first: a hold refuses the shred before any consent ends. Ending consent
        // is idempotent, so a failure here is repaired by erasing again.
        if let Some(eraser) = &self.consent {
            eraser
                .erase(subject)
                .map_err(|e| VaultError::ConsentNotEnded(Box::new(e)))?;
        }
        // A request queued under a hold is done now.
        self.store.dequeue_erasure(subject)?;
        // What became unreadable: the registered fields of categories not kept, and
        // nothing if no key was destroyed (the subject had none, or was erased before).
        let erased = report.keys_destroyed > 0;
        let is_kept = |category: &str| kept.iter().any(|k| k.exception.category == category);
        let data = self
            .records
            .iter()
            .filter(|_| erased)
            .flat_map(|(record, fields)| {
                fields
                    .iter()
                    .filter(|f| !is_kept(f.category.name))
                    .map(move |f| ErasedField {
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
            kept,
            journal: report.journal,
        })
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

fn expired(expires: i64) -> VaultError {
    VaultError::Expired {
        at: expiry_time(expires),
    }
}

fn expiry_time(expires: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(expires, 0).unwrap_or(DateTime::<Utc>::MAX_UTC)
}

fn to_key32(bytes: Zeroizing<Vec<u8>>) -> Result<Zeroizing<[u8; 32]>, VaultError> {
    if bytes.len() != 32 {
        return Err(KeyError::Length { len: bytes.len() }.into());
    }
    let mut out = Zeroizing::new([0u8; 32]);
    out.copy_from_slice(&bytes);
    Ok(out)
}
