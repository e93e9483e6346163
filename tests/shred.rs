//! Crypto-shredding, key rotation and master-key rotation, on both key stores.

#[allow(dead_code)]
mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::sid;
use common::stores::{Forwarding, StoreHook};
use custodian::VaultStore;
use custodian::categories::{Email, Name};
use custodian::keys::{KeyName, KeyStore, LocalMasterKey};
use custodian::memory::MemoryKeyStore;
use custodian::retention::JournalPurge;
use custodian::sqlite::SqliteStore;
use custodian::store::StoreError;
use custodian::{
    Access, Actor, Context, Personal, Retention, Sealed, SubjectId, Vault, VaultError,
};

custodian::purpose! {
    pub struct Crm { basis: Contract, description: "Serve your account.", uses: [Name, Email] }
}

fn m(id: &str, byte: u8) -> LocalMasterKey {
    LocalMasterKey::from_slice(id, &[byte; 32]).unwrap()
}

fn access(s: &SubjectId) -> Access<Crm> {
    Access::new(s.clone(), Actor::service("tests"))
}

fn ctx() -> Context<Email> {
    Context::new("customer", "email")
        .unwrap()
        .retain(custodian::Retention::UntilErased)
}

fn seal(v: &Vault, s: &SubjectId, email: &str) -> Sealed<String, Email> {
    v.seal(
        &Personal::<String, Email>::new(s.clone(), email.into()),
        &ctx(),
    )
    .unwrap()
}

fn open(v: &Vault, sealed: &Sealed<String, Email>, s: &SubjectId) -> Result<String, VaultError> {
    v.open(sealed, &ctx(), &access(s))
        .map(|p| p.read(&access(s)).unwrap().clone())
}

fn shred_then_open(v: &Vault) {
    let (alice, bob) = (sid("cus_alice"), sid("cus_bob"));
    let a = seal(v, &alice, "alice@example.com");
    let backup_copy = a.clone().into_bytes();
    let b = seal(v, &bob, "bob@example.com");
    assert_eq!(open(v, &a, &alice).unwrap(), "alice@example.com");

    let report = v
        .operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .shred(&alice)
        .unwrap();
    assert_eq!(report.keys_destroyed, 1);
    // The key was cached: shredding evicts it at once.
    assert!(matches!(open(v, &a, &alice), Err(VaultError::Shredded)));
    let copy = Sealed::<String, Email>::from_bytes(backup_copy).unwrap();
    assert!(matches!(open(v, &copy, &alice), Err(VaultError::Shredded)));
    // Nothing new is sealed for a shredded subject.
    let err = v
        .seal(
            &Personal::<String, Email>::new(alice.clone(), "again@example.com".into()),
            &ctx(),
        )
        .unwrap_err();
    assert!(matches!(err, VaultError::Shredded));
    // Other subjects are unaffected.
    assert_eq!(open(v, &b, &bob).unwrap(), "bob@example.com");
}

#[test]
fn shred_in_memory() {
    shred_then_open(&Vault::in_memory(m("m1", 1)));
}

#[test]
fn shred_on_sqlite_follows_the_same_rules() {
    let dir = tempfile::tempdir().unwrap();
    shred_then_open(&Vault::new(
        m("m1", 1),
        SqliteStore::open(dir.path().join("c.db")).unwrap(),
    ));
}

#[test]
fn shred_on_sqlite_survives_reopen_and_leaves_no_key_bytes_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("custodian.db");
    let (alice, bob) = (sid("cus_alice"), sid("cus_bob"));
    let sealed;
    {
        let store = SqliteStore::open(&path).unwrap();
        let v = Vault::new(m("m1", 1), store.clone());
        sealed = seal(&v, &alice, "alice@example.com");
        seal(&v, &bob, "bob@example.com");
        let wrapped = store.latest(&alice).unwrap().unwrap().1.wrapped;
        assert!(
            file_bytes(&path)
                .windows(wrapped.len())
                .any(|w| w == wrapped)
        );
        v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
            .shred(&alice)
            .unwrap();
        // Checked while the store is still open: closing the last connection would
        // checkpoint the WAL anyway, so this is where `shred`'s own checkpoint shows.
        assert!(
            !file_bytes(&path)
                .windows(wrapped.len())
                .any(|w| w == wrapped),
            "the wrapped key is still in the database or its WAL"
        );
        let bob_key = store.latest(&bob).unwrap().unwrap().1.wrapped;
        assert!(
            file_bytes(&path)
                .windows(bob_key.len())
                .any(|w| w == bob_key)
        );
    }
    // Another process opening the same file.
    let v = Vault::new(m("m1", 1), SqliteStore::open(&path).unwrap());
    assert!(matches!(
        open(&v, &sealed, &alice),
        Err(VaultError::Shredded)
    ));
}

