//! Erasure against retention a law requires (GDPR Art. 17(3)(b)): `erase_with` keeps
//! exactly the excepted categories, readable only for their purpose until their date,
//! makes everything else unreadable at once, and completes by itself at the first
//! sweep after the date. The receipt says what was erased and what was kept.

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use custodian::categories::{Email, PostalAddress};
use custodian::keys::LocalMasterKey;
use custodian::memory::MemoryKeyStore;
use custodian::retention::{ErasureException, ManualClock};
use custodian::sqlite::SqliteStore;
use custodian::{
    Access, Actor, Category, Context, Personal, PersonalData, Retention, Sealed, SubjectId, Vault,
    VaultError, VaultStore,
};

custodian::purpose! {
    struct Crm { name: "crm", basis: Contract, description: "Serve the account.", uses: [Email, PostalAddress] }
    struct TaxRecords {
        name: "tax-records",
        basis: LegalObligation { law: "§ 147 AO" },
        description: "Keep invoices as tax law requires.",
        uses: [PostalAddress],
    }
}

#[derive(PersonalData)]
#[personal(record = "customer")]
#[allow(dead_code)]
struct Customer {
    #[personal(subject)]
    id: SubjectId,
    #[personal(retain = "until_erased")]
    email: Personal<String, Email>,
    #[personal(retain = "11y")]
    billing_address: Personal<String, PostalAddress>,
}

const LAW: &str = "§ 147 AO";

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2027, 1, 1, 12, 0, 0).unwrap()
}

fn vault_on(store: impl VaultStore + 'static, clock: &ManualClock) -> Vault {
    Vault::builder(LocalMasterKey::from_slice("kek", &[7; 32]).unwrap(), store)
        .clock(clock.clone())
        .record::<Customer>()
        .build()
}

fn email_ctx() -> Context<Email> {
    Context::new("customer", "email")
        .unwrap()
        .retain(Retention::UntilErased)
}

fn address_ctx() -> Context<PostalAddress> {
    Context::new("customer", "billing_address")
        .unwrap()
        .retain(Retention::Years(11))
}

struct Sealed2 {
    email: Sealed<String, Email>,
    address: Sealed<String, PostalAddress>,
}

fn seal_both(v: &Vault, s: &SubjectId) -> Sealed2 {
    Sealed2 {
        email: v
            .seal(
                &Personal::new(s.clone(), "a@example.com".into()),
                &email_ctx(),
            )
            .unwrap(),
        address: v
            .seal(
                &Personal::new(s.clone(), "1 Main St".into()),
                &address_ctx(),
            )
            .unwrap(),
    }
}

fn open_address_for_tax(
    v: &Vault,
    sealed: &Sealed<String, PostalAddress>,
    s: &SubjectId,
) -> Result<String, VaultError> {
    let a = Access::<TaxRecords>::new(s.clone(), Actor::service("accounting"));
    Ok(v.open(sealed, &address_ctx(), &a)?
        .read(&a)
        .unwrap()
        .clone())
}

fn open_address_for_crm(
    v: &Vault,
    sealed: &Sealed<String, PostalAddress>,
    s: &SubjectId,
) -> Result<String, VaultError> {
    let a = Access::<Crm>::new(s.clone(), Actor::service("crm"));
    Ok(v.open(sealed, &address_ctx(), &a)?
        .read(&a)
        .unwrap()
        .clone())
}

fn open_email(
    v: &Vault,
    sealed: &Sealed<String, Email>,
    s: &SubjectId,
) -> Result<String, VaultError> {
    let a = Access::<Crm>::new(s.clone(), Actor::service("crm"));
    Ok(v.open(sealed, &email_ctx(), &a)?.read(&a).unwrap().clone())
}

fn keep_address(until: DateTime<Utc>) -> ErasureException {
    ErasureException::keep::<TaxRecords, PostalAddress>(LAW, until)
}

/// Opens a key store (again): the same memory store, or the SQLite file reopened.
type OpenStore = Box<dyn Fn() -> Box<dyn VaultStore>>;

fn stores(dir: &std::path::Path) -> Vec<(&'static str, OpenStore)> {
    let path = dir.join("k.db");
    let memory = std::sync::Arc::new(MemoryKeyStore::new());
    vec![
        (
            "memory",
            Box::new(move || Box::new(memory.clone()) as Box<dyn VaultStore>),
        ),
        (
            "sqlite",
            Box::new(move || Box::new(SqliteStore::open(&path).unwrap()) as Box<dyn VaultStore>),
        ),
    ]
}

