//! Legal holds: data that must survive its retention period while a claim, an
//! investigation or a statutory duty requires it. That need is the ground for keeping
//! it (a legal obligation, Art. 6(1)(c); legal claims, Art. 6(1)(f) and 9(2)(f));
//! Art. 17(3)(b) and (e) only limit the right to erasure while it lasts. Kept data may
//! then be used only for that need (Art. 18(2)): a hold names the purposes and
//! categories it keeps data for, its [`HoldScope`].

use std::fmt;

use chrono::{DateTime, Utc};

use crate::basis::{
    Contract, LawfulBasis, LegalObligation, LegitimateInterests, PublicTask, VitalInterests,
};
use crate::category::Category;
use crate::category::valid_category_name;
use crate::purpose::Purpose;
use crate::retention::SubjectRef;
use crate::store::StoreError;
use crate::subject::SubjectId;

/// Identifies one legal hold: 16 random bytes in lowercase hex.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct HoldId(String);

impl HoldId {
    pub(crate) fn from_random(bytes: [u8; 16]) -> Self {
        HoldId(crate::hex::encode(&bytes))
    }

    /// Reads back an id as [`as_str`](Self::as_str) wrote it.
    pub fn parse(s: &str) -> Result<Self, HoldError> {
        if s.len() == 32 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            Ok(HoldId(s.to_owned()))
        } else {
            Err(HoldError::BadId)
        }
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for HoldId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HoldId({})", self.0)
    }
}

impl fmt::Display for HoldId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Whom a hold is about: the subject's id while the subject exists; after the
/// subject's erasure only the keyed reference of their erasure receipt, so the hold
/// record stays evidence of legal process without naming the person.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HoldSubject {
    /// The held subject, not erased.
    Subject(SubjectId),
    /// An erased subject, by the [`SubjectRef`] of their erasure receipt.
    Erased(SubjectRef),
}

/// A lawful basis a legal hold may keep data for: every basis but consent. A hold
/// exists because a claim or the law requires the data, not because the subject
/// agreed; a consent purpose in a hold would reopen expired data for, say, marketing.
/// (The purpose `P` is a parameter only so the compiler's message can name it.)
#[diagnostic::on_unimplemented(
    message = "purpose `{P}` rests on consent, so a legal hold cannot keep data for it",
    label = "a legal hold keeps data for a claim or a legal duty, not for a consent purpose",
    note = "declare a purpose for the claim (`basis: LegitimateInterests` or `LegalObligation`, e.g. \"establish, exercise or defend legal claims\") and hold for it: held data may then be used for that purpose only (GDPR Art. 18(2))"
)]
///
/// Sealed like [`WithoutConsent`](crate::basis::WithoutConsent): its supertrait cannot
/// be named outside the crate, so `impl HoldBasis<Offers> for Consent {}` does not
/// compile.
pub trait HoldBasis<P>: LawfulBasis + crate::private::NotConsent {}

impl<P> HoldBasis<P> for Contract {}
impl<P> HoldBasis<P> for LegalObligation {}
impl<P> HoldBasis<P> for VitalInterests {}
impl<P> HoldBasis<P> for PublicTask {}
impl<P> HoldBasis<P> for LegitimateInterests {}

/// What a legal hold keeps data for: the purposes (by their declared names) that may
/// still use a held subject's data once its retention has ended, and the categories
/// kept for them. Everything else past its retention stays refused while the hold
/// lasts (GDPR Art. 18(2): restricted data is processed only for the claim).
///
/// Built from declared purposes, none of which may rest on consent (a hold exists
/// because the law or a claim requires the data, not because the subject agreed; a
/// consent purpose in a hold would reopen expired data for marketing):
///
/// ```
/// use custodian::categories::{Email, Name, PostalAddress};
/// use custodian::retention::HoldScope;
/// custodian::purpose! {
///     pub struct LegalClaims {
///         name: "legal-claims",
///         basis: LegitimateInterests,
///         description: "Establish, exercise or defend legal claims.",
///         uses: [Name, Email, PostalAddress],
///     }
/// }
/// // Every category the purpose declares:
/// let all = HoldScope::purpose::<LegalClaims>();
/// assert!(all.permits("legal-claims", "user.contact.address"));
/// // Only the emails:
/// let emails = HoldScope::purpose::<LegalClaims>().only::<Email>();
/// assert!(emails.permits("legal-claims", "user.contact.email"));
/// assert!(!emails.covers("user.contact.address"));
/// assert!(!emails.permits("marketing", "user.contact.email"));
/// ```
///
/// A consent purpose does not compile:
///
/// ```compile_fail
/// use custodian::categories::Email;
/// custodian::purpose! {
///     pub struct Offers { basis: Consent, description: "Offers.", uses: [Email] }
/// }
/// let scope = custodian::retention::HoldScope::purpose::<Offers>();
/// ```
#[derive(Clone, serde::Serialize)]
pub struct HoldScope {
    purposes: Vec<String>,
    categories: Vec<String>,
    /// Whether [`only`](Self::only) narrowed the categories (the next `only` adds).
    #[serde(skip)]
    narrowed: bool,
    /// Categories the scope's purposes declare (for checking `only`).
    #[serde(skip)]
    declared: Vec<String>,
}

