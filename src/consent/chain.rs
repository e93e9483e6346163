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
//! cover the purpose and version. `docs/consent.md` has the threat model.

use std::collections::HashMap;

use ring::hmac;
use ring::rand::{SecureRandom, SystemRandom};
use secrecy::{ExposeSecret, SecretBox};

use super::evidence::ConsentEvent;
use crate::store::StoreError;
use crate::subject::SubjectId;

const EVENT_LABEL: &[u8] = b"custodian.consent.v1.event\0";
const FLOOR_LABEL: &[u8] = b"custodian.consent.v1.floor\0";
const EVENT_FORMAT: u8 = 1;

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
        let msg = event_message(prev, seq, stream_prev, event);
        let mut out = [0u8; 32];
        out.copy_from_slice(hmac::sign(&self.hmac_key(), &msg).as_ref());
        out
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

    /// The link of notice-floor raise `seq` after `prev`.
    pub fn floor_mac(&self, prev: &[u8; 32], seq: u64, purpose: &str, version: u32) -> [u8; 32] {
        let msg = floor_message(prev, seq, purpose, version);
        let mut out = [0u8; 32];
        out.copy_from_slice(hmac::sign(&self.hmac_key(), &msg).as_ref());
        out
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

fn event_message(prev: &[u8; 32], seq: u64, stream_prev: u64, event: &ConsentEvent) -> Vec<u8> {
    let mut buf = Vec::with_capacity(256);
    buf.extend_from_slice(EVENT_LABEL);
    buf.extend_from_slice(prev);
    buf.extend_from_slice(&seq.to_be_bytes());
    buf.extend_from_slice(&stream_prev.to_be_bytes());
    encode_event(event, &mut buf);
    buf
}

fn floor_message(prev: &[u8; 32], seq: u64, purpose: &str, version: u32) -> Vec<u8> {
    let mut buf = Vec::with_capacity(96 + purpose.len());
    buf.extend_from_slice(FLOOR_LABEL);
    buf.extend_from_slice(prev);
    buf.extend_from_slice(&seq.to_be_bytes());
    put_str(&mut buf, purpose);
    buf.extend_from_slice(&version.to_be_bytes());
    buf
}

fn put_str(buf: &mut Vec<u8>, s: &str) {
    buf.extend_from_slice(&(s.len() as u64).to_be_bytes());
    buf.extend_from_slice(s.as_bytes());
}

fn put_opt_time(buf: &mut Vec<u8>, t: Option<chrono::DateTime<chrono::Utc>>) {
    match t {
        Some(t) => {
            buf.push(1);
            buf.extend_from_slice(&t.timestamp_micros().to_be_bytes());
        }
        None => buf.push(0),
    }
}

/// The canonical bytes of an event: what its link covers. Times are in microseconds,
/// the precision stores keep; strings are length-prefixed, so the encoding is
/// unambiguous.
fn encode_event(event: &ConsentEvent, buf: &mut Vec<u8>) {
    buf.push(EVENT_FORMAT);
    match event {
        ConsentEvent::Given(g) => {
            buf.push(1);
            put_str(buf, g.subject.as_str());
            put_str(buf, &g.purpose);
            buf.extend_from_slice(&g.at.timestamp_micros().to_be_bytes());
            put_str(buf, g.channel.as_str());
            put_str(buf, &g.notice.id);
            buf.extend_from_slice(&g.notice.version.to_be_bytes());
            buf.extend_from_slice(&g.notice.text_sha256);
            put_str(buf, g.method.as_str());
            put_opt_time(buf, g.expires_at);
        }
        ConsentEvent::Withdrawn(w) => {
            buf.push(2);
            put_str(buf, w.subject.as_str());
            put_str(buf, &w.purpose);
            buf.extend_from_slice(&w.at.timestamp_micros().to_be_bytes());
            put_str(buf, w.channel.as_str());
            put_str(buf, w.by.kind().as_str());
            put_str(buf, w.by.id());
            match w.by.role() {
                Some(r) => {
                    buf.push(1);
                    put_str(buf, r);
                }
                None => buf.push(0),
            }
        }
    }
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
}

/// A stored notice-floor raise with its position and link.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainedFloor {
    /// Position in the floor chain, from 1.
    pub seq: u64,
    /// The purpose.
    pub purpose: String,
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
    /// The link of the last event (32 zero bytes when there is none).
    pub head: [u8; 32],
}

/// Rows read per batch by `verify`.
pub(crate) const BATCH: usize = 4096;

fn tampered(what: &'static str, position: u64) -> StoreError {
    StoreError::Tampered { what, position }
}

