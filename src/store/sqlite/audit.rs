//! [`AuditSink`] on SQLite: the `audit_log` table, with triggers that refuse updates
//! and deletes through SQL (an insider who edits the file directly is caught by
//! [`AuditTrail::verify`](crate::audit::AuditTrail::verify), not by the triggers).

use rusqlite::{OptionalExtension, Row, params};

use super::SqliteStore;
use crate::audit::{AuditEntry, AuditError, AuditEvent, AuditQuery, AuditRecord, AuditSink};

fn entry_from_row(row: &Row<'_>) -> rusqlite::Result<AuditEntry> {
    let seq: i64 = row.get(0)?;
    let hash: Vec<u8> = row.get(2)?;
    Ok(AuditEntry {
        // A negative or malformed row still becomes an entry, which `verify` reports
        // at its position rather than hiding.
        seq: u64::try_from(seq).unwrap_or(u64::MAX),
        event: row.get(1)?,
        hash: hash.try_into().unwrap_or([0; 32]),
    })
}

fn sink_err(e: impl std::fmt::Display) -> AuditError {
    AuditError::Sink(e.to_string())
}

impl AuditSink for SqliteStore {
    fn append(&mut self, entry: AuditRecord<'_>) -> Result<(), AuditError> {
        let event = AuditEvent::decode(entry.event);
        let conn = self.conn().map_err(sink_err)?;
        conn.execute(
            "INSERT INTO audit_log (seq, event, hash, at_us, subject, actor, purpose)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                i64::try_from(entry.seq).map_err(sink_err)?,
                entry.event,
                &entry.hash[..],
                event.as_ref().map(|e| e.at.timestamp_micros()),
                event
                    .as_ref()
                    .and_then(|e| e.subject.as_ref().map(|s| s.as_str().to_owned())),
                event
                    .as_ref()
                    .and_then(|e| e.actor.as_ref().map(|a| a.id.clone())),
                event.as_ref().and_then(|e| e.purpose.clone()),
            ],
        )
        .map_err(sink_err)?;
        Ok(())
    }

    fn read(&self, from: u64, limit: usize) -> Result<Vec<AuditEntry>, AuditError> {
        let conn = self.conn().map_err(sink_err)?;
        let mut stmt = conn
            .prepare_cached(
                "SELECT seq, event, hash FROM audit_log ORDER BY pos LIMIT ?2 OFFSET ?1",
            )
            .map_err(sink_err)?;
        let rows = stmt
            .query_map(
                params![
                    i64::try_from(from).unwrap_or(i64::MAX),
                    i64::try_from(limit).unwrap_or(i64::MAX)
                ],
                entry_from_row,
            )
            .map_err(sink_err)?;
        rows.collect::<Result<_, _>>().map_err(sink_err)
    }

    fn last(&self) -> Result<Option<AuditEntry>, AuditError> {
        let conn = self.conn().map_err(sink_err)?;
        conn.query_row(
            "SELECT seq, event, hash FROM audit_log ORDER BY pos DESC LIMIT 1",
            [],
            entry_from_row,
        )
        .optional()
        .map_err(sink_err)
    }

    fn query(&self, q: &AuditQuery) -> Result<Vec<AuditEvent>, AuditError> {
        let conn = self.conn().map_err(sink_err)?;
        let mut stmt = conn
            .prepare_cached(
                "SELECT seq, event, hash FROM audit_log
                 WHERE (?1 IS NULL OR subject = ?1) AND (?2 IS NULL OR actor = ?2)
                   AND (?3 IS NULL OR purpose = ?3) AND (?4 IS NULL OR at_us >= ?4)
                   AND (?5 IS NULL OR at_us < ?5)
                 ORDER BY pos",
            )
            .map_err(sink_err)?;
        let rows = stmt
            .query_map(
                params![
                    q.subject.as_ref().map(|s| s.as_str().to_owned()),
                    q.actor,
                    q.purpose,
                    q.from.map(|t| t.timestamp_micros()),
                    q.until.map(|t| t.timestamp_micros()),
                ],
                entry_from_row,
            )
            .map_err(sink_err)?;
        let mut out = Vec::new();
        for entry in rows {
            // The indexed columns only narrow the search; the event itself (which the
            // chain covers) decides.
            if let Some(e) = entry.map_err(sink_err)?.decode()
                && q.matches(&e)
            {
                out.push(e);
            }
        }
        Ok(out)
    }
}
