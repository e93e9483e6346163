//! [`ConsentStore`] on SQLite: append-only event and notice-floor tables (enforced by
//! triggers), each row a link of the keyed chain (`consent/chain.rs`).

use std::collections::HashMap;

use rusqlite::{OptionalExtension, Row, Transaction, TransactionBehavior, params};

use super::{SqliteStore, from_micros, to_micros};
use crate::access::{Actor, ActorKind};
use crate::consent::{
    ChainedEvent, ChainedFloor, Channel, ConsentEvent, ConsentGiven, ConsentMethod, ConsentStatus,
    ConsentStore, ConsentWithdrawn, EvidenceKey, Notice,
};
use crate::store::StoreError;
use crate::subject::SubjectId;

impl ConsentStore for SqliteStore {
    fn append(&self, event: &ConsentEvent, key: &EvidenceKey) -> Result<u64, StoreError> {
        let mut conn = self.conn()?;
        // The chain's end is read and extended in one write transaction, so writers in
        // other connections and processes extend one chain.
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let head: Option<(i64, Option<Vec<u8>>)> = tx
            .query_row(
                "SELECT seq, mac FROM consent_events ORDER BY seq DESC LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let (last, prev) = match head {
            Some((seq, mac)) => {
                let seq = position(seq)?;
                // A row from before schema 8 must be adopted first, or the chain would
                // start from a link nobody computed.
                let prev = link(mac).ok_or(StoreError::Tampered {
                    what: "consent event (no link: written before schema 8; adopt it with ConsentLedger::link_unlinked_evidence)",
                    position: seq,
                })?;
                (seq, prev)
            }
            None => (0, [0u8; 32]),
        };
        let seq = last
            .checked_add(1)
            .ok_or(corrupt("consent event position"))?;
        let stream_prev: Option<i64> = tx.query_row(
            "SELECT max(seq) FROM consent_events WHERE subject = ?1 AND purpose = ?2",
            params![event.subject().as_str(), event.purpose()],
            |r| r.get(0),
        )?;
        let stream_prev = stream_prev.map(position).transpose()?.unwrap_or(0);
        let mac = key.event_mac(&prev, seq, stream_prev, event);
        let seq_sql = i64::try_from(seq).map_err(|_| corrupt("consent event position"))?;
        match event {
            ConsentEvent::Given(g) => tx.execute(
                "INSERT INTO consent_events (seq, subject, purpose, kind, at_us, channel,
                     notice_id, notice_version, notice_sha256, method, expires_us, mac)
                 VALUES (?1, ?2, ?3, 'given', ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                params![
                    seq_sql,
                    g.subject.as_str(),
                    g.purpose,
                    to_micros(g.at),
                    g.channel.as_str(),
                    g.notice.id,
                    g.notice.version,
                    &g.notice.text_sha256[..],
                    g.method.as_str(),
                    g.expires_at.map(to_micros),
                    &mac[..],
                ],
            )?,
            ConsentEvent::Withdrawn(w) => tx.execute(
                "INSERT INTO consent_events (seq, subject, purpose, kind, at_us, channel,
                     actor_kind, actor_id, actor_role, mac)
                 VALUES (?1, ?2, ?3, 'withdrawn', ?4, ?5, ?6, ?7, ?8, ?9)",
                params![
                    seq_sql,
                    w.subject.as_str(),
                    w.purpose,
                    to_micros(w.at),
                    w.channel.as_str(),
                    w.by.kind().as_str(),
                    w.by.id(),
                    w.by.role(),
                    &mac[..],
                ],
            )?,
        };
        tx.commit()?;
        Ok(seq)
    }

    fn status(
        &self,
        subject: &SubjectId,
        purpose: &str,
        key: &EvidenceKey,
    ) -> Result<Option<ConsentStatus>, StoreError> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {COLUMNS}, e.seq, e.mac, p.mac FROM consent_events e
             LEFT JOIN consent_events p ON p.seq = e.seq - 1
             WHERE e.subject = ?1 AND e.purpose = ?2 ORDER BY e.seq"
        ))?;
        let mut rows = stmt.query(params![subject.as_str(), purpose])?;
        let mut events = Vec::new();
        let mut stream_prev = 0u64;
        while let Some(row) = rows.next()? {
            // Every event the decision rests on must authenticate, in its place and
            // after the stream's previous event: a forged, edited or moved row, or a
            // deleted one among them, refuses the decision.
            let event = event_from_row(row)?;
            let seq = position(row.get(13)?)?;
            let prev = match seq {
                1 => Some([0u8; 32]),
                _ => link(row.get(15)?),
            };
            let genuine = match (prev, link(row.get(14)?)) {
                (Some(prev), Some(mac)) => {
                    key.event_authentic(&prev, seq, stream_prev, &event, &mac)
                }
                _ => false,
            };
            if !genuine {
                return Err(StoreError::Tampered {
                    what: "consent event (forged, edited, moved, or one before it deleted)",
                    position: seq,
                });
            }
            stream_prev = seq;
            events.push(event);
        }
        Ok(ConsentStatus::fold(purpose, &events))
    }

    fn history(&self, subject: &SubjectId) -> Result<Vec<ConsentEvent>, StoreError> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM consent_events e WHERE e.subject = ?1 ORDER BY e.seq"
        ))?;
        let mut rows = stmt.query(params![subject.as_str()])?;
        let mut events = Vec::new();
        while let Some(row) = rows.next()? {
            events.push(event_from_row(row)?);
        }
        Ok(events)
    }

    fn notice_floor(&self, purpose: &str, key: &EvidenceKey) -> Result<u32, StoreError> {
        let conn = self.conn()?;
        // Floors from before schema 8, frozen by triggers since.
        let legacy: Option<u32> = conn
            .query_row(
                "SELECT version FROM notice_floors WHERE purpose = ?1",
                params![purpose],
                |r| r.get(0),
            )
            .optional()?;
        // Every raise for the purpose is checked, not only the highest: a raise edited
        // downwards must not let a lower genuine one stand in for it.
        let mut stmt = conn.prepare_cached(
            "SELECT f.seq, f.version, f.mac, p.mac FROM notice_floor_log f
             LEFT JOIN notice_floor_log p ON p.seq = f.seq - 1
             WHERE f.purpose = ?1",
        )?;
        let mut rows = stmt.query(params![purpose])?;
        let mut floor = legacy.unwrap_or(0);
        while let Some(row) = rows.next()? {
            let seq = position(row.get(0)?)?;
            let version: u32 = row.get(1)?;
            let prev = match seq {
                1 => Some([0u8; 32]),
                _ => link(row.get(3)?),
            };
            let genuine = match (prev, link(row.get(2)?)) {
                (Some(prev), Some(mac)) => key.floor_authentic(&prev, seq, purpose, version, &mac),
                _ => false,
            };
            if !genuine {
                return Err(StoreError::Tampered {
                    what: "notice floor raise (forged, edited, moved, or the one before it deleted)",
                    position: seq,
                });
            }
            floor = floor.max(version);
        }
        Ok(floor)
    }

    fn raise_notice_floor(
        &self,
        purpose: &str,
        version: u32,
        key: &EvidenceKey,
    ) -> Result<(), StoreError> {
        let mut conn = self.conn()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        raise_floor(&tx, purpose, version, key)?;
        tx.commit()?;
        Ok(())
    }

    fn link_unlinked(&self, key: &EvidenceKey) -> Result<u64, StoreError> {
        let mut conn = self.conn()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let (first_linked, first_unlinked): (Option<i64>, Option<i64>) = tx.query_row(
            "SELECT min(CASE WHEN mac IS NOT NULL THEN seq END),
                    min(CASE WHEN mac IS NULL THEN seq END) FROM consent_events",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let mut linked = 0u64;
        if let Some(unlinked) = first_unlinked {
            if first_linked.is_some() {
                return Err(StoreError::Tampered {
                    what: "consent event (no link, in a store that already has linked evidence: it cannot be adopted)",
                    position: position(unlinked)?,
                });
            }
            let rows: Vec<(u64, ConsentEvent)> = {
                let mut stmt = tx.prepare(&format!(
                    "SELECT {COLUMNS}, e.seq FROM consent_events e ORDER BY e.seq"
                ))?;
                let mut rows = stmt.query([])?;
                let mut out = Vec::new();
                while let Some(row) = rows.next()? {
                    out.push((position(row.get(13)?)?, event_from_row(row)?));
                }
                out
            };
            let mut prev = [0u8; 32];
            let mut streams: HashMap<(String, SubjectId), u64> = HashMap::new();
            for (seq, event) in rows {
                if seq != linked + 1 {
                    return Err(StoreError::Tampered {
                        what: "consent event (missing: deleted before it could be adopted)",
                        position: linked + 1,
                    });
                }
                let stream = (event.purpose().to_owned(), event.subject().clone());
                let stream_prev = streams.get(&stream).copied().unwrap_or(0);
                let mac = key.event_mac(&prev, seq, stream_prev, &event);
                tx.execute(
                    "UPDATE consent_events SET mac = ?1 WHERE seq = ?2",
                    params![
                        &mac[..],
                        i64::try_from(seq).map_err(|_| corrupt("consent event position"))?
                    ],
                )?;
                streams.insert(stream, seq);
                prev = mac;
                linked += 1;
            }
        }
        let legacy: Vec<(String, u32)> = {
            let mut stmt =
                tx.prepare("SELECT purpose, version FROM notice_floors ORDER BY purpose")?;
            stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<_, _>>()?
        };
        for (purpose, version) in legacy {
            raise_floor(&tx, &purpose, version, key)?;
        }
        tx.commit()?;
        Ok(linked)
    }

    fn read_events(&self, from: u64, limit: usize) -> Result<Vec<ChainedEvent>, StoreError> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {COLUMNS}, e.seq, e.mac FROM consent_events e
             WHERE e.seq >= ?1 ORDER BY e.seq LIMIT ?2"
        ))?;
        let from = i64::try_from(from).unwrap_or(i64::MAX);
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut rows = stmt.query(params![from, limit])?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            out.push(ChainedEvent {
                event: event_from_row(row)?,
                seq: position(row.get(13)?)?,
                mac: link(row.get(14)?),
            });
        }
        Ok(out)
    }

    fn read_floors(&self, from: u64, limit: usize) -> Result<Vec<ChainedFloor>, StoreError> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare_cached(
            "SELECT seq, purpose, version, mac FROM notice_floor_log
             WHERE seq >= ?1 ORDER BY seq LIMIT ?2",
        )?;
        let from = i64::try_from(from).unwrap_or(i64::MAX);
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut rows = stmt.query(params![from, limit])?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            let seq = position(row.get(0)?)?;
            out.push(ChainedFloor {
                seq,
                purpose: row.get(1)?,
                version: row.get(2)?,
                // A link of the wrong length cannot authenticate: all zeros fails.
                mac: link(row.get(3)?).unwrap_or([0u8; 32]),
            });
        }
        Ok(out)
    }
}

