//! The JSON Lines sink: one JSON object per line, to a file or a stream (a SIEM).
//!
//! An append writes one whole line or, as far as the sink can tell, nothing: a file
//! is cut back to its last whole line when a write, flush or sync fails, and a line
//! cut short by a crash is removed when the file is opened again (its append never
//! returned, so no action relied on it). A stream cannot be cut back, so after a
//! failure part-way through a line the sink refuses further appends.

use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::{AuditEntry, AuditError, AuditEvent, AuditRecord, AuditSink, hex, unhex};

/// One JSON object per line, for shipping to a SIEM: `seq`, `hash` (hex), `event`
/// (the decoded event, for humans and search) and `bytes` (the canonical bytes,
/// base64, which the chain covers). Each line is written and flushed before `append`
/// returns; with [`JsonLinesSink::open`] the file is also synced.
pub struct JsonLinesSink {
    out: Box<dyn Write + Send>,
    target: Target,
    last: Option<AuditEntry>,
}

enum Target {
    /// A file: `len` is its length up to the last acknowledged line.
    File { path: PathBuf, file: File, len: u64 },
    /// A stream; `broken` once a failed append may have left part of a line in it.
    Stream { broken: bool },
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Line {
    seq: u64,
    hash: String,
    event: Option<AuditEvent>,
    bytes: String,
}

fn sink_err(e: impl std::fmt::Display) -> AuditError {
    AuditError::Sink(e.to_string())
}

impl JsonLinesSink {
    /// Appends to the file at `path` (created if missing), continuing its chain. A
    /// last line without its newline (a crash during an append) is removed first.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, AuditError> {
        let path = path.as_ref().to_path_buf();
        match std::fs::metadata(&path) {
            Ok(m) if !m.is_file() => {
                return Err(AuditError::Sink(format!(
                    "{} is not a regular file: open files, and give streams (pipes, \
                     devices, sockets) to JsonLinesSink::new",
                    path.display()
                )));
            }
            _ => {}
        }
        let scan = scan(&path, 0, usize::MAX)?;
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(sink_err)?;
        if file.metadata().map_err(sink_err)?.len() != scan.whole {
            file.set_len(scan.whole)
                .and_then(|()| file.sync_data())
                .map_err(sink_err)?;
        }
        let out = file.try_clone().map_err(sink_err)?;
        Ok(JsonLinesSink {
            out: Box::new(out),
            target: Target::File {
                path,
                file,
                len: scan.whole,
            },
            last: scan.entries.into_iter().last(),
        })
    }

    /// Writes to `writer` (a socket, a pipe, stdout): a new chain from position 0,
    /// which cannot be read back through the sink.
    pub fn new(writer: impl Write + Send + 'static) -> Self {
        JsonLinesSink {
            out: Box::new(writer),
            target: Target::Stream { broken: false },
            last: None,
        }
    }
}

/// What a file holds: entries from `from` (at most `limit`), and the length of its
/// whole lines.
struct Scan {
    entries: Vec<AuditEntry>,
    whole: u64,
}

fn scan(path: &Path, from: u64, limit: usize) -> Result<Scan, AuditError> {
    let mut scan = Scan {
        entries: Vec::new(),
        whole: 0,
    };
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(scan),
        Err(e) => return Err(sink_err(e)),
    };
    let mut reader = BufReader::new(file);
    let mut line = Vec::new();
    let mut position = 0u64;
    loop {
        line.clear();
        let n = reader.read_until(b'\n', &mut line).map_err(sink_err)?;
        if n == 0 || line.last() != Some(&b'\n') {
            // The end, or a line cut short: not an entry.
            return Ok(scan);
        }
        scan.whole += n as u64;
        if position >= from && scan.entries.len() < limit {
            scan.entries.push(parse(&line));
        }
        position += 1;
    }
}

/// A line that does not parse is kept as an entry that cannot verify (`seq` is
/// `u64::MAX`), so `verify` reports its position instead of skipping it.
fn parse(line: &[u8]) -> AuditEntry {
    serde_json::from_slice::<Line>(line)
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
        })
}

/// Writes all of `bytes`; on failure, also says how many were written.
fn write_all(out: &mut dyn Write, bytes: &[u8]) -> Result<(), (usize, io::Error)> {
    let mut done = 0;
    while done < bytes.len() {
        match out.write(&bytes[done..]) {
            Ok(0) => return Err((done, io::ErrorKind::WriteZero.into())),
            Ok(n) => done += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err((done, e)),
        }
    }
    out.flush().map_err(|e| (done, e))
}

impl AuditSink for JsonLinesSink {
    fn append(&mut self, entry: AuditRecord<'_>) -> Result<(), AuditError> {
        self.append_group(&[entry])
    }

    /// A file is synced per commit, so appends arriving together share one `fsync`.
    fn commits_in_groups(&self) -> bool {
        matches!(self.target, Target::File { .. })
    }

    fn append_group(&mut self, entries: &[AuditRecord<'_>]) -> Result<(), AuditError> {
        if let Target::Stream { broken: true } = self.target {
            return Err(AuditError::Sink(
                "an earlier append failed part-way, so the stream may hold part of a line; \
                 start a new sink (a new chain) and tell the receiver"
                    .into(),
            ));
        }
        let Some(last) = entries.last() else {
            return Ok(());
        };
        let mut text = Vec::new();
        for entry in entries {
            let line = Line {
                seq: entry.seq,
                hash: hex(entry.hash),
                event: AuditEvent::decode(entry.event),
                bytes: STANDARD.encode(entry.event),
            };
            serde_json::to_writer(&mut text, &line).map_err(sink_err)?;
            text.push(b'\n');
        }
        let written = write_all(&mut self.out, &text);
        match &mut self.target {
            Target::File { file, len, .. } => {
                let synced = written.and_then(|()| file.sync_data().map_err(|e| (text.len(), e)));
                if let Err((_, e)) = synced {
                    // Cut back to the last acknowledged line; if even that fails, the
                    // next open removes a cut-short line, and whole ones stay (events
                    // recorded for actions that then failed).
                    let _ = file.set_len(*len).and_then(|()| file.sync_data());
                    return Err(sink_err(e));
                }
                *len += text.len() as u64;
            }
            Target::Stream { broken } => {
                if let Err((n, e)) = written {
                    *broken = n > 0;
                    return Err(sink_err(e));
                }
            }
        }
        self.last = Some(last.to_entry());
        Ok(())
    }

    fn read(&self, from: u64, limit: usize) -> Result<Vec<AuditEntry>, AuditError> {
        match &self.target {
            Target::File { path, .. } => Ok(scan(path, from, limit)?.entries),
            Target::Stream { .. } => Err(AuditError::Unsupported),
        }
    }

    fn last(&self) -> Result<Option<AuditEntry>, AuditError> {
        Ok(self.last.clone())
    }
}
