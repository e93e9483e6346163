//! Retention, legal hold and erasure enforced by keys (docs/retention.md): one test per
//! rule, then a model test of every rule together, on the memory store and on the
//! SQLite store reopened from disk.

use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use custodian::categories::{Email, Phone};
use custodian::keys::{KeyName, KeyStore, LocalMasterKey, MemoryKeyStore};
use custodian::retention::{Anchor, Clock, ErasureException, HoldScope, ManualClock};
use custodian::store::SqliteStore;
use custodian::{
    Access, Actor, Context, Personal, PersonalData, Retention, Sealed, SubjectId, Vault, VaultError,
};
use proptest::prelude::*;

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

fn vault_on(store: impl KeyStore + 'static, clock: &ManualClock) -> Vault {
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

fn open_for_claims(
    v: &Vault,
    sealed: &Sealed<String, Email>,
    s: &SubjectId,
) -> Result<String, VaultError> {
    let claims = Access::<Claims>::new(s.clone(), Actor::service("counsel"));
    Ok(v.open(sealed, &ctx(1), &claims)?
        .read(&claims)
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
            .wrapped(&KeyName::Epoch(report.epochs_destroyed[0]))
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
    assert!(store.wrapped(&escrow).unwrap().is_some());
    assert_eq!(
        v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
            .sweep()
            .unwrap()
            .escrows_released,
        1
    );
    assert!(store.wrapped(&escrow).unwrap().is_none());
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
    let wrapped = store
        .wrapped(&KeyName::Epoch(epoch))
        .unwrap()
        .unwrap()
        .wrapped;
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

// ---------------------------------------------------------------------------------
// The model: a value is readable for a purpose iff its subject was not erased and either
// it has not expired, or its subject is held now by a hold whose scope keeps its category
// for that purpose, and the value's epoch key still exists or was escrowed for the
// subject (held, by any hold, when the sweep that destroyed it ran, and held ever since:
// a release destroys the escrow). An expired value that a hold keeps for other purposes
// only is refused as restricted (Art. 18(2)). A subject erased with an erasure exception
// (their emails kept for Claims until a date) stays readable for Claims only, within its
// retention and until the exception ends; every other purpose is refused as excepted,
// and the sweep after the end destroys the kept key.

const SUBJECTS: usize = 3;

#[derive(Clone, Debug)]
enum Op {
    Seal {
        subject: usize,
        days: u32,
    },
    Advance {
        hours: i64,
    },
    Sweep,
    /// Scopes: 0 Crm (every category), 1 Claims (every category), 2 Claims, phones only.
    Hold {
        subject: usize,
        scope: usize,
    },
    Release {
        subject: usize,
    },
    Erase {
        subject: usize,
    },
    /// `erase_with` an exception keeping the emails for Claims for `days` days.
    EraseKeeping {
        subject: usize,
        days: i64,
    },
    Reopen,
    /// Seals an email kept `days` days after the subject's last contact.
    SealAfterContact {
        subject: usize,
        days: u16,
    },
    /// Records the subject's last contact `back` hours ago.
    RecordContact {
        subject: usize,
        back: i64,
    },
}

fn op() -> impl Strategy<Value = Op> {
    let s = 0..SUBJECTS;
    prop_oneof![
        4 => (s.clone(), 1u32..20).prop_map(|(subject, days)| Op::Seal { subject, days }),
        4 => (1i64..24 * 12).prop_map(|hours| Op::Advance { hours }),
        2 => Just(Op::Sweep),
        2 => (s.clone(), 0..3usize).prop_map(|(subject, scope)| Op::Hold { subject, scope }),
        2 => s.clone().prop_map(|subject| Op::Release { subject }),
        1 => s.clone().prop_map(|subject| Op::Erase { subject }),
        1 => (s.clone(), 1i64..10).prop_map(|(subject, days)| Op::EraseKeeping { subject, days }),
        1 => Just(Op::Reopen),
        2 => (s.clone(), 1u16..10).prop_map(|(subject, days)| Op::SealAfterContact { subject, days }),
        2 => (s, 0i64..48).prop_map(|(subject, back)| Op::RecordContact { subject, back }),
    ]
}

#[derive(Default)]
struct Model {
    /// The scopes of each subject's active holds (none: not held).
    scopes: [BTreeSet<usize>; SUBJECTS],
    erased: [bool; SUBJECTS],
    /// Whether the subject ever had a key or a hold: erasing an id that had neither
    /// writes no tombstone, so a later seal is new data.
    known: [bool; SUBJECTS],
    /// Whether the subject has a key (a seal succeeded and they were not erased since).
    keyed: [bool; SUBJECTS],
    /// When the erasure exception keeping their emails for Claims ends.
    kept_until: [Option<i64>; SUBJECTS],
    watermark: u32,
    epochs: BTreeSet<u32>,
    escrows: BTreeSet<(usize, u32)>,
    /// The latest last contact recorded for each subject (seconds).
    contact: [Option<i64>; SUBJECTS],
    /// The anchor keys that exist, by (subject, days after last contact), each with its
    /// generation: a key destroyed and created again by a later seal is a new one.
    anchor_keys: std::collections::BTreeMap<(usize, u16), u32>,
    generations: u32,
}

enum Expect {
    Readable,
    Expired,
    Restricted,
    /// Erased, kept by an erasure exception for another purpose.
    Excepted,
    Shredded,
}

/// The model's purposes: Crm opens under scope 0, Claims under scope 1.
const CRM: usize = 0;
const CLAIMS: usize = 1;

impl Model {
    /// An expired value reports `Expired` whether or not its subject was erased since
    /// (the header alone shows it); an erased subject is never held.
    fn expect(&self, subject: usize, expires: i64, now: i64, purpose: usize) -> Expect {
        // An erasure exception keeps the emails for Claims until it ends.
        let kept = self.kept_until[subject].is_some_and(|until| now < until);
        if now < expires {
            return match (self.erased[subject], kept, purpose) {
                (false, _, _) => Expect::Readable,
                (true, true, CLAIMS) => Expect::Readable,
                (true, true, _) => Expect::Excepted,
                (true, false, _) => Expect::Shredded,
            };
        }
        let epoch = u32::try_from(expires.div_euclid(86_400)).unwrap();
        if self.erased[subject] && now < (i64::from(epoch) + 1) * 86_400 {
            // Format v3 seals the exact expiry: until its day ends, only the (shredded)
            // key could show that the value expired. (An erased subject is never held.)
            // The exception's key shows it, to the exception's purpose only.
            return match (kept, purpose) {
                (true, CLAIMS) => Expect::Expired,
                (true, _) => Expect::Excepted,
                (false, _) => Expect::Shredded,
            };
        }
        let key_kept = epoch >= self.watermark || self.escrows.contains(&(subject, epoch));
        // Scope 2 keeps phones only: it does not keep these emails.
        let keeping = &self.scopes[subject];
        if !keeping.contains(&0) && !keeping.contains(&1) {
            Expect::Expired
        } else if !keeping.contains(&purpose) {
            Expect::Restricted
        } else if key_kept {
            Expect::Readable
        } else {
            Expect::Expired
        }
    }

    /// A value kept `days` after the last contact, sealed under key generation `gen`.
    /// Never readable once its key is gone (`None`: readable or refused, but never
    /// opened); otherwise as for any value, with the end from the recorded contact.
    fn expect_anchored(
        &self,
        subject: usize,
        (days, generation): (u16, u32),
        now: i64,
        purpose: usize,
    ) -> Option<Expect> {
        let alive = self.anchor_keys.get(&(subject, days)) == Some(&generation);
        if self.erased[subject] {
            // An erasure exception keeps the category key and the anchor keys (the
            // events are gone: its `until` decides).
            let kept = self.kept_until[subject].is_some_and(|until| now < until);
            return Some(match (kept, purpose) {
                (true, CRM) => Expect::Excepted,
                (true, _) if alive => Expect::Readable,
                _ => Expect::Shredded,
            });
        }
        if !alive {
            return None;
        }
        let end = self.contact[subject].map(|t| t + i64::from(days) * 86_400);
        if end.is_none_or(|end| now < end) {
            return Some(Expect::Readable);
        }
        let keeping = &self.scopes[subject];
        Some(if !keeping.contains(&0) && !keeping.contains(&1) {
            Expect::Expired
        } else if !keeping.contains(&purpose) {
            Expect::Restricted
        } else {
            Expect::Readable
        })
    }

    fn held(&self, subject: usize) -> bool {
        !self.scopes[subject].is_empty()
    }

    fn sweep(&mut self, now: i64) {
        let today = u32::try_from(now.div_euclid(86_400)).unwrap();
        for &e in self.epochs.range(self.watermark..today) {
            for s in 0..SUBJECTS {
                if self.held(s) {
                    self.escrows.insert((s, e));
                }
            }
        }
        self.watermark = self.watermark.max(today);
        // Anchor keys whose contact + period has passed, unless a hold binds.
        let (contact, scopes) = (self.contact, self.scopes.clone());
        self.anchor_keys.retain(|&(s, days), _| {
            let due = contact[s].is_some_and(|t| t + i64::from(days) * 86_400 <= now);
            !due || !scopes[s].is_empty()
        });
    }
}

fn run_model(ops: Vec<Op>, open_store: &dyn Fn() -> Box<dyn KeyStore>) {
    let clock = ManualClock::new(t0());
    let subjects: Vec<SubjectId> = (0..SUBJECTS).map(|i| sid(&format!("cus_{i}"))).collect();
    let mut vault = vault_on(open_store(), &clock);
    let mut model = Model::default();
    let mut values: Vec<(usize, i64, Sealed<String, Email>)> = Vec::new();
    let mut anchored: Vec<AnchoredValue> = Vec::new();
    for (step, op) in ops.into_iter().enumerate() {
        let now = clock.unix_seconds();
        match op {
            Op::Seal { subject, days } => {
                let p = Personal::new(subjects[subject].clone(), format!("v{step}@example.com"));
                match vault.seal(&p, &ctx(days)) {
                    Ok(sealed) => {
                        assert!(
                            !model.erased[subject],
                            "step {step}: sealed for an erased subject"
                        );
                        let expires = vault.dates(&sealed, &ctx(days)).unwrap().expires;
                        assert_eq!(expires, now + i64::from(days) * 86_400);
                        model.epochs.insert(sealed.header().unwrap().epoch());
                        model.known[subject] = true;
                        model.keyed[subject] = true;
                        values.push((subject, expires, sealed));
                    }
                    Err(VaultError::Shredded) => assert!(model.erased[subject], "step {step}"),
                    Err(e) => panic!("step {step}: seal failed: {e}"),
                }
            }
            Op::Advance { hours } => clock.advance(TimeDelta::hours(hours)),
            Op::Sweep => {
                let report = vault
                    .operator(custodian::Actor::staff("emp-7", "privacy-officer"))
                    .sweep()
                    .unwrap();
                model.sweep(now);
                // The sweep destroys the keys of the exceptions that have ended.
                let ended = model
                    .kept_until
                    .iter_mut()
                    .filter(|u| u.is_some_and(|u| u <= now))
                    .map(|u| *u = None)
                    .count();
                assert_eq!(report.exceptions_ended, ended, "step {step}");
            }
            Op::Hold { subject, scope } => match vault
                .operator(custodian::Actor::staff("emp-7", "privacy-officer"))
                .hold_scoped(
                    &subjects[subject],
                    match scope {
                        0 => HoldScope::purpose::<Crm>(),
                        1 => HoldScope::purpose::<Claims>(),
                        _ => HoldScope::purpose::<Claims>().only::<Phone>(),
                    },
                    "case",
                    None,
                ) {
                Ok(h) => {
                    assert!(h.scope.covers("user.contact.phone_number"));
                    model.scopes[subject].insert(scope);
                    model.known[subject] = true;
                }
                Err(VaultError::Shredded) => assert!(model.erased[subject], "step {step}"),
                Err(e) => panic!("step {step}: hold failed: {e}"),
            },
            Op::Release { subject } => {
                for h in vault.holds_of(&subjects[subject]).unwrap() {
                    if h.released_at.is_none() {
                        vault
                            .operator(custodian::Actor::staff("emp-7", "privacy-officer"))
                            .release(&h.id)
                            .unwrap();
                    }
                }
                model.scopes[subject].clear();
                model.escrows.retain(|(s, _)| *s != subject);
            }
            Op::Erase { subject } => match vault
                .operator(custodian::Actor::staff("emp-7", "privacy-officer"))
                .erase(&subjects[subject])
            {
                Ok(_) => {
                    assert!(!model.held(subject), "step {step}: erased while held");
                    model.erased[subject] |= model.known[subject];
                    model.keyed[subject] = false;
                    model.escrows.retain(|(s, _)| *s != subject);
                }
                Err(VaultError::UnderLegalHold { .. }) => {
                    assert!(model.held(subject), "step {step}: refused without a hold")
                }
                Err(e) => panic!("step {step}: erase failed: {e}"),
            },
            Op::EraseKeeping { subject, days } => {
                let until = clock.now() + TimeDelta::days(days);
                let keep = ErasureException::keep::<Claims, Email>("§ 147 AO", until);
                match vault
                    .operator(custodian::Actor::staff("emp-7", "privacy-officer"))
                    .erase_with(&subjects[subject], &[keep])
                {
                    Ok(receipt) => {
                        assert!(!model.held(subject), "step {step}: erased while held");
                        // Only a key that existed can be kept.
                        assert_eq!(
                            receipt.kept[0].key_versions,
                            usize::from(model.keyed[subject])
                        );
                        if model.keyed[subject] {
                            model.kept_until[subject] = Some(until.timestamp());
                        }
                        model.erased[subject] |= model.known[subject];
                        model.keyed[subject] = false;
                        model.escrows.retain(|(s, _)| *s != subject);
                    }
                    Err(VaultError::UnderLegalHold { .. }) => {
                        assert!(model.held(subject), "step {step}: refused without a hold")
                    }
                    Err(e) => panic!("step {step}: erase_with failed: {e}"),
                }
            }
            Op::Reopen => {
                drop(vault);
                vault = vault_on(open_store(), &clock);
            }
            Op::SealAfterContact { subject, days } => {
                let p = Personal::new(subjects[subject].clone(), format!("v{step}@example.com"));
                let ended =
                    model.contact[subject].is_some_and(|t| t + i64::from(days) * 86_400 <= now);
                match vault.seal(&p, &after_contact(days)) {
                    Ok(sealed) => {
                        assert!(
                            !model.erased[subject],
                            "step {step}: sealed for an erased subject"
                        );
                        assert!(!ended, "step {step}: sealed after the period ended");
                        model.known[subject] = true;
                        model.keyed[subject] = true;
                        let generation =
                            *model.anchor_keys.entry((subject, days)).or_insert_with(|| {
                                model.generations += 1;
                                model.generations
                            });
                        anchored.push((subject, (days, generation), sealed));
                    }
                    Err(VaultError::Shredded) => assert!(model.erased[subject], "step {step}"),
                    Err(VaultError::EventPeriodEnded { .. }) => assert!(ended, "step {step}"),
                    Err(e) => panic!("step {step}: seal failed: {e}"),
                }
            }
            Op::RecordContact { subject, back } => {
                let at = clock.now() - TimeDelta::hours(back);
                match vault
                    .operator(custodian::Actor::staff("emp-7", "privacy-officer"))
                    .record_event(&subjects[subject], Anchor::LastContact, at)
                {
                    Ok(_) => {
                        assert!(
                            !model.erased[subject],
                            "step {step}: recorded for an erased subject"
                        );
                        model.known[subject] = true;
                        let t = at.timestamp();
                        model.contact[subject] =
                            Some(model.contact[subject].map_or(t, |c| c.max(t)));
                    }
                    Err(VaultError::Shredded) => assert!(model.erased[subject], "step {step}"),
                    Err(e) => panic!("step {step}: record_event failed: {e}"),
                }
            }
        }
        // An erasure destroys the subject's events, and their anchor keys unless an
        // erasure exception keeps them (until the sweep that ends it).
        for s in 0..SUBJECTS {
            if model.erased[s] {
                if model.kept_until[s].is_none() {
                    model.anchor_keys.retain(|&(k, _), _| k != s);
                }
                model.contact[s] = None;
            }
        }
        let now = clock.unix_seconds();
        for (i, (subject, expires, sealed)) in values.iter().enumerate() {
            for purpose in [CRM, CLAIMS] {
                let got = match purpose {
                    CRM => open(&vault, sealed, &subjects[*subject]),
                    _ => open_for_claims(&vault, sealed, &subjects[*subject]),
                };
                match (model.expect(*subject, *expires, now, purpose), &got) {
                    (Expect::Readable, Ok(_))
                    | (Expect::Expired, Err(VaultError::Expired { .. }))
                    | (Expect::Restricted, Err(VaultError::RestrictedByHold { .. }))
                    | (Expect::Excepted, Err(VaultError::RestrictedByErasureException { .. }))
                    | (Expect::Shredded, Err(VaultError::Shredded)) => {}
                    (_, got) => panic!(
                        "step {step}, value {i} (subject {subject}, expires {expires}, now {now}), purpose {purpose}: got {got:?}; holds {:?} erased {:?} watermark {} escrows {:?}",
                        model.scopes, model.erased, model.watermark, model.escrows
                    ),
                }
            }
        }
        for (i, (subject, key, sealed)) in anchored.iter().enumerate() {
            for purpose in [CRM, CLAIMS] {
                let got = match purpose {
                    CRM => open(&vault, sealed, &subjects[*subject]),
                    _ => open_for_claims(&vault, sealed, &subjects[*subject]),
                };
                match (model.expect_anchored(*subject, *key, now, purpose), &got) {
                    (None, Err(_))
                    | (Some(Expect::Readable), Ok(_))
                    | (Some(Expect::Expired), Err(VaultError::Expired { .. }))
                    | (Some(Expect::Restricted), Err(VaultError::RestrictedByHold { .. }))
                    | (
                        Some(Expect::Excepted),
                        Err(VaultError::RestrictedByErasureException { .. }),
                    )
                    | (Some(Expect::Shredded), Err(VaultError::Shredded)) => {}
                    (_, got) => panic!(
                        "step {step}, anchored value {i} (subject {subject}, key {key:?}, now {now}), purpose {purpose}: got {got:?}; holds {:?} erased {:?} contact {:?} keys {:?}",
                        model.scopes, model.erased, model.contact, model.anchor_keys
                    ),
                }
            }
        }
    }
}

/// A value kept after the last contact: its subject, (days, key generation), bytes.
type AnchoredValue = (usize, (u16, u32), Sealed<String, Email>);

/// An email context kept `days` days after the last contact.
fn after_contact(days: u16) -> Context<Email> {
    Context::new("customer", "email").unwrap().retain(
        Retention::Days(u32::from(days))
            .after(Anchor::LastContact)
            .unwrap(),
    )
}

proptest! {
    #[test]
    fn the_vault_follows_the_retention_model_in_memory(ops in prop::collection::vec(op(), 1..40)) {
        let store = Arc::new(MemoryKeyStore::new());
        run_model(ops, &|| Box::new(Arc::clone(&store)));
    }

    #[test]
    fn the_vault_follows_the_retention_model_on_sqlite_reopened(ops in prop::collection::vec(op(), 1..30)) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.db");
        run_model(ops, &|| Box::new(SqliteStore::open(&path).unwrap()));
    }
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
