//! Where consent evidence is kept: the [`ConsentStore`] trait and its in-memory form.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use chrono::{DateTime, Utc};

use super::evidence::ConsentEvent;
use crate::store::StoreError;
use crate::subject::SubjectId;

/// The current state of one subject's consent to one purpose, folded from its history.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConsentStatus {
    /// When the latest consent was given.
    pub given_at: DateTime<Utc>,
    /// The notice version it was given to.
    pub notice_version: u32,
    /// When it lapses, if it does.
    pub expires_at: Option<DateTime<Utc>>,
    /// When it was withdrawn, if it was (after it was given).
    pub withdrawn_at: Option<DateTime<Utc>>,
}

impl ConsentStatus {
    /// Folds one event into the status: a new consent replaces the old one, a withdrawal
    /// marks the current one withdrawn (a withdrawal with nothing given changes nothing).
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

    /// Folds a subject's history for one purpose, in append order.
    pub fn fold<'a>(
        purpose: &str,
        events: impl IntoIterator<Item = &'a ConsentEvent>,
    ) -> Option<ConsentStatus> {
        let mut status = None;
        for e in events.into_iter().filter(|e| e.purpose() == purpose) {
            ConsentStatus::apply(&mut status, e);
        }
        status
    }
}

/// Storage for consent evidence. Append-only: evidence is never updated or deleted.
///
/// Implementations: [`MemoryConsentStore`] (tests, caches) and
/// [`SqliteStore`](crate::store::SqliteStore) (the embedded durable default).
pub trait ConsentStore: Send + Sync {
    /// Appends an event durably before returning.
    fn append(&self, event: &ConsentEvent) -> Result<(), StoreError>;
    /// The current status of `subject`'s consent to `purpose`, if any was ever given.
    fn status(
        &self,
        subject: &SubjectId,
        purpose: &str,
    ) -> Result<Option<ConsentStatus>, StoreError>;
    /// Every event about `subject`, in append order.
    fn history(&self, subject: &SubjectId) -> Result<Vec<ConsentEvent>, StoreError>;
    /// The run-time minimum notice version for `purpose` (0 when none was set).
    fn notice_floor(&self, purpose: &str) -> Result<u32, StoreError>;
    /// Raises the minimum notice version for `purpose`; never lowers it.
    fn raise_notice_floor(&self, purpose: &str, version: u32) -> Result<(), StoreError>;
}

macro_rules! forward_consent_store {
    ($($ptr:ident),*) => {$(
        /// Shares one store between ledgers, or hands a boxed one over.
        impl<S: ConsentStore + ?Sized> ConsentStore for $ptr<S> {
            fn append(&self, event: &ConsentEvent) -> Result<(), StoreError> {
                (**self).append(event)
            }
            fn status(&self, subject: &SubjectId, purpose: &str) -> Result<Option<ConsentStatus>, StoreError> {
                (**self).status(subject, purpose)
            }
            fn history(&self, subject: &SubjectId) -> Result<Vec<ConsentEvent>, StoreError> {
                (**self).history(subject)
            }
            fn notice_floor(&self, purpose: &str) -> Result<u32, StoreError> {
                (**self).notice_floor(purpose)
            }
            fn raise_notice_floor(&self, purpose: &str, version: u32) -> Result<(), StoreError> {
                (**self).raise_notice_floor(purpose, version)
            }
        }
    )*};
}
forward_consent_store!(Arc, Box);

/// Consent evidence held in memory: fast, and gone when the process ends.
///
/// The current status is indexed by purpose, then subject, with the status inline, so
/// a check costs one small-map and one subject-map lookup (`benches/consent.rs`).
#[derive(Default)]
pub struct MemoryConsentStore {
    inner: RwLock<MemoryInner>,
}

#[derive(Default)]
struct MemoryInner {
    current: HashMap<String, HashMap<SubjectId, ConsentStatus>>,
    events: HashMap<SubjectId, Vec<ConsentEvent>>,
    floors: HashMap<String, u32>,
}

impl MemoryConsentStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }
}

impl ConsentStore for MemoryConsentStore {
    fn append(&self, event: &ConsentEvent) -> Result<(), StoreError> {
        let mut inner = self.inner.write().map_err(|_| StoreError::Poisoned)?;
        let by_subject = match inner.current.get_mut(event.purpose()) {
            Some(m) => m,
            None => inner.current.entry(event.purpose().to_owned()).or_default(),
        };
        let mut status = by_subject.get(event.subject()).copied();
        ConsentStatus::apply(&mut status, event);
        if let Some(status) = status {
            by_subject.insert(event.subject().clone(), status);
        }
        inner
            .events
            .entry(event.subject().clone())
            .or_default()
            .push(event.clone());
        Ok(())
    }

    fn status(
        &self,
        subject: &SubjectId,
        purpose: &str,
    ) -> Result<Option<ConsentStatus>, StoreError> {
        let inner = self.inner.read().map_err(|_| StoreError::Poisoned)?;
        Ok(inner
            .current
            .get(purpose)
            .and_then(|m| m.get(subject))
            .copied())
    }

    fn history(&self, subject: &SubjectId) -> Result<Vec<ConsentEvent>, StoreError> {
        let inner = self.inner.read().map_err(|_| StoreError::Poisoned)?;
        Ok(inner.events.get(subject).cloned().unwrap_or_default())
    }

    fn notice_floor(&self, purpose: &str) -> Result<u32, StoreError> {
        let inner = self.inner.read().map_err(|_| StoreError::Poisoned)?;
        Ok(inner.floors.get(purpose).copied().unwrap_or(0))
    }

    fn raise_notice_floor(&self, purpose: &str, version: u32) -> Result<(), StoreError> {
        let mut inner = self.inner.write().map_err(|_| StoreError::Poisoned)?;
        let floor = inner.floors.entry(purpose.to_owned()).or_insert(0);
        *floor = (*floor).max(version);
        Ok(())
    }
}
