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
//!   [`OpenError::Expired`](crate::OpenError::Expired), unless its subject is under a
//!   [`LegalHold`] whose scope covers its category;
//! - [`Operator::sweep`](crate::Operator::sweep) destroys the keys of epochs that have ended:
//!   the sealed contents of every value expiring in them, in every copy and backup,
//!   become undecryptable at once (once no key-store backup from before the sweep
//!   remains), without touching a record; headers (subject id, dates) stay readable. A
//!   held subject's share of the epoch is escrowed first; past its retention, held data
//!   opens only for the purposes and categories of the hold's [`HoldScope`] (GDPR
//!   Art. 18(2)), every other purpose gets
//!   [`OpenError::RestrictedByHold`](crate::OpenError::RestrictedByHold);
//! - [`Operator::erase`](crate::Operator::erase) destroys a subject's keys and escrows, so
//!   their sealed contents become unreadable (subject ids, dates, plain fields and kept
//!   evidence remain: `docs/retention.md`), and returns an [`ErasureReceipt`].
//!
//! A period may run from an event instead of from collection
//! ([`Retention::AfterEvent`]: `"3y after end of contract"`): the value's key then
//! mixes a per-(subject, anchor, period) anchor key, which the sweep destroys once the
//! event recorded with [`Operator::record_event`](crate::Operator::record_event) + the period
//! has passed ([`Anchor`], [`AnchorEvent`]).
//!
//! Hold records and tombstones are append-only and authenticated ([`IntegrityKey`]):
//! a vault refuses to sweep, erase or create a subject key on a store where one was
//! deleted, forged or edited ([`Vault::verify_retention`](crate::Vault::verify_retention)).
//!
//! Time comes from an injected [`Clock`]. `docs/retention.md` explains how to choose
//! periods and what to schedule.

mod anchor;
mod clock;
mod erasure;
mod exception;
mod hold;
mod integrity;
mod store;
mod sweep;

pub use anchor::{Anchor, AnchorEvent, EventPeriod};
pub(crate) use anchor::{anchor_code, anchored_end, from_anchor_code};
pub use clock::{Clock, ManualClock, SystemClock};
pub use erasure::{ErasedField, ErasureReceipt, InvalidSubjectRef, SubjectRef};
pub use exception::{
    ErasureBlocked, ErasureException, ErasureOutcome, ExceptionRecord, KeptData, QueuedErasure,
    StoredException,
};
pub(crate) use hold::check_reason as check_hold_reason;
pub use hold::{HoldBasis, HoldError, HoldId, HoldScope, HoldSubject, LegalHold};
pub use integrity::{IntegrityKey, RetentionCounts, RetentionReport, StoredEvent, StoredHold};
pub use store::{ErasureStore, HoldStore, RetentionStore};
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
    /// A number of calendar years counted from the end of the calendar year in which
    /// the value was collected (German §147(4) AO, §257(5) HGB), written
    /// `"8y from end of year"` (the year as in UTC) or `"8y from end of year +01:00"`
    /// (the year as in the zone whose UTC offset at New Year is `+01:00`: Germany's).
    ///
    /// The value expires at the first instant of 1 January of the year `years + 1`
    /// after its collection year, in that zone. Only the offset in force at New Year
    /// matters, so daylight saving never moves the boundary.
    YearsFromEndOfYear {
        /// How many calendar years after the end of the collection year.
        years: u32,
        /// The zone's offset from UTC at New Year, in minutes (`60` for `+01:00`),
        /// between `-720` and `+840`.
        utc_offset_minutes: i16,
    },
    /// Until the data subject's data is erased, written `"until_erased"`. This is an
    /// explicit choice: nothing falls back to it (GDPR Art. 25(2), `docs/retention.md`).
    UntilErased,
    /// A period that runs from an event unknown at collection, recorded later with
    /// [`Operator::record_event`](crate::Operator::record_event): written
    /// `"3y after end of contract"`, `"6y after end of employment"` or
    /// `"24m after last contact"` (`d`, `m` or `y`, 1 to 16,383). Until the event is
    /// recorded the value does not expire; from the event + `period` it is refused, and
    /// the next sweep destroys its key (`docs/retention.md`, "Periods from an event").
    AfterEvent {
        /// The event the period runs from.
        anchor: Anchor,
        /// How long after the event.
        period: EventPeriod,
    },
}

/// A retention literal that does not parse. Says what is accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "a retention period is a positive number followed by `d`, `m` or `y` (\"30d\", \"6m\", \"7y\"), a number of years from the end of the calendar year (\"8y from end of year\", \"8y from end of year +01:00\"), a period after an event (\"3y after end of contract\", \"6y after end of employment\", \"24m after last contact\"; at most 16383), or \"until_erased\""
)]
#[non_exhaustive]
pub struct RetentionParseError;

impl RetentionParseError {
    /// The stable code of this error (see [`ErrorKind`](crate::ErrorKind)).
    pub fn kind(&self) -> crate::ErrorKind {
        crate::ErrorKind::InvalidInput
    }
}

