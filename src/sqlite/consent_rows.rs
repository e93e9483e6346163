//! Reading and checking consent rows on SQLite: columns, links, erasures, notice
//! registrations and floor raises (used by `consent.rs`).

use rusqlite::{Connection, OptionalExtension, Row, Transaction, params};

use super::from_micros;
use crate::access::{Actor, ActorKind};
use crate::consent::{
    Channel, ConsentConfirmed, ConsentErased, ConsentEvent, ConsentGiven, ConsentMethod,
    ConsentWithdrawn, EvidenceKey, EvidenceRef, Notice, RegisteredNotice, RemovedLink,
};
use crate::store::StoreError;
use crate::subject::SubjectId;

/// An erasure's position, time, retention, kept digest, kept evidence, link and prior
/// link.
pub(super) type ErasureRow = (
    i64,
    i64,
    i64,
    Vec<u8>,
    Option<Vec<u8>>,
    Option<Vec<u8>>,
    Option<Vec<u8>>,
);

/// The prior link of row `e`: the previous row's, or its link kept at erasure.
pub(super) const PREV_LINK: &str =
    "coalesce((SELECT p.mac FROM consent_events p WHERE p.seq = e.seq - 1),
                                  (SELECT r.mac FROM consent_removed r WHERE r.seq = e.seq - 1))";

/// Reads `COLUMNS, seq, mac, prev link` and checks the link, `stream_prev` being the
/// position of the stream's previous event; returns the position and the event.
pub(super) fn authentic_row(
    row: &Row<'_>,
    stream_prev: u64,
    key: &EvidenceKey,
) -> Result<(u64, ConsentEvent), StoreError> {
    let event = event_from_row(row)?;
    let seq = position(row.get(NCOL)?)?;
    let prev = match seq {
        1 => Some([0u8; 32]),
        _ => link(row.get(NCOL + 2)?),
    };
    let genuine = match (prev, link(row.get(NCOL + 1)?)) {
        (Some(prev), Some(mac)) => key.event_authentic(&prev, seq, stream_prev, &event, &mac),
        _ => false,
    };
    if !genuine {
        return Err(StoreError::Tampered {
            what: "consent event (forged, edited, moved, or one before it deleted)",
            position: seq,
        });
    }
    Ok((seq, event))
}

/// Checks that the event after position `last` (the last event of a subject and
/// purpose, whose link is `mac`) is where it should be: at the next position, linking
/// over `last`, or removed by an erasure, or `last` is the chain's end. So a deleted
/// event right after the pair's last one (its newest withdrawal, say) shows at the
/// pair's next check, though the pair's own rows still authenticate. One HMAC.
pub(super) fn next_links_over(
    conn: &Connection,
    last: u64,
    mac: &[u8; 32],
    key: &EvidenceKey,
) -> Result<(), StoreError> {
    let next = last
        .checked_add(1)
        .ok_or(corrupt("consent event position"))?;
    let next_sql = i64::try_from(next).map_err(|_| corrupt("consent event position"))?;
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS}, e.seq, e.mac FROM consent_events e WHERE e.seq = ?1"
    ))?;
    let mut rows = stmt.query(params![next_sql])?;
    let Some(row) = rows.next()? else {
        let removed = conn
            .prepare_cached("SELECT 1 FROM consent_removed WHERE seq = ?1")?
            .exists(params![next_sql])?;
        let later = conn
            .prepare_cached("SELECT 1 FROM consent_events WHERE seq > ?1 LIMIT 1")?
            .exists(params![next_sql])?;
        if removed || !later {
            return Ok(());
        }
        return Err(StoreError::Tampered {
            what: "consent event (missing after the last event of this subject and purpose: deleted)",
            position: next,
        });
    };
    let mut event = event_from_row(row)?;
    let their_mac = link(row.get(NCOL + 1)?);
    let stream_prev = match &mut event {
        ConsentEvent::Erased(e) => {
            e.removed = removed_of(conn, next)?;
            0
        }
        other => {
            let Some(subject) = other.subject() else {
                return Err(corrupt("subject id"));
            };
            let prev: Option<i64> = conn
                .prepare_cached(
                    "SELECT max(seq) FROM consent_events
                     WHERE subject = ?1 AND purpose = ?2 AND seq < ?3",
                )?
                .query_row(params![subject.as_str(), other.purpose(), next_sql], |r| {
                    r.get(0)
                })?;
            prev.map(position).transpose()?.unwrap_or(0)
        }
    };
    match their_mac {
        Some(m) if key.event_authentic(mac, next, stream_prev, &event, &m) => Ok(()),
        _ => Err(StoreError::Tampered {
            what: "consent event (the one after this subject's last event does not link over it)",
            position: next,
        }),
    }
}

