//! Proof of erasure (GDPR Art. 17, CCPA §1798.105): what [`Operator::erase`](crate::Operator::erase)
//! returns, to be kept as the record that a request was honoured.

use std::fmt;

use chrono::{DateTime, Utc};

use crate::category::Sensitivity;
use crate::retention::{JournalPurge, KeptData, Retention};

/// A pseudonymous reference to a data subject: HMAC-SHA256 of the subject id under a
/// secret of the vault (created on first use, wrapped by the master key in the key
/// store). Whoever holds the vault and a subject id can recompute it
/// ([`Vault::subject_ref`](crate::Vault::subject_ref)) to find that subject's receipt
/// later; without the vault it says nothing about who the subject was.
#[derive(Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct SubjectRef(String);

impl SubjectRef {
    pub(crate) fn from_mac(mac: &[u8]) -> Self {
        SubjectRef(format!("sref1:{}", crate::hex::encode(mac)))
    }

    /// A reference as a store kept it (written from [`as_str`](Self::as_str)).
    pub(crate) fn from_stored(text: String) -> Self {
        SubjectRef(text)
    }

    /// Reads back a reference as [`as_str`](Self::as_str) wrote it (`None` if it is
    /// not one): to look up a stored receipt, or to call a
    /// [`KeyStore`](crate::keys::KeyStore) directly.
    pub fn parse(text: &str) -> Option<Self> {
        let hex = text.strip_prefix("sref1:")?;
        (hex.len() == 64 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
            .then(|| SubjectRef(text.to_owned()))
    }

    /// The reference as text (`sref1:` and 64 hex digits).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SubjectRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SubjectRef({})", self.0)
    }
}

impl fmt::Display for SubjectRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One kind of personal data an erasure made unreadable, from the inventories of the
/// record types registered with [`VaultBuilder::record`](crate::VaultBuilder::record).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ErasedField {
    /// The record type.
    pub record: String,
    /// The field name.
    pub field: String,
    /// Its category's dotted name.
    pub category: String,
    /// Ordinary, special (Art. 9) or criminal-offence (Art. 10) data.
    pub sensitivity: Sensitivity,
    /// Its declared retention, if any.
    pub retention: Option<Retention>,
}

/// The proof that a data subject's erasure was carried out. Holds no personal value
/// and no subject id: the subject appears only as a [`SubjectRef`], a keyed
/// pseudonymous reference, so the receipt is still personal data (Recital 26).
/// Serialize it (JSON) and keep it with your request records, in a store that is not
/// restored with the key store: the receipts are the list of erasures to replay after
/// a restore (`docs/retention.md`).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ErasureReceipt {
    /// Who was erased, pseudonymously.
    pub subject: SubjectRef,
    /// When, by the vault's clock.
    pub erased_at: DateTime<Utc>,
    /// Subject key versions destroyed: every value sealed under them is unreadable.
    pub subject_keys_destroyed: usize,
    /// Epoch shares held in escrow for a legal hold, destroyed.
    pub escrowed_keys_destroyed: usize,
    /// The registered fields (from the field inventories) whose sealed values this
    /// erasure made unreadable: every field of a category not kept by an exception;
    /// empty if no key was destroyed (the subject had none, or was erased before).
    pub data: Vec<ErasedField>,
    /// What an erasure exception kept, for which law, purpose and until when
    /// ([`Operator::erase_with`](crate::Operator::erase_with)); the next sweep after its end
    /// destroys it. Empty for a full erasure.
    #[serde(default)]
    pub kept: Vec<KeptData>,
    /// Whether the deleted keys have also left the store's journal; `pending` until a
    /// later write or [`Vault::checkpoint`](crate::Vault::checkpoint) completes it.
    /// The erasure itself is committed either way.
    #[serde(default)]
    pub journal: JournalPurge,
}
