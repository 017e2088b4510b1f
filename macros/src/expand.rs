//! The function the attribute generates.
//!
//! ```text
//! #[attrs] pub fn name() -> T {
//!     let runtime = ::crest::runtime::Builder::new_multi_thread()   // or new_current_thread()
//!         .build()
//!         .expect("crest: failed to build the runtime");
//!     async fn __crest_body() -> T { /* the user's body, untouched */ }
//!     let body = __crest_body();
//!     // tests only, so that every test shares one `block_on` instance:
//!     let body = ::core::pin::pin!(body);
//!     let body: Pin<&mut dyn Future<Output = T>> = body;
//!     runtime.block_on(body)
//! }
//! ```
//!
//! The nested `async fn` keeps the user's function as written, so rustc treats it exactly as
//! it would any `async fn`: a wrong tail expression is reported in the body against the
//! declared return type, `?` knows its error type, and lints see the user's code alone. (The
//! obvious `let ret: T = { body }; ret` inside an async block gets the same errors but trips
//! `unreachable_code` after a diverging body and clippy's `diverging_sub_expression` on every
//! `return` and `panic!` in it.)
//!
//! A nested fn cannot see the outer function's arguments, generics or `Self`, so a function
//! that has any of those (possible with `#[crest::main]` on a function other than `main`) gets
//! `let body = async move { /* body */ };` instead, as in tokio.
//!
//! Generated tokens get [`Span::mixed_site`]: `runtime`, `body` and `builder` cannot clash
//! with the user's names, and errors in generated code point at the attribute. The user's own
//! tokens keep their spans.

use proc_macro::{Delimiter, Group, Literal, Punct, Span, TokenStream, TokenTree};

use crate::args::{Config, Flavor};
use crate::item::ItemFn;
use crate::Kind;

/// The message of the panic when the runtime cannot be built (say, no file descriptors left).
const BUILD_FAILED: &str = "crest: failed to build the runtime";

/// Rewrites `item` into a plain `fn` that runs its body on the runtime `config` describes.
pub(crate) fn expand(kind: Kind, config: &Config, item: ItemFn) -> TokenStream {
    let nested = can_nest(&item);
    let output = nameable_output(&item.return_type);

    // The runtime is a local declared before the future, so the future is dropped first, while
    // the runtime still exists, even when the body panics and the stack unwinds: dropping a
    // future may deregister timers and I/O from the runtime.
    let mut body = TokenStream::new();
    match (config.flavor, config.worker_threads) {
        (Flavor::CurrentThread, _) => {
            body.extend(code("let runtime = ::crest::runtime::Builder::new_current_thread()"));
        }
        (Flavor::MultiThread, None) => {
            body.extend(code("let runtime = ::crest::runtime::Builder::new_multi_thread()"));
        }
        (Flavor::MultiThread, Some(count)) => {
            // `worker_threads` takes and returns `&mut Builder`, so the builder needs a place.
            body.extend(code(
                "let mut builder = ::crest::runtime::Builder::new_multi_thread();
                 let runtime = builder.worker_threads",
            ));
            body.extend([parenthesized(Literal::usize_unsuffixed(count))]);
        }
    }
    body.extend(code(".build().expect"));
    body.extend([parenthesized(Literal::string(BUILD_FAILED)), punct(';')]);

    if nested {
        body.extend(code("async fn __crest_body()"));
        body.extend(item.signature_rest.iter().cloned());
        body.extend([TokenTree::Group(item.body)]);
        body.extend(code("let body = __crest_body();"));
    } else {
        let (inner_attrs, user_body) = split_inner_attributes(item.body);
        let mut with_inner_attrs = inner_attrs;
        with_inner_attrs.extend(body);
        body = with_inner_attrs;
        body.extend(code("let body = async move"));
        body.extend([TokenTree::Group(user_body), punct(';')]);
    }

    if let (Kind::Test, Some(output)) = (kind, &output) {
        // One `block_on::<Pin<&mut dyn Future>>` for the whole test binary instead of one per
        // test keeps test builds small; a virtual call per poll does not matter in a test.
        body.extend(code(
            "let body = ::core::pin::pin!(body);
             let body: ::core::pin::Pin<&mut dyn ::core::future::Future<Output =",
        ));
        body.extend(output.clone());
        body.extend(code(">> = body;"));
    }
    if config.start_paused {
        // Entered only for the call: block_on refuses to run inside an entered runtime.
        body.extend(code("{ let _entered = runtime.enter(); ::crest::time::pause(); }"));
    }
    body.extend(code("runtime.block_on(body)"));

    let mut out = TokenStream::new();
    out.extend(item.attrs);
    if kind == Kind::Test && item.test_attr.is_none() {
        out.extend(code("#[::core::prelude::v1::test]"));
    }
    out.extend(item.qualifiers);
    out.extend([TokenTree::Ident(item.fn_token), TokenTree::Ident(item.name)]);
    out.extend(item.generics);
    out.extend([TokenTree::Group(item.args)]);
    out.extend(item.signature_rest);
    out.extend([group(Delimiter::Brace, body)]);
    out
}

