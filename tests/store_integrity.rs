//! Legal holds and tombstones in the SQLite file against an insider with SQL access but
//! without the master key: plain SQL is refused by triggers; an insider who drops the
//! triggers is found by the keyed MACs and counts before anything is destroyed or
//! sealed (`docs/retention.md`, "Threat model").

#[allow(dead_code)]
mod common;

use common::sid;

use std::path::Path;

use chrono::{Duration, Utc};
use custodian::categories::Email;
use custodian::keys::LocalMasterKey;
use custodian::retention::ManualClock;
use custodian::sqlite::SqliteStore;
use custodian::store::StoreError;
use custodian::{
    Access, Actor, Context, Personal, Retention, Sealed, SubjectId, Vault, VaultError,
};

custodian::purpose! {
    pub struct Claims {
        name: "legal-claims",
        basis: LegitimateInterests,
        description: "Establish, exercise or defend legal claims.",
        uses: [Email],
    }
}

fn vault(path: &Path, clock: &ManualClock) -> Vault {
    Vault::builder(
        LocalMasterKey::from_slice("kek-1", &[4; 32]).unwrap(),
        SqliteStore::open(path).unwrap(),
    )
    .clock(clock.clone())
    .build()
}

/// A fresh store file "s.db" in a temporary directory (kept while the test runs), a
/// clock at now, and a vault on the file.
fn on_file() -> (tempfile::TempDir, std::path::PathBuf, ManualClock, Vault) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.db");
    let clock = ManualClock::new(Utc::now());
    let v = vault(&path, &clock);
    (dir, path, clock, v)
}

fn ctx() -> Context<Email> {
    Context::new("customer", "email")
        .unwrap()
        .retain(Retention::Days(1))
}

fn seal(v: &Vault, s: &SubjectId) -> Sealed<String, Email> {
    v.seal(
        &Personal::<String, Email>::new(s.clone(), "held@example.com".into()),
        &ctx(),
    )
    .unwrap()
}

fn open(v: &Vault, sealed: &Sealed<String, Email>, s: &SubjectId) -> Result<(), VaultError> {
    v.open(
        sealed,
        &ctx(),
        &Access::<Claims>::new(s.clone(), Actor::service("legal")),
    )
    .map(|_| ())
}

/// A plain connection to the file, as a DBA would open it.
fn sql(path: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open(path).unwrap()
}

/// An insider who can change the schema: drops every trigger guarding holds,
/// tombstones and their head.
fn insider(path: &Path) -> rusqlite::Connection {
    let c = sql(path);
    let names: Vec<String> = c
        .prepare(
            "SELECT name FROM sqlite_schema WHERE type = 'trigger'
             AND tbl_name IN ('legal_holds', 'shredded_subjects', 'retention_head')",
        )
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for name in names {
        c.execute_batch(&format!("DROP TRIGGER \"{name}\""))
            .unwrap();
    }
    c
}

fn tampered(r: &Result<impl std::fmt::Debug, VaultError>) -> bool {
    matches!(
        r,
        Err(VaultError::Store(StoreError::RetentionTampered { .. }))
    )
}

#[test]
fn deleting_or_replacing_hold_rows_with_plain_sql_is_refused() {
    let (_dir, path, _clock, v) = on_file();
    let alice = sid("cus_alice");
    let hold = v
        .operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .hold::<Claims>(&alice, "case 2027-14", None)
        .unwrap();
    let c = sql(&path);
    assert!(c.execute("DELETE FROM legal_holds", []).is_err());
    // REPLACE deletes the old row without firing DELETE triggers.
    assert!(
        c.execute(
            "REPLACE INTO legal_holds (id, subject, reason, placed_us)
             SELECT id, subject, 'nothing to see', placed_us FROM legal_holds",
            [],
        )
        .is_err()
    );
    assert!(
        c.execute("UPDATE legal_holds SET reason = 'edited'", [])
            .is_err()
    );
    assert!(
        c.execute("UPDATE legal_holds SET until_us = 1", [])
            .is_err()
    );
    v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .release(&hold.id)
        .unwrap();
    // A release is never undone.
    assert!(
        c.execute("UPDATE legal_holds SET released_us = NULL", [])
            .is_err()
    );
    let holds = v.holds().unwrap();
    assert_eq!(holds.len(), 1);
    assert_eq!(holds[0].reason, "case 2027-14");
    assert!(holds[0].released_at.is_some());
}

