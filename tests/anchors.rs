//! Retention periods that run from an event (docs/retention.md, "Periods from an
//! event"): "3y after end of contract", "2y after last contact". Each rule on the memory
//! store and on SQLite; tampering and two processes on SQLite in `anchors_on_file.rs`.

mod common;

use chrono::{TimeDelta, TimeZone, Utc};
use common::anchors::*;
use common::sid;
use custodian::categories::Email;
use custodian::keys::{KeyName, LocalMasterKey};
use custodian::memory::MemoryKeyStore;
use custodian::retention::{Anchor, Clock, EventPeriod, ManualClock};
use custodian::sqlite::SqliteStore;
use custodian::{
    Access, Actor, AdminError, OpenError, Personal, PersonalData, Retention, SealError, Sealed,
    SubjectId, Vault, VaultError, VaultStore,
};

#[test]
fn the_literal_names_the_event_and_the_period() {
    assert_eq!(
        Retention::parse("3y after end of contract"),
        Ok(after_contract())
    );
    assert_eq!(
        Retention::parse("24m after last contact"),
        Ok(Retention::AfterEvent {
            anchor: Anchor::LastContact,
            period: EventPeriod::Months(24)
        })
    );
    assert_eq!(
        Retention::parse("90d after end of employment").map(|r| r.to_string()),
        Ok("90 days after end of employment".to_owned())
    );
    for bad in [
        "3y after end of contrakt",
        "3y after",
        "3y after ",
        "0y after end of contract",
        "16384y after last contact",
        "3w after last contact",
        "y after last contact",
        "3y  after last contact",
        "3y after last contact ",
    ] {
        assert!(Retention::parse(bad).is_err(), "{bad}");
    }
    assert_eq!(Retention::UntilErased.after(Anchor::LastContact), None);
    assert_eq!(Retention::Days(16_384).after(Anchor::LastContact), None);
}

#[test]
fn value_before_event_opens() {
    on_both_stores(|_, v, clock| {
        let a = sid("cus_a");
        let sealed = seal(&v, &a, after_contract());
        let header = sealed.header().unwrap();
        assert!(header.is_anchored(), "the header names the anchor");
        assert_eq!(header.expiry_day, 0xFF01_8003);
        // Ten years on, the contract still runs: the value opens.
        clock.advance(TimeDelta::days(3650));
        op(&v).sweep().unwrap();
        assert_eq!(open(&v, &sealed, &a).unwrap(), "cus_a@example.com");
        assert_eq!(
            v.dates(&sealed, &ctx(after_contract())).unwrap().expires,
            i64::MAX,
            "no end until the event is recorded"
        );
        // Recorded now: it opens until three years from now.
        op(&v)
            .record_event(&a, Anchor::ContractEnd, clock.now())
            .unwrap();
        clock.advance(TimeDelta::days(3 * 365 - 1));
        op(&v).sweep().unwrap();
        assert_eq!(open(&v, &sealed, &a).unwrap(), "cus_a@example.com");
    });
}

#[test]
fn value_after_contract_end_plus_period_is_expired() {
    on_both_stores(|_, v, clock| {
        let a = sid("cus_a");
        let sealed = seal(&v, &a, after_contract());
        let end = t0() + TimeDelta::days(10);
        clock.set(end);
        op(&v).record_event(&a, Anchor::ContractEnd, end).unwrap();
        let expiry = Utc.with_ymd_and_hms(2030, 1, 11, 12, 0, 0).unwrap();
        assert_eq!(
            v.dates(&sealed, &ctx(after_contract())).unwrap().expires,
            expiry.timestamp()
        );
        clock.set(expiry - TimeDelta::seconds(1));
        assert!(open(&v, &sealed, &a).is_ok(), "a second before the end");
        // Past the end, before any sweep: refused by the recorded event (the key
        // still exists).
        clock.set(expiry);
        assert!(
            matches!(open(&v, &sealed, &a), Err(VaultError::Expired { at }) if at == expiry),
            "{:?}",
            open(&v, &sealed, &a)
        );
        // After the sweep: still `Expired`, not `Shredded` or `Decrypt`.
        op(&v).sweep().unwrap();
        assert!(matches!(
            open(&v, &sealed, &a),
            Err(VaultError::Expired { at }) if at == expiry
        ));
        // Nothing new is sealed under the ended period.
        assert!(matches!(
            v.seal(
                &Personal::new(a.clone(), "new@example.com".to_owned()),
                &ctx(after_contract())
            ),
            Err(SealError::EventPeriodEnded {
                anchor: Anchor::ContractEnd,
                ..
            })
        ));
    });
}

