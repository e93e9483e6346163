//! Records: structs of personal and plain fields, as `#[derive(PersonalData)]` sees
//! them. See `docs/derive.md`.

use crate::category::CategoryInfo;
use crate::retention::Retention;

/// One personal field of a record, as declared: the inventory from which the privacy
/// notice, the record of processing and a subject's data export are generated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct FieldInfo {
    /// The name bound into the field's ciphertext (the field's name, or its `rename`).
    pub name: &'static str,
    /// Its category.
    pub category: CategoryInfo,
    /// Its declared retention. `#[derive(PersonalData)]` always sets it (a `Personal`
    /// field without one does not compile); `None` only in a hand-written inventory,
    /// and then sealing needs the vault's default for the category.
    pub retention: Option<Retention>,
    /// Whether the field is an `Option<Personal<_, _>>`.
    pub optional: bool,
}

/// A struct with personal fields. Implemented by `#[derive(PersonalData)]`; the derive
/// also writes the sealed struct, `seal`, `open` and one `open_<field>` per field.
pub trait PersonalData {
    /// The record type bound into every field's ciphertext.
    const RECORD: &'static str;
    /// The personal fields, in declaration order.
    const FIELDS: &'static [FieldInfo];
    /// The sealed form (`SealedCustomer` for `Customer`).
    type Sealed;
}
