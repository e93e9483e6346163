//! The key hierarchy: master key(s), key store, the cache of derived data keys,
//! epoch keys, vault secrets and randomness, owned by one type, [`KeyRing`], with one
//! way to a data key (and its nonce) for a seal, [`KeyRing::seal_with`], and one for an
//! open, [`KeyRing::open_with`]. The vault around it is the door and the policy
//! (purpose, retention, holds, audit); the layering is drawn in `keys/mod.rs`, nonce
//! sequencing is in `keys/nonce.rs`.
//!
//! Epoch keys and escrows are in `epochs.rs`; anchor keys (values kept for a period
//! after an event) and the recorded events in `anchors.rs`; vault secrets, wrapping and unwrapping
//! in `secrets.rs`; the category keys kept by erasure exceptions in `exceptions.rs`.

mod anchors;
mod epochs;
mod exceptions;
mod secrets;

use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use ring::aead::{LessSafeKey, NONCE_LEN};
use ring::rand::{SecureRandom, SystemRandom};
use zeroize::Zeroizing;

use super::VaultError;
use super::store::{VaultStore, subject_key_name};
use crate::format;
use crate::keys::{
    Algorithm, CachedKey, KeyCache, KeyError, KeyRef, KeyStore, MasterKey, Slot, WrappedKey,
};
use crate::retention::{Clock, ErasureStore, HoldStore, IntegrityKey, RetentionStore};
use crate::subject::SubjectId;

/// The key hierarchy of one vault (`keys/mod.rs` draws it): everything that holds,
/// makes or unwraps key material. Crate-private: users see only the vault.
pub(super) struct KeyRing {
    master: Box<dyn MasterKey>,
    previous: Vec<Box<dyn MasterKey>>,
    /// The store: its keys ([`KeyStore`]) are read and written by this type alone;
    /// the vault's retention code reaches its retention side through
    /// [`holds`](Self::holds), [`retention`](Self::retention) and
    /// [`erasures`](Self::erasures).
    store: Box<dyn VaultStore>,
    cache: KeyCache,
    algorithm: Algorithm,
    rng: SystemRandom,
    /// Only to end erasure exceptions on time (`exceptions.rs`) and to tell an anchor
    /// key destroyed by a sweep from one never made (`anchors.rs`).
    clock: Arc<dyn Clock>,
    /// Unwrapped epoch keys, by epoch (a handful live at once: one per day of expiry
    /// in use), with when they were loaded; bounded by the cache TTL.
    epoch_keys: Mutex<Vec<KeptEpochKey>>,
    cache_ttl: coarsetime::Duration,
    /// The key of subject references, loaded on first use.
    subject_ref_key: OnceLock<ring::hmac::Key>,
    /// The key of the hold and tombstone MACs, loaded on first use.
    retention_key: OnceLock<IntegrityKey>,
}

/// An unwrapped epoch key: its epoch, when it was loaded, the key. Boxed, so that
/// growing or compacting the list moves pointers, never key bytes (a moved-from copy
/// would be left behind unwiped); the box wipes the key where it lies when dropped.
type KeptEpochKey = (u32, coarsetime::Instant, Box<Zeroizing<[u8; 32]>>);

/// A data key lent for one seal, with the nonce that seal must use (taken from the
/// key's sequence: `keys/nonce.rs`).
pub(super) struct SealKey<'a> {
    /// The AEAD key.
    pub(super) key: &'a LessSafeKey,
    /// Its algorithm (the vault's, for new seals).
    pub(super) algorithm: Algorithm,
    /// The subject key version it derives from.
    pub(super) version: u32,
    /// A nonce never used before under this key.
    pub(super) nonce: [u8; NONCE_LEN],
}

/// How a [`KeyRing`] is set up (from the vault's builder).
pub(super) struct KeyRingConfig {
    pub(super) master: Box<dyn MasterKey>,
    pub(super) previous: Vec<Box<dyn MasterKey>>,
    pub(super) store: Box<dyn VaultStore>,
    pub(super) algorithm: Algorithm,
    pub(super) cache_capacity: usize,
    pub(super) cache_ttl: Duration,
    pub(super) clock: Arc<dyn Clock>,
}

impl KeyRing {
    pub(super) fn new(config: KeyRingConfig) -> Self {
        KeyRing {
            master: config.master,
            previous: config.previous,
            store: config.store,
            cache: KeyCache::new(config.cache_capacity, config.cache_ttl),
            algorithm: config.algorithm,
            rng: SystemRandom::new(),
            clock: config.clock,
            epoch_keys: Mutex::new(Vec::new()),
            cache_ttl: coarsetime::Duration::from(config.cache_ttl),
            subject_ref_key: OnceLock::new(),
            retention_key: OnceLock::new(),
        }
    }

