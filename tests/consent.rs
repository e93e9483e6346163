//! The consent ledger's rules, and a model test over both stores.

use chrono::{DateTime, Duration, TimeZone, Utc};
use custodian::categories::{Email, Phone};
use custodian::consent::{
    Channel, ConsentError, ConsentEvent, ConsentLedger, ConsentMethod, Evidence, EvidenceKey,
    MAX_CLOCK_SKEW, MAX_LATE_EVIDENCE, MemoryConsentStore, Notice, Withdrawal,
};
use custodian::keys::LocalMasterKey;
use custodian::retention::ManualClock;
use custodian::sqlite::SqliteStore;
use custodian::{Actor, Context, Personal, Purpose, SubjectId, Vault};

custodian::purpose! {
    /// Consent purpose, any notice version.
    pub struct Promo { basis: Consent, description: "Offers by email.", uses: [Email] }
    /// Consent purpose whose declaration already requires notice version 2.
    pub struct Survey {
        basis: Consent,
        min_notice_version: 2,
        description: "Ask your opinion.",
        uses: [Email],
    }
    /// Consent purpose using email and phone.
    pub struct Calls { basis: Consent, description: "Call you with offers.", uses: [Email, Phone] }
    /// A contract purpose that also uses email.
    pub struct Receipts { basis: Contract, description: "Send receipts.", uses: [Email] }
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()
}

fn key() -> EvidenceKey {
    EvidenceKey::from_slice(&[7u8; 32]).unwrap()
}

fn text(version: u32) -> String {
    format!("Email me offers (v{version})")
}

/// Registers the `promo` notice, versions 1 to 5, for the test purposes.
fn register(ledger: &ConsentLedger) {
    for v in 1..=5 {
        ledger
            .register_notice::<Promo>("promo", v, &text(v))
            .unwrap();
        ledger
            .register_notice::<Survey>("promo", v, &text(v))
            .unwrap();
        ledger
            .register_notice::<Calls>("promo", v, &text(v))
            .unwrap();
    }
}

fn sqlite_ledger(path: &std::path::Path) -> ConsentLedger {
    ConsentLedger::new(SqliteStore::open(path).unwrap(), key()).unwrap()
}

/// A memory ledger on a manual clock at `t0()`, with the notices registered.
fn memory() -> (ConsentLedger, ManualClock) {
    let clock = ManualClock::new(t0());
    let ledger = ConsentLedger::in_memory().with_clock(clock.clone());
    register(&ledger);
    (ledger, clock)
}

fn subject(s: &str) -> SubjectId {
    SubjectId::new(s).unwrap()
}

fn evidence(version: u32) -> Evidence {
    Evidence::new(
        Notice::new("promo", version, &text(version)),
        ConsentMethod::TickedCheckbox,
        Channel::Web,
    )
}

#[test]
fn never_given_then_given_then_withdrawn() {
    let (ledger, clock) = memory();
    let a = subject("a");
    let err = ledger.access::<Promo>(&a, Actor::service("m")).unwrap_err();
    assert!(matches!(err, ConsentError::NeverGiven { purpose: "Promo" }));

    ledger.give::<Promo>(&a, evidence(1)).unwrap();
    let access = ledger.access::<Promo>(&a, Actor::service("m")).unwrap();
    let email: Personal<String, Email> = Personal::new(a.clone(), "a@example.com".into());
    assert_eq!(email.read(&access).unwrap(), "a@example.com");

    clock.set(t0() + Duration::hours(1));
    let out = ledger
        .withdraw::<Promo>(&a, Actor::data_subject(), Channel::Email)
        .unwrap();
    assert_eq!(out, Withdrawal::Ended);
    let err = ledger.check::<Promo>(&a).unwrap_err();
    match err {
        ConsentError::Withdrawn { at, .. } => assert_eq!(at, t0() + Duration::hours(1)),
        other => panic!("expected Withdrawn, got {other:?}"),
    }
    // Withdrawing again ends nothing, but is recorded as evidence of the request.
    clock.set(t0() + Duration::hours(3));
    let out = ledger
        .withdraw::<Promo>(&a, Actor::data_subject(), Channel::Email)
        .unwrap();
    assert_eq!(out, Withdrawal::NothingToEnd);
    assert_eq!(ledger.history(&a).unwrap().len(), 3);
}

