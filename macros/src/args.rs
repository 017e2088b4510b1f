//! The attribute's arguments: `flavor = "..."`, `worker_threads = N` and `start_paused = B`.
//!
//! The arguments are read token by token with `proc_macro` alone. Every mistake becomes an
//! [`Error`] on the offending tokens whose message ends with what to write instead; the
//! wording helpers at the bottom are plain string logic, tested in this file.

use proc_macro::{Delimiter, Span, TokenStream, TokenTree};

use crate::error::Error;
use crate::lit::{self, Lit};
use crate::Kind;

/// The runtime the generated code builds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Flavor {
    /// `Builder::new_current_thread()`: everything runs on the calling thread.
    CurrentThread,
    /// `Builder::new_multi_thread()`: a pool of worker threads that steal from each other.
    MultiThread,
}

impl Flavor {
    /// The string users write after `flavor =`.
    fn name(self) -> &'static str {
        match self {
            Flavor::CurrentThread => "current_thread",
            Flavor::MultiThread => "multi_thread",
        }
    }

    /// The flavor `name` stands for, exactly as users must write it.
    fn from_name(name: &str) -> Option<Flavor> {
        match name {
            "current_thread" => Some(Flavor::CurrentThread),
            "multi_thread" => Some(Flavor::MultiThread),
            _ => None,
        }
    }
}

/// What the attribute asked for, checked.
#[derive(Debug)]
pub(crate) struct Config {
    /// The runtime to build.
    pub(crate) flavor: Flavor,
    /// `worker_threads = N`: at least 1, and only ever set with [`Flavor::MultiThread`].
    pub(crate) worker_threads: Option<usize>,
    /// `start_paused = true`: the test clock is paused before the body runs; only ever set
    /// with [`Flavor::CurrentThread`].
    pub(crate) start_paused: bool,
}

impl Config {
    /// The configuration an attribute without arguments gets.
    pub(crate) fn default_for(kind: Kind) -> Config {
        Config { flavor: kind.default_flavor(), worker_threads: None, start_paused: false }
    }
}

/// `worker_threads = N` as written, kept until the flavor is known.
struct WorkerThreads {
    count: usize,
    /// The `worker_threads` key.
    key: Span,
    /// The value's last token.
    end: Span,
}

/// The two argument names.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Key {
    Flavor,
    WorkerThreads,
    StartPaused,
}

impl Key {
    fn name(self) -> &'static str {
        match self {
            Key::Flavor => "flavor",
            Key::WorkerThreads => "worker_threads",
            Key::StartPaused => "start_paused",
        }
    }

    /// A complete, valid argument with this key, for messages.
    fn example(self) -> &'static str {
        match self {
            Key::Flavor => r#"flavor = "multi_thread""#,
            Key::WorkerThreads => "worker_threads = 4",
            Key::StartPaused => "start_paused = true",
        }
    }
}

/// Everything the attribute accepts, for messages.
const ACCEPTED: &str = r#"`flavor = "current_thread"`, `flavor = "multi_thread"`, `worker_threads = N` and `start_paused = true`"#;

/// Both valid flavors, for messages.
const BOTH_FLAVORS: &str = r#"`flavor = "current_thread"` or `flavor = "multi_thread"`"#;

