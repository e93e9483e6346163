//! Several writers on one store (docs/audit.md, "Threat model"): trails in several
//! processes append to one SQLite file and still form one verifiable chain; a vault
//! sharing the store with the one that erased a subject stops linking them within its
//! cache TTL (at once with `cache_ttl(ZERO)`) and never resurrects their pseudonym; an
//! audited open naming an unknown subject leaves no row behind.
//!
//! The two-process tests run this test binary again as the other process:
//! `child_process_entry` does nothing unless `CUSTODIAN_AUDIT_CHILD` names a role.

#[allow(dead_code)]
mod common;

use common::{ctx, t0, wait_for};

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use custodian::audit::{AuditEvent, AuditQuery, AuditTrail, EventKind};
use custodian::categories::Email;
use custodian::keys::LocalMasterKey;
use custodian::sqlite::SqliteStore;
use custodian::{Access, Actor, Personal, Retention, Sealed, SubjectId, Vault};

custodian::purpose! {
    struct Support { basis: Contract, description: "Answer requests.", uses: [Email] }
}

const ROLE: &str = "CUSTODIAN_AUDIT_CHILD";
const DIR: &str = "CUSTODIAN_AUDIT_CHILD_DIR";

fn alice() -> SubjectId {
    SubjectId::new("cus_alice").unwrap()
}

fn support(s: &SubjectId) -> Access<Support> {
    Access::new(s.clone(), Actor::staff("emp-42", "support"))
}

/// An audited vault on the store file at `path`, as every process of a fleet builds it.
fn vault(path: &Path, ttl: Duration) -> (Vault, Arc<AuditTrail>) {
    let store = SqliteStore::open(path).unwrap();
    let trail = Arc::new(AuditTrail::new(store.clone()).unwrap());
    let v = Vault::builder(LocalMasterKey::from_slice("kek", &[1; 32]).unwrap(), store)
        .cache_ttl(ttl)
        .audit(Arc::clone(&trail))
        .build();
    (v, trail)
}

fn seal(v: &Vault) -> Sealed<String, Email> {
    v.seal(
        &Personal::new(alice(), "alice.secret@example.com".to_string()),
        &ctx().retain(Retention::Days(30)),
    )
    .unwrap()
}

fn pseudonym_rows(path: &Path) -> i64 {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.query_row(
        "SELECT COUNT(*) FROM named_keys WHERE kind = 'pseudonym'",
        [],
        |r| r.get(0),
    )
    .unwrap()
}

fn event(who: &str, i: usize) -> AuditEvent {
    let mut e = AuditEvent::new(EventKind::Export, t0());
    e.purpose = Some(format!("{who}-{i}"));
    e
}

/// Every event of the trail at `path` once, by purpose; and the trail verifies.
fn verified_purposes(path: &Path) -> BTreeMap<String, usize> {
    let trail = AuditTrail::new(SqliteStore::open(path).unwrap()).unwrap();
    let all = trail.query(&AuditQuery::default()).unwrap();
    assert_eq!(trail.verify(None).unwrap().entries, all.len() as u64);
    let mut seen = BTreeMap::new();
    for e in all {
        *seen.entry(e.purpose.unwrap()).or_insert(0) += 1;
    }
    seen
}

#[test]
fn two_trails_on_one_sqlite_file_interleave_into_one_chain() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.db");
    // Two handles on one file, as two processes have: each trail caches a head.
    let one = AuditTrail::new(SqliteStore::open(&path).unwrap()).unwrap();
    let two = AuditTrail::new(SqliteStore::open(&path).unwrap()).unwrap();
    let mut positions = Vec::new();
    for i in 0..10 {
        positions.push(one.record(&event("one", i)).unwrap());
        positions.push(two.record(&event("two", i)).unwrap());
        if i % 3 == 0 {
            positions.push(one.record(&event("one-more", i)).unwrap());
        }
    }
    let expected: Vec<u64> = (0..positions.len() as u64).collect();
    assert_eq!(positions, expected, "each append reports its real position");
    let seen = verified_purposes(&path);
    assert_eq!(seen.len(), positions.len());
    assert!(seen.values().all(|&n| n == 1));
    // A checkpoint signs what the store holds, whichever trail wrote it.
    let key = ring::signature::Ed25519KeyPair::from_pkcs8(
        ring::signature::Ed25519KeyPair::generate_pkcs8(&ring::rand::SystemRandom::new())
            .unwrap()
            .as_ref(),
    )
    .unwrap();
    let cp = two.checkpoint(&key, t0()).unwrap();
    assert_eq!(cp.size, positions.len() as u64);
    let trusted = custodian::audit::TrustedKey::of(two.id(), &key);
    assert_eq!(one.verify(Some((&cp, &trusted))).unwrap().entries, cp.size);
}

