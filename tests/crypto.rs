//! Field encryption: round trips, tampering, moved ciphertexts, wrong keys, parser
//! robustness, the published test vectors, and nonce uniqueness across threads.

use std::collections::HashSet;
use std::sync::Arc;

use custodian::categories::{Communications, Email, Phone};
use custodian::keys::{Algorithm, KeyName, KeyStore, LocalMasterKey, MasterKey, WrappedKey};
use custodian::memory::MemoryKeyStore;
use custodian::retention::ManualClock;
use custodian::{Access, Actor, Context, Personal, Sealed, SubjectId, Vault, VaultError};
use proptest::prelude::*;

custodian::purpose! {
    pub struct Support {
        basis: Contract,
        description: "Answer your support requests.",
        uses: [Email, Phone, Communications],
    }
}

fn sid(s: &str) -> SubjectId {
    SubjectId::new(s).unwrap()
}

fn master(id: &str, byte: u8) -> LocalMasterKey {
    LocalMasterKey::from_slice(id, &[byte; 32]).unwrap()
}

fn access(s: &SubjectId) -> Access<Support> {
    Access::new(s.clone(), Actor::service("tests"))
}

fn body_ctx() -> Context<Communications> {
    Context::new("ticket", "body")
        .unwrap()
        .retain(custodian::Retention::UntilErased)
}

fn vault(alg: Algorithm) -> Vault {
    Vault::builder(master("m1", 1), MemoryKeyStore::new())
        .algorithm(alg)
        .build()
}

fn algorithm() -> impl Strategy<Value = Algorithm> {
    prop_oneof![
        Just(Algorithm::Aes256Gcm),
        Just(Algorithm::ChaCha20Poly1305)
    ]
}

proptest! {
    #[test]
    fn round_trip_any_bytes_up_to_64k(
        alg in algorithm(),
        data in prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..256),
            proptest::collection::vec(any::<u8>(), 0..=65536),
        ],
    ) {
        let v = vault(alg);
        let s = sid("cus_1");
        let p: Personal<Vec<u8>, Communications> = Personal::new(s.clone(), data.clone());
        let sealed = v.seal(&p, &body_ctx()).unwrap();
        prop_assert_eq!(sealed.header().unwrap().algorithm, alg);
        let opened = v.open(&sealed, &body_ctx(), &access(&s)).unwrap();
        prop_assert_eq!(opened.read(&access(&s)).unwrap(), &data);
    }

    #[test]
    fn round_trip_strings(text in ".{0,200}") {
        let v = vault(Algorithm::Aes256Gcm);
        let s = sid("cus_1");
        let ctx: Context<Email> = Context::new("customer", "email").unwrap().retain(custodian::Retention::UntilErased);
        let p: Personal<String, Email> = Personal::new(s.clone(), text.clone());
        let sealed = v.seal(&p, &ctx).unwrap();
        let json = serde_json::to_string(&sealed).unwrap();
        let back: Sealed<String, Email> = serde_json::from_str(&json).unwrap();
        let opened = v.open(&back, &ctx, &access(&s)).unwrap();
        prop_assert_eq!(opened.read(&access(&s)).unwrap(), &text);
    }

    #[test]
    fn any_bit_flip_fails_without_panic(
        data in proptest::collection::vec(any::<u8>(), 0..128),
        bit in any::<prop::sample::Index>(),
    ) {
        let v = vault(Algorithm::Aes256Gcm);
        let s = sid("cus_1");
        let p: Personal<Vec<u8>, Communications> = Personal::new(s.clone(), data);
        let mut bytes = v.seal(&p, &body_ctx()).unwrap().into_bytes();
        let i = bit.index(bytes.len() * 8);
        bytes[i / 8] ^= 1 << (i % 8);
        // Either the header no longer parses, or opening fails: never a value, never a panic.
        if let Ok(sealed) = Sealed::<Vec<u8>, Communications>::from_bytes(bytes) {
            prop_assert!(v.open(&sealed, &body_ctx(), &access(&s)).is_err());
        }
    }

    #[test]
    fn truncation_and_extension_fail(
        data in proptest::collection::vec(any::<u8>(), 0..128),
        cut in any::<prop::sample::Index>(),
        extra in proptest::collection::vec(any::<u8>(), 1..32),
    ) {
        let v = vault(Algorithm::ChaCha20Poly1305);
        let s = sid("cus_1");
        let p: Personal<Vec<u8>, Communications> = Personal::new(s.clone(), data);
        let bytes = v.seal(&p, &body_ctx()).unwrap().into_bytes();
        let truncated = bytes[..cut.index(bytes.len())].to_vec();
        if let Ok(sealed) = Sealed::<Vec<u8>, Communications>::from_bytes(truncated) {
            prop_assert!(v.open(&sealed, &body_ctx(), &access(&s)).is_err());
        }
        let mut extended = bytes.clone();
        extended.extend_from_slice(&extra);
        let sealed = Sealed::<Vec<u8>, Communications>::from_bytes(extended).unwrap();
        prop_assert!(v.open(&sealed, &body_ctx(), &access(&s)).is_err());
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256), text in ".{0,64}") {
        let v = vault(Algorithm::Aes256Gcm);
        if let Ok(sealed) = Sealed::<Vec<u8>, Communications>::from_bytes(bytes.clone()) {
            let h = sealed.header().unwrap();
            if let Ok(subject) = SubjectId::new(h.subject) {
                prop_assert!(v.open(&sealed, &body_ctx(), &access(&subject)).is_err());
            }
        }
        let _ = Sealed::<String, Email>::from_base64(&text);
        let _ = serde_json::from_str::<Sealed<String, Email>>(&format!("{text:?}"));
    }
}

