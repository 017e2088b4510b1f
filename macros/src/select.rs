//! The two token helpers behind `crest::select!` (a `macro_rules!` in the facade).
//!
//! `macro_rules!` does the parsing there (rustc's own `pat` and `expr` parsers decide where a
//! branch's pattern, future and handler end); what it cannot do is done here:
//!
//! - `clean_pattern`: a pattern with its binding modes (`mut`, `ref`) removed, to test
//!   whether a branch's output matches by reference before it is moved into the handler.
//! - `error_at`: a compile error spanning the tokens the user got wrong.
//!
//! Neither looks at types or evaluates anything.

use proc_macro::{Delimiter, Group, TokenStream, TokenTree};

use crate::error::Error;
use crate::lit::{classify, Lit};

/// Removes `ref` and binding `mut` (not the `mut` of a `&mut` pattern), in every group.
pub(crate) fn clean_pattern(input: TokenStream) -> TokenStream {
    let mut out = Vec::new();
    let mut after_ampersand = false;
    for tree in input {
        let this_is_ampersand = matches!(&tree, TokenTree::Punct(p) if p.as_char() == '&');
        match tree {
            TokenTree::Ident(ident) if ident.to_string() == "ref" => {}
            TokenTree::Ident(ident) if ident.to_string() == "mut" && !after_ampersand => {}
            TokenTree::Group(group) => {
                let mut cleaned = Group::new(group.delimiter(), clean_pattern(group.stream()));
                cleaned.set_span(group.span());
                out.push(TokenTree::Group(cleaned));
            }
            other => out.push(other),
        }
        after_ampersand = this_is_ampersand;
    }
    out.into_iter().collect()
}

/// `"message"; tokens...` becomes a `compile_error!` spanning `tokens` (or the macro call when
/// there are none).
pub(crate) fn error_at(input: TokenStream) -> TokenStream {
    let mut trees = input.into_iter();
    let message = match trees.next() {
        Some(TokenTree::Literal(lit)) => match classify(&lit.to_string()) {
            Lit::Str(text) => text,
            _ => "crest::select! was given something it cannot read".to_owned(),
        },
        _ => "crest::select! was given something it cannot read".to_owned(),
    };
    let _semicolon = trees.next();
    let rest: Vec<TokenTree> = trees.collect();
    let (start, end) = match (rest.first(), rest.last()) {
        (Some(first), Some(last)) => (edge_span(first, true), edge_span(last, false)),
        _ => (proc_macro::Span::call_site(), proc_macro::Span::call_site()),
    };
    Error::spanning(start, end, message).to_compile_error()
}

/// The span of the first (or last) token the user wrote in `tree`. A fragment forwarded by
/// `macro_rules!` arrives as an invisible group spanned at the macro call, so look inside.
fn edge_span(tree: &TokenTree, first: bool) -> proc_macro::Span {
    if let TokenTree::Group(group) = tree {
        if group.delimiter() == Delimiter::None {
            let inner: Vec<TokenTree> = group.stream().into_iter().collect();
            let edge = if first { inner.first() } else { inner.last() };
            if let Some(edge) = edge {
                return edge_span(edge, first);
            }
        }
    }
    tree.span()
}
