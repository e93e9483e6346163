//! The retention suites: [`HoldStore`], [`RetentionStore`].

use std::collections::BTreeMap;

use chrono::{DateTime, TimeDelta, Utc};
use proptest::prelude::*;

use super::{StoreFactory, hold, integrity, ok, run_model, subject, subject_ref, t0, wrapped};
use crate::keys::{KeyName, KeyStore};
use crate::retention::{HoldId, HoldStore, HoldSubject, RetentionStore};
use crate::store::StoreError;

pub(super) fn days(n: i64) -> TimeDelta {
    TimeDelta::days(n)
}

pub(super) fn subject_key(n: usize, version: u32) -> KeyName {
    KeyName::Subject {
        subject: subject(n),
        version,
    }
}

pub(super) fn give_key<S: KeyStore>(store: &S, name: &KeyName, n: usize) {
    let stored = ok(
        store.insert(name, &wrapped("m1", 1), Some(&subject_ref(n))),
        "insert",
    );
    assert!(
        stored.is_some(),
        "conformance: insert of {name:?} was refused"
    );
}

pub(super) fn place<S: HoldStore>(
    store: &S,
    n: usize,
    id: u8,
    at: DateTime<Utc>,
    until: Option<i64>,
) -> HoldId {
    let h = hold(n, id, at, until.map(|d| at + days(d)));
    let placed = ok(
        store.place_hold(&h, &subject_ref(n), &integrity()),
        "place_hold",
    );
    assert!(
        placed,
        "conformance: a hold on a subject that exists must be placed"
    );
    h.id
}

/// The holds `store` lists (of `subject`, or all), each checked the way the vault
/// checks them: its stored MAC must verify under `key`, so a backend that invents or
/// edits a hold, or returns it without the MAC the vault gave it, fails here.
pub(super) fn verified_holds<S: HoldStore + ?Sized>(
    store: &S,
    subject: Option<&crate::SubjectId>,
    key: &crate::retention::IntegrityKey,
) -> Vec<crate::retention::LegalHold> {
    ok(store.holds(subject, key), "holds")
        .into_iter()
        .map(|stored| {
            let id = stored.hold.id.clone();
            match stored.verify(key) {
                Ok(hold) => hold,
                Err(_) => panic!(
                    "conformance: holds returned hold {id:?} whose MAC does not verify (a hold \
                     must be returned with the MAC it was stored with; none may be invented)"
                ),
            }
        })
        .collect()
}

/// Checks a [`HoldStore`] backend: holds listed oldest first, of one subject or all;
/// a release recorded once; the last release of a subject destroys their escrows; no
/// hold for a shredded subject; a model test of placements and releases; and two
/// handles racing a hold against a shred of the same subject (never both).
///
/// # Panics
///
/// At the first violation, naming it.
pub fn hold_store<F>(factory: &F)
where
    F: StoreFactory,
    F::Store: KeyStore + RetentionStore,
{
    let store = factory.fresh();
    let key = integrity();
    let first = place(&store, 1, 1, t0(), None);
    let second = place(&store, 2, 2, t0() + days(1), Some(10));
    let third = place(&store, 1, 3, t0() + days(2), None);
    let ids = |holds: Vec<crate::retention::LegalHold>| -> Vec<HoldId> {
        holds.into_iter().map(|h| h.id).collect()
    };
    assert_eq!(
        ids(verified_holds(&store, None, &key)),
        vec![first.clone(), second, third.clone()],
        "conformance: holds(None) lists every hold, oldest first"
    );
    assert_eq!(
        ids(verified_holds(&store, Some(&subject(1)), &key)),
        vec![first.clone(), third.clone()],
        "conformance: holds(Some(subject)) lists that subject's holds"
    );
    // Released once; an unknown id is no hold.
    let at = t0() + days(3);
    let released = ok(store.release_hold(&first, at, &key), "release_hold");
    assert_eq!(released.and_then(|h| h.released_at), Some(at));
    let again = ok(
        store.release_hold(&first, at + days(1), &key),
        "release_hold",
    );
    assert_eq!(
        again.and_then(|h| h.released_at),
        Some(at),
        "conformance: a second release keeps the first release time"
    );
    assert!(
        ok(
            store.release_hold(&HoldId::from_random([0xee; 16]), at, &key),
            "release_hold"
        )
        .is_none()
    );
    // Escrows end with the subject's last binding hold.
    let escrow = KeyName::Escrow {
        subject: subject(1),
        epoch: 20_000,
    };
    give_key(&store, &escrow, 1);
    ok(store.release_hold(&third, at, &key), "release_hold");
    assert_eq!(
        ok(store.get(&escrow), "get"),
        None,
        "conformance: releasing a subject's last hold destroys their escrows"
    );
    let a = place(&store, 3, 4, t0(), None);
    place(&store, 3, 5, t0(), None);
    let escrow = KeyName::Escrow {
        subject: subject(3),
        epoch: 20_000,
    };
    give_key(&store, &escrow, 3);
    ok(store.release_hold(&a, at, &key), "release_hold");
    assert!(
        ok(store.get(&escrow), "get").is_some(),
        "conformance: an escrow stays while another hold binds its subject"
    );
    // No hold for a shredded subject.
    give_key(&store, &subject_key(6, 1), 6);
    ok(
        store.shred(&subject(6), &subject_ref(6), t0(), &key),
        "shred",
    );
    assert!(
        !ok(
            store.place_hold(&super::hold(6, 6, t0(), None), &subject_ref(6), &key),
            "place_hold"
        ),
        "conformance: a hold on a shredded subject must be refused"
    );
    racing_hold_and_shred(factory);
    run_model(
        "hold store model",
        proptest::collection::vec(hold_op(), 1..30),
        |ops| hold_model(&factory.fresh(), &ops),
    );
}

