//! Every operator act goes through one audited path: refusals are recorded with the
//! actor and the refusal's stable code, an act done but not recorded says so, and an
//! actor no one can be held to (empty, over-long, control or bidi characters) does
//! nothing.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use common::{audited_vault, sid, t0};
use custodian::audit::{
    AuditEntry, AuditError, AuditEvent, AuditRecord, AuditSink, AuditTrail, MemorySink, Outcome,
};
use custodian::categories::Email;
use custodian::memory::MemoryKeyStore;
use custodian::retention::{HoldId, ManualClock};
use custodian::{Access, Actor};

custodian::purpose! {
    struct LegalClaims {
        name: "legal-claims",
        basis: LegitimateInterests,
        description: "Establish, exercise or defend legal claims.",
        uses: [Email],
    }
}

/// A memory sink that refuses appends while `failing` is set.
struct Flaky {
    inner: Arc<MemorySink>,
    failing: Arc<AtomicBool>,
}

#[derive(Debug, thiserror::Error)]
#[error("sink switched off by the test")]
struct Off;

impl AuditSink for Flaky {
    fn append(&mut self, entry: AuditRecord<'_>) -> Result<(), AuditError> {
        if self.failing.load(Ordering::SeqCst) {
            return Err(AuditError::sink(Off));
        }
        self.inner.append(entry)
    }
    fn read(&self, from: u64, limit: usize) -> Result<Vec<AuditEntry>, AuditError> {
        self.inner.read(from, limit)
    }
    fn last(&self) -> Result<Option<AuditEntry>, AuditError> {
        self.inner.last()
    }
}

fn setup() -> (Arc<AuditTrail>, custodian::Vault) {
    let trail = Arc::new(AuditTrail::new(MemorySink::new()).unwrap());
    let vault = audited_vault(MemoryKeyStore::new(), &trail, &ManualClock::new(t0()));
    (trail, vault)
}

fn by(trail: &AuditTrail, actor: &str) -> Vec<AuditEvent> {
    trail
        .query(&custodian::audit::AuditQuery {
            actor: Some(actor.into()),
            ..Default::default()
        })
        .unwrap()
}

fn refused_with(events: &[AuditEvent], code: &str) -> bool {
    events.iter().any(|e| match &e.outcome {
        Outcome::RefusedWithCode(c) => c == code,
        _ => false,
    })
}

#[test]
fn refused_retire_under_hold_is_audited_with_actor() {
    let (trail, vault) = setup();
    let alice = sid("cus_1");
    let dpo = vault.operator(Actor::staff("emp-7", "dpo"));
    dpo.rotate_subject_key(&alice).unwrap();
    let v2 = dpo.rotate_subject_key(&alice).unwrap();
    dpo.hold::<LegalClaims>(&alice, "case 1", None).unwrap();
    let rogue = vault.operator(Actor::staff("emp-666", "intern"));
    let err = rogue.retire_subject_key_versions(&alice, v2).unwrap_err();
    assert_eq!(err.kind().code(), "under_legal_hold");
    assert!(refused_with(&by(&trail, "emp-666"), "under_legal_hold"));
}

#[test]
fn refused_release_and_rotation_are_audited_with_actor() {
    let (trail, vault) = setup();
    let rogue = vault.operator(Actor::staff("emp-666", "intern"));
    let unknown = HoldId::parse(&"0".repeat(32)).unwrap();
    assert!(rogue.release(&unknown).is_err());
    let events = by(&trail, "emp-666");
    assert!(
        events
            .iter()
            .any(|e| matches!(e.outcome, Outcome::RefusedWithCode(_))),
        "{events:?}"
    );
}

