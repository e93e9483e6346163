//! Categories of personal data: what kind of data a value is.

/// A kind of personal data, such as an email address or a payment card number.
///
/// Categories are zero-sized (uninhabited) types used as the `C` in
/// [`Personal<T, C>`](crate::Personal); the built-in set is in
/// [`categories`](crate::categories), and [`category!`](macro@crate::category) declares more.
/// Names are dotted, in the style of the Fides taxonomy (`user.contact.email`).
pub trait Category: 'static + Send + Sync {
    /// Dotted taxonomy name, e.g. `user.contact.email`.
    const NAME: &'static str;
    /// What a privacy notice says this category is.
    const DESCRIPTION: &'static str;
    /// Whether the law restricts it further (GDPR Art. 9 and 10).
    const SENSITIVITY: Sensitivity;
    /// The declaration as a value, for notices, records of processing and exports.
    const INFO: CategoryInfo = CategoryInfo {
        name: Self::NAME,
        description: Self::DESCRIPTION,
        sensitivity: Self::SENSITIVITY,
    };
}

/// How strictly the law treats a category.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sensitivity {
    /// Ordinary personal data.
    Ordinary,
    /// A special category (GDPR Art. 9(1)): racial or ethnic origin, political opinions,
    /// religious or philosophical beliefs, trade-union membership, genetic data, biometric
    /// data for identification, health, sex life or sexual orientation.
    Special,
    /// Personal data relating to criminal convictions and offences (GDPR Art. 10).
    CriminalOffence,
}

impl Sensitivity {
    /// True unless [`Sensitivity::Ordinary`]: using it needs an Art. 9/10 condition.
    pub const fn needs_condition(self) -> bool {
        !matches!(self, Sensitivity::Ordinary)
    }
}

/// The run-time view of a [`Category`] declaration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub struct CategoryInfo {
    /// Dotted taxonomy name.
    pub name: &'static str,
    /// What a privacy notice says this category is.
    pub description: &'static str,
    /// Ordinary, special (Art. 9) or criminal-offence (Art. 10) data.
    pub sensitivity: Sensitivity,
}

/// Checks a dotted category name at compile time: lowercase ASCII letters, digits and
/// `_`, in at least two non-empty dot-separated segments, at most 255 bytes (its length
/// is one byte in the context digest, `docs/format.md`).
#[doc(hidden)]
pub const fn valid_category_name(name: &str) -> bool {
    let b = name.as_bytes();
    if b.is_empty() || b.len() > 255 || b[0] == b'.' || b[b.len() - 1] == b'.' {
        return false;
    }
    let mut dots = 0;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'.' {
            if b[i - 1] == b'.' {
                return false;
            }
            dots += 1;
        } else if !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_') {
            return false;
        }
        i += 1;
    }
    dots >= 1
}

/// Declares categories of personal data.
///
/// Each becomes an uninhabited type implementing [`Category`]. `sensitivity` is
/// `Ordinary` when omitted; a `Special` or `CriminalOffence` category can only be used
/// by a purpose that names an Art. 9/10 condition. The name is checked at compile time.
///
/// ```
/// custodian::category! {
///     /// Membership number in the loyalty programme.
///     pub struct LoyaltyNumber {
///         name: "user.loyalty.member_number",
///         description: "Loyalty programme membership number",
///     }
///     /// Food allergies noted for deliveries (health data).
///     pub struct Allergies {
///         name: "user.health_and_medical.allergies",
///         description: "Food allergies",
///         sensitivity: Special,
///     }
/// }
/// use custodian::Category;
/// assert_eq!(Allergies::NAME, "user.health_and_medical.allergies");
/// assert!(Allergies::SENSITIVITY.needs_condition());
/// ```
#[macro_export]
macro_rules! category {
    ($(
        $(#[$meta:meta])*
        $vis:vis struct $ty:ident {
            name: $name:literal,
            description: $desc:literal
            $(, sensitivity: $sens:ident)?
            $(,)?
        }
    )*) => {$(
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        $vis enum $ty {}

        impl $crate::Category for $ty {
            const NAME: &'static str = $name;
            const DESCRIPTION: &'static str = $desc;
            const SENSITIVITY: $crate::Sensitivity = $crate::__category_sensitivity!($($sens)?);
        }

        const _: () = ::core::assert!(
            $crate::category::valid_category_name($name),
            "a category name is dotted lowercase segments of [a-z0-9_], at most 255 bytes, e.g. \"user.contact.email\""
        );
    )*};
}

#[doc(hidden)]
#[macro_export]
macro_rules! __category_sensitivity {
    () => {
        $crate::Sensitivity::Ordinary
    };
    (Ordinary) => {
        $crate::Sensitivity::Ordinary
    };
    (Special) => {
        $crate::Sensitivity::Special
    };
    (CriminalOffence) => {
        $crate::Sensitivity::CriminalOffence
    };
}

#[cfg(test)]
mod tests {
    use super::valid_category_name as ok;

    #[test]
    fn names() {
        assert!(ok("user.contact.email"));
        assert!(ok("user.name"));
        assert!(ok("user.health_and_medical"));
        assert!(!ok("user"));
        assert!(!ok(""));
        assert!(!ok(".user.name"));
        assert!(!ok("user.name."));
        assert!(!ok("user..name"));
        assert!(!ok("User.Name"));
        assert!(!ok("user.e-mail"));
        assert!(ok(&format!("user.{}", "a".repeat(250))));
        assert!(!ok(&format!("user.{}", "a".repeat(251))));
    }
}
