//! Compile-time checks called by [`purpose!`](macro@crate::purpose). Each reads only
//! sealed declarations (a category's sensitivity, the purpose's basis, condition and
//! authorisation, and the laws `purpose!` wrote), so no impl in user code satisfies it.

use super::Purpose;
use crate::basis::LawfulBasis;
use crate::category::{Category, CategoryInfo, Sensitivity};
use crate::condition::{Art9Condition, Art10Authorisation, FitsBasis};

/// A special category (Art. 9(1)) needs an Art. 9(2) condition.
pub const fn art9_permits<P: Purpose, C: Category>() -> bool {
    !C::SENSITIVITY.needs_art9_condition() || <P::Condition as Art9Condition>::CONDITION.is_some()
}
/// Criminal-offence data needs an Art. 10 authorisation; no Art. 9(2) condition
/// stands in for it.
pub const fn art10_permits<P: Purpose, C: Category>() -> bool {
    !C::SENSITIVITY.needs_art10_authorisation()
        || <P::Art10 as Art10Authorisation>::AUTHORISATION.is_some()
}
/// Whether a law was named, and is not blank.
pub const fn law_named(law: Option<&str>) -> bool {
    let Some(law) = law else { return false };
    let b = law.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if !b[i].is_ascii_whitespace() {
            return true;
        }
        i += 1;
    }
    false
}
/// Whether a ground that demands a law (`Some(true)`) names one.
const fn named_if_required(required: Option<bool>, law: Option<&str>) -> bool {
    !matches!(required, Some(true)) || law_named(law)
}
/// Whether a ground that demands no law (or no ground at all) names none.
const fn absent_unless_required(required: Option<bool>, law: Option<&str>) -> bool {
    matches!(required, Some(true)) || law.is_none()
}
const fn basis_requires<P: Purpose>() -> Option<bool> {
    Some(<P::Basis as LawfulBasis>::BASIS.requires_law())
}
const fn condition_requires<P: Purpose>() -> Option<bool> {
    match <P::Condition as Art9Condition>::CONDITION {
        Some(c) => Some(c.requires_law()),
        None => None,
    }
}
const fn art10_requires<P: Purpose>() -> Option<bool> {
    match <P::Art10 as Art10Authorisation>::AUTHORISATION {
        Some(a) => Some(a.requires_law()),
        None => None,
    }
}
/// A basis that Art. 6(3) ties to a law names it.
pub const fn basis_law_named<P: Purpose>() -> bool {
    named_if_required(basis_requires::<P>(), P::BASIS_LAW)
}
/// Any other basis names none.
pub const fn basis_law_absent<P: Purpose>() -> bool {
    absent_unless_required(basis_requires::<P>(), P::BASIS_LAW)
}
/// An Art. 9(2) condition whose text demands a law names it.
pub const fn condition_law_named<P: Purpose>() -> bool {
    named_if_required(condition_requires::<P>(), P::CONDITION_LAW)
}
/// Any other condition names none.
pub const fn condition_law_absent<P: Purpose>() -> bool {
    absent_unless_required(condition_requires::<P>(), P::CONDITION_LAW)
}
/// Art. 10's second limb names the authorising law.
pub const fn art10_law_named<P: Purpose>() -> bool {
    named_if_required(art10_requires::<P>(), P::ART10_LAW)
}
/// Its first limb names none.
pub const fn art10_law_absent<P: Purpose>() -> bool {
    absent_unless_required(art10_requires::<P>(), P::ART10_LAW)
}
const fn any(categories: &[CategoryInfo], sensitivity: Sensitivity) -> bool {
    let mut i = 0;
    while i < categories.len() {
        if categories[i].sensitivity as u8 == sensitivity as u8 {
            return true;
        }
        i += 1;
    }
    false
}
/// A condition is named only by a purpose that uses a special category.
pub const fn condition_used<P: Purpose>() -> bool {
    <P::Condition as Art9Condition>::CONDITION.is_none() || any(P::CATEGORIES, Sensitivity::Special)
}
/// An Art. 10 authorisation is named only by a purpose that uses criminal-offence data.
pub const fn art10_used<P: Purpose>() -> bool {
    <P::Art10 as Art10Authorisation>::AUTHORISATION.is_none()
        || any(P::CATEGORIES, Sensitivity::CriminalOffence)
}
/// Fails to compile unless condition `K` fits lawful basis `B`.
pub const fn fits<K: FitsBasis<B>, B: LawfulBasis>() {}

/// Whether `P`'s record of processing ([`Purpose::CATEGORIES`]) lists `C`: an entry
/// with `C`'s name and sensitivity.
pub const fn lists<P: Purpose, C: Category>() -> bool {
    let mut i = 0;
    while i < P::CATEGORIES.len() {
        let entry = &P::CATEGORIES[i];
        if crate::category::same_str(entry.name, C::NAME)
            && entry.sensitivity as u8 == C::SENSITIVITY as u8
        {
            return true;
        }
        i += 1;
    }
    false
}

/// The per-use check behind every door a `Uses<C>` bound opens (`Personal::read`,
/// `map`, `rectify`, `Vault::open` and the derive's openers through it).
///
/// `Uses<C>` is sealed by a hidden supertrait that `purpose!` writes; a caller who forges
/// that hidden impl still meets this: [`CHECK`](Declared::CHECK) is evaluated when the
/// door is instantiated for `P` and `C`, and fails the build (a const-evaluation error)
/// unless `P`'s record of processing lists `C` and `P` names the Art. 9(2) condition or
/// Art. 10 authorisation `C` needs. It is a constant: no run-time cost.
pub struct Declared<P, C>(core::marker::PhantomData<fn() -> (P, C)>);

impl<P: Purpose, C: Category> Declared<P, C> {
    /// `()`, or a build failure naming what is missing.
    pub const CHECK: () = {
        assert!(
            lists::<P, C>(),
            "this purpose reads a category its record of processing (`INFO.categories`) does not list: `Uses` was implemented by hand; add the category to the `uses: [...]` list of its `purpose!` declaration instead"
        );
        assert!(
            art9_permits::<P, C>(),
            "this purpose reads a special category (GDPR Art. 9(1)) but names no Art. 9(2) condition: declare one in its `purpose!` (`condition: ...`)"
        );
        assert!(
            art10_permits::<P, C>(),
            "this purpose reads criminal-offence data (GDPR Art. 10) but names no Art. 10 authorisation: declare one in its `purpose!` (`art10: ...`)"
        );
    };
}
