//! Erasure exceptions (GDPR Art. 17(3)(b)): data a law requires to be kept, excepted
//! from an erasure for that law, for one purpose, until a date. See
//! `docs/retention.md`, "Erasure exceptions".

use chrono::{DateTime, Utc};

use crate::category::Category;
use crate::keys::WrappedKey;
use crate::purpose::Uses;
use crate::retention::HoldBasis;
use crate::subject::SubjectId;

/// One category of a subject's data that an erasure keeps because a law requires it:
/// "kept under `law` until `until`, readable only for `purpose`".
///
/// Built only with [`keep`](Self::keep), which compiles only if the purpose declares
/// the category and does not rest on consent (like a legal hold's): there is no other
/// public constructor and no `Deserialize`, so the check cannot be bypassed. Passed to
/// [`Operator::erase_with`](crate::Operator::erase_with).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ErasureException(ExceptionRecord);

/// What an [`ErasureException`] says, as plain data: in receipts, and as a
/// [`KeyStore`](crate::keys::KeyStore) stores it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ExceptionRecord {
    /// The category kept (its dotted name).
    pub category: String,
    /// The one purpose (its declared name) the kept data may still be opened for.
    pub purpose: String,
    /// The provision that requires keeping it (e.g. `§ 147 AO`); no personal data.
    pub law: String,
    /// When the obligation ends: from then on the kept data cannot be opened, and the
    /// next [`Operator::sweep`](crate::Operator::sweep) destroys its key.
    pub until: DateTime<Utc>,
}

impl ErasureException {
    /// Keeps the subject's data of category `C` for purpose `P` under `law` until
    /// `until`. `P` must declare `C` and must not rest on consent:
    ///
    /// ```
    /// use custodian::categories::PostalAddress;
    /// use custodian::retention::ErasureException;
    /// custodian::purpose! {
    ///     pub struct TaxRecords {
    ///         name: "tax-records",
    ///         basis: LegalObligation { law: "§ 147 AO" },
    ///         description: "Keep invoices as tax law requires.",
    ///         uses: [PostalAddress],
    ///     }
    /// }
    /// let until = chrono::DateTime::from_timestamp(2_000_000_000, 0).unwrap();
    /// let keep = ErasureException::keep::<TaxRecords, PostalAddress>("§ 147 AO", until);
    /// assert_eq!(keep.record().purpose, "tax-records");
    /// ```
    pub fn keep<P, C>(law: &str, until: DateTime<Utc>) -> Self
    where
        P: Uses<C>,
        C: Category,
        P::Basis: HoldBasis<P>,
    {
        ErasureException(ExceptionRecord {
            category: C::NAME.to_owned(),
            purpose: P::NAME.to_owned(),
            law: law.to_owned(),
            until,
        })
    }

    /// What it says.
    pub fn record(&self) -> &ExceptionRecord {
        &self.0
    }

    /// An exception read back from the vault's own queue (checked when it was queued).
    pub(crate) fn from_record(record: ExceptionRecord) -> Self {
        ErasureException(record)
    }
}

/// What an erasure kept, as its receipt lists it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct KeptData {
    /// The exception that kept it.
    #[serde(flatten)]
    pub exception: ExceptionRecord,
    /// How many of the subject's key versions had data of this category kept (one key
    /// per version was escrowed for the category; 0 if the subject had no key).
    pub key_versions: usize,
}

/// A kept category key, as a [`KeyStore`](crate::keys::KeyStore) stores it: the
/// subject's key for one category and key version, wrapped by the master key with
/// associated data binding the subject, version and every field of the exception, so
/// that editing the purpose, law or date in the store makes it fail to unwrap.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredException {
    /// The erased subject.
    pub subject: SubjectId,
    /// The subject key version the category key was derived from.
    pub version: u32,
    /// The exception.
    pub exception: ExceptionRecord,
    /// The wrapped category key.
    pub key: WrappedKey,
}

impl StoredException {
    /// The associated data the category key is wrapped with.
    pub(crate) fn aad(subject: &SubjectId, version: u32, e: &ExceptionRecord) -> Vec<u8> {
        let mut aad = Vec::with_capacity(128);
        aad.extend_from_slice(b"custodian.v3.erasure-exception");
        for part in [subject.as_str(), &e.category, &e.purpose, &e.law] {
            // Lengths as u16: a law reference may exceed 255 bytes.
            aad.extend_from_slice(&(part.len().min(u16::MAX as usize) as u16).to_be_bytes());
            aad.extend_from_slice(part.as_bytes());
        }
        aad.extend_from_slice(&version.to_be_bytes());
        aad.extend_from_slice(&e.until.timestamp().to_be_bytes());
        aad
    }
}

/// An erasure requested while a legal hold binds the subject: kept in the key store and
/// carried out by the first [`Operator::sweep`](crate::Operator::sweep) after the last hold
/// ends (see [`Operator::request_erasure`](crate::Operator::request_erasure)).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueuedErasure {
    /// Whose erasure.
    pub subject: SubjectId,
    /// When it was requested, by the vault's clock.
    pub requested_at: DateTime<Utc>,
    /// The exceptions to apply when it is carried out; one whose `until` has passed by
    /// then is dropped (the law no longer requires keeping).
    pub exceptions: Vec<ExceptionRecord>,
    /// HMAC-SHA256 of the above under the vault's `erasure-queue` secret: a store keeps
    /// it as given. An entry forged or edited in the store (to keep data for another
    /// purpose) does not verify, and the sweep refuses it.
    pub mac: Vec<u8>,
}

impl QueuedErasure {
    /// The bytes the MAC covers.
    pub(crate) fn mac_input(&self) -> Vec<u8> {
        let mut out = b"custodian.v1.erasure-queue".to_vec();
        out.extend_from_slice(&self.requested_at.timestamp_micros().to_be_bytes());
        out.extend_from_slice(&(self.exceptions.len() as u32).to_be_bytes());
        for e in &self.exceptions {
            let part = StoredException::aad(&self.subject, 0, e);
            out.extend_from_slice(&(part.len() as u32).to_be_bytes());
            out.extend_from_slice(&part);
        }
        // An entry without exceptions still binds its subject.
        out.extend_from_slice(self.subject.as_str().as_bytes());
        out
    }
}

/// Why an erasure could not be carried out now (GDPR Art. 12(4)): the holds that bind
/// the subject. Holds no subject id.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ErasureBlocked {
    /// The binding hold.
    pub hold: crate::retention::HoldId,
    /// Its reason (a case reference and the obligation, never personal data).
    pub reason: String,
    /// When it lapses, if it does.
    pub until: Option<DateTime<Utc>>,
}

/// What [`Operator::request_erasure`](crate::Operator::request_erasure) did.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case", tag = "outcome")]
pub enum ErasureOutcome {
    /// Carried out now.
    Erased(crate::retention::ErasureReceipt),
    /// Refused for now because a legal hold binds the subject, and queued: the first
    /// sweep after the hold ends carries it out and reports its receipt
    /// (`SweepReport::erasures_completed`). Tell the person why (Art. 12(4)).
    Pending {
        /// Who, pseudonymously.
        subject: crate::retention::SubjectRef,
        /// When it was requested.
        requested_at: DateTime<Utc>,
        /// The hold that refused it.
        blocked_by: ErasureBlocked,
    },
}
