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
pub use crest_runtime::{block_on, io, runtime, spawn, sys, time};

pub use crest_os::{fs, process, signal};
mod macros;
#[doc(hidden)]
pub use macros::__private;

pub mod task {
    //! Tasks: spawning futures and waiting for their output.
    //!
    //! [`spawn`] runs a `Send` future on the current runtime, [`spawn_local`] a `!Send`
    //! one on the current thread, and [`spawn_blocking`] a blocking closure on the
    //! blocking pool. Each returns a [`JoinHandle`]: await it for the output (or a
    //! [`JoinError`] if the task panicked or was aborted), or drop it to let the task run
    //! on detached. [`yield_now`] lets the other tasks run. A [`JoinSet`] owns a group of
    //! tasks and hands their outputs back in completion order; an [`AbortHandle`] cancels
    //! a task without owning its output; [`id`] names the running task.
    //!
    //! ```
    //! crest::block_on(async {
    //!     let sum = crest::spawn(async { 2 + 2 });
    //!     let blocking = crest::task::spawn_blocking(|| "done");
    //!     assert_eq!(sum.await.unwrap(), 4);
    //!     assert_eq!(blocking.await.unwrap(), "done");
    //! });
    //! ```

    // The task layer's own items, and those that need a runtime (one layer up in
    // crest-runtime): see crest-runtime's ARCHITECTURE.md code map.
    pub use crest_runtime::task::*;
    pub use crest_runtime::task_api::*;
}

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
