//! Lowercase hex, for the identifiers and digests this crate prints (hold ids, subject
//! references, audit pseudonyms, checkpoint fields).

const DIGITS: &[u8; 16] = b"0123456789abcdef";

/// `bytes` as lowercase hex.
pub(crate) fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(2 * bytes.len());
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

/// Hex (either case) back to bytes; `None` if it is not an even run of hex digits.
pub(crate) fn decode(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn round_trips() {
        let bytes = [0x00, 0x0f, 0xa5, 0xff];
        assert_eq!(super::encode(&bytes), "000fa5ff");
        assert_eq!(super::decode("000fa5ff").as_deref(), Some(&bytes[..]));
        assert_eq!(super::decode("0g"), None);
        assert_eq!(super::decode("abc"), None);
    }
}
