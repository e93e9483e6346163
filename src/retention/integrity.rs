//! Tamper evidence for legal holds and tombstones: every hold record and every
//! tombstone carries a keyed MAC (HMAC-SHA256) under the vault's `retention-integrity`
//! secret, and a head record keeps the MAC'd counts of holds, releases, erasures and
//! tombstones. A row forged or edited without the key fails its MAC; a row deleted, or
//! a release or erasure undone, leaves the counts short of the head. Either way the
//! vault refuses to sweep, erase or seal for a subject it cannot tell is not erased
//! (`docs/retention.md`, "Threat model").
//!
//! Messages (each length-prefixed field after a label ending in a zero byte):
//! - hold: `"custodian.retention.v1.hold\0"`, id, subject (tag 1 and the id, or tag 2
//!   and the erasure reference), reason, scope purposes, scope categories, placed,
//!   until, released (micros; optional times with a presence byte);
//! - tombstone: `"custodian.retention.v1.tombstone\0"`, reference, time (micros);
//! - anchor event: `"custodian.retention.v1.anchor-event\0"`, subject id, subject
//!   reference, anchor id (one byte), event time, recording time (micros);
//! - head: `"custodian.retention.v1.head\0"`, the four counts (u64 big-endian), and
//!   the check value of the `subject-ref` secret: HMAC(that secret,
//!   `"\0custodian.retention.v1.reference-check"`). Tombstones are references under
//!   that secret; a vault given a new one (the old row deleted) would find none of
//!   them, so the head binds it.

use std::fmt;

use chrono::{DateTime, Utc};
use ring::hmac;
use zeroize::Zeroizing;

use super::{HoldSubject, LegalHold, SubjectRef};

const HOLD_LABEL: &[u8] = b"custodian.retention.v1.hold\0";
const TOMBSTONE_LABEL: &[u8] = b"custodian.retention.v1.tombstone\0";
const HEAD_LABEL: &[u8] = b"custodian.retention.v1.head\0";
const EVENT_LABEL: &[u8] = b"custodian.retention.v1.anchor-event\0";
/// Signed with the key of subject references for the head's check value. It starts
/// with a zero byte, so no subject id (printable ASCII) has it as its reference.
const REFERENCE_CHECK: &[u8] = b"\0custodian.retention.v1.reference-check";

/// The key of the hold and tombstone MACs. A vault derives it from its
/// `retention-integrity` secret (wrapped by the master key in the key store) and passes
/// it to the [`KeyStore`](crate::keys::KeyStore) calls that write or read holds and
/// tombstones; a store holds no copy. The bytes are wiped on drop; `Debug` prints no
/// key material.
pub struct IntegrityKey {
    secret: Zeroizing<[u8; 32]>,
    /// A check value of the key of subject references, covered by the head's MAC:
    /// tombstones are references, so a replaced reference secret would leave every
    /// tombstone unmatched; with this, it leaves the head unauthentic instead.
    reference_check: [u8; 32],
}

impl fmt::Debug for IntegrityKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("IntegrityKey(<redacted>)")
    }
}

/// A hold record as a [`HoldStore`](super::HoldStore) stores it: the hold and the MAC
/// the vault computed with its [`IntegrityKey`] when it placed, released or re-pointed
/// it. A backend stores and returns both as they are; the vault checks the MAC itself
/// ([`verify`](Self::verify)) before it trusts the hold, so a backend that skips the
/// check, or invents a hold, cannot open expired data or block an erasure.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredHold {
    /// The hold.
    pub hold: LegalHold,
    /// Its MAC ([`IntegrityKey::hold_mac`]) in its current state.
    pub mac: Vec<u8>,
}

impl StoredHold {
    /// `hold` with its MAC under `key` (what a backend stores when it records or
    /// changes a hold).
    pub fn sign(hold: LegalHold, key: &IntegrityKey) -> Self {
        let mac = key.hold_mac(&hold).to_vec();
        Self { hold, mac }
    }

