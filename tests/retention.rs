//! Retention, legal hold and erasure enforced by keys (docs/retention.md): one test per
//! rule. The model test of every rule together is `custodian::testkit::vault_store`,
//! run on the memory store and on the SQLite store reopened by `tests/conformance.rs`.

use std::sync::Arc;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use custodian::VaultStore;
use custodian::categories::{Email, Phone};
use custodian::keys::{KeyName, KeyStore, LocalMasterKey};
use custodian::memory::MemoryKeyStore;
use custodian::retention::{Clock, ManualClock};
use custodian::sqlite::SqliteStore;
use custodian::{
    Access, Actor, Context, Personal, PersonalData, Retention, Sealed, SubjectId, Vault, VaultError,
};

custodian::purpose! {
    struct Crm { basis: Contract, description: "Serve the account.", uses: [Email, Phone] }
    struct Claims { basis: LegitimateInterests, description: "Defend legal claims.", uses: [Email, Phone] }
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2027, 1, 1, 12, 0, 0).unwrap()
}

fn sid(s: &str) -> SubjectId {
    SubjectId::new(s).unwrap()
}

fn master() -> LocalMasterKey {
    LocalMasterKey::from_slice("kek", &[7; 32]).unwrap()
}

fn vault_on(store: impl VaultStore + 'static, clock: &ManualClock) -> Vault {
    Vault::builder(master(), store).clock(clock.clone()).build()
}

fn access(s: &SubjectId) -> Access<Crm> {
    Access::new(s.clone(), Actor::service("test"))
}

fn ctx(days: u32) -> Context<Email> {
    Context::new("customer", "email")
        .unwrap()
        .retain(Retention::Days(days))
}

fn seal(v: &Vault, s: &SubjectId, days: u32) -> Sealed<String, Email> {
    v.seal(
        &Personal::new(s.clone(), format!("{s}@example.com")),
        &ctx(days),
    )
    .unwrap()
}

fn open(v: &Vault, sealed: &Sealed<String, Email>, s: &SubjectId) -> Result<String, VaultError> {
    let days = 1; // the retention is not part of the binding: any context of the place
    Ok(v.open(sealed, &ctx(days), &access(s))?
        .read(&access(s))
        .unwrap()
        .clone())
}

fn is_expired(r: &Result<String, VaultError>) -> bool {
    matches!(r, Err(VaultError::Expired { .. }))
}

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
fn a_hold_keeps_expired_data_readable_through_sweeps_until_released() {
    let clock = ManualClock::new(t0());
    let v = vault_on(MemoryKeyStore::new(), &clock);
    let (a, b) = (sid("cus_a"), sid("cus_b"));
    let (va, vb) = (seal(&v, &a, 5), seal(&v, &b, 5));
    let hold = v
        .operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .hold::<Crm>(&a, "case 2027-14: litigation hold", None)
        .unwrap();
    clock.advance(TimeDelta::days(7));
    let report = v
        .operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .sweep()
        .unwrap();
    assert_eq!(report.epochs_destroyed.len(), 1);
    assert_eq!(report.escrowed, 1, "one held subject, one epoch");
    assert_eq!(open(&v, &va, &a).unwrap(), "cus_a@example.com");
    assert!(is_expired(&open(&v, &vb, &b)));
    // A new vault (cold cache) reads it from the escrow.
    let listed = v.holds().unwrap();
    assert_eq!(listed.len(), 1);
    assert!(listed[0].is_active(clock.now()));
    let released = v
        .operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .release(&hold.id)
        .unwrap();
    assert_eq!(released.released_at, Some(clock.now()));
    assert!(is_expired(&open(&v, &va, &a)));
    // Holding again does not bring it back: the escrow went with the release.
    v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .hold::<Crm>(&a, "case 2027-15", None)
        .unwrap();
    assert!(is_expired(&open(&v, &va, &a)));
    assert!(matches!(
        v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
            .release(&hold.id),
        Err(VaultError::Hold(
            custodian::retention::HoldError::AlreadyReleased(_)
        ))
    ));
}

