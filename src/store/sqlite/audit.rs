//! [`AuditSink`] on SQLite: the `audit_log` table, with triggers that refuse updates
//! and deletes through SQL (an insider who edits the file directly is caught by
//! [`AuditTrail::verify`](crate::audit::AuditTrail::verify), not by the triggers).

use rusqlite::types::Value;
use rusqlite::{OptionalExtension, Row, params, params_from_iter};

use super::SqliteStore;
use crate::audit::{AuditEntry, AuditError, AuditEvent, AuditQuery, AuditRecord, AuditSink};

/// Where a read of the log ended: the position after its last entry, and that
/// entry's row. Verification reads the log batch after batch; continuing from the row
/// (`pos > ?`) instead of counting rows again (`OFFSET`) keeps a full read linear.
#[derive(Clone, Copy, Debug)]
pub(super) struct Cursor {
    next: u64,
    after_pos: i64,
}

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

impl AuditSink for SqliteStore {
    fn append(&mut self, entry: AuditRecord<'_>) -> Result<(), AuditError> {
        self.append_group(&[entry])
    }

    /// One durable transaction is most of an append's cost (~0.35 ms), so appends
    /// arriving together share one.
    fn commits_in_groups(&self) -> bool {
        true
    }

    fn append_group(&mut self, entries: &[AuditRecord<'_>]) -> Result<(), AuditError> {
        let mut conn = self.conn().map_err(AuditError::sink)?;
        let tx = conn.transaction().map_err(AuditError::sink)?;
        {
            let mut insert = tx
                .prepare_cached(
                    "INSERT INTO audit_log (seq, event, hash, at_us, subject, actor, purpose)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                )
                .map_err(AuditError::sink)?;
            for entry in entries {
                let event = AuditEvent::decode(entry.event);
                let event = event.as_ref();
                insert
                    .execute(params![
                        i64::try_from(entry.seq).map_err(AuditError::sink)?,
                        entry.event,
                        &entry.hash[..],
                        event.map(|e| e.at.timestamp_micros()),
                        event.and_then(|e| e.subject.as_ref().map(|s| s.as_str().to_owned())),
                        event.and_then(|e| e.actor.as_ref().map(|a| a.id.clone())),
                        event.and_then(|e| e.purpose.clone()),
                    ])
                    .map_err(AuditError::sink)?;
            }
        }
        // Dropped uncommitted on any error above: all or none.
        tx.commit().map_err(AuditError::sink)
    }

    fn read(&self, from: u64, limit: usize) -> Result<Vec<AuditEntry>, AuditError> {
        let conn = self.conn().map_err(AuditError::sink)?;
        let mut cursor = self.audit_cursor.lock().map_err(|_| AuditError::Poisoned)?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        // Positions count rows, so a read from anywhere else counts them (OFFSET).
        let (sql, start) = match *cursor {
            Some(c) if c.next == from => (
                "SELECT seq, event, hash, pos FROM audit_log WHERE pos > ?1 ORDER BY pos LIMIT ?2",
                c.after_pos,
            ),
            _ => (
                "SELECT seq, event, hash, pos FROM audit_log ORDER BY pos LIMIT ?2 OFFSET ?1",
                i64::try_from(from).unwrap_or(i64::MAX),
            ),
        };
        let mut stmt = conn.prepare_cached(sql).map_err(AuditError::sink)?;
        let rows = stmt
            .query_map(params![start, limit], |row| {
                Ok((entry_from_row(row)?, row.get::<_, i64>(3)?))
            })
            .map_err(AuditError::sink)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(AuditError::sink)?;
        if let Some(&(_, after_pos)) = rows.last() {
            *cursor = Some(Cursor {
                next: from.saturating_add(rows.len() as u64),
                after_pos,
            });
        }
        Ok(rows.into_iter().map(|(entry, _)| entry).collect())
    }

    fn last(&self) -> Result<Option<AuditEntry>, AuditError> {
        let conn = self.conn().map_err(AuditError::sink)?;
        conn.query_row(
            "SELECT seq, event, hash FROM audit_log ORDER BY pos DESC LIMIT 1",
            [],
            entry_from_row,
        )
        .optional()
        .map_err(AuditError::sink)
    }

    fn query(&self, q: &AuditQuery) -> Result<Vec<AuditEvent>, AuditError> {
        // Only the filters given go into the SQL, so SQLite can use their indexes
        // (`?1 IS NULL OR subject = ?1` would make it scan the whole log).
        let mut filters = Vec::new();
        let mut values: Vec<Value> = Vec::new();
        let mut add = |filter: &'static str, value: Value| {
            filters.push(filter);
            values.push(value);
        };
        if let Some(s) = &q.subject {
            add("subject = ?", Value::Text(s.as_str().to_owned()));
        }
        if let Some(a) = &q.actor {
            add("actor = ?", Value::Text(a.clone()));
        }
        if let Some(p) = &q.purpose {
            add("purpose = ?", Value::Text(p.clone()));
        }
        if let Some(t) = q.from {
            add("at_us >= ?", Value::Integer(t.timestamp_micros()));
        }
        if let Some(t) = q.until {
            add("at_us < ?", Value::Integer(t.timestamp_micros()));
        }
        let mut sql = String::from("SELECT seq, event, hash FROM audit_log");
        if !filters.is_empty() {
            sql.push_str(" WHERE ");
            sql.push_str(&filters.join(" AND "));
        }
        sql.push_str(" ORDER BY pos");
        let conn = self.conn().map_err(AuditError::sink)?;
        let mut stmt = conn.prepare_cached(&sql).map_err(AuditError::sink)?;
        let rows = stmt
            .query_map(params_from_iter(values), entry_from_row)
            .map_err(AuditError::sink)?;
        let mut out = Vec::new();
        for entry in rows {
            // The indexed columns only narrow the search; the event itself (which the
            // chain covers) decides.
            if let Some(e) = entry.map_err(AuditError::sink)?.decode()
                && q.matches(&e)
            {
                out.push(e);
            }
        }
        Ok(out)
    }
}
