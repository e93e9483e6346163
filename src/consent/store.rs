//! Where consent evidence is kept: the [`ConsentStore`] trait and its in-memory form.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::chain::{
    ChainReport, ChainedEvent, ChainedFloor, ChainedNotice, EvidenceKey, RegisteredNotice,
};
use super::evidence::{
    ConsentErased, ConsentEvent, ConsentGiven, ConsentMethod, EvidenceRef, KeptEvidence,
    RemovedLink,
};
use crate::store::StoreError;
use crate::subject::SubjectId;

/// The current state of one subject's consent to one purpose, folded from its history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsentStatus {
    /// When the consent in force was given (the latest-dated one no withdrawal ends;
    /// see [`fold`](Self::fold)).
    pub given_at: DateTime<Utc>,
    /// The notice it was given to (shared: a store may hand out one allocation for
    /// every status given to the same notice, so reading a status does not copy it).
    pub notice_id: Arc<str>,
    /// The notice version it was given to.
    pub notice_version: u32,
    /// When it lapses, if it does.
    pub expires_at: Option<DateTime<Utc>>,
    /// When it was withdrawn, if it was: the date of the first withdrawal that ended it
    /// (dated after it, or recorded after it and so possibly dated before it).
    pub withdrawn_at: Option<DateTime<Utc>>,
    /// Whether it was given by double opt-in, so it counts only once confirmed.
    pub needs_confirmation: bool,
    /// When the double opt-in was confirmed, if it was.
    pub confirmed_at: Option<DateTime<Utc>>,
    /// The purpose's declaration it was given to (`None`: recorded before schema 12).
    pub scope: Option<Arc<super::PurposeScope>>,
    /// The position of the pair's last event in the chain, where the store reports it
    /// (SQLite); 0 otherwise. A ledger refuses a status whose last position is below
    /// one it saw before for the pair: the newer events were deleted.
    pub last_position: u64,
}

impl ConsentStatus {
    /// The status of a consent just given, neither withdrawn nor confirmed.
    pub(crate) fn given(g: &ConsentGiven) -> ConsentStatus {
        ConsentStatus {
            given_at: g.at,
            notice_id: Arc::from(g.notice.id.as_str()),
            notice_version: g.notice.version,
            expires_at: g.expires_at,
            withdrawn_at: None,
            needs_confirmation: g.method == ConsentMethod::DoubleOptIn,
            confirmed_at: None,
            scope: g.scope.as_deref().cloned().map(Arc::new),
            last_position: 0,
        }
    }

    /// Folds a subject's history for one purpose, given in **append order** (the order
    /// the store recorded the events: its chain positions). The rules:
    ///
    /// - a withdrawal ends every consent that precedes it in recording order **or** by
    ///   date (to the microsecond): a late consent dated before a withdrawal stays
    ///   withdrawn, and a consent dated ahead (a fast clock, within the skew tolerance)
    ///   cannot jump over a withdrawal recorded after it;
    /// - the consent in force is the latest-dated consent that no withdrawal ends
    ///   (append order breaking ties); a consent dated after every withdrawal and
    ///   recorded after them is in force again;
    /// - if every consent is ended, the status is the latest-dated consent, withdrawn at
    ///   the date of the earliest withdrawal that ends it;
    /// - a confirmation confirms the consent only if it follows it in both orders
    ///   (recorded after it, dated at or after it); the earliest such counts.
    pub fn fold<'a>(
        purpose: &str,
        events: impl IntoIterator<Item = &'a ConsentEvent>,
    ) -> Option<ConsentStatus> {
        // (date in microseconds, append index): the date order, ties by arrival.
        let mut gives: Vec<((i64, usize), &ConsentGiven)> = Vec::new();
        let mut withdrawals: Vec<((i64, usize), DateTime<Utc>)> = Vec::new();
        let mut confirmations: Vec<((i64, usize), DateTime<Utc>)> = Vec::new();
        for (i, e) in events
            .into_iter()
            .filter(|e| e.purpose() == purpose)
            .enumerate()
        {
            let k = (e.at().timestamp_micros(), i);
            match e {
                ConsentEvent::Given(g) => gives.push((k, g)),
                ConsentEvent::Withdrawn(w) => withdrawals.push((k, w.at)),
                ConsentEvent::Confirmed(c) => confirmations.push((k, c.at)),
                // An erasure removes the subject's events; it names no purpose.
                ConsentEvent::Erased(_) => {}
            }
        }
        // Withdrawal `w` ends consent `g` unless it precedes it in both orders.
        let ends = |w: &(i64, usize), g: &(i64, usize)| w.1 > g.1 || w.0 > g.0;
        let in_force = gives
            .iter()
            .filter(|(g, _)| !withdrawals.iter().any(|(w, _)| ends(w, g)))
            .max_by_key(|(g, _)| *g);
        let (k, g, withdrawn_at) = match in_force {
            Some((k, g)) => (*k, *g, None),
            None => {
                let (k, g) = gives.iter().max_by_key(|(g, _)| *g)?;
                let first = withdrawals
                    .iter()
                    .filter(|(w, _)| ends(w, k))
                    .min_by_key(|(w, _)| *w)
                    .map(|(_, at)| *at);
                (*k, *g, first)
            }
        };
        let mut status = ConsentStatus::given(g);
        status.withdrawn_at = withdrawn_at;
        status.confirmed_at = confirmations
            .iter()
            .filter(|(c, _)| c.1 > k.1 && c.0 >= k.0)
            .min_by_key(|(c, _)| *c)
            .map(|(_, at)| *at);
        Some(status)
    }
}

