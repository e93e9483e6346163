//! Helpers shared by the integration tests. Each test file is its own crate and uses
//! only part of this module, hence `#[allow(dead_code)]` at its `mod common;`.

pub mod stores;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeZone, Utc};
use custodian::audit::AuditTrail;
use custodian::categories::Email;
use custodian::keys::LocalMasterKey;
use custodian::retention::ManualClock;
use custodian::{Context, Personal, Retention, Sealed, SubjectId, Vault, VaultStore};
use ring::rand::SystemRandom;
use ring::signature::Ed25519KeyPair;

/// The start of the audit tests' clock: 2027-03-01 09:00 UTC.
pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2027, 3, 1, 9, 0, 0).unwrap()
}

/// A subject id from a literal the test knows to be valid.
pub fn sid(s: &str) -> SubjectId {
    SubjectId::new(s).unwrap()
}

/// The email context without a retention (callers add theirs).
pub fn ctx() -> Context<Email> {
    Context::new("customer", "email").unwrap()
}

/// A fresh Ed25519 key pair for signing checkpoints.
pub fn signer() -> Ed25519KeyPair {
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).unwrap();
    Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap()
}

/// A vault under master key "kek" (bytes of 1) on `store`, recording to `trail`, with
/// operations by the privacy officer "emp-7" (`Vault::operator`) in the tests.
pub fn audited_vault(
    store: impl VaultStore + 'static,
    trail: &Arc<AuditTrail>,
    clock: &ManualClock,
) -> Vault {
    Vault::builder(LocalMasterKey::from_slice("kek", &[1; 32]).unwrap(), store)
        .clock(clock.clone())
        .audit(Arc::clone(trail))
        .build()
}

/// A vault under master key "kek" (bytes of 7) on `store`, on `clock`, without a trail.
pub fn vault_on(store: impl VaultStore + 'static, clock: &ManualClock) -> Vault {
    Vault::builder(LocalMasterKey::from_slice("kek", &[7; 32]).unwrap(), store)
        .clock(clock.clone())
        .build()
}

/// `email` sealed for `s` in the email context, kept for `days`.
pub fn seal_email(v: &Vault, s: &SubjectId, email: &str, days: u32) -> Sealed<String, Email> {
    v.seal(
        &Personal::new(s.clone(), email.to_string()),
        &ctx().retain(Retention::Days(days)),
    )
    .unwrap()
}

/// Waits (up to a minute) for the other process of a two-process test to create `file`.
pub fn wait_for(file: &Path) {
    let start = Instant::now();
    while !file.exists() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the other process stalled"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}