impl HoldScope {
    /// A scope for purpose `P` and every category `P` declares. `P` must not rest on
    /// consent.
    pub fn purpose<P: Purpose>() -> Self
    where
        P::Basis: HoldBasis<P>,
    {
        let declared: Vec<String> = P::CATEGORIES.iter().map(|c| c.name.to_owned()).collect();
        HoldScope {
            purposes: vec![P::NAME.to_owned()],
            categories: declared.clone(),
            narrowed: false,
            declared,
        }
    }

    /// Adds purpose `P` (and, unless [`only`](Self::only) narrowed the categories,
    /// every category it declares). `P` must not rest on consent.
    pub fn or_purpose<P: Purpose>(mut self) -> Self
    where
        P::Basis: HoldBasis<P>,
    {
        push_new(&mut self.purposes, P::NAME);
        for c in P::CATEGORIES {
            push_new(&mut self.declared, c.name);
            if !self.narrowed {
                push_new(&mut self.categories, c.name);
            }
        }
        self
    }

    /// Keeps only category `C` (the first call replaces "every declared category",
    /// later calls add to the list). A category none of the scope's purposes declares
    /// is refused when the hold is placed ([`HoldError::CategoryNotDeclared`]).
    pub fn only<C: Category>(mut self) -> Self {
        if !self.narrowed {
            self.categories.clear();
            self.narrowed = true;
        }
        push_new(&mut self.categories, C::NAME);
        self
    }

    /// The purposes (declared names) that may use held data past its retention.
    pub fn purposes(&self) -> &[String] {
        &self.purposes
    }

    /// The categories (dotted names) the hold keeps.
    pub fn categories(&self) -> &[String] {
        &self.categories
    }

    /// Whether the hold keeps data of category `category` (a dotted name).
    pub fn covers(&self, category: &str) -> bool {
        self.categories.iter().any(|c| c == category)
    }

    /// Whether purpose `purpose` (a declared name) may use held data of `category`.
    pub fn permits(&self, purpose: &str, category: &str) -> bool {
        self.covers(category) && self.purposes.iter().any(|p| p == purpose)
    }

    /// Rebuilds a scope from the two lists a store recorded ([`purposes`](Self::purposes)
    /// and [`categories`](Self::categories) of the placed scope, in that order): for a
    /// [`HoldStore`](super::HoldStore) backend that reads its holds back. The rebuilt
    /// scope equals the placed one, and its categories count as declared.
    ///
    /// Checked, since the names come from storage: each purpose name is non-empty and
    /// free of control characters, each category name is a dotted lowercase name (as
    /// `category!` requires), and neither list repeats a name; otherwise
    /// [`StoreError::Corrupt`] (the store was damaged or edited: report it, do not
    /// repair the row). Two empty lists are accepted: a hold recorded before scopes
    /// existed, which keeps nothing for anyone.
    ///
    /// This checks the form only. That the scope is the one the vault placed is proven
    /// by the hold's MAC, which covers both lists: check the rebuilt hold with
    /// [`IntegrityKey::hold_authentic`](super::IntegrityKey::hold_authentic) before
    /// [`HoldStore::holds`](super::HoldStore::holds) returns it, and refuse it as
    /// [`StoreError::RetentionTampered`] otherwise.
    ///
    /// ```
    /// # use custodian::categories::Email;
    /// # custodian::purpose! {
    /// #     struct Claims { name: "legal-claims", basis: LegitimateInterests, description: "Claims.", uses: [Email] }
    /// # }
    /// use custodian::retention::HoldScope;
    ///
    /// let placed = HoldScope::purpose::<Claims>();
    /// // ... stored as two lists of names, then read back by the backend:
    /// let rebuilt = HoldScope::from_stored(placed.purposes().to_vec(), placed.categories().to_vec())?;
    /// assert_eq!(rebuilt, placed);
    /// # Ok::<(), custodian::store::StoreError>(())
    /// ```
    pub fn from_stored(purposes: Vec<String>, categories: Vec<String>) -> Result<Self, StoreError> {
        let corrupt = StoreError::Corrupt {
            what: "legal hold scope",
        };
        let purpose_ok = |p: &String| !p.is_empty() && !p.chars().any(char::is_control);
        if !purposes.iter().all(purpose_ok)
            || !categories.iter().all(|c| valid_category_name(c))
            || has_duplicate(&purposes)
            || has_duplicate(&categories)
        {
            return Err(corrupt);
        }
        Ok(HoldScope {
            purposes,
            declared: categories.clone(),
            categories,
            narrowed: false,
        })
    }

