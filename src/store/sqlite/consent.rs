//! [`ConsentStore`] on SQLite: an append-only event table (enforced by triggers).

use rusqlite::{OptionalExtension, Row, params};

use super::{SqliteStore, from_micros, to_micros};
use crate::access::{Actor, ActorKind};
use crate::consent::{
    Channel, ConsentEvent, ConsentGiven, ConsentMethod, ConsentStatus, ConsentStore,
    ConsentWithdrawn, Notice,
};
use crate::store::StoreError;
use crate::subject::SubjectId;

impl ConsentStore for SqliteStore {
    fn append(&self, event: &ConsentEvent) -> Result<(), StoreError> {
        let conn = self.conn()?;
        match event {
            ConsentEvent::Given(g) => conn.execute(
                "INSERT INTO consent_events (subject, purpose, kind, at_us, channel, notice_id,
                     notice_version, notice_sha256, method, expires_us)
                 VALUES (?1, ?2, 'given', ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![
                    g.subject.as_str(),
                    g.purpose,
                    to_micros(g.at),
                    g.channel.as_str(),
                    g.notice.id,
                    g.notice.version,
                    &g.notice.text_sha256[..],
                    g.method.as_str(),
                    g.expires_at.map(to_micros),
                ],
            )?,
            ConsentEvent::Withdrawn(w) => conn.execute(
                "INSERT INTO consent_events (subject, purpose, kind, at_us, channel,
                     actor_kind, actor_id, actor_role)
                 VALUES (?1, ?2, 'withdrawn', ?3, ?4, ?5, ?6, ?7)",
                params![
                    w.subject.as_str(),
                    w.purpose,
                    to_micros(w.at),
                    w.channel.as_str(),
                    w.by.kind().as_str(),
                    w.by.id(),
                    w.by.role(),
                ],
            )?,
        };
        Ok(())
    }

    fn status(
        &self,
        subject: &SubjectId,
        purpose: &str,
    ) -> Result<Option<ConsentStatus>, StoreError> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM consent_events WHERE subject = ?1 AND purpose = ?2 ORDER BY seq"
        ))?;
        let mut rows = stmt.query(params![subject.as_str(), purpose])?;
        let mut status = None;
        while let Some(row) = rows.next()? {
            ConsentStatus::apply(&mut status, &event_from_row(row)?);
        }
        Ok(status)
    }

    fn history(&self, subject: &SubjectId) -> Result<Vec<ConsentEvent>, StoreError> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM consent_events WHERE subject = ?1 ORDER BY seq"
        ))?;
        let mut rows = stmt.query(params![subject.as_str()])?;
        let mut events = Vec::new();
        while let Some(row) = rows.next()? {
            events.push(event_from_row(row)?);
        }
        Ok(events)
    }

    fn notice_floor(&self, purpose: &str) -> Result<u32, StoreError> {
        let conn = self.conn()?;
        let v: Option<u32> = conn
            .query_row(
                "SELECT version FROM notice_floors WHERE purpose = ?1",
                params![purpose],
                |r| r.get(0),
            )
            .optional()?;
        Ok(v.unwrap_or(0))
    }

    fn raise_notice_floor(&self, purpose: &str, version: u32) -> Result<(), StoreError> {
        self.conn()?.execute(
            "INSERT INTO notice_floors (purpose, version) VALUES (?1, ?2)
             ON CONFLICT (purpose) DO UPDATE SET version = max(version, excluded.version)",
            params![purpose, version],
        )?;
        Ok(())
    }
}

const COLUMNS: &str = "subject, purpose, kind, at_us, channel, notice_id, notice_version, \
                       notice_sha256, method, expires_us, actor_kind, actor_id, actor_role";

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
