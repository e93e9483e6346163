//! Retention periods: how long a field is kept after collection.
//!
//! Declared per field with `#[personal(retain = "...")]` on a
//! [`PersonalData`](crate::record::PersonalData) struct and listed in its inventory;
//! enforcement by expiring keys comes with the retention issue.

use std::fmt;

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
}
