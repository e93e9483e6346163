//! The vault: seal and open here; retention checks in `retention.rs`, holds in
//! `holds.rs`, the sweep in `sweep.rs`, shredding and erasure in `erase.rs`.

mod anchors;
mod audit;
mod builder;
mod erase;
mod error;
mod exceptions;
mod holds;
mod keyring;
mod op_errors;
mod operator;
mod retention;
mod rotation;
mod store;
mod sweep;

use std::sync::Arc;
use std::time::Duration;

use zeroize::Zeroizing;

pub use builder::VaultBuilder;
pub use error::{RewrapReport, ShredReport, SweepReport, VaultError};
use keyring::KeyRing;
pub use op_errors::{AdminError, OpenError, SealError};
pub use operator::Operator;
pub use store::VaultStore;

use crate::access::Access;
use crate::audit::AuditTrail;
use crate::category::Category;
use crate::format::{self, BodyError, CONTEXT_DIGEST_LEN, Dates, FormatError, Header};
use crate::keys::{Algorithm, MasterKey, Slot};
use crate::memory::MemoryKeyStore;
use crate::personal::Personal;
use crate::plaintext::Plaintext;
use crate::purpose::Uses;
use crate::record::FieldInfo;
use crate::retention::{Clock, Retention, SystemClock};
use crate::sealed::{Context, Sealed};
use crate::subject::SubjectId;

/// Seals and opens personal values, holds the key hierarchy, shreds subjects.
///
/// Build one per process and share it (`Send + Sync`; put it in an `Arc`). Data keys
/// are cached, so a seal or open costs one AEAD call plus a lookup.
///
/// ```
/// use custodian::keys::LocalMasterKey;
/// use custodian::{Access, Actor, Context, OpenError, Personal, SubjectId, Vault, categories::Email};
///
/// custodian::purpose! {
///     pub struct Receipts { basis: Contract, description: "Email your receipts.", uses: [Email] }
/// }
///
/// let vault = Vault::in_memory(LocalMasterKey::generate("kek-1")?);
/// let alice = SubjectId::new("cus_1")?;
/// let ctx = Context::new("customer", "email")?.retain(custodian::Retention::UntilErased);
///
/// let email: Personal<String, Email> = Personal::new(alice.clone(), "alice@example.com".into());
/// let sealed = vault.seal(&email, &ctx)?;
/// assert!(!serde_json::to_string(&sealed)?.contains("alice"));
///
/// let access = Access::<Receipts>::new(alice.clone(), Actor::service("mailer"));
/// assert_eq!(vault.open(&sealed, &ctx, &access)?.read(&access)?, "alice@example.com");
///
/// vault.operator(Actor::staff("emp-7", "privacy-officer")).shred(&alice)?;
/// assert!(matches!(vault.open(&sealed, &ctx, &access), Err(OpenError::Shredded)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Vault {
    /// The key hierarchy: master keys, key store, cache, epoch keys, randomness.
    keys: KeyRing,
    clock: Arc<dyn Clock>,
    /// Retention by category name, for contexts that declare none.
    defaults: Vec<(&'static str, Retention)>,
    /// Field inventories of registered record types, for erasure receipts.
    records: Vec<(&'static str, &'static [FieldInfo])>,
    audit: Option<Arc<AuditTrail>>,
    /// Audit pseudonyms of recently seen subjects, kept no longer than the cache TTL.
    pseudonym_memo: audit::PseudonymMemo,
    /// Ends a subject's consents at erasure.
    consent: Option<crate::consent::ConsentEraser>,
}

impl Vault {
    /// Configures a vault over `master` and `store`.
    pub fn builder(
        master: impl MasterKey + 'static,
        store: impl VaultStore + 'static,
    ) -> VaultBuilder {
        VaultBuilder {
            master: Box::new(master),
            previous: Vec::new(),
            store: Box::new(store),
            algorithm: Algorithm::default(),
            cache_capacity: 100_000,
            cache_ttl: Duration::from_secs(60),
            clock: Arc::new(SystemClock::new()),
            defaults: Vec::new(),
            records: Vec::new(),
            audit: None,
            consent: None,
        }
    }

    /// A vault with default settings over `master` and `store`.
    pub fn new(master: impl MasterKey + 'static, store: impl VaultStore + 'static) -> Vault {
        Vault::builder(master, store).build()
    }

    /// A vault whose keys live in memory only: for tests.
    pub fn in_memory(master: impl MasterKey + 'static) -> Vault {
        Vault::new(master, MemoryKeyStore::new())
    }

    /// Seals `value` for storage in the place `context` names, under its subject's
    /// current key (created on first use). The header records now as its collection
    /// time and its expiry from the context's retention (or the category's default).
    pub fn seal<T: Plaintext, C: Category>(
        &self,
        value: &Personal<T, C>,
        context: &Context<C>,
    ) -> Result<Sealed<T, C>, SealError> {
        self.seal_collected_at(value, context, self.clock.unix_seconds())
            .map_err(SealError::narrow)
    }

