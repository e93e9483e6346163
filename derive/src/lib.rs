//! `#[derive(PersonalData)]` for [custodian](https://docs.rs/custodian).
//!
//! Laid out as dtolnay's derives are: `ast` parses the input, `attr` reads the
//! `#[personal(...)]` attributes, `valid` checks them with spanned errors, and
//! `expand` writes the code. Users depend on `custodian`, which re-exports this.

#![forbid(unsafe_code)]

mod ast;
mod attr;
mod expand;
mod valid;

use proc_macro::TokenStream;
use syn::{DeriveInput, parse_macro_input};

/// Derives the sealed form, `seal`, `open`, `open_<field>`, a redacted `Debug` and the
/// field inventory of a struct with personal fields. See custodian's `docs/derive.md`.
#[proc_macro_derive(PersonalData, attributes(personal))]
pub fn derive_personal_data(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    ast::Record::from_syn(&input)
        .and_then(|record| {
            valid::check(&record)?;
            Ok(expand::expand(&record))
        })
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}
