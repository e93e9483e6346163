//! Purposes of processing and what they use.

use crate::basis::{Basis, LawfulBasis};
use crate::category::{Category, CategoryInfo};
use crate::condition::{Art9Condition, Condition};

/// Why personal data is processed (GDPR Art. 5(1)(b) purpose limitation), with its
/// lawful basis. Declared with [`purpose!`](macro@crate::purpose), never implemented by hand.
pub trait Purpose: 'static + Send + Sync {
    /// The lawful basis (GDPR Art. 6), a marker type from [`basis`](crate::basis).
    type Basis: LawfulBasis;
    /// The Art. 9/10 condition, or [`NoCondition`](crate::condition::NoCondition).
    type Condition: Art9Condition;
    /// Short stable name, e.g. `billing`; stored with consent evidence.
    const NAME: &'static str;
    /// What the privacy notice says this purpose is.
    const DESCRIPTION: &'static str;
    /// The categories this purpose is declared to use.
    const CATEGORIES: &'static [CategoryInfo];
    /// For consent purposes: the oldest notice version whose consent still counts.
    /// Raise it when the notice changes materially; the ledger can raise it further at
    /// run time ([`ConsentLedger::require_notice_version`](crate::consent::ConsentLedger::require_notice_version)).
    const MIN_NOTICE_VERSION: u32;
    /// The declaration as a value, for notices and the record of processing.
    const INFO: PurposeInfo = PurposeInfo {
        name: Self::NAME,
        description: Self::DESCRIPTION,
        basis: <Self::Basis as LawfulBasis>::BASIS,
        condition: <Self::Condition as Art9Condition>::CONDITION,
        categories: Self::CATEGORIES,
        min_notice_version: Self::MIN_NOTICE_VERSION,
    };
}

/// The declaration "purpose `Self` processes category `C`". Written by
/// [`purpose!`](macro@crate::purpose) from its `uses` list; reading a `Personal<T, C>` for a
/// purpose requires it, so the compiler rejects undeclared processing.
#[diagnostic::on_unimplemented(
    message = "purpose `{Self}` is not declared to use personal data of category `{C}`",
    label = "`{Self}` may not read `{C}`",
    note = "if this processing is lawful and in your privacy notice, add `{C}` to the `uses: [...]` list of `{Self}` in its `purpose!` declaration; otherwise use a purpose that declares it"
)]
///
/// Sealed: its supertrait is written by `purpose!` only, from the same list as
/// [`Purpose::CATEGORIES`], so the record of processing (`INFO`) and what the compiler
/// allows cannot disagree. A hand-written `impl Uses<Health> for Receipts {}` does not
/// compile.
pub trait Uses<C: Category>: Purpose + crate::__private::seal_v1::DeclaredUse<C> {}

/// The run-time view of a [`Purpose`] declaration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct PurposeInfo {
    /// Short stable name.
    pub name: &'static str,
    /// What the privacy notice says.
    pub description: &'static str,
    /// Lawful basis (Art. 6).
    pub basis: Basis,
    /// Art. 9/10 condition, if the purpose names one.
    pub condition: Option<Condition>,
    /// The categories the purpose uses.
    pub categories: &'static [CategoryInfo],
    /// For consent purposes, the oldest acceptable notice version.
    pub min_notice_version: u32,
}

impl PurposeInfo {
    /// Whether this purpose is declared to use the category named `name`.
    pub fn uses(&self, name: &str) -> bool {
        self.categories.iter().any(|c| c.name == name)
    }
}

/// Compile-time checks called by [`purpose!`](macro@crate::purpose).
#[doc(hidden)]
pub mod checks {
    use crate::basis::LawfulBasis;
    use crate::category::Category;
    use crate::condition::{Art9Condition, FitsBasis};

    /// Whether condition `K` permits category `C`: an ordinary category needs none, a
    /// special or criminal-offence one needs a real condition. Reads only sealed
    /// declarations (the category's sensitivity, the condition), so it cannot be
    /// satisfied by an impl in user code.
    pub const fn permits<K: Art9Condition, C: Category>() -> bool {
        !C::SENSITIVITY.needs_condition() || K::CONDITION.is_some()
    }
    /// Fails to compile unless condition `K` fits lawful basis `B`.
    pub const fn fits<K: FitsBasis<B>, B: LawfulBasis>() {}
}

