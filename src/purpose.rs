//! Purposes of processing and what they use.

use crate::basis::{Basis, LawfulBasis};
use crate::category::{Category, CategoryInfo};
use crate::condition::{Art9Condition, Art10Authorisation, Authorisation, Condition};

/// Why personal data is processed (GDPR Art. 5(1)(b) purpose limitation), with its
/// lawful basis. Declared with [`purpose!`](macro@crate::purpose), never implemented by hand.
pub trait Purpose: 'static + Send + Sync {
    /// The lawful basis (GDPR Art. 6), a marker type from [`basis`](crate::basis).
    type Basis: LawfulBasis;
    /// The Art. 9(2) condition for special categories, or
    /// [`NoCondition`](crate::condition::NoCondition).
    type Condition: Art9Condition;
    /// The Art. 10 authorisation for criminal-offence data, or
    /// [`NoAuthorisation`](crate::condition::NoAuthorisation).
    type Art10: Art10Authorisation;
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
    /// The Union or Member State law that lays down the basis (Art. 6(3)), for
    /// `LegalObligation` and `PublicTask`; `None` for the other bases.
    const BASIS_LAW: Option<&'static str>;
    /// The law the Art. 9(2) condition rests on, where its text demands one
    /// ([`Condition::requires_law`]); `None` otherwise.
    const CONDITION_LAW: Option<&'static str>;
    /// The law that authorises the processing of criminal-offence data (Art. 10, second
    /// limb); `None` otherwise.
    const ART10_LAW: Option<&'static str>;
    /// Whether the purpose processes children's personal data: it is directed at
    /// children, or its controller knows it processes data of people under 16 (GDPR
    /// Art. 8(1), Recital 38; CCPA 1798.120(c)). See `docs/architecture.md`.
    const CHILDREN: bool;
    /// The declaration as a value, for notices and the record of processing.
    const INFO: PurposeInfo = PurposeInfo {
        name: Self::NAME,
        description: Self::DESCRIPTION,
        basis: <Self::Basis as LawfulBasis>::BASIS,
        basis_law: Self::BASIS_LAW,
        condition: match <Self::Condition as Art9Condition>::CONDITION {
            Some(condition) => Some(ConditionInfo {
                condition,
                law: Self::CONDITION_LAW,
            }),
            None => None,
        },
        art10: match <Self::Art10 as Art10Authorisation>::AUTHORISATION {
            Some(authorisation) => Some(AuthorisationInfo {
                authorisation,
                law: Self::ART10_LAW,
            }),
            None => None,
        },
        children: Self::CHILDREN,
        categories: Self::CATEGORIES,
        min_notice_version: Self::MIN_NOTICE_VERSION,
    };
}

/// Written by `purpose!` beside each `Uses<C>`, from the same `uses: [...]`
/// list as the purpose's `CATEGORIES`; the supertrait that seals
/// [`Uses`].
#[diagnostic::on_unimplemented(
    message = "purpose `{Self}` does not declare `{C}` in its `purpose!`: `Uses<{C}>` cannot be implemented by hand",
    label = "`Uses` is sealed: only `purpose!` implements it, from its `uses: [...]` list",
    note = "add `{C}` to the `uses: [...]` list of `{Self}` in its `purpose!` declaration, so that its record of processing (`{Self}::INFO`) lists it too"
)]
pub trait DeclaredUse<C> {}

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
pub trait Uses<C: Category>: Purpose + DeclaredUse<C> {}

/// The run-time view of a [`Purpose`] declaration: one entry of the record of
/// processing (Art. 30(1)(b) purposes, (c) categories of personal data).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct PurposeInfo {
    /// Short stable name.
    pub name: &'static str,
    /// What the privacy notice says.
    pub description: &'static str,
    /// Lawful basis (Art. 6(1)).
    pub basis: Basis,
    /// The law that lays the basis down (Art. 6(3)), for `LegalObligation` and
    /// `PublicTask`.
    pub basis_law: Option<&'static str>,
    /// The Art. 9(2) condition, if the purpose uses a special category.
    pub condition: Option<ConditionInfo>,
    /// The Art. 10 authorisation, if the purpose uses criminal-offence data.
    pub art10: Option<AuthorisationInfo>,
    /// Whether the purpose processes children's data (Art. 8; CCPA 1798.120(c)).
    pub children: bool,
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

