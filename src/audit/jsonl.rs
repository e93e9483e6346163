//! The JSON Lines sink: one JSON object per line, to a file or a stream (a SIEM).
//!
//! An append writes one whole line or, as far as the sink can tell, nothing: a file
//! is cut back to its last whole line when a write, flush or sync fails, and a line
//! cut short by a crash is removed when the file is opened again (its append never
//! returned, so no action relied on it). A stream cannot be cut back, so after a
//! failure part-way through a line the sink refuses further appends; so does a file
//! that could not be cut back, until it is opened again.
//!
//! A file has one writer: [`JsonLinesSink::open`] holds an exclusive advisory lock on
//! it for as long as the sink lives, and a second writer (another sink in this process
//! or in another) is refused with [`AuditError::Locked`] instead of forking the chain.
//! [`JsonLinesSink::open_read_only`] takes no lock, so the file can be verified and
//! queried while its writer appends.

use std::cell::Cell;
use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::{AuditEntry, AuditError, AuditEvent, AuditRecord, AuditSink, hex, unhex};

/// One JSON object per line, for shipping to a SIEM: `seq`, `hash` (hex), `event`
/// (the decoded event, for humans and search) and `bytes` (the canonical bytes,
/// base64, which the chain covers). Each line is written and flushed before `append`
/// returns; with [`JsonLinesSink::open`] the file is also synced. Reading a line back
/// checks that its `event` is exactly the decoding of its `bytes`: a line whose
/// readable copy was edited is an altered entry, which `verify` reports at its
/// position. One writer per file (the module's documentation).
pub struct JsonLinesSink {
    out: Box<dyn Write + Send>,
    target: Target,
    last: Option<AuditEntry>,
    /// Why appends are refused, once a failure left the sink unsure of its end.
    broken: Option<&'static str>,
}

const STREAM_PART_WRITTEN: &str = "an earlier append failed part-way, so the stream may hold \
     part of a line; start a new sink (a new chain) and tell the receiver";
const FILE_NOT_CUT_BACK: &str = "an earlier append failed and the file could not be cut back \
     to its last acknowledged line; drop this sink (it holds the file's lock) and open the \
     file again (JsonLinesSink::open) to continue from \
     what it holds";

enum Target {
    /// A file this sink writes, holding its lock: `len` is its length up to the last
    /// acknowledged line; `cursor` is where the last read stopped, so reading on from
    /// there (as `verify` and `query` do, batch after batch) does not read the file
    /// again from its start.
    File {
        path: PathBuf,
        file: File,
        len: u64,
        cursor: Cell<Cursor>,
    },
    /// A file this sink only reads (another sink may be appending to it).
    ReadOnly { path: PathBuf, cursor: Cell<Cursor> },
    /// A stream.
    Stream,
}

/// A line's position in the chain and the byte offset where it starts.
#[derive(Clone, Copy, Default)]
struct Cursor {
    position: u64,
    offset: u64,
}

/// A line as written.
#[derive(serde::Serialize)]
struct Line {
    seq: u64,
    hash: String,
    event: Option<AuditEvent>,
    bytes: String,
}

/// A line as read: the readable `event` is kept as JSON, to compare with what the
/// chained bytes decode to (fields added, removed or changed all count).
#[derive(serde::Deserialize)]
struct ReadLine {
    seq: u64,
    hash: String,
    event: serde_json::Value,
    bytes: String,
}

