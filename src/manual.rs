//! The design manual: the chapters of `docs/*.md`, included here so that they are read
//! where the API is (docs.rs, `cargo doc --open`) and their examples compile as doc
//! tests.
//!
//! Start with [`concepts`] (the vocabulary and its GDPR/CCPA articles) and
//! [`compliance`] (each duty covered, and what stays yours); [`architecture`] says what
//! the compiler enforces and what is checked at run time. The other chapters each take
//! one concern: [`consent`], [`retention`], [`audit`], [`crypto`] (threat model and
//! key handling), [`format`](mod@format) (the sealed format, byte by byte),
//! [`derive`](mod@derive)
//! (`#[derive(PersonalData)]`) and [`performance`].

#[doc = include_str!("../docs/concepts.md")]
pub mod concepts {}

#[doc = include_str!("../docs/compliance.md")]
pub mod compliance {}

#[doc = include_str!("../docs/architecture.md")]
pub mod architecture {}

#[doc = include_str!("../docs/consent.md")]
pub mod consent {}

#[doc = include_str!("../docs/retention.md")]
pub mod retention {}

#[doc = include_str!("../docs/audit.md")]
pub mod audit {}

#[doc = include_str!("../docs/crypto.md")]
pub mod crypto {}

#[doc = include_str!("../docs/format.md")]
pub mod format {}

#[doc = include_str!("../docs/derive.md")]
pub mod derive {}

#[doc = include_str!("../docs/performance.md")]
pub mod performance {}
