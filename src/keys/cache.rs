//! The bounded cache of derived data keys: which keys are kept, for how long, and the
//! per-thread front that makes a warm seal lock-free.
//!
//! Nonce sequencing, and why nonces never repeat across threads, processes, forks
//! and restarts, is in `nonce.rs`: each cached key carries its [`NonceSequence`],
//! and this cache only decides which keys are kept, for how long, and for whom.
//!
//! # The per-thread front
//!
//! Every thread remembers the last few keys it used ([`FRONT_LEN`] entries, each
//! stamped with the cache's generation). A hit there costs no lock and no hash: the
//! shared map's read lock and hash are ~30 ns on the 2-core CI machine, a sixth of a
//! 64-byte seal. Sealing the fields of one record hits it even though each category
//! has its own data key (one entry per category). Shredding, retiring a key or changing a subject's
//! current version bumps the generation, which invalidates every thread's front at
//! once; the front keeps its own copy of the entry's expiry.

use std::cell::RefCell;
use std::collections::{HashSet, VecDeque};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, RwLock, Weak};
use std::time::Duration;

use coarsetime::Instant;

use ring::aead::{LessSafeKey, NONCE_LEN};
use ring::rand::SystemRandom;

use super::nonce::{NonceBlock, NonceSequence};
use super::{Algorithm, KeyError};
use crate::subject::{SubjectId, SubjectMap};

/// The longest a derived key stays cached ([`VaultBuilder::cache_ttl`] clamps to it):
/// a day. Another process's shred takes effect here within the TTL, and a longer lag
/// is not one a regulator would accept; it also keeps `now + ttl` far from overflow.
///
/// [`VaultBuilder::cache_ttl`]: crate::VaultBuilder::cache_ttl
pub(crate) const MAX_TTL: Duration = Duration::from_secs(24 * 60 * 60);

/// A derived data key, ready to use, with its nonce sequence.
pub(crate) struct CachedKey {
    /// Boxed so that dropping the entry frees the key schedule even while a thread's
    /// front still points at the entry (a `Weak` keeps the allocation of the `Arc`,
    /// not what it owns).
    key: Box<LessSafeKey>,
    nonces: NonceSequence,
}

impl CachedKey {
    pub(crate) fn new(key: LessSafeKey, rng: &SystemRandom) -> Result<Self, KeyError> {
        Ok(CachedKey {
            key: Box::new(key),
            nonces: NonceSequence::new(rng)?,
        })
    }

    /// Whether this process may still take nonces from this key's sequence.
    fn sealable(&self) -> bool {
        self.nonces.sealable()
    }

    pub(crate) fn key(&self) -> &LessSafeKey {
        &self.key
    }

    /// Lends the key with nonces taken from its shared counter.
    pub(crate) fn lend(&self) -> KeyRef<'_> {
        KeyRef {
            key: self,
            block: None,
        }
    }

    #[cfg(test)]
    pub(crate) fn exhaust(&self) {
        self.nonces.exhaust();
    }
}

/// A cached key as lent to a caller, with where its nonces come from: this thread's
/// block (a front hit) or the key's shared counter.
pub(crate) struct KeyRef<'a> {
    key: &'a CachedKey,
    block: Option<&'a NonceBlock>,
}

impl KeyRef<'_> {
    pub(crate) fn key(&self) -> &LessSafeKey {
        &self.key.key
    }

    /// The next unique nonce (`nonce.rs`), or `None` once the key's prefix is used up
    /// or the process forked since it was drawn.
    #[inline]
    pub(crate) fn next_nonce(&self) -> Option<[u8; NONCE_LEN]> {
        match self.block {
            Some(block) => self.key.nonces.next_in(block),
            None => self.key.nonces.next(),
        }
    }
}

/// Which data key: a subject's key version, under an algorithm, for a retention epoch
/// and a category (the data key derives from the subject's key for that category).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Slot {
    pub(crate) version: u32,
    pub(crate) algorithm: Algorithm,
    pub(crate) epoch: u32,
    pub(crate) category: &'static str,
}

struct SubjectKeys {
    current: Option<u32>,
    /// `bool`: derived from an escrowed epoch share (usable below the watermark);
    /// `Instant`: until when this key may be used without re-reading the store. A key
    /// past it stays here, unused, so its reload keeps its nonce state.
    keys: Vec<(Slot, bool, Arc<CachedKey>, Instant)>,
    /// Until when the current version may be used without re-reading the store.
    expires: Instant,
}

#[derive(Default)]
struct CacheInner {
    /// A lookup sits on every seal and open (`SubjectMap`: foldhash).
    subjects: SubjectMap<SubjectKeys>,
    order: VecDeque<SubjectId>,
    shredded: HashSet<SubjectId>,
}

