//! Compile-time guarantees: each case must fail to compile with the committed message.
//! Regenerate the `.stderr` files with `TRYBUILD=overwrite cargo test --test ui` and
//! review them: the error a user sees is part of the API.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}

/// Checks that fail only when code is generated (a `const` evaluated per use, such as
/// `purpose::checks::Declared`): `cargo check` does not instantiate generic functions,
/// so these cases are built (trybuild builds when a case must pass), with one case that
/// must build and run to show the check does not refuse what `purpose!` declares.
#[test]
fn ui_build() {
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/build/declared_use_reads.rs");
    t.compile_fail("tests/ui/build/forged_*.rs");
}
