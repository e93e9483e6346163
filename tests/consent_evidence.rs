//! What consent evidence holds: the notice registry, the evidence fields, who recorded
//! it, the ledger's clock, versions per notice; and what is kept after erasure, for how
//! long, and who may read it.

use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use custodian::audit::{AuditQuery, AuditTrail, EventKind, MemorySink};
use custodian::categories::{Email, Health};
use custodian::consent::{
    Channel, ConsentError, ConsentEvent, ConsentLedger, ConsentMethod, Evidence, EvidenceKey,
    EvidenceRole, Notice,
};
use custodian::keys::LocalMasterKey;
use custodian::retention::ManualClock;
use custodian::sqlite::SqliteStore;
use custodian::store::StoreError;
use custodian::{Actor, SubjectId, Vault};
use rusqlite::{Connection, params};

custodian::purpose! {
    /// Health data on explicit consent.
    pub struct Coaching {
        basis: Consent,
        condition: ExplicitConsent,
        description: "Coach you using your health data.",
        uses: [Health],
    }
    /// Consent purpose.
    pub struct Promo { basis: Consent, description: "Offers by email.", uses: [Email] }
    /// Another consent purpose.
    pub struct Survey { basis: Consent, description: "Ask your opinion.", uses: [Email] }
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2027, 1, 1, 9, 0, 0).unwrap()
}

fn key() -> EvidenceKey {
    EvidenceKey::from_slice(&[7u8; 32]).unwrap()
}

fn sid(s: &str) -> SubjectId {
    SubjectId::new(s).unwrap()
}

fn ledger(path: &Path, clock: &ManualClock) -> ConsentLedger {
    ConsentLedger::new(SqliteStore::open(path).unwrap(), key())
        .unwrap()
        .with_clock(clock.clone())
}

fn file_holds(path: &Path, needle: &str) -> bool {
    let bytes = std::fs::read(path).unwrap();
    bytes.windows(needle.len()).any(|w| w == needle.as_bytes())
}

fn drop_triggers(conn: &Connection) {
    let names: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'trigger'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for n in names {
        conn.execute_batch(&format!("DROP TRIGGER {n}")).unwrap();
    }
}

fn is_tampered<T: std::fmt::Debug>(r: Result<T, ConsentError>) -> Option<u64> {
    match r {
        Err(ConsentError::Store(StoreError::Tampered { position, .. })) => Some(position),
        _ => None,
    }
}

#[test]
fn give_refuses_a_notice_not_registered_for_the_purpose() {
    let l = ConsentLedger::in_memory().with_clock(ManualClock::new(t0()));
    let a = sid("a");
    let notice = l
        .register_notice::<Promo>("promo", 1, "Email me offers.")
        .unwrap();
    // Registered for Promo, not for Survey.
    let r = l.give::<Survey>(
        &a,
        Evidence::new(notice.clone(), ConsentMethod::TickedCheckbox, Channel::Web),
    );
    assert!(
        matches!(r, Err(ConsentError::NoticeNotRegistered { purpose: "Survey", ref notice, version: 1 }) if notice == "promo"),
        "{r:?}"
    );
    // Never registered at all.
    let unknown = Notice::new("promo", 2, "Email me offers.");
    let r = l.give::<Promo>(
        &a,
        Evidence::new(unknown, ConsentMethod::TickedCheckbox, Channel::Web),
    );
    assert!(
        matches!(r, Err(ConsentError::NoticeNotRegistered { .. })),
        "{r:?}"
    );
    // The registered id and version, but not the registered words.
    let other_words = Notice::new("promo", 1, "Email me offers daily.");
    let r = l.give::<Promo>(
        &a,
        Evidence::new(other_words, ConsentMethod::TickedCheckbox, Channel::Web),
    );
    assert!(
        matches!(r, Err(ConsentError::NoticeTextDiffers { .. })),
        "{r:?}"
    );
    assert!(l.history(&a).unwrap().is_empty());
    l.give::<Promo>(
        &a,
        Evidence::new(notice, ConsentMethod::TickedCheckbox, Channel::Web),
    )
    .unwrap();
}