#[test]
fn consent_is_per_subject_and_per_purpose() {
    let (ledger, _clock) = memory();
    ledger.give::<Promo>(&subject("a"), evidence(2)).unwrap();
    assert!(ledger.check::<Promo>(&subject("b")).is_err());
    assert!(ledger.check::<Survey>(&subject("a")).is_err());
    assert!(ledger.check::<Promo>(&subject("a")).is_ok());
}

#[test]
fn expiry_is_enforced_at_the_instant() {
    let a = subject("a");
    let expires = t0() + Duration::days(30);
    let (ledger, clock) = memory();
    ledger
        .give::<Promo>(&a, evidence(1).expires_at(expires))
        .unwrap();
    clock.set(expires - Duration::seconds(1));
    assert!(ledger.check::<Promo>(&a).is_ok());
    clock.set(expires);
    match ledger.check::<Promo>(&a).unwrap_err() {
        ConsentError::Expired { at, purpose } => {
            assert_eq!(at, expires);
            assert_eq!(purpose, "Promo");
        }
        other => panic!("expected Expired, got {other:?}"),
    }
    // Renewal makes it live again.
    clock.set(expires);
    ledger.give::<Promo>(&a, evidence(1)).unwrap();
    assert!(ledger.check::<Promo>(&a).is_ok());
}

#[test]
fn evidence_that_expires_before_it_is_given_is_refused() {
    let (ledger, _clock) = memory();
    let err = ledger
        .give::<Promo>(&subject("a"), evidence(1).expires_at(t0()))
        .unwrap_err();
    assert!(matches!(err, ConsentError::InvalidEvidence { .. }));
    assert!(ledger.history(&subject("a")).unwrap().is_empty());
}

#[test]
fn notice_versions_declared_and_raised() {
    let (ledger, _clock) = memory();
    let a = subject("a");
    // Survey declares min_notice_version 2: consent to v1 is refused at the door.
    let err = ledger.give::<Survey>(&a, evidence(1)).unwrap_err();
    assert!(matches!(
        err,
        ConsentError::StaleNotice {
            given: 1,
            required: 2,
            ..
        }
    ));
    ledger.give::<Survey>(&a, evidence(2)).unwrap();
    assert!(ledger.check::<Survey>(&a).is_ok());

    // A material change of the notice: consent to v2 no longer counts.
    ledger.require_notice_version::<Survey>("promo", 3).unwrap();
    let err = ledger.check::<Survey>(&a).unwrap_err();
    assert!(matches!(
        err,
        ConsentError::StaleNotice {
            given: 2,
            required: 3,
            ..
        }
    ));
    // The floor never goes down.
    ledger.require_notice_version::<Survey>("promo", 1).unwrap();
    assert_eq!(ledger.required_version::<Survey>("promo").unwrap(), 3);
    ledger.give::<Survey>(&a, evidence(3)).unwrap();
    assert!(ledger.check::<Survey>(&a).is_ok());
}

#[test]
fn errors_name_the_purpose_and_no_personal_value() {
    let (ledger, _clock) = memory();
    let msg = ledger
        .check::<Promo>(&subject("cus_secret_1"))
        .unwrap_err()
        .to_string();
    assert!(msg.contains("`Promo`"), "{msg}");
    assert!(!msg.contains("cus_secret_1"), "{msg}");
}

