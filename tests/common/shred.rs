//! What the shredding and key-rotation tests (`shred.rs`, `key_rotation.rs`) share: a
//! contract purpose, sealing and opening an email under it, and the bytes an attacker
//! with the disk sees.

use custodian::categories::{Email, Name};
use custodian::{Access, Actor, OpenError, Personal, Sealed, SubjectId, Vault};

use super::email_ctx;

custodian::purpose! {
    /// The contract purpose the shredding tests read under.
    pub struct Crm { basis: Contract, description: "Serve your account.", uses: [Name, Email] }
}

/// Access to `s`'s data under [`Crm`], by the service "tests".
pub fn access(s: &SubjectId) -> Access<Crm> {
    Access::new(s.clone(), Actor::service("tests"))
}

/// `email` sealed for `s`, kept until erased.
pub fn seal(v: &Vault, s: &SubjectId, email: &str) -> Sealed<String, Email> {
    v.seal(
        &Personal::<String, Email>::new(s.clone(), email.into()),
        &email_ctx(),
    )
    .unwrap()
}

/// `sealed` opened for `s` under [`Crm`], and read.
pub fn open(v: &Vault, sealed: &Sealed<String, Email>, s: &SubjectId) -> Result<String, OpenError> {
    v.open(sealed, &email_ctx(), &access(s))
        .map(|p| p.read(&access(s)).unwrap().clone())
}

/// The database file and its write-ahead log, as an attacker with the disk sees them.
pub fn file_bytes(path: &std::path::Path) -> Vec<u8> {
    let mut bytes = std::fs::read(path).unwrap();
    let wal = path.with_extension("db-wal");
    if let Ok(more) = std::fs::read(wal) {
        bytes.extend(more);
    }
    bytes
}
