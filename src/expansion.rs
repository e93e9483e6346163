//! What `#[derive(PersonalData)]` generates code against, named by the generated code
//! as `custodian::__private::v1` (re-exported there by the crate root, which also holds
//! the macros' seals and checks; see `__private` in `lib.rs`).
//!
//! `#[derive(PersonalData)]` is another crate, so what it names is versioned (`v1`), as
//! thiserror does: a derive and a custodian that disagree fail to build with a missing
//! path instead of generating code for another version's helpers. The `Cargo.toml`
//! pins `custodian-derive` to the exact version too. Not public API, yet it holds the
//! public API's checks: a field's context is built through `Context::new` (once, in the
//! generated `LazyLock`), and a record's collection time is a [`v1::Collected`] token
//! only [`v1::collected_now`] mints from the vault's clock, so no caller picks the time
//! its values' retention runs from (`tests/ui/private_seal_cannot_pick_collection_time.rs`).

/// What `#[derive(PersonalData)]` 0.1 generates code against.
pub mod v1 {
    pub use serde;
    pub use std::sync::LazyLock;

    /// Checks a field type that `#[derive(PersonalData)]` passes through as plain: it
    /// must not hold a [`Personal`] the derive did not recognise by its spelling (an
    /// alias, a type macro, a collection). See `docs/derive.md`.
    pub mod plain {
        use crate::{Category, Personal, Plaintext};
        use std::marker::PhantomData;

        /// A type that holds a [`Personal`]: itself, or one inside a std container of
        /// one type parameter (and map values). Tuples and `Result` cannot be listed
        /// (any position may hold it, and impls for each would overlap); the
        /// structural `Serialize` check catches them (`docs/derive.md`).
        pub trait HoldsPersonal {}
        impl<T: Plaintext, C: Category> HoldsPersonal for Personal<T, C> {}
        impl<T: HoldsPersonal> HoldsPersonal for Option<T> {}
        impl<T: HoldsPersonal> HoldsPersonal for Vec<T> {}
        impl<T: HoldsPersonal> HoldsPersonal for std::collections::VecDeque<T> {}
        impl<T: HoldsPersonal + ?Sized> HoldsPersonal for Box<T> {}
        impl<T: HoldsPersonal + ?Sized> HoldsPersonal for std::rc::Rc<T> {}
        impl<T: HoldsPersonal + ?Sized> HoldsPersonal for std::sync::Arc<T> {}
        impl<T: HoldsPersonal, const N: usize> HoldsPersonal for [T; N] {}
        impl<T: HoldsPersonal> HoldsPersonal for [T] {}
        impl<K, V: HoldsPersonal, S> HoldsPersonal for std::collections::HashMap<K, V, S> {}
        impl<K, V: HoldsPersonal> HoldsPersonal for std::collections::BTreeMap<K, V> {}
        impl<T: HoldsPersonal, S> HoldsPersonal for std::collections::HashSet<T, S> {}
        impl<T: HoldsPersonal> HoldsPersonal for std::collections::BTreeSet<T> {}
        impl<T: HoldsPersonal> HoldsPersonal for std::collections::BinaryHeap<T> {}
        impl<T: HoldsPersonal> HoldsPersonal for std::collections::LinkedList<T> {}
        impl<T: HoldsPersonal + ?Sized> HoldsPersonal for std::cell::Cell<T> {}
        impl<T: HoldsPersonal + ?Sized> HoldsPersonal for std::cell::RefCell<T> {}
        impl<T: HoldsPersonal> HoldsPersonal for std::cell::OnceCell<T> {}
        impl<T: HoldsPersonal + ?Sized> HoldsPersonal for std::sync::Mutex<T> {}
        impl<T: HoldsPersonal + ?Sized> HoldsPersonal for std::sync::RwLock<T> {}
        impl<T: HoldsPersonal> HoldsPersonal for std::sync::OnceLock<T> {}
        impl<T: HoldsPersonal + ?Sized> HoldsPersonal for std::rc::Weak<T> {}
        impl<T: HoldsPersonal + ?Sized> HoldsPersonal for std::sync::Weak<T> {}
        impl<T: HoldsPersonal + ToOwned + ?Sized> HoldsPersonal for std::borrow::Cow<'_, T> {}
        impl<T: HoldsPersonal + ?Sized> HoldsPersonal for &T {}
        impl<T: HoldsPersonal + ?Sized> HoldsPersonal for &mut T {}
        impl<P: HoldsPersonal> HoldsPersonal for std::pin::Pin<P> {}
        impl<T: HoldsPersonal + ?Sized> HoldsPersonal for std::mem::ManuallyDrop<T> {}
        impl<T: HoldsPersonal> HoldsPersonal for std::cmp::Reverse<T> {}
        impl<T: HoldsPersonal> HoldsPersonal for std::num::Wrapping<T> {}
        impl<T: HoldsPersonal> HoldsPersonal for std::num::Saturating<T> {}