    /// The hold, if its MAC verifies under `key`; otherwise
    /// [`StoreError::RetentionTampered`](crate::store::StoreError::RetentionTampered):
    /// the record was forged or edited outside the vault (restore the store from a
    /// backup and find out who wrote it).
    pub fn verify(self, key: &IntegrityKey) -> Result<LegalHold, crate::store::StoreError> {
        if key.hold_authentic(&self.hold, Some(&self.mac)) {
            Ok(self.hold)
        } else {
            Err(crate::store::StoreError::RetentionTampered {
                what: "a legal hold returned by the store does not verify",
            })
        }
    }
}

/// A recorded [`AnchorEvent`](super::AnchorEvent) as a
/// [`RetentionStore`](super::RetentionStore) returns it: the event and the MAC the
/// vault's [`IntegrityKey`] gave it with its subject's reference. The vault checks
/// the MAC itself ([`verify`](Self::verify)) before it computes a period from the
/// event, so a backend that invents or moves an event cannot extend a period.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredEvent {
    /// The event.
    pub event: super::AnchorEvent,
    /// Its MAC ([`IntegrityKey::event_mac`]).
    pub mac: Vec<u8>,
}

impl StoredEvent {
    /// `event` of the subject whose reference is `reference`, with its MAC under
    /// `key` (what a backend stores when it records an event).
    pub fn sign(event: super::AnchorEvent, reference: &SubjectRef, key: &IntegrityKey) -> Self {
        let mac = key.event_mac(&event, reference).to_vec();
        Self { event, mac }
    }

    /// The event, if its MAC verifies under `key` for the subject whose reference is
    /// `reference`; otherwise
    /// [`StoreError::RetentionTampered`](crate::store::StoreError::RetentionTampered)
    /// (the record was forged or edited outside the vault: restore the store from a
    /// backup).
    pub fn verify(
        self,
        reference: &SubjectRef,
        key: &IntegrityKey,
    ) -> Result<super::AnchorEvent, crate::store::StoreError> {
        if key.event_authentic(&self.event, reference, Some(&self.mac)) {
            Ok(self.event)
        } else {
            Err(crate::store::StoreError::RetentionTampered {
                what: "an anchor event returned by the store does not verify",
            })
        }
    }
}

/// The counts a head record commits to. They only rise.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RetentionCounts {
    /// Holds ever placed.
    pub holds: u64,
    /// Holds released.
    pub released: u64,
    /// Hold records whose subject was erased (replaced by the reference).
    pub erased: u64,
    /// Tombstones of erased subjects.
    pub tombstones: u64,
}

impl RetentionCounts {
    /// Whether every count is at least `other`'s (a store never loses a record).
    pub fn covers(&self, other: &RetentionCounts) -> bool {
        self.holds >= other.holds
            && self.released >= other.released
            && self.erased >= other.erased
            && self.tombstones >= other.tombstones
    }
}

/// What a successful [`Vault::verify_retention`](crate::Vault::verify_retention)
/// covered. Keep it somewhere the store's writers cannot reach (with your backups'
/// manifests, in a write-once bucket) and pass it back as `expected`: a store rolled
/// back to an older copy, with its head, then shows fewer records than the anchor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RetentionReport {
    /// The counts verified.
    pub counts: RetentionCounts,
}

impl IntegrityKey {
    /// A key from a 32-byte secret. A vault makes its own from its
    /// `retention-integrity` secret; a [`KeyStore`](crate::keys::KeyStore) called
    /// directly with another key refuses the records its vault wrote
    /// ([`StoreError::RetentionTampered`](crate::store::StoreError::RetentionTampered)).
    pub fn from_secret(secret: &[u8; 32]) -> Self {
        IntegrityKey {
            secret: Zeroizing::new(*secret),
            reference_check: [0; 32],
        }
    }

