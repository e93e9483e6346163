//! Retention periods that run from an event (end of contract, end of employment, last
//! contact): the [`Anchor`], the [`EventPeriod`], the recorded [`AnchorEvent`], and the
//! code that stands for (anchor, period) in a sealed value's clear header
//! (`docs/format.md`, "Event anchors").

use std::fmt;

use chrono::{DateTime, Months, Utc};

use crate::format::{ANCHOR_DAYS, EPOCH_SECONDS, NO_EPOCH};
use crate::subject::SubjectId;

/// The event a retention period runs from. Its id is part of the sealed format (the
/// header code and the anchor key's binding), so ids never change.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Anchor {
    /// The end of the contract with the data subject (id 1), written
    /// `"end of contract"`.
    ContractEnd,
    /// The end of the data subject's employment (id 2), written `"end of employment"`.
    EmploymentEnd,
    /// The last contact with the data subject (id 3), written `"last contact"`. It may
    /// be recorded again at each contact, which moves the end forward.
    LastContact,
}

impl Anchor {
    /// The anchor's stable id (1, 2, 3), as written in the sealed format and the store.
    pub const fn id(self) -> u8 {
        match self {
            Anchor::ContractEnd => 1,
            Anchor::EmploymentEnd => 2,
            Anchor::LastContact => 3,
        }
    }

    /// The anchor with stable id `id`.
    pub const fn from_id(id: u8) -> Option<Anchor> {
        match id {
            1 => Some(Anchor::ContractEnd),
            2 => Some(Anchor::EmploymentEnd),
            3 => Some(Anchor::LastContact),
            _ => None,
        }
    }

    /// The header code of values kept `period` after this event: the number a sealed
    /// value's header and its [`KeyName::Anchor`](crate::keys::KeyName::Anchor) key
    /// carry. `None` for a period out of range ([`EventPeriod::is_valid`]).
    pub const fn header_code(self, period: EventPeriod) -> Option<u32> {
        anchor_code(self, period)
    }

    /// The (event, period) a header code stands for; `None` for a code no vault writes
    /// (a day, or the reserved range without a valid event and period). For a backend
    /// checking what its storage returned.
    pub const fn from_header_code(code: u32) -> Option<(Anchor, EventPeriod)> {
        from_anchor_code(code)
    }

    /// The words of the retention literal after `after ` (`"end of contract"`).
    pub const fn words(self) -> &'static str {
        match self {
            Anchor::ContractEnd => "end of contract",
            Anchor::EmploymentEnd => "end of employment",
            Anchor::LastContact => "last contact",
        }
    }
}

impl fmt::Display for Anchor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.words())
    }
}

/// How long after its event a value is kept: days, calendar months or calendar years,
/// between 1 and [`EventPeriod::MAX`] (the header code has 14 bits for it).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum EventPeriod {
    /// Days of 24 hours.
    Days(u16),
    /// Calendar months, at the event's time of day.
    Months(u16),
    /// Calendar years, at the event's time of day.
    Years(u16),
}

impl EventPeriod {
    /// The longest period of any unit: 16,383 (14 bits).
    pub const MAX: u16 = 0x3FFF;

    /// The unit's bits in the header code, and the count.
    const fn parts(self) -> (u32, u16) {
        match self {
            EventPeriod::Days(n) => (0, n),
            EventPeriod::Months(n) => (1, n),
            EventPeriod::Years(n) => (2, n),
        }
    }

    /// Whether the count is between 1 and [`MAX`](Self::MAX).
    pub const fn is_valid(self) -> bool {
        let (_, n) = self.parts();
        n >= 1 && n <= Self::MAX
    }

    /// The end of the period that starts at `at` (seconds since the Unix epoch); `None`
    /// out of range.
    pub(crate) fn after(self, at: i64) -> Option<i64> {
        let months = match self {
            EventPeriod::Days(n) => return at.checked_add(i64::from(n) * EPOCH_SECONDS),
            EventPeriod::Months(n) => u32::from(n),
            EventPeriod::Years(n) => u32::from(n) * 12,
        };
        DateTime::from_timestamp(at, 0)?
            .checked_add_months(Months::new(months))
            .map(|t| t.timestamp())
    }
}