#[test]
fn a_hold_placed_after_expiry_but_before_the_sweep_still_saves_the_data() {
    let clock = ManualClock::new(t0());
    let v = vault_on(MemoryKeyStore::new(), &clock);
    let a = sid("cus_a");
    let sealed = seal(&v, &a, 1);
    clock.advance(TimeDelta::days(3));
    assert!(is_expired(&open(&v, &sealed, &a)));
    v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .hold::<Crm>(&a, "regulator inquiry 77", None)
        .unwrap();
    assert_eq!(open(&v, &sealed, &a).unwrap(), "cus_a@example.com");
    assert_eq!(
        v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
            .sweep()
            .unwrap()
            .escrowed,
        1
    );
    assert_eq!(open(&v, &sealed, &a).unwrap(), "cus_a@example.com");
}

#[test]
fn a_hold_that_lapses_stops_protecting_and_the_next_sweep_drops_its_escrow() {
    let clock = ManualClock::new(t0());
    let store = Arc::new(MemoryKeyStore::new());
    let v = vault_on(Arc::clone(&store), &clock);
    let a = sid("cus_a");
    let sealed = seal(&v, &a, 1);
    v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .hold::<Crm>(&a, "audit 2027", Some(t0() + TimeDelta::days(10)))
        .unwrap();
    clock.advance(TimeDelta::days(3));
    v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .sweep()
        .unwrap();
    assert_eq!(open(&v, &sealed, &a).unwrap(), "cus_a@example.com");
    clock.advance(TimeDelta::days(8));
    assert!(is_expired(&open(&v, &sealed, &a)));
    let epoch = sealed.header().unwrap().epoch();
    let escrow = KeyName::Escrow {
        subject: a.clone(),
        epoch,
    };
    assert!(store.get(&escrow).unwrap().is_some());
    assert_eq!(
        v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
            .sweep()
            .unwrap()
            .escrows_released,
        1
    );
    assert!(store.get(&escrow).unwrap().is_none());
    assert!(matches!(
        v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
            .hold::<Crm>(&a, "late", Some(clock.now())),
        Err(VaultError::Hold(_))
    ));
    assert!(matches!(
        v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
            .hold::<Crm>(&a, "  ", None),
        Err(VaultError::Hold(_))
    ));
}

#[derive(PersonalData)]
#[personal(record = "lead")]
struct Lead {
    #[personal(subject)]
    id: SubjectId,
    #[personal(retain = "2y")]
    email: Personal<String, Email>,
    #[personal(retain = "30d")]
    phone: Option<Personal<String, Phone>>,
}