    /// Binds the head's MAC to the key of subject references, by a check value
    /// computed with it (`REFERENCE_CHECK`, which no subject id can equal).
    pub(crate) fn bound_to_references(mut self, references: &hmac::Key) -> Self {
        self.reference_check
            .copy_from_slice(hmac::sign(references, REFERENCE_CHECK).as_ref());
        self
    }

    fn key(&self) -> hmac::Key {
        hmac::Key::new(hmac::HMAC_SHA256, &self.secret[..])
    }

    fn sign(&self, msg: &[u8]) -> [u8; 32] {
        let mut out = [0u8; 32];
        out.copy_from_slice(hmac::sign(&self.key(), msg).as_ref());
        out
    }

    fn verify(&self, msg: &[u8], mac: Option<&[u8]>) -> bool {
        mac.is_some_and(|m| hmac::verify(&self.key(), msg, m).is_ok())
    }

    /// The MAC of a hold record in its current state.
    pub fn hold_mac(&self, hold: &LegalHold) -> [u8; 32] {
        self.sign(&hold_message(hold))
    }

    /// Whether `mac` is the MAC of `hold` (constant-time comparison).
    pub fn hold_authentic(&self, hold: &LegalHold, mac: Option<&[u8]>) -> bool {
        self.verify(&hold_message(hold), mac)
    }

    /// The MAC of a tombstone.
    pub fn tombstone_mac(&self, reference: &SubjectRef, at_micros: i64) -> [u8; 32] {
        self.sign(&tombstone_message(reference, at_micros))
    }

    /// Whether `mac` is the MAC of a tombstone.
    pub fn tombstone_authentic(
        &self,
        reference: &SubjectRef,
        at_micros: i64,
        mac: Option<&[u8]>,
    ) -> bool {
        self.verify(&tombstone_message(reference, at_micros), mac)
    }

    /// The MAC of a recorded [`AnchorEvent`](super::AnchorEvent) of the subject whose
    /// reference is `reference`.
    pub fn event_mac(&self, event: &super::AnchorEvent, reference: &SubjectRef) -> [u8; 32] {
        self.sign(&event_message(event, reference))
    }

    /// Whether `mac` is the MAC of `event` (constant-time comparison).
    pub fn event_authentic(
        &self,
        event: &super::AnchorEvent,
        reference: &SubjectRef,
        mac: Option<&[u8]>,
    ) -> bool {
        self.verify(&event_message(event, reference), mac)
    }

    /// The MAC of a head record.
    pub fn head_mac(&self, counts: &RetentionCounts) -> [u8; 32] {
        self.sign(&head_message(counts, &self.reference_check))
    }

    /// Whether `mac` is the MAC of a head record with `counts`.
    pub fn head_authentic(&self, counts: &RetentionCounts, mac: Option<&[u8]>) -> bool {
        self.verify(&head_message(counts, &self.reference_check), mac)
    }
}

fn put(buf: &mut Vec<u8>, bytes: &[u8]) {
    buf.extend_from_slice(&(bytes.len() as u64).to_be_bytes());
    buf.extend_from_slice(bytes);
}

fn put_time(buf: &mut Vec<u8>, t: Option<DateTime<Utc>>) {
    match t {
        Some(t) => {
            buf.push(1);
            buf.extend_from_slice(&t.timestamp_micros().to_be_bytes());
        }
        None => buf.push(0),
    }
}

fn put_list(buf: &mut Vec<u8>, items: &[String]) {
    buf.extend_from_slice(&(items.len() as u64).to_be_bytes());
    for item in items {
        put(buf, item.as_bytes());
    }
}

fn event_message(event: &super::AnchorEvent, reference: &SubjectRef) -> Vec<u8> {
    let mut buf = Vec::with_capacity(160);
    buf.extend_from_slice(EVENT_LABEL);
    put(&mut buf, event.subject.as_str().as_bytes());
    put(&mut buf, reference.as_str().as_bytes());
    buf.push(event.anchor.id());
    put_time(&mut buf, Some(event.at));
    put_time(&mut buf, Some(event.recorded_at));
    buf
}

