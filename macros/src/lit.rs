//! What a literal token holds, read from its source text.
//!
//! `proc_macro::Literal` only offers `to_string()`, so the attribute arguments are read from
//! that text here. Everything in this file is plain string logic, tested below without a
//! compiler in the loop.

/// A literal as an attribute argument sees it.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Lit {
    /// A string literal (plain or raw); holds the text between the quotes, escapes left as
    /// written.
    Str(String),
    /// An integer literal; holds its value, or `None` when it is larger than `u64::MAX`.
    Int(Option<u64>),
    /// Any other literal; holds what it is, for messages ("a float", "a character", ...).
    Other(&'static str),
}

/// The integer suffixes Rust accepts; any of them is fine for a count.
const INT_SUFFIXES: [&str; 12] =
    ["usize", "isize", "u128", "i128", "u64", "i64", "u32", "i32", "u16", "i16", "u8", "i8"];

/// Reads a literal from its source text, as `proc_macro::Literal::to_string` gives it.
pub(crate) fn classify(text: &str) -> Lit {
    if let Some(body) = text.strip_prefix('"') {
        return match body.rfind('"') {
            Some(end) => Lit::Str(body[..end].to_owned()),
            None => Lit::Other("a malformed string"),
        };
    }
    if let Some(raw) = text.strip_prefix('r') {
        let hashes = raw.len() - raw.trim_start_matches('#').len();
        let inner = &raw[hashes..];
        if let Some(body) = inner.strip_prefix('"') {
            let closing = format!("\"{}", "#".repeat(hashes));
            if let Some(end) = body.rfind(&closing) {
                return Lit::Str(body[..end].to_owned());
            }
        }
        return Lit::Other("a malformed string");
    }
    if text.starts_with("b\"") || text.starts_with("br") {
        return Lit::Other("a byte string");
    }
    if text.starts_with("c\"") || text.starts_with("cr") {
        return Lit::Other("a C string");
    }
    if text.starts_with("b'") {
        return Lit::Other("a byte");
    }
    if text.starts_with('\'') {
        return Lit::Other("a character");
    }
    parse_number(text)
}

/// Reads a numeric literal: an integer in any radix, with `_` separators and an optional
/// integer suffix, or else a float.
fn parse_number(text: &str) -> Lit {
    let (radix, digits) = match text.get(..2) {
        Some("0x") => (16, &text[2..]),
        Some("0o") => (8, &text[2..]),
        Some("0b") => (2, &text[2..]),
        _ => (10, text),
    };
    // The suffix goes first: `usize` has an `e` that is no exponent.
    let digits = INT_SUFFIXES.iter().find_map(|suffix| digits.strip_suffix(suffix)).unwrap_or(digits);
    if radix == 10 && (digits.ends_with("f32") || digits.ends_with("f64") || digits.contains(['.', 'e', 'E']))
    {
        return Lit::Other("a float");
    }
    let digits: String = digits.chars().filter(|&c| c != '_').collect();
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return Lit::Other("a malformed number");
    }
    // Every character is a digit of `radix`, so the only possible failure is overflow.
    Lit::Int(u64::from_str_radix(&digits, radix).ok())
}

#[cfg(test)]
mod tests {
    use super::{classify, Lit};

    #[test]
    fn strings() {
        assert_eq!(classify(r#""multi_thread""#), Lit::Str("multi_thread".into()));
        assert_eq!(classify(r#""""#), Lit::Str(String::new()));
        assert_eq!(classify(r#"r"raw""#), Lit::Str("raw".into()));
        assert_eq!(classify(r###"r##"a"#b"##"###), Lit::Str("a\"#b".into()));
        assert_eq!(classify(r#""a\"b""#), Lit::Str("a\\\"b".into()));
    }

    #[test]
    fn integers() {
        assert_eq!(classify("4"), Lit::Int(Some(4)));
        assert_eq!(classify("0"), Lit::Int(Some(0)));
        assert_eq!(classify("1_000"), Lit::Int(Some(1000)));
        assert_eq!(classify("8usize"), Lit::Int(Some(8)));
        assert_eq!(classify("8_u8"), Lit::Int(Some(8)));
        assert_eq!(classify("0x10"), Lit::Int(Some(16)));
        assert_eq!(classify("0o17"), Lit::Int(Some(15)));
        assert_eq!(classify("0b101"), Lit::Int(Some(5)));
        assert_eq!(classify("0x1e"), Lit::Int(Some(30)));
        assert_eq!(classify("18446744073709551615"), Lit::Int(Some(u64::MAX)));
        assert_eq!(classify("18446744073709551616"), Lit::Int(None));
    }

    #[test]
    fn other_literals() {
        assert_eq!(classify("4.0"), Lit::Other("a float"));
        assert_eq!(classify("1e3"), Lit::Other("a float"));
        assert_eq!(classify("4f32"), Lit::Other("a float"));
        assert_eq!(classify("'4'"), Lit::Other("a character"));
        assert_eq!(classify("b'4'"), Lit::Other("a byte"));
        assert_eq!(classify(r#"b"4""#), Lit::Other("a byte string"));
        assert_eq!(classify(r#"br"4""#), Lit::Other("a byte string"));
        assert_eq!(classify(r#"c"4""#), Lit::Other("a C string"));
        assert_eq!(classify("0x"), Lit::Other("a malformed number"));
    }
}
