//! Consent evidence against a determined caller with access to the SQLite file: raw SQL
//! that bypasses or removes the triggers, forged rows whose links are recomputed with
//! the forger's own key, several writers on one file, and files that are not
//! custodian's.

use std::path::Path;

use chrono::{DateTime, Duration, TimeZone, Utc};
use custodian::categories::Email;
use custodian::consent::{
    Channel, ConsentError, ConsentEvent, ConsentGiven, ConsentLedger, ConsentMethod, ConsentStore,
    Evidence, EvidenceKey, Notice,
};
use custodian::retention::ManualClock;
use custodian::sqlite::SqliteStore;
use custodian::store::StoreError;
use custodian::{Actor, SubjectId};
use rusqlite::{Connection, params};

custodian::purpose! {
    /// Consent purpose.
    pub struct Promo { name: "Promo", basis: Consent, description: "Offers by email.", uses: [Email] }
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()
}

fn key() -> EvidenceKey {
    EvidenceKey::from_slice(&[7u8; 32]).unwrap()
}

fn sid(s: &str) -> SubjectId {
    SubjectId::new(s).unwrap()
}

fn evidence() -> Evidence {
    Evidence::new(
        Notice::new("promo", 1, "Email me offers."),
        ConsentMethod::TickedCheckbox,
        Channel::Web,
    )
}

/// A ledger whose clock reads an hour after `t0()`, with the notice registered.
fn ledger(path: &Path) -> ConsentLedger {
    let l = ConsentLedger::new(SqliteStore::open(path).unwrap(), key())
        .unwrap()
        .with_clock(ManualClock::new(t0() + Duration::hours(1)));
    if l.verify(None).is_ok() {
        l.register_notice::<Promo>("promo", 1, "Email me offers.")
            .unwrap();
    }
    l
}

/// A store where `a` gave consent at t0 and withdrew it an hour later.
fn withdrawn_store(dir: &tempfile::TempDir) -> std::path::PathBuf {
    let path = dir.path().join("custodian.db");
    let l = ledger(&path);
    l.give_at::<Promo>(&sid("a"), evidence(), t0()).unwrap();
    // (The ledger's clock reads t0 + 1 h.)
    l.withdraw::<Promo>(&sid("a"), Actor::data_subject(), Channel::Email)
        .unwrap();
    path
}

fn is_tampered<T: std::fmt::Debug>(r: Result<T, ConsentError>) -> Option<u64> {
    match r {
        Err(ConsentError::Store(StoreError::Tampered { position, .. })) => Some(position),
        _ => None,
    }
}

/// The forger's SQL: what a person with the file and the schema, but without the
/// evidence key, can do once the triggers are out of the way.
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

const GIVEN_SQL: &str = "INTO consent_events (seq, subject, purpose, kind, at_us, channel,
     notice_id, notice_version, notice_sha256, method, mac)
     VALUES (?1, 'a', 'Promo', 'given', ?2, 'web', 'promo', 1, ?3, 'ticked_checkbox', ?4)";

#[test]
fn replace_into_consent_events_is_refused_and_the_withdrawal_stands() {
    let dir = tempfile::tempdir().unwrap();
    let path = withdrawn_store(&dir);
    let conn = Connection::open(&path).unwrap();
    let sha = Notice::new("promo", 1, "Email me offers.").text_sha256;
    for verb in ["REPLACE", "INSERT OR REPLACE"] {
        // Replace the withdrawal (seq 2) with a "given" row: REPLACE's implicit delete
        // fires no DELETE trigger, but the INSERT trigger refuses a position in use.
        let r = conn.execute(
            &format!("{verb} {GIVEN_SQL}"),
            params![
                2,
                (t0() + Duration::hours(2)).timestamp_micros(),
                &sha[..],
                &[0u8; 32][..]
            ],
        );
        assert!(r.is_err(), "{verb} was accepted");
    }
    let l = ledger(&path);
    assert!(matches!(
        l.check::<Promo>(&sid("a")),
        Err(ConsentError::Withdrawn { .. })
    ));
    assert_eq!(l.verify(None).unwrap().events, 2);
}

