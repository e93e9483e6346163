//! Retention: how long personal data is kept, and how the keys enforce it.
//!
//! A field's [`Retention`] is declared with `#[personal(retain = "...")]` on a
//! [`PersonalData`](crate::record::PersonalData) struct, on a
//! [`Context`](crate::Context), or as a per-category default on the
//! [`VaultBuilder`](crate::VaultBuilder). Sealing writes the collection time and the
//! expiry into the value's header (bound into the associated data), and derives its
//! key from the **retention epoch** (the UTC day) of its expiry:
//!
//! - [`Vault::open`](crate::Vault::open) refuses an expired value with
//!   [`VaultError::Expired`](crate::VaultError::Expired), unless its subject is under a
//!   [`LegalHold`] whose scope covers its category;
//! - [`Vault::sweep`](crate::Vault::sweep) destroys the keys of epochs that have ended:
//!   the sealed contents of every value expiring in them, in every copy and backup,
//!   become undecryptable at once (once no key-store backup from before the sweep
//!   remains), without touching a record; headers (subject id, dates) stay readable. A
//!   held subject's share of the epoch is escrowed first; past its retention, held data
//!   opens only for the purposes and categories of the hold's [`HoldScope`] (GDPR
//!   Art. 18(2)), every other purpose gets
//!   [`VaultError::RestrictedByHold`](crate::VaultError::RestrictedByHold);
//! - [`Vault::erase`](crate::Vault::erase) destroys a subject's keys and escrows, so
//!   their sealed contents become unreadable (subject ids, dates, plain fields and kept
//!   evidence remain: `docs/retention.md`), and returns an [`ErasureReceipt`].
//!
//! Hold records and tombstones are append-only and authenticated ([`IntegrityKey`]):
//! a vault refuses to sweep, erase or create a subject key on a store where one was
//! deleted, forged or edited ([`Vault::verify_retention`](crate::Vault::verify_retention)).
//!
//! Time comes from an injected [`Clock`]. `docs/retention.md` explains how to choose
//! periods and what to schedule.

mod clock;
mod erasure;
mod exception;
mod hold;
mod integrity;
mod sweep;

pub use clock::{Clock, ManualClock, SystemClock};
pub use erasure::{ErasedField, ErasureReceipt, SubjectRef};
pub use exception::{
    ErasureBlocked, ErasureException, ErasureOutcome, ExceptionRecord, KeptData, QueuedErasure,
    StoredException,
};
pub(crate) use hold::check_reason as check_hold_reason;
pub use hold::{HoldBasis, HoldError, HoldId, HoldScope, HoldSubject, LegalHold};
pub use integrity::{IntegrityKey, RetentionCounts, RetentionReport};
pub use sweep::{EpochSweep, JournalPurge, ShredCounts};

use std::fmt;

use chrono::{DateTime, Months};

use crate::format::{EPOCH_SECONDS, NEVER};

/// How long personal data is kept from its collection (GDPR Art. 5(1)(e)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Retention {
    /// A number of days, written `"30d"`.
    Days(u32),
    /// A number of calendar months, written `"6m"`.
    Months(u32),
    /// A number of calendar years, written `"7y"`.
    Years(u32),
    /// Until the data subject's data is erased, written `"until_erased"`.
    UntilErased,
}

/// A retention literal that does not parse. Says what is accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "a retention period is a positive number followed by `d`, `m` or `y` (\"30d\", \"6m\", \"7y\"), or \"until_erased\""
)]
pub struct RetentionParseError;

impl Retention {
    /// Parses `"30d"`, `"6m"`, `"7y"` or `"until_erased"`.
    ///
    /// ```
    /// use custodian::Retention;
    /// assert_eq!(Retention::parse("7y"), Ok(Retention::Years(7)));
    /// assert!(Retention::parse("30 parsecs").is_err());
    /// ```
    pub fn parse(s: &str) -> Result<Self, RetentionParseError> {
        Retention::from_literal(s).ok_or(RetentionParseError)
    }

