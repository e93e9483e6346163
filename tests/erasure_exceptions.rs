//! Erasure against retention a law requires (GDPR Art. 17(3)(b)): `erase_with` keeps
//! exactly the excepted categories, readable only for their purpose until their date,
//! makes everything else unreadable at once, and completes by itself at the first
//! sweep after the date. The receipt says what was erased and what was kept.

mod common;

use common::officer;

use common::erasure::{
    LAW, TaxRecords, address_ctx, keep_address, open_address_for_crm, open_address_for_tax,
    open_email, seal_both, stores, vault_on,
};
use common::retention::t0;

use chrono::TimeDelta;
use custodian::categories::PostalAddress;
use custodian::memory::MemoryKeyStore;
use custodian::retention::{ErasureException, ManualClock};
use custodian::sqlite::SqliteStore;
use custodian::{
    Access, Actor, AdminError, Category, Context, OpenError, Personal, SealError, Sealed,
    SubjectId, VaultError,
};

#[test]
fn erasure_with_an_exception_keeps_only_the_excepted_category_for_its_purpose_until_its_date() {
    let dir = tempfile::tempdir().unwrap();
    for (name, open_store) in stores(dir.path()) {
        let clock = ManualClock::new(t0());
        let v = vault_on(open_store(), &clock);
        let alice = SubjectId::new("cus_1").unwrap();
        let sealed = seal_both(&v, &alice);
        let until = t0() + TimeDelta::days(3 * 365);
        v.operator(officer())
            .erase_with(&alice, &[keep_address(until)])
            .unwrap();
        // Everything else is unreadable at once.
        assert!(
            matches!(
                open_email(&v, &sealed.email, &alice),
                Err(VaultError::Shredded)
            ),
            "{name}: the email is erased"
        );
        // The kept category opens for the exception's purpose only.
        assert_eq!(
            open_address_for_tax(&v, &sealed.address, &alice).unwrap(),
            "1 Main St",
            "{name}"
        );
        match open_address_for_crm(&v, &sealed.address, &alice) {
            Err(VaultError::RestrictedByErasureException {
                purpose,
                kept_for,
                law,
                until: u,
                ..
            }) => {
                assert_eq!(purpose, Some("crm"));
                assert_eq!(kept_for, "tax-records");
                assert_eq!(law, LAW);
                assert_eq!(u, until);
            }
            other => panic!("{name}: the CRM may not use kept data: {other:?}"),
        }
        // Nor a vault reopened on the same store, nor a reseal (no purpose).
        let v2 = vault_on(open_store(), &clock);
        assert_eq!(
            open_address_for_tax(&v2, &sealed.address, &alice).unwrap(),
            "1 Main St",
            "{name}"
        );
        assert!(matches!(
            v2.reseal(&sealed.address, &address_ctx()),
            Err(VaultError::RestrictedByErasureException { purpose: None, .. })
        ));
        // A new seal for the erased subject is still refused.
        assert!(matches!(
            v2.seal(
                &Personal::new(alice.clone(), String::from("2 Side St")),
                &address_ctx()
            ),
            Err(SealError::Shredded)
        ));
        // The exception ends: unreadable at once, and the next sweep destroys the key.
        clock.advance(TimeDelta::days(3 * 365));
        assert!(
            matches!(
                open_address_for_tax(&v, &sealed.address, &alice),
                Err(VaultError::Shredded)
            ),
            "{name}: the exception ended"
        );
        assert_eq!(
            v.operator(officer()).sweep().unwrap().exceptions_ended,
            1,
            "{name}"
        );
        assert_eq!(
            v.operator(officer()).sweep().unwrap().exceptions_ended,
            0,
            "{name}"
        );
    }
}

#[test]
fn a_sweep_after_the_exception_ends_destroys_the_kept_key_even_if_the_clock_goes_back() {
    let dir = tempfile::tempdir().unwrap();
    for (name, open_store) in stores(dir.path()) {
        let clock = ManualClock::new(t0());
        let v = vault_on(open_store(), &clock);
        let alice = SubjectId::new("cus_1").unwrap();
        let sealed = seal_both(&v, &alice);
        v.operator(officer())
            .erase_with(&alice, &[keep_address(t0() + TimeDelta::days(30))])
            .unwrap();
        clock.advance(TimeDelta::days(31));
        assert_eq!(
            v.operator(officer()).sweep().unwrap().exceptions_ended,
            1,
            "{name}"
        );
        // The key is gone, not just refused by the clock.
        clock.set(t0());
        assert!(
            matches!(
                open_address_for_tax(&v, &sealed.address, &alice),
                Err(VaultError::Shredded)
            ),
            "{name}: after the sweep, the kept key is destroyed"
        );
    }
}

