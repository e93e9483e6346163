//! A tamper-evident audit trail of access to personal data (GDPR Art. 5(1)(f), 5(2),
//! 24, 32).
//!
//! Every opening through an audited [`Vault`](crate::Vault) (allowed or refused, with
//! the reason), every consent given or withdrawn through an audited
//! [`ConsentLedger`](crate::consent::ConsentLedger), erasure, legal holds, key
//! rotations and sweeps become [`AuditEvent`]s in an [`AuditTrail`]: a SHA-256 hash
//! chain over the events' canonical bytes, stored in an [`AuditSink`] (memory, the
//! SQLite store, or JSON Lines for a SIEM), with Ed25519-signed [`Checkpoint`]s to keep
//! elsewhere. Events hold no personal value and no subject id: a subject appears as a
//! [`SubjectPseudonym`], keyed by a secret that erasure destroys, so the vault can no
//! longer find an erased subject's events, without rewriting the trail. Pseudonyms and
//! staff ids are still personal data (Recital 26; `docs/audit.md`).
//!
//! ```
//! use std::sync::Arc;
//! use custodian::audit::{AuditTrail, MemorySink};
//! use custodian::keys::LocalMasterKey;
//! use custodian::{Access, Actor, Context, Personal, SubjectId, Vault, categories::Email};
//!
//! custodian::purpose! {
//!     pub struct Receipts { basis: Contract, description: "Email receipts.", uses: [Email] }
//! }
//! let trail = Arc::new(AuditTrail::new(MemorySink::new())?);
//! let vault = Vault::builder(LocalMasterKey::generate("kek")?, custodian::memory::MemoryKeyStore::new())
//!     .audit(Arc::clone(&trail))
//!     .build();
//! let alice = SubjectId::new("cus_1")?;
//! let ctx = Context::<Email>::new("customer", "email")?.retain(custodian::Retention::UntilErased);
//! let sealed = vault.seal(&Personal::new(alice.clone(), "alice@example.com".to_string()), &ctx)?;
//! let access = Access::<Receipts>::new(alice.clone(), Actor::service("mailer"));
//! vault.open(&sealed, &ctx, &access)?;
//!
//! let history = vault.access_history(&alice)?; // what Alice is shown: when, why, by what kind
//! assert_eq!(history[0].purpose.as_deref(), Some("Receipts"));
//! assert_eq!(trail.verify(None)?.entries, 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! `docs/audit.md` specifies the chain and checkpoint formats and what an attacker with
//! write access to the store can and cannot do.

mod event;
mod group;
mod history;
mod jsonl;
mod sink;
mod trail;
mod verify;

pub use event::{ActorRecord, AuditEvent, EventKind, MAX_TEXT_LEN, Outcome, SubjectPseudonym};
pub(crate) use event::{EventRef, Refusal};
pub use history::{HistoryActor, HistoryEvent};
pub use jsonl::JsonLinesSink;
pub use sink::{AuditSink, MemorySink};
pub use trail::AuditTrail;
pub use verify::verify_entries;

use chrono::{DateTime, Utc};
use ring::digest;
use ring::signature;

/// One stored entry: its position, the event's canonical bytes, and the chain hash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditEntry {
    /// Position in the trail, from 0.
    pub seq: u64,
    /// [`AuditEvent::encode`] bytes.
    pub event: Vec<u8>,
    /// SHA-256(previous hash ‖ seq ‖ event).
    pub hash: [u8; 32],
}

impl AuditEntry {
    /// The event, decoded.
    pub fn decode(&self) -> Option<AuditEvent> {
        AuditEvent::decode(&self.event)
    }

    /// The entry, borrowed.
    pub fn as_record(&self) -> AuditRecord<'_> {
        AuditRecord {
            seq: self.seq,
            event: &self.event,
            hash: &self.hash,
        }
    }
}

/// An entry as the trail hands it to [`AuditSink::append`]: borrowed, so appending
/// copies the bytes once, into the sink.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AuditRecord<'a> {
    /// Position in the trail, from 0.
    pub seq: u64,
    /// [`AuditEvent::encode`] bytes.
    pub event: &'a [u8],
    /// The chain hash.
    pub hash: &'a [u8; 32],
}

impl AuditRecord<'_> {
    /// The entry, owned.
    pub fn to_entry(&self) -> AuditEntry {
        AuditEntry {
            seq: self.seq,
            event: self.event.to_vec(),
            hash: *self.hash,
        }
    }
}

/// Bytes before the event in the chain hash's input.
const CHAIN_PREFIX: usize = 32 + 8;