#[test]
fn sqlite_history_survives_restart_and_is_append_only() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("custodian.db");
    let a = subject("a");
    let clock = ManualClock::new(t0());
    {
        let ledger = sqlite_ledger(&path).with_clock(clock.clone());
        register(&ledger);
        ledger
            .give::<Promo>(&a, evidence(1).expires_at(t0() + Duration::days(30)))
            .unwrap();
        clock.set(t0() + Duration::days(1));
        ledger
            .withdraw::<Promo>(&a, Actor::staff("emp-7", "support"), Channel::Phone)
            .unwrap();
        ledger.require_notice_version::<Promo>("promo", 4).unwrap();
    }
    let ledger = sqlite_ledger(&path);
    let history = ledger.history(&a).unwrap();
    assert_eq!(history.len(), 2);
    match &history[0] {
        ConsentEvent::Given(g) => {
            assert_eq!(g.notice, Notice::new("promo", 1, &text(1)));
            assert_eq!(g.method, ConsentMethod::TickedCheckbox);
            assert_eq!(g.expires_at, Some(t0() + Duration::days(30)));
        }
        other => panic!("expected Given, got {other:?}"),
    }
    match &history[1] {
        ConsentEvent::Withdrawn(w) => {
            assert_eq!(w.by, Actor::staff("emp-7", "support"));
            assert_eq!(w.channel, Channel::Phone);
        }
        other => panic!("expected Withdrawn, got {other:?}"),
    }
    assert_eq!(ledger.required_version::<Promo>("promo").unwrap(), 4);

    // Evidence cannot be rewritten behind the ledger's back.
    let conn = rusqlite::Connection::open(&path).unwrap();
    assert!(conn.execute("DELETE FROM consent_events", []).is_err());
    assert!(
        conn.execute("UPDATE consent_events SET kind = 'given'", [])
            .is_err()
    );
    assert!(conn.execute("DELETE FROM consent_notices", []).is_err());
}

/// Both stores, on a clock at `now`, with the notices registered.
fn ledgers(dir: &tempfile::TempDir, now: DateTime<Utc>) -> Vec<(ConsentLedger, ManualClock)> {
    let clock = ManualClock::new(now);
    let all = vec![
        ConsentLedger::new(MemoryConsentStore::new(), key())
            .unwrap()
            .with_clock(clock.clone()),
        sqlite_ledger(&dir.path().join("custodian.db")).with_clock(clock.clone()),
    ];
    all.into_iter()
        .map(|l| {
            register(&l);
            (l, clock.clone())
        })
        .collect()
}

#[test]
fn late_consent_dated_before_a_withdrawal_does_not_reenable_processing() {
    let dir = tempfile::tempdir().unwrap();
    let now = t0() + Duration::days(1);
    for (ledger, clock) in ledgers(&dir, t0() + Duration::hours(5)) {
        let a = subject("late");
        let withdrawn_at = t0() + Duration::hours(5);
        clock.set(withdrawn_at);
        ledger
            .withdraw::<Promo>(&a, Actor::data_subject(), Channel::Email)
            .unwrap();
        clock.set(now);
        // A paper form signed before the withdrawal arrives afterwards.
        ledger
            .give_at::<Promo>(&a, evidence(1), t0() + Duration::hours(1))
            .unwrap();
        match ledger.check::<Promo>(&a) {
            Err(ConsentError::Withdrawn { at, .. }) => assert_eq!(at, withdrawn_at),
            other => panic!("expected Withdrawn, got {other:?}"),
        }
        // Both times are kept: when it was given, and when the ledger recorded it.
        match ledger.history(&a).unwrap().last() {
            Some(ConsentEvent::Given(g)) => {
                assert_eq!(g.at, t0() + Duration::hours(1));
                assert_eq!(g.recorded_at, now);
            }
            other => panic!("expected Given, got {other:?}"),
        }
        // Consent dated after the withdrawal is in force again.
        ledger
            .give_at::<Promo>(&a, evidence(1), t0() + Duration::hours(6))
            .unwrap();
        ledger.check::<Promo>(&a).unwrap();
    }
}

