//! The vault: seal, open, shred and rotate.

use std::time::Duration;

use ring::rand::{SecureRandom, SystemRandom};
use zeroize::Zeroizing;

use crate::access::Access;
use crate::category::Category;
use crate::format::{self, CONTEXT_DIGEST_LEN, FormatError, Header};
use crate::keys::{
    Algorithm, CachedKey, KeyCache, KeyError, KeyRef, KeyStore, MasterKey, MemoryKeyStore,
    StoredKey, subject_key_aad,
};
use crate::personal::Personal;
use crate::plaintext::{Plaintext, PlaintextError};
use crate::purpose::Uses;
use crate::sealed::{Context, Sealed};
use crate::store::StoreError;
use crate::subject::SubjectId;

/// Why sealing, opening, shredding or rotating failed. Never contains a personal value.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VaultError {
    /// The subject's keys were shredded: this value can never be opened again, and
    /// nothing new is sealed for the subject.
    #[error(
        "the data subject's keys were shredded (erased): their data can no longer be opened or sealed"
    )]
    Shredded,
    /// The key store has no such key version for the subject, and the subject was not
    /// shredded: the value was sealed against another key store.
    #[error(
        "the key store has no key version {version} for this data subject: was the value sealed with another key store?"
    )]
    KeyNotFound {
        /// The key version named in the value's header.
        version: u32,
    },
    /// The access is for another subject than the one the value was sealed for: the
    /// value was copied from another subject's record, or the wrong access was used.
    #[error(
        "the sealed value belongs to another data subject than the access: it was copied from another subject's record, or the access is for the wrong subject"
    )]
    SubjectMismatch,
    /// The value failed authentication.
    #[error(
        "the sealed value failed authentication: it was altered, or moved from another record type or field, or sealed under another key"
    )]
    Decrypt,
    /// The bytes are not a sealed value.
    #[error("not a valid sealed value: {0}")]
    Format(#[from] FormatError),
    /// The decrypted bytes are not a valid `T`: the value was sealed as another type.
    #[error("the decrypted value is not of the expected type: {0}")]
    Plaintext(#[from] PlaintextError),
    /// A master-key operation failed.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// A stored key is wrapped by a master key this vault was not given.
    #[error(
        "a stored key is wrapped by master key `{master_id}`, which this vault does not have: pass it as the master key or a previous master key"
    )]
    UnknownMasterKey {
        /// The master key id on the stored key.
        master_id: String,
    },
    /// The key store failed.
    #[error("the key store failed: {0}")]
    Store(#[from] StoreError),
}

/// What [`Vault::shred`] destroyed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShredReport {
    /// Subject key versions deleted from the key store.
    pub keys_destroyed: usize,
}

/// What [`Vault::rewrap_keys`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RewrapReport {
    /// Keys re-wrapped under the current master key by this call.
    pub rewrapped: usize,
}

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
/// let ctx = Context::new("customer", "email")?;
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
}

/// Configures a [`Vault`].
pub struct VaultBuilder {
    master: Box<dyn MasterKey>,
    previous: Vec<Box<dyn MasterKey>>,
    store: Box<dyn KeyStore>,
    algorithm: Algorithm,
    cache_capacity: usize,
    cache_ttl: Duration,
}

impl VaultBuilder {
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

    /// How long a derived key stays cached (default 60 s). This bounds how long
    /// another process sharing the key store may still open a subject after this one
    /// shreds it. `Duration::ZERO` disables caching.
    pub fn cache_ttl(mut self, ttl: Duration) -> Self {
        self.cache_ttl = ttl;
        self
    }

