//! `JoinHandle`: awaiting a spawned task's output (its error type is in `error.rs`).

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::ptr::NonNull;
use std::task::{Context, Poll};

use super::header::Header;
use super::{AbortHandle, JoinError, Task};

/// An owned permission to await a spawned task's output.
///
/// Awaiting it gives `Ok(output)`, or a [`JoinError`] if the task panicked or was
/// aborted. Dropping it detaches the task, which keeps running.
///
/// ```
/// let answer = crest::block_on(async {
///     let handle = crest::spawn(async { 40 + 2 });
///     handle.await.unwrap()
/// });
/// assert_eq!(answer, 42);
/// ```
pub struct JoinHandle<T> {
    ptr: NonNull<Header>,
    _output: PhantomData<T>,
}

// SAFETY: the handle only moves the output `T` out (so `T: Send` is needed) and touches the
// atomic state otherwise.
unsafe impl<T: Send> Send for JoinHandle<T> {}
// SAFETY: `&JoinHandle` allows only `abort` and `is_finished`, which touch atomics.
unsafe impl<T: Send> Sync for JoinHandle<T> {}

impl<T> Unpin for JoinHandle<T> {}

impl<T> JoinHandle<T> {
    /// Takes over the join reference of a new task.
    ///
    /// # Safety
    /// `ptr` points to the header of a live task whose output type is `T`, the caller owns
    /// one of its references (which the handle gives back on drop), and no other
    /// `JoinHandle` of that task exists (`JOIN_INTEREST` and the join waker slot are the
    /// handle's alone).
    pub(crate) unsafe fn from_raw(ptr: NonNull<Header>) -> JoinHandle<T> {
        JoinHandle { ptr, _output: PhantomData }
    }

    fn header(&self) -> &Header {
        // SAFETY: the handle's reference keeps the task alive.
        unsafe { self.ptr.as_ref() }
    }

    /// The task's id (what `crest::task::id` returns inside it).
    ///
    /// ```
    /// crest::block_on(async {
    ///     let handle = crest::spawn(async { crest::task::id() });
    ///     let id = handle.id();
    ///     assert_eq!(handle.await.unwrap(), id);
    /// });
    /// ```
    pub fn id(&self) -> super::Id {
        self.header().id
    }

    /// Cancels the task: its future is dropped at its next yield point (before its first
    /// poll if it never ran), and awaiting this handle gives a cancelled [`JoinError`].
    /// No effect once the task has finished.
    ///
    /// ```
    /// crest::block_on(async {
    ///     let handle = crest::spawn(std::future::pending::<()>());
    ///     handle.abort();
    ///     assert!(handle.await.unwrap_err().is_cancelled());
    /// });
    /// ```
    pub fn abort(&self) {
        let header = self.header();
        if header.state.transition_to_notified_and_cancel() {
            // SAFETY: the transition took a reference for the Notified, which `schedule`
            // takes over.
            unsafe { (header.vtable.schedule)(self.ptr) }
        }
    }

    /// A handle that can cancel this task but not read its output; it may be cloned and
    /// shared, and outlives this `JoinHandle`.
    ///
    /// ```
    /// crest::block_on(async {
    ///     let handle = crest::spawn(std::future::pending::<()>());
    ///     let abort = handle.abort_handle();
    ///     drop(handle); // detached, but still cancellable
    ///     abort.abort();
    /// });
    /// ```
    pub fn abort_handle(&self) -> AbortHandle {
        self.header().state.ref_inc();
        // SAFETY: this handle's own reference keeps the task allocation live, and the
        // reference counted just above is the one the new `Task` takes over.
        AbortHandle::new(unsafe { Task::from_raw(self.ptr) })
    }

    /// True once the task has completed, panicked or been cancelled.
    pub fn is_finished(&self) -> bool {
        self.header().state.load().is_complete()
    }
}

impl<T> Future for JoinHandle<T> {
    type Output = Result<T, JoinError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut ret: Poll<Result<T, JoinError>> = Poll::Pending;
        // SAFETY: `ret` has the type the vtable expects for this task's output; the handle
        // holds a reference.
        unsafe {
            (self.header().vtable.try_read_output)(self.ptr, (&mut ret as *mut Poll<_>).cast(), cx.waker())
        };
        ret
    }
}

impl<T> Drop for JoinHandle<T> {
    fn drop(&mut self) {
        // SAFETY: the handle's reference is transferred to the vtable function.
        unsafe { (self.header().vtable.drop_join_handle)(self.ptr) }
    }
}

impl<T> fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinHandle").field("finished", &self.is_finished()).finish()
    }
}
