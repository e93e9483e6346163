//! Categories of personal data: what kind of data a value is.

/// Written by `category!` beside each `Category` impl; the supertrait that seals
/// [`Category`], so a category's name and sensitivity come from a
/// declaration `category!` checked (a valid name, not a built-in's).
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not declared with `category!`: `Category` cannot be implemented by hand",
    label = "`Category` is sealed: only `category!` implements it",
    note = "declare the category with `custodian::category! {{ pub struct {Self} {{ name: \"...\", description: \"...\" }} }}`; a name of a built-in category (`custodian::categories`) is refused there, use the built-in type instead"
)]
pub trait DeclaredCategory {}

/// A kind of personal data, such as an email address or a payment card number.
///
/// Categories are zero-sized (uninhabited) types used as the `C` in
/// [`Personal<T, C>`](crate::Personal); the built-in set is in
/// [`categories`](crate::categories), and [`category!`](macro@crate::category) declares more.
/// Names are dotted, in the style of the Fides taxonomy (`user.contact.email`).
///
/// Sealed: its supertrait is written by `category!` only, which checks the name and
/// refuses a built-in category's name, so a look-alike (`user.health_and_medical` as
/// `Ordinary` data) cannot stand in for a built-in. A hand-written `impl Category` does
/// not compile (`docs/architecture.md`, "Sealed traits").
pub trait Category: 'static + Send + Sync + DeclaredCategory {
    /// Dotted taxonomy name, e.g. `user.contact.email`.
    const NAME: &'static str;
    /// What a privacy notice says this category is.
    const DESCRIPTION: &'static str;
    /// Whether the GDPR restricts it further (Art. 9 and 10).
    const SENSITIVITY: Sensitivity;
    /// Whether it is "sensitive personal information" under the CCPA (Cal. Civ. Code
    /// § 1798.140(ae)), and under which subdivision; `None` if not. Independent of
    /// [`SENSITIVITY`](Category::SENSITIVITY): the two laws draw different lines.
    const CCPA_SENSITIVE: Option<CcpaSensitive>;
    /// The declaration as a value, for notices, records of processing and exports.
    const INFO: CategoryInfo = CategoryInfo {
        name: Self::NAME,
        description: Self::DESCRIPTION,
        sensitivity: Self::SENSITIVITY,
        ccpa_sensitive: Self::CCPA_SENSITIVE,
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
    /// True unless [`Sensitivity::Ordinary`]: using it needs an Art. 9(2) condition
    /// (special categories) or an Art. 10 authorisation (criminal-offence data).
    pub const fn needs_condition(self) -> bool {
        !matches!(self, Sensitivity::Ordinary)
    }

    /// True for [`Sensitivity::Special`]: a purpose using it names an Art. 9(2)
    /// condition (`condition: ...` in [`purpose!`](macro@crate::purpose)).
    pub const fn needs_art9_condition(self) -> bool {
        matches!(self, Sensitivity::Special)
    }

    /// True for [`Sensitivity::CriminalOffence`]: a purpose using it names an Art. 10
    /// authorisation (`art10: ...` in [`purpose!`](macro@crate::purpose)); an Art. 9(2)
    /// condition does not permit it.
    pub const fn needs_art10_authorisation(self) -> bool {
        matches!(self, Sensitivity::CriminalOffence)
    }
}

/// The kinds of "sensitive personal information" of the CCPA as amended by the CPRA
/// (Cal. Civ. Code § 1798.140(ae)), one per subdivision, with the statute reference.
///
/// Consumers may limit a business's use of it to what 1798.121 allows; the marking
/// says which data that right covers. Information that is "publicly available" is not
/// sensitive (1798.140(ae)(3)): that is a property of where a value came from, which a
/// category cannot know, so the marking is by kind, and narrowing it for a public
/// value is the business's call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CcpaSensitive {
    /// (1)(A): social security, driver's license, state identification card or passport
    /// number.
    GovernmentIdNumber,
    /// (1)(B): account log-in, financial account, debit card or credit card number in
    /// combination with a required security or access code, password or credentials.
    AccountAccess,
    /// (1)(C): precise geolocation (within a radius of 1,850 feet, 1798.140(w)).
    PreciseGeolocation,
    /// (1)(D): racial or ethnic origin, citizenship or immigration status, religious or
    /// philosophical beliefs, or union membership.
    OriginBeliefsOrUnion,
    /// (1)(E): the contents of mail, email and text messages, unless the business is
    /// the intended recipient.
    CommunicationsContent,
    /// (1)(F): genetic data.
    GeneticData,
    /// (1)(G): neural data (added by SB 1223, 2024).
    NeuralData,
    /// (2)(A): biometric information processed to uniquely identify a consumer.
    BiometricIdentification,
    /// (2)(B): personal information collected and analysed concerning health.
    HealthData,
    /// (2)(C): personal information collected and analysed concerning sex life or
    /// sexual orientation.
    SexLifeOrOrientation,
}

