//! Subject-key rotation, master-key rotation (interrupted, and the compromise
//! procedure) and the retirement of old subject-key versions, on both key stores.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};

use common::shred::{Crm, access, file_bytes, open, seal};
use common::stores::{Forwarding, StoreHook};
use common::{email_ctx, master as m, officer, sid};
use custodian::VaultStore;
use custodian::categories::Email;
use custodian::keys::{KeyName, KeyStore};
use custodian::memory::MemoryKeyStore;
use custodian::retention::JournalPurge;
use custodian::sqlite::SqliteStore;
use custodian::store::StoreError;
use custodian::{AdminError, Context, OpenError, Personal, Retention, SubjectId, Vault};

#[test]
fn subject_key_rotation_keeps_old_values_and_reseal_upgrades() {
    let v = Vault::in_memory(m("m1", 1));
    let alice = sid("cus_alice");
    let old = seal(&v, &alice, "alice@example.com");
    assert_eq!(old.header().unwrap().key_version, 1);
    assert_eq!(v.operator(officer()).rotate_subject_key(&alice).unwrap(), 2);
    let new = seal(&v, &alice, "alice@new.example");
    assert_eq!(new.header().unwrap().key_version, 2);
    assert_eq!(open(&v, &old, &alice).unwrap(), "alice@example.com");
    let upgraded = v.reseal(&old, &email_ctx()).unwrap();
    assert_eq!(upgraded.header().unwrap().key_version, 2);
    assert_eq!(open(&v, &upgraded, &alice).unwrap(), "alice@example.com");
    // Reseal keeps the binding: in another place it does not open.
    let other: Context<Email> = Context::new("customer", "other")
        .unwrap()
        .retain(custodian::Retention::UntilErased);
    assert!(v.reseal(&old, &other).is_err());
    // Shredding destroys every version.
    assert_eq!(
        v.operator(officer()).shred(&alice).unwrap().keys_destroyed,
        2
    );
    assert!(matches!(
        open(&v, &upgraded, &alice),
        Err(OpenError::Shredded)
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
        let retained = v
            .seal(&p, &email_ctx().retain(Retention::Days(30)))
            .unwrap();
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
    assert!(interrupted.operator(officer()).rewrap_keys().is_err());
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
        resumed.operator(officer()).rewrap_keys().unwrap().rewrapped,
        20 + 3 - 7
    );
    assert_eq!(
        resumed.operator(officer()).rewrap_keys().unwrap().rewrapped,
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
            Err(OpenError::UnknownMasterKey { .. })
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
        v.operator(officer()).rewrap_keys().unwrap().journal,
        JournalPurge::Complete
    );
    assert!(
        !file_bytes(&path).windows(old.len()).any(|w| w == old),
        "the key wrapped by the old master key is still on disk"
    );
    assert_eq!(open(&v, &sealed, &alice).unwrap(), "a@example.com");
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
        v.seal(&p, &email_ctx().retain(Retention::Days(30)))
            .unwrap()
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
    v.operator(officer()).rewrap_keys().unwrap();
    let newest: Vec<u32> = subjects
        .iter()
        .map(|s| v.operator(officer()).rotate_subject_key(s).unwrap())
        .collect();
    // (Here every other process's cache TTL is waited out.)
    let resealed: Vec<_> = before
        .iter()
        .map(|(a, b)| {
            (
                v.reseal(a, &email_ctx()).unwrap(),
                v.reseal(b, &email_ctx().retain(Retention::Days(30)))
                    .unwrap(),
            )
        })
        .collect();
    for (s, newest) in subjects.iter().zip(newest) {
        assert_eq!(
            v.operator(officer())
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
    let kept_ctx = email_ctx().retain(Retention::Days(30));
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
        Err(OpenError::KeyRetired { version: 1 })
    ));
}

fn retire(v: &Vault) {
    let alice = sid("cus_alice");
    let old = seal(v, &alice, "alice@example.com");
    assert!(matches!(
        v.operator(officer()).retire_subject_key_versions(&alice, 2),
        Err(AdminError::WouldRetireNewestKey {
            below: 2,
            newest: 1
        })
    ));
    assert_eq!(
        v.operator(officer())
            .retire_subject_key_versions(&alice, 1)
            .unwrap(),
        0
    );
    assert_eq!(v.operator(officer()).rotate_subject_key(&alice).unwrap(), 2);
    // Opened now, so version 1 is in this process's cache.
    assert_eq!(open(v, &old, &alice).unwrap(), "alice@example.com");
    let resealed = v.reseal(&old, &email_ctx()).unwrap();
    assert_eq!(
        v.operator(officer())
            .retire_subject_key_versions(&alice, 2)
            .unwrap(),
        1
    );
    // Evicted from the cache at once; the resealed value opens, new seals work.
    assert!(matches!(
        open(v, &old, &alice),
        Err(OpenError::KeyRetired { version: 1 })
    ));
    assert_eq!(open(v, &resealed, &alice).unwrap(), "alice@example.com");
    let new = seal(v, &alice, "alice@new.example");
    assert_eq!(new.header().unwrap().key_version, 2);
    // Retiring under a legal hold is refused, as shredding is.
    let hold = v
        .operator(officer())
        .hold::<Crm>(&alice, "case 1: litigation hold", None)
        .unwrap();
    assert!(matches!(
        v.operator(officer()).retire_subject_key_versions(&alice, 2),
        Err(AdminError::UnderLegalHold { .. })
    ));
    v.operator(officer()).release(&hold.id).unwrap();
    v.operator(officer()).shred(&alice).unwrap();
    assert!(matches!(
        v.operator(officer()).retire_subject_key_versions(&alice, 2),
        Err(AdminError::Shredded)
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
    v.operator(officer()).rotate_subject_key(&alice).unwrap();
    v.reseal(&first, &email_ctx()).unwrap();
    assert_eq!(
        v.operator(officer())
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
