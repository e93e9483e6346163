//! [`KeyStore`] on SQLite: every wrapped key, in two tables (`subject_keys` for
//! subject keys, `named_keys` for the other kinds, as the schema has always had them)
//! behind one key model.
//!
//! A deletion (retiring key versions, a shred or a sweep, all in `retention.rs`) runs with
//! `secure_delete` (SQLite overwrites the deleted cells with zeroes), then
//! `PRAGMA wal_checkpoint(TRUNCATE)`: the write-ahead log, which still holds the page
//! images that contained the key, is copied into the database and truncated to zero
//! bytes. If a reader keeps the checkpoint from completing, the deletion still stands;
//! the purge is left pending (`mod.rs`).
//!
//! What depends on holds, tombstones or the watermark (an escrow, a subject key, a
//! pseudonym secret, an anchor key, an epoch key) is checked inside the `IMMEDIATE` transaction that
//! writes it.

use rusqlite::{OptionalExtension, Row, params};

use super::integrity;
use super::retention::tombstoned;
use super::{SqliteStore, to_micros};
use crate::keys::{KeyName, KeyStore, WrappedKey};
use crate::store::StoreError;
use crate::subject::{SubjectId, SubjectRef};

/// A name's (kind, name, number) columns.
fn columns(name: &KeyName) -> (&'static str, &str, i64) {
    match name {
        KeyName::Epoch(e) => ("epoch", "", i64::from(*e)),
        KeyName::Escrow { subject, epoch } => ("escrow", subject.as_str(), i64::from(*epoch)),
        KeyName::Secret(s) => ("secret", s.as_str(), 0),
        KeyName::Pseudonym(subject) => ("pseudonym", subject.as_str(), 0),
        KeyName::Anchor { subject, code } => ("anchor", subject.as_str(), i64::from(*code)),
        // Stored in `subject_keys`, never in `named_keys`.
        KeyName::Subject { subject, version } => ("subject", subject.as_str(), i64::from(*version)),
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
        "anchor" => {
            crate::retention::from_anchor_code(number).ok_or(StoreError::Corrupt {
                what: "anchor key code",
            })?;
            KeyName::Anchor {
                subject: SubjectId::new(name)
                    .map_err(|_| StoreError::Corrupt { what: "subject id" })?,
                code: number,
            }
        }
        _ => return Err(StoreError::Corrupt { what: "key kind" }),
    })
}

fn wrapped_from(row: &Row<'_>, at: usize) -> Result<WrappedKey, StoreError> {
    Ok(WrappedKey {
        master_id: row.get(at)?,
        wrapped: row.get(at + 1)?,
    })
}

fn version_from(row: &Row<'_>, at: usize) -> Result<u32, StoreError> {
    Ok(row.get(at)?)
}

impl KeyStore for SqliteStore {
    fn get(&self, name: &KeyName) -> Result<Option<WrappedKey>, StoreError> {
        let conn = self.conn()?;
        if let KeyName::Subject { subject, version } = name {
            let mut stmt = conn.prepare_cached(
                "SELECT master_id, wrapped FROM subject_keys WHERE subject = ?1 AND version = ?2",
            )?;
            let mut rows = stmt.query(params![subject.as_str(), version])?;
            return rows.next()?.map(|row| wrapped_from(row, 0)).transpose();
        }
        let (kind, n, number) = columns(name);
        let mut stmt = conn.prepare_cached(
            "SELECT master_id, wrapped FROM named_keys WHERE kind = ?1 AND name = ?2 AND number = ?3",
        )?;
        let mut rows = stmt.query(params![kind, n, number])?;
        rows.next()?.map(|row| wrapped_from(row, 0)).transpose()
    }

