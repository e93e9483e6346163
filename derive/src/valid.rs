//! Checks, each with an error that points at the offending token.

use quote::ToTokens;
use syn::spanned::Spanned;

use crate::ast::{Kind, Record};

/// Whether `s` is a retention literal: `"until_erased"`, or a positive decimal `u32`
/// followed by `d`, `m` or `y`. The value itself is computed in the generated code by
/// custodian's `Retention::from_literal` (a `const fn`), so a literal this accepts and
/// custodian does not would fail to compile rather than mean something else.
pub fn retention(s: &str) -> bool {
    if s == "until_erased" {
        return true;
    }
    let b = s.as_bytes();
    let Some((unit, digits)) = b.split_last() else {
        return false;
    };
    matches!(unit, b'd' | b'm' | b'y')
        && !digits.is_empty()
        && digits.iter().all(u8::is_ascii_digit)
        && std::str::from_utf8(digits)
            .ok()
            .and_then(|d| d.parse::<u32>().ok())
            .is_some_and(|n| n > 0)
}

pub fn check(record: &Record<'_>) -> syn::Result<()> {
    let mut errors: Option<syn::Error> = None;
    let mut push = |e: syn::Error| match errors.as_mut() {
        Some(all) => all.combine(e),
        None => errors = Some(e),
    };
    let input = record.input;

    if !input.generics.params.is_empty() {
        push(syn::Error::new(
            input.generics.span(),
            "#[derive(PersonalData)] does not support generic structs yet: each field's context is a static computed once per field, which a generic category would defeat; use a concrete struct",
        ));
    }

    let subjects: Vec<_> = record
        .fields
        .iter()
        .filter_map(|f| f.attrs.subject.as_ref())
        .collect();
    match subjects.as_slice() {
        [] => push(syn::Error::new(
            input.ident.span(),
            "#[derive(PersonalData)] needs one field marked `#[personal(subject)]`: the `SubjectId` of the person this record is about",
        )),
        [_] => {}
        [_, rest @ ..] => {
            for extra in rest {
                push(syn::Error::new(
                    extra.span(),
                    "a record has exactly one data subject: only one field may be `#[personal(subject)]`",
                ));
            }
        }
    }

    match &record.attrs.record {
        Some(lit) => check_name(&lit.value(), lit.span(), "record type", &mut push),
        None => check_name(
            &input.ident.to_string(),
            input.ident.span(),
            "record type",
            &mut push,
        ),
    }

    for f in &record.fields {
        match &f.kind {
            Kind::PersonalWithoutCategory => push(syn::Error::new(
                f.ty.span(),
                format!(
                    "`{}` has no category: write `Personal<T, C>` with a category such as `custodian::categories::Email`",
                    f.ty.to_token_stream().to_string().replace(" ", "")
                ),
            )),
            Kind::Plain => {
                for (lit, what) in [(&f.attrs.retain, "retain"), (&f.attrs.rename, "rename")] {
                    if let Some(lit) = lit {
                        push(syn::Error::new(
                            lit.span(),
                            format!("`{what}` applies to `Personal<T, C>` fields only"),
                        ));
                    }
                }
            }
            Kind::Personal { .. } => {
                if let Some(subject) = &f.attrs.subject {
                    push(syn::Error::new(
                        subject.span(),
                        "the subject field is a `SubjectId`, not a `Personal` value",
                    ));
                }
                if let Some(retain) = &f.attrs.retain
                    && !retention(&retain.value())
                {
                    push(syn::Error::new(
                        retain.span(),
                        format!(
                            "`{}` is not a retention period: write a positive number followed by `d`, `m` or `y` (\"30d\", \"6m\", \"7y\"), or \"until_erased\"",
                            retain.value()
                        ),
                    ));
                }
                if let Some(rename) = &f.attrs.rename {
                    check_name(&rename.value(), rename.span(), "field name", &mut push);
                }
            }
        }
    }
    errors.map_or(Ok(()), Err)
}

fn check_name(name: &str, span: proc_macro2::Span, what: &str, push: &mut impl FnMut(syn::Error)) {
    if name.is_empty() || name.len() > 255 {
        push(syn::Error::new(
            span,
            format!("a {what} bound into ciphertext is 1 to 255 bytes"),
        ));
    }
}
