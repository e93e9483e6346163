//! Field sealing and opening against raw `ring` in the same run.
//!
//! Groups `field_seal` and `field_open` (parameter: plaintext bytes) with ids
//! `ring_raw` (the floor: a prepared `LessSafeKey`, counter nonce, no header),
//! `ring_raw_aad34` (the same with 34 bytes of associated data, as format v2 bound:
//! the floor for any design that authenticates the header as associated data; format
//! v3 binds none),
//! `custodian` (the vault, warm key cache, `Personal<Vec<u8>>` in and out),
//! `naive_envelope` (fresh `SystemRandom` nonce and key construction per call) and
//! `aes_gcm_rustcrypto` (the RustCrypto `aes-gcm` crate, same key), and
//! `custodian_retained` (a context with a 30-day retention: a retention-epoch key, and
//! on open the expiry check against the clock); `field_open/custodian_audited/64` is
//! `custodian` with every open recorded in an in-memory audit trail. Group `key_cold`:
//! the first seal for a new subject (key generation, wrap, store insert).

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use aes_gcm::aead::{Aead, KeyInit};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use custodian::categories::Communications;
use custodian::keys::LocalMasterKey;
use custodian::sqlite::SqliteStore;
use custodian::{Access, Actor, Context, Personal, Sealed, SubjectId, Vault};
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};

custodian::purpose! {
    pub struct Support { basis: Contract, description: "Support.", uses: [Communications] }
}

const SIZES: [usize; 4] = [16, 64, 1024, 16384];
const KEY: [u8; 32] = [0x42; 32];

fn counter_nonce(ctr: &AtomicU64) -> Nonce {
    let mut n = [0u8; 12];
    n[4..].copy_from_slice(&ctr.fetch_add(1, Ordering::Relaxed).to_be_bytes());
    Nonce::assume_unique_for_key(n)
}

fn ring_seal(key: &LessSafeKey, ctr: &AtomicU64, pt: &[u8]) -> Vec<u8> {
    let mut buf = Vec::with_capacity(pt.len() + 16);
    buf.extend_from_slice(pt);
    key.seal_in_place_append_tag(counter_nonce(ctr), Aad::empty(), &mut buf)
        .unwrap();
    buf
}

/// The associated data format v2 bound (34 bytes), for the `ring_raw_aad34` baseline:
/// raw `ring` with that AAD length. Format v3 binds no associated data.
const AAD34: [u8; 34] = [0x5c; 34];

fn ring_seal_aad(key: &LessSafeKey, ctr: &AtomicU64, pt: &[u8]) -> Vec<u8> {
    let mut buf = Vec::with_capacity(pt.len() + 16);
    buf.extend_from_slice(pt);
    key.seal_in_place_append_tag(counter_nonce(ctr), Aad::from(&AAD34), &mut buf)
        .unwrap();
    buf
}

fn naive_seal(rng: &SystemRandom, pt: &[u8]) -> Vec<u8> {
    let mut nonce = [0u8; 12];
    rng.fill(&mut nonce).unwrap();
    let key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &KEY).unwrap());
    let mut buf = Vec::with_capacity(12 + pt.len() + 16);
    buf.extend_from_slice(&nonce);
    buf.extend_from_slice(pt);
    let tag = key
        .seal_in_place_separate_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::empty(),
            &mut buf[12..],
        )
        .unwrap();
    buf.extend_from_slice(tag.as_ref());
    buf
}

fn naive_open(sealed: &[u8]) -> Vec<u8> {
    let key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &KEY).unwrap());
    let nonce = Nonce::try_assume_unique_for_key(&sealed[..12]).unwrap();
    let mut buf = sealed[12..].to_vec();
    let n = key
        .open_in_place(nonce, Aad::empty(), &mut buf)
        .unwrap()
        .len();
    buf.truncate(n);
    buf
}

struct Setup {
    vault: Vault,
    audited: Vault,
    subject: SubjectId,
    ctx: Context<Communications>,
    retained: Context<Communications>,
    ring_key: LessSafeKey,
    rc: aes_gcm::Aes256Gcm,
}

