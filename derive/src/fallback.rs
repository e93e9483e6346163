//! What is emitted when the input has a mistake: the errors, plus the items the
//! derive would have generated (the sealed struct and its fields, `seal`, `open`,
//! `open_<field>`, `Debug`), with the same names and signatures. The user's other code that uses them
//! then type-checks, so one mistake is one error, not a cascade of E0412/E0599 (as
//! serde_derive and thiserror do).
//!
//! The bodies are `unreachable!()`: this code is only ever emitted next to a
//! `compile_error!`, so the crate does not build and nothing here can run.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::DeriveInput;

use crate::ast::{Field, Kind};
use crate::attr::RecordAttrs;
use crate::expand::krate;

pub fn expand(
    input: &DeriveInput,
    attrs: &RecordAttrs,
    fields: Option<&[Field<'_>]>,
    errors: syn::Error,
) -> TokenStream {
    let k = krate(attrs);
    let name = &input.ident;
    let vis = &input.vis;
    let sealed_name = format_ident!("Sealed{}", name);
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    let errors = errors.into_compile_error();
    // The sealed struct's fields, so `row.plan` or `row.email` type-checks too; only
    // for a concrete struct (a generic field type could not be named here), and without
    // a `Personal` that lacks its category (its type is the mistake).
    let sealed_fields = fields
        .filter(|_| input.generics.params.is_empty())
        .unwrap_or_default()
        .iter()
        .filter_map(|f| {
            let (ident, fvis) = (f.ident, f.vis);
            match &f.kind {
                Kind::Personal {
                    value,
                    category,
                    optional: false,
                } => Some(quote!(#fvis #ident: #k::Sealed<#value, #category>)),
                Kind::Personal {
                    value,
                    category,
                    optional: true,
                } => Some(
                    quote!(#fvis #ident: ::core::option::Option<#k::Sealed<#value, #category>>),
                ),
                Kind::Plain => {
                    let ty = f.ty;
                    Some(quote!(#fvis #ident: #ty))
                }
                Kind::PersonalWithoutCategory => None,
            }
        });
    let sealed_body = quote!({ #(#sealed_fields,)* });
    let openers = fields.unwrap_or_default().iter().filter_map(|f| {
        let Kind::Personal {
            value,
            category,
            optional,
        } = &f.kind
        else {
            return None;
        };
        let opener = format_ident!("open_{}", f.ident);
        let personal = quote!(#k::Personal<#value, #category>);
        let opened = if *optional {
            quote!(::core::option::Option<#personal>)
        } else {
            personal
        };
        Some(quote! {
            #[allow(dead_code, unused_variables)]
            #vis fn #opener<P: #k::Purpose>(
                &self,
                vault: &#k::Vault,
                access: &#k::Access<P>,
            ) -> ::core::result::Result<#opened, #k::OpenError> {
                ::core::unreachable!()
            }
        })
    });
    let debug = if attrs.no_debug {
        quote!()
    } else {
        let name_str = name.to_string();
        quote! {
            impl #impl_generics ::core::fmt::Debug for #name #ty_generics #where_clause {
                fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                    f.write_str(#name_str)
                }
            }
        }
    };
    // A generic input is itself one of the mistakes: its sealed struct (not generic)
    // cannot name it, so only the items that need no type arguments are emitted.
    let sealed_impls = if input.generics.params.is_empty() {
        quote! {
            impl #sealed_name {
                    #[allow(dead_code, unused_variables)]
                    #vis fn open<P: #k::Purpose>(
                        &self,
                        vault: &#k::Vault,
                        access: &#k::Access<P>,
                    ) -> ::core::result::Result<#name, #k::OpenError> {
                        ::core::unreachable!()
                    }

                    #(#openers)*
                }

            impl #k::PersonalData for #name {
                const RECORD: &'static str = "";
                const FIELDS: &'static [#k::FieldInfo] = &[];
                type Sealed = #sealed_name;
            }
        }
    } else {
        quote!()
    };
    quote! {
        #errors

        #[allow(dead_code)]
        #[derive(::core::clone::Clone, ::core::fmt::Debug)]
        #vis struct #sealed_name #sealed_body

        const _: () = {
            impl #impl_generics #name #ty_generics #where_clause {
                #[allow(dead_code, unused_variables)]
                #vis fn seal(&self, vault: &#k::Vault) -> ::core::result::Result<#sealed_name, #k::SealError> {
                    ::core::unreachable!()
                }
            }

            #sealed_impls

            #debug
        };
    }
}
