//! The published test vectors (`tests/vectors/v3.json`, `docs/format.md`) checked
//! against the format's primitives, and the one-byte classification codes of the
//! context digest. Unit tests: sealing with a given nonce is internal to the crate (a
//! caller's nonce could repeat), so only the crate's own tests reach it.

use std::collections::HashSet;

use super::{algorithm, hex};
use crate::format;

#[test]
fn vectors_match() {
    let doc: serde_json::Value =
        serde_json::from_str(include_str!("../../tests/vectors/v3.json")).unwrap();
    let vectors = doc["vectors"].as_array().unwrap();
    assert!(vectors.len() >= 7);
    for v in vectors {
        let name = v["name"].as_str().unwrap();
        let alg = algorithm(v["algorithm"].as_str().unwrap());
        let subject = v["subject"].as_str().unwrap();
        let version = v["key_version"].as_u64().unwrap() as u32;
        let subject_key = hex(v["subject_key"].as_str().unwrap());
        let nonce: [u8; 12] = hex(v["nonce"].as_str().unwrap()).try_into().unwrap();
        let (record, field, category) = (
            v["record"].as_str().unwrap(),
            v["field"].as_str().unwrap(),
            v["category"].as_str().unwrap(),
        );
        let plaintext = hex(v["plaintext"].as_str().unwrap());
        let expected = hex(v["sealed"].as_str().unwrap());
        let dates = format::Dates {
            collected: v["collected"].as_i64().unwrap(),
            expires: v["expires"].as_i64().unwrap(),
        };
        let epoch = format::epoch_of(dates.expires);
        assert_eq!(
            u64::from(epoch),
            v["epoch"].as_u64().unwrap(),
            "{name}: epoch"
        );

        let share = match v["epoch_key"].as_str() {
            Some(ek) => format::epoch_share(&hex(ek), subject, epoch),
            None => zeroize::Zeroizing::new([0u8; 32]),
        };
        assert_eq!(
            share[..],
            hex(v["epoch_share"].as_str().unwrap())[..],
            "{name}: epoch share"
        );
        let category_key = format::category_key(&subject_key, category);
        assert_eq!(
            category_key[..],
            hex(v["category_key"].as_str().unwrap())[..],
            "{name}: category key"
        );
        let data_key = format::derive_data_key(&category_key, &share, alg, subject, version, epoch);
        assert_eq!(
            data_key[..],
            hex(v["data_key"].as_str().unwrap())[..],
            "{name}: data key"
        );
        // The classification, as the vector spells it (serde names of the enums).
        let sensitivity: crate::Sensitivity =
            serde_json::from_value(v["sensitivity"].clone()).unwrap();
        let ccpa: Option<crate::CcpaSensitive> =
            serde_json::from_value(v["ccpa_sensitive"].clone()).unwrap();
        let digest = format::context_digest(record, field, category, sensitivity, ccpa);
        assert_eq!(
            digest[..],
            hex(v["context_digest"].as_str().unwrap())[..],
            "{name}: digest"
        );
        let key = format::aead_key(alg, &data_key).unwrap();
        let sealed = format::seal(
            &key,
            alg,
            subject,
            version,
            dates,
            nonce,
            &digest,
            plaintext.len(),
            |out| out.extend_from_slice(&plaintext),
        )
        .unwrap();
        assert_eq!(sealed, expected, "{name}: sealed bytes");
        let header = format::parse(&expected).unwrap();
        assert_eq!(
            (header.subject, header.key_version, header.algorithm),
            (subject, version, alg)
        );
        assert_eq!(header.expiry_day, epoch, "{name}: expiry day");
        let (opened_dates, opened) = format::open(&key, &expected, &header, &digest).unwrap();
        assert_eq!(opened_dates, dates, "{name}: sealed dates");
        assert_eq!(opened[..], plaintext[..], "{name}: opened");
    }
}

#[test]
fn every_classification_of_one_name_gives_its_own_digest() {
    // Guards the one-byte codes of docs/format.md: two classifications sharing a code
    // would let a look-alike of one open the other.
    use crate::CcpaSensitive::*;
    use crate::Sensitivity::{CriminalOffence, Ordinary, Special};
    let ccpa = [
        None,
        Some(GovernmentIdNumber),
        Some(AccountAccess),
        Some(PreciseGeolocation),
        Some(OriginBeliefsOrUnion),
        Some(CommunicationsContent),
        Some(GeneticData),
        Some(NeuralData),
        Some(BiometricIdentification),
        Some(HealthData),
        Some(SexLifeOrOrientation),
    ];
    let mut digests = HashSet::new();
    for sensitivity in [Ordinary, Special, CriminalOffence] {
        for marking in ccpa {
            digests.insert(format::context_digest(
                "patient",
                "notes",
                "user.health_and_medical",
                sensitivity,
                marking,
            ));
        }
    }
    assert_eq!(digests.len(), 3 * ccpa.len());
}
