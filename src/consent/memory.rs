//! [`MemoryConsentStore`]: consent evidence in this process's memory.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, RwLock};

use chrono::{DateTime, Utc};

use super::PurposeScope;
use super::chain::{ChainedEvent, ChainedFloor, ChainedNotice, EvidenceKey, RegisteredNotice};
use super::events::ConsentEvent;
use super::evidence::EvidenceRef;
use super::store::{ConsentStatus, ConsentStore, StoredErasure, erasure_of};
use crate::store::StoreError;
use crate::subject::{SubjectId, SubjectMap};

/// A map on the check path: `foldhash`, seeded per process (keys are purpose names and
/// notice ids, fixed by the application, and subject ids: see [`SubjectMap`]).
type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

/// Distinct scopes interned at most: declarations are compiled in, so a process has
/// few; past this, a status keeps its own copy (still correct, only colder).
const SCOPES_CAP: usize = 64;

/// Consent evidence held in memory: fast, and gone when the process ends.
///
/// The current status is indexed by purpose, then subject, with the status inline, so
/// a check costs one small-map and one subject-map lookup (`benches/consent.rs`). Only
/// code in this process can change the rows, so `status` does not re-check their
/// links; [`verify`](ConsentStore::verify) does.
#[derive(Default)]
pub struct MemoryConsentStore {
    inner: RwLock<MemoryInner>,
}

/// The status in force for one stream, where the stream ends, and its latest event
/// time (a consent dated at or after it is in force without re-reading the stream).
#[derive(Clone)]
struct Current {
    status: Option<ConsentStatus>,
    last_seq: u64,
    latest_us: i64,
}

#[derive(Default)]
struct MemoryInner {
    current: FastMap<String, SubjectMap<Current>>,
    /// Every link, in position order (position = index + 1), and the event at it
    /// unless erasure removed it.
    log: Vec<([u8; 32], Option<ChainedEvent>)>,
    /// Indexes into `log`, per subject.
    by_subject: HashMap<SubjectId, Vec<usize>>,
    /// Erased subjects: index of their erasure in `log`.
    erased: HashMap<EvidenceRef, usize>,
    /// Notice floors per purpose: the one for every notice (`all`) and per notice id,
    /// nested so a check looks them up by `&str` without allocating.
    floors: FastMap<String, Floors>,
    floor_log: Vec<ChainedFloor>,
    notices: Vec<ChainedNotice>,
    /// One allocation per distinct notice id and scope, shared by every status that
    /// names it: a check then reads memory other checks keep warm, instead of one
    /// cold allocation per subject.
    notice_ids: HashSet<Arc<str>, foldhash::fast::RandomState>,
    scopes: Vec<Arc<PurposeScope>>,
}

/// The notice floors of one purpose.
#[derive(Default)]
struct Floors {
    all: Option<u32>,
    by_notice: FastMap<String, u32>,
}

impl Floors {
    fn get(&self, notice: Option<&str>) -> Option<u32> {
        match notice {
            None => self.all,
            Some(n) => self.by_notice.get(n).copied(),
        }
    }
}

impl MemoryConsentStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }
}

impl MemoryInner {
    /// `status` with its notice id and scope replaced by the shared copies of equal
    /// values (interning them on first sight).
    fn intern(&mut self, mut status: ConsentStatus) -> ConsentStatus {
        match self.notice_ids.get(&status.notice_id) {
            Some(shared) => status.notice_id = Arc::clone(shared),
            None => {
                self.notice_ids.insert(Arc::clone(&status.notice_id));
            }
        }
        if let Some(scope) = &status.scope {
            match self.scopes.iter().find(|s| **s == *scope) {
                Some(shared) => status.scope = Some(Arc::clone(shared)),
                None if self.scopes.len() < SCOPES_CAP => self.scopes.push(Arc::clone(scope)),
                None => {}
            }
        }
        status
    }

    fn push(&mut self, event: ConsentEvent, kept: Option<Vec<u8>>, key: &EvidenceKey) -> u64 {
        let seq = self.log.len() as u64 + 1;
        let prev = self.log.last().map_or([0u8; 32], |(mac, _)| *mac);
        let stream_prev = match event.subject() {
            Some(s) => self
                .current
                .get(event.purpose())
                .and_then(|m| m.get(s))
                .map_or(0, |c| c.last_seq),
            None => 0,
        };
        let mac = key.event_mac(&prev, seq, stream_prev, &event);
        self.log.push((
            mac,
            Some(ChainedEvent {
                seq,
                event,
                mac: Some(mac),
                kept,
            }),
        ));
        seq
    }
}

