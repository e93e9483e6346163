//! Proof of erasure (GDPR Art. 17, CCPA §1798.105): what [`Operator::erase`](crate::Operator::erase)
//! returns, to be kept as the record that a request was honoured.

use chrono::{DateTime, Utc};

use crate::category::Sensitivity;
use crate::retention::{JournalPurge, KeptData, Retention};
pub use crate::subject::SubjectRef;

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
