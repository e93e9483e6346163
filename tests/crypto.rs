//! Field encryption: round trips, tampering, moved ciphertexts, wrong keys, parser
//! robustness and nonce uniqueness across threads. The published test vectors are in
//! `crypto_vectors.rs`, what format v3 binds into a ciphertext in `crypto_binding.rs`.

mod common;

use std::collections::HashSet;
use std::sync::Arc;

use common::crypto::{access, vault};
use common::{master, sid};
use custodian::categories::{Communications, Email, Phone};
use custodian::keys::{Algorithm, KeyName, KeyStore};
use custodian::memory::MemoryKeyStore;
use custodian::{Context, OpenError, Personal, SealError, Sealed, SubjectId, Vault};
use proptest::prelude::*;

fn body_ctx() -> Context<Communications> {
    Context::new("ticket", "body")
        .unwrap()
        .retain(custodian::Retention::UntilErased)
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
        Err(OpenError::Decrypt)
    ));
    // Another record type.
    let lead_ctx: Context<Email> = Context::new("lead", "email")
        .unwrap()
        .retain(custodian::Retention::UntilErased);
    assert!(matches!(
        v.open(&sealed, &lead_ctx, &access(&a)),
        Err(OpenError::Decrypt)
    ));
    // Another category in the same place (bytes relabelled as a phone number).
    let as_phone = Sealed::<String, Phone>::from_bytes(sealed.as_bytes().to_vec()).unwrap();
    let phone_ctx: Context<Phone> = Context::new("customer", "email")
        .unwrap()
        .retain(custodian::Retention::UntilErased);
    assert!(matches!(
        v.open(&as_phone, &phone_ctx, &access(&a)),
        Err(OpenError::Decrypt)
    ));
    // Another subject's row: refused before decryption.
    assert!(matches!(
        v.open(&sealed, &email_ctx, &access(&b)),
        Err(OpenError::SubjectMismatch)
    ));
    // A header edited to name the other subject: b's key is used and the tag fails.
    let mut edited = sealed.as_bytes().to_vec();
    let pos = edited.windows(5).position(|w| w == b"cus_a").unwrap();
    edited[pos + 4] = b'b';
    let edited = Sealed::<String, Email>::from_bytes(edited).unwrap();
    assert!(matches!(
        v.open(&edited, &email_ctx, &access(&b)),
        Err(OpenError::Decrypt)
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
    assert!(matches!(err, OpenError::Key(_)), "{err:?}");
    // Another id altogether.
    let other = Vault::new(master("m2", 1), store);
    let err = other.open(&sealed, &body_ctx(), &access(&s)).unwrap_err();
    assert!(matches!(err, OpenError::UnknownMasterKey { .. }), "{err:?}");
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
    assert!(matches!(err, SealError::Key(_)), "{err:?}");
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
