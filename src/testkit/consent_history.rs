//! [`ConsentStore::history`]: every event about the subject, in append order, none
//! dropped, duplicated, reordered or of another subject.

use chrono::Duration;

use super::consent::{Promo, Survey, evidence, key, register, subject, t0};
use super::{StoreFactory, ok};
use crate::access::Actor;
use crate::consent::{Channel, ConsentEvent, ConsentLedger, ConsentStore};
use crate::purpose::Purpose;
use crate::retention::ManualClock;

/// The kind of an event, for the messages.
fn kind(e: &ConsentEvent) -> &'static str {
    match e {
        ConsentEvent::Given(_) => "given",
        ConsentEvent::Withdrawn(_) => "withdrawn",
        ConsentEvent::Confirmed(_) => "confirmed",
        ConsentEvent::Erased(_) => "erased",
    }
}

/// Records a known sequence for one subject, interleaved with another subject's
/// events, and checks `history` against it twice: the kinds and purposes in the order
/// recorded, and the events themselves as the chain (`read_events`) holds them.
pub(super) fn history_is_every_event_in_order<F>(factory: &F)
where
    F: StoreFactory,
    F::Store: ConsentStore + 'static,
{
    let store = factory.fresh();
    let clock = ManualClock::new(t0());
    let ledger = ok(
        ConsentLedger::new(factory.another_handle(&store), key()),
        "ConsentLedger::new",
    )
    .with_clock(clock.clone());
    register(&ledger);
    let (a, b) = (subject("history_a"), subject("history_b"));
    let step = |f: &dyn Fn()| {
        f();
        clock.advance(Duration::minutes(1));
    };
    let user = || Actor::data_subject();
    step(&|| ok(ledger.give::<Promo>(&a, evidence(1)), "give"));
    step(&|| ok(ledger.give::<Promo>(&b, evidence(1)), "give"));
    step(&|| ok(ledger.give::<Survey>(&a, evidence(2)), "give"));
    step(&|| {
        ok(
            ledger.withdraw::<Promo>(&a, user(), Channel::Web),
            "withdraw",
        );
    });
    step(&|| {
        ok(
            ledger.withdraw::<Promo>(&b, user(), Channel::Web),
            "withdraw",
        );
    });
    step(&|| ok(ledger.give::<Promo>(&a, evidence(3)), "give"));
    step(&|| {
        ok(
            ledger.withdraw::<Survey>(&a, user(), Channel::Web),
            "withdraw",
        );
    });
    let want = [
        ("given", Promo::NAME),
        ("given", Survey::NAME),
        ("withdrawn", Promo::NAME),
        ("given", Promo::NAME),
        ("withdrawn", Survey::NAME),
    ];
    let history = ok(store.history(&a), "history");
    let got: Vec<(&str, &str)> = history.iter().map(|e| (kind(e), e.purpose())).collect();
    assert_eq!(
        got, want,
        "conformance: history must return every event about the subject, once each, in append order"
    );
    assert!(
        history.iter().all(|e| e.subject() == Some(&a)),
        "conformance: history must return only the subject's events"
    );
    let chained: Vec<ConsentEvent> = ok(store.read_events(0, 1_000), "read_events")
        .into_iter()
        .map(|c| c.event)
        .filter(|e| e.subject() == Some(&a))
        .collect();
    assert_eq!(
        history, chained,
        "conformance: history must return the subject's events as the chain holds them"
    );
}