impl CcpaSensitive {
    /// The statute reference, e.g. `"Cal. Civ. Code § 1798.140(ae)(1)(A)"`.
    pub const fn statute(self) -> &'static str {
        match self {
            CcpaSensitive::GovernmentIdNumber => "Cal. Civ. Code § 1798.140(ae)(1)(A)",
            CcpaSensitive::AccountAccess => "Cal. Civ. Code § 1798.140(ae)(1)(B)",
            CcpaSensitive::PreciseGeolocation => "Cal. Civ. Code § 1798.140(ae)(1)(C)",
            CcpaSensitive::OriginBeliefsOrUnion => "Cal. Civ. Code § 1798.140(ae)(1)(D)",
            CcpaSensitive::CommunicationsContent => "Cal. Civ. Code § 1798.140(ae)(1)(E)",
            CcpaSensitive::GeneticData => "Cal. Civ. Code § 1798.140(ae)(1)(F)",
            CcpaSensitive::NeuralData => "Cal. Civ. Code § 1798.140(ae)(1)(G)",
            CcpaSensitive::BiometricIdentification => "Cal. Civ. Code § 1798.140(ae)(2)(A)",
            CcpaSensitive::HealthData => "Cal. Civ. Code § 1798.140(ae)(2)(B)",
            CcpaSensitive::SexLifeOrOrientation => "Cal. Civ. Code § 1798.140(ae)(2)(C)",
        }
    }
}

/// The run-time view of a [`Category`] declaration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub struct CategoryInfo {
    /// Dotted taxonomy name.
    pub name: &'static str,
    /// What a privacy notice says this category is.
    pub description: &'static str,
    /// Ordinary, special (Art. 9) or criminal-offence (Art. 10) data, under the GDPR.
    pub sensitivity: Sensitivity,
    /// CCPA sensitive personal information (1798.140(ae)), and which kind; `None` if not.
    pub ccpa_sensitive: Option<CcpaSensitive>,
}

/// Whether two strings are equal, byte by byte (`==` on `str` is not `const`).
pub(crate) const fn same_str(a: &str, b: &str) -> bool {
    crate::bytes::eq(a.as_bytes(), b.as_bytes())
}

/// Whether `name` is the name of a built-in category ([`categories::ALL`](crate::categories::ALL));
/// `category!` refuses such a name at compile time.
#[doc(hidden)]
pub const fn builtin_name(name: &str) -> bool {
    let all = crate::categories::ALL;
    let mut i = 0;
    while i < all.len() {
        if same_str(all[i].name, name) {
            return true;
        }
        i += 1;
    }
    false
}

/// Whether `name` lies under (is a dotted sub-name of) a built-in category the GDPR
/// restricts, such as `user.health_and_medical.notes`, and `sensitivity` is not that
/// built-in's: `category!` refuses such a declaration at compile time. A sub-category
/// of health data is health data; declared `Ordinary` it would be read without an
/// Art. 9(2) condition under a name that says otherwise.
#[doc(hidden)]
pub const fn unlike_restricted_parent(name: &str, sensitivity: Sensitivity) -> bool {
    let all = crate::categories::ALL;
    let mut i = 0;
    while i < all.len() {
        let parent = all[i];
        if parent.sensitivity.needs_condition()
            && parent.sensitivity as u8 != sensitivity as u8
            && is_under(name, parent.name)
        {
            return true;
        }
        i += 1;
    }
    false
}