#[test]
fn sweep_destroys_due_anchor_key() {
    on_both_stores(|store, v, clock| {
        let (a, b) = (sid("cus_a"), sid("cus_b"));
        seal(&v, &a, after_contract());
        seal(&v, &b, after_contract());
        // A different period under the same anchor has its own key.
        let six = Retention::Years(6).after(Anchor::ContractEnd).unwrap();
        seal(&v, &a, six);
        op(&v).record_event(&a, Anchor::ContractEnd, t0()).unwrap();
        clock.advance(TimeDelta::days(3 * 365));
        assert_eq!(
            op(&v).sweep().unwrap().anchor_subjects_swept,
            0,
            "not yet due"
        );
        assert!(store.get(&anchor_key(&a)).unwrap().is_some());
        clock.advance(TimeDelta::days(2));
        assert_eq!(op(&v).sweep().unwrap().anchor_subjects_swept, 1);
        assert!(
            store.get(&anchor_key(&a)).unwrap().is_none(),
            "a's key is gone"
        );
        let six_name = KeyName::Anchor {
            subject: a.clone(),
            code: Anchor::ContractEnd
                .header_code(EventPeriod::Years(6))
                .unwrap(),
        };
        assert!(
            store.get(&six_name).unwrap().is_some(),
            "the 6-year key waits"
        );
        assert!(
            store.get(&anchor_key(&b)).unwrap().is_some(),
            "b's contract still runs"
        );
    });
}

#[test]
fn a_key_created_after_its_event_is_swept_when_due() {
    on_both_stores(|store, v, clock| {
        let a = sid("cus_a");
        op(&v).record_event(&a, Anchor::ContractEnd, t0()).unwrap();
        clock.advance(TimeDelta::days(30));
        let sealed = seal(&v, &a, after_contract());
        clock.set(t0() + TimeDelta::days(3 * 366));
        op(&v).sweep().unwrap();
        assert!(store.get(&anchor_key(&a)).unwrap().is_none());
        assert!(matches!(
            open(&v, &sealed, &a),
            Err(VaultError::Expired { .. })
        ));
    });
}

#[test]
fn held_subject_anchor_key_survives_sweep() {
    on_both_stores(|store, v, clock| {
        let a = sid("cus_a");
        let sealed = seal(&v, &a, after_contract());
        op(&v).record_event(&a, Anchor::ContractEnd, t0()).unwrap();
        let hold = op(&v)
            .hold::<Claims>(&a, "case 2029-3: dispute", None)
            .unwrap();
        clock.advance(TimeDelta::days(4 * 365));
        op(&v).sweep().unwrap();
        assert!(
            store.get(&anchor_key(&a)).unwrap().is_some(),
            "kept under the hold"
        );
        // Art. 18(2): past its period, held data opens only for the hold's purpose.
        assert_eq!(
            open_for_claims(&v, &sealed, &a).unwrap(),
            "cus_a@example.com"
        );
        assert!(matches!(
            open(&v, &sealed, &a),
            Err(VaultError::RestrictedByHold { .. })
        ));
        op(&v).release(&hold.id).unwrap();
        assert!(matches!(
            open_for_claims(&v, &sealed, &a),
            Err(VaultError::Expired { .. })
        ));
        op(&v).sweep().unwrap();
        assert!(store.get(&anchor_key(&a)).unwrap().is_none());
        assert!(matches!(
            open_for_claims(&v, &sealed, &a),
            Err(VaultError::Expired { .. })
        ));
    });
}

#[test]
fn erase_destroys_anchor_keys() {
    on_both_stores(|store, v, _| {
        let a = sid("cus_a");
        let sealed = seal(&v, &a, after_contract());
        op(&v).record_event(&a, Anchor::LastContact, t0()).unwrap();
        op(&v).erase(&a).unwrap();
        assert!(store.get(&anchor_key(&a)).unwrap().is_none());
        assert!(matches!(open(&v, &sealed, &a), Err(VaultError::Shredded)));
        assert!(
            v.events_of(&a).unwrap().is_empty(),
            "the events went with them"
        );
        assert!(matches!(
            op(&v).record_event(&a, Anchor::ContractEnd, t0()),
            Err(AdminError::Shredded)
        ));
    });
}

