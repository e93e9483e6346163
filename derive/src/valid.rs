//! Checks, each with an error that points at the offending token.

use quote::ToTokens;
use syn::spanned::Spanned;

use crate::ast::{Kind, Record};
use crate::errors::Errors;

/// Whether `s` is a retention literal: `"until_erased"`, a positive decimal `u32`
/// followed by `d`, `m` or `y`, `"<n>y from end of year"` with an optional
/// `" +HH:MM"` / `" -HH:MM"` (UTC-12:00 to UTC+14:00), or a period of at most 16383
/// after an event: `"3y after end of contract"`, `"6y after end of employment"`,
/// `"24m after last contact"`. The value itself is computed in
/// the generated code by custodian's `Retention::from_literal` (a `const fn`), so a
/// literal this accepts and custodian does not would fail to compile rather than mean
/// something else.
pub fn retention(s: &str) -> bool {
    if s == "until_erased" {
        return true;
    }
    if let Some((years, rest)) = s.split_once("y from end of year") {
        return period(&format!("{years}y")) && offset(rest);
    }
    if let Some((period_part, event)) = s.split_once(" after ") {
        return period(period_part)
            && period_part[..period_part.len() - 1]
                .parse::<u32>()
                .is_ok_and(|n| n <= MAX_EVENT_PERIOD)
            && EVENTS.contains(&event);
    }
    period(s)
}

/// The events a period may run from (custodian's `Anchor::words`).
const EVENTS: [&str; 3] = ["end of contract", "end of employment", "last contact"];
/// The longest period after an event (custodian's `EventPeriod::MAX`).
const MAX_EVENT_PERIOD: u32 = 0x3FFF;

/// `""`, or `" +HH:MM"` / `" -HH:MM"` between UTC-12:00 and UTC+14:00.
fn offset(rest: &str) -> bool {
    if rest.is_empty() {
        return true;
    }
    let b = rest.as_bytes();
    if b.len() != 7 || b[0] != b' ' || b[4] != b':' || !matches!(b[1], b'+' | b'-') {
        return false;
    }
    let digits = |x: &[u8]| {
        x.iter().all(u8::is_ascii_digit)
            && std::str::from_utf8(x)
                .ok()
                .and_then(|d| d.parse::<i32>().ok())
                .is_some()
    };
    if !digits(&b[2..4]) || !digits(&b[5..7]) {
        return false;
    }
    let h = i32::from(b[2] - b'0') * 10 + i32::from(b[3] - b'0');
    let m = i32::from(b[5] - b'0') * 10 + i32::from(b[6] - b'0');
    let minutes = (h * 60 + m) * if b[1] == b'-' { -1 } else { 1 };
    h <= 14 && m <= 59 && (-720..=840).contains(&minutes)
}

/// A positive decimal `u32` followed by `d`, `m` or `y`.
fn period(s: &str) -> bool {
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

pub fn check(record: &Record<'_>, errors: &mut Errors) {
    let mut push = |e: syn::Error| errors.push(e);
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

    if let Some(retain) = &record.attrs.retain {
        check_retention(retain, &mut push);
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
                if let Some(plain) = &f.attrs.plain {
                    push(syn::Error::new(
                        plain.span(),
                        "`plain` vouches that a plain field holds no personal data; this field is `Personal<T, C>` and is sealed: remove `plain`",
                    ));
                }
                if let Some(subject) = &f.attrs.subject {
                    push(syn::Error::new(
                        subject.span(),
                        "the subject field is a `SubjectId`, not a `Personal` value",
                    ));
                }
                if let Some(retain) = &f.attrs.retain {
                    check_retention(retain, &mut push);
                } else if !f.attrs.retain_written && !record.attrs.retain_written {
                    // A missing retention; a `retain` that did not parse is already an
                    // error of its own (one mistake, one error).
                    push(syn::Error::new(
                        f.ident.span(),
                        format!(
                            "`{}` declares no retention, and nothing may mean \"kept until erased\" by default (GDPR Art. 25(2)): write `#[personal(retain = \"6m\")]` (or \"8y from end of year\", ...) on the field or the struct, or `retain = \"until_erased\"` if keeping it until the subject is erased is the decision",
                            f.ident
                        ),
                    ));
                }
                if let Some(rename) = &f.attrs.rename {
                    check_name(&rename.value(), rename.span(), "field name", &mut push);
                }
            }
        }
    }
    bound_names(record, &mut push);
}

fn check_retention(retain: &syn::LitStr, push: &mut impl FnMut(syn::Error)) {
    if !retention(&retain.value()) {
        push(syn::Error::new(
            retain.span(),
            format!(
                "`{}` is not a retention period: write a positive number followed by `d`, `m` or `y` (\"30d\", \"6m\", \"7y\"), a number of years from the end of the calendar year (\"8y from end of year\", \"8y from end of year +01:00\"), a period of at most 16383 after an event (\"3y after end of contract\", \"6y after end of employment\", \"24m after last contact\"), or \"until_erased\"",
                retain.value()
            ),
        ));
    }
}

/// Two personal fields bound to one name would share a context, so a ciphertext
/// swapped between them would open in the other; a bound name that is another field's
/// name invites the same once that field is made personal. Both are refused.
fn bound_names(record: &Record<'_>, push: &mut impl FnMut(syn::Error)) {
    let personal: Vec<_> = record
        .fields
        .iter()
        .filter(|f| matches!(f.kind, Kind::Personal { .. }))
        .collect();
    for (i, f) in personal.iter().enumerate() {
        let bound = f.bound_name();
        let span = f
            .attrs
            .rename
            .as_ref()
            .map_or_else(|| f.ident.span(), |l| l.span());
        if let Some(first) = personal[..i].iter().find(|g| g.bound_name() == bound) {
            push(syn::Error::new(
                span,
                format!(
                    "`{}` and `{}` are both bound to the name \"{bound}\": they would share one context, so a ciphertext moved from one to the other would open; give each personal field its own `rename`",
                    first.ident, f.ident
                ),
            ));
            continue;
        }
        if f.attrs.rename.is_some()
            && let Some(other) = record
                .fields
                .iter()
                .find(|g| g.ident != f.ident && *g.ident == bound)
        {
            push(syn::Error::new(
                span,
                format!(
                    "`{}` is renamed to \"{bound}\", the name of the field `{}`: a ciphertext of one could then be taken for the other; choose a name no other field has",
                    f.ident, other.ident
                ),
            ));
        }
    }
}

fn check_name(name: &str, span: proc_macro2::Span, what: &str, push: &mut impl FnMut(syn::Error)) {
    if name.is_empty() || name.len() > 255 {
        push(syn::Error::new(
            span,
            format!("a {what} bound into ciphertext is 1 to 255 bytes"),
        ));
    }
}
