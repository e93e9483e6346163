//! # custodian
//!
//! Privacy by design for Rust backends. Companies hold their customers' data as
//! custodians, not owners; custodian turns the duties that follow (GDPR, CCPA) into
//! types the compiler checks and evidence the code keeps.
//!
//! ## Five minutes
//!
//! `cargo run --example quickstart` runs the whole job on the embedded SQLite store.
//! In your code it comes down to four steps: declare why you process personal data
//! ([`purpose!`](macro@purpose)), mark the personal fields of your records
//! ([`#[derive(PersonalData)]`](derive@PersonalData)), seal them with a [`Vault`]
//! before they reach your tables, and open them under an [`Access`] for a purpose
//! that is declared to use them. Retention and erasure then work by destroying keys.
//!
//! ```
//! use custodian::categories::{Email, Name};
//! use custodian::keys::LocalMasterKey;
//! use custodian::prelude::*;
//!
//! custodian::purpose! {
//!     /// Invoices for orders: the contract is the lawful basis.
//!     pub struct Billing { basis: Contract, description: "Invoice your orders.", uses: [Name, Email] }
//! }
//!
//! #[derive(PersonalData)]
//! #[personal(record = "customer")]
//! pub struct Customer {
//!     #[personal(subject)]
//!     pub id: SubjectId,
//!     #[personal(retain = "until_erased")]
//!     pub name: Personal<String, Name>,
//!     #[personal(retain = "2y")]
//!     pub email: Personal<String, Email>,
//!     pub plan: String,
//! }
//!
//! // In production: a master key from your KMS and `custodian::sqlite::SqliteStore`.
//! let vault = Vault::in_memory(LocalMasterKey::generate("kek")?);
//! let alice = SubjectId::new("cus_1")?;
//! let customer = Customer {
//!     id: alice.clone(),
//!     name: Personal::new(alice.clone(), "Alice".to_string()),
//!     email: Personal::new(alice.clone(), "alice@example.com".to_string()),
//!     plan: "gold".to_string(),
//! };
//! let row: SealedCustomer = customer.seal(&vault)?; // store this: personal fields are ciphertext
//!
//! let billing = Access::<Billing>::new(alice.clone(), Actor::service("invoicer"));
//! let back = row.open(&vault, &billing)?;
//! assert_eq!(back.email.read(&billing)?, "alice@example.com");
//!
//! // Sweeps, erasure, holds and rotation: on an operator handle, audited as its actor.
//! let dpo = vault.operator(Actor::staff("emp-7", "privacy-officer"));
//! dpo.sweep()?; // daily: destroys the keys of the days that have ended
//! dpo.erase(&alice)?; // on request: her keys are gone, every copy of `row` is unreadable
//! assert!(row.open(&vault, &billing).is_err());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The manual ([`manual`]) explains each part; the rest of this page is a tour.
//!
//! ## A tour
//!
//! - **Categories** say what kind of personal data a value is
//!   ([`categories::Email`], [`categories::Health`], your own with [`category!`]).
//! - **Purposes** say why it is processed, on which lawful basis, and which categories
//!   they use ([`purpose!`](macro@purpose)). Special categories need an Art. 9(2)
//!   condition, criminal-offence data an Art. 10 authorisation, and a ground whose text
//!   demands a law names it, or the declaration does not compile. Categories also say
//!   whether they are CCPA sensitive personal information.
//! - A [`Personal<T, C>`] holds a value of category `C`. It cannot be printed,
//!   serialized or dereferenced; [`Personal::read`] needs an [`Access<P>`], and the
//!   compiler rejects a purpose `P` not declared to use `C`.
//! - An [`Access<P>`] names the subject and the [`Actor`]. For a purpose based on
//!   consent, only the [`ConsentLedger`](consent::ConsentLedger) grants one, after
//!   checking the evidence: given, not withdrawn, not expired, current notice.
//! - The ledger's evidence lives in a [`ConsentStore`](consent::ConsentStore): in
//!   memory, or the embedded SQLite [`SqliteStore`](sqlite::SqliteStore).
//! - The [`Vault`] seals a `Personal<T, C>` into a [`Sealed<T, C>`] for your tables:
//!   AES-256-GCM under a key of that subject's own, bound to its [`Context`] (record
//!   type, field, category). [`Vault::open`] needs an `Access<P>` with `P: Uses<C>`;
//!   [`Operator::shred`] deletes the subject's keys, so the sealed contents of their
//!   fields can no longer be opened, in any copy, once no key-store backup still holds
//!   those keys. What was not sealed stays readable: the subject id and dates in each
//!   header, plain fields, consent evidence (below, "Keys apart from evidence"). Keys
//!   live in a [`KeyStore`](keys::KeyStore), wrapped by a
//!   [`MasterKey`](keys::MasterKey).
//! - Every sealed value carries its collection time and expiry (its field's
//!   [`Retention`]); [`Vault::open`] refuses it once expired, and [`Operator::sweep`]
//!   destroys the key of each day that has ended. A [`LegalHold`](retention::LegalHold)
//!   ([`Operator::hold`]) keeps a subject's data past its retention for the purposes it
//!   names, refuses it to every other purpose, and blocks [`Operator::erase`], which
//!   otherwise returns an [`ErasureReceipt`](retention::ErasureReceipt). See
//!   [`retention`].
//! - An [`AuditTrail`](audit::AuditTrail) records every open (allowed or refused),
//!   consent, hold, erasure and rotation, with subjects as keyed pseudonyms (still
//!   personal data, Recital 26), in a SHA-256 chain with signed checkpoints
//!   ([`audit`]). [`Vault::access_history`] shows a subject when and for which purpose
//!   their data was used, with staff by role, not identity.
//!
//! The compiler checks that every read is **consistent with the declarations**: a
//! purpose reads only the categories it declares, and its legal grounds are complete.
//! It cannot check that a declared category is necessary (data minimisation,
//! Art. 5(1)(c)) or that a declared ground applies: those stay your judgement
//! ([`manual::compliance`]).
//!
//! ```
//! use chrono::Utc;
//! use custodian::categories::{Email, Name};
//! use custodian::consent::{Channel, ConsentLedger, ConsentMethod, Evidence};
//! use custodian::{Access, Actor, Personal, SubjectId};
//!
//! custodian::purpose! {
//!     /// Invoices for orders.
//!     pub struct Billing { basis: Contract, description: "Invoice your orders.", uses: [Name, Email] }
//!     /// Offers by email, on consent.
//!     pub struct Offers { basis: Consent, description: "Email you offers.", uses: [Email] }
//! }
//!
//! let alice = SubjectId::new("cus_1")?;
//! let email: Personal<String, Email> = Personal::new(alice.clone(), "alice@example.com".into());
//!
//! // Contract: access is granted directly.
//! let billing = Access::<Billing>::new(alice.clone(), Actor::service("invoicer"));
//! assert_eq!(email.read(&billing)?, "alice@example.com");
//!
//! // Consent: only through the ledger, and only once consent is recorded.
//! let ledger = ConsentLedger::in_memory();
//! assert!(ledger.access::<Offers>(&alice, Actor::service("mailer")).is_err());
//! // The notice's exact text is registered for the purpose, then consent is recorded
//! // (dated by the ledger's clock).
//! let notice = ledger.register_notice::<Offers>("offers", 1, "Email me offers.")?;
//! ledger.give::<Offers>(&alice, Evidence::new(notice, ConsentMethod::TickedCheckbox, Channel::Web))?;
//! let offers = ledger.access::<Offers>(&alice, Actor::service("mailer"))?;
//! assert_eq!(email.read(&offers)?, "alice@example.com");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Keys apart from evidence
//!
//! Erasure and retention work by destroying keys, so a backup of the key store taken
//! before an erasure brings the erased subject's data back. Consent evidence and the
//! audit trail, on the other hand, are kept for years. In one SQLite file (the simplest
//! setup) every backup of that evidence carries the keys with it. Give the vault a
//! store file of its own, back it up apart and keep those backups for days; put the
//! consent ledger and the audit trail in another:
//!
//! ```
//! # #[cfg(feature = "sqlite")] { // the example needs the SQLite store
//! use std::sync::Arc;
//! use custodian::audit::AuditTrail;
//! use custodian::consent::{ConsentLedger, EvidenceKey};
//! use custodian::keys::LocalMasterKey;
//! use custodian::sqlite::SqliteStore;
//! use custodian::{Actor, Context, OpenError, Personal, Retention, SubjectId, Vault, categories::Email};
//!
//! # let dir = tempfile::tempdir()?;
//! # let (keys_path, evidence_path) = (dir.path().join("keys.db"), dir.path().join("evidence.db"));
//! // Subject keys, day keys, pseudonym secrets, holds: backed up apart, kept for days.
//! let keys = SqliteStore::open(&keys_path)?;
//! // Consent evidence and the audit trail: kept for years, backed up with your data.
//! let evidence = SqliteStore::open(&evidence_path)?;
//!
//! let trail = Arc::new(AuditTrail::new(evidence.clone())?);
//! let vault = Arc::new(
//!     Vault::builder(LocalMasterKey::generate("kek")?, keys)
//!         .audit(Arc::clone(&trail))
//!         .build(),
//! );
//! let ledger = ConsentLedger::new(evidence, EvidenceKey::generate()?)?.audited(Arc::clone(&vault));
//! // Create the receipts' reference secret at setup, so every key-store backup holds it
//! // and erasures can be replayed after a restore (the manual's retention chapter).
//! let alice = SubjectId::new("cus_1")?;
//! vault.subject_ref(&alice)?;
//!
//! let ctx = Context::<Email>::new("customer", "email")?.retain(Retention::Years(2));
//! let sealed = vault.seal(&Personal::new(alice.clone(), "alice@example.com".to_string()), &ctx)?;
//! let receipt = vault.operator(Actor::service("privacy-desk")).erase(&alice)?;
//! assert_eq!(receipt.subject, vault.subject_ref(&alice)?);
//! # custodian::purpose! { pub struct Receipts { basis: Contract, description: "Email receipts.", uses: [Email] } }
//! # let access = custodian::Access::<Receipts>::new(alice.clone(), Actor::service("mailer"));
//! assert!(matches!(vault.open(&sealed, &ctx, &access), Err(OpenError::Shredded)));
//! # drop(ledger);
//! # }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Erasure makes sealed contents unreadable and nothing else: subject ids, plain
//! fields, dates, consent evidence and hold records remain, and are personal data
//! ([`manual::retention`], "Erasure"; [`manual::compliance`]).
//!
//! ## Where things are
//!
//! The types every use touches are at the crate root ([`Personal`], [`Access`],
//! [`Vault`], [`Sealed`], [`Context`], [`SubjectId`], [`Retention`], their errors) and,
//! for a glob import next to your own names, in [`prelude`]. A module is public where
//! its names read best with it: the law's vocabulary ([`basis`], [`condition`],
//! [`categories`]) and each concern's setup and operations ([`consent`], [`keys`],
//! [`retention`], [`audit`], [`store`]). The sealed format's primitives are not public:
//! only the vault seals, with nonces of its own. The crates in custodian's signatures
//! are re-exported ([`secrecy`], [`zeroize`]), so you never match their versions by
//! hand.
//!
//! ## The manual
//!
//! The design manual is part of these docs, in [`manual`] (the same text as
//! `docs/*.md` in the repository):
//!
//! - [`manual::concepts`]: the vocabulary and its GDPR/CCPA articles;
//! - [`manual::compliance`]: each duty covered, and what stays yours;
//! - [`manual::architecture`]: what the compiler enforces, what is checked at run
//!   time, and the decisions taken;
//! - [`manual::consent`], [`manual::retention`] (holds, erasure, sweeps) and
//!   [`manual::audit`]: one concern each;
//! - [`manual::crypto`]: the threat model and key handling;
//! - [`manual::format`]: the sealed format, byte by byte, with test vectors;
//! - [`manual::derive`]: `#[derive(PersonalData)]` and every attribute;
//! - [`manual::performance`]: measured costs against raw `ring`.