fn racing_hold_and_shred<F>(factory: &F)
where
    F: StoreFactory,
    F::Store: KeyStore + RetentionStore,
{
    let store = factory.fresh();
    let other = factory.another_handle(&store);
    for n in 200..220 {
        give_key(&store, &subject_key(n, 1), n);
        let (placed, shredded) = std::thread::scope(|scope| {
            let placed = scope.spawn(|| {
                ok(
                    other.place_hold(&hold(n, n as u8, t0(), None), &subject_ref(n), &integrity()),
                    "place_hold",
                )
            });
            let shredded = scope.spawn(|| {
                ok(
                    store.shred(&subject(n), &subject_ref(n), t0(), &integrity()),
                    "shred",
                )
            });
            (placed.join(), shredded.join())
        });
        let (Ok(placed), Ok(shredded)) = (placed, shredded) else {
            panic!("conformance: a hold or shred panicked");
        };
        assert!(
            placed != shredded.is_some(),
            "conformance: a hold placed and a shred racing on one subject must not both succeed (nor both fail): placed {placed}, shredded {shredded:?}"
        );
        let key_left = ok(store.get(&subject_key(n, 1)), "get").is_some();
        assert_eq!(
            key_left, placed,
            "conformance: a held subject keeps its key"
        );
    }
}

#[derive(Clone, Debug)]
enum HoldOp {
    Place { n: usize, until: Option<i64> },
    Release { which: usize },
    Advance { days: i64 },
}

fn hold_op() -> impl Strategy<Value = HoldOp> {
    prop_oneof![
        3 => (0..3usize, proptest::option::of(1..5i64)).prop_map(|(n, until)| HoldOp::Place { n, until }),
        2 => (0..8usize).prop_map(|which| HoldOp::Release { which }),
        1 => (1..3i64).prop_map(|days| HoldOp::Advance { days }),
    ]
}

/// A hold as the model keeps it: its id and when it was released.
type ModelHold = (HoldId, Option<DateTime<Utc>>);

/// Holds in a list: (subject, id, released at).
fn hold_model<S: HoldStore>(store: &S, ops: &[HoldOp]) -> Result<(), TestCaseError> {
    let key = integrity();
    let mut now = t0();
    let mut holds: Vec<(usize, HoldId, Option<DateTime<Utc>>)> = Vec::new();
    for op in ops {
        match *op {
            HoldOp::Place { n, until } => {
                let id = place(store, n, holds.len() as u8, now, until);
                holds.push((n, id, None));
            }
            HoldOp::Release { which } => {
                let Some((_, id, released)) = holds.get_mut(which) else {
                    continue;
                };
                released.get_or_insert(now);
                let got = ok(store.release_hold(id, now, &key), "release_hold");
                prop_assert_eq!(got.and_then(|h| h.released_at), *released);
            }
            HoldOp::Advance { days: d } => now += days(d),
        }
        let mut by_subject: BTreeMap<usize, Vec<ModelHold>> = BTreeMap::new();
        for (n, id, released) in &holds {
            by_subject
                .entry(*n)
                .or_default()
                .push((id.clone(), *released));
        }
        for n in 0..3 {
            let got: Vec<_> = verified_holds(store, Some(&subject(n)), &key)
                .into_iter()
                .map(|h| (h.id, h.released_at))
                .collect();
            let want = by_subject.get(&n).cloned().unwrap_or_default();
            prop_assert_eq!(got, want, "holds of {}", n);
        }
    }
    Ok(())
}

