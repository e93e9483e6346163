//! What the erasure tests (`erasure_exceptions.rs`, `erasure_queue.rs`) share: a
//! customer record whose billing address tax law keeps, sealing and opening its
//! fields, and both key stores.

use chrono::{DateTime, Utc};
use custodian::VaultStore;
use custodian::categories::{Email, PostalAddress};
use custodian::keys::LocalMasterKey;
use custodian::memory::MemoryKeyStore;
use custodian::retention::{ErasureException, ManualClock};
use custodian::sqlite::SqliteStore;
use custodian::{
    Access, Actor, Context, Personal, PersonalData, Retention, Sealed, SubjectId, Vault, VaultError,
};

use super::email_ctx;

custodian::purpose! {
    /// The contract purpose the account data is read under.
    pub struct Crm { name: "crm", basis: Contract, description: "Serve the account.", uses: [Email, PostalAddress] }
    /// The legal obligation that keeps the billing address (§ 147 AO).
    pub struct TaxRecords {
        name: "tax-records",
        basis: LegalObligation { law: "§ 147 AO" },
        description: "Keep invoices as tax law requires.",
        uses: [PostalAddress],
    }
}

/// The record whose email is erased and whose billing address tax law keeps.
#[derive(PersonalData)]
#[personal(record = "customer")]
#[allow(dead_code)]
pub struct Customer {
    #[personal(subject)]
    id: SubjectId,
    #[personal(retain = "until_erased")]
    email: Personal<String, Email>,
    #[personal(retain = "11y")]
    billing_address: Personal<String, PostalAddress>,
}

/// The law the tax records are kept under.
pub const LAW: &str = "§ 147 AO";

/// A vault under master key "kek" (bytes of 7) on `store` and `clock`, knowing
/// [`Customer`].
pub fn vault_on(store: impl VaultStore + 'static, clock: &ManualClock) -> Vault {
    Vault::builder(LocalMasterKey::from_slice("kek", &[7; 32]).unwrap(), store)
        .clock(clock.clone())
        .record::<Customer>()
        .build()
}

/// The billing address context, kept 11 years.
pub fn address_ctx() -> Context<PostalAddress> {
    Context::new("customer", "billing_address")
        .unwrap()
        .retain(Retention::Years(11))
}

/// A customer's email and billing address, sealed.
pub struct Sealed2 {
    /// The email.
    pub email: Sealed<String, Email>,
    /// The billing address.
    pub address: Sealed<String, PostalAddress>,
}

/// `s`'s email and billing address sealed.
pub fn seal_both(v: &Vault, s: &SubjectId) -> Sealed2 {
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

/// The billing address opened and read for the tax records.
pub fn open_address_for_tax(
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

/// The billing address opened and read for the account.
pub fn open_address_for_crm(
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

/// The email opened and read for the account.
pub fn open_email(
    v: &Vault,
    sealed: &Sealed<String, Email>,
    s: &SubjectId,
) -> Result<String, VaultError> {
    let a = Access::<Crm>::new(s.clone(), Actor::service("crm"));
    Ok(v.open(sealed, &email_ctx(), &a)?.read(&a).unwrap().clone())
}

/// An exception keeping the billing address for the tax records until `until`.
pub fn keep_address(until: DateTime<Utc>) -> ErasureException {
    ErasureException::keep::<TaxRecords, PostalAddress>(LAW, until)
}

/// Opens a key store (again): the same memory store, or the SQLite file reopened.
pub type OpenStore = Box<dyn Fn() -> Box<dyn VaultStore>>;

/// Both key stores, each with a way to open it (again).
pub fn stores(dir: &std::path::Path) -> Vec<(&'static str, OpenStore)> {
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
