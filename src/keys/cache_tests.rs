//! Tests of the key cache (kept apart so that `cache.rs` reads as the policy alone).

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
