//! `audit_append`: appending one access event to an in-memory trail (canonical encoding,
//! chain hash, store), id `custodian_memory`, against `sha256_only`: one SHA-256 of the
//! same encoded event, the floor of any hash chain. Goal: within 2×.
//!
//! `custodian_memory` starts every sample with an empty trail (it then holds up to the
//! sample's iteration count, ~10⁵ entries, growing its buffers as it goes), so that
//! what it measures is the append, not the run's length: with one trail for the whole
//! run, the trail reaches a gigabyte and the figure follows how much of that memory
//! the kernel (and, on a VM, the host) must hand over fresh. That case is measured too,
//! as `custodian_memory_growing`, and `docs/performance.md` gives both.
//! (`field_open/custodian_audited` in `benches/field.rs` measures an audited open.)

use std::hint::black_box;
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use custodian::Actor;
use custodian::audit::{
    ActorRecord, AuditEvent, AuditTrail, EventKind, MemorySink, SubjectPseudonym,
};

fn event() -> AuditEvent {
    let mut e = AuditEvent::new(
        EventKind::Access,
        Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap(),
    );
    e.actor = Some(ActorRecord::from(&Actor::staff("emp-00042", "support")));
    e.purpose = Some("support".into());
    e.subject = Some(
        serde_json::from_str::<SubjectPseudonym>("\"sp1:0123456789abcdef0123456789abcdef\"")
            .unwrap(),
    );
    e.record = Some("customer".into());
    e.field = Some("email".into());
    e.category = Some("user.contact.email".into());
    e
}

fn audit_append(c: &mut Criterion) {
    let mut group = c.benchmark_group("audit_append");
    group.measurement_time(Duration::from_secs(3));
    let e = event();
    group.bench_function("custodian_memory", |b| {
        b.iter_custom(|iters| {
            let trail = AuditTrail::new(MemorySink::new()).unwrap();
            let start = Instant::now();
            for _ in 0..iters {
                trail.record(black_box(&e)).unwrap();
            }
            let took = start.elapsed();
            drop(trail); // not timed
            took
        })
    });
    let trail = AuditTrail::new(MemorySink::new()).unwrap();
    group.bench_function("custodian_memory_growing", |b| {
        b.iter(|| trail.record(black_box(&e)).unwrap())
    });
    drop(trail);
    let bytes = e.encode();
    group.bench_function("sha256_only", |b| {
        b.iter(|| ring::digest::digest(&ring::digest::SHA256, black_box(&bytes)))
    });
    group.finish();
}

criterion_group!(benches, audit_append);
criterion_main!(benches);
