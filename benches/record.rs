//! `record_seal`: sealing a customer with five personal fields (16 to 64 bytes) through
//! the derive, warm key cache, against five raw `ring` seals of the same bytes with a
//! prepared key and a counter nonce; `ring_raw_fields_aad34` adds 34 bytes of
//! associated data per field (what format v2 bound; v3 binds nothing as AAD).
//! `record_open`: opening the sealed customer for a purpose that uses all five
//! categories (every `Personal` built, and wiped when dropped), against five raw
//! `ring` opens of the same fields (`ring_raw_fields`).

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};

use criterion::{Criterion, criterion_group, criterion_main};
use custodian::categories::{Email, Name, PaymentCard, Phone, PostalAddress};
use custodian::keys::LocalMasterKey;
use custodian::{Access, Actor, Personal, PersonalData, SubjectId, Vault};
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};

#[derive(PersonalData)]
#[personal(record = "customer", retain = "until_erased")]
pub struct Customer {
    #[personal(subject)]
    pub id: SubjectId,
    pub name: Personal<String, Name>,
    pub email: Personal<String, Email>,
    pub phone: Personal<String, Phone>,
    pub address: Personal<String, PostalAddress>,
    pub card: Personal<String, PaymentCard>,
    pub plan: String,
}

custodian::purpose! {
    pub struct Account {
        basis: Contract,
        description: "Run the customer's account.",
        uses: [Name, Email, Phone, PostalAddress, PaymentCard],
    }
}

const FIELDS: [&str; 5] = [
    "Alice Example-Longname",                                       // 22 B
    "alice.example@example.com",                                    // 25 B
    "+1 555 0100 ext 42",                                           // 18 B
    "1 Quiet Lane, Flat 4, Springfield, Some County, AB1 2CD, UK.", // 60 B
    "4111111111111111",                                             // 16 B
];

/// A vault and the benchmark's customer (`FIELDS` in its five personal fields).
fn vault_and_customer() -> (Vault, Customer) {
    let vault = Vault::in_memory(LocalMasterKey::from_slice("bench", &[0x42; 32]).unwrap());
    let id = SubjectId::new("cus_00000001").unwrap();
    fn p<C: custodian::Category>(id: &SubjectId, i: usize) -> Personal<String, C> {
        Personal::new(id.clone(), FIELDS[i].to_owned())
    }
    let customer = Customer {
        id: id.clone(),
        name: p(&id, 0),
        email: p(&id, 1),
        phone: p(&id, 2),
        address: p(&id, 3),
        card: p(&id, 4),
        plan: "gold".into(),
    };
    (vault, customer)
}

fn record_seal(c: &mut Criterion) {
    let (vault, customer) = vault_and_customer();
    customer.seal(&vault).unwrap(); // warm the key cache

    let key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &[0x42; 32]).unwrap());
    let ctr = AtomicU64::new(0);

    let mut group = c.benchmark_group("record_seal");
    group.bench_function("custodian", |b| {
        b.iter(|| black_box(&customer).seal(&vault).unwrap())
    });
    // Five raw seals of the same bytes, with `aad` as associated data.
    let raw_fields = |aad: &[u8]| {
        FIELDS.map(|f| {
            let mut nonce = [0u8; 12];
            nonce[4..].copy_from_slice(&ctr.fetch_add(1, Ordering::Relaxed).to_be_bytes());
            let mut buf = Vec::with_capacity(f.len() + 16);
            buf.extend_from_slice(black_box(f).as_bytes());
            key.seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(aad),
                &mut buf,
            )
            .unwrap();
            buf
        })
    };
    group.bench_function("ring_raw_fields", |b| b.iter(|| raw_fields(&[])));
    // The same with each field's 34 bytes of associated data (format v2 binds them).
    group.bench_function("ring_raw_fields_aad34", |b| {
        b.iter(|| raw_fields(&[0x5c; 34]))
    });
    group.finish();
}

fn record_open(c: &mut Criterion) {
    let (vault, customer) = vault_and_customer();
    let sealed = customer.seal(&vault).unwrap();
    let access = Access::<Account>::new(customer.id.clone(), Actor::service("bench"));
    sealed.open(&vault, &access).unwrap(); // warm the key cache

    let key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &[0x42; 32]).unwrap());
    let nonce = [7u8; 12];
    let raw: [Vec<u8>; 5] = FIELDS.map(|f| {
        let mut buf = f.as_bytes().to_vec();
        key.seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::empty(), &mut buf)
            .unwrap();
        buf
    });

    let mut group = c.benchmark_group("record_open");
    group.bench_function("custodian", |b| {
        b.iter(|| black_box(&sealed).open(&vault, &access).unwrap())
    });
    group.bench_function("ring_raw_fields", |b| {
        b.iter(|| {
            black_box(&raw).each_ref().map(|sealed| {
                let mut buf = sealed.clone();
                let n = key
                    .open_in_place(Nonce::assume_unique_for_key(nonce), Aad::empty(), &mut buf)
                    .unwrap()
                    .len();
                buf.truncate(n);
                buf
            })
        })
    });
    group.finish();
}

criterion_group!(benches, record_seal, record_open);
criterion_main!(benches);
