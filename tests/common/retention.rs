//! What the retention tests share: their clock's start, the email context kept for a
//! number of days, a value sealed in it, and the refusal of expired data.

use chrono::{DateTime, TimeZone, Utc};
use custodian::categories::Email;
use custodian::{Context, Personal, Retention, Sealed, SubjectId, Vault, VaultError};

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
