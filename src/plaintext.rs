//! How a personal value's type becomes bytes, and how its memory is wiped.

use zeroize::{Zeroize, Zeroizing};

mod finite;

/// A type that can be a personal value: it has a documented byte encoding (what gets
/// encrypted) and a way to wipe its memory when the value is dropped.
///
/// Implemented for `String`, `Vec<u8>`, integers, `bool` and chrono dates without a
/// generic serde round trip; any `Serialize + DeserializeOwned` type works through the
/// [`Json`] wrapper. The encodings are part of the sealed format (`docs/format.md`):
///
/// | type | encoding |
/// |---|---|
/// | `String` | its UTF-8 bytes |
/// | `Vec<u8>` | the bytes themselves |
/// | `u8`…`u128`, `i8`…`i128` | big-endian, fixed width |
/// | `bool` | one byte, `0` or `1` |
/// | `chrono::NaiveDate` | `i32` days since 0001-01-01 (CE day 1), big-endian |
/// | `chrono::DateTime<Utc>` | `i64` seconds since the Unix epoch, then `u32` nanoseconds, big-endian |
/// | `Json<T>` | `serde_json` bytes of `T` |
pub trait Plaintext: Sized + Send + Sync + 'static {
    /// Appends the encoding of `self` to `out`, or fails with
    /// [`PlaintextError::Encode`] having appended nothing. Do not let `out` reallocate
    /// while it holds plaintext (reserve first: see [`Plaintext::encoded_len`]).
    fn encode(&self, out: &mut Vec<u8>) -> Result<(), PlaintextError>;
    /// Decodes a value encoded by [`Plaintext::encode`].
    fn decode(bytes: &[u8]) -> Result<Self, PlaintextError>;
    /// Decodes from an owned buffer that is zeroized on drop; types that can take the
    /// buffer over (`Vec<u8>`, `String`) do so instead of copying it.
    fn decode_owned(bytes: Zeroizing<Vec<u8>>) -> Result<Self, PlaintextError> {
        Self::decode(&bytes)
    }
    /// Overwrites the value's memory; called when a [`Personal`](crate::Personal) is
    /// dropped. See [`wipe_bytes`] for heap buffers; fixed-size types are overwritten
    /// through `zeroize`.
    fn wipe(&mut self);
    /// The length of the encoding, or a guess: sealing sizes its one buffer with it.
    fn encoded_len(&self) -> usize {
        16
    }
}

/// Overwrites a byte buffer, including its spare capacity, with zeroes, then empties it.
///
/// `zeroize` writes one volatile byte at a time, which costs as much as decrypting the
/// buffer again (8 µs for 16 KiB here). This writes with `memset` instead and then
/// passes the buffer through `std::hint::black_box`, which the optimiser must treat as
/// reading it, so the writes cannot be removed as dead stores. The guarantee is
/// `black_box`'s ("best effort"), slightly weaker than `zeroize`'s volatile writes;
/// `docs/crypto.md` records the trade-off.
pub fn wipe_bytes(buf: &mut Vec<u8>) {
    buf.fill(0);
    let len = buf.len();
    buf.resize(buf.capacity(), 0);
    std::hint::black_box(&mut buf[..]);
    buf.truncate(len);
    buf.clear();
}

/// A decoded plaintext did not have the shape its type needs. Carries no bytes of it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PlaintextError {
    /// The byte length was wrong for a fixed-width type.
    #[error("a `{ty}` is encoded in {expected} bytes, found {found}")]
    Length {
        /// The type being decoded.
        ty: &'static str,
        /// Bytes the type needs.
        expected: usize,
        /// Bytes found.
        found: usize,
    },
    /// The bytes are not valid for the type (bad UTF-8, date out of range, bad JSON).
    #[error("the bytes are not a valid `{ty}`")]
    Invalid {
        /// The type being decoded.
        ty: &'static str,
    },
    /// The value could not be encoded: a `Json<T>` whose `Serialize` failed (for
    /// example a map whose keys are not strings) or that holds a NaN or infinite float,
    /// which JSON cannot represent. Nothing was sealed.
    #[error(
        "a `{ty}` value could not be encoded, so it was not sealed: its `Serialize` failed or it holds a NaN or infinite float (JSON needs string map keys and finite numbers); fix the type's serialisation, or store such floats another way (e.g. `Option<f64>` with `None`)"
    )]
    Encode {
        /// The type being encoded.
        ty: &'static str,
    },
}

