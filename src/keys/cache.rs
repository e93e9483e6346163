//! The bounded cache of derived data keys, and the nonce sequence of each.
//!
//! # Nonces
//!
//! A nonce is 96 bits: a 64-bit random prefix drawn (one `SystemRandom` call) when a
//! data key enters this cache, then a 32-bit counter that an atomic `fetch_add` hands
//! out, to threads in blocks of 1,024. Within one cache entry the counter never repeats
//! (every block and every value is handed out once; a value ≥ 2^32 is never used: the
//! entry is retired and reloaded with a fresh prefix). Across entries (other
//! processes, restarts, reloads after eviction, exhaustion or a fork) nonces can only
//! collide if two entries for the same data key drew the same prefix: with `d` draws
//! for one key, the probability is at most d²/2^65. At a million loads of one
//! subject's key that is below 2^-25; at 2^16 loads, below 2^-33. A reload after the
//! TTL keeps the entry's sequence (`insert`), so it is no draw. `docs/crypto.md`
//! states the per-key limits that follow.
//!
//! # Forks
//!
//! Each entry is stamped with the fork generation (`custodian_fork`) it drew its
//! prefix in; every nonce taken first compares it with the current one (a relaxed
//! load). In a forked child (or after `keys::restored_from_snapshot`) they differ, the
//! entry stops sealing, and the vault retires it and reloads the key with a fresh
//! prefix: the child never continues its parent's sequence.
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

use std::cell::{Cell, RefCell};
use std::collections::{HashSet, VecDeque};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, RwLock, Weak};
use std::time::Duration;

use coarsetime::Instant;

use ring::aead::{LessSafeKey, NONCE_LEN};
use ring::rand::{SecureRandom, SystemRandom};

use super::{Algorithm, KeyError};
use crate::subject::{SubjectId, SubjectMap};

/// Seals allowed under one prefix before the entry is retired.
const COUNTER_LIMIT: u64 = 1 << 32;

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
    prefix: [u8; 8],
    counter: AtomicU64,
    /// The fork generation (`custodian_fork`) the prefix was drawn in: in a forked
    /// child, or after a snapshot restore, the nonce sequence is the parent's too and
    /// must not be continued.
    born: u64,
}

impl CachedKey {
    pub(crate) fn new(key: LessSafeKey, rng: &SystemRandom) -> Result<Self, KeyError> {
        let born = custodian_fork::register();
        let mut prefix = [0u8; 8];
        rng.fill(&mut prefix).map_err(|_| KeyError::Random)?;
        Ok(CachedKey {
            key: Box::new(key),
            prefix,
            counter: AtomicU64::new(0),
            born,
        })
    }

    /// Whether this process may still take nonces from this key's sequence: it was
    /// not inherited through a fork (or a snapshot) and its counter is not used up.
    fn sealable(&self) -> bool {
        self.born == custodian_fork::generation()
            && self.counter.load(Ordering::Relaxed) < COUNTER_LIMIT
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

    /// The next unique nonce, or `None` once this prefix is used up or the process
    /// forked since it was drawn.
    pub(crate) fn next_nonce(&self) -> Option<[u8; NONCE_LEN]> {
        if self.born != custodian_fork::generation() {
            return None;
        }
        self.reserve(1).map(|(n, _)| self.nonce_at(n))
    }

    /// Reserves `n` consecutive counter values: `(first, end)`, `end` exclusive.
    fn reserve(&self, n: u64) -> Option<(u64, u64)> {
        let first = self.counter.fetch_add(n, Ordering::Relaxed);
        (first < COUNTER_LIMIT).then(|| (first, (first + n).min(COUNTER_LIMIT)))
    }

    fn nonce_at(&self, n: u64) -> [u8; NONCE_LEN] {
        let mut nonce = [0u8; NONCE_LEN];
        nonce[..8].copy_from_slice(&self.prefix);
        nonce[8..].copy_from_slice(&(n as u32).to_be_bytes());
        nonce
    }

    #[cfg(test)]
    pub(crate) fn exhaust(&self) {
        self.counter.store(COUNTER_LIMIT, Ordering::Relaxed);
    }
}

/// Counter values a thread reserved for itself from a key's counter: taking one is a
/// plain increment instead of an atomic read-modify-write (~10 ns here). Values of a
/// block left unused when the front moves on are never used by anyone.
#[derive(Default)]
struct NonceBlock {
    next: Cell<u64>,
    end: Cell<u64>,
}

/// Counter values reserved per block.
const BLOCK: u64 = 1024;

/// A cached key as lent to a caller, with where its nonces come from.
pub(crate) struct KeyRef<'a> {
    key: &'a CachedKey,
    block: Option<&'a NonceBlock>,
}

