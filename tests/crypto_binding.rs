//! What format v3 binds into a ciphertext: its dates and its context (through the
//! key and the clear header), and its category's legal classification (through the
//! context digest). Moves and edits these make relevant fail to open.

mod common;

use common::crypto::{access, vault};
use common::{master, sid};
use custodian::categories::Email;
use custodian::keys::Algorithm;
use custodian::memory::MemoryKeyStore;
use custodian::retention::ManualClock;
use custodian::{
    Access, Actor, Context, OpenError, Personal, Sealed, SubjectId, Vault, VaultError,
};

// Format v3 binds the dates and the context inside the ciphertext and the clear header
// through the key (docs/format.md, "What binds what"): moves and edits that this makes
// relevant.

/// Offset of the encrypted dates: the sealed trailer (dates, context digest) ends
/// where the 16-byte tag begins.
fn sealed_dates_at(bytes: &[u8]) -> usize {
    bytes.len() - 16 - 32
}

fn retained(days: u32) -> Context<Email> {
    Context::new("customer", "email")
        .unwrap()
        .retain(custodian::Retention::Days(days))
}

fn t0() -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap() // 08:00 UTC
}

#[test]
fn swapping_the_sealed_dates_of_two_values_of_one_subject_fails_to_open() {
    let clock = ManualClock::new(t0());
    let v = Vault::builder(master("m1", 1), MemoryKeyStore::new())
        .clock(clock.clone())
        .build();
    let a = sid("cus_a");
    let seal = |text: &str| {
        v.seal(
            &Personal::<String, Email>::new(a.clone(), text.into()),
            &retained(30),
        )
        .unwrap()
    };
    // Same subject, key, context and expiry day; collected an hour apart.
    let first = seal("first@example.com");
    clock.advance(chrono::TimeDelta::hours(1));
    let second = seal("second@example.com");
    assert_eq!(
        first.header().unwrap().expiry_day,
        second.header().unwrap().expiry_day
    );
    assert_ne!(
        v.dates(&first, &retained(30)).unwrap(),
        v.dates(&second, &retained(30)).unwrap()
    );
    // Swap the encrypted dates between the values.
    let (mut x, mut y) = (first.as_bytes().to_vec(), second.as_bytes().to_vec());
    let (hx, hy) = (sealed_dates_at(&x), sealed_dates_at(&y));
    let dates_x: Vec<u8> = x[hx..hx + 16].to_vec();
    x[hx..hx + 16].copy_from_slice(&y[hy..hy + 16]);
    y[hy..hy + 16].copy_from_slice(&dates_x);
    for swapped in [x, y] {
        let swapped = Sealed::<String, Email>::from_bytes(swapped).unwrap();
        assert!(matches!(
            v.open(&swapped, &retained(30), &access(&a)),
            Err(OpenError::Decrypt)
        ));
        assert!(matches!(
            v.dates(&swapped, &retained(30)),
            Err(VaultError::Decrypt)
        ));
    }
}

#[derive(custodian::PersonalData)]
#[personal(record = "customer", retain = "until_erased")]
struct TwoEmails {
    #[personal(subject)]
    id: SubjectId,
    email: Personal<String, Email>,
    backup_email: Personal<String, Email>,
}

#[test]
fn a_value_moved_between_two_fields_of_one_record_fails_to_open() {
    let v = vault(Algorithm::Aes256Gcm);
    let a = sid("cus_a");
    let record = TwoEmails {
        id: a.clone(),
        email: Personal::new(a.clone(), "main@example.com".into()),
        backup_email: Personal::new(a.clone(), "backup@example.com".into()),
    };
    let sealed = record.seal(&v).unwrap();
    assert!(sealed.open(&v, &access(&a)).is_ok());
    // Same subject, same key, same category: only the sealed context digest differs.
    let swapped = SealedTwoEmails {
        id: a.clone(),
        email: sealed.backup_email.clone(),
        backup_email: sealed.email.clone(),
    };
    assert!(matches!(
        swapped.open(&v, &access(&a)),
        Err(OpenError::Decrypt)
    ));
    assert!(matches!(
        swapped.open_email(&v, &access(&a)),
        Err(OpenError::Decrypt)
    ));
    assert!(matches!(
        swapped.open_backup_email(&v, &access(&a)),
        Err(OpenError::Decrypt)
    ));
}

