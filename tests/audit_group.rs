//! Group commit (docs/audit.md, "Sinks"): on a sink whose commit is durable, appends
//! that arrive together share one commit, each append returns `Ok` only once its entry
//! is stored, and a failed commit fails every append it carried without a gap in the
//! chain.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Barrier, Mutex};
use std::thread;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use custodian::audit::{
    AuditEntry, AuditError, AuditEvent, AuditRecord, AuditSink, AuditTrail, EventKind,
    JsonLinesSink, MemorySink,
};
use custodian::categories::Email;
use custodian::keys::LocalMasterKey;
use custodian::memory::MemoryKeyStore;
use custodian::sqlite::SqliteStore;
use custodian::{Access, Actor, Context, Personal, Retention, SubjectId, Vault};

custodian::purpose! {
    struct Support { basis: Contract, description: "Answer requests.", uses: [Email] }
}

const THREADS: usize = 8;

fn event(n: usize) -> AuditEvent {
    let mut e = AuditEvent::new(
        EventKind::Export,
        Utc.with_ymd_and_hms(2027, 3, 1, 9, 0, 0).unwrap(),
    );
    e.purpose = Some(format!("job-{n}"));
    e
}

/// Records `per_thread` events from each of `THREADS` threads at once; the positions
/// each append returned.
fn record_concurrently(trail: &Arc<AuditTrail>, per_thread: usize) -> Vec<Result<u64, AuditError>> {
    let start = Arc::new(Barrier::new(THREADS));
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let (trail, start) = (Arc::clone(trail), Arc::clone(&start));
            thread::spawn(move || {
                start.wait();
                (0..per_thread)
                    .map(|i| trail.record(&event(t * per_thread + i)))
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    handles
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect()
}

fn positions(results: &[Result<u64, AuditError>]) -> BTreeSet<u64> {
    results
        .iter()
        .filter_map(|r| r.as_ref().ok().copied())
        .collect()
}

#[test]
fn concurrent_opens_on_sqlite_are_each_recorded_once_in_one_chain() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.db");
    let trail = Arc::new(AuditTrail::new(SqliteStore::open(&path).unwrap()).unwrap());
    let vault = Arc::new(
        Vault::builder(
            LocalMasterKey::from_slice("kek", &[1; 32]).unwrap(),
            MemoryKeyStore::new(),
        )
        .audit(Arc::clone(&trail))
        .build(),
    );
    let ctx = Context::<Email>::new("customer", "email")
        .unwrap()
        .retain(Retention::Days(30));
    let per_thread = 20;
    let start = Arc::new(Barrier::new(THREADS));
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let (vault, ctx, start) = (Arc::clone(&vault), ctx.clone(), Arc::clone(&start));
            thread::spawn(move || {
                let subject = SubjectId::new(format!("cus_{t}")).unwrap();
                let sealed = vault
                    .seal(
                        &Personal::new(subject.clone(), format!("{t}@example.com")),
                        &ctx,
                    )
                    .unwrap();
                let access = Access::<Support>::new(subject, Actor::service("api"));
                start.wait();
                for _ in 0..per_thread {
                    vault.open(&sealed, &ctx, &access).unwrap();
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let opens = THREADS * per_thread;
    let report = trail.verify(None).unwrap();
    // Sealing is not audited, so the trail holds exactly the opens.
    assert_eq!(report.entries, opens as u64);
    drop(trail);
    let reopened = AuditTrail::new(SqliteStore::open(&path).unwrap()).unwrap();
    assert_eq!(reopened.verify(None).unwrap().entries, opens as u64);
}

#[test]
fn concurrent_appends_to_a_json_lines_file_verify_after_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    let trail = Arc::new(AuditTrail::new(JsonLinesSink::open(&path).unwrap()).unwrap());
    let results = record_concurrently(&trail, 10);
    let stored = positions(&results);
    assert_eq!(stored, (0..(THREADS * 10) as u64).collect());
    drop(trail);
    let reopened = AuditTrail::new(JsonLinesSink::open(&path).unwrap()).unwrap();
    assert_eq!(reopened.verify(None).unwrap().entries, stored.len() as u64);
}

/// A grouped sink over memory: records the size of each commit, can hold its first
/// commit until the test lets it go, and fails the commits `fail` picks (storing
/// none of their entries, as a rolled-back transaction).
struct Grouping {
    inner: MemorySink,
    commits: Arc<Mutex<Vec<usize>>>,
    hold_first: Option<(Sender<()>, Receiver<()>)>,
    fail: Box<dyn Fn(usize) -> bool + Send>,
}

impl Grouping {
    fn new(commits: &Arc<Mutex<Vec<usize>>>) -> Self {
        Grouping {
            inner: MemorySink::new(),
            commits: Arc::clone(commits),
            hold_first: None,
            fail: Box::new(|_| false),
        }
    }
}

impl AuditSink for Grouping {
    fn append(&mut self, entry: AuditRecord<'_>) -> Result<(), AuditError> {
        self.append_group(&[entry])
    }
    fn commits_in_groups(&self) -> bool {
        true
    }
    fn append_group(&mut self, entries: &[AuditRecord<'_>]) -> Result<(), AuditError> {
        if let Some((started, go)) = self.hold_first.take() {
            started.send(()).unwrap();
            go.recv().unwrap();
        }
        let n = {
            let mut commits = self.commits.lock().unwrap();
            commits.push(entries.len());
            commits.len() - 1
        };
        if (self.fail)(n) {
            return Err(AuditError::Sink(format!("commit {n} rolled back")));
        }
        entries.iter().try_for_each(|e| self.inner.append(*e))
    }
    fn read(&self, from: u64, limit: usize) -> Result<Vec<AuditEntry>, AuditError> {
        self.inner.read(from, limit)
    }
    fn last(&self) -> Result<Option<AuditEntry>, AuditError> {
        self.inner.last()
    }
}

/// The first commit is held while the other threads append; they queue behind it.
/// Returns the trail's results and the commit sizes.
fn behind_a_held_commit(
    mut sink: Grouping,
    commits: &Arc<Mutex<Vec<usize>>>,
) -> (Vec<Result<u64, AuditError>>, Vec<usize>, Arc<AuditTrail>) {
    let (started_tx, started) = channel();
    let (go, go_rx) = channel();
    sink.hold_first = Some((started_tx, go_rx));
    let trail = Arc::new(AuditTrail::new(sink).unwrap());
    let first = {
        let trail = Arc::clone(&trail);
        thread::spawn(move || trail.record(&event(999)))
    };
    started.recv().unwrap();
    let queued = Arc::new(AtomicUsize::new(0));
    let others: Vec<_> = (0..THREADS)
        .map(|t| {
            let (trail, queued) = (Arc::clone(&trail), Arc::clone(&queued));
            thread::spawn(move || {
                queued.fetch_add(1, Ordering::SeqCst);
                trail.record(&event(t))
            })
        })
        .collect();
    while queued.load(Ordering::SeqCst) < THREADS {
        thread::yield_now();
    }
    // Every thread is inside `record`; give them time to queue. This only decides how
    // the appends are grouped, not whether they are stored, so the assertions below
    // that depend on it are about grouping alone.
    thread::sleep(Duration::from_millis(200));
    go.send(()).unwrap();
    let mut results = vec![first.join().unwrap()];
    results.extend(others.into_iter().map(|h| h.join().unwrap()));
    let commits = commits.lock().unwrap().clone();
    (results, commits, trail)
}

#[test]
fn appends_arriving_during_a_commit_share_the_next_one() {
    let commits = Arc::new(Mutex::new(Vec::new()));
    let (results, commits, trail) = behind_a_held_commit(Grouping::new(&commits), &commits);
    let stored = positions(&results);
    assert_eq!(
        stored,
        (0..=THREADS as u64).collect(),
        "every append stored once"
    );
    assert_eq!(commits.iter().sum::<usize>(), THREADS + 1);
    assert_eq!(commits[0], 1, "the held commit carried the first append");
    assert_eq!(
        commits[1..],
        [THREADS],
        "the rest shared one commit: {commits:?}"
    );
    assert_eq!(trail.verify(None).unwrap().entries, THREADS as u64 + 1);
}

#[test]
fn a_failed_commit_fails_the_appends_chained_onto_it_and_the_chain_goes_on_whole() {
    let commits = Arc::new(Mutex::new(Vec::new()));
    let mut sink = Grouping::new(&commits);
    sink.fail = Box::new(|n| n == 0);
    let (results, commits, trail) = behind_a_held_commit(sink, &commits);
    // The first commit failed; everything queued behind it was chained onto its entry,
    // so it fails with it rather than be stored after a gap.
    assert_eq!(commits, [1], "nothing was committed after the failure");
    for r in &results {
        match r {
            Err(AuditError::Sink(m)) => assert_eq!(m, "commit 0 rolled back"),
            other => panic!("expected the failed commit's error, got {other:?}"),
        }
    }
    assert_eq!(trail.verify(None).unwrap().entries, 0);
    // The chain continues from what the sink holds.
    assert_eq!(trail.record(&event(1)).unwrap(), 0);
    assert_eq!(trail.record(&event(2)).unwrap(), 1);
    assert_eq!(trail.verify(None).unwrap().entries, 2);
}

/// Under load with every third commit failing, an append returned `Ok(n)` exactly for
/// the entries the sink holds, and the stored chain verifies.
#[test]
fn under_load_ok_means_stored_and_failed_means_not() {
    let commits = Arc::new(Mutex::new(Vec::new()));
    let mut sink = Grouping::new(&commits);
    sink.fail = Box::new(|n| n % 3 == 1);
    let trail = Arc::new(AuditTrail::new(sink).unwrap());
    let results = record_concurrently(&trail, 50);
    let ok: Vec<u64> = results
        .iter()
        .filter_map(|r| r.as_ref().ok().copied())
        .collect();
    let stored = positions(&results);
    assert_eq!(ok.len(), stored.len(), "no position was handed out twice");
    assert_eq!(stored, (0..stored.len() as u64).collect(), "no gap");
    let failed = results.iter().filter(|r| r.is_err()).count();
    assert_eq!(ok.len() + failed, THREADS * 50);
    assert!(
        failed > 0,
        "some commits failed: {:?}",
        commits.lock().unwrap()
    );
    assert_eq!(trail.verify(None).unwrap().entries, stored.len() as u64);
}

/// A sink that panics in a commit: the appends waiting on it fail instead of waiting
/// forever.
struct Panicking {
    started: Option<Sender<()>>,
    go: Receiver<()>,
    panicked: Arc<AtomicBool>,
}

impl AuditSink for Panicking {
    fn append(&mut self, entry: AuditRecord<'_>) -> Result<(), AuditError> {
        self.append_group(&[entry])
    }
    fn commits_in_groups(&self) -> bool {
        true
    }
    fn append_group(&mut self, _: &[AuditRecord<'_>]) -> Result<(), AuditError> {
        if let Some(started) = self.started.take() {
            started.send(()).unwrap();
            self.go.recv().unwrap();
        }
        self.panicked.store(true, Ordering::SeqCst);
        panic!("sink bug");
    }
    fn read(&self, _: u64, _: usize) -> Result<Vec<AuditEntry>, AuditError> {
        Ok(Vec::new())
    }
    fn last(&self) -> Result<Option<AuditEntry>, AuditError> {
        Ok(None)
    }
}

#[test]
fn a_sink_that_panics_mid_commit_fails_the_waiting_appends() {
    let (started_tx, started) = channel();
    let (go, go_rx) = channel();
    let panicked = Arc::new(AtomicBool::new(false));
    let trail = Arc::new(
        AuditTrail::new(Panicking {
            started: Some(started_tx),
            go: go_rx,
            panicked: Arc::clone(&panicked),
        })
        .unwrap(),
    );
    let leader = {
        let trail = Arc::clone(&trail);
        thread::spawn(move || trail.record(&event(0)))
    };
    started.recv().unwrap();
    let waiters: Vec<_> = (0..3)
        .map(|t| {
            let trail = Arc::clone(&trail);
            thread::spawn(move || trail.record(&event(t)))
        })
        .collect();
    thread::sleep(Duration::from_millis(100));
    go.send(()).unwrap();
    assert!(
        leader.join().is_err(),
        "the panic reaches the leader's caller"
    );
    assert!(panicked.load(Ordering::SeqCst));
    for w in waiters {
        // Queued behind the panicking commit, or arriving after it: either way refused.
        assert!(matches!(w.join().unwrap(), Err(AuditError::Poisoned)));
    }
    assert!(matches!(trail.record(&event(9)), Err(AuditError::Poisoned)));
}