fn hold_message(hold: &LegalHold) -> Vec<u8> {
    let mut buf = Vec::with_capacity(256);
    buf.extend_from_slice(HOLD_LABEL);
    put(&mut buf, hold.id.as_str().as_bytes());
    match &hold.subject {
        HoldSubject::Subject(s) => {
            buf.push(1);
            put(&mut buf, s.as_str().as_bytes());
        }
        HoldSubject::Erased(r) => {
            buf.push(2);
            put(&mut buf, r.as_str().as_bytes());
        }
    }
    put(&mut buf, hold.reason.as_bytes());
    put_list(&mut buf, hold.scope.purposes());
    put_list(&mut buf, hold.scope.categories());
    put_time(&mut buf, Some(hold.placed_at));
    put_time(&mut buf, hold.until);
    put_time(&mut buf, hold.released_at);
    buf
}

fn tombstone_message(reference: &SubjectRef, at_micros: i64) -> Vec<u8> {
    let mut buf = Vec::with_capacity(128);
    buf.extend_from_slice(TOMBSTONE_LABEL);
    put(&mut buf, reference.as_str().as_bytes());
    buf.extend_from_slice(&at_micros.to_be_bytes());
    buf
}

fn head_message(c: &RetentionCounts, reference_check: &[u8; 32]) -> Vec<u8> {
    let mut buf = Vec::with_capacity(96);
    buf.extend_from_slice(HEAD_LABEL);
    for n in [c.holds, c.released, c.erased, c.tombstones] {
        buf.extend_from_slice(&n.to_be_bytes());
    }
    buf.extend_from_slice(reference_check);
    buf
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::retention::{HoldId, HoldScope};
    use crate::subject::SubjectId;

    #[test]
    fn every_field_of_a_hold_is_covered_and_the_debug_shows_no_key() {
        let key = IntegrityKey::from_secret(&[9u8; 32]);
        assert_eq!(format!("{key:?}"), "IntegrityKey(<redacted>)");
        let t0 = DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default();
        let hold = LegalHold {
            id: HoldId::from_random([1; 16]),
            subject: HoldSubject::Subject(SubjectId::new("cus_1").unwrap()),
            reason: "case 1".into(),
            scope: HoldScope::from_stored(vec!["claims".into()], vec!["user.contact.email".into()])
                .unwrap(),
            placed_at: t0,
            until: None,
            released_at: None,
        };
        let mac = key.hold_mac(&hold);
        assert!(key.hold_authentic(&hold, Some(&mac)));
        assert!(!key.hold_authentic(&hold, None));
        let mut edits = Vec::new();
        let mut h = hold.clone();
        h.released_at = Some(t0);
        edits.push(h);
        let mut h = hold.clone();
        h.until = Some(t0);
        edits.push(h);
        let mut h = hold.clone();
        h.reason = "case 2".into();
        edits.push(h);
        let mut h = hold.clone();
        h.scope = HoldScope::from_stored(vec!["claims".into()], Vec::new()).unwrap();
        edits.push(h);
        let mut h = hold.clone();
        h.subject = HoldSubject::Erased(SubjectRef::from_stored("cus_1".into()));
        edits.push(h);
        for edited in edits {
            assert!(!key.hold_authentic(&edited, Some(&mac)), "{edited:?}");
        }
        let counts = RetentionCounts {
            holds: 1,
            ..RetentionCounts::default()
        };
        let head = key.head_mac(&counts);
        assert!(key.head_authentic(&counts, Some(&head)));
        assert!(!key.head_authentic(&RetentionCounts::default(), Some(&head)));
        let r = SubjectRef::from_stored("sref1:00".into());
        let t = key.tombstone_mac(&r, 5);
        assert!(key.tombstone_authentic(&r, 5, Some(&t)));
        assert!(!key.tombstone_authentic(&r, 6, Some(&t)));
    }
}