/// Appends a raise of `purpose`'s floor to `version` at the end of the floor chain,
/// unless the floor is already that high; in the caller's write transaction.
fn raise_floor(
    tx: &Transaction<'_>,
    purpose: &str,
    version: u32,
    key: &EvidenceKey,
) -> Result<(), StoreError> {
    let current: Option<u32> = tx.query_row(
        "SELECT max(version) FROM (
             SELECT version FROM notice_floor_log WHERE purpose = ?1
             UNION ALL SELECT version FROM notice_floors WHERE purpose = ?1)",
        params![purpose],
        |r| r.get(0),
    )?;
    let chained: Option<u32> = tx.query_row(
        "SELECT max(version) FROM notice_floor_log WHERE purpose = ?1",
        params![purpose],
        |r| r.get(0),
    )?;
    // A raise is chained when it lifts the floor, or when it carries a floor from
    // before schema 8 into the chain.
    if chained.is_some_and(|c| c >= version) || current.is_some_and(|c| c > version) {
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
    let mac = key.floor_mac(&prev, seq, purpose, version);
    tx.execute(
        "INSERT INTO notice_floor_log (seq, purpose, version, mac) VALUES (?1, ?2, ?3, ?4)",
        params![
            i64::try_from(seq).map_err(|_| corrupt("notice floor position"))?,
            purpose,
            version,
            &mac[..]
        ],
    )?;
    Ok(())
}

