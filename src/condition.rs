//! Conditions that lift the prohibition on special categories (GDPR Art. 9(2)) and on
//! criminal-offence data (Art. 10).
//!
//! A purpose that uses a special category must name one of these in its
//! [`purpose!`](macro@crate::purpose) declaration or it does not compile. Their run-time
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

/// The run-time form of an Art. 9(2) / Art. 10 condition.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Condition {
    /// Art. 9(2)(a): explicit consent. Requires the purpose's basis to be consent.
    ExplicitConsent,
    /// Art. 9(2)(b): employment, social security and social protection law.
    Employment,
    /// Art. 9(2)(c): vital interests of a subject incapable of giving consent.
    VitalInterests,
    /// Art. 9(2)(d): members of a not-for-profit body with a political, philosophical,
    /// religious or trade-union aim.
    NotForProfitBody,
    /// Art. 9(2)(e): data manifestly made public by the data subject.
    MadePublicBySubject,
    /// Art. 9(2)(f): establishment, exercise or defence of legal claims.
    LegalClaims,
    /// Art. 9(2)(g): substantial public interest, on the basis of law.
    SubstantialPublicInterest,
    /// Art. 9(2)(h): preventive or occupational medicine, health or social care.
    HealthOrSocialCare,
    /// Art. 9(2)(i): public health.
    PublicHealth,
    /// Art. 9(2)(j): archiving in the public interest, research or statistics.
    ArchivingResearchStatistics,
    /// Art. 10: processing of criminal-offence data under official authority or
    /// authorised by Union or Member State law.
    OfficialAuthority,
}

impl Condition {
    /// The article that defines this condition, e.g. `"Art. 9(2)(h)"`.
    pub const fn article(self) -> &'static str {
        match self {
            Condition::ExplicitConsent => "Art. 9(2)(a)",
            Condition::Employment => "Art. 9(2)(b)",
            Condition::VitalInterests => "Art. 9(2)(c)",
            Condition::NotForProfitBody => "Art. 9(2)(d)",
            Condition::MadePublicBySubject => "Art. 9(2)(e)",
            Condition::LegalClaims => "Art. 9(2)(f)",
            Condition::SubstantialPublicInterest => "Art. 9(2)(g)",
            Condition::HealthOrSocialCare => "Art. 9(2)(h)",
            Condition::PublicHealth => "Art. 9(2)(i)",
            Condition::ArchivingResearchStatistics => "Art. 9(2)(j)",
            Condition::OfficialAuthority => "Art. 10",
        }
    }
}

/// The absence of an Art. 9 condition: the purpose may use ordinary categories only.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NoCondition {}
impl sealed::Sealed for NoCondition {}
impl Art9Condition for NoCondition {
    const CONDITION: Option<Condition> = None;
}

/// Compile-time check that a purpose may use category `C`: implemented by every real
/// condition for every category, and by [`NoCondition`] only for ordinary categories
/// (the [`category!`](macro@crate::category) macro writes that impl).
///
/// The parameters are category first so that `category!` in a downstream crate may
/// implement it for its own category (Rust's orphan rule).
#[diagnostic::on_unimplemented(
    message = "purpose `{P}` uses `{C}`, a special category of personal data (GDPR Art. 9/10), but names no Art. 9 condition",
    label = "special category used without a condition",
    note = "if the law allows it, add a condition such as `condition: HealthOrSocialCare,` (see `custodian::condition`) to the `purpose!` declaration of `{P}`"
)]
pub trait PermitsCategory<C, P> {}

/// Compile-time check that an Art. 9 condition fits the purpose's lawful basis:
/// explicit consent (Art. 9(2)(a)) needs consent (Art. 6(1)(a)) as the basis, so the
/// ledger holds the evidence.
#[diagnostic::on_unimplemented(
    message = "the Art. 9 condition `{Self}` does not fit the lawful basis `{B}`",
    label = "explicit consent needs `basis: Consent`",
    note = "explicit consent is evidenced in the consent ledger, which only serves purposes whose basis is `Consent`"
)]
pub trait FitsBasis<B> {}

macro_rules! conditions {
    ($($(#[$m:meta])* $name:ident;)*) => {$(
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name {}
        impl sealed::Sealed for $name {}
        impl Art9Condition for $name {
            const CONDITION: Option<Condition> = Some(Condition::$name);
        }
        impl<C, P> PermitsCategory<C, P> for $name {}
    )*};
}

conditions! {
    /// Art. 9(2)(a) explicit consent; the purpose's basis must be `Consent`.
    ExplicitConsent;
    /// Art. 9(2)(b) employment, social security and social protection law.
    Employment;
    /// Art. 9(2)(c) vital interests of a subject incapable of giving consent.
    VitalInterests;
    /// Art. 9(2)(d) a not-for-profit body's members.
    NotForProfitBody;
    /// Art. 9(2)(e) data manifestly made public by the subject.
    MadePublicBySubject;
    /// Art. 9(2)(f) legal claims.
    LegalClaims;
    /// Art. 9(2)(g) substantial public interest.
    SubstantialPublicInterest;
    /// Art. 9(2)(h) health or social care.
    HealthOrSocialCare;
    /// Art. 9(2)(i) public health.
    PublicHealth;
    /// Art. 9(2)(j) archiving, research or statistics.
    ArchivingResearchStatistics;
    /// Art. 10 criminal-offence data under official authority or law.
    OfficialAuthority;
}

impl FitsBasis<Consent> for ExplicitConsent {}
impl<B: LawfulBasis> FitsBasis<B> for NoCondition {}
macro_rules! fits_any_basis {
    ($($name:ident),*) => {$( impl<B: LawfulBasis> FitsBasis<B> for $name {} )*};
}
fits_any_basis!(
    Employment,
    VitalInterests,
    NotForProfitBody,
    MadePublicBySubject,
    LegalClaims,
    SubstantialPublicInterest,
    HealthOrSocialCare,
    PublicHealth,
    ArchivingResearchStatistics,
    OfficialAuthority
);