impl JsonLinesSink {
    /// Appends to the file at `path` (created if missing), continuing its chain, as
    /// its only writer: the file stays locked (an exclusive advisory lock) until the
    /// sink is dropped, and a file another sink writes is refused with
    /// [`AuditError::Locked`]. A last line without its newline (a crash during an
    /// append) is removed first.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, AuditError> {
        let path = path.as_ref().to_path_buf();
        match std::fs::metadata(&path) {
            Ok(m) if !m.is_file() => return Err(not_a_file(&path)),
            _ => {}
        }
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(AuditError::sink)?;
        // Before reading the end: no other writer appends or cuts back meanwhile.
        lock(&file, &path)?;
        let end = end_of(&path)?;
        if file.metadata().map_err(AuditError::sink)?.len() != end.whole {
            file.set_len(end.whole)
                .and_then(|()| file.sync_data())
                .map_err(AuditError::sink)?;
        }
        let out = file.try_clone().map_err(AuditError::sink)?;
        Ok(JsonLinesSink {
            out: Box::new(out),
            target: Target::File {
                path,
                file,
                len: end.whole,
                cursor: Cell::default(),
            },
            last: end.last.as_deref().map(parse),
            broken: None,
        })
    }

    /// Reads the file at `path`, which another sink may be writing meanwhile (it takes
    /// no lock): to verify and query it. Appending through it is refused
    /// ([`AuditError::ReadOnly`]); a line still being written is not read.
    pub fn open_read_only(path: impl AsRef<Path>) -> Result<Self, AuditError> {
        let path = path.as_ref().to_path_buf();
        let meta = std::fs::metadata(&path).map_err(|e| file_error("cannot read", &path, e))?;
        if !meta.is_file() {
            return Err(not_a_file(&path));
        }
        let end = end_of(&path)?;
        Ok(JsonLinesSink {
            out: Box::new(io::sink()),
            target: Target::ReadOnly {
                path,
                cursor: Cell::default(),
            },
            last: end.last.as_deref().map(parse),
            broken: None,
        })
    }

    /// Writes to `writer` (a socket, a pipe, stdout): a new chain from position 0,
    /// which cannot be read back through the sink.
    pub fn new(writer: impl Write + Send + 'static) -> Self {
        JsonLinesSink {
            out: Box::new(writer),
            target: Target::Stream,
            broken: None,
            last: None,
        }
    }
}

fn not_a_file(path: &Path) -> AuditError {
    AuditError::sink(format!(
        "{} is not a regular file: open files, and give streams (pipes, devices, sockets) \
         to JsonLinesSink::new",
        path.display()
    ))
}

/// An I/O error on the file at a path, kept as the source, with the path and what to do.
#[derive(Debug, thiserror::Error)]
#[error("{what} {path}{advice}")]
struct FileError {
    what: &'static str,
    path: String,
    advice: &'static str,
    #[source]
    source: io::Error,
}

fn file_error(what: &'static str, path: &Path, source: io::Error) -> AuditError {
    AuditError::sink(FileError {
        what,
        path: path.display().to_string(),
        advice: "",
        source,
    })
}

/// Takes the writer's exclusive lock on `file`, or says why not. A file system that
/// cannot lock is refused too: custodian does not write a file it cannot keep to one
/// writer.
fn lock(file: &File, path: &Path) -> Result<(), AuditError> {
    match file.try_lock() {
        Ok(()) => Ok(()),
        Err(std::fs::TryLockError::WouldBlock) => Err(AuditError::Locked),
        Err(std::fs::TryLockError::Error(source)) => Err(AuditError::sink(FileError {
            what: "cannot lock for writing",
            path: path.display().to_string(),
            advice: ": custodian writes a JSON Lines file only while it can keep other \
                     writers out; put it on a local file system",
            source,
        })),
    }
}

/// The end of a file: the length of its whole lines, and the last of them.
struct End {
    whole: u64,
    last: Option<Vec<u8>>,
}

/// Reads the file once, parsing nothing but its last whole line.
fn end_of(path: &Path) -> Result<End, AuditError> {
    let mut end = End {
        whole: 0,
        last: None,
    };
    let Some(mut reader) = reader_at(path, 0)? else {
        return Ok(end);
    };
    let mut line = Vec::new();
    while let Some(n) = whole_line(&mut reader, &mut line)? {
        end.whole += n;
        std::mem::swap(end.last.get_or_insert_with(Vec::new), &mut line);
    }
    Ok(end)
}

/// The file at `path` from byte `offset`, or `None` if there is no file.
fn reader_at(path: &Path, offset: u64) -> Result<Option<BufReader<File>>, AuditError> {
    let mut file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(AuditError::sink(e)),
    };
    if offset > 0 {
        file.seek(SeekFrom::Start(offset))
            .map_err(AuditError::sink)?;
    }
    Ok(Some(BufReader::with_capacity(1 << 16, file)))
}