        /// The probe: `(&&&Probe::<T>::new()).kind()` resolves, for the concrete type
        /// the compiler resolved whatever its spelling, to the first that applies of
        /// [`Holds::kind`] (`T: HoldsPersonal`), [`Serializes::kind`] (`T: Serialize`,
        /// structural: `Personal` is not `Serialize`, so nothing holding one is) and
        /// [`Other::kind`] (autoderef order: each is implemented one `&` further in).
        pub struct Probe<T: ?Sized>(PhantomData<T>);
        impl<T: ?Sized> Probe<T> {
            /// A probe for `T`.
            pub const fn new() -> Self {
                Probe(PhantomData)
            }
        }
        impl<T: ?Sized> Default for Probe<T> {
            fn default() -> Self {
                Probe::new()
            }
        }
        /// The probe's answer: the field holds a `Personal`.
        pub struct HoldsPersonalValue;
        /// The probe's answer: the field is `Serialize`, so it holds no `Personal`.
        pub struct PlainValue;
        /// The probe's answer: nothing proves the field holds no `Personal`.
        pub struct UnprovenValue;
        /// Picked when the field type holds a `Personal`.
        pub trait Holds {
            /// The answer.
            fn kind(&self) -> HoldsPersonalValue {
                HoldsPersonalValue
            }
        }
        impl<T: HoldsPersonal + ?Sized> Holds for &&Probe<T> {}
        /// Picked when the field type is `Serialize` (and not listed above).
        pub trait Serializes {
            /// The answer.
            fn kind(&self) -> PlainValue {
                PlainValue
            }
        }
        impl<T: serde::Serialize + ?Sized> Serializes for &Probe<T> {}
        /// Picked otherwise.
        pub trait Other {
            /// The answer.
            fn kind(&self) -> UnprovenValue {
                UnprovenValue
            }
        }
        impl<T: ?Sized> Other for Probe<T> {}

