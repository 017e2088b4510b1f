//! How a thread that a scheduler starts (a worker, a blocking thread) makes its runtime the
//! thread's current one.
//!
//! The flavors and the blocking pool sit below the `scheduler::Handle` enum, which names
//! them, and the thread-local context (`context.rs`), which stores that enum; so they do
//! not name either. They take the runtime as any [`EnterRuntime`], which `mod.rs`
//! implements for the enum.

/// A runtime that a thread can make its current one.
pub(crate) trait EnterRuntime: Clone + Send + 'static {
    /// Undoes [`EnterRuntime::enter`] on drop.
    type Guard;

    /// Makes this runtime current on this thread (what `Handle::current`, `spawn`, I/O
    /// objects and timers use) until the guard drops. With `driving`, the thread also
    /// counts as running async tasks (a worker), so that `block_on` there panics clearly.
    fn enter(&self, driving: bool) -> Self::Guard;
}
