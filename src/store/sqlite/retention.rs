//! The retention half of [`KeyStore`](crate::keys::KeyStore) on SQLite: named keys
//! (epoch keys, escrowed epoch shares, vault secrets), the sweep watermark, legal holds.
//! Deleting key material runs the same WAL checkpoint as a shred (see `keys.rs`).

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, Row, params};

use super::{SqliteStore, checkpoint, from_micros, to_micros};
use crate::keys::{KeyName, WrappedKey, tombstone_id};
use crate::retention::{HoldId, LegalHold};
use crate::store::StoreError;
use crate::subject::SubjectId;

/// A name's (kind, name, number) columns.
fn columns(name: &KeyName) -> (&'static str, &str, i64) {
    match name {
        KeyName::Epoch(e) => ("epoch", "", i64::from(*e)),
        KeyName::Escrow { subject, epoch } => ("escrow", subject.as_str(), i64::from(*epoch)),
        KeyName::Secret(s) => ("secret", s.as_str(), 0),
        KeyName::Pseudonym(subject) => ("pseudonym", subject.as_str(), 0),
    }
}

fn name_from_row(row: &Row<'_>) -> Result<KeyName, StoreError> {
    let kind: String = row.get(0)?;
    let name: String = row.get(1)?;
    let number = u32::try_from(row.get::<_, i64>(2)?).map_err(|_| StoreError::Corrupt {
        what: "epoch number",
    })?;
    Ok(match kind.as_str() {
        "epoch" => KeyName::Epoch(number),
        "escrow" => KeyName::Escrow {
            subject: SubjectId::new(name)
                .map_err(|_| StoreError::Corrupt { what: "subject id" })?,
            epoch: number,
        },
        "secret" => KeyName::Secret(name),
        "pseudonym" => KeyName::Pseudonym(
            SubjectId::new(name).map_err(|_| StoreError::Corrupt { what: "subject id" })?,
        ),
        _ => return Err(StoreError::Corrupt { what: "key kind" }),
    })
}

fn hold_from_row(row: &Row<'_>) -> Result<LegalHold, StoreError> {
    let id: String = row.get(0)?;
    let opt = |us: Option<i64>| us.map(from_micros).transpose();
    Ok(LegalHold {
        id: HoldId::parse(&id).map_err(|_| StoreError::Corrupt { what: "hold id" })?,
        subject: SubjectId::new(row.get::<_, String>(1)?)
            .map_err(|_| StoreError::Corrupt { what: "subject id" })?,
        reason: row.get(2)?,
        placed_at: from_micros(row.get(3)?)?,
        until: opt(row.get(4)?)?,
        released_at: opt(row.get(5)?)?,
    })
}

const HOLD_COLUMNS: &str = "id, subject, reason, placed_us, until_us, released_us";

impl SqliteStore {
    pub(super) fn named_key(&self, name: &KeyName) -> Result<Option<WrappedKey>, StoreError> {
        let (kind, n, number) = columns(name);
        let conn = self.conn()?;
        let mut stmt = conn.prepare_cached(
            "SELECT master_id, wrapped FROM named_keys WHERE kind = ?1 AND name = ?2 AND number = ?3",
        )?;
        Ok(stmt
            .query_row(params![kind, n, number], |r| {
                Ok(WrappedKey {
                    master_id: r.get(0)?,
                    wrapped: r.get(1)?,
                })
            })
            .optional()?)
    }

    pub(super) fn insert_named_key(
        &self,
        name: &KeyName,
        key: &WrappedKey,
    ) -> Result<Option<WrappedKey>, StoreError> {
        let (kind, n, number) = columns(name);
        let mut conn = self.conn()?;
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let refused = match name {
            KeyName::Epoch(e) => {
                let before: i64 =
                    tx.query_row("SELECT swept_before FROM sweep_state", [], |r| r.get(0))?;
                i64::from(*e) < before
            }
            KeyName::Escrow { subject, .. } | KeyName::Pseudonym(subject) => tx
                .query_row(
                    "SELECT 1 FROM shredded_subjects WHERE subject_hash = ?1",
                    params![&tombstone_id(subject)[..]],
                    |_| Ok(()),
                )
                .optional()?
                .is_some(),
            KeyName::Secret(_) => false,
        };
        if refused {
            return Ok(None);
        }
        tx.execute(
            "INSERT INTO named_keys (kind, name, number, master_id, wrapped)
             VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (kind, name, number) DO NOTHING",
            params![kind, n, number, key.master_id, key.wrapped],
        )?;
        let stored = tx
            .query_row(
                "SELECT master_id, wrapped FROM named_keys WHERE kind = ?1 AND name = ?2 AND number = ?3",
                params![kind, n, number],
                |r| {
                    Ok(WrappedKey {
                        master_id: r.get(0)?,
                        wrapped: r.get(1)?,
                    })
                },
            )
            .optional()?;
        tx.commit()?;
        Ok(stored)
    }