const PER_PROCESS: usize = 150;
/// Events each process appends in strict alternation before the free-for-all.
const LOCKSTEP: usize = 20;

/// Appends `LOCKSTEP` events taking turns with the other process (this one writes
/// when the stored size has parity `turn`), so that the head this trail knows is
/// stale before every append; then `PER_PROCESS - LOCKSTEP` more from two threads at
/// once, racing the other process.
fn append_from(path: &Path, who: &str, turn: u64) {
    let store = SqliteStore::open(path).unwrap();
    let trail = Arc::new(AuditTrail::new(store.clone()).unwrap());
    let wait_until = |ready: &dyn Fn(u64) -> bool| {
        let start = Instant::now();
        while !ready(stored_size(&store)) {
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "the other process stalled"
            );
            std::thread::sleep(Duration::from_millis(1));
        }
    };
    for i in 0..LOCKSTEP {
        wait_until(&|size| size == 2 * i as u64 + turn);
        trail.record(&event(&format!("{who}-turn"), i)).unwrap();
    }
    // Neither races ahead before the other's last turn.
    wait_until(&|size| size >= 2 * LOCKSTEP as u64);
    let threads: Vec<_> = (0..2)
        .map(|t| {
            let trail = Arc::clone(&trail);
            let who = format!("{who}{t}");
            std::thread::spawn(move || {
                for i in 0..(PER_PROCESS - LOCKSTEP) / 2 {
                    trail.record(&event(&who, i)).unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
}

fn stored_size(store: &SqliteStore) -> u64 {
    custodian::audit::AuditSink::last(store)
        .unwrap()
        .map_or(0, |e| e.seq + 1)
}

fn child(role: &str, dir: &Path) -> std::process::Child {
    Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_process_entry", "--nocapture"])
        .env(ROLE, role)
        .env(DIR, dir)
        .spawn()
        .unwrap()
}

#[test]
fn two_processes_appending_to_one_sqlite_file_form_one_verifiable_chain() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.db");
    drop(SqliteStore::open(&path).unwrap());
    let mut other = child("append", dir.path());
    append_from(&path, "parent", 0);
    assert!(other.wait().unwrap().success(), "the other process failed");
    let seen = verified_purposes(&path);
    assert_eq!(seen.len(), 2 * PER_PROCESS);
    assert!(seen.values().all(|&n| n == 1), "an event stored twice");
    // The two processes took turns, each chaining onto the other's last entry.
    let trail = AuditTrail::new(SqliteStore::open(&path).unwrap()).unwrap();
    let writers: Vec<bool> = trail
        .query(&AuditQuery::default())
        .unwrap()
        .iter()
        .map(|e| e.purpose.as_deref().unwrap().starts_with("child"))
        .collect();
    let switches = writers.windows(2).filter(|w| w[0] != w[1]).count();
    assert!(
        switches >= 2 * LOCKSTEP - 1,
        "the appends did not interleave ({switches} switches)"
    );
}

/// Vault B (another handle on the store) opened alice before vault A erased her.
fn erased_meanwhile(path: &Path, ttl: Duration) -> (Vault, Arc<AuditTrail>, Sealed<String, Email>) {
    let (a, _) = vault(path, Duration::from_secs(60));
    let sealed = seal(&a);
    let (b, trail) = vault(path, ttl);
    b.open(&sealed, &ctx(), &support(&alice())).unwrap();
    assert_eq!(b.access_history(&alice()).unwrap().len(), 1);
    a.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .erase(&alice())
        .unwrap();
    assert_eq!(pseudonym_rows(path), 0);
    (b, trail, sealed)
}

/// After the erasure B neither links alice's events nor writes her old pseudonym,
/// and no pseudonym secret of hers comes back.
fn b_has_forgotten_alice(
    path: &Path,
    b: &Vault,
    trail: &AuditTrail,
    sealed: &Sealed<String, Email>,
) {
    assert!(b.access_history(&alice()).unwrap().is_empty());
    assert_eq!(b.audit_pseudonym(&alice()).unwrap(), None);
    assert!(b.open(sealed, &ctx(), &support(&alice())).is_err());
    b.operator(Actor::service("dsar"))
        .record_export(&alice())
        .unwrap();
    let all = trail.query(&AuditQuery::default()).unwrap();
    let first = all[0].subject.clone().unwrap();
    let after: Vec<_> = all
        .iter()
        .skip_while(|e| e.kind != EventKind::Erasure)
        .skip(1)
        .collect();
    assert_eq!(after.len(), 2, "the refused open and the export");
    assert!(after.iter().all(|e| e.subject.as_ref() != Some(&first)));
    assert!(after.iter().all(|e| e.subject.is_none()));
    assert_eq!(pseudonym_rows(path), 0);
}

#[test]
fn a_vault_without_cache_stops_linking_a_subject_another_vault_erased() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.db");
    let (b, trail, sealed) = erased_meanwhile(&path, Duration::ZERO);
    b_has_forgotten_alice(&path, &b, &trail, &sealed);
}

#[test]
fn a_vault_forgets_an_erased_subjects_pseudonym_within_its_cache_ttl() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.db");
    let ttl = Duration::from_millis(300);
    let (b, trail, sealed) = erased_meanwhile(&path, ttl);
    std::thread::sleep(ttl * 2);
    b_has_forgotten_alice(&path, &b, &trail, &sealed);
}

#[test]
fn a_vault_in_another_process_stops_linking_a_subject_erased_here() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.db");
    let (a, _) = vault(&path, Duration::from_secs(60));
    let sealed = seal(&a);
    std::fs::write(
        dir.path().join("sealed.json"),
        serde_json::to_vec(&sealed).unwrap(),
    )
    .unwrap();
    let mut b = child("vault-b", dir.path());
    wait_for(&dir.path().join("b-opened"));
    a.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .erase(&alice())
        .unwrap();
    std::fs::write(dir.path().join("erased"), b"").unwrap();
    assert!(b.wait().unwrap().success(), "vault B still linked alice");
    assert_eq!(pseudonym_rows(&path), 0);
    let seen = AuditTrail::new(SqliteStore::open(&path).unwrap()).unwrap();
    assert_eq!(
        seen.verify(None).unwrap().entries,
        4,
        "open, erasure, open, export"
    );
}

