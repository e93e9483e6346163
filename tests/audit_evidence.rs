//! What the trail proves against an insider with file access (docs/audit.md, "Threat
//! model"): checkpoints verify only under a key the verifier trusts, and sign the trail,
//! size, head and time; SQLite's query columns and the JSON Lines `event` are covered by
//! verification; evidence kept after erasure (consent, holds) cannot re-link accesses.

#[allow(dead_code)]
mod common;

use common::{audited_vault, ctx, seal_email, sid, signer, t0};

use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::TimeDelta;
use custodian::audit::{
    AuditEvent, AuditQuery, AuditSink, AuditTrail, EventKind, JsonLinesSink, MemorySink,
    TrustedKey, VerifyError,
};
use custodian::categories::Email;
use custodian::consent::{Channel, ConsentLedger, ConsentMethod, Evidence, EvidenceRole};
use custodian::keys::LocalMasterKey;
use custodian::retention::ManualClock;
use custodian::sqlite::SqliteStore;
use custodian::{Access, Actor, Sealed, SubjectId, Vault};

custodian::purpose! {
    struct Support { basis: Contract, description: "Answer requests.", uses: [Email] }
    struct Offers { basis: Consent, description: "Email offers.", uses: [Email] }
}

fn vault(trail: &Arc<AuditTrail>, store: SqliteStore, clock: &ManualClock) -> Vault {
    audited_vault(store, trail, clock)
}

fn seal(v: &Vault, s: &SubjectId) -> Sealed<String, Email> {
    seal_email(v, s, "alice.secret@example.com", 30)
}

fn support(s: &SubjectId) -> Access<Support> {
    Access::new(s.clone(), Actor::staff("emp-42", "support"))
}

/// A memory trail of `n` events, and its sink.
fn memory_trail(n: usize) -> (Arc<MemorySink>, AuditTrail) {
    let sink = Arc::new(MemorySink::new());
    let trail = AuditTrail::new(Arc::clone(&sink)).unwrap();
    for i in 0..n {
        let mut e = AuditEvent::new(EventKind::Access, t0() + TimeDelta::seconds(i as i64));
        e.purpose = Some(format!("p{i}"));
        trail.record(&e).unwrap();
    }
    (sink, trail)
}

#[test]
fn forged_checkpoint_with_own_key_is_refused() {
    let (sink, trail) = memory_trail(5);
    let ours = signer();
    let trusted = TrustedKey::of(trail.id(), &ours);
    let cp = trail.checkpoint(&ours, t0()).unwrap();
    assert_eq!(trail.verify(Some((&cp, &trusted))).unwrap().entries, 5);
    // An insider cuts the last two entries and signs the shorter trail with a key of
    // their own: the checkpoint is well formed and its signature verifies under the key
    // it names, but not under the one the verifier trusts.
    sink.tamper(|entries| entries.truncate(3)).unwrap();
    // The insider runs their own code: a trail that accepts the stored chain as is.
    let forger = AuditTrail::new(Arc::clone(&sink)).unwrap();
    forger.trust_unsigned_history().unwrap();
    let forged = forger.checkpoint(&signer(), t0()).unwrap();
    assert_eq!(forged.size, 3);
    assert_eq!(
        trail.verify(Some((&forged, &trusted))),
        Err(VerifyError::UntrustedCheckpoint)
    );
    // The real checkpoint still catches the truncation.
    assert_eq!(
        trail.verify(Some((&cp, &trusted))),
        Err(VerifyError::Truncated {
            expected: 5,
            found: 3
        })
    );
}

#[test]
fn edited_checkpoint_time_is_refused() {
    let (_, trail) = memory_trail(3);
    let key = signer();
    let trusted = TrustedKey::of(trail.id(), &key);
    let cp = trail.checkpoint(&key, t0()).unwrap();
    let mut earlier = cp.clone();
    earlier.at -= TimeDelta::days(1);
    assert_eq!(
        trail.verify(Some((&earlier, &trusted))),
        Err(VerifyError::BadCheckpoint)
    );
    let mut other_size = cp.clone();
    other_size.size = 2;
    assert_eq!(
        trail.verify(Some((&other_size, &trusted))),
        Err(VerifyError::BadCheckpoint)
    );
    // The checkpoint travels as JSON and still verifies after the round trip.
    let json = serde_json::to_string(&cp).unwrap();
    let back = serde_json::from_str(&json).unwrap();
    assert_eq!(trail.verify(Some((&back, &trusted))).unwrap().entries, 3);
}

