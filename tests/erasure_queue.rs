//! Erasure under a legal hold: it keeps nothing and says why, waits while the hold
//! stands and completes at the sweep after its release; without a hold it is carried
//! out at once; a queued erasure edited in the store is refused.

mod common;

use common::officer;

use common::erasure::{
    TaxRecords, keep_address, open_address_for_crm, open_address_for_tax, open_email, seal_both,
    stores, vault_on,
};
use common::retention::t0;

use chrono::TimeDelta;
use custodian::memory::MemoryKeyStore;
use custodian::retention::ManualClock;
use custodian::sqlite::SqliteStore;
use custodian::{AdminError, SubjectId, VaultError};

#[test]
fn an_erasure_under_hold_keeps_nothing_and_says_why() {
    let clock = ManualClock::new(t0());
    let v = vault_on(MemoryKeyStore::new(), &clock);
    let alice = SubjectId::new("cus_1").unwrap();
    let sealed = seal_both(&v, &alice);
    let hold = v
        .operator(officer())
        .hold::<TaxRecords>(&alice, "audit 2027-3: tax audit", None)
        .unwrap();
    match v
        .operator(officer())
        .erase_with(&alice, &[keep_address(t0() + TimeDelta::days(365))])
    {
        Err(e @ AdminError::UnderLegalHold { .. }) => {
            assert!(
                e.to_string().contains("audit 2027-3"),
                "the refusal names the hold: {e}"
            );
        }
        other => panic!("refused under hold: {other:?}"),
    }
    // Nothing was erased or kept: the subject's data is as before.
    assert_eq!(
        open_email(&v, &sealed.email, &alice).unwrap(),
        "a@example.com"
    );
    v.operator(officer()).release(&hold.id).unwrap();
    v.operator(officer()).erase(&alice).unwrap();
    assert!(matches!(
        open_address_for_tax(&v, &sealed.address, &alice),
        Err(VaultError::Shredded)
    ));
}

#[test]
fn an_erasure_requested_under_hold_waits_says_why_and_completes_at_the_sweep_after_release() {
    use custodian::retention::ErasureOutcome;
    let dir = tempfile::tempdir().unwrap();
    for (name, open_store) in stores(dir.path()) {
        let clock = ManualClock::new(t0());
        let v = vault_on(open_store(), &clock);
        let alice = SubjectId::new("cus_1").unwrap();
        let sealed = seal_both(&v, &alice);
        let hold = v
            .operator(officer())
            .hold::<TaxRecords>(&alice, "audit 2027-3: tax audit", None)
            .unwrap();
        let until = t0() + TimeDelta::days(365);
        match v
            .operator(officer())
            .request_erasure(&alice, &[keep_address(until)])
            .unwrap()
        {
            ErasureOutcome::Pending {
                blocked_by,
                subject,
                ..
            } => {
                assert_eq!(blocked_by.hold, hold.id, "{name}");
                assert_eq!(blocked_by.reason, "audit 2027-3: tax audit");
                assert_eq!(subject, v.subject_ref(&alice).unwrap());
            }
            other => panic!("{name}: pending under hold: {other:?}"),
        }
        // Nothing happened yet, and a sweep while held leaves it waiting.
        assert_eq!(
            open_email(&v, &sealed.email, &alice).unwrap(),
            "a@example.com"
        );
        let report = v.operator(officer()).sweep().unwrap();
        assert!(report.erasures_completed.is_empty(), "{name}");
        assert_eq!(report.erasures_waiting, 1, "{name}");
        // The hold ends; the next sweep (by another vault on the same store) erases.
        v.operator(officer()).release(&hold.id).unwrap();
        let v2 = vault_on(open_store(), &clock);
        let report = v2.operator(officer()).sweep().unwrap();
        assert_eq!(report.erasures_completed.len(), 1, "{name}");
        let receipt = &report.erasures_completed[0];
        assert_eq!(receipt.subject, v.subject_ref(&alice).unwrap());
        assert_eq!(receipt.kept.len(), 1);
        assert!(matches!(
            open_email(&v2, &sealed.email, &alice),
            Err(VaultError::Shredded)
        ));
        assert_eq!(
            open_address_for_tax(&v2, &sealed.address, &alice).unwrap(),
            "1 Main St"
        );
        // Done once: the queue is empty.
        let report = v2.operator(officer()).sweep().unwrap();
        assert!(
            report.erasures_completed.is_empty() && report.erasures_waiting == 0,
            "{name}"
        );
    }
}

#[test]
fn an_erasure_requested_without_hold_is_carried_out_at_once() {
    use custodian::retention::ErasureOutcome;
    let clock = ManualClock::new(t0());
    let v = vault_on(MemoryKeyStore::new(), &clock);
    let alice = SubjectId::new("cus_1").unwrap();
    let sealed = seal_both(&v, &alice);
    assert!(matches!(
        v.operator(officer()).request_erasure(&alice, &[]).unwrap(),
        ErasureOutcome::Erased(r) if r.subject_keys_destroyed == 1
    ));
    assert!(matches!(
        open_email(&v, &sealed.email, &alice),
        Err(VaultError::Shredded)
    ));
    assert_eq!(v.operator(officer()).sweep().unwrap().erasures_waiting, 0);
}

#[test]
fn a_queued_erasure_edited_in_the_store_is_refused_by_the_sweep() {
    use custodian::retention::ErasureOutcome;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("k.db");
    let clock = ManualClock::new(t0());
    let v = vault_on(SqliteStore::open(&path).unwrap(), &clock);
    let alice = SubjectId::new("cus_1").unwrap();
    let sealed = seal_both(&v, &alice);
    let hold = v
        .operator(officer())
        .hold::<TaxRecords>(&alice, "audit 2027-3: tax audit", None)
        .unwrap();
    let until = t0() + TimeDelta::days(365);
    assert!(matches!(
        v.operator(officer())
            .request_erasure(&alice, &[keep_address(until)])
            .unwrap(),
        ErasureOutcome::Pending { .. }
    ));
    // An insider turns the tax exception into one that keeps the address for the CRM.
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute(
        "UPDATE queued_erasures SET exceptions = replace(exceptions, 'tax-records', 'crm')",
        [],
    )
    .unwrap();
    drop(conn);
    v.operator(officer()).release(&hold.id).unwrap();
    assert!(matches!(
        v.operator(officer()).sweep(),
        Err(AdminError::Store(
            custodian::store::StoreError::RetentionTampered { .. }
        ))
    ));
    // The forged request was not carried out: nothing was kept for the CRM, and the
    // subject is untouched until the entry is resolved.
    assert_eq!(
        open_email(&v, &sealed.email, &alice).unwrap(),
        "a@example.com"
    );
    assert_eq!(
        open_address_for_crm(&v, &sealed.address, &alice).unwrap(),
        "1 Main St"
    );
}
