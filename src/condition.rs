//! Conditions that lift the prohibition on special categories (GDPR Art. 9(2)), and
//! the separate authorisations that criminal-offence data needs (Art. 10).
//!
//! The two are different slots of [`purpose!`](macro@crate::purpose), because the law
//! keeps them apart: an Art. 9(2) condition permits only the special categories of
//! Art. 9(1), and criminal-offence data may be processed only under official authority
//! or when authorised by Union or Member State law (Art. 10). A purpose that uses both
//! kinds names both:
//!
//! ```text
//! condition: HealthOrSocialCare { law: "..." },   // Art. 9(2): special categories
//! art10: AuthorisedByLaw { law: "..." },           // Art. 10: criminal-offence data
//! ```
//!
//! Where the text of the provision demands a law (Art. 9(2)(b), (g), (h), (i), (j);
//! Art. 10's second limb), the declaration names it or does not compile; where it does
//! not, a `law` is refused, so the record of processing never claims a law the
//! provision does not rest on. The checks read the category's
//! [`Sensitivity`](crate::Sensitivity) and these sealed declarations, so no impl in
//! user code can lift them. Their run-time mirrors, [`Condition`] and
//! [`Authorisation`], are printed in the record of processing.

use crate::basis::{Consent, LawfulBasis};
use crate::private as sealed;

/// A condition that lifts the prohibition on processing the special categories of
/// personal data (GDPR Art. 9(2)). Sealed.
///
/// A purpose names one with `condition: ...` in [`purpose!`](macro@crate::purpose); a
/// purpose that names none gets [`NoCondition`] and cannot use a special category. An
/// Art. 9(2) condition does not permit criminal-offence data: that needs an
/// [`Art10Authorisation`].
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an Art. 9(2) condition",
    label = "not a condition for special categories of personal data (Art. 9(2))",
    note = "an Art. 10 authorisation (`OfficialAuthority`, `AuthorisedByLaw`) permits criminal-offence data only: write it as `art10: ...` in `purpose!`; a special category (Art. 9(1)) needs one of the conditions in `custodian::condition` as `condition: ...`"
)]
pub trait Art9Condition: sealed::Sealed + 'static {
    /// The run-time description, or `None` for [`NoCondition`].
    const CONDITION: Option<Condition>;
}

/// An authorisation to process personal data relating to criminal convictions and
/// offences (GDPR Art. 10). Sealed.
///
/// A purpose names one with `art10: ...` in [`purpose!`](macro@crate::purpose); a
/// purpose that names none gets [`NoAuthorisation`] and cannot use a
/// [`CriminalOffence`](crate::Sensitivity::CriminalOffence) category. An Art. 10
/// authorisation does not permit a special category (Art. 9(1)).
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an Art. 10 authorisation",
    label = "criminal-offence data needs `OfficialAuthority` or `AuthorisedByLaw {{ law: \"...\" }}`",
    note = "an Art. 9(2) condition permits special categories only (Art. 9(1)); criminal-offence data is processed only under official authority or when authorised by Union or Member State law (Art. 10): write `art10: OfficialAuthority` or `art10: AuthorisedByLaw {{ law: \"...\" }}`"
)]
pub trait Art10Authorisation: sealed::Sealed + 'static {
    /// The run-time description, or `None` for [`NoAuthorisation`].
    const AUTHORISATION: Option<Authorisation>;
}

/// The absence of an Art. 9(2) condition: the purpose may use no special category.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NoCondition {}
impl sealed::Sealed for NoCondition {}
impl Art9Condition for NoCondition {
    const CONDITION: Option<Condition> = None;
}

/// The absence of an Art. 10 authorisation: the purpose may use no criminal-offence data.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NoAuthorisation {}
impl sealed::Sealed for NoAuthorisation {}
impl Art10Authorisation for NoAuthorisation {
    const AUTHORISATION: Option<Authorisation> = None;
}

/// Not implementable: whether a purpose may use a special category is decided by
/// [`purpose!`](macro@crate::purpose) from the category's sensitivity and the purpose's
/// `condition` and `art10`, never by an impl. (It was once a trait that `category!`
/// implemented for [`NoCondition`], so one line of user code could permit a special
/// category without a condition; the name remains so that such a line fails with this
/// explanation.)
pub trait PermitsCategory<C, P>: sealed::NoImpl {}

/// Compile-time check that an Art. 9 condition (or Art. 10 authorisation, which fits
/// every basis) fits the purpose's lawful basis:
/// custodian requires `basis: Consent` for explicit consent (Art. 9(2)(a)), so that the
/// consent ledger holds its evidence. (This is custodian's rule, not the GDPR's: the
/// GDPR lets explicit consent lift the Art. 9 prohibition whatever the Art. 6 basis.)
#[diagnostic::on_unimplemented(
    message = "the Art. 9 condition `{Self}` does not fit the lawful basis `{B}`",
    label = "explicit consent needs `basis: Consent`",
    note = "explicit consent is evidenced in the consent ledger, which only serves purposes whose basis is `Consent` (custodian's rule, so that the evidence exists)"
)]
pub trait FitsBasis<B: LawfulBasis> {}

