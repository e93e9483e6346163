//! The retention traits on SQLite: legal holds ([`HoldStore`]), tombstones, the sweep
//! watermark, the journal and event anchors ([`RetentionStore`]; the anchor rows in
//! `anchors.rs`). Deleting key material runs the WAL
//! checkpoint described in `keys.rs`.
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
use crate::retention::{
    AnchorEvent, EpochSweep, HoldId, HoldScope, HoldStore, HoldSubject, IntegrityKey, JournalPurge,
    LegalHold, RetentionCounts, RetentionStore, ShredCounts, StoredEvent, StoredHold, anchored_end,
};
use crate::store::StoreError;
use crate::subject::{SubjectId, SubjectRef};

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
        scope: HoldScope::from_stored(names(7)?, names(8)?)?,
        placed_at: from_micros(row.get(3)?)?,
        until: opt(row.get(4)?)?,
        released_at: opt(row.get(5)?)?,
    })
}

pub(super) const HOLD_COLUMNS: &str = "id, subject, reason, placed_us, until_us, released_us, erased_ref, \
    scope_purposes, scope_categories";

impl HoldStore for SqliteStore {
    fn place_hold(
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

    fn release_hold(
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

    fn holds(
        &self,
        subject: Option<&SubjectId>,
        key: &IntegrityKey,
    ) -> Result<Vec<StoredHold>, StoreError> {
        let mut conn = self.conn()?;
        self.adopt_retention(&mut conn, key)?;
        let tx = conn.transaction()?;
        check_head(&tx, key)?;
        let holds = integrity::stored_holds(&tx, key, subject)?;
        tx.commit()?;
        Ok(holds)
    }
}

impl RetentionStore for SqliteStore {
    fn is_shredded(
        &self,
        subject_ref: &SubjectRef,
        key: &IntegrityKey,
    ) -> Result<bool, StoreError> {
        let mut conn = self.conn()?;
        self.adopt_retention(&mut conn, key)?;
        let tx = conn.transaction()?;
        check_head(&tx, key)?;
        let shredded = integrity::authentic_tombstone(&tx, key, subject_ref)?;
        tx.commit()?;
        Ok(shredded)
    }

    fn shred(
        &self,
        subject: &SubjectId,
        subject_ref: &SubjectRef,
        now: DateTime<Utc>,
        key: &IntegrityKey,
    ) -> Result<Option<ShredCounts>, StoreError> {
        let mut conn = self.conn()?;
        self.adopt_retention(&mut conn, key)?;
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let mut counts = check_head(&tx, key)?;
        let holds = authentic_holds(&tx, key, Some(subject))?;
        if super::retention::bound(&tx, subject, now)? {
            return Ok(None);
        }
        let destroyed = tx.execute(
            "DELETE FROM subject_keys WHERE subject = ?1",
            params![subject.as_str()],
        )?;
        let escrows = tx.execute(
            "DELETE FROM named_keys WHERE kind = 'escrow' AND name = ?1",
            params![subject.as_str()],
        )?;
        tx.execute(
            "DELETE FROM named_keys WHERE kind = 'pseudonym' AND name = ?1",
            params![subject.as_str()],
        )?;
        let (anchor_keys, events) = super::anchors::shred_anchor_keys(&tx, subject)?;
        // A tombstone only for a subject that had something to erase (key material or
        // hold records): erasing ids that never existed does not grow the store. A
        // first seal committed after this transaction is new data (docs/retention.md).
        let mut tombstone = integrity::authentic_tombstone(&tx, key, subject_ref)?;
        let anchored = anchor_keys > 0 || events > 0;
        if !tombstone && (destroyed > 0 || escrows > 0 || !holds.is_empty() || anchored) {
            integrity::insert_tombstone(&tx, key, subject_ref, to_micros(now))?;
            counts.tombstones += 1;
            tombstone = true;
        }
        // Allowed by the trigger now that the tombstone exists.
        if events > 0 {
            super::anchors::delete_events(&tx, subject)?;
        }
        // Holds stay as the record of legal process, without naming the subject.
        for mut hold in holds {
            hold.subject = HoldSubject::Erased(subject_ref.clone());
            tx.execute(
                "UPDATE legal_holds SET subject = '', erased_ref = ?1, mac = ?2 WHERE id = ?3",
                params![
                    subject_ref.as_str(),
                    &key.hold_mac(&hold)[..],
                    hold.id.as_str()
                ],
            )?;
            counts.erased += 1;
        }
        write_head(&tx, key, &counts)?;
        tx.commit()?;
        self.purge_after_delete(&conn);
        Ok(Some(ShredCounts {
            keys: destroyed,
            escrows,
            tombstone,
        }))
    }

    fn retire_versions(
        &self,
        subject: &SubjectId,
        below: u32,
        now: DateTime<Utc>,
        key: &IntegrityKey,
    ) -> Result<Option<usize>, StoreError> {
        let mut conn = self.conn()?;
        self.adopt_retention(&mut conn, key)?;
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        check_head(&tx, key)?;
        authentic_holds(&tx, key, Some(subject))?;
        if bound(&tx, subject, now)? {
            return Ok(None);
        }
        let destroyed = tx.execute(
            "DELETE FROM subject_keys WHERE subject = ?1 AND version < ?2
             AND version < (SELECT MAX(version) FROM subject_keys WHERE subject = ?1)",
            params![subject.as_str(), below],
        )?;
        tx.commit()?;
        // As for a shred: no page image of the deleted rows stays in the WAL (or the
        // purge is left pending and retried, `mod.rs`).
        self.purge_after_delete(&conn);
        Ok(Some(destroyed))
    }

    fn swept_before(&self) -> Result<u32, StoreError> {
        let conn = self.conn()?;
        let before: i64 =
            conn.query_row("SELECT swept_before FROM sweep_state", [], |r| r.get(0))?;
        u32::try_from(before).map_err(|_| StoreError::Corrupt {
            what: "sweep watermark",
        })
    }

    fn epochs_before(&self, before: u32) -> Result<Vec<u32>, StoreError> {
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

    fn sweep_epochs(
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

    fn verify_retention(&self, key: &IntegrityKey) -> Result<RetentionCounts, StoreError> {
        // Full verification: the head, the counts, and every hold's and tombstone's MAC.
        let mut conn = self.conn()?;
        self.adopt_retention(&mut conn, key)?;
        let tx = conn.transaction()?;
        let counts = check_head(&tx, key)?;
        authentic_holds(&tx, key, None)?;
        integrity::check_tombstones(&tx, key)?;
        super::anchors::check_events(&tx, key)?;
        tx.commit()?;
        Ok(counts)
    }

    fn record_event(
        &self,
        event: &AnchorEvent,
        subject_ref: &SubjectRef,
        key: &IntegrityKey,
    ) -> Result<bool, StoreError> {
        let mut conn = self.conn()?;
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        if tombstoned(&tx, subject_ref)? {
            return Ok(false);
        }
        tx.execute(
            "INSERT INTO anchor_events (subject, subject_ref, anchor, at_us, recorded_us, mac)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                event.subject.as_str(),
                subject_ref.as_str(),
                i64::from(event.anchor.id()),
                to_micros(event.at),
                to_micros(event.recorded_at),
                &key.event_mac(event, subject_ref)[..]
            ],
        )?;
        super::anchors::schedule(&tx, &event.subject)?;
        tx.commit()?;
        Ok(true)
    }

    fn events(
        &self,
        subject: &SubjectId,
        _: &SubjectRef,
        key: &IntegrityKey,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        let conn = self.conn()?;
        super::anchors::stored_events(&conn, subject, key)
    }

    fn sweep_anchor_keys(
        &self,
        now: DateTime<Utc>,
        key: &IntegrityKey,
    ) -> Result<Vec<SubjectId>, StoreError> {
        let mut conn = self.conn()?;
        self.adopt_retention(&mut conn, key)?;
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        // Fail closed, as for epochs: the holds that keep keys are the vault's, all.
        check_head(&tx, key)?;
        authentic_holds(&tx, key, None)?;
        let mut destroyed: Vec<SubjectId> = Vec::new();
        let mut deleted = 0;
        let mut events: Option<(SubjectId, Vec<AnchorEvent>)> = None;
        for (subject, code) in super::anchors::due_candidates(&tx, now)? {
            if events.as_ref().is_none_or(|(s, _)| *s != subject) {
                let recorded = super::anchors::authentic_events(&tx, &subject, key)?;
                events = Some((subject.clone(), recorded));
            }
            let recorded = events.as_ref().map_or(&[][..], |(_, e)| &e[..]);
            let due = anchored_end(code, recorded).is_some_and(|end| end <= now.timestamp());
            if !due || bound(&tx, &subject, now)? {
                continue;
            }
            deleted += tx.execute(
                "DELETE FROM named_keys WHERE kind = 'anchor' AND name = ?1 AND number = ?2",
                params![subject.as_str(), i64::from(code)],
            )?;
            if !destroyed.contains(&subject) {
                destroyed.push(subject);
            }
        }
        tx.commit()?;
        if deleted > 0 {
            self.purge_after_delete(&conn);
        }
        Ok(destroyed)
    }

    fn purge_journal(&self) -> Result<JournalPurge, StoreError> {
        // Retries a purge left pending by a deletion through this handle.
        if !self
            .purge_pending
            .load(std::sync::atomic::Ordering::Acquire)
        {
            return Ok(JournalPurge::Complete);
        }
        let conn = self.conn()?;
        Ok(self.purge(&conn))
    }
}