impl PlaintextError {
    /// The stable code of this error (see [`ErrorKind`](crate::ErrorKind)).
    pub fn kind(&self) -> crate::ErrorKind {
        match self {
            PlaintextError::Length { .. } | PlaintextError::Invalid { .. } => {
                crate::ErrorKind::WrongType
            }
            PlaintextError::Encode { .. } => crate::ErrorKind::Unencodable,
        }
    }
}

fn fixed<const N: usize>(bytes: &[u8], ty: &'static str) -> Result<[u8; N], PlaintextError> {
    bytes.try_into().map_err(|_| PlaintextError::Length {
        ty,
        expected: N,
        found: bytes.len(),
    })
}

impl Plaintext for String {
    fn encode(&self, out: &mut Vec<u8>) -> Result<(), PlaintextError> {
        out.extend_from_slice(self.as_bytes());
        Ok(())
    }
    fn decode(bytes: &[u8]) -> Result<Self, PlaintextError> {
        std::str::from_utf8(bytes)
            .map(str::to_owned)
            .map_err(|_| PlaintextError::Invalid { ty: "String" })
    }
    fn decode_owned(mut bytes: Zeroizing<Vec<u8>>) -> Result<Self, PlaintextError> {
        String::from_utf8(std::mem::take(&mut *bytes)).map_err(|e| {
            e.into_bytes().zeroize();
            PlaintextError::Invalid { ty: "String" }
        })
    }
    fn wipe(&mut self) {
        let mut bytes = std::mem::take(self).into_bytes();
        wipe_bytes(&mut bytes);
    }
    fn encoded_len(&self) -> usize {
        self.len()
    }
}

impl Plaintext for Vec<u8> {
    fn encode(&self, out: &mut Vec<u8>) -> Result<(), PlaintextError> {
        out.extend_from_slice(self);
        Ok(())
    }
    fn decode(bytes: &[u8]) -> Result<Self, PlaintextError> {
        Ok(bytes.to_vec())
    }
    fn decode_owned(mut bytes: Zeroizing<Vec<u8>>) -> Result<Self, PlaintextError> {
        Ok(std::mem::take(&mut *bytes))
    }
    fn wipe(&mut self) {
        wipe_bytes(self);
    }
    fn encoded_len(&self) -> usize {
        self.len()
    }
}

macro_rules! int_plaintext {
    ($($t:ty),*) => {$(
        impl Plaintext for $t {
            fn encode(&self, out: &mut Vec<u8>) -> Result<(), PlaintextError> {
                out.extend_from_slice(&self.to_be_bytes());
                Ok(())
            }
            fn decode(bytes: &[u8]) -> Result<Self, PlaintextError> {
                Ok(<$t>::from_be_bytes(fixed(bytes, stringify!($t))?))
            }
            fn wipe(&mut self) {
                self.zeroize();
            }
            fn encoded_len(&self) -> usize {
                std::mem::size_of::<$t>()
            }
        }
    )*};
}
int_plaintext!(u8, u16, u32, u64, u128, i8, i16, i32, i64, i128);

impl Plaintext for bool {
    fn encode(&self, out: &mut Vec<u8>) -> Result<(), PlaintextError> {
        out.push(u8::from(*self));
        Ok(())
    }
    fn decode(bytes: &[u8]) -> Result<Self, PlaintextError> {
        match fixed::<1>(bytes, "bool")? {
            [0] => Ok(false),
            [1] => Ok(true),
            _ => Err(PlaintextError::Invalid { ty: "bool" }),
        }
    }
    fn wipe(&mut self) {
        self.zeroize();
    }
}

