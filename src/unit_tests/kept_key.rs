//! An insider holding the master key and the key store, after an erasure with an
//! exception, decrypts the kept category and nothing else. A unit test: it plays the
//! insider with the format's own primitives (key derivation, opening under a given
//! key), which the crate keeps private.

use chrono::{DateTime, TimeDelta, TimeZone, Utc};

use crate::categories::{Email, PostalAddress};
use crate::format;
use crate::keys::{LocalMasterKey, MasterKey};
use crate::memory::MemoryKeyStore;
use crate::retention::{ErasureException, ErasureStore, ExceptionRecord, ManualClock};
use crate::{Category, Context, Personal, Retention, SubjectId, Vault, VaultStore};

crate::purpose! {
    struct TaxRecords {
        name: "tax-records",
        basis: LegalObligation { law: "§ 147 AO" },
        description: "Keep invoices as tax law requires.",
        uses: [PostalAddress],
    }
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2027, 1, 1, 12, 0, 0).unwrap()
}

fn vault_on(store: impl VaultStore + 'static, clock: &ManualClock) -> Vault {
    Vault::builder(LocalMasterKey::from_slice("kek", &[7; 32]).unwrap(), store)
        .clock(clock.clone())
        .build()
}

fn email_ctx() -> Context<Email> {
    Context::new("customer", "email")
        .unwrap()
        .retain(Retention::UntilErased)
}

fn keep_address(until: DateTime<Utc>) -> ErasureException {
    ErasureException::keep::<TaxRecords, PostalAddress>("§ 147 AO", until)
}

/// The associated data of a kept category key, as `docs/format.md` specifies it.
fn exception_aad(subject: &str, version: u32, e: &ExceptionRecord) -> Vec<u8> {
    let mut aad = b"custodian.v3.erasure-exception".to_vec();
    for part in [subject, &e.category, &e.purpose, &e.law] {
        aad.extend_from_slice(&(part.len() as u16).to_be_bytes());
        aad.extend_from_slice(part.as_bytes());
    }
    aad.extend_from_slice(&version.to_be_bytes());
    aad.extend_from_slice(&e.until.timestamp().to_be_bytes());
    aad
}

/// Decrypts `bytes` with a category key taken straight from the store, as an insider
/// holding the master key could: no vault check in the way.
fn insider_open(category_key: &[u8], bytes: &[u8], digest: &[u8; 16]) -> bool {
    let header = format::parse(bytes).unwrap();
    assert_eq!(header.epoch(), format::NO_EPOCH, "values kept until erased");
    let key: [u8; 32] = category_key.try_into().unwrap();
    let data_key = format::derive_data_key(
        &key,
        &[0; 32],
        header.algorithm,
        header.subject,
        header.key_version,
        header.epoch(),
    );
    let aead = format::aead_key(header.algorithm, &data_key).unwrap();
    format::open(&aead, bytes, &header, digest).is_ok()
}

#[test]
fn the_kept_key_decrypts_only_its_category_even_for_a_master_key_holder() {
    let clock = ManualClock::new(t0());
    let store = std::sync::Arc::new(MemoryKeyStore::new());
    let v = vault_on(store.clone(), &clock);
    let alice = SubjectId::new("cus_1").unwrap();
    // Kept until erased, so the insider needs no epoch key (the test's point is the
    // category key alone).
    let address_ctx: Context<PostalAddress> = Context::new("customer", "billing_address")
        .unwrap()
        .retain(Retention::UntilErased);
    let email = v
        .seal(
            &Personal::new(alice.clone(), String::from("a@example.com")),
            &email_ctx(),
        )
        .unwrap();
    let address = v
        .seal(
            &Personal::new(alice.clone(), String::from("1 Main St")),
            &address_ctx,
        )
        .unwrap();
    v.operator(crate::Actor::staff("emp-7", "privacy-officer"))
        .erase_with(&alice, &[keep_address(t0() + TimeDelta::days(365))])
        .unwrap();

    let kept = store
        .exception(&alice, 1, PostalAddress::NAME)
        .unwrap()
        .unwrap();
    let master = LocalMasterKey::from_slice("kek", &[7; 32]).unwrap();
    let key = master
        .unwrap(
            &kept.key.wrapped,
            &exception_aad("cus_1", 1, &kept.exception),
        )
        .unwrap();
    assert!(
        insider_open(
            &key,
            address.as_bytes(),
            &format::context_digest(
                "customer",
                "billing_address",
                PostalAddress::NAME,
                PostalAddress::SENSITIVITY,
                PostalAddress::CCPA_SENSITIVE,
            )
        ),
        "the kept category"
    );
    assert!(
        !insider_open(
            &key,
            email.as_bytes(),
            &format::context_digest(
                "customer",
                "email",
                Email::NAME,
                Email::SENSITIVITY,
                Email::CCPA_SENSITIVE,
            )
        ),
        "the email's data key is not derivable from the kept address key"
    );
    assert!(store.exception(&alice, 1, Email::NAME).unwrap().is_none());
}
