//! `#[derive(PersonalData)]` for [custodian](https://docs.rs/custodian): a customer
//! struct's sealed form, its `seal`/`open`, one `open_<field>` per personal field, a
//! redacted `Debug`, and its field inventory.
//!
//! Depend on `custodian` (feature `derive`, on by default), not on this crate: custodian
//! re-exports the derive as `custodian::PersonalData` and pins this crate to its exact
//! version, because the generated code names custodian's hidden, versioned
//! `__private::v1` module.
//!
//! # Example
//!
//! ```
//! use custodian::categories::{Email, Name, Phone};
//! use custodian::keys::LocalMasterKey;
//! use custodian::prelude::*;
//!
//! custodian::purpose! {
//!     /// Running the account: every category in the record.
//!     pub struct AccountService { basis: Contract, description: "Run your account.", uses: [Name, Email, Phone] }
//!     /// Receipts: the email only.
//!     pub struct Receipts { basis: Contract, description: "Email receipts.", uses: [Email] }
//! }
//!
//! #[derive(PersonalData)]
//! #[personal(record = "customer")]               // pin the record type bound into ciphertexts
//! pub struct Customer {
//!     #[personal(subject)]                       // exactly one: whose data this is
//!     pub id: SubjectId,
//!     #[personal(retain = "until_erased")]
//!     pub name: Personal<String, Name>,
//!     #[personal(retain = "6m", rename = "email")] // the name bound into the ciphertext
//!     pub email_address: Personal<String, Email>,
//!     #[personal(retain = "2y")]
//!     pub phone: Option<Personal<String, Phone>>,  // optional fields work
//!     pub plan: String,                          // plain fields are copied as they are
//! }
//!
//! let vault = Vault::in_memory(LocalMasterKey::generate("kek")?);
//! let alice = SubjectId::new("cus_1")?;
//! let customer = Customer {
//!     id: alice.clone(),
//!     name: Personal::new(alice.clone(), "Alice".to_string()),
//!     email_address: Personal::new(alice.clone(), "alice@example.com".to_string()),
//!     phone: None,
//!     plan: "gold".to_string(),
//! };
//!
//! let sealed: SealedCustomer = customer.seal(&vault)?;         // store this (serde: JSON-ready)
//! let account = Access::<AccountService>::new(alice.clone(), Actor::service("crm"));
//! let whole: Customer = sealed.open(&vault, &account)?;        // purpose must use every category
//! let receipts = Access::<Receipts>::new(alice, Actor::service("mailer"));
//! let email = sealed.open_email_address(&vault, &receipts)?;   // needs only Email
//! assert_eq!(email.read(&receipts)?, "alice@example.com");
//! assert_eq!(whole.plan, "gold");
//! for f in Customer::FIELDS { println!("{} {} {:?}", f.name, f.category.name, f.retention); }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # What is generated
//!
//! For `struct Customer`:
//!
//! - `SealedCustomer`: the same field names and visibility, `Sealed<T, C>` for each
//!   `Personal<T, C>` field and `Option<Sealed<T, C>>` for each `Option<Personal<T, C>>`,
//!   the subject and plain fields as they are. Derives `Clone`, `Debug`, and serde's
//!   `Serialize`/`Deserialize` unless `no_serde`.
//! - `Customer::seal(&self, &Vault) -> Result<SealedCustomer, VaultError>`: every
//!   personal field sealed under the subject's key, with one collection time.
//! - `SealedCustomer::open(&self, &Vault, &Access<P>)`: compiles only when the purpose
//!   `P` is declared to use every category in the record.
//! - `SealedCustomer::open_<field>(&self, &Vault, &Access<P>)`: one field, needing only
//!   its category.
//! - `impl PersonalData for Customer`: `RECORD`, `FIELDS` (name, category, retention,
//!   optional of each personal field) and `type Sealed`.
//! - `impl Debug for Customer` printing personal fields redacted, unless `no_debug`.
//!
//! # Attributes
//!
//! On the struct, `#[personal(...)]`:
//!
//! - `record = "customer"`: the record type bound into every ciphertext (default: the
//!   struct's name). Pin it before storing data, so renaming the struct keeps old
//!   values readable.
//! - `no_serde`: the sealed struct does not derive serde. Each plain field must then be
//!   `Serialize` (the proof that it holds no `Personal`) or be marked `plain`.
//! - `no_debug`: no `Debug` impl; write or derive your own. A `#[derive(Debug)]` prints
//!   personal fields through `Personal`'s own `Debug`, which is redacted.
//! - `crate = "path"`: where custodian is, if not found under its own or renamed name.
//! - `retain = "..."`: the retention of every `Personal` field that declares none.
//!
//! On a field:
//!
//! - `subject`: the record's `SubjectId`; exactly one field.
//! - `retain = "30d"`: retention from collection (`"30d"`, `"6m"`, `"7y"`), from the
//!   end of the calendar year of collection (`"8y from end of year"`, in UTC, or
//!   `"8y from end of year +01:00"`, in the zone with that offset at New Year), or
//!   `"until_erased"`; checked at compile time. Every `Personal` field needs one, on
//!   the field or the struct: an undeclared retention never means "until erased"
//!   (GDPR Art. 25(2)).
//! - `rename = "email"`: the field name bound into the ciphertext (1 to 255 bytes). Two
//!   personal fields may not be bound to one name, nor a renamed field to another
//!   field's name: they would share a context, and a swapped ciphertext would open.
//! - `plain`: on a plain field, vouches that it holds no personal data (needed only under
//!   `no_serde`, for a type that is not `Serialize`).
//!
//! A record without serde, with a `Debug` of its own and a plain field that is not
//! `Serialize`:
//!
//! ```
//! use custodian::categories::Email;
//! use custodian::prelude::*;
//!
//! /// A type of the application's own: holds no personal data, and is not `Serialize`.
//! #[derive(Clone, Debug)]
//! pub struct Tier(u8);
//!
//! #[derive(PersonalData, Debug)]                // `Personal`'s own `Debug` is redacted
//! #[personal(no_serde, no_debug, retain = "1y")] // `retain` here: every field's default
//! pub struct Lead {
//!     #[personal(subject)]
//!     pub id: SubjectId,
//!     pub email: Personal<String, Email>,
//!     #[personal(plain)]                         // your claim, visible in review
//!     pub tier: Tier,
//! }
//!
//! let id = SubjectId::new("lead_1")?;
//! let lead = Lead { id: id.clone(), email: Personal::new(id, "bob@example.com".into()), tier: Tier(2) };
//! assert!(!format!("{lead:?}").contains("bob@example.com"));
//! assert_eq!(Lead::FIELDS[0].retention, Retention::from_literal("1y"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! A mistake is reported at its token, all of them in one build:
//!
//! ```compile_fail
//! use custodian::categories::Email;
//! use custodian::prelude::*;
//!
//! #[derive(PersonalData)]
//! pub struct NoRetention {
//!     #[personal(subject)]
//!     pub id: SubjectId,
//!     pub email: Personal<String, Email>, // error: `email` declares no retention
//! }
//! ```
//!
//! # Errors
//!
//! Every mistake in the input is reported in one build, each at its token. With the
//! errors the derive still emits the sealed struct and the methods above (bodies that
//! cannot run, since the build fails), so the code that uses them reports no follow-on
//! errors: one mistake, one error.
//!
//! A plain field whose resolved type holds a `Personal` (through an alias, a type
//! macro, a std container or, under serde, anything `Serialize` looks into) does not
//! compile: the derive never copies a personal value in clear. custodian's
//! `docs/derive.md` gives the rule and its one limit.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod ast;
mod attr;
mod errors;
mod expand;
mod fallback;
mod valid;