impl Plaintext for chrono::NaiveDate {
    fn encode(&self, out: &mut Vec<u8>) -> Result<(), PlaintextError> {
        use chrono::Datelike;
        out.extend_from_slice(&self.num_days_from_ce().to_be_bytes());
        Ok(())
    }
    fn decode(bytes: &[u8]) -> Result<Self, PlaintextError> {
        let days = i32::from_be_bytes(fixed(bytes, "NaiveDate")?);
        chrono::NaiveDate::from_num_days_from_ce_opt(days)
            .ok_or(PlaintextError::Invalid { ty: "NaiveDate" })
    }
    fn wipe(&mut self) {
        // A date is a plain `Copy` integer inside; overwrite it with a fixed date and
        // keep the store observable so it is not optimised away.
        *self = chrono::NaiveDate::MIN;
        std::hint::black_box(&*self);
    }
}

impl Plaintext for chrono::DateTime<chrono::Utc> {
    fn encode(&self, out: &mut Vec<u8>) -> Result<(), PlaintextError> {
        out.extend_from_slice(&self.timestamp().to_be_bytes());
        out.extend_from_slice(&self.timestamp_subsec_nanos().to_be_bytes());
        Ok(())
    }
    fn decode(bytes: &[u8]) -> Result<Self, PlaintextError> {
        let b: [u8; 12] = fixed(bytes, "DateTime<Utc>")?;
        let mut secs = [0u8; 8];
        secs.copy_from_slice(&b[..8]);
        let mut nanos = [0u8; 4];
        nanos.copy_from_slice(&b[8..]);
        chrono::DateTime::from_timestamp(i64::from_be_bytes(secs), u32::from_be_bytes(nanos)).ok_or(
            PlaintextError::Invalid {
                ty: "DateTime<Utc>",
            },
        )
    }
    fn wipe(&mut self) {
        *self = chrono::DateTime::UNIX_EPOCH;
        std::hint::black_box(&*self);
    }
}

/// Any `Serialize + DeserializeOwned` value as a personal value, encoded as JSON.
///
/// The wrapper is explicit so the cost of a serde round trip is visible where it is
/// paid. A `Serialize` that fails makes sealing fail with [`PlaintextError::Encode`],
/// and so does an `f32`/`f64` that is NaN or infinite anywhere in the value: serde_json
/// would write it as `null` without an error, and the sealed value would then not open
/// (`f64` cannot decode `null`) or open changed (`Option<f64>` decodes it as `None`). A
/// walk over the value before encoding checks this; it writes and allocates nothing.
/// The JSON is written into a buffer sized by a counting pass first, so no partial copy
/// of it is left in memory freed by a growing buffer. Wiping: the encoded bytes are
/// zeroized by the vault; the value itself is wiped
/// only if `T`'s own `Drop` does it (wrap secrets inside `T` in `zeroize::Zeroizing`).
///
/// Residual when opening (`docs/crypto.md`, "Zeroization"): serde_json unescapes a
/// string that holds `"`, `\` or a control character (a newline, a tab) into a scratch
/// buffer of its own, which grows by doubling and is freed unwiped; serde_json offers no
/// way to size, reach or wipe it. So opening a `Json<T>` whose strings need escapes
/// leaves copies of those strings (up to one freed block per doubling of the longest,
/// and the last) in freed heap. Strings without escapes are read in place and leave
/// none. Likewise a `Vec` or map inside `T` grows while it is decoded (JSON gives no
/// length first), leaving earlier copies of its elements (numbers, bytes; for strings
/// only their pointers). Where that matters, keep free text in its own
/// `Personal<String, C>` field, which is decoded in place and wiped on drop.
///
/// ```
/// use custodian::Json;
/// #[derive(serde::Serialize, serde::Deserialize)]
/// struct Address { street: String, city: String }
/// let a = Json(Address { street: "1 Main St".into(), city: "Springfield".into() });
/// assert_eq!(a.0.city, "Springfield");
/// ```
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Json<T>(pub T);