#[test]
fn the_notice_text_itself_is_kept_chained_and_a_changed_text_needs_a_new_version() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.db");
    let clock = ManualClock::new(t0());
    {
        let l = ledger(&path, &clock);
        l.register_notice::<Promo>("promo", 1, "Email me offers.")
            .unwrap();
        // The same again is a no-op; other words under the same version are refused.
        l.register_notice::<Promo>("promo", 1, "Email me offers.")
            .unwrap();
        let r = l.register_notice::<Promo>("promo", 1, "Email me offers, often.");
        assert!(matches!(r, Err(ConsentError::NoticeTextDiffers { .. })));
        l.register_notice::<Promo>("promo", 2, "Email me offers, often.")
            .unwrap();
    }
    let l = ledger(&path, &clock);
    let kept = l.notice_text::<Promo>("promo", 1).unwrap().unwrap();
    assert_eq!(kept.text, "Email me offers.");
    assert_eq!(kept.registered_at, t0());
    assert!(kept.notice.matches_text("Email me offers."));
    assert_eq!(l.verify(None).unwrap().notices, 2);

    // Append-only; and an edit without the key is found.
    let conn = Connection::open(&path).unwrap();
    assert!(
        conn.execute("UPDATE consent_notices SET text = 'x'", [])
            .is_err()
    );
    drop_triggers(&conn);
    conn.execute(
        "UPDATE consent_notices SET text = 'Email me anything.' WHERE seq = 1",
        [],
    )
    .unwrap();
    assert_eq!(is_tampered(l.verify(None)), Some(1));
    assert_eq!(is_tampered(l.notice_text::<Promo>("promo", 1)), Some(1));
}

#[test]
fn notice_versions_are_compared_per_notice() {
    let l = ConsentLedger::in_memory().with_clock(ManualClock::new(t0()));
    let (a, b) = (sid("a"), sid("b"));
    // Promo is asked for on a web form and in a call script, each with its versions.
    let web2 = l
        .register_notice::<Promo>("web", 2, "Tick for offers.")
        .unwrap();
    let call1 = l
        .register_notice::<Promo>("call-script", 1, "May we email offers?")
        .unwrap();
    l.give::<Promo>(
        &a,
        Evidence::new(web2, ConsentMethod::TickedCheckbox, Channel::Web),
    )
    .unwrap();
    l.give::<Promo>(
        &b,
        Evidence::new(call1, ConsentMethod::RecordedVerbal, Channel::Phone),
    )
    .unwrap();
    // The web form changed materially: version 3 of *that* notice is required.
    l.require_notice_version::<Promo>("web", 3).unwrap();
    let r = l.check::<Promo>(&a);
    assert!(
        matches!(
            r,
            Err(ConsentError::StaleNotice {
                given: 2,
                required: 3,
                ..
            })
        ),
        "{r:?}"
    );
    // Version 1 of the call script is still the current call script.
    l.check::<Promo>(&b).unwrap();
    assert_eq!(l.required_version::<Promo>("web").unwrap(), 3);
    assert_eq!(l.required_version::<Promo>("call-script").unwrap(), 1);
}

#[test]
fn consent_entered_by_staff_is_recorded_and_audited_as_entered_by_them() {
    let clock = ManualClock::new(t0());
    let sink = Arc::new(MemorySink::new());
    let trail = Arc::new(AuditTrail::new(Arc::clone(&sink)).unwrap());
    let vault = Arc::new(
        Vault::builder(
            LocalMasterKey::from_slice("kek", &[1; 32]).unwrap(),
            custodian::memory::MemoryKeyStore::new(),
        )
        .clock(clock.clone())
        .audit(Arc::clone(&trail))
        .build(),
    );
    let l = ConsentLedger::in_memory()
        .with_clock(clock.clone())
        .audited(Arc::clone(&vault));
    let a = sid("a");
    let notice = l
        .register_notice::<Promo>("call-script", 1, "May we email offers?")
        .unwrap();
    let agent = Actor::staff("emp-31", "call-centre");
    l.give::<Promo>(
        &a,
        Evidence::new(notice, ConsentMethod::RecordedVerbal, Channel::Phone)
            .recorded_by(agent.clone())
            .form_ref("call:2027-01-01-0042"),
    )
    .unwrap();
    match &l.history(&a).unwrap()[0] {
        ConsentEvent::Given(g) => {
            assert_eq!(g.recorded_by, agent);
            assert_eq!(g.form_ref.as_deref(), Some("call:2027-01-01-0042"));
            // Dated by the ledger's clock, not by the caller.
            assert_eq!((g.at, g.recorded_at), (t0(), t0()));
        }
        other => panic!("expected Given, got {other:?}"),
    }
    let given: Vec<_> = trail
        .query(&AuditQuery::default())
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == EventKind::ConsentGiven)
        .collect();
    assert_eq!(given.len(), 1);
    let actor = given[0].actor.as_ref().unwrap();
    assert_eq!(
        (actor.id.as_str(), actor.role.as_deref()),
        ("emp-31", Some("call-centre"))
    );
}