/// The database file and its write-ahead log, as an attacker with the disk sees them.
fn file_bytes(path: &std::path::Path) -> Vec<u8> {
    let mut bytes = std::fs::read(path).unwrap();
    let wal = path.with_extension("db-wal");
    if let Ok(more) = std::fs::read(wal) {
        bytes.extend(more);
    }
    bytes
}

#[test]
fn another_vault_on_the_same_store_stops_within_its_cache_ttl() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("custodian.db")).unwrap();
    let here = Vault::new(m("m1", 1), store.clone());
    let peer = Vault::builder(m("m1", 1), store)
        .cache_ttl(Duration::from_millis(50))
        .build();
    let alice = sid("cus_alice");
    let sealed = seal(&here, &alice, "alice@example.com");
    assert!(open(&peer, &sealed, &alice).is_ok()); // the peer caches the key
    here.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .shred(&alice)
        .unwrap();
    std::thread::sleep(Duration::from_millis(150));
    assert!(matches!(
        open(&peer, &sealed, &alice),
        Err(VaultError::Shredded)
    ));
}

#[test]
fn subject_key_rotation_keeps_old_values_and_reseal_upgrades() {
    let v = Vault::in_memory(m("m1", 1));
    let alice = sid("cus_alice");
    let old = seal(&v, &alice, "alice@example.com");
    assert_eq!(old.header().unwrap().key_version, 1);
    assert_eq!(
        v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
            .rotate_subject_key(&alice)
            .unwrap(),
        2
    );
    let new = seal(&v, &alice, "alice@new.example");
    assert_eq!(new.header().unwrap().key_version, 2);
    assert_eq!(open(&v, &old, &alice).unwrap(), "alice@example.com");
    let upgraded = v.reseal(&old, &ctx()).unwrap();
    assert_eq!(upgraded.header().unwrap().key_version, 2);
    assert_eq!(open(&v, &upgraded, &alice).unwrap(), "alice@example.com");
    // Reseal keeps the binding: in another place it does not open.
    let other: Context<Email> = Context::new("customer", "other")
        .unwrap()
        .retain(custodian::Retention::UntilErased);
    assert!(v.reseal(&old, &other).is_err());
    // Shredding destroys every version.
    assert_eq!(
        v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
            .shred(&alice)
            .unwrap()
            .keys_destroyed,
        2
    );
    assert!(matches!(
        open(&v, &upgraded, &alice),
        Err(VaultError::Shredded)
    ));
}

/// A key store that fails after a number of re-wraps: an interrupted rotation.
type Interrupting<S> = Forwarding<S, RewrapsLeft>;

/// How many re-wraps an [`Interrupting`] store lets through before it fails.
struct RewrapsLeft(AtomicUsize);

impl StoreHook for RewrapsLeft {
    fn before_rewrap(&self) -> Result<(), StoreError> {
        if self.0.fetch_sub(1, Ordering::SeqCst) == 0 {
            self.0.store(0, Ordering::SeqCst);
            return Err(StoreError::Poisoned);
        }
        Ok(())
    }
}

