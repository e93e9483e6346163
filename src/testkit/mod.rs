//! Conformance suites for storage backends (feature `testkit`): one call proves that a
//! backend keeps the contract of a storage trait, as `MemoryKeyStore`, the memory
//! consent store, the memory audit sink and `SqliteStore` do (custodian's own
//! `tests/conformance.rs` runs every suite on them).
//!
//! | suite | trait | what it checks |
//! |---|---|---|
//! | [`key_store`] | [`KeyStore`](crate::keys::KeyStore) | first insert wins for every kind of name, newest version, retirement never of the newest, rewrap as compare-and-swap, refusals (shredded subject, epoch below the watermark, escrow without a hold), a model test, two handles racing a subject's first key |
//! | [`hold_store`] | [`HoldStore`](crate::retention::HoldStore) | holds listed oldest first, per subject, release once, escrows destroyed with the last hold, no hold for a shredded subject, a model test, two handles racing a hold against a shred |
//! | [`retention_store`] | [`RetentionStore`](crate::retention::RetentionStore) | shred (keys, escrows, pseudonym secret, tombstone, holds re-pointed), refusal under a binding hold, sweep watermark and escrows, counts that only rise, two handles racing sweeps; anchor events (append-only, authenticated, latest wins), the anchor sweep sparing held subjects, two handles racing a hold against an anchor sweep |
//! | [`erasure_store`] | [`ErasureStore`](crate::retention::ErasureStore) | kept category keys replaced, looked up and ended; queued erasures; or a consistent refusal |
//! | [`consent_store`] | [`ConsentStore`](crate::consent::ConsentStore) | the consent ledger's model test (two ledgers on skewed clocks, erasure, notice floors, reopening), positions, `history` complete and in append order, two handles racing an erasure against a consent |
//! | [`vault_store`] | [`VaultStore`](crate::VaultStore) (all of the above for keys) | a vault on the backend follows the retention model: seals, expiry, values kept after a recorded event, sweeps, scoped holds, erasures with exceptions, reopening |
//! | [`audit_sink`] | [`AuditSink`](crate::audit::AuditSink) | a trail on the sink records, reads back, queries and verifies, continues on another handle; a shared sink: two handles racing appends make one chain |
//!
//! Each suite takes a [`StoreFactory`]: fresh, empty stores, and a second handle on a
//! store already made (another connection, another pool handle: what another process
//! would hold). A closure returning a cloneable store is one (a clone being another
//! handle, e.g. `|| Arc::new(MemoryKeyStore::new())`).
//!
//! # Panics
//!
//! A suite panics, naming the rule and the call, at the first violation (or at an
//! error a conforming backend would not return), so it runs as the body of a `#[test]`.
//! Model tests run `PROPTEST_CASES` cases (256 by default) and shrink a failure to a
//! short sequence of operations.
//!
//! # Example: your own backend
//!
//! ```
//! use std::sync::Arc;
//! use custodian::memory::MemoryKeyStore;
//! use custodian::testkit::{self, StoreFactory};
//!
//! /// Your backend: here a wrapper over the memory store, as a stand-in for a
//! /// PostgreSQL client or a KMS; `another_handle` opens a second connection.
//! struct MyBackend;
//!
//! impl StoreFactory for MyBackend {
//!     type Store = Arc<MemoryKeyStore>;
//!     fn fresh(&self) -> Self::Store {
//!         Arc::new(MemoryKeyStore::new()) // e.g. a new schema in a test database
//!     }
//!     fn another_handle(&self, store: &Self::Store) -> Self::Store {
//!         Arc::clone(store) // e.g. a second connection to the same schema
//!     }
//! }
//!
//! // In your tests (one #[test] each):
//! testkit::key_store(&MyBackend);
//! testkit::hold_store(&MyBackend);
//! testkit::retention_store(&MyBackend);
//! testkit::erasure_store(&MyBackend);
//! // A closure is a factory too (a clone is another handle):
//! testkit::key_store(&|| Arc::new(MemoryKeyStore::new()));
//! ```