#[test]
fn moved_ciphertext_fails_to_open() {
    let v = vault(Algorithm::Aes256Gcm);
    let (a, b) = (sid("cus_a"), sid("cus_b"));
    let email_ctx: Context<Email> = Context::new("customer", "email")
        .unwrap()
        .retain(custodian::Retention::UntilErased);
    let email: Personal<String, Email> = Personal::new(a.clone(), "a@example.com".into());
    let sealed = v.seal(&email, &email_ctx).unwrap();
    // Make sure b has keys too, so the failure is not a missing key.
    v.seal(
        &Personal::<String, Email>::new(b.clone(), "b@example.com".into()),
        &email_ctx,
    )
    .unwrap();

    // Another field of the same category.
    let backup_ctx: Context<Email> = Context::new("customer", "backup_email")
        .unwrap()
        .retain(custodian::Retention::UntilErased);
    assert!(matches!(
        v.open(&sealed, &backup_ctx, &access(&a)),
        Err(VaultError::Decrypt)
    ));
    // Another record type.
    let lead_ctx: Context<Email> = Context::new("lead", "email")
        .unwrap()
        .retain(custodian::Retention::UntilErased);
    assert!(matches!(
        v.open(&sealed, &lead_ctx, &access(&a)),
        Err(VaultError::Decrypt)
    ));
    // Another category in the same place (bytes relabelled as a phone number).
    let as_phone = Sealed::<String, Phone>::from_bytes(sealed.as_bytes().to_vec()).unwrap();
    let phone_ctx: Context<Phone> = Context::new("customer", "email")
        .unwrap()
        .retain(custodian::Retention::UntilErased);
    assert!(matches!(
        v.open(&as_phone, &phone_ctx, &access(&a)),
        Err(VaultError::Decrypt)
    ));
    // Another subject's row: refused before decryption.
    assert!(matches!(
        v.open(&sealed, &email_ctx, &access(&b)),
        Err(VaultError::SubjectMismatch)
    ));
    // A header edited to name the other subject: b's key is used and the tag fails.
    let mut edited = sealed.as_bytes().to_vec();
    let pos = edited.windows(5).position(|w| w == b"cus_a").unwrap();
    edited[pos + 4] = b'b';
    let edited = Sealed::<String, Email>::from_bytes(edited).unwrap();
    assert!(matches!(
        v.open(&edited, &email_ctx, &access(&b)),
        Err(VaultError::Decrypt)
    ));
    // And the original still opens in its own place.
    assert_eq!(
        v.open(&sealed, &email_ctx, &access(&a))
            .unwrap()
            .read(&access(&a))
            .unwrap(),
        "a@example.com"
    );
}