#![forbid(unsafe_code)]
#![deny(missing_docs)]
// A type in a public signature must be nameable: re-exported, not left in a private
// module where a user cannot write it down.
#![warn(unnameable_types)]
// On docs.rs, each item that needs a feature says which.
#![cfg_attr(docsrs, feature(doc_cfg))]

// Public modules are namespaces a user names: the legal vocabulary (`basis`,
// `categories`, `condition`), the setup and operations of each concern (`audit`,
// `consent`, `keys`, `retention`, `store`), the backends (`memory`, `sqlite`) and the
// conformance suites a backend runs (`testkit`). Everything else is an internal module whose
// public items are re-exported below, so the crate's layout can change without breaking
// a user's `use` lines, and the sealed format's primitives (which take a caller's nonce)
// stay inside the crate.
mod access;
pub mod audit;
pub mod basis;
mod bytes;
pub mod categories;
mod category;
pub mod condition;
pub mod consent;
mod error;
mod expansion;
mod format;
mod hex;
pub mod keys;
pub mod manual;
pub mod memory;
mod personal;
mod plaintext;
mod purpose;
mod record;
pub mod retention;
mod sealed;
#[cfg(feature = "sqlite")]
pub mod sqlite;
pub mod store;
mod subject;
#[cfg(feature = "testkit")]
pub mod testkit;
#[cfg(test)]
mod unit_tests;
mod vault;

