//! The [`VaultStore`] suite: a vault on the backend follows the retention model.
//!
//! The model: a value is readable for a purpose iff its subject was not erased and either
//! it has not expired, or its subject is held now by a hold whose scope keeps its category
//! for that purpose, and the value's epoch key still exists or was escrowed for the
//! subject (held, by any hold, when the sweep that destroyed it ran, and held ever since:
//! a release destroys the escrow). An expired value that a hold keeps for other purposes
//! only is refused as restricted (Art. 18(2)). A subject erased with an erasure exception
//! (their emails kept for Claims until a date) stays readable for Claims only, within its
//! retention and until the exception ends; every other purpose is refused as excepted,
//! and the sweep after the end destroys the kept key.
//!
//! Values kept a number of days after the subject's last contact
//! ([`Retention::AfterEvent`]) are readable until the latest recorded contact + the
//! period, then refused like an expired value; the sweep destroys their anchor key
//! unless a hold binds the subject; erasure destroys the events, and the anchor keys
//! unless an erasure exception keeps them (until the sweep that ends it).

use std::collections::BTreeSet;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use proptest::prelude::*;

mod anchored;

use super::{StoreFactory, ok, run_model as run_cases};
use crate::categories::{Email, Phone};
use crate::keys::LocalMasterKey;
use crate::retention::{Anchor, Clock, ErasureException, HoldScope, ManualClock};
use crate::{
    Access, Actor, AdminError, Context, OpenError, Personal, Retention, SealError, Sealed,
    SubjectId, Vault, VaultStore,
};
use anchored::{AnchoredValue, after_contact};

crate::purpose! {
    /// The suite's contract purpose.
    pub struct Crm { basis: Contract, description: "Serve the account.", uses: [Email, Phone] }
    /// The suite's purpose a hold or an erasure exception keeps data for.
    pub struct Claims { basis: LegitimateInterests, description: "Defend legal claims.", uses: [Email, Phone] }
}

/// Checks a [`VaultStore`] backend end to end: the retention model test (seals with
/// retentions, values kept after a recorded last contact and the events recorded,
/// time passing, sweeps, scoped holds and releases, erasures with and without an
/// erasure exception, reopening on another handle), every value opened for
/// two purposes after each step and compared with the model. It runs
/// `PROPTEST_CASES` cases, each on a fresh store.
///
/// # Panics
///
/// At the first step where the vault on the backend disagrees with the model, naming
/// the step, the value and the model's state.
pub fn vault_store<F>(factory: &F)
where
    F: StoreFactory,
    F::Store: VaultStore + 'static,
{
    run_cases(
        "vault retention model",
        proptest::collection::vec(op(), 1..40),
        |ops| {
            let store = factory.fresh();
            run_model(ops, &|| Box::new(factory.another_handle(&store)));
            Ok(())
        },
    );
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2027, 1, 1, 12, 0, 0)
        .single()
        .unwrap_or(DateTime::UNIX_EPOCH)
}

fn sid(s: &str) -> SubjectId {
    ok(SubjectId::new(s), "SubjectId::new")
}

fn vault_on(store: impl VaultStore + 'static, clock: &ManualClock) -> Vault {
    let master = ok(
        LocalMasterKey::from_slice("kek", &[7; 32]),
        "LocalMasterKey",
    );
    Vault::builder(master, store).clock(clock.clone()).build()
}

fn ctx(days: u32) -> Context<Email> {
    ok(Context::new("customer", "email"), "Context::new").retain(Retention::Days(days))
}

fn open(v: &Vault, sealed: &Sealed<String, Email>, s: &SubjectId) -> Result<String, OpenError> {
    let access = Access::<Crm>::new(s.clone(), Actor::service("test"));
    Ok(ok(v.open(sealed, &ctx(1), &access)?.read(&access), "read").clone())
}

fn open_for_claims(
    v: &Vault,
    sealed: &Sealed<String, Email>,
    s: &SubjectId,
) -> Result<String, OpenError> {
    let claims = Access::<Claims>::new(s.clone(), Actor::service("counsel"));
    Ok(ok(v.open(sealed, &ctx(1), &claims)?.read(&claims), "read").clone())
}

const SUBJECTS: usize = 3;

#[derive(Clone, Debug)]
enum Op {
    Seal {
        subject: usize,
        days: u32,
    },
    Advance {
        hours: i64,
    },
    Sweep,
    /// Scopes: 0 Crm (every category), 1 Claims (every category), 2 Claims, phones only.
    Hold {
        subject: usize,
        scope: usize,
    },
    Release {
        subject: usize,
    },
    Erase {
        subject: usize,
    },
    /// `erase_with` an exception keeping the emails for Claims for `days` days.
    EraseKeeping {
        subject: usize,
        days: i64,
    },
    Reopen,
    /// Seals an email kept `days` days after the subject's last contact.
    SealAfterContact {
        subject: usize,
        days: u16,
    },
    /// Records the subject's last contact `back` hours ago.
    RecordContact {
        subject: usize,
        back: i64,
    },
}

