//! Legal holds against sweeps that run at the same time: in another vault on the same
//! store (a key-store wrapper runs the other operation at the racy step inside the
//! sweep), and in another OS process on the same SQLite file.

mod common;

use std::sync::{Arc, Mutex};

use chrono::TimeDelta;
use common::retention::{ctx, seal, t0};
use common::stores::{Forwarding, StoreHook};
use common::{officer, sid, vault_on};
use custodian::VaultStore;
use custodian::categories::Email;
use custodian::keys::{KeyName, KeyStore};
use custodian::memory::MemoryKeyStore;
use custodian::retention::{Anchor, HoldScope, LegalHold, ManualClock, RetentionStore};
use custodian::sqlite::SqliteStore;
use custodian::{
    Access, Actor, AdminError, Context, OpenError, Personal, Retention, Sealed, SubjectId, Vault,
    VaultError,
};

custodian::purpose! {
    struct Crm { basis: Contract, description: "Serve the account.", uses: [Email] }
    struct Claims { basis: LegitimateInterests, description: "Defend legal claims.", uses: [Email] }
}

fn access(s: &SubjectId) -> Access<Crm> {
    Access::new(s.clone(), Actor::service("test"))
}

fn open(v: &Vault, sealed: &Sealed<String, Email>, s: &SubjectId) -> Result<String, VaultError> {
    Ok(v.open(sealed, &ctx(1), &access(s))?
        .read(&access(s))
        .unwrap()
        .clone())
}

type Hook = Mutex<Option<Box<dyn FnOnce() + Send>>>;

/// A key store that runs a hook once, at one step of a sweep: after the sweep read
/// the holds (when it asks for the epochs to destroy), or just before it stores an
/// escrow.
type Hooked<S> = Forwarding<S, Races>;

/// The hooks of a [`Hooked`] store, each run once.
struct Races {
    after_holds_read: Hook,
    before_escrow: Hook,
    after_subject_holds_read: Hook,
    pause_ms: u64,
}

fn hooked<S>(inner: S) -> Hooked<S> {
    Forwarding {
        inner,
        hook: Races {
            after_holds_read: Mutex::new(None),
            before_escrow: Mutex::new(None),
            after_subject_holds_read: Mutex::new(None),
            pause_ms: 0,
        },
    }
}

fn run(hook: &Hook) {
    let f = hook.lock().unwrap().take();
    if let Some(f) = f {
        f();
    }
}

impl StoreHook for Races {
    fn before_insert(&self, n: &KeyName) {
        if matches!(n, KeyName::Escrow { .. }) {
            run(&self.before_escrow);
        }
    }
    fn before_epochs_before(&self) {
        run(&self.after_holds_read);
        std::thread::sleep(std::time::Duration::from_millis(self.pause_ms));
    }
    fn after_holds(&self, s: Option<&SubjectId>) {
        if s.is_some() {
            run(&self.after_subject_holds_read);
        }
    }
}

/// A hold placed (through a second vault on the same store) after the sweep read the
/// holds and before it destroyed the epoch: the hold returned `Ok`, so the data must
/// survive the sweep.
fn hold_placed_during_sweep(store: Arc<dyn VaultStore>) {
    let clock = ManualClock::new(t0());
    let other = vault_on(Arc::clone(&store), &clock);
    let hooked = Arc::new(hooked(Arc::clone(&store)));
    let sweeper = vault_on(Arc::clone(&hooked), &clock);
    let a = sid("cus_a");
    let sealed = seal(&other, &a, 1);
    clock.advance(TimeDelta::days(3));
    let placed: Arc<Mutex<Option<LegalHold>>> = Arc::default();
    let (p, o) = (Arc::clone(&placed), Arc::new(other));
    let o2 = Arc::clone(&o);
    let who = a.clone();
    *hooked.hook.after_holds_read.lock().unwrap() = Some(Box::new(move || {
        *p.lock().unwrap() = Some(
            o2.operator(officer())
                .hold::<Crm>(&who, "case 2027-99: litigation hold", None)
                .unwrap(),
        );
    }));
    sweeper.operator(officer()).sweep().unwrap();
    assert!(placed.lock().unwrap().is_some(), "the hook ran");
    assert_eq!(
        open(&o, &sealed, &a).unwrap(),
        "cus_a@example.com",
        "a hold that returned Ok during the sweep must keep the data"
    );
    let fresh = vault_on(Arc::clone(&store), &clock);
    assert_eq!(open(&fresh, &sealed, &a).unwrap(), "cus_a@example.com");
}

#[test]
fn a_hold_placed_while_a_sweep_runs_keeps_the_data_in_memory() {
    hold_placed_during_sweep(Arc::new(MemoryKeyStore::new()));
}