/// Whether `name` is `parent` followed by `.` and more.
const fn is_under(name: &str, parent: &str) -> bool {
    let (n, p) = (name.as_bytes(), parent.as_bytes());
    n.len() > p.len() + 1 && n[p.len()] == b'.' && crate::bytes::starts_with(n, p)
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
/// Each becomes an uninhabited type implementing [`Category`]. `sensitivity` (GDPR) is
/// `Ordinary` when omitted; a `Special` category can only be used by a purpose that
/// names an Art. 9(2) condition, a `CriminalOffence` one only by a purpose that names
/// an Art. 10 authorisation. `ccpa_sensitive` names the [`CcpaSensitive`] kind when the
/// category is CCPA sensitive personal information, and is absent otherwise. The name
/// is checked at compile time: dotted lowercase, not a built-in category's name, and
/// not under a built-in special or criminal-offence category's name
/// (`user.health_and_medical.…`) unless declared with that category's sensitivity.
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
///         ccpa_sensitive: HealthData,
///     }
///     /// A tax identification number: ordinary under the GDPR, sensitive under the CCPA.
///     pub struct TaxId {
///         name: "user.government_id.tax_id",
///         description: "Tax identification number",
///         ccpa_sensitive: GovernmentIdNumber,
///     }
/// }
/// use custodian::Category;
/// use custodian::CcpaSensitive;
/// assert_eq!(Allergies::NAME, "user.health_and_medical.allergies");
/// assert!(Allergies::SENSITIVITY.needs_art9_condition());
/// assert_eq!(TaxId::INFO.ccpa_sensitive, Some(CcpaSensitive::GovernmentIdNumber));
/// assert_eq!(LoyaltyNumber::INFO.ccpa_sensitive, None);
/// ```
#[macro_export]
macro_rules! category {
    ($(
        $(#[$meta:meta])*
        $vis:vis struct $ty:ident {
            name: $name:literal,
            description: $desc:literal
            $(, sensitivity: $sens:ident)?
            $(, ccpa_sensitive: $ccpa:ident)?
            $(,)?
        }
    )*) => {$(
        $crate::__category_decl! {
            $(#[$meta])*
            $vis struct $ty {
                name: $name,
                description: $desc
                $(, sensitivity: $sens)?
                $(, ccpa_sensitive: $ccpa)?
            }
        }

        const _: () = ::core::assert!(
            !$crate::__private::checks_v1::builtin_name($name),
            "this is the name of a built-in category (`custodian::categories`): use the built-in type, or choose another name (a look-alike could stand in for the built-in with another sensitivity)"
        );
        const _: () = ::core::assert!(
            !$crate::__private::checks_v1::unlike_restricted_parent(
                $name,
                $crate::__category_sensitivity!($($sens)?),
            ),
            "this name lies under a built-in special (Art. 9) or criminal-offence (Art. 10) category of `custodian::categories`, and its sub-categories are the same kind of data: declare the parent's sensitivity (e.g. `sensitivity: Special` under `user.health_and_medical`), or choose a name outside it"
        );
    )*};
}

/// One category declaration, for [`category!`](macro@crate::category) and the built-in
/// set (which skips only the built-in-name check). Not public API.
#[doc(hidden)]
#[macro_export]
macro_rules! __category_decl {
    ($(
        $(#[$meta:meta])*
        $vis:vis struct $ty:ident {
            name: $name:literal,
            description: $desc:literal
            $(, sensitivity: $sens:ident)?
            $(, ccpa_sensitive: $ccpa:ident)?
            $(,)?
        }
    )*) => {$(
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        $vis enum $ty {}

        impl $crate::__private::seal_v1::DeclaredCategory for $ty {}
        impl $crate::Category for $ty {
            const NAME: &'static str = $name;
            const DESCRIPTION: &'static str = $desc;
            const SENSITIVITY: $crate::Sensitivity = $crate::__category_sensitivity!($($sens)?);
            const CCPA_SENSITIVE: ::core::option::Option<$crate::CcpaSensitive> =
                $crate::__category_ccpa!($($ccpa)?);
        }

        const _: () = ::core::assert!(
            $crate::__private::checks_v1::valid_category_name($name),
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

#[doc(hidden)]
#[macro_export]
macro_rules! __category_ccpa {
    () => {
        ::core::option::Option::None
    };
    ($kind:ident) => {
        ::core::option::Option::Some($crate::CcpaSensitive::$kind)
    };
}

#[cfg(test)]
mod tests {
    use super::valid_category_name as ok;
    use super::{Sensitivity, unlike_restricted_parent as unlike};

    #[test]
    fn a_sub_category_of_health_declared_ordinary_is_refused() {
        assert!(unlike(
            "user.health_and_medical.notes",
            Sensitivity::Ordinary
        ));
        assert!(unlike(
            "user.health_and_medical.notes",
            Sensitivity::CriminalOffence
        ));
        assert!(unlike("user.criminal_history.spent", Sensitivity::Special));
        assert!(unlike(
            "user.demographic.political_opinion.x",
            Sensitivity::Ordinary
        ));
        assert!(!unlike(
            "user.health_and_medical.notes",
            Sensitivity::Special
        ));
        assert!(!unlike(
            "user.criminal_history.spent",
            Sensitivity::CriminalOffence
        ));
        // Not under it: a longer segment, the parent itself, or an ordinary parent.
        assert!(!unlike(
            "user.health_and_medical_x.notes",
            Sensitivity::Ordinary
        ));
        assert!(!unlike("user.health_and_medical", Sensitivity::Ordinary));
        assert!(!unlike("user.demographic.hobbies", Sensitivity::Ordinary));
        assert!(!unlike("user.government_id.tax_id", Sensitivity::Ordinary));
    }

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
