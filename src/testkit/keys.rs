//! The [`KeyStore`] suite.

use std::collections::BTreeMap;

use chrono::TimeDelta;
use proptest::prelude::*;

use super::{StoreFactory, hold, integrity, ok, run_model, subject, subject_ref, t0, wrapped};
use crate::keys::{KeyName, KeyStore, WrappedKey};
use crate::retention::RetentionStore;
use crate::store::StoreError;

/// Checks a [`KeyStore`] backend: every rule of the trait's contract, a model test of
/// inserts, retirements and rewraps against a map, and two handles racing to store a
/// subject's first key (both must get the one winner). The refusals that depend on
/// retention state (a shredded subject, the watermark, holds) need the backend's
/// [`RetentionStore`] on the same data.
///
/// # Panics
///
/// At the first violation, naming it.
pub fn key_store<F>(factory: &F)
where
    F: StoreFactory,
    F::Store: KeyStore + RetentionStore,
{
    first_insert_wins(&factory.fresh());
    versions_and_retirement(&factory.fresh());
    rewrap_is_compare_and_swap(&factory.fresh());
    refusals(&factory.fresh());
    racing_first_keys(factory);
    run_model(
        "key store model",
        proptest::collection::vec(op(), 1..40),
        |ops| model(&factory.fresh(), &ops),
    );
}

fn names() -> Vec<KeyName> {
    vec![
        KeyName::Epoch(20_000),
        KeyName::Secret("testkit-secret".into()),
        KeyName::Pseudonym(subject(1)),
        KeyName::Subject {
            subject: subject(1),
            version: 1,
        },
    ]
}

fn first_insert_wins(store: &impl KeyStore) {
    for (i, name) in names().into_iter().enumerate() {
        let tag = i as u8 * 2;
        let reference = name.subject().map(|_| subject_ref(1));
        assert_eq!(
            ok(store.get(&name), "get"),
            None,
            "conformance: a fresh store has no key {name:?}"
        );
        let first = wrapped("m1", tag);
        let stored = ok(store.insert(&name, &first, reference.as_ref()), "insert");
        assert_eq!(
            stored.as_ref(),
            Some(&first),
            "insert returns the stored key"
        );
        let second = ok(
            store.insert(&name, &wrapped("m1", tag + 1), reference.as_ref()),
            "insert",
        );
        assert_eq!(
            second.as_ref(),
            Some(&first),
            "conformance: a second insert of {name:?} must return the first key, not overwrite it"
        );
        assert_eq!(ok(store.get(&name), "get"), Some(first), "get after insert");
    }
    assert!(
        matches!(
            store.insert(
                &KeyName::Subject {
                    subject: subject(2),
                    version: 1
                },
                &wrapped("m1", 9),
                None
            ),
            Err(StoreError::SubjectRefRequired)
        ),
        "conformance: a subject key without its subject reference must be refused with SubjectRefRequired"
    );
}

fn insert_version(store: &impl KeyStore, n: usize, version: u32, tag: u8) -> Option<WrappedKey> {
    let name = KeyName::Subject {
        subject: subject(n),
        version,
    };
    ok(
        store.insert(&name, &wrapped("m1", tag), Some(&subject_ref(n))),
        "insert",
    )
}

fn versions_and_retirement(store: &(impl KeyStore + RetentionStore)) {
    let s = subject(3);
    assert_eq!(ok(store.latest(&s), "latest"), None);
    for version in [1, 2, 3] {
        insert_version(store, 3, version, version as u8);
    }
    assert_eq!(
        ok(store.latest(&s), "latest"),
        Some((3, wrapped("m1", 3))),
        "conformance: latest must be the newest version"
    );
    assert_eq!(
        ok(
            store.retire_versions(&s, 10, t0(), &integrity()),
            "retire_versions"
        ),
        Some(2),
        "conformance: retire_versions destroys every version below, but never the newest"
    );
    assert_eq!(ok(store.latest(&s), "latest"), Some((3, wrapped("m1", 3))));
    for version in [1, 2] {
        let name = KeyName::Subject {
            subject: s.clone(),
            version,
        };
        assert_eq!(
            ok(store.get(&name), "get"),
            None,
            "retired version {version}"
        );
    }
    assert_eq!(
        ok(
            store.retire_versions(&s, 3, t0(), &integrity()),
            "retire_versions"
        ),
        Some(0)
    );
}

fn rewrap_is_compare_and_swap(store: &impl KeyStore) {
    for (i, name) in names().into_iter().enumerate() {
        let reference = name.subject().map(|_| subject_ref(1));
        ok(
            store.insert(&name, &wrapped("old", i as u8), reference.as_ref()),
            "insert",
        );
    }
    let listed = ok(store.wrapped_by_other("new", 100), "wrapped_by_other");
    let mut listed_names: Vec<KeyName> = listed.iter().map(|(n, _)| n.clone()).collect();
    listed_names.sort();
    let mut expected = names();
    expected.sort();
    assert_eq!(
        listed_names, expected,
        "conformance: wrapped_by_other lists every kind of key not under the master id"
    );
    assert_eq!(
        ok(store.wrapped_by_other("new", 2), "wrapped_by_other").len(),
        2,
        "conformance: wrapped_by_other honours its limit"
    );
    for (name, key) in listed {
        let new = wrapped("new", 0xee);
        assert!(
            !ok(store.rewrap("other", &name, &new), "rewrap"),
            "conformance: rewrap must refuse when the key is not under the old master id"
        );
        assert!(ok(store.rewrap(&key.master_id, &name, &new), "rewrap"));
        assert!(
            !ok(store.rewrap(&key.master_id, &name, &new), "rewrap"),
            "conformance: a second rewrap from the same old master id must change nothing"
        );
        assert_eq!(ok(store.get(&name), "get"), Some(new));
    }
    assert!(ok(store.wrapped_by_other("new", 100), "wrapped_by_other").is_empty());
}

