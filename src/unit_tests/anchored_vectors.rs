//! The event-anchored test vectors (`"anchored"` in tests/vectors/v3.json), generated
//! independently by tests/vectors/generate.py from docs/format.md, "Event anchors",
//! checked against the format's primitives (crate-private: they take a caller's nonce)
//! and against the code the vault writes for each literal.

use super::{algorithm, hex};
use crate::categories::Email;
use crate::format;
use crate::keys::LocalMasterKey;
use crate::memory::MemoryKeyStore;
use crate::retention::ManualClock;
use crate::{Context, Personal, Retention, SubjectId, Vault};
use chrono::{DateTime, TimeZone, Utc};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2027, 1, 1, 12, 0, 0).unwrap()
}

fn vault_on(clock: &ManualClock) -> Vault {
    Vault::builder(
        LocalMasterKey::from_slice("kek", &[7; 32]).unwrap(),
        MemoryKeyStore::new(),
    )
    .clock(clock.clone())
    .build()
}

fn ctx(retention: Retention) -> Context<Email> {
    Context::new("customer", "email").unwrap().retain(retention)
}

#[test]
fn anchored_vectors_match() {
    let doc: serde_json::Value =
        serde_json::from_str(include_str!("../../tests/vectors/v3.json")).unwrap();
    let vectors = doc["anchored"].as_array().unwrap();
    assert!(vectors.len() >= 2);
    for v in vectors {
        let name = v["name"].as_str().unwrap();
        let alg = algorithm(v["algorithm"].as_str().unwrap());
        let subject = v["subject"].as_str().unwrap();
        let version = v["key_version"].as_u64().unwrap() as u32;
        let code = v["code"].as_u64().unwrap() as u32;
        let literal = format!(
            "{} after {}",
            v["period"].as_str().unwrap(),
            match v["anchor"].as_str().unwrap() {
                "contract_end" => "end of contract",
                "employment_end" => "end of employment",
                _ => "last contact",
            }
        );
        // The code is the one the vault writes for the literal.
        let retention = Retention::parse(&literal).unwrap();
        assert!(matches!(retention, Retention::AfterEvent { .. }), "{name}");
        let clock = ManualClock::new(t0());
        let vault = vault_on(&clock);
        let probe = vault
            .seal(
                &Personal::<String, Email>::new(SubjectId::new("probe").unwrap(), String::new()),
                &ctx(retention),
            )
            .unwrap();
        assert_eq!(probe.header().unwrap().expiry_day, code, "{name}: code");

        let share = format::anchor_share(&hex(v["anchor_key"].as_str().unwrap()), subject, code);
        assert_eq!(
            share[..],
            hex(v["anchor_share"].as_str().unwrap())[..],
            "{name}: share"
        );
        let category = v["category"].as_str().unwrap();
        let category_key = format::category_key(&hex(v["subject_key"].as_str().unwrap()), category);
        let data_key = format::derive_data_key(&category_key, &share, alg, subject, version, code);
        assert_eq!(
            data_key[..],
            hex(v["data_key"].as_str().unwrap())[..],
            "{name}: data key"
        );
        let sensitivity: crate::Sensitivity =
            serde_json::from_value(v["sensitivity"].clone()).unwrap();
        let ccpa: Option<crate::CcpaSensitive> =
            serde_json::from_value(v["ccpa_sensitive"].clone()).unwrap();
        let digest = format::context_digest(
            v["record"].as_str().unwrap(),
            v["field"].as_str().unwrap(),
            category,
            sensitivity,
            ccpa,
        );
        let key = format::aead_key(alg, &data_key).unwrap();
        let plaintext = hex(v["plaintext"].as_str().unwrap());
        let nonce: [u8; 12] = hex(v["nonce"].as_str().unwrap()).try_into().unwrap();
        let collected = v["collected"].as_i64().unwrap();
        let sealed = format::seal_anchored(
            &key,
            alg,
            subject,
            version,
            code,
            collected,
            nonce,
            &digest,
            plaintext.len(),
            |out| out.extend_from_slice(&plaintext),
        )
        .unwrap();
        let expected = hex(v["sealed"].as_str().unwrap());
        assert_eq!(sealed, expected, "{name}: sealed bytes");
        let header = format::parse(&expected).unwrap();
        assert!(header.is_anchored());
        assert_eq!(
            header.expired_by(),
            i64::MAX,
            "the event decides, not the day"
        );
        let (dates, opened) = format::open(&key, &expected, &header, &digest).unwrap();
        assert_eq!((dates.collected, dates.expires), (collected, i64::MAX));
        assert_eq!(opened[..], plaintext[..], "{name}: opened");
    }
}