impl ConsentStore for MemoryConsentStore {
    fn append(&self, event: &ConsentEvent, key: &EvidenceKey) -> Result<u64, StoreError> {
        let mut guard = self.inner.write().map_err(|_| StoreError::Poisoned)?;
        let inner = &mut *guard;
        let Some(subject) = event.subject() else {
            return Err(StoreError::Corrupt {
                what: "an erasure is appended by `erase`, not `append`",
            });
        };
        if inner.erased.contains_key(&key.subject_ref(subject)) {
            return Err(StoreError::SubjectErased);
        }
        let before = inner
            .current
            .get(event.purpose())
            .and_then(|m| m.get(subject))
            .cloned();
        let at_us = event.at().timestamp_micros();
        // A consent dated at or after every event of its stream, and recorded last, is
        // the one in force; anything else (a withdrawal ends what was recorded before
        // it, whatever its date) refolds the stream below.
        let status = match (event, &before) {
            (ConsentEvent::Given(g), Some(c)) if at_us >= c.latest_us => {
                Some(Some(ConsentStatus::given(g)))
            }
            (ConsentEvent::Given(g), None) => Some(Some(ConsentStatus::given(g))),
            _ => None,
        };
        let index = inner.log.len();
        let seq = inner.push(event.clone(), None, key);
        let indices = inner.by_subject.entry(subject.clone()).or_default();
        indices.push(index);
        let status = match status {
            Some(s) => s,
            None => ConsentStatus::fold(
                event.purpose(),
                indices
                    .iter()
                    .filter_map(|&i| inner.log.get(i))
                    .filter_map(|(_, e)| e.as_ref())
                    .map(|e| &e.event),
            ),
        };
        let status = status.map(|s| inner.intern(s));
        let latest_us = before.map_or(at_us, |c| c.latest_us.max(at_us));
        let by_subject = inner.current.entry(event.purpose().to_owned()).or_default();
        by_subject.insert(
            subject.clone(),
            Current {
                status,
                last_seq: seq,
                latest_us,
            },
        );
        Ok(seq)
    }

    fn status(
        &self,
        subject: &SubjectId,
        purpose: &str,
        _key: &EvidenceKey,
    ) -> Result<Option<ConsentStatus>, StoreError> {
        let inner = self.inner.read().map_err(|_| StoreError::Poisoned)?;
        Ok(inner
            .current
            .get(purpose)
            .and_then(|m| m.get(subject))
            .and_then(|c| c.status.clone()))
    }

    fn history(&self, subject: &SubjectId) -> Result<Vec<ConsentEvent>, StoreError> {
        let inner = self.inner.read().map_err(|_| StoreError::Poisoned)?;
        Ok(inner
            .by_subject
            .get(subject)
            .map(|ix| {
                ix.iter()
                    .filter_map(|&i| inner.log.get(i))
                    .filter_map(|(_, e)| e.as_ref())
                    .map(|e| e.event.clone())
                    .collect()
            })
            .unwrap_or_default())
    }

    fn notice_floor(
        &self,
        purpose: &str,
        notice: &str,
        _key: &EvidenceKey,
    ) -> Result<u32, StoreError> {
        let inner = self.inner.read().map_err(|_| StoreError::Poisoned)?;
        let Some(floors) = inner.floors.get(purpose) else {
            return Ok(0);
        };
        let all = floors.get(None).unwrap_or(0);
        Ok(all.max(floors.get(Some(notice)).unwrap_or(0)))
    }

    fn raise_notice_floor(
        &self,
        purpose: &str,
        notice: Option<&str>,
        version: u32,
        key: &EvidenceKey,
    ) -> Result<(), StoreError> {
        let mut guard = self.inner.write().map_err(|_| StoreError::Poisoned)?;
        let inner = &mut *guard;
        if inner
            .floors
            .get(purpose)
            .and_then(|f| f.get(notice))
            .is_some_and(|f| f >= version)
        {
            return Ok(());
        }
        let seq = inner.floor_log.len() as u64 + 1;
        let prev = inner.floor_log.last().map_or([0u8; 32], |f| f.mac);
        inner.floor_log.push(ChainedFloor {
            seq,
            purpose: purpose.to_owned(),
            notice: notice.map(str::to_owned),
            version,
            mac: key.notice_floor_mac(&prev, seq, purpose, notice, version),
        });
        let floors = inner.floors.entry(purpose.to_owned()).or_default();
        match notice {
            None => floors.all = Some(version),
            Some(n) => {
                floors.by_notice.insert(n.to_owned(), version);
            }
        }
        Ok(())
    }