fn master_rotation(open_store: impl Fn() -> Box<dyn KeyStoreFactory>) {
    let subjects: Vec<SubjectId> = (0..20).map(|i| sid(&format!("cus_{i}"))).collect();
    // Besides subject keys: an epoch key (a value with a retention period) and a vault
    // secret (the key of subject references) must move to the new master key too.
    let (sealed, retained, reference): (Vec<_>, _, _) = {
        let v = Vault::new(m("kek-2025", 1), open_store().store());
        let sealed = subjects
            .iter()
            .map(|s| seal(&v, s, &format!("{s}@example.com").replace("cus_", "u")))
            .collect();
        let p = Personal::<String, Email>::new(subjects[0].clone(), "kept@example.com".into());
        let retained = v.seal(&p, &ctx().retain(Retention::Days(30))).unwrap();
        (sealed, retained, v.subject_ref(&subjects[0]).unwrap())
    };
    // Interrupted after 7 keys.
    let interrupted = Vault::builder(
        m("kek-2026", 2),
        Interrupting {
            inner: open_store().store(),
            hook: RewrapsLeft(AtomicUsize::new(7)),
        },
    )
    .previous_master_key(m("kek-2025", 1))
    .build();
    assert!(
        interrupted
            .operator(custodian::Actor::staff("emp-7", "privacy-officer"))
            .rewrap_keys()
            .is_err()
    );
    // Mid-rotation, everything still opens with both keys given.
    for (s, x) in subjects.iter().zip(&sealed) {
        assert!(open(&interrupted, x, s).is_ok());
    }
    // Run again: it carries on, and only the remaining keys are re-wrapped: of the 20
    // subject keys, the epoch key, the subject-reference and retention-integrity
    // secrets (one rewrap loop over every kind of key), all but the 7 done.
    let resumed = Vault::builder(m("kek-2026", 2), open_store().store())
        .previous_master_key(m("kek-2025", 1))
        .build();
    assert_eq!(
        resumed
            .operator(custodian::Actor::staff("emp-7", "privacy-officer"))
            .rewrap_keys()
            .unwrap()
            .rewrapped,
        20 + 3 - 7
    );
    assert_eq!(
        resumed
            .operator(custodian::Actor::staff("emp-7", "privacy-officer"))
            .rewrap_keys()
            .unwrap()
            .rewrapped,
        0,
        "idempotent"
    );
    // The new master key alone opens everything; no ciphertext was touched.
    let new_only = Vault::new(m("kek-2026", 2), open_store().store());
    for (s, x) in subjects.iter().zip(&sealed) {
        assert!(open(&new_only, x, s).unwrap().ends_with("@example.com"));
    }
    assert_eq!(
        open(&new_only, &retained, &subjects[0]).unwrap(),
        "kept@example.com"
    );
    assert_eq!(new_only.subject_ref(&subjects[0]).unwrap(), reference);
    // The old master key alone opens nothing.
    let old_only = Vault::new(m("kek-2025", 1), open_store().store());
    for (s, x) in subjects.iter().zip(&sealed) {
        assert!(matches!(
            open(&old_only, x, s),
            Err(VaultError::UnknownMasterKey { .. })
        ));
    }
}

/// Opens "the same" key store again, as another process would.
trait KeyStoreFactory {
    fn store(&self) -> Box<dyn VaultStore>;
}

struct Sqlite(std::path::PathBuf);
impl KeyStoreFactory for Sqlite {
    fn store(&self) -> Box<dyn VaultStore> {
        Box::new(SqliteStore::open(&self.0).unwrap())
    }
}

struct Shared(std::sync::Arc<MemoryKeyStore>);
impl KeyStoreFactory for Shared {
    fn store(&self) -> Box<dyn VaultStore> {
        Box::new(self.0.clone())
    }
}

#[test]
fn master_key_rotation_in_memory() {
    let shared = std::sync::Arc::new(MemoryKeyStore::new());
    master_rotation(|| Box::new(Shared(shared.clone())));
}

#[test]
fn master_key_rotation_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("custodian.db");
    master_rotation(|| Box::new(Sqlite(path.clone())));
}

// ---------------------------------------------------------------------------------
// Tombstones, the write-ahead log and failed shreds (SQLite).

fn sha256(parts: &[&[u8]]) -> Vec<u8> {
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    for p in parts {
        ctx.update(p);
    }
    ctx.finish().as_ref().to_vec()
}