impl fmt::Display for EventPeriod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EventPeriod::Days(n) => write!(f, "{n} days"),
            EventPeriod::Months(n) => write!(f, "{n} months"),
            EventPeriod::Years(n) => write!(f, "{n} years"),
        }
    }
}

/// The header code of values kept `period` after `anchor`: `0xFF` ‖ anchor id (8 bits)
/// ‖ unit (2 bits: days 0, months 1, years 2) ‖ count (14 bits). `None` for a period
/// out of range.
pub(crate) const fn anchor_code(anchor: Anchor, period: EventPeriod) -> Option<u32> {
    if !period.is_valid() {
        return None;
    }
    let (unit, n) = period.parts();
    Some(ANCHOR_DAYS | (anchor.id() as u32) << 16 | unit << 14 | n as u32)
}

/// The (anchor, period) a header code stands for; `None` if `code` is a real day, or
/// in the reserved range but no valid (anchor, period).
pub(crate) const fn from_anchor_code(code: u32) -> Option<(Anchor, EventPeriod)> {
    if code < ANCHOR_DAYS || code == NO_EPOCH {
        return None;
    }
    let Some(anchor) = Anchor::from_id(((code >> 16) & 0xFF) as u8) else {
        return None;
    };
    let n = (code & 0x3FFF) as u16;
    let period = match (code >> 14) & 0b11 {
        0 => EventPeriod::Days(n),
        1 => EventPeriod::Months(n),
        2 => EventPeriod::Years(n),
        _ => return None,
    };
    if period.is_valid() {
        Some((anchor, period))
    } else {
        None
    }
}

/// An event a retention period runs from, as recorded by
/// [`Operator::record_event`](crate::Operator::record_event). Records are append-only and
/// authenticated in the key store; the end of a period is computed from the latest
/// `at` recorded for its subject and anchor, so a later record never moves it back.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AnchorEvent {
    /// The data subject.
    pub subject: SubjectId,
    /// Which event.
    pub anchor: Anchor,
    /// When it happened.
    pub at: DateTime<Utc>,
    /// When it was recorded (the vault's clock).
    pub recorded_at: DateTime<Utc>,
}

/// The latest time among `events` of `anchor`, in seconds: when its periods start.
pub(crate) fn latest_event(events: &[AnchorEvent], anchor: Anchor) -> Option<i64> {
    events
        .iter()
        .filter(|e| e.anchor == anchor)
        .map(|e| e.at.timestamp())
        .max()
}

/// When a value whose header code is `code` expires given its subject's `events`;
/// `None` while its event is not recorded (or the code is no anchor).
pub(crate) fn anchored_end(code: u32, events: &[AnchorEvent]) -> Option<i64> {
    let (anchor, period) = from_anchor_code(code)?;
    period.after(latest_event(events, anchor)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_codes_round_trip_and_stay_in_the_reserved_range() {
        for anchor in [
            Anchor::ContractEnd,
            Anchor::EmploymentEnd,
            Anchor::LastContact,
        ] {
            for period in [
                EventPeriod::Days(1),
                EventPeriod::Months(6),
                EventPeriod::Years(EventPeriod::MAX),
            ] {
                let code = anchor_code(anchor, period).unwrap();
                assert!((ANCHOR_DAYS..NO_EPOCH).contains(&code));
                assert_eq!(from_anchor_code(code), Some((anchor, period)));
            }
        }
        assert_eq!(
            anchor_code(Anchor::ContractEnd, EventPeriod::Years(3)),
            Some(0xFF01_8003)
        );
        assert_eq!(anchor_code(Anchor::ContractEnd, EventPeriod::Days(0)), None);
        assert_eq!(
            anchor_code(Anchor::ContractEnd, EventPeriod::Days(EventPeriod::MAX + 1)),
            None
        );
        for code in [0, ANCHOR_DAYS - 1, ANCHOR_DAYS, 0xFF04_0001, 0xFF01_C001] {
            assert_eq!(from_anchor_code(code), None, "{code:#x}");
        }
    }
}