#[test]
fn deleting_or_replacing_tombstones_with_plain_sql_is_refused() {
    let (_dir, path, clock, v) = on_file();
    let alice = sid("cus_alice");
    seal(&v, &alice);
    v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .erase(&alice)
        .unwrap();
    let c = sql(&path);
    assert!(c.execute("DELETE FROM shredded_subjects", []).is_err());
    assert!(
        c.execute(
            "REPLACE INTO shredded_subjects (subject_hash, shredded_us)
             SELECT subject_hash, 0 FROM shredded_subjects",
            [],
        )
        .is_err()
    );
    assert!(
        c.execute("UPDATE shredded_subjects SET subject_hash = 'x'", [])
            .is_err()
    );
    let other = vault(&path, &clock);
    assert!(matches!(
        other.seal(
            &Personal::<String, Email>::new(alice.clone(), "a@x.io".into()),
            &ctx()
        ),
        Err(VaultError::Shredded)
    ));
}

/// The finding: a hold deleted by SQL, then the nightly sweep destroyed the held data
/// and nothing said a hold had vanished.
#[test]
fn sweep_refuses_after_a_hold_row_was_deleted_and_the_held_data_survives() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.db");
    let t0 = Utc::now();
    let clock = ManualClock::new(t0);
    let v = vault(&path, &clock);
    let alice = sid("cus_alice");
    let sealed = seal(&v, &alice);
    v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .hold::<Claims>(&alice, "case 2027-14: litigation hold", None)
        .unwrap();

    let c = insider(&path);
    c.execute_batch("CREATE TABLE saved AS SELECT * FROM legal_holds")
        .unwrap();
    assert_eq!(c.execute("DELETE FROM legal_holds", []).unwrap(), 1);

    clock.set(t0 + Duration::days(4));
    let swept = v
        .operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .sweep();
    assert!(
        tampered(&swept),
        "sweep on a store missing a hold: {swept:?}"
    );
    assert!(tampered(&v.holds()));
    // A fresh vault (another process) refuses too.
    assert!(tampered(
        &vault(&path, &clock)
            .operator(custodian::Actor::staff("emp-7", "privacy-officer"))
            .sweep()
    ));

    // Restored from the evidence, the hold is whole again and nothing was destroyed.
    c.execute_batch("INSERT INTO legal_holds SELECT * FROM saved")
        .unwrap();
    v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .sweep()
        .unwrap();
    open(&v, &sealed, &alice).unwrap();
}

#[test]
fn forged_hold_row_is_refused_and_does_not_block_erasure_silently() {
    let (_dir, path, _clock, v) = on_file();
    let (alice, bob) = (sid("cus_alice"), sid("cus_bob"));
    seal(&v, &bob);
    let real = v
        .operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .hold::<Claims>(&alice, "case 2027-14", None)
        .unwrap();
    v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .release(&real.id)
        .unwrap();

    let c = insider(&path);
    c.execute(
        "INSERT INTO legal_holds (id, subject, reason, placed_us, scope_purposes, scope_categories)
         VALUES ('0123456789abcdef0123456789abcdef', 'cus_bob', 'case 9999', 0,
                 '[\"legal-claims\"]', '[\"user.contact.email\"]')",
        [],
    )
    .unwrap();
    let erased = v
        .operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .erase(&bob);
    assert!(
        tampered(&erased),
        "a forged hold was honoured or ignored: {erased:?}"
    );
    assert!(tampered(&v.holds()));
    assert!(tampered(
        &v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
            .sweep()
    ));
}

