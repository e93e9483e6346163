//! One error type per operation: [`SealError`], [`OpenError`], [`AdminError`], each
//! holding only what its operation can return. [`VaultError`] stays as the type of
//! the operations that combine them (`reseal`, `dates`, history reads) and as the
//! `From` target that lets `?` carry any of them in a caller's function.
//!
//! Inside the vault the steps (keys, retention, audit) still return [`VaultError`];
//! each public operation narrows its error once, at the door (`narrow`). A variant its
//! operation cannot meet should not arise there; if a step ever returns one, the
//! operation is refused, fail closed, as its `Internal { unexpected }` variant (code
//! `internal`, the step's own code kept in `unexpected`): never a panic, in debug or
//! release builds alike, and never a variant that would tell the caller something
//! untrue (an open reported as `UnderLegalHold`, a seal as `Store`).

mod admin;
mod open;
mod seal;

pub use admin::AdminError;
pub use open::OpenError;
pub use seal::SealError;

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::vault::VaultError;

    /// Steps' errors each operation cannot meet.
    fn foreign_to_seal() -> VaultError {
        VaultError::Expired {
            at: Utc.timestamp_opt(0, 0).single().unwrap_or_default(),
        }
    }

    #[test]
    fn a_step_error_an_operation_cannot_meet_is_refused_as_internal_without_a_panic() {
        let seal = SealError::narrow(foreign_to_seal());
        assert_eq!(seal.kind().code(), "internal", "{seal:?}");
        assert_eq!(VaultError::from(seal).kind().code(), "internal");

        let open = OpenError::narrow(VaultError::WouldRetireNewestKey {
            below: 2,
            newest: 1,
        });
        assert_eq!(open.kind().code(), "internal", "{open:?}");
        assert!(
            format!("{open:?}").contains("WouldRetireNewestKey"),
            "{open:?}"
        );
        assert_eq!(VaultError::from(open).kind().code(), "internal");

        let admin = AdminError::narrow(VaultError::Decrypt);
        assert_eq!(admin.kind().code(), "internal", "{admin:?}");
        assert_eq!(VaultError::from(admin).kind().code(), "internal");
    }

    #[test]
    fn an_internal_error_keeps_its_step_code_through_narrowing() {
        let first = OpenError::narrow(VaultError::WouldRetireNewestKey {
            below: 2,
            newest: 1,
        });
        // Round trip through `?` into VaultError and back to another operation's type.
        let again = SealError::narrow(VaultError::from(first));
        assert!(
            format!("{again:?}").contains("WouldRetireNewestKey"),
            "{again:?}"
        );
        assert_eq!(again.kind().code(), "internal");
    }
}