#[test]
fn consent_dated_in_the_future_beyond_the_skew_or_too_far_back_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let now = t0();
    for (ledger, clock) in ledgers(&dir, now) {
        clock.set(now);
        let a = subject("future");
        let r = ledger.give_at::<Promo>(&a, evidence(1), now + Duration::days(10));
        assert!(
            matches!(r, Err(ConsentError::FromTheFuture { .. })),
            "{r:?}"
        );
        let r = ledger.give_at::<Promo>(
            &a,
            evidence(1),
            now - MAX_LATE_EVIDENCE - Duration::seconds(1),
        );
        assert!(matches!(r, Err(ConsentError::TooLate { .. })), "{r:?}");
        assert!(matches!(
            ledger.check::<Promo>(&a),
            Err(ConsentError::NeverGiven { .. })
        ));
        assert!(ledger.history(&a).unwrap().is_empty());

        // Within the tolerance it is recorded, but only counts from its date.
        let soon = now + MAX_CLOCK_SKEW;
        ledger.give_at::<Promo>(&a, evidence(1), soon).unwrap();
        match ledger.check::<Promo>(&a) {
            Err(ConsentError::NotYetInForce { from, .. }) => assert_eq!(from, soon),
            other => panic!("expected NotYetInForce, got {other:?}"),
        }
        clock.set(soon);
        ledger.check::<Promo>(&a).unwrap();
    }
}

/// Item 19: a consent dated ahead (within the skew tolerance) is recorded, then the
/// person withdraws: the withdrawal is dated before the consent, but it was recorded
/// after it, so it ends it, and no later check grants.
#[test]
fn a_withdrawal_recorded_after_a_consent_dated_ahead_ends_it() {
    let dir = tempfile::tempdir().unwrap();
    for (ledger, clock) in ledgers(&dir, t0()) {
        let a = subject("ahead");
        ledger
            .give_at::<Promo>(&a, evidence(1), t0() + Duration::minutes(4))
            .unwrap();
        clock.set(t0() + Duration::minutes(1));
        let w = ledger
            .withdraw::<Promo>(&a, Actor::data_subject(), Channel::Email)
            .unwrap();
        assert_eq!(w, Withdrawal::Ended);
        for later in [4, 5, 10, 60 * 24] {
            let now = t0() + Duration::minutes(later);
            clock.set(now);
            match ledger.check::<Promo>(&a) {
                Err(ConsentError::Withdrawn { at, .. }) => {
                    assert_eq!(at, t0() + Duration::minutes(1))
                }
                other => panic!("expected Withdrawn at +{later} min, got {other:?}"),
            }
        }
    }
}

/// Item 19 with the ledger's own clock: two ledgers on one SQLite file, one clock 4
/// minutes fast. The consent recorded by the fast one is ended by a withdrawal
/// recorded afterwards by the other; a consent recorded after that withdrawal (and
/// dated after it) is a new consent and is in force.
#[test]
fn a_withdrawal_on_a_slower_clock_ends_a_consent_recorded_on_a_faster_one() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("skew.db");
    let fast = ManualClock::new(t0() + Duration::minutes(4));
    let right = ManualClock::new(t0());
    let a_ledger = sqlite_ledger(&path).with_clock(fast.clone());
    let b_ledger = sqlite_ledger(&path).with_clock(right.clone());
    register(&a_ledger);
    let a = subject("skewed");
    a_ledger.give::<Promo>(&a, evidence(1)).unwrap();
    right.set(t0() + Duration::minutes(1));
    fast.set(t0() + Duration::minutes(5));
    assert_eq!(
        b_ledger
            .withdraw::<Promo>(&a, Actor::data_subject(), Channel::Email)
            .unwrap(),
        Withdrawal::Ended
    );
    for ledger in [&a_ledger, &b_ledger] {
        let r = ledger.check::<Promo>(&a);
        assert!(
            matches!(r, Err(ConsentError::Withdrawn { .. })),
            "a withdrawn person is processed again: {r:?}"
        );
    }
    // The person consents again, through the ledger with the right clock.
    right.set(t0() + Duration::minutes(2));
    b_ledger.give::<Promo>(&a, evidence(1)).unwrap();
    a_ledger.check::<Promo>(&a).unwrap();
}

fn vault_with(ledger: &ConsentLedger, store: SqliteStore) -> Vault {
    Vault::builder(LocalMasterKey::from_slice("kek", &[1; 32]).unwrap(), store)
        .consent(ledger.eraser())
        .build()
}

