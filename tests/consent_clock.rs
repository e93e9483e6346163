//! The consent ledger decides on its injected clock, the one the vault of the same
//! service reads, never on the system clock or a time the caller passes.

use chrono::{Duration, TimeZone, Utc};
use custodian::categories::Email;
use custodian::consent::{Channel, ConsentError, ConsentLedger, ConsentMethod, Evidence};
use custodian::keys::LocalMasterKey;
use custodian::retention::{Clock, ManualClock};
use custodian::{Actor, SubjectId, Vault};

custodian::purpose! {
    pub struct Promo { basis: Consent, description: "Offers by email.", uses: [Email] }
}

/// A time no system clock running these tests shows: decided by the system clock,
/// a consent given then would be "not yet in force", and never expire.
fn far() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2100, 1, 1, 9, 0, 0).unwrap()
}

#[test]
fn consent_is_decided_by_the_ledgers_clock_never_the_system_clock() {
    let clock = ManualClock::new(far());
    let ledger = ConsentLedger::in_memory().with_clock(clock.clone());
    let alice = SubjectId::new("cus_alice").unwrap();
    let notice = ledger
        .register_notice::<Promo>("promo", 1, "Email me offers.")
        .unwrap();
    let evidence = Evidence::new(notice, ConsentMethod::TickedCheckbox, Channel::Web)
        .expires_at(far() + Duration::days(30));
    ledger.give::<Promo>(&alice, evidence).unwrap();

    // Live by the ledger's clock (the system clock would say "not yet in force").
    ledger.check::<Promo>(&alice).unwrap();
    ledger
        .access::<Promo>(&alice, Actor::service("mailer"))
        .unwrap();

    // Expired once the ledger's clock passes the expiry (the system clock never does).
    clock.advance(Duration::days(31));
    assert!(matches!(
        ledger.check::<Promo>(&alice),
        Err(ConsentError::Expired { .. })
    ));
    assert!(matches!(
        ledger.access::<Promo>(&alice, Actor::service("mailer")),
        Err(ConsentError::Expired { .. })
    ));
}

#[test]
fn a_ledger_given_the_vaults_clock_decides_on_the_vaults_time() {
    let clock = ManualClock::new(far());
    let vault = Vault::builder(
        LocalMasterKey::from_slice("kek", &[1; 32]).unwrap(),
        custodian::memory::MemoryKeyStore::new(),
    )
    .clock(clock.clone())
    .build();
    let ledger = ConsentLedger::in_memory().with_clock(vault.clock());
    assert_eq!(ledger.now(), vault.clock().now());
    let alice = SubjectId::new("cus_alice").unwrap();
    let notice = ledger
        .register_notice::<Promo>("promo", 1, "Email me offers.")
        .unwrap();
    let evidence = Evidence::new(notice, ConsentMethod::TickedCheckbox, Channel::Web)
        .expires_at(far() + Duration::days(1));
    ledger.give::<Promo>(&alice, evidence).unwrap();
    ledger.check::<Promo>(&alice).unwrap();
    // Moving the vault's clock moves the ledger's: one time for the service.
    clock.advance(Duration::days(2));
    assert_eq!(ledger.now(), far() + Duration::days(2));
    assert!(matches!(
        ledger.check::<Promo>(&alice),
        Err(ConsentError::Expired { .. })
    ));
}
