//! Tamper evidence for legal holds and tombstones on SQLite (schema 11): each row's
//! keyed MAC, and `retention_head`, the MAC'd counts of holds, releases, erasures and
//! tombstones. The MACs are made and checked here with the [`IntegrityKey`] the vault
//! passes in, inside the transaction that reads or changes the rows.
//!
//! A head without a MAC is a store upgraded from before schema 11 (or new): the first
//! keyed call adopts the rows present, MACing them and the head, unless a row already
//! has a MAC (then the head was reset: tampering).

use rusqlite::{Connection, OptionalExtension, params};

use super::retention::{HOLD_COLUMNS, hold_from_row};
use super::{SqliteStore, from_micros};
use crate::retention::{IntegrityKey, LegalHold, RetentionCounts, StoredHold, SubjectRef};
use crate::store::StoreError;
use crate::subject::SubjectId;

pub(super) fn tampered(what: &'static str) -> StoreError {
    StoreError::RetentionTampered { what }
}

fn count(n: i64) -> Result<u64, StoreError> {
    u64::try_from(n).map_err(|_| StoreError::Corrupt {
        what: "retention count",
    })
}

/// The head's counts and MAC.
fn head(conn: &Connection) -> Result<(RetentionCounts, Option<Vec<u8>>), StoreError> {
    let row = conn
        .query_row(
            "SELECT holds, released, erased, tombstones, mac FROM retention_head WHERE id = 1",
            [],
            |r| {
                Ok((
                    [r.get::<_, i64>(0)?, r.get(1)?, r.get(2)?, r.get(3)?],
                    r.get::<_, Option<Vec<u8>>>(4)?,
                ))
            },
        )
        .optional()?;
    let Some(([holds, released, erased, tombstones], mac)) = row else {
        return Err(tampered("the retention head is missing"));
    };
    Ok((
        RetentionCounts {
            holds: count(holds)?,
            released: count(released)?,
            erased: count(erased)?,
            tombstones: count(tombstones)?,
        },
        mac,
    ))
}

/// The counts of the rows present.
fn actual(conn: &Connection) -> Result<RetentionCounts, StoreError> {
    let [holds, released, erased] = conn.query_row(
        "SELECT count(*), count(released_us), count(erased_ref) FROM legal_holds",
        [],
        |r| Ok([r.get::<_, i64>(0)?, r.get(1)?, r.get(2)?]),
    )?;
    let tombstones: i64 =
        conn.query_row("SELECT count(*) FROM shredded_subjects", [], |r| r.get(0))?;
    Ok(RetentionCounts {
        holds: count(holds)?,
        released: count(released)?,
        erased: count(erased)?,
        tombstones: count(tombstones)?,
    })
}

/// Without the key (inside a subject key's insertion): the tombstones present are as
/// many as the head records. Catches a tombstone deleted by plain SQL even between the
/// vault's keyed check and the insertion.
pub(super) fn tombstones_complete(conn: &Connection) -> Result<(), StoreError> {
    let (recorded, _) = head(conn)?;
    if actual(conn)?.tombstones != recorded.tombstones {
        return Err(tampered("tombstones missing: fewer than the head records"));
    }
    Ok(())
}

/// The head authenticates and the rows present are exactly as many as it records;
/// returns the counts.
pub(super) fn check_head(
    conn: &Connection,
    key: &IntegrityKey,
) -> Result<RetentionCounts, StoreError> {
    let (recorded, mac) = head(conn)?;
    if !key.head_authentic(&recorded, mac.as_deref()) {
        return Err(tampered(
            "the retention head does not authenticate (forged, edited, or another key)",
        ));
    }
    let found = actual(conn)?;
    if found != recorded {
        return Err(tampered(
            "records missing or undone: the counts differ from the head",
        ));
    }
    Ok(recorded)
}

/// Writes the head for `counts`.
pub(super) fn write_head(
    conn: &Connection,
    key: &IntegrityKey,
    counts: &RetentionCounts,
) -> Result<(), StoreError> {
    let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
    conn.execute(
        "UPDATE retention_head SET holds = ?1, released = ?2, erased = ?3, tombstones = ?4,
         mac = ?5 WHERE id = 1",
        params![
            n(counts.holds),
            n(counts.released),
            n(counts.erased),
            n(counts.tombstones),
            &key.head_mac(counts)[..]
        ],
    )?;
    Ok(())
}

/// The hold rows (of `subject`, or all), each with its MAC checked.
pub(super) fn authentic_holds(
    conn: &Connection,
    key: &IntegrityKey,
    subject: Option<&SubjectId>,
) -> Result<Vec<LegalHold>, StoreError> {
    Ok(stored_holds(conn, key, subject)?
        .into_iter()
        .map(|s| s.hold)
        .collect())
}