/// Parses and checks the arguments of `#[crest::main(...)]` or `#[crest::test(...)]`.
pub(crate) fn parse(args: TokenStream, kind: Kind) -> Result<Config, Error> {
    let mut tokens = args.into_iter().map(unwrap_invisible).peekable();
    let mut flavor = None;
    let mut worker_threads: Option<WorkerThreads> = None;
    // `start_paused = B`: the value, the key's span and the value's last span.
    let mut start_paused: Option<(bool, Span, Span)> = None;

    while let Some(token) = tokens.next() {
        let key_span = token.span();
        let key = match token {
            TokenTree::Ident(ident) => {
                let name = ident.to_string();
                match name.as_str() {
                    "flavor" => Key::Flavor,
                    "worker_threads" => Key::WorkerThreads,
                    "start_paused" => Key::StartPaused,
                    _ => return Err(unknown_key(&name, key_span, kind)),
                }
            }
            other => {
                return Err(Error::new(
                    other.span(),
                    format!(
                        "expected an argument name, found `{other}`: `{}` takes {ACCEPTED}",
                        kind.attribute()
                    ),
                ))
            }
        };
        let seen = match key {
            Key::Flavor => flavor.is_some(),
            Key::WorkerThreads => worker_threads.is_some(),
            Key::StartPaused => start_paused.is_some(),
        };
        if seen {
            return Err(Error::new(key_span, format!("`{}` is given twice: remove one of them", key.name())));
        }

        let eq_span = match tokens.next() {
            Some(TokenTree::Punct(punct)) if punct.as_char() == '=' => punct.span(),
            other => {
                let span = other.map_or(key_span, |token| token.span());
                return Err(Error::new(
                    span,
                    format!("expected `=` after `{}`: write `{}`", key.name(), key.example()),
                ));
            }
        };

        // The value runs to the next comma; a literal followed by more tokens is most likely
        // a forgotten comma, which gets its own message below.
        let mut value = Vec::new();
        while let Some(token) = tokens.next_if(|token| !is_comma(token)) {
            let after_literal = matches!(value.as_slice(), [TokenTree::Literal(_)]);
            if after_literal {
                return Err(Error::new(
                    token.span(),
                    format!("expected `,` between arguments, found `{token}`"),
                ));
            }
            value.push(token);
        }
        let Some((first, last)) = value.first().zip(value.last()) else {
            return Err(Error::new(
                eq_span,
                format!("expected a value after `{} =`: write `{}`", key.name(), key.example()),
            ));
        };
        let (start, end) = (first.span(), last.span());

        match key {
            Key::Flavor => flavor = Some(flavor_value(&value, start, end)?),
            Key::StartPaused => start_paused = Some((bool_value(&value, start, end)?, key_span, end)),
            Key::WorkerThreads => {
                worker_threads = Some(WorkerThreads {
                    count: worker_threads_value(&value, start, end)?,
                    key: key_span,
                    end,
                });
            }
        }
        // Past the value there is a comma or nothing.
        tokens.next();
    }

    let flavor_given = flavor.is_some();
    let flavor = flavor.unwrap_or_else(|| kind.default_flavor());
    let worker_threads = match (flavor, worker_threads) {
        (_, None) => None,
        (Flavor::MultiThread, Some(workers)) => Some(workers.count),
        (Flavor::CurrentThread, Some(workers)) => {
            let message = if flavor_given {
                format!(
                    "`worker_threads` needs the multi-thread runtime, and \
                     `flavor = \"current_thread\"` runs everything on the calling thread: remove \
                     `worker_threads = {}` or write `flavor = \"multi_thread\"`",
                    workers.count
                )
            } else {
                format!(
                    "`{}` uses a current-thread runtime unless told otherwise, and it has no \
                     worker threads: write `#[{}(flavor = \"multi_thread\", worker_threads = {})]`",
                    kind.attribute(),
                    kind.path(),
                    workers.count
                )
            };
            return Err(Error::spanning(workers.key, workers.end, message));
        }
    };
    let start_paused = match (flavor, start_paused) {
        (_, None) => false,
        (Flavor::CurrentThread, Some((paused, _, _))) => paused,
        (Flavor::MultiThread, Some((false, _, _))) => false,
        (Flavor::MultiThread, Some((true, key, end))) => {
            let message = if flavor_given {
                "the paused test clock needs a current-thread runtime: remove \
                 `flavor = \"multi_thread\"` (and `worker_threads`), or `start_paused = true`"
                    .to_owned()
            } else {
                format!(
                    "`{}` uses a multi-thread runtime unless told otherwise, and the paused test \
                     clock needs a current-thread one: write `#[{}(flavor = \"current_thread\", \
                     start_paused = true)]`",
                    kind.attribute(),
                    kind.path()
                )
            };
            return Err(Error::spanning(key, end, message));
        }
    };
    Ok(Config { flavor, worker_threads, start_paused })
}

