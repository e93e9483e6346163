//! Helpers of the event-anchor tests (`tests/anchors.rs`, `tests/anchors_on_file.rs`):
//! a value kept three years after the end of the contract, on memory and on SQLite.

use chrono::{DateTime, TimeZone, Utc};
use custodian::categories::Email;
use custodian::keys::{KeyName, LocalMasterKey};
use custodian::memory::MemoryKeyStore;
use custodian::retention::{Anchor, EventPeriod, ManualClock};
use custodian::sqlite::SqliteStore;
use custodian::{
    Access, Actor, Context, Operator, Personal, Retention, Sealed, SubjectId, Vault, VaultError,
    VaultStore,
};

custodian::purpose! {
    /// The account's purpose.
    pub struct Crm { basis: Contract, description: "Serve the account.", uses: [Email] }
    /// A purpose a legal hold can name.
    pub struct Claims { name: "claims", basis: LegitimateInterests, description: "Defend legal claims.", uses: [Email] }
}

/// The anchor tests' start: 2027-01-01 12:00 UTC.
pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2027, 1, 1, 12, 0, 0).unwrap()
}

/// A vault on `store` whose clock is `clock`.
pub fn vault_on(store: impl VaultStore + 'static, clock: &ManualClock) -> Vault {
    Vault::builder(LocalMasterKey::from_slice("kek", &[7; 32]).unwrap(), store)
        .clock(clock.clone())
        .build()
}

/// The operator handle events, sweeps, holds and erasures go through.
pub fn op(v: &Vault) -> Operator<'_> {
    v.operator(Actor::staff("emp-7", "privacy-officer"))
}

/// Three years after the end of the contract.
pub fn after_contract() -> Retention {
    Retention::Years(3).after(Anchor::ContractEnd).unwrap()
}

/// The email field, kept for `retention`.
pub fn ctx(retention: Retention) -> Context<Email> {
    Context::new("customer", "email").unwrap().retain(retention)
}

/// `s`'s email sealed, kept for `retention`.
pub fn seal(v: &Vault, s: &SubjectId, retention: Retention) -> Sealed<String, Email> {
    v.seal(
        &Personal::new(s.clone(), format!("{s}@example.com")),
        &ctx(retention),
    )
    .unwrap()
}

/// `sealed` opened and read for [`Crm`].
pub fn open(
    v: &Vault,
    sealed: &Sealed<String, Email>,
    s: &SubjectId,
) -> Result<String, VaultError> {
    let access = Access::<Crm>::new(s.clone(), Actor::service("crm"));
    Ok(v.open(sealed, &ctx(after_contract()), &access)?
        .read(&access)
        .unwrap()
        .clone())
}

/// `sealed` opened and read for [`Claims`].
pub fn open_for_claims(
    v: &Vault,
    sealed: &Sealed<String, Email>,
    s: &SubjectId,
) -> Result<String, VaultError> {
    let access = Access::<Claims>::new(s.clone(), Actor::service("counsel"));
    Ok(v.open(sealed, &ctx(after_contract()), &access)?
        .read(&access)
        .unwrap()
        .clone())
}

/// The name of `s`'s anchor key for three years after the end of the contract.
pub fn anchor_key(s: &SubjectId) -> KeyName {
    KeyName::Anchor {
        subject: s.clone(),
        code: Anchor::ContractEnd
            .header_code(EventPeriod::Years(3))
            .unwrap(),
    }
}

/// Runs `test` on a memory store and on a SQLite file, each with its own clock at t0.
pub fn on_both_stores(test: impl Fn(&dyn VaultStore, Vault, &ManualClock)) {
    let clock = ManualClock::new(t0());
    let memory = std::sync::Arc::new(MemoryKeyStore::new());
    test(&*memory, vault_on(memory.clone(), &clock), &clock);
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(t0());
    let sqlite = SqliteStore::open(dir.path().join("c.db")).unwrap();
    test(&sqlite, vault_on(sqlite.clone(), &clock), &clock);
}
