//! Where audit entries go: the [`AuditSink`] trait, and memory.

use std::sync::{Arc, Mutex, MutexGuard};

use super::{AuditEntry, AuditError, AuditEvent, AuditQuery, AuditRecord, BATCH};

/// Storage for audit entries. Implementations: [`MemorySink`],
/// [`JsonLinesSink`](super::JsonLinesSink) and
/// [`SqliteStore`](crate::sqlite::SqliteStore).
///
/// `append` must either store the entry durably (as durable as the sink is) and
/// return `Ok`, or return an error and store nothing: the trail does not advance, and
/// the audited action is refused (fail-closed).
///
/// The [`AuditTrail`](super::AuditTrail) owns its sink and calls it one call at a
/// time, so a sink needs no locking of its own (`append` takes
/// `&mut self`, and a sink only has to be `Send`). To read a sink while a trail
/// appends to it, share a handle: [`SqliteStore`](crate::sqlite::SqliteStore) is one,
/// and `Arc<MemorySink>` is a sink too; a JSON Lines file being written is read with
/// [`JsonLinesSink::open_read_only`](super::JsonLinesSink::open_read_only).
pub trait AuditSink: Send {
    /// Stores one entry after the last.
    fn append(&mut self, entry: AuditRecord<'_>) -> Result<(), AuditError>;
    /// Whether a commit is costly enough (a durable transaction, an `fsync`) that
    /// appends arriving together should share one: the trail then calls
    /// [`append_group`](Self::append_group) with every entry that queued while the
    /// previous commit ran. The default, `false`, has the trail call `append` under
    /// its lock, one entry at a time.
    fn commits_in_groups(&self) -> bool {
        false
    }
    /// Stores `entries` after the last, **all or none**. Override it together with
    /// [`commits_in_groups`](Self::commits_in_groups). The default appends them one
    /// by one, which is not all-or-none: if it stops part-way, the entries it stored
    /// stay, and `verify` reports the chain broken after them.
    fn append_group(&mut self, entries: &[AuditRecord<'_>]) -> Result<(), AuditError> {
        entries.iter().try_for_each(|e| self.append(*e))
    }
    /// Whether other writers (trails in other processes, or other handles in this one)
    /// may append to the same storage. A shared sink must implement
    /// [`append_shared`](Self::append_shared), which the trail then calls instead of
    /// `append_group`, so that every writer's entries form one chain.
    fn is_shared(&self) -> bool {
        false
    }
    /// For a [shared](Self::is_shared) sink: in one transaction that excludes the other
    /// writers, reads the last stored entry, chains `events` (canonical bytes) onto it
    /// (positions and [`chain_hash`](super::chain_hash)es follow the stored head, not
    /// the caller's idea of it), and stores them, **all or none**. Returns the position
    /// of the first and the hash of the last. The default refuses (`NotShareable`).
    fn append_shared(&mut self, events: &[&[u8]]) -> Result<(u64, [u8; 32]), AuditError> {
        let _ = events;
        Err(AuditError::NotShareable)
    }
    /// Up to `limit` entries from position `from` on, in order.
    fn read(&self, from: u64, limit: usize) -> Result<Vec<AuditEntry>, AuditError>;
    /// The last entry, to continue the chain after a restart.
    fn last(&self) -> Result<Option<AuditEntry>, AuditError>;
    /// Events matching `query`, oldest first. The default reads every entry.
    fn query(&self, query: &AuditQuery) -> Result<Vec<AuditEvent>, AuditError> {
        let mut out = Vec::new();
        let mut from = 0;
        loop {
            let batch = self.read(from, BATCH)?;
            if batch.is_empty() {
                return Ok(out);
            }
            // By position, not by the entries' `seq`: a damaged entry's is not one.
            from += batch.len() as u64;
            out.extend(
                batch
                    .iter()
                    .filter_map(AuditEntry::decode)
                    .filter(|e| query.matches(e)),
            );
        }
    }
}

/// Entries in memory: for tests, and for processes that ship the trail elsewhere.
///
/// Events are kept back to back in one buffer, with a fixed-size index entry each, so
/// appending allocates nothing per event (`benches/audit.rs`). Owned by a trail
/// (`AuditTrail::new(MemorySink::new())`), appending takes no lock; shared as
/// `Arc<MemorySink>`, so that it can be read or [tampered with](Self::tamper) beside
/// the trail, each append also locks the sink.
#[derive(Default)]
pub struct MemorySink {
    inner: Mutex<Arena>,
}

#[derive(Default)]
struct Arena {
    bytes: Vec<u8>,
    /// (seq, end of the event in `bytes`, hash).
    index: Vec<(u64, usize, [u8; 32])>,
}

impl Arena {
    fn entry(&self, i: usize) -> Option<AuditEntry> {
        let &(seq, end, hash) = self.index.get(i)?;
        let start = i.checked_sub(1).map_or(0, |p| self.index[p].1);
        Some(AuditEntry {
            seq,
            event: self.bytes.get(start..end)?.to_vec(),
            hash,
        })
    }

    fn push(&mut self, entry: AuditRecord<'_>) {
        self.bytes.extend_from_slice(entry.event);
        self.index.push((entry.seq, self.bytes.len(), *entry.hash));
    }
}

impl MemorySink {
    /// An empty sink.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> Result<MutexGuard<'_, Arena>, AuditError> {
        self.inner.lock().map_err(|_| AuditError::Poisoned)
    }

    /// Direct write access to the stored entries, as an insider with access to the
    /// storage has: for tamper drills and tests of [`verify`](super::AuditTrail::verify).
    pub fn tamper<R>(&self, f: impl FnOnce(&mut Vec<AuditEntry>) -> R) -> Result<R, AuditError> {
        let mut arena = self.lock()?;
        let mut entries: Vec<AuditEntry> = (0..arena.index.len())
            .filter_map(|i| arena.entry(i))
            .collect();
        let out = f(&mut entries);
        *arena = Arena::default();
        entries.iter().for_each(|e| arena.push(e.as_record()));
        Ok(out)
    }
}

impl AuditSink for MemorySink {
    fn append(&mut self, entry: AuditRecord<'_>) -> Result<(), AuditError> {
        // Owned by the trail, whose lock already serializes appends.
        self.inner
            .get_mut()
            .map_err(|_| AuditError::Poisoned)?
            .push(entry);
        Ok(())
    }

    fn read(&self, from: u64, limit: usize) -> Result<Vec<AuditEntry>, AuditError> {
        let arena = self.lock()?;
        let from = usize::try_from(from).unwrap_or(usize::MAX);
        Ok((from..arena.index.len())
            .take(limit)
            .filter_map(|i| arena.entry(i))
            .collect())
    }

    fn last(&self) -> Result<Option<AuditEntry>, AuditError> {
        let arena = self.lock()?;
        Ok(arena
            .index
            .len()
            .checked_sub(1)
            .and_then(|i| arena.entry(i)))
    }
}

impl AuditSink for Arc<MemorySink> {
    fn append(&mut self, entry: AuditRecord<'_>) -> Result<(), AuditError> {
        self.lock()?.push(entry);
        Ok(())
    }

    fn read(&self, from: u64, limit: usize) -> Result<Vec<AuditEntry>, AuditError> {
        (**self).read(from, limit)
    }

    fn last(&self) -> Result<Option<AuditEntry>, AuditError> {
        (**self).last()
    }
}
