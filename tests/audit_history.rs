//! A subject's history as shown to the subject (docs/audit.md, "A subject's history"):
//! dates, purposes and the kind and role of whoever acted, never a staff member's
//! identity (Art. 15(1)(c) recipients are not the controller's staff; CJEU C-579/21).
//! Staff identities come out only through an audited read for a declared purpose.

#[allow(dead_code)]
mod common;

use common::{audited_vault, ctx, seal_email, sid, t0};

use std::sync::Arc;

use chrono::TimeDelta;
use custodian::audit::{AuditQuery, AuditTrail, EventKind, MemorySink};
use custodian::categories::Email;
use custodian::memory::MemoryKeyStore;
use custodian::retention::ManualClock;
use custodian::sqlite::SqliteStore;
use custodian::{Access, Actor, Sealed, SubjectId, Vault};

custodian::purpose! {
    struct Support { basis: Contract, description: "Answer requests.", uses: [Email] }
    struct Investigation {
        basis: LegitimateInterests,
        description: "Investigate suspected misuse of customer data by staff.",
        uses: []
    }
}

fn vault(trail: &Arc<AuditTrail>, clock: &ManualClock) -> Vault {
    audited_vault(MemoryKeyStore::new(), trail, clock)
}

fn seal(v: &Vault, s: &SubjectId) -> Sealed<String, Email> {
    seal_email(v, s, "alice@example.com", 30)
}

/// Alice's data opened by a staff member, then by a service; then exported by the
/// privacy officer (a staff member too).
fn history_of_three(trail: &Arc<AuditTrail>) -> (Vault, SubjectId) {
    let clock = ManualClock::new(t0());
    let v = vault(trail, &clock);
    let alice = sid("cus_alice");
    let sealed = seal(&v, &alice);
    v.open(
        &sealed,
        &ctx(),
        &Access::<Support>::new(alice.clone(), Actor::staff("emp-42", "support")),
    )
    .unwrap();
    clock.advance(TimeDelta::hours(1));
    v.open(
        &sealed,
        &ctx(),
        &Access::<Support>::new(alice.clone(), Actor::service("mailer")),
    )
    .unwrap();
    clock.advance(TimeDelta::hours(1));
    v.operator(Actor::staff("emp-7", "privacy-officer"))
        .record_export(&alice)
        .unwrap();
    (v, alice)
}

#[test]
fn access_history_for_the_subject_withholds_staff_identities() {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = SqliteStore::open(dir.path().join("c.db")).unwrap();
    for trail in [
        Arc::new(AuditTrail::new(MemorySink::new()).unwrap()),
        Arc::new(AuditTrail::new(sqlite).unwrap()),
    ] {
        let (v, alice) = history_of_three(&trail);
        let history = v.access_history(&alice).unwrap();
        assert_eq!(history.len(), 3);
        // What the subject is shown, as the application would serialise it for them.
        let shown = serde_json::to_string(&history).unwrap();
        for staff_id in ["emp-42", "emp-7"] {
            assert!(
                !shown.contains(staff_id),
                "staff id {staff_id} shown to the subject: {shown}"
            );
        }
        // Dates, purposes, and who acted by kind and role remain.
        assert!(shown.contains("2027-03-01T09:00:00Z"), "{shown}");
        assert!(shown.contains("Support"), "{shown}");
        assert!(
            shown.contains("support"),
            "the staff member's role: {shown}"
        );
        assert!(shown.contains("privacy-officer"), "{shown}");
        assert!(
            shown.contains("mailer"),
            "a service's name is shown: {shown}"
        );
        // The full record is untouched: the trail still names the staff member.
        let all = trail.query(&AuditQuery::default()).unwrap();
        assert_eq!(all[0].actor.as_ref().unwrap().id, "emp-42");
    }
}

#[test]
fn staff_identities_are_disclosed_only_through_an_audited_read_for_a_purpose() {
    let trail = Arc::new(AuditTrail::new(MemorySink::new()).unwrap());
    let (v, alice) = history_of_three(&trail);
    let investigator = Actor::staff("emp-3", "internal-audit");
    let access = Access::<Investigation>::new(alice.clone(), investigator);
    let full = v.access_history_with_staff(&access).unwrap();
    let ids: Vec<_> = full
        .iter()
        .filter_map(|e| e.actor.as_ref().map(|a| a.id.as_str()))
        .collect();
    // The read itself, recorded before anything is returned, is the last event.
    assert_eq!(ids, ["emp-42", "mailer", "emp-7", "emp-3"]);

    // The read itself is the last event of the trail: by whom, for which purpose,
    // about whom (pseudonymously).
    let all = trail.query(&AuditQuery::default()).unwrap();
    let read = all.last().unwrap();
    assert_eq!(read.kind, EventKind::StaffHistoryRead);
    assert_eq!(read.actor.as_ref().unwrap().id, "emp-3");
    assert_eq!(read.purpose.as_deref(), Some("Investigation"));
    assert!(read.subject.is_some());

    // The subject sees that their history was read, and by which role, not by whom.
    let shown = v.access_history(&alice).unwrap();
    assert_eq!(shown.len(), 4);
    assert_eq!(shown[3].kind, EventKind::StaffHistoryRead);
    let json = serde_json::to_string(&shown).unwrap();
    assert!(!json.contains("emp-3"), "{json}");
    assert!(json.contains("internal-audit"), "{json}");
}

#[test]
fn a_staff_history_read_after_erasure_returns_nothing_and_is_still_recorded() {
    let trail = Arc::new(AuditTrail::new(MemorySink::new()).unwrap());
    let (v, alice) = history_of_three(&trail);
    v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .erase(&alice)
        .unwrap();
    let before = trail.query(&AuditQuery::default()).unwrap().len();
    let access = Access::<Investigation>::new(alice.clone(), Actor::staff("emp-3", "audit"));
    assert!(v.access_history_with_staff(&access).unwrap().is_empty());
    let all = trail.query(&AuditQuery::default()).unwrap();
    assert_eq!(all.len(), before + 1);
    let read = all.last().unwrap();
    assert_eq!(read.kind, EventKind::StaffHistoryRead);
    assert_eq!(
        read.subject, None,
        "an erased subject gets no pseudonym back"
    );
}
