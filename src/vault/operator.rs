//! The operator handle: every administrative operation (erasure, shredding, sweeps,
//! legal holds, events that start a retention period, key rotation and re-wrapping,
//! recorded exports) on a handle of its own
//! that names the [`Actor`] doing it and audits every call as theirs.
//!
//! # Decisions
//!
//! - **A borrowed handle, not a second vault.** [`Vault::operator`] returns an
//!   [`Operator`] borrowing the vault: one key hierarchy, one cache, one trail. The
//!   request-time [`Vault`] a handler holds has no destructive method at all (a
//!   compile-fail test, `tests/ui/request_vault_cannot_erase.rs`, keeps it so); an
//!   erasure has to name who does it, in the code that does it.
//! - **Every call is audited with the handle's actor**, allowed or refused, on an
//!   audited vault (the build-time `operator` of earlier versions is gone: one actor
//!   for all administrative events could not say who erased whom). A sweep's
//!   completion of queued erasures is recorded as by the sweep's actor.
//! - **One audited path, refusals included.** Every act runs through one of two
//!   private wrappers: the actor is checked first ([`Actor::check`]: an empty,
//!   over-long id or role, or one with spaces, control, format, bidi or non-ASCII
//!   characters is refused with [`AdminError::InvalidActor`], code `invalid_input`,
//!   before anything is done, and not recorded: there is no one to record it as);
//!   then a refusal is recorded as the act's event kind, by this actor, with the
//!   refusal's stable code (erasure, shred and events record themselves the same way).
//! - **Done but not recorded is said, not hidden.** These acts commit in the key store
//!   and are then recorded; if that record fails, the act is not undone (a destroyed
//!   key cannot come back) and the call fails with [`AdminError::DoneNotRecorded`]
//!   (code `done_not_recorded`), never with [`AdminError::Audit`], which means
//!   "refused, nothing done". Recording intent first was rejected: a trail full of
//!   intents that never happened is worse evidence than one missing event that the
//!   caller was told about. An export ([`Operator::record_export`]) is the record
//!   itself: its failure is a refusal.
//! - **Events that start a retention clock are an operator's act.**
//!   [`Operator::record_event`] decides when a subject's data is destroyed, so it
//!   names its actor and is audited like an erasure; [`Vault::events_of`] only reads.
//! - **Listings stay on the vault.** [`Vault::holds`], [`Vault::holds_of`],
//!   [`Vault::verify_retention`] and [`Vault::checkpoint`] change nothing and record
//!   nothing, so they need no actor.
//! - **A service that must never erase** is built like any other and simply never
//!   calls [`Vault::operator`]; to have the compiler hold it to that, deny the method
//!   in that service's `clippy.toml` (`disallowed-methods = ["custodian::Vault::operator"]`)
//!   and give its key-store credentials no right to delete. In-process types cannot
//!   stop code that holds the vault and its keys from naming an actor; they make
//!   every erasure deliberate and attributable.

use chrono::{DateTime, Utc};

use super::{AdminError, RewrapReport, ShredReport, SweepReport, Vault, VaultError};
use crate::access::Actor;
use crate::audit::{EventKind, Outcome};
use crate::purpose::Purpose;
use crate::retention::{
    Anchor, AnchorEvent, ErasureException, ErasureOutcome, ErasureReceipt, HoldBasis, HoldId,
    HoldScope, LegalHold,
};
use crate::subject::SubjectId;

/// The administrative handle of a [`Vault`], for one [`Actor`]: erasure, shredding,
/// sweeps, legal holds, events that start a retention period, key rotation and
/// re-wrapping, and recorded exports. Each call
/// is recorded in the vault's audit trail (if it has one) as done by that actor.
///
/// ```
/// use custodian::keys::LocalMasterKey;
/// use custodian::{Actor, SubjectId, Vault};
/// let vault = Vault::in_memory(LocalMasterKey::generate("kek-1")?);
/// let dpo = vault.operator(Actor::staff("emp-7", "privacy-officer"));
/// let receipt = dpo.erase(&SubjectId::new("cus_1")?)?;
/// assert_eq!(receipt.subject_keys_destroyed, 0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Operator<'v> {
    vault: &'v Vault,
    actor: Actor,
}

impl Vault {
    /// The administrative handle for `actor` (the staff member, tool or scheduled job
    /// doing it): erasure, shredding, sweeps, holds, rotation and exports are there,
    /// never on the vault itself, and each is audited as done by `actor`.
    pub fn operator(&self, actor: Actor) -> Operator<'_> {
        Operator { vault: self, actor }
    }
}

