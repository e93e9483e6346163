//! The operator handle: every administrative operation is recorded as done by the
//! actor the handle names, allowed or refused, and the request-time vault has none of
//! them (`tests/ui/request_vault_cannot_erase.rs`).

mod common;

use std::sync::Arc;

use chrono::TimeDelta;
use common::{audited_vault, officer, sid, t0};
use custodian::audit::{AuditQuery, AuditTrail, EventKind, MemorySink};
use custodian::categories::Email;
use custodian::memory::MemoryKeyStore;
use custodian::retention::ManualClock;
use custodian::{Actor, AdminError};

custodian::purpose! {
    struct LegalClaims {
        name: "legal-claims",
        basis: LegitimateInterests,
        description: "Establish, exercise or defend legal claims.",
        uses: [Email],
    }
}

/// `(kind, actor id, refused)` of every event in the trail, oldest first.
fn events(trail: &AuditTrail) -> Vec<(EventKind, Option<String>, bool)> {
    trail
        .query(&AuditQuery::default())
        .unwrap()
        .into_iter()
        .map(|e| {
            let refused = e.outcome.is_refused();
            (e.kind, e.actor.map(|a| a.id), refused)
        })
        .collect()
}

#[test]
fn each_operation_is_audited_as_the_actor_of_its_handle() {
    let clock = ManualClock::new(t0());
    let trail = Arc::new(AuditTrail::new(MemorySink::new()).unwrap());
    let vault = audited_vault(MemoryKeyStore::new(), &trail, &clock);
    let alice = sid("cus_alice");
    common::seal_email(&vault, &alice, "alice@example.com", 30);

    let counsel = vault.operator(Actor::staff("emp-3", "counsel"));
    let dpo = vault.operator(officer());
    let sweeper = vault.operator(Actor::service("retention-job"));
    assert_eq!(dpo.actor().id(), "emp-7");

    let hold = counsel
        .hold::<LegalClaims>(&alice, "case 2027-14: litigation hold", None)
        .unwrap();
    // Refused under the hold, and recorded as refused for the one who tried.
    assert!(matches!(
        dpo.erase(&alice),
        Err(AdminError::UnderLegalHold { .. })
    ));
    counsel.release(&hold.id).unwrap();
    dpo.rotate_subject_key(&alice).unwrap();
    vault
        .operator(Actor::service("dsar-exporter"))
        .record_export(&alice)
        .unwrap();
    dpo.erase(&alice).unwrap();
    clock.advance(TimeDelta::days(40));
    sweeper.sweep().unwrap();

    let admin: Vec<_> = events(&trail)
        .into_iter()
        .filter(|(kind, _, _)| *kind != EventKind::Access)
        .collect();
    let who = |id: &str| Some(id.to_owned());
    assert_eq!(
        admin,
        vec![
            (EventKind::HoldPlaced, who("emp-3"), false),
            (EventKind::Erasure, who("emp-7"), true),
            (EventKind::HoldReleased, who("emp-3"), false),
            (EventKind::SubjectKeyRotation, who("emp-7"), false),
            (EventKind::Export, who("dsar-exporter"), false),
            (EventKind::Erasure, who("emp-7"), false),
            (EventKind::Sweep, who("retention-job"), false),
        ]
    );
}

#[test]
fn an_erasure_queued_under_a_hold_is_completed_as_the_sweeps_actor() {
    let clock = ManualClock::new(t0());
    let trail = Arc::new(AuditTrail::new(MemorySink::new()).unwrap());
    let vault = audited_vault(MemoryKeyStore::new(), &trail, &clock);
    let alice = sid("cus_alice");
    common::seal_email(&vault, &alice, "alice@example.com", 30);
    let counsel = vault.operator(Actor::staff("emp-3", "counsel"));
    let until = t0() + TimeDelta::days(2);
    counsel
        .hold::<LegalClaims>(&alice, "case 2027-15: hold until the hearing", Some(until))
        .unwrap();
    vault
        .operator(officer())
        .request_erasure(&alice, &[])
        .unwrap();
    clock.advance(TimeDelta::days(3));
    let report = vault
        .operator(Actor::service("retention-job"))
        .sweep()
        .unwrap();
    assert_eq!(report.erasures_completed.len(), 1);
    let erasures: Vec<_> = events(&trail)
        .into_iter()
        .filter(|(kind, _, _)| *kind == EventKind::Erasure)
        .collect();
    assert_eq!(
        erasures,
        vec![
            (EventKind::Erasure, Some("emp-7".to_owned()), true),
            (EventKind::Erasure, Some("retention-job".to_owned()), false),
        ]
    );
}

#[test]
fn a_recorded_event_is_audited_as_the_actor_of_its_handle() {
    use custodian::retention::Anchor;
    let clock = ManualClock::new(t0());
    let trail = Arc::new(AuditTrail::new(MemorySink::new()).unwrap());
    let vault = audited_vault(MemoryKeyStore::new(), &trail, &clock);
    let alice = sid("cus_alice");
    let billing = vault.operator(Actor::service("billing"));
    billing
        .record_event(&alice, Anchor::ContractEnd, t0() - TimeDelta::days(1))
        .unwrap();
    // An event in the future is refused, and recorded as refused for who tried.
    assert!(matches!(
        billing.record_event(&alice, Anchor::ContractEnd, t0() + TimeDelta::days(1)),
        Err(custodian::AdminError::EventInFuture { .. })
    ));
    assert_eq!(
        events(&trail),
        vec![
            (EventKind::AnchorEvent, Some("billing".to_owned()), false),
            (EventKind::AnchorEvent, Some("billing".to_owned()), true),
        ]
    );
    // Reading the events records nothing.
    assert_eq!(vault.events_of(&alice).unwrap().len(), 1);
    assert_eq!(events(&trail).len(), 2);
}