#[test]
fn a_hold_placed_while_a_sweep_runs_keeps_the_data_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    hold_placed_during_sweep(Arc::new(
        SqliteStore::open(dir.path().join("c.db")).unwrap(),
    ));
}

/// The same race for a value kept after an event, with every call through the
/// forwarding store (recording the event, reading it at open, the anchor-key sweep): a
/// hold placed after the sweep read the holds keeps the anchor key, and the first sweep
/// after its release destroys it.
fn hold_placed_during_anchor_sweep(store: Arc<dyn VaultStore>) {
    let clock = ManualClock::new(t0());
    let other = Arc::new(vault_on(Arc::clone(&store), &clock));
    let hooked = Arc::new(hooked(Arc::clone(&store)));
    let sweeper = vault_on(Arc::clone(&hooked), &clock);
    let staff = || custodian::Actor::staff("emp-7", "privacy-officer");
    let a = sid("cus_a");
    let after_contact = Context::new("customer", "email")
        .unwrap()
        .retain(Retention::Days(1).after(Anchor::LastContact).unwrap());
    let sealed = sweeper
        .seal(
            &Personal::new(a.clone(), "cus_a@example.com".to_owned()),
            &after_contact,
        )
        .unwrap();
    sweeper
        .operator(staff())
        .record_event(&a, Anchor::LastContact, t0())
        .unwrap();
    assert_eq!(sweeper.events_of(&a).unwrap().len(), 1);
    clock.advance(TimeDelta::days(3));
    let placed: Arc<Mutex<Option<LegalHold>>> = Arc::default();
    let (p, o) = (Arc::clone(&placed), Arc::clone(&other));
    let who = a.clone();
    *hooked.hook.after_holds_read.lock().unwrap() = Some(Box::new(move || {
        *p.lock().unwrap() = Some(
            o.operator(custodian::Actor::staff("emp-7", "privacy-officer"))
                .hold::<Crm>(&who, "case 2027-99: litigation hold", None)
                .unwrap(),
        );
    }));
    let report = sweeper.operator(staff()).sweep().unwrap();
    assert_eq!(
        report.anchor_subjects_swept, 0,
        "the hold keeps the anchor key"
    );
    let hold = placed.lock().unwrap().take().expect("the hook ran");
    assert_eq!(open(&sweeper, &sealed, &a).unwrap(), "cus_a@example.com");
    other.operator(staff()).release(&hold.id).unwrap();
    let report = sweeper.operator(staff()).sweep().unwrap();
    assert_eq!(report.anchor_subjects_swept, 1, "released: the key goes");
    assert!(matches!(
        open(&sweeper, &sealed, &a),
        Err(VaultError::Expired { .. })
    ));
}

#[test]
fn a_hold_placed_while_a_sweep_runs_keeps_anchor_keys_in_memory() {
    hold_placed_during_anchor_sweep(Arc::new(MemoryKeyStore::new()));
}

#[test]
fn a_hold_placed_while_a_sweep_runs_keeps_anchor_keys_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    hold_placed_during_anchor_sweep(Arc::new(
        SqliteStore::open(dir.path().join("c.db")).unwrap(),
    ));
}

/// A hold released (through a second vault) after the sweep read it as active and
/// before the sweep stored the subject's escrow: no escrow may outlive the release.
fn hold_released_during_sweep(store: Arc<dyn VaultStore>) {
    let clock = ManualClock::new(t0());
    let other = Arc::new(vault_on(Arc::clone(&store), &clock));
    let hooked = Arc::new(hooked(Arc::clone(&store)));
    let sweeper = vault_on(Arc::clone(&hooked), &clock);
    let a = sid("cus_a");
    let sealed = seal(&other, &a, 1);
    let epoch = sealed.header().unwrap().epoch();
    let hold = other
        .operator(officer())
        .hold::<Crm>(&a, "case 2027-98", None)
        .unwrap();
    clock.advance(TimeDelta::days(3));
    let o2 = Arc::clone(&other);
    *hooked.hook.before_escrow.lock().unwrap() = Some(Box::new(move || {
        o2.operator(officer()).release(&hold.id).unwrap();
    }));
    sweeper.operator(officer()).sweep().unwrap();
    let escrow = KeyName::Escrow {
        subject: a.clone(),
        epoch,
    };
    assert!(
        store.get(&escrow).unwrap().is_none(),
        "an escrow outlived the release of the subject's last hold"
    );
    // And no later sweep leaves one behind either.
    clock.advance(TimeDelta::days(1));
    sweeper.operator(officer()).sweep().unwrap();
    assert!(store.get(&escrow).unwrap().is_none());
    let fresh = vault_on(Arc::clone(&store), &clock);
    assert!(matches!(
        open(&fresh, &sealed, &a),
        Err(VaultError::Expired { .. })
    ));
}

