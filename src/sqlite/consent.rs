//! [`ConsentStore`] on SQLite: append-only event and notice-floor tables (enforced by
//! triggers), each row a link of the keyed chain (`consent/chain.rs`).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, TransactionBehavior, params};

use super::consent_rows::{
    COLUMNS, ErasureRow, NCOL, PREV_LINK, authentic_row, corrupt, erased_in, event_from_row, head,
    link, next_links_over, notice_from_row, notice_in, position, raise_floor, removed_of,
};
use super::{SqliteStore, from_micros, to_micros};
use crate::consent::{
    ChainedEvent, ChainedFloor, ChainedNotice, ConsentErased, ConsentEvent, ConsentStatus,
    ConsentStore, EvidenceKey, EvidenceRef, RegisteredNotice, StoredErasure,
};
use crate::store::StoreError;
use crate::subject::SubjectId;

impl ConsentStore for SqliteStore {
    fn append(&self, event: &ConsentEvent, key: &EvidenceKey) -> Result<u64, StoreError> {
        let mut conn = self.conn()?;
        // The chain's end is read and extended in one write transaction, so writers in
        // other connections and processes extend one chain.
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        // A row from before schema 8 must be adopted first, or the chain would start
        // from a link nobody computed.
        let (last, prev) = head(&tx)?;
        let seq = last
            .checked_add(1)
            .ok_or(corrupt("consent event position"))?;
        let Some(subject) = event.subject() else {
            return Err(corrupt("an erasure is appended by `erase`, not `append`"));
        };
        if erased_in(&tx, &key.subject_ref(subject))? {
            return Err(StoreError::SubjectErased);
        }
        let stream_prev: Option<i64> = tx.query_row(
            "SELECT max(seq) FROM consent_events WHERE subject = ?1 AND purpose = ?2",
            params![subject.as_str(), event.purpose()],
            |r| r.get(0),
        )?;
        let stream_prev = stream_prev.map(position).transpose()?.unwrap_or(0);
        let mac = key.event_mac(&prev, seq, stream_prev, event);
        let seq_sql = i64::try_from(seq).map_err(|_| corrupt("consent event position"))?;
        match event {
            ConsentEvent::Given(g) => tx.execute(
                "INSERT INTO consent_events (seq, subject, purpose, kind, at_us, channel,
                     notice_id, notice_version, notice_sha256, method, expires_us, mac,
                     actor_kind, actor_id, actor_role, recorded_us, explicit, parental_ref,
                     contact_ref, form_ref, scope)
                 VALUES (?1, ?2, ?3, 'given', ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13,
                     ?14, ?15, ?16, ?17, ?18, ?19, ?20)",
                params![
                    seq_sql,
                    g.subject.as_str(),
                    g.purpose,
                    to_micros(g.at),
                    g.channel.as_str(),
                    g.notice.id,
                    g.notice.version,
                    &g.notice.text_sha256[..],
                    g.method.as_str(),
                    g.expires_at.map(to_micros),
                    &mac[..],
                    g.recorded_by.kind().as_str(),
                    g.recorded_by.id(),
                    g.recorded_by.role(),
                    to_micros(g.recorded_at),
                    g.explicit,
                    g.parental.as_ref().map(|r| &r.0[..]),
                    g.contact.as_ref().map(|r| &r.0[..]),
                    g.form_ref,
                    g.scope
                        .as_ref()
                        .map(serde_json::to_string)
                        .transpose()
                        .map_err(|_| corrupt("consent scope"))?,
                ],
            )?,
            ConsentEvent::Withdrawn(w) => tx.execute(
                "INSERT INTO consent_events (seq, subject, purpose, kind, at_us, channel,
                     actor_kind, actor_id, actor_role, mac)
                 VALUES (?1, ?2, ?3, 'withdrawn', ?4, ?5, ?6, ?7, ?8, ?9)",
                params![
                    seq_sql,
                    w.subject.as_str(),
                    w.purpose,
                    to_micros(w.at),
                    w.channel.as_str(),
                    w.by.kind().as_str(),
                    w.by.id(),
                    w.by.role(),
                    &mac[..],
                ],
            )?,
            ConsentEvent::Confirmed(c) => tx.execute(
                "INSERT INTO consent_events (seq, subject, purpose, kind, at_us, mac)
                 VALUES (?1, ?2, ?3, 'confirmed', ?4, ?5)",
                params![
                    seq_sql,
                    c.subject.as_str(),
                    c.purpose,
                    to_micros(c.at),
                    &mac[..]
                ],
            )?,
            ConsentEvent::Erased(_) => {
                return Err(corrupt("an erasure is appended by `erase`, not `append`"));
            }
        };
        tx.commit()?;
        Ok(seq)
    }

    fn status(
        &self,
        subject: &SubjectId,
        purpose: &str,
        key: &EvidenceKey,
    ) -> Result<Option<ConsentStatus>, StoreError> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {COLUMNS}, e.seq, e.mac, {PREV_LINK} FROM consent_events e
             WHERE e.subject = ?1 AND e.purpose = ?2 ORDER BY e.seq"
        ))?;
        let mut rows = stmt.query(params![subject.as_str(), purpose])?;
        let mut events = Vec::new();
        let mut stream_prev = 0u64;
        let mut last_link = None;
        while let Some(row) = rows.next()? {
            // Every event the decision rests on must authenticate, in its place and
            // after the stream's previous event: a forged, edited or moved row, or a
            // deleted one among them, refuses the decision.
            let (seq, event) = authentic_row(row, stream_prev, key)?;
            last_link = link(row.get(NCOL + 1)?);
            stream_prev = seq;
            events.push(event);
        }
        drop(rows);
        // And the row after the last of them links over it: deleting the pair's
        // newest event (its withdrawal) leaves the pair's rows authentic, but not that.
        if let Some(mac) = last_link {
            next_links_over(&conn, stream_prev, &mac, key)?;
        }
        Ok(ConsentStatus::fold(purpose, &events).map(|mut s| {
            s.last_position = stream_prev;
            s
        }))
    }

    fn history(&self, subject: &SubjectId) -> Result<Vec<ConsentEvent>, StoreError> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM consent_events e WHERE e.subject = ?1 ORDER BY e.seq"
        ))?;
        let mut rows = stmt.query(params![subject.as_str()])?;
        let mut events = Vec::new();
        while let Some(row) = rows.next()? {
            events.push(event_from_row(row)?);
        }
        Ok(events)
    }

    fn notice_floor(
        &self,
        purpose: &str,
        notice: &str,
        key: &EvidenceKey,
    ) -> Result<u32, StoreError> {
        let conn = self.conn()?;
        // Floors from before schema 8, frozen by triggers since.
        let legacy: Option<u32> = conn
            .query_row(
                "SELECT version FROM notice_floors WHERE purpose = ?1",
                params![purpose],
                |r| r.get(0),
            )
            .optional()?;
        // Every raise for the purpose's notice (and for all its notices) is checked,
        // not only the highest: a raise edited downwards must not let a lower genuine
        // one stand in for it.
        let mut stmt = conn.prepare_cached(
            "SELECT f.seq, f.version, f.mac, p.mac, f.notice_id FROM notice_floor_log f
             LEFT JOIN notice_floor_log p ON p.seq = f.seq - 1
             WHERE f.purpose = ?1 AND (f.notice_id IS NULL OR f.notice_id = ?2)",
        )?;
        let mut rows = stmt.query(params![purpose, notice])?;
        let mut floor = legacy.unwrap_or(0);
        while let Some(row) = rows.next()? {
            let seq = position(row.get(0)?)?;
            let version: u32 = row.get(1)?;
            let id: Option<String> = row.get(4)?;
            let prev = match seq {
                1 => Some([0u8; 32]),
                _ => link(row.get(3)?),
            };
            let genuine = match (prev, link(row.get(2)?)) {
                (Some(prev), Some(mac)) => {
                    key.notice_floor_authentic(&prev, seq, purpose, id.as_deref(), version, &mac)
                }
                _ => false,
            };
            if !genuine {
                return Err(StoreError::Tampered {
                    what: "notice floor raise (forged, edited, moved, or the one before it deleted)",
                    position: seq,
                });
            }
            floor = floor.max(version);
        }
        Ok(floor)
    }

    fn raise_notice_floor(
        &self,
        purpose: &str,
        notice: Option<&str>,
        version: u32,
        key: &EvidenceKey,
    ) -> Result<(), StoreError> {
        let mut conn = self.conn()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        raise_floor(&tx, purpose, notice, version, key)?;
        tx.commit()?;
        Ok(())
    }

    fn register_notice(
        &self,
        notice: &RegisteredNotice,
        key: &EvidenceKey,
    ) -> Result<RegisteredNotice, StoreError> {
        let mut conn = self.conn()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        if let Some(existing) = notice_in(
            &tx,
            &notice.purpose,
            &notice.notice.id,
            notice.notice.version,
            key,
        )? {
            return Ok(existing);
        }
        let head: Option<(i64, Vec<u8>)> = tx
            .query_row(
                "SELECT seq, mac FROM consent_notices ORDER BY seq DESC LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let (last, prev) = match head {
            Some((seq, mac)) => (position(seq)?, link(Some(mac)).unwrap_or([0u8; 32])),
            None => (0, [0u8; 32]),
        };
        let seq = last.checked_add(1).ok_or(corrupt("notice position"))?;
        let mac = key.notice_mac(&prev, seq, notice);
        tx.execute(
            "INSERT INTO consent_notices (seq, purpose, notice_id, version, sha256, text,
                 registered_us, mac)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                i64::try_from(seq).map_err(|_| corrupt("notice position"))?,
                notice.purpose,
                notice.notice.id,
                notice.notice.version,
                &notice.notice.text_sha256[..],
                notice.text,
                to_micros(notice.registered_at),
                &mac[..],
            ],
        )?;
        tx.commit()?;
        Ok(notice.clone())
    }

    fn notice(
        &self,
        purpose: &str,
        id: &str,
        version: u32,
        key: &EvidenceKey,
    ) -> Result<Option<RegisteredNotice>, StoreError> {
        let conn = self.conn()?;
        notice_in(&conn, purpose, id, version, key)
    }

    fn erase(
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

    fn erasure(
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

    fn purge_kept(&self, now: DateTime<Utc>) -> Result<u64, StoreError> {
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

    fn link_unlinked(&self, key: &EvidenceKey) -> Result<u64, StoreError> {
        let mut conn = self.conn()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let (first_linked, first_unlinked): (Option<i64>, Option<i64>) = tx.query_row(
            "SELECT min(CASE WHEN mac IS NOT NULL THEN seq END),
                    min(CASE WHEN mac IS NULL THEN seq END) FROM consent_events",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let mut linked = 0u64;
        if let Some(unlinked) = first_unlinked {
            if first_linked.is_some() {
                return Err(StoreError::Tampered {
                    what: "consent event (no link, in a store that already has linked evidence: it cannot be adopted)",
                    position: position(unlinked)?,
                });
            }
            let rows: Vec<(u64, ConsentEvent)> = {
                let mut stmt = tx.prepare(&format!(
                    "SELECT {COLUMNS}, e.seq FROM consent_events e ORDER BY e.seq"
                ))?;
                let mut rows = stmt.query([])?;
                let mut out = Vec::new();
                while let Some(row) = rows.next()? {
                    out.push((position(row.get(NCOL)?)?, event_from_row(row)?));
                }
                out
            };
            let mut prev = [0u8; 32];
            let mut streams: HashMap<(String, SubjectId), u64> = HashMap::new();
            for (seq, event) in rows {
                if seq != linked + 1 {
                    return Err(StoreError::Tampered {
                        what: "consent event (missing: deleted before it could be adopted)",
                        position: linked + 1,
                    });
                }
                let stream = event
                    .subject()
                    .map(|s| (event.purpose().to_owned(), s.clone()))
                    .ok_or(corrupt("an erasure without links"))?;
                let stream_prev = streams.get(&stream).copied().unwrap_or(0);
                let mac = key.event_mac(&prev, seq, stream_prev, &event);
                tx.execute(
                    "UPDATE consent_events SET mac = ?1 WHERE seq = ?2",
                    params![
                        &mac[..],
                        i64::try_from(seq).map_err(|_| corrupt("consent event position"))?
                    ],
                )?;
                streams.insert(stream, seq);
                prev = mac;
                linked += 1;
            }
        }
        let legacy: Vec<(String, u32)> = {
            let mut stmt =
                tx.prepare("SELECT purpose, version FROM notice_floors ORDER BY purpose")?;
            stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<_, _>>()?
        };
        for (purpose, version) in legacy {
            raise_floor(&tx, &purpose, None, version, key)?;
        }
        tx.commit()?;
        Ok(linked)
    }

    fn read_events(&self, from: u64, limit: usize) -> Result<Vec<ChainedEvent>, StoreError> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {COLUMNS}, e.seq, e.mac, e.kept FROM consent_events e
             WHERE e.seq >= ?1 ORDER BY e.seq LIMIT ?2"
        ))?;
        let from = i64::try_from(from).unwrap_or(i64::MAX);
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut rows = stmt.query(params![from, limit])?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            let seq = position(row.get(NCOL)?)?;
            let mut event = event_from_row(row)?;
            if let ConsentEvent::Erased(e) = &mut event {
                e.removed = removed_of(&conn, seq)?;
            }
            out.push(ChainedEvent {
                event,
                seq,
                mac: link(row.get(NCOL + 1)?),
                kept: row.get(NCOL + 2)?,
            });
        }
        Ok(out)
    }

    fn read_floors(&self, from: u64, limit: usize) -> Result<Vec<ChainedFloor>, StoreError> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare_cached(
            "SELECT seq, purpose, version, mac, notice_id FROM notice_floor_log
             WHERE seq >= ?1 ORDER BY seq LIMIT ?2",
        )?;
        let from = i64::try_from(from).unwrap_or(i64::MAX);
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut rows = stmt.query(params![from, limit])?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            let seq = position(row.get(0)?)?;
            out.push(ChainedFloor {
                seq,
                purpose: row.get(1)?,
                notice: row.get(4)?,
                version: row.get(2)?,
                // A link of the wrong length cannot authenticate: all zeros fails.
                mac: link(row.get(3)?).unwrap_or([0u8; 32]),
            });
        }
        Ok(out)
    }

    fn read_notices(&self, from: u64, limit: usize) -> Result<Vec<ChainedNotice>, StoreError> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare_cached(
            "SELECT seq, purpose, notice_id, version, sha256, text, registered_us, mac
             FROM consent_notices WHERE seq >= ?1 ORDER BY seq LIMIT ?2",
        )?;
        let from = i64::try_from(from).unwrap_or(i64::MAX);
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut rows = stmt.query(params![from, limit])?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            out.push(ChainedNotice {
                seq: position(row.get(0)?)?,
                notice: notice_from_row(row, 1)?,
                mac: link(row.get(7)?).unwrap_or([0u8; 32]),
            });
        }
        Ok(out)
    }
}