#[test]
fn the_store_file_alone_does_not_confirm_a_guessed_erased_id() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("custodian.db");
    let alice = sid("cus_4711");
    let sealed;
    {
        let store = SqliteStore::open(&path).unwrap();
        let v = Vault::new(m("m1", 1), store.clone());
        sealed = seal(&v, &alice, "alice@example.com");
        v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
            .erase(&alice)
            .unwrap();
        let bytes = file_bytes(&path);
        // What someone with the file and a list of customer ids would compute: the
        // hash of a guess, bare or with the (public) label of the old construction.
        let id = alice.as_str().as_bytes();
        for guess in [sha256(&[id]), sha256(&[b"custodian.v1.tombstone\0", id])] {
            assert!(
                !bytes.windows(guess.len()).any(|w| w == guess),
                "the file confirms that the guessed id was erased"
            );
        }
        assert!(!bytes.windows(id.len()).any(|w| w == id));
    }
    // Another process, with the vault's keys, still learns that the subject is gone.
    let v = Vault::new(m("m1", 1), SqliteStore::open(&path).unwrap());
    assert!(matches!(
        open(&v, &sealed, &alice),
        Err(VaultError::Shredded)
    ));
    let again = Personal::<String, Email>::new(alice.clone(), "again@example.com".into());
    assert!(matches!(v.seal(&again, &ctx()), Err(VaultError::Shredded)));
}

/// A reader in another connection, holding a read transaction open on `path`.
fn open_reader(path: &std::path::Path) -> rusqlite::Connection {
    let reader = rusqlite::Connection::open(path).unwrap();
    reader.execute_batch("BEGIN").unwrap();
    let _: i64 = reader
        .query_row("SELECT count(*) FROM subject_keys", [], |r| r.get(0))
        .unwrap();
    reader
}

#[test]
fn a_shred_whose_checkpoint_is_busy_commits_and_returns_its_receipt() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("custodian.db");
    let store = SqliteStore::open(&path).unwrap();
    let v = Vault::new(m("m1", 1), store.clone());
    let alice = sid("cus_alice");
    let sealed = seal(&v, &alice, "alice@example.com");
    let wrapped = store.latest(&alice).unwrap().unwrap().1.wrapped;
    let reader = open_reader(&path);
    let receipt = v
        .operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .erase(&alice)
        .expect("the erasure committed: it must report success");
    assert_eq!(receipt.subject_keys_destroyed, 1);
    assert!(matches!(
        open(&v, &sealed, &alice),
        Err(VaultError::Shredded)
    ));
    drop(reader);
    // The next checkpoint opportunity empties the log.
    v.checkpoint().unwrap();
    assert!(
        !file_bytes(&path)
            .windows(wrapped.len())
            .any(|w| w == wrapped),
        "the wrapped key is still in the database or its WAL"
    );
}

#[test]
fn a_shred_that_fails_before_its_commit_does_not_leave_the_subject_shredded_here() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("custodian.db");
    let v = Vault::new(m("m1", 1), SqliteStore::open(&path).unwrap());
    let alice = sid("cus_alice");
    let sealed = seal(&v, &alice, "alice@example.com");
    // Another connection holds the write lock past the store's busy timeout.
    let writer = rusqlite::Connection::open(&path).unwrap();
    writer.execute_batch("BEGIN IMMEDIATE").unwrap();
    assert!(
        v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
            .shred(&alice)
            .is_err()
    );
    drop(writer);
    // Nothing was destroyed: this process must not claim otherwise.
    assert_eq!(open(&v, &sealed, &alice).unwrap(), "alice@example.com");
    seal(&v, &alice, "alice@new.example");
}