/// Seals that only this crate implements: nothing outside it can name them.
#[allow(unnameable_types)] // the point of a seal: reachable as a supertrait, never named
mod private {
    /// Keeps the lawful bases, Art. 9(2) conditions and Art. 10 authorisations the
    /// law's, not the user's.
    pub trait Sealed {}

    /// The lawful bases other than consent; the supertrait that seals
    /// [`WithoutConsent`](crate::WithoutConsent).
    #[diagnostic::on_unimplemented(
        message = "`{Self}` is consent, and no impl can make it otherwise: `WithoutConsent` is sealed",
        label = "an `Access` for a consent purpose can only come from the consent ledger",
        note = "call `ConsentLedger::access`, which checks that consent was given, is not withdrawn or expired, and covers the current notice; if the purpose does not rest on consent, change its `basis` in `purpose!`"
    )]
    pub trait NotConsent {}

    /// Implemented by nothing: the supertrait of
    /// [`PermitsCategory`](crate::condition::PermitsCategory).
    #[diagnostic::on_unimplemented(
        message = "an Art. 9 condition cannot be granted by an impl: `PermitsCategory` is sealed and implemented by nothing",
        label = "a purpose may use a special category only if its `purpose!` declaration names an Art. 9(2) condition (criminal-offence data: an Art. 10 authorisation)",
        note = "if the law allows the processing, add an Art. 9(2) condition such as `condition: ExplicitConsent,` or `condition: HealthOrSocialCare {{ law: \"...\" }},` (see `custodian::condition`), or for criminal-offence data `art10: ...`, to the purpose's `purpose!` declaration"
    )]
    pub trait NoImpl {}
}