#[test]
fn a_checkpoint_of_another_trail_is_refused_even_under_the_same_key() {
    let key = signer();
    let (_, billing) = memory_trail(3);
    let billing = billing.named("billing-eu");
    let (_, crm) = memory_trail(3);
    let crm = crm.named("crm-eu");
    // Same events, so the same chain: only the trail id tells the checkpoints apart.
    let cp = crm.checkpoint(&key, t0()).unwrap();
    assert_eq!(cp.trail, "crm-eu");
    let trusted = TrustedKey::of("billing-eu", &key);
    assert_eq!(
        billing.verify(Some((&cp, &trusted))),
        Err(VerifyError::WrongTrail {
            expected: "billing-eu".into(),
            found: "crm-eu".into()
        })
    );
    let mut relabelled = cp.clone();
    relabelled.trail = "billing-eu".into();
    assert_eq!(
        billing.verify(Some((&relabelled, &trusted))),
        Err(VerifyError::BadCheckpoint)
    );
    let hex_key = TrustedKey::from_hex("crm-eu", &cp.public_key).unwrap();
    assert_eq!(crm.verify(Some((&cp, &hex_key))).unwrap().entries, 3);
    assert!(TrustedKey::from_hex("crm-eu", "abcd").is_err());
}

#[test]
fn an_edited_json_lines_event_is_reported_at_its_position() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("trail.jsonl");
    let trail = AuditTrail::new(JsonLinesSink::open(&path).unwrap()).unwrap();
    for i in 0..4 {
        let mut e = AuditEvent::new(EventKind::Access, t0());
        e.purpose = Some(format!("p{i}"));
        e.actor = Some(custodian::audit::ActorRecord::from(&Actor::staff(
            "emp-42", "support",
        )));
        trail.record(&e).unwrap();
    }
    drop(trail);
    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    // The human-readable copy is what a SIEM shows and searches; the chained bytes
    // stay as they were.
    lines[2] = lines[2].replace("emp-42", "emp-99");
    assert!(lines[2].contains("emp-99"));
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    let trail = AuditTrail::new(JsonLinesSink::open(&path).unwrap()).unwrap();
    assert_eq!(
        trail.verify(None),
        Err(VerifyError::Altered { position: 2 })
    );
    drop(trail); // its writer's lock

    // A field added to the readable event is an edit too.
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    lines[1] = lines[1].replacen("\"event\":{", "\"event\":{\"note\":\"approved\",", 1);
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    let trail = AuditTrail::new(JsonLinesSink::open(&path).unwrap()).unwrap();
    assert_eq!(
        trail.verify(None),
        Err(VerifyError::Altered { position: 1 })
    );
}

/// A SQLite trail of opens by two staff members about two subjects.
fn sqlite_trail(dir: &tempfile::TempDir) -> (std::path::PathBuf, Arc<AuditTrail>, Vault) {
    let path = dir.path().join("c.db");
    let store = SqliteStore::open(&path).unwrap();
    let trail = Arc::new(AuditTrail::new(store.clone()).unwrap());
    let clock = ManualClock::new(t0());
    let v = vault(&trail, store, &clock);
    let (alice, bob) = (sid("cus_alice"), sid("cus_bob"));
    let (a, b) = (seal(&v, &alice), seal(&v, &bob));
    for i in 0..6 {
        clock.advance(TimeDelta::minutes(1));
        let (s, sealed) = if i % 2 == 0 { (&alice, &a) } else { (&bob, &b) };
        v.open(sealed, &ctx(), &support(s)).unwrap();
    }
    (path, trail, v)
}

