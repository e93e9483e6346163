//! The `#[personal(...)]` attributes. Every mistake is collected, not just the first,
//! so one build shows them all.

use syn::meta::ParseNestedMeta;
use syn::{Attribute, Expr, Lit, LitStr, Token, token};

use crate::errors::Errors;

/// Attributes on the struct.
#[derive(Default)]
pub struct RecordAttrs {
    /// `record = "customer"`: the record type bound into every field's ciphertext.
    pub record: Option<LitStr>,
    /// `crate = "path"`: where custodian is, when it cannot be found by name.
    pub krate: Option<syn::Path>,
    /// `no_serde`: do not derive `Serialize`/`Deserialize` for the sealed struct.
    pub no_serde: bool,
    /// `no_debug`: do not generate `Debug` for the struct (the user derives or writes it).
    pub no_debug: bool,
    /// `retain = "..."`: the retention of every personal field that declares none.
    pub retain: Option<LitStr>,
    /// `retain` was written, even if its value was not a string (already an error).
    pub retain_written: bool,
}

/// Attributes on a field.
#[derive(Default)]
pub struct FieldAttrs {
    /// `subject`: this field is the record's data subject.
    pub subject: Option<syn::Path>,
    /// `retain = "30d"`.
    pub retain: Option<LitStr>,
    /// `retain` was written, even if its value was not a string (already an error).
    pub retain_written: bool,
    /// `rename = "email"`: the field name bound into the ciphertext.
    pub rename: Option<LitStr>,
    /// `plain`: the user vouches that this plain field holds no personal data.
    pub plain: Option<syn::Path>,
}

const RECORD_EXPECTED: &str =
    "expected `record = \"...\"`, `crate = \"...\"`, `retain = \"...\"`, `no_serde` or `no_debug`";
const FIELD_EXPECTED: &str =
    "expected `subject`, `retain = \"...\"`, `rename = \"...\"` or `plain`";

pub fn record(attrs: &[Attribute], errors: &mut Errors) -> RecordAttrs {
    let mut out = RecordAttrs::default();
    for attr in attrs.iter().filter(|a| a.path().is_ident("personal")) {
        let parsed = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("record") {
                if let Some(lit) = string(&meta, errors)? {
                    set(&mut out.record, lit, &meta, errors);
                }
            } else if meta.path.is_ident("crate") {
                if let Some(lit) = string(&meta, errors)? {
                    match lit.parse::<syn::Path>() {
                        Ok(path) => set(&mut out.krate, path, &meta, errors),
                        Err(e) => errors.push(e),
                    }
                }
            } else if meta.path.is_ident("retain") {
                out.retain_written = true;
                if let Some(lit) = string(&meta, errors)? {
                    set(&mut out.retain, lit, &meta, errors);
                }
            } else if meta.path.is_ident("no_serde") {
                flag(&mut out.no_serde, &meta, errors);
            } else if meta.path.is_ident("no_debug") {
                flag(&mut out.no_debug, &meta, errors);
            } else {
                unknown(&meta, "on a struct", RECORD_EXPECTED, errors)?;
            }
            Ok(())
        });
        if let Err(e) = parsed {
            errors.push(e);
        }
    }
    out
}

pub fn field(attrs: &[Attribute], errors: &mut Errors) -> FieldAttrs {
    let mut out = FieldAttrs::default();
    for attr in attrs.iter().filter(|a| a.path().is_ident("personal")) {
        let parsed = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("subject") {
                set(&mut out.subject, meta.path.clone(), &meta, errors);
            } else if meta.path.is_ident("retain") {
                out.retain_written = true;
                if let Some(lit) = string(&meta, errors)? {
                    set(&mut out.retain, lit, &meta, errors);
                }
            } else if meta.path.is_ident("rename") {
                if let Some(lit) = string(&meta, errors)? {
                    set(&mut out.rename, lit, &meta, errors);
                }
            } else if meta.path.is_ident("plain") {
                set(&mut out.plain, meta.path.clone(), &meta, errors);
            } else {
                unknown(&meta, "on a field", FIELD_EXPECTED, errors)?;
            }
            Ok(())
        });
        if let Err(e) = parsed {
            errors.push(e);
        }
    }
    out
}

/// `name = "..."`: the string, or `None` after recording why the value is not one.
/// The value is consumed either way, so parsing goes on to the next attribute.
fn string(meta: &ParseNestedMeta<'_>, errors: &mut Errors) -> syn::Result<Option<LitStr>> {
    let expr: Expr = meta.value()?.parse()?;
    match expr {
        Expr::Lit(syn::ExprLit {
            lit: Lit::Str(lit), ..
        }) => Ok(Some(lit)),
        other => {
            errors.push(syn::Error::new_spanned(
                other,
                format!(
                    "`{}` takes a string: write `{} = \"...\"`",
                    path_name(meta),
                    path_name(meta)
                ),
            ));
            Ok(None)
        }
    }
}

fn flag(slot: &mut bool, meta: &ParseNestedMeta<'_>, errors: &mut Errors) {
    if *slot {
        errors.push(duplicate(meta));
    }
    *slot = true;
}

fn set<T>(slot: &mut Option<T>, value: T, meta: &ParseNestedMeta<'_>, errors: &mut Errors) {
    if slot.is_some() {
        errors.push(duplicate(meta));
    }
    *slot = Some(value);
}

fn duplicate(meta: &ParseNestedMeta<'_>) -> syn::Error {
    meta.error(format!("`{}` is given twice: keep one", path_name(meta)))
}

/// Records an unknown attribute and skips its value (`= ...` or `(...)`), so the
/// attributes after it are still read and checked.
fn unknown(
    meta: &ParseNestedMeta<'_>,
    place: &str,
    expected: &str,
    errors: &mut Errors,
) -> syn::Result<()> {
    errors.push(meta.error(format!("unknown `personal` attribute {place}: {expected}")));
    if meta.input.peek(Token![=]) {
        let _: Expr = meta.value()?.parse()?;
    } else if meta.input.peek(token::Paren) {
        let _: proc_macro2::TokenTree = meta.input.parse()?;
    }
    Ok(())
}

fn path_name(meta: &ParseNestedMeta<'_>) -> String {
    meta.path
        .get_ident()
        .map(ToString::to_string)
        .unwrap_or_else(|| "attribute".to_owned())
}