/// The chain's last position and link (0 and zeros when empty).
pub(super) fn head(tx: &Transaction<'_>) -> Result<(u64, [u8; 32]), StoreError> {
    let head: Option<(i64, Option<Vec<u8>>)> = tx
        .query_row(
            "SELECT seq, mac FROM consent_events ORDER BY seq DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    match head {
        Some((seq, mac)) => {
            let seq = position(seq)?;
            let prev = link(mac).ok_or(StoreError::Tampered {
                what: "consent event (no link: written before schema 8; adopt it with ConsentLedger::link_unlinked_evidence)",
                position: seq,
            })?;
            Ok((seq, prev))
        }
        None => Ok((0, [0u8; 32])),
    }
}

/// Whether the store holds an erasure of the subject with this reference.
pub(super) fn erased_in(conn: &Connection, reference: &EvidenceRef) -> Result<bool, StoreError> {
    Ok(conn
        .query_row(
            "SELECT 1 FROM consent_events WHERE kind = 'erased' AND subject_ref = ?1",
            params![&reference.0[..]],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}

/// The links an erasure at `erased_seq` kept, in position order.
pub(super) fn removed_of(
    conn: &Connection,
    erased_seq: u64,
) -> Result<Vec<RemovedLink>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT seq, mac FROM consent_removed WHERE erased_seq = ?1 ORDER BY seq",
    )?;
    let erased_seq = i64::try_from(erased_seq).map_err(|_| corrupt("consent event position"))?;
    let mut rows = stmt.query(params![erased_seq])?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        out.push(RemovedLink {
            position: position(row.get(0)?)?,
            link: link(row.get(1)?).ok_or(corrupt("removed consent link"))?,
        });
    }
    Ok(out)
}

/// The registration of `id` version `version` for `purpose`, authenticated.
pub(super) fn notice_in(
    conn: &Connection,
    purpose: &str,
    id: &str,
    version: u32,
    key: &EvidenceKey,
) -> Result<Option<RegisteredNotice>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT n.seq, n.purpose, n.notice_id, n.version, n.sha256, n.text, n.registered_us,
             n.mac, p.mac
         FROM consent_notices n LEFT JOIN consent_notices p ON p.seq = n.seq - 1
         WHERE n.purpose = ?1 AND n.notice_id = ?2 AND n.version = ?3",
    )?;
    let mut rows = stmt.query(params![purpose, id, version])?;
    let Some(row) = rows.next()? else {
        return Ok(None);
    };
    let seq = position(row.get(0)?)?;
    let notice = notice_from_row(row, 1)?;
    let prev = match seq {
        1 => Some([0u8; 32]),
        _ => link(row.get(8)?),
    };
    let genuine = match (prev, link(row.get(7)?)) {
        (Some(prev), Some(mac)) => key.notice_authentic(&prev, seq, &notice, &mac),
        _ => false,
    };
    if !genuine {
        return Err(StoreError::Tampered {
            what: "registered notice (forged, edited, moved, or the one before it deleted)",
            position: seq,
        });
    }
    Ok(Some(notice))
}

