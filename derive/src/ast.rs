//! The parsed input: a struct, its subject field, its personal and plain fields.

use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Fields, GenericArgument, Ident, PathArguments, Type, Visibility};

use crate::attr::{self, FieldAttrs, RecordAttrs};
use crate::errors::Errors;

pub struct Record<'a> {
    pub input: &'a DeriveInput,
    pub attrs: RecordAttrs,
    pub fields: Vec<Field<'a>>,
}

pub struct Field<'a> {
    pub ident: &'a Ident,
    pub vis: &'a Visibility,
    pub ty: &'a Type,
    pub attrs: FieldAttrs,
    pub kind: Kind<'a>,
}

pub enum Kind<'a> {
    /// A `Personal<T, C>`, or `Option<Personal<T, C>>` when `optional`.
    Personal {
        value: &'a Type,
        category: &'a Type,
        optional: bool,
    },
    /// `Personal` with the wrong number of type arguments.
    PersonalWithoutCategory,
    /// Anything else: the subject field, or a plain field passed through. The expansion
    /// asserts, on the type the compiler resolves, that it holds no `Personal` (an
    /// alias or a type macro cannot hide one).
    Plain,
}

/// The named fields of `input`, or `None` after recording why it has none (an enum, a
/// union, a tuple struct). Attribute mistakes are recorded in `errors` too.
pub fn fields<'a>(input: &'a DeriveInput, errors: &mut Errors) -> Option<Vec<Field<'a>>> {
    let data = match &input.data {
        Data::Struct(data) => data,
        Data::Enum(e) => {
            errors.push(syn::Error::new(
                e.enum_token.span,
                "#[derive(PersonalData)] supports structs with named fields, not enums: put the personal fields in a struct",
            ));
            return None;
        }
        Data::Union(u) => {
            errors.push(syn::Error::new(
                u.union_token.span,
                "#[derive(PersonalData)] supports structs with named fields, not unions",
            ));
            return None;
        }
    };
    let named = match &data.fields {
        Fields::Named(named) => named,
        other => {
            errors.push(syn::Error::new(
                other.span(),
                "#[derive(PersonalData)] needs named fields: each field's name is bound into its ciphertext",
            ));
            return None;
        }
    };
    let mut fields = Vec::new();
    for f in &named.named {
        let Some(ident) = f.ident.as_ref() else {
            continue;
        };
        fields.push(Field {
            ident,
            vis: &f.vis,
            ty: &f.ty,
            attrs: attr::field(&f.attrs, errors),
            kind: kind(&f.ty),
        });
    }
    Some(fields)
}

impl<'a> Record<'a> {
    pub fn subject(&self) -> Option<&Field<'a>> {
        self.fields.iter().find(|f| f.attrs.subject.is_some())
    }
}

impl Field<'_> {
    /// The name bound into the ciphertext.
    pub fn bound_name(&self) -> String {
        self.attrs
            .rename
            .as_ref()
            .map(|l| l.value())
            .unwrap_or_else(|| self.ident.to_string())
    }
}

/// `ty` without the invisible group a `macro_rules!` `$t:ty` fragment arrives in, or
/// the parentheses of `(T)`, so a type passed through a macro is recognised as written.
fn unwrap(ty: &Type) -> &Type {
    match ty {
        Type::Group(g) => unwrap(&g.elem),
        Type::Paren(p) => unwrap(&p.elem),
        other => other,
    }
}

/// The last path segment of `ty` if it is `name<...>`, with its type arguments.
fn generic_args<'t>(ty: &'t Type, name: &str) -> Option<Vec<&'t Type>> {
    let Type::Path(p) = unwrap(ty) else {
        return None;
    };
    if p.qself.is_some() {
        return None;
    }
    let last = p.path.segments.last()?;
    if last.ident != name {
        return None;
    }
    Some(match &last.arguments {
        PathArguments::AngleBracketed(args) => args
            .args
            .iter()
            .filter_map(|a| match a {
                GenericArgument::Type(t) => Some(t),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    })
}

fn personal(ty: &Type) -> Option<Result<(&Type, &Type), ()>> {
    let args = generic_args(ty, "Personal")?;
    Some(match args.as_slice() {
        [value, category] => Ok((value, category)),
        _ => Err(()),
    })
}

fn kind(ty: &Type) -> Kind<'_> {
    if let Some(p) = personal(ty) {
        return match p {
            Ok((value, category)) => Kind::Personal {
                value,
                category,
                optional: false,
            },
            Err(()) => Kind::PersonalWithoutCategory,
        };
    }
    if let Some(args) = generic_args(ty, "Option")
        && let [inner] = args.as_slice()
    {
        match personal(inner) {
            Some(Ok((value, category))) => {
                return Kind::Personal {
                    value,
                    category,
                    optional: true,
                };
            }
            Some(Err(())) => return Kind::PersonalWithoutCategory,
            None => {}
        }
    }
    Kind::Plain
}