/// One list makes the run-time [`Condition`] enum, its articles, the marker types and
/// their compile-time checks, so they cannot drift apart.
macro_rules! conditions {
    ($($article:literal $name:ident, law $law:literal, fits $fits:ident: $doc:literal;)*) => {
        /// The run-time form of an Art. 9(2) condition.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum Condition {
            $(
                #[doc = concat!($article, ": ", $doc)]
                $name,
            )*
        }

        impl Condition {
            /// Every Art. 9(2) condition, in the order of the article.
            pub const ALL: &'static [Condition] = &[$(Condition::$name),*];

            /// The article that defines this condition, e.g. `"Art. 9(2)(h)"`.
            pub const fn article(self) -> &'static str {
                match self {
                    $(Condition::$name => $article,)*
                }
            }

            /// Whether the text of the condition demands a Union or Member State law
            /// (Art. 9(2)(b), (g), (h), (i), (j)); [`purpose!`](macro@crate::purpose)
            /// then requires `{ law: "..." }` and refuses it otherwise.
            pub const fn requires_law(self) -> bool {
                match self {
                    $(Condition::$name => $law,)*
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
    "Art. 9(2)(a)" ExplicitConsent, law false, fits consent_only:
        "explicit consent; custodian requires the purpose's lawful basis to be `Consent`.";
    "Art. 9(2)(b)" Employment, law true, fits any:
        "obligations and rights in employment, social security and social protection law, \
         as authorised by Union or Member State law or a collective agreement (name it as `law`).";
    "Art. 9(2)(c)" VitalInterests, law false, fits any:
        "vital interests of a data subject physically or legally incapable of giving consent.";
    "Art. 9(2)(d)" NotForProfitBody, law false, fits any:
        "members of a not-for-profit body with a political, philosophical, religious or trade-union aim.";
    "Art. 9(2)(e)" MadePublicBySubject, law false, fits any:
        "data manifestly made public by the data subject.";
    "Art. 9(2)(f)" LegalClaims, law false, fits any:
        "establishment, exercise or defence of legal claims, or courts acting in their judicial capacity.";
    "Art. 9(2)(g)" SubstantialPublicInterest, law true, fits any:
        "substantial public interest, on the basis of Union or Member State law.";
    "Art. 9(2)(h)" HealthOrSocialCare, law true, fits any:
        "preventive or occupational medicine, medical diagnosis, health or social care, on the \
         basis of Union or Member State law or a contract with a health professional, under \
         the professional secrecy of Art. 9(3) (name the law, or the contract and the secrecy rule, as `law`).";
    "Art. 9(2)(i)" PublicHealth, law true, fits any:
        "public health, on the basis of Union or Member State law with suitable and specific measures.";
    "Art. 9(2)(j)" ArchivingResearchStatistics, law true, fits any:
        "archiving in the public interest, scientific or historical research or statistics, \
         in accordance with Art. 89(1), based on Union or Member State law.";
}

impl FitsBasis<Consent> for ExplicitConsent {}
impl<B: LawfulBasis> FitsBasis<B> for NoCondition {}

/// The run-time form of an Art. 10 authorisation: the two limbs of the article.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Authorisation {
    /// Art. 10, first limb: processing carried out under the control of official
    /// authority.
    OfficialAuthority,
    /// Art. 10, second limb: processing authorised by Union or Member State law
    /// providing appropriate safeguards for the rights and freedoms of data subjects.
    AuthorisedByLaw,
}

impl Authorisation {
    /// Both limbs, in the order of the article.
    pub const ALL: &'static [Authorisation] = &[
        Authorisation::OfficialAuthority,
        Authorisation::AuthorisedByLaw,
    ];

    /// The article: `"Art. 10"` for both limbs.
    pub const fn article(self) -> &'static str {
        "Art. 10"
    }

    /// Which limb of Art. 10, in words.
    pub const fn label(self) -> &'static str {
        match self {
            Authorisation::OfficialAuthority => "under the control of official authority",
            Authorisation::AuthorisedByLaw => {
                "authorised by Union or Member State law with appropriate safeguards"
            }
        }
    }

    /// Whether the limb demands a law (the second does): [`purpose!`](macro@crate::purpose)
    /// then requires `{ law: "..." }` and refuses it otherwise.
    pub const fn requires_law(self) -> bool {
        matches!(self, Authorisation::AuthorisedByLaw)
    }
}

/// Art. 10, first limb: criminal-offence data processed under the control of official
/// authority. Written `art10: OfficialAuthority` in [`purpose!`](macro@crate::purpose).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OfficialAuthority {}
impl sealed::Sealed for OfficialAuthority {}
impl Art10Authorisation for OfficialAuthority {
    const AUTHORISATION: Option<Authorisation> = Some(Authorisation::OfficialAuthority);
}
impl<B: LawfulBasis> FitsBasis<B> for OfficialAuthority {}

/// Art. 10, second limb: criminal-offence data processed as authorised by Union or
/// Member State law providing appropriate safeguards. Written
/// `art10: AuthorisedByLaw { law: "..." }` in [`purpose!`](macro@crate::purpose), naming
/// that law.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AuthorisedByLaw {}
impl sealed::Sealed for AuthorisedByLaw {}
impl Art10Authorisation for AuthorisedByLaw {
    const AUTHORISATION: Option<Authorisation> = Some(Authorisation::AuthorisedByLaw);
}
impl<B: LawfulBasis> FitsBasis<B> for AuthorisedByLaw {}
