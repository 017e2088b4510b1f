//! `Handle`: a cloneable reference to a runtime, usable from any thread.

use std::future::Future;

use super::scheduler::{self, context};
use crate::task::JoinHandle;

/// A handle to a runtime: spawn onto it, or block on it, from any thread.
///
/// ```
/// let rt = crest::runtime::Runtime::new()?;
/// let handle = rt.handle();
/// let value = std::thread::spawn(move || handle.block_on(async { 7 })).join().unwrap();
/// assert_eq!(value, 7);
/// # std::io::Result::Ok(())
/// ```
#[derive(Clone)]
pub struct Handle {
    pub(crate) inner: scheduler::Handle,
}

impl Handle {
    /// The runtime of the current context.
    ///
    /// # Panics
    /// Outside a runtime context (use [`try_current`](Self::try_current) to check).
    #[track_caller]
    pub fn current() -> Handle {
        Handle { inner: context::current() }
    }

    /// The runtime of the current context, if there is one.
    pub fn try_current() -> Option<Handle> {
        context::try_current().map(|inner| Handle { inner })
    }

    /// Spawns a task on this runtime. Callable from any thread.
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.inner.spawn(future)
    }

    /// Runs `future` to completion on the calling thread, which must not be a runtime
    /// thread. Inside, `crest::spawn`, timers and I/O use this runtime.
    ///
    /// # Panics
    /// When called from inside a runtime (a task, or another `block_on`).
    #[track_caller]
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.inner.block_on(future)
    }

    /// Runs a blocking closure on this runtime's blocking pool.
    #[track_caller]
    pub fn spawn_blocking<F, R>(&self, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        self.inner.blocking().spawn(f, &self.inner)
    }

    /// Makes this runtime the current one on this thread until the guard drops, so that
    /// `crest::spawn` and I/O constructors work outside `block_on`.
    pub fn enter(&self) -> EnterGuard<'_> {
        EnterGuard { _guard: context::set_current(&self.inner), _handle: self }
    }

    /// How many tasks of this runtime are alive (spawned and not yet finished).
    pub fn num_alive_tasks(&self) -> usize {
        self.inner.num_tasks()
    }

    /// A snapshot of the runtime's counters; callable from any thread, cheap (it takes
    /// a few short locks, never waits for a worker). README.md, "Metrics", says what each
    /// number means.
    ///
    /// ```
    /// let rt = crest::runtime::Builder::new_current_thread().build()?;
    /// rt.block_on(async { crest::spawn(async {}).await.unwrap() });
    /// let metrics = rt.handle().metrics();
    /// assert_eq!(metrics.spawned_tasks(), 1);
    /// assert_eq!(metrics.alive_tasks(), 0);
    /// // The Prometheus text format:
    /// assert!(metrics.to_string().contains("crest_spawned_tasks_total 1"));
    /// # std::io::Result::Ok(())
    /// ```
    pub fn metrics(&self) -> super::RuntimeMetrics {
        self.inner.metrics()
    }

    /// Every live task of this runtime (not `spawn_blocking` closures), from any thread.
    /// Needs nothing from the workers: it works while they are all blocked.
    ///
    /// ```
    /// let rt = crest::runtime::Builder::new_current_thread().build()?;
    /// let _idle = rt.spawn(std::future::pending::<()>());
    /// for task in rt.handle().dump().tasks() {
    ///     println!("{task}"); // task 1 scheduled age 0.000s polls 0 spawned at src/main.rs:2
    /// }
    /// # std::io::Result::Ok(())
    /// ```
    pub fn dump(&self) -> super::TaskDump {
        self.inner.dump()
    }
}

impl std::fmt::Debug for Handle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Handle").finish_non_exhaustive()
    }
}

/// Returned by [`Handle::enter`] and [`Runtime::enter`](super::Runtime::enter).
#[must_use = "the runtime is current only while the guard lives"]
pub struct EnterGuard<'a> {
    _guard: context::SetCurrentGuard,
    _handle: &'a Handle,
}
