//! A consent covers the declaration of its purpose it was given to: a later release
//! that widens the purpose (a new category, a special category with its condition,
//! children's data) does not inherit it; a narrower one does.

use chrono::{DateTime, Duration, TimeZone, Utc};
use custodian::consent::{
    Channel, ConsentError, ConsentEvent, ConsentLedger, ConsentMethod, Evidence, EvidenceKey,
    MemoryConsentStore, Notice,
};
use custodian::retention::ManualClock;
use custodian::sqlite::SqliteStore;
use custodian::{Actor, SubjectId};

/// The purpose as first released: email and phone.
mod v1 {
    use custodian::categories::{Email, Phone};
    custodian::purpose! {
        pub struct News { name: "news", basis: Consent, description: "News by email or phone.", uses: [Email, Phone] }
    }
}

/// A later release that narrows it: email only.
mod narrower {
    use custodian::categories::Email;
    custodian::purpose! {
        pub struct News { name: "news", basis: Consent, description: "News by email.", uses: [Email] }
    }
}

/// A later release that adds health data (with explicit consent).
mod with_health {
    use custodian::categories::{Email, Health, Phone};
    custodian::purpose! {
        pub struct News {
            name: "news", basis: Consent, condition: ExplicitConsent,
            description: "News tailored to your health.", uses: [Email, Phone, Health]
        }
    }
}

/// A later release that adds an ordinary category.
mod with_address {
    use custodian::categories::{Email, Phone, PostalAddress};
    custodian::purpose! {
        pub struct News {
            name: "news", basis: Consent,
            description: "News by email, phone or post.", uses: [Email, Phone, PostalAddress]
        }
    }
}

const TEXT: &str = "Send me news by email or phone.";

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()
}

fn key() -> EvidenceKey {
    EvidenceKey::from_slice(&[7u8; 32]).unwrap()
}

fn evidence() -> Evidence {
    Evidence::new(
        Notice::new("news", 1, TEXT),
        ConsentMethod::TickedCheckbox,
        Channel::Web,
    )
}

#[test]
fn a_widened_purpose_does_not_inherit_consent_given_to_the_narrower_declaration() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("scope.db");
    let clock = ManualClock::new(t0());
    let ledgers = [
        ConsentLedger::new(MemoryConsentStore::new(), key()).unwrap(),
        ConsentLedger::new(SqliteStore::open(&path).unwrap(), key()).unwrap(),
    ];
    for ledger in ledgers {
        let ledger = ledger.with_clock(clock.clone());
        let a = SubjectId::new("cus_1").unwrap();
        ledger.register_notice::<v1::News>("news", 1, TEXT).unwrap();
        ledger.give::<v1::News>(&a, evidence()).unwrap();
        clock.advance(Duration::minutes(1));
        ledger.check::<v1::News>(&a).unwrap();
        // Fewer categories: the consent still covers it.
        ledger.check::<narrower::News>(&a).unwrap();
        // A special category with its condition: not covered.
        match ledger.access::<with_health::News>(&a, Actor::service("mailer")) {
            Err(ConsentError::PurposeChanged { purpose, uses }) => {
                assert_eq!(purpose, "news");
                assert!(uses.contains("user.health"), "{uses}");
            }
            other => panic!("expected PurposeChanged, got {:?}", other.map(|_| ())),
        }
        // An ordinary category added: not covered either.
        assert!(matches!(
            ledger.check::<with_address::News>(&a),
            Err(ConsentError::PurposeChanged { .. })
        ));
        // Consent to the new declaration (explicit, as its condition requires) covers it.
        ledger
            .give::<with_health::News>(&a, evidence().explicit())
            .unwrap();
        ledger.check::<with_health::News>(&a).unwrap();
        match ledger.history(&a).unwrap().last() {
            Some(ConsentEvent::Given(g)) => {
                let scope = g.scope.as_ref().expect("recorded with its declaration");
                assert_eq!(scope.categories.len(), 3);
            }
            other => panic!("expected Given, got {other:?}"),
        }
    }
    // Recorded in the store and covered by the chain: a reopened ledger decides alike.
    let reopened = ConsentLedger::new(SqliteStore::open(&path).unwrap(), key()).unwrap();
    reopened.verify(None).unwrap();
    let a = SubjectId::new("cus_1").unwrap();
    reopened.check::<with_health::News>(&a).unwrap();
}
