//! Where consent evidence is kept: the [`ConsentStore`] trait and its in-memory form.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use chrono::{DateTime, Utc};

use super::chain::{self, ChainReport, ChainedEvent, ChainedFloor, EvidenceKey};
use super::evidence::ConsentEvent;
use crate::store::StoreError;
use crate::subject::SubjectId;

/// The current state of one subject's consent to one purpose, folded from its history.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConsentStatus {
    /// When the consent in force was given (the latest by event time).
    pub given_at: DateTime<Utc>,
    /// The notice version it was given to.
    pub notice_version: u32,
    /// When it lapses, if it does.
    pub expires_at: Option<DateTime<Utc>>,
    /// When it was withdrawn, if it was (at or after it was given).
    pub withdrawn_at: Option<DateTime<Utc>>,
}

impl ConsentStatus {
    /// Folds one event into the status. Events must come in time order (see
    /// [`fold`](Self::fold)): a consent replaces the one before it, a withdrawal marks
    /// the current one withdrawn (a withdrawal with nothing given changes nothing).
    pub fn apply(status: &mut Option<ConsentStatus>, event: &ConsentEvent) {
        match event {
            ConsentEvent::Given(g) => {
                *status = Some(ConsentStatus {
                    given_at: g.at,
                    notice_version: g.notice.version,
                    expires_at: g.expires_at,
                    withdrawn_at: None,
                })
            }
            ConsentEvent::Withdrawn(w) => {
                if let Some(s) = status.as_mut().filter(|s| s.withdrawn_at.is_none()) {
                    s.withdrawn_at = Some(w.at);
                }
            }
        }
    }

    /// Folds a subject's history for one purpose, given in append order, by **event
    /// time** (to the microsecond, the precision stores keep), append order breaking
    /// ties. So a consent that arrives late, dated before a withdrawal, stays withdrawn;
    /// a consent dated after the withdrawal is in force again.
    pub fn fold<'a>(
        purpose: &str,
        events: impl IntoIterator<Item = &'a ConsentEvent>,
    ) -> Option<ConsentStatus> {
        let mut events: Vec<&ConsentEvent> = events
            .into_iter()
            .filter(|e| e.purpose() == purpose)
            .collect();
        // A stable sort: equal times keep their append order.
        events.sort_by_key(|e| e.at().timestamp_micros());
        let mut status = None;
        for e in events {
            ConsentStatus::apply(&mut status, e);
        }
        status
    }
}

/// Storage for consent evidence. Append-only: evidence is never updated or deleted, and
/// every event and notice-floor raise is chained under the ledger's [`EvidenceKey`]
/// (`chain.rs` and `docs/consent.md` define the links).
///
/// Implementations: [`MemoryConsentStore`] (tests, caches) and
/// [`SqliteStore`](crate::store::SqliteStore) (the embedded durable default).
pub trait ConsentStore: Send + Sync {
    /// Appends `event` at the end of the chain, linked with `key`, durably before
    /// returning; returns its position. The end is read and written in one transaction,
    /// so several writers (processes) still make one chain.
    fn append(&self, event: &ConsentEvent, key: &EvidenceKey) -> Result<u64, StoreError>;
    /// The current status of `subject`'s consent to `purpose`, if any was ever given,
    /// folded with [`ConsentStatus::fold`]. A store that other writers can reach checks
    /// the links of the events it folds, and fails with [`StoreError::Tampered`] rather
    /// than answer from a row that does not authenticate.
    fn status(
        &self,
        subject: &SubjectId,
        purpose: &str,
        key: &EvidenceKey,
    ) -> Result<Option<ConsentStatus>, StoreError>;
    /// Every event about `subject`, in append order.
    fn history(&self, subject: &SubjectId) -> Result<Vec<ConsentEvent>, StoreError>;
    /// The run-time minimum notice version for `purpose` (0 when none was set); a store
    /// that other writers can reach checks the link of the raise it reads.
    fn notice_floor(&self, purpose: &str, key: &EvidenceKey) -> Result<u32, StoreError>;
    /// Raises the minimum notice version for `purpose`; never lowers it. A raise is
    /// chained like an event; a version at or below the current floor changes nothing.
    fn raise_notice_floor(
        &self,
        purpose: &str,
        version: u32,
        key: &EvidenceKey,
    ) -> Result<(), StoreError>;
    /// Up to `limit` events from position `from` on, in position order.
    fn read_events(&self, from: u64, limit: usize) -> Result<Vec<ChainedEvent>, StoreError>;
    /// Up to `limit` notice-floor raises from position `from` on, in position order.
    fn read_floors(&self, from: u64, limit: usize) -> Result<Vec<ChainedFloor>, StoreError>;

