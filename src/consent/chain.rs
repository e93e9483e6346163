//! Tamper evidence for consent evidence: every stored event and every notice-floor raise
//! is a link in a chain keyed with an [`EvidenceKey`] (HMAC-SHA256), so a row forged,
//! edited, moved or deleted by someone without the key shows in
//! [`ConsentStore::verify`](super::ConsentStore::verify).
//!
//! Event link `n` (from 1): `mac_n = HMAC(key, "custodian.consent.v1.event" ‖ 0x00 ‖
//! mac_{n-1} ‖ n ‖ stream_prev ‖ canonical event bytes)`, where `mac_0` is 32 zero bytes
//! and `stream_prev` is the position of the previous event of the same subject and
//! purpose (0 for its first). Binding `stream_prev` lets a consent check, which reads
//! only one subject's events for one purpose, notice a deleted event among them without
//! scanning the whole chain. Floor links use the label `custodian.consent.v1.floor` and
//! cover the purpose and version. A consent recorded since schema 12 is encoded in
//! format 3, which appends the purpose declaration it was given to
//! ([`PurposeScope`](super::PurposeScope)). `docs/consent.md` has the formats and the
//! threat model.

use ring::hmac;
use ring::rand::{SecureRandom, SystemRandom};
use secrecy::{ExposeSecret, SecretBox};

use super::encoding::{event_message, floor_message, notice_floor_message, notice_message};
use super::events::ConsentEvent;
use super::evidence::{EvidenceRef, Notice};
use crate::subject::SubjectId;

const SUBJECT_REF_LABEL: &[u8] = b"custodian.consent.v1.subject-ref\0";
const CONTACT_REF_LABEL: &[u8] = b"custodian.consent.v1.contact-ref\0";
const GUARDIAN_REF_LABEL: &[u8] = b"custodian.consent.v1.guardian-ref\0";

/// The secret that keys the consent chain (HMAC-SHA256, 256 bits).
///
/// Keep it where the store's writers and readers cannot reach it (a secret manager, the
/// same place as the master key): whoever holds it can forge evidence that verifies.
/// Give every process that writes or checks consent the same key. The bytes are wiped
/// on drop; `Debug` prints no key material.
pub struct EvidenceKey {
    bytes: SecretBox<[u8; 32]>,
}

impl std::fmt::Debug for EvidenceKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EvidenceKey(<redacted>)")
    }
}

impl EvidenceKey {
    /// A key from 32 secret bytes.
    pub fn from_bytes(bytes: SecretBox<[u8; 32]>) -> Self {
        EvidenceKey { bytes }
    }

    /// A key from a slice, which must be 32 bytes long.
    pub fn from_slice(bytes: &[u8]) -> Result<Self, super::ConsentError> {
        let mut key = SecretBox::new(Box::new([0u8; 32]));
        let len = bytes.len();
        let arr: &[u8; 32] = bytes
            .try_into()
            .map_err(|_| super::ConsentError::BadEvidenceKey { len })?;
        secrecy::ExposeSecretMut::expose_secret_mut(&mut key).copy_from_slice(arr);
        Ok(EvidenceKey { bytes: key })
    }

    /// A new random key. Store its bytes ([`expose_bytes`](Self::expose_bytes)) in
    /// your secret manager: without them the evidence written under it cannot be
    /// verified, and the ledger will not open over it.
    pub fn generate() -> Result<Self, super::ConsentError> {
        let mut key = SecretBox::new(Box::new([0u8; 32]));
        SystemRandom::new()
            .fill(secrecy::ExposeSecretMut::expose_secret_mut(&mut key))
            .map_err(|_| super::ConsentError::Random)?;
        Ok(EvidenceKey { bytes: key })
    }

    /// The key's bytes, to store in a secret manager.
    pub fn expose_bytes(&self) -> &[u8; 32] {
        self.bytes.expose_secret()
    }

    fn hmac_key(&self) -> hmac::Key {
        hmac::Key::new(hmac::HMAC_SHA256, self.bytes.expose_secret())
    }

    /// The link of event `seq` after `prev`, `stream_prev` being the position of the
    /// previous event of the same subject and purpose (0 if none).
    pub fn event_mac(
        &self,
        prev: &[u8; 32],
        seq: u64,
        stream_prev: u64,
        event: &ConsentEvent,
    ) -> [u8; 32] {
        self.sign(&event_message(prev, seq, stream_prev, event))
    }

    /// Whether `mac` is the link of event `seq` after `prev` (compared in constant
    /// time).
    pub fn event_authentic(
        &self,
        prev: &[u8; 32],
        seq: u64,
        stream_prev: u64,
        event: &ConsentEvent,
        mac: &[u8; 32],
    ) -> bool {
        let msg = event_message(prev, seq, stream_prev, event);
        hmac::verify(&self.hmac_key(), &msg, mac).is_ok()
    }

    fn keyed(&self, label: &[u8], value: &[u8]) -> EvidenceRef {
        let mut ctx = hmac::Context::with_key(&self.hmac_key());
        ctx.update(label);
        ctx.update(value);
        let mut out = [0u8; 32];
        out.copy_from_slice(ctx.sign().as_ref());
        EvidenceRef(out)
    }

    /// The keyed reference of a subject, as the evidence kept after their erasure
    /// names them.
    pub fn subject_ref(&self, subject: &SubjectId) -> EvidenceRef {
        self.keyed(SUBJECT_REF_LABEL, subject.as_str().as_bytes())
    }

    /// The keyed reference of a contact point (as given to
    /// [`Evidence::contact_point`](super::Evidence::contact_point)).
    pub fn contact_ref(&self, contact: &str) -> EvidenceRef {
        self.keyed(CONTACT_REF_LABEL, contact.as_bytes())
    }

