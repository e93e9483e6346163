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
//!
//! A [shared](AuditSink::is_shared) sink (one SQLite file, several processes) gets the
//! events only: it chains them onto the head it holds, inside its own transaction, and
//! says where they went. The positions and hashes computed here are then only this
//! process's guess, and each append returns the position the sink gave its entry.

use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock, PoisonError};

use super::{AuditError, AuditRecord, AuditSink, CHAIN_PREFIX, chain_into};

pub(super) struct Grouped {
    state: Mutex<State>,
    committed: Condvar,
    sink: Mutex<Box<dyn AuditSink>>,
    /// Whether other writers append to the sink too (it chains in its transaction).
    shared: bool,
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

/// How one commit ended, shared by the appends it carried: the position of its first
/// entry, or the error. Set once, under the state lock, before `committing` is
/// cleared; each waiter holds its own `Arc`, so nothing is kept once they have all
/// returned.
#[derive(Default)]
struct Batch {
    outcome: OnceLock<Result<u64, AuditError>>,
}

/// Where a commit put its entries: the position of the first, the hash of the last.
type Placed = (u64, [u8; 32]);

struct Queued {
    seq: u64,
    event: Vec<u8>,
    hash: [u8; 32],
}

impl Grouped {
    pub(super) fn new(sink: Box<dyn AuditSink>, seq: u64, prev: [u8; 32]) -> Self {
        Grouped {
            shared: sink.is_shared(),
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
        // This entry's place in its batch: the batch is committed whole, in order.
        let index = st.open.len() as u64;
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
                return outcome.clone().map(|first| first + index);
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
            st = leader.finish(result, group.len() as u64)?;
        }
    }

    fn commit(&self, group: &[Queued]) -> Result<Placed, AuditError> {
        let (Some(first), Some(last)) = (group.first(), group.last()) else {
            return Err(AuditError::sink("an empty group commit"));
        };
        let mut sink = self.sink.lock().map_err(|_| AuditError::Poisoned)?;
        if self.shared {
            let events: Vec<&[u8]> = group.iter().map(|q| &q.event[..]).collect();
            return sink.append_shared(&events);
        }
        let records: Vec<AuditRecord<'_>> = group
            .iter()
            .map(|q| AuditRecord {
                seq: q.seq,
                event: &q.event,
                hash: &q.hash,
            })
            .collect();
        sink.append_group(&records)?;
        Ok((first.seq, last.hash))
    }

    /// Runs `f` on the sink, between commits.
    pub(super) fn with_sink<R>(
        &self,
        f: impl FnOnce(&dyn AuditSink) -> Result<R, AuditError>,
    ) -> Result<R, AuditError> {
        let sink = self.sink.lock().map_err(|_| AuditError::Poisoned)?;
        f(&**sink)
    }

    /// The length and last hash of what this trail stored, for a sink no one else
    /// writes (`None` for a shared one, whose head other writers move).
    pub(super) fn own_head(&self) -> Result<Option<(u64, [u8; 32])>, AuditError> {
        if self.shared {
            return Ok(None);
        }
        let st = self.state()?;
        Ok(Some((st.durable, st.durable_prev)))
    }
}

impl State {
    /// Ends a commit of `count` entries: on success the head the sink holds moves past
    /// them; on failure the entries chained onto the failed ones fail too, and the
    /// head goes back to what the sink holds.
    fn settle(&mut self, batch: &Batch, result: Result<Placed, AuditError>, count: u64) {
        match &result {
            Ok((first, last_hash)) => {
                self.durable = first + count;
                self.durable_prev = *last_hash;
                if self.seq < self.durable {
                    // Other writers moved a shared sink's head: guess after it (the
                    // sink chains the open entries onto its own head anyway).
                    self.seq = self.durable + self.open.len() as u64;
                }
            }
            Err(e) => {
                let _ = std::mem::take(&mut self.open_batch)
                    .outcome
                    .set(Err(e.clone()));
                self.open.clear();
                self.seq = self.durable;
                self.prev = self.durable_prev;
            }
        }
        let _ = batch.outcome.set(result.map(|(first, _)| first));
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
        result: Result<Placed, AuditError>,
        count: u64,
    ) -> Result<MutexGuard<'a, State>, AuditError> {
        let batch = self.batch.take();
        let mut st = self
            .grouped
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(batch) = batch {
            st.settle(&batch, result, count);
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
            st.settle(&batch, Err(AuditError::Poisoned), 0);
            self.grouped.committed.notify_all();
        }
    }
}