    /// Checks a scope before it is placed.
    pub(crate) fn check(&self) -> Result<(), HoldError> {
        // A purpose declared with an empty or control-character name could not be
        // read back (`from_stored`): it names no purpose a hold can keep data for.
        if self.purposes.is_empty()
            || self.categories.is_empty()
            || self
                .purposes
                .iter()
                .any(|p| p.is_empty() || p.chars().any(char::is_control))
        {
            return Err(HoldError::EmptyScope);
        }
        if let Some(c) = self.categories.iter().find(|c| !self.declared.contains(c)) {
            return Err(HoldError::CategoryNotDeclared {
                category: c.clone(),
            });
        }
        Ok(())
    }
}

impl fmt::Debug for HoldScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HoldScope")
            .field("purposes", &self.purposes)
            .field("categories", &self.categories)
            .finish()
    }
}

/// Two scopes are equal when they keep the same categories for the same purposes.
impl PartialEq for HoldScope {
    fn eq(&self, other: &Self) -> bool {
        self.purposes == other.purposes && self.categories == other.categories
    }
}

impl Eq for HoldScope {}

fn push_new(list: &mut Vec<String>, name: &str) {
    if !list.iter().any(|n| n == name) {
        list.push(name.to_owned());
    }
}

/// A legal hold on one data subject. While it is active, their data stays available
/// for the purposes of its [`scope`](Self::scope) past its retention (a sweep escrows
/// their share of each epoch it destroys), every other purpose is refused that data,
/// and their erasure is refused. Holds are kept after release, as the record of what
/// was held, for what and why.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct LegalHold {
    /// Its id.
    pub id: HoldId,
    /// The held subject (or, once erased, their keyed reference).
    pub subject: HoldSubject,
    /// Why: a case or matter reference and the obligation (never personal data; it
    /// is shown to whoever lists holds and in erasure refusals).
    pub reason: String,
    /// What the data is kept for: the purposes that may use it past its retention,
    /// and the categories kept. Empty for a hold stored before schema 9 (it keeps the
    /// data but opens it for no purpose: place a scoped hold, then release it).
    pub scope: HoldScope,
    /// When it was placed.
    pub placed_at: DateTime<Utc>,
    /// When it lapses by itself, if it does.
    pub until: Option<DateTime<Utc>>,
    /// When it was released, if it was.
    pub released_at: Option<DateTime<Utc>>,
}

impl LegalHold {
    /// Whether the hold applies at `now`: placed, not released, not lapsed.
    pub fn is_active(&self, now: DateTime<Utc>) -> bool {
        self.released_at.is_none() && self.placed_at <= now && self.until.is_none_or(|u| now < u)
    }

    /// The held subject's id, unless they were erased.
    pub fn subject_id(&self) -> Option<&SubjectId> {
        match &self.subject {
            HoldSubject::Subject(s) => Some(s),
            HoldSubject::Erased(_) => None,
        }
    }

    /// Whether the hold binds sweeps and erasure at `now`: not released and not
    /// lapsed. Unlike [`is_active`](Self::is_active) this ignores the placement time,
    /// so a hold placed by a vault whose clock runs ahead still protects.
    pub(crate) fn binds(&self, now: DateTime<Utc>) -> bool {
        self.released_at.is_none() && self.until.is_none_or(|u| now < u)
    }
}