#[test]
fn forged_given_row_with_recomputed_links_does_not_authorise() {
    let dir = tempfile::tempdir().unwrap();
    let path = withdrawn_store(&dir);
    let live = ledger(&path);
    // The forger knows the format and recomputes every link, but with a key of their
    // own: they append a "given" dated after the withdrawal, at the right position.
    let forger_key = EvidenceKey::from_slice(&[9u8; 32]).unwrap();
    let conn = Connection::open(&path).unwrap();
    drop_triggers(&conn);
    let head: Vec<u8> = conn
        .query_row("SELECT mac FROM consent_events WHERE seq = 2", [], |r| {
            r.get(0)
        })
        .unwrap();
    let forged = ConsentEvent::Given(ConsentGiven {
        subject: sid("a"),
        purpose: "Promo".into(),
        notice: Notice::new("promo", 1, "Email me offers."),
        method: ConsentMethod::TickedCheckbox,
        channel: Channel::Web,
        at: t0() + Duration::hours(2),
        expires_at: None,
        recorded_at: t0() + Duration::hours(2),
        recorded_by: Actor::data_subject(),
        explicit: false,
        parental: None,
        contact: None,
        form_ref: None,
        scope: None,
    });
    let mac = forger_key.event_mac(&head.try_into().unwrap(), 3, 2, &forged);
    let sha = Notice::new("promo", 1, "Email me offers.").text_sha256;
    conn.execute(
        &format!("INSERT {GIVEN_SQL}"),
        params![
            3,
            (t0() + Duration::hours(2)).timestamp_micros(),
            &sha[..],
            &mac[..]
        ],
    )
    .unwrap();

    // The ledger already open refuses the decision from the forged row...
    assert_eq!(is_tampered(live.check::<Promo>(&sid("a"))), Some(3));
    assert!(
        live.access::<Promo>(&sid("a"), Actor::service("m"))
            .is_err()
    );
    // ...a ledger opened afterwards finds it in its verification and decides nothing...
    let reopened = ledger(&path);
    assert_eq!(is_tampered(reopened.verify(None)), Some(3));
    assert_eq!(is_tampered(reopened.check::<Promo>(&sid("b"))), Some(3));
    assert!(reopened.give::<Promo>(&sid("b"), evidence()).is_err());
    // ...but still records a withdrawal.
    reopened
        .withdraw::<Promo>(&sid("b"), Actor::data_subject(), Channel::Web)
        .unwrap();
}

#[test]
fn edited_or_deleted_evidence_is_found_at_its_position() {
    // Edit: the withdrawal becomes a consent.
    let dir = tempfile::tempdir().unwrap();
    let path = withdrawn_store(&dir);
    let live = ledger(&path);
    let conn = Connection::open(&path).unwrap();
    drop_triggers(&conn);
    let sha = Notice::new("promo", 1, "Email me offers.").text_sha256;
    conn.execute(
        "UPDATE consent_events SET kind = 'given', notice_id = 'promo', notice_version = 1,
             notice_sha256 = ?1, method = 'ticked_checkbox' WHERE seq = 2",
        params![&sha[..]],
    )
    .unwrap();
    assert_eq!(is_tampered(live.check::<Promo>(&sid("a"))), Some(2));
    assert_eq!(is_tampered(ledger(&path).verify(None)), Some(2));

    // Delete: the withdrawal disappears, with another subject's event after it.
    let dir = tempfile::tempdir().unwrap();
    let path = withdrawn_store(&dir);
    let l = ledger(&path);
    l.give_at::<Promo>(&sid("b"), evidence(), t0()).unwrap();
    let report = l.verify(None).unwrap();
    let conn = Connection::open(&path).unwrap();
    drop_triggers(&conn);
    conn.execute("DELETE FROM consent_events WHERE seq = 2", [])
        .unwrap();
    assert_eq!(is_tampered(ledger(&path).verify(None)), Some(2));

    // Delete the newest event: only a report kept elsewhere shows the cut.
    conn.execute("DELETE FROM consent_events WHERE seq = 3", [])
        .unwrap();
    assert!(is_tampered(ledger(&path).verify(Some(&report))).is_some());
}

