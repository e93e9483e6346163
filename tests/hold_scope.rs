//! A legal hold restricts instead of unlocking (GDPR Art. 18(2), docs/retention.md):
//! past its retention, held data opens only for the purposes and categories of the
//! hold's scope; every other purpose is refused; data within its retention is not
//! affected. On the memory store and on SQLite, across vaults sharing one file.

mod common;

use common::retention::{is_expired, t0};
use common::{sid, vault_on};

use std::sync::Arc;

use chrono::TimeDelta;
use custodian::audit::{AuditTrail, EventKind, MemorySink};
use custodian::categories::{Email, Phone};
use custodian::consent::{Channel, ConsentLedger, ConsentMethod, Evidence};
use custodian::keys::LocalMasterKey;
use custodian::memory::MemoryKeyStore;
use custodian::retention::{HoldError, HoldScope, ManualClock};
use custodian::sqlite::SqliteStore;
use custodian::store::StoreError;
use custodian::{
    Access, Actor, AdminError, Context, OpenError, Personal, PersonalData, Retention, Sealed,
    SubjectId, Vault, VaultError,
};

custodian::purpose! {
    struct Marketing { name: "marketing", basis: Consent, description: "Email offers.", uses: [Email] }
    struct Crm { name: "crm", basis: Contract, description: "Serve the account.", uses: [Email, Phone] }
    struct Claims {
        name: "legal-claims",
        basis: LegitimateInterests,
        description: "Establish, exercise or defend legal claims.",
        uses: [Email, Phone],
    }
    struct TaxAudit { name: "tax-audit", basis: LegalObligation { law: "§ 147 AO" }, description: "Answer the tax office.", uses: [Email] }
}

fn email_ctx() -> Context<Email> {
    Context::new("customer", "email")
        .unwrap()
        .retain(Retention::Days(30))
}

fn phone_ctx() -> Context<Phone> {
    Context::new("customer", "phone")
        .unwrap()
        .retain(Retention::Days(30))
}

fn seal_email(v: &Vault, s: &SubjectId) -> Sealed<String, Email> {
    v.seal(
        &Personal::new(s.clone(), "alice@example.com".into()),
        &email_ctx(),
    )
    .unwrap()
}

fn seal_phone(v: &Vault, s: &SubjectId) -> Sealed<String, Phone> {
    v.seal(&Personal::new(s.clone(), "+15550100".into()), &phone_ctx())
        .unwrap()
}

/// The only door to a consent purpose: the ledger, on the test's clock.
fn marketing_access(s: &SubjectId, clock: &ManualClock) -> Access<Marketing> {
    let ledger = ConsentLedger::in_memory().with_clock(clock.clone());
    let notice = ledger
        .register_notice::<Marketing>("offers", 1, "Email me offers")
        .unwrap();
    let evidence = Evidence::new(notice, ConsentMethod::TickedCheckbox, Channel::Web);
    ledger.give::<Marketing>(s, evidence).unwrap();
    ledger
        .access::<Marketing>(s, Actor::service("mailer"))
        .unwrap()
}

fn access<P: custodian::Purpose>(s: &SubjectId) -> Access<P>
where
    P::Basis: custodian::basis::WithoutConsent<P>,
{
    Access::new(s.clone(), Actor::staff("emp-12", "counsel"))
}

fn email_for<P: custodian::Uses<Email>>(
    v: &Vault,
    sealed: &Sealed<String, Email>,
    a: &Access<P>,
) -> Result<String, VaultError> {
    Ok(v.open(sealed, &email_ctx(), a)?.read(a).unwrap().clone())
}

fn is_restricted(r: &Result<String, VaultError>) -> bool {
    matches!(r, Err(VaultError::RestrictedByHold { .. }))
}

#[test]
fn under_a_hold_an_expired_email_does_not_open_for_consent_based_marketing() {
    let clock = ManualClock::new(t0());
    let v = vault_on(MemoryKeyStore::new(), &clock);
    let a = sid("cus_1");
    let sealed = seal_email(&v, &a);
    v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .hold::<Claims>(&a, "case 2027-14: payment dispute", None)
        .unwrap();
    clock.advance(TimeDelta::days(31));
    v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .sweep()
        .unwrap();
    let got = email_for(&v, &sealed, &marketing_access(&a, &clock));
    match &got {
        Err(
            e @ VaultError::RestrictedByHold {
                at,
                purpose,
                category,
                held_for,
            },
        ) => {
            // Once the expiry day has ended, format v3 refuses from the clear header,
            // which shows the day, not the second: `at` is the end of that day.
            let expires = t0() + TimeDelta::days(30);
            assert!(*at >= expires && *at - expires < TimeDelta::days(1), "{at}");
            assert_eq!((*purpose, *category), ("marketing", "user.contact.email"));
            assert_eq!(held_for, &["legal-claims"]);
            let message = format!("{e} {e:?}");
            for secret in ["alice", "cus_1"] {
                assert!(!message.contains(secret), "{message}");
            }
        }
        other => panic!("expected RestrictedByHold, got {other:?}"),
    }
    // Another purpose without consent is refused the same way; the hold's own opens.
    assert!(is_restricted(&email_for(&v, &sealed, &access::<Crm>(&a))));
    assert_eq!(
        email_for(&v, &sealed, &access::<Claims>(&a)).unwrap(),
        "alice@example.com"
    );
}

