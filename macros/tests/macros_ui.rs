//! Misusing `#[crest::main]` or `#[crest::test]` is a compile error on the offending tokens
//! that says what to write instead.
//!
//! Each `tests/ui/*.rs` must fail to compile with exactly the checked-in `.stderr`. After a
//! deliberate change to a message, regenerate them with `TRYBUILD=overwrite cargo test --test
//! macros_ui -p crest-macros` and read the diff.

#[test]
fn misuse_is_a_compile_error() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/*.rs");
}
