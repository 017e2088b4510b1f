//! A compile error that points at the user's tokens.
//!
//! `proc_macro` alone cannot join two spans on stable Rust, so an error over several tokens
//! (say `worker_threads = 2`) uses the trick syn uses: `::core::compile_error! { "..." }` is
//! emitted with its path on the first offending token and its braces on the last one, and rustc
//! underlines everything from the start of one to the end of the other.

use proc_macro::{Delimiter, Group, Ident, Literal, Punct, Spacing, Span, TokenStream, TokenTree};

/// A message for the user, with the first and last token it is about.
#[derive(Debug)]
pub(crate) struct Error {
    start: Span,
    end: Span,
    message: String,
}

impl Error {
    /// An error about the single token at `span`.
    pub(crate) fn new(span: Span, message: impl Into<String>) -> Error {
        Error::spanning(span, span, message)
    }

    /// An error about the tokens from `start` to `end`, both included.
    pub(crate) fn spanning(start: Span, end: Span, message: impl Into<String>) -> Error {
        Error { start, end, message: message.into() }
    }

    /// `::core::compile_error! { "message" }`, spanned from `start` to `end`.
    pub(crate) fn to_compile_error(&self) -> TokenStream {
        let start = self.start;
        let path_sep = |span| {
            let mut first = Punct::new(':', Spacing::Joint);
            first.set_span(span);
            let mut second = Punct::new(':', Spacing::Alone);
            second.set_span(span);
            [TokenTree::Punct(first), TokenTree::Punct(second)]
        };
        let mut bang = Punct::new('!', Spacing::Alone);
        bang.set_span(start);
        let mut message = Literal::string(&self.message);
        message.set_span(self.end);
        let mut braces = Group::new(Delimiter::Brace, TokenStream::from(TokenTree::Literal(message)));
        braces.set_span(self.end);

        let mut tokens = TokenStream::new();
        tokens.extend(path_sep(start));
        tokens.extend([TokenTree::Ident(Ident::new("core", start))]);
        tokens.extend(path_sep(start));
        tokens.extend([
            TokenTree::Ident(Ident::new("compile_error", start)),
            TokenTree::Punct(bang),
            TokenTree::Group(braces),
        ]);
        tokens
    }
}
