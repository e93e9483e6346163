//! The canonical bytes a consent-chain link covers (see [`chain`](super::chain) for the
//! links): an event in its format (1, 2 or 3), a notice registration, a notice-floor
//! raise. Changing a byte here breaks the verification of stored evidence: the known
//! answers below pin the format written in `docs/consent.md`.

use super::chain::RegisteredNotice;
use super::events::{ConsentEvent, ConsentGiven};
use super::evidence::EvidenceRef;
use crate::access::{Actor, ActorKind};

const EVENT_LABEL: &[u8] = b"custodian.consent.v1.event\0";
const FLOOR_LABEL: &[u8] = b"custodian.consent.v1.floor\0";
const NOTICE_FLOOR_LABEL: &[u8] = b"custodian.consent.v2.floor\0";
const NOTICE_LABEL: &[u8] = b"custodian.consent.v1.notice\0";
const EVENT_FORMAT: u8 = 1;
const EVENT_FORMAT_2: u8 = 2;
const EVENT_FORMAT_3: u8 = 3;

pub(super) fn event_message(
    prev: &[u8; 32],
    seq: u64,
    stream_prev: u64,
    event: &ConsentEvent,
) -> Vec<u8> {
    let mut buf = Vec::with_capacity(256);
    buf.extend_from_slice(EVENT_LABEL);
    buf.extend_from_slice(prev);
    buf.extend_from_slice(&seq.to_be_bytes());
    buf.extend_from_slice(&stream_prev.to_be_bytes());
    encode_event(event, &mut buf);
    buf
}

pub(super) fn floor_message(prev: &[u8; 32], seq: u64, purpose: &str, version: u32) -> Vec<u8> {
    let mut buf = Vec::with_capacity(96 + purpose.len());
    buf.extend_from_slice(FLOOR_LABEL);
    buf.extend_from_slice(prev);
    buf.extend_from_slice(&seq.to_be_bytes());
    put_str(&mut buf, purpose);
    buf.extend_from_slice(&version.to_be_bytes());
    buf
}

pub(super) fn notice_message(prev: &[u8; 32], seq: u64, notice: &RegisteredNotice) -> Vec<u8> {
    let mut buf = Vec::with_capacity(128 + notice.text.len());
    buf.extend_from_slice(NOTICE_LABEL);
    buf.extend_from_slice(prev);
    buf.extend_from_slice(&seq.to_be_bytes());
    put_str(&mut buf, &notice.purpose);
    put_str(&mut buf, &notice.notice.id);
    buf.extend_from_slice(&notice.notice.version.to_be_bytes());
    buf.extend_from_slice(&notice.notice.text_sha256);
    buf.extend_from_slice(&notice.registered_at.timestamp_micros().to_be_bytes());
    put_str(&mut buf, &notice.text);
    buf
}

