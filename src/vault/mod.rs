//! The vault: seal, open, shred and rotate; retention, holds and erasure in
//! `retention.rs`.

mod anchors;
mod audit;
mod error;
mod exceptions;
mod retention;
mod rotation;

use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use ring::rand::{SecureRandom, SystemRandom};
use zeroize::Zeroizing;

pub use error::{RewrapReport, ShredReport, SweepReport, VaultError};

use crate::access::{Access, Actor};
use crate::audit::{AuditTrail, EventKind};
use crate::category::Category;
use crate::format::{self, CONTEXT_DIGEST_LEN, Dates, FormatError, Header, OpenError};
use crate::keys::{
    Algorithm, CachedKey, KeyCache, KeyError, KeyRef, KeyStore, MasterKey, MemoryKeyStore, Slot,
    StoredKey, WrappedKey, subject_key_aad,
};
use crate::personal::Personal;
use crate::plaintext::Plaintext;
use crate::purpose::Uses;
use crate::record::{FieldInfo, PersonalData};
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
/// use custodian::{Access, Actor, Context, Personal, SubjectId, Vault, VaultError, categories::Email};
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
/// vault.shred(&alice)?;
/// assert!(matches!(vault.open(&sealed, &ctx, &access), Err(VaultError::Shredded)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Vault {
    master: Box<dyn MasterKey>,
    previous: Vec<Box<dyn MasterKey>>,
    store: Box<dyn KeyStore>,
    cache: KeyCache,
    algorithm: Algorithm,
    rng: SystemRandom,
    clock: Arc<dyn Clock>,
    /// Retention by category name, for contexts that declare none.
    defaults: Vec<(&'static str, Retention)>,
    /// Field inventories of registered record types, for erasure receipts.
    records: Vec<(&'static str, &'static [FieldInfo])>,
    /// Unwrapped epoch keys, by epoch (a handful live at once: one per day of expiry
    /// in use), with when they were loaded; bounded by the cache TTL.
    epoch_keys: Mutex<Vec<KeptEpochKey>>,
    cache_ttl: coarsetime::Duration,
    /// The key of subject references, loaded on first use.
    subject_ref_key: OnceLock<ring::hmac::Key>,
    /// The key of the hold and tombstone MACs, loaded on first use (`retention.rs`).
    retention_key: OnceLock<crate::retention::IntegrityKey>,
    audit: Option<Arc<AuditTrail>>,
    /// Who administrative events (erase, hold, rotate, sweep) are recorded as.
    operator: Option<Actor>,
    /// Audit pseudonyms of recently seen subjects, kept no longer than the cache TTL.
    pseudonym_memo: audit::PseudonymMemo,
    /// Ends a subject's consents at erasure.
    consent: Option<crate::consent::ConsentEraser>,
}

/// An unwrapped epoch key: its epoch, when it was loaded, the key. Boxed, so that
/// growing or compacting the list moves pointers, never key bytes (a moved-from copy
/// would be left behind unwiped); the box wipes the key where it lies when dropped.
type KeptEpochKey = (u32, coarsetime::Instant, Box<Zeroizing<[u8; 32]>>);

/// Configures a [`Vault`].
pub struct VaultBuilder {
    master: Box<dyn MasterKey>,
    previous: Vec<Box<dyn MasterKey>>,
    store: Box<dyn KeyStore>,
    algorithm: Algorithm,
    cache_capacity: usize,
    cache_ttl: Duration,
    clock: Arc<dyn Clock>,
    defaults: Vec<(&'static str, Retention)>,
    records: Vec<(&'static str, &'static [FieldInfo])>,
    audit: Option<Arc<AuditTrail>>,
    operator: Option<Actor>,
    consent: Option<crate::consent::ConsentEraser>,
}

impl VaultBuilder {
    /// Ends a subject's consents in this ledger when the vault erases them
    /// ([`ConsentLedger::eraser`](crate::consent::ConsentLedger::eraser)): without it,
    /// erasure leaves consent evidence in force. Give every vault the eraser of the
    /// ledger that records consent for the same subjects.
    pub fn consent(mut self, eraser: crate::consent::ConsentEraser) -> Self {
        self.consent = Some(eraser);
        self
    }