fn op() -> impl Strategy<Value = Op> {
    let s = 0..SUBJECTS;
    prop_oneof![
        4 => (s.clone(), 1u32..20).prop_map(|(subject, days)| Op::Seal { subject, days }),
        4 => (1i64..24 * 12).prop_map(|hours| Op::Advance { hours }),
        2 => Just(Op::Sweep),
        2 => (s.clone(), 0..3usize).prop_map(|(subject, scope)| Op::Hold { subject, scope }),
        2 => s.clone().prop_map(|subject| Op::Release { subject }),
        1 => s.clone().prop_map(|subject| Op::Erase { subject }),
        1 => (s.clone(), 1i64..10).prop_map(|(subject, days)| Op::EraseKeeping { subject, days }),
        1 => Just(Op::Reopen),
        2 => (s.clone(), 1u16..10).prop_map(|(subject, days)| Op::SealAfterContact { subject, days }),
        2 => (s, 0i64..48).prop_map(|(subject, back)| Op::RecordContact { subject, back }),
    ]
}

#[derive(Default)]
struct Model {
    /// The scopes of each subject's active holds (none: not held).
    scopes: [BTreeSet<usize>; SUBJECTS],
    erased: [bool; SUBJECTS],
    /// Whether the subject ever had a key or a hold: erasing an id that had neither
    /// writes no tombstone, so a later seal is new data.
    known: [bool; SUBJECTS],
    /// Whether the subject has a key (a seal succeeded and they were not erased since).
    keyed: [bool; SUBJECTS],
    /// When the erasure exception keeping their emails for Claims ends.
    kept_until: [Option<i64>; SUBJECTS],
    watermark: u32,
    epochs: BTreeSet<u32>,
    escrows: BTreeSet<(usize, u32)>,
    /// The latest last contact recorded for each subject (seconds).
    contact: [Option<i64>; SUBJECTS],
    /// The anchor keys that exist, by (subject, days after last contact), each with its
    /// generation: a key destroyed and created again by a later seal is a new one.
    anchor_keys: std::collections::BTreeMap<(usize, u16), u32>,
    generations: u32,
}

enum Expect {
    Readable,
    Expired,
    Restricted,
    /// Erased, kept by an erasure exception for another purpose.
    Excepted,
    Shredded,
}

/// The model's purposes: Crm opens under scope 0, Claims under scope 1.
const CRM: usize = 0;
const CLAIMS: usize = 1;

impl Model {
    /// An expired value reports `Expired` whether or not its subject was erased since
    /// (the header alone shows it); an erased subject is never held.
    fn expect(&self, subject: usize, expires: i64, now: i64, purpose: usize) -> Expect {
        // An erasure exception keeps the emails for Claims until it ends.
        let kept = self.kept_until[subject].is_some_and(|until| now < until);
        if now < expires {
            return match (self.erased[subject], kept, purpose) {
                (false, _, _) => Expect::Readable,
                (true, true, CLAIMS) => Expect::Readable,
                (true, true, _) => Expect::Excepted,
                (true, false, _) => Expect::Shredded,
            };
        }
        let epoch = u32::try_from(expires.div_euclid(86_400))
            .unwrap_or_else(|e| panic!("conformance: {e:?}"));
        if self.erased[subject] && now < (i64::from(epoch) + 1) * 86_400 {
            // Format v3 seals the exact expiry: until its day ends, only the (shredded)
            // key could show that the value expired. (An erased subject is never held.)
            // The exception's key shows it, to the exception's purpose only.
            return match (kept, purpose) {
                (true, CLAIMS) => Expect::Expired,
                (true, _) => Expect::Excepted,
                (false, _) => Expect::Shredded,
            };
        }
        let key_kept = epoch >= self.watermark || self.escrows.contains(&(subject, epoch));
        // Scope 2 keeps phones only: it does not keep these emails.
        let keeping = &self.scopes[subject];
        if !keeping.contains(&0) && !keeping.contains(&1) {
            Expect::Expired
        } else if !keeping.contains(&purpose) {
            Expect::Restricted
        } else if key_kept {
            Expect::Readable
        } else {
            Expect::Expired
        }
    }

    fn held(&self, subject: usize) -> bool {
        !self.scopes[subject].is_empty()
    }