/// Checks a [`RetentionStore`] backend: a shred destroys every key of the subject
/// (versions, escrows, pseudonym secret), leaves a tombstone only where there was
/// something to erase and re-points the subject's holds to the reference, and is
/// refused under a binding hold; the sweep watermark only rises, a sweep refuses to
/// destroy an epoch a held subject has no escrow of and releases the escrows of
/// subjects no hold binds; the integrity counts only rise; two handles racing sweeps
/// leave the higher watermark. Anchor events (unless the store refuses them, the
/// trait's default, consistently): append-only and listed oldest first, refused under
/// another integrity key by a store that authenticates its records, the latest event
/// decides when an anchor key falls due, the anchor sweep destroys due keys except
/// those of a subject a hold binds (until the sweep after the release), a shred ends
/// the subject's events and anchor keys; and two handles racing a hold against an
/// anchor sweep.
///
/// # Panics
///
/// At the first violation, naming it.
pub fn retention_store<F>(factory: &F)
where
    F: StoreFactory,
    F::Store: KeyStore + RetentionStore,
{
    shred_rules(&factory.fresh());
    sweep_rules(&factory.fresh());
    racing_sweeps(factory);
    super::retire::retire_rules(&factory.fresh());
    super::retire::racing_hold_and_retire(factory);
    super::anchors::anchor_rules(&factory.fresh());
    super::anchors::racing_hold_and_anchor_sweep(factory);
}

fn shred_rules<S: KeyStore + RetentionStore>(store: &S) {
    let key = integrity();
    let s = subject(1);
    let names = [
        subject_key(1, 1),
        subject_key(1, 2),
        KeyName::Pseudonym(s.clone()),
    ];
    for name in &names {
        give_key(store, name, 1);
    }
    // A hold that lapsed: it no longer binds, and its escrow may still be stored.
    place(store, 1, 1, t0(), Some(1));
    let escrow = KeyName::Escrow {
        subject: s.clone(),
        epoch: 20_000,
    };
    give_key(store, &escrow, 1);
    // A binding hold on another subject refuses their shred.
    give_key(store, &subject_key(2, 1), 2);
    place(store, 2, 2, t0(), None);
    assert_eq!(
        ok(
            store.shred(&subject(2), &subject_ref(2), t0() + days(5), &key),
            "shred"
        ),
        None,
        "conformance: shred must be refused while a hold binds the subject"
    );
    assert!(ok(store.get(&subject_key(2, 1)), "get").is_some());
    assert!(!ok(store.is_shredded(&subject_ref(2), &key), "is_shredded"));
    let before = ok(store.verify_retention(&key), "verify_retention");
    let counts = ok(
        store.shred(&s, &subject_ref(1), t0() + days(5), &key),
        "shred",
    );
    let counts = counts.unwrap_or_else(|| panic!("conformance: shred refused under a lapsed hold"));
    assert_eq!(
        (counts.keys, counts.escrows, counts.tombstone),
        (2, 1, true),
        "conformance: shred destroys every key version and escrow and records a tombstone"
    );
    for name in names.iter().chain([&escrow]) {
        assert_eq!(
            ok(store.get(name), "get"),
            None,
            "conformance: {name:?} survived a shred"
        );
    }
    assert!(ok(store.is_shredded(&subject_ref(1), &key), "is_shredded"));
    assert!(verified_holds(store, Some(&s), &key).is_empty());
    let erased = verified_holds(store, None, &key)
        .into_iter()
        .filter(|h| h.subject == HoldSubject::Erased(subject_ref(1)))
        .count();
    assert_eq!(
        erased, 1,
        "conformance: a shred re-points the subject's holds to its reference"
    );
    // An id that never existed leaves no tombstone.
    let nothing = ok(
        store.shred(&subject(9), &subject_ref(9), t0(), &key),
        "shred",
    );
    assert!(nothing.is_some_and(|c| c.keys == 0 && !c.tombstone));
    assert!(!ok(store.is_shredded(&subject_ref(9), &key), "is_shredded"));
    let after = ok(store.verify_retention(&key), "verify_retention");
    assert!(
        after.covers(&before)
            && after.tombstones == before.tombstones + 1
            && after.erased == before.erased + 1,
        "conformance: verify_retention counts only rise ({before:?} then {after:?})"
    );
    ok(store.purge_journal(), "purge_journal");
}

