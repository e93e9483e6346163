//! The audit trail (docs/audit.md): events for every audited action, no personal data
//! in any stored byte, per-subject queries before and after erasure, and fail-closed
//! behaviour. Its stores are tested in `audit_sinks.rs`, its tamper evidence in
//! `audit_tamper.rs`.

mod common;

use common::audit::{EMAIL, Support, events, seal, support, vault};
use common::{ctx, officer, sid, t0};

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::TimeDelta;
use custodian::audit::{
    AuditEntry, AuditError, AuditQuery, AuditRecord, AuditSink, AuditTrail, EventKind,
    HistoryActor, JsonLinesSink, MemorySink, Outcome,
};
use custodian::categories::{Email, Phone};
use custodian::consent::{Channel, ConsentLedger, ConsentMethod, Evidence};
use custodian::retention::ManualClock;
use custodian::sqlite::SqliteStore;
use custodian::{Access, Actor, AdminError, OpenError};

custodian::purpose! {
    struct Calls { basis: Contract, description: "Call back.", uses: [Phone] }
    struct Offers { basis: Consent, description: "Email offers.", uses: [Email] }
}

#[test]
fn every_audited_action_is_recorded_with_its_fields() {
    let clock = ManualClock::new(t0());
    let sink = Arc::new(MemorySink::new());
    let trail = Arc::new(AuditTrail::new(Arc::clone(&sink)).unwrap());
    let v = Arc::new(vault(&trail, &clock));
    let ledger = ConsentLedger::in_memory()
        .with_clock(clock.clone())
        .audited(Arc::clone(&v));
    let alice = sid("cus_alice");
    let sealed = seal(&v, &alice, 30);

    v.open(&sealed, &ctx(), &support(&alice)).unwrap(); // 0 access allowed
    let bob = sid("cus_bob");
    assert!(matches!(
        v.open(&sealed, &ctx(), &support(&bob)),
        Err(OpenError::SubjectMismatch)
    )); // 1 access refused
    let notice = ledger
        .register_notice::<Offers>("offers", 1, "Email me offers.")
        .unwrap();
    ledger
        .give::<Offers>(
            &alice,
            Evidence::new(notice, ConsentMethod::TickedCheckbox, Channel::Web),
        )
        .unwrap(); // 2
    ledger
        .withdraw::<Offers>(&alice, Actor::data_subject(), Channel::Email)
        .unwrap(); // 3
    let hold = v
        .operator(officer())
        .hold::<Support>(&alice, "case 12", None)
        .unwrap(); // 4
    assert!(matches!(
        v.operator(officer()).erase(&alice),
        Err(AdminError::UnderLegalHold { .. })
    )); // 5
    v.operator(officer()).release(&hold.id).unwrap(); // 6
    v.operator(officer()).rotate_subject_key(&alice).unwrap(); // 7
    v.operator(officer()).rewrap_keys().unwrap(); // 8
    clock.advance(TimeDelta::days(40));
    v.operator(officer()).sweep().unwrap(); // 9
    v.operator(Actor::service("dsar-exporter"))
        .record_export(&alice)
        .unwrap(); // 10
    v.operator(officer()).erase(&alice).unwrap(); // 11
    let carol = sid("cus_carol");
    seal(&v, &carol, 30);
    v.operator(officer()).shred(&carol).unwrap(); // 12

    let all = events(&sink);
    let kinds: Vec<_> = all.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        [
            EventKind::Access,
            EventKind::Access,
            EventKind::ConsentGiven,
            EventKind::ConsentWithdrawn,
            EventKind::HoldPlaced,
            EventKind::Erasure,
            EventKind::HoldReleased,
            EventKind::SubjectKeyRotation,
            EventKind::MasterKeyRotation,
            EventKind::Sweep,
            EventKind::Export,
            EventKind::Erasure,
            EventKind::Shred,
        ]
    );
    let alice_ref = all[0].subject.clone().unwrap();
    assert!(alice_ref.as_str().starts_with("sp1:"));
    let open = &all[0];
    assert_eq!(open.at, t0());
    assert_eq!(open.purpose.as_deref(), Some("Support"));
    assert_eq!(
        (
            open.record.as_deref(),
            open.field.as_deref(),
            open.category.as_deref()
        ),
        (Some("customer"), Some("email"), Some("user.contact.email"))
    );
    let actor = open.actor.as_ref().unwrap();
    assert_eq!(
        (actor.id.as_str(), actor.role.as_deref()),
        ("emp-42", Some("support"))
    );
    assert_eq!(open.outcome, Outcome::Allowed);
    // The refused open names the requesting subject (bob) and why.
    assert_ne!(all[1].subject.as_ref(), Some(&alice_ref));
    assert!(matches!(&all[1].outcome, Outcome::RefusedWithCode(c) if c == "subject_mismatch"));
    assert_eq!(all[2].purpose.as_deref(), Some("Offers"));
    assert_eq!(all[3].actor.as_ref().unwrap().id, "data-subject");
    // Alice's lifecycle events carry her other pseudonym (docs/audit.md); the export
    // says who received her data, so it carries the accesses' one.
    let alice_life = all[2].subject.clone().unwrap();
    assert_ne!(alice_life, alice_ref);
    assert_eq!(all[10].subject.as_ref(), Some(&alice_ref));
    assert_eq!(all[10].actor.as_ref().unwrap().id, "dsar-exporter");
    assert_eq!(all[10].at, t0() + TimeDelta::days(40));
    assert_eq!(all[3].subject.as_ref(), Some(&alice_life));
    for i in [4, 5, 6, 7, 11] {
        assert_eq!(all[i].subject.as_ref(), Some(&alice_life), "event {i}");
        assert_eq!(all[i].actor.as_ref().unwrap().id, "emp-7", "event {i}");
    }
    assert!(matches!(&all[5].outcome, Outcome::RefusedWithCode(c) if c == "under_legal_hold"));
    assert_eq!(all[11].outcome, Outcome::Allowed);
    assert_eq!(all[12].actor.as_ref().unwrap().id, "emp-7");
    assert_ne!(all[12].subject.as_ref(), Some(&alice_ref));
    assert_ne!(all[12].subject.as_ref(), Some(&alice_life));
    assert_eq!(trail.verify(None).unwrap().entries, 13);
}