#[test]
fn a_value_within_its_retention_is_not_restricted_by_a_hold() {
    let clock = ManualClock::new(t0());
    let v = vault_on(MemoryKeyStore::new(), &clock);
    let a = sid("cus_1");
    let sealed = seal_email(&v, &a);
    v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .hold::<Claims>(&a, "case 2027-14", None)
        .unwrap();
    clock.advance(TimeDelta::days(29));
    let marketing = marketing_access(&a, &clock);
    assert_eq!(
        email_for(&v, &sealed, &marketing).unwrap(),
        "alice@example.com"
    );
    assert_eq!(
        email_for(&v, &sealed, &access::<Crm>(&a)).unwrap(),
        "alice@example.com"
    );
    clock.advance(TimeDelta::days(2));
    // A consent access lasts one request: a fresh one, two days on.
    let marketing = marketing_access(&a, &clock);
    assert!(is_restricted(&email_for(&v, &sealed, &marketing)));
}

#[test]
fn a_hold_keeps_only_the_categories_in_its_scope() {
    let clock = ManualClock::new(t0());
    let v = vault_on(MemoryKeyStore::new(), &clock);
    let a = sid("cus_1");
    let (email, phone) = (seal_email(&v, &a), seal_phone(&v, &a));
    let hold = v
        .operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .hold_scoped(
            &a,
            HoldScope::purpose::<Claims>().only::<Email>(),
            "case 7: emails only",
            None,
        )
        .unwrap();
    assert_eq!(hold.scope.categories(), ["user.contact.email"]);
    clock.advance(TimeDelta::days(31));
    v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .sweep()
        .unwrap();
    let claims = access::<Claims>(&a);
    assert_eq!(email_for(&v, &email, &claims).unwrap(), "alice@example.com");
    // The phone is not kept for the claim: expired, for the hold's purpose too.
    assert!(matches!(
        v.open(&phone, &phone_ctx(), &claims),
        Err(OpenError::Expired { .. })
    ));
    assert!(matches!(
        v.open(&phone, &phone_ctx(), &access::<Crm>(&a)),
        Err(OpenError::Expired { .. })
    ));
    // A scope may not keep a category none of its purposes declares.
    assert!(matches!(
        v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
            .hold_scoped(
                &a,
                HoldScope::purpose::<TaxAudit>().only::<Phone>(),
                "case 8",
                None
            ),
        Err(AdminError::Hold(HoldError::CategoryNotDeclared { .. }))
    ));
}

#[test]
fn several_holds_with_different_scopes_each_permit_only_their_purposes() {
    let clock = ManualClock::new(t0());
    let v = vault_on(MemoryKeyStore::new(), &clock);
    let a = sid("cus_1");
    let (email, phone) = (seal_email(&v, &a), seal_phone(&v, &a));
    let tax = v
        .operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .hold::<TaxAudit>(&a, "tax audit 2026: AO 147", None)
        .unwrap();
    let claims = v
        .operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .hold_scoped(
            &a,
            HoldScope::purpose::<Claims>().only::<Phone>(),
            "case 9: call records",
            None,
        )
        .unwrap();
    clock.advance(TimeDelta::days(31));
    v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .sweep()
        .unwrap();
    assert_eq!(
        email_for(&v, &email, &access::<TaxAudit>(&a)).unwrap(),
        "alice@example.com"
    );
    // The claim keeps phones only: the email is kept for the tax audit alone.
    match email_for(&v, &email, &access::<Claims>(&a)) {
        Err(VaultError::RestrictedByHold { held_for, .. }) => assert_eq!(held_for, ["tax-audit"]),
        other => panic!("expected RestrictedByHold, got {other:?}"),
    }
    let phone_for_claims = v.open(&phone, &phone_ctx(), &access::<Claims>(&a));
    assert_eq!(
        phone_for_claims
            .unwrap()
            .read(&access::<Claims>(&a))
            .unwrap(),
        "+15550100"
    );
    assert!(matches!(
        v.open(&phone, &phone_ctx(), &access::<Crm>(&a)),
        Err(OpenError::RestrictedByHold { .. })
    ));
    // Releasing one hold ends what it permitted, and only that.
    v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .release(&tax.id)
        .unwrap();
    assert!(is_expired(&email_for(&v, &email, &access::<TaxAudit>(&a))));
    assert!(v.open(&phone, &phone_ctx(), &access::<Claims>(&a)).is_ok());
    v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .release(&claims.id)
        .unwrap();
    assert!(matches!(
        v.open(&phone, &phone_ctx(), &access::<Claims>(&a)),
        Err(OpenError::Expired { .. })
    ));
}