/// The chain hash of an entry at `seq` after `prev`: SHA-256(prev ‖ seq ‖ event). The
/// prefix is fixed-size and the event's first byte is its format version, so the
/// input is unambiguous without a length or a label.
pub fn chain_hash(prev: &[u8; 32], seq: u64, event: &[u8]) -> [u8; 32] {
    let mut buf = Vec::with_capacity(CHAIN_PREFIX + event.len());
    chain_into(&mut buf, prev, seq, |b| b.extend_from_slice(event))
}

/// Writes prev ‖ seq ‖ event into `buf` (emptied first; `encode` writes the event)
/// and returns its chain hash: one buffer, one SHA-256 call. The event is then
/// `buf[CHAIN_PREFIX..]`.
fn chain_into(
    buf: &mut Vec<u8>,
    prev: &[u8; 32],
    seq: u64,
    encode: impl FnOnce(&mut Vec<u8>),
) -> [u8; 32] {
    buf.clear();
    buf.extend_from_slice(prev);
    buf.extend_from_slice(&seq.to_be_bytes());
    encode(buf);
    sha256(buf)
}

/// Entries read per batch when a sink is read through (verification, the default
/// query).
const BATCH: usize = 4096;

fn sha256(bytes: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(digest::digest(&digest::SHA256, bytes).as_ref());
    out
}

/// A signed statement of one trail's length and head hash at a time, to store somewhere
/// the trail's writers cannot reach (another system, a WORM bucket, a transparency log).
///
/// The signature covers `custodian.audit.checkpoint.v1` ‖ trail id ‖ size ‖ head ‖
/// time (`docs/audit.md`), so none of them can be edited; it is checked against a
/// [`TrustedKey`] the verifier pins, never against the key the checkpoint names.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Checkpoint {
    /// The trail it is for ([`AuditTrail::named`]).
    pub trail: String,
    /// Number of entries covered.
    pub size: u64,
    /// Hash of entry `size - 1` (32 zero bytes when empty), hex.
    pub head: String,
    /// When it was made (whole microseconds; signed).
    pub at: DateTime<Utc>,
    /// Ed25519 public key of the signer, hex: which key signed, for finding it among
    /// the keys you trust. Verification does not trust it.
    pub public_key: String,
    /// Ed25519 signature over the message above, hex.
    pub signature: String,
}

/// Domain separation of the checkpoint signature (`docs/audit.md`).
const CHECKPOINT_DOMAIN: &[u8] = b"custodian.audit.checkpoint.v1";

/// The signed message: domain ‖ trail id length (u64) ‖ trail id ‖ size (u64) ‖ head
/// ‖ time (i64 microseconds since the Unix epoch), integers big-endian.
fn checkpoint_message(trail: &str, size: u64, head: &[u8; 32], at_micros: i64) -> Vec<u8> {
    let mut m = Vec::with_capacity(CHECKPOINT_DOMAIN.len() + 8 + trail.len() + 8 + 32 + 8);
    m.extend_from_slice(CHECKPOINT_DOMAIN);
    m.extend_from_slice(&(trail.len() as u64).to_be_bytes());
    m.extend_from_slice(trail.as_bytes());
    m.extend_from_slice(&size.to_be_bytes());
    m.extend_from_slice(head);
    m.extend_from_slice(&at_micros.to_be_bytes());
    m
}

/// The Ed25519 public key a verifier trusts to sign checkpoints of one trail: pinned
/// out of band (configuration, a key registry), never taken from a checkpoint.
#[derive(Clone, PartialEq, Eq)]
pub struct TrustedKey {
    trail: String,
    public_key: [u8; 32],
}

impl TrustedKey {
    /// Trusts `public_key` (32 bytes) to sign checkpoints of trail `trail`.
    pub fn new(trail: impl Into<String>, public_key: &[u8]) -> Result<Self, VerifyError> {
        Ok(TrustedKey {
            trail: trail.into(),
            public_key: public_key
                .try_into()
                .map_err(|_| VerifyError::BadTrustedKey)?,
        })
    }

    /// Trusts the public key given in hex (as [`Checkpoint::public_key`] shows it).
    pub fn from_hex(trail: impl Into<String>, public_key: &str) -> Result<Self, VerifyError> {
        Self::new(trail, &unhex(public_key).ok_or(VerifyError::BadTrustedKey)?)
    }