#[test]
fn erasure_with_an_exception_keeps_only_the_excepted_category_for_its_purpose_until_its_date() {
    let dir = tempfile::tempdir().unwrap();
    for (name, open_store) in stores(dir.path()) {
        let clock = ManualClock::new(t0());
        let v = vault_on(open_store(), &clock);
        let alice = SubjectId::new("cus_1").unwrap();
        let sealed = seal_both(&v, &alice);
        let until = t0() + TimeDelta::days(3 * 365);
        v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
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
            Err(VaultError::Shredded)
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
            v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
                .sweep()
                .unwrap()
                .exceptions_ended,
            1,
            "{name}"
        );
        assert_eq!(
            v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
                .sweep()
                .unwrap()
                .exceptions_ended,
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
        v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
            .erase_with(&alice, &[keep_address(t0() + TimeDelta::days(30))])
            .unwrap();
        clock.advance(TimeDelta::days(31));
        assert_eq!(
            v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
                .sweep()
                .unwrap()
                .exceptions_ended,
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
    v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .rotate_subject_key(&alice)
        .unwrap();
    let until = t0() + TimeDelta::days(365);
    let receipt = v
        .operator(custodian::Actor::staff("emp-7", "privacy-officer"))
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
    let again = v
        .operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .erase(&alice)
        .unwrap();
    assert_eq!(again.subject_keys_destroyed, 0);
    assert!(again.data.is_empty() && again.kept.is_empty());
}

#[test]
fn a_moved_value_of_a_non_excepted_category_cannot_use_the_exception_key() {
    let clock = ManualClock::new(t0());
    let v = vault_on(MemoryKeyStore::new(), &clock);
    let alice = SubjectId::new("cus_1").unwrap();
    let sealed = seal_both(&v, &alice);
    v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
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
        Err(VaultError::Decrypt)
    ));
}

#[test]
fn an_erasure_under_hold_keeps_nothing_and_says_why() {
    let clock = ManualClock::new(t0());
    let v = vault_on(MemoryKeyStore::new(), &clock);
    let alice = SubjectId::new("cus_1").unwrap();
    let sealed = seal_both(&v, &alice);
    let hold = v
        .operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .hold::<TaxRecords>(&alice, "audit 2027-3: tax audit", None)
        .unwrap();
    match v
        .operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .erase_with(&alice, &[keep_address(t0() + TimeDelta::days(365))])
    {
        Err(e @ VaultError::UnderLegalHold { .. }) => {
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
    v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .release(&hold.id)
        .unwrap();
    v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .erase(&alice)
        .unwrap();
    assert!(matches!(
        open_address_for_tax(&v, &sealed.address, &alice),
        Err(VaultError::Shredded)
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
            v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
                .erase_with(&alice, &bad),
            Err(VaultError::BadErasureException { .. })
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
    v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
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
            .operator(custodian::Actor::staff("emp-7", "privacy-officer"))
            .hold::<TaxRecords>(&alice, "audit 2027-3: tax audit", None)
            .unwrap();
        let until = t0() + TimeDelta::days(365);
        match v
            .operator(custodian::Actor::staff("emp-7", "privacy-officer"))
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
        let report = v
            .operator(custodian::Actor::staff("emp-7", "privacy-officer"))
            .sweep()
            .unwrap();
        assert!(report.erasures_completed.is_empty(), "{name}");
        assert_eq!(report.erasures_waiting, 1, "{name}");
        // The hold ends; the next sweep (by another vault on the same store) erases.
        v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
            .release(&hold.id)
            .unwrap();
        let v2 = vault_on(open_store(), &clock);
        let report = v2
            .operator(custodian::Actor::staff("emp-7", "privacy-officer"))
            .sweep()
            .unwrap();
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
        let report = v2
            .operator(custodian::Actor::staff("emp-7", "privacy-officer"))
            .sweep()
            .unwrap();
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
        v.operator(custodian::Actor::staff("emp-7", "privacy-officer")).request_erasure(&alice, &[]).unwrap(),
        ErasureOutcome::Erased(r) if r.subject_keys_destroyed == 1
    ));
    assert!(matches!(
        open_email(&v, &sealed.email, &alice),
        Err(VaultError::Shredded)
    ));
    assert_eq!(
        v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
            .sweep()
            .unwrap()
            .erasures_waiting,
        0
    );
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
        .operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .hold::<TaxRecords>(&alice, "audit 2027-3: tax audit", None)
        .unwrap();
    let until = t0() + TimeDelta::days(365);
    assert!(matches!(
        v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
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
    v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .release(&hold.id)
        .unwrap();
    assert!(matches!(
        v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
            .sweep(),
        Err(VaultError::Store(
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