fn sweep_rules<S: KeyStore + RetentionStore>(store: &S) {
    let key = integrity();
    assert_eq!(ok(store.swept_before(), "swept_before"), 0);
    for epoch in 10..15 {
        give_key(store, &KeyName::Epoch(epoch), 0);
    }
    assert_eq!(
        ok(store.epochs_before(13), "epochs_before"),
        vec![10, 11, 12]
    );
    let swept = ok(store.sweep_epochs(13, t0(), &key), "sweep_epochs");
    assert_eq!(swept.epochs_destroyed, 3);
    assert_eq!(ok(store.swept_before(), "swept_before"), 13);
    assert!(ok(store.sweep_epochs(11, t0(), &key), "sweep_epochs").epochs_destroyed == 0);
    assert_eq!(
        ok(store.swept_before(), "swept_before"),
        13,
        "conformance: the watermark never goes down"
    );
    assert_eq!(ok(store.epochs_before(100), "epochs_before"), vec![13, 14]);
    // A held subject without an escrow of a doomed epoch stops the sweep.
    let held = place(store, 1, 1, t0(), None);
    assert!(
        matches!(
            store.sweep_epochs(15, t0(), &key),
            Err(StoreError::HeldWithoutEscrow)
        ),
        "conformance: a sweep must refuse (HeldWithoutEscrow) to destroy an epoch a held subject has no escrow of"
    );
    assert_eq!(
        ok(store.swept_before(), "swept_before"),
        13,
        "a refused sweep changes nothing"
    );
    assert_eq!(ok(store.epochs_before(100), "epochs_before"), vec![13, 14]);
    for epoch in [13, 14] {
        let escrow = KeyName::Escrow {
            subject: subject(1),
            epoch,
        };
        give_key(store, &escrow, 1);
    }
    let swept = ok(store.sweep_epochs(15, t0(), &key), "sweep_epochs");
    assert_eq!(swept.epochs_destroyed, 2);
    assert!(
        swept.escrows_released.is_empty(),
        "a held subject keeps its escrows"
    );
    // Once no hold binds (here: released), the escrows go.
    ok(
        store.release_hold(&held, t0() + days(1), &key),
        "release_hold",
    );
    let escrow = KeyName::Escrow {
        subject: subject(1),
        epoch: 13,
    };
    assert_eq!(ok(store.get(&escrow), "get"), None);
    // A hold that lapsed keeps no escrow past the next sweep.
    place(store, 2, 2, t0(), Some(1));
    let escrow = KeyName::Escrow {
        subject: subject(2),
        epoch: 15,
    };
    give_key(store, &KeyName::Epoch(15), 0);
    give_key(store, &escrow, 2);
    let swept = ok(store.sweep_epochs(16, t0() + days(2), &key), "sweep_epochs");
    assert_eq!(
        swept.escrows_released,
        vec![subject(2)],
        "conformance: a sweep releases the escrows of subjects no hold binds"
    );
    assert_eq!(ok(store.get(&escrow), "get"), None);
}

fn racing_sweeps<F>(factory: &F)
where
    F: StoreFactory,
    F::Store: KeyStore + RetentionStore,
{
    let store = factory.fresh();
    let other = factory.another_handle(&store);
    for round in 0..10u32 {
        let (low, high) = (100 + round * 10, 105 + round * 10);
        for epoch in low - 5..high + 5 {
            ok(
                store.insert(&KeyName::Epoch(epoch), &wrapped("m1", 1), None),
                "insert",
            );
        }
        let results = std::thread::scope(|scope| {
            let a = scope.spawn(|| store.sweep_epochs(low, t0(), &integrity()));
            let b = scope.spawn(|| other.sweep_epochs(high, t0(), &integrity()));
            (a.join(), b.join())
        });
        let (Ok(a), Ok(b)) = results else {
            panic!("conformance: a sweep panicked");
        };
        ok(a, "sweep_epochs");
        ok(b, "sweep_epochs");
        assert_eq!(
            ok(store.swept_before(), "swept_before"),
            high,
            "conformance: racing sweeps must leave the higher watermark"
        );
        assert!(ok(other.epochs_before(high), "epochs_before").is_empty());
    }
}