    /// Trusts the public half of `signer` (where the verifier holds the key pair).
    pub fn of(trail: impl Into<String>, signer: &signature::Ed25519KeyPair) -> Self {
        use signature::KeyPair;
        let mut public_key = [0u8; 32];
        public_key.copy_from_slice(signer.public_key().as_ref());
        TrustedKey {
            trail: trail.into(),
            public_key,
        }
    }

    /// The trail this key signs for.
    pub fn trail(&self) -> &str {
        &self.trail
    }

    /// The public key, hex.
    pub fn public_key_hex(&self) -> String {
        hex(&self.public_key)
    }
}

impl std::fmt::Debug for TrustedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TrustedKey({}, {})", self.trail, hex(&self.public_key))
    }
}

use crate::hex::{decode as unhex, encode as hex};

/// Why recording or reading the trail failed.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum AuditError {
    /// A text of the event (a purpose list, a reason, an id) is longer than
    /// [`MAX_TEXT_LEN`] bytes: the event was refused, not cut, and so was the action.
    #[error(
        "the audit event's {field} is {len} bytes long, over the limit of {MAX_TEXT_LEN}: shorten it (names and reasons, never values)"
    )]
    TextTooLong {
        /// Which text.
        field: &'static str,
        /// Its length in bytes.
        len: usize,
    },
    /// The sink could not store or read entries.
    #[error("the audit sink failed: {0}")]
    Sink(#[source] crate::Cause),
    /// The sink only writes (a JSON Lines stream): read the file it writes instead.
    #[error("this audit sink cannot be read back: verify and query the file it writes")]
    Unsupported,
    /// The sink says other writers share it but does not chain their appends.
    #[error(
        "this audit sink says several writers share it but does not implement `append_shared`: implement it, or give each writer its own sink"
    )]
    NotShareable,
    /// A thread panicked while appending.
    #[error("a thread panicked while appending to the audit trail; restart the process")]
    Poisoned,
    /// The sink's last entry is unreadable (or claims the last possible position), so
    /// the chain cannot continue from it.
    #[error(
        "the audit sink's last entry is damaged, so the chain cannot continue from it: verify the sink with `verify_entries` to find where, and keep it as evidence"
    )]
    Damaged,
    /// The signing key for checkpoints was refused.
    #[error("the checkpoint signing key is not a valid Ed25519 PKCS#8 document")]
    BadSigningKey,
    /// [`AuditTrail::checkpoint`] on a trail that has not verified the stored history
    /// it would certify: it was created on a sink that already held entries (after a
    /// restart, or beside other writers) and has verified no checkpoint since.
    #[error(
        "this trail has not verified the stored history a checkpoint would certify: verify it against its latest checkpoint first (`AuditTrail::verify(Some((&checkpoint, &trusted_key)))`), or, for a trail that was never checkpointed, call `AuditTrail::trust_unsigned_history` once"
    )]
    Unanchored,
    /// [`AuditTrail::checkpoint`] found that the stored chain no longer extends the
    /// history this trail last signed or verified (entries edited, deleted, renumbered
    /// and re-hashed, or cut), and signed nothing.
    #[error(
        "the stored audit trail no longer extends the history this trail last signed or verified ({0}); no checkpoint was signed: keep the store as evidence and verify it against your checkpoints"
    )]
    HistoryChanged(VerifyError),
    /// Another [`JsonLinesSink`] (in this process or another) writes the file.
    #[error(
        "another sink (in this process or another) already writes this JSON Lines file: give each process its own file, or read it with `JsonLinesSink::open_read_only`"
    )]
    Locked,
    /// The [`JsonLinesSink`] was opened to read only.
    #[error(
        "this JSON Lines sink was opened read-only: open the file with `JsonLinesSink::open` to append to it (one writer per file)"
    )]
    ReadOnly,
}

impl AuditError {
    /// The stable code of this error (see [`ErrorKind`](crate::ErrorKind)).
    pub fn kind(&self) -> crate::ErrorKind {
        use crate::ErrorKind as K;
        match self {
            AuditError::Sink(_) | AuditError::Poisoned | AuditError::Locked => K::AuditUnavailable,
            AuditError::Unsupported
            | AuditError::NotShareable
            | AuditError::BadSigningKey
            | AuditError::Unanchored
            | AuditError::ReadOnly => K::Misconfigured,
            AuditError::Damaged | AuditError::HistoryChanged(_) => K::Tampered,
            AuditError::TextTooLong { .. } => K::InvalidInput,
        }
    }
}

impl AuditError {
    /// A sink's own failure (I/O, a database driver's error), kept as the
    /// [`source()`](std::error::Error::source): what a custom [`AuditSink`] returns.
    pub fn sink(e: impl Into<crate::BoxError>) -> Self {
        AuditError::Sink(crate::Cause::new(e))
    }
}