#[test]
fn wrong_master_key_fails() {
    let store = Arc::new(MemoryKeyStore::new());
    let s = sid("cus_1");
    let p: Personal<Vec<u8>, Communications> = Personal::new(s.clone(), b"hello".to_vec());
    let sealed = Vault::new(master("m1", 1), store.clone())
        .seal(&p, &body_ctx())
        .unwrap();
    // Same id, other bytes.
    let wrong = Vault::new(master("m1", 2), store.clone());
    let err = wrong.open(&sealed, &body_ctx(), &access(&s)).unwrap_err();
    assert!(matches!(err, VaultError::Key(_)), "{err:?}");
    // Another id altogether.
    let other = Vault::new(master("m2", 1), store);
    let err = other.open(&sealed, &body_ctx(), &access(&s)).unwrap_err();
    assert!(
        matches!(err, VaultError::UnknownMasterKey { .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("m1"));
}

#[test]
fn wrapped_key_copied_to_another_subject_does_not_unwrap() {
    let store = Arc::new(MemoryKeyStore::new());
    let v = Vault::new(master("m1", 1), store.clone());
    let (a, b) = (sid("cus_a"), sid("cus_b"));
    v.seal(
        &Personal::<Vec<u8>, Communications>::new(a.clone(), vec![1]),
        &body_ctx(),
    )
    .unwrap();
    let (version, a_key) = store.latest(&a).unwrap().unwrap();
    store
        .insert(
            &KeyName::Subject {
                subject: b.clone(),
                version,
            },
            &a_key,
            Some(&v.subject_ref(&b).unwrap()),
        )
        .unwrap();
    let err = v
        .seal(
            &Personal::<Vec<u8>, Communications>::new(b, vec![1]),
            &body_ctx(),
        )
        .unwrap_err();
    assert!(matches!(err, VaultError::Key(_)), "{err:?}");
}

#[test]
fn errors_carry_no_plaintext() {
    let v = vault(Algorithm::Aes256Gcm);
    let s = sid("cus_1");
    let ctx: Context<Email> = Context::new("customer", "email")
        .unwrap()
        .retain(custodian::Retention::UntilErased);
    let sealed = v
        .seal(
            &Personal::<String, Email>::new(s.clone(), "secret@example.com".into()),
            &ctx,
        )
        .unwrap();
    let other: Context<Email> = Context::new("customer", "other")
        .unwrap()
        .retain(custodian::Retention::UntilErased);
    let err = v.open(&sealed, &other, &access(&s)).unwrap_err();
    let text = format!("{err} {err:?} {sealed:?}");
    assert!(!text.contains("secret"), "{text}");
}

#[test]
fn concurrent_seals_never_repeat_a_nonce() {
    let v = Arc::new(vault(Algorithm::Aes256Gcm));
    let s = sid("cus_1");
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let (v, s) = (v.clone(), s.clone());
            std::thread::spawn(move || {
                let p: Personal<Vec<u8>, Communications> = Personal::new(s, vec![0; 8]);
                (0..5000)
                    .map(|_| v.seal(&p, &body_ctx()).unwrap().header().unwrap().nonce)
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut seen = HashSet::new();
    for t in threads {
        for nonce in t.join().unwrap() {
            assert!(seen.insert(nonce), "nonce repeated");
        }
    }
    assert_eq!(seen.len(), 20_000);
}

#[test]
fn values_sealed_before_and_after_a_reload_have_distinct_nonces() {
    // A fresh vault on the same store draws a fresh random prefix.
    let store = Arc::new(MemoryKeyStore::new());
    let s = sid("cus_1");
    let p: Personal<Vec<u8>, Communications> = Personal::new(s.clone(), vec![1]);
    let n1 = Vault::new(master("m1", 1), store.clone())
        .seal(&p, &body_ctx())
        .unwrap();
    let n2 = Vault::new(master("m1", 1), store)
        .seal(&p, &body_ctx())
        .unwrap();
    assert_eq!(
        n1.header().unwrap().key_version,
        n2.header().unwrap().key_version
    );
    assert_ne!(n1.header().unwrap().nonce, n2.header().unwrap().nonce);
}

// ---------------------------------------------------------------------------------
// Test vectors, generated independently by tests/vectors/generate.py from the spec.

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn the_vault_opens_a_vector_given_its_wrapped_keys() {
    // The email vector, through the whole vault: the subject key and the epoch key are
    // wrapped with the associated data docs/format.md gives, then opened with a
    // purpose by a vault whose clock reads the collection time.
    let doc: serde_json::Value = serde_json::from_str(include_str!("vectors/v3.json")).unwrap();
    let v = &doc["vectors"][1];
    assert_eq!(v["field"], "email");
    let subject = sid(v["subject"].as_str().unwrap());
    let m = master("m1", 9);
    let mut aad = b"custodian.v1.subject-key".to_vec();
    aad.push(subject.as_str().len() as u8);
    aad.extend_from_slice(subject.as_str().as_bytes());
    aad.extend_from_slice(&1u32.to_be_bytes());
    let store = MemoryKeyStore::new();
    // Any reference: it only names the subject's tombstone, and there is none.
    let reference = custodian::retention::SubjectRef::parse(&format!("sref1:{}", "0".repeat(64)));
    store
        .insert(
            &KeyName::Subject {
                subject: subject.clone(),
                version: 1,
            },
            &WrappedKey {
                master_id: "m1".into(),
                wrapped: m
                    .wrap(&hex(v["subject_key"].as_str().unwrap()), &aad)
                    .unwrap(),
            },
            reference.as_ref(),
        )
        .unwrap();
    let epoch = v["epoch"].as_u64().unwrap() as u32;
    let mut aad = b"custodian.v2.epoch-key".to_vec();
    aad.extend_from_slice(&epoch.to_be_bytes());
    let wrapped = WrappedKey {
        master_id: "m1".into(),
        wrapped: m
            .wrap(&hex(v["epoch_key"].as_str().unwrap()), &aad)
            .unwrap(),
    };
    store
        .insert(&KeyName::Epoch(epoch), &wrapped, None)
        .unwrap();
    let collected = v["collected"].as_i64().unwrap();
    let clock = ManualClock::new(chrono::DateTime::from_timestamp(collected, 0).unwrap());
    let vault = Vault::builder(m, store).clock(clock).build();
    let sealed = Sealed::<String, Email>::from_bytes(hex(v["sealed"].as_str().unwrap())).unwrap();
    let ctx: Context<Email> = Context::new("customer", "email")
        .unwrap()
        .retain(custodian::Retention::UntilErased);
    let opened = vault.open(&sealed, &ctx, &access(&subject)).unwrap();
    assert_eq!(opened.read(&access(&subject)).unwrap(), "alice@example.com");
}

// ---------------------------------------------------------------------------------
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
            Err(VaultError::Decrypt)
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
        Err(VaultError::Decrypt)
    ));
    assert!(matches!(
        swapped.open_email(&v, &access(&a)),
        Err(VaultError::Decrypt)
    ));
    assert!(matches!(
        swapped.open_backup_email(&v, &access(&a)),
        Err(VaultError::Decrypt)
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
        Err(VaultError::Decrypt)
    ));
    // Kept until erased: the key without any epoch share, the tag fails.
    assert!(matches!(
        v.open(&edit(custodian::NO_EPOCH), &retained(30), &access(&a)),
        Err(VaultError::Decrypt)
    ));
    // A day no key was made for: nothing to open it with.
    assert!(matches!(
        v.open(&edit(day_long + 100), &retained(30), &access(&a)),
        Err(VaultError::EpochKeyNotFound { .. })
    ));
    // The unedited value still opens; its exact expiry is enforced to the second.
    assert!(v.open(&short, &retained(30), &access(&a)).is_ok());
    let expires = v.dates(&short, &retained(30)).unwrap().expires;
    clock.set(chrono::DateTime::from_timestamp(expires - 1, 0).unwrap());
    assert!(v.open(&short, &retained(30), &access(&a)).is_ok());
    clock.advance(chrono::TimeDelta::seconds(1));
    match v.open(&short, &retained(30), &access(&a)) {
        Err(VaultError::Expired { at }) => assert_eq!(at.timestamp(), expires),
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
        Err(VaultError::Decrypt)
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
        Err(VaultError::Decrypt)
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