/// Declares a purpose of processing: its lawful basis, an Art. 9 condition if it uses a
/// special category, its description, and the categories it uses.
///
/// `basis` is one of the six markers in [`basis`](crate::basis) (written bare:
/// `Contract`), `condition` one of [`condition`](crate::condition) (bare as well).
/// `name` defaults to the type's name; `min_notice_version` to 1. The order of the
/// fields is fixed.
///
/// ```
/// use custodian::categories::{Email, Name, PostalAddress, PaymentCard, Health};
/// use custodian::Purpose;
///
/// custodian::purpose! {
///     /// Invoicing and payment for orders.
///     pub struct Billing {
///         name: "billing",
///         basis: Contract,
///         description: "Send invoices and collect payment for your orders.",
///         uses: [Name, Email, PostalAddress, PaymentCard],
///     }
///     /// Newsletters, on consent.
///     pub struct Newsletter {
///         basis: Consent,
///         min_notice_version: 2,
///         description: "Send you our newsletter when you asked for it.",
///         uses: [Email],
///     }
///     /// Telehealth consultations (health data: needs an Art. 9 condition).
///     pub struct Consultation {
///         basis: Contract,
///         condition: HealthOrSocialCare,
///         description: "Provide the consultations you book.",
///         uses: [Name, Health],
///     }
/// }
/// assert_eq!(Billing::NAME, "billing");
/// assert_eq!(Newsletter::NAME, "Newsletter");
/// assert!(Billing::INFO.uses("user.financial.credit_card"));
/// assert_eq!(Consultation::INFO.condition.map(|c| c.article()), Some("Art. 9(2)(h)"));
/// ```
///
/// A purpose that uses a special category without a condition does not compile:
///
/// ```compile_fail
/// use custodian::categories::Health;
/// custodian::purpose! {
///     pub struct Ads { basis: Consent, description: "Ads.", uses: [Health] }
/// }
/// ```
#[macro_export]
macro_rules! purpose {
    ($(
        $(#[$meta:meta])*
        $vis:vis struct $ty:ident {
            $(name: $name:literal,)?
            basis: $basis:ident,
            $(condition: $cond:ident,)?
            $(min_notice_version: $minv:literal,)?
            description: $desc:literal,
            uses: [$($cat:ty),* $(,)?]
            $(,)?
        }
    )*) => {$(
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        $vis enum $ty {}

        impl $crate::Purpose for $ty {
            type Basis = $crate::basis::$basis;
            type Condition = $crate::__purpose_condition!($($cond)?);
            const NAME: &'static str = $crate::__purpose_or!($($name)?; ::core::stringify!($ty));
            const DESCRIPTION: &'static str = $desc;
            const CATEGORIES: &'static [$crate::CategoryInfo] =
                &[$(<$cat as $crate::Category>::INFO),*];
            const MIN_NOTICE_VERSION: u32 = $crate::__purpose_or!($($minv)?; 1);
        }

        const _: () = $crate::purpose::checks::fits::<
            <$ty as $crate::Purpose>::Condition,
            <$ty as $crate::Purpose>::Basis,
        >();

        $(
            impl $crate::__private::seal_v1::DeclaredUse<$cat> for $ty {}
            impl $crate::Uses<$cat> for $ty {}
            const _: () = ::core::assert!(
                $crate::purpose::checks::permits::<<$ty as $crate::Purpose>::Condition, $cat>(),
                ::core::concat!(
                    "purpose `", ::core::stringify!($ty), "` uses `", ::core::stringify!($cat),
                    "`, a special category of personal data (GDPR Art. 9/10), but names no Art. 9 condition: ",
                    "if the law allows it, add a condition such as `condition: HealthOrSocialCare,` ",
                    "(see `custodian::condition`) to its `purpose!` declaration"
                )
            );
        )*
    )*};
}

#[doc(hidden)]
#[macro_export]
macro_rules! __purpose_condition {
    () => {
        $crate::condition::NoCondition
    };
    ($cond:ident) => {
        $crate::condition::$cond
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __purpose_or {
    ($given:literal; $default:expr) => {
        $given
    };
    (; $default:expr) => {
        $default
    };
}