#[test]
fn a_hold_for_several_purposes_permits_each_of_them() {
    let clock = ManualClock::new(t0());
    let v = vault_on(MemoryKeyStore::new(), &clock);
    let a = sid("cus_1");
    let email = seal_email(&v, &a);
    let hold = v
        .operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .hold_scoped(
            &a,
            HoldScope::purpose::<Claims>().or_purpose::<TaxAudit>(),
            "case 10",
            None,
        )
        .unwrap();
    assert_eq!(hold.scope.purposes(), ["legal-claims", "tax-audit"]);
    clock.advance(TimeDelta::days(31));
    assert!(email_for(&v, &email, &access::<Claims>(&a)).is_ok());
    assert!(email_for(&v, &email, &access::<TaxAudit>(&a)).is_ok());
    assert!(is_restricted(&email_for(&v, &email, &access::<Crm>(&a))));
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
fn a_whole_record_open_for_another_purpose_sees_a_held_expired_field_as_absent() {
    let clock = ManualClock::new(t0());
    let v = vault_on(MemoryKeyStore::new(), &clock);
    let a = sid("cus_1");
    let lead = Lead {
        id: a.clone(),
        email: Personal::new(a.clone(), "alice@example.com".into()),
        phone: Some(Personal::new(a.clone(), "+15550100".into())),
    };
    let sealed = lead.seal(&v).unwrap();
    v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .hold::<Claims>(&a, "case 11", None)
        .unwrap();
    clock.advance(TimeDelta::days(31));
    assert!(sealed.open(&v, &access::<Crm>(&a)).unwrap().phone.is_none());
    assert!(matches!(
        sealed.open_phone(&v, &access::<Crm>(&a)),
        Err(OpenError::RestrictedByHold { .. })
    ));
    assert!(
        sealed
            .open(&v, &access::<Claims>(&a))
            .unwrap()
            .phone
            .is_some()
    );
}

#[test]
fn the_scope_is_kept_by_the_store_listed_and_audited() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.db");
    let clock = ManualClock::new(t0());
    let trail = Arc::new(AuditTrail::new(MemorySink::new()).unwrap());
    let v = Vault::builder(
        LocalMasterKey::from_slice("kek", &[7; 32]).unwrap(),
        SqliteStore::open(&path).unwrap(),
    )
    .clock(clock.clone())
    .audit(Arc::clone(&trail))
    .build();
    let a = sid("cus_1");
    let hold = v
        .operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .hold_scoped(
            &a,
            HoldScope::purpose::<Claims>().only::<Email>(),
            "case 12",
            None,
        )
        .unwrap();
    v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .release(&hold.id)
        .unwrap();
    drop(v);
    let reopened = vault_on(SqliteStore::open(&path).unwrap(), &clock);
    let listed = reopened.holds_of(&a).unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].scope, hold.scope);
    let json = serde_json::to_value(&listed[0]).unwrap();
    assert_eq!(
        json["scope"],
        serde_json::json!({"purposes": ["legal-claims"], "categories": ["user.contact.email"]})
    );
    let events: Vec<_> = trail
        .query(&Default::default())
        .unwrap()
        .into_iter()
        .filter(|e| matches!(e.kind, EventKind::HoldPlaced | EventKind::HoldReleased))
        .map(|e| (e.kind, e.purpose, e.category))
        .collect();
    let scope = (
        Some("legal-claims".to_owned()),
        Some("user.contact.email".to_owned()),
    );
    assert_eq!(
        events,
        [
            (EventKind::HoldPlaced, scope.0.clone(), scope.1.clone()),
            (EventKind::HoldReleased, scope.0, scope.1)
        ]
    );
}