/// Whether the body can move into a nested `async fn __crest_body() -> T` and mean the same
/// there: nothing in the signature that a nested fn cannot see or repeat.
fn can_nest(item: &ItemFn) -> bool {
    let plain_visibility = item.qualifiers.iter().all(|token| match token {
        TokenTree::Ident(ident) => ident.to_string() == "pub",
        TokenTree::Group(_) => true, // `pub(crate)`
        _ => false,
    });
    let where_clause = item.signature_rest.iter().any(|token| mentions(token, "where"));
    let uses_self = item.signature_rest.iter().any(|token| mentions(token, "Self"))
        || item.body.stream().into_iter().any(|token| mentions(&token, "Self"));
    item.args.stream().is_empty()
        && item.generics.is_empty()
        && plain_visibility
        && !where_clause
        && !uses_self
}

/// The return type as a type a `let` can state, `()` when none is declared; `None` for
/// `impl Trait` and `!`, which a `let` cannot state on stable Rust.
fn nameable_output(return_type: &Option<Vec<TokenTree>>) -> Option<TokenStream> {
    let Some(return_type) = return_type else {
        return Some(code("()"));
    };
    let is_never = matches!(return_type.as_slice(), [TokenTree::Punct(bang)] if bang.as_char() == '!');
    if is_never || return_type.iter().any(|token| mentions(token, "impl")) {
        return None;
    }
    Some(return_type.iter().cloned().collect())
}

/// Whether `token` is, or holds, the identifier `word`.
fn mentions(token: &TokenTree, word: &str) -> bool {
    match token {
        TokenTree::Ident(ident) => ident.to_string() == word,
        TokenTree::Group(group) => group.stream().into_iter().any(|token| mentions(&token, word)),
        _ => false,
    }
}

/// Splits `#![...]` attributes off the start of the body: they stay on the generated function
/// (where they apply to the same code), since an async block cannot have them.
fn split_inner_attributes(body: Group) -> (TokenStream, Group) {
    let tokens: Vec<TokenTree> = body.stream().into_iter().collect();
    let mut split = 0;
    while let [TokenTree::Punct(pound), TokenTree::Punct(bang), TokenTree::Group(attr), ..] = &tokens[split..]
    {
        if pound.as_char() != '#' || bang.as_char() != '!' || attr.delimiter() != Delimiter::Bracket {
            break;
        }
        split += 3;
    }
    if split == 0 {
        return (TokenStream::new(), body);
    }
    let inner_attrs = tokens[..split].iter().cloned().collect();
    let mut rest = Group::new(Delimiter::Brace, tokens[split..].iter().cloned().collect());
    rest.set_span(body.span());
    (inner_attrs, rest)
}

/// `source` as tokens with mixed-site spans. `source` is a constant of this crate, so failing
/// to parse it is a bug here, not the user's mistake.
fn code(source: &str) -> TokenStream {
    let tokens: TokenStream = source.parse().expect("crest-macros: generated code is valid Rust tokens");
    respan(tokens)
}

fn respan(tokens: TokenStream) -> TokenStream {
    tokens
        .into_iter()
        .map(|token| match token {
            TokenTree::Group(inner) => group(inner.delimiter(), respan(inner.stream())),
            TokenTree::Ident(mut ident) => {
                ident.set_span(Span::mixed_site());
                TokenTree::Ident(ident)
            }
            TokenTree::Punct(punct) => {
                let mut punct = Punct::new(punct.as_char(), punct.spacing());
                punct.set_span(Span::mixed_site());
                TokenTree::Punct(punct)
            }
            TokenTree::Literal(mut literal) => {
                literal.set_span(Span::mixed_site());
                TokenTree::Literal(literal)
            }
        })
        .collect()
}

/// `(literal)`, with mixed-site spans.
fn parenthesized(mut literal: Literal) -> TokenTree {
    literal.set_span(Span::mixed_site());
    group(Delimiter::Parenthesis, TokenStream::from(TokenTree::Literal(literal)))
}

fn punct(ch: char) -> TokenTree {
    let mut punct = Punct::new(ch, proc_macro::Spacing::Alone);
    punct.set_span(Span::mixed_site());
    TokenTree::Punct(punct)
}

fn group(delimiter: Delimiter, stream: TokenStream) -> TokenTree {
    let mut group = Group::new(delimiter, stream);
    group.set_span(Span::mixed_site());
    TokenTree::Group(group)
}