/// An Art. 9(2) condition as a purpose declares it, with the law it rests on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub struct ConditionInfo {
    /// Which condition.
    pub condition: Condition,
    /// The law, where the condition's text demands one ([`Condition::requires_law`]).
    pub law: Option<&'static str>,
}

impl ConditionInfo {
    /// The article, e.g. `"Art. 9(2)(h)"`.
    pub const fn article(&self) -> &'static str {
        self.condition.article()
    }
}

/// An Art. 10 authorisation as a purpose declares it, with the law that grants it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub struct AuthorisationInfo {
    /// Which limb of Art. 10.
    pub authorisation: Authorisation,
    /// The authorising law (second limb); `None` under official authority.
    pub law: Option<&'static str>,
}

impl AuthorisationInfo {
    /// The article: `"Art. 10"`.
    pub const fn article(&self) -> &'static str {
        self.authorisation.article()
    }
}

/// Compile-time checks called by [`purpose!`](macro@crate::purpose).
#[doc(hidden)]
pub mod checks;

/// Declares a purpose of processing: its lawful basis (with the law that lays it down,
/// where Art. 6(3) demands one), an Art. 9(2) condition if it uses a special category,
/// an Art. 10 authorisation if it uses criminal-offence data, whether it processes
/// children's data, its description, and the categories it uses.
///
/// The fields, in this fixed order:
///
/// | field | | |
/// |---|---|---|
/// | `name` | optional | stable name stored with consent evidence; defaults to the type's name |
/// | `basis` | required | one of the six markers in [`basis`](crate::basis), written bare; `LegalObligation` and `PublicTask` take `{ law: "..." }` (Art. 6(3)) |
/// | `condition` | if a special category is used | an Art. 9(2) condition from [`condition`](crate::condition), bare; (b), (g), (h), (i), (j) take `{ law: "..." }` |
/// | `art10` | if criminal-offence data is used | `OfficialAuthority`, or `AuthorisedByLaw { law: "..." }` (Art. 10) |
/// | `children` | optional | `true` if the purpose processes children's data (Art. 8; CCPA 1798.120(c)); defaults to `false` |
/// | `min_notice_version` | optional | consent purposes: oldest notice version that counts; defaults to 1 |
/// | `description` | required | what the privacy notice says |
/// | `uses` | required | the categories the purpose processes |
///
/// What does not compile: a special category without a `condition`; criminal-offence
/// data without `art10` (an Art. 9(2) condition does not permit it, and an Art. 10
/// authorisation is not an Art. 9(2) condition); a `condition` or `art10` that no used
/// category needs; a ground whose text demands a law without `{ law: "..." }` (or with
/// a blank one), and a `law` on a ground that rests on none; `ExplicitConsent` on a
/// basis other than `Consent` (custodian's rule, so the ledger holds the evidence).
///
/// ```
/// use custodian::categories::{CriminalRecord, Email, Health, Name, PaymentCard, PostalAddress};
/// use custodian::condition::Authorisation;
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
///     /// Telehealth consultations (health data: needs an Art. 9(2) condition, and
///     /// 9(2)(h) names its law).
///     pub struct Consultation {
///         basis: Contract,
///         condition: HealthOrSocialCare {
///             law: "treatment contract with a physician (§ 630a BGB), secrecy under § 203 StGB",
///         },
///         description: "Provide the consultations you book.",
///         uses: [Name, Health],
///     }
///     /// Vetting staff who work with children (criminal-offence data: Art. 10).
///     pub struct StaffVetting {
///         basis: LegalObligation { law: "§ 72a SGB VIII" },
///         art10: AuthorisedByLaw { law: "§ 30a BZRG (extended certificate of conduct)" },
///         description: "Check the certificate of conduct of staff working with children.",
///         uses: [Name, CriminalRecord],
///     }
/// }
/// assert_eq!(Billing::NAME, "billing");
/// assert_eq!(Newsletter::NAME, "Newsletter");
/// assert!(Billing::INFO.uses("user.financial.credit_card"));
/// assert_eq!(Consultation::INFO.condition.map(|c| c.article()), Some("Art. 9(2)(h)"));
/// assert_eq!(StaffVetting::INFO.basis_law, Some("§ 72a SGB VIII"));
/// assert_eq!(
///     StaffVetting::INFO.art10.map(|a| a.authorisation),
///     Some(Authorisation::AuthorisedByLaw)
/// );
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
///
/// Nor does a legal obligation that does not name its law:
///
/// ```compile_fail
/// use custodian::categories::Name;
/// custodian::purpose! {
///     pub struct Tax { basis: LegalObligation, description: "Tax.", uses: [Name] }
/// }
/// ```
#[macro_export]
macro_rules! purpose {
    ($(
        $(#[$meta:meta])*
        $vis:vis struct $ty:ident {
            $(name: $name:literal,)?
            basis: $basis:ident $({ law: $blaw:literal $(,)? })?,
            $(condition: $cond:ident $({ law: $claw:literal $(,)? })?,)?
            $(art10: $a10:ident $({ law: $alaw:literal $(,)? })?,)?
            $(children: $children:literal,)?
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
            type Art10 = $crate::__purpose_art10!($($a10)?);
            const NAME: &'static str = $crate::__purpose_or!($($name)?; ::core::stringify!($ty));
            const DESCRIPTION: &'static str = $desc;
            const CATEGORIES: &'static [$crate::CategoryInfo] =
                &[$(<$cat as $crate::Category>::INFO),*];
            const MIN_NOTICE_VERSION: u32 = $crate::__purpose_or!($($minv)?; 1);
            const BASIS_LAW: ::core::option::Option<&'static str> =
                $crate::__purpose_law!($($blaw)?);
            const CONDITION_LAW: ::core::option::Option<&'static str> =
                $crate::__purpose_law!($($($claw)?)?);
            const ART10_LAW: ::core::option::Option<&'static str> =
                $crate::__purpose_law!($($($alaw)?)?);
            const CHILDREN: bool = $crate::__purpose_or!($($children)?; false);
        }

        const _: () = $crate::__private::checks_v1::fits::<
            <$ty as $crate::Purpose>::Condition,
            <$ty as $crate::Purpose>::Basis,
        >();

        const _: () = ::core::assert!(
            $crate::__private::checks_v1::basis_law_named::<$ty>(),
            ::core::concat!(
                "purpose `", ::core::stringify!($ty), "` rests on `", ::core::stringify!($basis),
                "` (GDPR Art. 6(1)(c) or (e)), which Union or Member State law must lay down (Art. 6(3)), ",
                "but names no law (or a blank one): write `basis: ", ::core::stringify!($basis),
                " {{ law: \"...\" }}` with the provision it rests on, e.g. `{{ law: \"§ 147 AO\" }}`"
            )
        );
        const _: () = ::core::assert!(
            $crate::__private::checks_v1::basis_law_absent::<$ty>(),
            ::core::concat!(
                "purpose `", ::core::stringify!($ty), "` gives a `law` for the basis `", ::core::stringify!($basis),
                "`, which the GDPR does not tie to a law (only Art. 6(1)(c) and (e) are, Art. 6(3)): ",
                "remove `{{ law: ... }}`, so the record of processing claims no legal ground the basis does not have"
            )
        );

        $(
            const _: () = ::core::assert!(
                $crate::__private::checks_v1::condition_law_named::<$ty>(),
                ::core::concat!(
                    "purpose `", ::core::stringify!($ty), "` names the Art. 9(2) condition `", ::core::stringify!($cond),
                    "`, whose text demands Union or Member State law (points (b), (g), (h), (i), (j)), ",
                    "but names no law (or a blank one): write `condition: ", ::core::stringify!($cond),
                    " {{ law: \"...\" }}` with the provision it rests on"
                )
            );
            const _: () = ::core::assert!(
                $crate::__private::checks_v1::condition_law_absent::<$ty>(),
                ::core::concat!(
                    "purpose `", ::core::stringify!($ty), "` gives a `law` for the Art. 9(2) condition `",
                    ::core::stringify!($cond), "`, which rests on none: remove `{{ law: ... }}`, ",
                    "so the record of processing claims no legal ground the condition does not have"
                )
            );
            const _: () = ::core::assert!(
                $crate::__private::checks_v1::condition_used::<$ty>(),
                ::core::concat!(
                    "purpose `", ::core::stringify!($ty), "` names the Art. 9(2) condition `",
                    ::core::stringify!($cond), "` but uses no special category: remove `condition: ...`, ",
                    "so its record of processing claims no condition it does not rely on"
                )
            );
        )?

        $(
            const _: () = ::core::assert!(
                $crate::__private::checks_v1::art10_law_named::<$ty>(),
                ::core::concat!(
                    "purpose `", ::core::stringify!($ty), "` names `", ::core::stringify!($a10),
                    "` (GDPR Art. 10, second limb) but no law (or a blank one): write `art10: AuthorisedByLaw ",
                    "{{ law: \"...\" }}` with the Union or Member State law that authorises the processing ",
                    "and provides its safeguards"
                )
            );
            const _: () = ::core::assert!(
                $crate::__private::checks_v1::art10_law_absent::<$ty>(),
                ::core::concat!(
                    "purpose `", ::core::stringify!($ty), "` gives a `law` for `", ::core::stringify!($a10),
                    "` (GDPR Art. 10, first limb: under the control of official authority): remove `{{ law: ... }}`, ",
                    "or write `art10: AuthorisedByLaw {{ law: \"...\" }}` if a law authorises the processing"
                )
            );
            const _: () = ::core::assert!(
                $crate::__private::checks_v1::art10_used::<$ty>(),
                ::core::concat!(
                    "purpose `", ::core::stringify!($ty), "` names the Art. 10 authorisation `",
                    ::core::stringify!($a10), "` but uses no criminal-offence data: remove `art10: ...`, ",
                    "so its record of processing claims no authorisation it does not rely on"
                )
            );
        )?

        $(
            impl $crate::__private::seal_v1::DeclaredUse<$cat> for $ty {}
            impl $crate::Uses<$cat> for $ty {}
            const _: () = ::core::assert!(
                $crate::__private::checks_v1::art9_permits::<$ty, $cat>(),
                ::core::concat!(
                    "purpose `", ::core::stringify!($ty), "` uses `", ::core::stringify!($cat),
                    "`, a special category of personal data (GDPR Art. 9(1)), but names no Art. 9(2) condition: ",
                    "if the law allows it, add one such as `condition: ExplicitConsent,` or ",
                    "`condition: HealthOrSocialCare {{ law: \"...\" }},` (see `custodian::condition`) to its `purpose!` declaration"
                )
            );
            const _: () = ::core::assert!(
                $crate::__private::checks_v1::art10_permits::<$ty, $cat>(),
                ::core::concat!(
                    "purpose `", ::core::stringify!($ty), "` uses `", ::core::stringify!($cat),
                    "`, personal data relating to criminal convictions and offences (GDPR Art. 10), ",
                    "but names no Art. 10 authorisation, and no Art. 9(2) condition permits it: if the law allows it, add ",
                    "`art10: OfficialAuthority,` or `art10: AuthorisedByLaw {{ law: \"...\" }},` to its `purpose!` declaration"
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
macro_rules! __purpose_art10 {
    () => {
        $crate::condition::NoAuthorisation
    };
    ($auth:ident) => {
        $crate::condition::$auth
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __purpose_law {
    () => {
        ::core::option::Option::None
    };
    ($law:literal) => {
        ::core::option::Option::Some($law)
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
