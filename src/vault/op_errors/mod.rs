//! One error type per operation: [`SealError`], [`OpenError`], [`AdminError`], each
//! holding only what its operation can return. [`VaultError`] stays as the type of
//! the operations that combine them (`reseal`, `dates`, history reads) and as the
//! `From` target that lets `?` carry any of them in a caller's function.
//!
//! Inside the vault the steps (keys, retention, audit) still return [`VaultError`];
//! each public operation narrows its error once, at the door (`narrow`). A variant its
//! operation cannot meet does not arise there: in a debug build the narrowing asserts
//! so (every test runs it), in a release build it is reported as the operation's
//! fail-closed refusal (named at each type's `narrow`).

mod admin;
mod open;
mod seal;

pub use admin::AdminError;
pub use open::OpenError;
pub use seal::SealError;
