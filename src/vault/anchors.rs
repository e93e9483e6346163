//! Retention periods that run from an event (`docs/retention.md`, "Periods from an
//! event"), on the vault: recording events (through the [`Operator`](super::Operator)),
//! sealing a value kept after one, and the expiry of anchored values by their
//! subject's recorded event. The anchor keys themselves are the key ring's
//! (`keyring/anchors.rs`); the sweep that destroys them is in `sweep.rs`.

use chrono::{DateTime, SubsecRound, Utc};

use super::{Vault, VaultError};
use crate::access::Actor;
use crate::audit::EventKind;
use crate::format::{self, CONTEXT_DIGEST_LEN, Dates, FormatError};
use crate::retention::{Anchor, AnchorEvent, from_anchor_code};
use crate::subject::SubjectId;

impl Vault {
    /// [`Operator::record_event`](super::Operator::record_event), by `by`.
    pub(super) fn op_record_event(
        &self,
        by: &Actor,
        subject: &SubjectId,
        anchor: Anchor,
        at: DateTime<Utc>,
    ) -> Result<AnchorEvent, VaultError> {
        self.audited(EventKind::AnchorEvent, subject, by, || {
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
            self.keys.record_event(&event)?;
            Ok(event)
        })
    }

    /// Every event recorded for `subject`, oldest first. Fails with
    /// [`StoreError::RetentionTampered`](crate::store::StoreError::RetentionTampered)
    /// if a record was forged or edited in the store. Events are recorded with
    /// [`Operator::record_event`](super::Operator::record_event).
    pub fn events_of(&self, subject: &SubjectId) -> Result<Vec<AnchorEvent>, VaultError> {
        self.keys.events(subject)
    }

    /// When values of `subject` whose header code is `code` expire: `None` while the
    /// event is not recorded.
    pub(super) fn anchored_end(
        &self,
        subject: &SubjectId,
        code: u32,
    ) -> Result<Option<i64>, VaultError> {
        self.keys.anchored_end(subject, code)
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
                at: super::retention::expiry_time(end),
            });
        }
        Ok(())
    }

    /// [`seal_encoded`](Self::seal_encoded) for a value kept after an event: the same
    /// one way to a data key ([`seal_with`](super::keyring::KeyRing::seal_with)), whose
    /// `epoch` is the header code (the key ring mixes in the anchor key's share), and
    /// the header carries the code with `expires` sealed as `NEVER`.
    pub(super) fn seal_anchored(
        &self,
        subject: &SubjectId,
        (category, context): (&'static str, &[u8; CONTEXT_DIGEST_LEN]),
        (dates, code): (Dates, u32),
        size_hint: usize,
        encode: impl FnOnce(&mut Vec<u8>),
    ) -> Result<Vec<u8>, VaultError> {
        self.keys.seal_with(subject, category, code, |key| {
            format::seal_anchored(
                key.key,
                key.algorithm,
                subject.as_str(),
                key.version,
                code,
                dates.collected,
                key.nonce,
                context,
                size_hint,
                encode,
            )
            .ok_or_else(|| VaultError::Format(FormatError::BadSubject))
        })?
    }
}