        /// Implemented for [`PlainValue`] and [`UnprovenValue`]: the error a user sees
        /// when a field passed through as plain holds a `Personal`.
        #[diagnostic::on_unimplemented(
            message = "field type `{T}` holds personal data, but `#[derive(PersonalData)]` would copy it into the sealed struct in clear",
            label = "not written as `Personal<T, C>` or `Option<Personal<T, C>>`",
            note = "the derive recognises a personal field by how its type is written: write `Personal<T, C>` or `Option<Personal<T, C>>` in the struct itself, not a type alias or a type macro, so the field is sealed",
            note = "a collection of personal values cannot be sealed as one field: give each value a field, or a record of its own"
        )]
        pub trait PlainField<T: ?Sized> {}
        impl<T: ?Sized> PlainField<T> for PlainValue {}
        impl<T: ?Sized> PlainField<T> for UnprovenValue {}

        /// Implemented only for [`PlainValue`]: the error a user sees when, under
        /// `no_serde`, nothing proves that a plain field holds no `Personal`.
        #[diagnostic::on_unimplemented(
            message = "custodian cannot prove that field type `{T}` holds no personal data, and `#[derive(PersonalData)]` would copy it into the sealed struct in clear",
            label = "not `Serialize`, so it may hold a `Personal`",
            note = "under `no_serde` a plain field must implement `serde::Serialize`: serde's impls follow a type's structure and `Personal` has none, so a `Serialize` type holds no `Personal`",
            note = "a tuple, `Result` or wrapper holding a `Personal` is never `Serialize`: write each personal value as a `Personal<T, C>` field of its own",
            note = "if the type holds no personal data and cannot be `Serialize`, mark the field `#[personal(plain)]`: your claim, visible in review"
        )]
        pub trait ProvenPlainField<T: ?Sized> {}
        impl<T: ?Sized> ProvenPlainField<T> for PlainValue {}
        // A field that holds a `Personal` fails `PlainField` instead: one error, not two.
        impl<T: ?Sized> ProvenPlainField<T> for HoldsPersonalValue {}

        /// Fails to compile if the probe for `T` found a `Personal`.
        pub fn assert_plain<T: ?Sized, K: PlainField<T>>(_: K) {}

        /// Fails to compile unless the probe for `T` proved it holds no `Personal`.
        pub fn assert_proven_plain<T: ?Sized, K: PlainField<T> + ProvenPlainField<T>>(_: K) {}
    }

    use crate::{Access, Category, Context, Personal, Plaintext, Purpose, Sealed, SubjectId};
    use crate::{ContextError, ErrorKind, OpenError, Retention, SealError, Uses, Vault};

    /// A field's context, built once (in a `LazyLock`) through
    /// [`Context::new`]'s checks: the derive checked the names at compile time, and a
    /// hand-written call with names `Context::new` refuses gets an error at every seal
    /// and open, never a panic.
    pub type FieldContext<C> = Result<Context<C>, ContextError>;

    /// A context, by [`Context::new`]'s checks, kept for `retention`.
    pub fn context<C: Category>(
        record: &'static str,
        field: &'static str,
        retention: Option<Retention>,
    ) -> FieldContext<C> {
        let context = Context::new(record, field)?;
        Ok(match retention {
            Some(r) => context.retain(r),
            None => context,
        })
    }

    /// The refusal of a context `Context::new` refused: the derive checks names at
    /// compile time, so only a hand-written call meets it.
    fn refused_context() -> ErrorKind {
        ErrorKind::InvalidInput
    }

    /// A record's collection time: minted only by [`collected_now`] from the vault's
    /// clock (one read per record), so no caller of this path picks the time its
    /// values' retention runs from.
    #[derive(Clone, Copy)]
    pub struct Collected(i64);

    /// Opens an optional field for a whole-record open: a value whose retention has
    /// ended is absent, as if deleted (`docs/derive.md`), also when a legal hold keeps
    /// it for another purpose than `P`.
    pub fn open_optional<T: Plaintext, C: Category, P: Uses<C>>(
        vault: &Vault,
        subject: &SubjectId,
        sealed: Option<&Sealed<T, C>>,
        context: &FieldContext<C>,
        access: &Access<P>,
    ) -> Result<Option<Personal<T, C>>, OpenError> {
        match sealed.map(|s| open(vault, subject, s, context, access)) {
            None | Some(Err(OpenError::Expired { .. } | OpenError::RestrictedByHold { .. })) => {
                Ok(None)
            }
            Some(result) => result.map(Some),
        }
    }

    /// The collection time of a record being sealed: read once, shared by its fields.
    pub fn collected_now(vault: &Vault) -> Collected {
        Collected(vault.unix_now())
    }

    /// Seals one field of a record whose subject is `subject`, collected at `collected`
    /// (from [`collected_now`]).
    pub fn seal<T: Plaintext, C: Category>(
        vault: &Vault,
        subject: &SubjectId,
        value: &Personal<T, C>,
        context: &FieldContext<C>,
        collected: Collected,
    ) -> Result<Sealed<T, C>, SealError> {
        let Ok(context) = context else {
            return Err(SealError::Internal {
                unexpected: refused_context(),
            });
        };
        if value.subject() != subject {
            return Err(SealError::SubjectMismatch);
        }
        vault
            .seal_collected_at(value, context, collected.0)
            .map_err(SealError::narrow)
    }

    /// Opens one field of a record whose subject is `subject`.
    pub fn open<T: Plaintext, C: Category, P: Uses<C>>(
        vault: &Vault,
        subject: &SubjectId,
        sealed: &Sealed<T, C>,
        context: &FieldContext<C>,
        access: &Access<P>,
    ) -> Result<Personal<T, C>, OpenError> {
        let Ok(context) = context else {
            return Err(OpenError::Internal {
                unexpected: refused_context(),
            });
        };
        check_subject(subject, access)?;
        vault.open(sealed, context, access)
    }

    /// The access must be for the record's subject.
    pub fn check_subject<P: Purpose>(
        subject: &SubjectId,
        access: &Access<P>,
    ) -> Result<(), OpenError> {
        if access.subject() == subject {
            Ok(())
        } else {
            Err(OpenError::SubjectMismatch)
        }
    }
}
