//! The audit trail (docs/audit.md): events for every audited action, no personal data
//! in any stored byte, per-subject queries before and after erasure, tamper evidence on
//! the memory and SQLite sinks, and fail-closed behaviour.

#[allow(dead_code)]
mod common;

use common::{audited_vault, ctx, seal_email, sid, signer, t0};

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::TimeDelta;
use custodian::audit::{
    AuditEntry, AuditError, AuditEvent, AuditQuery, AuditRecord, AuditSink, AuditTrail, EventKind,
    HistoryActor, JsonLinesSink, MemorySink, Outcome, TrustedKey, VerifyError, chain_hash,
};
use custodian::categories::{Email, Phone};
use custodian::consent::{Channel, ConsentLedger, ConsentMethod, Evidence};
use custodian::memory::MemoryKeyStore;
use custodian::retention::{Clock, ManualClock};
use custodian::sqlite::SqliteStore;
use custodian::{Access, Actor, Sealed, SubjectId, Vault, VaultError};
use proptest::prelude::*;

custodian::purpose! {
    struct Support { basis: Contract, description: "Answer requests.", uses: [Email] }
    struct Calls { basis: Contract, description: "Call back.", uses: [Phone] }
    struct Offers { basis: Consent, description: "Email offers.", uses: [Email] }
}

const EMAIL: &str = "alice.secret@example.com";

fn vault(trail: &Arc<AuditTrail>, clock: &ManualClock) -> Vault {
    audited_vault(MemoryKeyStore::new(), trail, clock)
}

fn seal(v: &Vault, s: &SubjectId, days: u32) -> Sealed<String, Email> {
    seal_email(v, s, EMAIL, days)
}

fn support(s: &SubjectId) -> Access<Support> {
    Access::new(s.clone(), Actor::staff("emp-42", "support"))
}

fn events(sink: &MemorySink) -> Vec<AuditEvent> {
    sink.read(0, usize::MAX)
        .unwrap()
        .iter()
        .map(|e| e.decode().unwrap())
        .collect()
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
        Err(VaultError::SubjectMismatch)
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
        .operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .hold::<Support>(&alice, "case 12", None)
        .unwrap(); // 4
    assert!(matches!(
        v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
            .erase(&alice),
        Err(VaultError::UnderLegalHold { .. })
    )); // 5
    v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .release(&hold.id)
        .unwrap(); // 6
    v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .rotate_subject_key(&alice)
        .unwrap(); // 7
    v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .rewrap_keys()
        .unwrap(); // 8
    clock.advance(TimeDelta::days(40));
    v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .sweep()
        .unwrap(); // 9
    v.operator(Actor::service("dsar-exporter"))
        .record_export(&alice)
        .unwrap(); // 10
    v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .erase(&alice)
        .unwrap(); // 11
    let carol = sid("cus_carol");
    seal(&v, &carol, 30);
    v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .shred(&carol)
        .unwrap(); // 12

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
    assert!(matches!(&all[1].outcome, Outcome::Refused(r) if r.contains("another data subject")));
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
    assert!(matches!(&all[5].outcome, Outcome::Refused(r) if r.contains("case 12")));
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
        v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
            .hold::<Support>(&alice, "case 1", None)
            .unwrap();
        let _ = v
            .operator(custodian::Actor::staff("emp-7", "privacy-officer"))
            .erase(&alice);
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
    v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .erase(&alice)
        .unwrap();
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
            return Err(AuditError::Sink("disk full".into()));
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
        Err(VaultError::Audit(AuditError::Sink(m))) => assert_eq!(m, "disk full"),
        other => panic!("expected an audit failure, got {other:?}"),
    }
    assert!(matches!(
        v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
            .hold::<Support>(&alice, "case", None),
        Err(VaultError::Audit(_))
    ));
    down.store(false, Ordering::SeqCst);
    v.open(&sealed, &ctx(), &support(&alice)).unwrap();
    // Every stored event is chained without a gap; the refused ones were never claimed.
    assert_eq!(trail.verify(None).unwrap().entries, 2);
}