/// Reads the value of `start_paused = ...`: `true` or `false`.
fn bool_value(value: &[TokenTree], start: Span, end: Span) -> Result<bool, Error> {
    match value {
        [TokenTree::Ident(ident)] if ident.to_string() == "true" => Ok(true),
        [TokenTree::Ident(ident)] if ident.to_string() == "false" => Ok(false),
        _ => Err(Error::spanning(
            start,
            end,
            "`start_paused` takes `true` or `false`: write `start_paused = true`",
        )),
    }
}

/// Reads the value of `flavor = ...`.
fn flavor_value(value: &[TokenTree], start: Span, end: Span) -> Result<Flavor, Error> {
    let wrong_type = |what: String| {
        Error::spanning(start, end, format!("`flavor` takes a string, not {what}: write {BOTH_FLAVORS}"))
    };
    match value {
        [TokenTree::Literal(literal)] => match lit::classify(&literal.to_string()) {
            Lit::Str(name) => Flavor::from_name(&name).ok_or_else(|| {
                let fix = match suggest_flavor(&name) {
                    Some(flavor) => format!("`flavor = \"{}\"`", flavor.name()),
                    None => BOTH_FLAVORS.to_owned(),
                };
                Error::new(start, format!("unknown flavor \"{name}\": write {fix}"))
            }),
            Lit::Int(_) => Err(wrong_type("an integer".to_owned())),
            Lit::Other(what) => Err(wrong_type(what.to_owned())),
        },
        [TokenTree::Ident(ident)] => {
            let name = ident.to_string();
            match Flavor::from_name(&name) {
                Some(flavor) => Err(Error::new(
                    start,
                    format!("`flavor` takes a string: write `flavor = \"{}\"`, in quotes", flavor.name()),
                )),
                None => Err(wrong_type(format!("`{name}`"))),
            }
        }
        _ => Err(wrong_type("an expression".to_owned())),
    }
}

/// Reads the value of `worker_threads = ...`.
fn worker_threads_value(value: &[TokenTree], start: Span, end: Span) -> Result<usize, Error> {
    const AT_LEAST_ONE: &str = "`worker_threads` must be at least 1: write `worker_threads = 1` \
                                or more, or leave it out to start one worker per CPU";
    let wrong_type = |what: &str, fix: &str| {
        Error::spanning(
            start,
            end,
            format!("`worker_threads` takes an integer, not {what}: write `worker_threads = {fix}`"),
        )
    };
    match value {
        [TokenTree::Literal(literal)] => {
            let text = literal.to_string();
            match lit::classify(&text) {
                Lit::Int(Some(0)) => Err(Error::new(start, AT_LEAST_ONE)),
                Lit::Int(Some(count)) => usize::try_from(count).map_err(|_| too_large(&text, start)),
                Lit::Int(None) => Err(too_large(&text, start)),
                Lit::Str(inner) => {
                    // `worker_threads = "4"`: show the same number without the quotes.
                    let fix = match lit::classify(&inner) {
                        Lit::Int(Some(count)) if count > 0 => inner,
                        _ => "4".to_owned(),
                    };
                    Err(wrong_type("a string", &fix))
                }
                Lit::Other(what) => Err(wrong_type(what, "4")),
            }
        }
        [TokenTree::Punct(minus), TokenTree::Literal(literal)]
            if minus.as_char() == '-' && matches!(lit::classify(&literal.to_string()), Lit::Int(_)) =>
        {
            Err(Error::spanning(start, end, AT_LEAST_ONE))
        }
        [TokenTree::Ident(ident)] => Err(wrong_type(&format!("`{ident}`"), "4")),
        _ => Err(wrong_type("an expression", "4")),
    }
}