/// Item 18: a DBA deletes a withdrawal that is not the newest row while a ledger stays
/// open. The triggers refuse the DELETE; once the DBA drops the trigger, the running
/// ledger's next check refuses to decide (the row after the subject's last event is
/// missing), instead of granting processing again until a restart.
#[test]
fn a_deleted_withdrawal_is_refused_by_a_running_ledger_at_its_next_check() {
    let dir = tempfile::tempdir().unwrap();
    let path = withdrawn_store(&dir);
    let live = ledger(&path);
    live.give_at::<Promo>(&sid("b"), evidence(), t0()).unwrap();
    assert!(matches!(
        live.check::<Promo>(&sid("a")),
        Err(ConsentError::Withdrawn { .. })
    ));
    let conn = Connection::open(&path).unwrap();
    let delete = "DELETE FROM consent_events WHERE kind = 'withdrawn'";
    assert!(conn.execute(delete, []).is_err(), "the trigger refuses it");
    conn.execute_batch("DROP TRIGGER consent_events_removed_only_at_erasure")
        .unwrap();
    assert_eq!(conn.execute(delete, []).unwrap(), 1);
    assert_eq!(is_tampered(live.check::<Promo>(&sid("a"))), Some(2));
    assert_eq!(
        is_tampered(live.access::<Promo>(&sid("a"), Actor::service("mailer"))),
        Some(2)
    );
    // The next subject's event no longer links over its predecessor either.
    assert_eq!(is_tampered(live.check::<Promo>(&sid("b"))), Some(3));
}

/// Item 18, with other subjects' events between the consent and the deleted
/// withdrawal (so the row after the pair's last remaining event still links over it):
/// a running ledger that recorded or saw the withdrawal refuses to decide, and a
/// restarted one refuses too (its opening verification finds the gap).
#[test]
fn a_deleted_withdrawal_far_from_its_consent_is_refused_by_a_ledger_that_saw_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("custodian.db");
    let live = ledger(&path);
    live.give_at::<Promo>(&sid("a"), evidence(), t0()).unwrap(); // 1
    live.give_at::<Promo>(&sid("b"), evidence(), t0()).unwrap(); // 2
    live.withdraw::<Promo>(&sid("a"), Actor::data_subject(), Channel::Email)
        .unwrap(); // 3
    live.give_at::<Promo>(&sid("c"), evidence(), t0()).unwrap(); // 4
    let seen = ledger(&path);
    assert!(matches!(
        seen.check::<Promo>(&sid("a")),
        Err(ConsentError::Withdrawn { .. })
    ));
    let conn = Connection::open(&path).unwrap();
    conn.execute_batch("DROP TRIGGER consent_events_removed_only_at_erasure")
        .unwrap();
    conn.execute("DELETE FROM consent_events WHERE seq = 3", [])
        .unwrap();
    assert_eq!(is_tampered(live.check::<Promo>(&sid("a"))), Some(3));
    assert_eq!(is_tampered(seen.check::<Promo>(&sid("a"))), Some(3));
    assert_eq!(
        is_tampered(ledger(&path).check::<Promo>(&sid("a"))),
        Some(3)
    );
}

#[test]
fn notice_floor_cannot_be_lowered_by_sql() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("custodian.db");
    let l = ledger(&path);
    l.require_notice_version::<Promo>("promo", 2).unwrap();
    l.require_notice_version::<Promo>("promo", 3).unwrap();
    let conn = Connection::open(&path).unwrap();
    for sql in [
        "UPDATE notice_floor_log SET version = 1",
        "DELETE FROM notice_floor_log",
        "REPLACE INTO notice_floor_log (seq, purpose, notice_id, version, mac) VALUES (2, 'Promo', 'promo', 1, zeroblob(32))",
        "INSERT INTO notice_floors (purpose, version) VALUES ('Promo', 1)",
        "UPDATE notice_floors SET version = 1",
    ] {
        // Refused, or (the frozen pre-schema-8 table being empty) changing nothing.
        let r = conn.execute(sql, []);
        assert!(!matches!(r, Ok(n) if n > 0), "accepted: {sql}");
    }
    assert_eq!(l.required_version::<Promo>("promo").unwrap(), 3);

    // Without the triggers, the edited raise no longer authenticates: the floor is not
    // read from it, and decisions are refused.
    drop_triggers(&conn);
    conn.execute("UPDATE notice_floor_log SET version = 1 WHERE seq = 2", [])
        .unwrap();
    assert_eq!(is_tampered(l.required_version::<Promo>("promo")), Some(2));
    l.give_at::<Promo>(&sid("a"), evidence(), t0()).unwrap_err();
    assert_eq!(is_tampered(ledger(&path).verify(None)), Some(2));
}

