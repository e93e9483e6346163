//! Retention periods that run from an event (`docs/retention.md`, "Periods from an
//! event"): recording events, the anchor key behind each (subject, anchor, period), and
//! the expiry of anchored values by their subject's recorded event.

use chrono::{DateTime, SubsecRound, Utc};

use super::{Vault, VaultError};
use crate::audit::EventKind;
use crate::format;
use crate::keys::KeyName;
use crate::retention::{Anchor, AnchorEvent, anchored_end, from_anchor_code};
use crate::subject::SubjectId;

impl Vault {
    /// Records that `anchor` happened for `subject` at `at` (the end of their
    /// contract, of their employment, their last contact): every value of theirs kept
    /// for a period after that event ([`Retention::AfterEvent`](crate::Retention::AfterEvent))
    /// is refused from `at` + its period on, and the first [`sweep`](Self::sweep) after
    /// that destroys its anchor key, unless a legal hold binds the subject (then the
    /// data opens only for the hold's purposes, as for any expired data).
    ///
    /// Records are append-only and authenticated in the key store. A period runs from
    /// the **latest** `at` recorded for its subject and anchor, so recording an earlier
    /// time never moves an end back; recording a later one (a new contact, a renewed
    /// contract) moves it forward, until the key is destroyed. `at` is kept in whole
    /// seconds and may not be after now ([`VaultError::EventInFuture`]). Refused with
    /// [`VaultError::Shredded`] for an erased subject. Audited as `anchor_event`.
    ///
    /// ```
    /// use custodian::keys::LocalMasterKey;
    /// use custodian::retention::Anchor;
    /// use custodian::{Context, Personal, Retention, SubjectId, Vault, categories::Email};
    /// let vault = Vault::in_memory(LocalMasterKey::generate("kek-1")?);
    /// let alice = SubjectId::new("cus_1")?;
    /// let ctx = Context::new("customer", "email")?.retain(Retention::parse("3y after end of contract")?);
    /// let sealed = vault.seal(&Personal::<String, Email>::new(alice.clone(), "a@example.com".into()), &ctx)?;
    /// vault.record_event(&alice, Anchor::ContractEnd, chrono::Utc::now())?;
    /// assert_eq!(vault.events_of(&alice)?.len(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn record_event(
        &self,
        subject: &SubjectId,
        anchor: Anchor,
        at: DateTime<Utc>,
    ) -> Result<AnchorEvent, VaultError> {
        self.audited(EventKind::AnchorEvent, subject, || {
            let now = self.clock.now().trunc_subsecs(0);
            let at = at.trunc_subsecs(0);
            if at > now {
                return Err(VaultError::EventInFuture { anchor });
            }
            let event = AnchorEvent {
                subject: subject.clone(),
                anchor,
                at,
                recorded_at: now,
            };
            let reference = self.subject_ref(subject)?;
            if !self
                .store
                .record_event(&event, &reference, self.retention_key()?)?
            {
                return Err(VaultError::Shredded);
            }
            Ok(event)
        })
    }

    /// Every event recorded for `subject`, oldest first. Fails with
    /// [`StoreError::RetentionTampered`](crate::store::StoreError::RetentionTampered)
    /// if a record was forged or edited in the store.
    pub fn events_of(&self, subject: &SubjectId) -> Result<Vec<AnchorEvent>, VaultError> {
        let reference = self.subject_ref(subject)?;
        Ok(self
            .store
            .events(subject, &reference, self.retention_key()?)?)
    }

    /// When values of `subject` whose header code is `code` expire: `None` while the
    /// event is not recorded.
    pub(super) fn anchored_end(
        &self,
        subject: &SubjectId,
        code: u32,
    ) -> Result<Option<i64>, VaultError> {
        Ok(anchored_end(code, &self.events_of(subject)?))
    }

    /// Refuses to seal a value of `subject` kept after the event `code` names if the
    /// period after its recorded event has already run out.
    pub(super) fn refuse_ended_anchor(
        &self,
        subject: &SubjectId,
        code: u32,
    ) -> Result<(), VaultError> {
        if let (Some(end), Some((anchor, _))) =
            (self.anchored_end(subject, code)?, from_anchor_code(code))
            && self.clock.unix_seconds() >= end
        {
            return Err(VaultError::EventPeriodEnded {
                anchor,
                at: DateTime::from_timestamp(end, 0).unwrap_or(DateTime::<Utc>::MAX_UTC),
            });
        }
        Ok(())
    }

    /// The subject's share of their anchor key for `code`, for sealing: the key is
    /// created on first use (refused for a shredded subject).
    pub(super) fn anchor_share_for_seal(
        &self,
        subject: &SubjectId,
        code: u32,
    ) -> Result<zeroize::Zeroizing<[u8; 32]>, VaultError> {
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
    ) -> Result<zeroize::Zeroizing<[u8; 32]>, VaultError> {
        let name = anchor_key_name(subject, code)?;
        if let Some(key) = self.named_secret(&name, false)? {
            return Ok(format::anchor_share(&key[..], subject.as_str(), code));
        }
        if self.is_shredded(subject)? {
            return Err(VaultError::Shredded);
        }
        match self.anchored_end(subject, code)? {
            Some(end) if self.clock.unix_seconds() >= end => Err(VaultError::Expired {
                at: DateTime::from_timestamp(end, 0).unwrap_or(DateTime::<Utc>::MAX_UTC),
            }),
            _ => Err(VaultError::AnchorKeyNotFound {
                anchor: name_anchor(&name),
            }),
        }
    }

    /// Destroys the anchor keys that are due (event + period passed, subject not
    /// held) and forgets their cached keys; returns how many subjects lost one.
    pub(super) fn sweep_anchor_keys(&self) -> Result<usize, VaultError> {
        let swept = self
            .store
            .sweep_anchor_keys(self.clock.now(), self.retention_key()?)?;
        for subject in &swept {
            self.cache.evict(subject);
        }
        Ok(swept.len())
    }
}

/// The name of the subject's anchor key for values with header code `code`; a code
/// no vault writes (an unknown anchor id or unit) is an altered header: `Decrypt`.
fn anchor_key_name(subject: &SubjectId, code: u32) -> Result<KeyName, VaultError> {
    let (anchor, period) = from_anchor_code(code).ok_or(VaultError::Decrypt)?;
    Ok(KeyName::Anchor {
        subject: subject.clone(),
        anchor,
        period,
    })
}

fn name_anchor(name: &KeyName) -> Anchor {
    match name {
        KeyName::Anchor { anchor, .. } => *anchor,
        _ => Anchor::ContractEnd,
    }
}