pub use access::{
    Access, AccessError, Actor, ActorKind, ActorPart, CONSENT_ACCESS_VALIDITY_SECONDS,
    InvalidActor, MAX_ACTOR_ID_LEN,
};
pub use basis::{Basis, LawfulBasis, WithoutConsent};
pub use category::{Category, CategoryInfo, CcpaSensitive, Sensitivity};
pub use condition::{Art9Condition, Art10Authorisation, Condition};
pub use error::{BoxError, Cause, ErrorKind};
pub use format::{Dates, FormatError, Header, NEVER, NO_EPOCH};
pub use personal::Personal;
pub use plaintext::{Json, Plaintext, PlaintextError, wipe_bytes};
pub use purpose::{AuthorisationInfo, ConditionInfo, Purpose, PurposeInfo, Uses};
pub use record::{FieldInfo, PersonalData};
pub use retention::Retention;

/// `#[derive(PersonalData)]`: see [`manual::derive`] and [`PersonalData`](trait@PersonalData).
#[cfg(feature = "derive")]
pub use custodian_derive::PersonalData;
pub use sealed::{Context, ContextError, Sealed};
pub use subject::{InvalidSubjectId, MAX_SUBJECT_ID_LEN, SubjectId};
pub use vault::{
    AdminError, OpenError, Operator, RewrapReport, SealError, ShredReport, SweepReport, Vault,
    VaultBuilder, VaultError, VaultStore,
};