/// A hold cannot be placed or found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HoldError {
    /// The reason is empty or longer than 1,000 bytes.
    #[error(
        "a legal hold needs a reason of 1 to 1,000 bytes (a case reference and the obligation, not personal data)"
    )]
    BadReason,
    /// `until` is not after the time the hold is placed.
    #[error("a legal hold's `until` must be later than now")]
    UntilInPast,
    /// No hold has this id.
    #[error("no legal hold has id {0}")]
    NotFound(HoldId),
    /// The hold was already released.
    #[error("legal hold {0} was already released")]
    AlreadyReleased(HoldId),
    /// Not a hold id.
    #[error("a legal hold id is 32 lowercase hex digits")]
    BadId,
    /// The scope lists a category none of its purposes declares.
    #[error(
        "a legal hold's scope keeps category `{category}`, which none of its purposes declares: add a purpose that uses it (`or_purpose`) or leave it out of `only`"
    )]
    CategoryNotDeclared {
        /// The category's dotted name.
        category: String,
    },
    /// The scope names no purpose or no category.
    #[error(
        "a legal hold's scope must name a purpose and at least one category it declares: a hold that keeps data for nothing cannot be placed"
    )]
    EmptyScope,
}

/// Whether `names` holds a name twice.
fn has_duplicate(names: &[String]) -> bool {
    names
        .iter()
        .enumerate()
        .any(|(i, n)| names[..i].contains(n))
}

/// Checks a hold's reason.
pub(crate) fn check_reason(reason: &str) -> Result<(), HoldError> {
    if reason.trim().is_empty() || reason.len() > 1000 {
        return Err(HoldError::BadReason);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeDelta;

    #[test]
    fn a_hold_is_active_until_released_or_lapsed() {
        let t0 = DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default();
        let mut hold = LegalHold {
            id: HoldId::from_random([7; 16]),
            subject: HoldSubject::Subject(SubjectId::new("cus_1").unwrap()),
            reason: "case 42".into(),
            scope: HoldScope::from_stored(vec!["claims".into()], vec!["user.contact.email".into()])
                .unwrap(),
            placed_at: t0,
            until: Some(t0 + TimeDelta::days(10)),
            released_at: None,
        };
        assert!(!hold.is_active(t0 - TimeDelta::seconds(1)));
        assert!(hold.is_active(t0 + TimeDelta::days(9)));
        assert!(!hold.is_active(t0 + TimeDelta::days(10)));
        hold.until = None;
        assert!(hold.is_active(t0 + TimeDelta::days(1000)));
        hold.released_at = Some(t0);
        assert!(!hold.is_active(t0 + TimeDelta::days(1)));
        assert_eq!(HoldId::parse(hold.id.as_str()), Ok(hold.id.clone()));
        assert_eq!(HoldId::parse("cus_1"), Err(HoldError::BadId));
        assert_eq!(check_reason(" "), Err(HoldError::BadReason));
    }

    #[test]
    fn a_scope_permits_its_purposes_for_its_categories_only() {
        let scope = HoldScope::from_stored(
            vec!["legal-claims".into(), "tax-audit".into()],
            vec!["user.contact.email".into()],
        )
        .unwrap();
        assert!(scope.permits("legal-claims", "user.contact.email"));
        assert!(scope.permits("tax-audit", "user.contact.email"));
        assert!(!scope.permits("marketing", "user.contact.email"));
        assert!(!scope.permits("legal-claims", "user.contact.phone_number"));
        assert!(!scope.covers("user.contact.phone_number"));
        assert_eq!(scope.check(), Ok(()));
        // Narrowing a stored scope to a category it keeps is fine; to another, refused.
        let phones = scope.clone().only::<crate::categories::Phone>();
        assert!(matches!(
            phones.check(),
            Err(HoldError::CategoryNotDeclared { .. })
        ));
        let emails = scope.only::<crate::categories::Email>();
        assert_eq!(emails.categories(), ["user.contact.email"]);
        assert_eq!(emails.check(), Ok(()));
        // A scope stored before schema 9 keeps nothing for anyone and cannot be placed.
        let legacy = HoldScope::from_stored(Vec::new(), Vec::new()).unwrap();
        assert!(!legacy.permits("legal-claims", "user.contact.email"));
        assert_eq!(legacy.check(), Err(HoldError::EmptyScope));
    }

    #[test]
    fn a_purpose_name_that_could_not_be_read_back_cannot_be_placed() {
        for name in ["", "legal\nclaims"] {
            let scope = HoldScope {
                purposes: vec![name.to_owned()],
                categories: vec!["user.contact.email".into()],
                narrowed: false,
                declared: vec!["user.contact.email".into()],
            };
            assert_eq!(scope.check(), Err(HoldError::EmptyScope), "{name:?}");
        }
    }
}