#[test]
fn a_hold_placed_by_one_vault_restricts_and_permits_opens_in_another_on_the_same_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.db");
    let clock = ManualClock::new(t0());
    // Vault B keeps keys cached for a minute (the default); holds are not memoised.
    let va = vault_on(SqliteStore::open(&path).unwrap(), &clock);
    let vb = vault_on(SqliteStore::open(&path).unwrap(), &clock);
    let a = sid("cus_1");
    let email = seal_email(&vb, &a);
    assert!(email_for(&vb, &email, &access::<Crm>(&a)).is_ok());
    clock.advance(TimeDelta::days(31));
    assert!(is_expired(&email_for(&vb, &email, &access::<Claims>(&a))));
    let hold = va
        .operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .hold::<Claims>(&a, "case 13", None)
        .unwrap();
    assert!(email_for(&vb, &email, &access::<Claims>(&a)).is_ok());
    assert!(is_restricted(&email_for(&vb, &email, &access::<Crm>(&a))));
    va.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .sweep()
        .unwrap();
    assert!(email_for(&vb, &email, &access::<Claims>(&a)).is_ok());
    va.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .release(&hold.id)
        .unwrap();
    // B cached the key while the hold lasted; the release counts at once all the same.
    assert!(is_expired(&email_for(&vb, &email, &access::<Claims>(&a))));
}

#[test]
fn a_hold_stored_without_a_scope_keeps_data_but_opens_it_for_no_purpose() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.db");
    let clock = ManualClock::new(t0());
    let v = vault_on(SqliteStore::open(&path).unwrap(), &clock);
    let a = sid("cus_1");
    let email = seal_email(&v, &a);
    v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .hold::<Claims>(&a, "case 14", None)
        .unwrap();
    // What a hold written before schema 9 looks like: no scope (and, as before
    // schema 11, no MAC: the vault adopts such records at its first keyed use).
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(
        "DROP TRIGGER legal_holds_update; DROP TRIGGER retention_head_rises;
         UPDATE legal_holds SET scope_purposes = NULL, scope_categories = NULL, mac = NULL;
         UPDATE retention_head SET mac = NULL;",
    )
    .unwrap();
    drop(conn);
    clock.advance(TimeDelta::days(31));
    assert_eq!(
        v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
            .sweep()
            .unwrap()
            .escrowed,
        1,
        "it still keeps the data"
    );
    assert!(is_expired(&email_for(&v, &email, &access::<Claims>(&a))));
    // A scoped hold placed now opens it again for its purpose.
    v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .hold::<Claims>(&a, "case 14, scoped", None)
        .unwrap();
    assert!(email_for(&v, &email, &access::<Claims>(&a)).is_ok());
    assert!(matches!(
        v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
            .erase(&a),
        Err(AdminError::UnderLegalHold { .. })
    ));
}

/// A backend outside the crate (PostgreSQL, say) stores a hold's scope as two lists of
/// names and rebuilds it when it lists the holds: the rebuilt scope is the one placed.
#[test]
fn an_out_of_crate_backend_rebuilds_a_stored_hold_scope() {
    let placed = HoldScope::purpose::<Claims>()
        .or_purpose::<Crm>()
        .only::<Email>();
    let rebuilt =
        HoldScope::from_stored(placed.purposes().to_vec(), placed.categories().to_vec()).unwrap();
    assert_eq!(rebuilt, placed);
    assert!(rebuilt.permits("legal-claims", "user.contact.email"));
    assert!(rebuilt.permits("crm", "user.contact.email"));
    assert!(!rebuilt.permits("legal-claims", "user.contact.phone_number"));
    assert!(!rebuilt.permits("marketing", "user.contact.email"));
    // A scope recorded before scopes existed (no names) keeps nothing for anyone.
    let legacy = HoldScope::from_stored(Vec::new(), Vec::new()).unwrap();
    assert!(!legacy.covers("user.contact.email"));
}

/// Names a backend read back that no declaration could have written are a damaged or
/// edited store, refused as `StoreError::Corrupt`, never turned into a scope.
#[test]
fn a_malformed_stored_hold_scope_is_refused_as_corrupt() {
    let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    for (purposes, categories) in [
        (names(&[""]), names(&["user.contact.email"])),
        (names(&["legal-claims\n"]), names(&["user.contact.email"])),
        (names(&["legal-claims"]), names(&["User.Contact.Email"])),
        (names(&["legal-claims"]), names(&["email"])),
        (names(&["legal-claims"]), names(&["user..email"])),
        (
            names(&["legal-claims", "legal-claims"]),
            names(&["user.contact.email"]),
        ),
        (
            names(&["legal-claims"]),
            names(&["user.contact.email", "user.contact.email"]),
        ),
    ] {
        let r = HoldScope::from_stored(purposes.clone(), categories.clone());
        assert!(
            matches!(r, Err(StoreError::Corrupt { .. })),
            "{purposes:?} {categories:?}: {r:?}"
        );
    }
}
