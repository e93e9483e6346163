//! The storage a vault runs on: one backend implementing the key store and the
//! retention stores over the same data.

use crate::keys::{KeyName, KeyStore};
use crate::retention::{ErasureStore, RetentionStore};
use crate::subject::SubjectId;

/// Everything a [`Vault`](super::Vault) keeps: wrapped keys ([`KeyStore`]), holds,
/// tombstones and the sweep watermark ([`RetentionStore`], which includes
/// [`HoldStore`](crate::retention::HoldStore)), erasure exceptions
/// ([`ErasureStore`]). Implemented for every type that implements those traits
/// (`MemoryKeyStore`, `SqliteStore`, `Arc`/`Box` of either, your own backend); it has
/// no methods of its own.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a complete store for a vault",
    label = "a vault needs KeyStore, HoldStore, RetentionStore and ErasureStore on one store",
    note = "implement the retention traits (custodian::retention::{{HoldStore, RetentionStore, ErasureStore}}) for `{Self}` on the same storage as its keys; `impl ErasureStore for {Self} {{}}` keeps its refusing defaults"
)]
pub trait VaultStore: KeyStore + RetentionStore + ErasureStore {}

impl<S: KeyStore + RetentionStore + ErasureStore + ?Sized> VaultStore for S {}

/// The name of `subject`'s key `version`.
pub(super) fn subject_key_name(subject: &SubjectId, version: u32) -> KeyName {
    KeyName::Subject {
        subject: subject.clone(),
        version,
    }
}