/// Derived keys by subject, bounded in subjects and in age.
pub(crate) struct KeyCache {
    id: u64,
    generation: AtomicU64,
    /// Keys of epochs below this were destroyed by a sweep; only escrowed ones stay.
    swept_before: AtomicU32,
    inner: RwLock<CacheInner>,
    capacity: usize,
    // A coarse clock (`CLOCK_MONOTONIC_COARSE` on Linux, a few ms of resolution)
    // costs a few ns per hit, where `std::time::Instant::now` costs ~45 ns here.
    ttl: coarsetime::Duration,
}

/// The subject was shredded while its key was being loaded.
pub(crate) struct ShreddedWhileLoading;

static NEXT_CACHE_ID: AtomicU64 = AtomicU64::new(1);

struct Front {
    cache: u64,
    generation: u64,
    subject: SubjectId,
    slot: Slot,
    current: bool,
    expires: Instant,
    /// Weak, so a shred (or eviction) frees the key at once even in a thread that has
    /// gone idle with it here.
    key: Weak<CachedKey>,
    nonces: NonceBlock,
}

/// Keys a thread's front remembers: enough for the categories of a typical record
/// (a linear scan of this many entries is cheaper than one hash of the subject id).
const FRONT_LEN: usize = 8;

thread_local! {
    /// Most recently used last.
    static FRONT: RefCell<Vec<Front>> = const { RefCell::new(Vec::new()) };
}

impl KeyCache {
    pub(crate) fn new(capacity: usize, ttl: Duration) -> Self {
        KeyCache {
            id: NEXT_CACHE_ID.fetch_add(1, Ordering::Relaxed),
            generation: AtomicU64::new(0),
            swept_before: AtomicU32::new(0),
            inner: RwLock::default(),
            capacity: capacity.max(1),
            ttl: coarsetime::Duration::from(ttl.min(MAX_TTL)),
        }
    }

