//! Legal holds and erasure enforced by keys (docs/retention.md): a hold keeps expired
//! data readable until released or lapsed; erasure is refused under a hold and
//! otherwise destroys keys and escrows. One test per rule; holds scoped by purpose and
//! category are in `hold_scope.rs`, the model test in `custodian::testkit::vault_store`.

mod common;

use common::retention::{Crm, access, is_expired, master, open, seal, t0};
use common::{sid, vault_on};

use std::sync::Arc;

use chrono::TimeDelta;
use custodian::categories::{Email, Phone};
use custodian::keys::{KeyName, KeyStore};
use custodian::memory::MemoryKeyStore;
use custodian::retention::{Clock, IntegrityKey, ManualClock, RetentionStore};
use custodian::sqlite::SqliteStore;
use custodian::{AdminError, OpenError, Personal, PersonalData, SubjectId, Vault};

#[test]
fn a_hold_keeps_expired_data_readable_through_sweeps_until_released() {
    let clock = ManualClock::new(t0());
    let v = vault_on(MemoryKeyStore::new(), &clock);
    let (a, b) = (sid("cus_a"), sid("cus_b"));
    let (va, vb) = (seal(&v, &a, 5), seal(&v, &b, 5));
    let hold = v
        .operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .hold::<Crm>(&a, "case 2027-14: litigation hold", None)
        .unwrap();
    clock.advance(TimeDelta::days(7));
    let report = v
        .operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .sweep()
        .unwrap();
    assert_eq!(report.epochs_destroyed.len(), 1);
    assert_eq!(report.escrowed, 1, "one held subject, one epoch");
    assert_eq!(open(&v, &va, &a).unwrap(), "cus_a@example.com");
    assert!(is_expired(&open(&v, &vb, &b)));
    // A new vault (cold cache) reads it from the escrow.
    let listed = v.holds().unwrap();
    assert_eq!(listed.len(), 1);
    assert!(listed[0].is_active(clock.now()));
    let released = v
        .operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .release(&hold.id)
        .unwrap();
    assert_eq!(released.released_at, Some(clock.now()));
    assert!(is_expired(&open(&v, &va, &a)));
    // Holding again does not bring it back: the escrow went with the release.
    v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .hold::<Crm>(&a, "case 2027-15", None)
        .unwrap();
    assert!(is_expired(&open(&v, &va, &a)));
    assert!(matches!(
        v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
            .release(&hold.id),
        Err(AdminError::Hold(
            custodian::retention::HoldError::AlreadyReleased(_)
        ))
    ));
}

#[test]
fn a_hold_placed_after_expiry_but_before_the_sweep_still_saves_the_data() {
    let clock = ManualClock::new(t0());
    let v = vault_on(MemoryKeyStore::new(), &clock);
    let a = sid("cus_a");
    let sealed = seal(&v, &a, 1);
    clock.advance(TimeDelta::days(3));
    assert!(is_expired(&open(&v, &sealed, &a)));
    v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .hold::<Crm>(&a, "regulator inquiry 77", None)
        .unwrap();
    assert_eq!(open(&v, &sealed, &a).unwrap(), "cus_a@example.com");
    assert_eq!(
        v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
            .sweep()
            .unwrap()
            .escrowed,
        1
    );
    assert_eq!(open(&v, &sealed, &a).unwrap(), "cus_a@example.com");
}

#[test]
fn a_hold_that_lapses_stops_protecting_and_the_next_sweep_drops_its_escrow() {
    let clock = ManualClock::new(t0());
    let store = Arc::new(MemoryKeyStore::new());
    let v = vault_on(Arc::clone(&store), &clock);
    let a = sid("cus_a");
    let sealed = seal(&v, &a, 1);
    v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .hold::<Crm>(&a, "audit 2027", Some(t0() + TimeDelta::days(10)))
        .unwrap();
    clock.advance(TimeDelta::days(3));
    v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .sweep()
        .unwrap();
    assert_eq!(open(&v, &sealed, &a).unwrap(), "cus_a@example.com");
    clock.advance(TimeDelta::days(8));
    assert!(is_expired(&open(&v, &sealed, &a)));
    let epoch = sealed.header().unwrap().epoch();
    let escrow = KeyName::Escrow {
        subject: a.clone(),
        epoch,
    };
    assert!(store.get(&escrow).unwrap().is_some());
    assert_eq!(
        v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
            .sweep()
            .unwrap()
            .escrows_released,
        1
    );
    assert!(store.get(&escrow).unwrap().is_none());
    assert!(matches!(
        v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
            .hold::<Crm>(&a, "late", Some(clock.now())),
        Err(AdminError::Hold(_))
    ));
    assert!(matches!(
        v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
            .hold::<Crm>(&a, "  ", None),
        Err(AdminError::Hold(_))
    ));
}