    /// The keyed reference of a holder of parental responsibility.
    pub fn guardian_ref(&self, guardian: &SubjectId) -> EvidenceRef {
        self.keyed(GUARDIAN_REF_LABEL, guardian.as_str().as_bytes())
    }

    /// The link of registered notice `seq` after `prev`.
    pub fn notice_mac(&self, prev: &[u8; 32], seq: u64, notice: &RegisteredNotice) -> [u8; 32] {
        self.sign(&notice_message(prev, seq, notice))
    }

    fn sign(&self, msg: &[u8]) -> [u8; 32] {
        let mut out = [0u8; 32];
        out.copy_from_slice(hmac::sign(&self.hmac_key(), msg).as_ref());
        out
    }

    /// The link of a raise of the floor of one notice of a purpose (`notice`), or of
    /// every notice of it (`None`, the form before schema 10).
    pub fn notice_floor_mac(
        &self,
        prev: &[u8; 32],
        seq: u64,
        purpose: &str,
        notice: Option<&str>,
        version: u32,
    ) -> [u8; 32] {
        self.sign(&notice_floor_message(prev, seq, purpose, notice, version))
    }

    /// The link of notice-floor raise `seq` after `prev`.
    pub fn floor_mac(&self, prev: &[u8; 32], seq: u64, purpose: &str, version: u32) -> [u8; 32] {
        self.sign(&floor_message(prev, seq, purpose, version))
    }

    /// Whether `mac` is the link of registered notice `seq` after `prev` (compared in
    /// constant time).
    pub fn notice_authentic(
        &self,
        prev: &[u8; 32],
        seq: u64,
        notice: &RegisteredNotice,
        mac: &[u8; 32],
    ) -> bool {
        hmac::verify(&self.hmac_key(), &notice_message(prev, seq, notice), mac).is_ok()
    }

    /// Whether `mac` is the link of a raise of the floor of `notice` of `purpose`
    /// (`None`: every notice), compared in constant time.
    pub fn notice_floor_authentic(
        &self,
        prev: &[u8; 32],
        seq: u64,
        purpose: &str,
        notice: Option<&str>,
        version: u32,
        mac: &[u8; 32],
    ) -> bool {
        let msg = notice_floor_message(prev, seq, purpose, notice, version);
        hmac::verify(&self.hmac_key(), &msg, mac).is_ok()
    }

    /// Whether `mac` is the link of notice-floor raise `seq` after `prev` (compared in
    /// constant time).
    pub fn floor_authentic(
        &self,
        prev: &[u8; 32],
        seq: u64,
        purpose: &str,
        version: u32,
        mac: &[u8; 32],
    ) -> bool {
        let msg = floor_message(prev, seq, purpose, version);
        hmac::verify(&self.hmac_key(), &msg, mac).is_ok()
    }
}

/// The stream an event belongs to (purpose, subject) for `stream_prev`; an erasure
/// has none (its `stream_prev` is 0).
pub(crate) fn stream_of(event: &ConsentEvent) -> Option<(String, SubjectId)> {
    event
        .subject()
        .map(|s| (event.purpose().to_owned(), s.clone()))
}

/// A notice text registered for a purpose
/// ([`ConsentLedger::register_notice`](super::ConsentLedger::register_notice)).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RegisteredNotice {
    /// The purpose it asks consent for.
    pub purpose: String,
    /// Its id, version and the SHA-256 of `text`.
    pub notice: Notice,
    /// The exact text shown.
    pub text: String,
    /// When it was registered, by the ledger's clock.
    pub registered_at: chrono::DateTime<chrono::Utc>,
}

/// A stored notice registration with its position and link.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainedNotice {
    /// Position in the notice chain, from 1.
    pub seq: u64,
    /// The registration.
    pub notice: RegisteredNotice,
    /// Its link.
    pub mac: [u8; 32],
}

/// A stored consent event with its position and link, as
/// [`ConsentStore::read_events`](super::ConsentStore::read_events) returns it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainedEvent {
    /// Position in the chain, from 1.
    pub seq: u64,
    /// The event.
    pub event: ConsentEvent,
    /// Its link; `None` for a row written without one (before schema version 8).
    pub mac: Option<[u8; 32]>,
    /// For an erasure, the evidence kept of the removed events (JSON), until it is
    /// purged after its retention.
    pub kept: Option<Vec<u8>>,
}

/// A stored notice-floor raise with its position and link.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainedFloor {
    /// Position in the floor chain, from 1.
    pub seq: u64,
    /// The purpose.
    pub purpose: String,
    /// The notice whose floor was raised; `None`: every notice of the purpose.
    pub notice: Option<String>,
    /// The floor it was raised to.
    pub version: u32,
    /// Its link.
    pub mac: [u8; 32],
}

/// What a successful [`verify`](super::ConsentStore::verify) covered: keep `events`,
/// `floors` and `head` somewhere the store's writers cannot reach, and pass them back
/// as `expected` later to detect truncation or a rewrite by a key holder.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChainReport {
    /// Consent events checked.
    pub events: u64,
    /// Notice-floor raises checked.
    pub floors: u64,
    /// Notice registrations checked.
    pub notices: u64,
    /// The link of the last event (32 zero bytes when there is none).
    pub head: [u8; 32],
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evidence_key_debug_shows_no_key_and_length_is_checked() {
        let key = EvidenceKey::from_slice(&[0xab; 32]).unwrap();
        assert_eq!(format!("{key:?}"), "EvidenceKey(<redacted>)");
        assert!(matches!(
            EvidenceKey::from_slice(&[0u8; 31]),
            Err(crate::consent::ConsentError::BadEvidenceKey { len: 31 })
        ));
    }
}