    /// A master key that wrapped keys before the current one: keys it wrapped still
    /// unwrap, and [`Vault::rewrap_keys`] moves them to the current one.
    pub fn previous_master_key(mut self, master: impl MasterKey + 'static) -> Self {
        self.previous.push(Box::new(master));
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
    /// current key (created on first use).
    pub fn seal<T: Plaintext, C: Category>(
        &self,
        value: &Personal<T, C>,
        context: &Context<C>,
    ) -> Result<Sealed<T, C>, VaultError> {
        let encode = |out: &mut Vec<u8>| value.value_unchecked().encode(out);
        let hint = value.value_unchecked().encoded_len();
        let bytes = self.seal_encoded(value.subject(), context.digest(), hint, encode)?;
        Ok(Sealed::from_trusted(bytes))
    }

    /// Opens `sealed`, read from the place `context` names, for purpose `P`: compiles
    /// only if `P` is declared to use `C`; fails if the value belongs to another subject
    /// than `access`, was moved or altered, or its subject was shredded.
    pub fn open<T: Plaintext, C: Category, P: Uses<C>>(
        &self,
        sealed: &Sealed<T, C>,
        context: &Context<C>,
        access: &Access<P>,
    ) -> Result<Personal<T, C>, VaultError> {
        let header = sealed.header()?;
        if header.subject != access.subject().as_str() {
            return Err(VaultError::SubjectMismatch);
        }
        let plain = self.open_encoded(
            access.subject(),
            sealed.as_bytes(),
            &header,
            context.digest(),
        )?;
        Ok(Personal::new(
            access.subject().clone(),
            T::decode_owned(plain)?,
        ))
    }

    /// Re-seals `sealed` under its subject's current key version (after
    /// [`rotate_subject_key`](Self::rotate_subject_key)). The plaintext never leaves
    /// the vault, so no purpose is needed.
    pub fn reseal<T: Plaintext, C: Category>(
        &self,
        sealed: &Sealed<T, C>,
        context: &Context<C>,
    ) -> Result<Sealed<T, C>, VaultError> {
        let header = sealed.header()?;
        let subject = SubjectId::new(header.subject).map_err(|_| FormatError::BadSubject)?;
        let plain = self.open_encoded(&subject, sealed.as_bytes(), &header, context.digest())?;
        let bytes = self.seal_encoded(&subject, context.digest(), plain.len(), |out| {
            out.extend_from_slice(&plain)
        })?;
        Ok(Sealed::from_trusted(bytes))
    }

    /// Crypto-shreds `subject`: deletes every version of their key from the key store
    /// and this process's cache. Every value sealed for them, including copies in
    /// backups and exports, then fails with [`VaultError::Shredded`].
    pub fn shred(&self, subject: &SubjectId) -> Result<ShredReport, VaultError> {
        // Cache first, so no concurrent load can re-cache a key being deleted.
        self.cache.shred(subject);
        let keys_destroyed = self.store.shred(subject)?;
        Ok(ShredReport { keys_destroyed })
    }

    /// Starts a new key version for `subject`: new seals use it, old values still open,
    /// and [`reseal`](Self::reseal) upgrades them. Returns the new version.
    pub fn rotate_subject_key(&self, subject: &SubjectId) -> Result<u32, VaultError> {
        let next = match self.store.latest(subject)? {
            Some(row) => row.version.saturating_add(1),
            None if self.store.is_shredded(subject)? => return Err(VaultError::Shredded),
            None => 1,
        };
        let (version, key) = self.create_key(subject, next)?;
        self.cache_insert(subject, version, self.algorithm, key, true)?;
        Ok(version)
    }

    /// Re-wraps every stored key that is not yet under the current master key (they
    /// must be under a [`previous_master_key`](VaultBuilder::previous_master_key)).
    /// No ciphertext is touched. Each key is swapped on its own, so an interrupted run
    /// loses nothing and the next run carries on where it stopped.
    pub fn rewrap_keys(&self) -> Result<RewrapReport, VaultError> {
        let mut report = RewrapReport::default();
        loop {
            let batch = self.store.wrapped_by_other(self.master.id(), 256)?;
            if batch.is_empty() {
                return Ok(report);
            }
            for row in batch {
                let key = self.unwrap_row(&row)?;
                let aad = subject_key_aad(&row.subject, row.version);
                let new = StoredKey {
                    wrapped: self.master.wrap(&key, &aad)?,
                    master_id: self.master.id().to_owned(),
                    ..row.clone()
                };
                if self.store.rewrap(&row.master_id, &new)? {
                    report.rewrapped += 1;
                }
            }
        }
    }

    /// Subjects whose derived keys are cached in this process.
    pub fn cached_subjects(&self) -> usize {
        self.cache.len()
    }

    fn seal_encoded(
        &self,
        subject: &SubjectId,
        context: &[u8; CONTEXT_DIGEST_LEN],
        size_hint: usize,
        encode: impl FnOnce(&mut Vec<u8>),
    ) -> Result<Vec<u8>, VaultError> {
        let mut encode = Some(encode);
        let hit = self
            .cache
            .with(subject, None, self.algorithm, |version, key| {
                let sealed = seal_with(
                    key,
                    self.algorithm,
                    subject,
                    version,
                    context,
                    size_hint,
                    &mut encode,
                );
                (version, sealed)
            });
        match hit {
            Some((_, Some(sealed))) => return sealed,
            // This entry's nonce prefix is used up: retire it and load the key afresh.
            Some((version, None)) => self.cache.retire(subject.as_str(), version, self.algorithm),
            None => {}
        }
        let (version, key) = self.load_current(subject)?;
        let sealed = seal_with(
            key.lend(),
            self.algorithm,
            subject,
            version,
            context,
            size_hint,
            &mut encode,
        )
        // A key just loaded has its whole counter ahead of it, so `None` (used up)
        // cannot happen here; it is mapped rather than unwrapped.
        .ok_or(KeyError::Random)??;
        self.cache_insert(subject, version, self.algorithm, key, true)?;
        Ok(sealed)
    }

    /// Caches a loaded key; a subject shredded meanwhile by this process is refused, so
    /// the operation that loaded the key reports `Shredded` instead of succeeding.
    fn cache_insert(
        &self,
        subject: &SubjectId,
        version: u32,
        algorithm: Algorithm,
        key: CachedKey,
        is_current: bool,
    ) -> Result<(), VaultError> {
        self.cache
            .insert(subject, version, algorithm, key, is_current)
            .map_err(|_| VaultError::Shredded)
    }

    fn open_encoded(
        &self,
        subject: &SubjectId,
        bytes: &[u8],
        header: &Header<'_>,
        context: &[u8; CONTEXT_DIGEST_LEN],
    ) -> Result<Zeroizing<Vec<u8>>, VaultError> {
        let (version, algorithm) = (header.key_version, header.algorithm);
        let hit = self
            .cache
            .with(subject, Some(version), algorithm, |_, key| {
                format::open(key.key(), bytes, header, context)
            });
        let plain = match hit {
            Some(plain) => plain,
            None => {
                let key = self.load_version(subject, version, algorithm)?;
                let plain = format::open(key.key(), bytes, header, context);
                self.cache_insert(subject, version, algorithm, key, false)?;
                plain
            }
        };
        plain.ok_or(VaultError::Decrypt)
    }

    /// The subject's current key, created (version 1) if they have none.
    fn load_current(&self, subject: &SubjectId) -> Result<(u32, CachedKey), VaultError> {
        match self.store.latest(subject)? {
            Some(row) => Ok((row.version, self.derive(&row, self.algorithm)?)),
            None if self.store.is_shredded(subject)? => Err(VaultError::Shredded),
            None => self.create_key(subject, 1),
        }
    }

    fn load_version(
        &self,
        subject: &SubjectId,
        version: u32,
        algorithm: Algorithm,
    ) -> Result<CachedKey, VaultError> {
        match self.store.get(subject, version)? {
            Some(row) => self.derive(&row, algorithm),
            None if self.store.is_shredded(subject)? => Err(VaultError::Shredded),
            None => Err(VaultError::KeyNotFound { version }),
        }
    }

    /// Generates, wraps and stores a subject key; if another thread or process stored
    /// that version first, uses theirs.
    fn create_key(
        &self,
        subject: &SubjectId,
        version: u32,
    ) -> Result<(u32, CachedKey), VaultError> {
        let mut key = Zeroizing::new([0u8; 32]);
        self.rng.fill(&mut key[..]).map_err(|_| KeyError::Random)?;
        let row = StoredKey {
            subject: subject.clone(),
            version,
            master_id: self.master.id().to_owned(),
            wrapped: self
                .master
                .wrap(&key[..], &subject_key_aad(subject, version))?,
        };
        let stored = self.store.insert(&row)?.ok_or(VaultError::Shredded)?;
        let cached = if stored.wrapped == row.wrapped {
            self.cache_key(&key[..], subject, version, self.algorithm)?
        } else {
            self.derive(&stored, self.algorithm)?
        };
        Ok((stored.version, cached))
    }

    fn unwrap_row(&self, row: &StoredKey) -> Result<Zeroizing<Vec<u8>>, VaultError> {
        let master = if row.master_id == self.master.id() {
            &self.master
        } else {
            self.previous
                .iter()
                .find(|m| m.id() == row.master_id)
                .ok_or_else(|| VaultError::UnknownMasterKey {
                    master_id: row.master_id.clone(),
                })?
        };
        Ok(master.unwrap(&row.wrapped, &subject_key_aad(&row.subject, row.version))?)
    }

    fn derive(&self, row: &StoredKey, algorithm: Algorithm) -> Result<CachedKey, VaultError> {
        let key = self.unwrap_row(row)?;
        self.cache_key(&key, &row.subject, row.version, algorithm)
    }

    fn cache_key(
        &self,
        subject_key: &[u8],
        subject: &SubjectId,
        version: u32,
        algorithm: Algorithm,
    ) -> Result<CachedKey, VaultError> {
        let data_key = format::derive_data_key(subject_key, algorithm, subject.as_str(), version);
        let aead = format::aead_key(algorithm, &data_key).ok_or(KeyError::Length { len: 32 })?;
        Ok(CachedKey::new(aead, &self.rng)?)
    }
}

/// One seal with a ready key; `None` if its nonce prefix is used up.
fn seal_with(
    key: KeyRef<'_>,
    algorithm: Algorithm,
    subject: &SubjectId,
    version: u32,
    context: &[u8; CONTEXT_DIGEST_LEN],
    size_hint: usize,
    encode: &mut Option<impl FnOnce(&mut Vec<u8>)>,
) -> Option<Result<Vec<u8>, VaultError>> {
    let nonce = key.next_nonce()?;
    let encode = encode.take()?;
    Some(
        format::seal(
            key.key(),
            algorithm,
            subject.as_str(),
            version,
            nonce,
            context,
            size_hint,
            encode,
        )
        .ok_or(VaultError::Format(FormatError::BadSubject)),
    )
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
        let ctx: Context<Email> = Context::new("customer", "email").unwrap();
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

    crate::purpose! {
        struct Crm { basis: Contract, description: "Serve the account.", uses: [Email] }
    }
}