#[test]
fn reverting_a_release_to_its_earlier_authentic_row_is_found() {
    let (_dir, path, _clock, v) = on_file();
    let alice = sid("cus_alice");
    seal(&v, &alice);
    let hold = v
        .operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .hold::<Claims>(&alice, "case 2027-14", None)
        .unwrap();
    let c = insider(&path);
    // The insider keeps a copy of the row while the hold is active...
    c.execute_batch("CREATE TABLE saved AS SELECT * FROM legal_holds")
        .unwrap();
    v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .release(&hold.id)
        .unwrap();
    // ...and puts it back after the release, to block the erasure.
    c.execute_batch("DELETE FROM legal_holds; INSERT INTO legal_holds SELECT * FROM saved")
        .unwrap();
    let erased = v
        .operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .erase(&alice);
    assert!(tampered(&erased), "a reverted release: {erased:?}");
}

/// The finding: after a tombstone was deleted, a fresh vault sealed new data for the
/// erased subject.
#[test]
fn deleted_tombstone_is_found_before_sealing_for_the_erased_subject() {
    let (_dir, path, clock, v) = on_file();
    let alice = sid("cus_alice");
    seal(&v, &alice);
    v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .erase(&alice)
        .unwrap();

    let c = insider(&path);
    assert_eq!(c.execute("DELETE FROM shredded_subjects", []).unwrap(), 1);
    let other = vault(&path, &clock);
    let again = other.seal(
        &Personal::<String, Email>::new(alice.clone(), "a@x.io".into()),
        &ctx(),
    );
    assert!(tampered(&again), "sealed for an erased subject: {again:?}");
    let none: i64 = c
        .query_row("SELECT count(*) FROM subject_keys", [], |r| r.get(0))
        .unwrap();
    assert_eq!(none, 0, "a key was created for the erased subject");
}

#[test]
fn erasing_a_subject_that_never_existed_writes_no_tombstone() {
    let (_dir, path, _clock, v) = on_file();
    let count = || -> i64 {
        sql(&path)
            .query_row("SELECT count(*) FROM shredded_subjects", [], |r| r.get(0))
            .unwrap()
    };
    for i in 0..50 {
        let receipt = v
            .operator(custodian::Actor::staff("emp-7", "privacy-officer"))
            .erase(&sid(&format!("bogus_{i}")))
            .unwrap();
        assert_eq!(receipt.subject_keys_destroyed, 0);
        assert_eq!(receipt.escrowed_keys_destroyed, 0);
    }
    assert_eq!(count(), 0);
    // A real subject gets its tombstone, once.
    let alice = sid("cus_alice");
    seal(&v, &alice);
    v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .erase(&alice)
        .unwrap();
    v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .erase(&alice)
        .unwrap();
    assert_eq!(count(), 1);
    // Memory store: the same rule; data sealed after the request is new data.
    let mem = Vault::in_memory(LocalMasterKey::from_slice("kek-1", &[4; 32]).unwrap());
    let ghost = sid("cus_ghost");
    mem.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .erase(&ghost)
        .unwrap();
    let sealed = seal(&mem, &ghost);
    mem.open(
        &sealed,
        &ctx(),
        &Access::<Claims>::new(ghost.clone(), Actor::service("legal")),
    )
    .unwrap();
}

/// What nothing inside the store can show: the whole store put back to an older copy,
/// rows and head together. A report kept elsewhere (the anchor) shows it.
#[test]
fn a_store_rolled_back_with_its_head_is_found_only_against_an_anchor() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.db");
    let old = dir.path().join("old.db");
    let clock = ManualClock::new(Utc::now());
    let alice = sid("cus_alice");
    let anchor = {
        let v = vault(&path, &clock);
        seal(&v, &alice);
        v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
            .hold::<Claims>(&sid("cus_bob"), "case 1", None)
            .unwrap();
        sql(&path)
            .execute("VACUUM INTO ?1", [old.to_str().unwrap()])
            .unwrap();
        v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
            .erase(&alice)
            .unwrap();
        let anchor = v.verify_retention(None).unwrap();
        assert_eq!(anchor.counts.holds, 1);
        assert_eq!(anchor.counts.tombstones, 1);
        anchor
    };
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    std::fs::copy(&old, &path).unwrap();
    let v = vault(&path, &clock);
    // Consistent in itself: the older copy verifies...
    let now = v.verify_retention(None).unwrap();
    assert_eq!(now.counts.tombstones, 0);
    // ...but not against the anchor.
    let against = v.verify_retention(Some(&anchor));
    assert!(tampered(&against), "{against:?}");
}