#[test]
fn master_key_rotation_leaves_no_old_wrapping_in_the_file_or_its_wal() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("custodian.db");
    let store = SqliteStore::open(&path).unwrap();
    let alice = sid("cus_alice");
    let sealed = seal(
        &Vault::new(m("kek-2025", 1), store.clone()),
        &alice,
        "a@example.com",
    );
    let old = store.latest(&alice).unwrap().unwrap().1.wrapped;
    let v = Vault::builder(m("kek-2026", 2), store.clone())
        .previous_master_key(m("kek-2025", 1))
        .build();
    assert_eq!(
        v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
            .rewrap_keys()
            .unwrap()
            .journal,
        JournalPurge::Complete
    );
    assert!(
        !file_bytes(&path).windows(old.len()).any(|w| w == old),
        "the key wrapped by the old master key is still on disk"
    );
    assert_eq!(open(&v, &sealed, &alice).unwrap(), "a@example.com");
}

#[test]
fn sqlite_store_refuses_a_database_that_does_not_run_in_wal_mode() {
    // An in-memory database cannot use a write-ahead log: `journal_mode` stays `memory`.
    match SqliteStore::open(":memory:") {
        Err(StoreError::JournalMode { mode }) => assert_eq!(mode, "memory"),
        Err(e) => panic!("wrong error: {e}"),
        Ok(_) => panic!("a store without WAL was accepted"),
    }
}

/// A copy of the SQLite key store as a thief would keep it (database and WAL).
fn copy_store(from: &std::path::Path, to: &std::path::Path) {
    std::fs::copy(from, to).unwrap();
    let wal = from.with_extension("db-wal");
    if wal.exists() {
        std::fs::copy(&wal, to.with_extension("db-wal")).unwrap();
    }
}

#[test]
fn old_master_and_a_pre_rotation_store_copy_open_nothing_sealed_after_the_compromise_procedure() {
    let dir = tempfile::tempdir().unwrap();
    let (live, stolen) = (dir.path().join("live.db"), dir.path().join("stolen.db"));
    let subjects: Vec<SubjectId> = (0..4).map(|i| sid(&format!("cus_{i}"))).collect();
    let retained = |s: &SubjectId, v: &Vault| {
        let p = Personal::<String, Email>::new(s.clone(), "kept@example.com".into());
        v.seal(&p, &ctx().retain(Retention::Days(30))).unwrap()
    };
    // Before the compromise: values kept until erased and values with a retention.
    let before: Vec<_> = {
        let v = Vault::new(m("kek-1", 1), SqliteStore::open(&live).unwrap());
        subjects
            .iter()
            .map(|s| (seal(&v, s, "old@example.com"), retained(s, &v)))
            .collect()
    };
    // The thief takes the master key and a copy of the key store.
    copy_store(&live, &stolen);

    // The procedure (docs/crypto.md, "After a compromise").
    let v = Vault::builder(m("kek-2", 2), SqliteStore::open(&live).unwrap())
        .previous_master_key(m("kek-1", 1))
        .build();
    v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .rewrap_keys()
        .unwrap();
    let newest: Vec<u32> = subjects
        .iter()
        .map(|s| {
            v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
                .rotate_subject_key(s)
                .unwrap()
        })
        .collect();
    // (Here every other process's cache TTL is waited out.)
    let resealed: Vec<_> = before
        .iter()
        .map(|(a, b)| {
            (
                v.reseal(a, &ctx()).unwrap(),
                v.reseal(b, &ctx().retain(Retention::Days(30))).unwrap(),
            )
        })
        .collect();
    for (s, newest) in subjects.iter().zip(newest) {
        assert_eq!(
            v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
                .retire_subject_key_versions(s, newest)
                .unwrap(),
            1
        );
    }
    let after: Vec<_> = subjects
        .iter()
        .map(|s| (seal(&v, s, "new@example.com"), retained(s, &v)))
        .collect();

    // The thief's vault: the old master key over the stolen copy.
    let thief = Vault::new(m("kek-1", 1), SqliteStore::open(&stolen).unwrap());
    let kept_ctx = ctx().retain(Retention::Days(30));
    for (s, ((a, b), (c, d))) in subjects.iter().zip(resealed.iter().zip(&after)) {
        for x in [a, c] {
            assert!(open(&thief, x, s).is_err(), "the thief opened a new value");
        }
        for x in [b, d] {
            assert!(thief.open(x, &kept_ctx, &access(s)).is_err());
        }
    }
    // The live vault, with the new master key only, opens everything resealed or new.
    let fresh = Vault::new(m("kek-2", 2), SqliteStore::open(&live).unwrap());
    for (s, ((a, b), (c, d))) in subjects.iter().zip(resealed.iter().zip(&after)) {
        assert_eq!(open(&fresh, a, s).unwrap(), "old@example.com");
        assert_eq!(open(&fresh, c, s).unwrap(), "new@example.com");
        for x in [b, d] {
            let p = fresh.open(x, &kept_ctx, &access(s)).unwrap();
            assert_eq!(p.read(&access(s)).unwrap(), "kept@example.com");
        }
    }
    // A copy that was missed by the reseal no longer opens anywhere.
    let (missed, _) = &before[0];
    assert!(matches!(
        open(&fresh, missed, &subjects[0]),
        Err(VaultError::KeyRetired { version: 1 })
    ));
}