pub(super) fn notice_floor_message(
    prev: &[u8; 32],
    seq: u64,
    purpose: &str,
    notice: Option<&str>,
    version: u32,
) -> Vec<u8> {
    let Some(id) = notice else {
        return floor_message(prev, seq, purpose, version);
    };
    let mut buf = Vec::with_capacity(96 + purpose.len() + id.len());
    buf.extend_from_slice(NOTICE_FLOOR_LABEL);
    buf.extend_from_slice(prev);
    buf.extend_from_slice(&seq.to_be_bytes());
    put_str(&mut buf, purpose);
    put_str(&mut buf, id);
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

fn put_actor(buf: &mut Vec<u8>, actor: &Actor) {
    put_str(buf, actor.kind().as_str());
    put_str(buf, actor.id());
    match actor.role() {
        Some(r) => {
            buf.push(1);
            put_str(buf, r);
        }
        None => buf.push(0),
    }
}

fn put_opt_ref(buf: &mut Vec<u8>, r: Option<&EvidenceRef>) {
    match r {
        Some(r) => {
            buf.push(1);
            buf.extend_from_slice(&r.0);
        }
        None => buf.push(0),
    }
}

/// Whether a consent carries nothing beyond what format 1 encodes: then it is encoded
/// exactly as before schema 10, so evidence linked then still verifies.
fn is_format_1(g: &ConsentGiven) -> bool {
    g.recorded_at == g.at
        && g.recorded_by.kind() == ActorKind::DataSubject
        && !g.explicit
        && g.parental.is_none()
        && g.contact.is_none()
        && g.form_ref.is_none()
        && g.scope.is_none()
}

/// The canonical bytes of an event: what its link covers. Times are in microseconds,
/// the precision stores keep; strings are length-prefixed, so the encoding is
/// unambiguous. Format 1 (a format byte 1) covers the events of schema 8; format 2 adds
/// the evidence fields of schema 10, confirmations and erasures.
fn encode_event(event: &ConsentEvent, buf: &mut Vec<u8>) {
    match event {
        ConsentEvent::Given(g) => {
            let v1 = is_format_1(g);
            buf.push(match (v1, &g.scope) {
                (true, _) => EVENT_FORMAT,
                (false, None) => EVENT_FORMAT_2,
                (false, Some(_)) => EVENT_FORMAT_3,
            });
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
            if !v1 {
                buf.extend_from_slice(&g.recorded_at.timestamp_micros().to_be_bytes());
                put_actor(buf, &g.recorded_by);
                buf.push(u8::from(g.explicit));
                put_opt_ref(buf, g.parental.as_ref());
                put_opt_ref(buf, g.contact.as_ref());
                match &g.form_ref {
                    Some(f) => {
                        buf.push(1);
                        put_str(buf, f);
                    }
                    None => buf.push(0),
                }
                if let Some(scope) = &g.scope {
                    scope.encode(buf);
                }
            }
        }
        ConsentEvent::Withdrawn(w) => {
            buf.push(EVENT_FORMAT);
            buf.push(2);
            put_str(buf, w.subject.as_str());
            put_str(buf, &w.purpose);
            buf.extend_from_slice(&w.at.timestamp_micros().to_be_bytes());
            put_str(buf, w.channel.as_str());
            put_actor(buf, &w.by);
        }
        ConsentEvent::Confirmed(c) => {
            buf.push(EVENT_FORMAT_2);
            buf.push(3);
            put_str(buf, c.subject.as_str());
            put_str(buf, &c.purpose);
            buf.extend_from_slice(&c.at.timestamp_micros().to_be_bytes());
        }
        ConsentEvent::Erased(e) => {
            buf.push(EVENT_FORMAT_2);
            buf.push(4);
            buf.extend_from_slice(&e.subject.0);
            buf.extend_from_slice(&e.at.timestamp_micros().to_be_bytes());
            buf.extend_from_slice(&e.keep_until.timestamp_micros().to_be_bytes());
            buf.extend_from_slice(&e.kept_sha256);
            buf.extend_from_slice(&(e.removed.len() as u64).to_be_bytes());
            for r in &e.removed {
                buf.extend_from_slice(&r.position.to_be_bytes());
                buf.extend_from_slice(&r.link);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone, Utc};

    use super::*;
    use crate::access::Actor;
    use crate::consent::EvidenceKey;
    use crate::consent::{Channel, ConsentGiven, ConsentMethod, ConsentWithdrawn, Notice};
    use crate::subject::SubjectId;

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
            recorded_at: at,
            recorded_by: Actor::data_subject(),
            explicit: false,
            parental: None,
            contact: None,
            form_ref: None,
            scope: None,
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

    /// Format 2 (schema 10): a consent with the evidence fields, and an erasure that
    /// bridges it; known answers computed with Python's `hmac` from `docs/consent.md`.
    #[test]
    fn format_2_links_match_the_documented_format() {
        use crate::consent::{ConsentErased, RemovedLink};
        let key = EvidenceKey::from_slice(&[7u8; 32]).unwrap();
        let at = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let subject = SubjectId::new("cus_1").unwrap();
        let given = ConsentEvent::Given(ConsentGiven {
            subject: subject.clone(),
            purpose: "Promo".into(),
            notice: Notice::new("promo", 1, "Email me offers."),
            method: ConsentMethod::RecordedVerbal,
            channel: Channel::Phone,
            at,
            expires_at: None,
            recorded_at: at + Duration::hours(1),
            recorded_by: Actor::staff("emp-7", "support"),
            explicit: true,
            parental: None,
            contact: Some(key.contact_ref("+15551230000")),
            form_ref: Some("call:42".into()),
            scope: None,
        });
        let m1 = key.event_mac(&[0u8; 32], 1, 0, &given);
        assert_eq!(
            hex(&m1),
            "3474c79d79369ee0389681efcea43e16016421bbf53330c3dac77a3f6dee0640"
        );
        let reference = key.subject_ref(&subject);
        assert_eq!(
            hex(&reference.0),
            "33dde88f1ec43e85c4f2e81226771c18ee959de658a62ec055f425a022bd8ac7"
        );
        let mut kept_sha256 = [0u8; 32];
        kept_sha256.copy_from_slice(ring::digest::digest(&ring::digest::SHA256, b"[]").as_ref());
        let erased = ConsentEvent::Erased(ConsentErased {
            subject: reference,
            at: at + Duration::days(1),
            keep_until: at + Duration::days(31),
            kept_sha256,
            removed: vec![RemovedLink {
                position: 1,
                link: m1,
            }],
        });
        assert_eq!(
            hex(&key.event_mac(&m1, 2, 0, &erased)),
            "69aa2b699875dc896a136f4726ab63ef4d31ac5634e7844e9bdb950d3df86613"
        );
    }

    /// Format 3 (schema 12): a consent with the declaration it was given to; the known
    /// answer was computed with Python's `hmac` from the format in `docs/consent.md`
    /// (not from this code's output).
    #[test]
    fn format_3_links_match_the_documented_format() {
        use crate::category::{CcpaSensitive, Sensitivity};
        use crate::condition::Condition;
        use crate::consent::{PurposeScope, ScopedCategory};
        let key = EvidenceKey::from_slice(&[7u8; 32]).unwrap();
        let at = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let given = ConsentEvent::Given(ConsentGiven {
            subject: SubjectId::new("cus_1").unwrap(),
            purpose: "news".into(),
            notice: Notice::new("news", 1, "Send me news."),
            method: ConsentMethod::TickedCheckbox,
            channel: Channel::Web,
            at,
            expires_at: None,
            recorded_at: at,
            recorded_by: Actor::data_subject(),
            explicit: true,
            parental: None,
            contact: None,
            form_ref: None,
            scope: Some(Box::new(PurposeScope {
                categories: vec![
                    ScopedCategory {
                        name: "user.contact.email".into(),
                        sensitivity: Sensitivity::Ordinary,
                        ccpa_sensitive: None,
                    },
                    ScopedCategory {
                        name: "user.health_and_medical".into(),
                        sensitivity: Sensitivity::Special,
                        ccpa_sensitive: Some(CcpaSensitive::HealthData),
                    },
                ],
                condition: Some(Condition::ExplicitConsent),
                art10: None,
                children: false,
            })),
        });
        assert_eq!(
            hex(&key.event_mac(&[0u8; 32], 1, 0, &given)),
            "7fd1161b124cd098398ab616297a93df77e4504c022c6e126833136c8ceee46d"
        );
    }
}