/// A registration from `purpose, notice_id, version, sha256, text, registered_us`
/// starting at column `at`.
pub(super) fn notice_from_row(row: &Row<'_>, at: usize) -> Result<RegisteredNotice, StoreError> {
    let sha: Vec<u8> = row.get(at + 3)?;
    Ok(RegisteredNotice {
        purpose: row.get(at)?,
        notice: Notice {
            id: row.get(at + 1)?,
            version: row.get(at + 2)?,
            text_sha256: <[u8; 32]>::try_from(sha.as_slice())
                .map_err(|_| corrupt("notice hash"))?,
        },
        text: row.get(at + 4)?,
        registered_at: from_micros(row.get(at + 5)?)?,
    })
}

/// Appends a raise of the floor of `notice` of `purpose` (`None`: of all its notices)
/// to `version` at the end of the floor chain, unless the floor is already that high;
/// in the caller's write transaction.
pub(super) fn raise_floor(
    tx: &Transaction<'_>,
    purpose: &str,
    notice: Option<&str>,
    version: u32,
    key: &EvidenceKey,
) -> Result<(), StoreError> {
    let legacy: Option<u32> = match notice {
        None => tx.query_row(
            "SELECT max(version) FROM notice_floors WHERE purpose = ?1",
            params![purpose],
            |r| r.get(0),
        )?,
        Some(_) => None,
    };
    let chained: Option<u32> = tx.query_row(
        "SELECT max(version) FROM notice_floor_log WHERE purpose = ?1 AND notice_id IS ?2",
        params![purpose, notice],
        |r| r.get(0),
    )?;
    // A raise is chained when it lifts the floor, or when it carries a floor from
    // before schema 8 into the chain.
    if chained.is_some_and(|c| c >= version) || legacy.is_some_and(|c| c > version) {
        return Ok(());
    }
    let head: Option<(i64, Vec<u8>)> = tx
        .query_row(
            "SELECT seq, mac FROM notice_floor_log ORDER BY seq DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let (last, prev) = match head {
        Some((seq, mac)) => (position(seq)?, link(Some(mac)).unwrap_or([0u8; 32])),
        None => (0, [0u8; 32]),
    };
    let seq = last
        .checked_add(1)
        .ok_or(corrupt("notice floor position"))?;
    let mac = key.notice_floor_mac(&prev, seq, purpose, notice, version);
    tx.execute(
        "INSERT INTO notice_floor_log (seq, purpose, notice_id, version, mac)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            i64::try_from(seq).map_err(|_| corrupt("notice floor position"))?,
            purpose,
            notice,
            version,
            &mac[..]
        ],
    )?;
    Ok(())
}

pub(super) const COLUMNS: &str = "e.subject, e.purpose, e.kind, e.at_us, e.channel, e.notice_id, \
                       e.notice_version, e.notice_sha256, e.method, e.expires_us, \
                       e.actor_kind, e.actor_id, e.actor_role, e.recorded_us, e.explicit, \
                       e.parental_ref, e.contact_ref, e.form_ref, e.subject_ref, \
                       e.keep_until_us, e.kept_sha256, e.scope";
/// How many columns `COLUMNS` names.
pub(super) const NCOL: usize = 22;

/// A stored position (from 1).
pub(super) fn position(seq: i64) -> Result<u64, StoreError> {
    u64::try_from(seq).map_err(|_| corrupt("consent chain position"))
}

/// A stored link, if it is one (32 bytes).
pub(super) fn link(mac: Option<Vec<u8>>) -> Option<[u8; 32]> {
    mac.and_then(|m| <[u8; 32]>::try_from(m.as_slice()).ok())
}

pub(super) fn reference(
    r: Option<Vec<u8>>,
    what: &'static str,
) -> Result<Option<EvidenceRef>, StoreError> {
    r.map(|r| {
        <[u8; 32]>::try_from(r.as_slice())
            .map(EvidenceRef)
            .map_err(|_| corrupt(what))
    })
    .transpose()
}