/// The `secrecy` crate, as custodian uses it: key material passed in by value
/// ([`keys::LocalMasterKey::from_bytes`], [`consent::EvidenceKey::from_bytes`]) is a
/// `secrecy::SecretBox`; name it through this re-export and never need a matching
/// version in your own `Cargo.toml`.
pub use secrecy;
/// The `zeroize` crate, as custodian uses it: the plaintext buffers of
/// [`Plaintext::decode_owned`] and the unwrapped keys of a [`keys::MasterKey`] are
/// `zeroize::Zeroizing`, wiped on drop; name them through this re-export.
pub use zeroize;

/// What code generated by custodian's macros refers to. Not public API.
///
/// `#[derive(PersonalData)]` is another crate, so what it names is versioned (`v1`), as
/// thiserror does: a derive and a custodian that disagree fail to build with a missing
/// path instead of generating code for another version's helpers. The `Cargo.toml`
/// pins `custodian-derive` to the exact version too. `purpose!` and `category!` are
/// `macro_rules!` of this crate (`$crate`), so they always match it; their seal is
/// versioned all the same (`seal_v1`).
///
/// Only re-exports, here in the crate root: each item lives with the concept it serves
/// (the seals beside the traits they seal), so no module depends on this one.
#[doc(hidden)]
pub mod __private {
    /// Seals of the traits whose impls are legal claims, named by custodian's macros
    /// (`docs/architecture.md`, "Sealed traits"). Not public API: the module name is
    /// versioned and may change in any release, and an impl written by hand makes a
    /// claim custodian has not checked (the declaration and its record of processing
    /// would disagree).
    pub mod seal_v1 {
        pub use crate::category::DeclaredCategory;
        pub use crate::purpose::DeclaredUse;
    }

    /// The compile-time checks `purpose!` and `category!` expand to: `const fn`s over
    /// sealed declarations, so no impl in user code satisfies them.
    pub mod checks_v1 {
        pub use crate::category::{builtin_name, unlike_restricted_parent, valid_category_name};
        pub use crate::purpose::checks::*;
    }

    pub use crate::expansion::v1;
}

/// The README's tour, compiled and run as a doc test so that it cannot go stale.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

/// The names every user of custodian needs, for `use custodian::prelude::*;` next to a
/// backend's own globs: traits, the core types and the derive, nothing that clashes.
///
/// Not in it, by decision: the categories (`Name`, `Email`, `Phone` are also domain
/// types; write `use custodian::categories::{Email, Name};` or
/// `use custodian::categories as cat;`), [`Context`] (clashes with `anyhow::Context`;
/// `use custodian::Context;` where you seal by hand), the macros (`custodian::purpose!`,
/// `custodian::category!` read better by path), and setup types such as
/// `LocalMasterKey` or the consent ledger, which one module names, not every one.
///
/// The per-operation errors ([`SealError`], [`OpenError`], [`AdminError`]) are in it,
/// beside [`VaultError`]: a caller matches on them wherever it seals or opens, and no
/// common crate exports those names. [`ErrorKind`] is not: `std::io::ErrorKind` and
/// many crates' own `ErrorKind` would clash with it under two globs; write
/// `custodian::ErrorKind` (or `err.kind().code()`).
pub mod prelude {
    pub use crate::PersonalData;
    pub use crate::{
        Access, Actor, AdminError, Category, OpenError, Personal, Purpose, Retention, SealError,
        Sealed, SubjectId, Uses, Vault, VaultError,
    };
}
