//! What the retention tests share: their clock's start and the email context kept for
//! a number of days.

use chrono::{DateTime, TimeZone, Utc};
use custodian::categories::Email;
use custodian::{Context, Retention};

/// The start of the retention tests' clock: 2027-01-01 12:00 UTC.
pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2027, 1, 1, 12, 0, 0).unwrap()
}

/// The email context, kept for `days` after collection.
pub fn ctx(days: u32) -> Context<Email> {
    super::ctx().retain(Retention::Days(days))
}
