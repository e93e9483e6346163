//! Group commit, for sinks whose commit is a durable transaction: appends that arrive
//! while one commit runs wait together, and the next commit stores them all.
//!
//! Each append hashes its entry onto the chain's head at once (so positions and
//! hashes are fixed in arrival order), joins the open batch and waits. The first
//! waiter that finds no commit running leads: it takes the batch, commits it with one
//! [`AuditSink::append_group`] outside the lock, and wakes the others. An append
//! returns `Ok` only once the sink holds its entry. When a commit fails, its entries
//! and every entry that joined the next batch meanwhile (they are chained onto the
//! failed ones) fail with its error, and the head goes back to what the sink holds:
//! fail-closed, and no gap in the chain.

use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock, PoisonError};

use super::{AuditError, AuditRecord, AuditSink, CHAIN_PREFIX, chain_into};

pub(super) struct Grouped {
    state: Mutex<State>,
    committed: Condvar,
    sink: Mutex<Box<dyn AuditSink>>,
}

struct State {
    /// Next position, and the hash of the entry before it, open entries included.
    seq: u64,
    prev: [u8; 32],
    /// Entries the sink holds, and the hash of the last.
    durable: u64,
    durable_prev: [u8; 32],
    /// Entries after the batch being committed, in order, waiting for the next commit.
    open: Vec<Queued>,
    /// What the waiters on `open` will learn.
    open_batch: Arc<Batch>,
    /// Whether a leader is committing (outside the lock).
    committing: bool,
}

/// How one commit ended, shared by the appends it carried. Set once, under the state
/// lock, before `committing` is cleared; each waiter holds its own `Arc`, so nothing
/// is kept once they have all returned.
#[derive(Default)]
struct Batch {
    outcome: OnceLock<Result<(), AuditError>>,
}

struct Queued {
    seq: u64,
    event: Vec<u8>,
    hash: [u8; 32],
}

impl Grouped {
    pub(super) fn new(sink: Box<dyn AuditSink>, seq: u64, prev: [u8; 32]) -> Self {
        Grouped {
            state: Mutex::new(State {
                seq,
                prev,
                durable: seq,
                durable_prev: prev,
                open: Vec::new(),
                open_batch: Arc::default(),
                committing: false,
            }),
            committed: Condvar::new(),
            sink: Mutex::new(sink),
        }
    }

    fn state(&self) -> Result<MutexGuard<'_, State>, AuditError> {
        self.state.lock().map_err(|_| AuditError::Poisoned)
    }

    pub(super) fn record(&self, encode: impl FnOnce(&mut Vec<u8>)) -> Result<u64, AuditError> {
        let mut st = self.state()?;
        let mut buf = Vec::with_capacity(256);
        let hash = chain_into(&mut buf, &st.prev, st.seq, encode);
        buf.drain(..CHAIN_PREFIX);
        let seq = st.seq;
        st.open.push(Queued {
            seq,
            event: buf,
            hash,
        });
        st.seq += 1;
        st.prev = hash;
        let batch = Arc::clone(&st.open_batch);
        loop {
            if let Some(outcome) = batch.outcome.get() {
                return outcome.clone().map(|()| seq);
            }
            if st.committing {
                st = self.committed.wait(st).map_err(|_| AuditError::Poisoned)?;
                continue;
            }
            // No commit runs and this batch has no outcome, so it is still the open
            // one, holding this entry: lead it.
            st.committing = true;
            let group = std::mem::take(&mut st.open);
            let taken = std::mem::take(&mut st.open_batch);
            drop(st);
            let leader = Leader {
                grouped: self,
                batch: Some(taken),
            };
            let result = self.commit(&group);
            st = leader.finish(result, group.last())?;
        }
    }

    fn commit(&self, group: &[Queued]) -> Result<(), AuditError> {
        let records: Vec<AuditRecord<'_>> = group
            .iter()
            .map(|q| AuditRecord {
                seq: q.seq,
                event: &q.event,
                hash: &q.hash,
            })
            .collect();
        let mut sink = self.sink.lock().map_err(|_| AuditError::Poisoned)?;
        sink.append_group(&records)
    }

    /// Runs `f` on the sink, between commits.
    pub(super) fn with_sink<R>(
        &self,
        f: impl FnOnce(&dyn AuditSink) -> Result<R, AuditError>,
    ) -> Result<R, AuditError> {
        let sink = self.sink.lock().map_err(|_| AuditError::Poisoned)?;
        f(&**sink)
    }

    /// What the sink holds: its length and last hash.
    pub(super) fn head(&self) -> Result<(u64, [u8; 32]), AuditError> {
        let st = self.state()?;
        Ok((st.durable, st.durable_prev))
    }
}

impl State {
    /// Ends a commit: on success the head the sink holds moves to `last`; on failure
    /// the entries chained onto the failed ones fail too, and the head goes back to
    /// what the sink holds.
    fn settle(&mut self, batch: &Batch, result: Result<(), AuditError>, last: Option<&Queued>) {
        match (&result, last) {
            (Ok(()), Some(last)) => {
                self.durable = last.seq + 1;
                self.durable_prev = last.hash;
            }
            (Ok(()), None) => {}
            (Err(e), _) => {
                let _ = std::mem::take(&mut self.open_batch)
                    .outcome
                    .set(Err(e.clone()));
                self.open.clear();
                self.seq = self.durable;
                self.prev = self.durable_prev;
            }
        }
        let _ = batch.outcome.set(result);
        self.committing = false;
    }
}

/// The leader's duty to settle its batch. If the sink panics during the commit, the
/// guard settles it as failed on the way out, so no waiter waits forever.
struct Leader<'a> {
    grouped: &'a Grouped,
    batch: Option<Arc<Batch>>,
}

impl<'a> Leader<'a> {
    fn finish(
        mut self,
        result: Result<(), AuditError>,
        last: Option<&Queued>,
    ) -> Result<MutexGuard<'a, State>, AuditError> {
        let batch = self.batch.take();
        let mut st = self
            .grouped
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(batch) = batch {
            st.settle(&batch, result, last);
        }
        self.grouped.committed.notify_all();
        Ok(st)
    }
}

impl Drop for Leader<'_> {
    fn drop(&mut self) {
        if let Some(batch) = self.batch.take() {
            let mut st = self
                .grouped
                .state
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            st.settle(&batch, Err(AuditError::Poisoned), None);
            self.grouped.committed.notify_all();
        }
    }
}