#[test]
fn an_erasure_exception_keeps_values_kept_after_an_event() {
    on_both_stores(|store, v, clock| {
        let a = sid("cus_a");
        let sealed = seal(&v, &a, after_contract());
        op(&v).record_event(&a, Anchor::ContractEnd, t0()).unwrap();
        let until = t0() + TimeDelta::days(400);
        let keep =
            custodian::retention::ErasureException::keep::<Claims, Email>("§ 257 HGB", until);
        op(&v).erase_with(&a, &[keep]).unwrap();
        assert!(
            store.get(&anchor_key(&a)).unwrap().is_some(),
            "kept for the exception"
        );
        assert_eq!(
            open_for_claims(&v, &sealed, &a).unwrap(),
            "cus_a@example.com"
        );
        assert!(matches!(
            open(&v, &sealed, &a),
            Err(VaultError::RestrictedByErasureException { .. })
        ));
        clock.set(until);
        op(&v).sweep().unwrap();
        assert!(
            store.get(&anchor_key(&a)).unwrap().is_none(),
            "gone with the exception"
        );
        assert!(matches!(
            open_for_claims(&v, &sealed, &a),
            Err(VaultError::Shredded)
        ));
    });
}

#[test]
fn sealing_for_an_erased_subject_creates_no_anchor_key() {
    on_both_stores(|store, v, _| {
        let a = sid("cus_a");
        seal(&v, &a, after_contract());
        op(&v).erase(&a).unwrap();
        assert!(matches!(
            v.seal(
                &Personal::new(a.clone(), "a@example.com".to_owned()),
                &ctx(after_contract())
            ),
            Err(SealError::Shredded)
        ));
        assert!(
            store.get(&anchor_key(&a)).unwrap().is_none(),
            "no key material is created for an erased subject"
        );
    });
}

#[test]
fn a_subject_with_only_events_is_erased_with_a_tombstone() {
    on_both_stores(|_, v, _| {
        let a = sid("cus_a");
        op(&v).record_event(&a, Anchor::LastContact, t0()).unwrap();
        op(&v).erase(&a).unwrap();
        assert!(matches!(
            op(&v).record_event(&a, Anchor::LastContact, t0()),
            Err(AdminError::Shredded)
        ));
    });
}

#[test]
fn later_event_never_moves_the_end_backwards() {
    on_both_stores(|_, v, clock| {
        let a = sid("cus_a");
        let sealed = seal(&v, &a, after_contract());
        clock.advance(TimeDelta::days(100));
        op(&v)
            .record_event(&a, Anchor::ContractEnd, clock.now())
            .unwrap();
        // A correction to an earlier time is recorded, but does not shorten the period.
        op(&v).record_event(&a, Anchor::ContractEnd, t0()).unwrap();
        assert_eq!(v.events_of(&a).unwrap().len(), 2);
        clock.advance(TimeDelta::days(3 * 365 - 10));
        op(&v).sweep().unwrap();
        assert_eq!(open(&v, &sealed, &a).unwrap(), "cus_a@example.com");
    });
}

#[test]
fn last_contact_recorded_again_moves_the_end_forward() {
    on_both_stores(|_, v, clock| {
        let a = sid("cus_a");
        let two = Retention::parse("2y after last contact").unwrap();
        let sealed = seal(&v, &a, two);
        op(&v).record_event(&a, Anchor::LastContact, t0()).unwrap();
        clock.advance(TimeDelta::days(700));
        op(&v)
            .record_event(&a, Anchor::LastContact, clock.now())
            .unwrap();
        clock.advance(TimeDelta::days(100));
        op(&v).sweep().unwrap();
        let access = Access::<Crm>::new(a.clone(), Actor::service("crm"));
        assert!(v.open(&sealed, &ctx(two), &access).is_ok());
        clock.advance(TimeDelta::days(700));
        op(&v).sweep().unwrap();
        assert!(matches!(
            v.open(&sealed, &ctx(two), &access),
            Err(OpenError::Expired { .. })
        ));
    });
}

#[test]
fn an_event_in_the_future_is_refused() {
    on_both_stores(|_, v, _| {
        let a = sid("cus_a");
        assert!(matches!(
            op(&v).record_event(&a, Anchor::ContractEnd, t0() + TimeDelta::days(1)),
            Err(AdminError::EventInFuture { .. })
        ));
        assert!(v.events_of(&a).unwrap().is_empty());
    });
}