    /// The one way to a data key for a seal: `seal` runs once, with the subject's
    /// current key for `category` and `epoch` (created on first use) and a fresh nonce.
    /// A warm call is a lookup in this thread's front and one nonce from its block; a
    /// key whose nonce sequence is used up (or was inherited through a fork) is
    /// retired and reloaded with a fresh prefix.
    #[inline]
    pub(super) fn seal_with<R>(
        &self,
        subject: &SubjectId,
        category: &'static str,
        epoch: u32,
        seal: impl FnOnce(SealKey<'_>) -> R,
    ) -> Result<R, VaultError> {
        let algorithm = self.algorithm;
        let mut seal = Some(seal);
        let mut with = |version: u32, key: KeyRef<'_>| {
            let nonce = key.next_nonce()?;
            let seal = seal.take()?;
            Some(seal(SealKey {
                key: key.key(),
                algorithm,
                version,
                nonce,
            }))
        };
        let hit = self
            .cache
            .with(subject, None, algorithm, epoch, category, |version, key| {
                (version, with(version, key))
            });
        match hit {
            Some((_, Some(sealed))) => return Ok(sealed),
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
        with(slot.version, key.lend()).ok_or_else(|| KeyError::Random.into())
    }

    /// The one way to a data key for an open: `open` runs with the key of `slot` (from
    /// the cache, or loaded: a subject key, or for an erased subject an erasure
    /// exception's kept category key, for its `purpose` only). `expires` is the value's
    /// expiry, reported if its epoch was swept.
    #[inline]
    pub(super) fn open_with<R>(
        &self,
        subject: &SubjectId,
        slot: Slot,
        expires: i64,
        purpose: Option<&'static str>,
        open: impl Fn(&LessSafeKey) -> R,
    ) -> Result<R, VaultError> {
        let hit = self.cache.with(
            subject,
            Some(slot.version),
            slot.algorithm,
            slot.epoch,
            slot.category,
            |_, key| open(key.key()),
        );
        if let Some(opened) = hit {
            return Ok(opened);
        }
        Ok(match self.load_for_open(subject, slot, expires, purpose)? {
            Loaded::Cacheable(key, escrowed) => {
                let key = self.cache_insert(subject, slot, escrowed, key, false)?;
                open(key.key())
            }
            // Never cached: the next open may be for another purpose.
            Loaded::Excepted(key) => open(key.key()),
        })
    }

    /// The store's legal holds, for the vault's hold and sweep code.
    pub(super) fn holds(&self) -> &dyn HoldStore {
        &*self.store
    }

    /// The store's holds (of `subject`, or all), each verified here with the vault's
    /// integrity key: a hold whose MAC does not verify (invented or edited by the
    /// backend) fails closed with [`StoreError::RetentionTampered`] and is never
    /// trusted to keep, open or block anything.
    ///
    /// [`StoreError::RetentionTampered`]: crate::store::StoreError::RetentionTampered
    pub(in crate::vault) fn verified_holds(
        &self,
        subject: Option<&SubjectId>,
    ) -> Result<Vec<crate::retention::LegalHold>, VaultError> {
        let key = self.retention_key()?;
        let stored = self.store.holds(subject, key)?;
        let mut holds = Vec::with_capacity(stored.len());
        for hold in stored {
            let hold = hold.verify(key)?;
            // A backend must not answer for one subject with another's holds.
            if subject.is_some_and(|s| hold.subject_id() != Some(s)) {
                return Err(crate::store::StoreError::RetentionTampered {
                    what: "the store returned a legal hold of another subject",
                }
                .into());
            }
            holds.push(hold);
        }
        Ok(holds)
    }

    /// The store's tombstones, sweep watermark, integrity counts, journal and anchor
    /// events, for the vault's sweep, erasure and event code.
    pub(super) fn retention(&self) -> &dyn RetentionStore {
        &*self.store
    }

    /// The store's erasure exceptions and queued erasures.
    pub(super) fn erasures(&self) -> &dyn ErasureStore {
        &*self.store
    }

    /// Whether `subject` has a subject key in the store (any version).
    pub(super) fn has_subject_key(&self, subject: &SubjectId) -> Result<bool, VaultError> {
        Ok(self.store.latest(subject)?.is_some())
    }

    /// How long a loaded key (or secret) is used without re-reading the store.
    pub(super) fn cache_ttl(&self) -> coarsetime::Duration {
        self.cache_ttl
    }

    /// Subjects whose derived keys are cached.
    pub(super) fn cached_subjects(&self) -> usize {
        self.cache.len()
    }

    /// Forgets a subject's cached keys (they are reloaded from the store on next use).
    pub(super) fn evict(&self, subject: &SubjectId) {
        self.cache.evict(subject);
    }

    /// Forgets a shredded subject's cached keys and refuses to cache them again.
    pub(super) fn forget_shredded(&self, subject: &SubjectId) {
        self.cache.shred(subject);
    }

    /// 16 random bytes (hold ids).
    pub(super) fn random_id(&self) -> Result<[u8; 16], VaultError> {
        let mut id = [0u8; 16];
        self.rng.fill(&mut id).map_err(|_| KeyError::Random)?;
        Ok(id)
    }

    /// Starts a new key version for `subject` (version 1 if they have none); refused
    /// for a shredded subject. Returns the new version.
    pub(super) fn rotate(&self, subject: &SubjectId) -> Result<u32, VaultError> {
        let next = match self.store.latest(subject)? {
            Some((version, _)) => version.saturating_add(1),
            None if self.is_shredded(subject)? => return Err(VaultError::Shredded),
            None => 1,
        };
        let (version, _) = self.create_key(subject, next)?;
        // Fronts and the cache still name the old version current: drop them.
        self.cache.evict(subject);
        Ok(version)
    }

    /// Destroys `subject`'s key versions below `below` (never the newest), unless a
    /// hold binds the subject at `now` (`None`: the store re-read the holds in the
    /// transaction that deletes, and one binds).
    pub(super) fn retire_versions(
        &self,
        subject: &SubjectId,
        below: u32,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Option<usize>, VaultError> {
        let newest = match self.store.latest(subject)? {
            Some((version, _)) => version,
            None if self.is_shredded(subject)? => return Err(VaultError::Shredded),
            None => return Ok(Some(0)),
        };
        if below > newest {
            return Err(VaultError::WouldRetireNewestKey { below, newest });
        }
        // Before and after the deletion: an open that loaded an old version meanwhile
        // may have cached it again.
        self.cache.evict(subject);
        let destroyed = self
            .store
            .retire_versions(subject, below, now, self.retention_key()?)?;
        self.cache.evict(subject);
        Ok(destroyed)
    }

    #[cfg(test)]
    pub(super) fn cache(&self) -> &KeyCache {
        &self.cache
    }

    #[cfg(test)]
    pub(super) fn epoch_keys(&self) -> &Mutex<Vec<KeptEpochKey>> {
        &self.epoch_keys
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
        let (version, subject_key) = match self.store.latest(subject)? {
            Some((version, row)) => {
                let key = self.unwrap_with(&row, &subject_key_name(subject, version).aad())?;
                (version, key)
            }
            None if self.is_shredded(subject)? => return Err(VaultError::Shredded),
            None => self.create_key(subject, 1)?,
        };
        let share = match early {
            Some(share) => share,
            None => self.share_for_seal(subject, epoch)?,
        };
        let slot = Slot {
            version,
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
        let name = subject_key_name(subject, slot.version);
        let row = match self.store.get(&name)? {
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
                .is_some_and(|(newest, _)| newest > slot.version) =>
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
        let subject_key = self.unwrap_with(&row, &name.aad())?;
        let category_key = format::category_key(&subject_key, slot.category);
        Ok(Loaded::Cacheable(
            self.data_key(&category_key, &share, subject, slot)?,
            escrowed,
        ))
    }

    /// Generates, wraps and stores a subject key; if another thread or process stored
    /// that version first, uses theirs. Returns the version and the key.
    pub(super) fn create_key(
        &self,
        subject: &SubjectId,
        version: u32,
    ) -> Result<(u32, Zeroizing<Vec<u8>>), VaultError> {
        let mut key = Zeroizing::new(vec![0u8; 32]);
        self.rng.fill(&mut key[..]).map_err(|_| KeyError::Random)?;
        let name = subject_key_name(subject, version);
        let row = WrappedKey {
            master_id: self.master.id().to_owned(),
            wrapped: self.master.wrap(&key[..], &name.aad())?,
        };
        let reference = self.subject_ref(subject)?;
        let stored = self
            .store
            .insert(&name, &row, Some(&reference))?
            .ok_or(VaultError::Shredded)?;
        if stored.wrapped == row.wrapped {
            Ok((version, key))
        } else {
            let key = self.unwrap_with(&stored, &name.aad())?;
            Ok((version, key))
        }
    }

    pub(super) fn data_key(
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