/// The hold rows (of `subject`, or all) with their MACs, each checked.
pub(super) fn stored_holds(
    conn: &Connection,
    key: &IntegrityKey,
    subject: Option<&SubjectId>,
) -> Result<Vec<StoredHold>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {HOLD_COLUMNS}, mac FROM legal_holds
         WHERE ?1 IS NULL OR (subject = ?1 AND erased_ref IS NULL) ORDER BY rowid"
    ))?;
    let mut rows = stmt.query(params![subject.map(SubjectId::as_str)])?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        let hold = hold_from_row(row)?;
        let mac: Option<Vec<u8>> = row.get(9)?;
        let Some(mac) = mac.filter(|m| key.hold_authentic(&hold, Some(m))) else {
            return Err(tampered("a legal hold record was forged or edited"));
        };
        out.push(StoredHold { hold, mac });
    }
    Ok(out)
}

/// Every tombstone's MAC.
pub(super) fn check_tombstones(conn: &Connection, key: &IntegrityKey) -> Result<(), StoreError> {
    let mut stmt = conn.prepare("SELECT subject_hash, shredded_us, mac FROM shredded_subjects")?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        let reference = SubjectRef::from_stored(row.get(0)?);
        let at: i64 = row.get(1)?;
        let mac: Option<Vec<u8>> = row.get(2)?;
        if !key.tombstone_authentic(&reference, at, mac.as_deref()) {
            return Err(tampered("a tombstone was forged or edited"));
        }
    }
    Ok(())
}

/// Whether `reference` has a tombstone, whose MAC is checked.
pub(super) fn authentic_tombstone(
    conn: &Connection,
    key: &IntegrityKey,
    reference: &SubjectRef,
) -> Result<bool, StoreError> {
    let row = conn
        .query_row(
            "SELECT shredded_us, mac FROM shredded_subjects WHERE subject_hash = ?1",
            params![reference.as_str()],
            |r| Ok((r.get::<_, i64>(0)?, r.get::<_, Option<Vec<u8>>>(1)?)),
        )
        .optional()?;
    match row {
        None => Ok(false),
        Some((at, mac)) if key.tombstone_authentic(reference, at, mac.as_deref()) => Ok(true),
        Some(_) => Err(tampered("a tombstone was forged or edited")),
    }
}

/// Writes a tombstone with its MAC.
pub(super) fn insert_tombstone(
    conn: &Connection,
    key: &IntegrityKey,
    reference: &SubjectRef,
    at_micros: i64,
) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO shredded_subjects (subject_hash, shredded_us, mac) VALUES (?1, ?2, ?3)",
        params![
            reference.as_str(),
            at_micros,
            &key.tombstone_mac(reference, at_micros)[..]
        ],
    )?;
    Ok(())
}

impl SqliteStore {
    /// Adopts a head without a MAC (a store from before schema 11): MACs the rows
    /// present and the head, in one transaction. Refuses if a row already has a MAC.
    pub(super) fn adopt_retention(
        &self,
        conn: &mut Connection,
        key: &IntegrityKey,
    ) -> Result<(), StoreError> {
        if head(conn)?.1.is_some() {
            return Ok(());
        }
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        if head(&tx)?.1.is_some() {
            return Ok(());
        }
        let macs: i64 = tx.query_row(
            "SELECT (SELECT count(mac) FROM legal_holds) + (SELECT count(mac) FROM shredded_subjects)",
            [],
            |r| r.get(0),
        )?;
        if macs > 0 {
            return Err(tampered(
                "the retention head lost its MAC while records have theirs",
            ));
        }
        let mut holds = Vec::new();
        {
            let mut stmt = tx.prepare(&format!(
                "SELECT {HOLD_COLUMNS} FROM legal_holds ORDER BY rowid"
            ))?;
            let mut rows = stmt.query([])?;
            while let Some(row) = rows.next()? {
                holds.push(hold_from_row(row)?);
            }
        }
        for hold in &holds {
            tx.execute(
                "UPDATE legal_holds SET mac = ?1 WHERE id = ?2",
                params![&key.hold_mac(hold)[..], hold.id.as_str()],
            )?;
        }
        let mut tombstones = Vec::new();
        {
            let mut stmt = tx.prepare("SELECT subject_hash, shredded_us FROM shredded_subjects")?;
            let mut rows = stmt.query([])?;
            while let Some(row) = rows.next()? {
                let at: i64 = row.get(1)?;
                from_micros(at)?;
                tombstones.push((SubjectRef::from_stored(row.get(0)?), at));
            }
        }
        for (reference, at) in &tombstones {
            tx.execute(
                "UPDATE shredded_subjects SET mac = ?1 WHERE subject_hash = ?2",
                params![&key.tombstone_mac(reference, *at)[..], reference.as_str()],
            )?;
        }
        let counts = actual(&tx)?;
        write_head(&tx, key, &counts)?;
        tx.commit()?;
        Ok(())
    }
}
