//! The audit trail's stores: the JSON Lines file (reopened, cut short by a crash,
//! on a failing stream or a full disk) and a memory sink owned by its trail or shared.

mod common;

use common::audit::{events, seal, support, vault};
use common::{ctx, sid, signer, t0};

use std::sync::Arc;

use chrono::TimeDelta;
use custodian::audit::{
    AuditError, AuditEvent, AuditQuery, AuditSink, AuditTrail, EventKind, JsonLinesSink,
    MemorySink, VerifyError,
};
use custodian::retention::ManualClock;

#[test]
fn the_json_lines_file_verifies_and_continues_after_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("trail.jsonl");
    let clock = ManualClock::new(t0());
    let alice = sid("cus_alice");
    for round in 0..2 {
        let trail = Arc::new(AuditTrail::new(JsonLinesSink::open(&path).unwrap()).unwrap());
        let v = vault(&trail, &clock);
        let sealed = seal(&v, &alice, 30);
        v.open(&sealed, &ctx(), &support(&alice)).unwrap();
        assert_eq!(trail.verify(None).unwrap().entries, round + 1);
    }
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(text.lines().count(), 2);
    let line: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert_eq!(line["event"]["kind"], "access");
    assert_eq!(line["event"]["purpose"], "Support");
    // A stream sink cannot be read back: verify the file it writes.
    let stream = AuditTrail::new(JsonLinesSink::new(Vec::new())).unwrap();
    assert!(matches!(stream.verify(None), Err(VerifyError::Read(_))));
}

#[test]
fn a_json_lines_file_cut_short_by_a_crash_is_repaired_on_open_and_a_damaged_one_refused() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("trail.jsonl");
    let mut e = AuditEvent::new(EventKind::Access, t0());
    e.purpose = Some("Support".into());
    {
        let trail = AuditTrail::new(JsonLinesSink::open(&path).unwrap()).unwrap();
        trail.record(&e).unwrap();
        trail.record(&e).unwrap();
    }
    let whole = std::fs::read(&path).unwrap();
    // A crash part-way through the third line: its append never returned.
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap();
    f.write_all(&whole[..40]).unwrap();
    drop(f);
    let trail = AuditTrail::new(JsonLinesSink::open(&path).unwrap()).unwrap();
    assert_eq!(
        std::fs::read(&path).unwrap(),
        whole,
        "the cut-short line is gone"
    );
    assert_eq!(trail.record(&e).unwrap(), 2);
    assert_eq!(trail.verify(None).unwrap().entries, 3);
    drop(trail);

    // A whole line that is not an entry: the chain cannot continue from it, and
    // verification names its position.
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap();
    f.write_all(b"not an entry\n").unwrap();
    drop(f);
    assert!(matches!(
        AuditTrail::new(JsonLinesSink::open(&path).unwrap()),
        Err(AuditError::Damaged)
    ));
    let sink = JsonLinesSink::open(&path).unwrap();
    let read = |from| {
        sink.read(from, 4096)
            .map_err(|e| VerifyError::Read(custodian::Cause::new(e)))
    };
    assert_eq!(
        custodian::audit::verify_entries(read, None),
        Err(VerifyError::Altered { position: 3 })
    );
    // A query reads past the damaged line (its events are the three others).
    let found = sink.query(&AuditQuery::default()).unwrap();
    assert_eq!(found.len(), 3);
}

/// A stream that takes whole writes, or fails: `Part` after writing a few bytes,
/// `Nothing` before writing any.
#[derive(Clone, Default)]
struct Stream {
    bytes: Arc<std::sync::Mutex<Vec<u8>>>,
    fail: Arc<std::sync::Mutex<Option<Fail>>>,
}

#[derive(Clone, Copy)]
enum Fail {
    Part,
    Nothing,
}

impl std::io::Write for Stream {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut bytes = self.bytes.lock().unwrap();
        match *self.fail.lock().unwrap() {
            None => {
                bytes.extend_from_slice(buf);
                Ok(buf.len())
            }
            Some(Fail::Part) if !bytes.ends_with(b"{") => {
                bytes.push(b'{');
                Ok(1)
            }
            Some(_) => Err(std::io::Error::other("connection reset")),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_stream_that_fails_before_writing_recovers_and_one_that_fails_mid_line_is_refused() {
    let stream = Stream::default();
    let trail = AuditTrail::new(JsonLinesSink::new(stream.clone())).unwrap();
    let e = AuditEvent::new(EventKind::Sweep, t0());
    trail.record(&e).unwrap();
    *stream.fail.lock().unwrap() = Some(Fail::Nothing);
    assert!(matches!(trail.record(&e), Err(AuditError::Sink(_))));
    *stream.fail.lock().unwrap() = None;
    assert_eq!(
        trail.record(&e).unwrap(),
        1,
        "nothing was written: the chain goes on"
    );

    *stream.fail.lock().unwrap() = Some(Fail::Part);
    assert!(matches!(trail.record(&e), Err(AuditError::Sink(_))));
    *stream.fail.lock().unwrap() = None;
    match trail.record(&e) {
        Err(AuditError::Sink(m)) => assert!(m.to_string().contains("part of a line"), "{m}"),
        other => panic!("expected the stream to be refused, got {other:?}"),
    }
    let text = String::from_utf8(stream.bytes.lock().unwrap().clone()).unwrap();
    assert_eq!(
        text.lines().count(),
        3,
        "two whole lines and the cut-short one"
    );
    assert!(text.ends_with('{'));
}

/// A real disk-full error (`/dev/full` refuses every write): the open fails closed. A
/// device is a stream, not a file to open and read back.
#[cfg(target_os = "linux")]
#[test]
fn a_full_disk_fails_the_open_closed() {
    assert!(matches!(
        JsonLinesSink::open("/dev/full"),
        Err(AuditError::Sink(m)) if m.to_string().contains("not a regular file")
    ));
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let clock = ManualClock::new(t0());
    let trail = Arc::new(AuditTrail::new(JsonLinesSink::new(full)).unwrap());
    let v = vault(&trail, &clock);
    let alice = sid("cus_alice");
    let sealed = seal(&v, &alice, 30);
    assert!(matches!(
        v.open(&sealed, &ctx(), &support(&alice)),
        Err(custodian::OpenError::Audit(AuditError::Sink(_)))
    ));
}

#[test]
fn a_memory_sink_owned_by_its_trail_keeps_what_a_shared_one_keeps() {
    // Owned, the sink is appended to without a lock of its own; shared, with one.
    let shared = Arc::new(MemorySink::new());
    let trails = [
        AuditTrail::new(MemorySink::new()).unwrap(),
        AuditTrail::new(Arc::clone(&shared)).unwrap(),
    ];
    let mut e = AuditEvent::new(EventKind::Access, t0());
    e.purpose = Some("Support".into());
    for trail in &trails {
        for i in 0..3 {
            e.at = t0() + TimeDelta::seconds(i);
            assert_eq!(trail.record(&e).unwrap(), i as u64);
        }
    }
    let all = custodian::audit::AuditQuery::default();
    let [owned, via_arc] = trails.map(|t| {
        assert_eq!(t.verify(None).unwrap().entries, 3);
        (
            t.query(&all).unwrap(),
            t.checkpoint(&signer(), t0()).unwrap().head,
        )
    });
    assert_eq!(owned.0.len(), 3);
    assert_eq!(owned, via_arc, "same events, same chain");
    assert_eq!(events(&shared), owned.0);
}
