//! Every storage backend custodian ships, through the public conformance suites
//! (`custodian::testkit`): what a PostgreSQL or KMS backend runs to prove itself.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use custodian::audit::MemorySink;
use custodian::consent::MemoryConsentStore;
use custodian::memory::MemoryKeyStore;
use custodian::sqlite::SqliteStore;
use custodian::testkit::{self, StoreFactory};

/// Memory stores: a clone of the `Arc` is another handle.
fn memory_keys() -> Arc<MemoryKeyStore> {
    Arc::new(MemoryKeyStore::new())
}

/// SQLite stores, each a file of its own in one temporary directory; another handle
/// is another connection to the file, as another process would open.
struct SqliteFiles {
    dir: tempfile::TempDir,
    next: AtomicUsize,
}

impl SqliteFiles {
    fn new() -> Self {
        SqliteFiles {
            dir: tempfile::tempdir().unwrap(),
            next: AtomicUsize::new(0),
        }
    }
}

impl StoreFactory for SqliteFiles {
    type Store = SqliteStore;
    fn fresh(&self) -> SqliteStore {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        SqliteStore::open(self.dir.path().join(format!("store-{n}.db"))).unwrap()
    }
    fn another_handle(&self, store: &SqliteStore) -> SqliteStore {
        SqliteStore::open(store.path()).unwrap()
    }
}

#[test]
fn memory_key_store_conforms() {
    testkit::key_store(&memory_keys);
}

#[test]
fn memory_hold_store_conforms() {
    testkit::hold_store(&memory_keys);
}

#[test]
fn memory_retention_store_conforms() {
    testkit::retention_store(&memory_keys);
}

#[test]
fn memory_erasure_store_conforms() {
    testkit::erasure_store(&memory_keys);
}

#[test]
fn memory_consent_store_conforms() {
    testkit::consent_store(&|| Arc::new(MemoryConsentStore::new()));
}

#[test]
fn memory_audit_sink_conforms() {
    testkit::audit_sink(&|| Arc::new(MemorySink::new()));
}

#[test]
fn sqlite_key_store_conforms() {
    testkit::key_store(&SqliteFiles::new());
}

#[test]
fn sqlite_hold_store_conforms() {
    testkit::hold_store(&SqliteFiles::new());
}

#[test]
fn sqlite_retention_store_conforms() {
    testkit::retention_store(&SqliteFiles::new());
}

#[test]
fn sqlite_erasure_store_conforms() {
    testkit::erasure_store(&SqliteFiles::new());
}

#[test]
fn sqlite_consent_store_conforms() {
    testkit::consent_store(&SqliteFiles::new());
}

#[test]
fn sqlite_audit_sink_conforms() {
    testkit::audit_sink(&SqliteFiles::new());
}

#[test]
fn memory_vault_store_conforms() {
    testkit::vault_store(&memory_keys);
}

#[test]
fn sqlite_vault_store_conforms() {
    testkit::vault_store(&SqliteFiles::new());
}
