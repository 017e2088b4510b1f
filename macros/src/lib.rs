//! `#[crest::main]` and `#[crest::test]`: run an `async fn` on a crest runtime.
//!
//! Users reach these through the `crest` facade (`#[crest::main]`, `#[crest::test]`); this crate
//! is an implementation detail and the generated code names `::crest` paths only.
//!
//! The crate is written against `proc_macro` alone, with no dependencies: it is part of every
//! user's first clean build, and with syn + quote it built five times slower and made a first
//! build of crest half as long again (the measurement is in `macros/DESIGN.md`). The price is a hand-written outline parser in
//! `item.rs` that only finds the parts of the signature the expansion moves; everything else
//! is passed to rustc as written and judged there.
//!
//! # Code map
//!
//! - `args.rs`: reads and checks `flavor = "..."` and `worker_threads = N`.
//! - `lit.rs`: what a literal token holds, from its text.
//! - `item.rs`: splits the annotated function into attributes, signature parts and body.
//! - `expand.rs`: writes the plain `fn` that builds a runtime and blocks on the body.
//! - `error.rs`: compile errors spanning the offending tokens.

#![warn(missing_docs)]
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(clippy::undocumented_unsafe_blocks)]

mod args;
mod error;
mod expand;
mod item;
mod lit;

use proc_macro::{Delimiter, Group, TokenStream};

use crate::args::{Config, Flavor};
use crate::error::Error;
use crate::item::ItemFn;

/// Runs `async fn main` on a crest runtime.
///
/// The function becomes a plain `fn` that builds a runtime, blocks on the body and returns
/// what the body returns, so `async fn main() -> Result<(), E>` exits with a non-zero status
/// when it returns `Err`, as a plain `fn main` does.
///
/// It also goes on functions other than `main`, which may then take arguments: each call
/// builds a runtime and blocks on the body.
///
/// # Examples
///
/// ```
/// #[crest::main]
/// async fn main() {
///     let answer = crest::spawn(async { 6 * 7 }).await.unwrap();
///     assert_eq!(answer, 42);
/// }
/// ```
///
/// The runtime is multi-threaded with one worker per CPU unless told otherwise:
///
/// ```
/// #[crest::main(flavor = "multi_thread", worker_threads = 2)]
/// async fn main() -> std::io::Result<()> {
///     crest::spawn(async { println!("on a worker") }).await.unwrap();
///     Ok(())
/// }
/// ```
///
/// ```
/// #[crest::main(flavor = "current_thread")]
/// async fn main() {
///     println!("everything runs on this thread");
/// }
/// ```
///
/// # Arguments
///
/// - `flavor = "multi_thread"` (the default): `Builder::new_multi_thread()`.
/// - `flavor = "current_thread"`: `Builder::new_current_thread()`, everything on the calling
///   thread.
/// - `worker_threads = N`: `N` workers (at least 1); only with `"multi_thread"`.
/// - `start_paused = true`: the test clock (`crest::time::pause`) is paused before the body
///   runs; only with `"current_thread"`.
///
/// Anything else (an unknown argument, a value of the wrong type, `worker_threads` with
/// `"current_thread"`, a function that is not `async`, `main` taking arguments) is a compile
/// error on the offending tokens that says what to write instead.
///
/// # Panics
///
/// The generated `main` panics if the runtime cannot be built (the system refuses a thread or
/// a file descriptor), before the body runs.
#[proc_macro_attribute]
pub fn main(args: TokenStream, item: TokenStream) -> TokenStream {
    entry(Kind::Main, args, item)
}

/// Runs an `async fn` test on a fresh crest runtime.
///
/// The function becomes a `#[test]` that builds its own runtime, current-thread unless told
/// otherwise, and blocks on the body. Other attributes stay on the test, so `#[should_panic]`
/// and `#[ignore]` work as with `#[test]`, and so does returning a `Result`.
///
/// # Examples
///
/// ```
/// #[crest::test]
/// async fn spawned_tasks_run() {
///     let answer = crest::spawn(async { 6 * 7 }).await.unwrap();
///     assert_eq!(answer, 42);
/// }
///
/// #[crest::test(flavor = "multi_thread", worker_threads = 2)]
/// async fn on_two_workers() -> std::io::Result<()> {
///     crest::spawn(async {}).await.unwrap();
///     Ok(())
/// }
///
/// #[crest::test]
/// #[should_panic(expected = "boom")]
/// async fn panics() {
///     panic!("boom");
/// }
/// # fn main() {}
/// ```
///
/// # Arguments
///
/// The same as [`macro@main`]'s, except that the default flavor is `"current_thread"`.
///
/// # Panics
///
/// The test panics, and so fails, if the runtime cannot be built.
#[proc_macro_attribute]
pub fn test(args: TokenStream, item: TokenStream) -> TokenStream {
    entry(Kind::Test, args, item)
}