use proc_macro::TokenStream;
use syn::{DeriveInput, parse_macro_input};

use crate::errors::Errors;

/// Derives the sealed form, `seal`, `open`, `open_<field>`, a redacted `Debug` and the
/// field inventory of a struct with personal fields.
///
/// On the struct, `#[personal(record = "...", retain = "...", no_serde, no_debug,
/// crate = "...")]`; on a field, `#[personal(subject)]` (exactly one),
/// `#[personal(retain = "...", rename = "...")]` on a `Personal<T, C>` or
/// `Option<Personal<T, C>>` field, `#[personal(plain)]` on a plain one. What each
/// attribute does, what is generated and the errors are in the
/// [crate docs](https://docs.rs/custodian-derive) and in custodian's manual
/// (`custodian::manual::derive`).
#[proc_macro_derive(PersonalData, attributes(personal))]
pub fn derive_personal_data(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    let mut errors = Errors::default();
    let attrs = attr::record(&input.attrs, &mut errors);
    let Some(fields) = ast::fields(&input, &mut errors) else {
        // `ast::fields` recorded why the input has no named fields.
        return match errors.finish() {
            Some(e) => fallback::expand(&input, &attrs, None, e),
            None => proc_macro2::TokenStream::new(),
        }
        .into();
    };
    let record = ast::Record {
        input: &input,
        attrs,
        fields,
    };
    valid::check(&record, &mut errors);
    match errors.finish() {
        None => expand::expand(&record),
        Some(e) => fallback::expand(&input, &record.attrs, Some(&record.fields), e),
    }
    .into()
}
