//! [`KeyStore`] on SQLite: wrapped subject keys and shredded-subject tombstones.
//!
//! A shred deletes the rows in one transaction (with `secure_delete`, SQLite overwrites
//! the deleted cells with zeroes), then runs `PRAGMA wal_checkpoint(TRUNCATE)`: the
//! write-ahead log, which still holds the page images that contained the key, is copied
//! into the database and truncated to zero bytes. If a reader keeps the checkpoint from
//! completing, the shred still stands; the purge is left pending (`mod.rs`).
//!
//! Tombstones are the subject's keyed reference (`SubjectRef`), never the id or an
//! unkeyed hash of it; each carries a MAC, and the store refuses to answer from
//! tombstones that are missing or do not verify (`integrity.rs`).
//!
//! Retiring old key versions (`retire_versions`) deletes and purges the same way.

use rusqlite::{OptionalExtension, Row, params};

use super::{SqliteStore, to_micros};
use chrono::{DateTime, Utc};

use super::integrity::{self, authentic_holds, check_head, write_head};
use crate::keys::{KeyName, KeyStore, StoredKey, WrappedKey};
use crate::retention::{
    AnchorEvent, EpochSweep, HoldId, HoldSubject, IntegrityKey, JournalPurge, LegalHold,
    QueuedErasure, RetentionCounts, ShredCounts, StoredException, SubjectRef,
};
use crate::store::StoreError;
use crate::subject::SubjectId;

fn key_from_row(row: &Row<'_>) -> Result<StoredKey, StoreError> {
    Ok(StoredKey {
        subject: SubjectId::new(row.get::<_, String>(0)?)
            .map_err(|_| StoreError::Corrupt { what: "subject id" })?,
        version: row.get(1)?,
        master_id: row.get(2)?,
        wrapped: row.get(3)?,
    })
}

const KEY_COLUMNS: &str = "subject, version, master_id, wrapped";

