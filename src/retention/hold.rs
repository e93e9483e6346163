//! Legal holds: data that must survive its retention period while a claim, an
//! investigation or a statutory duty requires it. That need is the ground for keeping
//! it (a legal obligation, Art. 6(1)(c); legal claims, Art. 6(1)(f) and 9(2)(f));
//! Art. 17(3)(b) and (e) only limit the right to erasure while it lasts.

use std::fmt;

use chrono::{DateTime, Utc};

use crate::retention::SubjectRef;
use crate::subject::SubjectId;

/// Identifies one legal hold: 16 random bytes in lowercase hex.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct HoldId(String);

impl HoldId {
    pub(crate) fn from_random(bytes: [u8; 16]) -> Self {
        HoldId(crate::hex::encode(&bytes))
    }

    /// Reads back an id as [`as_str`](Self::as_str) wrote it.
    pub fn parse(s: &str) -> Result<Self, HoldError> {
        if s.len() == 32 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            Ok(HoldId(s.to_owned()))
        } else {
            Err(HoldError::BadId)
        }
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for HoldId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HoldId({})", self.0)
    }
}

impl fmt::Display for HoldId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Whom a hold is about: the subject's id while the subject exists; after the
/// subject's erasure only the keyed reference of their erasure receipt, so the hold
/// record stays evidence of legal process without naming the person.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HoldSubject {
    /// The held subject, not erased.
    Subject(SubjectId),
    /// An erased subject, by the [`SubjectRef`] of their erasure receipt.
    Erased(SubjectRef),
}

/// A legal hold on one data subject. While it is active, their expired data stays
/// readable (a sweep escrows their share of each epoch it destroys) and their erasure
/// is refused. Holds are kept after release, as the record of what was held and why.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct LegalHold {
    /// Its id.
    pub id: HoldId,
    /// The held subject (or, once erased, their keyed reference).
    pub subject: HoldSubject,
    /// Why: a case or matter reference and the obligation (never personal data; it
    /// is shown to whoever lists holds and in erasure refusals).
    pub reason: String,
    /// When it was placed.
    pub placed_at: DateTime<Utc>,
    /// When it lapses by itself, if it does.
    pub until: Option<DateTime<Utc>>,
    /// When it was released, if it was.
    pub released_at: Option<DateTime<Utc>>,
}

impl LegalHold {
    /// Whether the hold applies at `now`: placed, not released, not lapsed.
    pub fn is_active(&self, now: DateTime<Utc>) -> bool {
        self.released_at.is_none() && self.placed_at <= now && self.until.is_none_or(|u| now < u)
    }

    /// The held subject's id, unless they were erased.
    pub fn subject_id(&self) -> Option<&SubjectId> {
        match &self.subject {
            HoldSubject::Subject(s) => Some(s),
            HoldSubject::Erased(_) => None,
        }
    }

    /// Whether the hold binds sweeps and erasure at `now`: not released and not
    /// lapsed. Unlike [`is_active`](Self::is_active) this ignores the placement time,
    /// so a hold placed by a vault whose clock runs ahead still protects.
    pub(crate) fn binds(&self, now: DateTime<Utc>) -> bool {
        self.released_at.is_none() && self.until.is_none_or(|u| now < u)
    }
}

/// A hold cannot be placed or found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HoldError {
    /// The reason is empty or longer than 1,000 bytes.
    #[error(
        "a legal hold needs a reason of 1 to 1,000 bytes (a case reference and the obligation, not personal data)"
    )]
    BadReason,
    /// `until` is not after the time the hold is placed.
    #[error("a legal hold's `until` must be later than now")]
    UntilInPast,
    /// No hold has this id.
    #[error("no legal hold has id {0}")]
    NotFound(HoldId),
    /// The hold was already released.
    #[error("legal hold {0} was already released")]
    AlreadyReleased(HoldId),
    /// Not a hold id.
    #[error("a legal hold id is 32 lowercase hex digits")]
    BadId,
}

/// Checks a hold's reason.
pub(crate) fn check_reason(reason: &str) -> Result<(), HoldError> {
    if reason.trim().is_empty() || reason.len() > 1000 {
        return Err(HoldError::BadReason);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeDelta;

    #[test]
    fn a_hold_is_active_until_released_or_lapsed() {
        let t0 = DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default();
        let mut hold = LegalHold {
            id: HoldId::from_random([7; 16]),
            subject: HoldSubject::Subject(SubjectId::new("cus_1").unwrap()),
            reason: "case 42".into(),
            placed_at: t0,
            until: Some(t0 + TimeDelta::days(10)),
            released_at: None,
        };
        assert!(!hold.is_active(t0 - TimeDelta::seconds(1)));
        assert!(hold.is_active(t0 + TimeDelta::days(9)));
        assert!(!hold.is_active(t0 + TimeDelta::days(10)));
        hold.until = None;
        assert!(hold.is_active(t0 + TimeDelta::days(1000)));
        hold.released_at = Some(t0);
        assert!(!hold.is_active(t0 + TimeDelta::days(1)));
        assert_eq!(HoldId::parse(hold.id.as_str()), Ok(hold.id.clone()));
        assert_eq!(HoldId::parse("cus_1"), Err(HoldError::BadId));
        assert_eq!(check_reason(" "), Err(HoldError::BadReason));
    }
}