    /// Runs `f` with the cached key for `subject` at `version` (or its current version
    /// when `None`) under `algorithm` for `epoch` and `category`. `None` on a miss or an
    /// expired entry.
    pub(crate) fn with<R>(
        &self,
        subject: &SubjectId,
        version: Option<u32>,
        algorithm: Algorithm,
        epoch: u32,
        category: &'static str,
        f: impl FnOnce(u32, KeyRef<'_>) -> R,
    ) -> Option<R> {
        let mut f = Some(f);
        let generation = self.generation.load(Ordering::Acquire);
        let hit = FRONT.with(|front| {
            let front = front.try_borrow().ok()?;
            let e = front.iter().rev().find(|e| {
                let same_version = match version {
                    None => e.current,
                    Some(v) => v == e.slot.version,
                };
                e.cache == self.id
                    && e.generation == generation
                    && same_version
                    && e.slot.epoch == epoch
                    && e.slot.algorithm == algorithm
                    && e.slot.category == category
                    // `Arc<str>` equality checks the pointer first: free for clones.
                    && e.subject == *subject
            })?;
            if Instant::now() >= e.expires {
                return None;
            }
            // Two uncontended atomic operations (the upgrade and the drop), the price
            // of not keeping a shredded key alive in idle threads.
            let key = e.key.upgrade()?;
            let key = KeyRef {
                key: &key,
                block: Some(&e.nonces),
            };
            Some(f.take()?(e.slot.version, key))
        });
        if hit.is_some() {
            return hit;
        }
        let (entry_subject, slot, current, expires, key) = {
            let inner = self.inner.read().ok()?;
            let (subject, entry) = inner.subjects.get_key_value(subject.as_str())?;
            let now = Instant::now();
            if now >= entry.expires {
                return None;
            }
            let version = version.or(entry.current)?;
            let slot = Slot {
                version,
                algorithm,
                epoch,
                category,
            };
            let swept = self.swept_before.load(Ordering::Acquire);
            let (_, _, key, fresh_until) = entry.keys.iter().find(|(s, escrowed, _, t)| {
                *s == slot && (*escrowed || s.epoch >= swept) && now < *t
            })?;
            let current = entry.current == Some(version);
            (
                subject.clone(),
                slot,
                current,
                entry.expires.min(*fresh_until),
                Arc::clone(key),
            )
        };
        let out = f.take()?(
            slot.version,
            KeyRef {
                key: &key,
                block: None,
            },
        );
        FRONT.with(|front| {
            if let Ok(mut front) = front.try_borrow_mut() {
                // Entries of this cache from an older generation can never hit again,
                // and one for the same key is replaced (its unused nonces are dropped).
                front.retain(|e| {
                    e.cache != self.id
                        || (e.generation == generation
                            && !(e.slot == slot && e.subject == entry_subject))
                });
                if front.len() >= FRONT_LEN {
                    front.remove(0);
                }
                front.push(Front {
                    cache: self.id,
                    generation,
                    subject: entry_subject,
                    slot,
                    current,
                    expires,
                    key: Arc::downgrade(&key),
                    nonces: NonceBlock::default(),
                });
            }
        });
        Some(out)
    }

    /// The map for writing. A panic elsewhere while it was held cannot leave it unsafe
    /// to use (at worst a stale entry), and a shred must evict whatever happened, so a
    /// poisoned lock is taken over rather than refused.
    fn write(&self) -> std::sync::RwLockWriteGuard<'_, CacheInner> {
        self.inner
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn bump(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    /// Caches `key` and returns the key to use: `key`, or the cached key of the same
    /// slot (the same data key) if that one may still seal, so that reloading a key
    /// (every seal with a TTL of zero) does not draw a new nonce prefix each time.
    /// Refused if the subject was shredded by this process meanwhile. `escrowed`:
    /// derived from an escrowed epoch share, so usable below the watermark.
    pub(crate) fn insert(
        &self,
        subject: &SubjectId,
        slot: Slot,
        escrowed: bool,
        key: CachedKey,
        is_current: bool,
    ) -> Result<Arc<CachedKey>, ShreddedWhileLoading> {
        let version = slot.version;
        let mut inner = self.write();
        if inner.shredded.contains(subject) {
            return Err(ShreddedWhileLoading);
        }
        let now = Instant::now();
        let expires = now.saturating_add(self.ttl);
        if let Some(entry) = inner.subjects.get_mut(subject) {
            if now >= entry.expires {
                // The caller has just re-read the store, for this slot: the current
                // version is known afresh; other slots wait for their own reload.
                entry.current = None;
                entry.expires = expires;
            }
            let swept = self.swept_before.load(Ordering::Acquire);
            entry
                .keys
                .retain(|(s, escrowed, _, _)| *escrowed || s.epoch >= swept);
            // A slot already here keeps its nonce state (the store can only have given
            // the same data key), unless it may no longer seal.
            let key = match entry.keys.iter_mut().find(|(s, _, _, _)| *s == slot) {
                Some((_, e, cached, t)) if cached.sealable() => {
                    *e = escrowed;
                    *t = expires;
                    Arc::clone(cached)
                }
                Some(found) => {
                    let key = Arc::new(key);
                    *found = (slot, escrowed, Arc::clone(&key), expires);
                    key
                }
                None => {
                    let key = Arc::new(key);
                    entry.keys.push((slot, escrowed, Arc::clone(&key), expires));
                    key
                }
            };
            if is_current {
                entry.current = Some(entry.current.map_or(version, |c| c.max(version)));
            }
            // Fronts may hold this subject's previous key or current version.
            self.bump();
            return Ok(key);
        }
        while inner.subjects.len() >= self.capacity {
            match inner.order.pop_front() {
                Some(old) => {
                    inner.subjects.remove(&old);
                }
                None => break,
            }
        }
        if inner.order.len() > 2 * self.capacity {
            let CacheInner {
                subjects, order, ..
            } = &mut *inner;
            order.retain(|s| subjects.contains_key(s));
        }
        let key = Arc::new(key);
        inner.order.push_back(subject.clone());
        inner.subjects.insert(
            subject.clone(),
            SubjectKeys {
                current: is_current.then_some(version),
                keys: vec![(slot, escrowed, Arc::clone(&key), expires)],
                expires,
            },
        );
        Ok(key)
    }

    /// Drops one key whose nonce prefix is used up.
    pub(crate) fn retire(&self, subject: &str, slot: Slot) {
        let mut inner = self.write();
        if let Some(entry) = inner.subjects.get_mut(subject) {
            entry.keys.retain(|(s, _, _, _)| *s != slot);
        }
        self.bump();
    }

    /// After a sweep destroyed the epochs below `before`: their keys stop being used at
    /// once (in every thread) unless derived from an escrow. The entries themselves are
    /// dropped as their subjects are next written or evicted, so a sweep costs nothing
    /// per cached subject.
    pub(crate) fn sweep(&self, before: u32) {
        self.swept_before.fetch_max(before, Ordering::AcqRel);
        self.bump();
    }

    /// Forgets a subject's keys (a legal hold was released: escrowed keys must go).
    pub(crate) fn evict(&self, subject: &SubjectId) {
        self.write().subjects.remove(subject);
        self.bump();
    }

    /// Evicts the subject at once and refuses to cache its keys again.
    pub(crate) fn shred(&self, subject: &SubjectId) {
        let mut inner = self.write();
        inner.subjects.remove(subject);
        inner.shredded.insert(subject.clone());
        self.bump();
    }

    /// Uses up the nonce prefix of every cached key of `subject` (tests only).
    #[cfg(test)]
    pub(crate) fn exhaust(&self, subject: &str) {
        if let Ok(inner) = self.inner.read()
            && let Some(entry) = inner.subjects.get(subject)
        {
            entry.keys.iter().for_each(|(_, _, k, _)| k.exhaust());
        }
        self.bump();
    }

    /// Subjects cached now.
    pub(crate) fn len(&self) -> usize {
        self.inner.read().map(|i| i.subjects.len()).unwrap_or(0)
    }
}

#[cfg(test)]
#[path = "cache_tests.rs"]
mod tests;