impl KeyStore for SqliteStore {
    fn latest(&self, subject: &SubjectId) -> Result<Option<StoredKey>, StoreError> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {KEY_COLUMNS} FROM subject_keys WHERE subject = ?1 ORDER BY version DESC LIMIT 1"
        ))?;
        let mut rows = stmt.query(params![subject.as_str()])?;
        rows.next()?.map(key_from_row).transpose()
    }

    fn get(&self, subject: &SubjectId, version: u32) -> Result<Option<StoredKey>, StoreError> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {KEY_COLUMNS} FROM subject_keys WHERE subject = ?1 AND version = ?2"
        ))?;
        let mut rows = stmt.query(params![subject.as_str(), version])?;
        rows.next()?.map(key_from_row).transpose()
    }

    fn insert(
        &self,
        key: &StoredKey,
        subject_ref: &SubjectRef,
    ) -> Result<Option<StoredKey>, StoreError> {
        let mut conn = self.conn()?;
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        if super::retention::tombstoned(&tx, subject_ref)? {
            return Ok(None);
        }
        // The vault checked the tombstones with its key before asking; a tombstone
        // deleted since still shows here, as a count short of the head.
        integrity::tombstones_complete(&tx)?;
        tx.execute(
            "INSERT INTO subject_keys (subject, version, master_id, wrapped, created_us)
             VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (subject, version) DO NOTHING",
            params![
                key.subject.as_str(),
                key.version,
                key.master_id,
                key.wrapped,
                to_micros(chrono::Utc::now())
            ],
        )?;
        let stored = tx
            .query_row(
                &format!(
                    "SELECT {KEY_COLUMNS} FROM subject_keys WHERE subject = ?1 AND version = ?2"
                ),
                params![key.subject.as_str(), key.version],
                |row| Ok(key_from_row(row)),
            )
            .optional()?
            .transpose()?;
        tx.commit()?;
        self.purge_if_pending(&conn);
        Ok(stored)
    }

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

    fn retire_versions(&self, subject: &SubjectId, below: u32) -> Result<usize, StoreError> {
        let mut conn = self.conn()?;
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let destroyed = tx.execute(
            "DELETE FROM subject_keys WHERE subject = ?1 AND version < ?2
             AND version < (SELECT MAX(version) FROM subject_keys WHERE subject = ?1)",
            params![subject.as_str(), below],
        )?;
        tx.commit()?;
        // As for a shred: no page image of the deleted rows stays in the WAL (or the
        // purge is left pending and retried, `mod.rs`).
        self.purge_after_delete(&conn);
        Ok(destroyed)
    }

    fn wrapped_by_other(
        &self,
        master_id: &str,
        limit: usize,
    ) -> Result<Vec<StoredKey>, StoreError> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {KEY_COLUMNS} FROM subject_keys WHERE master_id <> ?1 LIMIT ?2"
        ))?;
        let mut rows = stmt.query(params![master_id, i64::try_from(limit).unwrap_or(i64::MAX)])?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            out.push(key_from_row(row)?);
        }
        Ok(out)
    }

    fn rewrap(&self, old_master_id: &str, new: &StoredKey) -> Result<bool, StoreError> {
        let conn = self.conn()?;
        // The old wrapping stays in the write-ahead log until a checkpoint.
        self.purge_pending
            .store(true, std::sync::atomic::Ordering::Release);
        let changed = conn.execute(
            "UPDATE subject_keys SET master_id = ?1, wrapped = ?2
             WHERE subject = ?3 AND version = ?4 AND master_id = ?5",
            params![
                new.master_id,
                new.wrapped,
                new.subject.as_str(),
                new.version,
                old_master_id
            ],
        )?;
        Ok(changed == 1)
    }

    // Retention: named keys, the sweep watermark and holds, in `retention.rs`.

    fn wrapped(&self, name: &KeyName) -> Result<Option<WrappedKey>, StoreError> {
        self.named_key(name)
    }

    fn insert_wrapped(
        &self,
        name: &KeyName,
        key: &WrappedKey,
        subject_ref: Option<&SubjectRef>,
    ) -> Result<Option<WrappedKey>, StoreError> {
        self.insert_named_key(name, key, subject_ref)
    }

    fn swept_before(&self) -> Result<u32, StoreError> {
        self.watermark()
    }

    fn epochs_before(&self, before: u32) -> Result<Vec<u32>, StoreError> {
        self.epoch_keys_before(before)
    }

    fn sweep_epochs(
        &self,
        before: u32,
        now: DateTime<Utc>,
        key: &IntegrityKey,
    ) -> Result<EpochSweep, StoreError> {
        self.destroy_epochs_before(before, now, key)
    }

    fn named_wrapped_by_other(
        &self,
        master_id: &str,
        limit: usize,
    ) -> Result<Vec<(KeyName, WrappedKey)>, StoreError> {
        self.named_keys_by_other(master_id, limit)
    }

    fn rewrap_named(
        &self,
        old_master_id: &str,
        name: &KeyName,
        new: &WrappedKey,
    ) -> Result<bool, StoreError> {
        self.swap_named_key(old_master_id, name, new)
    }

    fn place_hold(
        &self,
        hold: &LegalHold,
        subject_ref: &SubjectRef,
        key: &IntegrityKey,
    ) -> Result<bool, StoreError> {
        self.insert_hold(hold, subject_ref, key)
    }

    fn release_hold(
        &self,
        id: &HoldId,
        at: DateTime<Utc>,
        key: &IntegrityKey,
    ) -> Result<Option<LegalHold>, StoreError> {
        self.mark_released(id, at, key)
    }

    fn holds(
        &self,
        subject: Option<&SubjectId>,
        key: &IntegrityKey,
    ) -> Result<Vec<LegalHold>, StoreError> {
        self.list_holds(subject, key)
    }

    fn verify_retention(&self, key: &IntegrityKey) -> Result<RetentionCounts, StoreError> {
        self.verify_retention_records(key)
    }

    fn insert_exception(&self, kept: &StoredException) -> Result<(), StoreError> {
        self.store_exception(kept)
    }

    fn exception(
        &self,
        subject: &SubjectId,
        version: u32,
        category: &str,
    ) -> Result<Option<StoredException>, StoreError> {
        self.load_exception(subject, version, category)
    }

    fn end_exceptions(&self, now: DateTime<Utc>) -> Result<usize, StoreError> {
        self.delete_ended_exceptions(now)
    }

    fn queue_erasure(&self, queued: &QueuedErasure) -> Result<(), StoreError> {
        self.store_queued_erasure(queued)
    }

    fn queued_erasures(&self) -> Result<Vec<QueuedErasure>, StoreError> {
        self.load_queued_erasures()
    }

    fn dequeue_erasure(&self, subject: &SubjectId) -> Result<(), StoreError> {
        self.delete_queued_erasure(subject)
    }

    fn record_event(
        &self,
        event: &AnchorEvent,
        subject_ref: &SubjectRef,
        key: &IntegrityKey,
    ) -> Result<bool, StoreError> {
        self.insert_event(event, subject_ref, key)
    }

    fn events(
        &self,
        subject: &SubjectId,
        _: &SubjectRef,
        key: &IntegrityKey,
    ) -> Result<Vec<AnchorEvent>, StoreError> {
        self.events_of(subject, key)
    }

    fn sweep_anchor_keys(
        &self,
        now: DateTime<Utc>,
        key: &IntegrityKey,
    ) -> Result<Vec<SubjectId>, StoreError> {
        self.destroy_due_anchor_keys(now, key)
    }

    fn purge_journal(&self) -> Result<JournalPurge, StoreError> {
        self.purge_pending_journal()
    }
}