#[test]
fn editing_the_clear_headers_expiry_day_fails_to_open() {
    let clock = ManualClock::new(t0());
    let v = Vault::builder(master("m1", 1), MemoryKeyStore::new())
        .clock(clock.clone())
        .build();
    let a = sid("cus_a");
    let p = Personal::<String, Email>::new(a.clone(), "a@example.com".into());
    let short = v.seal(&p, &retained(30)).unwrap();
    // A value of another day, so that day's key exists and the edit finds a key.
    let long = v.seal(&p, &retained(31)).unwrap();
    let (day_short, day_long) = (
        short.header().unwrap().expiry_day,
        long.header().unwrap().expiry_day,
    );
    assert_ne!(day_short, day_long);
    let n = usize::from(short.as_bytes()[2]);
    let edit = |day: u32| {
        let mut bytes = short.as_bytes().to_vec();
        bytes[7 + n..11 + n].copy_from_slice(&day.to_be_bytes());
        Sealed::<String, Email>::from_bytes(bytes).unwrap()
    };
    // A later day (the value would live a day longer): another key, the tag fails.
    assert!(matches!(
        v.open(&edit(day_long), &retained(30), &access(&a)),
        Err(OpenError::Decrypt)
    ));
    // Kept until erased: the key without any epoch share, the tag fails.
    assert!(matches!(
        v.open(&edit(custodian::NO_EPOCH), &retained(30), &access(&a)),
        Err(OpenError::Decrypt)
    ));
    // A day no key was made for: nothing to open it with.
    assert!(matches!(
        v.open(&edit(day_long + 100), &retained(30), &access(&a)),
        Err(OpenError::EpochKeyNotFound { .. })
    ));
    // The unedited value still opens; its exact expiry is enforced to the second.
    assert!(v.open(&short, &retained(30), &access(&a)).is_ok());
    let expires = v.dates(&short, &retained(30)).unwrap().expires;
    clock.set(chrono::DateTime::from_timestamp(expires - 1, 0).unwrap());
    assert!(v.open(&short, &retained(30), &access(&a)).is_ok());
    clock.advance(chrono::TimeDelta::seconds(1));
    match v.open(&short, &retained(30), &access(&a)) {
        Err(OpenError::Expired { at }) => assert_eq!(at.timestamp(), expires),
        other => panic!("expected Expired, got {other:?}"),
    }
}

#[test]
fn the_clear_header_shows_the_expiry_day_but_not_the_exact_dates() {
    let clock = ManualClock::new(t0());
    let v = Vault::builder(master("m1", 1), MemoryKeyStore::new())
        .clock(clock.clone())
        .build();
    let a = sid("cus_a");
    let p = Personal::<String, Email>::new(a.clone(), "a@example.com".into());
    let sealed = v.seal(&p, &retained(30)).unwrap();
    let dates = v.dates(&sealed, &retained(30)).unwrap();
    let bytes = sealed.as_bytes();
    for secret in [dates.collected.to_be_bytes(), dates.expires.to_be_bytes()] {
        assert!(!bytes.windows(8).any(|w| w == secret), "a date is in clear");
    }
    // The clear day is the UTC day number of the sealed expiry (docs/format.md).
    assert_eq!(
        i64::from(sealed.header().unwrap().epoch()),
        dates.expires.div_euclid(86_400)
    );
    // Storage: the clear header is 23 bytes plus the subject id, then 32 sealed bytes
    // (dates and context digest), the plaintext and the tag.
    assert_eq!(
        bytes.len(),
        23 + a.as_str().len() + 32 + "a@example.com".len() + 16
    );
}

// ---------------------------------------------------------------------------------
// The context digest binds the category's legal classification (docs/format.md,
// "Context digest"): a look-alike category, declared the way an attacker would (the
// hidden declaration macro, or a forged hidden seal), with a built-in's name but
// another classification, does not open the built-in's values.

// Through the hidden macro that declares the built-ins (it skips `category!`'s
// built-in-name check): `user.health_and_medical` as ordinary data.
custodian::__category_decl! {
    /// Health's name, as ordinary data (same CCPA marking).
    pub struct OrdinaryHealth {
        name: "user.health_and_medical",
        description: "Data concerning health",
        ccpa_sensitive: HealthData,
    }
}