#[derive(PersonalData)]
#[personal(record = "lead")]
struct Lead {
    #[personal(subject)]
    id: SubjectId,
    #[personal(retain = "2y")]
    email: Personal<String, Email>,
    #[personal(retain = "30d")]
    phone: Option<Personal<String, Phone>>,
}

#[test]
fn erasure_is_refused_under_hold_and_otherwise_returns_a_receipt_without_personal_data() {
    let clock = ManualClock::new(t0());
    let v = Vault::builder(master(), MemoryKeyStore::new())
        .clock(clock.clone())
        .record::<Lead>()
        .build();
    let a = sid("cus_4711");
    let lead = Lead {
        id: a.clone(),
        email: Personal::new(a.clone(), "alice@example.com".into()),
        phone: Some(Personal::new(a.clone(), "+15550100".into())),
    };
    let sealed = lead.seal(&v).unwrap();
    v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .rotate_subject_key(&a)
        .unwrap();
    let hold = v
        .operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .hold::<Crm>(&a, "case 9: preserve records", None)
        .unwrap();
    clock.advance(TimeDelta::days(40));
    assert_eq!(
        v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
            .sweep()
            .unwrap()
            .escrowed,
        1
    );
    match v
        .operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .erase(&a)
    {
        Err(AdminError::UnderLegalHold {
            hold: id,
            reason,
            until,
        }) => {
            assert_eq!(
                (id, reason.as_str(), until),
                (hold.id.clone(), "case 9: preserve records", None)
            );
        }
        other => panic!("expected UnderLegalHold, got {other:?}"),
    }
    assert!(matches!(
        v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
            .shred(&a),
        Err(AdminError::UnderLegalHold { .. })
    ));
    // Held: the expired phone is still there.
    let opened = sealed.open(&v, &access(&a)).unwrap();
    assert!(opened.phone.is_some());
    v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .release(&hold.id)
        .unwrap();
    // Released: a whole-record open treats the expired optional field as gone; the
    // per-field door says why.
    let opened = sealed.open(&v, &access(&a)).unwrap();
    assert!(opened.phone.is_none());
    assert!(matches!(
        sealed.open_phone(&v, &access(&a)),
        Err(OpenError::Expired { .. })
    ));

    let receipt = v
        .operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .erase(&a)
        .unwrap();
    assert_eq!(receipt.subject, v.subject_ref(&a).unwrap());
    assert_ne!(receipt.subject, v.subject_ref(&sid("cus_4712")).unwrap());
    assert_eq!(receipt.erased_at, clock.now());
    assert_eq!(receipt.subject_keys_destroyed, 2, "both key versions");
    assert_eq!(receipt.escrowed_keys_destroyed, 0, "released with the hold");
    let kinds: Vec<_> = receipt
        .data
        .iter()
        .map(|d| (d.record.as_str(), d.field.as_str(), d.category.as_str()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("lead", "email", "user.contact.email"),
            ("lead", "phone", "user.contact.phone_number")
        ]
    );
    let json = serde_json::to_string(&receipt).unwrap();
    for secret in ["cus_4711", "alice", "5550100"] {
        assert!(!json.contains(secret), "{secret} in {json}");
    }
    assert!(matches!(
        sealed.open(&v, &access(&a)),
        Err(OpenError::Shredded)
    ));
    assert!(matches!(
        v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
            .hold::<Crm>(&a, "too late", None),
        Err(AdminError::Shredded)
    ));
}