#[test]
fn an_edited_sqlite_query_column_is_reported_by_verify() {
    for (column, value) in [
        ("subject", "'sp1:00000000000000000000000000000000'"),
        ("actor", "'emp-1'"),
        ("purpose", "'Billing'"),
        ("at_us", "0"),
        ("subject", "NULL"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let (path, trail, v) = sqlite_trail(&dir);
        let alice = sid("cus_alice");
        assert_eq!(v.access_history(&alice).unwrap().len(), 3);
        // An insider hides alice's second access (position 2) from her history and
        // from actor queries: the chained bytes are untouched.
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch("DROP TRIGGER audit_log_append_only_update;")
            .unwrap();
        conn.execute(
            &format!("UPDATE audit_log SET {column} = {value} WHERE seq = 2"),
            [],
        )
        .unwrap();
        assert_eq!(
            trail.verify(None),
            Err(VerifyError::Altered { position: 2 }),
            "{column} = {value}"
        );
    }
}

#[test]
fn sqlite_queries_match_the_chained_bytes_after_an_honest_run() {
    let dir = tempfile::tempdir().unwrap();
    let (_, trail, v) = sqlite_trail(&dir);
    let by_actor = trail
        .query(&AuditQuery {
            actor: Some("emp-42".into()),
            ..AuditQuery::default()
        })
        .unwrap();
    assert_eq!(by_actor.len(), 6);
    assert_eq!(v.access_history(&sid("cus_bob")).unwrap().len(), 3);
    assert_eq!(trail.verify(None).unwrap().entries, 6);
}

/// Rows (subject id, time) that the store keeps after erasure as evidence.
fn kept_evidence(path: &std::path::Path) -> Vec<(String, i64)> {
    let conn = rusqlite::Connection::open(path).unwrap();
    let mut rows = Vec::new();
    for sql in [
        "SELECT coalesce(subject, ''), at_us FROM consent_events",
        "SELECT subject, placed_us FROM legal_holds",
        "SELECT subject, released_us FROM legal_holds WHERE released_us IS NOT NULL",
    ] {
        let mut stmt = conn.prepare(sql).unwrap();
        let found = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))
            .unwrap();
        rows.extend(found.map(Result::unwrap));
    }
    rows
}