/// A store upgraded from before schema 11 has no MACs: the first keyed use adopts the
/// rows present. A head stripped of its MAC while the rows keep theirs is refused, not
/// adopted.
#[test]
fn records_without_macs_are_adopted_once_and_a_stripped_head_alone_is_refused() {
    let (_dir, path, clock, v) = on_file();
    let alice = sid("cus_alice");
    let hold = v
        .operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .hold::<Claims>(&alice, "case 1", None)
        .unwrap();
    let bob = sid("cus_bob");
    seal(&v, &bob);
    v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .erase(&bob)
        .unwrap();

    let c = insider(&path);
    c.execute_batch("UPDATE retention_head SET mac = NULL")
        .unwrap();
    assert!(tampered(&vault(&path, &clock).holds()));

    // The state of a store written before schema 11: no MAC anywhere.
    c.execute_batch("UPDATE legal_holds SET mac = NULL; UPDATE shredded_subjects SET mac = NULL;")
        .unwrap();
    let upgraded = vault(&path, &clock);
    let report = upgraded.verify_retention(None).unwrap();
    assert_eq!((report.counts.holds, report.counts.tombstones), (1, 1));
    assert_eq!(upgraded.holds().unwrap()[0].id, hold.id);
    let macs: i64 = c
        .query_row(
            "SELECT (SELECT count(mac) FROM legal_holds) + (SELECT count(mac) FROM shredded_subjects)
                  + (SELECT count(mac) FROM retention_head)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(macs, 3, "every record and the head have their MAC");
    upgraded
        .operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .release(&hold.id)
        .unwrap();
    upgraded.verify_retention(Some(&report)).unwrap();
}

/// The same rules on the memory store, through the same calls.
#[test]
fn the_memory_store_keeps_the_same_records_and_reports_them() {
    let clock = ManualClock::new(Utc::now());
    let v = Vault::builder(
        LocalMasterKey::from_slice("kek-1", &[4; 32]).unwrap(),
        custodian::memory::MemoryKeyStore::new(),
    )
    .clock(clock.clone())
    .build();
    let (alice, bob) = (sid("cus_alice"), sid("cus_bob"));
    let hold = v
        .operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .hold::<Claims>(&alice, "case 1", None)
        .unwrap();
    seal(&v, &bob);
    v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .erase(&bob)
        .unwrap();
    v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .erase(&sid("cus_never"))
        .unwrap();
    v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .release(&hold.id)
        .unwrap();
    v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .erase(&alice)
        .unwrap();
    let report = v.verify_retention(None).unwrap();
    assert_eq!(
        report.counts,
        custodian::retention::RetentionCounts {
            holds: 1,
            released: 1,
            erased: 1,
            tombstones: 2,
        }
    );
    v.verify_retention(Some(&report)).unwrap();
}

/// Tombstones are keyed references: with the `subject-ref` secret deleted, a vault
/// would make a new one, no tombstone would match any more, and every erased subject
/// could be sealed for again. The head's MAC covers a check value of that secret.
#[test]
fn a_replaced_subject_reference_secret_is_found_before_sealing_for_an_erased_subject() {
    let (_dir, path, clock, v) = on_file();
    let alice = sid("cus_alice");
    seal(&v, &alice);
    v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .erase(&alice)
        .unwrap();

    let c = sql(&path);
    assert_eq!(
        c.execute(
            "DELETE FROM named_keys WHERE kind = 'secret' AND name = 'subject-ref'",
            []
        )
        .unwrap(),
        1
    );
    let other = vault(&path, &clock);
    let again = other.seal(
        &Personal::<String, Email>::new(alice.clone(), "a@x.io".into()),
        &ctx(),
    );
    assert!(tampered(&again), "sealed for an erased subject: {again:?}");
}