mod anchors;
mod audit;
mod consent;
mod consent_history;
mod erasure;
mod keys;
mod retention;
mod retire;
mod vault;

pub use audit::audit_sink;
pub use consent::consent_store;
pub use erasure::erasure_store;
pub use keys::key_store;
pub use retention::{hold_store, retention_store};
pub use vault::vault_store;

use std::fmt::Debug;

use chrono::{DateTime, TimeZone, Utc};

use crate::keys::WrappedKey;
use crate::retention::{HoldId, HoldScope, HoldSubject, IntegrityKey, LegalHold};
use crate::subject::{SubjectId, SubjectRef};

/// Where a suite gets its stores.
pub trait StoreFactory {
    /// The store under test.
    type Store;
    /// A new, empty store.
    fn fresh(&self) -> Self::Store;
    /// Another handle on the same data as `store` (another connection; what another
    /// process would open), for the suites' concurrency checks and reopening.
    fn another_handle(&self, store: &Self::Store) -> Self::Store;
}

/// A closure returning fresh stores is a factory; a clone is another handle.
impl<S: Clone, F: Fn() -> S> StoreFactory for F {
    type Store = S;
    fn fresh(&self) -> S {
        self()
    }
    fn another_handle(&self, store: &S) -> S {
        store.clone()
    }
}

/// The value of `result`, or a panic naming the call.
#[track_caller]
fn ok<T, E: Debug>(result: Result<T, E>, call: &str) -> T {
    match result {
        Ok(value) => value,
        Err(e) => panic!("conformance: {call} failed: {e:?}"),
    }
}

/// A subject id of the suites (`tk_` and a number).
fn subject(n: usize) -> SubjectId {
    ok(SubjectId::new(format!("tk_{n}")), "SubjectId::new")
}

/// The keyed reference of subject `n` (any 32 bytes make one; the suites use `n`).
fn subject_ref(n: usize) -> SubjectRef {
    let mut mac = [0u8; 32];
    mac[..8].copy_from_slice(&(n as u64).to_be_bytes());
    SubjectRef::from_mac(&mac)
}

/// The suites' integrity key.
fn integrity() -> IntegrityKey {
    IntegrityKey::from_secret(&[0x5a; 32])
}

/// A wrapped key whose bytes say which one it is.
fn wrapped(master: &str, tag: u8) -> WrappedKey {
    WrappedKey {
        master_id: master.to_owned(),
        wrapped: vec![tag; 48],
    }
}

/// The suites' start of time: 2030-01-01 00:00 UTC.
fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or(DateTime::UNIX_EPOCH)
}

/// A hold on subject `n`, number `id`, placed at `at`, until `until` if given.
fn hold(n: usize, id: u8, at: DateTime<Utc>, until: Option<DateTime<Utc>>) -> LegalHold {
    LegalHold {
        id: HoldId::from_random([id; 16]),
        subject: HoldSubject::Subject(subject(n)),
        reason: format!("testkit claim {id}"),
        scope: ok(
            HoldScope::from_stored(vec!["testkit.claims".into()], Vec::new()),
            "HoldScope::from_stored",
        ),
        placed_at: at,
        until,
        released_at: None,
    }
}

/// A proptest runner with the environment's configuration (`PROPTEST_CASES`).
fn runner() -> proptest::test_runner::TestRunner {
    proptest::test_runner::TestRunner::new(proptest::test_runner::Config::default())
}

/// Runs `test` on `strategy`'s values; panics with the shrunk failing input.
fn run_model<S: proptest::strategy::Strategy>(
    name: &str,
    strategy: S,
    test: impl Fn(S::Value) -> Result<(), proptest::test_runner::TestCaseError>,
) where
    S::Value: Debug,
{
    if let Err(e) = runner().run(&strategy, test) {
        panic!("conformance: {name}: {e}");
    }
}
