//! Retention enforced by keys (docs/retention.md): dates from the declared retention,
//! expiry, sweeps and reseal; one test per rule. Legal holds and erasure are in
//! `legal_hold.rs`. The model test of every rule together is
//! `custodian::testkit::vault_store`, run on the memory store and on the SQLite store
//! reopened by `tests/conformance.rs`.

mod common;

use common::retention::{Crm, ctx, is_expired, master, open, seal, t0};
use common::{sid, vault_on};

use std::sync::Arc;

use chrono::{TimeDelta, TimeZone, Utc};
use custodian::categories::{Email, Phone};
use custodian::keys::{KeyName, KeyStore};
use custodian::memory::MemoryKeyStore;
use custodian::retention::{Clock, ManualClock};
use custodian::sqlite::SqliteStore;
use custodian::{Context, Personal, Retention, SealError, Sealed, Vault, VaultError};

#[test]
fn the_header_records_collection_and_expiry_from_the_declared_retention() {
    let clock = ManualClock::new(t0());
    let v = Vault::builder(master(), MemoryKeyStore::new())
        .clock(clock.clone())
        .default_retention::<Phone>(Retention::Months(6))
        .build();
    let a = sid("cus_1");
    // The exact dates are sealed inside the value (format v3); the vault reads them.
    let h = |d: custodian::Dates| (d.collected, d.expires);
    let declared = seal(&v, &a, 30);
    assert_eq!(
        h(v.dates(&declared, &ctx(30)).unwrap()),
        (t0().timestamp(), (t0() + TimeDelta::days(30)).timestamp())
    );
    // No retention on the context: the category's default.
    let phone: Context<Phone> = Context::new("customer", "phone").unwrap();
    let p = v
        .seal(&Personal::new(a.clone(), "+15550100".to_string()), &phone)
        .unwrap();
    let six_months = Utc.with_ymd_and_hms(2027, 7, 1, 12, 0, 0).unwrap();
    assert_eq!(h(v.dates(&p, &phone).unwrap()).1, six_months.timestamp());
    // "Until erased" is kept only when declared.
    let email: Context<Email> = Context::new("customer", "email")
        .unwrap()
        .retain(Retention::UntilErased);
    let e = v
        .seal(
            &Personal::new(a.clone(), "a@example.com".to_string()),
            &email,
        )
        .unwrap();
    assert_eq!(h(v.dates(&e, &email).unwrap()).1, i64::MAX);
    clock.advance(TimeDelta::days(365 * 50));
    assert_eq!(open(&v, &e, &a).unwrap(), "a@example.com");
}

#[test]
fn sealing_without_any_declared_retention_is_refused_not_kept_until_erased() {
    let clock = ManualClock::new(t0());
    let v = Vault::builder(master(), MemoryKeyStore::new())
        .clock(clock.clone())
        .default_retention::<Phone>(Retention::Months(6))
        .build();
    let a = sid("cus_1");
    // Neither the context nor the vault declares a retention for `Email`.
    let email: Context<Email> = Context::new("customer", "email").unwrap();
    let refused = v
        .seal(
            &Personal::new(a.clone(), "a@example.com".to_string()),
            &email,
        )
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        refused.starts_with("no retention is declared for category `user.contact.email`"),
        "sealing without a retention was not refused: {refused:?}"
    );
    assert!(!refused.contains("a@example.com"), "{refused}");
    // The explicit choice is accepted, and so is the vault's default for a category.
    let kept = v.seal(
        &Personal::new(a.clone(), "a@example.com".to_string()),
        &email.clone().retain(Retention::UntilErased),
    );
    assert!(kept.is_ok(), "{kept:?}");
    let phone: Context<Phone> = Context::new("customer", "phone").unwrap();
    assert!(
        v.seal(&Personal::new(a, "+15550100".to_string()), &phone)
            .is_ok()
    );
}

#[test]
fn a_value_kept_from_the_end_of_year_expires_at_new_year_after_the_period_and_is_swept() {
    // An invoice email of 3 March 2027, Berlin, kept 8 years from the end of 2027
    // (§147(4) AO): readable through 31 December 2035 (Berlin), expired from 1 January
    // 2036, 00:00 Berlin (23:00 UTC the day before), and gone after the sweep.
    let collected = Utc.with_ymd_and_hms(2027, 3, 3, 9, 0, 0).unwrap();
    let clock = ManualClock::new(collected);
    let v = vault_on(MemoryKeyStore::new(), &clock);
    let a = sid("cus_1");
    let invoice = Context::<Email>::new("customer", "email")
        .unwrap()
        .retain(Retention::parse("8y from end of year +01:00").unwrap());
    let sealed = v
        .seal(
            &Personal::new(a.clone(), "a@example.com".to_string()),
            &invoice,
        )
        .unwrap();
    let new_year = Utc.with_ymd_and_hms(2035, 12, 31, 23, 0, 0).unwrap();
    assert_eq!(
        v.dates(&sealed, &invoice).unwrap().expires,
        new_year.timestamp()
    );
    clock.set(new_year - TimeDelta::seconds(1));
    assert_eq!(open(&v, &sealed, &a).unwrap(), "a@example.com");
    clock.set(new_year);
    assert!(is_expired(&open(&v, &sealed, &a)));
    clock.set(new_year + TimeDelta::days(2));
    v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .sweep()
        .unwrap();
    assert!(matches!(
        open(&v, &sealed, &a),
        Err(VaultError::Expired { .. } | VaultError::EpochKeyNotFound { .. })
    ));
}