    /// Links evidence stored without links (written before schema version 8) under
    /// `key`, and chains floors set before then; returns how many events it linked.
    /// Refused ([`StoreError::Tampered`]) once any event has a link: evidence is
    /// adopted once, right after an upgrade, never mixed with linked evidence. A store
    /// that never holds unlinked rows keeps this default, which links nothing.
    fn link_unlinked(&self, key: &EvidenceKey) -> Result<u64, StoreError> {
        let _ = key;
        Ok(0)
    }

    /// Checks every link of both chains under `key`; fails with
    /// [`StoreError::Tampered`] naming the first bad position. With `expected` (a
    /// report kept from an earlier run, out of the writers' reach), also that the chain
    /// still holds that history: a cut or a rewrite by someone holding the key shows.
    fn verify(
        &self,
        key: &EvidenceKey,
        expected: Option<&ChainReport>,
    ) -> Result<ChainReport, StoreError> {
        chain::verify(
            key,
            |from| self.read_events(from, chain::BATCH),
            |from| self.read_floors(from, chain::BATCH),
            expected,
        )
    }
}

macro_rules! forward_consent_store {
    ($($ptr:ident),*) => {$(
        /// Shares one store between ledgers, or hands a boxed one over.
        impl<S: ConsentStore + ?Sized> ConsentStore for $ptr<S> {
            fn append(&self, event: &ConsentEvent, key: &EvidenceKey) -> Result<u64, StoreError> {
                (**self).append(event, key)
            }
            fn status(&self, subject: &SubjectId, purpose: &str, key: &EvidenceKey) -> Result<Option<ConsentStatus>, StoreError> {
                (**self).status(subject, purpose, key)
            }
            fn history(&self, subject: &SubjectId) -> Result<Vec<ConsentEvent>, StoreError> {
                (**self).history(subject)
            }
            fn notice_floor(&self, purpose: &str, key: &EvidenceKey) -> Result<u32, StoreError> {
                (**self).notice_floor(purpose, key)
            }
            fn raise_notice_floor(&self, purpose: &str, version: u32, key: &EvidenceKey) -> Result<(), StoreError> {
                (**self).raise_notice_floor(purpose, version, key)
            }
            fn read_events(&self, from: u64, limit: usize) -> Result<Vec<ChainedEvent>, StoreError> {
                (**self).read_events(from, limit)
            }
            fn read_floors(&self, from: u64, limit: usize) -> Result<Vec<ChainedFloor>, StoreError> {
                (**self).read_floors(from, limit)
            }
            fn link_unlinked(&self, key: &EvidenceKey) -> Result<u64, StoreError> {
                (**self).link_unlinked(key)
            }
            fn verify(&self, key: &EvidenceKey, expected: Option<&ChainReport>) -> Result<ChainReport, StoreError> {
                (**self).verify(key, expected)
            }
        }
    )*};
}
forward_consent_store!(Arc, Box);

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
/// time (an event dated at or after it folds in without re-reading the stream).
#[derive(Clone, Copy)]
struct Current {
    status: Option<ConsentStatus>,
    last_seq: u64,
    latest_us: i64,
}

