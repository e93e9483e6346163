//! `Personal<T, C>`: a personal value in memory, readable only under a declared purpose.

use std::fmt;
use std::marker::PhantomData;

use crate::access::{Access, AccessError};
use crate::category::{Category, CategoryInfo};
use crate::plaintext::Plaintext;
use crate::purpose::Uses;
use crate::subject::SubjectId;

/// A plaintext personal value of category `C`, belonging to one data subject.
///
/// It has no `Display`, `Serialize`, `Deref`, `AsRef` or `Borrow`: the only ways to the
/// value are [`read`](Personal::read) and [`map`](Personal::map), which need an
/// [`Access<P>`] whose purpose is declared to use `C` (checked by the compiler) and
/// whose subject is the value's (checked at run time). `Debug` prints
/// `Personal<user.contact.email>(<redacted>)`. The value is wiped when dropped (see
/// [`Plaintext::wipe`]).
///
/// ```
/// use custodian::{Access, Actor, Personal, SubjectId, categories::Email};
/// custodian::purpose! {
///     pub struct Receipts { basis: Contract, description: "Email your receipts.", uses: [Email] }
/// }
/// let alice = SubjectId::new("cus_1")?;
/// let email: Personal<String, Email> = Personal::new(alice.clone(), "alice@example.com".into());
/// assert_eq!(format!("{email:?}"), "Personal<user.contact.email>(<redacted>)");
///
/// let access = Access::<Receipts>::new(alice, Actor::service("mailer"));
/// assert_eq!(email.read(&access)?, "alice@example.com");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Personal<T: Plaintext, C: Category> {
    subject: SubjectId,
    value: T,
    category: PhantomData<fn() -> C>,
}

impl<T: Plaintext, C: Category> Personal<T, C> {
    /// Wraps a value collected from (or about) `subject`.
    pub fn new(subject: SubjectId, value: T) -> Self {
        Personal {
            subject,
            value,
            category: PhantomData,
        }
    }

    /// The data subject the value belongs to.
    pub fn subject(&self) -> &SubjectId {
        &self.subject
    }

    /// The value's category declaration.
    pub fn category(&self) -> CategoryInfo {
        C::INFO
    }

    /// Reads the value for purpose `P`. Compiles only if `P` is declared to use `C`;
    /// fails if `access` is for another subject.
    pub fn read<P: Uses<C>>(&self, access: &Access<P>) -> Result<&T, AccessError> {
        self.check(access)?;
        Ok(&self.value)
    }

    /// Derives something from the value under the same check as [`read`](Self::read),
    /// e.g. a lookup hash of an email. Whatever `f` returns is no longer tracked, so
    /// return only what the purpose needs.
    pub fn map<P: Uses<C>, U>(
        &self,
        access: &Access<P>,
        f: impl FnOnce(&T) -> U,
    ) -> Result<U, AccessError> {
        self.check(access)?;
        Ok(f(&self.value))
    }

    /// Replaces the value (rectification, GDPR Art. 16) under the same check.
    pub fn rectify<P: Uses<C>>(&mut self, access: &Access<P>, value: T) -> Result<(), AccessError> {
        self.check(access)?;
        self.value.wipe();
        self.value = value;
        Ok(())
    }

    fn check<P: Uses<C>>(&self, access: &Access<P>) -> Result<(), AccessError> {
        // Fails the build if the `Uses<C>` was forged (`purpose::checks::Declared`).
        let () = crate::purpose::checks::Declared::<P, C>::CHECK;
        if access.subject() == &self.subject {
            Ok(())
        } else {
            Err(AccessError::SubjectMismatch)
        }
    }

    /// The value without a purpose check, for the crate's own sealing code.
    pub(crate) fn value_unchecked(&self) -> &T {
        &self.value
    }
}

impl<T: Plaintext, C: Category> Drop for Personal<T, C> {
    fn drop(&mut self) {
        self.value.wipe();
    }
}

impl<T: Plaintext + Clone, C: Category> Clone for Personal<T, C> {
    fn clone(&self) -> Self {
        Personal::new(self.subject.clone(), self.value.clone())
    }
}

impl<T: Plaintext, C: Category> fmt::Debug for Personal<T, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Personal<{}>(<redacted>)", C::NAME)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::categories::{Email, Phone};
    use crate::{Actor, purpose};

    purpose! {
        struct Contact { basis: Contract, description: "Contact you.", uses: [Email, Phone] }
    }

    fn subject(s: &str) -> SubjectId {
        SubjectId::new(s).unwrap()
    }

    #[test]
    fn read_checks_the_subject() {
        let email: Personal<String, Email> = Personal::new(subject("a"), "a@example.com".into());
        let own = Access::<Contact>::new(subject("a"), Actor::service("t"));
        let other = Access::<Contact>::new(subject("b"), Actor::service("t"));
        assert_eq!(email.read(&own).unwrap(), "a@example.com");
        assert_eq!(email.read(&other), Err(AccessError::SubjectMismatch));
        assert_eq!(email.map(&own, |e| e.len()).unwrap(), 13);
        assert!(email.map(&other, |e| e.len()).is_err());
    }

    #[test]
    fn debug_is_redacted_and_rectify_is_checked() {
        let mut phone: Personal<String, Phone> = Personal::new(subject("a"), "+15550100".into());
        let dbg = format!("{phone:?} {:#?}", phone);
        assert!(!dbg.contains("555"));
        assert!(dbg.contains("user.contact.phone_number"));
        let other = Access::<Contact>::new(subject("b"), Actor::service("t"));
        assert!(phone.rectify(&other, "+15550199".into()).is_err());
        let own = Access::<Contact>::new(subject("a"), Actor::service("t"));
        phone.rectify(&own, "+15550199".into()).unwrap();
        assert_eq!(phone.read(&own).unwrap(), "+15550199");
    }
}