impl Retention {
    /// Parses `"30d"`, `"6m"`, `"7y"`, `"8y from end of year"` (optionally followed by
    /// the zone's UTC offset at New Year, `"8y from end of year +01:00"`), a period
    /// after an event (`"3y after end of contract"`, `"6y after end of employment"`,
    /// `"24m after last contact"`) or `"until_erased"`.
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
        if crate::bytes::eq(b, b"until_erased") {
            return Some(Retention::UntilErased);
        }
        // "<n><unit> after <event>", "<n>y from end of year[ <sign>HH:MM]"
        let mut y = 0;
        while y < b.len() && b[y].is_ascii_digit() {
            y += 1;
        }
        if y > 0 && y < b.len() && b.len() > y + 1 && crate::bytes::eq_at(b, y + 1, b" after ") {
            let period = match (parse_u32(b, 0, y), b[y]) {
                (Some(n), b'd') if n <= EventPeriod::MAX as u32 => EventPeriod::Days(n as u16),
                (Some(n), b'm') if n <= EventPeriod::MAX as u32 => EventPeriod::Months(n as u16),
                (Some(n), b'y') if n <= EventPeriod::MAX as u32 => EventPeriod::Years(n as u16),
                _ => return None,
            };
            if !period.is_valid() {
                return None;
            }
            let words = y + 1 + b" after ".len();
            let mut id = 1;
            while id <= 3 {
                if let Some(anchor) = Anchor::from_id(id)
                    && b.len() == words + anchor.words().len()
                    && crate::bytes::eq_at(b, words, anchor.words().as_bytes())
                {
                    return Some(Retention::AfterEvent { anchor, period });
                }
                id += 1;
            }
            return None;
        }
        if y > 0 && y < b.len() && b[y] == b'y' && b.len() > y + 1 {
            let years = match parse_u32(b, 0, y) {
                Some(n) if n > 0 => n,
                _ => return None,
            };
            return match anchor_suffix(b, y + 1) {
                Some(utc_offset_minutes) => Some(Retention::YearsFromEndOfYear {
                    years,
                    utc_offset_minutes,
                }),
                None => None,
            };
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
    /// This period (days, months or years, at most [`EventPeriod::MAX`]) counted from
    /// `anchor` instead of from collection: `Retention::Years(3).after(Anchor::ContractEnd)`
    /// is `"3y after end of contract"`. `None` for another retention or a longer period.
    pub const fn after(self, anchor: Anchor) -> Option<Retention> {
        let period = match self {
            Retention::Days(n) if n <= EventPeriod::MAX as u32 => EventPeriod::Days(n as u16),
            Retention::Months(n) if n <= EventPeriod::MAX as u32 => EventPeriod::Months(n as u16),
            Retention::Years(n) if n <= EventPeriod::MAX as u32 => EventPeriod::Years(n as u16),
            _ => return None,
        };
        if period.is_valid() {
            Some(Retention::AfterEvent { anchor, period })
        } else {
            None
        }
    }

    /// When a value collected at `collected` (seconds since the Unix epoch) expires:
    /// [`NEVER`] for [`UntilErased`](Retention::UntilErased); `None` past the year
    /// 262,000. Months and years are calendar months and years (31 January + 1 month is
    /// the last day of February), kept at the time of day of collection.
    pub(crate) fn expires(self, collected: i64) -> Option<i64> {
        let months = match self {
            // Unknown until the event: sealed as `NEVER`, the header code names the
            // anchor (`docs/format.md`).
            Retention::UntilErased | Retention::AfterEvent { .. } => return Some(NEVER),
            Retention::YearsFromEndOfYear {
                years,
                utc_offset_minutes,
            } => return end_of_year_plus(collected, years, utc_offset_minutes),
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

/// The expiry of a value collected at `collected` and kept `years` calendar years from
/// the end of its collection year, in the zone `offset` minutes ahead of UTC.
fn end_of_year_plus(collected: i64, years: u32, offset: i16) -> Option<i64> {
    use chrono::{Datelike, NaiveDate};
    if !(MIN_OFFSET..=MAX_OFFSET).contains(&offset) {
        return None;
    }
    let shift = i64::from(offset) * 60;
    let local = DateTime::from_timestamp(collected.checked_add(shift)?, 0)?;
    let year = local
        .year()
        .checked_add(1)?
        .checked_add(i32::try_from(years).ok()?)?;
    let new_year = NaiveDate::from_ymd_opt(year, 1, 1)?
        .and_hms_opt(0, 0, 0)?
        .and_utc()
        .timestamp();
    new_year.checked_sub(shift).filter(|&t| t != NEVER)
}

/// The furthest zones from UTC: UTC-12:00 and UTC+14:00, in minutes.
const MIN_OFFSET: i16 = -720;
const MAX_OFFSET: i16 = 840;

/// The decimal number in `b[from..to]`, if it fits a `u32`.
const fn parse_u32(b: &[u8], from: usize, to: usize) -> Option<u32> {
    if from >= to {
        return None;
    }
    let mut n: u32 = 0;
    let mut i = from;
    while i < to {
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
    Some(n)
}

/// `b[at..]` is `" from end of year"`, optionally followed by `" +HH:MM"` or
/// `" -HH:MM"` within UTC-12:00..=UTC+14:00: the offset in minutes (0 without one).
const fn anchor_suffix(b: &[u8], at: usize) -> Option<i16> {
    const WORDS: &[u8] = b" from end of year";
    if b.len() < at + WORDS.len() {
        return None;
    }
    let mut i = 0;
    while i < WORDS.len() {
        if b[at + i] != WORDS[i] {
            return None;
        }
        i += 1;
    }
    let rest = at + WORDS.len();
    if rest == b.len() {
        return Some(0);
    }
    // " +HH:MM"
    if b.len() - rest != 7 || b[rest] != b' ' || b[rest + 4] != b':' {
        return None;
    }
    let sign: i16 = match b[rest + 1] {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let (h, m) = match (
        parse_u32(b, rest + 2, rest + 4),
        parse_u32(b, rest + 5, rest + 7),
    ) {
        (Some(h), Some(m)) => (h, m),
        _ => return None,
    };
    if h > 14 || m > 59 {
        return None;
    }
    let minutes = sign * (h as i16 * 60 + m as i16);
    if minutes < MIN_OFFSET || minutes > MAX_OFFSET {
        return None;
    }
    Some(minutes)
}

impl fmt::Display for Retention {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Retention::Days(n) => write!(f, "{n} days"),
            Retention::Months(n) => write!(f, "{n} months"),
            Retention::Years(n) => write!(f, "{n} years"),
            Retention::YearsFromEndOfYear {
                years,
                utc_offset_minutes: o,
            } => {
                let sign = if *o < 0 { '-' } else { '+' };
                let a = o.unsigned_abs();
                write!(
                    f,
                    "{years} years from the end of the calendar year (UTC{sign}{:02}:{:02})",
                    a / 60,
                    a % 60
                )
            }
            Retention::UntilErased => f.write_str("until erased"),
            Retention::AfterEvent { anchor, period } => write!(f, "{period} after {anchor}"),
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

    #[test]
    fn end_of_year_anchor_parses_with_and_without_a_zone() {
        assert_eq!(
            Retention::parse("8y from end of year"),
            Ok(Retention::YearsFromEndOfYear {
                years: 8,
                utc_offset_minutes: 0
            })
        );
        assert_eq!(
            Retention::parse("10y from end of year +01:00"),
            Ok(Retention::YearsFromEndOfYear {
                years: 10,
                utc_offset_minutes: 60
            })
        );
        assert_eq!(
            Retention::parse("6y from end of year -03:30"),
            Ok(Retention::YearsFromEndOfYear {
                years: 6,
                utc_offset_minutes: -210
            })
        );
        for bad in [
            "0y from end of year",
            "8m from end of year",
            "8y from end of yea",
            "8y from end of year ",
            "8y from end of year +1:00",
            "8y from end of year +15:00",
            "8y from end of year -12:30",
            "8y from end of year +01:60",
            "8y from end of year 01:00",
            "y from end of year",
        ] {
            assert!(Retention::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            Retention::parse("8y from end of year +01:00")
                .map(|r| r.to_string())
                .as_deref(),
            Ok("8 years from the end of the calendar year (UTC+01:00)")
        );
    }

    #[test]
    fn end_of_year_anchor_runs_from_new_year_after_collection_in_the_declared_zone() {
        use chrono::{TimeZone, Utc};
        let t = |y, m, d, h, min| {
            Utc.with_ymd_and_hms(y, m, d, h, min, 0)
                .unwrap()
                .timestamp()
        };
        let utc8 = Retention::parse("8y from end of year").unwrap();
        // An invoice of 3 March 2027 is kept to the end of 2035 (§147(4) AO).
        assert_eq!(
            utc8.expires(t(2027, 3, 3, 10, 0)),
            Some(t(2036, 1, 1, 0, 0))
        );
        assert_eq!(utc8.expires(t(2027, 1, 1, 0, 0)), Some(t(2036, 1, 1, 0, 0)));
        assert_eq!(
            utc8.expires(t(2027, 12, 31, 23, 59)),
            Some(t(2036, 1, 1, 0, 0))
        );
        // Berlin: 00:30 on 1 January 2028 local is 23:30 UTC on 31 December 2027, but
        // the invoice belongs to 2028 there, so it is kept to the end of 2036 (Berlin).
        let berlin = Retention::parse("8y from end of year +01:00").unwrap();
        assert_eq!(
            berlin.expires(t(2027, 12, 31, 23, 30)),
            Some(t(2036, 12, 31, 23, 0))
        );
        assert_eq!(
            berlin.expires(t(2027, 12, 31, 22, 59)),
            Some(t(2035, 12, 31, 23, 0))
        );
        assert_eq!(
            Retention::YearsFromEndOfYear {
                years: u32::MAX,
                utc_offset_minutes: 0
            }
            .expires(t(2027, 1, 1, 0, 0)),
            None
        );
        assert_eq!(
            Retention::YearsFromEndOfYear {
                years: 1,
                utc_offset_minutes: 900
            }
            .expires(t(2027, 1, 1, 0, 0)),
            None
        );
    }
}
