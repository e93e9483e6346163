//! The [`ConsentStore`] suite: the consent ledger's model test, run on the backend.
//! (Over 500 lines: the model and its runner, moved whole from `tests/consent.rs`,
//! read together; splitting them would separate each rule from its check.)
//!
//! Model test: random give / withdraw / confirm / erase / expire / notice bump / clock
//! advance sequences, with consents dated out of order (late evidence, and up to twice
//! the skew tolerance ahead of the ledger's clock), and two ledgers on one store whose
//! clocks disagree by up to the skew tolerance (`Skew`): withdrawals and confirmations
//! are dated by the clock of the ledger that records them, so they too come out of
//! date order. Erasures are dated by the first ledger's clock.

use chrono::{DateTime, Duration, TimeZone, Utc};
use proptest::prelude::*;

use super::{StoreFactory, ok, run_model as run_cases};
use crate::access::Actor;
use crate::consent::{
    Channel, ConsentError, ConsentLedger, ConsentMethod, ConsentStore, Evidence, EvidenceKey,
    MAX_CLOCK_SKEW, Notice, Withdrawal,
};
use crate::retention::ManualClock;
use crate::subject::SubjectId;

crate::purpose! {
    /// The suite's consent purpose, any notice version.
    pub struct Promo { basis: Consent, description: "Testkit offers by email.", uses: [crate::categories::Email] }
    /// The suite's consent purpose whose declaration requires notice version 2.
    pub struct Survey {
        basis: Consent,
        min_notice_version: 2,
        description: "Testkit survey.",
        uses: [crate::categories::Email],
    }
}

pub(super) fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or(DateTime::UNIX_EPOCH)
}

pub(super) fn key() -> EvidenceKey {
    ok(
        EvidenceKey::from_slice(&[7u8; 32]),
        "EvidenceKey::from_slice",
    )
}

fn text(version: u32) -> String {
    format!("Email me offers (v{version})")
}

/// Registers the `promo` notice, versions 1 to 5, for the suite's purposes.
pub(super) fn register(ledger: &ConsentLedger) {
    for v in 1..=5 {
        ok(
            ledger.register_notice::<Promo>("promo", v, &text(v)),
            "register_notice",
        );
        ok(
            ledger.register_notice::<Survey>("promo", v, &text(v)),
            "register_notice",
        );
    }
}

pub(super) fn subject(s: &str) -> SubjectId {
    ok(SubjectId::new(s), "SubjectId::new")
}

pub(super) fn evidence(version: u32) -> Evidence {
    Evidence::new(
        Notice::new("promo", version, &text(version)),
        ConsentMethod::TickedCheckbox,
        Channel::Web,
    )
}

/// Checks a [`ConsentStore`] backend: the consent ledger's model test (random gives,
/// withdrawals, confirmations, erasures, notice floors and clock moves, on two
/// ledgers whose clocks disagree, over two handles on the store, reopened at random:
/// every decision must match the model's, and the chain must verify), positions that
/// rise, `history` (every event about the subject, once each, in append order, as
/// the chain holds it), and two handles racing an erasure against a consent (no
/// evidence may survive the erasure).
///
/// # Panics
///
/// At the first violation, naming it (a model failure shows the shrunk operations).
pub fn consent_store<F>(factory: &F)
where
    F: StoreFactory,
    F::Store: ConsentStore + 'static,
{
    super::consent_history::history_is_every_event_in_order(factory);
    racing_erasure_and_consent(factory);
    run_cases(
        "consent store model",
        proptest::collection::vec(op(), 1..40),
        |ops| {
            let store = factory.fresh();
            run_model(&ops, |clock| {
                ok(
                    ConsentLedger::new(factory.another_handle(&store), key()),
                    "ConsentLedger::new",
                )
                .with_clock(clock.clone())
            })
        },
    );
}

fn racing_erasure_and_consent<F>(factory: &F)
where
    F: StoreFactory,
    F::Store: ConsentStore + 'static,
{
    let store = factory.fresh();
    let clock = ManualClock::new(t0());
    let one = ok(
        ConsentLedger::new(factory.another_handle(&store), key()),
        "ConsentLedger::new",
    )
    .with_clock(clock.clone());
    let two = ok(
        ConsentLedger::new(factory.another_handle(&store), key()),
        "ConsentLedger::new",
    )
    .with_clock(clock.clone());
    register(&one);
    for i in 0..20 {
        let s = subject(&format!("race_{i}"));
        let (given, erased) = std::thread::scope(|scope| {
            let given = scope.spawn(|| one.give_at::<Promo>(&s, evidence(1), t0()));
            let erased = scope.spawn(|| two.erase(&s));
            (given.join(), erased.join())
        });
        let (Ok(given), Ok(erased)) = (given, erased) else {
            panic!("conformance: a give or an erasure panicked");
        };
        ok(erased, "erase");
        assert!(
            given.is_ok() || matches!(given, Err(ConsentError::Erased { .. })),
            "conformance: a consent racing an erasure is recorded or refused as erased: {given:?}"
        );
        assert!(
            ok(store.history(&s), "history").is_empty(),
            "conformance: no consent evidence of a subject survives their erasure, whatever the race"
        );
        assert!(
            matches!(one.check::<Promo>(&s), Err(ConsentError::Erased { .. })),
            "conformance: an erased subject's consent is refused as erased"
        );
    }
    ok(one.verify(None), "verify");
}

