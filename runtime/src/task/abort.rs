//! `AbortHandle`: a cloneable permission to cancel a task, without access to its output.
//!
//! Owns one task reference (like a waker's); it never reads the output or the join waker,
//! so it may live on any thread and be shared.

use std::fmt;

use super::Task;

/// Cancels a spawned task without owning its output.
///
/// Made by [`JoinHandle::abort_handle`](crate::task::JoinHandle::abort_handle) and
/// `JoinSet::spawn`. Unlike a `JoinHandle`, it is `Clone`
/// and `Sync`, and dropping it does nothing to the task.
///
/// ```
/// crest::block_on(async {
///     let handle = crest::spawn(std::future::pending::<()>());
///     let abort = handle.abort_handle();
///     abort.abort();
///     assert!(handle.await.unwrap_err().is_cancelled());
///     assert!(abort.is_finished());
/// });
/// ```
pub struct AbortHandle {
    task: Task,
}

impl AbortHandle {
    /// Takes over a task reference that the caller owns.
    pub(crate) fn new(task: Task) -> AbortHandle {
        AbortHandle { task }
    }

    /// Cancels the task: its future is dropped at its next yield point (at once if it is
    /// idle, before its first poll if it never ran). No effect once it has finished.
    pub fn abort(&self) {
        self.task.abort();
    }

    /// True once the task has completed, panicked or been cancelled.
    pub fn is_finished(&self) -> bool {
        self.task.header().state.load().is_complete()
    }
}

impl Clone for AbortHandle {
    fn clone(&self) -> AbortHandle {
        self.task.header().state.ref_inc();
        // SAFETY: `self.task` keeps the task allocation live, and the reference counted just
        // above is the one the new `Task` takes over.
        AbortHandle::new(unsafe { Task::from_raw(self.task.header_ptr()) })
    }
}

impl fmt::Debug for AbortHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AbortHandle").field("finished", &self.is_finished()).finish()
    }
}