/// A subject's erasure as the store keeps it: the terminal event and, until its
/// retention ends, the evidence kept of their removed events (JSON of
/// [`KeptEvidence`](super::KeptEvidence)).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredErasure {
    /// Its position in the chain.
    pub position: u64,
    /// The erasure event.
    pub event: ConsentErased,
    /// The kept evidence, `None` once purged.
    pub kept: Option<Vec<u8>>,
}

/// Storage for consent evidence. Append-only but for erasure: evidence is never
/// updated, and every event, notice registration and notice-floor raise is chained
/// under the ledger's [`EvidenceKey`] (`chain.rs` and `docs/consent.md` define the
/// links). An erasure removes the subject's events, keeping their links and a
/// pseudonymised minimum under a terminal event, whose kept evidence is later purged.
///
/// Implementations: [`MemoryConsentStore`](super::MemoryConsentStore) (tests, caches) and
/// [`SqliteStore`](crate::sqlite::SqliteStore) (the embedded durable default).
pub trait ConsentStore: Send + Sync {
    /// Appends `event` at the end of the chain, linked with `key`, durably before
    /// returning; returns its position. The end is read and written in one transaction,
    /// so several writers (processes) still make one chain. Refused with
    /// [`StoreError::SubjectErased`] for a subject with an erasure, checked in the same
    /// transaction.
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
    /// The run-time minimum version of notice `notice` for `purpose` (0 when none was
    /// set): the larger of its own floor and the purpose-wide one; a store that other
    /// writers can reach checks the links of the raises it reads.
    fn notice_floor(
        &self,
        purpose: &str,
        notice: &str,
        key: &EvidenceKey,
    ) -> Result<u32, StoreError>;
    /// Raises the minimum version of `notice` for `purpose` (`None`: of every notice of
    /// it); never lowers it. A raise is chained like an event; a version at or below
    /// the current floor changes nothing.
    fn raise_notice_floor(
        &self,
        purpose: &str,
        notice: Option<&str>,
        version: u32,
        key: &EvidenceKey,
    ) -> Result<(), StoreError>;
    /// Registers a notice's text for a purpose, chained; returns the registration in
    /// force for its purpose, id and version (an earlier one, if there was one: the
    /// caller compares the texts).
    fn register_notice(
        &self,
        notice: &RegisteredNotice,
        key: &EvidenceKey,
    ) -> Result<RegisteredNotice, StoreError>;
    /// The registration of notice `id` version `version` for `purpose`, authenticated.
    fn notice(
        &self,
        purpose: &str,
        id: &str,
        version: u32,
        key: &EvidenceKey,
    ) -> Result<Option<RegisteredNotice>, StoreError>;
    /// Erases `subject`'s evidence in one transaction: appends the terminal
    /// [`ConsentErased`] (`at`, kept until `keep_until`) with the links of the
    /// subject's events and the pseudonymised minimum of them, then removes those
    /// events. Returns its position, or `None` if the subject was already erased.
    fn erase(
        &self,
        subject: &SubjectId,
        at: DateTime<Utc>,
        keep_until: DateTime<Utc>,
        key: &EvidenceKey,
    ) -> Result<Option<u64>, StoreError>;
    /// The erasure of the subject with reference `subject`, authenticated, if any.
    fn erasure(
        &self,
        subject: &EvidenceRef,
        key: &EvidenceKey,
    ) -> Result<Option<StoredErasure>, StoreError>;
    /// Deletes the kept evidence of every erasure whose `keep_until` is at or before
    /// `now` (the erasure event, its links and the reference stay); returns how many.
    fn purge_kept(&self, now: DateTime<Utc>) -> Result<u64, StoreError>;
    /// Up to `limit` events from position `from` on, in position order (removed
    /// positions are skipped).
    fn read_events(&self, from: u64, limit: usize) -> Result<Vec<ChainedEvent>, StoreError>;
    /// Up to `limit` notice-floor raises from position `from` on, in position order.
    fn read_floors(&self, from: u64, limit: usize) -> Result<Vec<ChainedFloor>, StoreError>;
    /// Up to `limit` notice registrations from position `from` on, in position order.
    fn read_notices(&self, from: u64, limit: usize) -> Result<Vec<ChainedNotice>, StoreError>;