/// Verifies both chains from rows read in batches (`read_*(from)`, an empty batch ends
/// them); reports the first bad position. With `expected`, the chain must still hold
/// that many events, the last of them with that link, and at least that many floors.
pub(crate) fn verify(
    key: &EvidenceKey,
    mut read_events: impl FnMut(u64) -> Result<Vec<ChainedEvent>, StoreError>,
    mut read_floors: impl FnMut(u64) -> Result<Vec<ChainedFloor>, StoreError>,
    expected: Option<&ChainReport>,
) -> Result<ChainReport, StoreError> {
    let mut prev = [0u8; 32];
    let mut next = 1u64;
    let mut streams: HashMap<(String, SubjectId), u64> = HashMap::new();
    loop {
        let batch = read_events(next)?;
        if batch.is_empty() {
            break;
        }
        for row in batch {
            if row.seq != next {
                return Err(tampered(
                    "consent event (missing: deleted, or the chain was cut)",
                    next,
                ));
            }
            let stream = (row.event.purpose().to_owned(), row.event.subject().clone());
            let stream_prev = streams.get(&stream).copied().unwrap_or(0);
            let mac = row.mac.ok_or(tampered(
                "consent event (no link: written before schema 8 or without the key)",
                next,
            ))?;
            if !key.event_authentic(&prev, row.seq, stream_prev, &row.event, &mac) {
                return Err(tampered("consent event (forged, edited or moved)", next));
            }
            if let Some(e) = expected
                && e.events == next
                && mac != e.head
            {
                return Err(tampered(
                    "consent event (differs from the recorded head: history rewritten)",
                    next,
                ));
            }
            streams.insert(stream, row.seq);
            prev = mac;
            next += 1;
        }
    }
    let events = next - 1;
    let mut fprev = [0u8; 32];
    let mut fnext = 1u64;
    loop {
        let batch = read_floors(fnext)?;
        if batch.is_empty() {
            break;
        }
        for row in batch {
            if row.seq != fnext {
                return Err(tampered("notice floor raise (missing: deleted)", fnext));
            }
            if !key.floor_authentic(&fprev, row.seq, &row.purpose, row.version, &row.mac) {
                return Err(tampered(
                    "notice floor raise (forged, edited or moved)",
                    fnext,
                ));
            }
            fprev = row.mac;
            fnext += 1;
        }
    }
    let floors = fnext - 1;
    if let Some(e) = expected {
        if events < e.events {
            return Err(tampered(
                "consent event (missing: the chain is shorter than the recorded head)",
                events + 1,
            ));
        }
        if floors < e.floors {
            return Err(tampered(
                "notice floor raise (missing: fewer than recorded)",
                floors + 1,
            ));
        }
    }
    Ok(ChainReport {
        events,
        floors,
        head: prev,
    })
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone, Utc};

    use super::*;
    use crate::access::Actor;
    use crate::consent::{Channel, ConsentGiven, ConsentMethod, ConsentWithdrawn, Notice};

    fn hex(b: &[u8]) -> String {
        crate::hex::encode(b)
    }

    /// Known answers computed independently (Python's `hmac`) from the format written
    /// in `docs/consent.md`, so the code, the docs and other implementations agree.
    #[test]
    fn links_match_the_documented_format() {
        let key = EvidenceKey::from_slice(&[7u8; 32]).unwrap();
        let at = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let subject = SubjectId::new("cus_1").unwrap();
        let given = ConsentEvent::Given(ConsentGiven {
            subject: subject.clone(),
            purpose: "Promo".into(),
            notice: Notice::new("promo", 1, "Email me offers."),
            method: ConsentMethod::TickedCheckbox,
            channel: Channel::Web,
            at,
            expires_at: None,
        });
        let m1 = key.event_mac(&[0u8; 32], 1, 0, &given);
        assert_eq!(
            hex(&m1),
            "d1d49ad1eb83326d4b6bf88bd26c8b38c57a5c9ad5d8495eb64575a76d9c8d92"
        );
        let withdrawn = ConsentEvent::Withdrawn(ConsentWithdrawn {
            subject,
            purpose: "Promo".into(),
            by: Actor::staff("emp-7", "support"),
            channel: Channel::Email,
            at: at + Duration::hours(1),
        });
        assert_eq!(
            hex(&key.event_mac(&m1, 2, 1, &withdrawn)),
            "6979c32dfbe0368d303d6a481860b8cf9d885468a5370d4f995a1d7da0b4264e"
        );
        assert_eq!(
            hex(&key.floor_mac(&[0u8; 32], 1, "Promo", 3)),
            "c661bf4efc8515c1992503facec824fad126124b278d173f0df075773dd7afc4"
        );
        assert!(key.event_authentic(&[0u8; 32], 1, 0, &given, &m1));
        assert!(!key.event_authentic(&[0u8; 32], 1, 1, &given, &m1));
        assert!(!key.event_authentic(&[0u8; 32], 2, 0, &given, &m1));
    }

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
