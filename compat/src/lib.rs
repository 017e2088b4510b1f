//! The compatibility suite: real ecosystem crates (hyper, axum, rustls, tungstenite,
//! tokio-util, tokio::sync, async-channel, async-lock) running on crest, each exercised by
//! a test in `tests/` over real sockets on 127.0.0.1, many against clients nobody here
//! wrote (Python's `http.client` and `ssl`, curl). This library is empty: the package
//! exists for its tests.

/// The snippets of `docs/ecosystem.md`, compiled and run as doctests so that the page
/// stays true.
#[cfg(doctest)]
#[doc = include_str!("../../docs/ecosystem.md")]
pub struct EcosystemDoctests;
