//! # crest
//!
//! A small, fast async runtime for Linux, built directly on edge-triggered epoll.
//!
//! ```
//! crest::block_on(async {
//!     let handle = crest::spawn(async { 1 + 2 });
//!     assert_eq!(handle.await.unwrap(), 3);
//! });
//! ```
//!
//! * [`block_on`] and [`spawn`] run futures; [`runtime`] builds runtimes by hand.
//! * [`task`] has `JoinHandle`, `spawn_blocking`, `spawn_local` and `yield_now`.
//! * [`time`] has sub-millisecond timers; [`io`] the I/O traits and [`io::Async`].
//! * [`net`] has TCP, UDP and Unix sockets; [`sys::epoll`] the bare epoll API.
//! * [`signal`] has Unix signals, [`process`] child processes, [`fs`] file-system calls.
//! * `#[crest::main]` and `#[crest::test]` set a runtime up around an `async fn`.

pub use crest_macros::{main, test};
pub use crest_runtime::task_local;
pub use crest_runtime::{block_on, io, runtime, spawn, sys, task, time};

pub use crest_os::{fs, process, signal};
mod macros;
#[doc(hidden)]
pub use macros::__private;

/// Networking: TCP, UDP and Unix sockets on nonblocking fds.
#[allow(unused_imports)]
pub mod net {
    pub use crest_net::*;
}

/// The README's Rust examples, compiled as doctests so that they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

/// docs/porting-from-tokio.md's Rust snippets, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../docs/porting-from-tokio.md")]
pub struct PortingDoctests;