#[test]
fn rewrap_moves_anchor_keys_to_the_new_master_key() {
    fn check(store: impl VaultStore + Clone + 'static) {
        let clock = ManualClock::new(t0());
        let v = vault_on(store.clone(), &clock);
        let a = sid("cus_a");
        let sealed = seal(&v, &a, after_contract());
        let new_master = || LocalMasterKey::from_slice("kek-2", &[9; 32]).unwrap();
        let rotating = Vault::builder(new_master(), store.clone())
            .previous_master_key(LocalMasterKey::from_slice("kek", &[7; 32]).unwrap())
            .clock(clock.clone())
            .build();
        op(&rotating).rewrap_keys().unwrap();
        let key = store.get(&anchor_key(&a)).unwrap().unwrap();
        assert_eq!(key.master_id, "kek-2");
        // Only the new master key from here on.
        let only_new = Vault::builder(new_master(), store).clock(clock).build();
        assert_eq!(open(&only_new, &sealed, &a).unwrap(), "cus_a@example.com");
    }
    check(std::sync::Arc::new(MemoryKeyStore::new()));
    let dir = tempfile::tempdir().unwrap();
    check(SqliteStore::open(dir.path().join("c.db")).unwrap());
}

#[test]
fn a_real_expiry_day_in_the_anchor_range_is_refused() {
    let clock = ManualClock::new(t0());
    let v = vault_on(MemoryKeyStore::new(), &clock);
    // 4,278,200,000 days from 2027: a UTC day inside 0xFF00_0000..=0xFFFF_FFFE.
    let far = ctx(Retention::Days(4_278_200_000));
    assert!(matches!(
        v.seal(
            &Personal::new(sid("cus_a"), "a@example.com".to_owned()),
            &far
        ),
        Err(SealError::RetentionOutOfRange)
    ));
}

#[test]
fn an_anchored_value_cannot_be_moved_to_another_anchor_or_period() {
    let clock = ManualClock::new(t0());
    let v = vault_on(MemoryKeyStore::new(), &clock);
    let a = sid("cus_a");
    let sealed = seal(&v, &a, after_contract());
    seal(&v, &a, Retention::parse("3y after last contact").unwrap());
    let mut bytes = sealed.as_bytes().to_vec();
    let at = 3 + a.as_str().len() + 4;
    // The header's code, to "3y after last contact": another key, the tag fails.
    bytes[at + 1] = 3;
    let moved: Sealed<String, Email> = Sealed::from_bytes(bytes.clone()).unwrap();
    assert!(matches!(open(&v, &moved, &a), Err(VaultError::Decrypt)));
    // To an anchor id no vault writes: altered.
    bytes[at + 1] = 9;
    let unknown: Sealed<String, Email> = Sealed::from_bytes(bytes).unwrap();
    assert!(matches!(open(&v, &unknown, &a), Err(VaultError::Decrypt)));
}

// ---------------------------------------------------------------------------------

// The derive.

#[derive(PersonalData)]
#[personal(retain = "3y after end of contract")]
struct Customer {
    #[personal(subject)]
    id: SubjectId,
    email: Personal<String, Email>,
    #[personal(retain = "2y after last contact")]
    backup_email: Option<Personal<String, Email>>,
}

#[test]
fn derive_retain_names_an_event() {
    let fields = Customer::FIELDS;
    assert_eq!(fields[0].retention, Some(after_contract()));
    assert_eq!(
        fields[1].retention,
        Some(Retention::AfterEvent {
            anchor: Anchor::LastContact,
            period: EventPeriod::Years(2)
        })
    );
    let clock = ManualClock::new(t0());
    let v = vault_on(MemoryKeyStore::new(), &clock);
    let a = sid("cus_a");
    let c = Customer {
        id: a.clone(),
        email: Personal::new(a.clone(), "a@example.com".into()),
        backup_email: Some(Personal::new(a.clone(), "b@example.com".into())),
    };
    let sealed = c.seal(&v).unwrap();
    op(&v).record_event(&a, Anchor::LastContact, t0()).unwrap();
    clock.advance(TimeDelta::days(800));
    op(&v).sweep().unwrap();
    let access = Access::<Crm>::new(a.clone(), Actor::service("crm"));
    let opened = sealed.open(&v, &access).unwrap();
    assert!(opened.backup_email.is_none(), "2y after last contact: gone");
    assert_eq!(opened.email.read(&access).unwrap(), "a@example.com");
}