    fn latest(&self, subject: &SubjectId) -> Result<Option<(u32, WrappedKey)>, StoreError> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare_cached(
            "SELECT version, master_id, wrapped FROM subject_keys WHERE subject = ?1 ORDER BY version DESC LIMIT 1",
        )?;
        let mut rows = stmt.query(params![subject.as_str()])?;
        rows.next()?
            .map(|row| Ok((version_from(row, 0)?, wrapped_from(row, 1)?)))
            .transpose()
    }

    fn insert(
        &self,
        name: &KeyName,
        key: &WrappedKey,
        subject_ref: Option<&SubjectRef>,
    ) -> Result<Option<WrappedKey>, StoreError> {
        if let KeyName::Subject { subject, version } = name {
            let subject_ref = subject_ref.ok_or(StoreError::SubjectRefRequired)?;
            return self.insert_subject_key(subject, *version, key, subject_ref);
        }
        let (kind, n, number) = columns(name);
        let mut conn = self.conn()?;
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let refused = match name {
            KeyName::Epoch(e) => {
                let before: i64 =
                    tx.query_row("SELECT swept_before FROM sweep_state", [], |r| r.get(0))?;
                i64::from(*e) < before
            }
            // Only while an unreleased hold names the subject (erasure replaces the
            // subject of its holds, so this also refuses an erased subject).
            KeyName::Escrow { subject, .. } => tx
                .query_row(
                    "SELECT 1 FROM legal_holds WHERE subject = ?1 AND released_us IS NULL LIMIT 1",
                    params![subject.as_str()],
                    |_| Ok(()),
                )
                .optional()?
                .is_none(),
            KeyName::Pseudonym(_) | KeyName::Anchor { .. } => match subject_ref {
                Some(r) => tombstoned(&tx, r)?,
                None => false,
            },
            // A subject key was stored above, in its own table.
            KeyName::Secret(_) | KeyName::Subject { .. } => false,
        };
        if refused {
            return Ok(None);
        }
        tx.execute(
            "INSERT INTO named_keys (kind, name, number, master_id, wrapped)
             VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (kind, name, number) DO NOTHING",
            params![kind, n, number, key.master_id, key.wrapped],
        )?;
        if let KeyName::Anchor { subject, .. } = name {
            super::anchors::schedule(&tx, subject)?;
        }
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
        self.purge_if_pending(&conn);
        Ok(stored)
    }

    fn wrapped_by_other(
        &self,
        master_id: &str,
        limit: usize,
    ) -> Result<Vec<(KeyName, WrappedKey)>, StoreError> {
        let conn = self.conn()?;
        let limit_sql = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
        let mut out = Vec::new();
        let mut stmt = conn.prepare_cached(
            "SELECT kind, name, number, master_id, wrapped FROM named_keys WHERE master_id <> ?1 LIMIT ?2",
        )?;
        let mut rows = stmt.query(params![master_id, limit_sql(limit)])?;
        while let Some(row) = rows.next()? {
            out.push((name_from_row(row)?, wrapped_from(row, 3)?));
        }
        let mut stmt = conn.prepare_cached(
            "SELECT subject, version, master_id, wrapped FROM subject_keys WHERE master_id <> ?1 LIMIT ?2",
        )?;
        let mut rows = stmt.query(params![master_id, limit_sql(limit - out.len())])?;
        while let Some(row) = rows.next()? {
            let name = KeyName::Subject {
                subject: SubjectId::new(row.get::<_, String>(0)?)
                    .map_err(|_| StoreError::Corrupt { what: "subject id" })?,
                version: version_from(row, 1)?,
            };
            out.push((name, wrapped_from(row, 2)?));
        }
        Ok(out)
    }

    fn rewrap(
        &self,
        old_master_id: &str,
        name: &KeyName,
        new: &WrappedKey,
    ) -> Result<bool, StoreError> {
        let conn = self.conn()?;
        // The old wrapping stays in the write-ahead log until a checkpoint.
        self.purge_pending
            .store(true, std::sync::atomic::Ordering::Release);
        let changed = match name {
            KeyName::Subject { subject, version } => conn.execute(
                "UPDATE subject_keys SET master_id = ?1, wrapped = ?2
                 WHERE subject = ?3 AND version = ?4 AND master_id = ?5",
                params![
                    new.master_id,
                    new.wrapped,
                    subject.as_str(),
                    version,
                    old_master_id
                ],
            )?,
            _ => {
                let (kind, n, number) = columns(name);
                conn.execute(
                    "UPDATE named_keys SET master_id = ?1, wrapped = ?2
                     WHERE kind = ?3 AND name = ?4 AND number = ?5 AND master_id = ?6",
                    params![new.master_id, new.wrapped, kind, n, number, old_master_id],
                )?
            }
        };
        Ok(changed == 1)
    }
}

impl SqliteStore {
    /// A subject key's insert: refused for a tombstoned subject, first row wins.
    fn insert_subject_key(
        &self,
        subject: &SubjectId,
        version: u32,
        key: &WrappedKey,
        subject_ref: &SubjectRef,
    ) -> Result<Option<WrappedKey>, StoreError> {
        let mut conn = self.conn()?;
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        if tombstoned(&tx, subject_ref)? {
            return Ok(None);
        }
        // The vault checked the tombstones with its key before asking; a tombstone
        // deleted since still shows here, as a count short of the head.
        integrity::tombstones_complete(&tx)?;
        tx.execute(
            "INSERT INTO subject_keys (subject, version, master_id, wrapped, created_us)
             VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (subject, version) DO NOTHING",
            params![
                subject.as_str(),
                version,
                key.master_id,
                key.wrapped,
                to_micros(chrono::Utc::now())
            ],
        )?;
        let stored = tx
            .query_row(
                "SELECT master_id, wrapped FROM subject_keys WHERE subject = ?1 AND version = ?2",
                params![subject.as_str(), version],
                |row| Ok(wrapped_from(row, 0)),
            )
            .optional()?
            .transpose()?;
        tx.commit()?;
        self.purge_if_pending(&conn);
        Ok(stored)
    }
}