#[derive(Clone, Debug)]
enum Op {
    Give {
        s: usize,
        p: usize,
        version: u32,
        expires_in: Option<i64>,
        /// Seconds from the recording ledger's clock to the event's date.
        dated: i64,
        double: bool,
        /// Recorded by the second ledger (the skewed clock).
        on_b: bool,
    },
    Withdraw {
        s: usize,
        p: usize,
        on_b: bool,
    },
    Confirm {
        s: usize,
        p: usize,
        on_b: bool,
    },
    Erase {
        s: usize,
    },
    Bump {
        p: usize,
        version: u32,
    },
    Advance(i64),
    /// The second ledger's clock is this many seconds off the first's.
    Skew(i64),
    Reopen,
}

fn dated() -> impl Strategy<Value = i64> {
    prop_oneof![
        2 => Just(0i64),
        2 => -3600..0i64,
        1 => 0..(2 * MAX_CLOCK_SKEW.num_seconds()),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    let skew = MAX_CLOCK_SKEW.num_seconds();
    prop_oneof![
        4 => (0..3usize, 0..2usize, 1..5u32, proptest::option::of(1..7200i64), dated(), proptest::bool::weighted(0.3), any::<bool>())
            .prop_map(|(s, p, version, expires_in, dated, double, on_b)| Op::Give { s, p, version, expires_in, dated, double, on_b }),
        2 => (0..3usize, 0..2usize, any::<bool>()).prop_map(|(s, p, on_b)| Op::Withdraw { s, p, on_b }),
        1 => (0..3usize, 0..2usize, any::<bool>()).prop_map(|(s, p, on_b)| Op::Confirm { s, p, on_b }),
        1 => (0..3usize).prop_map(|s| Op::Erase { s }),
        1 => (0..2usize, 1..5u32).prop_map(|(p, version)| Op::Bump { p, version }),
        3 => (0..900i64).prop_map(Op::Advance),
        1 => (-skew..=skew).prop_map(Op::Skew),
        1 => Just(Op::Reopen),
    ]
}

/// What the model expects of one (subject, purpose) pair.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Expect {
    Live,
    Never,
    Erased,
    Withdrawn(DateTime<Utc>),
    NotYet(DateTime<Utc>),
    Unconfirmed,
    Expired(DateTime<Utc>),
    Stale { given: u32, required: u32 },
}

/// A recorded event, as the model keeps it.
#[derive(Clone, Copy, Debug)]
enum ModelEvent {
    Given {
        version: u32,
        expires: Option<DateTime<Utc>>,
        double: bool,
    },
    Withdrawn,
    Confirmed,
}

/// An event and its date.
type Dated = (DateTime<Utc>, ModelEvent);

/// The consent in force, folded by the model.
#[derive(Clone, Copy)]
struct ModelConsent {
    given_at: DateTime<Utc>,
    version: u32,
    expires: Option<DateTime<Utc>>,
    withdrawn: Option<DateTime<Utc>>,
    double: bool,
    confirmed: Option<DateTime<Utc>>,
}

struct Model {
    now: DateTime<Utc>,
    /// The second ledger's clock, minus the first's.
    skew: Duration,
    /// Per subject and purpose, the recorded events in arrival (recording) order.
    events: [[Vec<Dated>; 2]; 3],
    erased: [bool; 3],
    floors: [u32; 2],
}

const DECLARED_MIN: [u32; 2] = [1, 2]; // Promo, Survey

impl Model {
    fn required(&self, p: usize) -> u32 {
        DECLARED_MIN[p].max(self.floors[p])
    }

    /// The clock of the ledger that records an event.
    fn clock(&self, on_b: bool) -> DateTime<Utc> {
        if on_b { self.now + self.skew } else { self.now }
    }