pub(super) fn corrupt(what: &'static str) -> StoreError {
    StoreError::Corrupt { what }
}

pub(super) fn actor_from_row(row: &Row<'_>) -> Result<Option<Actor>, StoreError> {
    let Some(kind) = row.get::<_, Option<String>>(10)? else {
        return Ok(None);
    };
    let kind = ActorKind::parse(&kind).ok_or(corrupt("actor kind"))?;
    let id: String = row
        .get::<_, Option<String>>(11)?
        .ok_or(corrupt("actor id"))?;
    let role: Option<String> = row.get(12)?;
    Ok(Some(Actor::from_parts(kind, id, role)))
}

/// The event in `COLUMNS` (an erasure without its removed links: `removed_of`).
pub(super) fn event_from_row(row: &Row<'_>) -> Result<ConsentEvent, StoreError> {
    let kind: String = row.get(2)?;
    let at = from_micros(row.get(3)?)?;
    if kind == "erased" {
        let sha: Vec<u8> = row
            .get::<_, Option<Vec<u8>>>(20)?
            .ok_or(corrupt("kept evidence digest"))?;
        return Ok(ConsentEvent::Erased(ConsentErased {
            subject: reference(row.get(18)?, "erased subject reference")?
                .ok_or(corrupt("erased subject reference"))?,
            at,
            keep_until: from_micros(
                row.get::<_, Option<i64>>(19)?
                    .ok_or(corrupt("kept evidence retention"))?,
            )?,
            kept_sha256: <[u8; 32]>::try_from(sha.as_slice())
                .map_err(|_| corrupt("kept evidence digest"))?,
            removed: Vec::new(),
        }));
    }
    let subject = SubjectId::new(
        row.get::<_, Option<String>>(0)?
            .ok_or(corrupt("subject id"))?,
    )
    .map_err(|_| corrupt("subject id"))?;
    let purpose: String = row.get(1)?;
    let channel = || -> Result<Channel, StoreError> {
        Channel::parse(
            &row.get::<_, Option<String>>(4)?
                .ok_or(corrupt("consent channel"))?,
        )
        .ok_or(corrupt("consent channel"))
    };
    match kind.as_str() {
        "given" => {
            let sha: Vec<u8> = row
                .get::<_, Option<Vec<u8>>>(7)?
                .ok_or(corrupt("notice hash"))?;
            let text_sha256 =
                <[u8; 32]>::try_from(sha.as_slice()).map_err(|_| corrupt("notice hash"))?;
            Ok(ConsentEvent::Given(ConsentGiven {
                subject,
                purpose,
                notice: Notice {
                    id: row
                        .get::<_, Option<String>>(5)?
                        .ok_or(corrupt("notice id"))?,
                    version: row
                        .get::<_, Option<u32>>(6)?
                        .ok_or(corrupt("notice version"))?,
                    text_sha256,
                },
                method: ConsentMethod::parse(
                    &row.get::<_, Option<String>>(8)?
                        .ok_or(corrupt("consent method"))?,
                )
                .ok_or(corrupt("consent method"))?,
                channel: channel()?,
                at,
                expires_at: row.get::<_, Option<i64>>(9)?.map(from_micros).transpose()?,
                recorded_at: row
                    .get::<_, Option<i64>>(13)?
                    .map(from_micros)
                    .transpose()?
                    .unwrap_or(at),
                recorded_by: actor_from_row(row)?.unwrap_or_else(Actor::data_subject),
                explicit: row.get::<_, Option<bool>>(14)?.unwrap_or(false),
                parental: reference(row.get(15)?, "parental reference")?,
                contact: reference(row.get(16)?, "contact reference")?,
                form_ref: row.get(17)?,
                scope: row
                    .get::<_, Option<String>>(21)?
                    .map(|j| serde_json::from_str(&j).map_err(|_| corrupt("consent scope")))
                    .transpose()?,
            }))
        }
        "withdrawn" => Ok(ConsentEvent::Withdrawn(ConsentWithdrawn {
            subject,
            purpose,
            by: actor_from_row(row)?.ok_or(corrupt("actor kind"))?,
            channel: channel()?,
            at,
        })),
        "confirmed" => Ok(ConsentEvent::Confirmed(ConsentConfirmed {
            subject,
            purpose,
            at,
        })),
        _ => Err(corrupt("consent event kind")),
    }
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone, Utc};

    use super::super::{APPLICATION_ID, STEPS, SqliteStore};
    use crate::consent::{ConsentError, ConsentLedger, ConsentStore, EvidenceKey};
    use crate::retention::ManualClock;

    crate::purpose! {
        struct Promo { name: "Promo", basis: Consent, description: "Offers.", uses: [crate::categories::Email] }
    }

    /// A file written by a schema-8 build (linked consent and a withdrawal) upgrades to
    /// schema 10 with its links intact: it verifies, decides, and erases.
    #[test]
    fn a_populated_schema_8_file_upgrades_and_still_verifies() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.db");
        let key = EvidenceKey::from_slice(&[7u8; 32]).unwrap();
        let t0 = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let sha = crate::consent::Notice::new("promo", 1, "Offers.").text_sha256;
        {
            let conn = rusqlite::Connection::open(&path).unwrap();
            for &(to, sql) in STEPS.iter().filter(|(to, _)| *to <= 8) {
                conn.execute_batch(sql)
                    .unwrap_or_else(|e| panic!("step {to}: {e}"));
            }
            conn.pragma_update(None, "user_version", 8).unwrap();
            conn.pragma_update(None, "application_id", APPLICATION_ID)
                .unwrap();
            // The rows a schema-8 ledger wrote, with the links it computed.
            let given = crate::consent::ConsentEvent::Given(crate::consent::ConsentGiven {
                subject: crate::SubjectId::new("a").unwrap(),
                purpose: "Promo".into(),
                notice: crate::consent::Notice::new("promo", 1, "Offers."),
                method: crate::consent::ConsentMethod::TickedCheckbox,
                channel: crate::consent::Channel::Web,
                at: t0,
                expires_at: None,
                recorded_at: t0,
                recorded_by: crate::Actor::data_subject(),
                explicit: false,
                parental: None,
                contact: None,
                form_ref: None,
                scope: None,
            });
            let m1 = key.event_mac(&[0u8; 32], 1, 0, &given);
            conn.execute(
                "INSERT INTO consent_events (seq, subject, purpose, kind, at_us, channel,
                     notice_id, notice_version, notice_sha256, method, mac)
                 VALUES (1, 'a', 'Promo', 'given', ?1, 'web', 'promo', 1, ?2, 'ticked_checkbox', ?3)",
                rusqlite::params![t0.timestamp_micros(), &sha[..], &m1[..]],
            )
            .unwrap();
            let floor = key.floor_mac(&[0u8; 32], 1, "Promo", 1);
            conn.execute(
                "INSERT INTO notice_floor_log (seq, purpose, version, mac) VALUES (1, 'Promo', 1, ?1)",
                rusqlite::params![&floor[..]],
            )
            .unwrap();
        }
        let store = SqliteStore::open(&path).unwrap();
        let ledger = ConsentLedger::new(store.clone(), key)
            .unwrap()
            .with_clock(ManualClock::new(t0 + Duration::hours(1)));
        let report = ledger.verify(None).unwrap();
        assert_eq!((report.events, report.floors), (1, 1));
        ledger
            .check::<Promo>(&crate::SubjectId::new("a").unwrap())
            .unwrap();
        ledger.erase(&crate::SubjectId::new("a").unwrap()).unwrap();
        assert!(matches!(
            ledger.check::<Promo>(&crate::SubjectId::new("a").unwrap()),
            Err(ConsentError::Erased { .. })
        ));
        store
            .verify(&EvidenceKey::from_slice(&[7u8; 32]).unwrap(), None)
            .unwrap();
    }
}
