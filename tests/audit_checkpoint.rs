//! A checkpoint certifies only history the trail has verified (docs/audit.md,
//! "Checkpoints certify verified history"): an insider who rewrites the stored chain
//! (deletes an entry, renumbers and re-hashes the rest: SHA-256 has no secret) before
//! the next scheduled checkpoint does not get it signed, on SQLite (shared, read back
//! at each checkpoint) nor on a JSON Lines file reopened after a restart.

#[allow(dead_code)]
mod common;

use common::{signer, t0};

use std::path::Path;

use chrono::TimeDelta;
use custodian::ActorKind;
use custodian::audit::{
    ActorRecord, AuditError, AuditEvent, AuditTrail, Checkpoint, EventKind, JsonLinesSink,
    TrustedKey, VerifyError, chain_hash,
};
use custodian::sqlite::SqliteStore;
use ring::signature::Ed25519KeyPair;

/// An access by `actor`, `i` seconds after t0.
fn access(i: i64, actor: &str) -> AuditEvent {
    let mut e = AuditEvent::new(EventKind::Access, t0() + TimeDelta::seconds(i));
    e.actor = Some(ActorRecord {
        kind: ActorKind::Staff,
        id: actor.into(),
        role: Some("support".into()),
    });
    e.purpose = Some("billing".into());
    e
}

/// Ten accesses, the fourth (position 3) by a snooping employee.
fn record_ten(trail: &AuditTrail) {
    for i in 0..10 {
        let who = if i == 3 { "emp-snoop" } else { "emp-ok" };
        trail.record(&access(i, who)).unwrap();
    }
}

/// The insider's rewrite on SQLite: drop the triggers, delete the snoop's access,
/// renumber and re-hash every entry (the query columns stay consistent).
fn rewrite_sqlite(path: &Path) {
    let c = rusqlite::Connection::open(path).unwrap();
    c.execute_batch(
        "DROP TRIGGER audit_log_append_only_update; DROP TRIGGER audit_log_append_only_delete;",
    )
    .unwrap();
    c.execute("DELETE FROM audit_log WHERE actor = 'emp-snoop'", [])
        .unwrap();
    let rows: Vec<(i64, Vec<u8>)> = c
        .prepare("SELECT pos, event FROM audit_log ORDER BY pos")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let mut prev = [0u8; 32];
    for (seq, (pos, event)) in rows.iter().enumerate() {
        let h = chain_hash(&prev, seq as u64, event);
        c.execute(
            "UPDATE audit_log SET seq = ?1, hash = ?2 WHERE pos = ?3",
            rusqlite::params![seq as i64, &h[..], pos],
        )
        .unwrap();
        prev = h;
    }
}

/// The same rewrite on a JSON Lines file: drop the snoop's line, renumber and re-hash
/// the others (each line's readable `event` still matches its bytes).
fn rewrite_json_lines(path: &Path) {
    use base64::Engine;
    let text = std::fs::read_to_string(path).unwrap();
    let mut prev = [0u8; 32];
    let mut out = String::new();
    for line in text.lines().filter(|l| !l.contains("emp-snoop")) {
        let mut v: serde_json::Value = serde_json::from_str(line).unwrap();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(v["bytes"].as_str().unwrap())
            .unwrap();
        let seq = out.lines().count() as u64;
        prev = chain_hash(&prev, seq, &bytes);
        v["seq"] = seq.into();
        v["hash"] = prev
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
            .into();
        out.push_str(&v.to_string());
        out.push('\n');
    }
    std::fs::write(path, out).unwrap();
}

/// Whether `cp` is a checkpoint that certifies the trail as it now is.
fn certifies(trail: &AuditTrail, cp: &Result<Checkpoint, AuditError>, key: &TrustedKey) -> bool {
    cp.as_ref()
        .is_ok_and(|cp| trail.verify(Some((cp, key))).is_ok())
}

/// After the rewrite at position 9: verifying against the first checkpoint says where,
/// and no further checkpoint is signed.
#[track_caller]
fn still_refuses_the_rewrite(
    trail: &AuditTrail,
    cp1: &Checkpoint,
    trusted: &TrustedKey,
    key: &Ed25519KeyPair,
) {
    assert_eq!(
        trail.verify(Some((cp1, trusted))),
        Err(VerifyError::Rewritten { position: 9 })
    );
    assert!(matches!(
        trail.checkpoint(key, t0()),
        Err(AuditError::Unanchored)
    ));
}

#[test]
fn a_checkpoint_does_not_certify_history_rewritten_in_the_sqlite_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.db");
    let trail = AuditTrail::new(SqliteStore::open(&path).unwrap()).unwrap();
    let key = signer();
    let trusted = TrustedKey::of(trail.id(), &key);
    record_ten(&trail);
    let cp1 = trail.checkpoint(&key, t0()).unwrap();
    trail.verify(Some((&cp1, &trusted))).unwrap();

    rewrite_sqlite(&path);
    // The next scheduled checkpoint, by the trail that signed the first one.
    trail.record(&access(100, "emp-ok")).unwrap();
    let cp2 = trail.checkpoint(&key, t0() + TimeDelta::minutes(1));
    assert!(
        !certifies(&trail, &cp2, &trusted),
        "a checkpoint certifies the rewritten history: {cp2:?}"
    );
    // Refused, saying where the stored chain left the signed one.
    assert!(
        matches!(
            cp2,
            Err(AuditError::HistoryChanged(VerifyError::Rewritten {
                position: 9
            }))
        ),
        "{cp2:?}"
    );
    // Another process (the checkpoint job, restarted) gets none either: it must verify
    // the latest checkpoint first, and that fails.
    let job = AuditTrail::new(SqliteStore::open(&path).unwrap()).unwrap();
    assert!(matches!(
        job.checkpoint(&key, t0()),
        Err(AuditError::Unanchored)
    ));
    still_refuses_the_rewrite(&job, &cp1, &trusted, &key);
}