/// Which attribute is being expanded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Main,
    Test,
}

impl Kind {
    /// The attribute's path as users write it.
    fn path(self) -> &'static str {
        match self {
            Kind::Main => "crest::main",
            Kind::Test => "crest::test",
        }
    }

    /// The attribute as users write it, for messages.
    fn attribute(self) -> &'static str {
        match self {
            Kind::Main => "#[crest::main]",
            Kind::Test => "#[crest::test]",
        }
    }

    fn default_flavor(self) -> Flavor {
        match self {
            Kind::Main => Flavor::MultiThread,
            Kind::Test => Flavor::CurrentThread,
        }
    }

    /// A signature the attribute accepts, named `name` when there is one, for messages.
    fn signature_example(self, name: &str) -> String {
        let name = match (self, name) {
            (_, name) if !name.is_empty() => name,
            (Kind::Main, _) => "main",
            (Kind::Test, _) => "my_test",
        };
        format!("async fn {name}()")
    }
}

/// Expands either attribute. Errors come out as `compile_error!`s next to the best function
/// that can still be generated, so that rustc reports the mistake and not follow-on noise
/// such as "`main` function not found".
fn entry(kind: Kind, args: TokenStream, item: TokenStream) -> TokenStream {
    let mut item = match ItemFn::parse(item.clone(), kind) {
        Ok(parsed) => parsed,
        Err(error) => {
            let mut out = error.to_compile_error();
            out.extend(item);
            return out;
        }
    };

    let mut out = TokenStream::new();
    let config = args::parse(args, kind).unwrap_or_else(|error| {
        out.extend(error.to_compile_error());
        Config::default_for(kind)
    });

    if item.async_span.is_none() {
        let name = item.name.to_string();
        let error = Error::spanning(
            item.fn_token.span(),
            item.name.span(),
            format!(
                "`{}` runs async functions only: write `{}` (add `async`)",
                kind.attribute(),
                kind.signature_example(&name)
            ),
        );
        out.extend(error.to_compile_error());
    }

    let takes_arguments = !item.args.stream().is_empty();
    let must_not = match kind {
        Kind::Main => item.name.to_string() == "main",
        Kind::Test => true,
    };
    if takes_arguments && must_not {
        let message = match kind {
            Kind::Main => "`main` takes no arguments: write `async fn main()` and read the \
                           command line with `std::env::args()`"
                .to_owned(),
            Kind::Test => format!(
                "a test takes no arguments: write `{}`",
                kind.signature_example(&item.name.to_string())
            ),
        };
        out.extend(Error::new(item.args.span(), message).to_compile_error());
        let mut no_args = Group::new(Delimiter::Parenthesis, TokenStream::new());
        no_args.set_span(item.args.span());
        item.args = no_args;
    }

    if let (Kind::Test, Some((start, end))) = (kind, item.test_attr) {
        let error = Error::spanning(
            start,
            end,
            "`#[crest::test]` already makes the function a test: remove this `#[test]`",
        );
        out.extend(error.to_compile_error());
    }

    out.extend(expand::expand(kind, &config, item));
    out
}

mod select;

/// Not public API: `crest::select!` uses it to test a branch's pattern by reference.
#[doc(hidden)]
#[proc_macro]
pub fn __select_clean_pattern(input: TokenStream) -> TokenStream {
    select::clean_pattern(input)
}

/// Not public API: a compile error on the given tokens, for the facade's `macro_rules!`.
#[doc(hidden)]
#[proc_macro]
pub fn __error_at(input: TokenStream) -> TokenStream {
    select::error_at(input)
}