/// The other process of the two-process tests (see the module's docs).
#[test]
fn child_process_entry() {
    let (Ok(role), Ok(dir)) = (std::env::var(ROLE), std::env::var(DIR)) else {
        return;
    };
    let dir = PathBuf::from(dir);
    let path = dir.join("c.db");
    match role.as_str() {
        "append" => append_from(&path, "child", 1),
        "vault-b" => {
            let (b, trail) = vault(&path, Duration::ZERO);
            let sealed: Sealed<String, Email> =
                serde_json::from_slice(&std::fs::read(dir.join("sealed.json")).unwrap()).unwrap();
            b.open(&sealed, &ctx(), &support(&alice())).unwrap();
            assert_eq!(b.access_history(&alice()).unwrap().len(), 1);
            std::fs::write(dir.join("b-opened"), b"").unwrap();
            wait_for(&dir.join("erased"));
            b_has_forgotten_alice(&path, &b, &trail, &sealed);
        }
        other => panic!("unknown child role {other}"),
    }
}

#[test]
fn audited_opens_naming_unknown_subjects_add_no_rows() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.db");
    let (v, trail) = vault(&path, Duration::from_secs(60));
    let sealed = seal(&v);
    v.open(&sealed, &ctx(), &support(&alice())).unwrap();
    let rows = pseudonym_rows(&path);
    assert_eq!(rows, 1, "alice's");
    let rng = ring::rand::SystemRandom::new();
    for _ in 0..1000 {
        let mut id = [0u8; 12];
        ring::rand::SecureRandom::fill(&rng, &mut id).unwrap();
        let stranger = SubjectId::new(format!(
            "cus_{}",
            u128::from_le_bytes({
                let mut b = [0u8; 16];
                b[..12].copy_from_slice(&id);
                b
            })
        ))
        .unwrap();
        assert!(v.open(&sealed, &ctx(), &support(&stranger)).is_err());
    }
    assert_eq!(pseudonym_rows(&path), rows);
    let all = trail.query(&AuditQuery::default()).unwrap();
    assert_eq!(all.len(), 1001, "every refused open is still recorded");
    assert!(all[1..].iter().all(|e| e.subject.is_none()));
}
