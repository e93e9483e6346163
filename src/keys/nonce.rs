//! Nonce sequencing: why no nonce is ever used twice under one data key.
//!
//! # Nonces
//!
//! A nonce is 96 bits: a 64-bit random prefix drawn (one `SystemRandom` call) when a
//! data key enters the key cache, then a 32-bit counter that an atomic `fetch_add`
//! hands out, to threads in blocks of 1,024 ([`NonceBlock`]). Within one sequence the
//! counter never repeats (every block and every value is handed out once; a value
//! ≥ 2^32 is never used: the cache entry is retired and reloaded with a fresh prefix).
//! Across sequences (other processes, restarts, reloads after eviction, exhaustion or
//! a fork) nonces can only collide if two sequences for the same data key drew the same
//! prefix: with `d` draws for one key, the probability is at most d²/2^65. At a million
//! loads of one subject's key that is below 2^-25; at 2^16 loads, below 2^-33. A
//! reload after the cache TTL keeps the entry's sequence (`KeyCache::insert`), so it
//! is no draw. `docs/crypto.md` states the per-key limits that follow.
//!
//! # Threads
//!
//! Threads share a sequence through its atomic counter: `fetch_add` hands each caller
//! (or each thread's block) values no other caller gets. A thread's block is reserved
//! from that same counter, so blocks, and single values taken without a block, never
//! overlap; values of a block left unused when a thread moves on are never used by
//! anyone.
//!
//! # Forks, snapshots and restarts
//!
//! Each sequence is stamped with the fork generation (`custodian_fork`) it drew its
//! prefix in; every nonce taken first compares it with the current one (a relaxed
//! load). In a forked child (or after `keys::restored_from_snapshot`) they differ, the
//! sequence stops, and the vault retires its cache entry and reloads the key with a
//! fresh prefix: the child never continues its parent's sequence (nor its blocks). A
//! restarted process has no sequence at all: it draws fresh prefixes, covered by the
//! bound above.

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};

use ring::aead::NONCE_LEN;
use ring::rand::{SecureRandom, SystemRandom};

use super::KeyError;

/// Seals allowed under one prefix before the sequence is used up.
const COUNTER_LIMIT: u64 = 1 << 32;

/// Counter values reserved per thread block.
const BLOCK: u64 = 1024;

/// One data key's nonces: a random prefix and a shared counter, stamped with the fork
/// generation the prefix was drawn in.
pub(crate) struct NonceSequence {
    prefix: [u8; 8],
    counter: AtomicU64,
    /// The fork generation (`custodian_fork`) the prefix was drawn in: in a forked
    /// child, or after a snapshot restore, the sequence is the parent's too and must
    /// not be continued.
    born: u64,
}

impl NonceSequence {
    /// A fresh sequence: a new random prefix, counter at zero.
    pub(crate) fn new(rng: &SystemRandom) -> Result<Self, KeyError> {
        let born = custodian_fork::register();
        let mut prefix = [0u8; 8];
        rng.fill(&mut prefix).map_err(|_| KeyError::Random)?;
        Ok(NonceSequence {
            prefix,
            counter: AtomicU64::new(0),
            born,
        })
    }

    /// Whether this process may still take nonces from this sequence: it was not
    /// inherited through a fork (or a snapshot) and its counter is not used up.
    pub(crate) fn sealable(&self) -> bool {
        self.born == custodian_fork::generation()
            && self.counter.load(Ordering::Relaxed) < COUNTER_LIMIT
    }

    /// The next unique nonce from the shared counter, or `None` once the prefix is
    /// used up or the process forked since it was drawn.
    #[inline]
    pub(crate) fn next(&self) -> Option<[u8; NONCE_LEN]> {
        if self.born != custodian_fork::generation() {
            return None;
        }
        self.reserve(1).map(|(n, _)| self.nonce_at(n))
    }

    /// The next unique nonce from this thread's `block`, refilled from the shared
    /// counter when empty; `None` as for [`next`](Self::next) (a forked child must not
    /// continue its parent's block either).
    #[inline]
    pub(crate) fn next_in(&self, block: &NonceBlock) -> Option<[u8; NONCE_LEN]> {
        // One relaxed load: a forked child must not continue its parent's block.
        if self.born != custodian_fork::generation() {
            return None;
        }
        let mut n = block.next.get();
        if n >= block.end.get() {
            let (first, end) = self.reserve(BLOCK)?;
            n = first;
            block.end.set(end);
        }
        block.next.set(n + 1);
        Some(self.nonce_at(n))
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

    /// Uses the sequence up (tests only).
    #[cfg(test)]
    pub(crate) fn exhaust(&self) {
        self.counter.store(COUNTER_LIMIT, Ordering::Relaxed);
    }
}

/// Counter values a thread reserved for itself from a sequence's counter: taking one is
/// a plain increment instead of an atomic read-modify-write (~10 ns here). Values of a
/// block left unused when the thread moves on are never used by anyone.
#[derive(Default)]
pub(crate) struct NonceBlock {
    next: Cell<u64>,
    end: Cell<u64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonces_are_prefix_and_counter_and_stop_at_the_limit() {
        let rng = SystemRandom::new();
        let k = NonceSequence::new(&rng).unwrap();
        let a = k.next().unwrap();
        let b = k.next().unwrap();
        assert_eq!(a[..8], b[..8]);
        assert_eq!(a[8..], 0u32.to_be_bytes());
        assert_eq!(b[8..], 1u32.to_be_bytes());
        k.exhaust();
        assert!(k.next().is_none());
        assert!(!k.sealable());
        assert_ne!(
            NonceSequence::new(&rng).unwrap().next().unwrap()[..8],
            a[..8]
        );
    }

    #[test]
    fn thread_blocks_and_the_shared_counter_never_overlap() {
        let rng = SystemRandom::new();
        let k = NonceSequence::new(&rng).unwrap();
        let (a, b) = (NonceBlock::default(), NonceBlock::default());
        let mut seen = std::collections::HashSet::new();
        for i in 0..3000 {
            let nonce = match i % 3 {
                0 => k.next_in(&a),
                1 => k.next_in(&b),
                _ => k.next(),
            };
            assert!(seen.insert(nonce.unwrap()), "nonce repeated at {i}");
        }
        // Exhaustion reaches blocks too: nothing past the limit is handed out.
        k.exhaust();
        let c = NonceBlock::default();
        assert!(k.next_in(&c).is_none());
    }
}
