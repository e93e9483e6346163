//! Event records on SQLite: an insider editing, deleting or forging them with plain
//! SQL is found, and two OS processes recording events on one file at once lose none.

mod common;

use std::path::Path;

use chrono::TimeDelta;
use common::anchors::*;
use common::sid;
use custodian::keys::KeyStore;
use custodian::retention::{Anchor, Clock, ManualClock};
use custodian::sqlite::SqliteStore;
use custodian::store::StoreError;
use custodian::{Access, Actor, OpenError, Retention, Vault, VaultError};

fn on_file() -> (tempfile::TempDir, std::path::PathBuf, ManualClock, Vault) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.db");
    let clock = ManualClock::new(t0());
    let v = vault_on(SqliteStore::open(&path).unwrap(), &clock);
    (dir, path, clock, v)
}

/// An insider with SQL access who drops the triggers guarding the event records.
fn insider(path: &Path) -> rusqlite::Connection {
    let c = rusqlite::Connection::open(path).unwrap();
    for name in ["anchor_events_kept_as_written", "anchor_events_insert_new"] {
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
fn event_records_cannot_be_edited_or_deleted_with_plain_sql() {
    let (_dir, path, _clock, v) = on_file();
    let a = sid("cus_a");
    op(&v).record_event(&a, Anchor::ContractEnd, t0()).unwrap();
    let c = rusqlite::Connection::open(&path).unwrap();
    assert!(c.execute("UPDATE anchor_events SET at_us = 0", []).is_err());
    assert!(c.execute("DELETE FROM anchor_events", []).is_err());
    assert!(
        c.execute("REPLACE INTO anchor_events SELECT * FROM anchor_events", [])
            .is_err()
    );
    assert_eq!(v.events_of(&a).unwrap().len(), 1);
}

#[test]
fn forged_event_record_is_refused() {
    let (_dir, path, clock, v) = on_file();
    let a = sid("cus_a");
    let sealed = seal(&v, &a, after_contract());
    clock.advance(TimeDelta::days(30));
    op(&v)
        .record_event(&a, Anchor::ContractEnd, clock.now())
        .unwrap();
    // The insider moves the end of the contract back by ten years, so the sweep would
    // destroy the data seven years early.
    insider(&path)
        .execute(
            "UPDATE anchor_events SET at_us = at_us - 315360000000000",
            [],
        )
        .unwrap();
    assert!(tampered(&v.events_of(&a)));
    assert!(tampered(&v.verify_retention(None)));
    assert!(tampered(&open(&v, &sealed, &a)));
    // Its schedule still says 2030: the sweep destroys nothing. Moved to now as well,
    // the sweep checks the events and refuses.
    op(&v).sweep().unwrap();
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute("UPDATE named_keys SET due_us = 0 WHERE kind = 'anchor'", [])
        .unwrap();
    assert!(tampered(&op(&v).sweep().map_err(VaultError::from)));
    assert!(
        SqliteStore::open(&path)
            .unwrap()
            .get(&anchor_key(&a))
            .unwrap()
            .is_some(),
        "nothing destroyed on a forged record"
    );
    // A row inserted without the key does not verify either.
    let (_dir, path, _, v) = on_file();
    seal(&v, &sid("cus_b"), after_contract());
    clock.set(t0());
    let c = insider(&path);
    c.execute(
        "INSERT INTO anchor_events (subject, subject_ref, anchor, at_us, recorded_us, mac)
         VALUES ('cus_b', 'x', 1, 0, 0, zeroblob(32))",
        [],
    )
    .unwrap();
    c.execute("UPDATE named_keys SET due_us = 0 WHERE kind = 'anchor'", [])
        .unwrap();
    assert!(tampered(&op(&v).sweep().map_err(VaultError::from)));
    assert!(tampered(&v.verify_retention(None)));
}

const RECORDER_ENV: &str = "CUSTODIAN_ANCHOR_RECORDER_DB";
const EVENTS_PER_PROCESS: i64 = 25;

/// The child role: records `EVENTS_PER_PROCESS` last contacts for one subject while
/// the parent does the same. Does nothing (passes) when run as an ordinary test.
#[test]
fn recorder_child_process() {
    let Ok(path) = std::env::var(RECORDER_ENV) else {
        return;
    };
    record_contacts(&path, 1);
}

fn record_contacts(path: impl AsRef<Path>, offset: i64) {
    let clock = ManualClock::new(t0() + TimeDelta::days(400));
    let v = vault_on(SqliteStore::open(path).unwrap(), &clock);
    let a = sid("cus_a");
    for i in 0..EVENTS_PER_PROCESS {
        let at = t0() + TimeDelta::days(2 * i + offset);
        op(&v).record_event(&a, Anchor::LastContact, at).unwrap();
        op(&v).sweep().unwrap();
    }
}

#[test]
fn two_processes_record_events_concurrently() {
    if std::env::var(RECORDER_ENV).is_ok() {
        return;
    }
    let (_dir, path, clock, v) = on_file();
    let a = sid("cus_a");
    let sealed = seal(&v, &a, Retention::parse("1y after last contact").unwrap());
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "recorder_child_process", "--nocapture"])
        .env(RECORDER_ENV, &path)
        .spawn()
        .unwrap();
    record_contacts(&path, 0);
    assert!(child.wait().unwrap().success(), "the other recorder failed");
    let events = v.events_of(&a).unwrap();
    assert_eq!(events.len() as i64, 2 * EVENTS_PER_PROCESS, "none lost");
    let last = t0() + TimeDelta::days(2 * (EVENTS_PER_PROCESS - 1) + 1);
    assert_eq!(events.iter().map(|e| e.at).max(), Some(last));
    // The end runs from the latest contact either process recorded.
    let access = Access::<Crm>::new(a.clone(), Actor::service("crm"));
    let one = ctx(Retention::parse("1y after last contact").unwrap());
    clock.set(last + TimeDelta::days(364));
    op(&v).sweep().unwrap();
    assert!(v.open(&sealed, &one, &access).is_ok());
    clock.set(last + TimeDelta::days(366));
    op(&v).sweep().unwrap();
    assert!(matches!(
        v.open(&sealed, &one, &access),
        Err(OpenError::Expired { .. })
    ));
}
