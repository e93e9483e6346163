//! Verification: the whole chain, against a signed checkpoint ([`verify_entries`]);
//! and, before a checkpoint is signed, that the stored chain still extends the head the
//! trail last signed or verified (`extend`), reading only the entries after it.

use ring::signature;

use super::{
    AuditEntry, Checkpoint, TrustedKey, VerifyError, VerifyReport, chain_hash, checkpoint_message,
    unhex,
};

/// A head of the chain: the number of entries and the hash of the last.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Head {
    pub(super) size: u64,
    pub(super) hash: [u8; 32],
}

impl Head {
    /// The empty chain's.
    pub(super) const GENESIS: Head = Head {
        size: 0,
        hash: [0; 32],
    };
}

/// Verifies entries read in batches by `read(from)` (an empty batch ends them), and,
/// given a checkpoint with the key trusted to sign it, that they hold exactly the
/// signed history.
pub fn verify_entries(
    read: impl FnMut(u64) -> Result<Vec<AuditEntry>, VerifyError>,
    checkpoint: Option<(&Checkpoint, &TrustedKey)>,
) -> Result<VerifyReport, VerifyError> {
    let signed = checkpoint
        .map(|(c, key)| check_signature(c, key))
        .transpose()?;
    let end = walk(read, Head::GENESIS, Vec::new(), signed)?;
    Ok(VerifyReport { entries: end.size })
}

/// The stored chain's head, once every entry after `trusted` has been checked to chain
/// onto it, and the stored entry at `trusted`'s last position to be the one it names.
/// Only the entries from there on are read, so checkpointing often stays cheap. The
/// entries before it are not read again: the trusted hash commits to them, and a
/// checkpoint chained onto it certifies them as they were, which `verify` then
/// compares with what is stored.
///
/// If the stored chain left the trusted one, the whole chain is read once more to say
/// where (`Altered`, `Rewritten` or `Truncated`, as `verify` against a checkpoint of
/// `trusted` would).
pub(super) fn extend(
    mut read: impl FnMut(u64) -> Result<Vec<AuditEntry>, VerifyError>,
    trusted: Head,
) -> Result<Head, VerifyError> {
    let Some(last) = trusted.size.checked_sub(1) else {
        return walk(read, Head::GENESIS, Vec::new(), None);
    };
    let mut batch = read(last)?;
    let anchored = batch
        .first()
        .is_some_and(|e| e.seq == last && e.hash == trusted.hash);
    if !anchored {
        return match walk(&mut read, Head::GENESIS, Vec::new(), Some(trusted)) {
            Err(e) => Err(e),
            // Changed between the two reads: still not the trusted chain.
            Ok(_) => Err(VerifyError::Rewritten { position: last }),
        };
    }
    batch.remove(0);
    walk(read, trusted, batch, None)
}

/// Checks the entries after `start`, first those of `pending` (already read), then
/// batches from `read`, and, given a signed head, that the chain passes through it.
/// Returns the chain's last head.
fn walk(
    mut read: impl FnMut(u64) -> Result<Vec<AuditEntry>, VerifyError>,
    start: Head,
    pending: Vec<AuditEntry>,
    signed: Option<Head>,
) -> Result<Head, VerifyError> {
    let mut prev = start.hash;
    let mut position = start.size;
    let mut batch = pending;
    loop {
        if batch.is_empty() {
            batch = read(position)?;
            if batch.is_empty() {
                break;
            }
        }
        for entry in std::mem::take(&mut batch) {
            if entry.seq != position || entry.hash != chain_hash(&prev, position, &entry.event) {
                return Err(VerifyError::Altered { position });
            }
            if let Some(signed) = signed
                && signed.size == position + 1
                && entry.hash != signed.hash
            {
                return Err(VerifyError::Rewritten { position });
            }
            prev = entry.hash;
            position += 1;
        }
    }
    if let Some(signed) = signed
        && position < signed.size
    {
        return Err(VerifyError::Truncated {
            expected: signed.size,
            found: position,
        });
    }
    Ok(Head {
        size: position,
        hash: prev,
    })
}

/// Checks `c` against the trusted key: its trail, the key that signed it, and the
/// signature over trail, size, head and time. Returns the signed head.
pub(super) fn check_signature(c: &Checkpoint, key: &TrustedKey) -> Result<Head, VerifyError> {
    if c.trail != key.trail {
        return Err(VerifyError::WrongTrail {
            expected: key.trail.clone(),
            found: c.trail.clone(),
        });
    }
    if unhex(&c.public_key).as_deref() != Some(&key.public_key[..]) {
        return Err(VerifyError::UntrustedCheckpoint);
    }
    let head: [u8; 32] = unhex(&c.head)
        .and_then(|h| h.try_into().ok())
        .ok_or(VerifyError::BadCheckpoint)?;
    let sig = unhex(&c.signature).ok_or(VerifyError::BadCheckpoint)?;
    // The time is signed in whole microseconds: a finer part would go unsigned.
    if !c.at.timestamp_subsec_nanos().is_multiple_of(1000) {
        return Err(VerifyError::BadCheckpoint);
    }
    let message = checkpoint_message(&c.trail, c.size, &head, c.at.timestamp_micros());
    signature::UnparsedPublicKey::new(&signature::ED25519, &key.public_key[..])
        .verify(&message, &sig)
        .map_err(|_| VerifyError::BadCheckpoint)?;
    Ok(Head {
        size: c.size,
        hash: head,
    })
}
