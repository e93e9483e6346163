//! The event-anchor part of the [`RetentionStore`] suite: recorded events and the sweep
//! of anchor keys (`docs/retention.md`, "Periods from an event").

use chrono::{DateTime, Utc};

use super::retention::days;
use super::{StoreFactory, hold, integrity, ok, subject, subject_ref, t0, wrapped};
use crate::keys::{KeyName, KeyStore};
use crate::retention::{Anchor, AnchorEvent, EventPeriod, HoldStore, IntegrityKey, RetentionStore};
use crate::store::StoreError;

/// The name of subject `n`'s anchor key for values kept one day after the last contact.
fn anchor_key(n: usize) -> KeyName {
    let code = Anchor::LastContact.header_code(EventPeriod::Days(1));
    KeyName::Anchor {
        subject: subject(n),
        code: code.unwrap_or_else(|| panic!("conformance: one day is a valid period")),
    }
}

/// Gives subject `n` a subject key and then its anchor key (the vault's order: an
/// anchor key without a subject key is an erased subject's).
fn give_anchor_key<S: KeyStore>(store: &S, n: usize) {
    for name in [
        KeyName::Subject {
            subject: subject(n),
            version: 1,
        },
        anchor_key(n),
    ] {
        let stored = ok(
            store.insert(&name, &wrapped("m1", 1), Some(&subject_ref(n))),
            "insert",
        );
        assert!(
            stored.is_some(),
            "conformance: insert of {name:?} was refused"
        );
    }
}

fn contact(n: usize, at: DateTime<Utc>, recorded_at: DateTime<Utc>) -> AnchorEvent {
    AnchorEvent {
        subject: subject(n),
        anchor: Anchor::LastContact,
        at,
        recorded_at,
    }
}

/// Records `event` with `key`; whether the store recorded it.
fn record<S: RetentionStore>(store: &S, event: &AnchorEvent, n: usize, key: &IntegrityKey) -> bool {
    ok(
        store.record_event(event, &subject_ref(n), key),
        "record_event",
    )
}

/// The events the store returns for subject `n`, each checked the way the vault
/// checks them (its MAC under the vault's key and the subject's reference).
fn events<S: RetentionStore>(store: &S, n: usize) -> Vec<AnchorEvent> {
    ok(
        store.events(&subject(n), &subject_ref(n), &integrity()),
        "events",
    )
    .into_iter()
    .map(
        |stored| match stored.verify(&subject_ref(n), &integrity()) {
            Ok(event) => event,
            Err(_) => panic!(
                "conformance: events returned an event whose MAC does not verify (an event \
             must be returned with the MAC it was recorded with; none may be invented)"
            ),
        },
    )
    .collect()
}

fn has<S: KeyStore>(store: &S, name: &KeyName) -> bool {
    ok(store.get(name), "get").is_some()
}

/// Events append-only and authenticated, the latest event decides, the sweep destroys
/// due anchor keys except a held subject's, a shred ends a subject's events. A store
/// that refuses events (the trait's default) must refuse them consistently.
pub(super) fn anchor_rules<S: KeyStore + RetentionStore>(store: &S) {
    let key = integrity();
    give_anchor_key(store, 1);
    give_anchor_key(store, 2);
    // Before any event, nothing is due.
    let swept = ok(
        store.sweep_anchor_keys(t0() + days(400), &key),
        "sweep_anchor_keys",
    );
    assert!(
        swept.is_empty() && has(store, &anchor_key(1)) && has(store, &anchor_key(2)),
        "conformance: an anchor key without a recorded event is never due"
    );
    match store.record_event(&contact(1, t0(), t0()), &subject_ref(1), &key) {
        Err(StoreError::Unsupported { .. }) => {
            assert!(
                matches!(
                    store.events(&subject(1), &subject_ref(1), &key),
                    Err(StoreError::Unsupported { .. })
                ),
                "conformance: a store that refuses record_event must refuse events too"
            );
            return;
        }
        recorded => assert!(
            ok(recorded, "record_event"),
            "conformance: an event of a subject that exists must be recorded"
        ),
    }
    // Append-only, oldest first; the latest `at` decides, whatever the recording order.
    let later = contact(1, t0() + days(2), t0() + days(2));
    let earlier = contact(1, t0() + days(1), t0() + days(2));
    for (i, event) in [&later, &earlier].into_iter().enumerate() {
        let before = events(store, 1);
        assert!(record(store, event, 1, &key));
        let after = events(store, 1);
        assert!(
            after.len() == before.len() + 1
                && after.starts_with(&before)
                && after.last() == Some(event),
            "conformance: events are append-only and listed oldest first (record {i}): {before:?} then {after:?}"
        );
    }
    let early = ok(
        store.sweep_anchor_keys(
            t0() + days(2) + days(1) - chrono::TimeDelta::seconds(1),
            &key,
        ),
        "sweep_anchor_keys",
    );
    assert!(
        early.is_empty() && has(store, &anchor_key(1)),
        "conformance: the latest recorded event decides when an anchor key falls due (destroyed early: {early:?})"
    );
    let swept = ok(
        store.sweep_anchor_keys(t0() + days(3), &key),
        "sweep_anchor_keys",
    );
    assert_eq!(
        swept,
        vec![subject(1)],
        "conformance: sweep_anchor_keys returns the subjects whose anchor keys it destroyed"
    );
    assert!(
        !has(store, &anchor_key(1)),
        "conformance: a due anchor key survived the sweep"
    );
    assert!(
        has(
            store,
            &KeyName::Subject {
                subject: subject(1),
                version: 1
            }
        ),
        "conformance: the anchor sweep destroys only anchor keys"
    );
    // A hold that binds keeps the key; the first sweep after its release destroys it.
    let held = hold(2, 2, t0(), None);
    assert!(ok(
        store.place_hold(&held, &subject_ref(2), &key),
        "place_hold"
    ));
    assert!(record(store, &contact(2, t0(), t0()), 2, &key));
    let swept = ok(
        store.sweep_anchor_keys(t0() + days(5), &key),
        "sweep_anchor_keys",
    );
    assert!(
        swept.is_empty() && has(store, &anchor_key(2)),
        "conformance: the anchor sweep must keep the anchor keys of a subject a hold binds"
    );
    ok(
        store.release_hold(&held.id, t0() + days(5), &key),
        "release_hold",
    );
    let swept = ok(
        store.sweep_anchor_keys(t0() + days(6), &key),
        "sweep_anchor_keys",
    );
    assert_eq!(
        swept,
        vec![subject(2)],
        "conformance: a released subject's due anchor key goes at the next sweep"
    );
    // A shred ends the subject's events and anchor keys; none is recorded after it.
    give_anchor_key(store, 3);
    assert!(record(store, &contact(3, t0(), t0()), 3, &key));
    ok(
        store.shred(&subject(3), &subject_ref(3), t0(), &key),
        "shred",
    );
    assert!(
        events(store, 3).is_empty() && !has(store, &anchor_key(3)),
        "conformance: a shred destroys the subject's events and anchor keys"
    );
    assert!(
        !record(store, &contact(3, t0(), t0()), 3, &key),
        "conformance: an event of a shredded subject must be refused"
    );
    ok(store.verify_retention(&key), "verify_retention");
    authenticated(store);
}