#[test]
fn act_done_but_not_recorded_is_reported_as_done() {
    let failing = Arc::new(AtomicBool::new(false));
    let sink = Flaky {
        inner: Arc::new(MemorySink::new()),
        failing: Arc::clone(&failing),
    };
    let trail = Arc::new(AuditTrail::new(sink).unwrap());
    let vault = audited_vault(MemoryKeyStore::new(), &trail, &ManualClock::new(t0()));
    let alice = sid("cus_1");
    let dpo = vault.operator(Actor::staff("emp-7", "dpo"));
    assert_eq!(dpo.rotate_subject_key(&alice).unwrap(), 1);
    failing.store(true, Ordering::SeqCst);
    let err = dpo.rotate_subject_key(&alice).unwrap_err();
    assert_eq!(err.kind().code(), "done_not_recorded", "{err:?}");
    failing.store(false, Ordering::SeqCst);
    // The rotation was done: the next one is version 3.
    assert_eq!(dpo.rotate_subject_key(&alice).unwrap(), 3);
}

#[test]
fn operator_with_empty_actor_id_is_refused() {
    let (trail, vault) = setup();
    let alice = sid("cus_1");
    vault
        .operator(Actor::staff("emp-7", "dpo"))
        .rotate_subject_key(&alice)
        .unwrap();
    let err = vault
        .operator(Actor::staff("", ""))
        .erase(&alice)
        .unwrap_err();
    assert_eq!(err.kind().code(), "invalid_input");
    assert!(by(&trail, "").is_empty());
    // Not erased: the subject still has their key.
    assert_eq!(
        vault
            .operator(Actor::staff("emp-7", "dpo"))
            .rotate_subject_key(&alice)
            .unwrap(),
        2
    );
}

#[test]
fn operator_actor_with_control_or_bidi_chars_is_refused() {
    let (_trail, vault) = setup();
    let alice = sid("cus_1");
    for (id, role) in [
        ("emp-7\n{\"id\":\"emp-1\"}", "dpo"),
        ("emp-7", "dpo\0"),
        ("emp-7\u{202e}", "dpo"),
        ("emp 7", "dpo"),
    ] {
        let err = vault
            .operator(Actor::staff(id, role))
            .shred(&alice)
            .unwrap_err();
        assert_eq!(err.kind().code(), "invalid_input");
        assert!(!format!("{err} {err:?}").contains("emp-7"));
    }
}

#[test]
fn over_long_actor_id_is_refused_not_truncated() {
    let (trail, vault) = setup();
    let long = "e".repeat(70_000);
    let err = vault
        .operator(Actor::service(long.clone()))
        .sweep()
        .unwrap_err();
    assert_eq!(err.kind().code(), "invalid_input");
    let access = Access::<LegalClaims>::new(sid("cus_1"), Actor::service(long));
    let err = vault.access_history_with_staff(&access).unwrap_err();
    assert_eq!(err.kind().code(), "invalid_input");
    assert!(
        trail
            .query(&custodian::audit::AuditQuery::default())
            .unwrap()
            .is_empty()
    );
}

#[test]
fn open_by_unattributable_actor_is_refused() {
    let (_trail, vault) = setup();
    let alice = sid("cus_1");
    let sealed = common::seal_email(&vault, &alice, "a@example.com", 30);
    let access = Access::<LegalClaims>::new(alice, Actor::staff("", "support"));
    let err = vault
        .open(&sealed, &common::email_ctx(), &access)
        .unwrap_err();
    assert_eq!(err.kind().code(), "invalid_input");
}

#[test]
fn over_long_audit_text_is_refused_not_cut() {
    let sink = Arc::new(MemorySink::new());
    let trail = AuditTrail::new(Arc::clone(&sink)).unwrap();
    let mut event = AuditEvent::new(custodian::audit::EventKind::ConsentEvidenceRead, t0());
    event.purpose = Some("r".repeat(70_000));
    let err = trail.record(&event).unwrap_err();
    assert_eq!(err.kind().code(), "invalid_input", "{err:?}");
    assert!(sink.read(0, usize::MAX).unwrap().is_empty());
}