#[test]
fn evidence_fields_survive_a_restart_without_the_contact_point_or_guardian_in_clear() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.db");
    let clock = ManualClock::new(t0());
    let child = sid("cus_child_7");
    let guardian = sid("cus_parent_3");
    {
        let l = ledger(&path, &clock);
        let notice = l
            .register_notice::<Promo>("kids", 1, "A parent agrees to offers by SMS.")
            .unwrap();
        let ev = || {
            Evidence::new(notice.clone(), ConsentMethod::SignedForm, Channel::Post)
                .explicit()
                .parental(&guardian)
                .contact_point("+4915112345678")
        };
        let r = l.give::<Promo>(&child, ev().form_ref("scan of x@y"));
        assert!(matches!(r, Err(ConsentError::BadReference { .. })), "{r:?}");
        l.give::<Promo>(&child, ev().form_ref("archive:forms/2027/0007"))
            .unwrap();
    }
    let l = ledger(&path, &clock);
    match &l.history(&child).unwrap()[0] {
        ConsentEvent::Given(g) => {
            assert!(g.explicit);
            assert_eq!(g.method, ConsentMethod::SignedForm);
            assert_eq!(g.form_ref.as_deref(), Some("archive:forms/2027/0007"));
            assert_eq!(g.contact, Some(l.contact_ref("+4915112345678")));
            assert_ne!(g.contact, Some(l.contact_ref("+4915100000000")));
            assert!(g.parental.is_some());
        }
        other => panic!("expected Given, got {other:?}"),
    }
    l.verify(None).unwrap();
    assert!(!file_holds(&path, "+4915112345678"));
    assert!(!file_holds(&path, "cus_parent_3"));
    // Debug of the evidence does not print them either.
    let ev = Evidence::new(
        Notice::new("kids", 1, "x"),
        ConsentMethod::SignedForm,
        Channel::Post,
    )
    .parental(&guardian)
    .contact_point("+4915112345678");
    let shown = format!("{ev:?}");
    assert!(!shown.contains("+4915112345678") && !shown.contains("cus_parent_3"));
}

#[test]
fn double_opt_in_counts_only_from_its_confirmation() {
    let clock = ManualClock::new(t0());
    let store = Arc::new(custodian::consent::MemoryConsentStore::new());
    let key = || EvidenceKey::from_slice(&[7u8; 32]).unwrap();
    let l = ConsentLedger::new(Arc::clone(&store), key())
        .unwrap()
        .with_clock(clock.clone());
    // A second ledger on the same evidence whose clock runs behind: it decides at its
    // own time, before the confirmation.
    let behind = ManualClock::new(t0());
    let lagging = ConsentLedger::new(Arc::clone(&store), key())
        .unwrap()
        .with_clock(behind.clone());
    let a = sid("a");
    let r = l.confirm::<Promo>(&a);
    assert!(matches!(r, Err(ConsentError::NothingToConfirm { .. })));
    let notice = l.register_notice::<Promo>("nl", 1, "Offers.").unwrap();
    l.give::<Promo>(
        &a,
        Evidence::new(notice, ConsentMethod::DoubleOptIn, Channel::Email).contact_point("a"),
    )
    .unwrap();
    let r = l.check::<Promo>(&a);
    assert!(matches!(r, Err(ConsentError::Unconfirmed { .. })), "{r:?}");
    clock.advance(Duration::minutes(20));
    l.confirm::<Promo>(&a).unwrap();
    behind.set(t0() + Duration::minutes(10));
    let r = lagging.check::<Promo>(&a);
    assert!(matches!(r, Err(ConsentError::Unconfirmed { .. })), "{r:?}");
    l.check::<Promo>(&a).unwrap();
    behind.set(t0() + Duration::minutes(20));
    lagging.check::<Promo>(&a).unwrap();
    match &l.history(&a).unwrap()[1] {
        ConsentEvent::Confirmed(c) => assert_eq!(c.at, t0() + Duration::minutes(20)),
        other => panic!("expected Confirmed, got {other:?}"),
    }
    assert!(matches!(
        l.confirm::<Promo>(&a),
        Err(ConsentError::NothingToConfirm { .. })
    ));
}

