//! Crypto-shredding on both key stores: what it makes unreadable, what it leaves in the
//! SQLite file and its WAL, and shreds that fail or meet a busy checkpoint. Key rotation
//! is tested in `key_rotation.rs`.

mod common;

use std::time::Duration;

use common::shred::{file_bytes, open, seal};
use common::{email_ctx, master as m, officer, sid};
use custodian::categories::Email;
use custodian::keys::KeyStore;
use custodian::sqlite::SqliteStore;
use custodian::store::StoreError;
use custodian::{OpenError, Personal, SealError, Sealed, Vault};

fn shred_then_open(v: &Vault) {
    let (alice, bob) = (sid("cus_alice"), sid("cus_bob"));
    let a = seal(v, &alice, "alice@example.com");
    let backup_copy = a.clone().into_bytes();
    let b = seal(v, &bob, "bob@example.com");
    assert_eq!(open(v, &a, &alice).unwrap(), "alice@example.com");

    let report = v.operator(officer()).shred(&alice).unwrap();
    assert_eq!(report.keys_destroyed, 1);
    // The key was cached: shredding evicts it at once.
    assert!(matches!(open(v, &a, &alice), Err(OpenError::Shredded)));
    let copy = Sealed::<String, Email>::from_bytes(backup_copy).unwrap();
    assert!(matches!(open(v, &copy, &alice), Err(OpenError::Shredded)));
    // Nothing new is sealed for a shredded subject.
    let err = v
        .seal(
            &Personal::<String, Email>::new(alice.clone(), "again@example.com".into()),
            &email_ctx(),
        )
        .unwrap_err();
    assert!(matches!(err, SealError::Shredded));
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
        v.operator(officer()).shred(&alice).unwrap();
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
        Err(OpenError::Shredded)
    ));
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
    here.operator(officer()).shred(&alice).unwrap();
    std::thread::sleep(Duration::from_millis(150));
    assert!(matches!(
        open(&peer, &sealed, &alice),
        Err(OpenError::Shredded)
    ));
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
        v.operator(officer()).erase(&alice).unwrap();
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
        Err(OpenError::Shredded)
    ));
    let again = Personal::<String, Email>::new(alice.clone(), "again@example.com".into());
    assert!(matches!(
        v.seal(&again, &email_ctx()),
        Err(SealError::Shredded)
    ));
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
        .operator(officer())
        .erase(&alice)
        .expect("the erasure committed: it must report success");
    assert_eq!(receipt.subject_keys_destroyed, 1);
    assert!(matches!(
        open(&v, &sealed, &alice),
        Err(OpenError::Shredded)
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
    assert!(v.operator(officer()).shred(&alice).is_err());
    drop(writer);
    // Nothing was destroyed: this process must not claim otherwise.
    assert_eq!(open(&v, &sealed, &alice).unwrap(), "alice@example.com");
    seal(&v, &alice, "alice@new.example");
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