    /// Records every open (allowed or refused), erasure, hold, rotation and sweep in
    /// `trail` (`docs/audit.md`). Fail-closed: an action whose event cannot be
    /// recorded fails.
    pub fn audit(mut self, trail: Arc<AuditTrail>) -> Self {
        self.audit = Some(trail);
        self
    }

    /// The actor that administrative events (erase, hold, release, rotations, sweep)
    /// are recorded as: the service or tool this vault serves. Opens record the
    /// access's own actor.
    pub fn operator(mut self, actor: Actor) -> Self {
        self.operator = Some(actor);
        self
    }

    /// The AEAD for new seals (default AES-256-GCM). Values sealed under either
    /// algorithm always open: the header names it.
    pub fn algorithm(mut self, algorithm: Algorithm) -> Self {
        self.algorithm = algorithm;
        self
    }

    /// How many subjects' derived keys to keep (default 100,000; about 1 KiB each).
    pub fn cache_capacity(mut self, subjects: usize) -> Self {
        self.cache_capacity = subjects;
        self
    }

    /// How long a derived key is used without re-reading the key store (default
    /// 60 s). This bounds how long this process may still open a subject after another
    /// process sharing the key store shreds it.
    ///
    /// Clamped to at most 24 hours (`Duration::MAX` means a day). `Duration::ZERO`
    /// re-reads the store on every seal and open, so a shred anywhere takes effect at
    /// once; the derived key and its nonce sequence are still kept, so a data key's
    /// nonce prefix is not redrawn per seal (`docs/crypto.md`).
    pub fn cache_ttl(mut self, ttl: Duration) -> Self {
        self.cache_ttl = ttl.min(crate::keys::MAX_CACHE_TTL);
        self
    }

    /// A master key that wrapped keys before the current one: keys it wrapped still
    /// unwrap, and [`Vault::rewrap_keys`] moves them to the current one.
    pub fn previous_master_key(mut self, master: impl MasterKey + 'static) -> Self {
        self.previous.push(Box::new(master));
        self
    }

    /// Where the vault reads the time (default: [`SystemClock`]). Collection dates,
    /// expiry checks, sweeps and holds all use it.
    pub fn clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// The retention of category `C` where a [`Context`] declares none (a field without
    /// `#[personal(retain = "...")]`). Without either, sealing is refused with
    /// [`VaultError::RetentionUndeclared`]: keeping data until erasure must be
    /// declared (`Retention::UntilErased`), never assumed (GDPR Art. 25(2)).
    pub fn default_retention<C: Category>(mut self, retention: Retention) -> Self {
        self.defaults.retain(|(name, _)| *name != C::NAME);
        self.defaults.push((C::NAME, retention));
        self
    }

    /// Registers a record type, so erasure receipts list the kinds of data it holds.
    pub fn record<R: PersonalData>(mut self) -> Self {
        if !self.records.iter().any(|(name, _)| *name == R::RECORD) {
            self.records.push((R::RECORD, R::FIELDS));
        }
        self
    }

    /// The vault.
    pub fn build(self) -> Vault {
        Vault {
            master: self.master,
            previous: self.previous,
            store: self.store,
            cache: KeyCache::new(self.cache_capacity, self.cache_ttl),
            algorithm: self.algorithm,
            rng: SystemRandom::new(),
            clock: self.clock,
            defaults: self.defaults,
            records: self.records,
            epoch_keys: Mutex::new(Vec::new()),
            cache_ttl: coarsetime::Duration::from(self.cache_ttl),
            subject_ref_key: OnceLock::new(),
            retention_key: OnceLock::new(),
            audit: self.audit,
            operator: self.operator,
            pseudonym_memo: audit::PseudonymMemo::default(),
            consent: self.consent,
        }
    }
}

impl Vault {
    /// Configures a vault over `master` and `store`.
    pub fn builder(
        master: impl MasterKey + 'static,
        store: impl KeyStore + 'static,
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
            operator: None,
            consent: None,
        }
    }

