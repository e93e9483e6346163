//! The notice registry and notice-version floors: which texts a purpose asks consent
//! with, and which versions of each still count.

use super::{ConsentError, ConsentLedger, Notice, RegisteredNotice};
use crate::basis::Consent;
use crate::purpose::Purpose;

impl ConsentLedger {
    /// Registers the exact `text` of notice `id`, version `version`, as a text that
    /// asks consent for purpose `P`, and returns the [`Notice`] to put in the
    /// [`Evidence`](super::Evidence). The text itself is kept, chained like the
    /// evidence (a hash proves nothing without the words it hashes). A notice that
    /// feeds several purposes is registered for each. Registering the same id, version
    /// and text again is a no-op; another text under the same id and version is
    /// refused ([`ConsentError::NoticeTextDiffers`]): a changed text is a new version.
    pub fn register_notice<P: Purpose<Basis = Consent>>(
        &self,
        id: &str,
        version: u32,
        text: &str,
    ) -> Result<Notice, ConsentError> {
        self.intact()?;
        let notice = Notice::new(id, version, text);
        let registration = RegisteredNotice {
            purpose: P::NAME.to_owned(),
            notice: notice.clone(),
            text: text.to_owned(),
            registered_at: self.clock.now(),
        };
        let stored = self.store.register_notice(&registration, &self.key)?;
        if stored.notice != notice {
            return Err(ConsentError::NoticeTextDiffers {
                purpose: P::NAME,
                notice: notice.id,
                version,
            });
        }
        Ok(notice)
    }

    /// The registered text of notice `id` version `version` for `P`, if registered.
    pub fn notice_text<P: Purpose<Basis = Consent>>(
        &self,
        id: &str,
        version: u32,
    ) -> Result<Option<RegisteredNotice>, ConsentError> {
        Ok(self.store.notice(P::NAME, id, version, &self.key)?)
    }

    /// Refuses a notice not registered for `P`, or registered with another text.
    pub(super) fn registered<P: Purpose<Basis = Consent>>(
        &self,
        notice: &Notice,
    ) -> Result<(), ConsentError> {
        match self
            .store
            .notice(P::NAME, &notice.id, notice.version, &self.key)?
        {
            Some(r) if r.notice == *notice => Ok(()),
            Some(_) => Err(ConsentError::NoticeTextDiffers {
                purpose: P::NAME,
                notice: notice.id.clone(),
                version: notice.version,
            }),
            None => Err(ConsentError::NoticeNotRegistered {
                purpose: P::NAME,
                notice: notice.id.clone(),
                version: notice.version,
            }),
        }
    }

    /// Requires consent to `P` through notice `notice` to have been given to `version`
    /// or later, e.g. after a material change of that notice. Versions belong to a
    /// notice: a purpose fed by several notices keeps one floor per notice. Persisted
    /// in the store; it only rises.
    pub fn require_notice_version<P: Purpose<Basis = Consent>>(
        &self,
        notice: &str,
        version: u32,
    ) -> Result<(), ConsentError> {
        Ok(self
            .store
            .raise_notice_floor(P::NAME, Some(notice), version, &self.key)?)
    }

    /// The oldest version of notice `notice` accepted for `P` now: the larger of the
    /// declared `min_notice_version` (which applies to every notice of `P`) and the
    /// floor set with [`require_notice_version`](Self::require_notice_version).
    pub fn required_version<P: Purpose<Basis = Consent>>(
        &self,
        notice: &str,
    ) -> Result<u32, ConsentError> {
        Ok(P::MIN_NOTICE_VERSION.max(self.store.notice_floor(P::NAME, notice, &self.key)?))
    }
}
