//! [`AuditTrail`]: the chain's head and its sink. A sink whose commits are cheap
//! (memory, a stream) is appended to under one lock, one entry at a time; a sink whose
//! commits are durable transactions (SQLite, a synced file) gets group commit
//! (`group.rs`), so that concurrent appends share one commit.

use std::sync::{Mutex, MutexGuard};

use chrono::{DateTime, Utc};
use ring::signature::{Ed25519KeyPair, KeyPair};

use super::group::Grouped;
use super::{
    AuditError, AuditEvent, AuditQuery, AuditRecord, AuditSink, BATCH, CHAIN_PREFIX, Checkpoint,
    EventRef, TrustedKey, VerifyError, VerifyReport, chain_into, checkpoint_message, hex,
    verify_entries,
};

/// The id of a trail not [`named`](AuditTrail::named).
const DEFAULT_ID: &str = "default";

/// The trail: appends events to a sink, chained by SHA-256. Share it (`Arc`) between
/// the vault and the consent ledger.
pub struct AuditTrail {
    mode: Mode,
    id: String,
}

enum Mode {
    Direct(Mutex<Direct>),
    Grouped(Grouped),
}

/// The chain's end, a buffer reused for every append (no allocation per event), and
/// the sink, all under one lock: one lock per append, and sinks need none of their own.
struct Direct {
    /// Next position.
    seq: u64,
    /// Hash of the last entry.
    prev: [u8; 32],
    buf: Vec<u8>,
    sink: Box<dyn AuditSink>,
}

impl AuditTrail {
    /// A trail over `sink`, continuing the chain already in it.
    pub fn new(sink: impl AuditSink + 'static) -> Result<Self, AuditError> {
        let (seq, prev) = match sink.last()? {
            Some(e) => (e.seq.checked_add(1).ok_or(AuditError::Damaged)?, e.hash),
            None => (0, [0; 32]),
        };
        let sink: Box<dyn AuditSink> = Box::new(sink);
        // A sink other writers append to chains in its own transaction, which the
        // grouped path drives.
        let mode = if sink.commits_in_groups() || sink.is_shared() {
            Mode::Grouped(Grouped::new(sink, seq, prev))
        } else {
            Mode::Direct(Mutex::new(Direct {
                seq,
                prev,
                buf: Vec::with_capacity(512),
                sink,
            }))
        };
        Ok(AuditTrail {
            mode,
            id: DEFAULT_ID.to_owned(),
        })
    }

    /// Names the trail (default `"default"`): its checkpoints sign the name, and a
    /// [`TrustedKey`] trusts a key for one name, so that a checkpoint of one trail is
    /// not accepted for another signed by the same key. Give every trail that one
    /// signing key serves its own name (e.g. `"billing-eu-prod"`), the same in every
    /// process appending to it.
    pub fn named(mut self, id: impl Into<String>) -> Self {
        self.id = id.into();
        self
    }

    /// The trail's name ([`named`](Self::named)).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Appends `event`; returns its position once the sink holds it. Fails closed: if
    /// the sink refuses, the chain does not advance and the caller (the vault) refuses
    /// the action.
    pub fn record(&self, event: &AuditEvent) -> Result<u64, AuditError> {
        self.record_with(|buf| event.encode_into(buf))
    }

    pub(crate) fn record_ref(&self, event: &EventRef<'_>) -> Result<u64, AuditError> {
        self.record_with(|buf| event.encode_into(buf))
    }

    fn record_with(&self, encode: impl FnOnce(&mut Vec<u8>)) -> Result<u64, AuditError> {
        let direct = match &self.mode {
            Mode::Grouped(g) => return g.record(encode),
            Mode::Direct(d) => d,
        };
        let mut direct = lock(direct)?;
        let Direct {
            seq,
            prev,
            buf,
            sink,
        } = &mut *direct;
        let hash = chain_into(buf, prev, *seq, encode);
        sink.append(AuditRecord {
            seq: *seq,
            event: &buf[CHAIN_PREFIX..],
            hash: &hash,
        })?;
        let appended = *seq;
        *seq += 1;
        *prev = hash;
        Ok(appended)
    }

    /// Runs `f` on the sink, between appends.
    fn with_sink<R>(
        &self,
        f: impl FnOnce(&dyn AuditSink) -> Result<R, AuditError>,
    ) -> Result<R, AuditError> {
        match &self.mode {
            Mode::Direct(d) => f(&*lock(d)?.sink),
            Mode::Grouped(g) => g.with_sink(f),
        }
    }

    /// Events matching `query`, oldest first. Verify the trail before relying on it.
    /// Appends wait while the sink answers.
    pub fn query(&self, query: &AuditQuery) -> Result<Vec<AuditEvent>, AuditError> {
        self.with_sink(|sink| sink.query(query))
    }

    /// Signs the trail's name, current length and head, and `at` (cut to whole
    /// microseconds) with `signer` (an Ed25519 key pair from `ring`, e.g.
    /// `Ed25519KeyPair::from_pkcs8`). Only entries the sink holds count; on a sink that
    /// other processes append to, that is the store's head, whoever wrote it.
    pub fn checkpoint(
        &self,
        signer: &Ed25519KeyPair,
        at: DateTime<Utc>,
    ) -> Result<Checkpoint, AuditError> {
        let (size, head) = match &self.mode {
            Mode::Direct(d) => {
                let d = lock(d)?;
                (d.seq, d.prev)
            }
            Mode::Grouped(g) => g.head()?,
        };
        let at_micros = at.timestamp_micros();
        let at = DateTime::from_timestamp_micros(at_micros).unwrap_or(at);
        let sig = signer.sign(&checkpoint_message(&self.id, size, &head, at_micros));
        Ok(Checkpoint {
            trail: self.id.clone(),
            size,
            head: hex(&head),
            at,
            public_key: hex(signer.public_key().as_ref()),
            signature: hex(sig.as_ref()),
        })
    }

    /// Checks the whole chain, and, given a checkpoint and the key you trust to sign
    /// this trail's checkpoints (pinned out of band: the key inside a checkpoint proves
    /// nothing), that the checkpoint is genuine and the trail still contains exactly
    /// the signed history. Reports the first bad position.
    pub fn verify(
        &self,
        checkpoint: Option<(&Checkpoint, &TrustedKey)>,
    ) -> Result<VerifyReport, VerifyError> {
        // One lock per batch, so appends go on while a long trail is verified.
        let read = |from| {
            self.with_sink(|sink| sink.read(from, BATCH))
                .map_err(|e| VerifyError::Read(e.to_string()))
        };
        verify_entries(read, checkpoint)
    }
}

fn lock<T>(m: &Mutex<T>) -> Result<MutexGuard<'_, T>, AuditError> {
    m.lock().map_err(|_| AuditError::Poisoned)
}