    /// The rule, written out, over events numbered in recording order:
    /// - withdrawal `w` ends consent `g` if it was recorded after it OR is dated after
    ///   it (it ends nothing only if it precedes `g` both ways);
    /// - the consent in force is the latest-dated consent nothing ends (recording
    ///   order breaking ties); if every consent is ended, the latest-dated one, withdrawn
    ///   at the date of the first (by date) withdrawal that ends it;
    /// - a confirmation counts for a consent it follows both ways, the earliest.
    fn consent(&self, s: usize, p: usize) -> Option<ModelConsent> {
        let ev = &self.events[s][p];
        let order = |i: usize| (ev[i].0, i);
        let of_kind = |want: fn(&ModelEvent) -> bool| -> Vec<usize> {
            (0..ev.len()).filter(|&i| want(&ev[i].1)).collect()
        };
        let gives = of_kind(|e| matches!(e, ModelEvent::Given { .. }));
        let withdrawals = of_kind(|e| matches!(e, ModelEvent::Withdrawn));
        let confirmations = of_kind(|e| matches!(e, ModelEvent::Confirmed));
        let ends = |w: usize, g: usize| w > g || ev[w].0 > ev[g].0;
        let unended: Vec<usize> = gives
            .iter()
            .copied()
            .filter(|&g| withdrawals.iter().all(|&w| !ends(w, g)))
            .collect();
        let (g, withdrawn) = match unended.iter().copied().max_by_key(|&g| order(g)) {
            Some(g) => (g, None),
            None => {
                let g = gives.iter().copied().max_by_key(|&g| order(g))?;
                let w = withdrawals
                    .iter()
                    .copied()
                    .filter(|&w| ends(w, g))
                    .min_by_key(|&w| order(w));
                (g, w.map(|w| ev[w].0))
            }
        };
        let confirmed = confirmations
            .iter()
            .copied()
            .filter(|&c| c > g && ev[c].0 >= ev[g].0)
            .min_by_key(|&c| order(c))
            .map(|c| ev[c].0);
        let ModelEvent::Given {
            version,
            expires,
            double,
        } = ev[g].1
        else {
            return None;
        };
        Some(ModelConsent {
            given_at: ev[g].0,
            version,
            expires,
            withdrawn,
            double,
            confirmed,
        })
    }

    /// What a ledger whose clock reads `now` decides (each ledger decides on its own
    /// clock: ledger B's runs `skew` ahead).
    fn expect(&self, s: usize, p: usize, now: DateTime<Utc>) -> Expect {
        if self.erased[s] {
            return Expect::Erased;
        }
        match self.consent(s, p) {
            None => Expect::Never,
            Some(c) => {
                if let Some(w) = c.withdrawn {
                    Expect::Withdrawn(w)
                } else if c.given_at > now {
                    Expect::NotYet(c.given_at)
                } else if c.double && c.confirmed.is_none_or(|at| at > now) {
                    Expect::Unconfirmed
                } else if let Some(e) = c.expires.filter(|e| *e <= now) {
                    Expect::Expired(e)
                } else if c.version < self.required(p) {
                    Expect::Stale {
                        given: c.version,
                        required: self.required(p),
                    }
                } else {
                    Expect::Live
                }
            }
        }
    }
}

fn observed(r: Result<(), ConsentError>) -> Expect {
    match r {
        Ok(()) => Expect::Live,
        Err(ConsentError::NeverGiven { .. }) => Expect::Never,
        Err(ConsentError::Erased { .. }) => Expect::Erased,
        Err(ConsentError::Withdrawn { at, .. }) => Expect::Withdrawn(at),
        Err(ConsentError::NotYetInForce { from, .. }) => Expect::NotYet(from),
        Err(ConsentError::Unconfirmed { .. }) => Expect::Unconfirmed,
        Err(ConsentError::Expired { at, .. }) => Expect::Expired(at),
        Err(ConsentError::StaleNotice {
            given, required, ..
        }) => Expect::Stale { given, required },
        Err(other) => panic!("conformance: unexpected consent error {other}"),
    }
}

fn check(ledger: &ConsentLedger, s: &SubjectId, p: usize) -> Expect {
    observed(if p == 0 {
        ledger.check::<Promo>(s)
    } else {
        ledger.check::<Survey>(s)
    })
}

