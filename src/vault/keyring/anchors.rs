//! Anchor keys: one per (subject, anchor, period), behind every value kept for a
//! period after an event (`docs/retention.md`, "Periods from an event"). A value's
//! data key mixes in the subject's share of its anchor key, as an expiring value's
//! mixes in its epoch's; the sweep destroys the anchor key once the recorded event +
//! period has passed (`vault/sweep.rs`). The recorded events are read here, under the
//! retention-integrity secret, because they decide whether a missing key expired.

use zeroize::Zeroizing;

use super::KeyRing;
use crate::format;
use crate::keys::KeyName;
use crate::retention::{Anchor, AnchorEvent, anchored_end, from_anchor_code};
use crate::subject::SubjectId;
use crate::vault::VaultError;
use crate::vault::retention::expired;

impl KeyRing {
    /// Appends `event` to its subject's authenticated event records; refused with
    /// `Shredded` for an erased subject.
    pub(in crate::vault) fn record_event(&self, event: &AnchorEvent) -> Result<(), VaultError> {
        let reference = self.subject_ref(&event.subject)?;
        if !self
            .retention()
            .record_event(event, &reference, self.retention_key()?)?
        {
            return Err(VaultError::Shredded);
        }
        Ok(())
    }

    /// Every event recorded for `subject`, oldest first, each authenticated.
    pub(in crate::vault) fn events(
        &self,
        subject: &SubjectId,
    ) -> Result<Vec<AnchorEvent>, VaultError> {
        let reference = self.subject_ref(subject)?;
        let key = self.retention_key()?;
        let mut events = Vec::new();
        // Verified here, with the vault's own reference of the subject: a backend that
        // invents, moves or reassigns an event fails closed instead of extending a
        // period.
        for stored in self.retention().events(subject, &reference, key)? {
            let event = stored.verify(&reference, key)?;
            if event.subject != *subject {
                return Err(crate::store::StoreError::RetentionTampered {
                    what: "the store returned an anchor event of another subject",
                }
                .into());
            }
            events.push(event);
        }
        Ok(events)
    }

    /// When values of `subject` with header code `code` expire: `None` while the
    /// event is not recorded.
    pub(in crate::vault) fn anchored_end(
        &self,
        subject: &SubjectId,
        code: u32,
    ) -> Result<Option<i64>, VaultError> {
        Ok(anchored_end(code, &self.events(subject)?))
    }

    /// The subject's share of their anchor key for `code`, for sealing: the key is
    /// created on first use (refused for a shredded subject). Called only once the
    /// subject key exists: a store treats an anchor key without a subject key as an
    /// erased subject's, kept only while an erasure exception lasts.
    pub(super) fn anchor_share_for_seal(
        &self,
        subject: &SubjectId,
        code: u32,
    ) -> Result<Zeroizing<[u8; 32]>, VaultError> {
        let name = anchor_key_name(subject, code)?;
        let key = self
            .named_secret(&name, true)?
            .ok_or(VaultError::Shredded)?;
        Ok(format::anchor_share(&key[..], subject.as_str(), code))
    }

    /// The subject's share of their anchor key for `code`, for opening. A missing key
    /// whose event + period has passed was destroyed by a sweep: `Expired`.
    pub(super) fn anchor_share_for_open(
        &self,
        subject: &SubjectId,
        code: u32,
    ) -> Result<Zeroizing<[u8; 32]>, VaultError> {
        let name = anchor_key_name(subject, code)?;
        if let Some(key) = self.named_secret(&name, false)? {
            return Ok(format::anchor_share(&key[..], subject.as_str(), code));
        }
        if self.is_shredded(subject)? {
            return Err(VaultError::Shredded);
        }
        match self.anchored_end(subject, code)? {
            Some(end) if self.clock.unix_seconds() >= end => Err(expired(end)),
            _ => Err(VaultError::AnchorKeyNotFound {
                anchor: name_anchor(&name),
            }),
        }
    }
}

/// The name of the subject's anchor key for values with header code `code`; a code
/// no vault writes (an unknown anchor id or unit) is an altered header: `Decrypt`.
fn anchor_key_name(subject: &SubjectId, code: u32) -> Result<KeyName, VaultError> {
    from_anchor_code(code).ok_or(VaultError::Decrypt)?;
    Ok(KeyName::Anchor {
        subject: subject.clone(),
        code,
    })
}

/// The event of an anchor key's name (checked by [`anchor_key_name`]).
fn name_anchor(name: &KeyName) -> Anchor {
    match name {
        KeyName::Anchor { code, .. } => {
            from_anchor_code(*code).map_or(Anchor::ContractEnd, |(a, _)| a)
        }
        _ => Anchor::ContractEnd,
    }
}