#[derive(Default)]
struct MemoryInner {
    current: HashMap<String, HashMap<SubjectId, Current>>,
    /// Every event, in position order (position = index + 1).
    log: Vec<ChainedEvent>,
    /// Indexes into `log`, per subject.
    by_subject: HashMap<SubjectId, Vec<usize>>,
    floors: HashMap<String, u32>,
    floor_log: Vec<ChainedFloor>,
}

impl MemoryConsentStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }
}

impl ConsentStore for MemoryConsentStore {
    fn append(&self, event: &ConsentEvent, key: &EvidenceKey) -> Result<u64, StoreError> {
        let mut guard = self.inner.write().map_err(|_| StoreError::Poisoned)?;
        let inner = &mut *guard;
        let seq = inner.log.len() as u64 + 1;
        let prev = inner.log.last().and_then(|e| e.mac).unwrap_or([0u8; 32]);
        let before = inner
            .current
            .get(event.purpose())
            .and_then(|m| m.get(event.subject()))
            .copied();
        let stream_prev = before.map_or(0, |c| c.last_seq);
        let at_us = event.at().timestamp_micros();
        let status = match before {
            Some(c) if at_us < c.latest_us => None, // out of order: refold below
            Some(c) => {
                let mut s = c.status;
                ConsentStatus::apply(&mut s, event);
                Some(s)
            }
            None => {
                let mut s = None;
                ConsentStatus::apply(&mut s, event);
                Some(s)
            }
        };
        let mac = key.event_mac(&prev, seq, stream_prev, event);
        let index = inner.log.len();
        inner.log.push(ChainedEvent {
            seq,
            event: event.clone(),
            mac: Some(mac),
        });
        let indices = inner.by_subject.entry(event.subject().clone()).or_default();
        indices.push(index);
        let status = match status {
            Some(s) => s,
            None => ConsentStatus::fold(
                event.purpose(),
                indices
                    .iter()
                    .filter_map(|&i| inner.log.get(i))
                    .map(|e| &e.event),
            ),
        };
        let latest_us = before.map_or(at_us, |c| c.latest_us.max(at_us));
        let by_subject = inner.current.entry(event.purpose().to_owned()).or_default();
        by_subject.insert(
            event.subject().clone(),
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
            .and_then(|c| c.status))
    }

    fn history(&self, subject: &SubjectId) -> Result<Vec<ConsentEvent>, StoreError> {
        let inner = self.inner.read().map_err(|_| StoreError::Poisoned)?;
        Ok(inner
            .by_subject
            .get(subject)
            .map(|ix| {
                ix.iter()
                    .filter_map(|&i| inner.log.get(i))
                    .map(|e| e.event.clone())
                    .collect()
            })
            .unwrap_or_default())
    }

    fn notice_floor(&self, purpose: &str, _key: &EvidenceKey) -> Result<u32, StoreError> {
        let inner = self.inner.read().map_err(|_| StoreError::Poisoned)?;
        Ok(inner.floors.get(purpose).copied().unwrap_or(0))
    }

    fn raise_notice_floor(
        &self,
        purpose: &str,
        version: u32,
        key: &EvidenceKey,
    ) -> Result<(), StoreError> {
        let mut guard = self.inner.write().map_err(|_| StoreError::Poisoned)?;
        let inner = &mut *guard;
        if inner.floors.get(purpose).is_some_and(|f| *f >= version) {
            return Ok(());
        }
        let seq = inner.floor_log.len() as u64 + 1;
        let prev = inner.floor_log.last().map_or([0u8; 32], |f| f.mac);
        inner.floor_log.push(ChainedFloor {
            seq,
            purpose: purpose.to_owned(),
            version,
            mac: key.floor_mac(&prev, seq, purpose, version),
        });
        inner.floors.insert(purpose.to_owned(), version);
        Ok(())
    }

    fn read_events(&self, from: u64, limit: usize) -> Result<Vec<ChainedEvent>, StoreError> {
        let inner = self.inner.read().map_err(|_| StoreError::Poisoned)?;
        let start = usize::try_from(from.saturating_sub(1)).unwrap_or(usize::MAX);
        Ok(inner.log.iter().skip(start).take(limit).cloned().collect())
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
}