#[test]
fn checkpoints_catch_truncation_and_rewritten_history() {
    let clock = ManualClock::new(t0());
    let sink = Arc::new(MemorySink::new());
    let trail = Arc::new(AuditTrail::new(Arc::clone(&sink)).unwrap());
    let v = vault(&trail, &clock);
    let alice = sid("cus_alice");
    let sealed = seal(&v, &alice, 30);
    for _ in 0..5 {
        v.open(&sealed, &ctx(), &support(&alice)).unwrap();
    }
    let key = signer();
    let trusted = TrustedKey::of(trail.id(), &key);
    let cp = trail.checkpoint(&key, clock.now()).unwrap();
    assert_eq!(cp.size, 5);
    assert_eq!(trail.verify(Some((&cp, &trusted))).unwrap().entries, 5);
    // Later entries are fine against an older checkpoint.
    v.open(&sealed, &ctx(), &support(&alice)).unwrap();
    assert_eq!(trail.verify(Some((&cp, &trusted))).unwrap().entries, 6);
    // An insider rewrites entry 2 and recomputes every hash after it: the chain alone
    // is consistent, the checkpoint is not.
    sink.tamper(|entries| {
        let mut forged = entries[2].decode().unwrap();
        forged.purpose = Some("Marketing".into());
        entries[2].event = forged.encode();
        let mut prev = entries[1].hash;
        for e in entries.iter_mut().skip(2) {
            e.hash = chain_hash(&prev, e.seq, &e.event);
            prev = e.hash;
        }
    })
    .unwrap();
    assert_eq!(trail.verify(None).unwrap().entries, 6);
    assert_eq!(
        trail.verify(Some((&cp, &trusted))),
        Err(VerifyError::Rewritten { position: 4 })
    );
    // A forged signature is refused.
    let mut bad = cp.clone();
    bad.size = 3;
    assert_eq!(
        trail.verify(Some((&bad, &trusted))),
        Err(VerifyError::BadCheckpoint)
    );
}

#[test]
fn the_json_lines_file_verifies_and_continues_after_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("trail.jsonl");
    let clock = ManualClock::new(t0());
    let alice = sid("cus_alice");
    for round in 0..2 {
        let trail = Arc::new(AuditTrail::new(JsonLinesSink::open(&path).unwrap()).unwrap());
        let v = vault(&trail, &clock);
        let sealed = seal(&v, &alice, 30);
        v.open(&sealed, &ctx(), &support(&alice)).unwrap();
        assert_eq!(trail.verify(None).unwrap().entries, round + 1);
    }
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(text.lines().count(), 2);
    let line: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert_eq!(line["event"]["kind"], "access");
    assert_eq!(line["event"]["purpose"], "Support");
    // A stream sink cannot be read back: verify the file it writes.
    let stream = AuditTrail::new(JsonLinesSink::new(Vec::new())).unwrap();
    assert!(matches!(stream.verify(None), Err(VerifyError::Read(_))));
}

#[test]
fn a_json_lines_file_cut_short_by_a_crash_is_repaired_on_open_and_a_damaged_one_refused() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("trail.jsonl");
    let mut e = AuditEvent::new(EventKind::Access, t0());
    e.purpose = Some("Support".into());
    {
        let trail = AuditTrail::new(JsonLinesSink::open(&path).unwrap()).unwrap();
        trail.record(&e).unwrap();
        trail.record(&e).unwrap();
    }
    let whole = std::fs::read(&path).unwrap();
    // A crash part-way through the third line: its append never returned.
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap();
    f.write_all(&whole[..40]).unwrap();
    drop(f);
    let trail = AuditTrail::new(JsonLinesSink::open(&path).unwrap()).unwrap();
    assert_eq!(
        std::fs::read(&path).unwrap(),
        whole,
        "the cut-short line is gone"
    );
    assert_eq!(trail.record(&e).unwrap(), 2);
    assert_eq!(trail.verify(None).unwrap().entries, 3);
    drop(trail);

    // A whole line that is not an entry: the chain cannot continue from it, and
    // verification names its position.
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap();
    f.write_all(b"not an entry\n").unwrap();
    drop(f);
    assert!(matches!(
        AuditTrail::new(JsonLinesSink::open(&path).unwrap()),
        Err(AuditError::Damaged)
    ));
    let sink = JsonLinesSink::open(&path).unwrap();
    let read = |from| {
        sink.read(from, 4096)
            .map_err(|e| VerifyError::Read(e.to_string()))
    };
    assert_eq!(
        custodian::audit::verify_entries(read, None),
        Err(VerifyError::Altered { position: 3 })
    );
    // A query reads past the damaged line (its events are the three others).
    let found = sink.query(&AuditQuery::default()).unwrap();
    assert_eq!(found.len(), 3);
}