#[test]
fn an_expired_value_is_refused_even_while_its_key_exists() {
    let clock = ManualClock::new(t0());
    let v = vault_on(MemoryKeyStore::new(), &clock);
    let a = sid("cus_1");
    let sealed = seal(&v, &a, 30);
    clock.advance(TimeDelta::days(30) - TimeDelta::seconds(1));
    assert_eq!(open(&v, &sealed, &a).unwrap(), "cus_1@example.com");
    clock.advance(TimeDelta::seconds(1));
    match open(&v, &sealed, &a) {
        Err(VaultError::Expired { at }) => assert_eq!(at, t0() + TimeDelta::days(30)),
        other => panic!("expected Expired, got {other:?}"),
    }
    // Moving the expiry day forward in the header selects another key: it is bound.
    let mut bytes = sealed.into_bytes();
    let n = usize::from(bytes[2]);
    // The header's expiry day is the UTC day number of the expiry (docs/format.md).
    let later = u32::try_from((t0() + TimeDelta::days(60)).timestamp() / 86_400).unwrap();
    bytes[7 + n..11 + n].copy_from_slice(&later.to_be_bytes());
    let edited = Sealed::<String, Email>::from_bytes(bytes).unwrap();
    let header = edited.header().unwrap();
    assert!(header.expired_by() > clock.unix_seconds());
    assert!(matches!(
        open(&v, &edited, &a),
        Err(VaultError::Decrypt | VaultError::EpochKeyNotFound { .. })
    ));
}

#[test]
fn a_sweep_destroys_ended_epochs_only_and_costs_nothing_per_record() {
    let clock = ManualClock::new(t0());
    let store = Arc::new(MemoryKeyStore::new());
    let v = vault_on(Arc::clone(&store), &clock);
    let a = sid("cus_1");
    let short = seal(&v, &a, 2);
    let long = seal(&v, &a, 10);
    clock.advance(TimeDelta::days(3));
    let report = v
        .operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .sweep()
        .unwrap();
    assert_eq!(report.epochs_destroyed.len(), 1);
    assert!(
        store
            .get(&KeyName::Epoch(report.epochs_destroyed[0]))
            .unwrap()
            .is_none()
    );
    assert!(is_expired(&open(&v, &short, &a)));
    assert_eq!(open(&v, &long, &a).unwrap(), "cus_1@example.com");
    // A hold placed after the sweep cannot bring back what the sweep destroyed.
    v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .hold::<Crm>(&a, "case 1", None)
        .unwrap();
    assert!(is_expired(&open(&v, &short, &a)));
    // Idempotent: nothing more to destroy.
    assert!(
        v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
            .sweep()
            .unwrap()
            .epochs_destroyed
            .is_empty()
    );
    // A fresh vault on the same store agrees.
    let fresh = vault_on(Arc::clone(&store), &clock);
    assert!(is_expired(&open(&fresh, &short, &a)));
    assert_eq!(open(&fresh, &long, &a).unwrap(), "cus_1@example.com");
}

#[test]
fn reseal_keeps_the_dates_and_a_clock_behind_the_sweep_cannot_seal_into_a_swept_day() {
    let clock = ManualClock::new(t0());
    let v = vault_on(MemoryKeyStore::new(), &clock);
    let a = sid("cus_a");
    let sealed = seal(&v, &a, 30);
    clock.advance(TimeDelta::days(10));
    v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .rotate_subject_key(&a)
        .unwrap();
    let resealed = v.reseal(&sealed, &ctx(30)).unwrap();
    let (h0, h1) = (sealed.header().unwrap(), resealed.header().unwrap());
    assert_eq!(h0.expiry_day, h1.expiry_day);
    assert_eq!(
        v.dates(&sealed, &ctx(30)).unwrap(),
        v.dates(&resealed, &ctx(30)).unwrap()
    );
    assert_eq!(h1.key_version, 2);
    // Sweep far ahead, then seal with the clock set back before that sweep.
    clock.advance(TimeDelta::days(100));
    v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .sweep()
        .unwrap();
    clock.set(t0());
    assert!(matches!(
        v.seal(
            &Personal::new(a.clone(), "x@example.com".to_string()),
            &ctx(1)
        ),
        Err(SealError::EpochSwept { .. })
    ));
}

#[test]
fn sqlite_sweep_leaves_no_copy_of_the_epoch_key_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.db");
    let clock = ManualClock::new(t0());
    let store = SqliteStore::open(&path).unwrap();
    let v = vault_on(store.clone(), &clock);
    let a = sid("cus_a");
    let sealed = seal(&v, &a, 1);
    let epoch = sealed.header().unwrap().epoch();
    let wrapped = store.get(&KeyName::Epoch(epoch)).unwrap().unwrap().wrapped;
    let on_disk = || {
        let mut bytes = std::fs::read(&path).unwrap();
        bytes.extend(std::fs::read(dir.path().join("c.db-wal")).unwrap_or_default());
        bytes.windows(wrapped.len()).any(|w| w == wrapped)
    };
    assert!(
        on_disk(),
        "the wrapped epoch key is stored before the sweep"
    );
    clock.advance(TimeDelta::days(2));
    assert_eq!(
        v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
            .sweep()
            .unwrap()
            .epochs_destroyed,
        [epoch]
    );
    assert!(
        !on_disk(),
        "the wrapped epoch key survived the sweep on disk"
    );
    drop(v);
    let reopened = vault_on(SqliteStore::open(&path).unwrap(), &clock);
    assert!(is_expired(&open(&reopened, &sealed, &a)));
}