#[test]
fn two_ledgers_on_one_file_make_one_verifiable_chain() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("custodian.db");
    let a = ledger(&path);
    let b = ledger(&path);
    std::thread::scope(|s| {
        for (l, tag) in [(&a, "a"), (&b, "b")] {
            s.spawn(move || {
                for i in 0..25 {
                    let who = sid(&format!("{tag}{}", i % 5));
                    l.give_at::<Promo>(&who, evidence(), t0() + Duration::seconds(i))
                        .unwrap();
                    if i % 3 == 0 {
                        l.withdraw::<Promo>(&who, Actor::data_subject(), Channel::Web)
                            .unwrap();
                    }
                }
            });
        }
    });
    let report = a.verify(None).unwrap();
    assert_eq!(report.events, 2 * (25 + 9));
    assert_eq!(b.verify(None).unwrap(), report);
}

const CHILD_ENV: &str = "CUSTODIAN_CONSENT_CHILD_DB";

/// Runs only as the child of `two_processes_on_one_file_make_one_verifiable_chain`.
#[test]
fn child_process_appends_consent() {
    let Ok(path) = std::env::var(CHILD_ENV) else {
        return;
    };
    let tag = std::process::id();
    let l = ledger(Path::new(&path));
    for i in 0..30 {
        let who = sid(&format!("p{tag}-{}", i % 4));
        l.give_at::<Promo>(&who, evidence(), t0() + Duration::seconds(i))
            .unwrap();
    }
}

#[test]
fn two_processes_on_one_file_make_one_verifiable_chain() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("custodian.db");
    let exe = std::env::current_exe().unwrap();
    let children: Vec<_> = (0..2)
        .map(|_| {
            std::process::Command::new(&exe)
                .args(["--exact", "child_process_appends_consent", "--nocapture"])
                .env(CHILD_ENV, &path)
                .spawn()
                .unwrap()
        })
        .collect();
    for mut c in children {
        assert!(c.wait().unwrap().success());
    }
    let store = SqliteStore::open(&path).unwrap();
    let report = store.verify(&key(), None).unwrap();
    assert_eq!(report.events, 60);
}

#[test]
fn open_refuses_another_applications_database() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.db");
    {
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(
            "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);
             INSERT INTO users (email) VALUES ('x@example.com');",
        )
        .unwrap();
    }
    match SqliteStore::open(&path) {
        Err(StoreError::ForeignDatabase { objects, .. }) => assert_eq!(objects, 1),
        Err(e) => panic!("expected ForeignDatabase, got {e}"),
        Ok(_) => panic!("another application's database was opened"),
    }
    let conn = Connection::open(&path).unwrap();
    let tables: i64 = conn
        .query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))
        .unwrap();
    assert_eq!(tables, 1, "custodian wrote into another application's file");
    let journal: String = conn
        .pragma_query_value(None, "journal_mode", |r| r.get(0))
        .unwrap();
    assert_eq!(
        journal, "delete",
        "custodian switched another application's file to WAL"
    );

    // Another application's id, even on an empty file.
    let other = dir.path().join("other.db");
    Connection::open(&other)
        .unwrap()
        .pragma_update(None, "application_id", 0x1234)
        .unwrap();
    assert!(matches!(
        SqliteStore::open(&other),
        Err(StoreError::ForeignDatabase {
            application_id: 0x1234,
            ..
        })
    ));
}

#[test]
fn open_refuses_an_unknown_schema_version_and_adopts_its_own_old_files() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("custodian.db");
    drop(SqliteStore::open(&path).unwrap());
    let conn = Connection::open(&path).unwrap();
    let id: i32 = conn
        .pragma_query_value(None, "application_id", |r| r.get(0))
        .unwrap();
    assert_ne!(id, 0, "a new store carries custodian's application_id");

    // A custodian file from before application ids (id 0, custodian's tables) opens.
    conn.pragma_update(None, "application_id", 0).unwrap();
    drop(SqliteStore::open(&path).unwrap());
    let again: i32 = conn
        .pragma_query_value(None, "application_id", |r| r.get(0))
        .unwrap();
    assert_eq!(again, id);

    conn.pragma_update(None, "user_version", 5).unwrap();
    assert!(matches!(
        SqliteStore::open(&path),
        Err(StoreError::SchemaUnknown { found: 5, .. })
    ));
}

