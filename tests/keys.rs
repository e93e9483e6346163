//! Key handling against a careless or buggy caller: keys of the wrong length from a
//! custom master key, and cache lifetimes at the ends of their range.

#[allow(dead_code)]
mod common;

use common::sid;

use std::sync::Arc;
use std::time::Duration;

use custodian::categories::Email;
use custodian::keys::{KeyError, KeyStore, LocalMasterKey, MasterKey};
use custodian::memory::MemoryKeyStore;
use custodian::retention::{IntegrityKey, RetentionStore};
use custodian::{Access, Actor, Context, Personal, Sealed, SubjectId, Vault, VaultError};
use zeroize::Zeroizing;

custodian::purpose! {
    pub struct Crm { basis: Contract, description: "Serve your account.", uses: [Email] }
}

fn master() -> LocalMasterKey {
    LocalMasterKey::from_slice("m1", &[1; 32]).unwrap()
}

fn ctx() -> Context<Email> {
    Context::new("customer", "email")
        .unwrap()
        .retain(custodian::Retention::UntilErased)
}

fn seal(v: &Vault, s: &SubjectId) -> Result<Sealed<String, Email>, VaultError> {
    v.seal(
        &Personal::<String, Email>::new(s.clone(), "a@example.com".into()),
        &ctx(),
    )
}

fn open(v: &Vault, sealed: &Sealed<String, Email>, s: &SubjectId) -> Result<String, VaultError> {
    let access = Access::<Crm>::new(s.clone(), Actor::service("tests"));
    v.open(sealed, &ctx(), &access)
        .map(|p| p.read(&access).unwrap().clone())
}

/// A master key whose unwrap returns the wrong number of bytes, as a buggy KMS client
/// might: it wraps correctly, then truncates or pads what it unwraps.
struct Buggy {
    inner: LocalMasterKey,
    len: usize,
}

impl MasterKey for Buggy {
    fn id(&self) -> &str {
        self.inner.id()
    }
    fn wrap(&self, key: &[u8], aad: &[u8]) -> Result<Vec<u8>, KeyError> {
        self.inner.wrap(key, aad)
    }
    fn unwrap(&self, wrapped: &[u8], aad: &[u8]) -> Result<Zeroizing<Vec<u8>>, KeyError> {
        let mut key = self.inner.unwrap(wrapped, aad)?;
        key.resize(self.len, 0);
        Ok(key)
    }
}

#[test]
fn a_key_of_the_wrong_length_from_a_custom_master_key_is_refused() {
    for len in [0, 1, 16, 31, 33, 64] {
        let store = Arc::new(MemoryKeyStore::new());
        let s = sid("cus_1");
        // A sound vault creates the subject key and the subject-reference secret.
        let good = Vault::new(master(), store.clone());
        let sealed = seal(&good, &s).unwrap();
        good.subject_ref(&s).unwrap();
        let buggy = Vault::new(
            Buggy {
                inner: master(),
                len,
            },
            store.clone(),
        );
        // Sealing under a key derived from `len` bytes (zero: from public inputs only)
        // must not happen: a typed error instead, and nothing panics.
        let wrong = |r: Result<(), VaultError>| matches!(r, Err(VaultError::Key(KeyError::WrongKeyLength { expected: 32, len: l, .. })) if l == len);
        assert!(wrong(seal(&buggy, &s).map(drop)), "seal, {len} bytes");
        assert!(wrong(open(&buggy, &sealed, &s).map(drop)), "open, {len}");
        assert!(wrong(buggy.subject_ref(&s).map(drop)), "secret, {len}");
        // Re-wrapping refuses to move a key it cannot vouch for.
        let rotating = Vault::builder(
            Buggy {
                inner: LocalMasterKey::from_slice("m2", &[2; 32]).unwrap(),
                len,
            },
            store.clone(),
        )
        .previous_master_key(Buggy {
            inner: master(),
            len,
        })
        .build();
        assert!(
            wrong(
                rotating
                    .operator(custodian::Actor::staff("emp-7", "privacy-officer"))
                    .rewrap_keys()
                    .map(drop)
            ),
            "rewrap, {len}"
        );
        assert_eq!(store.latest(&s).unwrap().unwrap().1.master_id, "m1");
        assert_eq!(open(&good, &sealed, &s).unwrap(), "a@example.com");
    }
}