#[test]
fn erasure_is_refused_under_hold_and_otherwise_returns_a_receipt_without_personal_data() {
    let clock = ManualClock::new(t0());
    let v = Vault::builder(master(), MemoryKeyStore::new())
        .clock(clock.clone())
        .record::<Lead>()
        .build();
    let a = sid("cus_4711");
    let lead = Lead {
        id: a.clone(),
        email: Personal::new(a.clone(), "alice@example.com".into()),
        phone: Some(Personal::new(a.clone(), "+15550100".into())),
    };
    let sealed = lead.seal(&v).unwrap();
    v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .rotate_subject_key(&a)
        .unwrap();
    let hold = v
        .operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .hold::<Crm>(&a, "case 9: preserve records", None)
        .unwrap();
    clock.advance(TimeDelta::days(40));
    assert_eq!(
        v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
            .sweep()
            .unwrap()
            .escrowed,
        1
    );
    match v
        .operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .erase(&a)
    {
        Err(VaultError::UnderLegalHold {
            hold: id,
            reason,
            until,
        }) => {
            assert_eq!(
                (id, reason.as_str(), until),
                (hold.id.clone(), "case 9: preserve records", None)
            );
        }
        other => panic!("expected UnderLegalHold, got {other:?}"),
    }
    assert!(matches!(
        v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
            .shred(&a),
        Err(VaultError::UnderLegalHold { .. })
    ));
    // Held: the expired phone is still there.
    let opened = sealed.open(&v, &access(&a)).unwrap();
    assert!(opened.phone.is_some());
    v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .release(&hold.id)
        .unwrap();
    // Released: a whole-record open treats the expired optional field as gone; the
    // per-field door says why.
    let opened = sealed.open(&v, &access(&a)).unwrap();
    assert!(opened.phone.is_none());
    assert!(matches!(
        sealed.open_phone(&v, &access(&a)),
        Err(VaultError::Expired { .. })
    ));

    let receipt = v
        .operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .erase(&a)
        .unwrap();
    assert_eq!(receipt.subject, v.subject_ref(&a).unwrap());
    assert_ne!(receipt.subject, v.subject_ref(&sid("cus_4712")).unwrap());
    assert_eq!(receipt.erased_at, clock.now());
    assert_eq!(receipt.subject_keys_destroyed, 2, "both key versions");
    assert_eq!(receipt.escrowed_keys_destroyed, 0, "released with the hold");
    let kinds: Vec<_> = receipt
        .data
        .iter()
        .map(|d| (d.record.as_str(), d.field.as_str(), d.category.as_str()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("lead", "email", "user.contact.email"),
            ("lead", "phone", "user.contact.phone_number")
        ]
    );
    let json = serde_json::to_string(&receipt).unwrap();
    for secret in ["cus_4711", "alice", "5550100"] {
        assert!(!json.contains(secret), "{secret} in {json}");
    }
    assert!(matches!(
        sealed.open(&v, &access(&a)),
        Err(VaultError::Shredded)
    ));
    assert!(matches!(
        v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
            .hold::<Crm>(&a, "too late", None),
        Err(VaultError::Shredded)
    ));
}

#[test]
fn erasing_a_subject_whose_hold_lapsed_destroys_the_escrow_too() {
    let clock = ManualClock::new(t0());
    let v = vault_on(MemoryKeyStore::new(), &clock);
    let a = sid("cus_a");
    seal(&v, &a, 1);
    v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .hold::<Crm>(&a, "case 3", Some(t0() + TimeDelta::days(5)))
        .unwrap();
    clock.advance(TimeDelta::days(3));
    assert_eq!(
        v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
            .sweep()
            .unwrap()
            .escrowed,
        1
    );
    clock.advance(TimeDelta::days(3));
    let receipt = v
        .operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .erase(&a)
        .unwrap();
    assert_eq!(receipt.escrowed_keys_destroyed, 1);
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
        Err(VaultError::EpochSwept { .. })
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

#[test]
fn the_holds_of_an_erased_subject_no_longer_name_them() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.db");
    let clock = ManualClock::new(t0());
    let store = SqliteStore::open(&path).unwrap();
    let v = vault_on(store.clone(), &clock);
    let a = sid("cus_hold_4711");
    seal(&v, &a, 1);
    let hold = v
        .operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .hold::<Crm>(&a, "case 2027-14: litigation hold", None)
        .unwrap();
    clock.advance(TimeDelta::days(3));
    v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .sweep()
        .unwrap();
    v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .release(&hold.id)
        .unwrap();
    let receipt = v
        .operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .erase(&a)
        .unwrap();
    // The hold stays, as the record of legal process, under the keyed reference of the
    // erasure receipt instead of the id.
    let listed = v.holds().unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id, hold.id);
    assert_eq!(listed[0].released_at, Some(clock.now()));
    assert_eq!(
        serde_json::to_value(&listed[0]).unwrap()["subject"]["erased"],
        serde_json::json!(receipt.subject.as_str())
    );
    assert!(v.holds_of(&a).unwrap().is_empty());
    let mut bytes = std::fs::read(&path).unwrap();
    bytes.extend(std::fs::read(dir.path().join("c.db-wal")).unwrap_or_default());
    let id = a.as_str().as_bytes();
    assert!(
        !bytes.windows(id.len()).any(|w| w == id),
        "the store file still names the erased subject"
    );
}
