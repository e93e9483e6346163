//! What the audit tests (`audit*.rs`) share: a contract purpose its support staff read
//! under, an audited vault in memory, and the events a memory sink holds.

use std::sync::Arc;

use custodian::audit::{AuditEvent, AuditSink, AuditTrail, MemorySink};
use custodian::categories::Email;
use custodian::memory::MemoryKeyStore;
use custodian::retention::ManualClock;
use custodian::{Access, Actor, Sealed, SubjectId, Vault};

custodian::purpose! {
    /// The purpose the support staff read under.
    pub struct Support { basis: Contract, description: "Answer requests.", uses: [Email] }
}

/// The email address the audit tests seal: no stored byte of the trail may hold it.
pub const EMAIL: &str = "alice.secret@example.com";

/// An audited vault (see [`audited_vault`](super::audited_vault)) on a memory key store.
pub fn vault(trail: &Arc<AuditTrail>, clock: &ManualClock) -> Vault {
    super::audited_vault(MemoryKeyStore::new(), trail, clock)
}

/// [`EMAIL`] sealed for `s`, kept for `days`.
pub fn seal(v: &Vault, s: &SubjectId, days: u32) -> Sealed<String, Email> {
    super::seal_email(v, s, EMAIL, days)
}

/// Access to `s`'s data under [`Support`] by the support agent "emp-42".
pub fn support(s: &SubjectId) -> Access<Support> {
    Access::new(s.clone(), Actor::staff("emp-42", "support"))
}

/// Every event `sink` holds, decoded, oldest first.
pub fn events(sink: &MemorySink) -> Vec<AuditEvent> {
    sink.read(0, usize::MAX)
        .unwrap()
        .iter()
        .map(|e| e.decode().unwrap())
        .collect()
}