/// Shreds `s` straight in the shared store, as another process would, behind `v`.
fn shred_in_store(store: &MemoryKeyStore, v: &Vault, s: &SubjectId) {
    store
        .shred(
            s,
            &v.subject_ref(s).unwrap(),
            chrono::Utc::now(),
            &IntegrityKey::from_secret(&[0; 32]),
        )
        .unwrap();
}

#[test]
fn a_cache_ttl_of_duration_max_neither_panics_nor_disables_the_cache() {
    let store = Arc::new(MemoryKeyStore::new());
    let v = Vault::builder(master(), store.clone())
        .cache_ttl(Duration::MAX)
        .build();
    let s = sid("cus_1");
    let a = seal(&v, &s).unwrap();
    let b = seal(&v, &s).unwrap();
    let (na, nb) = (a.header().unwrap().nonce, b.header().unwrap().nonce);
    assert_eq!(na[..8], nb[..8], "the second seal used the cached key");
    assert_ne!(na, nb);
    // Cached means not re-read: another process's shred (straight in the shared
    // store) shows here only once the (clamped) TTL has passed.
    shred_in_store(&store, &v, &s);
    assert_eq!(open(&v, &a, &s).unwrap(), "a@example.com");
    assert!(seal(&v, &s).is_ok());
}

#[test]
fn a_cache_ttl_of_zero_rereads_the_store_but_never_redraws_the_nonce_prefix() {
    let store = Arc::new(MemoryKeyStore::new());
    let v = Vault::builder(master(), store.clone())
        .cache_ttl(Duration::ZERO)
        .build();
    let s = sid("cus_1");
    let nonces: Vec<[u8; 12]> = (0..50)
        .map(|_| seal(&v, &s).unwrap().header().unwrap().nonce)
        .collect();
    for n in &nonces {
        assert_eq!(n[..8], nonces[0][..8], "one prefix for one data key");
    }
    let distinct: std::collections::HashSet<_> = nonces.iter().collect();
    assert_eq!(distinct.len(), nonces.len());
    // The store is still re-read on every seal and open: a shred by another process
    // (here, straight in the shared store) takes effect at once.
    let sealed = seal(&v, &s).unwrap();
    assert_eq!(open(&v, &sealed, &s).unwrap(), "a@example.com");
    shred_in_store(&store, &v, &s);
    assert!(matches!(open(&v, &sealed, &s), Err(VaultError::Shredded)));
    assert!(matches!(seal(&v, &s), Err(VaultError::Shredded)));
}

/// A master key whose unwrap returns 32 zero bytes, the classic failure of a KMS client
/// that hands back an unfilled buffer: data keys would derive from public inputs only.
struct Zeroes(LocalMasterKey);

impl MasterKey for Zeroes {
    fn id(&self) -> &str {
        self.0.id()
    }
    fn wrap(&self, key: &[u8], aad: &[u8]) -> Result<Vec<u8>, KeyError> {
        self.0.wrap(key, aad)
    }
    fn unwrap(&self, wrapped: &[u8], aad: &[u8]) -> Result<Zeroizing<Vec<u8>>, KeyError> {
        self.0.unwrap(wrapped, aad)?;
        Ok(Zeroizing::new(vec![0; 32]))
    }
}

#[test]
fn an_all_zero_key_from_a_custom_master_key_is_refused() {
    let store = Arc::new(MemoryKeyStore::new());
    let s = sid("cus_1");
    let good = Vault::new(master(), store.clone());
    let sealed = seal(&good, &s).unwrap();
    good.subject_ref(&s).unwrap();
    let zero = Vault::new(Zeroes(master()), store.clone());
    let weak = |r: Result<(), VaultError>| matches!(r, Err(VaultError::Key(KeyError::WeakKey { ref master_id })) if master_id == "m1");
    assert!(weak(seal(&zero, &s).map(drop)), "seal");
    assert!(weak(open(&zero, &sealed, &s).map(drop)), "open");
    assert!(weak(zero.subject_ref(&s).map(drop)), "secret");
    // A fresh subject: its new key is created, then unwrapped, and refused.
    assert!(weak(seal(&zero, &sid("cus_2")).map(drop)), "new subject");
    assert_eq!(open(&good, &sealed, &s).unwrap(), "a@example.com");
}

#[test]
fn an_all_zero_local_master_key_is_refused() {
    assert!(matches!(
        LocalMasterKey::from_slice("m0", &[0; 32]),
        Err(KeyError::WeakKey { .. })
    ));
    assert!(LocalMasterKey::from_slice("m1", &[1; 32]).is_ok());
}