#[test]
fn a_ledger_with_another_key_refuses_to_decide_rather_than_trust_the_rows() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("custodian.db");
    ledger(&path)
        .give_at::<Promo>(&sid("cus_secret_9"), evidence(), t0())
        .unwrap();
    let wrong = EvidenceKey::from_slice(&[8u8; 32]).unwrap();
    let l = ConsentLedger::new(SqliteStore::open(&path).unwrap(), wrong).unwrap();
    let err = l.check::<Promo>(&sid("cus_secret_9")).unwrap_err();
    assert!(matches!(
        err,
        ConsentError::Store(StoreError::Tampered { position: 1, .. })
    ));
    let msg = err.to_string();
    assert!(
        msg.contains("evidence key") && !msg.contains("cus_secret_9"),
        "{msg}"
    );
    // With the right key the same file decides again.
    ledger(&path).check::<Promo>(&sid("cus_secret_9")).unwrap();
}

#[test]
fn evidence_from_before_links_is_refused_until_adopted_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("custodian.db");
    drop(SqliteStore::open(&path).unwrap());
    // Rows as a build before schema 8 wrote them: no links; and a floor in the old table.
    let conn = Connection::open(&path).unwrap();
    // (Only the insert guards go: adoption below runs under the update guard.)
    conn.execute_batch(
        "DROP TRIGGER consent_events_append_at_end; DROP TRIGGER notice_floors_frozen_insert;",
    )
    .unwrap();
    let sha = Notice::new("promo", 1, "Email me offers.").text_sha256;
    conn.execute(
        "INSERT INTO consent_events (seq, subject, purpose, kind, at_us, channel, notice_id,
             notice_version, notice_sha256, method)
         VALUES (1, 'a', 'Promo', 'given', ?1, 'web', 'promo', 2, ?2, 'ticked_checkbox')",
        params![t0().timestamp_micros(), &sha[..]],
    )
    .unwrap();
    conn.execute(
        "INSERT INTO consent_events (seq, subject, purpose, kind, at_us, channel, actor_kind,
             actor_id) VALUES (2, 'b', 'Promo', 'withdrawn', ?1, 'web', 'data_subject', 'data-subject')",
        params![t0().timestamp_micros()],
    )
    .unwrap();
    conn.execute(
        "INSERT INTO notice_floors (purpose, version) VALUES ('Promo', 2)",
        [],
    )
    .unwrap();

    let l = ledger(&path);
    assert_eq!(is_tampered(l.check::<Promo>(&sid("a"))), Some(1));
    assert!(
        is_tampered(l.withdraw::<Promo>(&sid("a"), Actor::data_subject(), Channel::Web)).is_some()
    );

    assert_eq!(l.link_unlinked_evidence().unwrap(), 2);
    l.check::<Promo>(&sid("a")).unwrap();
    assert_eq!(l.required_version::<Promo>("promo").unwrap(), 2);
    let report = l.verify(None).unwrap();
    assert_eq!((report.events, report.floors), (2, 1));
    assert_eq!(l.link_unlinked_evidence().unwrap(), 0);
    // A link, once set, is never updated.
    let r = conn.execute(
        "UPDATE consent_events SET mac = zeroblob(32) WHERE seq = 1",
        [],
    );
    assert!(r.is_err());

    // Once evidence is linked, an unlinked row is never adopted.
    conn.execute(
        "INSERT INTO consent_events (seq, subject, purpose, kind, at_us, channel, notice_id,
             notice_version, notice_sha256, method)
         VALUES (3, 'a', 'Promo', 'given', ?1, 'web', 'promo', 2, ?2, 'ticked_checkbox')",
        params![t0().timestamp_micros(), &sha[..]],
    )
    .unwrap();
    assert_eq!(is_tampered(l.link_unlinked_evidence()), Some(3));
}
