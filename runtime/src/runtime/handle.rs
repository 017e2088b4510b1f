//! `Handle`: a cloneable reference to a runtime, usable from any thread.

use std::future::Future;

use super::{context, scheduler};
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