    fn sweep(&mut self, now: i64) {
        let today =
            u32::try_from(now.div_euclid(86_400)).unwrap_or_else(|e| panic!("conformance: {e:?}"));
        for &e in self.epochs.range(self.watermark..today) {
            for s in 0..SUBJECTS {
                if self.held(s) {
                    self.escrows.insert((s, e));
                }
            }
        }
        self.watermark = self.watermark.max(today);
        // Anchor keys whose contact + period has passed, unless a hold binds.
        let (contact, scopes) = (self.contact, self.scopes.clone());
        self.anchor_keys.retain(|&(s, days), _| {
            let due = contact[s].is_some_and(|t| t + i64::from(days) * 86_400 <= now);
            !due || !scopes[s].is_empty()
        });
    }
}

/// The operator every operation of the model runs as (`Vault::operator`).
fn officer() -> Actor {
    Actor::staff("emp-7", "privacy-officer")
}

fn run_model(ops: Vec<Op>, open_store: &dyn Fn() -> Box<dyn VaultStore>) {
    let clock = ManualClock::new(t0());
    let subjects: Vec<SubjectId> = (0..SUBJECTS).map(|i| sid(&format!("cus_{i}"))).collect();
    let mut vault = vault_on(open_store(), &clock);
    let mut model = Model::default();
    let mut values: Vec<(usize, i64, Sealed<String, Email>)> = Vec::new();
    let mut anchored: Vec<AnchoredValue> = Vec::new();
    for (step, op) in ops.into_iter().enumerate() {
        let now = clock.unix_seconds();
        match op {
            Op::Seal { subject, days } => {
                let p = Personal::new(subjects[subject].clone(), format!("v{step}@example.com"));
                match vault.seal(&p, &ctx(days)) {
                    Ok(sealed) => {
                        assert!(
                            !model.erased[subject],
                            "step {step}: sealed for an erased subject"
                        );
                        let expires = vault
                            .dates(&sealed, &ctx(days))
                            .unwrap_or_else(|e| panic!("conformance: {e:?}"))
                            .expires;
                        assert_eq!(expires, now + i64::from(days) * 86_400);
                        model.epochs.insert(
                            sealed
                                .header()
                                .unwrap_or_else(|e| panic!("conformance: {e:?}"))
                                .epoch(),
                        );
                        model.known[subject] = true;
                        model.keyed[subject] = true;
                        values.push((subject, expires, sealed));
                    }
                    Err(SealError::Shredded) => assert!(model.erased[subject], "step {step}"),
                    Err(e) => panic!("step {step}: seal failed: {e}"),
                }
            }
            Op::Advance { hours } => clock.advance(TimeDelta::hours(hours)),
            Op::Sweep => {
                let report = vault
                    .operator(officer())
                    .sweep()
                    .unwrap_or_else(|e| panic!("conformance: {e:?}"));
                model.sweep(now);
                // The sweep destroys the keys of the exceptions that have ended.
                let ended = model
                    .kept_until
                    .iter_mut()
                    .filter(|u| u.is_some_and(|u| u <= now))
                    .map(|u| *u = None)
                    .count();
                assert_eq!(report.exceptions_ended, ended, "step {step}");
            }
            Op::Hold { subject, scope } => match vault.operator(officer()).hold_scoped(
                &subjects[subject],
                match scope {
                    0 => HoldScope::purpose::<Crm>(),
                    1 => HoldScope::purpose::<Claims>(),
                    _ => HoldScope::purpose::<Claims>().only::<Phone>(),
                },
                "case",
                None,
            ) {
                Ok(h) => {
                    assert!(h.scope.covers("user.contact.phone_number"));
                    model.scopes[subject].insert(scope);
                    model.known[subject] = true;
                }
                Err(AdminError::Shredded) => assert!(model.erased[subject], "step {step}"),
                Err(e) => panic!("step {step}: hold failed: {e}"),
            },
            Op::Release { subject } => {
                for h in vault
                    .holds_of(&subjects[subject])
                    .unwrap_or_else(|e| panic!("conformance: {e:?}"))
                {
                    if h.released_at.is_none() {
                        vault
                            .operator(officer())
                            .release(&h.id)
                            .unwrap_or_else(|e| panic!("conformance: {e:?}"));
                    }
                }
                model.scopes[subject].clear();
                model.escrows.retain(|(s, _)| *s != subject);
            }
            Op::Erase { subject } => match vault.operator(officer()).erase(&subjects[subject]) {
                Ok(_) => {
                    assert!(!model.held(subject), "step {step}: erased while held");
                    model.erased[subject] |= model.known[subject];
                    model.keyed[subject] = false;
                    model.escrows.retain(|(s, _)| *s != subject);
                }
                Err(AdminError::UnderLegalHold { .. }) => {
                    assert!(model.held(subject), "step {step}: refused without a hold")
                }
                Err(e) => panic!("step {step}: erase failed: {e}"),
            },
            Op::EraseKeeping { subject, days } => {
                let until = clock.now() + TimeDelta::days(days);
                let keep = ErasureException::keep::<Claims, Email>("§ 147 AO", until);
                match vault
                    .operator(officer())
                    .erase_with(&subjects[subject], &[keep])
                {
                    Ok(receipt) => {
                        assert!(!model.held(subject), "step {step}: erased while held");
                        // Only a key that existed can be kept.
                        assert_eq!(
                            receipt.kept[0].key_versions,
                            usize::from(model.keyed[subject])
                        );
                        if model.keyed[subject] {
                            model.kept_until[subject] = Some(until.timestamp());
                        }
                        model.erased[subject] |= model.known[subject];
                        model.keyed[subject] = false;
                        model.escrows.retain(|(s, _)| *s != subject);
                    }
                    Err(AdminError::UnderLegalHold { .. }) => {
                        assert!(model.held(subject), "step {step}: refused without a hold")
                    }
                    Err(e) => panic!("step {step}: erase_with failed: {e}"),
                }
            }
            Op::Reopen => {
                drop(vault);
                vault = vault_on(open_store(), &clock);
            }
            Op::SealAfterContact { subject, days } => {
                let p = Personal::new(subjects[subject].clone(), format!("v{step}@example.com"));
                let ended =
                    model.contact[subject].is_some_and(|t| t + i64::from(days) * 86_400 <= now);
                match vault.seal(&p, &after_contact(days)) {
                    Ok(sealed) => {
                        assert!(
                            !model.erased[subject],
                            "step {step}: sealed for an erased subject"
                        );
                        assert!(!ended, "step {step}: sealed after the period ended");
                        model.known[subject] = true;
                        model.keyed[subject] = true;
                        let generation =
                            *model.anchor_keys.entry((subject, days)).or_insert_with(|| {
                                model.generations += 1;
                                model.generations
                            });
                        anchored.push((subject, (days, generation), sealed));
                    }
                    Err(SealError::Shredded) => assert!(model.erased[subject], "step {step}"),
                    Err(SealError::EventPeriodEnded { .. }) => assert!(ended, "step {step}"),
                    Err(e) => panic!("step {step}: seal failed: {e}"),
                }
            }
            Op::RecordContact { subject, back } => {
                let at = clock.now() - TimeDelta::hours(back);
                match vault.operator(officer()).record_event(
                    &subjects[subject],
                    Anchor::LastContact,
                    at,
                ) {
                    Ok(_) => {
                        assert!(
                            !model.erased[subject],
                            "step {step}: recorded for an erased subject"
                        );
                        model.known[subject] = true;
                        let t = at.timestamp();
                        model.contact[subject] =
                            Some(model.contact[subject].map_or(t, |c| c.max(t)));
                    }
                    Err(AdminError::Shredded) => assert!(model.erased[subject], "step {step}"),
                    Err(e) => panic!("step {step}: record_event failed: {e}"),
                }
            }
        }
        // An erasure destroys the subject's events, and their anchor keys unless an
        // erasure exception keeps them (until the sweep that ends it).
        for s in 0..SUBJECTS {
            if model.erased[s] {
                if model.kept_until[s].is_none() {
                    model.anchor_keys.retain(|&(k, _), _| k != s);
                }
                model.contact[s] = None;
            }
        }
        let now = clock.unix_seconds();
        for (i, (subject, expires, sealed)) in values.iter().enumerate() {
            for purpose in [CRM, CLAIMS] {
                let got = match purpose {
                    CRM => open(&vault, sealed, &subjects[*subject]),
                    _ => open_for_claims(&vault, sealed, &subjects[*subject]),
                };
                match (model.expect(*subject, *expires, now, purpose), &got) {
                    (Expect::Readable, Ok(_))
                    | (Expect::Expired, Err(OpenError::Expired { .. }))
                    | (Expect::Restricted, Err(OpenError::RestrictedByHold { .. }))
                    | (Expect::Excepted, Err(OpenError::RestrictedByErasureException { .. }))
                    | (Expect::Shredded, Err(OpenError::Shredded)) => {}
                    (_, got) => panic!(
                        "step {step}, value {i} (subject {subject}, expires {expires}, now {now}), purpose {purpose}: got {got:?}; holds {:?} erased {:?} watermark {} escrows {:?}",
                        model.scopes, model.erased, model.watermark, model.escrows
                    ),
                }
            }
        }
        anchored::check(&vault, &model, &anchored, &subjects, step, now);
    }
}
