//! Verification of the consent chains: every link, the gaps erasures bridge, and the
//! history a kept [`ChainReport`] recorded.

use std::collections::{HashMap, HashSet};

use super::chain::{
    ChainReport, ChainedEvent, ChainedFloor, ChainedNotice, EvidenceKey, stream_of,
};
use super::events::ConsentEvent;
use crate::store::StoreError;
use crate::subject::SubjectId;

/// Rows read per batch by `verify`.
pub(crate) const BATCH: usize = 4096;

fn tampered(what: &'static str, position: u64) -> StoreError {
    StoreError::Tampered { what, position }
}

/// Verifies the chains from rows read in batches (`read_*(from)`, an empty batch ends
/// them); reports the first bad position. With `expected`, the chain must still hold
/// that many events, the last of them with that link, and at least that many floors
/// and notices.
///
/// An event removed at erasure leaves a gap bridged by its link, which the erasure
/// event (later in the chain) lists and authenticates; a gap no authentic erasure
/// lists is a deletion.
pub(crate) fn verify(
    key: &EvidenceKey,
    mut read_events: impl FnMut(u64) -> Result<Vec<ChainedEvent>, StoreError>,
    mut read_floors: impl FnMut(u64) -> Result<Vec<ChainedFloor>, StoreError>,
    mut read_notices: impl FnMut(u64) -> Result<Vec<ChainedNotice>, StoreError>,
    expected: Option<&ChainReport>,
) -> Result<ChainReport, StoreError> {
    // First pass: the links erasures claim for removed positions (not yet trusted).
    let mut claimed: HashMap<u64, [u8; 32]> = HashMap::new();
    let mut from = 1u64;
    loop {
        let batch = read_events(from)?;
        let Some(last) = batch.last() else { break };
        from = last.seq.saturating_add(1);
        for row in &batch {
            if let ConsentEvent::Erased(e) = &row.event {
                for r in &e.removed {
                    claimed.insert(r.position, r.link);
                }
            }
        }
    }
    // Positions bridged by a claim, to be vouched for by an authentic erasure later.
    let mut bridged: Vec<u64> = Vec::new();
    let mut vouched: HashSet<u64> = HashSet::new();
    let mut prev = [0u8; 32];
    let mut next = 1u64;
    let mut streams: HashMap<(String, SubjectId), u64> = HashMap::new();
    loop {
        let batch = read_events(next)?;
        if batch.is_empty() {
            break;
        }
        for row in batch {
            while row.seq > next {
                let Some(link) = claimed.get(&next) else {
                    return Err(tampered(
                        "consent event (missing: deleted, or the chain was cut)",
                        next,
                    ));
                };
                bridged.push(next);
                prev = *link;
                next += 1;
            }
            if row.seq != next {
                return Err(tampered("consent event (out of order)", next));
            }
            let stream = stream_of(&row.event);
            let stream_prev = stream
                .as_ref()
                .and_then(|s| streams.get(s).copied())
                .unwrap_or(0);
            let mac = row.mac.ok_or(tampered(
                "consent event (no link: written before schema 8 or without the key)",
                next,
            ))?;
            if !key.event_authentic(&prev, row.seq, stream_prev, &row.event, &mac) {
                return Err(tampered("consent event (forged, edited or moved)", next));
            }
            if let ConsentEvent::Erased(e) = &row.event {
                if let Some(kept) = &row.kept
                    && ring::digest::digest(&ring::digest::SHA256, kept).as_ref() != e.kept_sha256
                {
                    return Err(tampered(
                        "consent erasure (its kept evidence was edited)",
                        next,
                    ));
                }
                vouched.extend(e.removed.iter().map(|r| r.position));
            }
            if let Some(e) = expected
                && e.events == next
                && mac != e.head
            {
                return Err(tampered(
                    "consent event (differs from the recorded head: history rewritten)",
                    next,
                ));
            }
            if let Some(stream) = stream {
                streams.insert(stream, row.seq);
            }
            prev = mac;
            next += 1;
        }
    }
    if let Some(p) = bridged.iter().find(|p| !vouched.contains(p)) {
        return Err(tampered(
            "consent event (missing, and no authentic erasure removed it)",
            *p,
        ));
    }
    let events = next - 1;
    let mut fprev = [0u8; 32];
    let mut fnext = 1u64;
    loop {
        let batch = read_floors(fnext)?;
        if batch.is_empty() {
            break;
        }
        for row in batch {
            if row.seq != fnext {
                return Err(tampered("notice floor raise (missing: deleted)", fnext));
            }
            if !key.notice_floor_authentic(
                &fprev,
                row.seq,
                &row.purpose,
                row.notice.as_deref(),
                row.version,
                &row.mac,
            ) {
                return Err(tampered(
                    "notice floor raise (forged, edited or moved)",
                    fnext,
                ));
            }
            fprev = row.mac;
            fnext += 1;
        }
    }
    let floors = fnext - 1;
    let mut nprev = [0u8; 32];
    let mut nnext = 1u64;
    loop {
        let batch = read_notices(nnext)?;
        if batch.is_empty() {
            break;
        }
        for row in batch {
            if row.seq != nnext {
                return Err(tampered("registered notice (missing: deleted)", nnext));
            }
            if !key.notice_authentic(&nprev, row.seq, &row.notice, &row.mac) {
                return Err(tampered(
                    "registered notice (forged, edited or moved)",
                    nnext,
                ));
            }
            nprev = row.mac;
            nnext += 1;
        }
    }
    let notices = nnext - 1;
    if let Some(e) = expected {
        if events < e.events {
            return Err(tampered(
                "consent event (missing: the chain is shorter than the recorded head)",
                events + 1,
            ));
        }
        if floors < e.floors {
            return Err(tampered(
                "notice floor raise (missing: fewer than recorded)",
                floors + 1,
            ));
        }
        if notices < e.notices {
            return Err(tampered(
                "registered notice (missing: fewer than recorded)",
                notices + 1,
            ));
        }
    }
    Ok(ChainReport {
        events,
        floors,
        notices,
        head: prev,
    })
}
