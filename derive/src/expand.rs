//! Code generation.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;

use crate::ast::{Field, Kind, Record};
use crate::attr::RecordAttrs;

/// The path to custodian in the user's crate: `crate = "..."` if given, else found by
/// name in their Cargo.toml (so a renamed dependency works), else `::custodian`.
pub fn krate(attrs: &RecordAttrs) -> TokenStream {
    if let Some(path) = &attrs.krate {
        return quote!(#path);
    }
    match proc_macro_crate::crate_name("custodian") {
        Ok(proc_macro_crate::FoundCrate::Name(name)) => {
            let ident = format_ident!("{}", name);
            quote!(::#ident)
        }
        _ => quote!(::custodian),
    }
}

fn ctx_static(f: &Field<'_>) -> proc_macro2::Ident {
    format_ident!("__CUSTODIAN_CONTEXT_{}", f.ident)
}

fn retention_const(f: &Field<'_>) -> proc_macro2::Ident {
    format_ident!("__CUSTODIAN_RETENTION_{}", f.ident)
}

pub fn expand(record: &Record<'_>) -> TokenStream {
    let k = krate(&record.attrs);
    let input = record.input;
    let name = &input.ident;
    let vis = &input.vis;
    let sealed_name = format_ident!("Sealed{}", name);
    let record_name = record
        .attrs
        .record
        .as_ref()
        .map(|l| l.value())
        .unwrap_or_else(|| name.to_string());
    // `valid::check` ran first: there is exactly one subject field.
    let Some(subject) = record.subject().map(|f| f.ident) else {
        return quote!();
    };

    let mut sealed_fields = Vec::new();
    let mut statics = Vec::new();
    let mut seal_inits = Vec::new();
    let mut open_inits = Vec::new();
    let mut field_openers = Vec::new();
    let mut categories = Vec::new();
    let mut inventory = Vec::new();
    let mut debug_fields = Vec::new();
    let mut plain_checks = Vec::new();

    for f in &record.fields {
        let (ident, fvis, ty) = (f.ident, f.vis, f.ty);
        let ident_str = ident.to_string();
        debug_fields.push(quote!(.field(#ident_str, &self.#ident)));
        let Kind::Personal {
            value,
            category,
            optional,
        } = &f.kind
        else {
            // Fail closed: a plain field is copied into the sealed struct as it is, so
            // prove on the resolved type that it holds no `Personal` (see
            // `__private::v1::plain`). Spanned at the field's type for the error.
            // Under `no_serde`, a field not vouched for with `plain` must also prove it
            // holds none by being `Serialize` (structural: see `docs/derive.md`).
            let assert = if record.attrs.no_serde && f.attrs.plain.is_none() {
                quote!(assert_proven_plain)
            } else {
                quote!(assert_plain)
            };
            plain_checks.push(quote_spanned! {ty.span()=>
                #k::__private::v1::plain::#assert::<#ty, _>(
                    (&&&#k::__private::v1::plain::Probe::<#ty>::new()).kind(),
                );
            });
            sealed_fields.push(quote!(#fvis #ident: #ty));
            seal_inits.push(quote!(#ident: ::core::clone::Clone::clone(&self.#ident)));
            open_inits.push(quote!(#ident: ::core::clone::Clone::clone(&self.#ident)));
            continue;
        };
        let bound = f.bound_name();
        let ctx = ctx_static(f);
        let retention_name = retention_const(f);
        categories.push(quote!(#k::Uses<#category>));
        // `valid::check` accepted the literal; custodian's `const fn` gives its value.
        // Evaluated in a `const`, so a disagreement fails the build, never a run.
        let retention_value = match f.attrs.retain.as_ref().or(record.attrs.retain.as_ref()) {
            Some(lit) => quote! {
                ::core::option::Option::Some(match #k::Retention::from_literal(#lit) {
                    ::core::option::Option::Some(r) => r,
                    ::core::option::Option::None => ::core::panic!("custodian-derive accepted a retention literal that custodian does not"),
                })
            },
            None => quote!(::core::option::Option::None),
        };
        statics.push(quote! {
            #[allow(non_upper_case_globals)]
            const #retention_name: ::core::option::Option<#k::Retention> = #retention_value;
            #[allow(non_upper_case_globals)]
            static #ctx: #k::__private::v1::LazyLock<#k::__private::v1::FieldContext<#category>> =
                #k::__private::v1::LazyLock::new(|| #k::__private::v1::context(#record_name, #bound, #retention_name));
        });
        let retention = quote!(#retention_name);
        inventory.push(quote! {
            #k::FieldInfo {
                name: #bound,
                category: <#category as #k::Category>::INFO,
                retention: #retention,
                optional: #optional,
            }
        });
        let opener = format_ident!("open_{}", ident);
        let opener_doc = format!(
            "Opens only `{ident_str}`, for a purpose that uses its category: read what the purpose needs, nothing more."
        );
        // Each expression below is a `Result`, so whole-record and per-field code share it.
        let (sealed_ty, seal_one, open_one, open_in_record, opened_ty) = if *optional {
            (
                quote!(::core::option::Option<#k::Sealed<#value, #category>>),
                quote! {
                    ::core::option::Option::as_ref(&self.#ident)
                        .map(|v| #k::__private::v1::seal(vault, subject, v, &#ctx, collected))
                        .transpose()
                },
                quote! {
                    ::core::option::Option::as_ref(&self.#ident)
                        .map(|v| #k::__private::v1::open(vault, &self.#subject, v, &#ctx, access))
                        .transpose()
                },
                quote! {
                    #k::__private::v1::open_optional(vault, &self.#subject, ::core::option::Option::as_ref(&self.#ident), &#ctx, access)
                },
                quote!(::core::option::Option<#k::Personal<#value, #category>>),
            )
        } else {
            (
                quote!(#k::Sealed<#value, #category>),
                quote!(#k::__private::v1::seal(vault, subject, &self.#ident, &#ctx, collected)),
                quote!(#k::__private::v1::open(vault, &self.#subject, &self.#ident, &#ctx, access)),
                quote!(#k::__private::v1::open(vault, &self.#subject, &self.#ident, &#ctx, access)),
                quote!(#k::Personal<#value, #category>),
            )
        };
        sealed_fields.push(quote!(#fvis #ident: #sealed_ty));
        seal_inits.push(quote!(#ident: #seal_one?));
        open_inits.push(quote!(#ident: #open_in_record?));
        field_openers.push(quote! {
            #[doc = #opener_doc]
            #vis fn #opener<P: #k::Uses<#category>>(
                &self,
                vault: &#k::Vault,
                access: &#k::Access<P>,
            ) -> ::core::result::Result<#opened_ty, #k::OpenError> {
                #open_one
            }
        });
    }

    let serde = if record.attrs.no_serde {
        quote!()
    } else {
        let serde_path = format!("{}::__private::v1::serde", k).replace(' ', "");
        quote! {
            #[derive(#k::__private::v1::serde::Serialize, #k::__private::v1::serde::Deserialize)]
            #[serde(crate = #serde_path)]
        }
    };
    let sealed_doc = format!(
        "The sealed form of [`{name}`]: every personal field encrypted under the subject's key. Store this."
    );
    let name_str = name.to_string();
    let debug = if record.attrs.no_debug {
        quote!()
    } else {
        quote! {
            impl ::core::fmt::Debug for #name {
                fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                    f.debug_struct(#name_str)
                        #(#debug_fields)*
                        .finish()
                }
            }
        }
    };

    quote! {
        #[doc = #sealed_doc]
        #[derive(::core::clone::Clone, ::core::fmt::Debug)]
        #serde
        #vis struct #sealed_name {
            #(#sealed_fields,)*
        }

        const _: () = {
            #(#statics)*

            #[allow(dead_code)]
            fn __custodian_plain_fields() {
                #[allow(unused_imports)]
                use #k::__private::v1::plain::{Holds as _, Other as _, Serializes as _};
                #(#plain_checks)*
            }

            impl #name {
                /// Seals every personal field under the record subject's key, with one
                /// collection time for all. Fails if a personal field belongs to another
                /// subject than the record's.
                #vis fn seal(&self, vault: &#k::Vault) -> ::core::result::Result<#sealed_name, #k::SealError> {
                    let subject: &#k::SubjectId = &self.#subject;
                    let collected = #k::__private::v1::collected_now(vault);
                    ::core::result::Result::Ok(#sealed_name {
                        #(#seal_inits,)*
                    })
                }
            }

            impl #sealed_name {
                /// Opens the whole record. Compiles only for a purpose declared to use
                /// every category in it; use the `open_<field>` methods to read less.
                #vis fn open<P>(
                    &self,
                    vault: &#k::Vault,
                    access: &#k::Access<P>,
                ) -> ::core::result::Result<#name, #k::OpenError>
                where
                    P: #k::Purpose #(+ #categories)*,
                {
                    #k::__private::v1::check_subject(&self.#subject, access)?;
                    ::core::result::Result::Ok(#name {
                        #(#open_inits,)*
                    })
                }

                #(#field_openers)*
            }

            impl #k::PersonalData for #name {
                const RECORD: &'static str = #record_name;
                const FIELDS: &'static [#k::FieldInfo] = &[#(#inventory),*];
                type Sealed = #sealed_name;
            }

            #debug
        };
    }
}