/// A stream that takes whole writes, or fails: `Part` after writing a few bytes,
/// `Nothing` before writing any.
#[derive(Clone, Default)]
struct Stream {
    bytes: Arc<std::sync::Mutex<Vec<u8>>>,
    fail: Arc<std::sync::Mutex<Option<Fail>>>,
}

#[derive(Clone, Copy)]
enum Fail {
    Part,
    Nothing,
}

impl std::io::Write for Stream {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut bytes = self.bytes.lock().unwrap();
        match *self.fail.lock().unwrap() {
            None => {
                bytes.extend_from_slice(buf);
                Ok(buf.len())
            }
            Some(Fail::Part) if !bytes.ends_with(b"{") => {
                bytes.push(b'{');
                Ok(1)
            }
            Some(_) => Err(std::io::Error::other("connection reset")),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_stream_that_fails_before_writing_recovers_and_one_that_fails_mid_line_is_refused() {
    let stream = Stream::default();
    let trail = AuditTrail::new(JsonLinesSink::new(stream.clone())).unwrap();
    let e = AuditEvent::new(EventKind::Sweep, t0());
    trail.record(&e).unwrap();
    *stream.fail.lock().unwrap() = Some(Fail::Nothing);
    assert!(matches!(trail.record(&e), Err(AuditError::Sink(_))));
    *stream.fail.lock().unwrap() = None;
    assert_eq!(
        trail.record(&e).unwrap(),
        1,
        "nothing was written: the chain goes on"
    );

    *stream.fail.lock().unwrap() = Some(Fail::Part);
    assert!(matches!(trail.record(&e), Err(AuditError::Sink(_))));
    *stream.fail.lock().unwrap() = None;
    match trail.record(&e) {
        Err(AuditError::Sink(m)) => assert!(m.contains("part of a line"), "{m}"),
        other => panic!("expected the stream to be refused, got {other:?}"),
    }
    let text = String::from_utf8(stream.bytes.lock().unwrap().clone()).unwrap();
    assert_eq!(
        text.lines().count(),
        3,
        "two whole lines and the cut-short one"
    );
    assert!(text.ends_with('{'));
}

/// A real disk-full error (`/dev/full` refuses every write): the open fails closed. A
/// device is a stream, not a file to open and read back.
#[cfg(target_os = "linux")]
#[test]
fn a_full_disk_fails_the_open_closed() {
    assert!(matches!(
        JsonLinesSink::open("/dev/full"),
        Err(AuditError::Sink(m)) if m.contains("not a regular file")
    ));
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let clock = ManualClock::new(t0());
    let trail = Arc::new(AuditTrail::new(JsonLinesSink::new(full)).unwrap());
    let v = vault(&trail, &clock);
    let alice = sid("cus_alice");
    let sealed = seal(&v, &alice, 30);
    assert!(matches!(
        v.open(&sealed, &ctx(), &support(&alice)),
        Err(VaultError::Audit(AuditError::Sink(_)))
    ));
}

#[test]
fn a_memory_sink_owned_by_its_trail_keeps_what_a_shared_one_keeps() {
    // Owned, the sink is appended to without a lock of its own; shared, with one.
    let shared = Arc::new(MemorySink::new());
    let trails = [
        AuditTrail::new(MemorySink::new()).unwrap(),
        AuditTrail::new(Arc::clone(&shared)).unwrap(),
    ];
    let mut e = AuditEvent::new(EventKind::Access, t0());
    e.purpose = Some("Support".into());
    for trail in &trails {
        for i in 0..3 {
            e.at = t0() + TimeDelta::seconds(i);
            assert_eq!(trail.record(&e).unwrap(), i as u64);
        }
    }
    let all = custodian::audit::AuditQuery::default();
    let [owned, via_arc] = trails.map(|t| {
        assert_eq!(t.verify(None).unwrap().entries, 3);
        (
            t.query(&all).unwrap(),
            t.checkpoint(&signer(), t0()).unwrap().head,
        )
    });
    assert_eq!(owned.0.len(), 3);
    assert_eq!(owned, via_arc, "same events, same chain");
    assert_eq!(events(&shared), owned.0);
}

// ---------------------------------------------------------------------------------
// Tamper evidence: one random modification of a valid trail, found at its position.

#[derive(Clone, Debug)]
enum Tamper {
    EditEvent {
        at: usize,
        byte: usize,
        xor: u8,
    },
    EditHash {
        at: usize,
        byte: usize,
        xor: u8,
    },
    Delete {
        at: usize,
    },
    Insert {
        at: usize,
    },
    Swap {
        a: usize,
        b: usize,
    },
    Truncate {
        keep: usize,
    },
    /// The insider's rewrite: edit or delete the entry at `at`, then renumber and
    /// re-hash every entry from there (SHA-256 has no secret).
    Rewrite {
        at: usize,
        delete: bool,
    },
}

fn tamper(n: usize) -> impl Strategy<Value = Tamper> {
    let i = 0..n;
    let x = 1u8..=255;
    prop_oneof![
        (i.clone(), any::<usize>(), x.clone()).prop_map(|(at, byte, xor)| Tamper::EditEvent {
            at,
            byte,
            xor
        }),
        (i.clone(), 0usize..32, x).prop_map(|(at, byte, xor)| Tamper::EditHash { at, byte, xor }),
        i.clone().prop_map(|at| Tamper::Delete { at }),
        i.clone().prop_map(|at| Tamper::Insert { at }),
        (i.clone(), i.clone())
            .prop_filter("two positions", |(a, b)| a != b)
            .prop_map(|(a, b)| Tamper::Swap {
                a: a.min(b),
                b: a.max(b)
            }),
        i.clone().prop_map(|keep| Tamper::Truncate { keep }),
        (i, any::<bool>()).prop_map(|(at, delete)| Tamper::Rewrite { at, delete }),
    ]
}

/// Applies `t`; returns the position verification must report.
fn apply(t: &Tamper, entries: &mut Vec<AuditEntry>) -> u64 {
    match *t {
        Tamper::EditEvent { at, byte, xor } => {
            let len = entries[at].event.len();
            entries[at].event[byte % len] ^= xor;
            at as u64
        }
        Tamper::EditHash { at, byte, xor } => {
            entries[at].hash[byte] ^= xor;
            at as u64
        }
        Tamper::Delete { at } => {
            entries.remove(at);
            at as u64
        }
        Tamper::Insert { at } => {
            // A well-formed forgery: right position, right hash after its predecessor.
            // It verifies itself; the chain breaks at the entry it displaced, or, in
            // the checkpoint's last position, the signed head exposes it there.
            let last = at + 1 == entries.len();
            let prev = if at == 0 {
                [0; 32]
            } else {
                entries[at - 1].hash
            };
            let mut forged = AuditEvent::new(EventKind::Export, t0());
            forged.purpose = Some("forged".into());
            let event = forged.encode();
            let hash = chain_hash(&prev, at as u64, &event);
            entries.insert(
                at,
                AuditEntry {
                    seq: at as u64,
                    event,
                    hash,
                },
            );
            if last { at as u64 } else { at as u64 + 1 }
        }
        Tamper::Swap { a, b } => {
            entries.swap(a, b);
            a as u64
        }
        Tamper::Truncate { keep } => {
            entries.truncate(keep);
            keep as u64
        }
        Tamper::Rewrite { at, delete } => {
            // Consistent alone: only the checkpoint's last position exposes it.
            let signed_last = entries.len() as u64 - 1;
            if delete {
                entries.remove(at);
            } else {
                let mut forged = entries[at].decode().unwrap();
                forged.purpose = Some("Marketing".into());
                entries[at].event = forged.encode();
            }
            let mut prev = if at == 0 {
                [0; 32]
            } else {
                entries[at - 1].hash
            };
            for (i, e) in entries.iter_mut().enumerate().skip(at) {
                e.seq = i as u64;
                e.hash = chain_hash(&prev, e.seq, &e.event);
                prev = e.hash;
            }
            signed_last
        }
    }
}

fn position(e: &VerifyError) -> Option<u64> {
    match e {
        VerifyError::Altered { position } | VerifyError::Rewritten { position } => Some(*position),
        VerifyError::Truncated { found, .. } => Some(*found),
        _ => None,
    }
}

const TRAIL_LEN: usize = 12;

fn fill(trail: &Arc<AuditTrail>) {
    let clock = ManualClock::new(t0());
    let v = vault(trail, &clock);
    let subjects: Vec<_> = (0..3).map(|i| sid(&format!("cus_{i}"))).collect();
    let sealed: Vec<_> = subjects.iter().map(|s| seal(&v, s, 30)).collect();
    for i in 0..TRAIL_LEN {
        clock.advance(TimeDelta::minutes(1));
        let k = i % 3;
        v.open(&sealed[k], &ctx(), &support(&subjects[k])).unwrap();
    }
}

/// A SQLite store file (in `dir`) holding a filled trail, and the trail.
fn filled_sqlite(dir: &tempfile::TempDir) -> (std::path::PathBuf, Arc<AuditTrail>) {
    let path = dir.path().join("c.db");
    let trail = Arc::new(AuditTrail::new(SqliteStore::open(&path).unwrap()).unwrap());
    fill(&trail);
    (path, trail)
}

proptest! {
    #[test]
    fn any_modification_of_the_memory_trail_is_found_at_its_position(t in tamper(TRAIL_LEN)) {
        let sink = Arc::new(MemorySink::new());
        let trail = Arc::new(AuditTrail::new(Arc::clone(&sink)).unwrap());
        fill(&trail);
        let key = signer();
        let cp = trail.checkpoint(&key, t0()).unwrap();
        let expected = sink.tamper(|entries| apply(&t, entries)).unwrap();
        let trusted = TrustedKey::of(trail.id(), &key);
        let err = trail.verify(Some((&cp, &trusted))).unwrap_err();
        prop_assert_eq!(position(&err), Some(expected), "{:?}: {}", t, err);
        // The next checkpoint does not certify the modified trail: it is refused, or
        // it signs the history as it was and verification against it fails.
        let next = trail.checkpoint(&key, t0());
        let certified = next.as_ref().map(|cp| trail.verify(Some((cp, &trusted))));
        prop_assert!(!matches!(certified, Ok(Ok(_))), "{:?}: {:?}", t, next);
    }

    #[test]
    fn any_modification_of_the_sqlite_trail_is_found_at_its_position(t in tamper(TRAIL_LEN)) {
        let dir = tempfile::tempdir().unwrap();
        let (path, trail) = filled_sqlite(&dir);
        let key = signer();
        let cp = trail.checkpoint(&key, t0()).unwrap();
        drop(trail);
        // An insider with the file: drop the triggers and the unique index, and rewrite
        // the table, query columns included (consistent with each row's event).
        let store = SqliteStore::open(&path).unwrap();
        let mut entries = store.read(0, usize::MAX).unwrap();
        let expected = apply(&t, &mut entries);
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(
            "DROP TRIGGER audit_log_append_only_update; DROP TRIGGER audit_log_append_only_delete;
             DROP INDEX audit_log_by_seq; DELETE FROM audit_log;",
        ).unwrap();
        for e in &entries {
            let d = AuditEvent::decode(&e.event);
            conn.execute(
                "INSERT INTO audit_log (seq, event, hash, at_us, subject, actor, purpose)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                rusqlite::params![
                    e.seq as i64,
                    e.event,
                    &e.hash[..],
                    d.as_ref().map(|d| d.at.timestamp_micros()),
                    d.as_ref().and_then(|d| d.subject.as_ref().map(|s| s.as_str().to_owned())),
                    d.as_ref().and_then(|d| d.actor.as_ref().map(|a| a.id.clone())),
                    d.as_ref().and_then(|d| d.purpose.clone()),
                ],
            ).unwrap();
        }
        drop(conn);
        let trail = AuditTrail::new(SqliteStore::open(&path).unwrap()).unwrap();
        let err = trail.verify(Some((&cp, &TrustedKey::of(trail.id(), &key)))).unwrap_err();
        prop_assert_eq!(position(&err), Some(expected), "{:?}: {}", t, err);
    }
}

/// Reads `sink` in batches of 5, as `verify` reads (each continuing the last).
fn batched(sink: &dyn AuditSink) -> Vec<AuditEntry> {
    let mut all = Vec::new();
    loop {
        let batch = sink.read(all.len() as u64, 5).unwrap();
        if batch.is_empty() {
            return all;
        }
        all.extend(batch);
    }
}

/// Batched reads, reads away from and at the cursor where the last read stopped all
/// agree with one whole read. Returns the whole read.
fn reads_agree(sink: &dyn AuditSink) -> Vec<AuditEntry> {
    let whole = sink.read(0, usize::MAX).unwrap();
    assert_eq!(whole.len(), TRAIL_LEN);
    assert_eq!(batched(sink), whole);
    assert_eq!(
        sink.read(3, 4).unwrap(),
        whole[3..7],
        "away from the cursor"
    );
    assert_eq!(sink.read(7, 2).unwrap(), whole[7..9], "at the cursor");
    assert_eq!(
        sink.read(8, 1).unwrap(),
        whole[8..9],
        "just behind the cursor"
    );
    assert_eq!(sink.read(10, 5).unwrap(), whole[10..], "past the cursor");
    assert_eq!(sink.read(2, 1).unwrap(), whole[2..3], "before the cursor");
    whole
}

/// `read` by position in batches (as `verify` reads) gives the same entries as one
/// read, from the cursor where the last batch ended or from anywhere else, also after
/// an insider deleted a row (a gap in the table's row ids).
#[test]
fn sqlite_reads_in_batches_match_one_read_even_across_a_deleted_row() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _trail) = filled_sqlite(&dir);
    let store = SqliteStore::open(&path).unwrap();
    let whole = reads_agree(&store);

    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(
        "DROP TRIGGER audit_log_append_only_delete; DELETE FROM audit_log WHERE seq = 4;",
    )
    .unwrap();
    let gapped = store.read(0, usize::MAX).unwrap();
    assert_eq!(gapped.len(), TRAIL_LEN - 1);
    assert_eq!(gapped[4], whole[5]);
    assert_eq!(batched(&store), gapped);
    assert_eq!(
        AuditTrail::new(store).unwrap().verify(None),
        Err(VerifyError::Altered { position: 4 })
    );
}