#[test]
fn a_hold_released_while_a_sweep_runs_leaves_no_escrow_in_memory() {
    hold_released_during_sweep(Arc::new(MemoryKeyStore::new()));
}

#[test]
fn a_hold_released_while_a_sweep_runs_leaves_no_escrow_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    hold_released_during_sweep(Arc::new(
        SqliteStore::open(dir.path().join("c.db")).unwrap(),
    ));
}

/// A hold placed (through a second vault) after the erasure checked the subject's
/// holds and before it destroyed the keys: the hold returned `Ok`, so the erasure must
/// be refused and the data kept.
fn hold_placed_during_erase(store: Arc<dyn VaultStore>) {
    let clock = ManualClock::new(t0());
    let other = Arc::new(vault_on(Arc::clone(&store), &clock));
    let hooked = Arc::new(hooked(Arc::clone(&store)));
    let eraser = vault_on(Arc::clone(&hooked), &clock);
    let a = sid("cus_a");
    let sealed = seal(&other, &a, 30);
    eraser.subject_ref(&a).unwrap();
    let (o2, who) = (Arc::clone(&other), a.clone());
    *hooked.hook.after_subject_holds_read.lock().unwrap() = Some(Box::new(move || {
        o2.operator(officer())
            .hold::<Crm>(&who, "case 2027-96: preservation order", None)
            .unwrap();
    }));
    assert!(matches!(
        eraser.operator(officer()).erase(&a),
        Err(AdminError::UnderLegalHold { .. })
    ));
    let fresh = vault_on(Arc::clone(&store), &clock);
    assert_eq!(open(&fresh, &sealed, &a).unwrap(), "cus_a@example.com");
}

/// A hold placed (through a second vault) after the retirement of old key versions
/// checked the subject's holds and before it destroyed them: the store re-reads the
/// holds in the transaction that deletes, so the retirement is refused and the data
/// sealed under the old version still opens.
fn hold_placed_during_retire(store: Arc<dyn VaultStore>) {
    let clock = ManualClock::new(t0());
    let other = Arc::new(vault_on(Arc::clone(&store), &clock));
    let hooked = Arc::new(hooked(Arc::clone(&store)));
    let retirer = vault_on(Arc::clone(&hooked), &clock);
    let a = sid("cus_a");
    let sealed = seal(&other, &a, 30);
    let newest = other.operator(officer()).rotate_subject_key(&a).unwrap();
    let (o2, who) = (Arc::clone(&other), a.clone());
    *hooked.hook.after_subject_holds_read.lock().unwrap() = Some(Box::new(move || {
        o2.operator(officer())
            .hold::<Crm>(&who, "case 2027-95: preservation order", None)
            .unwrap();
    }));
    let r = retirer
        .operator(officer())
        .retire_subject_key_versions(&a, newest);
    assert!(matches!(r, Err(AdminError::UnderLegalHold { .. })), "{r:?}");
    let fresh = vault_on(Arc::clone(&store), &clock);
    assert_eq!(open(&fresh, &sealed, &a).unwrap(), "cus_a@example.com");
}

#[test]
fn a_hold_placed_while_retiring_key_versions_refuses_it_in_memory() {
    hold_placed_during_retire(Arc::new(MemoryKeyStore::new()));
}

#[test]
fn a_hold_placed_while_retiring_key_versions_refuses_it_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    hold_placed_during_retire(Arc::new(
        SqliteStore::open(dir.path().join("r.db")).unwrap(),
    ));
}

#[test]
fn a_hold_placed_while_an_erasure_runs_refuses_it_in_memory() {
    hold_placed_during_erase(Arc::new(MemoryKeyStore::new()));
}

#[test]
fn a_hold_placed_while_an_erasure_runs_refuses_it_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    hold_placed_during_erase(Arc::new(
        SqliteStore::open(dir.path().join("c.db")).unwrap(),
    ));
}

// ---------------------------------------------------------------------------------
// Two OS processes on one SQLite file: this test binary runs itself again as the
// sweeper (`CUSTODIAN_SWEEPER_DB` selects the role).

const SWEEPER_ENV: &str = "CUSTODIAN_SWEEPER_DB";
/// Days of values, one expiring per day; the sweeper advances one day per sweep.
const DAYS: u32 = 40;

