//! The [`AuditSink`] suite.

use chrono::TimeDelta;

use super::{StoreFactory, ok, t0};
use crate::audit::{AuditEvent, AuditQuery, AuditSink, AuditTrail, EventKind, chain_hash};

fn event(writer: &str, i: usize) -> AuditEvent {
    let mut e = AuditEvent::new(EventKind::Export, t0() + TimeDelta::seconds(i as i64));
    e.purpose = Some(format!("{writer}-{i}"));
    e
}

/// Checks an [`AuditSink`] backend: a trail on the sink records events at positions
/// 0, 1, 2, ..., reads back exactly what it stored, in order (the entries chain and
/// `read` honours `from` and `limit`), answers queries, verifies, and continues the
/// chain on another handle (a restart). For a shared sink ([`AuditSink::is_shared`]),
/// two trails on two handles racing their appends must make one chain: every
/// position once, and the trail verifies.
///
/// # Panics
///
/// At the first violation, naming it.
pub fn audit_sink<F>(factory: &F)
where
    F: StoreFactory,
    F::Store: AuditSink + 'static,
{
    let sink = factory.fresh();
    let trail = ok(
        AuditTrail::new(factory.another_handle(&sink)),
        "AuditTrail::new",
    );
    for i in 0..25 {
        assert_eq!(
            ok(trail.record(&event("one", i)), "record"),
            i as u64,
            "conformance: an append reports its position"
        );
    }
    let entries = ok(sink.read(0, 100), "read");
    assert_eq!(
        entries.len(),
        25,
        "conformance: read returns every stored entry"
    );
    let mut prev = [0u8; 32];
    for (i, entry) in entries.iter().enumerate() {
        assert_eq!(
            entry.seq, i as u64,
            "conformance: entries are read in order"
        );
        assert_eq!(
            entry.decode().and_then(|e| e.purpose),
            Some(format!("one-{i}")),
            "conformance: an entry reads back as stored"
        );
        assert_eq!(
            entry.hash,
            chain_hash(&prev, entry.seq, &entry.event),
            "conformance: the stored hashes chain"
        );
        prev = entry.hash;
    }
    assert_eq!(
        ok(sink.read(10, 5), "read"),
        entries[10..15].to_vec(),
        "read(from, limit)"
    );
    assert!(ok(sink.read(25, 5), "read").is_empty());
    assert_eq!(
        ok(sink.last(), "last"),
        entries.last().cloned(),
        "last is the last entry"
    );
    let query = AuditQuery {
        purpose: Some("one-3".into()),
        ..AuditQuery::default()
    };
    assert_eq!(
        ok(sink.query(&query), "query").len(),
        1,
        "query matches by purpose"
    );
    assert_eq!(ok(trail.verify(None), "verify").entries, 25);
    drop(trail);
    // A restart: a trail on another handle continues the chain.
    let reopened = ok(
        AuditTrail::new(factory.another_handle(&sink)),
        "AuditTrail::new",
    );
    assert_eq!(
        ok(reopened.record(&event("two", 0)), "record"),
        25,
        "conformance: a trail on another handle continues after the last stored entry"
    );
    assert_eq!(ok(reopened.verify(None), "verify").entries, 26);
    if sink.is_shared() {
        racing_shared_appends(factory);
    }
}

fn racing_shared_appends<F>(factory: &F)
where
    F: StoreFactory,
    F::Store: AuditSink + 'static,
{
    let sink = factory.fresh();
    let one = ok(
        AuditTrail::new(factory.another_handle(&sink)),
        "AuditTrail::new",
    );
    let two = ok(
        AuditTrail::new(factory.another_handle(&sink)),
        "AuditTrail::new",
    );
    let positions = std::thread::scope(|scope| {
        let a = scope.spawn(|| {
            (0..20)
                .map(|i| ok(one.record(&event("one", i)), "record"))
                .collect::<Vec<u64>>()
        });
        let b = scope.spawn(|| {
            (0..20)
                .map(|i| ok(two.record(&event("two", i)), "record"))
                .collect::<Vec<u64>>()
        });
        (a.join(), b.join())
    });
    let (Ok(mut a), Ok(b)) = positions else {
        panic!("conformance: a racing append panicked");
    };
    a.extend(b);
    a.sort_unstable();
    assert_eq!(
        a,
        (0..40).collect::<Vec<u64>>(),
        "conformance: two writers on a shared sink must each get their own positions, one chain"
    );
    assert_eq!(
        ok(one.verify(None), "verify").entries,
        40,
        "conformance: the chain two writers made verifies"
    );
}
