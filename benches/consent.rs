//! `consent_check`: a live consent check on a ledger of 100,000 subjects, in memory,
//! against the floor of a plain `HashMap<(SubjectId, &str), bool>` lookup.

use std::collections::HashMap;
use std::hint::black_box;

use chrono::{TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use custodian::categories::Email;
use custodian::consent::{Channel, ConsentLedger, ConsentMethod, Evidence};
use custodian::retention::ManualClock;
use custodian::{Actor, SubjectId};

custodian::purpose! {
    pub struct Newsletter { basis: Consent, description: "Newsletter.", uses: [Email] }
}

const SUBJECTS: usize = 100_000;

fn consent_check(c: &mut Criterion) {
    let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let subjects: Vec<SubjectId> = (0..SUBJECTS)
        .map(|i| SubjectId::new(format!("cus_{i:08}")).unwrap())
        .collect();
    let ledger = ConsentLedger::in_memory().with_clock(ManualClock::new(now));
    let notice = ledger
        .register_notice::<Newsletter>("newsletter", 1, "Send me the newsletter.")
        .unwrap();
    let mut floor: HashMap<(SubjectId, &str), bool> = HashMap::new();
    for s in &subjects {
        let ev = Evidence::new(
            notice.clone(),
            ConsentMethod::TickedCheckbox,
            Channel::Email,
        );
        ledger.give::<Newsletter>(s, ev).unwrap();
        floor.insert((s.clone(), "Newsletter"), true);
    }

    let mut group = c.benchmark_group("consent_check");
    let mut i = 0usize;
    group.bench_function("custodian", |b| {
        b.iter(|| {
            i = (i + 7919) % SUBJECTS;
            let access = ledger
                .access::<Newsletter>(black_box(&subjects[i]), Actor::service("mailer"))
                .is_ok();
            black_box(access)
        })
    });
    let mut i = 0usize;
    group.bench_function("hashmap_lookup", |b| {
        b.iter(|| {
            i = (i + 7919) % SUBJECTS;
            let key = (black_box(&subjects[i]).clone(), "Newsletter");
            black_box(floor.get(&key).copied().unwrap_or(false))
        })
    });
    group.finish();
}

criterion_group!(benches, consent_check);
criterion_main!(benches);
