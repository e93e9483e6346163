//! Event anchors on [`MemoryKeyStore`](super::MemoryKeyStore), the helpers behind its
//! [`RetentionStore`](crate::retention::RetentionStore) event methods: recorded events
//! and which anchor keys are due (`docs/retention.md`, "Periods from an event"). Each
//! event is kept with the MAC the vault's key gave it, returned as stored: the vault
//! checks it, as on any backend.

use chrono::{DateTime, Utc};

use super::MemoryKeys;
use crate::keys::KeyName;
use crate::retention::{AnchorEvent, StoredEvent, anchored_end};
use crate::subject::SubjectId;

impl MemoryKeys {
    /// The events recorded for `subject`, oldest first.
    pub(super) fn events_of(&self, subject: &SubjectId) -> Vec<AnchorEvent> {
        self.stored_events_of(subject)
            .into_iter()
            .map(|e| e.event)
            .collect()
    }

    /// The events recorded for `subject` with their MACs, oldest first.
    pub(super) fn stored_events_of(&self, subject: &SubjectId) -> Vec<StoredEvent> {
        self.events
            .iter()
            .filter(|e| e.event.subject == *subject)
            .cloned()
            .collect()
    }

    /// Whether `name` is an anchor key due at `now` (its subject's latest recorded
    /// event of its anchor + its period has passed) of a subject no hold binds.
    pub(super) fn anchor_key_due(&self, name: &KeyName, now: DateTime<Utc>) -> bool {
        let KeyName::Anchor { subject, code } = name else {
            return false;
        };
        let end = anchored_end(*code, &self.events_of(subject));
        end.is_some_and(|end| end <= now.timestamp()) && !self.bound(subject, now)
    }

    /// Destroys the anchor keys of erased subjects (no subject key) whose erasure
    /// exceptions have all ended.
    pub(super) fn remove_orphan_anchor_keys(&mut self) {
        let keyed: std::collections::HashSet<SubjectId> = self
            .keys
            .keys()
            .filter_map(|n| match n {
                KeyName::Subject { subject, .. } => Some(subject.clone()),
                _ => None,
            })
            .collect();
        let excepted: std::collections::HashSet<SubjectId> =
            self.exceptions.iter().map(|e| e.subject.clone()).collect();
        self.remove_keys(|n| match n {
            KeyName::Anchor { subject, .. } => {
                keyed.contains(subject) || excepted.contains(subject)
            }
            _ => true,
        });
    }

    /// Destroys the subject's anchor keys and event records (at their erasure);
    /// returns whether there were any.
    pub(super) fn shred_anchors(&mut self, subject: &SubjectId) -> bool {
        // Kept while an erasure exception of the subject lasts (as on SQLite).
        let excepted = self.exceptions.iter().any(|e| e.subject == *subject);
        let keys = self.remove_keys(|n| {
            excepted || !matches!(n, KeyName::Anchor { subject: s, .. } if s == subject)
        });
        let before = self.events.len();
        self.events.retain(|e| e.event.subject != *subject);
        keys > 0 || self.events.len() < before
    }
}