/// Reads the next line into `line`; its length, or `None` at the end or at a line
/// cut short (not an entry).
fn whole_line(reader: &mut impl BufRead, line: &mut Vec<u8>) -> Result<Option<u64>, AuditError> {
    line.clear();
    let n = reader.read_until(b'\n', line).map_err(AuditError::sink)?;
    Ok((n > 0 && line.last() == Some(&b'\n')).then_some(n as u64))
}

/// Up to `limit` entries from position `from`, starting at `cursor` when it is at or
/// before `from` (a read continuing the last one), else at the file's start.
/// Returns the entries and where the read stopped.
fn read_file(
    path: &Path,
    cursor: Cursor,
    from: u64,
    limit: usize,
) -> Result<(Vec<AuditEntry>, Cursor), AuditError> {
    let mut at = if cursor.position <= from {
        cursor
    } else {
        Cursor::default()
    };
    let mut entries = Vec::new();
    let Some(mut reader) = reader_at(path, at.offset)? else {
        return Ok((entries, Cursor::default()));
    };
    let mut line = Vec::new();
    while entries.len() < limit {
        let Some(n) = whole_line(&mut reader, &mut line)? else {
            break;
        };
        if at.position >= from {
            entries.push(parse(&line));
        }
        at.position += 1;
        at.offset += n;
    }
    Ok((entries, at))
}

/// A line that does not parse, or whose readable `event` is not what its chained
/// bytes decode to, is kept as an entry that cannot verify (`seq` is `u64::MAX`), so
/// `verify` reports its position instead of skipping it.
fn parse(line: &[u8]) -> AuditEntry {
    serde_json::from_slice::<ReadLine>(line)
        .ok()
        .and_then(|l| {
            let event = STANDARD.decode(l.bytes).ok()?;
            let readable = serde_json::to_value(AuditEvent::decode(&event)).ok()?;
            (readable == l.event).then_some(())?;
            Some(AuditEntry {
                seq: l.seq,
                hash: unhex(&l.hash)?.try_into().ok()?,
                event,
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
        if matches!(self.target, Target::ReadOnly { .. }) {
            return Err(AuditError::ReadOnly);
        }
        if let Some(why) = self.broken {
            return Err(AuditError::sink(why));
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
            serde_json::to_writer(&mut text, &line).map_err(AuditError::sink)?;
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
                    if file.set_len(*len).and_then(|()| file.sync_data()).is_err() {
                        // Whole lines of this append may remain; appending after them
                        // would repeat their positions.
                        self.broken = Some(FILE_NOT_CUT_BACK);
                    }
                    return Err(AuditError::sink(e));
                }
                *len += text.len() as u64;
            }
            Target::ReadOnly { .. } => return Err(AuditError::ReadOnly),
            Target::Stream => {
                if let Err((n, e)) = written {
                    if n > 0 {
                        self.broken = Some(STREAM_PART_WRITTEN);
                    }
                    return Err(AuditError::sink(e));
                }
            }
        }
        self.last = Some(last.to_entry());
        Ok(())
    }

    fn read(&self, from: u64, limit: usize) -> Result<Vec<AuditEntry>, AuditError> {
        let (path, cursor, end) = match &self.target {
            Target::File {
                path, len, cursor, ..
            } => (path, cursor, *len),
            // The writer moves the end: the file's length now.
            Target::ReadOnly { path, cursor } => (
                path,
                cursor,
                std::fs::metadata(path).map_err(AuditError::sink)?.len(),
            ),
            Target::Stream => return Err(AuditError::Unsupported),
        };
        // A cursor past the end belongs to a file edited under the sink: start again
        // from the top.
        let start = Some(cursor.get()).filter(|c| c.offset <= end);
        let (entries, stopped) = read_file(path, start.unwrap_or_default(), from, limit)?;
        cursor.set(stopped);
        Ok(entries)
    }

    fn last(&self) -> Result<Option<AuditEntry>, AuditError> {
        Ok(self.last.clone())
    }
}