fn refusals<S: KeyStore + RetentionStore>(store: &S) {
    let key = integrity();
    // A shredded subject gets no new key material.
    insert_version(store, 4, 1, 1);
    let shredded = ok(
        store.shred(&subject(4), &subject_ref(4), t0(), &key),
        "shred",
    );
    assert!(shredded.is_some(), "a subject with no hold is shredded");
    assert_eq!(
        insert_version(store, 4, 2, 2),
        None,
        "conformance: a subject key of a shredded subject must be refused"
    );
    let pseudonym = KeyName::Pseudonym(subject(4));
    assert_eq!(
        ok(
            store.insert(&pseudonym, &wrapped("m1", 3), Some(&subject_ref(4))),
            "insert"
        ),
        None,
        "conformance: a pseudonym secret of a shredded subject must be refused"
    );
    // An escrow only while an unreleased hold names its subject.
    let escrow = KeyName::Escrow {
        subject: subject(5),
        epoch: 20_000,
    };
    assert_eq!(
        ok(
            store.insert(&escrow, &wrapped("m1", 4), Some(&subject_ref(5))),
            "insert"
        ),
        None,
        "conformance: an escrow of a subject no hold names must be refused"
    );
    let placed = ok(
        store.place_hold(
            &hold(5, 1, t0(), Some(t0() + TimeDelta::days(30))),
            &subject_ref(5),
            &key,
        ),
        "place_hold",
    );
    assert!(placed);
    assert!(
        ok(
            store.insert(&escrow, &wrapped("m1", 4), Some(&subject_ref(5))),
            "insert"
        )
        .is_some(),
        "conformance: an escrow of a held subject must be stored"
    );
    // No epoch key below the watermark.
    ok(store.sweep_epochs(19_000, t0(), &key), "sweep_epochs");
    assert_eq!(
        ok(
            store.insert(&KeyName::Epoch(18_999), &wrapped("m1", 5), None),
            "insert"
        ),
        None,
        "conformance: an epoch key below the sweep watermark must be refused"
    );
    assert!(
        ok(
            store.insert(&KeyName::Epoch(19_000), &wrapped("m1", 6), None),
            "insert"
        )
        .is_some()
    );
}

fn racing_first_keys<F>(factory: &F)
where
    F: StoreFactory,
    F::Store: KeyStore + RetentionStore,
{
    let store = factory.fresh();
    let other = factory.another_handle(&store);
    for n in 100..120 {
        let (a, b) = std::thread::scope(|scope| {
            let a = scope.spawn(|| insert_version(&store, n, 1, 0xa0));
            let b = scope.spawn(|| insert_version(&other, n, 1, 0xb0));
            (a.join(), b.join())
        });
        let (Ok(a), Ok(b)) = (a, b) else {
            panic!("conformance: an insert panicked");
        };
        assert!(
            a.is_some() && a == b,
            "conformance: two handles creating a subject's first key must both get the one stored key ({a:?} vs {b:?})"
        );
    }
}

#[derive(Clone, Debug)]
enum Op {
    Insert { n: usize, version: u32, tag: u8 },
    Retire { n: usize, below: u32 },
    Rewrap { n: usize, version: u32 },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..3usize, 1..5u32, any::<u8>()).prop_map(|(n, version, tag)| Op::Insert { n, version, tag }),
        1 => (0..3usize, 1..6u32).prop_map(|(n, below)| Op::Retire { n, below }),
        1 => (0..3usize, 1..5u32).prop_map(|(n, version)| Op::Rewrap { n, version }),
    ]
}

/// Subject keys in a map: (subject, version) -> key.
fn model(store: &(impl KeyStore + RetentionStore), ops: &[Op]) -> Result<(), TestCaseError> {
    let mut keys: BTreeMap<(usize, u32), WrappedKey> = BTreeMap::new();
    for op in ops {
        match *op {
            Op::Insert { n, version, tag } => {
                let got = insert_version(store, n, version, tag);
                let want = keys
                    .entry((n, version))
                    .or_insert_with(|| wrapped("m1", tag));
                prop_assert_eq!(got.as_ref(), Some(&*want), "insert {:?}", op);
            }
            Op::Retire { n, below } => {
                let newest = keys
                    .range((n, 0)..=(n, u32::MAX))
                    .next_back()
                    .map(|(k, _)| k.1);
                let doomed: Vec<(usize, u32)> = keys
                    .range((n, 0)..(n, below.min(newest.unwrap_or(0))))
                    .map(|(k, _)| *k)
                    .collect();
                for k in &doomed {
                    keys.remove(k);
                }
                let got = ok(
                    store.retire_versions(&subject(n), below, t0(), &integrity()),
                    "retire_versions",
                );
                prop_assert_eq!(got, Some(doomed.len()), "retire {:?}", op);
            }
            Op::Rewrap { n, version } => {
                let name = KeyName::Subject {
                    subject: subject(n),
                    version,
                };
                let new = wrapped("m2", 0xcc);
                let changed = match keys.get_mut(&(n, version)) {
                    Some(k) if k.master_id == "m1" => {
                        *k = new.clone();
                        true
                    }
                    _ => false,
                };
                prop_assert_eq!(ok(store.rewrap("m1", &name, &new), "rewrap"), changed);
            }
        }
        for n in 0..3 {
            let newest = keys
                .range((n, 0)..=(n, u32::MAX))
                .next_back()
                .map(|(k, v)| (k.1, v.clone()));
            prop_assert_eq!(
                ok(store.latest(&subject(n)), "latest"),
                newest,
                "latest of {}",
                n
            );
        }
    }
    Ok(())
}