fn setup() -> Setup {
    let vault = Vault::in_memory(LocalMasterKey::from_slice("bench", &KEY).unwrap());
    let subject = SubjectId::new("cus_00000001").unwrap();
    let ctx = Context::new("ticket", "body")
        .unwrap()
        .retain(custodian::Retention::UntilErased);
    let retained = Context::new("ticket", "body")
        .unwrap()
        .retain(custodian::Retention::Days(30));
    // Warm the key cache.
    let warm: Personal<Vec<u8>, Communications> = Personal::new(subject.clone(), vec![0]);
    vault.seal(&warm, &ctx).unwrap();
    vault.seal(&warm, &retained).unwrap();
    let trail = std::sync::Arc::new(
        custodian::audit::AuditTrail::new(custodian::audit::MemorySink::new()).unwrap(),
    );
    let audited = Vault::builder(
        LocalMasterKey::from_slice("bench", &KEY).unwrap(),
        custodian::memory::MemoryKeyStore::new(),
    )
    .audit(trail)
    .build();
    audited.seal(&warm, &ctx).unwrap();
    Setup {
        vault,
        audited,
        subject,
        ctx,
        retained,
        ring_key: LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &KEY).unwrap()),
        rc: aes_gcm::Aes256Gcm::new_from_slice(&KEY).unwrap(),
    }
}

fn field_seal(c: &mut Criterion) {
    let s = setup();
    let rng = SystemRandom::new();
    let ctr = AtomicU64::new(0);
    let mut group = c.benchmark_group("field_seal");
    for size in SIZES {
        let pt = vec![0xa5u8; size];
        group.throughput(Throughput::Bytes(size as u64));
        group.bench_with_input(BenchmarkId::new("ring_raw", size), &pt, |b, pt| {
            b.iter(|| ring_seal(&s.ring_key, &ctr, black_box(pt)))
        });
        group.bench_with_input(BenchmarkId::new("ring_raw_aad34", size), &pt, |b, pt| {
            b.iter(|| ring_seal_aad(&s.ring_key, &ctr, black_box(pt)))
        });
        let personal: Personal<Vec<u8>, Communications> =
            Personal::new(s.subject.clone(), pt.clone());
        group.bench_with_input(BenchmarkId::new("custodian", size), &personal, |b, p| {
            b.iter(|| s.vault.seal(black_box(p), &s.ctx).unwrap())
        });
        group.bench_with_input(
            BenchmarkId::new("custodian_retained", size),
            &personal,
            |b, p| b.iter(|| s.vault.seal(black_box(p), &s.retained).unwrap()),
        );
        group.bench_with_input(BenchmarkId::new("naive_envelope", size), &pt, |b, pt| {
            b.iter(|| naive_seal(&rng, black_box(pt)))
        });
        group.bench_with_input(
            BenchmarkId::new("aes_gcm_rustcrypto", size),
            &pt,
            |b, pt| {
                b.iter(|| {
                    let mut n = [0u8; 12];
                    n[4..].copy_from_slice(&ctr.fetch_add(1, Ordering::Relaxed).to_be_bytes());
                    s.rc.encrypt(&n.into(), black_box(pt.as_slice())).unwrap()
                })
            },
        );
    }
    group.finish();
}

