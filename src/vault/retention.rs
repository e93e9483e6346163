//! Retention on the vault: dates at seal time, the expiry check at open time (and the
//! holds it consults), and retention verification. Epoch keys are in `epochs.rs`, the
//! sweep in `sweep.rs`, holds in `holds.rs`, erasure in `erase.rs`. See
//! `docs/retention.md`.

use chrono::{DateTime, Utc};

use super::{Vault, VaultError};
use crate::category::Category;
use crate::format::{self, Dates, NEVER};
use crate::retention::{LegalHold, Retention, RetentionReport};
use crate::sealed::Context;
use crate::store::StoreError;
use crate::subject::SubjectId;

impl Vault {
    /// The collection time and expiry of a value collected at `collected` (seconds
    /// since the Unix epoch) and sealed into `context`, and the expiry day its header
    /// carries: the expiry's UTC day, or for a period after an event the code of its
    /// (anchor, period) in the reserved range (then `expires` is `NEVER`).
    pub(super) fn dates_for<C: Category>(
        &self,
        context: &Context<C>,
        collected: i64,
    ) -> Result<(Dates, u32), VaultError> {
        let retention = match context
            .retention()
            .or_else(|| self.default_retention(C::NAME))
        {
            Some(r) => r,
            None => return Err(VaultError::RetentionUndeclared { category: C::NAME }),
        };
        // Before 1970 the epoch arithmetic below would not hold; no real clock is there.
        if collected < 0 {
            return Err(VaultError::RetentionOutOfRange);
        }
        if let Retention::AfterEvent { anchor, period } = retention {
            let code = crate::retention::anchor_code(anchor, period)
                .ok_or(VaultError::RetentionOutOfRange)?;
            let expires = NEVER;
            return Ok((Dates { collected, expires }, code));
        }
        let expires = retention
            .expires(collected)
            .ok_or(VaultError::RetentionOutOfRange)?;
        let day = format::epoch_of(expires);
        // A real day in the range reserved for event anchors (11.7 million years away)
        // would be read as an anchor.
        if expires != NEVER && day >= format::ANCHOR_DAYS {
            return Err(VaultError::RetentionOutOfRange);
        }
        Ok((Dates { collected, expires }, day))
    }

    /// Now, in whole seconds, by this vault's clock.
    pub(crate) fn unix_now(&self) -> i64 {
        self.clock.unix_seconds()
    }

    /// The vault's default for `category`; `None` if it declares none (then sealing
    /// without a context retention is refused: nothing silently means "until erased").
    fn default_retention(&self, category: &str) -> Option<Retention> {
        self.defaults
            .iter()
            .find(|(name, _)| *name == category)
            .map(|(_, r)| *r)
    }

    /// Refuses an expired value unless an active legal hold of its subject keeps its
    /// category, and, for an open (`purpose` given), names `purpose` in its scope
    /// (Art. 18(2)): an expired value kept for a claim opens only for the claim. A
    /// value that has not expired is not affected by holds. `reseal` passes no
    /// purpose: it re-encrypts held data without using it.
    ///
    /// The holds are read from the store at every such check, never from a memo, so a
    /// hold placed or released by another vault or process counts at once.
    pub(super) fn check_expiry(
        &self,
        subject: &SubjectId,
        expires: i64,
        purpose: Option<&'static str>,
        category: &'static str,
    ) -> Result<(), VaultError> {
        if expires == NEVER || self.clock.unix_seconds() < expires {
            return Ok(());
        }
        let now = self.clock.now();
        let holds = self.keys.verified_holds(Some(subject))?;
        let keeping: Vec<&LegalHold> = holds
            .iter()
            .filter(|h| h.is_active(now) && h.scope.covers(category))
            .collect();
        if keeping.is_empty() {
            return Err(expired(expires));
        }
        let Some(purpose) = purpose else {
            return Ok(());
        };
        if keeping.iter().any(|h| h.scope.permits(purpose, category)) {
            return Ok(());
        }
        let mut held_for: Vec<String> = Vec::new();
        for p in keeping.iter().flat_map(|h| h.scope.purposes()) {
            if !held_for.contains(p) {
                held_for.push(p.clone());
            }
        }
        Err(VaultError::RestrictedByHold {
            at: expiry_time(expires),
            purpose,
            category,
            held_for,
        })
    }

    /// The subject's first active hold, if any.
    pub(super) fn active_hold(&self, subject: &SubjectId) -> Result<Option<LegalHold>, VaultError> {
        let now = self.clock.now();
        Ok(self
            .keys
            .verified_holds(Some(subject))?
            .into_iter()
            .find(|h| h.is_active(now)))
    }

    /// Refuses with [`VaultError::UnderLegalHold`] if a hold binds the subject (not
    /// released, not lapsed; placed at any time).
    pub(super) fn refuse_if_held(&self, subject: &SubjectId) -> Result<(), VaultError> {
        let now = self.clock.now();
        match self
            .keys
            .verified_holds(Some(subject))?
            .into_iter()
            .find(|h| h.binds(now))
        {
            Some(h) => Err(VaultError::UnderLegalHold {
                hold: h.id,
                reason: h.reason,
                until: h.until,
            }),
            None => Ok(()),
        }
    }

    /// Verifies every legal-hold record and erasure tombstone in the key store: each
    /// authenticates under the vault's `retention-integrity` secret, and none is
    /// missing (their counts, kept MAC'd in the store, only rise). Every recorded
    /// anchor event ([`Operator::record_event`](super::Operator::record_event)) must
    /// authenticate too (a deleted one is not counted: it postpones destruction,
    /// `docs/retention.md`). With `expected`, a
    /// report kept from an earlier run, the store must also hold at least as many of
    /// each as then: that finds a store rolled back to an older copy (rows and head
    /// together), which nothing inside the store can show. Keep each report where the
    /// store's writers cannot reach it (`docs/retention.md`, "Threat model").
    ///
    /// Sweeps, erasures, hold listings and a subject's first seal run the same checks
    /// (without `expected`) and refuse on a store that fails them.
    pub fn verify_retention(
        &self,
        expected: Option<&RetentionReport>,
    ) -> Result<RetentionReport, VaultError> {
        let counts = self
            .keys
            .retention()
            .verify_retention(self.keys.retention_key()?)?;
        if let Some(e) = expected
            && !counts.covers(&e.counts)
        {
            return Err(StoreError::RetentionTampered {
                what: "fewer records than the anchor: the store was rolled back",
            }
            .into());
        }
        Ok(RetentionReport { counts })
    }
}

pub(super) fn expired(expires: i64) -> VaultError {
    VaultError::Expired {
        at: expiry_time(expires),
    }
}

pub(super) fn expiry_time(expires: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(expires, 0).unwrap_or(DateTime::<Utc>::MAX_UTC)
}
