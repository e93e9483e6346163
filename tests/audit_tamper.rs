//! Tamper evidence of the audit trail: checkpoints against truncation and rewritten
//! history, one random modification of a valid trail found at its position, reads in
//! batches that agree with one whole read, and SQL that cannot edit the trail.

mod common;

use common::audit::{seal, support, vault};
use common::{ctx, sid, signer, t0};

use std::sync::Arc;

use chrono::TimeDelta;
use custodian::audit::{
    AuditEntry, AuditEvent, AuditSink, AuditTrail, EventKind, JsonLinesSink, MemorySink,
    TrustedKey, VerifyError, chain_hash,
};
use custodian::retention::{Clock, ManualClock};
use custodian::sqlite::SqliteStore;
use proptest::prelude::*;

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
