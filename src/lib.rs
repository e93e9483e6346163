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
//!   they use ([`purpose!`](macro@purpose)). Special categories need an Art. 9 condition or the
//!   declaration does not compile.
//! - A [`Personal<T, C>`] holds a value of category `C`. It cannot be printed,
//!   serialized or dereferenced; [`Personal::read`] needs an [`Access<P>`], and the
//!   compiler rejects a purpose `P` not declared to use `C`.
//! - An [`Access<P>`] names the subject and the [`Actor`]. For a purpose based on
//!   consent, only the [`ConsentLedger`](consent::ConsentLedger) grants one, after
//!   checking the evidence: given, not withdrawn, not expired, current notice.
//! - The ledger's evidence lives in a [`ConsentStore`](consent::ConsentStore): in
//!   memory, or the embedded SQLite [`SqliteStore`](store::SqliteStore).
//! - The [`Vault`] seals a `Personal<T, C>` into a [`Sealed<T, C>`] for your tables:
//!   AES-256-GCM under a key of that subject's own, bound to its [`Context`] (record
//!   type, field, category). [`Vault::open`] needs an `Access<P>` with `P: Uses<C>`;
//!   [`Vault::shred`] deletes the subject's keys, so every copy of their sealed data,
//!   backups included, can no longer be opened. Keys live in a
//!   [`KeyStore`](keys::KeyStore), wrapped by a [`MasterKey`](keys::MasterKey).
//!
//! ```
//! use chrono::Utc;
//! use custodian::categories::{Email, Name};
//! use custodian::consent::{Channel, ConsentLedger, ConsentMethod, Evidence, Notice};
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
//! let now = Utc::now();
//! assert!(ledger.access::<Offers>(&alice, Actor::service("mailer"), now).is_err());
//! let notice = Notice::new("offers", 1, "Email me offers.");
//! ledger.give::<Offers>(&alice, Evidence::new(notice, ConsentMethod::TickedCheckbox, Channel::Web), now)?;
//! let offers = ledger.access::<Offers>(&alice, Actor::service("mailer"), now)?;
//! assert_eq!(email.read(&offers)?, "alice@example.com");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! What the compiler enforces and what is checked at run time is written down in
//! `docs/architecture.md`; the vocabulary and its GDPR/CCPA articles in
//! `docs/concepts.md`; the threat model and key handling in `docs/crypto.md`; the
//! sealed format, with test vectors, in `docs/format.md`.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod access;
pub mod basis;
pub mod categories;
pub mod category;
pub mod condition;
pub mod consent;
pub mod format;
pub mod keys;
pub mod personal;
pub mod plaintext;
pub mod purpose;
pub mod sealed;
pub mod store;
pub mod subject;
pub mod vault;

mod private {
    /// Keeps the lawful bases and Art. 9 conditions the law's, not the user's.
    pub trait Sealed {}
}

pub use access::{Access, AccessError, Actor, ActorKind};
pub use basis::{Basis, LawfulBasis, WithoutConsent};
pub use category::{Category, CategoryInfo, Sensitivity};
pub use condition::{Art9Condition, Condition};
pub use personal::Personal;
pub use plaintext::{Json, Plaintext, PlaintextError};
pub use purpose::{Purpose, PurposeInfo, Uses};
pub use sealed::{Context, Sealed};
pub use subject::{InvalidSubjectId, SubjectId};
pub use vault::{Vault, VaultBuilder, VaultError};

/// The names most programs need: `use custodian::prelude::*;`.
pub mod prelude {
    pub use crate::categories::*;
    pub use crate::consent::{Channel, ConsentLedger, ConsentMethod, Evidence, Notice};
    pub use crate::keys::LocalMasterKey;
    pub use crate::{
        Access, Actor, Context, Personal, Purpose, Sealed, SubjectId, Vault, category, purpose,
    };
}