fn too_large(text: &str, span: Span) -> Error {
    Error::new(
        span,
        format!("`worker_threads = {text}` is more threads than a `usize` can count: write a smaller number"),
    )
}

/// The error for an argument name that is neither `flavor` nor `worker_threads`.
fn unknown_key(name: &str, span: Span, kind: Kind) -> Error {
    let message = if let Some(flavor) = Flavor::from_name(name) {
        format!("the flavor is a named argument: write `flavor = \"{}\"`", flavor.name())
    } else if let Some(key) = suggest_key(name) {
        format!("unknown argument `{name}`: write `{}`", key.example())
    } else {
        format!("unknown argument `{name}`: `{}` takes {ACCEPTED}", kind.attribute())
    };
    Error::new(span, message)
}

/// The argument a user most likely meant by the unknown name `name`.
fn suggest_key(name: &str) -> Option<Key> {
    let name = name.to_ascii_lowercase();
    if name.contains("thread") || name.contains("worker") {
        return Some(Key::WorkerThreads);
    }
    if name.starts_with("flav") || matches!(name.as_str(), "runtime" | "scheduler" | "kind") {
        return Some(Key::Flavor);
    }
    None
}

/// The flavor a user most likely meant by the unknown flavor name `name`.
fn suggest_flavor(name: &str) -> Option<Flavor> {
    let squashed: String =
        name.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_lowercase()).collect();
    if squashed.starts_with("multi") || squashed.starts_with("threaded") {
        Some(Flavor::MultiThread)
    } else if squashed.starts_with("current")
        || squashed.starts_with("single")
        || squashed.starts_with("basic")
        || squashed == "local"
    {
        Some(Flavor::CurrentThread)
    } else {
        None
    }
}

fn is_comma(token: &TokenTree) -> bool {
    matches!(token, TokenTree::Punct(punct) if punct.as_char() == ',')
}

/// A token that `macro_rules!` wrapped in an invisible group (`$value:expr`) stands for what
/// it holds when that is a single token.
fn unwrap_invisible(token: TokenTree) -> TokenTree {
    if let TokenTree::Group(group) = &token {
        if group.delimiter() == Delimiter::None {
            let mut inner = group.stream().into_iter();
            if let (Some(only), None) = (inner.next(), inner.next()) {
                return unwrap_invisible(only);
            }
        }
    }
    token
}

#[cfg(test)]
mod tests {
    use super::{suggest_flavor, suggest_key, Flavor, Key};

    #[test]
    fn flavor_names_round_trip() {
        for flavor in [Flavor::CurrentThread, Flavor::MultiThread] {
            assert_eq!(Flavor::from_name(flavor.name()), Some(flavor));
        }
        assert_eq!(Flavor::from_name("multi-thread"), None);
    }

    #[test]
    fn suggests_the_key_meant() {
        assert!(suggest_key("worker_thread") == Some(Key::WorkerThreads));
        assert!(suggest_key("core_threads") == Some(Key::WorkerThreads));
        assert!(suggest_key("workers") == Some(Key::WorkerThreads));
        assert!(suggest_key("flavour") == Some(Key::Flavor));
        assert!(suggest_key("scheduler") == Some(Key::Flavor));
        assert!(suggest_key("start_paused").is_none());
    }

    #[test]
    fn suggests_the_flavor_meant() {
        assert_eq!(suggest_flavor("multi-thread"), Some(Flavor::MultiThread));
        assert_eq!(suggest_flavor("MultiThreaded"), Some(Flavor::MultiThread));
        assert_eq!(suggest_flavor("threaded_scheduler"), Some(Flavor::MultiThread));
        assert_eq!(suggest_flavor("current-thread"), Some(Flavor::CurrentThread));
        assert_eq!(suggest_flavor("basic_scheduler"), Some(Flavor::CurrentThread));
        assert_eq!(suggest_flavor("single_threaded"), Some(Flavor::CurrentThread));
        assert_eq!(suggest_flavor("fast"), None);
    }
}