#[test]
fn the_receipt_lists_what_was_erased_and_what_was_kept() {
    let clock = ManualClock::new(t0());
    let v = vault_on(MemoryKeyStore::new(), &clock);
    let alice = SubjectId::new("cus_1").unwrap();
    seal_both(&v, &alice);
    v.operator(officer()).rotate_subject_key(&alice).unwrap();
    let until = t0() + TimeDelta::days(365);
    let receipt = v
        .operator(officer())
        .erase_with(&alice, &[keep_address(until)])
        .unwrap();
    assert_eq!(receipt.subject_keys_destroyed, 2);
    let erased: Vec<(&str, &str)> = receipt
        .data
        .iter()
        .map(|f| (f.field.as_str(), f.category.as_str()))
        .collect();
    assert_eq!(
        erased,
        [("email", "user.contact.email")],
        "only what became unreadable"
    );
    assert_eq!(receipt.kept.len(), 1);
    let kept = &receipt.kept[0];
    assert_eq!(kept.exception.category, PostalAddress::NAME);
    assert_eq!(kept.exception.purpose, "tax-records");
    assert_eq!(kept.exception.law, LAW);
    assert_eq!(kept.exception.until, until);
    assert_eq!(
        kept.key_versions, 2,
        "both key versions' address keys are kept"
    );
    let json = serde_json::to_string(&receipt).unwrap();
    assert!(!json.contains("cus_1") && !json.contains("1 Main St"));

    // Erasing again destroys nothing, and the receipt says so.
    let again = v.operator(officer()).erase(&alice).unwrap();
    assert_eq!(again.subject_keys_destroyed, 0);
    assert!(again.data.is_empty() && again.kept.is_empty());
}

#[test]
fn a_moved_value_of_a_non_excepted_category_cannot_use_the_exception_key() {
    let clock = ManualClock::new(t0());
    let v = vault_on(MemoryKeyStore::new(), &clock);
    let alice = SubjectId::new("cus_1").unwrap();
    let sealed = seal_both(&v, &alice);
    v.operator(officer())
        .erase_with(&alice, &[keep_address(t0() + TimeDelta::days(365))])
        .unwrap();
    // The email's bytes, re-typed as an address and read from the address's place.
    let moved: Sealed<String, PostalAddress> =
        Sealed::from_bytes(sealed.email.as_bytes().to_vec()).unwrap();
    assert!(matches!(
        open_address_for_tax(&v, &moved, &alice),
        Err(VaultError::Decrypt)
    ));
    // Also with a context naming the email's own record and field.
    let a = Access::<TaxRecords>::new(alice.clone(), Actor::service("accounting"));
    let same_place: Context<PostalAddress> = Context::new("customer", "email").unwrap();
    assert!(matches!(
        v.open(&moved, &same_place, &a),
        Err(OpenError::Decrypt)
    ));
}

#[test]
fn bad_exceptions_are_refused_before_anything_is_erased() {
    let clock = ManualClock::new(t0());
    let v = vault_on(MemoryKeyStore::new(), &clock);
    let alice = SubjectId::new("cus_1").unwrap();
    let sealed = seal_both(&v, &alice);
    let future = t0() + TimeDelta::days(1);
    for bad in [
        vec![ErasureException::keep::<TaxRecords, PostalAddress>(
            " ", future,
        )],
        vec![keep_address(t0())],
        vec![keep_address(future), keep_address(future)],
    ] {
        assert!(matches!(
            v.operator(officer()).erase_with(&alice, &bad),
            Err(AdminError::BadErasureException { .. })
        ));
    }
    assert_eq!(
        open_email(&v, &sealed.email, &alice).unwrap(),
        "a@example.com"
    );
}

#[test]
fn an_edited_exception_row_does_not_unwrap() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("k.db");
    let clock = ManualClock::new(t0());
    let v = vault_on(SqliteStore::open(&path).unwrap(), &clock);
    let alice = SubjectId::new("cus_1").unwrap();
    let sealed = seal_both(&v, &alice);
    v.operator(officer())
        .erase_with(&alice, &[keep_address(t0() + TimeDelta::days(30))])
        .unwrap();
    // An insider lengthens the exception in the database.
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute("UPDATE erasure_exceptions SET until_us = until_us * 2", [])
        .unwrap();
    drop(conn);
    clock.advance(TimeDelta::days(31));
    let v2 = vault_on(SqliteStore::open(&path).unwrap(), &clock);
    assert!(open_address_for_tax(&v2, &sealed.address, &alice).is_err());
}
