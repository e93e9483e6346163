//! `sweep`: the cost of a sweep that destroys the same number of epoch keys (10, with
//! two subjects under legal hold, so 20 escrows) in an SQLite key store holding 1,000
//! or 100,000 subjects' keys. Ids `custodian/1000` and `custodian/100000`: the cost
//! must not grow with the population (goal: within 2× of each other).

use std::time::Duration;

use chrono::{TimeDelta, TimeZone, Utc};
use criterion::{BatchSize, BenchmarkId, Criterion, criterion_group, criterion_main};
use custodian::categories::Email;
use custodian::keys::LocalMasterKey;
use custodian::retention::ManualClock;
use custodian::sqlite::SqliteStore;
use custodian::{Context, Personal, Retention, SubjectId, Vault};

custodian::purpose! {
    struct Claims { basis: LegitimateInterests, description: "Defend legal claims.", uses: [Email] }
}

const EPOCHS: u32 = 10;
const HELD: usize = 2;

fn populated(subjects: usize, dir: &std::path::Path) -> (Vault, ManualClock) {
    let clock = ManualClock::new(Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap());
    let store = SqliteStore::open(dir.join(format!("sweep-{subjects}.db"))).unwrap();
    let vault = Vault::builder(
        LocalMasterKey::from_slice("bench", &[1; 32]).unwrap(),
        store.clone(),
    )
    .clock(clock.clone())
    .build();
    let ctx: Context<Email> = Context::new("customer", "email")
        .unwrap()
        .retain(Retention::UntilErased);
    for i in 0..subjects {
        let s = SubjectId::new(format!("cus_{i:08}")).unwrap();
        vault
            .seal(&Personal::new(s, String::from("someone@example.com")), &ctx)
            .unwrap();
    }
    for i in 0..HELD {
        let s = SubjectId::new(format!("cus_{i:08}")).unwrap();
        vault
            .operator(custodian::Actor::staff("emp-7", "privacy-officer"))
            .hold::<Claims>(&s, "bench hold", None)
            .unwrap();
    }
    (vault, clock)
}

fn sweep(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let mut group = c.benchmark_group("sweep");
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(10));
    let someone = SubjectId::new("cus_00000000").unwrap();
    for subjects in [1_000usize, 100_000] {
        let (vault, clock) = populated(subjects, dir.path());
        group.bench_with_input(
            BenchmarkId::new("custodian", subjects),
            &subjects,
            |b, _| {
                b.iter_batched(
                    // Create EPOCHS epoch keys (values expiring 1..=EPOCHS days from now),
                    // then move past them all.
                    || {
                        for days in 1..=EPOCHS {
                            let ctx = Context::<Email>::new("customer", "email")
                                .unwrap()
                                .retain(Retention::Days(days));
                            let p = Personal::new(someone.clone(), String::from("x@example.com"));
                            vault.seal(&p, &ctx).unwrap();
                        }
                        clock.advance(TimeDelta::days(i64::from(EPOCHS) + 1));
                    },
                    |()| {
                        let report = vault
                            .operator(custodian::Actor::staff("emp-7", "privacy-officer"))
                            .sweep()
                            .unwrap();
                        assert_eq!(report.epochs_destroyed.len(), EPOCHS as usize);
                        report
                    },
                    BatchSize::PerIteration,
                )
            },
        );
    }
    group.finish();
}

criterion_group!(benches, sweep);
criterion_main!(benches);
