//! An `Access` for a consent purpose opens for one request: the vault refuses it once
//! its consent check is older than `CONSENT_ACCESS_VALIDITY_SECONDS` by the vault's
//! clock, or ahead of that clock, so one kept past a withdrawal, or minted by a ledger
//! on a clock of its caller's choosing, opens nothing.

use std::sync::Arc;

use chrono::{Duration, TimeZone, Utc};
use custodian::categories::Email;
use custodian::consent::{
    Channel, ConsentLedger, ConsentMethod, Evidence, EvidenceKey, MemoryConsentStore,
};
use custodian::keys::LocalMasterKey;
use custodian::retention::ManualClock;
use custodian::{Actor, Context, Personal, Retention, SubjectId, Vault};

custodian::purpose! {
    pub struct Newsletter { basis: Consent, description: "Our monthly newsletter.", uses: [Email] }
}

fn ctx() -> Context<Email> {
    Context::<Email>::new("customer", "email")
        .unwrap()
        .retain(Retention::Years(1))
}

#[test]
fn access_minted_before_withdrawal_is_refused_after_it() {
    let clock = ManualClock::new(Utc.with_ymd_and_hms(2027, 1, 1, 9, 0, 0).unwrap());
    let vault = Vault::builder(
        LocalMasterKey::generate("k").unwrap(),
        custodian::memory::MemoryKeyStore::new(),
    )
    .clock(clock.clone())
    .build();
    let ledger = ConsentLedger::in_memory().with_clock(clock.clone());
    let alice = SubjectId::new("cus_1").unwrap();
    let n = ledger
        .register_notice::<Newsletter>("nl", 1, "Send me the newsletter.")
        .unwrap();
    ledger
        .give::<Newsletter>(
            &alice,
            Evidence::new(n, ConsentMethod::TickedCheckbox, Channel::Web),
        )
        .unwrap();
    let access = ledger
        .access::<Newsletter>(&alice, Actor::service("mailer"))
        .unwrap();
    let sealed = vault
        .seal(&Personal::new(alice.clone(), "a@x".to_string()), &ctx())
        .unwrap();
    // Within the request, it opens.
    assert!(vault.open(&sealed, &ctx(), &access).is_ok());
    clock.advance(Duration::days(1));
    ledger
        .withdraw::<Newsletter>(&alice, Actor::data_subject(), Channel::Web)
        .unwrap();
    let err = vault.open(&sealed, &ctx(), &access).unwrap_err();
    assert_eq!(err.kind().code(), "consent_access_stale", "{err:?}");
}

#[test]
fn access_from_ledger_on_chosen_clock_does_not_open() {
    let t0 = Utc.with_ymd_and_hms(2027, 1, 1, 9, 0, 0).unwrap();
    let store = Arc::new(MemoryConsentStore::new());
    let key = [3u8; 32];
    let real = ConsentLedger::new(Arc::clone(&store), EvidenceKey::from_slice(&key).unwrap())
        .unwrap()
        .with_clock(ManualClock::new(t0));
    let alice = SubjectId::new("cus_1").unwrap();
    let n = real
        .register_notice::<Newsletter>("nl", 1, "Send me the newsletter.")
        .unwrap();
    real.give::<Newsletter>(
        &alice,
        Evidence::new(n, ConsentMethod::TickedCheckbox, Channel::Web)
            .expires_at(t0 + Duration::days(30)),
    )
    .unwrap();
    let vault_clock = ManualClock::new(t0 + Duration::days(400));
    let vault = Vault::builder(
        LocalMasterKey::generate("k").unwrap(),
        custodian::memory::MemoryKeyStore::new(),
    )
    .clock(vault_clock)
    .build();
    let sealed = vault
        .seal(&Personal::new(alice.clone(), "a@x".to_string()), &ctx())
        .unwrap();
    // A ledger on a clock of its builder's choosing says yes...
    for rigged_at in [t0 + Duration::days(1), t0 + Duration::days(800)] {
        let rigged = ConsentLedger::new(Arc::clone(&store), EvidenceKey::from_slice(&key).unwrap())
            .unwrap()
            .with_clock(ManualClock::new(rigged_at));
        if let Ok(access) = rigged.access::<Newsletter>(&alice, Actor::service("mailer")) {
            // ...but the vault, on its own clock, opens nothing with that access.
            let err = vault.open(&sealed, &ctx(), &access).unwrap_err();
            assert_eq!(err.kind().code(), "consent_access_stale", "{err:?}");
        }
    }
}
