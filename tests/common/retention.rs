//! What the retention tests share: their clock's start, the email context kept for a
//! number of days, a value sealed in it, and the refusal of expired data; the purposes,
//! master key and access of `retention.rs` and `legal_hold.rs`.

use chrono::{DateTime, TimeZone, Utc};
use custodian::categories::{Email, Phone};
use custodian::keys::LocalMasterKey;
use custodian::{
    Access, Actor, Context, Personal, Retention, Sealed, SubjectId, Vault, VaultError,
};

/// The start of the retention tests' clock: 2027-01-01 12:00 UTC.
pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2027, 1, 1, 12, 0, 0).unwrap()
}

/// The email context, kept for `days` after collection.
pub fn ctx(days: u32) -> Context<Email> {
    super::ctx().retain(Retention::Days(days))
}

/// `s`'s email ("<s>@example.com") sealed for `s`, kept for `days`.
pub fn seal(v: &Vault, s: &SubjectId, days: u32) -> Sealed<String, Email> {
    v.seal(
        &Personal::new(s.clone(), format!("{s}@example.com")),
        &ctx(days),
    )
    .unwrap()
}

/// Whether `r` is the refusal of data past its retention.
pub fn is_expired(r: &Result<String, VaultError>) -> bool {
    matches!(r, Err(VaultError::Expired { .. }))
}

custodian::purpose! {
    /// The account's purpose: reads the email and phone.
    pub struct Crm { basis: Contract, description: "Serve the account.", uses: [Email, Phone] }
    /// A purpose a legal hold can name.
    pub struct Claims { basis: LegitimateInterests, description: "Defend legal claims.", uses: [Email, Phone] }
}

/// The retention tests' master key: "kek", bytes of 7.
pub fn master() -> LocalMasterKey {
    super::master("kek", 7)
}

/// `s`'s access for [`Crm`], by a service.
pub fn access(s: &SubjectId) -> Access<Crm> {
    Access::new(s.clone(), Actor::service("test"))
}

/// `sealed` opened and read for [`Crm`].
pub fn open(
    v: &Vault,
    sealed: &Sealed<String, Email>,
    s: &SubjectId,
) -> Result<String, VaultError> {
    let days = 1; // the retention is not part of the binding: any context of the place
    Ok(v.open(sealed, &ctx(days), &access(s))?
        .read(&access(s))
        .unwrap()
        .clone())
}
