//! # custodian
//!
//! Privacy by design for Rust backends. Companies hold their customers' data as
//! custodians, not owners; custodian turns the duties that follow (GDPR, CCPA) into
//! types the compiler checks and evidence the code keeps.
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
//!   [`Vault::shred`] deletes the subject's keys, so the sealed contents of their
//!   fields can no longer be opened, in any copy, once no key-store backup still holds
//!   those keys. What was not sealed stays readable: the subject id and dates in each
//!   header, plain fields, consent evidence (below, "Keys apart from evidence"). Keys
//!   live in a [`KeyStore`](keys::KeyStore), wrapped by a
//!   [`MasterKey`](keys::MasterKey).
//! - Every sealed value carries its collection time and expiry (its field's
//!   [`Retention`]); [`Vault::open`] refuses it once expired, and [`Vault::sweep`]
//!   destroys the key of each day that has ended. A [`LegalHold`](retention::LegalHold)
//!   ([`Vault::hold`]) keeps a subject's data past its retention for the purposes it
//!   names, refuses it to every other purpose, and blocks [`Vault::erase`], which
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
//! (`docs/compliance.md`).
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
//! assert!(ledger.access::<Offers>(&alice, Actor::service("mailer"), Utc::now()).is_err());
//! // The notice's exact text is registered for the purpose, then consent is recorded
//! // (dated by the ledger's clock).
//! let notice = ledger.register_notice::<Offers>("offers", 1, "Email me offers.")?;
//! ledger.give::<Offers>(&alice, Evidence::new(notice, ConsentMethod::TickedCheckbox, Channel::Web))?;
//! let offers = ledger.access::<Offers>(&alice, Actor::service("mailer"), Utc::now())?;
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
//! use std::sync::Arc;
//! use custodian::audit::AuditTrail;
//! use custodian::consent::{ConsentLedger, EvidenceKey};
//! use custodian::keys::LocalMasterKey;
//! use custodian::sqlite::SqliteStore;
//! use custodian::{Actor, Context, Personal, Retention, SubjectId, Vault, VaultError, categories::Email};
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
//!         .operator(Actor::service("privacy-desk"))
//!         .build(),
//! );
//! let ledger = ConsentLedger::new(evidence, EvidenceKey::generate()?)?.audited(Arc::clone(&vault));
//! // Create the receipts' reference secret at setup, so every key-store backup holds it
//! // and erasures can be replayed after a restore (`docs/retention.md`).
//! let alice = SubjectId::new("cus_1")?;
//! vault.subject_ref(&alice)?;
//!
//! let ctx = Context::<Email>::new("customer", "email")?.retain(Retention::Years(2));
//! let sealed = vault.seal(&Personal::new(alice.clone(), "alice@example.com".to_string()), &ctx)?;
//! let receipt = vault.erase(&alice)?;
//! assert_eq!(receipt.subject, vault.subject_ref(&alice)?);
//! # custodian::purpose! { pub struct Receipts { basis: Contract, description: "Email receipts.", uses: [Email] } }
//! # let access = custodian::Access::<Receipts>::new(alice.clone(), Actor::service("mailer"));
//! assert!(matches!(vault.open(&sealed, &ctx, &access), Err(VaultError::Shredded)));
//! # drop(ledger);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Erasure makes sealed contents unreadable and nothing else: subject ids, plain
//! fields, dates, consent evidence and hold records remain, and are personal data
//! (`docs/retention.md`, "Erasure"; `docs/compliance.md`).
//!
//! What the compiler enforces and what is checked at run time is written down in
//! `docs/architecture.md`; the vocabulary and its GDPR/CCPA articles in
//! `docs/concepts.md`; each duty covered, and what stays yours, in
//! `docs/compliance.md`; the threat model and key handling in `docs/crypto.md`; the
//! sealed format, with test vectors, in `docs/format.md`; retention, holds and erasure
//! in `docs/retention.md`; the audit trail in `docs/audit.md`.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod access;
pub mod audit;
pub mod basis;
mod bytes;
pub mod categories;
pub mod category;
pub mod condition;
pub mod consent;
pub mod format;
mod hex;
pub mod keys;
pub mod memory;
pub mod personal;
pub mod plaintext;
pub mod purpose;
pub mod record;
pub mod retention;
pub mod sealed;
#[cfg(feature = "sqlite")]
pub mod sqlite;
pub mod store;
pub mod subject;
#[cfg(feature = "testkit")]
pub mod testkit;
pub mod vault;

