//! The erasure side of [`ConsentStore`](crate::consent::ConsentStore) on SQLite: a
//! subject's events replaced by one chained erasure event (the removed links kept, so
//! the chain still verifies), the erasure read back and authenticated, and kept
//! evidence purged at its date. Called by the trait implementation in `consent.rs`.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, TransactionBehavior, params};

use super::consent_rows::{
    COLUMNS, ErasureRow, NCOL, PREV_LINK, authentic_row, corrupt, erased_in, head, link, position,
    removed_of,
};
use super::{SqliteStore, from_micros, to_micros};
use crate::consent::{ConsentErased, ConsentEvent, EvidenceKey, EvidenceRef, StoredErasure};
use crate::store::StoreError;
use crate::subject::SubjectId;

impl SqliteStore {
    /// [`ConsentStore::erase`](crate::consent::ConsentStore::erase): the subject's
    /// events authenticated, replaced by one chained erasure event, the removed links
    /// kept; then the journal purged.
    pub(super) fn erase_consent(
        &self,
        subject: &SubjectId,
        at: DateTime<Utc>,
        keep_until: DateTime<Utc>,
        key: &EvidenceKey,
    ) -> Result<Option<u64>, StoreError> {
        let mut conn = self.conn()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let reference = key.subject_ref(subject);
        if erased_in(&tx, &reference)? {
            return Ok(None);
        }
        // The subject's events, each authenticated before its link is vouched for by
        // the erasure (or a forged row's link would be laundered into the chain).
        let rows: Vec<(u64, [u8; 32], ConsentEvent)> = {
            let mut stmt = tx.prepare(&format!(
                "SELECT {COLUMNS}, e.seq, e.mac, {PREV_LINK} FROM consent_events e
                 WHERE e.subject = ?1 ORDER BY e.seq"
            ))?;
            let mut rows = stmt.query(params![subject.as_str()])?;
            let mut out = Vec::new();
            let mut streams: HashMap<String, u64> = HashMap::new();
            while let Some(row) = rows.next()? {
                let purpose: String = row.get(1)?;
                let stream_prev = streams.get(&purpose).copied().unwrap_or(0);
                let (seq, event) = authentic_row(row, stream_prev, key)?;
                let mac = link(row.get(NCOL + 1)?).ok_or(corrupt("consent event link"))?;
                streams.insert(purpose, seq);
                out.push((seq, mac, event));
            }
            out
        };
        let (erased, kept) = crate::consent::erasure_of(reference, &rows, at, keep_until)?;
        let (last, prev) = head(&tx)?;
        let seq = last
            .checked_add(1)
            .ok_or(corrupt("consent event position"))?;
        let event = ConsentEvent::Erased(erased);
        let mac = key.event_mac(&prev, seq, 0, &event);
        let seq_sql = i64::try_from(seq).map_err(|_| corrupt("consent event position"))?;
        let ConsentEvent::Erased(erased) = &event else {
            return Err(corrupt("consent erasure"));
        };
        tx.execute(
            "INSERT INTO consent_events (seq, subject, purpose, kind, at_us, subject_ref,
                 keep_until_us, kept_sha256, kept, mac)
             VALUES (?1, NULL, '', 'erased', ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                seq_sql,
                to_micros(erased.at),
                &erased.subject.0[..],
                to_micros(erased.keep_until),
                &erased.kept_sha256[..],
                kept,
                &mac[..],
            ],
        )?;
        for (removed, link, _) in &rows {
            tx.execute(
                "INSERT INTO consent_removed (seq, mac, erased_seq) VALUES (?1, ?2, ?3)",
                params![
                    i64::try_from(*removed).map_err(|_| corrupt("consent event position"))?,
                    &link[..],
                    seq_sql
                ],
            )?;
        }
        tx.execute(
            "DELETE FROM consent_events WHERE subject = ?1",
            params![subject.as_str()],
        )?;
        tx.commit()?;
        // The removed rows' old page images in the write-ahead log go too (deleted
        // content is zeroed in the file by `secure_delete`).
        self.purge_after_delete(&conn);
        Ok(Some(seq))
    }

    /// [`ConsentStore::erasure`](crate::consent::ConsentStore::erasure): the erasure
    /// event of `subject`, authenticated with its kept evidence.
    pub(super) fn consent_erasure(
        &self,
        subject: &EvidenceRef,
        key: &EvidenceKey,
    ) -> Result<Option<StoredErasure>, StoreError> {
        let conn = self.conn()?;
        let row: Option<ErasureRow> = conn
            .query_row(
                &format!(
                    "SELECT e.seq, e.at_us, e.keep_until_us, e.kept_sha256, e.kept, e.mac,
                         {PREV_LINK}
                     FROM consent_events e WHERE e.kind = 'erased' AND e.subject_ref = ?1"
                ),
                params![&subject.0[..]],
                |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                        r.get(6)?,
                    ))
                },
            )
            .optional()?;
        let Some((seq, at, keep_until, sha, kept, mac, prev)) = row else {
            return Ok(None);
        };
        let seq = position(seq)?;
        let event = ConsentErased {
            subject: *subject,
            at: from_micros(at)?,
            keep_until: from_micros(keep_until)?,
            kept_sha256: <[u8; 32]>::try_from(sha.as_slice())
                .map_err(|_| corrupt("kept evidence digest"))?,
            removed: removed_of(&conn, seq)?,
        };
        let event = ConsentEvent::Erased(event);
        let prev = match seq {
            1 => Some([0u8; 32]),
            _ => link(prev),
        };
        let genuine = match (prev, link(mac)) {
            (Some(prev), Some(mac)) => key.event_authentic(&prev, seq, 0, &event, &mac),
            _ => false,
        };
        let ConsentEvent::Erased(event) = event else {
            return Err(corrupt("consent erasure"));
        };
        let kept_genuine = kept.as_ref().is_none_or(|k| {
            ring::digest::digest(&ring::digest::SHA256, k).as_ref() == event.kept_sha256
        });
        if !genuine || !kept_genuine {
            return Err(StoreError::Tampered {
                what: "consent erasure (forged, edited, moved, or the one before it deleted)",
                position: seq,
            });
        }
        Ok(Some(StoredErasure {
            position: seq,
            event,
            kept,
        }))
    }

    /// [`ConsentStore::purge_kept`](crate::consent::ConsentStore::purge_kept): kept
    /// evidence past its date dropped, then the journal purged.
    pub(super) fn purge_kept_consent(&self, now: DateTime<Utc>) -> Result<u64, StoreError> {
        let conn = self.conn()?;
        let purged = conn.execute(
            "UPDATE consent_events SET kept = NULL
             WHERE kind = 'erased' AND kept IS NOT NULL AND keep_until_us <= ?1",
            params![to_micros(now)],
        )?;
        if purged > 0 {
            self.purge_after_delete(&conn);
        }
        Ok(purged as u64)
    }
}
