//! The vault's builder.

use std::sync::Arc;
use std::time::Duration;

use super::VaultStore;
use super::keyring::{KeyRing, KeyRingConfig};
use super::{Vault, audit};
use crate::audit::AuditTrail;
use crate::category::Category;
use crate::keys::{Algorithm, MasterKey};
use crate::record::{FieldInfo, PersonalData};
use crate::retention::{Clock, Retention};

/// Configures a [`Vault`].
pub struct VaultBuilder {
    pub(super) master: Box<dyn MasterKey>,
    pub(super) previous: Vec<Box<dyn MasterKey>>,
    pub(super) store: Box<dyn VaultStore>,
    pub(super) algorithm: Algorithm,
    pub(super) cache_capacity: usize,
    pub(super) cache_ttl: Duration,
    pub(super) clock: Arc<dyn Clock>,
    pub(super) defaults: Vec<(&'static str, Retention)>,
    pub(super) records: Vec<(&'static str, &'static [FieldInfo])>,
    pub(super) audit: Option<Arc<AuditTrail>>,
    pub(super) consent: Option<crate::consent::ConsentEraser>,
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
    /// unwrap, and [`Operator::rewrap_keys`](super::Operator::rewrap_keys) moves them to the current one.
    pub fn previous_master_key(mut self, master: impl MasterKey + 'static) -> Self {
        self.previous.push(Box::new(master));
        self
    }

    /// Where the vault reads the time (default: [`SystemClock`](crate::retention::SystemClock)). Collection dates,
    /// expiry checks, sweeps and holds all use it.
    pub fn clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// The retention of category `C` where a [`Context`](crate::Context) declares none (a field without
    /// `#[personal(retain = "...")]`). Without either, sealing is refused with
    /// [`VaultError::RetentionUndeclared`](super::VaultError::RetentionUndeclared): keeping data until erasure must be
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
            keys: KeyRing::new(KeyRingConfig {
                master: self.master,
                previous: self.previous,
                store: self.store,
                algorithm: self.algorithm,
                cache_capacity: self.cache_capacity,
                cache_ttl: self.cache_ttl,
                clock: Arc::clone(&self.clock),
            }),
            clock: self.clock,
            defaults: self.defaults,
            records: self.records,
            audit: self.audit,
            pseudonym_memo: audit::PseudonymMemo::default(),
            consent: self.consent,
        }
    }
}
