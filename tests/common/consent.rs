//! What the consent tests (`consent*.rs`) share: their clock's start, their evidence
//! key, and the forger's tools against a SQLite file.

use chrono::{DateTime, TimeZone, Utc};
use custodian::consent::{ConsentError, EvidenceKey};
use custodian::store::StoreError;
#[cfg(feature = "sqlite")]
use rusqlite::Connection;

/// The start of the consent tests' clock: 2026-01-01 00:00 UTC.
pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()
}

/// The evidence key of the consent tests (32 bytes of 7; the documented known answers
/// use it too).
pub fn key() -> EvidenceKey {
    EvidenceKey::from_slice(&[7u8; 32]).unwrap()
}

/// The position the ledger named when it refused `r` as tampered evidence; `None` for
/// any other outcome.
pub fn is_tampered<T: std::fmt::Debug>(r: Result<T, ConsentError>) -> Option<u64> {
    match r {
        Err(ConsentError::Store(StoreError::Tampered { position, .. })) => Some(position),
        _ => None,
    }
}

/// The forger's SQL: what a person with the file and the schema, but without the
/// evidence key, can do once the triggers are out of the way.
#[cfg(feature = "sqlite")]
pub fn drop_triggers(conn: &Connection) {
    super::drop_triggers_on(conn, &[]);
}