#[test]
fn erasing_a_subject_whose_hold_lapsed_destroys_the_escrow_too() {
    let clock = ManualClock::new(t0());
    let v = vault_on(MemoryKeyStore::new(), &clock);
    let a = sid("cus_a");
    seal(&v, &a, 1);
    v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .hold::<Crm>(&a, "case 3", Some(t0() + TimeDelta::days(5)))
        .unwrap();
    clock.advance(TimeDelta::days(3));
    assert_eq!(
        v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
            .sweep()
            .unwrap()
            .escrowed,
        1
    );
    clock.advance(TimeDelta::days(3));
    let receipt = v
        .operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .erase(&a)
        .unwrap();
    assert_eq!(receipt.escrowed_keys_destroyed, 1);
}

#[test]
fn the_holds_of_an_erased_subject_no_longer_name_them() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.db");
    let clock = ManualClock::new(t0());
    let store = SqliteStore::open(&path).unwrap();
    let v = vault_on(store.clone(), &clock);
    let a = sid("cus_hold_4711");
    seal(&v, &a, 1);
    let hold = v
        .operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .hold::<Crm>(&a, "case 2027-14: litigation hold", None)
        .unwrap();
    clock.advance(TimeDelta::days(3));
    v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .sweep()
        .unwrap();
    v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .release(&hold.id)
        .unwrap();
    let receipt = v
        .operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .erase(&a)
        .unwrap();
    // The hold stays, as the record of legal process, under the keyed reference of the
    // erasure receipt instead of the id.
    let listed = v.holds().unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id, hold.id);
    assert_eq!(listed[0].released_at, Some(clock.now()));
    assert_eq!(
        serde_json::to_value(&listed[0]).unwrap()["subject"]["erased"],
        serde_json::json!(receipt.subject.as_str())
    );
    assert!(v.holds_of(&a).unwrap().is_empty());
    let mut bytes = std::fs::read(&path).unwrap();
    bytes.extend(std::fs::read(dir.path().join("c.db-wal")).unwrap_or_default());
    let id = a.as_str().as_bytes();
    assert!(
        !bytes.windows(id.len()).any(|w| w == id),
        "the store file still names the erased subject"
    );
}

/// The application keeps its own handle on the store the vault runs on. Retiring a
/// held subject's old key versions through it (no operator, no audit) is refused by
/// the store itself, which reads the holds in the transaction that would delete:
/// nothing is destroyed and the held data still opens.
#[test]
fn store_level_retire_of_a_held_subjects_key_is_refused() {
    fn check(store: Arc<dyn custodian::VaultStore>, key: &IntegrityKey) {
        let clock = ManualClock::new(t0());
        let v = vault_on(Arc::clone(&store), &clock);
        let a = sid("cus_a");
        let sealed = seal(&v, &a, 30);
        let dpo = v.operator(common::officer());
        let newest = dpo.rotate_subject_key(&a).unwrap();
        dpo.hold::<Crm>(&a, "case 2027-94: litigation hold", None)
            .unwrap();
        let r = RetentionStore::retire_versions(&*store, &a, newest, clock.now(), key);
        assert!(!matches!(r, Ok(Some(_))), "retired under a hold: {r:?}");
        let v1 = KeyName::Subject {
            subject: a.clone(),
            version: 1,
        };
        assert!(store.get(&v1).unwrap().is_some(), "version 1 destroyed");
        assert_eq!(open(&v, &sealed, &a).unwrap(), "cus_a@example.com");
    }
    // Memory checks no MAC: the hold alone refuses it.
    check(
        Arc::new(MemoryKeyStore::new()),
        &IntegrityKey::from_secret(&[9; 32]),
    );
    // SQLite: without the vault's integrity key the call fails closed before reading
    // anything; the hold would refuse it with the key.
    let dir = tempfile::tempdir().unwrap();
    check(
        Arc::new(SqliteStore::open(dir.path().join("k.db")).unwrap()),
        &IntegrityKey::from_secret(&[9; 32]),
    );
}