    fn register_notice(
        &self,
        notice: &RegisteredNotice,
        key: &EvidenceKey,
    ) -> Result<RegisteredNotice, StoreError> {
        let mut inner = self.inner.write().map_err(|_| StoreError::Poisoned)?;
        if let Some(existing) = inner.notices.iter().find(|n| {
            n.notice.purpose == notice.purpose
                && n.notice.notice.id == notice.notice.id
                && n.notice.notice.version == notice.notice.version
        }) {
            return Ok(existing.notice.clone());
        }
        let seq = inner.notices.len() as u64 + 1;
        let prev = inner.notices.last().map_or([0u8; 32], |n| n.mac);
        let mac = key.notice_mac(&prev, seq, notice);
        inner.notices.push(ChainedNotice {
            seq,
            notice: notice.clone(),
            mac,
        });
        Ok(notice.clone())
    }

    fn notice(
        &self,
        purpose: &str,
        id: &str,
        version: u32,
        _key: &EvidenceKey,
    ) -> Result<Option<RegisteredNotice>, StoreError> {
        let inner = self.inner.read().map_err(|_| StoreError::Poisoned)?;
        Ok(inner
            .notices
            .iter()
            .find(|n| {
                n.notice.purpose == purpose
                    && n.notice.notice.id == id
                    && n.notice.notice.version == version
            })
            .map(|n| n.notice.clone()))
    }

    fn erase(
        &self,
        subject: &SubjectId,
        at: DateTime<Utc>,
        keep_until: DateTime<Utc>,
        key: &EvidenceKey,
    ) -> Result<Option<u64>, StoreError> {
        let mut guard = self.inner.write().map_err(|_| StoreError::Poisoned)?;
        let inner = &mut *guard;
        let reference = key.subject_ref(subject);
        if inner.erased.contains_key(&reference) {
            return Ok(None);
        }
        let indices = inner.by_subject.remove(subject).unwrap_or_default();
        let rows: Vec<(u64, [u8; 32], ConsentEvent)> = indices
            .iter()
            .filter_map(|&i| inner.log.get(i))
            .filter_map(|(mac, e)| e.as_ref().map(|e| (e.seq, *mac, e.event.clone())))
            .collect();
        let (event, kept) = erasure_of(reference, &rows, at, keep_until)?;
        let index = inner.log.len();
        let seq = inner.push(ConsentEvent::Erased(event), Some(kept), key);
        for i in indices {
            if let Some(slot) = inner.log.get_mut(i) {
                slot.1 = None;
            }
        }
        for streams in inner.current.values_mut() {
            streams.remove(subject);
        }
        inner.erased.insert(reference, index);
        Ok(Some(seq))
    }

    fn erasure(
        &self,
        subject: &EvidenceRef,
        _key: &EvidenceKey,
    ) -> Result<Option<StoredErasure>, StoreError> {
        let inner = self.inner.read().map_err(|_| StoreError::Poisoned)?;
        Ok(inner
            .erased
            .get(subject)
            .and_then(|&i| inner.log.get(i))
            .and_then(|(_, e)| e.as_ref())
            .and_then(|e| match &e.event {
                ConsentEvent::Erased(ev) => Some(StoredErasure {
                    position: e.seq,
                    event: ev.clone(),
                    kept: e.kept.clone(),
                }),
                _ => None,
            }))
    }

    fn purge_kept(&self, now: DateTime<Utc>) -> Result<u64, StoreError> {
        let mut inner = self.inner.write().map_err(|_| StoreError::Poisoned)?;
        let mut purged = 0;
        for (_, row) in inner.log.iter_mut() {
            if let Some(row) = row
                && let ConsentEvent::Erased(e) = &row.event
                && e.keep_until <= now
                && row.kept.take().is_some()
            {
                purged += 1;
            }
        }
        Ok(purged)
    }

    fn read_events(&self, from: u64, limit: usize) -> Result<Vec<ChainedEvent>, StoreError> {
        let inner = self.inner.read().map_err(|_| StoreError::Poisoned)?;
        let start = usize::try_from(from.saturating_sub(1)).unwrap_or(usize::MAX);
        Ok(inner
            .log
            .iter()
            .skip(start)
            .filter_map(|(_, e)| e.clone())
            .take(limit)
            .collect())
    }

    fn read_floors(&self, from: u64, limit: usize) -> Result<Vec<ChainedFloor>, StoreError> {
        let inner = self.inner.read().map_err(|_| StoreError::Poisoned)?;
        let start = usize::try_from(from.saturating_sub(1)).unwrap_or(usize::MAX);
        Ok(inner
            .floor_log
            .iter()
            .skip(start)
            .take(limit)
            .cloned()
            .collect())
    }

    fn read_notices(&self, from: u64, limit: usize) -> Result<Vec<ChainedNotice>, StoreError> {
        let inner = self.inner.read().map_err(|_| StoreError::Poisoned)?;
        let start = usize::try_from(from.saturating_sub(1)).unwrap_or(usize::MAX);
        Ok(inner
            .notices
            .iter()
            .skip(start)
            .take(limit)
            .cloned()
            .collect())
    }
}
