//! Event anchors on SQLite, the row-level half of
//! [`RetentionStore`](crate::retention::RetentionStore)'s `record_event`, `events` and
//! `sweep_anchor_keys` (`retention.rs`): recorded events (`anchor_events`, schema step 15) and the sweep of anchor keys
//! (`named_keys` rows of kind `anchor`: `name` the subject, `number` the header code).
//! See `docs/retention.md`, "Periods from an event".
//!
//! Each event row carries a MAC under the vault's `retention-integrity` secret over
//! subject, reference, anchor and times; triggers keep the table append-only until the
//! subject's erasure. The sweep reads the events, the holds and the anchor keys in the
//! one `IMMEDIATE` transaction that destroys keys, so an event or hold recorded by
//! another process is seen or waits. It selects candidates by `named_keys.due_us`
//! (set when an event is recorded or an anchor key created) and decides by the
//! authenticated events.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, params};

use super::{from_micros, to_micros};
use crate::retention::{Anchor, AnchorEvent, IntegrityKey, StoredEvent, from_anchor_code};
use crate::store::StoreError;
use crate::subject::{SubjectId, SubjectRef};

/// What a forged or edited event row is reported as.
const TAMPERED: StoreError = StoreError::RetentionTampered {
    what: "an anchor event record does not verify: it was forged or edited",
};

/// The subject's events, oldest first, each checked with `key`.
pub(super) fn authentic_events(
    conn: &Connection,
    subject: &SubjectId,
    key: &IntegrityKey,
) -> Result<Vec<AnchorEvent>, StoreError> {
    Ok(stored_events(conn, subject, key)?
        .into_iter()
        .map(|e| e.event)
        .collect())
}

/// The subject's events with their MACs, oldest first, each checked with `key`.
pub(super) fn stored_events(
    conn: &Connection,
    subject: &SubjectId,
    key: &IntegrityKey,
) -> Result<Vec<StoredEvent>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT subject_ref, anchor, at_us, recorded_us, mac FROM anchor_events
         WHERE subject = ?1 ORDER BY seq",
    )?;
    let mut rows = stmt.query(params![subject.as_str()])?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        let reference = SubjectRef::from_stored(row.get::<_, String>(0)?);
        let anchor = u8::try_from(row.get::<_, i64>(1)?)
            .ok()
            .and_then(Anchor::from_id)
            .ok_or(TAMPERED)?;
        let event = AnchorEvent {
            subject: subject.clone(),
            anchor,
            at: from_micros(row.get(2)?)?,
            recorded_at: from_micros(row.get(3)?)?,
        };
        let mac: Option<Vec<u8>> = row.get(4)?;
        let Some(mac) = mac.filter(|m| key.event_authentic(&event, &reference, Some(m))) else {
            return Err(TAMPERED);
        };
        out.push(StoredEvent { event, mac });
    }
    Ok(out)
}

/// Sets when each of the subject's anchor keys falls due (`due_us`), from the latest
/// event recorded for its anchor: the index the sweep selects candidates by. Read
/// without checking MACs; the sweep checks the events before it destroys, so a forged
/// due time destroys nothing early, and an edited one only delays.
pub(super) fn schedule(conn: &Connection, subject: &SubjectId) -> Result<(), StoreError> {
    let mut codes: Vec<i64> = Vec::new();
    {
        let mut stmt = conn
            .prepare_cached("SELECT number FROM named_keys WHERE kind = 'anchor' AND name = ?1")?;
        let mut rows = stmt.query(params![subject.as_str()])?;
        while let Some(row) = rows.next()? {
            codes.push(row.get(0)?);
        }
    }
    for code in codes {
        let Some((anchor, period)) = u32::try_from(code).ok().and_then(from_anchor_code) else {
            continue;
        };
        let latest: Option<i64> = conn.query_row(
            "SELECT max(at_us) FROM anchor_events WHERE subject = ?1 AND anchor = ?2",
            params![subject.as_str(), i64::from(anchor.id())],
            |r| r.get(0),
        )?;
        let due = latest
            .and_then(|us| period.after(us.div_euclid(1_000_000)))
            .and_then(|end| end.checked_mul(1_000_000));
        conn.execute(
            "UPDATE named_keys SET due_us = ?3 WHERE kind = 'anchor' AND name = ?1 AND number = ?2",
            params![subject.as_str(), code, due],
        )?;
    }
    Ok(())
}

/// Checks every event record with `key` (for `verify_retention`).
pub(super) fn check_events(conn: &Connection, key: &IntegrityKey) -> Result<(), StoreError> {
    let mut subjects = Vec::new();
    {
        let mut stmt = conn.prepare("SELECT DISTINCT subject FROM anchor_events")?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            subjects.push(SubjectId::new(row.get::<_, String>(0)?).map_err(|_| TAMPERED)?);
        }
    }
    for subject in &subjects {
        authentic_events(conn, subject, key)?;
    }
    Ok(())
}

