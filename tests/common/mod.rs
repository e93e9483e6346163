//! Helpers shared by the integration tests.

// Each test file is its own crate and uses only part of this module: what one leaves
// unused is not dead code.
#![allow(dead_code)]

#[cfg(feature = "sqlite")]
pub mod anchors;
pub mod audit;
pub mod consent;
pub mod crypto;
#[cfg(feature = "sqlite")]
pub mod erasure;
#[cfg(feature = "sqlite")]
pub mod ledger;
pub mod retention;
pub mod shred;
pub mod stores;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeZone, Utc};
use custodian::audit::AuditTrail;
use custodian::categories::Email;
use custodian::keys::LocalMasterKey;
use custodian::retention::ManualClock;
use custodian::{Actor, Context, Personal, Retention, Sealed, SubjectId, Vault, VaultStore};
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

/// A local master key named `id` whose 32 bytes are all `byte`.
pub fn master(id: &str, byte: u8) -> LocalMasterKey {
    LocalMasterKey::from_slice(id, &[byte; 32]).unwrap()
}

/// The privacy officer "emp-7", who runs the operator's operations in the tests.
pub fn officer() -> Actor {
    Actor::staff("emp-7", "privacy-officer")
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

/// The email context, kept until the subject is erased.
pub fn email_ctx() -> Context<Email> {
    ctx().retain(Retention::UntilErased)
}

/// `email` sealed for `s` in the email context, kept for `days`.
pub fn seal_email(v: &Vault, s: &SubjectId, email: &str, days: u32) -> Sealed<String, Email> {
    v.seal(
        &Personal::new(s.clone(), email.to_string()),
        &ctx().retain(Retention::Days(days)),
    )
    .unwrap()
}

/// Drops the triggers on the tables `tables` names (on every table when it is empty)
/// from the SQLite file `conn` is open on: an insider's first step.
#[cfg(feature = "sqlite")]
pub fn drop_triggers_on(conn: &rusqlite::Connection, tables: &[&str]) {
    let triggers: Vec<(String, String)> = conn
        .prepare("SELECT name, tbl_name FROM sqlite_schema WHERE type = 'trigger'")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for (name, table) in triggers {
        if tables.is_empty() || tables.contains(&table.as_str()) {
            conn.execute_batch(&format!("DROP TRIGGER \"{name}\""))
                .unwrap();
        }
    }
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
