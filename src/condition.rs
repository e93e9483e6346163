//! Conditions that lift the prohibition on special categories (GDPR Art. 9(2)) and on
//! criminal-offence data (Art. 10).
//!
//! A purpose that uses a special category must name one of these in its
//! [`purpose!`](macro@crate::purpose) declaration or it does not compile. The check
//! reads the category's [`Sensitivity`](crate::Sensitivity) and the purpose's
//! condition, both sealed declarations, so no impl in user code can lift it. Their run-time
//! mirror, [`Condition`], is printed in the record of processing.

use crate::basis::{Consent, LawfulBasis};
use crate::private as sealed;

/// A condition that lifts the prohibition on processing special categories of personal
/// data (GDPR Art. 9(2)) or criminal-offence data (Art. 10). Sealed.
///
/// A purpose names one with `condition: ...` in [`purpose!`](macro@crate::purpose); a purpose
/// that names none gets [`NoCondition`] and cannot use a special category.
pub trait Art9Condition: sealed::Sealed + 'static {
    /// The run-time description, or `None` for [`NoCondition`].
    const CONDITION: Option<Condition>;
}

/// The absence of an Art. 9 condition: the purpose may use ordinary categories only.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NoCondition {}
impl sealed::Sealed for NoCondition {}
impl Art9Condition for NoCondition {
    const CONDITION: Option<Condition> = None;
}

/// Not implementable: whether a purpose may use a special category is decided by
/// [`purpose!`](macro@crate::purpose) from the category's sensitivity and the purpose's
/// `condition`, never by an impl. (It was once a trait that `category!` implemented for
/// [`NoCondition`], so one line of user code could permit a special category without a
/// condition; the name remains so that such a line fails with this explanation.)
pub trait PermitsCategory<C, P>: sealed::NoImpl {}

/// Compile-time check that an Art. 9 condition fits the purpose's lawful basis:
/// explicit consent (Art. 9(2)(a)) needs consent (Art. 6(1)(a)) as the basis, so the
/// ledger holds the evidence.
#[diagnostic::on_unimplemented(
    message = "the Art. 9 condition `{Self}` does not fit the lawful basis `{B}`",
    label = "explicit consent needs `basis: Consent`",
    note = "explicit consent is evidenced in the consent ledger, which only serves purposes whose basis is `Consent`"
)]
pub trait FitsBasis<B: LawfulBasis> {}

/// One list makes the run-time [`Condition`] enum, its articles, the marker types and
/// their compile-time checks, so they cannot drift apart.
macro_rules! conditions {
    ($($article:literal $name:ident, fits $fits:ident: $doc:literal;)*) => {
        /// The run-time form of an Art. 9(2) / Art. 10 condition.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum Condition {
            $(
                #[doc = concat!($article, ": ", $doc)]
                $name,
            )*
        }

        impl Condition {
            /// The article that defines this condition, e.g. `"Art. 9(2)(h)"`.
            pub const fn article(self) -> &'static str {
                match self {
                    $(Condition::$name => $article,)*
                }
            }
        }

        $(
            #[doc = concat!($article, ": ", $doc)]
            #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
            pub enum $name {}
            impl sealed::Sealed for $name {}
            impl Art9Condition for $name {
                const CONDITION: Option<Condition> = Some(Condition::$name);
            }
            conditions!(@fits $fits $name);
        )*
    };
    (@fits any $name:ident) => {
        impl<B: LawfulBasis> FitsBasis<B> for $name {}
    };
    // Written out below, outside the macro, so the compiler's "but `FitsBasis<Consent>`
    // is implemented" hint shows a plain line rather than this macro.
    (@fits consent_only $name:ident) => {};
}

conditions! {
    "Art. 9(2)(a)" ExplicitConsent, fits consent_only:
        "explicit consent; the purpose's lawful basis must be `Consent`.";
    "Art. 9(2)(b)" Employment, fits any:
        "employment, social security and social protection law.";
    "Art. 9(2)(c)" VitalInterests, fits any:
        "vital interests of a data subject incapable of giving consent.";
    "Art. 9(2)(d)" NotForProfitBody, fits any:
        "members of a not-for-profit body with a political, philosophical, religious or trade-union aim.";
    "Art. 9(2)(e)" MadePublicBySubject, fits any:
        "data manifestly made public by the data subject.";
    "Art. 9(2)(f)" LegalClaims, fits any:
        "establishment, exercise or defence of legal claims.";
    "Art. 9(2)(g)" SubstantialPublicInterest, fits any:
        "substantial public interest, on the basis of law.";
    "Art. 9(2)(h)" HealthOrSocialCare, fits any:
        "preventive or occupational medicine, health or social care.";
    "Art. 9(2)(i)" PublicHealth, fits any:
        "public health.";
    "Art. 9(2)(j)" ArchivingResearchStatistics, fits any:
        "archiving in the public interest, scientific or historical research, or statistics.";
    "Art. 10" OfficialAuthority, fits any:
        "criminal-offence data under official authority or authorised by Union or Member State law.";
}

impl FitsBasis<Consent> for ExplicitConsent {}
impl<B: LawfulBasis> FitsBasis<B> for NoCondition {}