const COLUMNS: &str = "e.subject, e.purpose, e.kind, e.at_us, e.channel, e.notice_id, \
                       e.notice_version, e.notice_sha256, e.method, e.expires_us, \
                       e.actor_kind, e.actor_id, e.actor_role";

/// A stored position (from 1).
fn position(seq: i64) -> Result<u64, StoreError> {
    u64::try_from(seq).map_err(|_| corrupt("consent chain position"))
}

/// A stored link, if it is one (32 bytes).
fn link(mac: Option<Vec<u8>>) -> Option<[u8; 32]> {
    mac.and_then(|m| <[u8; 32]>::try_from(m.as_slice()).ok())
}

fn corrupt(what: &'static str) -> StoreError {
    StoreError::Corrupt { what }
}

fn event_from_row(row: &Row<'_>) -> Result<ConsentEvent, StoreError> {
    let subject = SubjectId::new(row.get::<_, String>(0)?).map_err(|_| corrupt("subject id"))?;
    let purpose: String = row.get(1)?;
    let kind: String = row.get(2)?;
    let at = from_micros(row.get(3)?)?;
    let channel = Channel::parse(&row.get::<_, String>(4)?).ok_or(corrupt("consent channel"))?;
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
                channel,
                at,
                expires_at: row.get::<_, Option<i64>>(9)?.map(from_micros).transpose()?,
            }))
        }
        "withdrawn" => {
            let kind = ActorKind::parse(
                &row.get::<_, Option<String>>(10)?
                    .ok_or(corrupt("actor kind"))?,
            )
            .ok_or(corrupt("actor kind"))?;
            let id: String = row
                .get::<_, Option<String>>(11)?
                .ok_or(corrupt("actor id"))?;
            let role: Option<String> = row.get(12)?;
            Ok(ConsentEvent::Withdrawn(ConsentWithdrawn {
                subject,
                purpose,
                by: Actor::from_parts(kind, id, role),
                channel,
                at,
            }))
        }
        _ => Err(corrupt("consent event kind")),
    }
}
