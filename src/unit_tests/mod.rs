//! Tests that need the crate's internals: the sealed format's primitives, which take a
//! caller's nonce or key and are private so that nothing outside the crate seals with
//! them. Every other test is in `tests/` and uses the public API only.

mod anchored_vectors;
mod format_vectors;
mod kept_key;