/// Runs `ops` on two ledgers over one store (`open` makes a ledger on a clock; it is
/// called again for both on `Reopen`), checking both against the model after each.
fn run_model(
    ops: &[Op],
    mut open: impl FnMut(&ManualClock) -> ConsentLedger,
) -> Result<(), TestCaseError> {
    let subjects = [subject("s0"), subject("s1"), subject("s2")];
    let clock = ManualClock::new(t0());
    let clock_b = ManualClock::new(t0());
    let mut ledger = open(&clock);
    let mut ledger_b = open(&clock_b);
    register(&ledger);
    let mut model = Model {
        now: t0(),
        skew: Duration::zero(),
        events: Default::default(),
        erased: [false; 3],
        floors: [0, 0],
    };
    for op in ops {
        match *op {
            Op::Give {
                s,
                p,
                version,
                expires_in,
                dated,
                double,
                on_b,
            } => {
                let on = if on_b { &ledger_b } else { &ledger };
                let now = model.clock(on_b);
                let at = now + Duration::seconds(dated);
                let expires = expires_in.map(|e| at + Duration::seconds(e));
                let mut ev = evidence(version);
                if double {
                    ev.method = ConsentMethod::DoubleOptIn;
                }
                if let Some(e) = expires {
                    ev = ev.expires_at(e);
                }
                let r = if p == 0 {
                    on.give_at::<Promo>(&subjects[s], ev, at)
                } else {
                    on.give_at::<Survey>(&subjects[s], ev, at)
                };
                if at > now + MAX_CLOCK_SKEW {
                    let refused = matches!(r, Err(ConsentError::FromTheFuture { .. }));
                    prop_assert!(refused, "a give dated too far ahead must be refused");
                } else if version < model.required(p) {
                    let refused = matches!(r, Err(ConsentError::StaleNotice { .. }));
                    prop_assert!(refused, "stale give must be refused");
                } else if model.erased[s] {
                    let refused = matches!(r, Err(ConsentError::Erased { .. }));
                    prop_assert!(refused, "a give after erasure must be refused: {:?}", r);
                } else {
                    prop_assert!(r.is_ok(), "{:?}", r);
                    model.events[s][p].push((
                        at,
                        ModelEvent::Given {
                            version,
                            expires,
                            double,
                        },
                    ));
                }
            }
            Op::Withdraw { s, p, on_b } => {
                let on = if on_b { &ledger_b } else { &ledger };
                let at = model.clock(on_b);
                let r = if p == 0 {
                    on.withdraw::<Promo>(&subjects[s], Actor::data_subject(), Channel::Web)
                } else {
                    on.withdraw::<Survey>(&subjects[s], Actor::data_subject(), Channel::Web)
                };
                if model.erased[s] {
                    let refused = matches!(r, Err(ConsentError::Erased { .. }));
                    prop_assert!(refused, "a withdrawal after erasure is refused: {:?}", r);
                } else {
                    // It ends whatever consent was not ended yet, whatever its date.
                    let expected = match model.consent(s, p) {
                        Some(c) if c.withdrawn.is_none() => Withdrawal::Ended,
                        _ => Withdrawal::NothingToEnd,
                    };
                    model.events[s][p].push((at, ModelEvent::Withdrawn));
                    prop_assert_eq!(ok(r, "withdraw"), expected);
                }
            }
            Op::Confirm { s, p, on_b } => {
                let on = if on_b { &ledger_b } else { &ledger };
                let at = model.clock(on_b);
                let r = if p == 0 {
                    on.confirm::<Promo>(&subjects[s])
                } else {
                    on.confirm::<Survey>(&subjects[s])
                };
                let pending = model.consent(s, p).is_some_and(|c| {
                    c.double && c.confirmed.is_none() && c.withdrawn.is_none() && c.given_at <= at
                });
                if model.erased[s] {
                    prop_assert!(matches!(r, Err(ConsentError::Erased { .. })), "{:?}", r);
                } else if pending {
                    prop_assert!(r.is_ok(), "{:?}", r);
                    model.events[s][p].push((at, ModelEvent::Confirmed));
                } else {
                    let refused = matches!(r, Err(ConsentError::NothingToConfirm { .. }));
                    prop_assert!(refused, "{:?}", r);
                }
            }
            Op::Erase { s } => {
                ok(ledger.erase(&subjects[s]), "erase");
                model.erased[s] = true;
                model.events[s] = Default::default();
            }
            Op::Bump { p, version } => {
                if p == 0 {
                    ok(
                        ledger.require_notice_version::<Promo>("promo", version),
                        "require_notice_version",
                    );
                } else {
                    ok(
                        ledger.require_notice_version::<Survey>("promo", version),
                        "require_notice_version",
                    );
                }
                model.floors[p] = model.floors[p].max(version);
            }
            Op::Advance(secs) => {
                model.now += Duration::seconds(secs);
                clock.set(model.now);
                clock_b.set(model.clock(true));
            }
            Op::Skew(secs) => {
                model.skew = Duration::seconds(secs);
                clock_b.set(model.clock(true));
            }
            Op::Reopen => {
                ledger = open(&clock);
                ledger_b = open(&clock_b);
            }
        }
        for (s, sid) in subjects.iter().enumerate() {
            for p in 0..2 {
                for (l, on_b) in [(&ledger, false), (&ledger_b, true)] {
                    let expected = model.expect(s, p, model.clock(on_b));
                    prop_assert_eq!(check(l, sid, p), expected, "s{} p{} b{}", s, p, on_b);
                }
            }
        }
    }
    // Whatever happened, the chain verifies (erasures bridge what they removed).
    prop_assert!(ledger.verify(None).is_ok());
    Ok(())
}