impl KeyRef<'_> {
    pub(crate) fn key(&self) -> &LessSafeKey {
        &self.key.key
    }

    /// The next unique nonce, or `None` once the key's prefix is used up or the
    /// process forked since it was drawn (the block, too, is the parent's then).
    pub(crate) fn next_nonce(&self) -> Option<[u8; NONCE_LEN]> {
        let Some(block) = self.block else {
            return self.key.next_nonce();
        };
        // One relaxed load: a forked child must not continue its parent's block.
        if self.key.born != custodian_fork::generation() {
            return None;
        }
        let mut n = block.next.get();
        if n >= block.end.get() {
            let (first, end) = self.key.reserve(BLOCK)?;
            n = first;
            block.end.set(end);
        }
        block.next.set(n + 1);
        Some(self.key.nonce_at(n))
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
mod tests {
    use super::*;
    use ring::aead::{AES_256_GCM, UnboundKey};

    fn key(rng: &SystemRandom) -> CachedKey {
        let k = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &[1u8; 32]).unwrap());
        CachedKey::new(k, rng).unwrap()
    }

    fn sid(s: &str) -> SubjectId {
        SubjectId::new(s).unwrap()
    }

    fn slot(version: u32, algorithm: Algorithm, epoch: u32) -> Slot {
        Slot {
            version,
            algorithm,
            epoch,
            category: "t",
        }
    }

    #[test]
    fn a_sweep_stops_keys_of_destroyed_epochs_except_escrowed_ones() {
        let rng = SystemRandom::new();
        let cache = KeyCache::new(8, Duration::from_secs(60));
        let (a, b) = (sid("a"), sid("b"));
        let aes = Algorithm::Aes256Gcm;
        for (s, epoch, escrowed) in [(&a, 10, false), (&a, 20, false), (&b, 10, true)] {
            assert!(
                cache
                    .insert(s, slot(1, aes, epoch), escrowed, key(&rng), true)
                    .is_ok()
            );
        }
        // Warm this thread's front with the key about to be swept.
        assert!(cache.with(&a, None, aes, 10, "t", |_, _| ()).is_some());
        cache.sweep(11);
        assert!(cache.with(&a, None, aes, 10, "t", |_, _| ()).is_none());
        assert!(cache.with(&a, None, aes, 20, "t", |_, _| ()).is_some());
        assert!(cache.with(&b, None, aes, 10, "t", |_, _| ()).is_some());
        cache.evict(&b);
        assert!(cache.with(&b, None, aes, 10, "t", |_, _| ()).is_none());
        // The watermark never goes down.
        cache.sweep(5);
        assert!(cache.with(&a, None, aes, 10, "t", |_, _| ()).is_none());
    }

    #[test]
    fn fields_of_several_categories_all_stay_in_the_threads_front() {
        let rng = SystemRandom::new();
        let cache = KeyCache::new(8, Duration::from_secs(60));
        let a = sid("a");
        let aes = Algorithm::Aes256Gcm;
        let categories = ["contact.email", "contact.phone", "identity.name", "address"];
        // Held here, as a caller sealing with them would: the front keeps only `Weak`s.
        let mut held = Vec::new();
        for category in categories {
            let s = Slot {
                category,
                ..slot(1, aes, 0)
            };
            held.extend(cache.insert(&a, s, false, key(&rng), true).ok());
        }
        assert_eq!(held.len(), categories.len());
        // A record's fields, one per category: each misses once, then is in the front.
        for category in categories {
            assert!(cache.with(&a, None, aes, 0, category, |_, _| ()).is_some());
        }
        // Take the shared map away without invalidating the fronts (test only): what
        // still answers comes from this thread's front, with no lock and no hash.
        if let Ok(mut inner) = cache.inner.write() {
            inner.subjects.clear();
        }
        for category in categories {
            assert!(
                cache.with(&a, None, aes, 0, category, |_, _| ()).is_some(),
                "a record's earlier category fell out of the front"
            );
        }
        // A shred still invalidates every entry at once.
        cache.shred(&a);
        for category in categories {
            assert!(cache.with(&a, None, aes, 0, category, |_, _| ()).is_none());
        }
    }

    #[test]
    fn nonces_are_prefix_and_counter_and_stop_at_the_limit() {
        let rng = SystemRandom::new();
        let k = key(&rng);
        let a = k.next_nonce().unwrap();
        let b = k.next_nonce().unwrap();
        assert_eq!(a[..8], b[..8]);
        assert_eq!(a[8..], 0u32.to_be_bytes());
        assert_eq!(b[8..], 1u32.to_be_bytes());
        k.exhaust();
        assert!(k.next_nonce().is_none());
        assert_ne!(key(&rng).next_nonce().unwrap()[..8], a[..8]);
    }

    #[test]
    fn thread_blocks_and_the_shared_counter_never_overlap() {
        let rng = SystemRandom::new();
        let k = key(&rng);
        let (a, b) = (NonceBlock::default(), NonceBlock::default());
        let via = |block| KeyRef { key: &k, block };
        let mut seen = std::collections::HashSet::new();
        for i in 0..3000 {
            let nonce = match i % 3 {
                0 => via(Some(&a)).next_nonce(),
                1 => via(Some(&b)).next_nonce(),
                _ => via(None).next_nonce(),
            };
            assert!(seen.insert(nonce.unwrap()), "nonce repeated at {i}");
        }
        // Exhaustion reaches blocks too: nothing past the limit is handed out.
        k.exhaust();
        let c = NonceBlock::default();
        assert!(via(Some(&c)).next_nonce().is_none());
    }

    #[test]
    fn bounded_by_count_and_age_and_shred_evicts() {
        let rng = SystemRandom::new();
        let cache = KeyCache::new(2, Duration::from_secs(60));
        for s in ["a", "b", "c"] {
            assert!(
                cache
                    .insert(
                        &sid(s),
                        slot(1, Algorithm::Aes256Gcm, 7),
                        false,
                        key(&rng),
                        true
                    )
                    .is_ok()
            );
        }
        assert_eq!(cache.len(), 2);
        assert!(
            cache
                .with(&sid("a"), None, Algorithm::Aes256Gcm, 7, "t", |_, _| ())
                .is_none(),
            "oldest evicted"
        );
        assert_eq!(
            cache.with(&sid("c"), None, Algorithm::Aes256Gcm, 7, "t", |v, _| v),
            Some(1)
        );
        assert!(
            cache
                .with(
                    &sid("c"),
                    None,
                    Algorithm::ChaCha20Poly1305,
                    7,
                    "t",
                    |v, _| v
                )
                .is_none()
        );

        cache.shred(&sid("c"));
        assert!(
            cache
                .with(&sid("c"), None, Algorithm::Aes256Gcm, 7, "t", |_, _| ())
                .is_none()
        );
        assert!(
            cache
                .insert(
                    &sid("c"),
                    slot(1, Algorithm::Aes256Gcm, 7),
                    false,
                    key(&rng),
                    true
                )
                .is_err()
        );

        let expired = KeyCache::new(8, Duration::ZERO);
        assert!(
            expired
                .insert(
                    &sid("a"),
                    slot(1, Algorithm::Aes256Gcm, 7),
                    false,
                    key(&rng),
                    true
                )
                .is_ok()
        );
        assert!(
            expired
                .with(&sid("a"), None, Algorithm::Aes256Gcm, 7, "t", |_, _| ())
                .is_none()
        );
    }

    #[test]
    fn shredding_drops_the_key_held_in_an_idle_threads_front() {
        let rng = SystemRandom::new();
        let cache = Arc::new(KeyCache::new(8, Duration::from_secs(60)));
        let a = sid("a");
        let aes = Algorithm::Aes256Gcm;
        assert!(
            cache
                .insert(&a, slot(1, aes, 7), false, key(&rng), true)
                .is_ok()
        );
        let weak = {
            let inner = cache.inner.read().unwrap();
            Arc::downgrade(&inner.subjects.get("a").unwrap().keys[0].2)
        };
        let (used, go) = (std::sync::mpsc::channel(), std::sync::mpsc::channel::<()>());
        let idle = {
            let (cache, a, used) = (cache.clone(), a.clone(), used.0);
            std::thread::spawn(move || {
                // Seal once (the key enters this thread's front), then idle.
                let hit = cache.with(&a, None, aes, 7, "t", |_, k| k.next_nonce().is_some());
                used.send(hit).unwrap();
                go.1.recv().unwrap();
            })
        };
        assert_eq!(used.1.recv().unwrap(), Some(true));
        cache.shred(&a);
        let dropped = weak.upgrade().is_none();
        go.0.send(()).unwrap();
        idle.join().unwrap();
        assert!(
            dropped,
            "an idle thread's front still holds the shredded key"
        );
    }

    #[test]
    fn current_version_rises_and_old_versions_stay_usable() {
        let rng = SystemRandom::new();
        let cache = KeyCache::new(8, Duration::from_secs(60));
        let a = sid("a");
        assert!(
            cache
                .insert(&a, slot(2, Algorithm::Aes256Gcm, 7), false, key(&rng), true)
                .is_ok()
        );
        assert!(
            cache
                .insert(&a, slot(1, Algorithm::Aes256Gcm, 7), false, key(&rng), true)
                .is_ok()
        );
        assert_eq!(
            cache.with(&sid("a"), None, Algorithm::Aes256Gcm, 7, "t", |v, _| v),
            Some(2)
        );
        assert_eq!(
            cache.with(&sid("a"), Some(1), Algorithm::Aes256Gcm, 7, "t", |v, _| v),
            Some(1)
        );
        cache.retire("a", slot(2, Algorithm::Aes256Gcm, 7));
        assert!(
            cache
                .with(&sid("a"), None, Algorithm::Aes256Gcm, 7, "t", |_, _| ())
                .is_none()
        );
    }
}
