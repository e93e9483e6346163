//! A serde pass that refuses non-finite floats before a `Json<T>` is encoded.
//!
//! serde_json writes NaN and the infinities as `null` without an error, so a value
//! holding one would seal as something that does not open (`f64` cannot decode `null`)
//! or opens changed (`Option<f64>` decodes it as `None`). serde_json's `Formatter` sees
//! only `write_null` for both NaN and `None`, so the check has to sit on the serde data
//! model instead: this `Serializer` walks the value, writes nothing, allocates nothing
//! and keeps no part of it, and fails at the first `f32`/`f64` that is not finite.

use serde::ser::{self, Serialize};

/// Whether every float in `value` is finite; `false` also if its `Serialize` fails.
pub(super) fn all_finite<T: Serialize + ?Sized>(value: &T) -> bool {
    value.serialize(&mut Check).is_ok()
}

/// The walker; every compound state is the walker itself.
struct Check;

/// A non-finite float, or a `Serialize` that failed. Keeps nothing of the value or of
/// the message a `Serialize` impl passed (it could quote the value).
#[derive(Debug)]
struct Refused;

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a non-finite float, or a Serialize that failed")
    }
}

impl std::error::Error for Refused {}

impl ser::Error for Refused {
    fn custom<M: std::fmt::Display>(_: M) -> Self {
        Refused
    }
}

type R = Result<(), Refused>;

macro_rules! accept {
    ($($name:ident: $ty:ty),* $(,)?) => {$(
        fn $name(self, _: $ty) -> R {
            Ok(())
        }
    )*};
}

impl ser::Serializer for &mut Check {
    type Ok = ();
    type Error = Refused;
    type SerializeSeq = Self;
    type SerializeTuple = Self;
    type SerializeTupleStruct = Self;
    type SerializeTupleVariant = Self;
    type SerializeMap = Self;
    type SerializeStruct = Self;
    type SerializeStructVariant = Self;

    accept!(
        serialize_bool: bool,
        serialize_i8: i8,
        serialize_i16: i16,
        serialize_i32: i32,
        serialize_i64: i64,
        serialize_i128: i128,
        serialize_u8: u8,
        serialize_u16: u16,
        serialize_u32: u32,
        serialize_u64: u64,
        serialize_u128: u128,
        serialize_char: char,
        serialize_str: &str,
        serialize_bytes: &[u8],
        serialize_unit_struct: &'static str,
    );

    fn serialize_f32(self, v: f32) -> R {
        if v.is_finite() { Ok(()) } else { Err(Refused) }
    }
    fn serialize_f64(self, v: f64) -> R {
        if v.is_finite() { Ok(()) } else { Err(Refused) }
    }
    fn serialize_none(self) -> R {
        Ok(())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> R {
        value.serialize(self)
    }
    fn serialize_unit(self) -> R {
        Ok(())
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, _: &'static str) -> R {
        Ok(())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, _: &'static str, value: &T) -> R {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        value: &T,
    ) -> R {
        value.serialize(self)
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self, Refused> {
        Ok(self)
    }
    fn serialize_tuple(self, _: usize) -> Result<Self, Refused> {
        Ok(self)
    }
    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Self, Refused> {
        Ok(self)
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self, Refused> {
        Ok(self)
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self, Refused> {
        Ok(self)
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self, Refused> {
        Ok(self)
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self, Refused> {
        Ok(self)
    }
    fn collect_str<T: std::fmt::Display + ?Sized>(self, _: &T) -> R {
        // The default would format the value into a `String` (a plaintext copy freed
        // unwiped); its text cannot hold a float serde_json would turn into `null`.
        Ok(())
    }
}

macro_rules! walk {
    ($trait:ident, $method:ident $(, $key:ty)?) => {
        impl ser::$trait for &mut Check {
            type Ok = ();
            type Error = Refused;
            fn $method<T: Serialize + ?Sized>(&mut self, $(_: $key,)? value: &T) -> R {
                value.serialize(&mut **self)
            }
            fn end(self) -> R {
                Ok(())
            }
        }
    };
}

walk!(SerializeSeq, serialize_element);
walk!(SerializeTuple, serialize_element);
walk!(SerializeTupleStruct, serialize_field);
walk!(SerializeTupleVariant, serialize_field);
walk!(SerializeStruct, serialize_field, &'static str);
walk!(SerializeStructVariant, serialize_field, &'static str);

impl ser::SerializeMap for &mut Check {
    type Ok = ();
    type Error = Refused;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> R {
        key.serialize(&mut **self)
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> R {
        value.serialize(&mut **self)
    }
    fn end(self) -> R {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::plaintext::{Json, Plaintext, PlaintextError};

    #[test]
    fn json_with_a_non_finite_float_is_refused_not_sealed_as_null() {
        // serde_json writes NaN and the infinities as `null` without an error: sealed,
        // the value would not open (`Vec<f64>`) or would open changed (`Option<f64>`).
        type Encode = Box<dyn Fn(&mut Vec<u8>) -> Result<(), PlaintextError>>;
        let values: [(&str, Encode); 5] = [
            ("vec", Box::new(|o| Json(vec![1.5, f64::NAN]).encode(o))),
            ("inf", Box::new(|o| Json(f64::INFINITY).encode(o))),
            (
                "f32",
                Box::new(|o| Json(vec![(1u8, f32::NEG_INFINITY)]).encode(o)),
            ),
            ("option", Box::new(|o| Json(Some(f64::NAN)).encode(o))),
            (
                "map",
                Box::new(|o| {
                    Json(std::collections::BTreeMap::from([(
                        "k".to_string(),
                        f64::NAN,
                    )]))
                    .encode(o)
                }),
            ),
        ];
        for (what, encode) in &values {
            let mut out = b"header".to_vec();
            assert_eq!(
                encode(&mut out),
                Err(PlaintextError::Encode { ty: "Json" }),
                "{what}"
            );
            assert_eq!(out, b"header", "{what}: nothing appended");
        }
        // Finite floats, and `None`, still encode as before.
        let finite = vec![1.5, -0.0, f64::MAX, f64::MIN_POSITIVE];
        let mut out = Vec::new();
        Json(finite.clone()).encode(&mut out).unwrap();
        assert_eq!(Json::<Vec<f64>>::decode(&out).unwrap().0, finite);
        let mut out = Vec::new();
        Json(Option::<f64>::None).encode(&mut out).unwrap();
        assert_eq!(out, b"null");
    }

    #[test]
    fn json_with_nan_is_refused_by_seal() {
        use crate::categories::Communications;
        use crate::keys::LocalMasterKey;
        let vault = crate::Vault::in_memory(LocalMasterKey::generate("kek").unwrap());
        let subject = crate::SubjectId::new("cus_1").unwrap();
        let value = crate::Personal::<_, Communications>::new(subject, Json(vec![1.5, f64::NAN]));
        let ctx = crate::Context::new("note", "scores")
            .unwrap()
            .retain(crate::Retention::UntilErased);
        assert!(matches!(
            vault.seal(&value, &ctx),
            Err(crate::SealError::Plaintext(PlaintextError::Encode { .. }))
        ));
    }
}
