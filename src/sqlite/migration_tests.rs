//! Migration tests of the SQLite store: a file written by an older schema opens,
//! upgrades, and keeps what it held verifiable.

use chrono::{Duration, TimeZone, Utc};

use super::SqliteStore;
use super::schema::{APPLICATION_ID, STEPS};
use crate::consent::{ConsentError, ConsentLedger, ConsentStore, EvidenceKey};
use crate::retention::ManualClock;

crate::purpose! {
    struct Promo { name: "Promo", basis: Consent, description: "Offers.", uses: [crate::categories::Email] }
}

/// A file written by a schema-8 build (linked consent and a withdrawal) upgrades to
/// schema 10 with its links intact: it verifies, decides, and erases.
#[test]
fn a_populated_schema_8_file_upgrades_and_still_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.db");
    let key = EvidenceKey::from_slice(&[7u8; 32]).unwrap();
    let t0 = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let sha = crate::consent::Notice::new("promo", 1, "Offers.").text_sha256;
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        for &(to, sql) in STEPS.iter().filter(|(to, _)| *to <= 8) {
            conn.execute_batch(sql)
                .unwrap_or_else(|e| panic!("step {to}: {e}"));
        }
        conn.pragma_update(None, "user_version", 8).unwrap();
        conn.pragma_update(None, "application_id", APPLICATION_ID)
            .unwrap();
        // The rows a schema-8 ledger wrote, with the links it computed.
        let given = crate::consent::ConsentEvent::Given(crate::consent::ConsentGiven {
            subject: crate::SubjectId::new("a").unwrap(),
            purpose: "Promo".into(),
            notice: crate::consent::Notice::new("promo", 1, "Offers."),
            method: crate::consent::ConsentMethod::TickedCheckbox,
            channel: crate::consent::Channel::Web,
            at: t0,
            expires_at: None,
            recorded_at: t0,
            recorded_by: crate::Actor::data_subject(),
            explicit: false,
            parental: None,
            contact: None,
            form_ref: None,
            scope: None,
        });
        let m1 = key.event_mac(&[0u8; 32], 1, 0, &given);
        conn.execute(
            "INSERT INTO consent_events (seq, subject, purpose, kind, at_us, channel,
                 notice_id, notice_version, notice_sha256, method, mac)
             VALUES (1, 'a', 'Promo', 'given', ?1, 'web', 'promo', 1, ?2, 'ticked_checkbox', ?3)",
            rusqlite::params![t0.timestamp_micros(), &sha[..], &m1[..]],
        )
        .unwrap();
        let floor = key.floor_mac(&[0u8; 32], 1, "Promo", 1);
        conn.execute(
            "INSERT INTO notice_floor_log (seq, purpose, version, mac) VALUES (1, 'Promo', 1, ?1)",
            rusqlite::params![&floor[..]],
        )
        .unwrap();
    }
    let store = SqliteStore::open(&path).unwrap();
    let ledger = ConsentLedger::new(store.clone(), key)
        .unwrap()
        .with_clock(ManualClock::new(t0 + Duration::hours(1)));
    let report = ledger.verify(None).unwrap();
    assert_eq!((report.events, report.floors), (1, 1));
    ledger
        .check::<Promo>(&crate::SubjectId::new("a").unwrap())
        .unwrap();
    ledger.erase(&crate::SubjectId::new("a").unwrap()).unwrap();
    assert!(matches!(
        ledger.check::<Promo>(&crate::SubjectId::new("a").unwrap()),
        Err(ConsentError::Erased { .. })
    ));
    store
        .verify(&EvidenceKey::from_slice(&[7u8; 32]).unwrap(), None)
        .unwrap();
}

/// The table list the open check derives from the steps is the set of tables a fresh
/// store has (no more: it would refuse every store; no fewer: it would miss one).
#[test]
fn tables_derived_from_the_steps_are_those_of_a_fresh_store() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fresh.db");
    drop(SqliteStore::open(&path).unwrap());
    let conn = rusqlite::Connection::open(&path).unwrap();
    let mut stmt = conn
        .prepare(
            "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
             ORDER BY name",
        )
        .unwrap();
    let fresh: Vec<String> = stmt
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let mut derived = super::schema::tables_at(super::schema::SCHEMA_VERSION);
    derived.sort();
    assert_eq!(derived, fresh);
}
