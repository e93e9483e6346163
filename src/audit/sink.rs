//! Where audit entries go: the [`AuditSink`] trait, memory, and JSON Lines.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::{AuditEntry, AuditError, AuditEvent, AuditQuery, AuditRecord, hex, unhex};

/// Storage for audit entries. Implementations: [`MemorySink`], [`JsonLinesSink`] and
/// [`SqliteStore`](crate::store::SqliteStore).
///
/// `append` must either store the entry durably (as durable as the sink is) and
/// return `Ok`, or return an error and store nothing: the trail does not advance, and
/// the audited action is refused (fail-closed).
///
/// The [`AuditTrail`](super::AuditTrail) owns its sink and calls it under its own
/// lock, one call at a time, so a sink needs no locking of its own (`append` takes
/// `&mut self`, and a sink only has to be `Send`). To read a sink while a trail
/// appends to it, share a handle: [`SqliteStore`](crate::store::SqliteStore) is one,
/// and `Arc<MemorySink>` is a sink too.
pub trait AuditSink: Send {
    /// Stores one entry after the last.
    fn append(&mut self, entry: AuditRecord<'_>) -> Result<(), AuditError>;
    /// Up to `limit` entries from position `from` on, in order.
    fn read(&self, from: u64, limit: usize) -> Result<Vec<AuditEntry>, AuditError>;
    /// The last entry, to continue the chain after a restart.
    fn last(&self) -> Result<Option<AuditEntry>, AuditError>;
    /// Events matching `query`, oldest first. The default reads every entry.
    fn query(&self, query: &AuditQuery) -> Result<Vec<AuditEvent>, AuditError> {
        let mut out = Vec::new();
        let mut from = 0;
        loop {
            let batch = self.read(from, 4096)?;
            let Some(last) = batch.last() else {
                return Ok(out);
            };
            from = last.seq + 1;
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

/// One JSON object per line, for shipping to a SIEM: `seq`, `hash` (hex), `event`
/// (the decoded event, for humans and search) and `bytes` (the canonical bytes,
/// base64, which the chain covers). Each line is written and flushed before `append`
/// returns; with [`JsonLinesSink::open`] the file is also synced.
pub struct JsonLinesSink {
    out: Box<dyn Write + Send>,
    path: Option<PathBuf>,
    last: Option<AuditEntry>,
    sync: Option<File>,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Line {
    seq: u64,
    hash: String,
    event: Option<AuditEvent>,
    bytes: String,
}

impl JsonLinesSink {
    /// Appends to the file at `path` (created if missing), continuing its chain.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, AuditError> {
        let path = path.as_ref().to_path_buf();
        let existing = read_lines(&path, 0, usize::MAX)?;
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|e| AuditError::Sink(e.to_string()))?;
        let sync = file
            .try_clone()
            .map_err(|e| AuditError::Sink(e.to_string()))?;
        Ok(JsonLinesSink {
            out: Box::new(file),
            path: Some(path),
            last: existing.into_iter().last(),
            sync: Some(sync),
        })
    }

    /// Writes to `writer` (a socket, a pipe, stdout): a new chain from position 0,
    /// which cannot be read back through the sink.
    pub fn new(writer: impl Write + Send + 'static) -> Self {
        JsonLinesSink {
            out: Box::new(writer),
            path: None,
            last: None,
            sync: None,
        }
    }
}

fn read_lines(path: &Path, from: u64, limit: usize) -> Result<Vec<AuditEntry>, AuditError> {
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(AuditError::Sink(e.to_string())),
    };
    let mut out = Vec::new();
    for (i, line) in BufReader::new(file).lines().enumerate() {
        let line = line.map_err(|e| AuditError::Sink(e.to_string()))?;
        if (i as u64) < from {
            continue;
        }
        if out.len() >= limit {
            break;
        }
        // A line that does not parse is kept as an entry that cannot verify, so
        // `verify` reports its position instead of skipping it.
        let entry = serde_json::from_str::<Line>(&line)
            .ok()
            .and_then(|l| {
                Some(AuditEntry {
                    seq: l.seq,
                    hash: unhex(&l.hash)?.try_into().ok()?,
                    event: STANDARD.decode(l.bytes).ok()?,
                })
            })
            .unwrap_or(AuditEntry {
                seq: u64::MAX,
                event: Vec::new(),
                hash: [0; 32],
            });
        out.push(entry);
    }
    Ok(out)
}

impl AuditSink for JsonLinesSink {
    fn append(&mut self, entry: AuditRecord<'_>) -> Result<(), AuditError> {
        let line = Line {
            seq: entry.seq,
            hash: hex(entry.hash),
            event: AuditEvent::decode(entry.event),
            bytes: STANDARD.encode(entry.event),
        };
        let mut text = serde_json::to_string(&line).map_err(|e| AuditError::Sink(e.to_string()))?;
        text.push('\n');
        self.out
            .write_all(text.as_bytes())
            .and_then(|()| self.out.flush())
            .map_err(|e| AuditError::Sink(e.to_string()))?;
        if let Some(file) = &self.sync {
            file.sync_data()
                .map_err(|e| AuditError::Sink(e.to_string()))?;
        }
        self.last = Some(entry.to_entry());
        Ok(())
    }

    fn read(&self, from: u64, limit: usize) -> Result<Vec<AuditEntry>, AuditError> {
        match &self.path {
            Some(path) => read_lines(path, from, limit),
            None => Err(AuditError::Unsupported),
        }
    }

    fn last(&self) -> Result<Option<AuditEntry>, AuditError> {
        Ok(self.last.clone())
    }
}