#[test]
fn no_personal_value_or_subject_id_in_any_stored_byte() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(t0());
    let store = SqliteStore::open(dir.path().join("c.db")).unwrap();
    let jsonl_path = dir.path().join("trail.jsonl");
    let mem = Arc::new(MemorySink::new());
    let trails = [
        Arc::new(AuditTrail::new(Arc::clone(&mem)).unwrap()),
        Arc::new(AuditTrail::new(store.clone()).unwrap()),
        Arc::new(AuditTrail::new(JsonLinesSink::open(&jsonl_path).unwrap()).unwrap()),
    ];
    let alice = sid("cus_alice");
    for trail in &trails {
        let v = vault(trail, &clock);
        let sealed = seal(&v, &alice, 30);
        let got = v.open(&sealed, &ctx(), &support(&alice)).unwrap();
        assert_eq!(got.read(&support(&alice)).unwrap(), EMAIL);
        v.operator(officer())
            .hold::<Support>(&alice, "case 1", None)
            .unwrap();
        let _ = v.operator(officer()).erase(&alice);
    }
    let mut stored: Vec<u8> = Vec::new();
    for e in mem.read(0, usize::MAX).unwrap() {
        stored.extend(e.event);
        stored.extend(e.hash);
    }
    stored.extend(std::fs::read(&jsonl_path).unwrap());
    let conn = rusqlite::Connection::open(store.path()).unwrap();
    let mut stmt = conn
        .prepare("SELECT event, hash, coalesce(subject, ''), coalesce(actor, ''), coalesce(purpose, '') FROM audit_log")
        .unwrap();
    let rows = stmt
        .query_map([], |r| {
            Ok([
                r.get::<_, Vec<u8>>(0)?,
                r.get::<_, Vec<u8>>(1)?,
                r.get::<_, String>(2)?.into_bytes(),
                r.get::<_, String>(3)?.into_bytes(),
                r.get::<_, String>(4)?.into_bytes(),
            ])
        })
        .unwrap();
    let mut rows_seen = 0;
    for row in rows {
        rows_seen += 1;
        stored.extend(row.unwrap().concat());
    }
    assert_eq!(rows_seen, 3);
    for needle in [EMAIL, "alice.secret", "cus_alice"] {
        assert!(
            !stored.windows(needle.len()).any(|w| w == needle.as_bytes()),
            "{needle} found in the stored trail"
        );
    }
    // Something was stored, and it names the purpose.
    assert!(stored.windows(7).any(|w| w == b"Support"));
}

#[test]
fn per_subject_history_answers_an_access_request_and_ends_with_erasure() {
    // On the memory sink (which scans) and on SQLite (which answers from its indexes).
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("c.db")).unwrap();
    history_and_queries(Arc::new(AuditTrail::new(MemorySink::new()).unwrap()));
    history_and_queries(Arc::new(AuditTrail::new(store).unwrap()));
}

