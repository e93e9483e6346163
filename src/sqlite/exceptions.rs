//! Erasure exceptions on SQLite: the kept category keys of erased subjects
//! (`erasure_exceptions`, schema step 14). Deleting them runs the same WAL checkpoint
//! as a shred (see `keys.rs`).

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

use super::{SqliteStore, from_micros, to_micros};
use crate::keys::WrappedKey;
use crate::retention::{ErasureStore, ExceptionRecord, QueuedErasure, StoredException};
use crate::store::StoreError;
use crate::subject::SubjectId;

impl ErasureStore for SqliteStore {
    fn insert_exception(&self, kept: &StoredException) -> Result<(), StoreError> {
        let conn = self.conn()?;
        let e = &kept.exception;
        conn.execute(
            "INSERT OR REPLACE INTO erasure_exceptions
                 (subject, version, category, purpose, law, until_us, master_id, wrapped)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                kept.subject.as_str(),
                i64::from(kept.version),
                e.category,
                e.purpose,
                e.law,
                to_micros(e.until),
                kept.key.master_id,
                kept.key.wrapped,
            ],
        )?;
        self.purge_if_pending(&conn);
        Ok(())
    }

    fn exception(
        &self,
        subject: &SubjectId,
        version: u32,
        category: &str,
    ) -> Result<Option<StoredException>, StoreError> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare_cached(
            "SELECT purpose, law, until_us, master_id, wrapped FROM erasure_exceptions
             WHERE subject = ?1 AND version = ?2 AND category = ?3",
        )?;
        let row = stmt
            .query_row(
                params![subject.as_str(), i64::from(version), category],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, i64>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, Vec<u8>>(4)?,
                    ))
                },
            )
            .optional()?;
        let Some((purpose, law, until_us, master_id, wrapped)) = row else {
            return Ok(None);
        };
        Ok(Some(StoredException {
            subject: subject.clone(),
            version,
            exception: ExceptionRecord {
                category: category.to_owned(),
                purpose,
                law,
                until: from_micros(until_us)?,
            },
            key: WrappedKey { master_id, wrapped },
        }))
    }

    fn end_exceptions(&self, now: DateTime<Utc>) -> Result<usize, StoreError> {
        let conn = self.conn()?;
        let n = conn.execute(
            "DELETE FROM erasure_exceptions WHERE until_us <= ?1",
            params![to_micros(now)],
        )?;
        // The anchor keys kept for them (periods from an event) go with the last one.
        let anchors = if n > 0 {
            super::anchors::delete_orphan_anchor_keys(&conn)?
        } else {
            0
        };
        if n + anchors > 0 {
            self.purge_after_delete(&conn);
        } else {
            self.purge_if_pending(&conn);
        }
        Ok(n)
    }

    fn queue_erasure(&self, queued: &QueuedErasure) -> Result<(), StoreError> {
        let exceptions =
            serde_json::to_string(&queued.exceptions).map_err(|_| StoreError::Corrupt {
                what: "erasure exceptions",
            })?;
        let conn = self.conn()?;
        conn.execute(
            "INSERT OR REPLACE INTO queued_erasures (subject, requested_us, exceptions, mac)
             VALUES (?1, ?2, ?3, ?4)",
            params![
                queued.subject.as_str(),
                to_micros(queued.requested_at),
                exceptions,
                queued.mac
            ],
        )?;
        Ok(())
    }

    fn queued_erasures(&self) -> Result<Vec<QueuedErasure>, StoreError> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare_cached(
            "SELECT subject, requested_us, exceptions, mac FROM queued_erasures
             ORDER BY requested_us, subject",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Vec<u8>>(3)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (subject, requested_us, exceptions, mac) = row?;
            out.push(QueuedErasure {
                subject: SubjectId::new(subject)
                    .map_err(|_| StoreError::Corrupt { what: "subject id" })?,
                requested_at: from_micros(requested_us)?,
                exceptions: serde_json::from_str(&exceptions).map_err(|_| StoreError::Corrupt {
                    what: "queued erasure exceptions",
                })?,
                mac,
            });
        }
        Ok(out)
    }

    fn dequeue_erasure(&self, subject: &SubjectId) -> Result<(), StoreError> {
        let conn = self.conn()?;
        conn.execute(
            "DELETE FROM queued_erasures WHERE subject = ?1",
            params![subject.as_str()],
        )?;
        Ok(())
    }
}