#[test]
fn kept_consent_and_hold_evidence_cannot_relink_an_erased_subjects_accesses() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.db");
    let store = SqliteStore::open(&path).unwrap();
    let trail = Arc::new(AuditTrail::new(store.clone()).unwrap());
    let clock = ManualClock::new(t0());
    let key = custodian::consent::EvidenceKey::from_slice(&[7u8; 32]).unwrap();
    let ledger = ConsentLedger::new(store.clone(), key)
        .unwrap()
        .with_clock(clock.clone());
    // Erasure ends alice's consents and pseudonymises their evidence.
    let v = Arc::new(
        Vault::builder(
            LocalMasterKey::from_slice("kek", &[1; 32]).unwrap(),
            store.clone(),
        )
        .clock(clock.clone())
        .audit(Arc::clone(&trail))
        .consent(ledger.eraser())
        .build(),
    );
    let ledger = ledger.audited(Arc::clone(&v));
    let alice = sid("cus_alice");
    let sealed = seal(&v, &alice);
    let tick = || clock.advance(TimeDelta::seconds(1));
    let notice = ledger
        .register_notice::<Offers>("offers", 1, "Email me offers.")
        .unwrap();
    let evidence = || {
        Evidence::new(
            notice.clone(),
            ConsentMethod::TickedCheckbox,
            Channel::Phone,
        )
        .contact_point("+4915112345678")
    };
    ledger.give::<Offers>(&alice, evidence()).unwrap();
    tick();
    v.open(&sealed, &ctx(), &support(&alice)).unwrap();
    tick();
    let hold = v
        .operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .hold::<Support>(&alice, "case 12", None)
        .unwrap();
    tick();
    v.open(&sealed, &ctx(), &support(&alice)).unwrap();
    tick();
    v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .release(&hold.id)
        .unwrap();
    tick();
    ledger
        .withdraw::<Offers>(&alice, Actor::data_subject(), Channel::Email)
        .unwrap();
    tick();
    // A disclosure to a partner, and an investigation of who read her file: both
    // say who received or read her data.
    v.operator(Actor::staff("emp-42", "partner-sales"))
        .record_export(&alice)
        .unwrap();
    tick();
    let investigation = Access::<Support>::new(alice.clone(), Actor::staff("emp-9", "dpo"));
    v.access_history_with_staff(&investigation).unwrap();
    tick();
    // Before erasure the vault links every kind of event to alice.
    let kinds: Vec<EventKind> = v
        .access_history(&alice)
        .unwrap()
        .iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(
        kinds,
        [
            EventKind::ConsentGiven,
            EventKind::Access,
            EventKind::HoldPlaced,
            EventKind::Access,
            EventKind::HoldReleased,
            EventKind::ConsentWithdrawn,
            EventKind::Export,
            EventKind::StaffHistoryRead,
        ]
    );
    v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .erase(&alice)
        .unwrap();
    assert!(v.access_history(&alice).unwrap().is_empty());

    // Art. 17(3)(e): the minimum of the consent evidence and the hold records stay,
    // with exact times, but neither names alice any more: the consent events were
    // replaced by one erasure naming her keyed reference, and the hold rows keep only
    // the vault's reference (`docs/consent.md`, `docs/retention.md`).
    let mut evidence = kept_evidence(&path);
    assert_eq!(
        evidence.len(),
        3,
        "the consent erasure, a hold placed and released"
    );
    assert!(evidence.iter().all(|(s, _)| s.is_empty()), "{evidence:?}");
    let db = std::fs::read(&path).unwrap();
    for needle in [&b"cus_alice"[..], b"+4915112345678"] {
        assert!(
            !db.windows(needle.len()).any(|w| w == needle),
            "the store file still holds {}",
            String::from_utf8_lossy(needle)
        );
    }
    // The kept evidence itself, read in the evidence role (and the read audited),
    // carries the times of the consent events: join those too.
    let role = EvidenceRole::assume(Actor::staff("emp-9", "legal"), "claim 2027-3").unwrap();
    let kept = ledger.kept_evidence(&role, &alice).unwrap().unwrap();
    assert_eq!(kept.events.len(), 2, "given and withdrawn");
    assert_eq!(
        kept.events[0].contact,
        Some(ledger.contact_ref("+4915112345678"))
    );
    evidence.extend(
        kept.events
            .iter()
            .map(|e| (String::new(), e.at.timestamp_micros())),
    );
    let times: BTreeSet<i64> = evidence.iter().map(|(_, t)| *t).collect();
    let events = trail.query(&AuditQuery::default()).unwrap();
    let linked: BTreeSet<_> = events
        .iter()
        .filter(|e| times.contains(&e.at.timestamp_micros()))
        .filter_map(|e| e.subject.clone())
        .collect();
    assert!(
        !linked.is_empty(),
        "the join does find the lifecycle events"
    );
    // Who read or received her data: opens, the export, the investigation's read.
    let disclosure = |k: EventKind| {
        matches!(
            k,
            EventKind::Access | EventKind::Export | EventKind::StaffHistoryRead
        )
    };
    let reached: Vec<_> = events
        .iter()
        .filter(|e| e.subject.as_ref().is_some_and(|s| linked.contains(s)))
        .filter(|e| disclosure(e.kind))
        .map(|e| (e.kind, e.actor.as_ref().map(|a| a.id.clone())))
        .collect();
    assert!(
        reached.is_empty(),
        "the evidence re-links who read or received alice's data: {reached:?}"
    );
    let accessed: BTreeSet<_> = events
        .iter()
        .filter(|e| disclosure(e.kind))
        .filter_map(|e| e.subject.clone())
        .collect();
    assert_eq!(accessed.len(), 1);
    // Every lifecycle event carries one pseudonym, never the disclosures' one.
    let lifecycle: BTreeSet<_> = events
        .iter()
        .filter(|e| !disclosure(e.kind))
        .filter_map(|e| e.subject.clone())
        .collect();
    assert_eq!(lifecycle.len(), 1);
    assert!(lifecycle.is_disjoint(&accessed));
    // The read of the kept evidence is in the trail, naming the reader and the claim,
    // not the subject.
    let read = events
        .iter()
        .find(|e| e.kind == EventKind::ConsentEvidenceRead)
        .expect("the read is audited");
    assert_eq!(read.subject, None);
    assert_eq!(read.purpose.as_deref(), Some("claim 2027-3"));
    // given, 2 accesses, hold placed and released, withdrawn, export, staff history
    // read, erasure, evidence read.
    assert_eq!(trail.verify(None).unwrap().entries, 10);
}

#[test]
fn json_lines_entries_read_back_unchanged() {
    // The check on the readable copy accepts what the sink itself wrote, for every kind
    // of event (refusals, roles, no actor).
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("trail.jsonl");
    let trail = AuditTrail::new(JsonLinesSink::open(&path).unwrap()).unwrap();
    let mut refused = AuditEvent::new(EventKind::Access, t0());
    refused.outcome = custodian::audit::Outcome::Refused("the value expired".into());
    refused.actor = Some(custodian::audit::ActorRecord::from(&Actor::staff(
        "emp-1", "support",
    )));
    trail.record(&refused).unwrap();
    trail
        .record(&AuditEvent::new(EventKind::Sweep, t0()))
        .unwrap();
    drop(trail);
    let sink = JsonLinesSink::open(&path).unwrap();
    let read: Vec<_> = sink
        .read(0, 10)
        .unwrap()
        .iter()
        .map(|e| e.decode().unwrap())
        .collect();
    assert_eq!(read.len(), 2);
    assert_eq!(read[0], refused);
    assert_eq!(
        AuditTrail::new(sink).unwrap().verify(None).unwrap().entries,
        2
    );
}
