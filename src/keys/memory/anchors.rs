//! The event-anchor half of [`MemoryKeyStore`](super::MemoryKeyStore): recorded events
//! and the sweep of anchor keys (`docs/retention.md`, "Periods from an event"). Nothing
//! outside the process can change the store, so events carry no MAC here.

use chrono::{DateTime, Utc};
use zeroize::Zeroize;

use super::MemoryKeys;
use crate::keys::KeyName;
use crate::retention::{AnchorEvent, anchor_code, anchored_end};
use crate::subject::SubjectId;

impl MemoryKeys {
    /// The events recorded for `subject`, oldest first.
    pub(super) fn events_of(&self, subject: &SubjectId) -> Vec<AnchorEvent> {
        self.events
            .iter()
            .filter(|e| e.subject == *subject)
            .cloned()
            .collect()
    }

    /// Destroys the anchor keys that are due at `now` of subjects no hold binds;
    /// returns their subjects.
    pub(super) fn sweep_anchor_keys(&mut self, now: DateTime<Utc>) -> Vec<SubjectId> {
        let due: Vec<KeyName> = self
            .named
            .keys()
            .filter(|name| match name {
                KeyName::Anchor {
                    subject,
                    anchor,
                    period,
                } => {
                    let end = anchor_code(*anchor, *period)
                        .and_then(|code| anchored_end(code, &self.events_of(subject)));
                    end.is_some_and(|end| end <= now.timestamp()) && !self.bound(subject, now)
                }
                _ => false,
            })
            .cloned()
            .collect();
        let mut subjects = Vec::new();
        for name in due {
            if let Some(mut key) = self.named.remove(&name) {
                key.wrapped.zeroize();
            }
            if let KeyName::Anchor { subject, .. } = name
                && !subjects.contains(&subject)
            {
                subjects.push(subject);
            }
        }
        subjects
    }

    /// Destroys the anchor keys of erased subjects (no subject key) whose erasure
    /// exceptions have all ended.
    pub(super) fn remove_orphan_anchor_keys(&mut self) {
        let keyed: std::collections::HashSet<SubjectId> = self.keys.keys().cloned().collect();
        let excepted: std::collections::HashSet<SubjectId> =
            self.exceptions.iter().map(|e| e.subject.clone()).collect();
        self.remove_named(|n| match n {
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
        let keys = self.remove_named(|n| {
            excepted || !matches!(n, KeyName::Anchor { subject: s, .. } if s == subject)
        });
        let before = self.events.len();
        self.events.retain(|e| e.subject != *subject);
        keys > 0 || self.events.len() < before
    }
}