/// Where verification found the trail broken. Positions count from 0.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// The entry at `position` was edited, deleted, inserted or moved: its sequence
    /// number or its chain hash does not follow from the entries before it.
    #[error(
        "the audit trail was altered at position {position}: an entry was edited, inserted, deleted or reordered there"
    )]
    Altered {
        /// The first bad position.
        position: u64,
    },
    /// The trail is shorter than the checkpoint says: entries from `found` on were cut.
    #[error(
        "the audit trail was truncated: the checkpoint covers {expected} entries, the trail has {found}"
    )]
    Truncated {
        /// Entries the checkpoint covers.
        expected: u64,
        /// Entries present.
        found: u64,
    },
    /// The chain is consistent, but its entry at the checkpoint's size differs from
    /// the signed head: the history up to there was rewritten.
    #[error(
        "the audit trail's history was rewritten: entry {position} does not match the signed checkpoint"
    )]
    Rewritten {
        /// The checkpoint's last position.
        position: u64,
    },
    /// The checkpoint's signature does not verify under the trusted key (a field of it
    /// was edited: trail, size, head or time), or it is malformed.
    #[error(
        "the checkpoint's signature is not valid under the trusted key: its trail, size, head or time was edited, or it is malformed"
    )]
    BadCheckpoint,
    /// The checkpoint names a signing key other than the one the verifier trusts: it
    /// was signed by someone else (a forged checkpoint), or the key was rotated.
    #[error(
        "the checkpoint was signed by a key you do not trust for this trail: treat it as forged, unless you rotated the signing key (then verify with the new public key)"
    )]
    UntrustedCheckpoint,
    /// The checkpoint is for another trail than the trusted key's.
    #[error(
        "the checkpoint is for trail `{found}`, not `{expected}`: use the checkpoints of the trail you verify"
    )]
    WrongTrail {
        /// The trail the trusted key signs for.
        expected: String,
        /// The trail the checkpoint names.
        found: String,
    },
    /// A trusted key that is not a 32-byte Ed25519 public key (in hex for `from_hex`).
    #[error("a trusted checkpoint key must be a 32-byte Ed25519 public key (64 hex digits)")]
    BadTrustedKey,
    /// Reading the sink failed.
    #[error("reading the audit trail failed: {0}")]
    Read(#[source] crate::Cause),
}

impl VerifyError {
    /// The stable code of this error (see [`ErrorKind`](crate::ErrorKind)).
    pub fn kind(&self) -> crate::ErrorKind {
        use crate::ErrorKind as K;
        match self {
            VerifyError::Altered { .. }
            | VerifyError::Truncated { .. }
            | VerifyError::Rewritten { .. }
            | VerifyError::BadCheckpoint
            | VerifyError::UntrustedCheckpoint
            | VerifyError::WrongTrail { .. } => K::Tampered,
            VerifyError::BadTrustedKey => K::InvalidInput,
            VerifyError::Read(_) => K::AuditUnavailable,
        }
    }
}

/// What a successful verification covered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VerifyReport {
    /// Entries checked.
    pub entries: u64,
}

/// Filters for [`AuditTrail::query`]; every given filter must match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditQuery {
    /// Events about any of these pseudonyms (empty: about anyone or no one). A subject
    /// has two: one on their accesses (opens, exports, history reads), one on their
    /// lifecycle events ([`Vault::access_history`](crate::Vault::access_history) asks
    /// for both).
    pub subjects: Vec<SubjectPseudonym>,
    /// Events by this actor (service name or staff id).
    pub actor: Option<String>,
    /// Events for this purpose.
    pub purpose: Option<String>,
    /// At or after.
    pub from: Option<DateTime<Utc>>,
    /// Before.
    pub until: Option<DateTime<Utc>>,
}

impl AuditQuery {
    /// Whether `e` matches.
    pub fn matches(&self, e: &AuditEvent) -> bool {
        (self.subjects.is_empty()
            || e.subject
                .as_ref()
                .is_some_and(|s| self.subjects.contains(s)))
            && self
                .actor
                .as_ref()
                .is_none_or(|a| e.actor.as_ref().is_some_and(|x| x.id == *a))
            && self
                .purpose
                .as_ref()
                .is_none_or(|p| e.purpose.as_ref() == Some(p))
            && self.from.is_none_or(|f| e.at >= f)
            && self.until.is_none_or(|u| e.at < u)
    }
}
