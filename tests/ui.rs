//! Compile-time guarantees: each case must fail to compile with the committed message.
//! Regenerate the `.stderr` files with `TRYBUILD=overwrite cargo test --test ui` and
//! review them: the error a user sees is part of the API.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
