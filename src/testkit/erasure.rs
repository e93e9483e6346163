//! The [`ErasureStore`] suite.

use super::retention::days;
use super::{StoreFactory, ok, subject, t0, wrapped};
use crate::retention::{ErasureStore, ExceptionRecord, QueuedErasure, StoredException};
use crate::store::StoreError;

/// Checks an [`ErasureStore`] backend: kept category keys are stored (replacing one
/// for the same subject, version and category), found, and destroyed once their
/// exception ends; queued erasures are stored (one per subject), listed oldest first
/// and removed. A backend that keeps the trait's defaults must refuse consistently:
/// [`StoreError::Unsupported`] on writes, nothing on reads.
///
/// # Panics
///
/// At the first violation, naming it.
pub fn erasure_store<F>(factory: &F)
where
    F: StoreFactory,
    F::Store: ErasureStore,
{
    let store = factory.fresh();
    let record = |category: &str, until: i64| ExceptionRecord {
        category: category.into(),
        purpose: "testkit.tax".into(),
        law: "testkit law".into(),
        until: t0() + days(until),
    };
    let kept = |category: &str, until: i64, tag: u8| StoredException {
        subject: subject(1),
        version: 1,
        exception: record(category, until),
        key: wrapped("m1", tag),
    };
    match store.insert_exception(&kept("user.contact.email", 10, 1)) {
        Err(StoreError::Unsupported { .. }) => {
            assert_eq!(
                ok(
                    store.exception(&subject(1), 1, "user.contact.email"),
                    "exception"
                ),
                None
            );
            assert!(matches!(
                store.queue_erasure(&queued(1, 0)),
                Err(StoreError::Unsupported { .. })
            ));
            assert!(ok(store.queued_erasures(), "queued_erasures").is_empty());
            return;
        }
        other => ok(other, "insert_exception"),
    }
    ok(
        store.insert_exception(&kept("user.contact.email", 20, 2)),
        "insert_exception",
    );
    ok(
        store.insert_exception(&kept("user.contact.address", 5, 3)),
        "insert_exception",
    );
    assert_eq!(
        ok(
            store.exception(&subject(1), 1, "user.contact.email"),
            "exception"
        ),
        Some(kept("user.contact.email", 20, 2)),
        "conformance: an exception replaces one for the same subject, version and category"
    );
    assert_eq!(
        ok(
            store.exception(&subject(1), 2, "user.contact.email"),
            "exception"
        ),
        None
    );
    assert_eq!(
        ok(store.end_exceptions(t0() + days(5)), "end_exceptions"),
        1
    );
    assert_eq!(
        ok(
            store.exception(&subject(1), 1, "user.contact.address"),
            "exception"
        ),
        None
    );
    assert!(
        ok(
            store.exception(&subject(1), 1, "user.contact.email"),
            "exception"
        )
        .is_some()
    );
    ok(store.queue_erasure(&queued(1, 0)), "queue_erasure");
    ok(store.queue_erasure(&queued(2, 1)), "queue_erasure");
    ok(store.queue_erasure(&queued(1, 2)), "queue_erasure");
    let listed = ok(store.queued_erasures(), "queued_erasures");
    assert_eq!(
        listed
            .iter()
            .map(|q| q.subject.clone())
            .collect::<Vec<_>>()
            .len(),
        2,
        "conformance: one queued erasure per subject"
    );
    assert!(listed.contains(&queued(1, 2)) && listed.contains(&queued(2, 1)));
    ok(store.dequeue_erasure(&subject(1)), "dequeue_erasure");
    assert_eq!(
        ok(store.queued_erasures(), "queued_erasures"),
        vec![queued(2, 1)]
    );
}

fn queued(n: usize, day: i64) -> QueuedErasure {
    QueuedErasure {
        subject: subject(n),
        requested_at: t0() + days(day),
        exceptions: Vec::new(),
        mac: vec![n as u8; 32],
    }
}