/// Health's name and GDPR sensitivity, but not CCPA sensitive: the hidden seal forged
/// by hand.
#[derive(Debug)]
pub enum UnmarkedHealth {}
impl custodian::__private::seal_v1::DeclaredCategory for UnmarkedHealth {}
impl custodian::Category for UnmarkedHealth {
    const NAME: &'static str = "user.health_and_medical";
    const DESCRIPTION: &'static str = "Data concerning health";
    const SENSITIVITY: custodian::Sensitivity = custodian::Sensitivity::Special;
    const CCPA_SENSITIVE: Option<custodian::CcpaSensitive> = None;
}

/// Health's whole classification, another description.
#[derive(Debug)]
pub enum Reworded {}
impl custodian::__private::seal_v1::DeclaredCategory for Reworded {}
impl custodian::Category for Reworded {
    const NAME: &'static str = "user.health_and_medical";
    const DESCRIPTION: &'static str = "Health information";
    const SENSITIVITY: custodian::Sensitivity = custodian::Sensitivity::Special;
    const CCPA_SENSITIVE: Option<custodian::CcpaSensitive> =
        Some(custodian::CcpaSensitive::HealthData);
}

custodian::purpose! {
    /// A contract purpose with no Art. 9(2) condition: it may read the ordinary
    /// look-alike.
    pub struct Invoicing {
        basis: Contract,
        description: "Send invoices.",
        uses: [OrdinaryHealth],
    }
    /// A purpose with an Art. 9(2) condition, for the look-alikes that stay special.
    pub struct Claims {
        basis: LegitimateInterests,
        condition: LegalClaims,
        description: "Defend legal claims.",
        uses: [UnmarkedHealth, Reworded],
    }
}

fn sealed_health(v: &Vault, s: &SubjectId) -> Vec<u8> {
    let ctx: Context<custodian::categories::Health> = Context::new("patient", "notes")
        .unwrap()
        .retain(custodian::Retention::UntilErased);
    let p: Personal<String, custodian::categories::Health> =
        Personal::new(s.clone(), "asthma".into());
    v.seal(&p, &ctx).unwrap().into_bytes()
}

#[test]
fn a_health_value_retyped_to_a_look_alike_of_another_sensitivity_does_not_open() {
    let v = vault(Algorithm::Aes256Gcm);
    let s = sid("cus_h");
    let bytes = sealed_health(&v, &s);
    let retyped = Sealed::<String, OrdinaryHealth>::from_bytes(bytes).unwrap();
    let ctx: Context<OrdinaryHealth> = Context::new("patient", "notes").unwrap();
    let access: Access<Invoicing> = Access::new(s.clone(), Actor::service("tests"));
    assert!(matches!(
        v.open(&retyped, &ctx, &access),
        Err(OpenError::Decrypt)
    ));
}

#[test]
fn a_health_value_retyped_to_a_look_alike_with_another_ccpa_marking_does_not_open() {
    let v = vault(Algorithm::ChaCha20Poly1305);
    let s = sid("cus_h");
    let bytes = sealed_health(&v, &s);
    let retyped = Sealed::<String, UnmarkedHealth>::from_bytes(bytes).unwrap();
    let ctx: Context<UnmarkedHealth> = Context::new("patient", "notes").unwrap();
    let access: Access<Claims> = Access::new(s.clone(), Actor::service("tests"));
    assert!(matches!(
        v.open(&retyped, &ctx, &access),
        Err(OpenError::Decrypt)
    ));
}

#[test]
fn rewording_a_categorys_description_keeps_its_values_readable() {
    // The description is what a notice says, not what processing is allowed: it is
    // not bound, so editing it does not lock values away.
    let v = vault(Algorithm::Aes256Gcm);
    let s = sid("cus_h");
    let bytes = sealed_health(&v, &s);
    let retyped = Sealed::<String, Reworded>::from_bytes(bytes).unwrap();
    let ctx: Context<Reworded> = Context::new("patient", "notes").unwrap();
    let access: Access<Claims> = Access::new(s.clone(), Actor::service("tests"));
    let opened = v.open(&retyped, &ctx, &access).unwrap();
    assert_eq!(opened.read(&access).unwrap(), "asthma");
}
