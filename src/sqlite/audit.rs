//! [`AuditSink`] on SQLite: the `audit_log` table, with triggers that refuse updates
//! and deletes through SQL (an insider who edits the file directly is caught by
//! [`AuditTrail::verify`](crate::audit::AuditTrail::verify), not by the triggers).
//!
//! Several processes may append to one file: each append chains onto the last stored
//! entry inside a `BEGIN IMMEDIATE` transaction (SQLite's write lock), and `seq` is
//! unique, so their entries form one chain. The query columns (`at_us`, `subject`,
//! `actor`, `purpose`) are derived from the chained bytes, and every read derives them
//! again: a row whose columns were edited is read as an altered entry.

use rusqlite::types::Value;
use rusqlite::{
    OptionalExtension, Row, Transaction, TransactionBehavior, params, params_from_iter,
};

use super::SqliteStore;
use crate::audit::{
    AuditEntry, AuditError, AuditEvent, AuditQuery, AuditRecord, AuditSink, chain_hash,
};

/// Where a read of the log ended: the position after its last entry, and that
/// entry's row. Verification reads the log batch after batch; continuing from the row
/// (`pos > ?`) instead of counting rows again (`OFFSET`) keeps a full read linear.
#[derive(Clone, Copy, Debug)]
pub(super) struct Cursor {
    next: u64,
    after_pos: i64,
}

/// The query columns of an event: time, subject pseudonym, actor id, purpose. Derived
/// from the chained bytes on append, and again on every read.
type Columns = (Option<i64>, Option<String>, Option<String>, Option<String>);

fn columns(event: &[u8]) -> Columns {
    match AuditEvent::decode(event) {
        Some(e) => (
            Some(e.at.timestamp_micros()),
            e.subject.map(|s| s.as_str().to_owned()),
            e.actor.map(|a| a.id),
            e.purpose,
        ),
        None => (None, None, None, None),
    }
}

/// The columns a read selects, in order; `entry_from_row` reads them.
const ENTRY_COLUMNS: &str = "seq, event, hash, at_us, subject, actor, purpose";

/// An entry from a row of `ENTRY_COLUMNS`. A row whose query columns do not follow
/// from its event (edited to hide it from queries) or that is malformed still becomes
/// an entry, one that cannot verify (`seq` is `u64::MAX`), so `verify` reports it at
/// its position rather than hiding it.
fn entry_from_row(row: &Row<'_>) -> rusqlite::Result<AuditEntry> {
    let seq: i64 = row.get(0)?;
    let event: Vec<u8> = row.get(1)?;
    let hash: Vec<u8> = row.get(2)?;
    let stored: Columns = (row.get(3)?, row.get(4)?, row.get(5)?, row.get(6)?);
    let seq = match u64::try_from(seq) {
        Ok(seq) if stored == columns(&event) => seq,
        _ => u64::MAX,
    };
    Ok(AuditEntry {
        seq,
        event,
        hash: hash.try_into().unwrap_or([0; 32]),
    })
}