fn history_and_queries(trail: Arc<AuditTrail>) {
    let clock = ManualClock::new(t0());
    let v = vault(&trail, &clock);
    let (alice, bob) = (sid("cus_alice"), sid("cus_bob"));
    let (a, b) = (seal(&v, &alice, 30), seal(&v, &bob, 30));
    v.open(&a, &ctx(), &support(&alice)).unwrap();
    clock.advance(TimeDelta::hours(1));
    v.open(&b, &ctx(), &support(&bob)).unwrap();
    v.open(
        &a,
        &ctx(),
        &Access::<Support>::new(alice.clone(), Actor::service("mailer")),
    )
    .unwrap();
    let history = v.access_history(&alice).unwrap();
    // Shown to the subject: staff by role, services by name (tests/audit_history.rs).
    let who: Vec<_> = history.iter().map(|e| e.actor.clone().unwrap()).collect();
    assert_eq!(
        who,
        [
            HistoryActor::Staff {
                role: Some("support".into())
            },
            HistoryActor::Service {
                name: "mailer".into()
            }
        ]
    );
    assert!(
        history
            .iter()
            .all(|e| e.purpose.as_deref() == Some("Support"))
    );
    // Queries by actor, purpose and time.
    let by_actor = trail
        .query(&AuditQuery {
            actor: Some("emp-42".into()),
            ..AuditQuery::default()
        })
        .unwrap();
    assert_eq!(by_actor.len(), 2);
    let later = trail
        .query(&AuditQuery {
            from: Some(t0() + TimeDelta::minutes(30)),
            purpose: Some("Support".into()),
            ..AuditQuery::default()
        })
        .unwrap();
    assert_eq!(later.len(), 2);
    let window = trail
        .query(&AuditQuery {
            actor: Some("emp-42".into()),
            until: Some(t0() + TimeDelta::minutes(30)),
            ..AuditQuery::default()
        })
        .unwrap();
    assert_eq!(window.len(), 1);
    assert_eq!(window[0].at, t0());

    let pseudonym = v.audit_pseudonym(&alice).unwrap().unwrap();
    v.operator(officer()).erase(&alice).unwrap();
    assert!(v.access_history(&alice).unwrap().is_empty());
    assert_eq!(v.audit_pseudonym(&alice).unwrap(), None);
    // A new vault on the same store cannot link the old pseudonym either.
    assert_eq!(v.access_history(&bob).unwrap().len(), 1);
    // The events are still there, still chained, and now unlinkable.
    let still = trail
        .query(&AuditQuery {
            subjects: vec![pseudonym],
            ..AuditQuery::default()
        })
        .unwrap();
    assert_eq!(
        still.len(),
        2,
        "two opens (the erasure has the lifecycle pseudonym)"
    );
    assert_eq!(trail.verify(None).unwrap().entries, 4);
}

/// A sink that fails while `down` is set.
struct Flaky {
    inner: MemorySink,
    down: Arc<AtomicBool>,
}

impl AuditSink for Flaky {
    fn append(&mut self, entry: AuditRecord<'_>) -> Result<(), AuditError> {
        if self.down.load(Ordering::SeqCst) {
            return Err(AuditError::sink("disk full"));
        }
        self.inner.append(entry)
    }
    fn read(&self, from: u64, limit: usize) -> Result<Vec<AuditEntry>, AuditError> {
        self.inner.read(from, limit)
    }
    fn last(&self) -> Result<Option<AuditEntry>, AuditError> {
        self.inner.last()
    }
}

#[test]
fn a_failing_sink_fails_the_access_closed_and_loses_nothing() {
    let clock = ManualClock::new(t0());
    let down = Arc::new(AtomicBool::new(false));
    let trail = Arc::new(
        AuditTrail::new(Flaky {
            inner: MemorySink::new(),
            down: Arc::clone(&down),
        })
        .unwrap(),
    );
    let v = vault(&trail, &clock);
    let alice = sid("cus_alice");
    let sealed = seal(&v, &alice, 30);
    v.open(&sealed, &ctx(), &support(&alice)).unwrap();
    down.store(true, Ordering::SeqCst);
    match v.open(&sealed, &ctx(), &support(&alice)) {
        Err(OpenError::Audit(AuditError::Sink(m))) => assert_eq!(m.to_string(), "disk full"),
        other => panic!("expected an audit failure, got {other:?}"),
    }
    // The hold is placed, then its record fails: said as done, not as refused.
    assert!(matches!(
        v.operator(officer()).hold::<Support>(&alice, "case", None),
        Err(AdminError::DoneNotRecorded(_))
    ));
    down.store(false, Ordering::SeqCst);
    v.open(&sealed, &ctx(), &support(&alice)).unwrap();
    // Every stored event is chained without a gap; the refused ones were never claimed.
    assert_eq!(trail.verify(None).unwrap().entries, 2);
}