    /// [`seal`](Self::seal) with the collection time given (seconds since the Unix
    /// epoch, from this vault's clock): the derive reads the clock once per record, so
    /// all of a record's fields share one collection time.
    pub(crate) fn seal_collected_at<T: Plaintext, C: Category>(
        &self,
        value: &Personal<T, C>,
        context: &Context<C>,
        collected: i64,
    ) -> Result<Sealed<T, C>, VaultError> {
        let (dates, day) = self.dates_for(context, collected)?;
        if format::is_anchor_day(day) {
            self.refuse_ended_anchor(value.subject(), day)?;
        }
        // An encoding that fails (a `Json<T>` whose `Serialize` refuses) is an error, not
        // a sealed placeholder; the bytes sealed around the failure are discarded.
        let mut failed = None;
        let encode = |out: &mut Vec<u8>| {
            if let Err(e) = value.value_unchecked().encode(out) {
                failed = Some(e);
            }
        };
        let hint = value.value_unchecked().encoded_len();
        let bytes = self.seal_encoded(
            value.subject(),
            (C::NAME, context.digest()),
            (dates, day),
            hint,
            encode,
        )?;
        if let Some(e) = failed {
            return Err(VaultError::Plaintext(e));
        }
        Ok(Sealed::from_trusted(bytes))
    }

    /// Opens `sealed`, read from the place `context` names, for purpose `P`: compiles
    /// only if `P` is declared to use `C`; fails if the value belongs to another subject
    /// than `access`, was moved or altered, has expired (unless a legal hold of its
    /// subject keeps it for `P`: [`OpenError::RestrictedByHold`] otherwise), or its
    /// subject was shredded.
    ///
    /// On an audited vault the open is recorded, allowed or refused; if the event
    /// cannot be recorded the open fails with [`OpenError::Audit`].
    pub fn open<T: Plaintext, C: Category, P: Uses<C>>(
        &self,
        sealed: &Sealed<T, C>,
        context: &Context<C>,
        access: &Access<P>,
    ) -> Result<Personal<T, C>, OpenError> {
        let () = crate::purpose::checks::Declared::<P, C>::CHECK;
        // An actor no one can be held to opens nothing (and cannot be recorded).
        access.actor().check().map_err(OpenError::InvalidActor)?;
        let result = self.open_unaudited(sealed, context, access);
        if self.audit.is_some() {
            self.audit_open(context, access, &result)
                .map_err(OpenError::narrow)?;
        }
        result.map_err(OpenError::narrow)
    }

    fn open_unaudited<T: Plaintext, C: Category, P: Uses<C>>(
        &self,
        sealed: &Sealed<T, C>,
        context: &Context<C>,
        access: &Access<P>,
    ) -> Result<Personal<T, C>, VaultError> {
        // A consent access opens for one request: refused (and audited as such) once
        // its check is older than the window by this vault's clock, or ahead of it.
        if let Some(at) = access.consent_checked_at() {
            let age = self.clock.now().signed_duration_since(at);
            if age < chrono::TimeDelta::zero()
                || age > chrono::TimeDelta::seconds(crate::access::CONSENT_ACCESS_VALIDITY_SECONDS)
            {
                return Err(VaultError::ConsentAccessStale);
            }
        }
        let Some(header) = format::parse_for(sealed.as_bytes(), access.subject().as_str())? else {
            return Err(VaultError::SubjectMismatch);
        };
        let (_, plain) = self.open_checked(
            access.subject(),
            sealed.as_bytes(),
            &header,
            context,
            Some(P::NAME),
        )?;
        Ok(Personal::new(
            access.subject().clone(),
            T::decode_owned(plain)?,
        ))
    }

    /// Opens a value whose header is `header` for `subject`, refusing it if it has
    /// expired (unless held): first by the header's expiry day, before any key is
    /// looked up, then by its exact expiry, sealed inside it.
    fn open_checked<C: Category>(
        &self,
        subject: &SubjectId,
        bytes: &[u8],
        header: &Header<'_>,
        context: &Context<C>,
        purpose: Option<&'static str>,
    ) -> Result<(Dates, Zeroizing<Vec<u8>>), VaultError> {
        let now = self.clock.unix_seconds();
        // The day has ended: expired, whatever the exact time (the header proves it).
        if now >= header.expired_by() {
            self.check_expiry(subject, header.expired_by(), purpose, C::NAME)?;
        }
        // Kept after an event: the recorded event + period decides, before any key.
        if header.is_anchored()
            && let Some(end) = self.anchored_end(subject, header.expiry_day)?
            && now >= end
        {
            self.check_expiry(subject, end, purpose, C::NAME)?;
        }
        let (dates, plain) =
            self.open_encoded(subject, bytes, header, (C::NAME, context.digest()), purpose)?;
        if now >= dates.expires {
            self.check_expiry(subject, dates.expires, purpose, C::NAME)?;
        }
        Ok((dates, plain))
    }