fn retire(v: &Vault) {
    let alice = sid("cus_alice");
    let old = seal(v, &alice, "alice@example.com");
    assert!(matches!(
        v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
            .retire_subject_key_versions(&alice, 2),
        Err(VaultError::WouldRetireNewestKey {
            below: 2,
            newest: 1
        })
    ));
    assert_eq!(
        v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
            .retire_subject_key_versions(&alice, 1)
            .unwrap(),
        0
    );
    assert_eq!(
        v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
            .rotate_subject_key(&alice)
            .unwrap(),
        2
    );
    // Opened now, so version 1 is in this process's cache.
    assert_eq!(open(v, &old, &alice).unwrap(), "alice@example.com");
    let resealed = v.reseal(&old, &ctx()).unwrap();
    assert_eq!(
        v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
            .retire_subject_key_versions(&alice, 2)
            .unwrap(),
        1
    );
    // Evicted from the cache at once; the resealed value opens, new seals work.
    assert!(matches!(
        open(v, &old, &alice),
        Err(VaultError::KeyRetired { version: 1 })
    ));
    assert_eq!(open(v, &resealed, &alice).unwrap(), "alice@example.com");
    let new = seal(v, &alice, "alice@new.example");
    assert_eq!(new.header().unwrap().key_version, 2);
    // Retiring under a legal hold is refused, as shredding is.
    let hold = v
        .operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .hold::<Crm>(&alice, "case 1: litigation hold", None)
        .unwrap();
    assert!(matches!(
        v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
            .retire_subject_key_versions(&alice, 2),
        Err(VaultError::UnderLegalHold { .. })
    ));
    v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .release(&hold.id)
        .unwrap();
    v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .shred(&alice)
        .unwrap();
    assert!(matches!(
        v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
            .retire_subject_key_versions(&alice, 2),
        Err(VaultError::Shredded)
    ));
}

#[test]
fn retiring_old_subject_key_versions_refuses_the_newest_and_evicts_at_once_in_memory() {
    retire(&Vault::in_memory(m("m1", 1)));
}

#[test]
fn retired_subject_key_versions_leave_no_copy_in_the_sqlite_file_or_its_wal() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("custodian.db");
    let store = SqliteStore::open(&path).unwrap();
    let v = Vault::new(m("m1", 1), store.clone());
    let alice = sid("cus_alice");
    let first = seal(&v, &alice, "alice@example.com");
    let version_1 = KeyName::Subject {
        subject: alice.clone(),
        version: 1,
    };
    let v1 = store.get(&version_1).unwrap().unwrap().wrapped;
    assert!(file_bytes(&path).windows(v1.len()).any(|w| w == v1));
    v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
        .rotate_subject_key(&alice)
        .unwrap();
    v.reseal(&first, &ctx()).unwrap();
    assert_eq!(
        v.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
            .retire_subject_key_versions(&alice, 2)
            .unwrap(),
        1
    );
    assert!(store.get(&version_1).unwrap().is_none());
    assert!(
        !file_bytes(&path).windows(v1.len()).any(|w| w == v1),
        "the retired key is still in the database or its WAL"
    );
    drop(v);
    let other = dir.path().join("other.db");
    retire(&Vault::new(m("m1", 1), SqliteStore::open(&other).unwrap()));
}
