//! What the field-encryption tests (`crypto*.rs`) share: a purpose to read under, its
//! access and a vault in memory that seals with a chosen algorithm.

use custodian::categories::{Communications, Email, Phone};
use custodian::keys::Algorithm;
use custodian::memory::MemoryKeyStore;
use custodian::{Access, Actor, SubjectId, Vault};

custodian::purpose! {
    /// A contract purpose over the categories the encryption tests seal.
    pub struct Support {
        basis: Contract,
        description: "Answer your support requests.",
        uses: [Email, Phone, Communications],
    }
}

/// Access to `s`'s data under [`Support`], by the service "tests".
pub fn access(s: &SubjectId) -> Access<Support> {
    Access::new(s.clone(), Actor::service("tests"))
}

/// A vault in memory under master key "m1" (bytes of 1) that seals with `alg`.
pub fn vault(alg: Algorithm) -> Vault {
    Vault::builder(super::master("m1", 1), MemoryKeyStore::new())
        .algorithm(alg)
        .build()
}
