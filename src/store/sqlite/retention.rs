//! The retention half of [`KeyStore`](crate::keys::KeyStore) on SQLite: named keys
//! (epoch keys, escrowed epoch shares, vault secrets), the sweep watermark, legal holds.
//! Deleting key material runs the same WAL checkpoint as a shred (see `keys.rs`).
//!
//! Whatever depends on holds is one `IMMEDIATE` transaction that reads the holds
//! itself, so a hold placed or released by another connection (another vault, another
//! process) is either seen or waits: a sweep destroys no epoch a held subject has no
//! escrow of, an escrow is stored only while a hold names its subject, and a release
//! that ends a subject's last hold deletes their escrows in the same transaction.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::integrity::{self, authentic_holds, check_head, write_head};
use super::{SqliteStore, from_micros, to_micros};
use crate::keys::{KeyName, WrappedKey};
use crate::retention::{
    EpochSweep, HoldId, HoldScope, HoldSubject, IntegrityKey, LegalHold, SubjectRef,
};
use crate::store::StoreError;
use crate::subject::SubjectId;

/// A name's (kind, name, number) columns.
fn columns(name: &KeyName) -> (&'static str, &str, i64) {
    match name {
        KeyName::Epoch(e) => ("epoch", "", i64::from(*e)),
        KeyName::Escrow { subject, epoch } => ("escrow", subject.as_str(), i64::from(*epoch)),
        KeyName::Secret(s) => ("secret", s.as_str(), 0),
        KeyName::Pseudonym(subject) => ("pseudonym", subject.as_str(), 0),
        KeyName::Anchor { subject, .. } => (
            "anchor",
            subject.as_str(),
            i64::from(name.anchor_code().unwrap_or(0)),
        ),
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
            let (anchor, period) =
                crate::retention::from_anchor_code(number).ok_or(StoreError::Corrupt {
                    what: "anchor key code",
                })?;
            KeyName::Anchor {
                subject: SubjectId::new(name)
                    .map_err(|_| StoreError::Corrupt { what: "subject id" })?,
                anchor,
                period,
            }
        }
        _ => return Err(StoreError::Corrupt { what: "key kind" }),
    })
}

