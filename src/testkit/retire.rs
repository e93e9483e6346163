//! [`RetentionStore::retire_versions`]: old subject key versions are destroyed only
//! where no hold binds, checked in the transaction that deletes.

use super::retention::{days, give_key, place, subject_key};
use super::{StoreFactory, hold, integrity, ok, subject, subject_ref, t0};
use crate::keys::KeyStore;
use crate::retention::{HoldStore, RetentionStore};

fn retire<S: RetentionStore>(
    store: &S,
    n: usize,
    below: u32,
    at: chrono::DateTime<chrono::Utc>,
) -> Option<usize> {
    ok(
        store.retire_versions(&subject(n), below, at, &integrity()),
        "retire_versions",
    )
}

fn kept<S: KeyStore>(store: &S, n: usize, version: u32) -> bool {
    ok(store.get(&subject_key(n, version)), "get").is_some()
}

/// A binding hold refuses a retirement and destroys nothing; a lapsed or released one
/// does not; the newest version is never destroyed; a subject with no key retires
/// nothing.
pub(super) fn retire_rules<S: KeyStore + RetentionStore>(store: &S) {
    for version in [1, 2, 3] {
        give_key(store, &subject_key(1, version), 1);
    }
    let id = place(store, 1, 1, t0(), None);
    assert_eq!(
        retire(store, 1, 3, t0() + days(1)),
        None,
        "conformance: retire_versions must refuse (None) while a hold binds the subject"
    );
    assert!(
        kept(store, 1, 1) && kept(store, 1, 2),
        "conformance: a refused retire_versions destroys nothing"
    );
    ok(
        store.release_hold(&id, t0() + days(2), &integrity()),
        "release_hold",
    );
    assert_eq!(
        retire(store, 1, 2, t0() + days(3)),
        Some(1),
        "conformance: retire_versions destroys the versions below once no hold binds"
    );
    assert!(!kept(store, 1, 1) && kept(store, 1, 2) && kept(store, 1, 3));
    // A hold that lapsed binds no more.
    for version in [1, 2] {
        give_key(store, &subject_key(2, version), 2);
    }
    place(store, 2, 2, t0(), Some(5));
    assert_eq!(retire(store, 2, 9, t0() + days(1)), None);
    assert_eq!(
        retire(store, 2, 9, t0() + days(6)),
        Some(1),
        "conformance: a lapsed hold does not stop retire_versions, which keeps the newest version"
    );
    assert!(kept(store, 2, 2));
    assert_eq!(retire(store, 3, 9, t0()), Some(0));
}

/// Two handles on the same storage: one places a hold while the other retires the
/// subject's old versions. Either the hold came first and nothing was destroyed, or
/// the retirement did and the hold then applies to what is left; never a hold placed
/// and reported while its subject's old key was destroyed after it.
pub(super) fn racing_hold_and_retire<F>(factory: &F)
where
    F: StoreFactory,
    F::Store: KeyStore + RetentionStore,
{
    let store = factory.fresh();
    let other = factory.another_handle(&store);
    for n in 300..320 {
        give_key(&store, &subject_key(n, 1), n);
        give_key(&store, &subject_key(n, 2), n);
        let (placed, retired) = std::thread::scope(|scope| {
            let placed = scope.spawn(|| {
                ok(
                    other.place_hold(&hold(n, n as u8, t0(), None), &subject_ref(n), &integrity()),
                    "place_hold",
                )
            });
            let retired = scope.spawn(|| retire(&store, n, 2, t0()));
            (placed.join(), retired.join())
        });
        let (Ok(placed), Ok(retired)) = (placed, retired) else {
            panic!("conformance: a hold or retire_versions panicked");
        };
        assert!(placed, "conformance: a hold on a live subject is placed");
        // Serialised either way: refused (hold first) and version 1 kept, or
        // retired (retirement first) and version 1 gone.
        match retired {
            None => assert!(
                kept(&store, n, 1),
                "conformance: retire_versions refused under a hold, yet destroyed a version"
            ),
            Some(destroyed) => {
                assert_eq!(destroyed, 1);
                assert!(!kept(&store, n, 1));
            }
        }
        assert!(
            retire(&store, n, 2, t0() + days(1)).is_none(),
            "conformance: once the hold is placed, retire_versions must refuse"
        );
    }
}