fn field_open(c: &mut Criterion) {
    let s = setup();
    let rng = SystemRandom::new();
    let ctr = AtomicU64::new(0);
    let access = Access::<Support>::new(s.subject.clone(), Actor::service("bench"));
    let mut group = c.benchmark_group("field_open");
    for size in SIZES {
        let pt = vec![0xa5u8; size];
        group.throughput(Throughput::Bytes(size as u64));
        let nonce = [7u8; 12];
        let raw = {
            let mut buf = pt.clone();
            s.ring_key
                .seal_in_place_append_tag(
                    Nonce::assume_unique_for_key(nonce),
                    Aad::empty(),
                    &mut buf,
                )
                .unwrap();
            buf
        };
        group.bench_with_input(BenchmarkId::new("ring_raw", size), &raw, |b, raw| {
            b.iter(|| {
                let mut buf = black_box(raw).clone();
                let n = s
                    .ring_key
                    .open_in_place(Nonce::assume_unique_for_key(nonce), Aad::empty(), &mut buf)
                    .unwrap()
                    .len();
                buf.truncate(n);
                buf
            })
        });
        let raw_aad = {
            let mut buf = pt.clone();
            s.ring_key
                .seal_in_place_append_tag(
                    Nonce::assume_unique_for_key(nonce),
                    Aad::from(&AAD34),
                    &mut buf,
                )
                .unwrap();
            buf
        };
        group.bench_with_input(
            BenchmarkId::new("ring_raw_aad34", size),
            &raw_aad,
            |b, raw| {
                b.iter(|| {
                    let mut buf = black_box(raw).clone();
                    let n = s
                        .ring_key
                        .open_in_place(
                            Nonce::assume_unique_for_key(nonce),
                            Aad::from(&AAD34),
                            &mut buf,
                        )
                        .unwrap()
                        .len();
                    buf.truncate(n);
                    buf
                })
            },
        );
        let personal: Personal<Vec<u8>, Communications> =
            Personal::new(s.subject.clone(), pt.clone());
        let sealed: Sealed<Vec<u8>, Communications> = s.vault.seal(&personal, &s.ctx).unwrap();
        group.bench_with_input(BenchmarkId::new("custodian", size), &sealed, |b, sealed| {
            b.iter(|| s.vault.open(black_box(sealed), &s.ctx, &access).unwrap())
        });
        // Audited: the same open recorded in an in-memory trail (fail-closed).
        if size == 64 {
            let sealed = s.audited.seal(&personal, &s.ctx).unwrap();
            group.bench_with_input(
                BenchmarkId::new("custodian_audited", size),
                &sealed,
                |b, sealed| b.iter(|| s.audited.open(black_box(sealed), &s.ctx, &access).unwrap()),
            );
        }
        // With a retention period: an epoch-derived key and the expiry check on open.
        let retained = s.vault.seal(&personal, &s.retained).unwrap();
        group.bench_with_input(
            BenchmarkId::new("custodian_retained", size),
            &retained,
            |b, sealed| {
                b.iter(|| {
                    s.vault
                        .open(black_box(sealed), &s.retained, &access)
                        .unwrap()
                })
            },
        );
        let naive = naive_seal(&rng, &pt);
        group.bench_with_input(
            BenchmarkId::new("naive_envelope", size),
            &naive,
            |b, sealed| b.iter(|| naive_open(black_box(sealed))),
        );
        let n = [9u8; 12];
        let rc_sealed = s.rc.encrypt(&n.into(), pt.as_slice()).unwrap();
        let _ = &ctr;
        group.bench_with_input(
            BenchmarkId::new("aes_gcm_rustcrypto", size),
            &rc_sealed,
            |b, ct| b.iter(|| s.rc.decrypt(&n.into(), black_box(ct.as_slice())).unwrap()),
        );
    }
    group.finish();
}

fn key_cold(c: &mut Criterion) {
    let mut group = c.benchmark_group("key_cold");
    let ctx = Context::new("customer", "email")
        .unwrap()
        .retain(custodian::Retention::UntilErased);
    let next = AtomicU64::new(0);
    let fresh = || {
        let id = next.fetch_add(1, Ordering::Relaxed);
        Personal::<Vec<u8>, Communications>::new(
            SubjectId::new(format!("cold_{id}")).unwrap(),
            vec![1; 32],
        )
    };
    let memory = Vault::in_memory(LocalMasterKey::from_slice("bench", &KEY).unwrap());
    group.bench_function("memory", |b| {
        b.iter(|| memory.seal(&fresh(), &ctx).unwrap())
    });

    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("bench.db")).unwrap();
    let sqlite = Vault::new(LocalMasterKey::from_slice("bench", &KEY).unwrap(), store);
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(5));
    group.bench_function("sqlite", |b| {
        b.iter(|| sqlite.seal(&fresh(), &ctx).unwrap())
    });
    group.finish();
}

criterion_group!(benches, field_seal, field_open, key_cold);
criterion_main!(benches);