/// Inserts one entry with its query columns.
fn insert(tx: &Transaction<'_>, seq: u64, event: &[u8], hash: &[u8; 32]) -> Result<(), AuditError> {
    let (at_us, subject, actor, purpose) = columns(event);
    tx.prepare_cached(
        "INSERT INTO audit_log (seq, event, hash, at_us, subject, actor, purpose)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )
    .and_then(|mut insert| {
        insert.execute(params![
            i64::try_from(seq).unwrap_or(i64::MAX),
            event,
            &hash[..],
            at_us,
            subject,
            actor,
            purpose,
        ])
    })
    .map_err(AuditError::sink)?;
    Ok(())
}

/// The last stored entry's position and hash, read in `tx`.
fn stored_head(tx: &Transaction<'_>) -> Result<Option<(u64, [u8; 32])>, AuditError> {
    let row = tx
        .query_row(
            "SELECT seq, hash FROM audit_log ORDER BY pos DESC LIMIT 1",
            [],
            |r| Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?)),
        )
        .optional()
        .map_err(AuditError::sink)?;
    row.map(|(seq, hash)| {
        Ok((
            u64::try_from(seq).map_err(|_| AuditError::Damaged)?,
            hash.try_into().map_err(|_| AuditError::Damaged)?,
        ))
    })
    .transpose()
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
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(AuditError::sink)?;
        for entry in entries {
            insert(&tx, entry.seq, entry.event, entry.hash)?;
        }
        // Dropped uncommitted on any error above: all or none.
        tx.commit().map_err(AuditError::sink)
    }

    /// Other processes (and other handles in this one) may append to the same file.
    fn is_shared(&self) -> bool {
        true
    }

    fn append_shared(&mut self, events: &[&[u8]]) -> Result<(u64, [u8; 32]), AuditError> {
        let mut conn = self.conn().map_err(AuditError::sink)?;
        // The write lock is taken before the head is read, so no other writer can
        // append between the read and the inserts.
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(AuditError::sink)?;
        let (first, mut prev) = match stored_head(&tx)? {
            Some((seq, hash)) => (seq.checked_add(1).ok_or(AuditError::Damaged)?, hash),
            None => (0, [0; 32]),
        };
        for (seq, event) in (first..).zip(events) {
            let hash = chain_hash(&prev, seq, event);
            insert(&tx, seq, event, &hash)?;
            prev = hash;
        }
        // Dropped uncommitted on any error above: all or none.
        tx.commit().map_err(AuditError::sink)?;
        Ok((first, prev))
    }

    fn read(&self, from: u64, limit: usize) -> Result<Vec<AuditEntry>, AuditError> {
        let conn = self.conn().map_err(AuditError::sink)?;
        let mut cursor = self.audit_cursor.lock().map_err(|_| AuditError::Poisoned)?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        // Positions count rows, so a read from anywhere else counts them (OFFSET).
        let (sql, start) = match *cursor {
            Some(c) if c.next == from => (
                "SELECT seq, event, hash, at_us, subject, actor, purpose, pos FROM audit_log
                 WHERE pos > ?1 ORDER BY pos LIMIT ?2",
                c.after_pos,
            ),
            _ => (
                "SELECT seq, event, hash, at_us, subject, actor, purpose, pos FROM audit_log
                 ORDER BY pos LIMIT ?2 OFFSET ?1",
                i64::try_from(from).unwrap_or(i64::MAX),
            ),
        };
        let mut stmt = conn.prepare_cached(sql).map_err(AuditError::sink)?;
        let rows = stmt
            .query_map(params![start, limit], |row| {
                Ok((entry_from_row(row)?, row.get::<_, i64>(7)?))
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
            &format!("SELECT {ENTRY_COLUMNS} FROM audit_log ORDER BY pos DESC LIMIT 1"),
            [],
            entry_from_row,
        )
        .optional()
        .map_err(AuditError::sink)
    }

    fn query(&self, q: &AuditQuery) -> Result<Vec<AuditEvent>, AuditError> {
        // Only the filters given go into the SQL, so SQLite can use their indexes
        // (`?1 IS NULL OR subject = ?1` would make it scan the whole log).
        let mut filters: Vec<String> = Vec::new();
        let mut values: Vec<Value> = Vec::new();
        if !q.subjects.is_empty() {
            filters.push(format!(
                "subject IN ({})",
                vec!["?"; q.subjects.len()].join(", ")
            ));
            values.extend(
                q.subjects
                    .iter()
                    .map(|s| Value::Text(s.as_str().to_owned())),
            );
        }
        let mut add = |filter: &str, value: Value| {
            filters.push(filter.to_owned());
            values.push(value);
        };
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
        let mut sql = format!("SELECT {ENTRY_COLUMNS} FROM audit_log");
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
            // chain covers) decides. A row whose columns were edited to hide it is not
            // found here, and `verify` reports it.
            if let Some(e) = entry.map_err(AuditError::sink)?.decode()
                && q.matches(&e)
            {
                out.push(e);
            }
        }
        Ok(out)
    }
}