impl<T> Plaintext for Json<T>
where
    T: serde::Serialize + serde::de::DeserializeOwned + Send + Sync + 'static,
{
    /// Fails with [`PlaintextError::Encode`] if `T`'s `Serialize` fails (a map with
    /// non-string keys, a custom impl that refuses) or `T` holds a non-finite float:
    /// never a placeholder such as `null`.
    fn encode(&self, out: &mut Vec<u8>) -> Result<(), PlaintextError> {
        encode_json(&self.0, out)
    }
    /// The exact length, from a counting pass that keeps no bytes, so the vault sizes
    /// its buffer once and the JSON is written without the buffer growing.
    fn encoded_len(&self) -> usize {
        let mut count = Count(0);
        match serde_json::to_writer(&mut count, &self.0) {
            Ok(()) => count.0,
            Err(_) => 0,
        }
    }
    fn decode(bytes: &[u8]) -> Result<Self, PlaintextError> {
        serde_json::from_slice(bytes)
            .map(Json)
            .map_err(|_| PlaintextError::Invalid { ty: "Json" })
    }
    fn wipe(&mut self) {}
}

/// Writes `value` as JSON after `out`'s current bytes without ever growing `out` while
/// plaintext is in it: a `Vec` that grows copies its bytes and frees the old allocation
/// unwiped. If the JSON does not fit in the spare capacity, what was written is wiped,
/// the length is counted by a first pass that keeps no bytes, `out` grows once (holding
/// no plaintext of this value), and the second pass writes into that allocation. A
/// `Serialize` that fails, or writes more on its second pass than its first, is an
/// error and leaves `out` as it was.
fn encode_json<T: serde::Serialize + ?Sized>(
    value: &T,
    out: &mut Vec<u8>,
) -> Result<(), PlaintextError> {
    const FAILED: PlaintextError = PlaintextError::Encode { ty: "Json" };
    if !finite::all_finite(value) {
        return Err(FAILED);
    }
    let start = out.len();
    if serde_json::to_writer(InCapacity(&mut *out), value).is_ok() {
        return Ok(());
    }
    wipe_from(out, start);
    let mut count = Count(0);
    serde_json::to_writer(&mut count, value).map_err(|_| FAILED)?;
    out.reserve_exact(count.0);
    if serde_json::to_writer(InCapacity(&mut *out), value).is_err() {
        wipe_from(out, start);
        return Err(FAILED);
    }
    Ok(())
}

/// Zeroes `out[start..]` and truncates `out` to `start`.
fn wipe_from(out: &mut Vec<u8>, start: usize) {
    if let Some(tail) = out.get_mut(start..) {
        tail.fill(0);
        std::hint::black_box(tail);
    }
    out.truncate(start);
}

/// Appends to a `Vec` within its capacity only: a write that does not fit is refused
/// (`WriteZero`) rather than reallocating.
struct InCapacity<'a>(&'a mut Vec<u8>);

impl std::io::Write for InCapacity<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if buf.len() > self.0.capacity() - self.0.len() {
            return Err(std::io::ErrorKind::WriteZero.into());
        }
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Counts the bytes written to it and keeps none.
struct Count(usize);

impl std::io::Write for Count {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 = self.0.saturating_add(buf.len());
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip<T: Plaintext + PartialEq + std::fmt::Debug>(v: T) {
        let mut out = Vec::new();
        v.encode(&mut out).unwrap();
        assert_eq!(T::decode(&out).unwrap(), v);
    }

    #[test]
    fn encodings_round_trip_and_are_as_documented() {
        round_trip(String::from("héllo"));
        round_trip(vec![0u8, 255, 7]);
        round_trip(-5i64);
        round_trip(u128::MAX);
        round_trip(true);
        round_trip(chrono::NaiveDate::from_ymd_opt(1990, 2, 28).unwrap());
        round_trip(chrono::DateTime::from_timestamp(1_700_000_000, 123).unwrap());
        let mut out = Vec::new();
        0x0102u16.encode(&mut out).unwrap();
        assert_eq!(out, [1, 2]);
        out.clear();
        chrono::NaiveDate::from_ymd_opt(1, 1, 1)
            .unwrap()
            .encode(&mut out)
            .unwrap();
        assert_eq!(out, 1i32.to_be_bytes());
    }