/// The child role: sweeps the file once per simulated day. Does nothing (passes) when
/// run as an ordinary test.
#[test]
fn sweeper_child_process() {
    let Ok(path) = std::env::var(SWEEPER_ENV) else {
        return;
    };
    let mut store = hooked(SqliteStore::open(&path).unwrap());
    // Pause inside each sweep, between reading the holds and destroying the epoch, so
    // that the other process's hold lands inside a sweep as often as not.
    store.hook.pause_ms = 15;
    let clock = ManualClock::new(t0());
    let v = vault_on(store, &clock);
    for _ in 0..=DAYS + 1 {
        clock.advance(TimeDelta::days(1));
        v.operator(officer()).sweep().unwrap();
    }
}

#[test]
fn a_hold_placed_from_another_process_during_sweeps_keeps_the_data() {
    if std::env::var(SWEEPER_ENV).is_ok() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.db");
    let store = SqliteStore::open(&path).unwrap();
    let clock = ManualClock::new(t0());
    let v = vault_on(store.clone(), &clock);
    let a = sid("cus_a");
    let sealed: Vec<_> = (1..=DAYS).map(|d| seal(&v, &a, d)).collect();
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "sweeper_child_process", "--nocapture"])
        .env(SWEEPER_ENV, &path)
        .spawn()
        .unwrap();
    let first = sealed[0].header().unwrap().epoch();
    // Wait until the sweeper is well under way, then place the hold.
    while store.swept_before().unwrap() < first + DAYS / 3 {
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    v.operator(officer())
        .hold::<Crm>(&a, "case 2027-97: litigation hold", None)
        .unwrap();
    let protected_from = store.swept_before().unwrap();
    assert!(child.wait().unwrap().success(), "the sweeper failed");
    assert!(
        store.swept_before().unwrap() > first + DAYS,
        "every epoch was swept"
    );
    clock.advance(TimeDelta::days(i64::from(DAYS) + 2));
    let reader = vault_on(SqliteStore::open(&path).unwrap(), &clock);
    for s in &sealed {
        let epoch = s.header().unwrap().epoch();
        let got = open(&reader, s, &a);
        if epoch >= protected_from {
            assert_eq!(
                got.unwrap(),
                "cus_a@example.com",
                "epoch {epoch} was not yet swept when the hold was placed"
            );
        }
    }
}

// ---------------------------------------------------------------------------------
// A hold placed and released by another OS process restricts and permits opens here at
// once: holds are read from the store at every open of an expired value, never memoised
// (this vault's key cache is warm throughout).

const HOLDER_ENV: &str = "CUSTODIAN_HOLDER_DB";

/// The child role: `place:<path>` places a hold for `Claims`, `release:<path>` releases
/// the subject's holds. Does nothing (passes) when run as an ordinary test.
#[test]
fn holder_child_process() {
    let Ok(spec) = std::env::var(HOLDER_ENV) else {
        return;
    };
    let (action, path) = spec.split_once(':').unwrap();
    let clock = ManualClock::new(t0() + TimeDelta::days(31));
    let v = vault_on(SqliteStore::open(path).unwrap(), &clock);
    let a = sid("cus_a");
    if action == "place" {
        v.operator(officer())
            .hold_scoped(&a, HoldScope::purpose::<Claims>(), "case 2027-95", None)
            .unwrap();
    } else {
        for h in v.holds_of(&a).unwrap() {
            v.operator(officer()).release(&h.id).unwrap();
        }
    }
}

fn run_holder(path: &std::path::Path, action: &str) {
    let status = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "holder_child_process", "--nocapture"])
        .env(HOLDER_ENV, format!("{action}:{}", path.display()))
        .status()
        .unwrap();
    assert!(status.success(), "the holder process failed to {action}");
}

#[test]
fn a_hold_placed_by_another_process_restricts_and_permits_opens_here_at_once() {
    if std::env::var(HOLDER_ENV).is_ok() || std::env::var(SWEEPER_ENV).is_ok() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.db");
    let clock = ManualClock::new(t0());
    let v = vault_on(SqliteStore::open(&path).unwrap(), &clock);
    let a = sid("cus_a");
    let sealed = seal(&v, &a, 30);
    let claims = Access::<Claims>::new(a.clone(), Actor::service("counsel"));
    let for_claims = |v: &Vault| v.open(&sealed, &ctx(30), &claims).map(|_| ());
    assert!(
        open(&v, &sealed, &a).is_ok(),
        "the key is cached from here on"
    );
    clock.advance(TimeDelta::days(31));
    assert!(matches!(for_claims(&v), Err(OpenError::Expired { .. })));
    run_holder(&path, "place");
    assert!(for_claims(&v).is_ok());
    assert!(matches!(
        open(&v, &sealed, &a),
        Err(VaultError::RestrictedByHold { .. })
    ));
    run_holder(&path, "release");
    assert!(matches!(for_claims(&v), Err(OpenError::Expired { .. })));
}