/// A SQLite ledger audited by a vault that erases through it, on `clock`.
fn audited(path: &Path, clock: &ManualClock, retention: Duration) -> (ConsentLedger, Arc<Vault>) {
    let store = SqliteStore::open(path).unwrap();
    let trail = Arc::new(AuditTrail::new(store.clone()).unwrap());
    let l = ConsentLedger::new(store.clone(), key())
        .unwrap()
        .with_clock(clock.clone())
        .evidence_retention(retention);
    let vault = Arc::new(
        Vault::builder(LocalMasterKey::from_slice("kek", &[1; 32]).unwrap(), store)
            .clock(clock.clone())
            .audit(trail)
            .consent(l.eraser())
            .build(),
    );
    (l.audited(Arc::clone(&vault)), vault)
}

#[test]
fn kept_evidence_is_purged_after_its_retention_and_the_chain_still_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.db");
    let clock = ManualClock::new(t0());
    let (l, vault) = audited(&path, &clock, Duration::days(30));
    let (alice, bob) = (sid("cus_alice"), sid("cus_bob"));
    let notice = l.register_notice::<Promo>("promo", 1, "Offers.").unwrap();
    let ev = || Evidence::new(notice.clone(), ConsentMethod::TickedCheckbox, Channel::Web);
    l.give::<Promo>(&alice, ev()).unwrap();
    l.give::<Promo>(&bob, ev()).unwrap();
    l.give::<Survey>(&alice, ev()).unwrap_err(); // not registered for Survey
    vault
        .operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .erase(&alice)
        .unwrap();
    l.give::<Promo>(&bob, ev()).unwrap(); // the chain goes on after the erasure
    let report = l.verify(None).unwrap();
    assert_eq!(report.events, 4, "two removed, the erasure, bob's renewal");
    let role = EvidenceRole::assume(Actor::staff("emp-9", "legal"), "claim 17").unwrap();
    let kept = l.kept_evidence(&role, &alice).unwrap().unwrap();
    assert_eq!(kept.keep_until, t0() + Duration::days(30));
    assert_eq!((kept.events.len(), kept.purged), (1, false));
    assert_eq!(l.purge_kept_evidence().unwrap(), 0, "not yet");

    clock.advance(Duration::days(31));
    assert_eq!(l.purge_kept_evidence().unwrap(), 1);
    let kept = l.kept_evidence(&role, &alice).unwrap().unwrap();
    assert!(kept.purged && kept.events.is_empty());
    // The chain verifies against the report kept before the purge, in a new process.
    let (again, _) = audited(&path, &clock, Duration::days(30));
    again.verify(Some(&report)).unwrap();
    assert!(matches!(
        again.check::<Promo>(&alice),
        Err(ConsentError::Erased { .. })
    ));
    again.check::<Promo>(&bob).unwrap();
    assert!(l.kept_evidence(&role, &bob).unwrap().is_none());
}

#[test]
fn reading_kept_evidence_needs_a_staff_role_and_an_audited_ledger() {
    assert!(matches!(
        EvidenceRole::assume(Actor::service("exporter"), "claim 1"),
        Err(ConsentError::NotStaff)
    ));
    assert!(matches!(
        EvidenceRole::assume(Actor::staff("emp-9", "legal"), "about bob@example.com"),
        Err(ConsentError::BadReference { .. })
    ));
    let role = EvidenceRole::assume(Actor::staff("emp-9", "legal"), "claim 1").unwrap();
    let l = ConsentLedger::in_memory();
    assert!(matches!(
        l.kept_evidence(&role, &sid("a")),
        Err(ConsentError::NotAudited)
    ));
}