    #[test]
    fn bad_bytes_are_errors() {
        assert!(matches!(
            u32::decode(&[1, 2]),
            Err(PlaintextError::Length {
                expected: 4,
                found: 2,
                ..
            })
        ));
        assert!(bool::decode(&[2]).is_err());
        assert!(String::decode(&[0xff]).is_err());
        assert!(chrono::NaiveDate::decode(&i32::MAX.to_be_bytes()).is_err());
        assert!(Json::<Vec<u8>>::decode(b"{").is_err());
    }

    #[test]
    fn wipe_bytes_zeroes_the_whole_allocation() {
        let mut v = Vec::with_capacity(64);
        v.extend_from_slice(b"secret personal value");
        let cap = v.capacity();
        wipe_bytes(&mut v);
        assert!(v.is_empty());
        // The zeroes were written into this allocation, not a new one. (Reading the
        // bytes back after `clear` would need `unsafe`, which this crate forbids.)
        assert_eq!(v.capacity(), cap);
    }

    /// A map with non-string keys cannot be JSON: its `Serialize` fails.
    fn unserialisable() -> Json<std::collections::BTreeMap<(u8, u8), String>> {
        Json([((1, 2), "secret".to_string())].into_iter().collect())
    }

    #[test]
    fn json_whose_serialize_fails_is_an_error_not_null() {
        let mut out = b"header".to_vec();
        let err = unserialisable()
            .encode(&mut out)
            .expect_err("must not encode as null");
        assert_eq!(err, PlaintextError::Encode { ty: "Json" });
        assert!(!err.to_string().contains("secret"));
        // Nothing of the value was left behind in the buffer.
        assert_eq!(out, b"header");
    }

    #[test]
    fn json_whose_serialize_fails_is_refused_by_seal() {
        use crate::categories::Communications;
        use crate::keys::LocalMasterKey;
        let vault = crate::Vault::in_memory(LocalMasterKey::generate("kek").unwrap());
        let subject = crate::SubjectId::new("cus_1").unwrap();
        let value = crate::Personal::<_, Communications>::new(subject, unserialisable());
        let ctx = crate::Context::new("note", "body")
            .unwrap()
            .retain(crate::Retention::UntilErased);
        let result = vault.seal(&value, &ctx);
        assert!(
            matches!(
                result,
                Err(crate::SealError::Plaintext(PlaintextError::Encode { .. }))
            ),
            "sealing must fail, not store `null`"
        );
    }

    /// A `Serialize` that writes more on its second call than on its first.
    struct Growing(std::sync::atomic::AtomicUsize);
    impl serde::Serialize for Growing {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            let n = self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            s.serialize_str(&"x".repeat(1000 * (n + 1)))
        }
    }

    #[test]
    fn json_encoding_never_grows_the_buffer_it_writes_plaintext_into() {
        // Large enough that writing it piecewise into a small buffer would reallocate
        // many times, leaving copies of the plaintext in freed memory.
        let value = Json(vec!["a personal value".to_string(); 1000]);
        let expected = serde_json::to_vec(&value.0).unwrap();
        let mut out = Vec::with_capacity(6);
        out.extend_from_slice(b"header");
        value.encode(&mut out).unwrap();
        assert_eq!(&out[6..], &expected[..]);
        // Sized once, exactly, before any plaintext was written: growth while writing
        // would have left spare capacity (a `Vec` at least doubles).
        assert_eq!(out.capacity(), out.len());

        // A `Serialize` that is not deterministic (more bytes on the second pass) cannot
        // make the writer grow either: what does not fit is refused and what was written
        // is wiped.
        let growing = Growing(Default::default());
        let mut out = Vec::new();
        let err = encode_json(&growing, &mut out).unwrap_err();
        assert_eq!(err, PlaintextError::Encode { ty: "Json" });
        assert!(out.is_empty());
    }

    #[test]
    fn wipe_clears() {
        let mut s = String::from("secret");
        s.wipe();
        assert!(s.is_empty());
        let mut n = 42u64;
        n.wipe();
        assert_eq!(n, 0);
    }
}
