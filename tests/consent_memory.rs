//! The in-memory consent store on the check path (`benches/consent.rs`): statuses share
//! their notice id and scope, and notice floors answer per notice without allocating.

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use custodian::SubjectId;
use custodian::categories::Email;
use custodian::consent::{
    Channel, ConsentLedger, ConsentMethod, ConsentStore, Evidence, EvidenceKey, MemoryConsentStore,
};
use custodian::retention::ManualClock;

custodian::purpose! {
    /// Consent purpose.
    pub struct Promo { basis: Consent, description: "Offers by email.", uses: [Email] }
}

fn key() -> EvidenceKey {
    EvidenceKey::from_slice(&[7u8; 32]).unwrap()
}

fn ledger(store: &Arc<MemoryConsentStore>) -> ConsentLedger {
    let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    ConsentLedger::new(store.clone(), key())
        .unwrap()
        .with_clock(ManualClock::new(now))
}

#[test]
fn statuses_of_many_subjects_share_one_notice_id_and_scope() {
    let store = Arc::new(MemoryConsentStore::new());
    let ledger = ledger(&store);
    let notice = ledger
        .register_notice::<Promo>("promo", 1, "Email me offers.")
        .unwrap();
    let subjects: Vec<SubjectId> = (0..3)
        .map(|i| SubjectId::new(format!("cus_{i}")).unwrap())
        .collect();
    for s in &subjects {
        let ev = Evidence::new(notice.clone(), ConsentMethod::TickedCheckbox, Channel::Web);
        ledger.give::<Promo>(s, ev).unwrap();
    }
    let statuses: Vec<_> = subjects
        .iter()
        .map(|s| store.status(s, "Promo", &key()).unwrap().unwrap())
        .collect();
    for s in &statuses[1..] {
        assert_eq!(&*s.notice_id, "promo");
        // One allocation each, warm in cache for every check, not one per subject.
        assert!(Arc::ptr_eq(&s.notice_id, &statuses[0].notice_id));
        let (Some(a), Some(b)) = (&s.scope, &statuses[0].scope) else {
            panic!("a consent given now records its scope");
        };
        assert!(Arc::ptr_eq(a, b));
    }
    for s in &subjects {
        assert!(ledger.check::<Promo>(s).is_ok());
    }
}

#[test]
fn notice_floors_apply_per_notice_and_purpose_wide() {
    let store = MemoryConsentStore::new();
    let k = key();
    assert_eq!(store.notice_floor("Promo", "promo", &k).unwrap(), 0);
    store
        .raise_notice_floor("Promo", Some("promo"), 3, &k)
        .unwrap();
    assert_eq!(store.notice_floor("Promo", "promo", &k).unwrap(), 3);
    assert_eq!(store.notice_floor("Promo", "other", &k).unwrap(), 0);
    assert_eq!(store.notice_floor("Survey", "promo", &k).unwrap(), 0);
    // It only rises.
    store
        .raise_notice_floor("Promo", Some("promo"), 2, &k)
        .unwrap();
    assert_eq!(store.notice_floor("Promo", "promo", &k).unwrap(), 3);
    // A purpose-wide floor applies to every notice, the larger one winning.
    store.raise_notice_floor("Promo", None, 2, &k).unwrap();
    assert_eq!(store.notice_floor("Promo", "other", &k).unwrap(), 2);
    assert_eq!(store.notice_floor("Promo", "promo", &k).unwrap(), 3);
    store.raise_notice_floor("Promo", None, 5, &k).unwrap();
    assert_eq!(store.notice_floor("Promo", "promo", &k).unwrap(), 5);
    // Each raise is chained, once.
    assert_eq!(store.read_floors(1, 100).unwrap().len(), 3);
}