    /// Links evidence stored without links (written before schema version 8) under
    /// `key`, and chains floors set before then; returns how many events it linked.
    /// Refused ([`StoreError::Tampered`]) once any event has a link: evidence is
    /// adopted once, right after an upgrade, never mixed with linked evidence. A store
    /// that never holds unlinked rows keeps this default, which links nothing.
    fn link_unlinked(&self, key: &EvidenceKey) -> Result<u64, StoreError> {
        let _ = key;
        Ok(0)
    }

    /// Checks every link of the chains under `key`; fails with
    /// [`StoreError::Tampered`] naming the first bad position. With `expected` (a
    /// report kept from an earlier run, out of the writers' reach), also that the chain
    /// still holds that history: a cut or a rewrite by someone holding the key shows.
    fn verify(
        &self,
        key: &EvidenceKey,
        expected: Option<&ChainReport>,
    ) -> Result<ChainReport, StoreError> {
        super::verify::verify(
            key,
            |from| self.read_events(from, super::verify::BATCH),
            |from| self.read_floors(from, super::verify::BATCH),
            |from| self.read_notices(from, super::verify::BATCH),
            expected,
        )
    }
}

/// The erasure event of `subject_ref` and its kept evidence, from the subject's events
/// (position, link, event) in position order.
pub(crate) fn erasure_of(
    subject_ref: EvidenceRef,
    rows: &[(u64, [u8; 32], ConsentEvent)],
    at: DateTime<Utc>,
    keep_until: DateTime<Utc>,
) -> Result<(ConsentErased, Vec<u8>), StoreError> {
    let kept: Vec<KeptEvidence> = rows
        .iter()
        .filter_map(|(seq, _, e)| KeptEvidence::of(*seq, e))
        .collect();
    let json = serde_json::to_vec(&kept).map_err(|_| StoreError::Corrupt {
        what: "kept consent evidence (not serialisable)",
    })?;
    let mut kept_sha256 = [0u8; 32];
    kept_sha256.copy_from_slice(ring::digest::digest(&ring::digest::SHA256, &json).as_ref());
    Ok((
        ConsentErased {
            subject: subject_ref,
            at,
            keep_until,
            kept_sha256,
            removed: rows
                .iter()
                .map(|(position, link, _)| RemovedLink {
                    position: *position,
                    link: *link,
                })
                .collect(),
        },
        json,
    ))
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
            fn notice_floor(&self, purpose: &str, notice: &str, key: &EvidenceKey) -> Result<u32, StoreError> {
                (**self).notice_floor(purpose, notice, key)
            }
            fn raise_notice_floor(&self, purpose: &str, notice: Option<&str>, version: u32, key: &EvidenceKey) -> Result<(), StoreError> {
                (**self).raise_notice_floor(purpose, notice, version, key)
            }
            fn register_notice(&self, notice: &RegisteredNotice, key: &EvidenceKey) -> Result<RegisteredNotice, StoreError> {
                (**self).register_notice(notice, key)
            }
            fn notice(&self, purpose: &str, id: &str, version: u32, key: &EvidenceKey) -> Result<Option<RegisteredNotice>, StoreError> {
                (**self).notice(purpose, id, version, key)
            }
            fn erase(&self, subject: &SubjectId, at: DateTime<Utc>, keep_until: DateTime<Utc>, key: &EvidenceKey) -> Result<Option<u64>, StoreError> {
                (**self).erase(subject, at, keep_until, key)
            }
            fn erasure(&self, subject: &EvidenceRef, key: &EvidenceKey) -> Result<Option<StoredErasure>, StoreError> {
                (**self).erasure(subject, key)
            }
            fn purge_kept(&self, now: DateTime<Utc>) -> Result<u64, StoreError> {
                (**self).purge_kept(now)
            }
            fn read_events(&self, from: u64, limit: usize) -> Result<Vec<ChainedEvent>, StoreError> {
                (**self).read_events(from, limit)
            }
            fn read_floors(&self, from: u64, limit: usize) -> Result<Vec<ChainedFloor>, StoreError> {
                (**self).read_floors(from, limit)
            }
            fn read_notices(&self, from: u64, limit: usize) -> Result<Vec<ChainedNotice>, StoreError> {
                (**self).read_notices(from, limit)
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
