//! [`AuditTrail`]: the chain's head and its sink. A sink whose commits are cheap
//! (memory, a stream) is appended to under one lock, one entry at a time; a sink whose
//! commits are durable transactions (SQLite, a synced file) gets group commit
//! (`group.rs`), so that concurrent appends share one commit.

use std::sync::{Mutex, MutexGuard};

use chrono::{DateTime, Utc};
use ring::signature::{Ed25519KeyPair, KeyPair};

use super::group::Grouped;
use super::verify::{Head, check_signature, extend, verify_entries};
use super::{
    AuditEntry, AuditError, AuditEvent, AuditQuery, AuditRecord, AuditSink, BATCH, CHAIN_PREFIX,
    Checkpoint, EventRef, TrustedKey, VerifyError, VerifyReport, chain_into, checkpoint_message,
    hex,
};

/// The id of a trail not [`named`](AuditTrail::named).
const DEFAULT_ID: &str = "default";

/// The trail: appends events to a sink, chained by SHA-256. Share it (`Arc`) between
/// the vault and the consent ledger.
pub struct AuditTrail {
    mode: Mode,
    id: String,
    /// The head this trail last signed or verified against a trusted checkpoint (the
    /// empty chain's if its sink started empty): a checkpoint is signed only over a
    /// stored chain that extends it. `None`: nothing verified yet, no checkpoint.
    trusted: Mutex<Option<Head>>,
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
    ///
    /// On an empty sink the trail knows every entry from the first, and may
    /// [`checkpoint`](Self::checkpoint) at once. On a sink that already holds entries
    /// (a restart, other writers) it first has to verify them against the latest
    /// checkpoint ([`verify`](Self::verify) with `Some`), or, if the trail was never
    /// checkpointed, accept them once with
    /// [`trust_unsigned_history`](Self::trust_unsigned_history).
    pub fn new(sink: impl AuditSink + 'static) -> Result<Self, AuditError> {
        let (seq, prev) = match sink.last()? {
            Some(e) => (e.seq.checked_add(1).ok_or(AuditError::Damaged)?, e.hash),
            None => (0, [0; 32]),
        };
        let trusted = (seq == 0).then_some(Head::GENESIS);
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
            trusted: Mutex::new(trusted),
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
    ///
    /// An event with a text over [`MAX_TEXT_LEN`](super::MAX_TEXT_LEN) bytes is refused
    /// ([`AuditError::TextTooLong`]), never cut.
    pub fn record(&self, event: &AuditEvent) -> Result<u64, AuditError> {
        self.record_ref(&event.borrowed())
    }

    pub(crate) fn record_ref(&self, event: &EventRef<'_>) -> Result<u64, AuditError> {
        if let Some((field, len)) = event.oversized() {
            return Err(AuditError::TextTooLong { field, len });
        }
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

    /// Signs the trail's name, length and head, and `at` (cut to whole microseconds)
    /// with `signer` (an Ed25519 key pair from `ring`, e.g.
    /// `Ed25519KeyPair::from_pkcs8`). Only entries the sink holds count; on a sink that
    /// other processes append to, that is the store's head, whoever wrote it.
    ///
    /// It certifies only history it has verified: it first reads the entries stored
    /// after the head this trail last signed or verified, and signs only if the stored
    /// chain still passes through that head and every later entry chains onto it. An
    /// insider who rewrote the stored history (deleted an entry, renumbered and
    /// re-hashed the rest) gets [`AuditError::HistoryChanged`], not a checkpoint. A
    /// trail created on a sink that already held entries has no such head until it
    /// verifies the latest checkpoint ([`AuditError::Unanchored`]; see
    /// [`new`](Self::new)). A sink that cannot be read back (a stream) holds only what
    /// this trail wrote: the trail signs its own head.
    pub fn checkpoint(
        &self,
        signer: &Ed25519KeyPair,
        at: DateTime<Utc>,
    ) -> Result<Checkpoint, AuditError> {
        // Held throughout: checkpoints of one trail are signed one at a time, each
        // over a chain that extends the one before.
        let mut trusted = lock(&self.trusted)?;
        let from = (*trusted).ok_or(AuditError::Unanchored)?;
        let head = self.verified_head(from)?;
        let at_micros = at.timestamp_micros();
        let at = DateTime::from_timestamp_micros(at_micros).unwrap_or(at);
        let sig = signer.sign(&checkpoint_message(
            &self.id, head.size, &head.hash, at_micros,
        ));
        *trusted = Some(head);
        Ok(Checkpoint {
            trail: self.id.clone(),
            size: head.size,
            head: hex(&head.hash),
            at,
            public_key: hex(signer.public_key().as_ref()),
            signature: hex(sig.as_ref()),
        })
    }

    /// The stored chain's head, verified to extend `from`.
    fn verified_head(&self, from: Head) -> Result<Head, AuditError> {
        let mut unreadable = false;
        let read = |position| {
            self.read_batch(position).map_err(|e| {
                unreadable |= matches!(e, AuditError::Unsupported);
                read_error(e)
            })
        };
        match extend(read, from) {
            Ok(head) => Ok(head),
            Err(_) if unreadable => self.own_head(from),
            Err(VerifyError::Read(why)) => Err(match why.get().downcast_ref::<AuditError>() {
                Some(e) => e.clone(),
                None => AuditError::Sink(why),
            }),
            Err(e) => Err(AuditError::HistoryChanged(e)),
        }
    }

    /// For a sink that cannot be read back and that no one else writes: the head of
    /// what this trail stored, which it chained itself onto `from`.
    fn own_head(&self, from: Head) -> Result<Head, AuditError> {
        let (size, hash) = match &self.mode {
            Mode::Direct(d) => {
                let d = lock(d)?;
                (d.seq, d.prev)
            }
            Mode::Grouped(g) => g.own_head()?.ok_or(AuditError::Unsupported)?,
        };
        if size < from.size {
            return Err(AuditError::Unsupported);
        }
        Ok(Head { size, hash })
    }

    fn read_batch(&self, from: u64) -> Result<Vec<AuditEntry>, AuditError> {
        self.with_sink(|sink| sink.read(from, BATCH))
    }

    /// Checks the whole chain, and, given a checkpoint and the key you trust to sign
    /// this trail's checkpoints (pinned out of band: the key inside a checkpoint proves
    /// nothing), that the checkpoint is genuine and the trail still contains exactly
    /// the signed history. Reports the first bad position.
    ///
    /// A successful verification against a checkpoint lets this trail's next
    /// [`checkpoint`](Self::checkpoint) continue from it (if it is later than the head
    /// the trail already trusts): after a restart, verify the latest checkpoint, then
    /// checkpoint.
    pub fn verify(
        &self,
        checkpoint: Option<(&Checkpoint, &TrustedKey)>,
    ) -> Result<VerifyReport, VerifyError> {
        // One lock per batch, so appends go on while a long trail is verified.
        let read = |from| self.read_batch(from).map_err(read_error);
        let report = verify_entries(read, checkpoint)?;
        if let Some((cp, key)) = checkpoint {
            self.trust(check_signature(cp, key)?)?;
        }
        Ok(report)
    }

    /// Accepts the chain the sink holds now, checked only for consistency from its
    /// first entry, as the history the next [`checkpoint`](Self::checkpoint) may
    /// certify. For the first checkpoint of a trail that already holds entries and was
    /// never checkpointed (it was started before checkpoints were taken, or restarted
    /// before the first one): whoever could write the store until now could have
    /// rewritten it consistently, and this accepts their version. Call it once, when
    /// you start checkpointing a trail; afterwards, verify the latest checkpoint
    /// instead. A trail that already trusts a head (it started on an empty sink, signed
    /// or verified a checkpoint) keeps it: this then only verifies.
    pub fn trust_unsigned_history(&self) -> Result<VerifyReport, VerifyError> {
        let read = |from| self.read_batch(from).map_err(read_error);
        let head = extend(read, Head::GENESIS)?;
        let mut trusted = lock(&self.trusted).map_err(read_error)?;
        trusted.get_or_insert(head);
        Ok(VerifyReport { entries: head.size })
    }

    /// Trusts `signed` (a verified checkpoint's head) if it is later than the head the
    /// trail trusts.
    fn trust(&self, signed: Head) -> Result<(), VerifyError> {
        let mut trusted = lock(&self.trusted).map_err(read_error)?;
        if trusted.is_none_or(|t| t.size < signed.size) {
            *trusted = Some(signed);
        }
        Ok(())
    }
}

/// A sink's failure while verifying: its own cause, or the custodian error.
fn read_error(e: AuditError) -> VerifyError {
    match e {
        AuditError::Sink(cause) => VerifyError::Read(cause),
        e => VerifyError::Read(crate::Cause::new(e)),
    }
}

fn lock<T>(m: &Mutex<T>) -> Result<MutexGuard<'_, T>, AuditError> {
    m.lock().map_err(|_| AuditError::Poisoned)
}
