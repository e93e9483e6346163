//! `use custodian::prelude::*` next to a backend's own globs: its domain types
//! (`Name`, `Email`, `Phone`), an `anyhow`-like `Context` trait and its own `ErrorKind`
//! (as `std::io::ErrorKind` would be). Two globs that
//! export one name make every use of it ambiguous (E0659), so this file compiles only
//! if the prelude exports none of them; and it uses everything the prelude promises.

mod domain {
    /// A customer's name, as the backend models it.
    #[derive(Debug, PartialEq)]
    pub struct Name(pub String);
    /// An email address, as the backend models it.
    #[derive(Debug, PartialEq)]
    pub struct Email(pub String);
    /// A phone number, as the backend models it.
    #[derive(Debug, PartialEq)]
    pub struct Phone(pub String);
}

mod errors {
    /// The backend's own error codes, like `std::io::ErrorKind`.
    #[derive(Debug, PartialEq)]
    pub enum ErrorKind {
        /// Not found.
        NotFound,
    }
    /// Like `anyhow::Context`.
    pub trait Context<T> {
        /// Adds a message to the error.
        fn context(self, message: &str) -> Result<T, String>;
    }
    impl<T, E: std::fmt::Display> Context<T> for Result<T, E> {
        fn context(self, message: &str) -> Result<T, String> {
            self.map_err(|e| format!("{message}: {e}"))
        }
    }
}

use custodian::categories as cat;
use custodian::keys::LocalMasterKey;
use custodian::prelude::*;
use domain::*;
use errors::*;

custodian::purpose! {
    pub struct Receipts { basis: Contract, description: "Email receipts.", uses: [cat::Email] }
}

#[derive(PersonalData)]
#[personal(record = "customer")]
pub struct Customer {
    #[personal(subject)]
    pub id: SubjectId,
    #[personal(retain = "6m")]
    pub email: Personal<String, cat::Email>,
}

/// Uses the prelude's traits as bounds.
fn category_name<P: Purpose + Uses<C>, C: Category>(_: &Access<P>) -> &'static str {
    C::NAME
}

#[test]
fn prelude_glob_imports_beside_domain_types_and_an_anyhow_like_context() {
    // The domain's types, unambiguous.
    let name: Name = Name("Alice".into());
    let email: Email = Email("alice@example.com".into());
    let phone: Phone = Phone("+15550100".into());
    assert_eq!(name, Name("Alice".into()));
    assert_eq!(phone.0, "+15550100");

    // The prelude's types and traits.
    let vault: Vault = Vault::in_memory(LocalMasterKey::generate("kek").unwrap());
    let alice = SubjectId::new("cus_alice").context("subject id").unwrap();
    let customer = Customer {
        id: alice.clone(),
        email: Personal::new(alice.clone(), email.0.clone()),
    };
    let sealed: SealedCustomer = customer.seal(&vault).context("seal").unwrap();
    let one: &Sealed<String, cat::Email> = &sealed.email;
    let access: Access<Receipts> = Access::new(alice, Actor::service("mailer"));
    let opened = sealed.open_email(&vault, &access).context("open").unwrap();
    assert_eq!(opened.read(&access).unwrap(), &email.0);
    assert!(format!("{one:?}").contains("Sealed"));
    let retention: Option<Retention> = <Customer as PersonalData>::FIELDS[0].retention;
    assert_eq!(retention, Retention::from_literal("6m"));
    assert_eq!(
        category_name::<Receipts, cat::Email>(&access),
        cat::Email::NAME
    );
    let refused: Result<(), VaultError> = Err(VaultError::SubjectMismatch);
    assert!(refused.context("checked").is_err());
    // The per-operation errors, and the backend's own ErrorKind beside them.
    let sealing: SealError = SealError::SubjectMismatch;
    let opening: OpenError = OpenError::SubjectMismatch;
    let erasing: AdminError = AdminError::Shredded;
    assert_eq!(sealing.kind(), custodian::ErrorKind::SubjectMismatch);
    assert_eq!(opening.kind(), custodian::ErrorKind::SubjectMismatch);
    assert_eq!(erasing.kind(), custodian::ErrorKind::Shredded);
    assert_eq!(ErrorKind::NotFound, ErrorKind::NotFound);
}