impl Operator<'_> {
    /// Runs an act that records itself, allowed or refused (erasure, shred, events,
    /// exports), once the actor is checked: an actor no one can be held to
    /// ([`Actor::check`]) does nothing.
    fn attributed<R>(&self, act: impl FnOnce() -> Result<R, VaultError>) -> Result<R, AdminError> {
        self.actor.check()?;
        act().map_err(AdminError::narrow)
    }

    /// Runs an act that records only its success (holds, rotation, re-wrap, sweep), on
    /// the one audited path of this handle: the actor is checked first; a refusal is
    /// recorded as `kind` by this actor with its stable code; an audit failure after
    /// the act (their only audit step is their last) is [`AdminError::DoneNotRecorded`],
    /// never a "refused".
    fn act<R>(
        &self,
        kind: EventKind,
        subject: Option<&SubjectId>,
        act: impl FnOnce() -> Result<R, VaultError>,
    ) -> Result<R, AdminError> {
        self.actor.check()?;
        match act() {
            Ok(done) => Ok(done),
            Err(VaultError::Audit(e) | VaultError::DoneNotRecorded(e)) => {
                Err(AdminError::DoneNotRecorded(e))
            }
            Err(refused) => {
                let code = refused.kind().code().to_owned();
                self.vault
                    .audit_event(
                        kind,
                        subject,
                        Some(&self.actor),
                        Outcome::RefusedWithCode(code),
                    )
                    .map_err(AdminError::narrow)?;
                Err(AdminError::narrow(refused))
            }
        }
    }

    /// Who this handle's operations are recorded as done by.
    pub fn actor(&self) -> &Actor {
        &self.actor
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
    /// [`AdminError::UnderLegalHold`] while a hold applies.
    ///
    /// ```
    /// use custodian::keys::LocalMasterKey;
    /// use custodian::{AdminError, SubjectId, Vault};
    /// let vault = Vault::in_memory(LocalMasterKey::generate("kek-1")?);
    /// let dpo = vault.operator(custodian::Actor::staff("emp-7", "privacy-officer"));
    /// let alice = SubjectId::new("cus_1")?;
    /// # custodian::purpose! {
    /// #     pub struct LegalClaims { basis: LegitimateInterests, description: "Claims.", uses: [custodian::categories::Email] }
    /// # }
    /// let hold = dpo.hold::<LegalClaims>(&alice, "case 2027-14: litigation hold", None)?;
    /// assert!(matches!(dpo.erase(&alice), Err(AdminError::UnderLegalHold { .. })));
    /// dpo.release(&hold.id)?;
    /// let receipt = dpo.erase(&alice)?;
    /// assert_eq!(receipt.subject, vault.subject_ref(&alice)?);
    /// assert!(!serde_json::to_string(&receipt)?.contains("cus_1"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn erase(&self, subject: &SubjectId) -> Result<ErasureReceipt, AdminError> {
        self.attributed(|| self.vault.op_erase(&self.actor, subject))
    }

    /// Erases `subject` as [`erase`](Self::erase) does, except the categories a law
    /// requires to be kept (GDPR Art. 17(3)(b)): for each [`ErasureException`], the
    /// subject's key for that one category is kept (wrapped by the master key, bound
    /// to the exception) before the subject key is destroyed. Then:
    ///
    /// - data of every other category is unreadable at once, as after `erase`;
    /// - data of an excepted category opens only for the exception's purpose, and
    ///   only until its `until` (every other purpose gets
    ///   [`OpenError::RestrictedByErasureException`](crate::OpenError::RestrictedByErasureException)); its own retention still
    ///   applies;
    /// - the first [`sweep`](Self::sweep) after `until` destroys the kept key: the
    ///   erasure then completes by itself.
    ///
    /// The receipt lists what was made unreadable (`data`) and what was kept (`kept`).
    /// Refused with [`AdminError::UnderLegalHold`] while a hold binds the subject
    /// (nothing is kept or destroyed), and with [`AdminError::BadErasureException`]
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
    /// let dpo = vault.operator(custodian::Actor::staff("emp-7", "privacy-officer"));
    /// let alice = SubjectId::new("cus_1")?;
    /// let until = chrono::Utc::now() + chrono::TimeDelta::days(8 * 365);
    /// let keep = ErasureException::keep::<TaxRecords, PostalAddress>("§ 147 AO", until);
    /// let address: Context<PostalAddress> =
    ///     Context::new("customer", "billing_address")?.retain(custodian::Retention::Years(11));
    /// let sealed = vault.seal(&Personal::new(alice.clone(), "1 Main St".to_owned()), &address)?;
    /// let receipt = dpo.erase_with(&alice, &[keep])?;
    /// assert_eq!(receipt.kept[0].key_versions, 1);
    /// let tax = Access::<TaxRecords>::new(alice.clone(), Actor::service("accounting"));
    /// assert_eq!(vault.open(&sealed, &address, &tax)?.read(&tax)?, "1 Main St");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn erase_with(
        &self,
        subject: &SubjectId,
        exceptions: &[ErasureException],
    ) -> Result<ErasureReceipt, AdminError> {
        self.attributed(|| self.vault.op_erase_with(&self.actor, subject, exceptions))
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
    ) -> Result<ErasureOutcome, AdminError> {
        self.attributed(|| {
            self.vault
                .op_request_erasure(&self.actor, subject, exceptions)
        })
    }

    /// Crypto-shreds `subject`: deletes every version of their key, and any epoch
    /// share escrowed for them, from the key store and this process's cache. Every
    /// value sealed for them, including copies in backups and exports, then fails with
    /// [`OpenError::Shredded`](crate::OpenError::Shredded). Refused while they are under a legal hold.
    /// [`erase`](Self::erase) does this and returns a receipt. Audited as `shred`.
    pub fn shred(&self, subject: &SubjectId) -> Result<ShredReport, AdminError> {
        self.attributed(|| self.vault.op_shred(&self.actor, subject))
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
    /// let dpo = vault.operator(custodian::Actor::staff("emp-7", "privacy-officer"));
    /// let alice = SubjectId::new("cus_1")?;
    /// let hold = dpo.hold::<LegalClaims>(&alice, "case 2027-14: payment dispute", None)?;
    /// assert_eq!(hold.scope.purposes(), ["legal-claims"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn hold<P: Purpose>(
        &self,
        subject: &SubjectId,
        reason: &str,
        until: Option<DateTime<Utc>>,
    ) -> Result<LegalHold, AdminError>
    where
        P::Basis: HoldBasis<P>,
    {
        self.act(EventKind::HoldPlaced, Some(subject), || {
            self.vault.op_hold::<P>(&self.actor, subject, reason, until)
        })
    }

    /// Places a legal hold on `subject` that keeps their data of the scope's categories
    /// for the scope's purposes (GDPR Art. 17(3)(e), 18(2)), until it is released or
    /// `until` passes:
    ///
    /// - past its retention, such data still opens, but only for a purpose of the
    ///   scope; every other purpose gets [`OpenError::RestrictedByHold`](crate::OpenError::RestrictedByHold), and data of
    ///   other categories stays [`OpenError::Expired`](crate::OpenError::Expired);
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
    ) -> Result<LegalHold, AdminError> {
        self.act(EventKind::HoldPlaced, Some(subject), || {
            self.vault
                .op_hold_scoped(&self.actor, subject, scope, reason, until)
        })
    }

    /// Releases a hold. If it was the subject's last active one, the epoch shares
    /// escrowed for them are destroyed: data that expired meanwhile becomes unreadable.
    pub fn release(&self, id: &HoldId) -> Result<LegalHold, AdminError> {
        self.act(EventKind::HoldReleased, None, || {
            self.vault.op_release(&self.actor, id)
        })
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
    pub fn sweep(&self) -> Result<SweepReport, AdminError> {
        self.act(EventKind::Sweep, None, || self.vault.op_sweep(&self.actor))
    }

    /// Records that `anchor` happened for `subject` at `at` (the end of their
    /// contract, of their employment, their last contact): every value of theirs kept
    /// for a period after that event ([`Retention::AfterEvent`](crate::Retention::AfterEvent))
    /// is refused from `at` + its period on, and the first [`sweep`](Self::sweep) after
    /// that destroys its anchor key, unless a legal hold binds the subject (then the
    /// data opens only for the hold's purposes, as for any expired data).
    ///
    /// An operator's act, not a request-time one: the event starts the clock that
    /// decides when the subject's data is destroyed, so it is audited as
    /// `anchor_event` with this handle's actor, allowed or refused, like an erasure
    /// (reading the events, [`Vault::events_of`], records nothing).
    ///
    /// Records are append-only and authenticated in the key store. A period runs from
    /// the **latest** `at` recorded for its subject and anchor, so recording an earlier
    /// time never moves an end back; recording a later one (a new contact, a renewed
    /// contract) moves it forward, until the key is destroyed. `at` is kept in whole
    /// seconds and may not be after now ([`AdminError::EventInFuture`]). Refused with
    /// [`AdminError::Shredded`] for an erased subject.
    ///
    /// ```
    /// use custodian::keys::LocalMasterKey;
    /// use custodian::retention::Anchor;
    /// use custodian::{Actor, Context, Personal, Retention, SubjectId, Vault, categories::Email};
    /// let vault = Vault::in_memory(LocalMasterKey::generate("kek-1")?);
    /// let alice = SubjectId::new("cus_1")?;
    /// let ctx = Context::new("customer", "email")?.retain(Retention::parse("3y after end of contract")?);
    /// let sealed = vault.seal(&Personal::<String, Email>::new(alice.clone(), "a@example.com".into()), &ctx)?;
    /// let billing = vault.operator(Actor::service("billing"));
    /// billing.record_event(&alice, Anchor::ContractEnd, chrono::Utc::now())?;
    /// assert_eq!(vault.events_of(&alice)?.len(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn record_event(
        &self,
        subject: &SubjectId,
        anchor: Anchor,
        at: DateTime<Utc>,
    ) -> Result<AnchorEvent, AdminError> {
        self.attributed(|| self.vault.op_record_event(&self.actor, subject, anchor, at))
    }

    /// Starts a new key version for `subject`: new seals use it, old values still open,
    /// and [`reseal`](Vault::reseal) upgrades them. Returns the new version.
    pub fn rotate_subject_key(&self, subject: &SubjectId) -> Result<u32, AdminError> {
        self.act(EventKind::SubjectKeyRotation, Some(subject), || {
            self.vault.op_rotate_subject_key(&self.actor, subject)
        })
    }

    /// Destroys `subject`'s key versions below `below` (never the newest), from the key
    /// store, its journal and this process's cache; returns how many were destroyed.
    /// Values still sealed under them then fail with [`OpenError::KeyRetired`](crate::OpenError::KeyRetired), in
    /// every copy.
    ///
    /// The last step of a key rotation after a compromise (`docs/crypto.md`, "After a
    /// compromise"): [`rotate_subject_key`](Self::rotate_subject_key), wait out the
    /// cache TTL of every process, [`reseal`](Vault::reseal) every value of the
    /// subject, then retire the old versions, so that no copy of the key store taken
    /// before opens anything sealed since. Refused with
    /// [`AdminError::WouldRetireNewestKey`] if `below` is above the newest version, and
    /// like [`shred`](Self::shred), under a legal hold. Audited as a subject key
    /// rotation.
    ///
    /// ```
    /// # use custodian::keys::LocalMasterKey;
    /// # use custodian::{AdminError, SubjectId, Vault};
    /// let vault = Vault::in_memory(LocalMasterKey::generate("kek-2")?);
    /// let dpo = vault.operator(custodian::Actor::staff("emp-7", "privacy-officer"));
    /// let alice = SubjectId::new("cus_1")?;
    /// dpo.rotate_subject_key(&alice)?; // version 1
    /// let newest = dpo.rotate_subject_key(&alice)?; // version 2
    /// // ... reseal every value of alice here ...
    /// assert_eq!(dpo.retire_subject_key_versions(&alice, newest)?, 1);
    /// assert!(matches!(
    ///     dpo.retire_subject_key_versions(&alice, newest + 1),
    ///     Err(AdminError::WouldRetireNewestKey { .. })
    /// ));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn retire_subject_key_versions(
        &self,
        subject: &SubjectId,
        below: u32,
    ) -> Result<usize, AdminError> {
        self.act(EventKind::SubjectKeyRotation, Some(subject), || {
            self.vault
                .op_retire_subject_key_versions(&self.actor, subject, below)
        })
    }

    /// Re-wraps every stored key (subject keys, epoch keys, escrows, vault secrets)
    /// that is not yet under the current master key (they must be under a
    /// [`previous_master_key`](super::VaultBuilder::previous_master_key)). No ciphertext is
    /// touched. Each key is swapped on its own, so an interrupted run loses nothing and
    /// the next run carries on where it stopped.
    pub fn rewrap_keys(&self) -> Result<RewrapReport, AdminError> {
        self.act(EventKind::MasterKeyRotation, None, || {
            self.vault.op_rewrap_keys(&self.actor)
        })
    }

    /// Records that this handle's actor exported `subject`'s data (a data subject access request,
    /// Art. 15, or a portability request, Art. 20). Call it before handing the export
    /// over, and do not hand it over if it fails: as with an open, an export that
    /// cannot be accounted for should not happen. Does nothing on an unaudited vault.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use custodian::{Actor, SubjectId, Vault, audit::{AuditTrail, EventKind, MemorySink}};
    /// # let trail = Arc::new(AuditTrail::new(MemorySink::new())?);
    /// # let vault = Vault::builder(custodian::keys::LocalMasterKey::generate("kek")?, custodian::memory::MemoryKeyStore::new())
    /// #     .audit(Arc::clone(&trail)).build();
    /// let alice = SubjectId::new("cus_1")?;
    /// vault.operator(Actor::staff("emp-7", "privacy-officer")).record_export(&alice)?;
    /// assert_eq!(vault.access_history(&alice)?[0].kind, EventKind::Export);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn record_export(&self, subject: &SubjectId) -> Result<(), AdminError> {
        self.attributed(|| self.vault.op_record_export(&self.actor, subject))
    }
}