    pub(super) fn watermark(&self) -> Result<u32, StoreError> {
        let conn = self.conn()?;
        let before: i64 =
            conn.query_row("SELECT swept_before FROM sweep_state", [], |r| r.get(0))?;
        u32::try_from(before).map_err(|_| StoreError::Corrupt {
            what: "sweep watermark",
        })
    }

    pub(super) fn epoch_keys_before(&self, before: u32) -> Result<Vec<u32>, StoreError> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare_cached(
            "SELECT number FROM named_keys WHERE kind = 'epoch' AND name = '' AND number < ?1 ORDER BY number",
        )?;
        let mut rows = stmt.query(params![i64::from(before)])?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            out.push(
                u32::try_from(row.get::<_, i64>(0)?).map_err(|_| StoreError::Corrupt {
                    what: "epoch number",
                })?,
            );
        }
        Ok(out)
    }

    pub(super) fn destroy_epochs_before(&self, before: u32) -> Result<usize, StoreError> {
        let mut conn = self.conn()?;
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        tx.execute(
            "UPDATE sweep_state SET swept_before = max(swept_before, ?1)",
            params![i64::from(before)],
        )?;
        let destroyed = tx.execute(
            "DELETE FROM named_keys WHERE kind = 'epoch' AND name = ''
             AND number < (SELECT swept_before FROM sweep_state)",
            [],
        )?;
        tx.commit()?;
        if destroyed > 0 {
            checkpoint(&conn)?;
        }
        Ok(destroyed)
    }

    pub(super) fn destroy_escrows(&self, subject: &SubjectId) -> Result<usize, StoreError> {
        let conn = self.conn()?;
        let destroyed = conn.execute(
            "DELETE FROM named_keys WHERE kind = 'escrow' AND name = ?1",
            params![subject.as_str()],
        )?;
        if destroyed > 0 {
            checkpoint(&conn)?;
        }
        Ok(destroyed)
    }

    pub(super) fn named_keys_by_other(
        &self,
        master_id: &str,
        limit: usize,
    ) -> Result<Vec<(KeyName, WrappedKey)>, StoreError> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare_cached(
            "SELECT kind, name, number, master_id, wrapped FROM named_keys WHERE master_id <> ?1 LIMIT ?2",
        )?;
        let mut rows = stmt.query(params![master_id, i64::try_from(limit).unwrap_or(i64::MAX)])?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            let key = WrappedKey {
                master_id: row.get(3)?,
                wrapped: row.get(4)?,
            };
            out.push((name_from_row(row)?, key));
        }
        Ok(out)
    }

    pub(super) fn swap_named_key(
        &self,
        old_master_id: &str,
        name: &KeyName,
        new: &WrappedKey,
    ) -> Result<bool, StoreError> {
        let (kind, n, number) = columns(name);
        let conn = self.conn()?;
        let changed = conn.execute(
            "UPDATE named_keys SET master_id = ?1, wrapped = ?2
             WHERE kind = ?3 AND name = ?4 AND number = ?5 AND master_id = ?6",
            params![new.master_id, new.wrapped, kind, n, number, old_master_id],
        )?;
        Ok(changed == 1)
    }

    pub(super) fn insert_hold(&self, hold: &LegalHold) -> Result<(), StoreError> {
        let conn = self.conn()?;
        conn.execute(
            &format!("INSERT INTO legal_holds ({HOLD_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"),
            params![
                hold.id.as_str(),
                hold.subject.as_str(),
                hold.reason,
                to_micros(hold.placed_at),
                hold.until.map(to_micros),
                hold.released_at.map(to_micros)
            ],
        )?;
        Ok(())
    }

    pub(super) fn mark_released(
        &self,
        id: &HoldId,
        at: DateTime<Utc>,
    ) -> Result<Option<LegalHold>, StoreError> {
        let conn = self.conn()?;
        conn.execute(
            "UPDATE legal_holds SET released_us = ?1 WHERE id = ?2 AND released_us IS NULL",
            params![to_micros(at), id.as_str()],
        )?;
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {HOLD_COLUMNS} FROM legal_holds WHERE id = ?1"
        ))?;
        let mut rows = stmt.query(params![id.as_str()])?;
        rows.next()?.map(hold_from_row).transpose()
    }

    pub(super) fn list_holds(
        &self,
        subject: Option<&SubjectId>,
    ) -> Result<Vec<LegalHold>, StoreError> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {HOLD_COLUMNS} FROM legal_holds WHERE ?1 IS NULL OR subject = ?1 ORDER BY rowid"
        ))?;
        let mut rows = stmt.query(params![subject.map(SubjectId::as_str)])?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            out.push(hold_from_row(row)?);
        }
        Ok(out)
    }
}