    /// A vault with default settings over `master` and `store`.
    pub fn new(master: impl MasterKey + 'static, store: impl KeyStore + 'static) -> Vault {
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
    ) -> Result<Sealed<T, C>, VaultError> {
        self.seal_collected_at(value, context, self.clock.unix_seconds())
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
    /// subject keeps it for `P`: [`VaultError::RestrictedByHold`] otherwise), or its
    /// subject was shredded.
    ///
    /// On an audited vault the open is recorded, allowed or refused; if the event
    /// cannot be recorded the open fails with [`VaultError::Audit`].
    pub fn open<T: Plaintext, C: Category, P: Uses<C>>(
        &self,
        sealed: &Sealed<T, C>,
        context: &Context<C>,
        access: &Access<P>,
    ) -> Result<Personal<T, C>, VaultError> {
        let () = crate::purpose::checks::Declared::<P, C>::CHECK;
        let result = self.open_unaudited(sealed, context, access);
        if self.audit.is_some() {
            self.audit_open(context, access, &result)?;
        }
        result
    }

    fn open_unaudited<T: Plaintext, C: Category, P: Uses<C>>(
        &self,
        sealed: &Sealed<T, C>,
        context: &Context<C>,
        access: &Access<P>,
    ) -> Result<Personal<T, C>, VaultError> {
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
    /// [`rotate_subject_key`](Self::rotate_subject_key)), keeping its collection and
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

    /// Crypto-shreds `subject`: deletes every version of their key, and any epoch
    /// share escrowed for them, from the key store and this process's cache. Every
    /// value sealed for them, including copies in backups and exports, then fails with
    /// [`VaultError::Shredded`]. Refused while they are under a legal hold.
    /// [`erase`](Self::erase) does this and returns a receipt. Audited as `shred`.
    pub fn shred(&self, subject: &SubjectId) -> Result<ShredReport, VaultError> {
        self.audited(EventKind::Shred, subject, || self.shred_unaudited(subject))
    }

    fn shred_unaudited(&self, subject: &SubjectId) -> Result<ShredReport, VaultError> {
        self.refuse_if_held(subject)?;
        let reference = self.subject_ref(subject)?;
        // Evict now; mark shredded here only once the store committed, so a shred that
        // fails leaves nothing claiming otherwise. A key loaded meanwhile is evicted
        // again by `cache.shred` below, and one inserted after it is refused.
        self.cache.evict(subject);
        let committed = self.store_shred(subject, &reference);
        let counts = match committed {
            Ok(counts) => counts,
            Err(e) => {
                self.cache.evict(subject);
                return Err(e);
            }
        };
        let (keys_destroyed, escrows_destroyed) = (counts.keys, counts.escrows);
        // An id that never had key material gets no tombstone, here either.
        if counts.tombstone {
            self.cache.shred(subject);
        } else {
            self.cache.evict(subject);
        }
        self.forget_pseudonym(subject);
        Ok(ShredReport {
            keys_destroyed,
            escrows_destroyed,
            journal: self.purge_journal(),
        })
    }

    /// Subjects whose derived keys are cached in this process.
    pub fn cached_subjects(&self) -> usize {
        self.cache.len()
    }

    /// Seals under the key of (`subject`, `category`, expiry `day`): `day` is the
    /// expiry's UTC day, or the header code of a value kept after an event.
    fn seal_encoded(
        &self,
        subject: &SubjectId,
        (category, context): (&'static str, &[u8; CONTEXT_DIGEST_LEN]),
        (dates, epoch): (Dates, u32),
        size_hint: usize,
        encode: impl FnOnce(&mut Vec<u8>),
    ) -> Result<Vec<u8>, VaultError> {
        let mut encode = Some(encode);
        let algorithm = self.algorithm;
        let anchored = format::is_anchor_day(epoch);
        let seal = |version, key: KeyRef<'_>, encode: &mut Option<_>| {
            let nonce = key.next_nonce()?;
            let encode = encode.take()?;
            let sealed = if anchored {
                format::seal_anchored(
                    key.key(),
                    algorithm,
                    subject.as_str(),
                    version,
                    epoch,
                    dates.collected,
                    nonce,
                    context,
                    size_hint,
                    encode,
                )
            } else {
                format::seal(
                    key.key(),
                    algorithm,
                    subject.as_str(),
                    version,
                    dates,
                    nonce,
                    context,
                    size_hint,
                    encode,
                )
            };
            Some(sealed.ok_or_else(|| VaultError::Format(FormatError::BadSubject)))
        };
        let hit = self
            .cache
            .with(subject, None, algorithm, epoch, category, |version, key| {
                (version, seal(version, key, &mut encode))
            });
        match hit {
            Some((_, Some(sealed))) => return sealed,
            // This entry's nonce prefix is used up: retire it and load the key afresh.
            Some((version, None)) => {
                let slot = Slot {
                    version,
                    algorithm,
                    epoch,
                    category,
                };
                self.cache.retire(subject.as_str(), slot)
            }
            None => {}
        }
        let (slot, key) = self.load_current(subject, category, epoch)?;
        let key = self.cache_insert(subject, slot, false, key, true)?;
        // A key just loaded (or kept, only if it may still seal) in this process has
        // nonces ahead of it, so `None` cannot happen here; it is mapped, not unwrapped.
        seal(slot.version, key.lend(), &mut encode).ok_or(KeyError::Random)?
    }

    /// Caches a loaded key and returns the key to use (the cached one of the same slot,
    /// with its nonce state, if it may still seal); a subject shredded meanwhile by
    /// this process is refused, so the operation that loaded the key reports
    /// `Shredded` instead of succeeding.
    fn cache_insert(
        &self,
        subject: &SubjectId,
        slot: Slot,
        escrowed: bool,
        key: CachedKey,
        is_current: bool,
    ) -> Result<Arc<CachedKey>, VaultError> {
        self.cache
            .insert(subject, slot, escrowed, key, is_current)
            .map_err(|_| VaultError::Shredded)
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
        let hit = self.cache.with(
            subject,
            Some(slot.version),
            slot.algorithm,
            slot.epoch,
            slot.category,
            |_, key| format::open(key.key(), bytes, header, context),
        );
        let opened = match hit {
            Some(opened) => opened,
            None => match self.load_for_open(subject, slot, header.expired_by(), purpose)? {
                Loaded::Cacheable(key, escrowed) => {
                    let key = self.cache_insert(subject, slot, escrowed, key, false)?;
                    format::open(key.key(), bytes, header, context)
                }
                // Never cached: the next open may be for another purpose.
                Loaded::Excepted(key) => format::open(key.key(), bytes, header, context),
            },
        };
        opened.map_err(|e| match e {
            OpenError::Unauthentic => VaultError::Decrypt,
            OpenError::BadDates => VaultError::Format(FormatError::BadDates),
        })
    }

    /// The subject's current key for `epoch`, created (version 1) if they have none.
    fn load_current(
        &self,
        subject: &SubjectId,
        category: &'static str,
        epoch: u32,
    ) -> Result<(Slot, CachedKey), VaultError> {
        // An anchor key is created only once the subject key exists: a store treats an
        // anchor key without a subject key as an erased subject's (kept only while an
        // erasure exception lasts).
        let anchored = format::is_anchor_day(epoch);
        let early = if anchored {
            None
        } else {
            Some(self.share_for_seal(subject, epoch)?)
        };
        let (row, subject_key) = match self.store.latest(subject)? {
            Some(row) => {
                let key = self.unwrap_row(&row)?;
                (row, key)
            }
            None if self.is_shredded(subject)? => return Err(VaultError::Shredded),
            None => self.create_key(subject, 1)?,
        };
        let share = match early {
            Some(share) => share,
            None => self.share_for_seal(subject, epoch)?,
        };
        let slot = Slot {
            version: row.version,
            algorithm: self.algorithm,
            epoch,
            category,
        };
        let category_key = format::category_key(&subject_key, category);
        Ok((slot, self.data_key(&category_key, &share, subject, slot)?))
    }

    /// The key that opens a value in `slot`: from the subject key (and whether the
    /// epoch share came from an escrow), or, for an erased subject, from an erasure
    /// exception's kept category key, for its purpose only.
    fn load_for_open(
        &self,
        subject: &SubjectId,
        slot: Slot,
        expires: i64,
        purpose: Option<&'static str>,
    ) -> Result<Loaded, VaultError> {
        let row = match self.store.get(subject, slot.version)? {
            Some(row) => row,
            None if self.is_shredded(subject)? => {
                let category_key = self.excepted_key(subject, slot, purpose)?;
                let (share, _) = self.share_for_open(subject, slot.epoch, expires)?;
                return Ok(Loaded::Excepted(self.data_key(
                    &category_key,
                    &share,
                    subject,
                    slot,
                )?));
            }
            // Versions are created in order from 1; one missing below the newest was
            // retired.
            None if self
                .store
                .latest(subject)?
                .is_some_and(|newest| newest.version > slot.version) =>
            {
                return Err(VaultError::KeyRetired {
                    version: slot.version,
                });
            }
            None => {
                return Err(VaultError::KeyNotFound {
                    version: slot.version,
                });
            }
        };
        let (share, escrowed) = self.share_for_open(subject, slot.epoch, expires)?;
        let subject_key = self.unwrap_row(&row)?;
        let category_key = format::category_key(&subject_key, slot.category);
        Ok(Loaded::Cacheable(
            self.data_key(&category_key, &share, subject, slot)?,
            escrowed,
        ))
    }

    /// Generates, wraps and stores a subject key; if another thread or process stored
    /// that version first, uses theirs. Returns the stored row and the key.
    fn create_key(
        &self,
        subject: &SubjectId,
        version: u32,
    ) -> Result<(StoredKey, Zeroizing<Vec<u8>>), VaultError> {
        let mut key = Zeroizing::new(vec![0u8; 32]);
        self.rng.fill(&mut key[..]).map_err(|_| KeyError::Random)?;
        let row = StoredKey {
            subject: subject.clone(),
            version,
            master_id: self.master.id().to_owned(),
            wrapped: self
                .master
                .wrap(&key[..], &subject_key_aad(subject, version))?,
        };
        let reference = self.subject_ref(subject)?;
        let stored = self
            .store
            .insert(&row, &reference)?
            .ok_or(VaultError::Shredded)?;
        if stored.wrapped == row.wrapped {
            Ok((stored, key))
        } else {
            let key = self.unwrap_row(&stored)?;
            Ok((stored, key))
        }
    }

    /// The master key (current or previous) named `master_id`.
    fn master_named(&self, master_id: &str) -> Result<&dyn MasterKey, VaultError> {
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

    fn unwrap_row(&self, row: &StoredKey) -> Result<Zeroizing<Vec<u8>>, VaultError> {
        let master = self.master_named(&row.master_id)?;
        let key = master.unwrap(&row.wrapped, &subject_key_aad(&row.subject, row.version))?;
        Ok(checked_len(master, key)?)
    }

    /// The 32-byte secret stored as `name`, created first if missing and `create`.
    /// `None` if missing and not created, or if the store refused it (the secret of a
    /// shredded subject).
    fn named_secret(
        &self,
        name: &crate::keys::KeyName,
        create: bool,
    ) -> Result<Option<Zeroizing<Vec<u8>>>, VaultError> {
        let wrapped = match self.store.wrapped(name)? {
            Some(w) => w,
            None if !create => return Ok(None),
            None => {
                let mut secret = Zeroizing::new([0u8; 32]);
                self.rng
                    .fill(&mut secret[..])
                    .map_err(|_| KeyError::Random)?;
                let wrapped = self.wrap(&secret[..], &name.aad())?;
                let reference = match name {
                    crate::keys::KeyName::Escrow { subject, .. }
                    | crate::keys::KeyName::Pseudonym(subject)
                    | crate::keys::KeyName::Anchor { subject, .. } => {
                        Some(self.subject_ref(subject)?)
                    }
                    _ => None,
                };
                match self
                    .store
                    .insert_wrapped(name, &wrapped, reference.as_ref())?
                {
                    Some(stored) => stored,
                    None => return Ok(None),
                }
            }
        };
        Ok(Some(self.unwrap_with(&wrapped, &name.aad())?))
    }

    fn unwrap_with(&self, key: &WrappedKey, aad: &[u8]) -> Result<Zeroizing<Vec<u8>>, VaultError> {
        let master = self.master_named(&key.master_id)?;
        Ok(checked_len(master, master.unwrap(&key.wrapped, aad)?)?)
    }

    fn wrap(&self, key: &[u8], aad: &[u8]) -> Result<WrappedKey, VaultError> {
        Ok(WrappedKey {
            master_id: self.master.id().to_owned(),
            wrapped: self.master.wrap(key, aad)?,
        })
    }

    fn data_key(
        &self,
        category_key: &[u8; 32],
        share: &[u8; 32],
        subject: &SubjectId,
        slot: Slot,
    ) -> Result<CachedKey, VaultError> {
        let data_key = format::derive_data_key(
            category_key,
            share,
            slot.algorithm,
            subject.as_str(),
            slot.version,
            slot.epoch,
        );
        let aead =
            format::aead_key(slot.algorithm, &data_key).ok_or(KeyError::Length { len: 32 })?;
        Ok(CachedKey::new(aead, &self.rng)?)
    }
}

/// A key loaded for an open.
enum Loaded {
    /// From the subject key; `bool`: the epoch share came from a hold's escrow.
    Cacheable(CachedKey, bool),
    /// From an erasure exception's kept category key: used once, never cached.
    Excepted(CachedKey),
}

/// Every stored key (subject key, epoch key, escrowed share, secret) is this long.
const KEY_LEN: usize = 32;

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::categories::Email;
    use crate::keys::LocalMasterKey;

    #[test]
    fn a_used_up_nonce_prefix_is_retired_and_the_key_reloaded() {
        let vault = Vault::in_memory(LocalMasterKey::from_slice("m", &[1; 32]).unwrap());
        let s = SubjectId::new("cus_1").unwrap();
        let ctx: Context<Email> = Context::new("customer", "email")
            .unwrap()
            .retain(Retention::UntilErased);
        let p: Personal<String, Email> = Personal::new(s.clone(), "a@example.com".into());
        let before = vault.seal(&p, &ctx).unwrap();
        vault.cache.exhaust(s.as_str());
        let after = vault.seal(&p, &ctx).unwrap();
        let (b, a) = (before.header().unwrap(), after.header().unwrap());
        assert_eq!(b.key_version, a.key_version);
        assert_ne!(
            b.nonce[..8],
            a.nonce[..8],
            "a fresh prefix after the reload"
        );
        let access = crate::Access::<Crm>::new(s, crate::Actor::service("t"));
        assert_eq!(
            vault
                .open(&after, &ctx, &access)
                .unwrap()
                .read(&access)
                .unwrap(),
            "a@example.com"
        );
    }

    #[test]
    fn the_epoch_key_memo_never_moves_a_kept_key_when_it_grows_or_shrinks() {
        use crate::retention::{ManualClock, Retention};
        let start = chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let clock = Arc::new(ManualClock::new(start));
        let vault = Vault::builder(
            LocalMasterKey::from_slice("m", &[1; 32]).unwrap(),
            MemoryKeyStore::new(),
        )
        .clock(clock.clone())
        .build();
        let s = SubjectId::new("cus_1").unwrap();
        let p: Personal<String, Email> = Personal::new(s, "a@example.com".into());
        let seal_for = |days| {
            let ctx: Context<Email> = Context::new("customer", "email")
                .unwrap()
                .retain(Retention::UntilErased);
            vault.seal(&p, &ctx.retain(Retention::Days(days))).unwrap();
        };
        // Where the memo keeps the key of the `i`-th epoch loaded.
        let address = |i: usize| {
            let kept = vault.epoch_keys.lock().unwrap();
            let key: &[u8; 32] = &kept[i].2;
            key.as_ptr() as usize
        };
        (1..=20).for_each(seal_for);
        let before = address(19);
        // Growth reallocates the memo; a sweep shifts what is left to the front.
        (21..=200).for_each(seal_for);
        clock.advance(chrono::TimeDelta::days(10));
        vault.sweep().unwrap();
        let kept = vault.epoch_keys.lock().unwrap().len();
        assert!(kept < 200, "the sweep forgot the destroyed days");
        assert_eq!(
            address(19 - (200 - kept)),
            before,
            "the key was moved (copied)"
        );
    }

    crate::purpose! {
        struct Crm { basis: Contract, description: "Serve the account.", uses: [Email] }
    }
}
