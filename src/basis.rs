//! Lawful bases for processing (GDPR Art. 6).
//!
//! Sealed marker types: a purpose names one in its [`purpose!`](macro@crate::purpose)
//! declaration and the compiler checks what follows from it (only the consent ledger
//! mints an [`Access`](crate::Access) for a consent purpose). Their run-time mirror,
//! [`Basis`], is what the privacy notice and the record of processing print.

use crate::private as sealed;

/// A lawful basis for processing (GDPR Art. 6(1)). Sealed: the six bases are the law's.
pub trait LawfulBasis: sealed::Sealed + 'static {
    /// The run-time description of this basis.
    const BASIS: Basis;
}

/// Every lawful basis except consent.
///
/// [`Access::new`](crate::Access::new) requires `P::Basis: WithoutConsent<P>`: an access
/// for a purpose based on consent can only come from the
/// [`ConsentLedger`](crate::consent::ConsentLedger), which checks the evidence first.
/// (The purpose `P` is a parameter only so the compiler's message can name it.)
#[diagnostic::on_unimplemented(
    message = "purpose `{P}` rests on consent, so an `Access<{P}>` can only come from the consent ledger",
    label = "`Access::new` is only for purposes whose lawful basis is not consent",
    note = "call `ConsentLedger::access::<{P}>(&subject, actor, now)`: it checks that consent was given, is not withdrawn or expired, and covers the current notice"
)]
///
/// Sealed: its supertrait, implemented by custodian for the five other bases, cannot be
/// named outside the crate, so `impl WithoutConsent<Offers> for Consent {}` does not
/// compile.
pub trait WithoutConsent<P>: LawfulBasis + sealed::NotConsent {}

/// The run-time form of a lawful basis, with its article.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// Art. 6(1)(a): the data subject has given consent.
    Consent,
    /// Art. 6(1)(b): necessary to perform a contract with the data subject.
    Contract,
    /// Art. 6(1)(c): necessary to comply with a legal obligation.
    LegalObligation,
    /// Art. 6(1)(d): necessary to protect someone's vital interests.
    VitalInterests,
    /// Art. 6(1)(e): necessary for a task in the public interest or official authority.
    PublicTask,
    /// Art. 6(1)(f): necessary for legitimate interests not overridden by the subject's.
    LegitimateInterests,
}

impl Basis {
    /// The article of the GDPR that defines this basis, e.g. `"Art. 6(1)(b)"`.
    pub const fn article(self) -> &'static str {
        match self {
            Basis::Consent => "Art. 6(1)(a)",
            Basis::Contract => "Art. 6(1)(b)",
            Basis::LegalObligation => "Art. 6(1)(c)",
            Basis::VitalInterests => "Art. 6(1)(d)",
            Basis::PublicTask => "Art. 6(1)(e)",
            Basis::LegitimateInterests => "Art. 6(1)(f)",
        }
    }

    /// Whether the basis must be laid down by Union or Member State law (Art. 6(3):
    /// points (c) and (e) of Art. 6(1)). [`purpose!`](macro@crate::purpose) then
    /// requires `basis: LegalObligation { law: "..." }` naming that law, and refuses a
    /// `law` on the other bases.
    pub const fn requires_law(self) -> bool {
        matches!(self, Basis::LegalObligation | Basis::PublicTask)
    }

    /// A short human-readable label, e.g. `"performance of a contract"`.
    pub const fn label(self) -> &'static str {
        match self {
            Basis::Consent => "consent",
            Basis::Contract => "performance of a contract",
            Basis::LegalObligation => "compliance with a legal obligation",
            Basis::VitalInterests => "protection of vital interests",
            Basis::PublicTask => "public task",
            Basis::LegitimateInterests => "legitimate interests",
        }
    }
}

macro_rules! bases {
    ($($(#[$m:meta])* $name:ident => $variant:ident, without_consent: $wc:tt;)*) => {$(
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name {}
        impl sealed::Sealed for $name {}
        impl LawfulBasis for $name {
            const BASIS: Basis = Basis::$variant;
        }
        bases!(@wc $wc $name);
    )*};
    (@wc true $name:ident) => {
        impl sealed::NotConsent for $name {}
        impl<P> WithoutConsent<P> for $name {}
    };
    (@wc false $name:ident) => {};
}

bases! {
    /// Art. 6(1)(a) consent: access only through the consent ledger.
    Consent => Consent, without_consent: false;
    /// Art. 6(1)(b) performance of a contract with the data subject.
    Contract => Contract, without_consent: true;
    /// Art. 6(1)(c) compliance with a legal obligation (tax records, anti-money-laundering),
    /// laid down by Union or Member State law (Art. 6(3)): written
    /// `basis: LegalObligation { law: "..." }`, naming that law.
    LegalObligation => LegalObligation, without_consent: true;
    /// Art. 6(1)(d) protection of the vital interests of the subject or another person.
    VitalInterests => VitalInterests, without_consent: true;
    /// Art. 6(1)(e) a task carried out in the public interest or in official authority,
    /// laid down by Union or Member State law (Art. 6(3)): written
    /// `basis: PublicTask { law: "..." }`, naming that law.
    PublicTask => PublicTask, without_consent: true;
    /// Art. 6(1)(f) legitimate interests (fraud prevention, network security).
    LegitimateInterests => LegitimateInterests, without_consent: true;
}
