//! One writer per JSON Lines file (docs/audit.md, "Threat model"): a second sink that
//! would append to a file another sink writes, in this process or another, is refused
//! with a typed error instead of forking the chain; readers still read it meanwhile.
//!
//! The two-process test runs this test binary again as the other process:
//! `child_process_entry` does nothing unless `CUSTODIAN_JSONL_CHILD_DIR` is set.

mod common;

use common::wait_for;

use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::{TimeZone, Utc};
use custodian::audit::{AuditError, AuditEvent, AuditTrail, EventKind, JsonLinesSink};

const DIR: &str = "CUSTODIAN_JSONL_CHILD_DIR";

fn event(i: i64) -> AuditEvent {
    let mut e = AuditEvent::new(
        EventKind::Access,
        Utc.timestamp_opt(1_800_000_000 + i, 0).unwrap(),
    );
    e.purpose = Some(format!("p{i}"));
    e
}

/// Whether a second writer on `path` is refused now, while another sink writes it.
fn second_writer_refused(path: &Path) -> bool {
    match JsonLinesSink::open(path) {
        Err(_) => true,
        Ok(second) => AuditTrail::new(second)
            .and_then(|t| t.record(&event(99)))
            .is_err(),
    }
}

#[test]
fn a_second_writer_on_a_json_lines_file_in_this_process_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.jsonl");
    let first = AuditTrail::new(JsonLinesSink::open(&path).unwrap()).unwrap();
    first.record(&event(0)).unwrap();
    assert!(second_writer_refused(&path), "two writers fork the chain");
    assert!(matches!(
        JsonLinesSink::open(&path),
        Err(AuditError::Locked)
    ));
    first.record(&event(1)).unwrap();
    assert_eq!(first.verify(None).unwrap().entries, 2);
    // A reader reads it meanwhile, and cannot append.
    let reader = AuditTrail::new(JsonLinesSink::open_read_only(&path).unwrap()).unwrap();
    assert_eq!(reader.verify(None).unwrap().entries, 2);
    assert!(matches!(
        reader.record(&event(2)),
        Err(AuditError::ReadOnly)
    ));
    first.record(&event(2)).unwrap();
    assert_eq!(reader.verify(None).unwrap().entries, 3);
    // Once the writer is gone, the file can be opened for writing again.
    drop(first);
    let next = AuditTrail::new(JsonLinesSink::open(&path).unwrap()).unwrap();
    assert_eq!(next.record(&event(3)).unwrap(), 3);
    assert_eq!(next.verify(None).unwrap().entries, 4);
}

#[test]
fn a_second_writer_on_a_json_lines_file_in_another_process_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.jsonl");
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_process_entry", "--nocapture"])
        .env(DIR, dir.path())
        .spawn()
        .unwrap();
    wait_for(&dir.path().join("writing"));
    let refused = second_writer_refused(&path);
    let locked = matches!(JsonLinesSink::open(&path), Err(AuditError::Locked));
    let read = JsonLinesSink::open_read_only(&path)
        .and_then(AuditTrail::new)
        .map(|t| t.verify(None));
    std::fs::write(dir.path().join("done"), b"").unwrap();
    assert!(child.wait().unwrap().success(), "the other process failed");
    assert!(
        refused,
        "a second process appended to the file another writes"
    );
    assert!(locked);
    assert_eq!(read.unwrap().unwrap().entries, 3, "read while written");
    let after = AuditTrail::new(JsonLinesSink::open(&path).unwrap()).unwrap();
    assert_eq!(after.verify(None).unwrap().entries, 3);
}

/// The other process: writes three events, holds the file until told, then exits.
#[test]
fn child_process_entry() {
    let Ok(dir) = std::env::var(DIR) else {
        return;
    };
    let dir = PathBuf::from(dir);
    let trail = AuditTrail::new(JsonLinesSink::open(dir.join("a.jsonl")).unwrap()).unwrap();
    for i in 0..3 {
        trail.record(&event(i)).unwrap();
    }
    std::fs::write(dir.join("writing"), b"").unwrap();
    wait_for(&dir.join("done"));
    assert_eq!(trail.verify(None).unwrap().entries, 3);
}