#[test]
fn erasure_ends_every_consent_and_no_consent_is_accepted_after_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.db");
    let store = SqliteStore::open(&path).unwrap();
    let clock = ManualClock::new(t0());
    let ledger = ConsentLedger::new(store.clone(), key())
        .unwrap()
        .with_clock(clock.clone());
    register(&ledger);
    let vault = vault_with(&ledger, store);
    let alice = subject("cus_alice");
    ledger.give::<Promo>(&alice, evidence(1)).unwrap();
    ledger.give::<Survey>(&alice, evidence(2)).unwrap();
    vault
        .seal(
            &Personal::<String, Email>::new(alice.clone(), "x".into()),
            &Context::new("customer", "email")
                .unwrap()
                .retain(custodian::Retention::UntilErased),
        )
        .unwrap();
    vault
        .operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .erase(&alice)
        .unwrap();
    for r in [
        ledger.check::<Promo>(&alice),
        ledger.check::<Survey>(&alice),
    ] {
        assert!(matches!(r, Err(ConsentError::Erased { .. })), "{r:?}");
    }
    let r = ledger.give::<Promo>(&alice, evidence(1));
    assert!(matches!(r, Err(ConsentError::Erased { .. })), "{r:?}");
    let r = ledger.withdraw::<Promo>(&alice, Actor::data_subject(), Channel::Web);
    assert!(matches!(r, Err(ConsentError::Erased { .. })), "{r:?}");
    // Erasing again changes nothing; the chain still verifies.
    vault
        .operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .erase(&alice)
        .unwrap();
    ledger.verify(None).unwrap();
}

#[test]
fn a_ledger_in_another_process_refuses_a_subject_erased_elsewhere_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.db");
    // Process A and process B: two handles on one file, each with its own vault and
    // ledger.
    let store_a = SqliteStore::open(&path).unwrap();
    let store_b = SqliteStore::open(&path).unwrap();
    let ledger_a = ConsentLedger::new(store_a.clone(), key()).unwrap();
    let ledger_b = ConsentLedger::new(store_b, key()).unwrap();
    register(&ledger_a);
    let vault_a = vault_with(&ledger_a, store_a);
    let alice = subject("cus_alice");
    ledger_b.give::<Promo>(&alice, evidence(1)).unwrap();
    ledger_b.check::<Promo>(&alice).unwrap();
    vault_a
        .operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .erase(&alice)
        .unwrap();
    let r = ledger_b.check::<Promo>(&alice);
    assert!(matches!(r, Err(ConsentError::Erased { .. })), "{r:?}");
    let r = ledger_b.give::<Promo>(&alice, evidence(1));
    assert!(matches!(r, Err(ConsentError::Erased { .. })), "{r:?}");
}

#[test]
fn withdrawing_the_only_basis_makes_its_categories_due_for_erasure() {
    let (ledger, _clock) = memory();
    let a = subject("a");
    ledger.give::<Calls>(&a, evidence(1)).unwrap();
    ledger.give::<Promo>(&a, evidence(1)).unwrap();
    let others = [Promo::INFO, Receipts::INFO];
    // While consent to Calls is live, nothing is due.
    assert!(
        ledger
            .due_for_erasure::<Calls>(&a, &others)
            .unwrap()
            .is_empty()
    );
    ledger
        .withdraw::<Calls>(&a, Actor::data_subject(), Channel::Phone)
        .unwrap();
    // Email is still used by Promo (live consent) and Receipts (contract): the phone
    // number had no other basis.
    assert_eq!(
        ledger.due_for_erasure::<Calls>(&a, &others).unwrap(),
        ["user.contact.phone_number"]
    );
    // Without the contract and with Promo withdrawn too, both are due.
    ledger
        .withdraw::<Promo>(&a, Actor::data_subject(), Channel::Email)
        .unwrap();
    assert_eq!(
        ledger.due_for_erasure::<Calls>(&a, &[Promo::INFO]).unwrap(),
        ["user.contact.email", "user.contact.phone_number"]
    );
}
