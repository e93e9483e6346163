//! Errors (docs/errors.md): stable codes, backends' errors kept as sources, and the
//! audit trail recording codes, not messages (trails written before still verify).

mod common;

use common::{audited_vault, ctx, seal_email, sid, t0};

use std::error::Error;
use std::sync::Arc;

use custodian::audit::{
    AuditEntry, AuditError, AuditRecord, AuditSink, AuditTrail, EventKind, JsonLinesSink,
    MemorySink, Outcome,
};
use custodian::categories::Email;
use custodian::keys::{KeyError, MasterKey};
use custodian::memory::MemoryKeyStore;
use custodian::retention::ManualClock;
use custodian::zeroize::Zeroizing;
use custodian::{Access, Actor, Context, ErrorKind, OpenError, Personal, Retention, Vault};

custodian::purpose! {
    struct Support { basis: Contract, description: "Answer requests.", uses: [Email] }
}

/// Every code, as released. Renaming one (or dropping it) fails here: codes are stored
/// in audit trails and mapped by services, so they never change.
#[test]
fn every_error_code_is_spelled_as_released() {
    let released = [
        "shredded",
        "erased",
        "expired",
        "key_retired",
        "restricted_by_hold",
        "restricted_by_erasure_exception",
        "subject_mismatch",
        "under_legal_hold",
        "would_retire_newest_key",
        "hold_not_found",
        "hold_already_released",
        "consent_never_given",
        "consent_withdrawn",
        "consent_expired",
        "consent_stale_notice",
        "consent_not_yet_in_force",
        "consent_unconfirmed",
        "consent_purpose_changed",
        "not_permitted",
        "invalid_input",
        "retention_undeclared",
        "retention_out_of_range",
        "epoch_swept",
        "unauthentic",
        "malformed",
        "wrong_type",
        "unencodable",
        "key_not_found",
        "master_key_invalid",
        "key_service_unavailable",
        "random_unavailable",
        "store_unavailable",
        "store_incompatible",
        "tampered",
        "retry",
        "audit_unavailable",
        "misconfigured",
        "consent_not_ended",
        "subject_ref_required",
        "event_in_future",
        "event_period_ended",
        "done_not_recorded",
        "consent_access_stale",
        "internal",
    ];
    let codes: Vec<&str> = ErrorKind::ALL.iter().map(|k| k.code()).collect();
    assert_eq!(codes, released);
    for code in released {
        let kind = ErrorKind::from_code(code).unwrap();
        assert_eq!(kind.code(), code);
        assert_eq!(kind.to_string(), code);
    }
    assert_eq!(ErrorKind::from_code("no_such_code"), None);
    // The statuses the manual's table suggests, for a few that services map.
    assert_eq!(ErrorKind::Shredded.http_status(), 410);
    assert_eq!(ErrorKind::RestrictedByHold.http_status(), 403);
    assert_eq!(ErrorKind::UnderLegalHold.http_status(), 409);
    assert_eq!(ErrorKind::AuditUnavailable.http_status(), 503);
}

/// A backend's own error type, as a KMS SDK or a database driver has.
#[derive(Debug, thiserror::Error)]
#[error("throttled by the backend (request {request})")]
struct BackendError {
    request: u32,
}

/// A sink whose every append fails with a [`BackendError`].
struct Down;

impl AuditSink for Down {
    fn append(&mut self, _: AuditRecord<'_>) -> Result<(), AuditError> {
        Err(AuditError::sink(BackendError { request: 17 }))
    }
    fn read(&self, _: u64, _: usize) -> Result<Vec<AuditEntry>, AuditError> {
        Ok(Vec::new())
    }
    fn last(&self) -> Result<Option<AuditEntry>, AuditError> {
        Ok(None)
    }
}

#[test]
fn a_custom_sinks_error_is_downcast_back_from_source() {
    let trail = AuditTrail::new(Down).unwrap();
    let e = trail
        .record(&custodian::audit::AuditEvent::new(EventKind::Sweep, t0()))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AuditUnavailable);
    let source = e.source().and_then(|s| s.downcast_ref::<BackendError>());
    assert_eq!(source.map(|b| b.request), Some(17), "{e:?}");

    // Through the vault too: a refused open carries the sink's error.
    let clock = ManualClock::new(t0());
    let trail = Arc::new(AuditTrail::new(Down).unwrap());
    let v = audited_vault(MemoryKeyStore::new(), &trail, &clock);
    let alice = sid("cus_alice");
    let sealed = v
        .seal(
            &Personal::new(alice.clone(), "a@example.com".to_string()),
            &ctx().retain(Retention::Days(3)),
        )
        .unwrap();
    let access = Access::<Support>::new(alice, Actor::service("helpdesk"));
    let e = v.open(&sealed, &ctx(), &access).unwrap_err();
    let Some(OpenError::Audit(audit)) = Some(&e) else {
        panic!("expected an audit failure, got {e:?}");
    };
    let backend = audit
        .source()
        .and_then(|s| s.downcast_ref::<BackendError>());
    assert!(backend.is_some(), "{e:?}");
}

/// A master key whose key service refuses every call.
struct Kms;

impl MasterKey for Kms {
    fn id(&self) -> &str {
        "kms"
    }
    fn wrap(&self, _: &[u8], _: &[u8]) -> Result<Vec<u8>, KeyError> {
        Err(KeyError::service(BackendError { request: 42 }))
    }
    fn unwrap(&self, _: &[u8], _: &[u8]) -> Result<Zeroizing<Vec<u8>>, KeyError> {
        Err(KeyError::service(BackendError { request: 43 }))
    }
}

