//! A backend that lies about legal holds: it lists a hold nobody placed (a row
//! written by whoever can reach the database but not the vault's key), or one edited to
//! widen what it keeps. The vault verifies every hold's MAC itself and fails closed, so
//! neither reopens expired data; the `hold_store` suite names the lie.

mod common;

use std::sync::Arc;

use chrono::TimeDelta;
use common::retention::{Claims, open, seal, t0};
use common::stores::{Forwarding, StoreHook};
use common::{officer, sid, vault_on};
use custodian::memory::MemoryKeyStore;
use custodian::retention::{
    Anchor, HoldId, HoldScope, HoldSubject, LegalHold, ManualClock, StoredEvent, StoredHold,
};
use custodian::sqlite::SqliteStore;
use custodian::store::StoreError;
use custodian::{SubjectId, VaultError, VaultStore};

/// What the lying backend does to the holds it lists.
#[derive(Clone, Copy)]
enum Lie {
    /// Adds a hold on the subject asked about, with a MAC it made up.
    Invent,
    /// Widens every stored hold to the account's purpose, keeping the stored MAC.
    Widen,
    /// Moves every recorded event a year later (the period runs a year longer),
    /// keeping the stored MAC.
    PostponeEvents,
}

impl StoreHook for Lie {
    fn tamper_holds(&self, s: Option<&SubjectId>, holds: &mut Vec<StoredHold>) {
        let widest = || {
            HoldScope::from_stored(
                vec!["crm".into(), "claims".into()],
                vec!["user.contact.email".into()],
            )
            .unwrap()
        };
        match self {
            Lie::Invent => holds.extend(s.map(|s| StoredHold {
                hold: LegalHold {
                    id: HoldId::parse(&"ab".repeat(16)).unwrap(),
                    subject: HoldSubject::Subject(s.clone()),
                    reason: "forged".into(),
                    scope: widest(),
                    placed_at: t0() - TimeDelta::days(365),
                    until: None,
                    released_at: None,
                },
                mac: vec![0x5a; 32],
            })),
            Lie::Widen => holds.iter_mut().for_each(|h| h.hold.scope = widest()),
            Lie::PostponeEvents => {}
        }
    }
    fn tamper_events(&self, _s: &SubjectId, events: &mut Vec<StoredEvent>) {
        if let Lie::PostponeEvents = self {
            for e in events {
                e.event.at += TimeDelta::days(365);
            }
        }
    }
}

fn tampered(r: &Result<String, VaultError>) -> bool {
    matches!(
        r,
        Err(VaultError::Store(StoreError::RetentionTampered { .. }))
    )
}

/// Seals alice's email for 30 days on `store` (held for Claims if `held`), then
/// opens it for Crm 90 days later.
fn expired_open(store: impl VaultStore + 'static, held: bool) -> Result<String, VaultError> {
    let clock = ManualClock::new(t0());
    let v = vault_on(store, &clock);
    let alice = sid("alice");
    let sealed = seal(&v, &alice, 30);
    if held {
        v.operator(officer())
            .hold::<Claims>(&alice, "case 1", None)
            .unwrap();
    }
    clock.set(t0() + TimeDelta::days(90));
    open(&v, &sealed, &alice)
}

fn memory(lie: Lie) -> Forwarding<Arc<MemoryKeyStore>, Lie> {
    Forwarding {
        inner: Arc::new(MemoryKeyStore::new()),
        hook: lie,
    }
}

fn sqlite(dir: &tempfile::TempDir, lie: Lie) -> Forwarding<Arc<SqliteStore>, Lie> {
    Forwarding {
        inner: Arc::new(SqliteStore::open(dir.path().join("k.db")).unwrap()),
        hook: lie,
    }
}

#[test]
fn forged_hold_from_backend_does_not_open_expired_data() {
    let r = expired_open(memory(Lie::Invent), false);
    assert!(tampered(&r), "memory: {r:?}");
    let dir = tempfile::tempdir().unwrap();
    let r = expired_open(sqlite(&dir, Lie::Invent), false);
    assert!(tampered(&r), "sqlite: {r:?}");
}

/// A real hold keeps the data for Claims only; a backend that widens it to Crm (and
/// returns the MAC stored with it) is refused, not obeyed.
#[test]
fn widened_hold_from_backend_does_not_open_expired_data() {
    let r = expired_open(memory(Lie::Widen), true);
    assert!(tampered(&r), "memory: {r:?}");
    let dir = tempfile::tempdir().unwrap();
    let r = expired_open(sqlite(&dir, Lie::Widen), true);
    assert!(tampered(&r), "sqlite: {r:?}");
}

/// A value kept one day after the end of the contract: a backend that moves the
/// recorded end a year later (keeping its MAC) is refused, not obeyed, so the value
/// does not open past its period.
#[test]
fn postponed_event_from_backend_does_not_extend_the_period() {
    fn check(store: impl VaultStore + 'static) {
        let clock = ManualClock::new(t0());
        let v = vault_on(store, &clock);
        let a = sid("alice");
        let kept = custodian::Retention::Days(1)
            .after(Anchor::ContractEnd)
            .unwrap();
        let ctx = common::retention::ctx(30).retain(kept);
        let sealed = v
            .seal(
                &custodian::Personal::new(a.clone(), "alice@example.com".to_string()),
                &ctx,
            )
            .unwrap();
        v.operator(officer())
            .record_event(&a, Anchor::ContractEnd, t0())
            .unwrap();
        clock.set(t0() + TimeDelta::days(3));
        let access = common::retention::access(&a);
        let r = v.open(&sealed, &ctx, &access).map(|_| ());
        assert!(
            matches!(
                r,
                Err(custodian::OpenError::Store(
                    StoreError::RetentionTampered { .. }
                ))
            ),
            "{r:?}"
        );
    }
    check(memory(Lie::PostponeEvents));
    let dir = tempfile::tempdir().unwrap();
    check(sqlite(&dir, Lie::PostponeEvents));
}

/// The `hold_store` suite refuses a backend that lists a hold nobody placed, and one
/// that edits the holds it stored.
#[cfg(feature = "testkit")]
#[test]
fn hold_store_suite_catches_backend_lying_about_holds() {
    let prev = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let invent =
        std::panic::catch_unwind(|| custodian::testkit::hold_store(&|| memory(Lie::Invent)));
    let widen = std::panic::catch_unwind(|| custodian::testkit::hold_store(&|| memory(Lie::Widen)));
    std::panic::set_hook(prev);
    assert!(
        invent.is_err(),
        "hold_store passed a backend inventing holds"
    );
    assert!(widen.is_err(), "hold_store passed a backend editing holds");
}