/// At a subject's erasure, in its transaction: destroys their anchor keys; returns how
/// many keys and event records they had. The events themselves are deleted by
/// [`delete_events`] once the tombstone exists (the DELETE trigger requires it).
pub(super) fn shred_anchor_keys(
    conn: &Connection,
    subject: &SubjectId,
) -> Result<(usize, usize), StoreError> {
    // Kept while an erasure exception of the subject lasts: the kept category key
    // needs it, and without a subject key it opens no other category. The sweep that
    // ends the last exception deletes it (`delete_orphan_anchor_keys`).
    let keys = conn.execute(
        "DELETE FROM named_keys WHERE kind = 'anchor' AND name = ?1
         AND NOT EXISTS (SELECT 1 FROM erasure_exceptions WHERE subject = ?1)",
        params![subject.as_str()],
    )?;
    let events: i64 = conn.query_row(
        "SELECT count(*) FROM anchor_events WHERE subject = ?1",
        params![subject.as_str()],
        |r| r.get(0),
    )?;
    Ok((keys, usize::try_from(events).unwrap_or(usize::MAX)))
}

/// Deletes the anchor keys of erased subjects (no subject key) whose erasure
/// exceptions have all ended; returns how many. A living subject's anchor key always
/// has a subject key beside it: the vault creates the subject key first.
pub(super) fn delete_orphan_anchor_keys(conn: &Connection) -> Result<usize, StoreError> {
    Ok(conn.execute(
        "DELETE FROM named_keys WHERE kind = 'anchor'
         AND name NOT IN (SELECT subject FROM erasure_exceptions)
         AND name NOT IN (SELECT subject FROM subject_keys)",
        [],
    )?)
}

/// Deletes the erased subject's event records (after their tombstone was written).
pub(super) fn delete_events(conn: &Connection, subject: &SubjectId) -> Result<(), StoreError> {
    conn.execute(
        "DELETE FROM anchor_events WHERE subject = ?1",
        params![subject.as_str()],
    )?;
    Ok(())
}

/// The anchor keys whose `due_us` is at or before `now`, by subject: the sweep's
/// candidates (its cost grows with the keys due, not with every subject that has one),
/// each then decided by the authenticated events.
pub(super) fn due_candidates(
    conn: &Connection,
    now: DateTime<Utc>,
) -> Result<Vec<(SubjectId, u32)>, StoreError> {
    let mut stmt = conn.prepare(
        "SELECT name, number FROM named_keys WHERE kind = 'anchor' AND due_us <= ?1
         ORDER BY name, number",
    )?;
    let mut rows = stmt.query(params![to_micros(now)])?;
    let mut keys = Vec::new();
    while let Some(row) = rows.next()? {
        let subject = SubjectId::new(row.get::<_, String>(0)?)
            .map_err(|_| StoreError::Corrupt { what: "subject id" })?;
        let code = u32::try_from(row.get::<_, i64>(1)?)
            .ok()
            .filter(|&c| from_anchor_code(c).is_some())
            .ok_or(StoreError::Corrupt {
                what: "anchor key code",
            })?;
        keys.push((subject, code));
    }
    Ok(keys)
}

#[cfg(test)]
mod tests {
    use super::super::SqliteStore;
    use super::super::schema::{APPLICATION_ID, STEPS};
    use crate::keys::{KeyName, KeyStore, WrappedKey};
    use crate::retention::{Anchor, EventPeriod};
    use crate::subject::SubjectId;

    /// A schema-14 file keeps its named keys when step 15 rebuilds `named_keys` for
    /// the `anchor` kind, and then stores anchor keys.
    #[test]
    fn a_schema_14_file_keeps_its_named_keys_and_takes_anchor_keys() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.db");
        {
            let conn = rusqlite::Connection::open(&path).unwrap();
            for &(to, sql) in STEPS.iter().filter(|(to, _)| *to <= 14) {
                conn.execute_batch(sql)
                    .unwrap_or_else(|e| panic!("step {to}: {e}"));
            }
            conn.pragma_update(None, "user_version", 14).unwrap();
            conn.pragma_update(None, "application_id", APPLICATION_ID)
                .unwrap();
            conn.execute(
                "INSERT INTO named_keys (kind, name, number, master_id, wrapped)
                 VALUES ('epoch', '', 20000, 'm1', x'0102')",
                [],
            )
            .unwrap();
            assert!(
                conn.execute(
                    "INSERT INTO named_keys (kind, name, number, master_id, wrapped)
                     VALUES ('anchor', 'a', 1, 'm1', x'01')",
                    [],
                )
                .is_err(),
                "schema 14 has no anchor kind"
            );
        }
        let store = SqliteStore::open(&path).unwrap();
        let epoch = store.get(&KeyName::Epoch(20_000)).unwrap().unwrap();
        assert_eq!(
            (epoch.master_id.as_str(), &epoch.wrapped[..]),
            ("m1", &[1u8, 2][..])
        );
        let name = KeyName::Anchor {
            subject: SubjectId::new("a").unwrap(),
            code: Anchor::LastContact
                .header_code(EventPeriod::Months(24))
                .unwrap(),
        };
        let key = WrappedKey {
            master_id: "m1".into(),
            wrapped: vec![3; 48],
        };
        assert_eq!(
            store
                .insert(
                    &name,
                    &key,
                    Some(&crate::subject::SubjectRef::from_stored("r".into()))
                )
                .unwrap(),
            Some(key.clone())
        );
        assert_eq!(store.get(&name).unwrap(), Some(key));
        // Re-wrapping lists anchor keys by name like any other named key.
        let listed = store.wrapped_by_other("m2", 10).unwrap();
        assert!(listed.iter().any(|(n, _)| *n == name));
    }
}
