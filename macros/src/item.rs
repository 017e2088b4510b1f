//! The annotated function, split into the parts the expansion rewrites.
//!
//! Only the outline of the signature is parsed: attributes, the qualifiers before `fn`, the
//! name, the generics, the argument list, what lies between the arguments and the body (return
//! type and `where` clause), and the body. Every part keeps its tokens, and so its spans, as the
//! user wrote them.

use proc_macro::{Delimiter, Group, Ident, Spacing, Span, TokenStream, TokenTree};

use crate::error::Error;
use crate::Kind;

/// An `async fn` (or a plain `fn`, which [`ItemFn::async_span`] tells apart) as written.
pub(crate) struct ItemFn {
    /// The outer attributes, `#` and `[...]` pairs, in order.
    pub(crate) attrs: Vec<TokenTree>,
    /// The span of a `#[test]` attribute among [`ItemFn::attrs`], from `#` to `]`.
    pub(crate) test_attr: Option<(Span, Span)>,
    /// Visibility and qualifiers (`pub`, `unsafe`, `extern "C"`, ...), without `async`.
    pub(crate) qualifiers: Vec<TokenTree>,
    /// The `async` keyword, if it was there.
    pub(crate) async_span: Option<Span>,
    /// The `fn` keyword.
    pub(crate) fn_token: Ident,
    pub(crate) name: Ident,
    /// `<...>`, or nothing.
    pub(crate) generics: Vec<TokenTree>,
    /// `(...)`.
    pub(crate) args: Group,
    /// Everything between the arguments and the body: `-> T where ...`, or nothing.
    pub(crate) signature_rest: Vec<TokenTree>,
    /// The declared return type, without `->`; `None` for `()`.
    pub(crate) return_type: Option<Vec<TokenTree>>,
    /// `{ ... }`.
    pub(crate) body: Group,
}

impl ItemFn {
    /// Splits `item`, or says why it is not a function the attribute can go on.
    pub(crate) fn parse(item: TokenStream, kind: Kind) -> Result<ItemFn, Error> {
        let mut tokens = item.into_iter().peekable();
        let not_a_fn = |span| {
            Error::new(
                span,
                format!(
                    "`{}` goes on an async function: write `{}`",
                    kind.attribute(),
                    kind.signature_example("")
                ),
            )
        };

        let mut attrs = Vec::new();
        let mut test_attr = None;
        while let Some(TokenTree::Punct(pound)) = tokens.peek() {
            if pound.as_char() != '#' {
                break;
            }
            let pound = tokens.next().expect("peeked");
            match tokens.next() {
                Some(TokenTree::Group(group)) if group.delimiter() == Delimiter::Bracket => {
                    if is_test_attribute(&group) {
                        test_attr = Some((pound.span(), group.span()));
                    }
                    attrs.push(pound);
                    attrs.push(TokenTree::Group(group));
                }
                other => return Err(not_a_fn(other.map_or(pound.span(), |token| token.span()))),
            }
        }

        let mut qualifiers = Vec::new();
        let mut async_span = None;
        let fn_token = loop {
            match tokens.next() {
                Some(TokenTree::Ident(ident)) if ident.to_string() == "fn" => break ident,
                Some(TokenTree::Ident(ident)) if ident.to_string() == "async" => {
                    async_span = Some(ident.span());
                }
                Some(TokenTree::Ident(ident)) if is_qualifier(&ident.to_string()) => {
                    // Where they make no sense (`const async fn`), rustc says so.
                    qualifiers.push(TokenTree::Ident(ident));
                }
                Some(TokenTree::Literal(abi)) => {
                    // The ABI string of `extern "C"`.
                    qualifiers.push(TokenTree::Literal(abi));
                }
                Some(TokenTree::Group(group)) if group.delimiter() == Delimiter::Parenthesis => {
                    // `pub(crate)`.
                    qualifiers.push(TokenTree::Group(group));
                }
                Some(other) => return Err(not_a_fn(other.span())),
                None => return Err(not_a_fn(Span::call_site())),
            }
        };

        let name = match tokens.next() {
            Some(TokenTree::Ident(name)) => name,
            other => return Err(not_a_fn(other.map_or(fn_token.span(), |token| token.span()))),
        };

        let mut generics = Vec::new();
        if matches!(tokens.peek(), Some(TokenTree::Punct(punct)) if punct.as_char() == '<') {
            let mut depth = 0_usize;
            let mut after_minus = false;
            for token in tokens.by_ref() {
                if let TokenTree::Punct(punct) = &token {
                    match punct.as_char() {
                        '<' => depth += 1,
                        // The `>` of `->` (as in `F: Fn() -> u8`) closes nothing.
                        '>' if !after_minus => depth -= 1,
                        _ => {}
                    }
                    after_minus = punct.as_char() == '-' && punct.spacing() == Spacing::Joint;
                } else {
                    after_minus = false;
                }
                generics.push(token);
                if depth == 0 {
                    break;
                }
            }
        }

        let args = match tokens.next() {
            Some(TokenTree::Group(group)) if group.delimiter() == Delimiter::Parenthesis => group,
            other => return Err(not_a_fn(other.map_or(name.span(), |token| token.span()))),
        };

        let mut signature_rest: Vec<TokenTree> = tokens.collect();
        let body = match signature_rest.pop() {
            Some(TokenTree::Group(group)) if group.delimiter() == Delimiter::Brace => group,
            other => {
                return Err(Error::new(
                    other.map_or(args.span(), |token| token.span()),
                    format!("`{}` needs a function body", kind.attribute()),
                ))
            }
        };
        let return_type = return_type(&signature_rest);

        Ok(ItemFn {
            attrs,
            test_attr,
            qualifiers,
            async_span,
            fn_token,
            name,
            generics,
            args,
            signature_rest,
            return_type,
            body,
        })
    }
}

/// Whether `word` may come before `fn` in a function's signature.
fn is_qualifier(word: &str) -> bool {
    matches!(word, "pub" | "const" | "unsafe" | "safe" | "extern" | "default")
}

/// The tokens after `->` and before `where`, if `rest` starts with `->`.
fn return_type(rest: &[TokenTree]) -> Option<Vec<TokenTree>> {
    match rest {
        [TokenTree::Punct(minus), TokenTree::Punct(gt), ty @ ..]
            if minus.as_char() == '-' && gt.as_char() == '>' =>
        {
            let is_where =
                |token: &TokenTree| matches!(token, TokenTree::Ident(ident) if ident.to_string() == "where");
            Some(ty.iter().take_while(|token| !is_where(token)).cloned().collect())
        }
        _ => None,
    }
}

/// Whether `[...]` is `#[test]` (or a path to it through `core` or `std`).
fn is_test_attribute(attr: &Group) -> bool {
    let mut segments = Vec::new();
    for token in attr.stream() {
        match token {
            TokenTree::Ident(ident) => segments.push(ident.to_string()),
            TokenTree::Punct(punct) if punct.as_char() == ':' => {}
            _ => return false,
        }
    }
    match segments.as_slice() {
        [only] => only == "test",
        [first, .., last] => (first == "core" || first == "std") && last == "test",
        [] => false,
    }
}
