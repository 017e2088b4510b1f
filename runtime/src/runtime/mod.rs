//! Runtimes: the scheduler, the I/O driver, the timers and the blocking pool together.
//!
//! Most programs need only `crest::block_on` or `#[crest::main]`; build a [`Runtime`]
//! yourself to choose the scheduler and its settings ([`Builder`]), or to keep one
//! runtime and enter it from many places ([`Handle`]).

mod builder;
mod dump;
mod handle;
pub(crate) mod join_set;
pub(crate) mod metrics;
pub(crate) mod scheduler;
pub(crate) mod spawn;
mod stall;

use std::future::Future;
use std::time::Duration;

pub use builder::Builder;
pub use dump::{TaskDump, TaskInfo, TaskState};
pub use handle::{EnterGuard, Handle};
pub use metrics::{RuntimeMetrics, WorkerMetrics};
pub use stall::StallReport;

use crate::task::JoinHandle;
use scheduler::context;

/// A crest runtime: a scheduler with its I/O driver, timers and blocking pool.
///
/// Dropping it shuts it down: every task is dropped (its destructors run), every I/O
/// object it drives is woken with an error and the blocking pool's threads are waited for.
/// Dropping it inside async code (a task, or a `block_on` future) panics, after a
/// shutdown that does not wait: use [`shutdown_background`](Runtime::shutdown_background)
/// there, or drop it on another thread.
///
/// ```
/// let rt = crest::runtime::Runtime::new()?;
/// let handle = rt.spawn(async { 6 * 7 });
/// assert_eq!(rt.block_on(handle).unwrap(), 42);
/// # std::io::Result::Ok(())
/// ```
pub struct Runtime {
    handle: Handle,
    timer_slack: Option<Duration>,
    /// Set by `shutdown_timeout`, which does the shutdown itself.
    shut_down: bool,
}

impl Runtime {
    pub(crate) fn from_parts(inner: scheduler::Handle, timer_slack: Option<Duration>) -> Runtime {
        Runtime { handle: Handle { inner }, timer_slack, shut_down: false }
    }

    /// A multi-thread runtime with default settings (`Builder::new_multi_thread().build()`).
    ///
    /// # Errors
    /// See [`Builder::build`].
    pub fn new() -> std::io::Result<Runtime> {
        Builder::new_multi_thread().build()
    }

    /// Runs `future` to completion on this thread; tasks spawned meanwhile run too.
    ///
    /// # Panics
    /// When called from inside a runtime (a task, or another `block_on`): await the
    /// future instead, or move blocking code to `spawn_blocking`.
    #[track_caller]
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        if context::in_runtime() {
            // Let enter_runtime produce the message.
            let _ = context::enter_runtime();
        }
        let _slack = self.timer_slack.map(SlackGuard::set);
        self.handle.block_on(future)
    }

    /// Spawns a task on this runtime.
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.handle.spawn(future)
    }

    /// Runs a blocking closure on this runtime's blocking pool.
    #[track_caller]
    pub fn spawn_blocking<F, R>(&self, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        self.handle.spawn_blocking(f)
    }

    /// A handle to this runtime, usable from any thread.
    pub fn handle(&self) -> Handle {
        self.handle.clone()
    }

    /// Makes this runtime current on this thread until the guard drops.
    pub fn enter(&self) -> EnterGuard<'_> {
        self.handle.enter()
    }

    /// Shuts the runtime down: drops every task, closes every fd it owns, and waits at
    /// most `timeout` for blocking tasks that are still running (they are detached after).
    ///
    /// # Panics
    /// In async code (a task, or a `block_on` future) with a nonzero `timeout`, after
    /// shutting down without waiting: see [`Runtime`]'s drop.
    #[track_caller]
    pub fn shutdown_timeout(mut self, timeout: Duration) {
        self.shut_down = true;
        if timeout.is_zero() || !context::in_runtime() {
            self.handle.inner.shutdown(Some(timeout));
            return;
        }
        self.handle.inner.shutdown(Some(Duration::ZERO));
        if !std::thread::panicking() {
            panic!("{WAIT_IN_ASYNC}");
        }
    }

    /// Shuts the runtime down without waiting for blocking tasks.
    pub fn shutdown_background(self) {
        self.shutdown_timeout(Duration::ZERO);
    }
}

/// Why a runtime dropped in async code panics (after shutting down without waiting).
const WAIT_IN_ASYNC: &str = "cannot drop a crest runtime (or shut it down with a timeout) \
    from async code, such as one of its own tasks: that waits for its blocking threads and \
    would block this thread and every task on it. The runtime has been shut down without \
    waiting. Drop it on a thread outside any runtime instead (std::thread::spawn, or inside \
    crest::task::spawn_blocking), or call Runtime::shutdown_background, which does not wait";

impl Drop for Runtime {
    /// Shuts the runtime down and waits for its blocking threads.
    ///
    /// # Panics
    /// In async code (inside any runtime's task or `block_on` future): waiting there would
    /// block that runtime's thread. The runtime is shut down without waiting first (every
    /// task dropped, every fd closed), so nothing leaks; as in tokio, use
    /// `shutdown_background` there, or move the runtime to another thread.
    fn drop(&mut self) {
        if self.shut_down {
            return;
        }
        if !context::in_runtime() {
            self.handle.inner.shutdown(None);
            return;
        }
        self.handle.inner.shutdown(Some(Duration::ZERO));
        if !std::thread::panicking() {
            panic!("{WAIT_IN_ASYNC}");
        }
    }
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime").finish_non_exhaustive()
    }
}

/// Sets this thread's timer slack and restores the previous one on drop.
struct SlackGuard {
    prev: Option<Duration>,
}

impl SlackGuard {
    fn set(slack: Duration) -> SlackGuard {
        let prev = crate::sys::thread::timer_slack().ok();
        if prev != Some(slack) {
            let _ = crate::sys::thread::set_timer_slack(slack);
        }
        SlackGuard { prev: prev.filter(|p| *p != slack) }
    }
}

impl Drop for SlackGuard {
    fn drop(&mut self) {
        if let Some(prev) = self.prev {
            let _ = crate::sys::thread::set_timer_slack(prev);
        }
    }
}

/// Runs `future` to completion on a new current-thread runtime, then drops the runtime
/// (and with it every task still pending).
///
/// ```
/// let n = crest::block_on(async {
///     let a = crest::spawn(async { 20 });
///     let b = crest::spawn(async { 22 });
///     a.await.unwrap() + b.await.unwrap()
/// });
/// assert_eq!(n, 42);
/// ```
///
/// # Panics
/// When called from inside a runtime, with a message that says what to do instead; when
/// the runtime cannot be created (the process is out of file descriptors).
#[track_caller]
pub fn block_on<F: Future>(future: F) -> F::Output {
    if context::in_runtime() {
        let _ = context::enter_runtime();
    }
    let rt = Builder::new_current_thread()
        .build()
        .unwrap_or_else(|e| panic!("crest::block_on could not create its runtime: {e}"));
    rt.block_on(future)
}
