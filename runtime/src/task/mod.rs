//! The task layer: what a task is and how it is driven, for every scheduler.
//!
//! A [`JoinHandle`] waits for a task's output (or a [`JoinError`] if the task panicked or
//! was aborted), an [`AbortHandle`] cancels a task without owning its output, [`Id`] names
//! it, [`yield_now`] lets the other tasks run and [`LocalKey`] holds task-local values.
//! What needs a runtime (`spawn`, `spawn_local`, `spawn_blocking`, `JoinSet`, `id`) lives
//! one layer up, in `runtime/`; the facade's `crest::task` shows both halves as one module.
//!
//! ```
//! crest::block_on(async {
//!     let sum = crest::spawn(async { 2 + 2 });
//!     let blocking = crest::task::spawn_blocking(|| "done");
//!     assert_eq!(sum.await.unwrap(), 4);
//!     assert_eq!(blocking.await.unwrap(), "done");
//! });
//! ```

// How tasks work inside: a task is one allocation (`raw.rs`) driven by a state word
// (`state.rs`). The scheduler sees three kinds of owning pointers, each holding one
// reference:
//
// * `Task`: the owned-task list's reference, used to cancel every task at shutdown.
// * `Notified`: a task that is queued to run. At most one exists per task at a time (the
//   `NOTIFIED` bit), so a task woken while it runs is queued once, not twice.
// * `JoinHandle`: the user's handle to the output.
//
// Schedulers implement `Schedule`; the task code is the same for the current-thread
// scheduler, the multi-thread scheduler and the blocking pool.

mod abort;
mod alloc;
mod error;
pub(crate) mod header;
mod join;
mod list;
pub(crate) mod meta;
pub(crate) mod raw;
mod state;
mod task_local;
mod waker;
mod yield_now;

use std::future::Future;
use std::mem::ManuallyDrop;
use std::ptr::NonNull;
use std::thread::ThreadId;

pub use abort::AbortHandle;
pub(crate) use alloc::trim as trim_cell_cache;
pub use error::JoinError;
use header::Header;
pub use join::JoinHandle;
pub(crate) use list::OwnedTasks;
pub use meta::Id;
use meta::ThreadNum;
pub use task_local::{AccessError, LocalKey, TaskLocalFuture};
pub use yield_now::yield_now;

/// What a scheduler does for its tasks.
pub(crate) trait Schedule: Send + Sync + Sized + 'static {
    /// Queues a task to run. Called from any thread.
    fn schedule(&self, task: Notified);

    /// Queues a task that was woken while it ran (it yielded): behind the others.
    fn yield_now(&self, task: Notified) {
        self.schedule(task);
    }

    /// The task completed: take it out of the owned list and return the list's reference,
    /// or `None` if it is not (or no longer) there.
    fn release(&self, task: &Task) -> Option<Task>;
}

/// An owning reference to a task.
pub(crate) struct Task {
    ptr: NonNull<Header>,
}

// SAFETY: a Task only touches the header's atomic state and calls vtable functions that
// respect the task's thread rules: a `spawn_local` future is only polled or dropped on its
// owner thread (checked in `Notified::run` and the owned list's shutdown).
unsafe impl Send for Task {}
// SAFETY: as above; `&Task` exposes nothing but the header.
unsafe impl Sync for Task {}

impl Task {
    /// Takes over a reference that the caller owns.
    ///
    /// # Safety
    /// `ptr` points to the header of a live task allocation (`raw::allocate`), and the
    /// caller owns one of its references, which the `Task` takes over: it is given back
    /// (`ref_dec`, maybe freeing the task) when the `Task` drops, so the caller must not
    /// count it again.
    pub(crate) unsafe fn from_raw(ptr: NonNull<Header>) -> Task {
        Task { ptr }
    }

    pub(crate) fn header(&self) -> &Header {
        // SAFETY: our reference keeps the header alive.
        unsafe { self.ptr.as_ref() }
    }

    pub(crate) fn header_ptr(&self) -> NonNull<Header> {
        self.ptr
    }

    /// Cancels the task in place if it is idle (runtime shutdown); consumes this reference.
    pub(crate) fn shutdown(self) {
        let this = ManuallyDrop::new(self);
        // SAFETY: our reference is transferred to the vtable function.
        unsafe { (this.header().vtable.shutdown)(this.ptr) }
    }

    /// Marks the task cancelled and, if it is idle, queues it so that its scheduler drops
    /// the future; no effect once it is complete.
    pub(crate) fn abort(&self) {
        let header = self.header();
        if header.state.transition_to_notified_and_cancel() {
            // SAFETY: the transition took a reference for the Notified, which `schedule`
            // takes over.
            unsafe { (header.vtable.schedule)(self.ptr) }
        }
    }

    /// True when the task must only be touched on a thread other than the current one.
    pub(crate) fn is_foreign_local(&self) -> bool {
        self.header().local_owner.is_some_and(|owner| owner != ThreadNum::current())
    }
}

impl Drop for Task {
    fn drop(&mut self) {
        if self.header().state.ref_dec() {
            // SAFETY: ours was the last reference.
            unsafe { (self.header().vtable.dealloc)(self.ptr) }
        }
    }
}

/// A queued task: running it is the only way to poll the future.
pub(crate) struct Notified(pub(crate) Task);

impl Notified {
    /// Polls the task once (or cancels it if it was aborted).
    ///
    /// # Panics
    /// When a `spawn_local` task would run on a thread other than its owner's: that
    /// happens only if a current-thread runtime holding local tasks is driven from
    /// another thread, which is not supported.
    pub(crate) fn run(self) {
        if let Some(owner) = self.0.header().local_owner {
            assert!(
                owner == ThreadNum::current(),
                "a task spawned with crest::task::spawn_local was about to run on another thread; \
                 drive a current-thread runtime that has local tasks from one thread only"
            );
        }
        let this = ManuallyDrop::new(self);
        // SAFETY: the Notified's reference is transferred to `poll`.
        crate::coop::with_budget(|| unsafe { (this.0.header().vtable.poll)(this.0.ptr) })
    }
}

/// Allocates a task and returns its three owners (see the module docs). `local_owner`, when
/// given, must be the calling thread (`spawn_local`). The caller's caller is the task's
/// spawn location: every spawn function down to here is `#[track_caller]`.
#[track_caller]
pub(crate) fn new_task<F, S>(
    future: F,
    scheduler: S,
    local_owner: Option<ThreadId>,
) -> (Task, Notified, JoinHandle<F::Output>)
where
    F: Future + 'static,
    S: Schedule,
{
    debug_assert!(!local_owner.is_some_and(|owner| owner != std::thread::current().id()));
    let ptr = raw::allocate(future, scheduler, local_owner.map(|_| ThreadNum::current()));
    // SAFETY: `allocate` returns a live task holding three references (`raw::allocate`),
    // one for each owner made here.
    unsafe { (Task::from_raw(ptr), Notified(Task::from_raw(ptr)), JoinHandle::from_raw(ptr)) }
}