#[test]
fn removed_evidence_cannot_be_faked_by_sql() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.db");
    let clock = ManualClock::new(t0());
    let (l, vault) = audited(&path, &clock, Duration::days(30));
    let notice = l.register_notice::<Promo>("promo", 1, "Offers.").unwrap();
    let ev = || Evidence::new(notice.clone(), ConsentMethod::TickedCheckbox, Channel::Web);
    l.give::<Promo>(&sid("a"), ev()).unwrap(); // 1
    l.give::<Promo>(&sid("b"), ev()).unwrap(); // 2
    vault
        .operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .erase(&sid("a"))
        .unwrap(); // 3
    clock.advance(Duration::minutes(1));
    l.withdraw::<Promo>(&sid("b"), Actor::data_subject(), Channel::Web)
        .unwrap(); // 4
    let conn = Connection::open(&path).unwrap();
    // With the triggers: b's withdrawal cannot be removed, nor listed as removed.
    assert!(
        conn.execute("DELETE FROM consent_events WHERE seq = 4", [])
            .is_err()
    );
    let mac: Vec<u8> = conn
        .query_row("SELECT mac FROM consent_events WHERE seq = 4", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert!(
        conn.execute(
            "INSERT INTO consent_removed (seq, mac, erased_seq) VALUES (4, ?1, 3)",
            params![&mac[..]],
        )
        .is_err()
    );
    assert!(
        conn.execute("UPDATE consent_events SET kept = NULL WHERE seq = 4", [])
            .is_err()
    );
    // Without them, a deletion bridged by a forged listing is still found: the
    // erasure at 3 did not list position 4.
    drop_triggers(&conn);
    conn.execute(
        "INSERT INTO consent_removed (seq, mac, erased_seq) VALUES (4, ?1, 3)",
        params![&mac[..]],
    )
    .unwrap();
    conn.execute("DELETE FROM consent_events WHERE seq = 4", [])
        .unwrap();
    // The erasure's listing no longer matches what it authenticated.
    assert_eq!(is_tampered(l.verify(None)), Some(3));
}

#[test]
fn erasure_refuses_to_vouch_for_a_forged_row() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.db");
    let clock = ManualClock::new(t0());
    let (l, vault) = audited(&path, &clock, Duration::days(30));
    let notice = l.register_notice::<Promo>("promo", 1, "Offers.").unwrap();
    l.give::<Promo>(
        &sid("a"),
        Evidence::new(notice, ConsentMethod::TickedCheckbox, Channel::Web),
    )
    .unwrap();
    let conn = Connection::open(&path).unwrap();
    drop_triggers(&conn);
    conn.execute(
        "UPDATE consent_events SET expires_us = NULL, method = 'signed_form' WHERE seq = 1",
        [],
    )
    .unwrap();
    // Listing the edited row's link under an authentic erasure would launder it.
    let r = vault
        .operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .erase(&sid("a"));
    assert!(r.is_err(), "{r:?}");
    assert_eq!(is_tampered(l.verify(None)), Some(1));
}

#[test]
fn a_purpose_on_explicit_consent_refuses_evidence_not_marked_explicit() {
    let l = ConsentLedger::in_memory().with_clock(ManualClock::new(t0()));
    let notice = l
        .register_notice::<Coaching>(
            "coaching",
            1,
            "I expressly agree that you use my health data to coach me.",
        )
        .unwrap();
    let ev = || Evidence::new(notice.clone(), ConsentMethod::SignedForm, Channel::Web);
    let r = l.give::<Coaching>(&sid("a"), ev());
    assert!(
        matches!(r, Err(ConsentError::InvalidEvidence { .. })),
        "{r:?}"
    );
    l.give::<Coaching>(&sid("a"), ev().explicit()).unwrap();
    l.check::<Coaching>(&sid("a")).unwrap();
}
