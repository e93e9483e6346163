//! The `#[personal(...)]` attributes.

use syn::{Attribute, LitStr};

/// Attributes on the struct.
#[derive(Default)]
pub struct RecordAttrs {
    /// `record = "customer"`: the record type bound into every field's ciphertext.
    pub record: Option<LitStr>,
    /// `crate = "path"`: where custodian is, when it cannot be found by name.
    pub krate: Option<syn::Path>,
    /// `no_serde`: do not derive `Serialize`/`Deserialize` for the sealed struct.
    pub no_serde: bool,
}

/// Attributes on a field.
#[derive(Default)]
pub struct FieldAttrs {
    /// `subject`: this field is the record's data subject.
    pub subject: Option<syn::Path>,
    /// `retain = "30d"`.
    pub retain: Option<LitStr>,
    /// `rename = "email"`: the field name bound into the ciphertext.
    pub rename: Option<LitStr>,
}

pub fn record(attrs: &[Attribute]) -> syn::Result<RecordAttrs> {
    let mut out = RecordAttrs::default();
    for attr in attrs.iter().filter(|a| a.path().is_ident("personal")) {
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("record") {
                out.record = Some(meta.value()?.parse()?);
            } else if meta.path.is_ident("crate") {
                let lit: LitStr = meta.value()?.parse()?;
                out.krate = Some(lit.parse()?);
            } else if meta.path.is_ident("no_serde") {
                out.no_serde = true;
            } else {
                return Err(meta.error(
                    "unknown `personal` attribute on a struct: expected `record = \"...\"`, `crate = \"...\"` or `no_serde`",
                ));
            }
            Ok(())
        })?;
    }
    Ok(out)
}

pub fn field(attrs: &[Attribute]) -> syn::Result<FieldAttrs> {
    let mut out = FieldAttrs::default();
    for attr in attrs.iter().filter(|a| a.path().is_ident("personal")) {
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("subject") {
                out.subject = Some(meta.path.clone());
            } else if meta.path.is_ident("retain") {
                out.retain = Some(meta.value()?.parse()?);
            } else if meta.path.is_ident("rename") {
                out.rename = Some(meta.value()?.parse()?);
            } else {
                return Err(meta.error(
                    "unknown `personal` attribute on a field: expected `subject`, `retain = \"...\"` or `rename = \"...\"`",
                ));
            }
            Ok(())
        })?;
    }
    Ok(out)
}
