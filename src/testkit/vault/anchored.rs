//! The values kept after a recorded last contact in the [`vault_store`](super::vault_store)
//! model: what the model expects of them, and the check after every step.

use super::{CLAIMS, CRM, Expect, Model, ok, open, open_for_claims};
use crate::categories::Email;
use crate::retention::Anchor;
use crate::{Context, OpenError, Retention, Sealed, SubjectId, Vault};

impl Model {
    /// A value kept `days` after the last contact, sealed under key generation `gen`.
    /// Never readable once its key is gone (`None`: readable or refused, but never
    /// opened); otherwise as for any value, with the end from the recorded contact.
    fn expect_anchored(
        &self,
        subject: usize,
        (days, generation): (u16, u32),
        now: i64,
        purpose: usize,
    ) -> Option<Expect> {
        let alive = self.anchor_keys.get(&(subject, days)) == Some(&generation);
        if self.erased[subject] {
            // An erasure exception keeps the category key and the anchor keys (the
            // events are gone: its `until` decides).
            let kept = self.kept_until[subject].is_some_and(|until| now < until);
            return Some(match (kept, purpose) {
                (true, CRM) => Expect::Excepted,
                (true, _) if alive => Expect::Readable,
                _ => Expect::Shredded,
            });
        }
        if !alive {
            return None;
        }
        let end = self.contact[subject].map(|t| t + i64::from(days) * 86_400);
        if end.is_none_or(|end| now < end) {
            return Some(Expect::Readable);
        }
        let keeping = &self.scopes[subject];
        Some(if !keeping.contains(&0) && !keeping.contains(&1) {
            Expect::Expired
        } else if !keeping.contains(&purpose) {
            Expect::Restricted
        } else {
            Expect::Readable
        })
    }
}

/// A value kept after the last contact: its subject, (days, key generation), bytes.
pub(super) type AnchoredValue = (usize, (u16, u32), Sealed<String, Email>);

/// An email context kept `days` days after the last contact.
pub(super) fn after_contact(days: u16) -> Context<Email> {
    let retention = Retention::Days(u32::from(days)).after(Anchor::LastContact);
    ok(Context::new("customer", "email"), "Context::new")
        .retain(retention.unwrap_or_else(|| panic!("conformance: {days} days after an event")))
}

/// Opens every value kept after the last contact for both purposes and compares with
/// the model.
pub(super) fn check(
    vault: &Vault,
    model: &Model,
    anchored: &[AnchoredValue],
    subjects: &[SubjectId],
    step: usize,
    now: i64,
) {
    for (i, (subject, key, sealed)) in anchored.iter().enumerate() {
        for purpose in [CRM, CLAIMS] {
            let got = match purpose {
                CRM => open(vault, sealed, &subjects[*subject]),
                _ => open_for_claims(vault, sealed, &subjects[*subject]),
            };
            match (model.expect_anchored(*subject, *key, now, purpose), &got) {
                (None, Err(_))
                | (Some(Expect::Readable), Ok(_))
                | (Some(Expect::Expired), Err(OpenError::Expired { .. }))
                | (Some(Expect::Restricted), Err(OpenError::RestrictedByHold { .. }))
                | (Some(Expect::Excepted), Err(OpenError::RestrictedByErasureException { .. }))
                | (Some(Expect::Shredded), Err(OpenError::Shredded)) => {}
                (_, got) => panic!(
                    "step {step}, anchored value {i} (subject {subject}, key {key:?}, now {now}), purpose {purpose}: got {got:?}; holds {:?} erased {:?} contact {:?} keys {:?}",
                    model.scopes, model.erased, model.contact, model.anchor_keys
                ),
            }
        }
    }
}
