//! The published test vectors (tests/vectors/v3.json, generated independently by
//! tests/vectors/generate.py from the spec), opened through the whole vault.

mod common;

use common::crypto::access;
use common::{master, sid};
use custodian::categories::Email;
use custodian::keys::{KeyName, KeyStore, MasterKey, WrappedKey};
use custodian::memory::MemoryKeyStore;
use custodian::retention::ManualClock;
use custodian::{Context, Sealed, Vault};

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