/// Seals that only this crate implements: nothing outside it can name them.
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

pub use access::{Access, AccessError, Actor, ActorKind};
pub use basis::{Basis, LawfulBasis, WithoutConsent};
pub use category::{Category, CategoryInfo, Sensitivity};
pub use condition::{Art9Condition, Art10Authorisation, Condition};
pub use personal::Personal;
pub use plaintext::{Json, Plaintext, PlaintextError};
pub use purpose::{AuthorisationInfo, ConditionInfo, Purpose, PurposeInfo, Uses};
pub use record::{FieldInfo, PersonalData};
pub use retention::Retention;

/// `#[derive(PersonalData)]`: see `docs/derive.md` and [`record`].
#[cfg(feature = "derive")]
pub use custodian_derive::PersonalData;
pub use sealed::{Context, Sealed};
pub use subject::{InvalidSubjectId, SubjectId};
pub use vault::{Vault, VaultBuilder, VaultError};

/// What code generated by custodian's macros refers to. Not public API.
///
/// `#[derive(PersonalData)]` is another crate, so what it names is versioned (`v1`), as
/// thiserror does: a derive and a custodian that disagree fail to build with a missing
/// path instead of generating code for another version's helpers. The `Cargo.toml`
/// pins `custodian-derive` to the exact version too. `purpose!` and `category!` are
/// `macro_rules!` of this crate (`$crate`), so they always match it; their seal is
/// versioned all the same (`seal_v1`).
#[doc(hidden)]
pub mod __private {
    /// Seals of the traits whose impls are legal claims, named by custodian's macros
    /// (`docs/architecture.md`, "Sealed traits"). Not public API: the module name is
    /// versioned and may change in any release, and an impl written by hand makes a
    /// claim custodian has not checked (the declaration and its record of processing
    /// would disagree).
    pub mod seal_v1 {
        /// Written by `purpose!` beside each `Uses<C>`, from the same `uses: [...]`
        /// list as the purpose's `CATEGORIES`; the supertrait that seals
        /// [`Uses`](crate::Uses).
        #[diagnostic::on_unimplemented(
            message = "purpose `{Self}` does not declare `{C}` in its `purpose!`: `Uses<{C}>` cannot be implemented by hand",
            label = "`Uses` is sealed: only `purpose!` implements it, from its `uses: [...]` list",
            note = "add `{C}` to the `uses: [...]` list of `{Self}` in its `purpose!` declaration, so that its record of processing (`{Self}::INFO`) lists it too"
        )]
        pub trait DeclaredUse<C> {}

        /// Written by `category!` beside each `Category` impl; the supertrait that seals
        /// [`Category`](crate::Category), so a category's name and sensitivity come from a
        /// declaration `category!` checked (a valid name, not a built-in's).
        #[diagnostic::on_unimplemented(
            message = "`{Self}` is not declared with `category!`: `Category` cannot be implemented by hand",
            label = "`Category` is sealed: only `category!` implements it",
            note = "declare the category with `custodian::category! {{ pub struct {Self} {{ name: \"...\", description: \"...\" }} }}`; a name of a built-in category (`custodian::categories`) is refused there, use the built-in type instead"
        )]
        pub trait DeclaredCategory {}
    }

    /// What `#[derive(PersonalData)]` 0.1 generates code against.
    pub mod v1 {
        pub use serde;
        pub use std::sync::LazyLock;

        /// Checks a field type that `#[derive(PersonalData)]` passes through as plain: it
        /// must not hold a [`Personal`] the derive did not recognise by its spelling (an
        /// alias, a type macro, a collection). See `docs/derive.md`.
        pub mod plain {
            use crate::{Category, Personal, Plaintext};
            use std::marker::PhantomData;

            /// A type that holds a [`Personal`]: itself, or one inside a std container of
            /// one type parameter (and map values). Tuples and `Result` cannot be listed
            /// (any position may hold it, and impls for each would overlap); the
            /// structural `Serialize` check catches them (`docs/derive.md`).
            pub trait HoldsPersonal {}
            impl<T: Plaintext, C: Category> HoldsPersonal for Personal<T, C> {}
            impl<T: HoldsPersonal> HoldsPersonal for Option<T> {}
            impl<T: HoldsPersonal> HoldsPersonal for Vec<T> {}
            impl<T: HoldsPersonal> HoldsPersonal for std::collections::VecDeque<T> {}
            impl<T: HoldsPersonal + ?Sized> HoldsPersonal for Box<T> {}
            impl<T: HoldsPersonal + ?Sized> HoldsPersonal for std::rc::Rc<T> {}
            impl<T: HoldsPersonal + ?Sized> HoldsPersonal for std::sync::Arc<T> {}
            impl<T: HoldsPersonal, const N: usize> HoldsPersonal for [T; N] {}
            impl<T: HoldsPersonal> HoldsPersonal for [T] {}
            impl<K, V: HoldsPersonal, S> HoldsPersonal for std::collections::HashMap<K, V, S> {}
            impl<K, V: HoldsPersonal> HoldsPersonal for std::collections::BTreeMap<K, V> {}
            impl<T: HoldsPersonal, S> HoldsPersonal for std::collections::HashSet<T, S> {}
            impl<T: HoldsPersonal> HoldsPersonal for std::collections::BTreeSet<T> {}
            impl<T: HoldsPersonal> HoldsPersonal for std::collections::BinaryHeap<T> {}
            impl<T: HoldsPersonal> HoldsPersonal for std::collections::LinkedList<T> {}
            impl<T: HoldsPersonal + ?Sized> HoldsPersonal for std::cell::Cell<T> {}
            impl<T: HoldsPersonal + ?Sized> HoldsPersonal for std::cell::RefCell<T> {}
            impl<T: HoldsPersonal> HoldsPersonal for std::cell::OnceCell<T> {}
            impl<T: HoldsPersonal + ?Sized> HoldsPersonal for std::sync::Mutex<T> {}
            impl<T: HoldsPersonal + ?Sized> HoldsPersonal for std::sync::RwLock<T> {}
            impl<T: HoldsPersonal> HoldsPersonal for std::sync::OnceLock<T> {}
            impl<T: HoldsPersonal + ?Sized> HoldsPersonal for std::rc::Weak<T> {}
            impl<T: HoldsPersonal + ?Sized> HoldsPersonal for std::sync::Weak<T> {}
            impl<T: HoldsPersonal + ToOwned + ?Sized> HoldsPersonal for std::borrow::Cow<'_, T> {}
            impl<T: HoldsPersonal + ?Sized> HoldsPersonal for &T {}
            impl<T: HoldsPersonal + ?Sized> HoldsPersonal for &mut T {}
            impl<P: HoldsPersonal> HoldsPersonal for std::pin::Pin<P> {}
            impl<T: HoldsPersonal + ?Sized> HoldsPersonal for std::mem::ManuallyDrop<T> {}
            impl<T: HoldsPersonal> HoldsPersonal for std::cmp::Reverse<T> {}
            impl<T: HoldsPersonal> HoldsPersonal for std::num::Wrapping<T> {}
            impl<T: HoldsPersonal> HoldsPersonal for std::num::Saturating<T> {}

            /// The probe: `(&&&Probe::<T>::new()).kind()` resolves, for the concrete type
            /// the compiler resolved whatever its spelling, to the first that applies of
            /// [`Holds::kind`] (`T: HoldsPersonal`), [`Serializes::kind`] (`T: Serialize`,
            /// structural: `Personal` is not `Serialize`, so nothing holding one is) and
            /// [`Other::kind`] (autoderef order: each is implemented one `&` further in).
            pub struct Probe<T: ?Sized>(PhantomData<T>);
            impl<T: ?Sized> Probe<T> {
                /// A probe for `T`.
                pub const fn new() -> Self {
                    Probe(PhantomData)
                }
            }
            impl<T: ?Sized> Default for Probe<T> {
                fn default() -> Self {
                    Probe::new()
                }
            }
            /// The probe's answer: the field holds a `Personal`.
            pub struct HoldsPersonalValue;
            /// The probe's answer: the field is `Serialize`, so it holds no `Personal`.
            pub struct PlainValue;
            /// The probe's answer: nothing proves the field holds no `Personal`.
            pub struct UnprovenValue;
            /// Picked when the field type holds a `Personal`.
            pub trait Holds {
                /// The answer.
                fn kind(&self) -> HoldsPersonalValue {
                    HoldsPersonalValue
                }
            }
            impl<T: HoldsPersonal + ?Sized> Holds for &&Probe<T> {}
            /// Picked when the field type is `Serialize` (and not listed above).
            pub trait Serializes {
                /// The answer.
                fn kind(&self) -> PlainValue {
                    PlainValue
                }
            }
            impl<T: serde::Serialize + ?Sized> Serializes for &Probe<T> {}
            /// Picked otherwise.
            pub trait Other {
                /// The answer.
                fn kind(&self) -> UnprovenValue {
                    UnprovenValue
                }
            }
            impl<T: ?Sized> Other for Probe<T> {}

            /// Implemented for [`PlainValue`] and [`UnprovenValue`]: the error a user sees
            /// when a field passed through as plain holds a `Personal`.
            #[diagnostic::on_unimplemented(
                message = "field type `{T}` holds personal data, but `#[derive(PersonalData)]` would copy it into the sealed struct in clear",
                label = "not written as `Personal<T, C>` or `Option<Personal<T, C>>`",
                note = "the derive recognises a personal field by how its type is written: write `Personal<T, C>` or `Option<Personal<T, C>>` in the struct itself, not a type alias or a type macro, so the field is sealed",
                note = "a collection of personal values cannot be sealed as one field: give each value a field, or a record of its own"
            )]
            pub trait PlainField<T: ?Sized> {}
            impl<T: ?Sized> PlainField<T> for PlainValue {}
            impl<T: ?Sized> PlainField<T> for UnprovenValue {}

            /// Implemented only for [`PlainValue`]: the error a user sees when, under
            /// `no_serde`, nothing proves that a plain field holds no `Personal`.
            #[diagnostic::on_unimplemented(
                message = "custodian cannot prove that field type `{T}` holds no personal data, and `#[derive(PersonalData)]` would copy it into the sealed struct in clear",
                label = "not `Serialize`, so it may hold a `Personal`",
                note = "under `no_serde` a plain field must implement `serde::Serialize`: serde's impls follow a type's structure and `Personal` has none, so a `Serialize` type holds no `Personal`",
                note = "a tuple, `Result` or wrapper holding a `Personal` is never `Serialize`: write each personal value as a `Personal<T, C>` field of its own",
                note = "if the type holds no personal data and cannot be `Serialize`, mark the field `#[personal(plain)]`: your claim, visible in review"
            )]
            pub trait ProvenPlainField<T: ?Sized> {}
            impl<T: ?Sized> ProvenPlainField<T> for PlainValue {}
            // A field that holds a `Personal` fails `PlainField` instead: one error, not two.
            impl<T: ?Sized> ProvenPlainField<T> for HoldsPersonalValue {}

            /// Fails to compile if the probe for `T` found a `Personal`.
            pub fn assert_plain<T: ?Sized, K: PlainField<T>>(_: K) {}

            /// Fails to compile unless the probe for `T` proved it holds no `Personal`.
            pub fn assert_proven_plain<T: ?Sized, K: PlainField<T> + ProvenPlainField<T>>(_: K) {}
        }

        use crate::{Access, Category, Context, Personal, Plaintext, Purpose, Sealed, SubjectId};
        use crate::{Retention, Uses, Vault, VaultError};

        /// A context whose names the derive checked at compile time.
        pub fn context<C: Category>(
            record: &'static str,
            field: &'static str,
            retention: Option<Retention>,
        ) -> Context<C> {
            Context::checked_by_derive(record, field, retention)
        }

        /// Opens an optional field for a whole-record open: a value whose retention has
        /// ended is absent, as if deleted (`docs/derive.md`), also when a legal hold keeps
        /// it for another purpose than `P`.
        pub fn open_optional<T: Plaintext, C: Category, P: Uses<C>>(
            vault: &Vault,
            subject: &SubjectId,
            sealed: Option<&Sealed<T, C>>,
            context: &Context<C>,
            access: &Access<P>,
        ) -> Result<Option<Personal<T, C>>, VaultError> {
            match sealed.map(|s| open(vault, subject, s, context, access)) {
                None
                | Some(Err(VaultError::Expired { .. } | VaultError::RestrictedByHold { .. })) => {
                    Ok(None)
                }
                Some(result) => result.map(Some),
            }
        }

        /// The collection time of a record being sealed: read once, shared by its fields.
        pub fn collected_now(vault: &Vault) -> i64 {
            vault.unix_now()
        }

        /// Seals one field of a record whose subject is `subject`, collected at `collected`
        /// (from [`collected_now`]).
        pub fn seal<T: Plaintext, C: Category>(
            vault: &Vault,
            subject: &SubjectId,
            value: &Personal<T, C>,
            context: &Context<C>,
            collected: i64,
        ) -> Result<Sealed<T, C>, VaultError> {
            if value.subject() != subject {
                return Err(VaultError::SubjectMismatch);
            }
            vault.seal_collected_at(value, context, collected)
        }

        /// Opens one field of a record whose subject is `subject`.
        pub fn open<T: Plaintext, C: Category, P: Uses<C>>(
            vault: &Vault,
            subject: &SubjectId,
            sealed: &Sealed<T, C>,
            context: &Context<C>,
            access: &Access<P>,
        ) -> Result<Personal<T, C>, VaultError> {
            check_subject(subject, access)?;
            vault.open(sealed, context, access)
        }

        /// The access must be for the record's subject.
        pub fn check_subject<P: Purpose>(
            subject: &SubjectId,
            access: &Access<P>,
        ) -> Result<(), VaultError> {
            if access.subject() == subject {
                Ok(())
            } else {
                Err(VaultError::SubjectMismatch)
            }
        }
    }
}

/// The names every user of custodian needs, for `use custodian::prelude::*;` next to a
/// backend's own globs: traits, the core types and the derive, nothing that clashes.
///
/// Not in it, by decision: the categories (`Name`, `Email`, `Phone` are also domain
/// types; write `use custodian::categories::{Email, Name};` or
/// `use custodian::categories as cat;`), [`Context`] (clashes with `anyhow::Context`;
/// `use custodian::Context;` where you seal by hand), the macros (`custodian::purpose!`,
/// `custodian::category!` read better by path), and setup types such as
/// `LocalMasterKey` or the consent ledger, which one module names, not every one.
pub mod prelude {
    pub use crate::PersonalData;
    pub use crate::{
        Access, Actor, Category, Personal, Purpose, Retention, Sealed, SubjectId, Uses, Vault,
        VaultError,
    };
}