    /// The `const` form of [`parse`](Self::parse): `#[derive(PersonalData)]` evaluates
    /// the `retain = "..."` literal with it at compile time, so the derive and this type
    /// cannot disagree about what a literal means.
    pub const fn from_literal(s: &str) -> Option<Self> {
        let b = s.as_bytes();
        if eq_bytes(b, b"until_erased") {
            return Some(Retention::UntilErased);
        }
        if b.len() < 2 {
            return None;
        }
        let mut n: u32 = 0;
        let mut i = 0;
        while i < b.len() - 1 {
            let c = b[i];
            if !c.is_ascii_digit() {
                return None;
            }
            n = match n.checked_mul(10) {
                Some(v) => v,
                None => return None,
            };
            n = match n.checked_add((c - b'0') as u32) {
                Some(v) => v,
                None => return None,
            };
            i += 1;
        }
        if n == 0 {
            return None;
        }
        match b[b.len() - 1] {
            b'd' => Some(Retention::Days(n)),
            b'm' => Some(Retention::Months(n)),
            b'y' => Some(Retention::Years(n)),
            _ => None,
        }
    }
}

impl Retention {
    /// When a value collected at `collected` (seconds since the Unix epoch) expires:
    /// [`NEVER`] for [`UntilErased`](Retention::UntilErased); `None` past the year
    /// 262,000. Months and years are calendar months and years (31 January + 1 month is
    /// the last day of February), kept at the time of day of collection.
    pub(crate) fn expires(self, collected: i64) -> Option<i64> {
        let months = match self {
            Retention::UntilErased => return Some(NEVER),
            Retention::Days(n) => {
                return collected
                    .checked_add(i64::from(n).checked_mul(EPOCH_SECONDS)?)
                    .filter(|&t| t != NEVER);
            }
            Retention::Months(n) => n,
            Retention::Years(n) => n.checked_mul(12)?,
        };
        let at = DateTime::from_timestamp(collected, 0)?.checked_add_months(Months::new(months))?;
        Some(at.timestamp())
    }
}

const fn eq_bytes(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

impl fmt::Display for Retention {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Retention::Days(n) => write!(f, "{n} days"),
            Retention::Months(n) => write!(f, "{n} months"),
            Retention::Years(n) => write!(f, "{n} years"),
            Retention::UntilErased => f.write_str("until erased"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_forms_only() {
        assert_eq!(Retention::parse("30d"), Ok(Retention::Days(30)));
        assert_eq!(Retention::parse("6m"), Ok(Retention::Months(6)));
        assert_eq!(Retention::parse("until_erased"), Ok(Retention::UntilErased));
        for bad in [
            "",
            "d",
            "0d",
            "30",
            "30 d",
            "-1y",
            "30 parsecs",
            "1w",
            "99999999999d",
        ] {
            assert!(Retention::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(Retention::Years(7).to_string(), "7 years");
    }

    #[test]
    fn expiry_is_calendar_arithmetic_at_the_time_of_collection() {
        use chrono::{TimeZone, Utc};
        let t = |y, m, d, h| Utc.with_ymd_and_hms(y, m, d, h, 30, 0).unwrap().timestamp();
        let jan31 = t(2027, 1, 31, 9);
        assert_eq!(Retention::Days(30).expires(jan31), Some(t(2027, 3, 2, 9)));
        assert_eq!(Retention::Months(1).expires(jan31), Some(t(2027, 2, 28, 9)));
        assert_eq!(Retention::Years(7).expires(jan31), Some(t(2034, 1, 31, 9)));
        assert_eq!(Retention::UntilErased.expires(jan31), Some(NEVER));
        assert_eq!(Retention::Years(u32::MAX).expires(jan31), None);
        assert_eq!(Retention::Days(u32::MAX).expires(i64::MAX - 10), None);
    }
}