/// A store that authenticates its records (holds and tombstones fail under another
/// integrity key: it can be changed behind the vault's back) authenticates events too:
/// read with another key, they are refused and the sweep destroys nothing.
fn authenticated<S: KeyStore + RetentionStore>(store: &S) {
    let other = IntegrityKey::from_secret(&[0xa5; 32]);
    let authenticates = matches!(
        store.verify_retention(&other),
        Err(StoreError::RetentionTampered { .. })
    );
    if !authenticates {
        return;
    }
    give_anchor_key(store, 4);
    assert!(record(store, &contact(4, t0(), t0()), 4, &integrity()));
    assert!(
        matches!(
            store.events(&subject(4), &subject_ref(4), &other),
            Err(StoreError::RetentionTampered { .. })
        ),
        "conformance: an event record that does not verify (forged, edited or under another key) must be refused"
    );
    assert!(
        matches!(
            store.sweep_anchor_keys(t0() + days(10), &other),
            Err(StoreError::RetentionTampered { .. })
        ),
        "conformance: a sweep reading records that do not verify must fail"
    );
    assert!(
        has(store, &anchor_key(4)),
        "conformance: a failed sweep destroyed an anchor key"
    );
}

/// Two handles: one places a hold while the other sweeps anchor keys. The sweep either
/// saw the hold (the key stays, and stays through the next sweep) or ran before it (it
/// reports the subject and the key is gone): never a hold placed and a key reported
/// kept but destroyed, or reported destroyed but kept.
pub(super) fn racing_hold_and_anchor_sweep<F>(factory: &F)
where
    F: StoreFactory,
    F::Store: KeyStore + RetentionStore,
{
    let store = factory.fresh();
    let other = factory.another_handle(&store);
    let key = integrity();
    let now = t0() + days(5);
    for n in 300..320 {
        give_anchor_key(&store, n);
        match store.record_event(&contact(n, t0(), t0()), &subject_ref(n), &key) {
            Err(StoreError::Unsupported { .. }) => return,
            recorded => assert!(ok(recorded, "record_event")),
        }
        let (placed, swept) = std::thread::scope(|scope| {
            let placed = scope.spawn(|| {
                ok(
                    other.place_hold(&hold(n, n as u8, t0(), None), &subject_ref(n), &key),
                    "place_hold",
                )
            });
            let swept = scope.spawn(|| ok(store.sweep_anchor_keys(now, &key), "sweep_anchor_keys"));
            (placed.join(), swept.join())
        });
        let (Ok(placed), Ok(swept)) = (placed, swept) else {
            panic!("conformance: a hold or an anchor sweep panicked");
        };
        assert!(
            placed,
            "conformance: a hold on a subject that exists must be placed"
        );
        let destroyed = swept.contains(&subject(n));
        assert_eq!(
            has(&store, &anchor_key(n)),
            !destroyed,
            "conformance: the anchor sweep reported {swept:?}, but the key's presence disagrees"
        );
        let again = ok(store.sweep_anchor_keys(now, &key), "sweep_anchor_keys");
        assert!(
            again.is_empty(),
            "conformance: a hold placed during an anchor sweep must keep the key from every later sweep"
        );
    }
}