#[test]
fn a_key_services_error_is_downcast_back_from_source() {
    let v = Vault::builder(Kms, MemoryKeyStore::new()).build();
    let e = v
        .seal(
            &Personal::new(sid("cus_alice"), "a@example.com".to_string()),
            &Context::<Email>::new("customer", "email")
                .unwrap()
                .retain(Retention::Days(3)),
        )
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::KeyServiceUnavailable);
    let backend = e.source().and_then(|s| s.downcast_ref::<BackendError>());
    assert_eq!(backend.map(|b| b.request), Some(42), "{e:?}");
}

#[test]
fn a_trail_written_before_codes_still_verifies() {
    // Written by custodian at commit 23a2acc (before codes): an allowed open, an open
    // refused for another subject, a hold, an erasure refused under it; refusals carry
    // the messages of then.
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/vectors/audit_trail_before_codes.jsonl"
    );
    let trail = AuditTrail::new(JsonLinesSink::open_read_only(path).unwrap()).unwrap();
    assert_eq!(trail.verify(None).unwrap().entries, 4);
    let events = trail
        .query(&custodian::audit::AuditQuery::default())
        .unwrap();
    assert!(matches!(
        &events[1].outcome,
        Outcome::RefusedWithMessage(m) if m.contains("another data subject")
    ));
    assert!(matches!(
        &events[3].outcome,
        Outcome::RefusedWithMessage(m) if m.contains("under legal hold")
    ));
    assert!(events[3].outcome.is_refused());
    assert_eq!(events[3].outcome.kind(), None);
}

#[test]
fn refusals_are_recorded_as_codes_so_rewording_a_message_changes_no_record() {
    let clock = ManualClock::new(t0());
    let sink = Arc::new(MemorySink::new());
    let trail = Arc::new(AuditTrail::new(Arc::clone(&sink)).unwrap());
    let v = audited_vault(MemoryKeyStore::new(), &trail, &clock);
    let alice = sid("cus_alice");
    let sealed = seal_email(&v, &alice, "alice.secret@example.com", 30);
    let bob = Access::<Support>::new(sid("cus_bob"), Actor::staff("emp-42", "support"));
    let open_refused = v.open(&sealed, &ctx(), &bob).unwrap_err();
    let op = v.operator(Actor::staff("emp-7", "privacy-officer"));
    op.hold::<Support>(&alice, "case 12", None).unwrap();
    let erase_refused = op.erase(&alice).unwrap_err();

    let stored = sink.read(0, usize::MAX).unwrap();
    let events: Vec<_> = stored.iter().map(|e| e.decode().unwrap()).collect();
    let refused: Vec<&Outcome> = events
        .iter()
        .map(|e| &e.outcome)
        .filter(|o| o.is_refused())
        .collect();
    assert_eq!(
        refused,
        [
            &Outcome::RefusedWithCode("subject_mismatch".into()),
            &Outcome::RefusedWithCode("under_legal_hold".into()),
        ]
    );
    assert_eq!(refused[1].kind(), Some(ErrorKind::UnderLegalHold));
    // No stored byte depends on a message: none of either message is in the trail.
    for message in [open_refused.to_string(), erase_refused.to_string()] {
        let head = &message.as_bytes()[..24];
        for entry in &stored {
            assert!(
                !entry.event.windows(head.len()).any(|w| w == head),
                "the trail holds the message {message:?}"
            );
        }
    }
}

#[test]
fn every_operation_reports_its_refusal_by_code() {
    let clock = ManualClock::new(t0());
    let sink = Arc::new(MemorySink::new());
    let trail = Arc::new(AuditTrail::new(Arc::clone(&sink)).unwrap());
    let v = audited_vault(MemoryKeyStore::new(), &trail, &clock);
    let alice = sid("cus_alice");
    let sealed = seal_email(&v, &alice, "alice.secret@example.com", 30);
    let op = v.operator(Actor::staff("emp-7", "privacy-officer"));
    let hold = op.hold::<Support>(&alice, "case 12", None).unwrap();
    let erase: custodian::AdminError = op.erase(&alice).unwrap_err();
    assert_eq!(erase.kind(), ErrorKind::UnderLegalHold);
    assert_eq!(erase.kind().http_status(), 409);
    op.release(&hold.id).unwrap();
    let again = op.release(&hold.id).unwrap_err();
    assert_eq!(again.kind(), ErrorKind::HoldAlreadyReleased);
    op.erase(&alice).unwrap();
    let access = Access::<Support>::new(alice.clone(), Actor::service("helpdesk"));
    let open: OpenError = v.open(&sealed, &ctx(), &access).unwrap_err();
    assert_eq!(open.kind(), ErrorKind::Shredded);
    let seal: custodian::SealError = v
        .seal(
            &Personal::new(alice, "a@example.com".to_string()),
            &ctx().retain(Retention::Days(3)),
        )
        .unwrap_err();
    assert_eq!(seal.kind(), ErrorKind::Shredded);
    // Every conversion to the cross-operation type keeps the code.
    assert_eq!(
        custodian::VaultError::from(open).kind(),
        ErrorKind::Shredded
    );
    assert_eq!(
        custodian::VaultError::from(erase).kind(),
        ErrorKind::UnderLegalHold
    );
    // The small errors have codes too.
    assert_eq!(
        custodian::Retention::parse("forever").unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    assert_eq!(
        custodian::SubjectId::new("").unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    assert_eq!(
        Context::<Email>::new("", "email").unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
}