    /// Re-seals `sealed` under its subject's current key version (after
    /// [`rotate_subject_key`](Operator::rotate_subject_key)), keeping its collection and
    /// expiry dates. The plaintext never leaves the vault, so no purpose is needed.
    pub fn reseal<T: Plaintext, C: Category>(
        &self,
        sealed: &Sealed<T, C>,
        context: &Context<C>,
    ) -> Result<Sealed<T, C>, VaultError> {
        let header = sealed.header()?;
        let subject = SubjectId::new(header.subject).map_err(|_| FormatError::BadSubject)?;
        let (dates, plain) =
            self.open_checked(&subject, sealed.as_bytes(), &header, context, None)?;
        let bytes = self.seal_encoded(
            &subject,
            (C::NAME, context.digest()),
            (dates, header.expiry_day),
            plain.len(),
            |out| out.extend_from_slice(&plain),
        )?;
        Ok(Sealed::from_trusted(bytes))
    }

    /// The collection and expiry dates sealed inside `sealed` (format v3 keeps them out
    /// of the clear header, which shows only the expiry's UTC day). Decrypts the value
    /// to read them, but returns no plaintext, so it needs no purpose: for retention
    /// reports and tooling. Fails as [`open`](Self::open) would, except that an expired
    /// value still gives its dates while its keys exist.
    pub fn dates<T, C: Category>(
        &self,
        sealed: &Sealed<T, C>,
        context: &Context<C>,
    ) -> Result<Dates, VaultError> {
        let header = sealed.header()?;
        let subject = SubjectId::new(header.subject).map_err(|_| FormatError::BadSubject)?;
        let (mut dates, _) = self.open_encoded(
            &subject,
            sealed.as_bytes(),
            &header,
            (C::NAME, context.digest()),
            None,
        )?;
        // Kept after an event: sealed as `NEVER`; the end once the event is recorded.
        if header.is_anchored()
            && let Some(end) = self.anchored_end(&subject, header.expiry_day)?
        {
            dates.expires = end;
        }
        Ok(dates)
    }

    /// The clock this vault reads (collection dates, expiry, holds, sweeps). Give it to
    /// the consent ledger of the same service
    /// ([`ConsentLedger::with_clock`](crate::consent::ConsentLedger::with_clock)), so
    /// that consent and retention are decided on one time.
    pub fn clock(&self) -> Arc<dyn Clock> {
        Arc::clone(&self.clock)
    }

    /// Subjects whose derived keys are cached in this process.
    pub fn cached_subjects(&self) -> usize {
        self.keys.cached_subjects()
    }

    /// Seals the bytes `encode` writes (about `size_hint` of them) for `subject` in
    /// `category` at the place whose digest is `context`, under the key the hierarchy
    /// lends for it. `day` is the header's expiry day: the expiry's UTC day, or the
    /// code of a value kept after an event (`anchors.rs`).
    fn seal_encoded(
        &self,
        subject: &SubjectId,
        (category, context): (&'static str, &[u8; CONTEXT_DIGEST_LEN]),
        (dates, day): (Dates, u32),
        size_hint: usize,
        encode: impl FnOnce(&mut Vec<u8>),
    ) -> Result<Vec<u8>, VaultError> {
        if format::is_anchor_day(day) {
            return self.seal_anchored(
                subject,
                (category, context),
                (dates, day),
                size_hint,
                encode,
            );
        }
        let epoch = day;
        self.keys.seal_with(subject, category, epoch, |key| {
            format::seal(
                key.key,
                key.algorithm,
                subject.as_str(),
                key.version,
                dates,
                key.nonce,
                context,
                size_hint,
                encode,
            )
            .ok_or_else(|| VaultError::Format(FormatError::BadSubject))
        })?
    }

    /// Decrypts a value; `place` is its category and context digest. `purpose` is only
    /// used when the subject was erased with an exception for the category: the kept
    /// key opens the value for that exception's purpose alone.
    fn open_encoded(
        &self,
        subject: &SubjectId,
        bytes: &[u8],
        header: &Header<'_>,
        place: (&'static str, &[u8; CONTEXT_DIGEST_LEN]),
        purpose: Option<&'static str>,
    ) -> Result<(Dates, Zeroizing<Vec<u8>>), VaultError> {
        let (category, context) = place;
        let slot = Slot {
            version: header.key_version,
            algorithm: header.algorithm,
            epoch: header.epoch(),
            category,
        };
        self.keys
            .open_with(subject, slot, header.expired_by(), purpose, |key| {
                format::open(key, bytes, header, context)
            })?
            .map_err(|e| match e {
                BodyError::Unauthentic => VaultError::Decrypt,
                BodyError::BadDates => VaultError::Format(FormatError::BadDates),
            })
    }
}

#[cfg(test)]
mod tests;
