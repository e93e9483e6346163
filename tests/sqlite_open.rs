//! Opening one SQLite store file from several connections at the same moment: threads
//! (each `SqliteStore::open` has its own connection) and OS processes, on a fresh file
//! that every opener finds empty and races to create and migrate. Each must open
//! without error ("database is locked" was seen once when a process opened the file
//! while another ran the migration), and the file must come out migrated once.

use std::path::Path;
use std::sync::{Arc, Barrier};

use custodian::sqlite::SqliteStore;

/// Openers racing on each fresh file.
const OPENERS: usize = 6;
/// Fresh files, one race each.
const ROUNDS: usize = 25;
const CHILD_ENV: &str = "CUSTODIAN_OPEN_RACE_FILE";

/// Times each opener opens and closes the file in a row (the last connection to close
/// checkpoints and removes the write-ahead log, while others open).
const REOPENS: usize = 8;

/// Opens and closes `path` [`REOPENS`] times, starting as soon as `barrier` lets every
/// opener go; the first error, if any, as text.
fn open_at_once(path: &Path, barrier: &Barrier) -> Result<(), String> {
    barrier.wait();
    open_repeatedly(path)
}

fn open_repeatedly(path: &Path) -> Result<(), String> {
    for _ in 0..REOPENS {
        SqliteStore::open(path)
            .map(drop)
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

fn schema_version(path: &Path) -> i64 {
    rusqlite::Connection::open(path)
        .unwrap()
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap()
}

#[test]
fn threads_opening_one_fresh_file_at_once_all_succeed() {
    for round in 0..ROUNDS {
        let dir = tempfile::tempdir().unwrap();
        let path = Arc::new(dir.path().join("custodian.db"));
        let barrier = Arc::new(Barrier::new(OPENERS));
        let openers: Vec<_> = (0..OPENERS)
            .map(|_| {
                let (path, barrier) = (Arc::clone(&path), Arc::clone(&barrier));
                std::thread::spawn(move || open_at_once(&path, &barrier))
            })
            .collect();
        for opener in openers {
            let opened = opener.join().unwrap();
            assert_eq!(opened, Ok(()), "round {round}");
        }
        assert!(schema_version(&path) > 0, "round {round}: migrated");
        // And the store works after the race.
        SqliteStore::open(&*path).unwrap();
    }
}

/// Runs only as a child of `processes_opening_one_fresh_file_at_once_all_succeed`:
/// opens the file many times in a row while its siblings do the same.
#[test]
fn open_race_child_process() {
    let Ok(path) = std::env::var(CHILD_ENV) else {
        return;
    };
    let path = Path::new(&path);
    // Wait for the parent's go, so the children start together.
    let go = path.with_extension("go");
    while !go.exists() {
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    assert_eq!(open_repeatedly(path), Ok(()));
}

#[test]
fn processes_opening_one_fresh_file_at_once_all_succeed() {
    let exe = std::env::current_exe().unwrap();
    for round in 0..6 {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("custodian.db");
        let children: Vec<_> = (0..4)
            .map(|_| {
                std::process::Command::new(&exe)
                    .args(["--exact", "open_race_child_process", "--nocapture"])
                    .env(CHILD_ENV, &path)
                    .stdout(std::process::Stdio::null())
                    .spawn()
                    .unwrap()
            })
            .collect();
        // Give the children time to start and wait at the go file.
        std::thread::sleep(std::time::Duration::from_millis(300));
        std::fs::write(path.with_extension("go"), b"").unwrap();
        for mut c in children {
            assert!(c.wait().unwrap().success(), "round {round}");
        }
        assert!(schema_version(&path) > 0, "round {round}: migrated");
    }
}

/// A file with custodian's `application_id` and `user_version` but none of its tables
/// (`sqlite3 x.db 'PRAGMA application_id=...; PRAGMA user_version=...'`, or a damaged
/// copy).
fn marked_but_empty(path: &Path, version: i64) -> Vec<u8> {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.pragma_update(None, "application_id", 0x4373_7464)
        .unwrap();
    conn.pragma_update(None, "user_version", version).unwrap();
    drop(conn);
    std::fs::read(path).unwrap()
}

fn is_corrupt(r: Result<SqliteStore, custodian::store::StoreError>) -> bool {
    matches!(r, Err(custodian::store::StoreError::Corrupt { .. }))
}

/// It used to open, and fail at the first use with a raw "no such table".
#[test]
fn file_marked_current_schema_without_tables_is_refused_as_corrupt() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("marked.db");
    marked_but_empty(&path, 15);
    let r = SqliteStore::open(&path);
    assert!(is_corrupt(r), "opened a store without its tables");
}

/// The migration from version 1 fails on the missing tables: the file must come out
/// as it went in (no journal-mode switch, no half-applied step).
#[test]
fn file_marked_schema_v1_without_tables_is_refused_and_left_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v1.db");
    let before = marked_but_empty(&path, 1);
    let r = SqliteStore::open(&path);
    assert!(
        is_corrupt(r),
        "a schema-1 file without tables was not refused as corrupt"
    );
    let after = std::fs::read(&path).unwrap();
    assert!(after == before, "the refused file was changed");
    assert_eq!(schema_version(&path), 1);
}
