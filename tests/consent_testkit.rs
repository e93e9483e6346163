//! `testkit::consent_store` refuses a consent store whose `history` is lossy: it
//! drops the newest event, reorders or duplicates events (and one whose `status`
//! hides a withdrawal); it passes the honest store behind the same wrapper.
#![cfg(feature = "testkit")]
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use custodian::SubjectId;
use custodian::consent::{
    ChainReport, ChainedEvent, ChainedFloor, ChainedNotice, ConsentEvent, ConsentStatus,
    ConsentStore, EvidenceKey, EvidenceRef, MemoryConsentStore, RegisteredNotice, StoredErasure,
};
use custodian::store::StoreError;

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Honest,
    StatusHidesWithdrawal,
    HistoryDropsNewest,
    HistoryReversed,
    HistoryDuplicatesOne,
}

#[derive(Clone)]
struct Leaky {
    inner: Arc<MemoryConsentStore>,
    mode: Mode,
}

impl ConsentStore for Leaky {
    fn append(&self, e: &ConsentEvent, k: &EvidenceKey) -> Result<u64, StoreError> {
        self.inner.append(e, k)
    }
    fn status(
        &self,
        s: &SubjectId,
        p: &str,
        k: &EvidenceKey,
    ) -> Result<Option<ConsentStatus>, StoreError> {
        let mut st = self.inner.status(s, p, k)?;
        if self.mode == Mode::StatusHidesWithdrawal
            && let Some(st) = st.as_mut()
        {
            st.withdrawn_at = None;
        }
        Ok(st)
    }
    fn history(&self, s: &SubjectId) -> Result<Vec<ConsentEvent>, StoreError> {
        let mut h = self.inner.history(s)?;
        match self.mode {
            Mode::HistoryDropsNewest => {
                h.pop();
            }
            Mode::HistoryReversed => h.reverse(),
            Mode::HistoryDuplicatesOne => {
                if let Some(first) = h.first().cloned() {
                    h.insert(1, first);
                }
            }
            _ => {}
        }
        Ok(h)
    }
    fn notice_floor(&self, p: &str, n: &str, k: &EvidenceKey) -> Result<u32, StoreError> {
        self.inner.notice_floor(p, n, k)
    }
    fn raise_notice_floor(
        &self,
        p: &str,
        n: Option<&str>,
        v: u32,
        k: &EvidenceKey,
    ) -> Result<(), StoreError> {
        self.inner.raise_notice_floor(p, n, v, k)
    }
    fn register_notice(
        &self,
        n: &RegisteredNotice,
        k: &EvidenceKey,
    ) -> Result<RegisteredNotice, StoreError> {
        self.inner.register_notice(n, k)
    }
    fn notice(
        &self,
        p: &str,
        id: &str,
        v: u32,
        k: &EvidenceKey,
    ) -> Result<Option<RegisteredNotice>, StoreError> {
        self.inner.notice(p, id, v, k)
    }
    fn erase(
        &self,
        s: &SubjectId,
        at: DateTime<Utc>,
        ku: DateTime<Utc>,
        k: &EvidenceKey,
    ) -> Result<Option<u64>, StoreError> {
        self.inner.erase(s, at, ku, k)
    }
    fn erasure(
        &self,
        s: &EvidenceRef,
        k: &EvidenceKey,
    ) -> Result<Option<StoredErasure>, StoreError> {
        self.inner.erasure(s, k)
    }
    fn purge_kept(&self, now: DateTime<Utc>) -> Result<u64, StoreError> {
        self.inner.purge_kept(now)
    }
    fn read_events(&self, f: u64, l: usize) -> Result<Vec<ChainedEvent>, StoreError> {
        self.inner.read_events(f, l)
    }
    fn read_floors(&self, f: u64, l: usize) -> Result<Vec<ChainedFloor>, StoreError> {
        self.inner.read_floors(f, l)
    }
    fn read_notices(&self, f: u64, l: usize) -> Result<Vec<ChainedNotice>, StoreError> {
        self.inner.read_notices(f, l)
    }
    fn link_unlinked(&self, k: &EvidenceKey) -> Result<u64, StoreError> {
        self.inner.link_unlinked(k)
    }
    fn verify(&self, k: &EvidenceKey, e: Option<&ChainReport>) -> Result<ChainReport, StoreError> {
        self.inner.verify(k, e)
    }
}

fn caught(mode: Mode) -> bool {
    let f = move || Leaky {
        inner: Arc::new(MemoryConsentStore::new()),
        mode,
    };
    let prev = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let r = catch_unwind(AssertUnwindSafe(|| custodian::testkit::consent_store(&f)));
    std::panic::set_hook(prev);
    r.is_err()
}

#[test]
fn honest_consent_wrapper_passes() {
    assert!(!caught(Mode::Honest));
}
#[test]
fn consent_suite_catches_status_hiding_withdrawal() {
    assert!(caught(Mode::StatusHidesWithdrawal));
}
#[test]
fn consent_suite_catches_history_dropping_newest_event() {
    assert!(caught(Mode::HistoryDropsNewest));
}
#[test]
fn consent_suite_catches_history_reordering_events() {
    assert!(caught(Mode::HistoryReversed));
}
#[test]
fn consent_suite_catches_history_duplicating_an_event() {
    assert!(caught(Mode::HistoryDuplicatesOne));
}