/// Ten entries written to the JSON Lines file at `path` and checkpointed under `key`,
/// by a trail that is then closed (the process stops).
fn ten_checkpointed_then_closed(path: &Path, key: &Ed25519KeyPair) -> Checkpoint {
    let trail = AuditTrail::new(JsonLinesSink::open(path).unwrap()).unwrap();
    record_ten(&trail);
    trail.checkpoint(key, t0()).unwrap()
}

#[test]
fn a_checkpoint_does_not_certify_history_rewritten_in_a_json_lines_file_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.jsonl");
    let key = signer();
    let cp1 = ten_checkpointed_then_closed(&path, &key);
    // While the process is down.
    rewrite_json_lines(&path);
    let trail = AuditTrail::new(JsonLinesSink::open(&path).unwrap()).unwrap();
    let trusted = TrustedKey::of(trail.id(), &key);
    assert_eq!(trail.verify(None).unwrap().entries, 9, "consistent alone");
    trail.record(&access(100, "emp-ok")).unwrap();
    let cp2 = trail.checkpoint(&key, t0() + TimeDelta::minutes(1));
    assert!(
        !certifies(&trail, &cp2, &trusted),
        "a checkpoint certifies the rewritten history: {cp2:?}"
    );
    assert!(matches!(cp2, Err(AuditError::Unanchored)), "{cp2:?}");
    still_refuses_the_rewrite(&trail, &cp1, &trusted, &key);
}

#[test]
fn after_a_restart_a_checkpoint_extends_the_verified_one() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.jsonl");
    let key = signer();
    let cp1 = ten_checkpointed_then_closed(&path, &key);
    let trail = AuditTrail::new(JsonLinesSink::open(&path).unwrap()).unwrap();
    let trusted = TrustedKey::of(trail.id(), &key);
    trail.record(&access(10, "emp-ok")).unwrap();
    assert_eq!(trail.verify(Some((&cp1, &trusted))).unwrap().entries, 11);
    trail.record(&access(11, "emp-ok")).unwrap();
    let cp2 = trail
        .checkpoint(&key, t0() + TimeDelta::minutes(1))
        .unwrap();
    assert_eq!(cp2.size, 12);
    assert_eq!(trail.verify(Some((&cp2, &trusted))).unwrap().entries, 12);
    // Verifying an older checkpoint does not move the trail back.
    assert_eq!(trail.verify(Some((&cp1, &trusted))).unwrap().entries, 12);
    let cp3 = trail
        .checkpoint(&key, t0() + TimeDelta::minutes(2))
        .unwrap();
    assert_eq!((cp3.size, &cp3.head), (12, &cp2.head));
}

#[test]
fn a_checkpoint_after_entries_were_cut_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.db");
    let trail = AuditTrail::new(SqliteStore::open(&path).unwrap()).unwrap();
    let key = signer();
    record_ten(&trail);
    trail.checkpoint(&key, t0()).unwrap();
    let c = rusqlite::Connection::open(&path).unwrap();
    c.execute_batch(
        "DROP TRIGGER audit_log_append_only_delete; DELETE FROM audit_log WHERE seq >= 7;",
    )
    .unwrap();
    assert!(matches!(
        trail.checkpoint(&key, t0()),
        Err(AuditError::HistoryChanged(VerifyError::Truncated {
            expected: 10,
            found: 7
        }))
    ));
}

#[test]
fn a_trail_never_checkpointed_is_accepted_once_by_decision() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.db");
    record_ten(&AuditTrail::new(SqliteStore::open(&path).unwrap()).unwrap());
    let trail = AuditTrail::new(SqliteStore::open(&path).unwrap()).unwrap();
    let key = signer();
    assert!(matches!(
        trail.checkpoint(&key, t0()),
        Err(AuditError::Unanchored)
    ));
    assert_eq!(trail.trust_unsigned_history().unwrap().entries, 10);
    let cp = trail.checkpoint(&key, t0()).unwrap();
    assert_eq!(cp.size, 10);
    let trusted = TrustedKey::of(trail.id(), &key);
    assert_eq!(trail.verify(Some((&cp, &trusted))).unwrap().entries, 10);
}

#[test]
fn a_stream_trail_checkpoints_what_it_wrote() {
    let trail = AuditTrail::new(JsonLinesSink::new(std::io::sink())).unwrap();
    record_ten(&trail);
    let a = trail.checkpoint(&signer(), t0()).unwrap();
    assert_eq!(a.size, 10);
    // The same chain, in memory, has the same head.
    let sink = custodian::audit::MemorySink::new();
    let mem = AuditTrail::new(sink).unwrap();
    record_ten(&mem);
    assert_eq!(mem.checkpoint(&signer(), t0()).unwrap().head, a.head);
    assert!(mem.verify(None).is_ok());
}