/// The JSON Lines file is read from where the last read stopped, not from its start
/// each batch; the reads agree with one whole read, and go on after more appends.
#[test]
fn json_lines_reads_in_batches_match_one_read_and_continue_after_appends() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("trail.jsonl");
    let trail = Arc::new(AuditTrail::new(JsonLinesSink::open(&path).unwrap()).unwrap());
    fill(&trail);
    drop(trail);
    let sink = JsonLinesSink::open(&path).unwrap();
    let whole = reads_agree(&sink);
    let last = whole.last().unwrap();
    let trail = AuditTrail::new(sink).unwrap();
    trail
        .record(&AuditEvent::new(EventKind::Sweep, t0()))
        .unwrap();
    // Read while the trail still writes it (and holds its writer's lock).
    let more = JsonLinesSink::open_read_only(&path).unwrap();
    assert_eq!(more.last().unwrap().unwrap().seq, last.seq + 1);
    assert_eq!(more.read(0, usize::MAX).unwrap()[..TRAIL_LEN], whole[..]);
    assert_eq!(trail.verify(None).unwrap().entries, TRAIL_LEN as u64 + 1);
}

#[test]
fn sql_cannot_edit_or_delete_the_trail() {
    let dir = tempfile::tempdir().unwrap();
    let (path, trail) = filled_sqlite(&dir);
    let conn = rusqlite::Connection::open(&path).unwrap();
    assert!(
        conn.execute("DELETE FROM audit_log WHERE seq = 3", [])
            .is_err()
    );
    assert!(
        conn.execute("UPDATE audit_log SET purpose = 'x'", [])
            .is_err()
    );
    assert_eq!(trail.verify(None).unwrap().entries, TRAIL_LEN as u64);
}
