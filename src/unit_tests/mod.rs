//! Tests that need the crate's internals: the sealed format's primitives, which take a
//! caller's nonce or key and are private so that nothing outside the crate seals with
//! them. Every other test is in `tests/` and uses the public API only.

mod anchored_vectors;
mod format_vectors;
mod kept_key;

use crate::keys::Algorithm;

/// A vector's hex field as bytes, through the crate's own decoder.
fn hex(s: &str) -> Vec<u8> {
    crate::hex::decode(s).unwrap_or_else(|| panic!("not hex in a vector: {s}"))
}

/// A vector's algorithm by its name in `tests/vectors/v3.json`.
fn algorithm(name: &str) -> Algorithm {
    match name {
        "AES-256-GCM" => Algorithm::Aes256Gcm,
        "ChaCha20-Poly1305" => Algorithm::ChaCha20Poly1305,
        other => panic!("unknown algorithm {other}"),
    }
}