/// Whether `subject_ref` has a tombstone.
pub(super) fn tombstoned(conn: &Connection, subject_ref: &SubjectRef) -> Result<bool, StoreError> {
    Ok(conn
        .query_row(
            "SELECT 1 FROM shredded_subjects WHERE subject_hash = ?1",
            params![subject_ref.as_str()],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}

/// Holds that bind at `:now` (microseconds): not released, not lapsed. The placement
/// time is ignored, so a hold placed by a vault whose clock runs ahead still binds.
const BINDING: &str = "released_us IS NULL AND (until_us IS NULL OR until_us > :now)";

/// Whether a hold on `subject` binds at `now`.
pub(super) fn bound(
    conn: &Connection,
    subject: &SubjectId,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    Ok(conn
        .query_row(
            &format!("SELECT 1 FROM legal_holds WHERE subject = :subject AND {BINDING} LIMIT 1"),
            rusqlite::named_params! {":subject": subject.as_str(), ":now": to_micros(now)},
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}

pub(super) fn hold_from_row(row: &Row<'_>) -> Result<LegalHold, StoreError> {
    let id: String = row.get(0)?;
    let opt = |us: Option<i64>| us.map(from_micros).transpose();
    let subject = match row.get::<_, Option<String>>(6)? {
        Some(reference) => HoldSubject::Erased(SubjectRef::from_stored(reference)),
        None => HoldSubject::Subject(
            SubjectId::new(row.get::<_, String>(1)?)
                .map_err(|_| StoreError::Corrupt { what: "subject id" })?,
        ),
    };
    let names = |column| -> Result<Vec<String>, StoreError> {
        match row.get::<_, Option<String>>(column)? {
            None => Ok(Vec::new()),
            Some(json) => serde_json::from_str(&json).map_err(|_| StoreError::Corrupt {
                what: "legal hold scope",
            }),
        }
    };
    Ok(LegalHold {
        id: HoldId::parse(&id).map_err(|_| StoreError::Corrupt { what: "hold id" })?,
        subject,
        reason: row.get(2)?,
        scope: HoldScope::from_stored(names(7)?, names(8)?),
        placed_at: from_micros(row.get(3)?)?,
        until: opt(row.get(4)?)?,
        released_at: opt(row.get(5)?)?,
    })
}

pub(super) const HOLD_COLUMNS: &str = "id, subject, reason, placed_us, until_us, released_us, erased_ref, \
    scope_purposes, scope_categories";

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
        subject_ref: Option<&SubjectRef>,
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

    pub(super) fn destroy_epochs_before(
        &self,
        before: u32,
        now: DateTime<Utc>,
        key: &IntegrityKey,
    ) -> Result<EpochSweep, StoreError> {
        let mut conn = self.conn()?;
        self.adopt_retention(&mut conn, key)?;
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        // Fail closed: the holds that decide what survives must be the ones the vault
        // placed, all of them.
        check_head(&tx, key)?;
        authentic_holds(&tx, key, None)?;
        let now_us = to_micros(now);
        // Re-checked here, in the transaction that destroys: a subject held now must
        // have an escrow of every epoch about to go.
        let unescrowed = tx
            .query_row(
                &format!(
                    "SELECT 1 FROM legal_holds h JOIN named_keys e
                       ON e.kind = 'epoch' AND e.name = ''
                      AND e.number < max(:before, (SELECT swept_before FROM sweep_state))
                     WHERE h.subject <> '' AND h.{BINDING}
                       AND NOT EXISTS (SELECT 1 FROM named_keys x WHERE x.kind = 'escrow'
                                       AND x.name = h.subject AND x.number = e.number)
                     LIMIT 1"
                ),
                rusqlite::named_params! {":before": i64::from(before), ":now": now_us},
                |_| Ok(()),
            )
            .optional()?
            .is_some();
        if unescrowed {
            return Err(StoreError::HeldWithoutEscrow);
        }
        tx.execute(
            "UPDATE sweep_state SET swept_before = max(swept_before, ?1)",
            params![i64::from(before)],
        )?;
        let epochs_destroyed = tx.execute(
            "DELETE FROM named_keys WHERE kind = 'epoch' AND name = ''
             AND number < (SELECT swept_before FROM sweep_state)",
            [],
        )?;
        // Escrows of subjects no hold binds any more (released or lapsed).
        let orphans = format!(
            "kind = 'escrow' AND name NOT IN (SELECT subject FROM legal_holds WHERE {BINDING})"
        );
        let mut released = Vec::new();
        {
            let mut stmt = tx.prepare(&format!(
                "SELECT DISTINCT name FROM named_keys WHERE {orphans}"
            ))?;
            let mut rows = stmt.query(rusqlite::named_params! {":now": now_us})?;
            while let Some(row) = rows.next()? {
                released.push(
                    SubjectId::new(row.get::<_, String>(0)?)
                        .map_err(|_| StoreError::Corrupt { what: "subject id" })?,
                );
            }
        }
        tx.execute(
            &format!("DELETE FROM named_keys WHERE {orphans}"),
            rusqlite::named_params! {":now": now_us},
        )?;
        tx.commit()?;
        if epochs_destroyed > 0 || !released.is_empty() {
            self.purge_after_delete(&conn);
        } else {
            self.purge_if_pending(&conn);
        }
        Ok(EpochSweep {
            epochs_destroyed,
            escrows_released: released,
        })
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
        // The old wrapping stays in the write-ahead log until a checkpoint.
        self.purge_pending
            .store(true, std::sync::atomic::Ordering::Release);
        let changed = conn.execute(
            "UPDATE named_keys SET master_id = ?1, wrapped = ?2
             WHERE kind = ?3 AND name = ?4 AND number = ?5 AND master_id = ?6",
            params![new.master_id, new.wrapped, kind, n, number, old_master_id],
        )?;
        Ok(changed == 1)
    }

    pub(super) fn insert_hold(
        &self,
        hold: &LegalHold,
        subject_ref: &SubjectRef,
        key: &IntegrityKey,
    ) -> Result<bool, StoreError> {
        let HoldSubject::Subject(subject) = &hold.subject else {
            return Ok(false);
        };
        if hold.released_at.is_some() {
            return Err(StoreError::Corrupt {
                what: "a legal hold placed already released",
            });
        }
        let mut conn = self.conn()?;
        self.adopt_retention(&mut conn, key)?;
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let mut counts = check_head(&tx, key)?;
        if integrity::authentic_tombstone(&tx, key, subject_ref)? {
            return Ok(false);
        }
        let json = |names: &[String]| {
            serde_json::to_string(names).map_err(|_| StoreError::Corrupt {
                what: "legal hold scope",
            })
        };
        tx.execute(
            "INSERT INTO legal_holds (id, subject, reason, placed_us, until_us,
                                      scope_purposes, scope_categories, mac)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                hold.id.as_str(),
                subject.as_str(),
                hold.reason,
                to_micros(hold.placed_at),
                hold.until.map(to_micros),
                json(hold.scope.purposes())?,
                json(hold.scope.categories())?,
                &key.hold_mac(hold)[..]
            ],
        )?;
        counts.holds += 1;
        write_head(&tx, key, &counts)?;
        tx.commit()?;
        self.purge_if_pending(&conn);
        Ok(true)
    }

    pub(super) fn mark_released(
        &self,
        id: &HoldId,
        at: DateTime<Utc>,
        key: &IntegrityKey,
    ) -> Result<Option<LegalHold>, StoreError> {
        let mut conn = self.conn()?;
        self.adopt_retention(&mut conn, key)?;
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let mut counts = check_head(&tx, key)?;
        let Some(mut hold) = authentic_holds(&tx, key, None)?
            .into_iter()
            .find(|h| h.id == *id)
        else {
            return Ok(None);
        };
        if hold.released_at.is_none() {
            hold.released_at = Some(from_micros(to_micros(at))?);
            tx.execute(
                "UPDATE legal_holds SET released_us = ?1, mac = ?2 WHERE id = ?3",
                params![to_micros(at), &key.hold_mac(&hold)[..], id.as_str()],
            )?;
            counts.released += 1;
            write_head(&tx, key, &counts)?;
        }
        let hold = Some(hold);
        let mut destroyed = 0;
        if let Some(subject) = hold.as_ref().and_then(LegalHold::subject_id)
            && !bound(&tx, subject, at)?
        {
            destroyed = tx.execute(
                "DELETE FROM named_keys WHERE kind = 'escrow' AND name = ?1",
                params![subject.as_str()],
            )?;
        }
        tx.commit()?;
        if destroyed > 0 {
            self.purge_after_delete(&conn);
        }
        Ok(hold)
    }

    pub(super) fn list_holds(
        &self,
        subject: Option<&SubjectId>,
        key: &IntegrityKey,
    ) -> Result<Vec<LegalHold>, StoreError> {
        let mut conn = self.conn()?;
        self.adopt_retention(&mut conn, key)?;
        let tx = conn.transaction()?;
        check_head(&tx, key)?;
        let holds = authentic_holds(&tx, key, subject)?;
        tx.commit()?;
        Ok(holds)
    }
}
